/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD fault injection for the atomic-write path (tests/integration/
 * test_vmdb_faults.sh): BH_FAULT=<point>[:<errno>] makes the first call at that point
 * fail with errno (default EIO), as a failing disk would.  Points, in the order
 * bh_atomic_write meets them:
 *   open      openat() creating a ".tmp." file          fchmod   fchmod() of a regular file
 *   fchown    fchown() of a regular file                 write    write() to a regular file
 *   fsync     fsync() of a regular file                  close    close() of a file that was
 *   rename    renameat()                                          written (after closing it)
 *   dirfsync  fsync() of a directory
 * and on the read side: read  read() of a regular file named vms.json (not db.json).
 * Only the first matching call fails; everything else goes to libc.  Test code only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fired;
static int written_fd = -1;

static bool armed(const char *point, int *ret_errno)
{
	const char *f = getenv("BH_FAULT");
	size_t n = strlen(point);

	if (fired || !f || strncmp(f, point, n) || (f[n] && f[n] != ':'))
		return false;
	*ret_errno = f[n] == ':' ? atoi(f + n + 1) : EIO;
	fired = 1;
	return true;
}

static bool fd_is(int fd, mode_t type)
{
	struct stat st;
	return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

/* the fd's path ends with suffix (/proc/self/fd) */
static bool fd_named(int fd, const char *suffix)
{
	char link[64], path[4096];
	size_t n = strlen(suffix);

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t k = readlink(link, path, sizeof(path) - 1);
	if (k < 0 || (size_t)k < n)
		return false;
	path[k] = 0;
	return strcmp(path + k - n, suffix) == 0;
}

#define NEXT(name, type) static type real_##name; \
	if (!real_##name) real_##name = (type)dlsym(RTLD_NEXT, #name)

int openat(int dfd, const char *path, int flags, ...)
{
	typedef int (*fn)(int, const char *, int, ...);
	NEXT(openat, fn);
	mode_t mode = 0;
	int e;

	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if ((flags & O_CREAT) && strstr(path, ".tmp.") && armed("open", &e)) {
		errno = e;
		return -1;
	}
	return real_openat(dfd, path, flags, mode);
}

int fchmod(int fd, mode_t mode)
{
	typedef int (*fn)(int, mode_t);
	NEXT(fchmod, fn);
	int e;

	if (fd_is(fd, S_IFREG) && armed("fchmod", &e)) {
		errno = e;
		return -1;
	}
	return real_fchmod(fd, mode);
}

int fchown(int fd, uid_t u, gid_t g)
{
	typedef int (*fn)(int, uid_t, gid_t);
	NEXT(fchown, fn);
	int e;

	if (fd_is(fd, S_IFREG) && armed("fchown", &e)) {
		errno = e;
		return -1;
	}
	return real_fchown(fd, u, g);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	typedef ssize_t (*fn)(int, const void *, size_t);
	NEXT(write, fn);
	int e;

	if (fd > 2 && fd_is(fd, S_IFREG)) {
		written_fd = fd;
		if (armed("write", &e)) {
			errno = e;
			return -1;
		}
	}
	return real_write(fd, buf, n);
}

ssize_t read(int fd, void *buf, size_t n)
{
	typedef ssize_t (*fn)(int, void *, size_t);
	NEXT(read, fn);
	int e;

	if (fd > 2 && fd_is(fd, S_IFREG) && fd_named(fd, "/vms.json") && armed("read", &e)) {
		errno = e;
		return -1;
	}
	return real_read(fd, buf, n);
}

int fsync(int fd)
{
	typedef int (*fn)(int);
	NEXT(fsync, fn);
	int e;

	if ((fd_is(fd, S_IFREG) && armed("fsync", &e)) ||
	    (fd_is(fd, S_IFDIR) && armed("dirfsync", &e))) {
		errno = e;
		return -1;
	}
	return real_fsync(fd);
}

int close(int fd)
{
	typedef int (*fn)(int);
	NEXT(close, fn);
	int e, r;

	if (fd >= 0 && fd == written_fd) {
		written_fd = -1;
		r = real_close(fd);
		if (r == 0 && armed("close", &e)) { /* closed, but reports EIO (NFS-like) */
			errno = e;
			return -1;
		}
		return r;
	}
	return real_close(fd);
}

int renameat(int a, const char *from, int b, const char *to)
{
	typedef int (*fn)(int, const char *, int, const char *);
	NEXT(renameat, fn);
	int e;

	if (armed("rename", &e)) {
		errno = e;
		return -1;
	}
	return real_renameat(a, from, b, to);
}

/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/atomicio.h"
#include "core/deadline.h"
#include "core/err.h"
#include "core/file.h"

#define TMP_INFIX ".tmp."

/* Split path into a directory (heap) and the final component (points into path). */
static int split_path(const char *path, char **ret_dir, const char **ret_base)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *dir;

	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return -EINVAL;
	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	*ret_dir = dir;
	*ret_base = base;
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return bh_negerrno();
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int bh_atomic_write(const char *path, const void *data, size_t len, mode_t mode)
{
	char *dir = NULL, tmp[NAME_MAX + 1];
	const char *base;
	int dfd = -1, fd = -1, r;
	bool created = false;

	if ((r = split_path(path, &dir, &base)) < 0)
		return r;
	if (strlen(base) + sizeof(TMP_INFIX) + 16 > sizeof(tmp)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = bh_negerrno();
		goto out;
	}
	for (int tries = 0; fd < 0; tries++) {
		uint64_t rnd;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd)) {
			r = bh_negerrno();
			goto out;
		}
		snprintf(tmp, sizeof(tmp), ".%s" TMP_INFIX "%016llx", base, (unsigned long long)rnd);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
			    mode);
		if (fd < 0 && (errno != EEXIST || tries > 16)) {
			r = bh_negerrno();
			goto out;
		}
	}
	created = true;
	if (fchmod(fd, mode) < 0) {
		r = bh_negerrno();
		goto out;
	}
	/*
	 * Keep the replaced file's owner and group: root updating the blockhost-owned
	 * vms.json must not leave a root:root file the engine can no longer read.  Only
	 * a regular file is copied from (never through a symlink); a non-root writer
	 * that may not give the file away keeps its own ownership (EPERM ignored).
	 */
	struct stat old;
	if (fstatat(dfd, base, &old, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(old.st_mode) &&
	    fchown(fd, old.st_uid, old.st_gid) < 0 && errno != EPERM) {
		r = bh_negerrno();
		goto out;
	}
	if ((r = write_all(fd, data, len)) < 0)
		goto out;
	if (fsync(fd) < 0) {
		r = bh_negerrno();
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		r = bh_negerrno();
		goto out;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, base) < 0) {
		r = bh_negerrno();
		goto out;
	}
	created = false;
	/* Make the rename itself durable. */
	if (fsync(dfd) < 0) {
		r = bh_negerrno();
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (created)
		(void)unlinkat(dfd, tmp, 0);
	if (dfd >= 0)
		close(dfd);
	free(dir);
	return r;
}

int bh_atomic_write_json(const char *path, const json_t *j, mode_t mode)
{
	char *s;
	int r;

	if (!j || !(json_is_object(j) || json_is_array(j)))
		return BH_ERR_FORMAT;
	/* Insertion order (jansson >= 2.8 keeps it): rewrites keep the file's own order. */
	s = json_dumps(j, JSON_INDENT(2));
	if (!s)
		return -ENOMEM;
	size_t n = strlen(s);
	char *t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return -ENOMEM;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	r = bh_atomic_write(path, t, n + 1, mode);
	free(t);
	return r;
}

int bh_atomic_cleanup_stale(const char *path)
{
	char *dir = NULL, prefix[NAME_MAX + 1];
	const char *base;
	DIR *d = NULL;
	struct dirent *e;
	int r, n = 0;

	if ((r = split_path(path, &dir, &base)) < 0)
		return r;
	if ((size_t)snprintf(prefix, sizeof(prefix), ".%s" TMP_INFIX, base) >= sizeof(prefix)) {
		r = -ENAMETOOLONG;
		goto out;
	}
	if (!(d = opendir(dir))) {
		r = bh_negerrno();
		goto out;
	}
	size_t plen = strlen(prefix);
	while ((e = readdir(d))) {
		/* exactly our pattern: prefix + 16 hex digits */
		if (strncmp(e->d_name, prefix, plen) != 0 || strlen(e->d_name) != plen + 16 ||
		    strspn(e->d_name + plen, "0123456789abcdef") != 16)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0)
			n++;
	}
	r = n;
out:
	if (d)
		closedir(d);
	free(dir);
	return r;
}

int bh_file_load_safe(struct bh_buf *b, const char *path)
{
	return bh_buf_load_file_mode(b, path, S_IWOTH);
}

int bh_lock_acquire(const char *path, bool exclusive, int timeout_ms, struct bh_lock *ret_lock)
{
	static const struct bh_file_rules lock_rules = { .type = S_IFREG };
	int64_t deadline;
	long delay_us = 500;
	int fd, r;

	/* O_NONBLOCK: a FIFO planted at path must not hang the open (flock ignores it) */
	fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0640);
	if (fd < 0 && errno == EACCES)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? BH_ERR_UNSAFE_FILE : bh_negerrno();
	/* created here or not, it must be a regular file (core/file.h) */
	if ((r = bh_file_check(fd, path, &lock_rules, NULL, NULL)) < 0)
		goto fail;
	deadline = bh_deadline_from_ms(timeout_ms);
	for (;;) {
		int op = (exclusive ? LOCK_EX : LOCK_SH) | (timeout_ms < 0 ? 0 : LOCK_NB);
		if (flock(fd, op) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			r = bh_negerrno();
			goto fail;
		}
		if (bh_deadline_left(deadline) == 0) {
			r = BH_ERR_TIMEOUT;
			goto fail;
		}
		/* short exponential back-off, capped so waiters stay responsive */
		struct timespec ts = { 0, delay_us * 1000 };
		nanosleep(&ts, NULL);
		if (delay_us < 20000)
			delay_us *= 2;
	}
	ret_lock->fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

void bh_lock_release(struct bh_lock *l)
{
	if (!l || l->fd < 0)
		return;
	/* closing drops the flock; unlock first so it is released even if fd was dup'ed */
	(void)flock(l->fd, LOCK_UN);
	close(l->fd);
	l->fd = -1;
}

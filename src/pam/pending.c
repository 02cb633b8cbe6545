/* SPDX-License-Identifier: MIT */
/* libpw3: callback sessions in /run/libpam-web3/pending (see pw3.h). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hex.h"
#include "pw3.h"

int pw3_pending_open(const char *path, int *ret_fd)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		/* O_NOFOLLOW on a symlink gives ELOOP (or ENOTDIR with O_DIRECTORY) */
		return (errno == ELOOP || errno == ENOTDIR) ? BH_ERR_UNSAFE_FILE : bh_negerrno();
	}
	if (fstat(fd, &st) < 0) {
		int r = bh_negerrno();
		close(fd);
		return r;
	}
	if (!S_ISDIR(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & S_IWOTH)) {
		close(fd);
		return BH_ERR_UNSAFE_FILE;
	}
	*ret_fd = fd;
	return 0;
}

static void name_of(const char *sid, const char *ext, char out[static 64])
{
	snprintf(out, 64, "%s%s", sid, ext);
}

int pw3_session_create(int dfd, const struct pw3_otp *otp, struct pw3_session *ret)
{
	struct pw3_session s = { .dfd = dfd };
	struct stat st;
	uint8_t rnd[16];
	char tmp[64], json[64], sigp[64];
	char body[256];
	int fd = -1, r = BH_ERR_INTERNAL, n;
	bool created = false;

	if (fstat(dfd, &st) < 0) {
		r = bh_negerrno();
		goto out;
	}
	s.dir_gid = st.st_gid;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		r = bh_negerrno();
		goto out;
	}
	bh_hex_encode(rnd, sizeof(rnd), s.sid);
	name_of(s.sid, ".tmp", tmp);
	name_of(s.sid, ".json", json);
	name_of(s.sid, ".sig", sigp);
	/* A .sig that exists before its session is hostile (or a sid collision). */
	if (faccessat(dfd, sigp, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
	    faccessat(dfd, json, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		r = BH_ERR_EXISTS;
		goto out;
	}
	n = snprintf(body, sizeof(body), "{\"otp\":\"%s\",\"machine_id\":\"%s\",\"session_id\":\"%s\"}",
	             otp->code, otp->machine_id, s.sid);
	if (n < 0 || (size_t)n >= sizeof(body)) {
		r = BH_ERR_LIMIT;
		goto out;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = bh_negerrno();
		goto out;
	}
	created = true;
	/* the auth service reads it through the directory's group */
	if ((fchown(fd, (uid_t)-1, st.st_gid) < 0 && errno != EPERM) || fchmod(fd, 0640) < 0) {
		r = bh_negerrno();
		goto out;
	}
	for (size_t off = 0; off < (size_t)n;) {
		ssize_t w = write(fd, body + off, (size_t)n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? bh_negerrno() : -EIO;
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		r = bh_negerrno();
		goto out;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, json) < 0) {
		r = bh_negerrno();
		goto out;
	}
	created = false;
	(void)fsync(dfd);
	*ret = s;
	r = 0;
out:
	explicit_bzero(body, sizeof(body));
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		if (created)
			(void)unlinkat(dfd, tmp, 0);
		close(dfd);
	}
	return r;
}

int pw3_session_read_sig(const struct pw3_session *s, char **ret)
{
	struct bh_buf b;
	struct stat st;
	char name[64], *str = NULL;
	int fd = -1, r;

	bh_buf_init(&b, PW3_SIGFILE_MAX);
	name_of(s->sid, ".sig", name);
	fd = openat(s->dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		r = errno == ENOENT ? -ENOENT : errno == ELOOP ? BH_ERR_UNSAFE_FILE : bh_negerrno();
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = bh_negerrno();
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || (st.st_mode & S_IWOTH) ||
	    !(st.st_uid == 0 || st.st_uid == geteuid() || st.st_gid == s->dir_gid)) {
		r = BH_ERR_UNSAFE_FILE;
		goto out;
	}
	if ((uint64_t)st.st_size > PW3_SIGFILE_MAX) {
		r = BH_ERR_LIMIT;
		goto out;
	}
	if ((r = bh_buf_read_fd_all(&b, fd)) < 0 || (r = bh_buf_steal_cstr(&b, &str)) < 0)
		goto out;
	/* trim */
	size_t a = 0, e = strlen(str);
	while (a < e && (str[a] == ' ' || str[a] == '\t' || str[a] == '\r' || str[a] == '\n'))
		a++;
	while (e > a && (str[e - 1] == ' ' || str[e - 1] == '\t' || str[e - 1] == '\r' ||
	                 str[e - 1] == '\n'))
		e--;
	if (e == a) {
		r = -EAGAIN;
		goto out;
	}
	memmove(str, str + a, e - a);
	str[e - a] = '\0';
	*ret = str;
	str = NULL;
	r = 0;
out:
	free(str);
	if (fd >= 0)
		close(fd);
	bh_buf_done(&b);
	return r;
}

int pw3_session_poll(const struct pw3_session *s, unsigned interval_ms, unsigned total_ms,
                     char **ret)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int r = pw3_session_read_sig(s, ret);
		if (r != -ENOENT && r != -EAGAIN)
			return r;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long ms = (long long)(now.tv_sec - t0.tv_sec) * 1000 +
		               (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= (long long)total_ms)
			return BH_ERR_TIMEOUT;
		struct timespec d = { .tv_sec = interval_ms / 1000,
		                      .tv_nsec = (long)(interval_ms % 1000) * 1000000L };
		nanosleep(&d, NULL);
	}
}

void pw3_session_destroy(struct pw3_session *s)
{
	static const char *const ext[] = { ".json", ".sig", ".tmp", ".sig.tmp" };
	char name[64];
	if (!s || s->dfd < 0)
		return;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		name_of(s->sid, ext[i], name);
		(void)unlinkat(s->dfd, name, 0);
	}
	close(s->dfd);
	s->dfd = -1;
}

/* "<32 hex>" + one of the four session suffixes */
static bool session_file_name(const char *n)
{
	static const char *const ext[] = { ".json", ".sig", ".tmp", ".sig.tmp" };
	if (strnlen(n, PW3_SID_HEX) != PW3_SID_HEX || !pw3_sid_valid(n, PW3_SID_HEX))
		return false;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (!strcmp(n + PW3_SID_HEX, ext[i]))
			return true;
	return false;
}

int pw3_pending_sweep(int dfd, uint64_t now, uint64_t max_age)
{
	int fd, removed = 0;
	unsigned seen = 0;
	DIR *d;
	struct dirent *de;

	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return bh_negerrno();
	if (!(d = fdopendir(fd))) {
		int r = bh_negerrno();
		close(fd);
		return r;
	}
	while (seen < PW3_SWEEP_MAX && (de = readdir(d))) {
		struct stat st;
		seen++;
		if (!session_file_name(de->d_name))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (st.st_mtime < 0 || now < max_age || (uint64_t)st.st_mtime > now - max_age)
			continue;
		/* unlinkat never follows a symlink: if the entry was swapped for a link
		 * since fstatat (the service's group can write here), the link itself goes */
		if (unlinkat(dfd, de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

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
#include "core/file.h"
#include "core/hex.h"
#include "core/strutil.h"
#include "pw3.h"

int pw3_pending_open(const char *path, int *ret_fd)
{
	/* root's or ours, not world-writable (the group may write: the service's group) */
	const struct bh_file_rules rules = {
		.type = S_IFDIR,
		.owner = BH_FILE_OWNER_ROOT | BH_FILE_OWNER_SELF,
		.forbid_mode = S_IWOTH,
	};
	int fd, r;

	if ((r = bh_file_open(AT_FDCWD, path, O_RDONLY, &rules, &fd, NULL, NULL)) < 0)
		return r == -ENOTDIR ? BH_ERR_UNSAFE_FILE : r;
	*ret_fd = fd;
	return 0;
}

static void name_of(const char *sid, const char *ext, char out[static 64])
{
	snprintf(out, 64, "%s%s", sid, ext);
}

int pw3_session_create(int dfd, const struct pw3_otp *otp, const uint8_t wallet[static 20],
                       struct pw3_session *ret)
{
	struct pw3_session s = { .dfd = dfd };
	struct stat st;
	uint8_t rnd[16];
	char tmp[64], json[64], sigp[64], msg[PW3_MESSAGE_MAX], iso[PW3_ISO_LEN + 1], wh[41];
	char body[640];
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
	if ((n = pw3_message(otp, msg, sizeof(msg))) < 0 || (r = pw3_time_iso(otp->expires_at, iso)) < 0) {
		r = n < 0 ? n : r;
		goto out;
	}
	bh_hex_encode(wallet, 20, wh);
	/* upstream's three keys first (its pages read only those), then ours; every value
	 * is from a checked alphabet, so nothing needs JSON escaping */
	n = snprintf(body, sizeof(body), "{\"otp\":\"%s\",\"machine_id\":\"%s\",\"session_id\":\"%s\","
	             "\"nonce\":\"%s\",\"expires\":\"%s\",\"wallet\":\"0x%s\",\"message\":\"%s\"}",
	             otp->code, otp->machine_id, s.sid, otp->nonce_hex, iso, wh, msg);
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
	explicit_bzero(msg, sizeof(msg));
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
	char name[64], *str = NULL;
	int r;

	/* written by web3-auth-svc (the directory's group) or root; one link; not
	 * world-writable; at most PW3_SIGFILE_MAX */
	const struct bh_file_rules rules = {
		.type = S_IFREG,
		.owner = BH_FILE_OWNER_ROOT | BH_FILE_OWNER_SELF | BH_FILE_GROUP_GID,
		.gid = s->dir_gid,
		.forbid_mode = S_IWOTH,
		.single_link = true,
	};
	bh_buf_init(&b, 0);
	name_of(s->sid, ".sig", name);
	if ((r = bh_file_read(s->dfd, name, &rules, PW3_SIGFILE_MAX, &b, NULL)) < 0 ||
	    (r = bh_buf_steal_cstr(&b, &str)) < 0)
		goto out;
	size_t a, n = bh_str_trim(str, strlen(str), &a);
	if (n == 0) {
		r = -EAGAIN;
		goto out;
	}
	memmove(str, str + a, n);
	str[n] = '\0';
	*ret = str;
	str = NULL;
	r = 0;
out:
	free(str);
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

/* A directory stream of its own over the directory dfd is open on (the sweeps read it;
 * dfd stays open and unmoved). */
static int dir_stream(int dfd, DIR **ret)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return bh_negerrno();
	if (!(d = fdopendir(fd))) {
		int r = bh_negerrno();
		close(fd);
		return r;
	}
	*ret = d;
	return 0;
}

int pw3_pending_sweep(int dfd, uint64_t now, uint64_t max_age)
{
	int r, removed = 0;
	unsigned seen = 0;
	DIR *d;
	struct dirent *de;

	if ((r = dir_stream(dfd, &d)) < 0)
		return r;
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

/* ---------------------------------------------------------------- session JSON (service side) */

/* "key":"<value of charset ok>" at *p; copies the value (NUL-terminated) */
static bool json_str(const char **p, const char *end, const char *key, bool (*ok)(char),
                     size_t min, size_t max, char *out)
{
	const char *q = *p;
	size_t kl = strlen(key), n;
	if ((size_t)(end - q) < kl + 4 || q[0] != '"' || memcmp(q + 1, key, kl) || q[kl + 1] != '"' ||
	    q[kl + 2] != ':' || q[kl + 3] != '"')
		return false;
	q += kl + 4;
	const char *v = q;
	while (q < end && *q != '"' && ok(*q))
		q++;
	n = (size_t)(q - v);
	if (q >= end || *q != '"' || n < min || n > max)
		return false;
	memcpy(out, v, n);
	out[n] = '\0';
	*p = q + 1;
	return true;
}

static bool c_digit(char c) { return c >= '0' && c <= '9'; }
static bool c_lhex(char c) { return c_digit(c) || (c >= 'a' && c <= 'f'); }
static bool c_id(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c_digit(c) || c == '-' ||
	       c == '_' || c == '.';
}
static bool c_iso(char c) { return c_digit(c) || c == '-' || c == ':' || c == 'T' || c == 'Z'; }
static bool c_addr(char c) { return c_lhex(c) || c == 'x'; }
static bool c_msg(char c) { return c >= 0x20 && c < 0x7f && c != '\\'; }

int pw3_session_json_parse(const char *s, size_t len, struct pw3_session_info *ret)
{
	struct pw3_session_info si;
	struct pw3_message_parts mp;
	char code[PW3_OTP_MAX_LEN + 1], iso[PW3_ISO_LEN + 1], wtxt[43], check[PW3_MESSAGE_MAX];
	const char *p = s, *end = s + len;
	uint64_t exp;
	int n, r = BH_ERR_FORMAT;

	memset(&si, 0, sizeof(si));
	if (len > 1024 || memchr(s, '\0', len))
		goto out;
	if (p >= end || *p++ != '{' ||
	    !json_str(&p, end, "otp", c_digit, PW3_OTP_MIN_LEN, PW3_OTP_MAX_LEN, code) ||
	    p >= end || *p++ != ',' ||
	    !json_str(&p, end, "machine_id", c_id, 1, PW3_MACHINE_ID_MAX, si.parts.machine_id) ||
	    p >= end || *p++ != ',' ||
	    !json_str(&p, end, "session_id", c_lhex, PW3_SID_HEX, PW3_SID_HEX, si.sid) ||
	    p >= end || *p++ != ',' ||
	    !json_str(&p, end, "nonce", c_lhex, PW3_NONCE_HEX, PW3_NONCE_HEX, si.parts.nonce_hex) ||
	    p >= end || *p++ != ',' ||
	    !json_str(&p, end, "expires", c_iso, PW3_ISO_LEN, PW3_ISO_LEN, iso) ||
	    p >= end || *p++ != ',' ||
	    !json_str(&p, end, "wallet", c_addr, 42, 42, wtxt) ||
	    p >= end || *p++ != ',' ||
	    !json_str(&p, end, "message", c_msg, 1, PW3_MESSAGE_MAX - 1, si.message) ||
	    p >= end || *p++ != '}' || p != end)
		goto out;
	memcpy(si.parts.code, code, sizeof(code));
	if (pw3_time_parse_iso(iso, PW3_ISO_LEN, &exp) < 0 || wtxt[0] != '0' || wtxt[1] != 'x' ||
	    bh_hex_decode_ct(wtxt + 2, 40, si.wallet, 20) < 0)
		goto out;
	si.parts.expires_at = exp;
	si.message_len = strlen(si.message);
	/* the message says the same as the fields, byte for byte */
	if (pw3_message_parse(si.message, si.message_len, &mp) < 0)
		goto out;
	n = pw3_message_fmt(si.parts.machine_id, si.parts.code, si.parts.nonce_hex, exp, check,
	                    sizeof(check));
	if (n < 0 || (size_t)n != si.message_len || memcmp(check, si.message, (size_t)n)) {
		r = BH_ERR_MISMATCH;
		goto out;
	}
	*ret = si;
	r = 0;
out:
	explicit_bzero(&si, sizeof(si));
	explicit_bzero(code, sizeof(code));
	return r;
}

/* ---------------------------------------------------------------- module state dir */

int pw3_state_open(const char *path, int *ret_fd)
{
	/* ours alone: a directory we own with no group or world bits */
	const struct bh_file_rules rules = {
		.type = S_IFDIR, .owner = BH_FILE_OWNER_SELF, .forbid_mode = 077,
	};
	int fd, r;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return bh_negerrno();
	if ((r = bh_file_open(AT_FDCWD, path, O_RDONLY, &rules, &fd, NULL, NULL)) < 0)
		return r == -ENOTDIR ? BH_ERR_UNSAFE_FILE : r;
	*ret_fd = fd;
	return 0;
}

int pw3_used_record(int state_fd, const struct pw3_otp *otp)
{
	char name[8 + PW3_NONCE_HEX];
	int fd;
	snprintf(name, sizeof(name), "u-%s", otp->nonce_hex);
	fd = openat(state_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? BH_ERR_EXISTS : bh_negerrno();
	/* the name is the record; make it durable before the login is reported */
	if (fsync(fd) < 0) {
		int r = bh_negerrno();
		close(fd);
		return r;
	}
	close(fd);
	if (fsync(state_fd) < 0)
		return bh_negerrno();
	return 0;
}

static bool state_file_name(const char *n, char *kind)
{
	if ((n[0] != 'u' && n[0] != 'f') || n[1] != '-' || strnlen(n + 2, 40) != PW3_SID_HEX ||
	    !pw3_sid_valid(n + 2, PW3_SID_HEX))
		return false;
	*kind = n[0];
	return true;
}

int pw3_state_sweep(int state_fd, uint64_t now, uint64_t used_max_age, uint64_t fail_max_age)
{
	int r, removed = 0;
	unsigned seen = 0;
	DIR *d;
	struct dirent *de;

	if ((r = dir_stream(state_fd, &d)) < 0)
		return r;
	while (seen < PW3_SWEEP_MAX && (de = readdir(d))) {
		struct stat st;
		char kind;
		seen++;
		if (!state_file_name(de->d_name, &kind))
			continue;
		uint64_t max_age = kind == 'u' ? used_max_age : fail_max_age;
		if (fstatat(state_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (st.st_mtime < 0 || now < max_age || (uint64_t)st.st_mtime > now - max_age)
			continue;
		if (unlinkat(state_fd, de->d_name, 0) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}

void pw3_tls_fp_format(const uint8_t sha256[static 32], char out[static PW3_TLS_FP_LEN + 1])
{
	static const char hx[] = "0123456789ABCDEF";
	for (size_t i = 0; i < 32; i++) {
		out[3 * i] = hx[sha256[i] >> 4];
		out[3 * i + 1] = hx[sha256[i] & 15];
		out[3 * i + 2] = i == 31 ? '\0' : ':';
	}
}

bool pw3_tls_fp_valid(const char *s, size_t len)
{
	if (len != PW3_TLS_FP_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (i % 3 == 2 ? c != ':' : !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

int pw3_tls_fp_write(int dfd, const char *fp)
{
	static const char tmp[] = "." PW3_TLS_FP_FILE ".tmp";
	char line[PW3_TLS_FP_LEN + 2];
	int fd, r;

	if (!pw3_tls_fp_valid(fp, strlen(fp)))
		return -EINVAL;
	memcpy(line, fp, PW3_TLS_FP_LEN);
	line[PW3_TLS_FP_LEN] = '\n';
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return bh_negerrno();
	if (fchmod(fd, 0640) < 0 || write(fd, line, sizeof(line) - 1) != (ssize_t)sizeof(line) - 1 ||
	    fsync(fd) < 0) {
		r = bh_negerrno();
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || renameat(dfd, tmp, dfd, PW3_TLS_FP_FILE) < 0) {
		r = bh_negerrno();
		goto fail;
	}
	return 0;
fail:
	(void)unlinkat(dfd, tmp, 0);
	return r;
}

int pw3_tls_fp_read(const struct pw3_session *s, char out[static PW3_TLS_FP_LEN + 1])
{
	/* the .sig rules: web3-auth-svc (the directory's group) or root; one link */
	const struct bh_file_rules rules = {
		.type = S_IFREG,
		.owner = BH_FILE_OWNER_ROOT | BH_FILE_OWNER_SELF | BH_FILE_GROUP_GID,
		.gid = s->dir_gid,
		.forbid_mode = S_IWOTH,
		.single_link = true,
	};
	struct bh_buf b;
	char *str = NULL;
	size_t a, n;
	int r;

	bh_buf_init(&b, 0);
	if ((r = bh_file_read(s->dfd, PW3_TLS_FP_FILE, &rules, 256, &b, NULL)) < 0 ||
	    (r = bh_buf_steal_cstr(&b, &str)) < 0)
		goto out;
	n = bh_str_trim(str, strlen(str), &a);
	if (!pw3_tls_fp_valid(str + a, n)) {
		r = -EINVAL;
		goto out;
	}
	memcpy(out, str + a, PW3_TLS_FP_LEN);
	out[PW3_TLS_FP_LEN] = '\0';
	r = 0;
out:
	bh_buf_done(&b);
	free(str);
	return r;
}

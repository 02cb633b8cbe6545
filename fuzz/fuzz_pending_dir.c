/* SPDX-License-Identifier: MIT */
/*
 * Fuzz what pam_web3 does with the contents of the pending and state directories, which
 * the service's group (pending) can write: the input is a list of directory entries made
 * for real in two fresh directories, then the module's readers and sweeps run over them.
 *
 * Each record is 5 bytes plus content: b0 low 3 bits the kind (regular file, symlink,
 * hard link to the previous file, directory, FIFO, empty file, regular file whose length
 * is 16 bits: b4 and the byte after), b0 >> 3 the name (the
 * session's <sid>.sig/.json/.tmp/.sig.tmp, u-/f- state records, the TLS fingerprint file,
 * near misses: upper-case, short, long, dotted); b1 the mode bits (world-writable
 * included); b2 the age (mtime relative to now against the sweep's max age: newer,
 * exactly at, older, pre-1970, future); b3 bits 0-1 the owner (as is, another uid and
 * gid, another uid in the directory's group; root only), bit 7 the directory (pending or
 * state); b4 the content length, then the content.
 *
 * A regular <sid>.json's content goes through pw3_session_json_parse (what the service
 * reads).  Then pw3_tls_fp_write (a valid fingerprint when the input's length is odd),
 * pw3_session_create and pw3_used_record run over the same entries; the input's last
 * byte can arm a fault (fsync, renameat or fchmod failing with EIO) for one of them.
 *
 * Invariants: a session file is accepted only with its fields agreeing with its message,
 * the out-param untouched otherwise; pw3_session_read_sig and pw3_tls_fp_read accept only a regular file with
 * one link, not world-writable, owned by root/us or in the directory's group, and give
 * back trimmed non-empty text (a valid fingerprint); out-params are untouched on failure.
 * pw3_pending_sweep and pw3_state_sweep remove exactly the regular files with their own
 * name patterns whose mtime is at or past the max age, and nothing else (symlinks,
 * directories, FIFOs, other names and young files stay); the fingerprint write refuses
 * an invalid fingerprint and a directory in the way, replaces anything else, reads back
 * and leaves no temporary; the used record is refused (BH_ERR_EXISTS) exactly when an
 * entry of its name exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/err.h"
#include "pw3.h"

#define SID "0123456789abcdef0123456789abcdef"
#define NOW 2000000000ull
#define MAX_AGE 600u
#define MAX_ENTRIES 48

static const char *const names[] = {
	SID ".sig", SID ".json", SID ".tmp", SID ".sig.tmp",
	"u-" SID, "f-" SID, PW3_TLS_FP_FILE, SID ".sig",
	"fedcba9876543210fedcba9876543210.sig", "fedcba9876543210fedcba9876543210.json",
	"u-fedcba9876543210fedcba9876543210", "f-fedcba9876543210fedcba9876543210",
	"0123456789ABCDEF0123456789ABCDEF.sig", "0123456789abcdef0123456789abcde.sig",
	"0123456789abcdef0123456789abcdef0.sig", SID ".sigx", SID, "x-" SID,
	"u-" SID "0", "u-0123456789abcdef", ".sig", "u-", "." SID ".sig", SID ".JSON",
	"u-0123456789ABCDEF0123456789ABCDEF", "f_" SID, SID ".json.tmp", SID "..sig",
	"g" SID ".sig", "u-" SID ".sig", SID ".sig ", "." PW3_TLS_FP_FILE ".tmp",
};
static const long long ages[] = {
	0, 1, MAX_AGE - 1, MAX_AGE, MAX_AGE + 1, 86400, -100, -(long long)NOW - 5,
};

struct ent {
	char name[64];
	int dir;         /* 0 pending, 1 state */
	unsigned kind;   /* 0 reg, 1 symlink, 2 hardlink, 3 dir, 4 fifo, 5 empty */
	mode_t mode;
	long long mtime;
	uid_t uid;
	gid_t gid;
	size_t len;
	const uint8_t *content;
};

/*
 * Fault injection: fsync, renameat and fchmod are interposed (the module's code is linked
 * in) and fail with EIO on the n-th call once armed, so the write paths' failure handling
 * runs: the operation fails and leaves nothing behind.
 */
static int fault_kind, fault_n;  /* 0 off, 1 fsync, 2 renameat, 3 fchmod */
static bool fault_fired;
static bool fault(int kind)
{
	if (fault_kind != kind || fault_n-- != 0)
		return false;
	fault_fired = true;
	errno = EIO;
	return true;
}
int fsync(int fd)
{
	return fault(1) ? -1 : (int)syscall(SYS_fsync, fd);
}
int renameat(int ofd, const char *o, int nfd, const char *n)
{
	return fault(2) ? -1 : (int)syscall(SYS_renameat2, ofd, o, nfd, n, 0);
}
int fchmod(int fd, mode_t mode)
{
	return fault(3) ? -1 : (int)syscall(SYS_fchmod, fd, mode);
}
static void arm(const uint8_t *data, size_t size, unsigned op)
{
	uint8_t f = size ? data[size - 1] : 0;
	fault_kind = (f >> 3) % 3 == op ? f & 3 : 0;
	fault_n = (f >> 2) & 1;
	fault_fired = false;
}
static void disarm(void)
{
	fault_kind = 0;
}

static unsigned dir_count(int d)
{
	unsigned n = 0;
	int fd = openat(d, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dp = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dp)
		abort();
	while (readdir(dp))
		n++;
	closedir(dp);
	return n;
}

static int dfd[2] = { -1, -1 };
static char dpath[2][64];
static struct pw3_session sess = { .dfd = -1 };

static void clean(int d)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (unlinkat(dfd[d], names[i], 0) < 0 && errno == EISDIR)
			(void)unlinkat(dfd[d], names[i], AT_REMOVEDIR);
}

static void teardown(void)
{
	for (int d = 0; d < 2; d++) {
		clean(d);
		rmdir(dpath[d]);
	}
}

static void setup(void)
{
	for (int d = 0; d < 2; d++) {
		snprintf(dpath[d], sizeof(dpath[d]), "/tmp/pw3fuzzdir.XXXXXX");
		if (!mkdtemp(dpath[d]))
			abort();
	}
	if (chmod(dpath[0], 0750) < 0)
		abort();
	if (pw3_pending_open(dpath[0], &dfd[0]) < 0 || pw3_state_open(dpath[1], &dfd[1]) < 0)
		abort();
	struct stat st;
	if (fstat(dfd[0], &st) < 0)
		abort();
	sess.dfd = dfd[0];
	sess.dir_gid = st.st_gid;
	memcpy(sess.sid, SID, sizeof(sess.sid));
	atexit(teardown);
}

static bool make(struct ent *e, const struct ent *prev)
{
	int d = dfd[e->dir], fd;
	switch (e->kind) {
	case 1:
		if (symlinkat(prev ? prev->name : "no-such-file", d, e->name) < 0)
			return false;
		return true;
	case 2:
		if (!prev || prev->dir != e->dir || (prev->kind != 0 && prev->kind != 5) ||
		    linkat(d, prev->name, d, e->name, 0) < 0)
			return false;
		break;
	case 3:
		if (mkdirat(d, e->name, 0700) < 0)
			return false;
		break;
	case 4:
		if (mkfifoat(d, e->name, 0600) < 0)
			return false;
		break;
	default:
		fd = openat(d, e->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return false;
		if (e->kind == 0 && e->len && write(fd, e->content, e->len) != (ssize_t)e->len)
			abort();
		close(fd);
	}
	if (fchmodat(d, e->name, e->mode, 0) < 0)
		abort();
	if (geteuid() == 0 && (e->uid || e->gid) &&
	    fchownat(d, e->name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		abort();
	struct timespec ts[2] = { { .tv_sec = (time_t)e->mtime }, { .tv_sec = (time_t)e->mtime } };
	(void)utimensat(d, e->name, ts, AT_SYMLINK_NOFOLLOW);
	return true;
}

/* what the reader of dir/name must have seen for it to accept */
static void check_read(const char *name, const char *text)
{
	struct stat st;
	if (fstatat(dfd[0], name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1 || (st.st_mode & S_IWOTH) ||
	    !(st.st_uid == 0 || st.st_uid == geteuid() || st.st_gid == sess.dir_gid))
		abort();
	size_t n = strlen(text);
	if (!n || text[0] == ' ' || text[0] == '\n' || text[n - 1] == ' ' || text[n - 1] == '\n')
		abort();
}

static bool sweep_name(int dir, const char *n)
{
	static const char *const ext[] = { ".json", ".sig", ".tmp", ".sig.tmp" };
	if (dir == 0) {
		if (strnlen(n, 33) < 32 || !pw3_sid_valid(n, 32))
			return false;
		for (size_t i = 0; i < 4; i++)
			if (!strcmp(n + 32, ext[i]))
				return true;
		return false;
	}
	return (n[0] == 'u' || n[0] == 'f') && n[1] == '-' && strlen(n + 2) == 32 &&
	       pw3_sid_valid(n + 2, 32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ent ents[MAX_ENTRIES];
	size_t ne = 0, i = 0;
	if (sess.dfd < 0)
		setup();
	while (i + 5 <= size && ne < MAX_ENTRIES) {
		struct ent *e = &ents[ne];
		const uint8_t *r = data + i;
		memset(e, 0, sizeof(*e));
		e->kind = r[0] & 7;
		bool wide = e->kind == 6;  /* a regular file with a 16-bit length (b4, b5) */
		if (e->kind > 5)
			e->kind = 0;
		snprintf(e->name, sizeof(e->name), "%s", names[(r[0] >> 3) % (sizeof(names) / sizeof(names[0]))]);
		e->mode = (mode_t)(0400 | r[1]);  /* owner-readable; any other bit */
		if (e->kind == 3)
			e->mode |= 0700;
		e->mtime = (long long)NOW - ages[r[2] % 8];
		switch (r[3] & 3) {
		case 1: e->uid = 4242; e->gid = 4242; break;
		case 2: e->uid = 4242; e->gid = sess.dir_gid; break;
		case 3: e->uid = 0; e->gid = 4243; break;
		}
		e->dir = (r[3] >> 7) & 1;
		e->len = r[4];
		i += 5;
		if (wide && i < size)
			e->len = e->len << 8 | data[i++];
		if (e->len > size - i)
			e->len = size - i;
		e->content = data + i;
		i += e->len;
		if (make(e, ne ? &ents[ne - 1] : NULL))
			ne++;
	}

	/* what the service reads of a <sid>.json entry (a group member may have written it):
	 * accepted only in the module's exact layout, fields agreeing with the message */
	for (size_t k = 0; k < ne; k++) {
		if (ents[k].kind != 0 || ents[k].dir != 0 || strcmp(ents[k].name, SID ".json"))
			continue;
		struct pw3_session_info si;
		memset(&si, 0x5a, sizeof(si));
		int pr = pw3_session_json_parse((const char *)ents[k].content, ents[k].len, &si);
		if (pr == 0) {
			char check[PW3_MESSAGE_MAX];
			int n = pw3_message_fmt(si.parts.machine_id, si.parts.code, si.parts.nonce_hex,
			                        si.parts.expires_at, check, sizeof(check));
			if (!pw3_sid_valid(si.sid, strlen(si.sid)) || n < 0 || (size_t)n != si.message_len ||
			    memcmp(check, si.message, si.message_len) ||
			    !memmem(ents[k].content, ents[k].len, si.message, si.message_len))
				abort();
		} else {
			for (size_t b = 0; b < sizeof(si); b++)
				if (((const uint8_t *)&si)[b] != 0x5a)
					abort();  /* out-param untouched on failure */
			if (pr != BH_ERR_FORMAT && pr != BH_ERR_MISMATCH)
				abort();
		}
	}

	/* the fingerprint format: any 32 bytes give a valid fingerprint */
	if (size >= 32) {
		char fpf[PW3_TLS_FP_LEN + 1];
		pw3_tls_fp_format(data, fpf);
		if (strlen(fpf) != PW3_TLS_FP_LEN || !pw3_tls_fp_valid(fpf, strlen(fpf)))
			abort();
	}

	/* the module's readers */
	char *sig = (char *)"untouched";
	int r = pw3_session_read_sig(&sess, &sig);
	if (r == 0) {
		check_read(SID ".sig", sig);
		free(sig);
	} else if (strcmp(sig, "untouched")) {
		abort();
	}
	char fp[PW3_TLS_FP_LEN + 1] = "untouched";
	r = pw3_tls_fp_read(&sess, fp);
	if (r == 0) {
		check_read(PW3_TLS_FP_FILE, fp);
		if (!pw3_tls_fp_valid(fp, strlen(fp)))
			abort();
	} else if (strcmp(fp, "untouched")) {
		abort();
	}

	/* the service's fingerprint write: a valid one replaces whatever non-directory
	 * entry is there and reads back; an invalid one is refused and writes nothing */
	static const char fp_good[] = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
	                              "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
	struct stat fst;
	bool fp_dir = fstatat(dfd[0], PW3_TLS_FP_FILE, &fst, AT_SYMLINK_NOFOLLOW) == 0 &&
	              S_ISDIR(fst.st_mode);
	bool tmp_dir = fstatat(dfd[0], "." PW3_TLS_FP_FILE ".tmp", &fst, AT_SYMLINK_NOFOLLOW) == 0 &&
	               S_ISDIR(fst.st_mode);
	arm(data, size, 0);
	r = pw3_tls_fp_write(dfd[0], (size & 1) ? fp_good : "AB:CD");
	disarm();
	if (!(size & 1) ? r != -EINVAL : (fp_dir || tmp_dir || fault_fired) ? r == 0 : r != 0)
		abort();
	if (r == 0) {
		char back[PW3_TLS_FP_LEN + 1];
		if (pw3_tls_fp_read(&sess, back) < 0 || strcmp(back, fp_good))
			abort();
	}
	if ((size & 1) && !tmp_dir &&
	    faccessat(dfd[0], "." PW3_TLS_FP_FILE ".tmp", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		abort();  /* a write that ran leaves no temporary */

	/* which entries the sweeps must remove: a regular file of their name pattern, old */
	bool gone[MAX_ENTRIES], absent[MAX_ENTRIES];
	for (size_t k = 0; k < ne; k++) {
		struct stat st;
		gone[k] = absent[k] = false;
		if (fstatat(dfd[ents[k].dir], ents[k].name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			/* only the fingerprint write's temporary may have gone (it unlinks it) */
			if (ents[k].dir != 0 || strcmp(ents[k].name, "." PW3_TLS_FP_FILE ".tmp"))
				abort();
			absent[k] = true;
			continue;
		}
		if (S_ISREG(st.st_mode) && sweep_name(ents[k].dir, ents[k].name) && st.st_mtime >= 0 &&
		    (uint64_t)st.st_mtime <= NOW - MAX_AGE)
			gone[k] = true;
	}
	int n0 = pw3_pending_sweep(dfd[0], NOW, MAX_AGE);
	int n1 = pw3_state_sweep(dfd[1], NOW, MAX_AGE, MAX_AGE);
	if (n0 < 0 || n1 < 0)
		abort();
	for (size_t k = 0; k < ne; k++) {
		if (absent[k])
			continue;
		bool there = faccessat(dfd[ents[k].dir], ents[k].name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
		if (there == gone[k]) {
			fprintf(stderr, "%s/%s: %s by the sweep\n", ents[k].dir ? "state" : "pending",
			        ents[k].name, there ? "not removed" : "removed");
			abort();
		}
	}
	/* a session made next to the fuzzed entries: its file parses back to the challenge;
	 * a failed write leaves the directory as it was */
	struct pw3_otp otp;
	struct pw3_session ns = { .dfd = -1 };
	static const uint8_t wallet[20] = { 0xab, 0xcd };
	memset(&otp, 0, sizeof(otp));
	snprintf(otp.code, sizeof(otp.code), "123456");
	snprintf(otp.machine_id, sizeof(otp.machine_id), "m");
	memcpy(otp.nonce_hex, SID, sizeof(SID));
	otp.created_at = NOW;
	otp.expires_at = NOW + 90;
	unsigned before = dir_count(dfd[0]);
	int dup_fd = dup(dfd[0]);
	if (dup_fd < 0)
		abort();
	arm(data, size, 1);
	r = pw3_session_create(dup_fd, &otp, wallet, &ns);  /* takes dup_fd */
	disarm();
	if (r == 0) {
		char name[64], *js = NULL;
		struct pw3_session_info si;
		snprintf(name, sizeof(name), "%s.json", ns.sid);
		/* (a fault may have hit the directory's fsync after the rename: best effort) */
		if (pw3_read_small_file(dfd[0], name, 1024, &js) < 0 ||
		    pw3_session_json_parse(js, strlen(js), &si) < 0 || strcmp(si.sid, ns.sid) ||
		    memcmp(si.wallet, wallet, 20) || si.parts.expires_at != otp.expires_at)
			abort();
		free(js);
		pw3_session_destroy(&ns);
	} else if (!fault_fired || dir_count(dfd[0]) != before) {
		abort();  /* only an injected fault fails it, and it leaves nothing behind */
	}
	/* a used-challenge record: refused if any entry has its name, else created */
	bool exists = faccessat(dfd[1], "u-" SID, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	arm(data, size, 2);
	r = pw3_used_record(dfd[1], &otp);
	disarm();
	if (exists ? r != BH_ERR_EXISTS : fault_fired ? r == 0 : r != 0)
		abort();
	clean(0);
	clean(1);
	return 0;
}

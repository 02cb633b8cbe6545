/* SPDX-License-Identifier: MIT */
/*
 * Fuzz pam_web3 end to end: pam_sm_authenticate (src/pam/pam_web3.c, linked in, so it
 * is instrumented) on a real libpam handle (pam_start_confdir with a service file in a
 * temp dir; pam_get_user, pam_info, pam_prompt and pam_vprompt are libpam's own and call
 * our conversation).  The module is not dlopened through pam_authenticate: libFuzzer's
 * coverage would not see inside a separately built .so.  getpwnam_r is defined here (it
 * interposes libc's, as nss_wrapper does in test_pam_module) so the fuzzer also decides
 * the user's GECOS.
 *
 * Input: a header byte (pending dir or not, keep the per-user failure record, the "stderr"
 * argument with fixed randomness (getrandom is interposed: the harness plants a
 * used-challenge record and a .sig for the nonce and session id to come) or with that bit
 * a bad module argument, no PAM_USER so pam_get_user asks the conversation (an empty
 * PAM_USER for a user NSS does not know), a signing_host file, a fuzzed config, use_tls =
 * false, a small first getpwnam_r buffer), a GECOS byte (low 2 bits: alice's wallet,
 * fuzzed text (empty: a NULL pw_gecos), no such user, another wallet; then: a failure
 * record for the user (6 failures just now: the backoff), a malformed one (both bits: a
 * world-writable state directory, or with header bit 6 a symlinked record; the good one with header bit 6:
 * a state lock that cannot be taken), the
 * conversation failing on the info block, no run dir, a world-writable pending dir, a
 * stale session file to sweep), the chunks those need, then one op per prompt the module
 * makes: conversation error, NULL response array, NULL reply, a fuzzed reply (embedded
 * NULs kept), the right signature of the Message: line (as is, after the clock moved past
 * the challenge's expiry (time() is interposed too), with the next fsync failing (so is
 * fsync()), with one character replaced, padded with fuzzed bytes, repeated to a huge
 * reply), or Enter after a .sig was dropped in the session's pending dir (the right
 * signature, fuzzed bytes, a symlink to the right one, a world-writable one).
 *
 * Invariants: the result is PAM_SUCCESS, PAM_AUTH_ERR or PAM_CONV_ERR; PAM_SUCCESS only
 * for user alice, with good module arguments, when this harness gave a signature of the
 * shown message, through a safe path, by the key of the GECOS wallet (alice's or
 * mallory's).
 */
#include <dirent.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <security/pam_appl.h>
#include <security/pam_modules.h>

#include "core/hex.h"
#include "core/strutil.h"
#include "eth/eth.h"
#include "eth/secp.h"
#include "pw3.h"

#define SECRET "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define FP "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

struct in {
	const uint8_t *p;
	size_t n, i;
};

static uint8_t in_u8(struct in *in)
{
	return in->i < in->n ? in->p[in->i++] : 0;
}

/* a chunk: one length byte, then up to that many bytes */
static size_t in_chunk(struct in *in, const uint8_t **ret)
{
	size_t l = in_u8(in);
	if (l > in->n - in->i)
		l = in->n - in->i;
	*ret = in->p + in->i;
	in->i += l;
	return l;
}

static char root[64], cfgpath[128], rundir[128], pending[160], statedir[160], hostpath[160];
static char cfgarg[160], runarg[160];
static uint8_t key_alice[32], key_mallory[32];
static char alice_hex[41], mallory_hex[41];
static pam_handle_t *pamh;

/* ---------------------------------------------------------------- time */
/* time() interposed like getpwnam_r: a conversation answer can move the module's clock
 * past the challenge's expiry (the longest otp_ttl_seconds is 86400) */
static time_t clock_skew;
time_t time(time_t *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	time_t now = ts.tv_sec + clock_skew;
	if (t)
		*t = now;
	return now;
}

/* getrandom() too: with rand_fixed every byte is 0x5a, so the harness knows the
 * challenge's nonce and the session id before the module makes them */
static bool rand_fixed;
ssize_t getrandom(void *buf, size_t n, unsigned flags)
{
	if (rand_fixed) {
		memset(buf, 0x5a, n);
		return (ssize_t)n;
	}
	return syscall(SYS_getrandom, buf, n, flags);
}
#define FIXED_HEX "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"  /* nonce and sid under rand_fixed */

/* and fsync(): an answer can make the next one fail with EIO (the used-challenge record's) */
static bool fsync_fail;
int fsync(int fd)
{
	if (fsync_fail) {
		fsync_fail = false;
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_fsync, fd);
}

/* ---------------------------------------------------------------- getpwnam_r */
static struct {
	int mode;                 /* 0 alice's wallet, 1 fuzzed, 2 no such user, 3 mallory's */
	char gecos[300];
	bool small_buf;           /* ERANGE below 8 KiB (the module grows its buffer); with
	                           * mode 2: ERANGE at any size for alice, EIO for others */
} pw_ctl;

int getpwnam_r(const char *name, struct passwd *pwd, char *buf, size_t buflen,
               struct passwd **result)
{
	*result = NULL;
	if (pw_ctl.mode == 2 && pw_ctl.small_buf)
		return strcmp(name, "alice") ? EIO : ERANGE;  /* a broken NSS: an error, or ERANGE forever */
	if (strcmp(name, "alice") || pw_ctl.mode == 2)
		return 0;
	if (pw_ctl.small_buf && buflen < 8192)
		return ERANGE;
	const char *g = pw_ctl.gecos;
	size_t need = 6 + strlen(g) + 1 + 2 + 5 + 8;
	if (buflen < need)
		return ERANGE;
	char *p = buf;
	pwd->pw_name = strcpy(p, "alice");
	p += 6;
	pwd->pw_gecos = strcpy(p, g);
	if (pw_ctl.mode == 1 && !g[0])
		pwd->pw_gecos = NULL;  /* an NSS module may leave it NULL */
	p += strlen(g) + 1;
	pwd->pw_passwd = strcpy(p, "x");
	p += 2;
	pwd->pw_dir = strcpy(p, "/tmp");
	p += 5;
	pwd->pw_shell = strcpy(p, "/bin/sh");
	pwd->pw_uid = 4242;
	pwd->pw_gid = 4242;
	*result = pwd;
	return 0;
}

/* ---------------------------------------------------------------- the conversation */
struct conv_state {
	struct in *in;
	char info[2048];
	bool fail_info;           /* the conversation fails on the info block */
	unsigned signed_by;       /* a safe, exact signature of the shown message: 1 alice, 2 mallory */
};

static void shown(const struct conv_state *s, char msg[256], char sid[33])
{
	const char *p;
	msg[0] = sid[0] = '\0';
	if ((p = strstr(s->info, "\nMessage: ")))
		sscanf(p + 10, "%255[^\n]", msg);
	if ((p = strstr(s->info, "?session=")))
		sscanf(p + 9, "%32[0-9a-f]", sid);
}

static void sign_with(const uint8_t key[static 32], const char *m, char out[133])
{
	uint8_t d[32], sig[65];
	pw3_eip191_digest(m, strlen(m), d);
	if (bh_secp_sign(key, d, sig) < 0)
		abort();
	sig[64] = (uint8_t)(sig[64] + 27);
	out[0] = '0';
	out[1] = 'x';
	bh_hex_encode(sig, 65, out + 2);
}

static void put_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return;  /* e.g. no pending dir: nothing is dropped */
	if (len && write(fd, data, len) != (ssize_t)len)
		abort();
	fchmod(fd, mode);
	close(fd);
}

static char *dup_bytes(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/*
 * Is `a` (up to its first NUL) the signature `sig`, in any form the strict parser takes
 * (src/common's bh_sig_parse_hex: blanks around it, optional 0x, any case, v = 0/1,
 * 27/28 or EIP-155's >= 35)?  Compared as normalized bytes.
 */
static bool is_sig(const char *a, const char *sig)
{
	uint8_t x[65], y[65];
	return strlen(a) <= PW3_REPLY_MAX && bh_sig_parse_hex(a, strlen(a), x) == 0 &&
	       bh_sig_parse_hex(sig, strlen(sig), y) == 0 && !memcmp(x, y, 65);
}

/* one prompt's answer, chosen by the next input byte */
static int answer(struct conv_state *s, int style, char **ret)
{
	char m[256], sid[33], sig[133], path[256];
	const uint8_t *c;
	size_t cl;
	uint8_t op = in_u8(s->in);
	char *a = NULL;
	bool dropped = false;

	shown(s, m, sid);
	if (style == PAM_PROMPT_ECHO_ON && !m[0]) {
		/* pam_get_user asking for the name: alice, fuzzed bytes, a failure, too long */
		cl = in_chunk(s->in, &c);
		if ((op & 3) == 2)
			return -1;              /* the conversation fails: no user */
		if ((op & 3) == 3) {            /* over the module's 256-byte limit */
			char *u = malloc(300);
			if (!u)
				abort();
			memset(u, 'a', 299);
			u[299] = '\0';
			*ret = u;
		} else {
			*ret = (op & 1) ? dup_bytes(c, cl) : strdup("alice");
		}
		return 0;
	}
	/* bit 7 of the op: sign with mallory's key instead of alice's */
	if (m[0])
		sign_with((op & 0x80) ? key_mallory : key_alice, m, sig);
	else
		snprintf(sig, sizeof(sig), "0x");
	unsigned who = m[0] ? ((op & 0x80) ? 2u : 1u) : 0u;
	snprintf(path, sizeof(path), "%s/%s.sig", pending, sid);
	switch (op % 12) {
	case 0:
		return -1;                                  /* the conversation fails */
	case 1:
		return 1;                                   /* success, NULL response array */
	case 2:
		*ret = NULL;                                /* a NULL reply */
		return 0;
	case 3:
		cl = in_chunk(s->in, &c);
		a = dup_bytes(c, cl);                       /* NULs inside: the module sees a prefix */
		break;
	case 4:
		a = strdup(sig);
		fsync_fail = op & 0x20;  /* the login cannot be recorded */
		if (op & 0x40)
			clock_skew = 86400 + 3600;  /* signed, but after the challenge expired */
		else
			s->signed_by |= who;
		break;
	case 5: {
		uint8_t pos = in_u8(s->in), ch = in_u8(s->in);
		a = strdup(sig);
		size_t n = strlen(a);
		if (n)
			a[pos % n] = (char)ch;
		if (is_sig(a, sig))
			s->signed_by |= who;
		break;
	}
	case 6:
		put_file(path, sig, strlen(sig), 0640);
		dropped = true;
		if (sid[0])  /* a session was shown: the pending dir is there */
			s->signed_by |= who;
		a = strdup("");
		break;
	case 7:
		cl = in_chunk(s->in, &c);
		put_file(path, cl ? (const void *)c : "0", cl ? cl : 1, 0640);
		dropped = true;
		a = strdup("");
		break;
	case 8: {
		size_t n = ((size_t)in_u8(s->in) + 1) * 257, sl = strlen(sig);
		a = malloc(n + 1);
		if (!a)
			abort();
		for (size_t i = 0; i < n; i++)
			a[i] = sig[i % sl];
		a[n] = '\0';
		break;
	}
	case 9: {
		const uint8_t *c2;
		cl = in_chunk(s->in, &c);
		size_t cl2 = in_chunk(s->in, &c2);
		a = malloc(cl + strlen(sig) + cl2 + 1);
		if (!a)
			abort();
		memcpy(a, c, cl);
		memcpy(a + cl, sig, strlen(sig));
		memcpy(a + cl + strlen(sig), c2, cl2);
		a[cl + strlen(sig) + cl2] = '\0';
		if (is_sig(a, sig))
			s->signed_by |= who;
		break;
	}
	case 10: {
		char real[300];
		snprintf(real, sizeof(real), "%s.real", path);
		put_file(real, sig, strlen(sig), 0640);
		if (symlink(real, path) < 0)
			break;  /* no pending dir: nothing dropped, an empty answer */
		dropped = true;
		a = strdup("");
		break;
	}
	default:
		put_file(path, sig, strlen(sig), 0666);
		dropped = true;
		a = strdup("");
		break;
	}
	/* Enter with a session but nothing dropped would poll for callback_grace seconds:
	 * drop something so every input runs fast */
	if (!dropped && sid[0]) {
		size_t st;
		if (bh_str_trim(a, strlen(a), &st) == 0)
			put_file(path, "0x00", 4, 0640);
	}
	*ret = a;
	return 0;
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct conv_state *s = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_TEXT_INFO) {
			if (s->fail_info) {
				free(r);
				return PAM_CONV_ERR;
			}
			snprintf(s->info, sizeof(s->info), "%s", msg[i]->msg);
			continue;
		}
		if (msg[i]->msg_style == PAM_ERROR_MSG)
			continue;
		int k = answer(s, msg[i]->msg_style, &r[i].resp);
		if (k < 0 || k == 1) {
			for (int j = 0; j < n; j++)
				free(r[j].resp);
			free(r);
			if (k < 0)
				return PAM_CONV_ERR;
			*resp = NULL;
			return PAM_SUCCESS;
		}
		r[i].resp_retcode = in_u8(s->in) == 0xff ? 1 : 0;
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* ---------------------------------------------------------------- set-up */
static void wipe_dir(const char *dir, bool keep_fail_records)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[512];
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (keep_fail_records && !strncmp(e->d_name, "f-", 2))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
}

static void teardown(void)
{
	char p[256];
	wipe_dir(pending, false);
	wipe_dir(statedir, false);
	rmdir(pending);
	rmdir(statedir);
	unlink(hostpath);
	unlink(cfgpath);
	snprintf(p, sizeof(p), "%s/pam.d/fuzz", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/pam.d", root);
	rmdir(p);
	rmdir(rundir);
	rmdir(root);
	if (pamh)
		pam_end(pamh, PAM_SUCCESS);
}

static void setup(void)
{
	static struct pam_conv pc = { conv, NULL };
	char p[256];
	uint8_t a[20];
	snprintf(root, sizeof(root), "/tmp/pw3fuzzmod.XXXXXX");
	if (!mkdtemp(root))
		abort();
	snprintf(p, sizeof(p), "%s/pam.d", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/pam.d/fuzz", root);
	put_file(p, "auth required pam_permit.so\n", 28, 0644);
	snprintf(cfgpath, sizeof(cfgpath), "%s/config.toml", root);
	snprintf(rundir, sizeof(rundir), "%s/run", root);
	snprintf(pending, sizeof(pending), "%s/pending", rundir);
	snprintf(statedir, sizeof(statedir), "%s/state", rundir);
	snprintf(hostpath, sizeof(hostpath), "%s/signing_host", rundir);
	snprintf(cfgarg, sizeof(cfgarg), "config=%s", cfgpath);
	snprintf(runarg, sizeof(runarg), "run_dir=%s", rundir);
	mkdir(rundir, 0755);
	memset(key_alice, 0x11, 32);
	memset(key_mallory, 0x22, 32);
	if (bh_eth_address_from_priv(key_alice, a) < 0)
		abort();
	bh_hex_encode(a, 20, alice_hex);
	if (bh_eth_address_from_priv(key_mallory, a) < 0)
		abort();
	bh_hex_encode(a, 20, mallory_hex);
	snprintf(p, sizeof(p), "%s/pam.d", root);
	if (pam_start_confdir("fuzz", "alice", &pc, p, &pamh) != PAM_SUCCESS)
		abort();
	atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	struct conv_state cs = { .in = &in };
	struct pam_conv pc = { conv, &cs };
	const uint8_t *c;
	size_t cl;
	char doc[1024];

	if (!pamh)
		setup();
	clock_skew = 0;
	fsync_fail = false;
	uint8_t h = in_u8(&in), g = in_u8(&in);
	/* the config: a good one (callback grace 1 s, the shortest), or fuzzed bytes */
	if (h & 0x20) {
		cl = in_chunk(&in, &c);
		unlink(cfgpath);
		put_file(cfgpath, c, cl, 0640);
	} else {
		int n = snprintf(doc, sizeof(doc), "[machine]\nid = \"fuzz-vm\"\nsecret_key = \"%s\"\n"
		                 "[auth]\ncallback_grace_seconds = 1\n%s", SECRET,
		                 (h & 0x40) ? "use_tls = false\n" : "");
		unlink(cfgpath);
		put_file(cfgpath, doc, (size_t)n, 0640);
	}
	if (h & 0x10) {
		cl = in_chunk(&in, &c);
		put_file(hostpath, c, cl, 0644);
	} else {
		unlink(hostpath);
	}
	if (h & 1) {
		mkdir(pending, 0750);
		chmod(pending, (g & 0x40) ? 0777 : 0750);   /* world-writable: not safe */
		if (h & 0x10) {  /* with a signing host, the service's certificate fingerprint */
			char p[256];
			snprintf(p, sizeof(p), "%s/%s", pending, PW3_TLS_FP_FILE);
			put_file(p, FP "\n", sizeof(FP), 0640);
		}
		if (g & 0x80) {                              /* a killed login's leftovers */
			char p[256];
			struct timespec old[2] = { { 1000, 0 }, { 1000, 0 } };
			snprintf(p, sizeof(p), "%s/ffffffffffffffffffffffffffffffff.json", pending);
			put_file(p, "{}", 2, 0640);
			utimensat(AT_FDCWD, p, old, 0);
		}
	}
	cs.fail_info = g & 0x10;
	if (g & 0x0c) {                                  /* the user's failure record */
		char rec[40], p[256], line[64];
		struct pw3_backoff b = { 6, (uint64_t)time(NULL) };
		int n = pw3_backoff_format(&b, line, sizeof(line));
		mkdir(statedir, 0700);
		bool link_rec = (g & 0x0c) == 0x0c && (h & 0x40);
		if ((g & 0x0c) == 0x04 && (h & 0x40)) {  /* the state lock cannot be taken */
			snprintf(p, sizeof(p), "%s/.lock", statedir);
			mkdir(p, 0700);
		}
		if ((g & 0x0c) == 0x0c && !link_rec)
			chmod(statedir, 0777);  /* both bits: an unsafe state directory */
		pw3_backoff_name("alice", rec);
		snprintf(p, sizeof(p), "%s/%s", statedir, rec);
		if (link_rec) {        /* both bits and h bit 6: the record is a symlink */
			char real[300];
			snprintf(real, sizeof(real), "%s.real", p);
			if (n > 0)
				put_file(real, line, (size_t)n, 0600);
			unlink(p);
			if (symlink(real, p) < 0)
				abort();
		} else if (g & 0x08) {
			put_file(p, "garbage\n", 8, 0600);
		} else if (n > 0) {
			put_file(p, line, (size_t)n, 0600);
		}
	}
	pw_ctl.mode = g % 4;
	pw_ctl.small_buf = h & 0x80;
	if (pw_ctl.mode == 1) {
		cl = in_chunk(&in, &c);
		memcpy(pw_ctl.gecos, c, cl);
		pw_ctl.gecos[cl] = '\0';
	} else {
		snprintf(pw_ctl.gecos, sizeof(pw_ctl.gecos), "wallet=0x%s,nft=7",
		         pw_ctl.mode == 3 ? mallory_hex : alice_hex);
	}
	static char norun[200];
	snprintf(norun, sizeof(norun), "run_dir=%s/none", root);
	static const char *const bad[] = { "bogus=1", "config=relative", "run_dir=relative",
		                           "run_dir=/tmp/../etc" };
	const char *argv[4] = { cfgarg, (g & 0x20) ? norun : runarg, "stderr", bad[(g >> 4) & 3] };
	if (pam_set_item(pamh, PAM_CONV, &pc) != PAM_SUCCESS ||
	    pam_set_item(pamh, PAM_USER, !(h & 8) ? "alice" :
	                 (pw_ctl.mode == 2 && !(h & 0x80)) ? "" : NULL) != PAM_SUCCESS)
		abort();

	/* bit 2 with bit 1: a bad module argument; bit 2 alone: the "stderr" argument and
	 * fixed randomness, with a used-challenge record for the coming nonce planted in the
	 * state dir (a replay: refused after verification) and a .sig for the coming sid in
	 * the pending dir (a hostile leftover: no callback session) */
	bool bad_arg = (h & 4) && (h & 2), planted = false;
	rand_fixed = (h & 4) && !(h & 2);
	if (rand_fixed) {
		char p[256];
		mkdir(statedir, 0700);
		snprintf(p, sizeof(p), "%s/u-" FIXED_HEX, statedir);
		put_file(p, "", 0, 0600);
		planted = !(g & 0x20);  /* the module uses this run dir */
		if (h & 1) {  /* a .sig (or, with g bit 7, a .tmp) for the coming session id */
			snprintf(p, sizeof(p), "%s/" FIXED_HEX "%s", pending, (g & 0x80) ? ".tmp" : ".sig");
			put_file(p, "0x00", 4, 0640);
		}
	}
	int r = pam_sm_authenticate(pamh, 0, bad_arg ? 4 : (h & 4) ? 3 : 2, argv);
	rand_fixed = false;
	/* the module's other entry points answer success whatever the input */
	if (pam_sm_setcred(pamh, 0, 0, NULL) != PAM_SUCCESS ||
	    pam_sm_acct_mgmt(pamh, 0, 0, NULL) != PAM_SUCCESS)
		abort();

	if (getenv("PW3_FUZZ_VERBOSE"))  /* seeds: what each one reached */
		fprintf(stderr, "pam_sm_authenticate = %d (%s), signed_by %u\n", r,
		        pam_strerror(pamh, r), cs.signed_by);
	if (r != PAM_SUCCESS && r != PAM_AUTH_ERR && r != PAM_CONV_ERR)
		abort();
	if (r == PAM_SUCCESS) {
		const char *user = NULL;
		bool alice = pw_ctl.mode == 0 || (pw_ctl.mode == 1 && strcasestr(pw_ctl.gecos, alice_hex));
		bool mallory = pw_ctl.mode == 3 ||
		               (pw_ctl.mode == 1 && strcasestr(pw_ctl.gecos, mallory_hex));
		if (!((alice && (cs.signed_by & 1)) || (mallory && (cs.signed_by & 2))) || bad_arg ||
		    planted ||
		    pam_get_item(pamh, PAM_USER, (const void **)&user) != PAM_SUCCESS || !user ||
		    strcmp(user, "alice"))
			abort();
	}
	/* a fresh start for the next input (the failure record only if asked to keep it) */
	wipe_dir(pending, false);
	rmdir(pending);
	wipe_dir(statedir, h & 2);
	char up[256];
	snprintf(up, sizeof(up), "%s/u-" FIXED_HEX, statedir);
	unlink(up);
	snprintf(up, sizeof(up), "%s/.lock", statedir);
	(void)rmdir(up);  /* the lock made a directory (a file is unlinked above) */
	(void)chmod(statedir, 0700);
	return 0;
}

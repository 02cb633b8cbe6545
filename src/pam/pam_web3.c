/* SPDX-License-Identifier: MIT */
/*
 * pam_web3: SSH login by wallet signature (upstream.md §5.4).  The module makes a
 * challenge (code, 128-bit nonce, expiry), shows upstream's info block plus the whole
 * text to sign on a "Message: " line, and accepts either a pasted EIP-191 signature of
 * that text or — with an empty answer — one that the signing page posted to
 * web3-auth-svc, which drops it in /run/libpam-web3/pending/<sid>.sig.  A challenge is
 * accepted once (recorded in <run_dir>/state); failures are delayed (pam_fail_delay and
 * a per-user backoff) and explained to the user (docs/pam_web3.md).
 *
 * Every path that does not end in a verified signature from the GECOS wallet
 * returns a failure code (PAM_AUTH_ERR, or PAM_CONV_ERR when the conversation
 * itself fails); nothing returns PAM_IGNORE.  Module arguments:
 *   config=<absolute path>   read this config instead of /etc/pam_web3/config.toml
 *   run_dir=<absolute path>  use this instead of /run/libpam-web3 (pending/, signing_host)
 * Nothing else moves those paths: BLOCKHOST_ROOT is deliberately not honoured here.
 *   stderr                   also copy log lines to stderr (tests)
 * Any other argument is an error (fail closed).
 * Logs (LOG_AUTH, ident pam_web3) never contain the OTP, the secret or a signature.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include <secp256k1.h>

#include "core/atomicio.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/path.h"
#include "core/strutil.h"
#include "eth/eth.h"
#include "host/gecos.h"
#include "eth/secp.h"
#include "pw3.h"

#define POLL_INTERVAL_MS 250

struct ctx {
	pam_handle_t *pamh;
	bool to_stderr;
	const char *config_path;
	const char *run_dir;
};

/*
 * <run dir>/<name>: the run_dir= argument, else the fixed /run/libpam-web3.
 * The module's trust anchors (config, run dir) never move with the environment:
 * bh_path() would honour BLOCKHOST_ROOT, which a PAM module must not (the tools and
 * web3-auth-svc still do).  Tests use the config= and run_dir= arguments instead.
 */
static int run_path(const struct ctx *c, const char *name, char **ret)
{
	if (asprintf(ret, "%s/%s", c->run_dir ? c->run_dir : bh_dir_default(BH_DIR_PAM_RUN),
	             name) < 0)
		return -ENOMEM;
	return 0;
}

static void wlog(const struct ctx *c, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void wlog(const struct ctx *c, int prio, const char *fmt, ...)
{
	char line[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* open/close per message like OpenSSH, so the host process's syslog state is restored
	 * to the default on return */
	openlog("pam_web3", LOG_PID | (c->to_stderr ? LOG_PERROR : 0), LOG_AUTH);
	syslog(LOG_AUTH | prio, "pam_web3: %s", line);
	closelog();
}

static int parse_args(struct ctx *c, int argc, const char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "config=", 7) && argv[i][7] == '/')
			c->config_path = argv[i] + 7;
		else if (!strncmp(argv[i], "run_dir=", 8) && argv[i][8] == '/' && !strstr(argv[i], ".."))
			c->run_dir = argv[i] + 8;
		else if (!strcmp(argv[i], "stderr"))
			c->to_stderr = true;
		else {
			wlog(c, LOG_ERR, "unknown module argument '%.64s'", argv[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* The user's GECOS via getpwnam_r; buffer 4 KiB growing on ERANGE up to 1 MiB. */
static int user_gecos(const char *user, char **ret)
{
	struct passwd pw, *res = NULL;
	size_t sz = 4096;
	char *buf = NULL;
	int e;

	for (;;) {
		char *nb = realloc(buf, sz);
		if (!nb) {
			free(buf);
			return -ENOMEM;
		}
		buf = nb;
		e = getpwnam_r(user, &pw, buf, sz, &res);
		if (e != ERANGE || sz >= 1024 * 1024)
			break;
		sz *= 2;
	}
	if (e != 0 || !res) {
		free(buf);
		return e ? -e : BH_ERR_NOT_FOUND;
	}
	char *g = strdup(pw.pw_gecos ? pw.pw_gecos : "");
	free(buf);
	if (!g)
		return -ENOMEM;
	*ret = g;
	return 0;
}

/* Signing host: /run/libpam-web3/signing_host (trimmed) or gethostname(). */
static void signing_host(const struct ctx *c, char *out, size_t outlen)
{
	char *path = NULL, *s = NULL;
	if (run_path(c, "signing_host", &path) == 0 &&
	    pw3_read_small_file(AT_FDCWD, path, 256, &s) == 0) {
		size_t off, n = bh_str_trim(s, strlen(s), &off);
		const char *a = s + off, *e = a + n;
		if (pw3_host_valid(a, (size_t)(e - a)) && (size_t)(e - a) < outlen) {
			memcpy(out, a, (size_t)(e - a));
			out[e - a] = '\0';
			free(s);
			free(path);
			return;
		}
		if (e > a)
			wlog(c, LOG_WARNING, "ignoring malformed signing_host file");
	}
	free(s);
	free(path);
	if (gethostname(out, outlen) < 0 || !pw3_host_valid(out, strnlen(out, outlen)))
		snprintf(out, outlen, "localhost");
}

static uint64_t now_s(void)
{
	return (uint64_t)time(NULL);
}

static void free_secret_str(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/*
 * Tell the user, in the session, why an attempt failed (issue 18).  sshd shows a
 * PAM_ERROR_MSG sent after the last prompt before the next attempt's prompt.  A
 * conversation that cannot show it changes nothing: the attempt fails anyway.
 */
static void tell(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tell(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)pam_vprompt(c->pamh, PAM_ERROR_MSG, NULL, fmt, ap);
	va_end(ap);
}

/* "HH:MM:SS" of t (UTC) */
static void hms(uint64_t t, char out[static 9])
{
	char iso[PW3_ISO_LEN + 1];
	if (pw3_time_iso(t, iso) < 0)
		snprintf(out, 9, "??:??:??");
	else
		snprintf(out, 9, "%.8s", iso + 11);
}

/* ---------------------------------------------------------------- per-user backoff */
struct state {
	int fd;                 /* <run dir>/state, or -1 when the run dir does not exist */
	char *dir;
	char rec[40];           /* f-<hash of the user> */
};

/* Read the user's record under the lock; a missing record is a fresh one. */
static int backoff_load(const struct ctx *c, const struct state *st, struct pw3_backoff *ret)
{
	struct bh_buf b;
	char *path = NULL;
	int r;
	bh_buf_init(&b, 256);
	if (asprintf(&path, "%s/%s", st->dir, st->rec) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto out;
	}
	r = bh_file_load_safe(&b, path);
	if (r == -ENOENT) {
		*ret = (struct pw3_backoff){ 0, 0 };
		r = 0;
		goto out;
	}
	if (r < 0)
		goto out;
	if ((r = pw3_backoff_parse((const char *)bh_buf_ptr(&b), bh_buf_len(&b), ret)) < 0) {
		/* only a crash could leave one (atomic writes); start again */
		wlog(c, LOG_WARNING, "malformed failure record %s ignored", path);
		*ret = (struct pw3_backoff){ 0, 0 };
		r = 0;
	}
out:
	free(path);
	bh_buf_done(&b);
	return r;
}

static int state_lock(const struct state *st, struct bh_lock *ret)
{
	char *lp = NULL;
	int r;
	if (asprintf(&lp, "%s/.lock", st->dir) < 0)
		return -ENOMEM;
	r = bh_lock_acquire(lp, true, 2000, ret);
	free(lp);
	return r;
}

/* Seconds the user must wait before this attempt may proceed (0: go on). */
static uint64_t backoff_check(const struct ctx *c, const struct state *st, uint64_t now)
{
	struct bh_lock l = BH_LOCK_INIT;
	struct pw3_backoff b;
	uint64_t w = 0;
	if (st->fd < 0)
		return 0;
	if (state_lock(st, &l) == 0 && backoff_load(c, st, &b) == 0)
		w = pw3_backoff_wait(&b, now);
	bh_lock_release(&l);
	return w;
}

/* One more failure for the user (read-modify-write under the lock, atomic replace). */
static void backoff_fail(const struct ctx *c, const struct state *st, uint64_t now)
{
	struct bh_lock l = BH_LOCK_INIT;
	struct pw3_backoff b;
	char line[64], *path = NULL;
	int r, n;
	if (st->fd < 0)
		return;
	if ((r = state_lock(st, &l)) < 0 || (r = backoff_load(c, st, &b)) < 0)
		goto out;
	pw3_backoff_fail(&b, now);
	if ((n = pw3_backoff_format(&b, line, sizeof(line))) < 0) {
		r = n;
		goto out;
	}
	if (asprintf(&path, "%s/%s", st->dir, st->rec) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto out;
	}
	r = bh_atomic_write(path, line, (size_t)n, 0600);
out:
	if (r < 0)
		wlog(c, LOG_WARNING, "cannot record the failure: %s", bh_strerror(r));
	bh_lock_release(&l);
	free(path);
}

static void backoff_clear(const struct state *st)
{
	struct bh_lock l = BH_LOCK_INIT;
	if (st->fd < 0)
		return;
	if (state_lock(st, &l) == 0)
		(void)unlinkat(st->fd, st->rec, 0);
	bh_lock_release(&l);
}

/* What the user reads for a rejected signature (the log line says it too). */
static void tell_rejected(const struct ctx *c, int r, const struct pw3_otp *otp,
                          const char *sigtext, const uint8_t wallet[static 20], unsigned ttl)
{
	char t[9], m[PW3_MESSAGE_MAX], who[BH_ADDR_STR_LEN + 1], own[BH_ADDR_STR_LEN + 1];
	uint8_t signer[20];
	int n;

	switch (r) {
	case BH_ERR_EXPIRED:
		hms(otp->expires_at, t);
		tell(c, "Challenge expired at %s UTC (it was valid for %u seconds). "
		     "Log in again to get a new one.", t, ttl);
		break;
	case BH_ERR_STATE:
		tell(c, "This challenge was already used. Log in again to get a new one.");
		break;
	case BH_ERR_MISMATCH:
		bh_eth_addr_checksum(wallet, own);
		if ((n = pw3_message(otp, m, sizeof(m))) > 0 &&
		    pw3_recover_signer(m, (size_t)n, sigtext, strlen(sigtext), signer) == 0) {
			bh_eth_addr_checksum(signer, who);
			tell(c, "Signature rejected: it is from wallet %s, but this VM belongs to the "
			     "wallet in its NFT, %s. Sign the Message: line above, exactly as shown, "
			     "with that wallet (an old signature, or one of any other text, comes out "
			     "as a different wallet).", who, own);
		} else {
			tell(c, "Signature rejected: it is not from the wallet in this VM's NFT, %s.", own);
		}
		explicit_bzero(m, sizeof(m));
		break;
	default:
		tell(c, "Signature rejected: malformed or truncated (%s). Paste the whole 0x... "
		     "signature (132 characters) on one line.", bh_strerror(r));
		break;
	}
}

static int authenticate(struct ctx *c)
{
	struct pw3_config cfg;
	struct pw3_otp otp;
	struct pw3_session sess = { .dfd = -1 };
	struct state st = { .fd = -1 };
	struct bh_msg msg = { { 0 } };
	const char *user = NULL;
	char *gecos = NULL, *path = NULL, *reply = NULL, *sigtext = NULL;
	char host[256], url[PW3_URL_MAX + 64], info[PW3_URL_MAX + PW3_MESSAGE_MAX + 768];
	char ulog[65] = "", m[PW3_MESSAGE_MAX], t[9];
	uint8_t wallet[20];
	bool have_session = false, attempted = false;
	int pr = PAM_AUTH_ERR, r, dfd = -1;

	memset(&cfg, 0, sizeof(cfg));
	memset(&otp, 0, sizeof(otp));
	memset(m, 0, sizeof(m));
	memset(url, 0, sizeof(url));
	/* 1. config: config= argument, else the fixed /etc/pam_web3/config.toml */
	if (!c->config_path &&
	    asprintf(&path, "%s/config.toml", bh_dir_default(BH_DIR_PAM_ETC)) < 0) {
		path = NULL;
		wlog(c, LOG_ERR, "cannot build the config path: out of memory");
		goto out;
	}
	if ((r = pw3_config_load(c->config_path ? c->config_path : path, &cfg, &msg)) < 0) {
		wlog(c, LOG_ERR, "config: %s", msg.text);
		goto out;
	}
	/* 2. user and wallet */
	if ((r = pam_get_user(c->pamh, &user, NULL)) != PAM_SUCCESS || !user || !*user) {
		wlog(c, LOG_ERR, "no user name");
		goto out;
	}
	if (strlen(user) > 256) {
		wlog(c, LOG_ERR, "user name too long");
		goto out;
	}
	/* the name comes from the network: print only [A-Za-z0-9._@-], '?' for the rest */
	bh_str_sanitize_as(user, BH_STR_CSTR, ulog, sizeof(ulog), BH_STR_KEEP_NAME);
	if ((r = user_gecos(user, &gecos)) < 0) {
		wlog(c, LOG_NOTICE, "user '%s': not found: %s", ulog, bh_strerror(r));
		goto out;
	}
	if ((r = bh_gecos_login_wallet(gecos, wallet, &msg)) < 0) {
		wlog(c, LOG_NOTICE, "user '%s': %s", ulog, msg.text);
		goto out;
	}
	/* 3. the module's state dir (used challenges, failure records), then the backoff */
	if (run_path(c, "state", &st.dir) < 0) {
		st.dir = NULL;
		wlog(c, LOG_ERR, "cannot build the state path: out of memory");
		goto out;
	}
	r = pw3_state_open(st.dir, &st.fd);
	if (r == -ENOENT) {
		/* no run dir at all: no backoff, no used-challenge records (the challenge is
		 * still single-use inside this process) */
		wlog(c, LOG_WARNING, "no state directory %s: no failure backoff", st.dir);
	} else if (r < 0) {
		wlog(c, LOG_ERR, "state directory %s: %s", st.dir, bh_strerror(r));
		goto out;
	} else {
		pw3_backoff_name(user, st.rec);
		(void)pw3_state_sweep(st.fd, now_s(), (uint64_t)cfg.otp_ttl + cfg.callback_grace +
		                      PW3_SWEEP_MARGIN, PW3_FAIL_MAX + PW3_SWEEP_MARGIN);
		uint64_t w = backoff_check(c, &st, now_s());
		if (w > 0) {
			hms(now_s() + w, t);
			wlog(c, LOG_NOTICE, "user '%s': too many failed attempts, %llu s to wait", ulog,
			     (unsigned long long)w);
			tell(c, "Too many failed attempts for this account: try again in %llu seconds "
			     "(after %s UTC).", (unsigned long long)w, t);
			goto out;
		}
	}
	/* 4. challenge: code, nonce, expiry */
	if ((r = pw3_otp_new(&cfg, now_s(), &otp)) < 0) {
		wlog(c, LOG_ERR, "cannot generate a code: %s", bh_strerror(r));
		goto out;
	}
	if ((r = pw3_message(&otp, m, sizeof(m))) < 0) {
		wlog(c, LOG_ERR, "cannot build the message: %s", bh_strerror(r));
		goto out;
	}
	/* 5. callback session, if the pending dir exists and is safe */
	free(path);
	path = NULL;
	if (run_path(c, "pending", &path) == 0) {
		r = pw3_pending_open(path, &dfd);
		if (r == 0) {
			/* files of sessions whose module process was killed (LoginGraceTime) */
			int n = pw3_pending_sweep(dfd, now_s(), (uint64_t)cfg.otp_ttl +
			                          cfg.callback_grace + PW3_SWEEP_MARGIN);
			if (n > 0)
				wlog(c, LOG_INFO, "removed %d stale session file(s)", n);
			else if (n < 0)
				wlog(c, LOG_WARNING, "cannot sweep the pending directory: %s",
				     bh_strerror(n));
			r = pw3_session_create(dfd, &otp, wallet, &sess);
			dfd = -1;
			if (r == 0)
				have_session = true;
			else
				wlog(c, LOG_WARNING, "cannot create a callback session (manual only): %s",
				     bh_strerror(r));
		} else if (r != -ENOENT) {
			wlog(c, LOG_WARNING, "pending directory %s is not safe (manual only): %s",
			     path, bh_strerror(r));
		}
	}
	/* 6-8. URL, info block (upstream's four lines, then the message on a line of its own,
	 * the time limit and what to do), prompt (upstream's) */
	signing_host(c, host, sizeof(host));
	snprintf(url, sizeof(url), "%s://%s:%u%s%s", cfg.use_tls ? "https" : "http", host,
	         (unsigned)pw3_chain_port("evm"), have_session ? "?session=" : "",
	         have_session ? sess.sid : "");
	hms(otp.expires_at, t);
	/* the page's certificate fingerprint, written by web3-auth-svc (issue 18): what the
	 * user compares when the browser warns about the self-signed certificate */
	char fp[PW3_TLS_FP_LEN + 1], tls[PW3_TLS_FP_LEN + 128] = "";
	if (have_session && cfg.use_tls && pw3_tls_fp_read(&sess, fp) == 0)
		snprintf(tls, sizeof(tls), "If the browser warns about the page's certificate, "
		         "compare its SHA-256 fingerprint:\nTLS SHA-256: %s\n", fp);
	snprintf(info, sizeof(info),
	         "\n=== Web3 Authentication ===\nCode: %s\nMachine: %s\nSign at: %s\n"
	         "Message: %s\n"
	         "Valid for %u seconds, until %s UTC.\n%s%s",
	         otp.code, otp.machine_id, url, m, cfg.otp_ttl, t, tls,
	         have_session ?
	         "Either open the Sign at: page, sign with your wallet and press Enter here,\n"
	         "or sign the Message: line (personal_sign) and paste the 0x... signature.\n" :
	         "Sign the Message: line with your wallet (personal_sign, or on the Sign at: page)\n"
	         "and paste the 0x... signature.\n");
	r = pam_info(c->pamh, "%s", info);
	explicit_bzero(info, sizeof(info));
	if (r != PAM_SUCCESS) {
		wlog(c, LOG_ERR, "user '%s': conversation failed (info)", ulog);
		pr = PAM_CONV_ERR;
		goto out;
	}
	r = pam_prompt(c->pamh, PAM_PROMPT_ECHO_OFF, &reply, "%s",
	               have_session ? "Press Enter after signing in browser, or paste signature: "
	                            : "Paste signature: ");
	if (r != PAM_SUCCESS || !reply) {
		wlog(c, LOG_ERR, "user '%s': conversation failed (prompt)", ulog);
		pr = PAM_CONV_ERR;
		goto out;
	}
	attempted = true;
	size_t rl = strnlen(reply, PW3_REPLY_MAX + 1);
	if (rl > PW3_REPLY_MAX) {
		wlog(c, LOG_NOTICE, "user '%s': reply longer than %d bytes", ulog, PW3_REPLY_MAX);
		tell(c, "Signature rejected: the answer is longer than %d bytes. Paste only the "
		     "0x... signature.", PW3_REPLY_MAX);
		goto out;
	}
	size_t a;
	const char *how;
	if (bh_str_trim(reply, rl, &a) > 0) {
		how = "pasted";
		sigtext = reply;
		reply = NULL;
	} else if (have_session) {
		how = "callback";
		r = pw3_session_poll(&sess, POLL_INTERVAL_MS, cfg.callback_grace * 1000u, &sigtext);
		if (r < 0) {
			wlog(c, LOG_NOTICE, "user '%s': no callback signature: %s", ulog,
			     r == BH_ERR_TIMEOUT ? "none arrived in time" : bh_strerror(r));
			if (r == BH_ERR_TIMEOUT)
				tell(c, "No signature arrived from the signing page within %u seconds. "
				     "Sign on the page first, then press Enter; or paste the signature.",
				     cfg.callback_grace);
			else
				tell(c, "The signature from the signing page could not be read (%s).",
				     bh_strerror(r));
			goto out;
		}
		if (!(strlen(sigtext) == PW3_SIG_TEXT_LEN && sigtext[0] == '0' && sigtext[1] == 'x')) {
			wlog(c, LOG_NOTICE, "user '%s': callback signature is not an EVM signature "
			     "(other chains are not supported)", ulog);
			tell(c, "The signing page sent something that is not an EVM signature "
			     "(other chains are not supported).");
			goto out;
		}
	} else {
		wlog(c, LOG_NOTICE, "user '%s': empty answer and no callback session", ulog);
		tell(c, "No signature was entered. Paste a signature of the Message: line.");
		goto out;
	}
	/* 10. verify (challenge unused and unexpired, signer = the GECOS wallet), then make
	 * the acceptance durable and unique before reporting success */
	r = pw3_verify_evm(&cfg, &otp, sigtext, strlen(sigtext), wallet, now_s());
	if (r < 0) {
		wlog(c, LOG_NOTICE, "user '%s': %s signature rejected: %s", ulog, how,
		     r == BH_ERR_MISMATCH ? "signer is not the user's wallet" : bh_strerror(r));
		tell_rejected(c, r, &otp, sigtext, wallet, cfg.otp_ttl);
		goto out;
	}
	if (st.fd >= 0 && (r = pw3_used_record(st.fd, &otp)) < 0) {
		wlog(c, LOG_ERR, "user '%s': %s signature rejected: %s", ulog, how,
		     r == BH_ERR_EXISTS ? "challenge already used" : bh_strerror(r));
		if (r == BH_ERR_EXISTS)
			tell_rejected(c, BH_ERR_STATE, &otp, sigtext, wallet, cfg.otp_ttl);
		else
			tell(c, "The login could not be recorded on this VM (%s). Try again.",
			     bh_strerror(r));
		goto out;
	}
	backoff_clear(&st);
	wlog(c, LOG_INFO, "user '%s': authenticated by %s wallet signature", ulog, how);
	pr = PAM_SUCCESS;
out:
	if (pr != PAM_SUCCESS && attempted)
		backoff_fail(c, &st, now_s());
	pw3_session_destroy(&sess);
	if (dfd >= 0)
		close(dfd);
	if (st.fd >= 0)
		close(st.fd);
	free(st.dir);
	free_secret_str(reply);
	free_secret_str(sigtext);
	free(gecos);
	free(path);
	pw3_otp_wipe(&otp);
	pw3_config_wipe(&cfg);
	explicit_bzero(m, sizeof(m));
	explicit_bzero(url, sizeof(url));
	return pr;
}

/*
 * libpam dlcloses the module in pam_end(); the process-wide secp256k1 context
 * that src/common creates on first use would leak on every load/unload cycle.
 */
__attribute__((destructor)) static void pw3_unload(void)
{
	secp256k1_context *ctx = (secp256k1_context *)bh_secp_context();
	if (ctx)
		secp256k1_context_destroy(ctx);
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ctx c = { .pamh = pamh };
	(void)flags;
	/* every failure waits (libpam sleeps, or hands the delay to the application's
	 * PAM_FAIL_DELAY function); the persisted per-user backoff comes on top */
	(void)pam_fail_delay(pamh, PW3_FAIL_DELAY_US);
	if (parse_args(&c, argc, argv) < 0)
		return PAM_AUTH_ERR;
	int r = authenticate(&c);
	/* belt and braces: only an explicit success is a success */
	return r == PAM_SUCCESS ? PAM_SUCCESS : (r == PAM_CONV_ERR ? PAM_CONV_ERR : PAM_AUTH_ERR);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh; (void)flags; (void)argc; (void)argv;
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh; (void)flags; (void)argc; (void)argv;
	return PAM_SUCCESS;
}

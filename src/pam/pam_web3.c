/* SPDX-License-Identifier: MIT */
/*
 * pam_web3: SSH login by wallet signature (upstream.md §5.4, byte for byte on the
 * wire).  The module generates an OTP, shows the info block, and accepts either a
 * pasted EIP-191 signature or — with an empty answer — one that the signing page
 * posted to web3-auth-svc, which drops it in /run/libpam-web3/pending/<sid>.sig.
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

#include "core/err.h"
#include "core/path.h"
#include "core/strutil.h"
#include "host/gecos.h"
#include "pw3.h"
#include "eth/secp.h"

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
		char *a = s, *e = s + strlen(s);
		while (a < e && (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r'))
			a++;
		while (e > a && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
			e--;
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

static int authenticate(struct ctx *c)
{
	struct pw3_config cfg;
	struct pw3_otp otp;
	struct pw3_session sess = { .dfd = -1 };
	struct bh_msg msg = { { 0 } };
	const char *user = NULL;
	char *gecos = NULL, *path = NULL, *reply = NULL, *sigtext = NULL;
	char host[256], url[PW3_URL_MAX + 64], info[PW3_URL_MAX + 256], ulog[65] = "";
	uint8_t wallet[20];
	bool have_session = false;
	int pr = PAM_AUTH_ERR, r, dfd = -1;

	memset(&cfg, 0, sizeof(cfg));
	memset(&otp, 0, sizeof(otp));

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
	/* 4. OTP */
	if ((r = pw3_otp_new(&cfg, now_s(), &otp)) < 0) {
		wlog(c, LOG_ERR, "cannot generate a code: %s", bh_strerror(r));
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
			r = pw3_session_create(dfd, &otp, &sess);
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
	/* 6-8. URL, info block, prompt */
	signing_host(c, host, sizeof(host));
	snprintf(url, sizeof(url), "%s://%s:%u%s%s", cfg.use_tls ? "https" : "http", host,
	         (unsigned)pw3_chain_port("evm"), have_session ? "?session=" : "",
	         have_session ? sess.sid : "");
	snprintf(info, sizeof(info), "\n=== Web3 Authentication ===\nCode: %s\nMachine: %s\nSign at: %s\n",
	         otp.code, otp.machine_id, url);
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
	size_t rl = strnlen(reply, PW3_REPLY_MAX + 1);
	if (rl > PW3_REPLY_MAX) {
		wlog(c, LOG_NOTICE, "user '%s': reply longer than %d bytes", ulog, PW3_REPLY_MAX);
		goto out;
	}
	size_t a = 0, e = rl;
	while (a < e && (reply[a] == ' ' || reply[a] == '\t' || reply[a] == '\r' || reply[a] == '\n'))
		a++;
	while (e > a && (reply[e - 1] == ' ' || reply[e - 1] == '\t' || reply[e - 1] == '\r' ||
	                 reply[e - 1] == '\n'))
		e--;
	const char *how;
	if (e > a) {
		how = "pasted";
		sigtext = reply;
		reply = NULL;
	} else if (have_session) {
		how = "callback";
		r = pw3_session_poll(&sess, POLL_INTERVAL_MS, cfg.callback_grace * 1000u, &sigtext);
		if (r < 0) {
			wlog(c, LOG_NOTICE, "user '%s': no callback signature: %s", ulog,
			     r == BH_ERR_TIMEOUT ? "none arrived in time" : bh_strerror(r));
			goto out;
		}
		if (!(strlen(sigtext) == PW3_SIG_TEXT_LEN && sigtext[0] == '0' && sigtext[1] == 'x')) {
			wlog(c, LOG_NOTICE, "user '%s': callback signature is not an EVM signature "
			     "(other chains are not supported)", ulog);
			goto out;
		}
	} else {
		wlog(c, LOG_NOTICE, "user '%s': empty answer and no callback session", ulog);
		goto out;
	}
	/* 10. verify */
	r = pw3_verify_evm(&cfg, &otp, sigtext, strlen(sigtext), wallet, now_s());
	if (r < 0) {
		wlog(c, LOG_NOTICE, "user '%s': %s signature rejected: %s", ulog, how,
		     r == BH_ERR_MISMATCH ? "signer is not the user's wallet" : bh_strerror(r));
		goto out;
	}
	wlog(c, LOG_INFO, "user '%s': authenticated by %s wallet signature", ulog, how);
	pr = PAM_SUCCESS;
out:
	pw3_session_destroy(&sess);
	if (dfd >= 0)
		close(dfd);
	free_secret_str(reply);
	free_secret_str(sigtext);
	free(gecos);
	free(path);
	pw3_otp_wipe(&otp);
	pw3_config_wipe(&cfg);
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

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the built pam_web3.so through libpam (pam_start_confdir), plus the
 * export check (dlopen: only pam_sm_* are visible).
 *
 * Users come from nss_wrapper: main() re-executes itself with
 * LD_PRELOAD=libnss_wrapper.so and a private passwd file.  The module's config=
 * and run_dir= arguments point at a temp tree holding etc/pam_web3/config.toml and
 * run/libpam-web3/ (the module ignores BLOCKHOST_ROOT; test_env_root checks that).
 * The table test walks every failure path and checks that the result is a
 * failure code (never PAM_SUCCESS, never PAM_IGNORE) and that the log line
 * (copied to stderr by the module's `stderr` argument) names the reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include <security/pam_appl.h>

#include "core/err.h"
#include "core/hex.h"
#include "eth/eth.h"
#include "pw3.h"
#include "eth/secp.h"

#ifndef PW3_MODULE_PATH
#error PW3_MODULE_PATH must name the built pam_web3.so
#endif
#define NSS_WRAPPER "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so"
#define SECRET "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static char root[256], confdir[300], logpath[300];
static uint8_t key_alice[32], key_mallory[32];

enum answer {
	A_SIGN,          /* sign the shown code for the shown machine with `key` */
	A_SIGN_MACHINE,  /* sign the shown code for machine "other-machine" */
	A_SIGN_CODE,     /* sign a different code */
	A_SIGN_HIGH_S,   /* the right signature with s replaced by n - s */
	A_FIXED,         /* answer `fixed` */
	A_CALLBACK,      /* write <sid>.sig (signed) and answer "" */
	A_CALLBACK_LINK, /* make <sid>.sig a symlink to a signed file and answer "" */
	A_CONV_FAIL,     /* the conversation fails */
	A_SLEEP_SIGN,    /* sleep 2 s, then sign (OTP ttl 1 s) */
	A_SIGN_USED,     /* record the shown challenge as used (another process), then sign */
};

struct script {
	enum answer a;
	const uint8_t *key;
	const char *fixed;
	char info[1024];
	char prompt[256];
	int prompt_style;
	char error[1024];       /* PAM_ERROR_MSG texts, "\n"-joined */
	char answer[200];       /* what was answered (a signature, to replay it) */
};

static unsigned fail_delay_us;  /* the delay libpam computed from what the module requested */
static bool keep_state;         /* keep run/libpam-web3/state between runs (backoff tests) */

static void delay_fn(int status, unsigned delay, void *appdata)
{
	(void)appdata;
	if (status != PAM_SUCCESS)
		fail_delay_us = delay;
}

static void parse_message(const char *info, char *msg)
{
	const char *p = strstr(info, "\nMessage: ");
	msg[0] = '\0';
	if (p)
		sscanf(p + 10, "%255[^\n]", msg);
}

static void parse_info(const char *info, char *code, char *machine, char *sid)
{
	const char *p;
	code[0] = machine[0] = sid[0] = '\0';
	if ((p = strstr(info, "Code: ")))
		sscanf(p + 6, "%19[0-9]", code);
	if ((p = strstr(info, "Machine: ")))
		sscanf(p + 9, "%64[A-Za-z0-9._-]", machine);
	if ((p = strstr(info, "?session=")))
		sscanf(p + 9, "%32[0-9a-f]", sid);
}

/* the shown message with `from` replaced by `to` (or as is) */
static void edit_message(const char *msg, const char *from, const char *to, char *out)
{
	const char *p = from ? strstr(msg, from) : NULL;
	if (!p) {
		snprintf(out, 256, "%s", msg);
		return;
	}
	snprintf(out, 256, "%.*s%s%s", (int)(p - msg), msg, to, p + strlen(from));
}

static char *sign_text(const uint8_t *key, const char *m, bool high_s)
{
	static const uint8_t n[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41 };
	uint8_t d[32], sig[65];
	int len = (int)strlen(m);
	assert_true(len > 0);
	pw3_eip191_digest(m, (size_t)len, d);
	assert_int_equal(bh_secp_sign(key, d, sig), 0);
	if (high_s) {
		int borrow = 0;
		for (int i = 31; i >= 0; i--) {
			int x = n[i] - sig[32 + i] - borrow;
			borrow = x < 0;
			sig[32 + i] = (uint8_t)(x & 0xff);
		}
		sig[64] ^= 1;
	}
	sig[64] = (uint8_t)(sig[64] + 27);
	char *out = malloc(133);
	out[0] = '0';
	out[1] = 'x';
	bh_hex_encode(sig, 65, out + 2);
	return out;
}

static void write_file(const char *path, const char *data, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct script *s = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	char code[20], machine[65], sid[33], path[512], m[256], m2[256], c2[40];
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_TEXT_INFO) {
			snprintf(s->info, sizeof(s->info), "%s", msg[i]->msg);
			continue;
		}
		if (msg[i]->msg_style == PAM_ERROR_MSG) {
			size_t l = strlen(s->error);
			snprintf(s->error + l, sizeof(s->error) - l, "%s%s", l ? "\n" : "", msg[i]->msg);
			continue;
		}
		snprintf(s->prompt, sizeof(s->prompt), "%s", msg[i]->msg);
		s->prompt_style = msg[i]->msg_style;
		parse_info(s->info, code, machine, sid);
		parse_message(s->info, m);
		char *ans = NULL;
		switch (s->a) {
		case A_SIGN: ans = sign_text(s->key, m, false); break;
		case A_SLEEP_SIGN: sleep(2); ans = sign_text(s->key, m, false); break;
		case A_SIGN_MACHINE:
			edit_message(m, " blockhost-007 ", " other-machine ", m2);
			ans = sign_text(s->key, m2, false);
			break;
		case A_SIGN_CODE:
			snprintf(c2, sizeof(c2), "code: %s ", code);
			edit_message(m, c2, code[0] == '1' ? "code: 200000 " : "code: 100000 ", m2);
			ans = sign_text(s->key, m2, false);
			break;
		case A_SIGN_HIGH_S: ans = sign_text(s->key, m, true); break;
		case A_FIXED: ans = strdup(s->fixed); break;
		case A_SIGN_USED: {
			const char *nn = strstr(m, " nonce: ");
			assert_non_null(nn);
			snprintf(path, sizeof(path), "%s/run/libpam-web3/state/u-%.32s", root, nn + 8);
			write_file(path, "", 0600);
			ans = sign_text(s->key, m, false);
			break;
		}
		case A_CALLBACK:
		case A_CALLBACK_LINK: {
			char *sig = sign_text(s->key, m, false);
			snprintf(path, sizeof(path), "%s/run/libpam-web3/pending/%s.sig%s", root, sid,
			         s->a == A_CALLBACK_LINK ? ".real" : "");
			write_file(path, sig, 0640);
			if (s->a == A_CALLBACK_LINK) {
				char l[512];
				snprintf(l, sizeof(l), "%s/run/libpam-web3/pending/%s.sig", root, sid);
				assert_int_equal(symlink(path, l), 0);
			}
			free(sig);
			ans = strdup("");
			break;
		}
		case A_CONV_FAIL:
			free(r);
			return PAM_CONV_ERR;
		}
		if (ans)
			snprintf(s->answer, sizeof(s->answer), "%s", ans);
		r[i].resp = ans;
	}
	*resp = r;
	return PAM_SUCCESS;
}

static void set_config(const char *auth_extra)
{
	char p[400], doc[1024];
	snprintf(p, sizeof(p), "%s/etc/pam_web3/config.toml", root);
	snprintf(doc, sizeof(doc), "[machine]\nid = \"blockhost-007\"\nsecret_key = \"%s\"\n[auth]\n%s\n",
	         SECRET, auth_extra ? auth_extra : "");
	unlink(p);
	write_file(p, doc, 0640);
}

static void set_pending(bool on)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/run/libpam-web3/pending", root);
	if (on) {
		mkdir(p, 0750);
	} else {
		char cmd[500];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
		assert_int_equal(system(cmd), 0);
	}
}

/* Run one pam_authenticate with stderr captured into logpath. */
static int run(const char *service, const char *user, struct script *s, char *log, size_t loglen)
{
	struct pam_conv pc = { conv, s };
	pam_handle_t *h = NULL;
	int saved = dup(2), fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	dup2(fd, 2);
	close(fd);
	if (!keep_state) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s/run/libpam-web3/state'", root);
		assert_int_equal(system(cmd), 0);
	}
	int r = pam_start_confdir(service, user, &pc, confdir, &h);
	assert_int_equal(r, PAM_SUCCESS);
	/* libpam hands the failure delay to us instead of sleeping */
	assert_int_equal(pam_set_item(h, PAM_FAIL_DELAY, (const void *)delay_fn), PAM_SUCCESS);
	fail_delay_us = 0;
	r = pam_authenticate(h, 0);
	pam_end(h, r);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(logpath, "r");
	size_t n = fread(log, 1, loglen - 1, f);
	log[n] = '\0';
	fclose(f);
	return r;
}

static void test_exports(void **state)
{
	(void)state;
	void *h = dlopen(PW3_MODULE_PATH, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	assert_non_null(dlsym(h, "pam_sm_authenticate"));
	assert_non_null(dlsym(h, "pam_sm_setcred"));
	assert_non_null(dlsym(h, "pam_sm_acct_mgmt"));
	/* internals are hidden */
	static const char *const hidden[] = { "pw3_config_parse", "pw3_verify_evm", "bh_buf_new",
		"bh_secp_recover_address", "bh_hex_decode_ct", "bh_path", "pw3_session_create",
		"pam_sm_open_session", "pam_sm_chauthtok" };
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		void *sym = dlsym(h, hidden[i]);
		/* dlsym on a handle also searches the module's dependencies; none define these */
		if (sym)
			fail_msg("%s is exported", hidden[i]);
	}
	/* and the dynamic symbol table lists exactly three defined functions of ours */
	FILE *p = popen("nm -D --defined-only " PW3_MODULE_PATH " | awk '{print $3}'", "r");
	assert_non_null(p);
	char line[256], all[1024] = "";
	while (fgets(line, sizeof(line), p))
		strncat(all, line, sizeof(all) - strlen(all) - 1);
	pclose(p);
	assert_string_equal(all, "pam_sm_acct_mgmt\npam_sm_authenticate\npam_sm_setcred\n");
	dlclose(h);
}

/* The info block the module must show, from the code, message and URL it showed. */
static void want_info(const char *info, const char *url, unsigned ttl, bool session, char *want,
                      size_t wl)
{
	char code[20], machine[65], sid[33], m[256];
	struct pw3_message_parts mp;
	parse_info(info, code, machine, sid);
	parse_message(info, m);
	/* the message is the whole text on one line, in the strict format, for this login */
	assert_int_equal(pw3_message_parse(m, strlen(m), &mp), 0);
	assert_string_equal(mp.code, code);
	assert_string_equal(mp.machine_id, "blockhost-007");
	uint64_t now = (uint64_t)time(NULL);
	assert_true(mp.expires_at + 2 >= now + ttl && mp.expires_at <= now + ttl);
	size_t ml = strlen(m);
	snprintf(want, wl,
	         "\n=== Web3 Authentication ===\nCode: %s\nMachine: blockhost-007\nSign at: %s\n"
	         "Message: %s\nValid for %u seconds, until %.8s UTC.\n%s", code, url, m, ttl,
	         m + ml - 9,
	         session ? "Either open the Sign at: page, sign with your wallet and press Enter here,\n"
	                   "or sign the Message: line (personal_sign) and paste the 0x... signature.\n"
	                 : "Sign the Message: line with your wallet (personal_sign, or on the Sign at: page)\n"
	                   "and paste the 0x... signature.\n");
}

static void test_success_paste(void **state)
{
	(void)state;
	struct script s = { .a = A_SIGN, .key = key_alice };
	char log[4096];
	set_config(NULL);
	set_pending(false);
	assert_int_equal(run("pw3", "alice", &s, log, sizeof(log)), PAM_SUCCESS);
	assert_string_equal(s.prompt, "Paste signature: ");
	assert_int_equal(s.prompt_style, PAM_PROMPT_ECHO_OFF);
	char code[20], machine[65], sid[33], want[1024], url[300];
	parse_info(s.info, code, machine, sid);
	assert_int_equal(strlen(code), 6);
	char host[256];
	gethostname(host, sizeof(host));
	snprintf(url, sizeof(url), "https://%s:63108", host);
	want_info(s.info, url, 90, false, want, sizeof(want));
	assert_string_equal(s.info, want);
	assert_string_equal(s.error, "");
	assert_non_null(strstr(log, "pam_web3: user 'alice': authenticated by pasted wallet signature"));
	assert_null(strstr(log, code));  /* the OTP never reaches the log */
	/* the accepted challenge is recorded as used in the root-only state dir */
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "test \"$(ls '%s/run/libpam-web3/state' | grep -c '^u-[0-9a-f]\\{32\\}$')\" = 1 && "
	         "test \"$(stat -c %%a '%s/run/libpam-web3/state')\" = 700", root, root);
	assert_int_equal(system(cmd), 0);
}

static void test_success_callback(void **state)
{
	(void)state;
	struct script s = { .a = A_CALLBACK, .key = key_alice };
	char log[4096], p[400], code[20], machine[65], sid[33], want[1024], url[300];
	set_config("use_tls = false\notp_length = 10");
	set_pending(true);
	snprintf(p, sizeof(p), "%s/run/libpam-web3/signing_host", root);
	write_file(p, " vm7.example.net \n", 0644);
	assert_int_equal(run("pw3", "alice", &s, log, sizeof(log)), PAM_SUCCESS);
	unlink(p);
	assert_string_equal(s.prompt, "Press Enter after signing in browser, or paste signature: ");
	parse_info(s.info, code, machine, sid);
	assert_int_equal(strlen(code), 10);
	snprintf(url, sizeof(url), "http://vm7.example.net:63108?session=%s", sid);
	want_info(s.info, url, 90, true, want, sizeof(want));
	assert_string_equal(s.info, want);
	assert_non_null(strstr(log, "authenticated by callback wallet signature"));
	/* session files are gone */
	snprintf(p, sizeof(p), "%s/run/libpam-web3/pending", root);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", p);
	assert_int_equal(system(cmd), 0);
	/* pasting still works in callback mode; files that a killed module process left
	 * behind (older than ttl 90 + grace 10 + 60 s) are swept first, a fresh one stays */
	static const char *const stale[] = { "0123456789abcdef0123456789abcdef.json",
	                                     "0123456789abcdef0123456789abcdef.sig" };
	static const char fresh[] = "fedcba9876543210fedcba9876543210.json";
	time_t now = time(NULL);
	for (size_t i = 0; i < 3; i++) {
		char f[512];
		snprintf(f, sizeof(f), "%s/%s", p, i < 2 ? stale[i] : fresh);
		write_file(f, "{}", 0640);
		struct timespec ts[2] = { { .tv_sec = now - (i < 2 ? 161 : 100) },
		                          { .tv_sec = now - (i < 2 ? 161 : 100) } };
		assert_int_equal(utimensat(AT_FDCWD, f, ts, 0), 0);
	}
	struct script s2 = { .a = A_SIGN, .key = key_alice };
	assert_int_equal(run("pw3", "alice", &s2, log, sizeof(log)), PAM_SUCCESS);
	assert_non_null(strstr(log, "removed 2 stale session file(s)"));
	char f[512];
	snprintf(f, sizeof(f), "%s/%s", p, fresh);
	assert_int_equal(unlink(f), 0);
	assert_int_equal(system(cmd), 0);
	set_pending(false);
}

/*
 * Replay (issue 11 item 1): a signature that logged in once never logs in again, however
 * often it is tried (200 logins, each a fresh challenge); each attempt tells the user
 * which wallet the signature recovers to and which wallet owns the VM, and asks libpam
 * for the failure delay.
 */
static void test_replay(void **state)
{
	(void)state;
	struct script s = { .a = A_SIGN, .key = key_alice };
	char log[4096], old[200], own[BH_ADDR_STR_LEN + 1];
	uint8_t a[20];
	set_config(NULL);
	set_pending(true);
	assert_int_equal(run("pw3", "alice", &s, log, sizeof(log)), PAM_SUCCESS);
	snprintf(old, sizeof(old), "%s", s.answer);
	assert_int_equal(strlen(old), 132);
	assert_int_equal(bh_eth_address_from_priv(key_alice, a), 0);
	bh_eth_addr_checksum(a, own);
	for (int i = 0; i < 200; i++) {
		struct script r = { .a = A_FIXED, .fixed = old };
		int rc = run("pw3", "alice", &r, log, sizeof(log));
		if (rc == PAM_SUCCESS || !strstr(log, "pasted signature rejected: signer is not the user's wallet"))
			fail_msg("replay %d: rc=%d log=%s", i, rc, log);
		if (!strstr(r.error, "Signature rejected: it is from wallet 0x") || !strstr(r.error, own) ||
		    !strstr(r.error, "this VM belongs to the wallet in its NFT"))
			fail_msg("replay %d: user text '%s'", i, r.error);
		if (fail_delay_us == 0)
			fail_msg("replay %d: no failure delay requested", i);
	}
	set_pending(false);
}

/* The failure delay and the persisted per-user backoff (docs/pam_web3.md). */
static void test_backoff(void **state)
{
	(void)state;
	char log[4096], p[400];
	set_config(NULL);
	set_pending(false);
	keep_state = true;
	snprintf(p, sizeof(p), "rm -rf '%s/run/libpam-web3/state'", root);
	assert_int_equal(system(p), 0);
	for (int i = 0; i < PW3_FAIL_FREE; i++) {
		struct script s = { .a = A_SIGN, .key = key_mallory };
		assert_int_equal(run("pw3", "alice", &s, log, sizeof(log)), PAM_AUTH_ERR);
		assert_true(fail_delay_us >= PW3_FAIL_DELAY_US / 2);  /* libpam randomises +-25 % */
		assert_string_not_equal(s.prompt, "");
	}
	/* the next attempt is refused before any challenge is shown, and says how long */
	struct script s = { .a = A_SIGN, .key = key_alice };
	assert_int_equal(run("pw3", "alice", &s, log, sizeof(log)), PAM_AUTH_ERR);
	assert_string_equal(s.prompt, "");
	assert_string_equal(s.info, "");
	assert_non_null(strstr(s.error, "Too many failed attempts for this account: try again in 30 seconds (after "));
	assert_non_null(strstr(log, "too many failed attempts"));
	assert_true(fail_delay_us > 0);
	char rec[512], cmd[700];
	snprintf(rec, sizeof(rec), "%s/run/libpam-web3/state", root);
	snprintf(cmd, sizeof(cmd), "grep -qx 'pw3-fail v1 5 [0-9]*' %s/f-*", rec);
	assert_int_equal(system(cmd), 0);
	/* once the wait is over (the record's time moved back), the right wallet gets in and
	 * the record is gone */
	snprintf(cmd, sizeof(cmd), "for f in %s/f-*; do echo 'pw3-fail v1 5 1000' > $f; done", rec);
	assert_int_equal(system(cmd), 0);
	struct script s2 = { .a = A_SIGN, .key = key_alice };
	assert_int_equal(run("pw3", "alice", &s2, log, sizeof(log)), PAM_SUCCESS);
	snprintf(cmd, sizeof(cmd), "! ls %s/f-* 2>/dev/null", rec);
	assert_int_equal(system(cmd), 0);
	keep_state = false;
}

/*
 * BLOCKHOST_ROOT must not move the module's trust anchors: with it pointing at a tree
 * that holds a valid config (the user would log in with it), a pending dir and a
 * signing_host file, the module without arguments still reads /etc/pam_web3/config.toml
 * and, with config= only, still uses /run/libpam-web3.
 */
static void test_env_root(void **state)
{
	(void)state;
	struct script s = { .a = A_SIGN, .key = key_alice };
	char log[4096], p[400], cmd[512];
	set_config(NULL);
	set_pending(true);
	snprintf(p, sizeof(p), "%s/run/libpam-web3/signing_host", root);
	write_file(p, "env-root.example\n", 0644);
	setenv("BLOCKHOST_ROOT", root, 1);
	/* no arguments: the tree's permissive config is not read */
	assert_int_not_equal(run("pw3env", "alice", &s, log, sizeof(log)), PAM_SUCCESS);
	assert_null(strstr(s.info, "blockhost-007"));
	if (access("/etc/pam_web3/config.toml", F_OK) != 0)
		assert_non_null(strstr(log, "config: /etc/pam_web3/config.toml: "));
	assert_null(strstr(log, root));
	/* config= only: the tree's pending dir and signing_host are not used */
	if (access("/run/libpam-web3", F_OK) != 0) {
		struct script s2 = { .a = A_SIGN, .key = key_alice };
		assert_int_equal(run("pw3cfg", "alice", &s2, log, sizeof(log)), PAM_SUCCESS);
		assert_string_equal(s2.prompt, "Paste signature: ");
		assert_null(strstr(s2.info, "env-root.example"));
		assert_null(strstr(s2.info, "?session="));
		snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s/run/libpam-web3/pending')\"", root);
		assert_int_equal(system(cmd), 0);
	}
	unsetenv("BLOCKHOST_ROOT");
	unlink(p);
	set_pending(false);
}

static void test_failure_table(void **state)
{
	(void)state;
	char big[700];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	static char odd_v[140];
	snprintf(odd_v, sizeof(odd_v), "0x%0128d1d", 1);
	const struct {
		const char *name, *service, *user, *auth_cfg;
		int cfg_mode;          /* 0 normal, 1 missing, 2 symlink, 3 world-writable, 4 raw doc,
		                        * 5 world-writable state dir */
		const char *raw;
		bool pending;
		struct script s;
		const char *log;
		const char *says;      /* the text the user reads (PAM_ERROR_MSG), NULL: none */
	} t[] = {
		{ "no config", "pw3", "alice", NULL, 1, NULL, false, { .a = A_SIGN, .key = key_alice }, "config: ", NULL },
		{ "symlinked config", "pw3", "alice", NULL, 2, NULL, false, { .a = A_SIGN, .key = key_alice }, "not a symlink", NULL },
		{ "world-writable config", "pw3", "alice", NULL, 3, NULL, false, { .a = A_SIGN, .key = key_alice }, "unsafe file", NULL },
		{ "duplicate key", "pw3", "alice", NULL, 4, "[machine]\nid=\"a\"\nid=\"b\"\n", false, { .a = A_SIGN, .key = key_alice }, "duplicate key 'machine.id'", NULL },
		{ "missing secret", "pw3", "alice", NULL, 4, "[machine]\nid=\"a\"\n", false, { .a = A_SIGN, .key = key_alice }, "missing key 'machine.secret_key'", NULL },
		{ "unknown module arg", "pw3bad", "alice", NULL, 0, NULL, false, { .a = A_SIGN, .key = key_alice }, "unknown module argument", NULL },
		{ "unknown user", "pw3", "nobody-here", NULL, 0, NULL, false, { .a = A_SIGN, .key = key_alice }, "not found", NULL },
		{ "log injection in user", "pw3", "evil\npam_web3: FAKE", NULL, 0, NULL, false, { .a = A_SIGN, .key = key_alice }, "user 'evil?pam_web3??FAKE': not found", NULL },
		{ "no wallet", "pw3", "nowallet", NULL, 0, NULL, false, { .a = A_SIGN, .key = key_alice }, "no wallet= entry", NULL },
		{ "two wallets", "pw3", "twowallets", NULL, 0, NULL, false, { .a = A_SIGN, .key = key_alice }, "more than one wallet=", NULL },
		{ "conversation fails", "pw3", "alice", NULL, 0, NULL, false, { .a = A_CONV_FAIL }, "conversation failed", NULL },
		{ "empty answer, no session", "pw3", "alice", NULL, 0, NULL, false, { .a = A_FIXED, .fixed = "" }, "empty answer and no callback session", "No signature was entered. Paste a signature of the Message: line." },
		{ "garbage", "pw3", "alice", NULL, 0, NULL, false, { .a = A_FIXED, .fixed = "hello" }, "wrong length", "Signature rejected: malformed or truncated (wrong length). Paste the whole 0x... signature (132 characters) on one line." },
		{ "too long", "pw3", "alice", NULL, 0, NULL, false, { .a = A_FIXED, .fixed = big }, "reply longer than", "Signature rejected: the answer is longer than 512 bytes. Paste only the 0x... signature." },
		{ "bad v", "pw3", "alice", NULL, 0, NULL, false, { .a = A_FIXED, .fixed = odd_v }, "recovery id (v)", "Signature rejected: malformed or truncated (invalid signature recovery id (v))." },
		{ "wrong wallet", "pw3", "alice", NULL, 0, NULL, false, { .a = A_SIGN, .key = key_mallory }, "signer is not the user's wallet", "Signature rejected: it is from wallet 0x" },
		{ "other machine id", "pw3", "alice", NULL, 0, NULL, false, { .a = A_SIGN_MACHINE, .key = key_alice }, "signer is not the user's wallet", "Signature rejected: it is from wallet 0x" },
		{ "wrong code", "pw3", "alice", NULL, 0, NULL, false, { .a = A_SIGN_CODE, .key = key_alice }, "signer is not the user's wallet", "Signature rejected: it is from wallet 0x" },
		{ "high-S", "pw3", "alice", NULL, 0, NULL, false, { .a = A_SIGN_HIGH_S, .key = key_alice }, "too high (EIP-2)", "Signature rejected: malformed or truncated (signature s value too high (EIP-2))." },
		{ "expired", "pw3", "alice", "otp_ttl_seconds = 1", 0, NULL, false, { .a = A_SLEEP_SIGN, .key = key_alice }, "expired", "Challenge expired at " },
		{ "callback timeout", "pw3", "alice", "callback_grace_seconds = 1", 0, NULL, true, { .a = A_FIXED, .fixed = "" }, "none arrived in time", "No signature arrived from the signing page within 1 seconds. Sign on the page first, then press Enter; or paste the signature." },
		{ "callback symlinked sig", "pw3", "alice", "callback_grace_seconds = 1", 0, NULL, true, { .a = A_CALLBACK_LINK, .key = key_alice }, "unsafe file", "The signature from the signing page could not be read (unsafe file (owner, mode or type))." },
		{ "callback wrong wallet", "pw3", "alice", NULL, 0, NULL, true, { .a = A_CALLBACK, .key = key_mallory }, "callback signature rejected", "Signature rejected: it is from wallet 0x" },
		{ "challenge used elsewhere", "pw3", "alice", NULL, 0, NULL, false, { .a = A_SIGN_USED, .key = key_alice }, "challenge already used", "This challenge was already used. Log in again to get a new one." },
		{ "unsafe state dir", "pw3", "alice", NULL, 5, NULL, false, { .a = A_SIGN, .key = key_alice }, "state directory", NULL },
	};
	char p[400], log[8192];
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct script s = t[i].s;
		set_config(t[i].auth_cfg);
		snprintf(p, sizeof(p), "%s/etc/pam_web3/config.toml", root);
		if (t[i].cfg_mode == 1) {
			unlink(p);
		} else if (t[i].cfg_mode == 2) {
			char real[420];
			snprintf(real, sizeof(real), "%s.real", p);
			rename(p, real);
			assert_int_equal(symlink(real, p), 0);
		} else if (t[i].cfg_mode == 3) {
			chmod(p, 0666);
		} else if (t[i].cfg_mode == 4) {
			unlink(p);
			write_file(p, t[i].raw, 0600);
		}
		set_pending(t[i].pending);
		if (t[i].cfg_mode == 5) {
			/* a state dir others can write to is refused (fail closed) */
			char sd[500];
			snprintf(sd, sizeof(sd), "%s/run/libpam-web3/state", root);
			keep_state = true;
			mkdir(sd, 0777);
			chmod(sd, 0777);
		}
		int r = run(t[i].service, t[i].user, &s, log, sizeof(log));
		keep_state = false;
		if (t[i].cfg_mode == 2) {
			char real[420];
			snprintf(real, sizeof(real), "%s.real", p);
			unlink(p);
			unlink(real);
		}
		if (t[i].cfg_mode == 5) {
			char cmd[600];
			snprintf(cmd, sizeof(cmd), "rm -rf '%s/run/libpam-web3/state'", root);
			assert_int_equal(system(cmd), 0);
		}
		if (r == PAM_SUCCESS || r == PAM_IGNORE || !strstr(log, t[i].log))
			fail_msg("case '%s': r=%d (%s), log:\n%s", t[i].name, r, pam_strerror(NULL, r), log);
		if (t[i].says && !strstr(s.error, t[i].says))
			fail_msg("case '%s': the user read '%s', want '%s'", t[i].name, s.error, t[i].says);
		if (!t[i].says && t[i].cfg_mode == 0 && s.a != A_CONV_FAIL && s.prompt[0])
			fail_msg("case '%s': untested user text '%s'", t[i].name, s.error);
		if (fail_delay_us == 0)
			fail_msg("case '%s': no failure delay requested", t[i].name);
		if (strstr(log, "0x") && strstr(log, "signature: 0x"))
			fail_msg("case '%s': a signature reached the log", t[i].name);
		print_message("ok %-26s -> %s", t[i].name, strstr(log, "pam_web3: "));
	}
	set_pending(false);
}

static void setup_tree(void)
{
	char p[400];
	snprintf(root, sizeof(root), "/tmp/pw3mod.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(confdir, sizeof(confdir), "%s/pam.d", root);
	snprintf(logpath, sizeof(logpath), "%s/log", root);
	const char *dirs[] = { "pam.d", "etc", "etc/pam_web3", "run", "run/libpam-web3" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	/* the module ignores BLOCKHOST_ROOT: the temp tree is named by its arguments */
	char line[1200];
	snprintf(line, sizeof(line), "auth required " PW3_MODULE_PATH " stderr config=%s/etc/pam_web3/config.toml"
	         " run_dir=%s/run/libpam-web3\naccount required pam_permit.so\n", root, root);
	snprintf(p, sizeof(p), "%s/pam.d/pw3", root);
	write_file(p, line, 0644);
	snprintf(p, sizeof(p), "%s/pam.d/other", root);
	write_file(p, "auth required pam_deny.so\naccount required pam_deny.so\n", 0644);
	snprintf(p, sizeof(p), "%s/pam.d/pw3bad", root);
	write_file(p, "auth required " PW3_MODULE_PATH " stderr nouserok\n", 0644);
	/* no config=/run_dir=: the fixed paths, whatever BLOCKHOST_ROOT says */
	snprintf(p, sizeof(p), "%s/pam.d/pw3env", root);
	write_file(p, "auth required " PW3_MODULE_PATH " stderr\naccount required pam_permit.so\n", 0644);
	/* config= only: the run dir stays /run/libpam-web3 */
	snprintf(line, sizeof(line), "auth required " PW3_MODULE_PATH " stderr config=%s/etc/pam_web3/config.toml"
	         "\naccount required pam_permit.so\n", root);
	snprintf(p, sizeof(p), "%s/pam.d/pw3cfg", root);
	write_file(p, line, 0644);
}

static int cleanup_tree(void **state)
{
	(void)state;
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

int main(int argc, char **argv)
{
	(void)argc;
	memset(key_alice, 0x11, 32);
	memset(key_mallory, 0x22, 32);
	if (!getenv("NSS_WRAPPER_PASSWD")) {
		/* re-exec under nss_wrapper with a private passwd file */
		char dir[] = "/tmp/pw3nss.XXXXXX", pw[300], gr[300], line[1024];
		uint8_t a[20];
		char ah[41];
		if (access(NSS_WRAPPER, R_OK) != 0) {
			printf("skip: %s missing\n", NSS_WRAPPER);
			return 77;
		}
		if (!mkdtemp(dir) || bh_eth_address_from_priv(key_alice, a) < 0)
			return 1;
		bh_hex_encode(a, 20, ah);
		snprintf(pw, sizeof(pw), "%s/passwd", dir);
		snprintf(gr, sizeof(gr), "%s/group", dir);
		FILE *f = fopen(pw, "w");
		snprintf(line, sizeof(line),
		         "alice:x:4242:4242:wallet=0x%s,nft=7:/tmp:/bin/sh\n"
		         "nowallet:x:4243:4242:Alice Example,nft=7:/tmp:/bin/sh\n"
		         "twowallets:x:4244:4242:wallet=0x%s,wallet=0x%s:/tmp:/bin/sh\n", ah, ah, ah);
		fputs(line, f);
		fclose(f);
		f = fopen(gr, "w");
		fputs("pw3:x:4242:\n", f);
		fclose(f);
		setenv("NSS_WRAPPER_PASSWD", pw, 1);
		setenv("NSS_WRAPPER_GROUP", gr, 1);
		setenv("NSS_WRAPPER_DIR", dir, 1);
		setenv("LD_PRELOAD", NSS_WRAPPER, 1);
		setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
		setenv("NSS_WRAPPER_DISABLE_DEEPBIND", "1", 1); /* ASan refuses RTLD_DEEPBIND */
		execv("/proc/self/exe", argv);
		return 1;
	}
	setup_tree();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exports),
		cmocka_unit_test(test_success_paste),
		cmocka_unit_test(test_success_callback),
		cmocka_unit_test(test_env_root),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_failure_table),
	};
	int r = cmocka_run_group_tests(tests, NULL, cleanup_tree);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", getenv("NSS_WRAPPER_DIR"));
	if (system(cmd) != 0)
		return 1;
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * The hostile-input catalogue (tests/pam_hostile.tsv): every row goes through the
 * built pam_web3.so (pam_start_confdir, users from nss_wrapper) or through the
 * auth service's request handler, and must be rejected — never PAM_SUCCESS or
 * PAM_IGNORE, never a 2xx — with the expected reason in the log line (or the
 * expected HTTP status).  Under SANITIZE=1 this also proves "no crash".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <cmocka.h>

#include <security/pam_appl.h>

#include "core/err.h"
#include "core/hex.h"
#include "eth/eth.h"
#include "eth/keccak.h"
#include "pw3.h"
#include "eth/secp.h"

#ifndef PW3_MODULE_PATH
#error PW3_MODULE_PATH must name the built pam_web3.so
#endif
#define NSS_WRAPPER "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so"
#define SECRET "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define MAXROWS 400
#define CAP (200 * 1024)

struct row {
	char kind[32];
	char *input;  /* raw (escaped) text */
	char *expect;
	char *note;
	char *says;   /* the text the user must read (PAM_ERROR_MSG substring); "" = not checked */
};

static struct row rows[MAXROWS];
static size_t nrows;
static char root[256], confdir[300], logpath[300];
static uint8_t key_alice[32], key_mallory[32];
static char addr_hex[41];
static char other_sig[133];  /* {SESSION_OTHERKEY}: session 1111...'s message, signed by mallory */

static const char *tsv_path(void)
{
	const char *p = getenv("PW3_HOSTILE_TSV");
	return p ? p : "tests/pam_hostile.tsv";
}

static int load_rows(void)
{
	FILE *f = fopen(tsv_path(), "r");
	char *line = NULL;
	size_t cap = 0;
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0 && nrows < MAXROWS) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		char *rest = line;
		char *k = strsep(&rest, "\t"), *in = strsep(&rest, "\t"), *ex = strsep(&rest, "\t"),
		     *no = strsep(&rest, "\t"), *sa = strsep(&rest, "\t");
		if (!k || !in || !ex)
			continue;
		struct row *r = &rows[nrows++];
		snprintf(r->kind, sizeof(r->kind), "%s", k);
		r->input = strdup(in);
		r->expect = strdup(ex);
		r->note = strdup(no ? no : "");
		r->says = strdup(sa ? sa : "");
	}
	free(line);
	fclose(f);
	return 0;
}

/* ---------------------------------------------------------------- expansion */
struct out {
	char *d;
	size_t n;
};

static void put(struct out *o, const void *p, size_t n)
{
	assert_true(o->n + n < CAP);
	memcpy(o->d + o->n, p, n);
	o->n += n;
}

static const uint8_t N[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41 };

/* text with the first `from` replaced by `to` */
static void replace(const char *text, const char *from, const char *to, char *out, size_t ol)
{
	const char *p = strstr(text, from);
	assert_non_null(p);
	snprintf(out, ol, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
}

/* Signature text variants for the shown message. */
static void sig_variant(const char *tok, const char *msg, struct out *o)
{
	const uint8_t *key = key_alice;
	char m[PW3_MESSAGE_MAX + 16], hex[200], t[64];
	uint8_t d[32], sig[65];
	bool raw = false;
	int len;

	snprintf(m, sizeof(m), "%s", msg);
	if (!strcmp(tok, "SIG_OTHERKEY"))
		key = key_mallory;
	if (!strcmp(tok, "SIG_OTHERMACHINE"))
		replace(msg, " blockhost-007 ", " blockhost-999 ", m, sizeof(m));
	if (!strcmp(tok, "SIG_OTHERCODE")) {
		/* the code's last digit + 1 */
		const char *c = strstr(msg, "code: ") + 6, *e = strchr(c, ' ');
		snprintf(t, sizeof(t), "code: %.*s%c ", (int)(e - c - 1), c,
		         (char)('0' + (e[-1] - '0' + 1) % 10));
		char from[64];
		snprintf(from, sizeof(from), "code: %.*s ", (int)(e - c), c);
		replace(msg, from, t, m, sizeof(m));
	}
	if (!strcmp(tok, "SIG_UPSTREAM"))  /* upstream's message: the same code and machine */
		snprintf(m, sizeof(m), "%.*s", (int)(strstr(msg, " nonce: ") - msg), msg);
	if (!strcmp(tok, "SIG_OTHERNONCE")) {
		char *n = strstr(m, " nonce: ") + 8;
		n[0] = n[0] == '0' ? '1' : '0';
	}
	if (!strcmp(tok, "SIG_OTHEREXPIRY")) {
		char *e = m + strlen(m) - 2;   /* the seconds' last digit */
		*e = *e == '0' ? '1' : '0';
	}
	if (!strcmp(tok, "SIG_MSGNL"))     /* the message with a newline (a wallet that adds one) */
		strcat(m, "\n");
	if (!strcmp(tok, "SIG_RAWHASH"))
		raw = true;
	len = (int)strlen(m);
	if (raw)
		bh_keccak256(m, (size_t)len, d);
	else
		pw3_eip191_digest(m, (size_t)len, d);
	assert_int_equal(bh_secp_sign(key, d, sig), 0);
	if (!strcmp(tok, "SIG_HIGHS")) {
		int borrow = 0;
		for (int i = 31; i >= 0; i--) {
			int x = N[i] - sig[32 + i] - borrow;
			borrow = x < 0;
			sig[32 + i] = (uint8_t)(x & 0xff);
		}
		sig[64] ^= 1;
	}
	if (!strcmp(tok, "SIG_ZERO_R"))
		memset(sig, 0, 32);
	if (!strcmp(tok, "SIG_ZERO_S"))
		memset(sig + 32, 0, 32);
	if (!strcmp(tok, "SIG_R_N"))
		memcpy(sig, N, 32);
	sig[64] = (uint8_t)(sig[64] + 27);
	if (!strncmp(tok, "SIG_V:", 6))
		sig[64] = (uint8_t)strtoul(tok + 6, NULL, 16);
	hex[0] = '0';
	hex[1] = 'x';
	bh_hex_encode(sig, 65, hex + 2);
	if (!strcmp(tok, "SIG_SHORT"))
		hex[130] = '\0';
	if (!strcmp(tok, "SIG_TRUNC"))     /* a paste cut off by the terminal */
		hex[100] = '\0';
	if (!strcmp(tok, "SIG_LONG"))
		strcat(hex, "00");
	if (!strcmp(tok, "SIG_NONHEX"))
		hex[10] = 'g';
	if (!strcmp(tok, "SIG_NOX")) {
		put(o, hex + 2, strlen(hex + 2));
		return;
	}
	if (!strcmp(tok, "SIG_UTF8")) {
		put(o, hex, 10);
		put(o, "\xc3\xa9", 2);
		put(o, hex + 11, strlen(hex + 11));
		return;
	}
	if (!strcmp(tok, "SIG_SPACE")) {
		put(o, hex, 50);
		put(o, " ", 1);
		put(o, hex + 50, strlen(hex + 50));
		return;
	}
	put(o, hex, strlen(hex));
}

/* Decode C escapes and expand {TOKENS}; msg (the shown message) is NULL outside a conversation. */
static void expand(const char *s, const char *msg, struct out *o)
{
	o->n = 0;
	while (*s) {
		if (*s == '\\' && s[1]) {
			char c = s[1];
			s += 2;
			switch (c) {
			case 'n': put(o, "\n", 1); break;
			case 't': put(o, "\t", 1); break;
			case 'r': put(o, "\r", 1); break;
			case 'x': {
				char h[3] = { s[0], s[1], 0 };
				uint8_t b = (uint8_t)strtoul(h, NULL, 16);
				put(o, &b, 1);
				s += 2;
				break;
			}
			default: put(o, &c, 1); break;
			}
			continue;
		}
		if (*s == '{' && s[1] >= 'A' && s[1] <= 'Z') {
			const char *e = strchr(s, '}');
			assert_non_null(e);
			char tok[64];
			snprintf(tok, sizeof(tok), "%.*s", (int)(e - s - 1), s + 1);
			s = e + 1;
			if (!strncmp(tok, "A*", 2)) {
				for (long i = strtol(tok + 2, NULL, 10); i > 0; i--)
					put(o, "a", 1);
			} else if (!strcmp(tok, "SECRET")) {
				put(o, SECRET, strlen(SECRET));
			} else if (!strcmp(tok, "ADDR")) {
				put(o, "0x", 2);
				put(o, addr_hex, 40);
			} else if (!strcmp(tok, "ADDR_SHORT")) {
				put(o, "0x", 2);
				put(o, addr_hex, 39);
			} else if (!strcmp(tok, "ADDR_NOX_SHORT")) {
				put(o, addr_hex, 39);
			} else if (!strcmp(tok, "ADDR_SPACE")) {
				put(o, "0x", 2);
				put(o, addr_hex, 20);
				put(o, " ", 1);
				put(o, addr_hex + 20, 20);
			} else if (!strcmp(tok, "CFG_BIG")) {
				put(o, "# ", 2);
				for (int i = 0; i < 70000; i++)
					put(o, "a", 1);
			} else if (!strcmp(tok, "SESSION_OTHERKEY")) {
				put(o, other_sig, 132);
			} else if (!strcmp(tok, "SIGTXT") || !strcmp(tok, "SIGTXT_UTF8")) {
				put(o, "0x", 2);
				for (int i = 0; i < 64; i++)
					put(o, "ab", 2);
				put(o, tok[6] ? "\xc3\xa9" : "ab", 2);
			} else if (!strncmp(tok, "SIG", 3)) {
				assert_non_null(msg);
				sig_variant(tok, msg, o);
			} else {
				fail_msg("unknown token {%s}", tok);
			}
			continue;
		}
		put(o, s, 1);
		s++;
	}
	o->d[o->n] = '\0';
}

/* ---------------------------------------------------------------- PAM plumbing */
struct script {
	const struct row *row;
	bool plant;          /* callback row: plant <sid>.sig, answer "" */
};

static void write_bytes(const char *path, const void *d, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, d, n), (ssize_t)n);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
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

static char info_text[1024], error_text[2048];
static unsigned fail_delay_us;

static void delay_fn(int status, unsigned delay, void *appdata)
{
	(void)appdata;
	if (status != PAM_SUCCESS)
		fail_delay_us = delay;
}

static void plant(const struct row *r, const char *sid, const char *msg)
{
	char p[512], real[520];
	struct out o = { malloc(CAP), 0 };
	expand(r->input, msg, &o);
	snprintf(p, sizeof(p), "%s/run/libpam-web3/pending/%s.sig", root, sid);
	snprintf(real, sizeof(real), "%s.real", p);
	if (!strcmp(r->kind, "sigfile") || !strcmp(r->kind, "sigfile_mode666")) {
		write_bytes(p, o.d, o.n, !strcmp(r->kind, "sigfile") ? 0640 : 0666);
	} else if (!strcmp(r->kind, "sigfile_symlink")) {
		write_bytes(real, o.d, o.n, 0640);
		assert_int_equal(symlink(real, p), 0);
	} else if (!strcmp(r->kind, "sigfile_hardlink")) {
		write_bytes(real, o.d, o.n, 0640);
		assert_int_equal(link(real, p), 0);
	} else if (!strcmp(r->kind, "sigfile_dir")) {
		assert_int_equal(mkdir(p, 0750), 0);
	} else if (!strcmp(r->kind, "sigfile_fifo")) {
		assert_int_equal(mkfifo(p, 0640), 0);
	} else {
		fail_msg("unknown kind %s", r->kind);
	}
	free(o.d);
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct script *s = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	char code[20], machine[65], sid[33], m[300];
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_TEXT_INFO) {
			snprintf(info_text, sizeof(info_text), "%s", msg[i]->msg);
			continue;
		}
		if (msg[i]->msg_style == PAM_ERROR_MSG) {
			size_t l = strlen(error_text);
			snprintf(error_text + l, sizeof(error_text) - l, "%s%s", l ? "\n" : "", msg[i]->msg);
			continue;
		}
		parse_info(info_text, code, machine, sid);
		const char *mp = strstr(info_text, "\nMessage: ");
		assert_non_null(mp);
		sscanf(mp + 10, "%299[^\n]", m);
		if (s->plant) {
			assert_true(sid[0]);
			plant(s->row, sid, m);
			r[i].resp = strdup("");
			continue;
		}
		bool reply = !strncmp(s->row->kind, "reply", 5);
		const char *in = reply ? s->row->input : "{SIG}";
		if (!strncmp(s->row->kind, "pending", 7))
			in = "";
		if (!strcmp(s->row->kind, "reply_late"))
			sleep(2);  /* ttl 1 s */
		if (!strcmp(s->row->kind, "reply_used")) {
			/* another process consumed this challenge first */
			char up[600];
			snprintf(up, sizeof(up), "%s/run/libpam-web3/state/u-%.32s", root,
			         strstr(m, " nonce: ") + 8);
			write_bytes(up, "", 0, 0600);
		}
		struct out o = { malloc(CAP), 0 };
		expand(in, m, &o);
		r[i].resp = o.d; /* the module frees it; PAM strings stop at the first NUL */
	}
	*resp = r;
	return PAM_SUCCESS;
}

static void rm_rf(const char *p)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	assert_int_equal(system(cmd), 0);
}

static void good_config(const char *extra)
{
	char p[400], doc[512];
	snprintf(p, sizeof(p), "%s/etc/pam_web3/config.toml", root);
	snprintf(doc, sizeof(doc), "[machine]\nid = \"blockhost-007\"\nsecret_key = \"%s\"\n"
	         "[auth]\ncallback_grace_seconds = 1\n%s", SECRET, extra);
	unlink(p);
	write_bytes(p, doc, strlen(doc), 0640);
}

static int run_module(const struct row *r, size_t idx, char *log, size_t loglen)
{
	char p[400], user[32] = "alice", pend[400], state[400];
	struct script s = { .row = r };
	snprintf(p, sizeof(p), "%s/etc/pam_web3/config.toml", root);
	snprintf(pend, sizeof(pend), "%s/run/libpam-web3/pending", root);
	good_config(!strcmp(r->kind, "reply_late") ? "otp_ttl_seconds = 1\n" : "");
	rm_rf(pend);
	snprintf(state, sizeof(state), "%s/run/libpam-web3/state", root);
	rm_rf(state);
	error_text[0] = info_text[0] = '\0';
	if (!strncmp(r->kind, "config", 6)) {
		struct out o = { malloc(CAP), 0 };
		expand(r->input, NULL, &o);
		unlink(p);
		if (!strcmp(r->kind, "config_symlink")) {
			char real[420];
			snprintf(real, sizeof(real), "%s.real", p);
			write_bytes(real, o.d, o.n, 0640);
			assert_int_equal(symlink(real, p), 0);
		} else {
			write_bytes(p, o.d, o.n, !strcmp(r->kind, "config_mode666") ? 0666 :
			            !strcmp(r->kind, "config_mode660") ? 0660 : 0640);
		}
		free(o.d);
	} else if (!strcmp(r->kind, "gecos")) {
		snprintf(user, sizeof(user), "g%zu", idx);
	} else if (!strncmp(r->kind, "sigfile", 7)) {
		assert_int_equal(mkdir(pend, 0750), 0);
		s.plant = true;
	} else if (!strcmp(r->kind, "pending_symlink")) {
		char real[420];
		snprintf(real, sizeof(real), "%s.real", pend);
		rm_rf(real);
		assert_int_equal(mkdir(real, 0750), 0);
		assert_int_equal(symlink(real, pend), 0);
	} else if (!strcmp(r->kind, "pending_mode777")) {
		assert_int_equal(mkdir(pend, 0750), 0);
		assert_int_equal(chmod(pend, 0777), 0);
	} else if (!strcmp(r->kind, "backoff")) {
		/* the user failed PW3_FAIL_FREE times just now (input: the record's failures) */
		char rec[40], line[64], rp[500];
		assert_int_equal(mkdir(state, 0700), 0);
		pw3_backoff_name("alice", rec);
		snprintf(rp, sizeof(rp), "%s/%s", state, rec);
		snprintf(line, sizeof(line), "pw3-fail v1 %s %llu\n", r->input,
		         (unsigned long long)time(NULL));
		write_bytes(rp, line, strlen(line), 0600);
	} else if (strncmp(r->kind, "reply", 5)) {
		fail_msg("unknown kind %s", r->kind);
	}

	struct pam_conv pc = { conv, &s };
	pam_handle_t *h = NULL;
	int saved = dup(2), fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fflush(stderr);
	dup2(fd, 2);
	close(fd);
	assert_int_equal(pam_start_confdir("pw3", user, &pc, confdir, &h), PAM_SUCCESS);
	assert_int_equal(pam_set_item(h, PAM_FAIL_DELAY, (const void *)delay_fn), PAM_SUCCESS);
	fail_delay_us = 0;
	int rc = pam_authenticate(h, 0);
	pam_end(h, rc);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(logpath, "r");
	size_t n = fread(log, 1, loglen - 1, f);
	log[n] = '\0';
	fclose(f);
	/* clean-up of planted extras */
	char cmd[1400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.real' '%s.real'", pend, pend, p);
	assert_int_equal(system(cmd), 0);
	return rc;
}

static int http_dfd = -1;

static unsigned run_http(const struct row *r, char *why_out, size_t wl)
{
	struct out o = { malloc(CAP), 0 };
	expand(r->input, NULL, &o);
	char *sp1 = memchr(o.d, ' ', o.n);
	assert_non_null(sp1);
	*sp1 = '\0';
	char *url = sp1 + 1, *body = memchr(url, ' ', o.n - (size_t)(url - o.d));
	size_t blen = 0, ulen = body ? (size_t)(body - url) : o.n - (size_t)(url - o.d);
	if (body) {
		*body++ = '\0';
		blen = o.n - (size_t)(body - o.d);
	}
	struct pw3_http_ctx ctx = { .pending_fd = http_dfd, .index_html = "x", .index_len = 1,
	                            .engine_js = "y", .engine_len = 1 };
	struct pw3_http_resp resp;
	struct bh_msg why = { { 0 } };
	unsigned flags = blen > PW3_EVM_BODY_MAX ? PW3_REQ_TOO_LARGE : 0;
	(void)pw3_http_handle(&ctx, o.d, url, ulen, (const uint8_t *)body, blen, flags,
	                      (uint64_t)time(NULL), &resp, &why);
	snprintf(why_out, wl, "%u %s", resp.status, why.text);
	pw3_http_resp_done(&resp);
	unsigned st = resp.status;
	free(o.d);
	return st;
}

/* every "...;"-separated part of want, in order, in got ({OWNER}: the VM's wallet, EIP-55) */
static bool says_ok(const char *got, const char *want)
{
	char w[1024], own[BH_ADDR_STR_LEN + 1], part[1024];
	uint8_t a[20];
	const char *p = got;
	assert_int_equal(bh_eth_address_from_priv(key_alice, a), 0);
	bh_eth_addr_checksum(a, own);
	snprintf(w, sizeof(w), "%s", want);
	for (char *tok = w, *next; tok; tok = next) {
		next = strstr(tok, "...;");
		if (next) {
			*next = '\0';
			next += 4;
		}
		char *o = strstr(tok, "{OWNER}");
		if (o)
			snprintf(part, sizeof(part), "%.*s%s%s", (int)(o - tok), tok, own, o + 7);
		else
			snprintf(part, sizeof(part), "%s", tok);
		const char *f = strstr(p, part);
		if (!f)
			return false;
		p = f + strlen(part);
	}
	return true;
}

static void test_catalogue(void **state)
{
	(void)state;
	char log[16384];
	size_t n_mod = 0, n_http = 0;
	/* the service's pending dir: one session with .json, one with only a .sig */
	char hd[400], p[500];
	snprintf(hd, sizeof(hd), "%s/http-pending", root);
	assert_int_equal(mkdir(hd, 0750), 0);
	snprintf(p, sizeof(p), "%s/0123456789abcdef0123456789abcdef.json", hd);
	write_bytes(p, "{}", 2, 0640);
	snprintf(p, sizeof(p), "%s/fedcba9876543210fedcba9876543210.sig", hd);
	write_bytes(p, "0x00", 4, 0640);
	/* two sessions in the new format for the alice wallet: 1111... live, 2222... expired */
	for (int k = 0; k < 2; k++) {
		char sid[33], msg[PW3_MESSAGE_MAX], iso[PW3_ISO_LEN + 1], js[700];
		uint64_t exp = k ? (uint64_t)time(NULL) - 10 : (uint64_t)time(NULL) + 3600;
		memset(sid, k ? '2' : '1', 32);
		sid[32] = '\0';
		assert_true(pw3_message_fmt("blockhost-007", "123456", "00112233445566778899aabbccddeeff",
		                            exp, msg, sizeof(msg)) > 0);
		assert_int_equal(pw3_time_iso(exp, iso), 0);
		snprintf(js, sizeof(js), "{\"otp\":\"123456\",\"machine_id\":\"blockhost-007\",\"session_id\":\"%s\","
		         "\"nonce\":\"00112233445566778899aabbccddeeff\",\"expires\":\"%s\",\"wallet\":\"0x%s\","
		         "\"message\":\"%s\"}", sid, iso, addr_hex, msg);
		snprintf(p, sizeof(p), "%s/%s.json", hd, sid);
		write_bytes(p, js, strlen(js), 0640);
		if (k == 0) {
			/* a real signature of the live session by another wallet */
			uint8_t d[32], sg[65];
			pw3_eip191_digest(msg, strlen(msg), d);
			assert_int_equal(bh_secp_sign(key_mallory, d, sg), 0);
			sg[64] = (uint8_t)(sg[64] + 27);
			other_sig[0] = '0';
			other_sig[1] = 'x';
			bh_hex_encode(sg, 65, other_sig + 2);
		}
	}
	assert_int_equal(pw3_pending_open(hd, &http_dfd), 0);

	assert_true(nrows >= 50);
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];
		if (!strcmp(r->kind, "http")) {
			unsigned st = run_http(r, log, sizeof(log));
			if (st != (unsigned)atoi(r->expect) || st < 400)
				fail_msg("row %zu (%s: %s): got %s, want %s", i, r->kind, r->note, log, r->expect);
			print_message("ok %3zu %-16s %-48s -> %s\n", i, r->kind, r->note, log);
			n_http++;
			continue;
		}
		int rc = run_module(r, i, log, sizeof(log));
		char *line = strstr(log, "pam_web3: ");
		if (rc == PAM_SUCCESS || rc == PAM_IGNORE || !strstr(log, r->expect))
			fail_msg("row %zu (%s: %s): rc=%d, want log '%s', got:\n%s", i, r->kind, r->note, rc,
			         r->expect, log);
		if (r->says[0] && !says_ok(error_text, r->says))
			fail_msg("row %zu (%s: %s): the user read '%s', want '%s'", i, r->kind, r->note,
			         error_text, r->says);
		if (fail_delay_us == 0)
			fail_msg("row %zu (%s: %s): no failure delay requested", i, r->kind, r->note);
		if (line)
			line[strcspn(line, "\n")] = '\0';
		print_message("ok %3zu %-16s %-48s -> %s\n", i, r->kind, r->note, line ? line + 10 : "?");
		n_mod++;
	}
	print_message("catalogue: %zu rows through pam_web3.so, %zu through the auth-svc handler\n",
	              n_mod, n_http);
	close(http_dfd);
}

/* One positive control: the right signature still works with this harness. */
static void test_control(void **state)
{
	(void)state;
	struct row r = { .kind = "reply", .input = (char *)"{SIG}", .expect = (char *)"", .note = (char *)"",
	                 .says = (char *)"" };
	char log[4096];
	assert_int_equal(run_module(&r, 0, log, sizeof(log)), PAM_SUCCESS);
}

static void write_str(const char *path, const char *s)
{
	write_bytes(path, s, strlen(s), 0644);
}

int main(int argc, char **argv)
{
	(void)argc;
	memset(key_alice, 0x11, 32);
	memset(key_mallory, 0x22, 32);
	uint8_t a[20];
	if (bh_eth_address_from_priv(key_alice, a) < 0)
		return 1;
	bh_hex_encode(a, 20, addr_hex);
	if (load_rows() < 0) {
		printf("cannot read %s\n", tsv_path());
		return 1;
	}
	if (!getenv("NSS_WRAPPER_PASSWD")) {
		char dir[] = "/tmp/pw3hnss.XXXXXX", pw[300], gr[300];
		if (access(NSS_WRAPPER, R_OK) != 0) {
			printf("skip: %s missing\n", NSS_WRAPPER);
			return 77;
		}
		if (!mkdtemp(dir))
			return 1;
		snprintf(pw, sizeof(pw), "%s/passwd", dir);
		snprintf(gr, sizeof(gr), "%s/group", dir);
		FILE *f = fopen(pw, "w");
		fprintf(f, "alice:x:4242:4242:wallet=0x%s,nft=7:/tmp:/bin/sh\n", addr_hex);
		for (size_t i = 0; i < nrows; i++) {
			if (strcmp(rows[i].kind, "gecos"))
				continue;
			char *buf = malloc(CAP);
			struct out o = { buf, 0 };
			expand(rows[i].input, NULL, &o);
			fprintf(f, "g%zu:x:%zu:4242:%s:/tmp:/bin/sh\n", i, 5000 + i, o.d);
			free(buf);
		}
		fclose(f);
		f = fopen(gr, "w");
		fputs("pw3:x:4242:\n", f);
		fclose(f);
		setenv("NSS_WRAPPER_PASSWD", pw, 1);
		setenv("NSS_WRAPPER_GROUP", gr, 1);
		setenv("NSS_WRAPPER_DIR", dir, 1);
		setenv("LD_PRELOAD", NSS_WRAPPER, 1);
		setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 0);
		setenv("NSS_WRAPPER_DISABLE_DEEPBIND", "1", 1);
		execv("/proc/self/exe", argv);
		return 1;
	}
	char p[400];
	snprintf(root, sizeof(root), "/tmp/pw3host.XXXXXX");
	if (!mkdtemp(root))
		return 1;
	snprintf(confdir, sizeof(confdir), "%s/pam.d", root);
	snprintf(logpath, sizeof(logpath), "%s/log", root);
	const char *dirs[] = { "pam.d", "etc", "etc/pam_web3", "run", "run/libpam-web3" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		if (mkdir(p, 0755) < 0)
			return 1;
	}
	/* the module ignores BLOCKHOST_ROOT: the temp tree is named by its arguments */
	char line[1200];
	snprintf(line, sizeof(line), "auth required " PW3_MODULE_PATH " stderr config=%s/etc/pam_web3/config.toml"
	         " run_dir=%s/run/libpam-web3\naccount required pam_permit.so\n", root, root);
	snprintf(p, sizeof(p), "%s/pam.d/pw3", root);
	write_str(p, line);
	snprintf(p, sizeof(p), "%s/pam.d/other", root);
	write_str(p, "auth required pam_deny.so\n");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_catalogue),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	rm_rf(root);
	rm_rf(getenv("NSS_WRAPPER_DIR"));
	for (size_t i = 0; i < nrows; i++) {
		free(rows[i].input);
		free(rows[i].expect);
		free(rows[i].note);
		free(rows[i].says);
	}
	return r;
}

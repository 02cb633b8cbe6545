/* SPDX-License-Identifier: MIT */
/* Unit tests: libpw3 — config, OTP, signature text, port, pending sessions, HTTP routing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/hex.h"
#include "eth/keccak.h"
#include "pw3.h"
#include "sandbox/sandbox.h"
#include "eth/secp.h"

#define SECRET "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
static const char good_cfg[] =
	"# comment\n"
	"[machine]\n"
	"id = \"blockhost-001\"\n"
	"secret_key = \"" SECRET "\"   # trailing comment\n"
	"\n"
	"[auth]\n"
	"otp_length = 8\n"
	"otp_ttl_seconds = 60\n"
	"use_tls = false\n"
	"signing_url = 'https://vm.example:8443'\n"
	"callback_enabled = true\n"
	"callback_grace_seconds = 3\n";

static void test_config_good(void **state)
{
	(void)state;
	struct pw3_config c;
	struct bh_msg m = { { 0 } };
	assert_int_equal(pw3_config_parse(good_cfg, strlen(good_cfg), &c, &m), 0);
	assert_string_equal(c.machine_id, "blockhost-001");
	assert_int_equal(c.secret_len, 32);
	assert_int_equal(c.secret[1], 0x11);
	assert_int_equal(c.otp_length, 8);
	assert_int_equal(c.otp_ttl, 60);
	assert_false(c.use_tls);
	assert_int_equal(c.callback_grace, 3);
	assert_string_equal(c.signing_url, "https://vm.example:8443");

	const char min[] = "[machine]\nid=\"m\"\nsecret_key=\"" SECRET "\"\r\n";
	assert_int_equal(pw3_config_parse(min, strlen(min), &c, &m), 0);
	assert_int_equal(c.otp_length, 6);
	assert_int_equal(c.otp_ttl, 300);
	assert_true(c.use_tls);
	assert_int_equal(c.callback_grace, 10);
}

static void test_config_bad(void **state)
{
	(void)state;
	static const struct { const char *doc; int err; const char *needle; } t[] = {
		{ "[machine]\nid=\"m\"\n", BH_ERR_MISSING_KEY, "secret_key" },
		{ "[machine]\nsecret_key=\"" SECRET "\"\n", BH_ERR_MISSING_KEY, "machine.id" },
		{ "[machine]\nid=\"m\"\nid=\"n\"\nsecret_key=\"" SECRET "\"\n", BH_ERR_DUPLICATE, "duplicate key" },
		{ "[machine]\nid=\"m\"\n[machine]\nsecret_key=\"" SECRET "\"\n", BH_ERR_DUPLICATE, "duplicate section" },
		{ "[machine]\nid=\"m\"\nsecret_key=\"" SECRET "\"\n[extra]\n", BH_ERR_CONFIG, "unknown section" },
		{ "[machine]\nid=\"m\"\nsecret_key=\"" SECRET "\"\nfoo=1\n", BH_ERR_CONFIG, "unknown key" },
		{ "id=\"m\"\n", BH_ERR_CONFIG, "outside" },
		{ "[machine]\nid=5\nsecret_key=\"" SECRET "\"\n", BH_ERR_WRONG_TYPE, "expected string" },
		{ "[machine]\nid=\"m\"\nsecret_key=\"" SECRET "\"\n[auth]\notp_length=\"6\"\n", BH_ERR_WRONG_TYPE, "expected integer" },
		{ "[machine]\nid=\"m\"\nsecret_key=\"" SECRET "\"\n[auth]\notp_length=3\n", BH_ERR_RANGE, "not in 4..19" },
		{ "[machine]\nid=\"m\"\nsecret_key=\"" SECRET "\"\n[auth]\notp_length=20\n", BH_ERR_RANGE, "not in" },
		{ "[machine]\nid=\"m\"\nsecret_key=\"" SECRET "\"\n[auth]\nuse_tls=yes\n", BH_ERR_WRONG_TYPE, "unsupported value" },
		{ "[machine]\nid=\"m\"\nsecret_key=\"" SECRET "\"\n[auth]\nuse_tls=true false\n", BH_ERR_TRAILING, "after the value" },
		{ "[machine]\nid=\"m\"\nsecret_key=\"zz\"\n", BH_ERR_FORMAT, "bytes of hex" },
		{ "[machine]\nid=\"m\"\nsecret_key=\"0011\"\n", BH_ERR_FORMAT, "bytes of hex" },
		{ "[machine]\nid=\"m m\"\nsecret_key=\"" SECRET "\"\n", BH_ERR_FORMAT, "machine.id" },
		{ "[machine]\nid=\"m\nsecret_key=\"" SECRET "\"\n", BH_ERR_FORMAT, "unterminated" },
		{ "[machine]\nid=\"\\x\"\n", BH_ERR_FORMAT, "escape" },
		{ "[machine\n", BH_ERR_FORMAT, "section header" },
		{ "[machine]\nid\n", BH_ERR_FORMAT, "key = value" },
		{ "[machine]\nid=\"m\"\nsecret_key=\"" SECRET "\"\n[auth]\notp_ttl_seconds=99999999999999999999\n", BH_ERR_RANGE, "too large" },
		{ "[machine]\nid=\"m\"\nsecret_key=\"" SECRET "\"\n[auth]\notp_ttl_seconds=007\n", BH_ERR_FORMAT, "leading zero" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct pw3_config c;
		struct bh_msg m = { { 0 } };
		int r = pw3_config_parse(t[i].doc, strlen(t[i].doc), &c, &m);
		if (r != t[i].err || !strstr(m.text, t[i].needle))
			fail_msg("case %zu: r=%d (%s) msg='%s'", i, r, bh_strerror(r), m.text);
	}
	/* NUL byte */
	struct pw3_config c;
	struct bh_msg m = { { 0 } };
	assert_int_equal(pw3_config_parse("[machine]\0", 10, &c, &m), BH_ERR_NUL);
}

static void test_config_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/pw3test.XXXXXX", p[256], l[256];
	struct pw3_config c;
	struct bh_msg m = { { 0 } };
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/config.toml", dir);
	snprintf(l, sizeof(l), "%s/link.toml", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(good_cfg, f);
	fclose(f);
	chmod(p, 0640);
	assert_int_equal(pw3_config_load(p, &c, &m), 0);
	assert_int_equal(symlink(p, l), 0);
	assert_int_equal(pw3_config_load(l, &c, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "symlink"));
	chmod(p, 0660);
	assert_int_equal(pw3_config_load(p, &c, &m), BH_ERR_UNSAFE_FILE);
	chmod(p, 0644);
	assert_int_equal(pw3_config_load(p, &c, &m), 0);
	chmod(p, 0646);
	assert_int_equal(pw3_config_load(p, &c, &m), BH_ERR_UNSAFE_FILE);
	unlink(p);
	assert_int_equal(pw3_config_load(p, &c, &m), -ENOENT);
	assert_int_equal(pw3_config_load(dir, &c, &m), BH_ERR_UNSAFE_FILE);
	unlink(l);
	rmdir(dir);
}

static void cfg_for_tests(struct pw3_config *c)
{
	const char d[] = "[machine]\nid=\"blockhost-001\"\nsecret_key=\"" SECRET "\"\n";
	assert_int_equal(pw3_config_parse(d, strlen(d), c, NULL), 0);
}

static void test_otp(void **state)
{
	(void)state;
	struct pw3_config c;
	struct pw3_otp o, o2;
	unsigned hist[10] = { 0 };
	cfg_for_tests(&c);
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(pw3_otp_new(&c, 1000, &o), 0);
		assert_int_equal(strlen(o.code), 6);
		for (int k = 0; k < 6; k++)
			hist[o.code[k] - '0']++;
	}
	for (int d = 0; d < 10; d++)  /* 1200 expected per digit */
		assert_true(hist[d] > 1000 && hist[d] < 1400);
	c.otp_length = 19;
	assert_int_equal(pw3_otp_new(&c, 1000, &o), 0);
	assert_int_equal(strlen(o.code), 19);
	c.otp_length = 6;
	assert_int_equal(pw3_otp_new(&c, 1000, &o), 0);
	assert_int_equal(pw3_otp_verify(&c, &o, o.code, "blockhost-001", 1000), 0);
	assert_int_equal(pw3_otp_verify(&c, &o, o.code, "blockhost-001", 1300), 0);
	assert_int_equal(pw3_otp_verify(&c, &o, o.code, "blockhost-001", 1301), BH_ERR_EXPIRED);
	assert_int_equal(pw3_otp_verify(&c, &o, o.code, "blockhost-002", 1000), BH_ERR_MISMATCH);
	assert_int_equal(pw3_otp_verify(&c, &o, "000000x", "blockhost-001", 1000), BH_ERR_MISMATCH);
	/* the tag binds code, time, machine and secret */
	o2 = o;
	o2.created_at = 1001;
	assert_int_equal(pw3_otp_verify(&c, &o2, o2.code, "blockhost-001", 1000), BH_ERR_MISMATCH);
	o2 = o;
	o2.code[0] = o2.code[0] == '9' ? '0' : (char)(o2.code[0] + 1);
	assert_int_equal(pw3_otp_verify(&c, &o2, o2.code, "blockhost-001", 1000), BH_ERR_MISMATCH);
	o2 = o;
	c.secret[0] ^= 1;
	assert_int_equal(pw3_otp_verify(&c, &o2, o2.code, "blockhost-001", 1000), BH_ERR_MISMATCH);
	c.secret[0] ^= 1;
	/* the tag is SHA3-256(secret || code || created_at LE || machine_id) */
	uint8_t in[32 + 6 + 8 + 13], tag[32];
	memcpy(in, c.secret, 32);
	memcpy(in + 32, o.code, 6);
	for (int i = 0; i < 8; i++)
		in[38 + i] = (uint8_t)(1000ull >> (8 * i));
	memcpy(in + 46, "blockhost-001", 13);
	bh_sha3_256(in, sizeof(in), tag);
	assert_memory_equal(tag, o.tag, 32);
}

static void test_message_and_digest(void **state)
{
	(void)state;
	char m[PW3_MESSAGE_MAX], hex[65];
	uint8_t d[32];
	int n = pw3_message("blockhost-001", "123456", m, sizeof(m));
	assert_int_equal(n, 47);
	assert_string_equal(m, "Authenticate to blockhost-001 with code: 123456");
	pw3_eip191_digest(m, (size_t)n, d);
	bh_hex_encode(d, 32, hex);
	assert_string_equal(hex, "aa8a8fdf4042242002db0a2fb8bdd62848acfd735f7f0af5f39df395e81aa060");
}

static void test_crc_port(void **state)
{
	(void)state;
	assert_int_equal(pw3_crc32("123456789", 9), 0xcbf43926);
	assert_int_equal(pw3_chain_port("evm"), 63108);
	assert_int_equal(pw3_chain_port("opnet"), 32448);
	assert_int_equal(pw3_chain_port("cardano"), 34206);
	assert_int_equal(pw3_chain_port("ergo"), 22898);
}

static void sign_hex(const uint8_t priv[32], const char *msg, uint8_t v_add, char out[133])
{
	uint8_t d[32], sig[65];
	pw3_eip191_digest(msg, strlen(msg), d);
	assert_int_equal(bh_secp_sign(priv, d, sig), 0);
	sig[64] = (uint8_t)(sig[64] + v_add);
	out[0] = '0';
	out[1] = 'x';
	bh_hex_encode(sig, 65, out + 2);
}

/* r = s = 0x1111...: in range, low-S */
#define RS "11111111111111111111111111111111111111111111111111111111111111111111111111111111" \
	"111111111111111111111111111111111111111111111111"
static void test_sig_parse(void **state)
{
	(void)state;
	char h[200];
	uint8_t s[65];
	memset(h, 'a', sizeof(h));
	for (unsigned v = 0; v < 256; v++) {
		snprintf(h, sizeof(h), "0x%s%02x", RS, v);
		int r = pw3_sig_parse(h, strlen(h), s);
		if (v == 0 || v == 1 || v == 27 || v == 28 || v >= 35) {
			assert_int_equal(r, 0);
			assert_int_equal(s[64], (v == 0 || v == 27) ? 0 : (v == 1 || v == 28) ? 1 : (v - 35) % 2);
		} else {
			assert_int_equal(r, BH_ERR_RECOVERY_ID);
		}
	}
	snprintf(h, sizeof(h), "  %s1b \n", RS);
	assert_int_equal(pw3_sig_parse(h, strlen(h), s), 0);  /* no 0x, whitespace trimmed */
	snprintf(h, sizeof(h), "0x%s", RS);
	assert_int_equal(pw3_sig_parse(h, strlen(h), s), BH_ERR_LENGTH);
	snprintf(h, sizeof(h), "0x%0128d1b", 0);
	assert_int_equal(pw3_sig_parse(h, strlen(h), s), BH_ERR_SIGNATURE);  /* r = s = 0 */
	snprintf(h, sizeof(h), "0x%0131d", 1);
	assert_int_equal(pw3_sig_parse(h, strlen(h), s), BH_ERR_LENGTH);
	snprintf(h, sizeof(h), "0x%0129dg", 1);
	assert_int_equal(pw3_sig_parse(h, strlen(h), s), BH_ERR_HEX);
	assert_int_equal(pw3_sig_parse("", 0, s), BH_ERR_LENGTH);
	char big[PW3_REPLY_MAX + 2];
	memset(big, '0', sizeof(big));
	assert_int_equal(pw3_sig_parse(big, sizeof(big), s), BH_ERR_LIMIT);
}

static void test_verify_evm(void **state)
{
	(void)state;
	struct pw3_config c;
	struct pw3_otp o;
	uint8_t priv[32], other[32], addr[20];
	char m[PW3_MESSAGE_MAX], sig[133];
	cfg_for_tests(&c);
	memset(priv, 0x11, 32);
	memset(other, 0x22, 32);
	assert_int_equal(bh_eth_address_from_priv(priv, addr), 0);
	assert_int_equal(pw3_otp_new(&c, 5000, &o), 0);
	pw3_message(o.machine_id, o.code, m, sizeof(m));
	sign_hex(priv, m, 27, sig);
	assert_int_equal(pw3_verify_evm(&c, &o, sig, strlen(sig), addr, 5000), 0);
	/* upper-case hex and v 0/1 also verify */
	for (char *p = sig + 2; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	assert_int_equal(pw3_verify_evm(&c, &o, sig, strlen(sig), addr, 5000), 0);
	sign_hex(priv, m, 0, sig);
	assert_int_equal(pw3_verify_evm(&c, &o, sig, strlen(sig), addr, 5000), 0);
	/* expired */
	assert_int_equal(pw3_verify_evm(&c, &o, sig, strlen(sig), addr, 5301), BH_ERR_EXPIRED);
	/* another key */
	sign_hex(other, m, 27, sig);
	assert_int_equal(pw3_verify_evm(&c, &o, sig, strlen(sig), addr, 5000), BH_ERR_MISMATCH);
	/* another machine */
	sign_hex(priv, "Authenticate to blockhost-002 with code: 123456", 27, sig);
	assert_int_equal(pw3_verify_evm(&c, &o, sig, strlen(sig), addr, 5000), BH_ERR_MISMATCH);
	/* high-S: s' = n - s, v flipped -> same key mathematically, rejected */
	static const uint8_t n[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41 };
	uint8_t d[32], raw[65];
	pw3_eip191_digest(m, strlen(m), d);
	assert_int_equal(bh_secp_sign(priv, d, raw), 0);
	int borrow = 0;
	for (int i = 31; i >= 0; i--) {
		int x = n[i] - raw[32 + i] - borrow;
		borrow = x < 0;
		raw[32 + i] = (uint8_t)(x & 0xff);
	}
	raw[64] = (uint8_t)(27 + (raw[64] ^ 1));
	sig[0] = '0';
	sig[1] = 'x';
	bh_hex_encode(raw, 65, sig + 2);
	assert_int_equal(pw3_verify_evm(&c, &o, sig, strlen(sig), addr, 5000), BH_ERR_HIGH_S);
}

static void test_pending(void **state)
{
	(void)state;
	char dir[] = "/tmp/pw3pend.XXXXXX", p[256], lnk[256];
	struct pw3_config c;
	struct pw3_otp o;
	struct pw3_session s;
	char *sig = NULL;
	int dfd;
	cfg_for_tests(&c);
	assert_int_equal(pw3_otp_new(&c, 1, &o), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(lnk, sizeof(lnk), "%s.link", dir);
	assert_int_equal(symlink(dir, lnk), 0);
	assert_int_equal(pw3_pending_open(lnk, &dfd), BH_ERR_UNSAFE_FILE);
	unlink(lnk);
	chmod(dir, 0777);
	assert_int_equal(pw3_pending_open(dir, &dfd), BH_ERR_UNSAFE_FILE);
	chmod(dir, 0750);
	assert_int_equal(pw3_pending_open("/nonexistent/pw3", &dfd), -ENOENT);
	assert_int_equal(pw3_pending_open(dir, &dfd), 0);
	assert_int_equal(pw3_session_create(dfd, &o, &s), 0);
	assert_true(pw3_sid_valid(s.sid, strlen(s.sid)));
	snprintf(p, sizeof(p), "%s/%s.json", dir, s.sid);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	char buf[256] = { 0 }, want[256];
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	snprintf(want, sizeof(want), "{\"otp\":\"%s\",\"machine_id\":\"blockhost-001\",\"session_id\":\"%s\"}",
	         o.code, s.sid);
	assert_string_equal(buf, want);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* nothing yet, then empty, then content */
	assert_int_equal(pw3_session_read_sig(&s, &sig), -ENOENT);
	snprintf(p, sizeof(p), "%s/%s.sig", dir, s.sid);
	f = fopen(p, "w");
	fclose(f);
	assert_int_equal(pw3_session_read_sig(&s, &sig), -EAGAIN);
	assert_int_equal(pw3_session_poll(&s, 10, 50, &sig), BH_ERR_TIMEOUT);
	f = fopen(p, "w");
	fputs("  0xabc \n", f);
	fclose(f);
	assert_int_equal(pw3_session_poll(&s, 10, 50, &sig), 0);
	assert_string_equal(sig, "0xabc");
	free(sig);
	sig = NULL;
	/* hard link and symlink are refused */
	snprintf(lnk, sizeof(lnk), "%s/hl", dir);
	assert_int_equal(link(p, lnk), 0);
	assert_int_equal(pw3_session_read_sig(&s, &sig), BH_ERR_UNSAFE_FILE);
	unlink(lnk);
	unlink(p);
	assert_int_equal(symlink("/etc/hostname", p), 0);
	assert_int_equal(pw3_session_read_sig(&s, &sig), BH_ERR_UNSAFE_FILE);
	unlink(p);
	f = fopen(p, "w");
	for (int i = 0; i < 2000; i++)
		fputc('0', f);
	fclose(f);
	assert_int_equal(pw3_session_read_sig(&s, &sig), BH_ERR_LIMIT);
	/* destroy removes every file */
	pw3_session_destroy(&s);
	pw3_session_destroy(&s);
	assert_int_equal(rmdir(dir), 0);
}

/* a file in dir (or outside it) with content and an mtime `age` seconds before `now` */
static void make_aged(const char *dir, const char *name, time_t now, time_t age)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("x", f);
	fclose(f);
	struct timespec ts[2] = { { .tv_sec = now - age }, { .tv_sec = now - age } };
	assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static bool exists_nofollow(const char *dir, const char *name)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

/* stale session files go, fresh ones and everything else stay; symlinks are not followed */
static void test_pending_sweep(void **state)
{
	(void)state;
	char dir[] = "/tmp/pw3sweep.XXXXXX", out[] = "/tmp/pw3sweepout.XXXXXX", p[512], t[512];
	const char *sid = "0123456789abcdef0123456789abcdef", *sid2 = "fedcba9876543210fedcba9876543210";
	char n[128];
	time_t now = time(NULL);
	int dfd;
	assert_non_null(mkdtemp(dir));
	assert_non_null(mkdtemp(out));
	/* stale: one of each suffix, 400 s old (max_age 370) */
	const char *ext[] = { ".json", ".sig", ".tmp", ".sig.tmp" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(n, sizeof(n), "%s%s", sid, ext[i]);
		make_aged(dir, n, now, 400);
	}
	/* fresh: 100 s old; exactly at the limit counts as stale */
	snprintf(n, sizeof(n), "%s.json", sid2);
	make_aged(dir, n, now, 100);
	snprintf(n, sizeof(n), "%s.sig", sid2);
	make_aged(dir, n, now, 370);
	/* old but not session files: other names, upper-case sid, other suffix, a directory */
	make_aged(dir, "notes.txt", now, 4000);
	make_aged(dir, "0123456789ABCDEF0123456789abcdef.json", now, 4000);
	make_aged(dir, "0123456789abcdef0123456789abcdef.json.bak", now, 4000);
	make_aged(dir, "0123456789abcdef0123456789abcde.json", now, 4000);
	snprintf(p, sizeof(p), "%s/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	struct timespec old[2] = { { .tv_sec = now - 4000 }, { .tv_sec = now - 4000 } };
	assert_int_equal(utimensat(AT_FDCWD, p, old, 0), 0);
	/* an old symlink with a session name pointing at an old file outside the dir:
	 * neither the target nor the link is touched (the sweep never follows, and only
	 * unlinks regular files) */
	make_aged(out, "victim", now, 4000);
	snprintf(t, sizeof(t), "%s/victim", out);
	snprintf(p, sizeof(p), "%s/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.sig", dir);
	assert_int_equal(symlink(t, p), 0);
	assert_int_equal(utimensat(AT_FDCWD, p, old, AT_SYMLINK_NOFOLLOW), 0);
	/* a symlink to a directory named like a session: not entered */
	snprintf(p, sizeof(p), "%s/cccccccccccccccccccccccccccccccc.json", dir);
	assert_int_equal(symlink(out, p), 0);

	assert_int_equal(pw3_pending_open(dir, &dfd), 0);
	assert_int_equal(pw3_pending_sweep(dfd, (uint64_t)now, 370), 5);
	for (size_t i = 0; i < 4; i++) {
		snprintf(n, sizeof(n), "%s%s", sid, ext[i]);
		assert_false(exists_nofollow(dir, n));
	}
	snprintf(n, sizeof(n), "%s.json", sid2);
	assert_true(exists_nofollow(dir, n));
	snprintf(n, sizeof(n), "%s.sig", sid2);
	assert_false(exists_nofollow(dir, n));
	assert_true(exists_nofollow(dir, "notes.txt"));
	assert_true(exists_nofollow(dir, "0123456789ABCDEF0123456789abcdef.json"));
	assert_true(exists_nofollow(dir, "0123456789abcdef0123456789abcdef.json.bak"));
	assert_true(exists_nofollow(dir, "0123456789abcdef0123456789abcde.json"));
	assert_true(exists_nofollow(dir, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json"));
	assert_true(exists_nofollow(dir, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.sig"));
	assert_true(exists_nofollow(dir, "cccccccccccccccccccccccccccccccc.json"));
	assert_true(exists_nofollow(out, "victim"));
	/* dfd is still usable afterwards, and a second sweep finds nothing */
	assert_int_equal(pw3_pending_sweep(dfd, (uint64_t)now, 370), 0);
	/* a clock before max_age removes nothing */
	assert_int_equal(pw3_pending_sweep(dfd, 10, 370), 0);
	/* max_age 0: everything session-named and regular goes (the fresh one too) */
	assert_int_equal(pw3_pending_sweep(dfd, (uint64_t)now + 1, 0), 1);
	close(dfd);
	snprintf(p, sizeof(p), "rm -rf '%s' '%s'", dir, out);
	assert_int_equal(system(p), 0);
}

static void test_http(void **state)
{
	(void)state;
	char dir[] = "/tmp/pw3http.XXXXXX", p[256], url[128];
	struct pw3_config c;
	struct pw3_otp o;
	struct pw3_session s;
	struct pw3_http_resp r;
	int dfd, dfd2;
	cfg_for_tests(&c);
	assert_int_equal(pw3_otp_new(&c, 1, &o), 0);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(pw3_pending_open(dir, &dfd), 0);
	assert_int_equal(pw3_pending_open(dir, &dfd2), 0);
	assert_int_equal(pw3_session_create(dfd, &o, &s), 0);
	struct pw3_http_ctx ctx = { .pending_fd = dfd2, .index_html = "<html>", .index_len = 6,
	                            .engine_js = "js", .engine_len = 2 };
	assert_int_equal(pw3_http_handle(&ctx, "GET", "/", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/html; charset=utf-8");
	assert_int_equal(pw3_http_handle(&ctx, "GET", "/index.html?session=1", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(pw3_http_handle(&ctx, "GET", "/engine.js", NULL, 0, 0, &r, NULL), 0);
	assert_string_equal(r.content_type, "application/javascript; charset=utf-8");
	assert_int_equal(pw3_http_handle(&ctx, "GET", "/nope", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	snprintf(url, sizeof(url), "/auth/pending/%s", s.sid);
	assert_int_equal(pw3_http_handle(&ctx, "GET", url, NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/json");
	assert_non_null(strstr(r.body, s.sid));
	pw3_http_resp_done(&r);
	assert_int_equal(pw3_http_handle(&ctx, "GET", "/auth/pending/ABCDEF0123456789abcdef0123456789", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(pw3_http_handle(&ctx, "GET", "/auth/pending/00000000000000000000000000000000", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	snprintf(url, sizeof(url), "/auth/callback/%s", s.sid);
	char sig[200];
	snprintf(sig, sizeof(sig), "0x%0128dAB", 7);
	/* upstream's answers byte for byte: status, "text/plain", body text */
	assert_int_equal(pw3_http_handle(&ctx, "POST", url, (const uint8_t *)"zz", 2, 0, &r, NULL), 0);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.content_type, "text/plain");
	assert_int_equal(r.body_len, strlen("invalid signature format"));
	assert_memory_equal(r.body, "invalid signature format", r.body_len);
	assert_int_equal(pw3_http_handle(&ctx, "POST", url, (const uint8_t *)sig, strlen(sig), PW3_REQ_TOO_LARGE, &r, NULL), 0);
	assert_int_equal(r.status, 413);
	assert_memory_equal(r.body, "body too large", r.body_len);
	assert_int_equal(pw3_http_handle(&ctx, "POST", url, (const uint8_t *)sig, strlen(sig), PW3_REQ_TIMEOUT, &r, NULL), 0);
	assert_int_equal(r.status, 408);
	assert_memory_equal(r.body, "Request Timeout", r.body_len);
	/* upstream's order: the body limits come before the session lookup */
	snprintf(p, sizeof(p), "/auth/callback/%032d", 0);
	assert_int_equal(pw3_http_handle(&ctx, "POST", p, (const uint8_t *)sig, strlen(sig), PW3_REQ_TOO_LARGE, &r, NULL), 0);
	assert_int_equal(r.status, 413);
	assert_int_equal(pw3_http_handle(&ctx, "POST", p, (const uint8_t *)sig, strlen(sig), PW3_REQ_TIMEOUT, &r, NULL), 0);
	assert_int_equal(r.status, 408);
	/* a route is method + path: the wrong method and HEAD are 404 "Not Found" (no 405) */
	assert_int_equal(pw3_http_handle(&ctx, "GET", url, NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_memory_equal(r.body, "Not Found", r.body_len);
	snprintf(p, sizeof(p), "/auth/pending/%s", s.sid);
	assert_int_equal(pw3_http_handle(&ctx, "POST", p, (const uint8_t *)sig, strlen(sig), 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(pw3_http_handle(&ctx, "HEAD", "/", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(pw3_http_handle(&ctx, "HEAD", p, NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(pw3_http_handle(&ctx, "PUT", url, (const uint8_t *)sig, strlen(sig), 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(pw3_http_handle(&ctx, "POST", url, (const uint8_t *)sig + 2, strlen(sig) - 2, 0, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 2);
	assert_memory_equal(r.body, "OK", 2);
	assert_int_equal(pw3_http_handle(&ctx, "POST", url, (const uint8_t *)sig, strlen(sig), 0, &r, NULL), 0);
	assert_int_equal(r.status, 409);
	assert_memory_equal(r.body, "Conflict", r.body_len);
	char *got = NULL;
	assert_int_equal(pw3_session_read_sig(&s, &got), 0);
	char want[200];
	snprintf(want, sizeof(want), "0x%0128dab", 7);
	assert_string_equal(got, want);
	free(got);
	snprintf(p, sizeof(p), "/auth/callback/%032d", 0);
	assert_int_equal(pw3_http_handle(&ctx, "POST", p, (const uint8_t *)sig, strlen(sig), 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	pw3_session_destroy(&s);
	close(dfd2);
	assert_int_equal(rmdir(dir), 0);
}

/* ---------------------------------------------------------------- seccomp/web3-auth-svc */
/*
 * The service's filter from the tree, enforced (kill mode) in forked children: the
 * request handler's whole callback flow runs under it, and the shapes the file is meant
 * to forbid die with SIGSYS.  In a sanitizer build sanitizer.inc allows openat without
 * conditions, so the openat shape probes run only in the production build.
 */
static int svc_dfd = -1;
static char svc_sid[PW3_SID_HEX + 1];

static int svc_flow(void)
{
	struct pw3_http_ctx ctx = { .pending_fd = svc_dfd, .index_html = "<html>", .index_len = 6,
	                            .engine_js = "js", .engine_len = 2 };
	struct pw3_http_resp r;
	char url[128], body[140];
	memset(body, 'a', 130);
	body[130] = '\0';
	snprintf(url, sizeof(url), "/auth/pending/%s", svc_sid);
	if (pw3_http_handle(&ctx, "GET", url, NULL, 0, 0, &r, NULL) < 0 || r.status != 200)
		return 2;
	pw3_http_resp_done(&r);
	snprintf(url, sizeof(url), "/auth/callback/%s", svc_sid);
	if (pw3_http_handle(&ctx, "POST", url, (const uint8_t *)body, 130, 0, &r, NULL) < 0 ||
	    r.status != 200)
		return 3;
	if (pw3_http_handle(&ctx, "POST", url, (const uint8_t *)body, 130, 0, &r, NULL) < 0 ||
	    r.status != 409)
		return 4;
	/* the failed-write clean-up: unlinkat with flags 0 */
	if (unlinkat(svc_dfd, "nothing.sig.tmp", 0) == 0 || errno != ENOENT)
		return 5;
	return 0;
}
static int svc_open_plain(void)
{
	/* no O_NOFOLLOW: the soft EACCES glibc's overcommit probe relies on */
	return openat(svc_dfd, "x", O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES ? 0 : 6;
}
static int svc_open_creat_noexcl(void) { (void)openat(svc_dfd, "n1", O_WRONLY | O_CREAT | O_NOFOLLOW, 0640); return 0; }
static int svc_open_trunc(void) { (void)openat(svc_dfd, "n2", O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_NOFOLLOW, 0640); return 0; }
static int svc_open_rdwr(void) { (void)openat(svc_dfd, "n3", O_RDWR | O_NOFOLLOW); return 0; }
static int svc_open_wronly(void) { (void)openat(svc_dfd, "n4", O_WRONLY | O_NOFOLLOW); return 0; }
static int svc_open_append(void) { (void)openat(svc_dfd, "n5", O_WRONLY | O_APPEND | O_NOFOLLOW); return 0; }
static int svc_open_path(void) { (void)openat(svc_dfd, "n6", O_PATH | O_NOFOLLOW); return 0; }
static int svc_open_tmpfile(void) { (void)openat(svc_dfd, ".", O_TMPFILE | O_WRONLY | O_NOFOLLOW, 0640); return 0; }
static int svc_rename_replace(void) { (void)syscall(SYS_renameat2, svc_dfd, "a", svc_dfd, "b", 0); return 0; }
static int svc_rename_exchange(void) { (void)syscall(SYS_renameat2, svc_dfd, "a", svc_dfd, "b", 2); return 0; }
static int svc_renameat(void) { (void)syscall(SYS_renameat, svc_dfd, "a", svc_dfd, "b"); return 0; }
static int svc_rmdir(void) { (void)unlinkat(svc_dfd, "d", AT_REMOVEDIR); return 0; }
static int svc_fchmod_wide(void) { (void)fchmod(svc_dfd, 0777); return 0; }
static int svc_faccess_w(void) { (void)syscall(SYS_faccessat2, svc_dfd, "x", W_OK, AT_SYMLINK_NOFOLLOW); return 0; }

static int svc_run(const struct bh_seccomp *sc, int (*fn)(void))
{
	pid_t pid = fork();
	int st = 0;
	assert_true(pid >= 0);
	if (pid == 0) {
		struct bh_msg m = { "" };
		alarm(60);
		if (bh_seccomp_install(sc, 0, &m) < 0)
			_exit(100);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_svc_seccomp(void **state)
{
	(void)state;
	char dir[] = "/tmp/pw3sc.XXXXXX", cmd[128];
	struct bh_seccomp *sc = NULL;
	struct bh_msg m = { "" };
	struct pw3_config c;
	struct pw3_otp o;
	struct pw3_session s;
	int dfd;
	if (bh_seccomp_load("seccomp", "web3-auth-svc", 0, &sc, &m) < 0)
		fail_msg("seccomp/web3-auth-svc: %s", m.text);
	cfg_for_tests(&c);
	assert_int_equal(pw3_otp_new(&c, 1, &o), 0);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(pw3_pending_open(dir, &dfd), 0);
	assert_int_equal(pw3_session_create(dfd, &o, &s), 0);
	memcpy(svc_sid, s.sid, sizeof(svc_sid));
	assert_int_equal(pw3_pending_open(dir, &svc_dfd), 0);

	int st = svc_run(sc, svc_flow);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("callback flow under the filter: %s %d", WIFSIGNALED(st) ? "signal" : "exit",
		         WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	char *sig = NULL;
	assert_int_equal(pw3_session_read_sig(&s, &sig), 0);
	assert_int_equal(strlen(sig), PW3_SIG_TEXT_LEN);
	free(sig);

	struct { const char *name; int (*fn)(void); bool open_shape; } deny[] = {
		{ "O_CREAT without O_EXCL", svc_open_creat_noexcl, true },
		{ "O_TRUNC", svc_open_trunc, true },
		{ "O_RDWR", svc_open_rdwr, true },
		{ "O_WRONLY without O_CREAT", svc_open_wronly, true },
		{ "O_APPEND", svc_open_append, true },
		{ "O_PATH", svc_open_path, true },
		{ "O_TMPFILE", svc_open_tmpfile, true },
		{ "renameat2 flags 0", svc_rename_replace, false },
		{ "renameat2 RENAME_EXCHANGE", svc_rename_exchange, false },
		{ "renameat", svc_renameat, false },
		{ "unlinkat AT_REMOVEDIR", svc_rmdir, false },
		{ "fchmod 0777", svc_fchmod_wide, false },
		{ "faccessat2 W_OK", svc_faccess_w, false },
	};
	bool san = bh_sandbox_built_with_sanitizer();
	for (size_t i = 0; i < sizeof(deny) / sizeof(deny[0]); i++) {
		if (deny[i].open_shape && san)
			continue;
		st = svc_run(sc, deny[i].fn);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fail_msg("%s: expected SIGSYS, got %s %d", deny[i].name,
			         WIFSIGNALED(st) ? "signal" : "exit",
			         WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
	if (!san) {
		st = svc_run(sc, svc_open_plain);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* nothing the denied calls aimed at exists */
	for (const char *n = "n1\0n2\0n5\0b\0"; *n; n += strlen(n) + 1)
		assert_int_not_equal(faccessat(dfd, n, F_OK, AT_SYMLINK_NOFOLLOW), 0);
	close(svc_dfd);
	svc_dfd = -1;
	pw3_session_destroy(&s);
	bh_seccomp_free(sc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_config_load),
		cmocka_unit_test(test_otp),
		cmocka_unit_test(test_message_and_digest),
		cmocka_unit_test(test_crc_port),
		cmocka_unit_test(test_sig_parse),
		cmocka_unit_test(test_verify_evm),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_pending_sweep),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_svc_seccomp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

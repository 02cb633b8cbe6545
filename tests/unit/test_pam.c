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
	/* UTF-8 and tabs stay fine (TOML allows them) */
	const char utf8[] = "# caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n[machine]\n\tid = \"m\"\t# x\n"
	                    "secret_key = \"" SECRET "\"\n";
	assert_int_equal(pw3_config_parse(utf8, strlen(utf8), &c, &m), 0);
	assert_int_equal(c.otp_length, 6);
	assert_int_equal(c.otp_ttl, PW3_DEFAULT_TTL);
	assert_int_equal(PW3_DEFAULT_TTL, 90);
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
		/* what TOML refuses anywhere (docs/fuzzing.md "PAM config against TOML") */
		{ "[machine]\nid=\"m\"\n# caf\xc3\x28\n", BH_ERR_UTF8, "line 3: invalid UTF-8" },
		{ "[machine]\n# \xc0\xaf overlong\n", BH_ERR_UTF8, "invalid UTF-8" },
		{ "[machine]\n# \xed\xa0\x80 surrogate\n", BH_ERR_UTF8, "invalid UTF-8" },
		{ "[machine]\n# \xf4\x90\x80\x80 past U+10FFFF\n", BH_ERR_UTF8, "invalid UTF-8" },
		{ "[machine]\n# cut \xe2\x82", BH_ERR_UTF8, "invalid UTF-8" },
		{ "[machine]\nid=\"m\x07\"\n", BH_ERR_FORMAT, "line 2: control character 0x07" },
		{ "[machine]\n# \x7f\n", BH_ERR_FORMAT, "control character 0x7f" },
		{ "[machine]\rid=\"m\"\n", BH_ERR_FORMAT, "carriage return must end a line" },
		{ "[machine]\nid=\"m\"\r", BH_ERR_FORMAT, "carriage return" },
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
	assert_int_equal(o.expires_at, 1000 + PW3_DEFAULT_TTL);
	assert_int_equal(pw3_otp_verify(&c, &o, o.code, "blockhost-001", 1090), 0);
	assert_int_equal(pw3_otp_verify(&c, &o, o.code, "blockhost-001", 1091), BH_ERR_EXPIRED);
	/* a fresh 128-bit nonce every time */
	assert_int_equal(strlen(o.nonce_hex), 32);
	assert_true(pw3_sid_valid(o.nonce_hex, 32));
	assert_int_equal(pw3_otp_new(&c, 1000, &o2), 0);
	assert_memory_not_equal(o.nonce, o2.nonce, PW3_NONCE_BYTES);
	/* the tag binds nonce and expiry too */
	o2 = o;
	o2.nonce[3] ^= 1;
	assert_int_equal(pw3_otp_verify(&c, &o2, o2.code, "blockhost-001", 1000), BH_ERR_MISMATCH);
	o2 = o;
	o2.expires_at += 100;
	assert_int_equal(pw3_otp_verify(&c, &o2, o2.code, "blockhost-001", 1000), BH_ERR_MISMATCH);
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
	/* the tag is SHA3-256(secret || code || created_at LE || machine_id || nonce || expires LE) */
	uint8_t in[32 + 6 + 8 + 13 + 16 + 8], tag[32];
	memcpy(in, c.secret, 32);
	memcpy(in + 32, o.code, 6);
	for (int i = 0; i < 8; i++)
		in[38 + i] = (uint8_t)(1000ull >> (8 * i));
	memcpy(in + 46, "blockhost-001", 13);
	memcpy(in + 59, o.nonce, 16);
	for (int i = 0; i < 8; i++)
		in[75 + i] = (uint8_t)((1000ull + PW3_DEFAULT_TTL) >> (8 * i));
	bh_sha3_256(in, sizeof(in), tag);
	assert_memory_equal(tag, o.tag, 32);
}

static void test_message_and_digest(void **state)
{
	(void)state;
	char m[PW3_MESSAGE_MAX], hex[65], iso[PW3_ISO_LEN + 1];
	uint8_t d[32];
	uint64_t t;
	/* upstream's vector: the digest function is unchanged */
	pw3_eip191_digest("Authenticate to blockhost-001 with code: 123456", 47, d);
	bh_hex_encode(d, 32, hex);
	assert_string_equal(hex, "aa8a8fdf4042242002db0a2fb8bdd62848acfd735f7f0af5f39df395e81aa060");
	/* ours: upstream's text + " nonce: <32 hex> expires: <ISO 8601 UTC>" */
	int n = pw3_message_fmt("blockhost-001", "123456", "00112233445566778899aabbccddeeff",
	                        1796407200, m, sizeof(m));
	assert_string_equal(m, "Authenticate to blockhost-001 with code: 123456 nonce: "
	                       "00112233445566778899aabbccddeeff expires: 2026-12-04T18:00:00Z");
	assert_int_equal(n, (int)strlen(m));
	assert_true((size_t)n < PW3_MESSAGE_MAX);
	assert_int_equal(pw3_time_iso(0, iso), 0);
	assert_string_equal(iso, "1970-01-01T00:00:00Z");
	assert_int_equal(pw3_time_parse_iso("2026-12-04T18:00:00Z", 20, &t), 0);
	assert_int_equal(t, 1796407200);
	/* strict parse: the message round-trips; anything else is refused */
	struct pw3_message_parts mp;
	assert_int_equal(pw3_message_parse(m, (size_t)n, &mp), 0);
	assert_string_equal(mp.machine_id, "blockhost-001");
	assert_string_equal(mp.code, "123456");
	assert_string_equal(mp.nonce_hex, "00112233445566778899aabbccddeeff");
	assert_int_equal(mp.expires_at, 1796407200);
	static const char *const bad[] = {
		"Authenticate to blockhost-001 with code: 123456",
		"Authenticate to blockhost-001 with code: 123456 nonce: 00112233445566778899aabbccddeeff",
		"Authenticate to blockhost-001 with code: 123456 nonce: 00112233445566778899AABBCCDDEEFF expires: 2026-12-04T18:00:00Z",
		"Authenticate to blockhost-001 with code: 123456 nonce: 00112233445566778899aabbccddee expires: 2026-12-04T18:00:00Z",
		"Authenticate to blockhost-001 with code: 123456 nonce: 00112233445566778899aabbccddeeff expires: 2026-12-04T18:00:00Z ",
		" Authenticate to blockhost-001 with code: 123456 nonce: 00112233445566778899aabbccddeeff expires: 2026-12-04T18:00:00Z",
		"Authenticate to blockhost-001 with code: 123456 nonce: 00112233445566778899aabbccddeeff expires: 1796407200",
		"Authenticate to blockhost-001 with code: 123456 nonce: 00112233445566778899aabbccddeeff expires: 2026-02-30T18:40:00Z",
		"Authenticate to blockhost-001 with code: 123456 nonce: 00112233445566778899aabbccddeeff expires: 2026-12-04T24:00:00Z",
		"Authenticate to blockhost-001 with code: 123456 nonce: 00112233445566778899aabbccddeeff expires: 2026-12-04 18:40:00Z",
		"Authenticate to blockhost-001 with code: 123 nonce: 00112233445566778899aabbccddeeff expires: 2026-12-04T18:00:00Z",
		"Authenticate to block host with code: 123456 nonce: 00112233445566778899aabbccddeeff expires: 2026-12-04T18:00:00Z",
		"Authenticate to  with code: 123456 nonce: 00112233445566778899aabbccddeeff expires: 2026-12-04T18:00:00Z",
		"Authenticate to blockhost-001 with code: 123456  nonce: 00112233445566778899aabbccddeeff expires: 2026-12-04T18:00:00Z",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pw3_message_parse(bad[i], strlen(bad[i]), &mp) != BH_ERR_FORMAT)
			fail_msg("bad message %zu accepted: %s", i, bad[i]);
	/* an embedded NUL is not the end */
	char z[PW3_MESSAGE_MAX + 8];
	memcpy(z, m, (size_t)n);
	z[n] = '\0';
	z[n + 1] = 'x';
	assert_int_equal(pw3_message_parse(z, (size_t)n + 2, &mp), BH_ERR_FORMAT);
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
	struct pw3_otp o, w;
	uint8_t priv[32], other[32], addr[20], got[20];
	char m[PW3_MESSAGE_MAX], m2[PW3_MESSAGE_MAX], sig[133];
	cfg_for_tests(&c);
	memset(priv, 0x11, 32);
	memset(other, 0x22, 32);
	assert_int_equal(bh_eth_address_from_priv(priv, addr), 0);
	assert_int_equal(pw3_otp_new(&c, 5000, &o), 0);
	assert_true(pw3_message(&o, m, sizeof(m)) > 0);
	sign_hex(priv, m, 27, sig);
	w = o;
	assert_int_equal(pw3_verify_evm(&c, &w, sig, strlen(sig), addr, 5000), 0);
	assert_true(w.consumed);
	/* single use: the same challenge never accepts a second signature, even the same one */
	assert_int_equal(pw3_verify_evm(&c, &w, sig, strlen(sig), addr, 5000), BH_ERR_STATE);
	/* upper-case hex and v 0/1 also verify */
	for (char *p = sig + 2; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	w = o;
	assert_int_equal(pw3_verify_evm(&c, &w, sig, strlen(sig), addr, 5000), 0);
	sign_hex(priv, m, 0, sig);
	w = o;
	assert_int_equal(pw3_verify_evm(&c, &w, sig, strlen(sig), addr, 5000), 0);
	/* expired: the last valid second is expires_at */
	w = o;
	assert_int_equal(pw3_verify_evm(&c, &w, sig, strlen(sig), addr, 5000 + PW3_DEFAULT_TTL), 0);
	w = o;
	assert_int_equal(pw3_verify_evm(&c, &w, sig, strlen(sig), addr, 5001 + PW3_DEFAULT_TTL),
	                 BH_ERR_EXPIRED);
	assert_false(w.consumed);
	/* another key; pw3_recover_signer names it */
	sign_hex(other, m, 27, sig);
	w = o;
	assert_int_equal(pw3_verify_evm(&c, &w, sig, strlen(sig), addr, 5000), BH_ERR_MISMATCH);
	assert_false(w.consumed);
	uint8_t oaddr[20];
	assert_int_equal(bh_eth_address_from_priv(other, oaddr), 0);
	assert_int_equal(pw3_recover_signer(m, strlen(m), sig, strlen(sig), got), 0);
	assert_memory_equal(got, oaddr, 20);
	/* another machine, same code, nonce and expiry */
	pw3_message_fmt("blockhost-002", o.code, o.nonce_hex, o.expires_at, m2, sizeof(m2));
	sign_hex(priv, m2, 27, sig);
	w = o;
	assert_int_equal(pw3_verify_evm(&c, &w, sig, strlen(sig), addr, 5000), BH_ERR_MISMATCH);
	/* upstream's message (no nonce, no expiry) for the same code and machine */
	snprintf(m2, sizeof(m2), "Authenticate to %s with code: %s", o.machine_id, o.code);
	sign_hex(priv, m2, 27, sig);
	w = o;
	assert_int_equal(pw3_verify_evm(&c, &w, sig, strlen(sig), addr, 5000), BH_ERR_MISMATCH);
	/* another expiry */
	pw3_message_fmt(o.machine_id, o.code, o.nonce_hex, o.expires_at + 1, m2, sizeof(m2));
	sign_hex(priv, m2, 27, sig);
	w = o;
	assert_int_equal(pw3_verify_evm(&c, &w, sig, strlen(sig), addr, 5000), BH_ERR_MISMATCH);
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
	w = o;
	assert_int_equal(pw3_verify_evm(&c, &w, sig, strlen(sig), addr, 5000), BH_ERR_HIGH_S);
}

/* Replay: a signature accepted once never verifies for any later challenge (200 of them,
 * same machine, same wallet, and with the code forced equal to the old one). */
static void test_replay(void **state)
{
	(void)state;
	struct pw3_config c;
	struct pw3_otp o, n;
	uint8_t priv[32], addr[20];
	char m[PW3_MESSAGE_MAX], sig[133];
	cfg_for_tests(&c);
	c.otp_length = 4;  /* so that the old code comes up again quickly */
	memset(priv, 0x11, 32);
	assert_int_equal(bh_eth_address_from_priv(priv, addr), 0);
	assert_int_equal(pw3_otp_new(&c, 7000, &o), 0);
	assert_true(pw3_message(&o, m, sizeof(m)) > 0);
	sign_hex(priv, m, 27, sig);
	assert_int_equal(pw3_verify_evm(&c, &o, sig, strlen(sig), addr, 7000), 0);
	for (int i = 0; i < 200; i++) {
		/* the first 10: wait until the same short code comes up (upstream's replay) */
		do
			assert_int_equal(pw3_otp_new(&c, 7000, &n), 0);
		while (i < 10 && strcmp(n.code, o.code));
		int r = pw3_verify_evm(&c, &n, sig, strlen(sig), addr, 7000);
		if (r != BH_ERR_MISMATCH)
			fail_msg("attempt %d: an old signature gave %d, not a mismatch", i, r);
	}
}

/* the module's state dir: single-use records and the per-user backoff */
static void test_state(void **state)
{
	(void)state;
	char dir[] = "/tmp/pw3state.XXXXXX", p[300], cmd[400];
	struct pw3_config c;
	struct pw3_otp o, o2;
	int fd;
	cfg_for_tests(&c);
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/state", dir);
	assert_int_equal(pw3_state_open(p, &fd), 0);   /* created 0700 */
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* a challenge is recorded once; a second record of it (a replay) is refused */
	assert_int_equal(pw3_otp_new(&c, 1, &o), 0);
	assert_int_equal(pw3_otp_new(&c, 1, &o2), 0);
	assert_int_equal(pw3_used_record(fd, &o), 0);
	assert_int_equal(pw3_used_record(fd, &o), BH_ERR_EXISTS);
	assert_int_equal(pw3_used_record(fd, &o2), 0);
	/* concurrency: 16 processes race to record one challenge; exactly one wins */
	struct pw3_otp o3;
	assert_int_equal(pw3_otp_new(&c, 1, &o3), 0);
	pid_t kids[16];
	for (int i = 0; i < 16; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0)
			_exit(pw3_used_record(fd, &o3) == 0 ? 0 : 1);
	}
	int winners = 0;
	for (int i = 0; i < 16; i++) {
		int stt = 0;
		assert_int_equal(waitpid(kids[i], &stt, 0), kids[i]);
		assert_true(WIFEXITED(stt));
		winners += WEXITSTATUS(stt) == 0;
	}
	assert_int_equal(winners, 1);
	/* sweep: nothing is old yet; with max age 0 all three go */
	time_t now = time(NULL);
	assert_int_equal(pw3_state_sweep(fd, (uint64_t)now, 100, 100), 0);
	assert_int_equal(pw3_state_sweep(fd, (uint64_t)now + 1, 0, 100), 3);
	close(fd);
	/* an unsafe state dir is refused: group-accessible, symlink */
	chmod(p, 0750);
	assert_int_equal(pw3_state_open(p, &fd), BH_ERR_UNSAFE_FILE);
	chmod(p, 0700);
	char l[320];
	snprintf(l, sizeof(l), "%s/link", dir);
	assert_int_equal(symlink(p, l), 0);
	assert_int_equal(pw3_state_open(l, &fd), BH_ERR_UNSAFE_FILE);
	snprintf(l, sizeof(l), "%s/missing/state", dir);
	assert_int_equal(pw3_state_open(l, &fd), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);

	/* backoff: PW3_FAIL_FREE free failures, then 30 s doubling up to 900 s */
	struct pw3_backoff b = { 0, 0 }, b2;
	char line[64];
	for (unsigned i = 0; i < PW3_FAIL_FREE; i++) {
		assert_int_equal(pw3_backoff_wait(&b, 1000), 0);
		pw3_backoff_fail(&b, 1000);
	}
	assert_int_equal(b.failures, PW3_FAIL_FREE);
	assert_int_equal(pw3_backoff_wait(&b, 1000), PW3_FAIL_BASE);
	assert_int_equal(pw3_backoff_wait(&b, 1029), 1);
	assert_int_equal(pw3_backoff_wait(&b, 1030), 0);
	pw3_backoff_fail(&b, 1030);
	assert_int_equal(pw3_backoff_wait(&b, 1030), 2 * PW3_FAIL_BASE);
	for (int i = 0; i < 20; i++)
		pw3_backoff_fail(&b, 1030);
	assert_int_equal(pw3_backoff_wait(&b, 1030), PW3_FAIL_MAX);
	/* a record older than PW3_FAIL_MAX is void; the next failure starts again at 1 */
	assert_int_equal(pw3_backoff_wait(&b, 1031 + PW3_FAIL_MAX), 0);
	pw3_backoff_fail(&b, 5000);
	assert_int_equal(b.failures, 1);
	/* the file format round-trips, strictly */
	b = (struct pw3_backoff){ 7, 1796407200 };
	int n = pw3_backoff_format(&b, line, sizeof(line));
	assert_string_equal(line, "pw3-fail v1 7 1796407200\n");
	assert_int_equal(pw3_backoff_parse(line, (size_t)n, &b2), 0);
	assert_int_equal(b2.failures, 7);
	assert_int_equal(b2.last, 1796407200);
	static const char *const bad[] = { "", "pw3-fail v1 7 1\n\n", "pw3-fail v1 07 1\n",
		"pw3-fail v1 7 1", "pw3-fail v2 7 1\n", "pw3-fail v1 -7 1\n", "pw3-fail v1 7  1\n",
		"pw3-fail v1 9999999 1\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pw3_backoff_parse(bad[i], strlen(bad[i]), &b2), BH_ERR_FORMAT);
	char nm[40], nm2[40];
	pw3_backoff_name("alice", nm);
	pw3_backoff_name("alice2", nm2);
	assert_int_equal(strlen(nm), 34);
	assert_true(!strncmp(nm, "f-", 2) && pw3_sid_valid(nm + 2, 32));
	assert_string_not_equal(nm, nm2);
}

static uint64_t http_now = 1;
static const uint8_t *test_wallet(void)
{
	static uint8_t a[20];
	uint8_t priv[32];
	memset(priv, 0x11, 32);
	assert_int_equal(bh_eth_address_from_priv(priv, a), 0);
	return a;
}

/* the handler with url_len = strlen(url) and the clock at http_now */
static int http(const struct pw3_http_ctx *ctx, const char *method, const char *url,
                const uint8_t *body, size_t blen, unsigned flags, struct pw3_http_resp *r,
                struct bh_msg *why)
{
	return pw3_http_handle(ctx, method, url, strlen(url), body, blen, flags, http_now, r, why);
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
	assert_int_equal(pw3_session_create(dfd, &o, test_wallet(), &s), 0);
	assert_true(pw3_sid_valid(s.sid, strlen(s.sid)));
	snprintf(p, sizeof(p), "%s/%s.json", dir, s.sid);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	char buf[640] = { 0 }, want[640];
	assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
	fclose(f);
	char msg[PW3_MESSAGE_MAX], iso[PW3_ISO_LEN + 1], wh[41];
	assert_true(pw3_message(&o, msg, sizeof(msg)) > 0);
	assert_int_equal(pw3_time_iso(o.expires_at, iso), 0);
	bh_hex_encode(test_wallet(), 20, wh);
	snprintf(want, sizeof(want), "{\"otp\":\"%s\",\"machine_id\":\"blockhost-001\",\"session_id\":\"%s\","
	         "\"nonce\":\"%s\",\"expires\":\"%s\",\"wallet\":\"0x%s\",\"message\":\"%s\"}",
	         o.code, s.sid, o.nonce_hex, iso, wh, msg);
	assert_string_equal(buf, want);
	/* the service's strict parser reads it back; any change to it is refused */
	struct pw3_session_info si;
	assert_int_equal(pw3_session_json_parse(buf, strlen(buf), &si), 0);
	assert_string_equal(si.sid, s.sid);
	assert_string_equal(si.message, msg);
	assert_int_equal(si.parts.expires_at, o.expires_at);
	assert_memory_equal(si.wallet, test_wallet(), 20);
	char mod[700];
	snprintf(mod, sizeof(mod), "%s ", buf);
	assert_int_equal(pw3_session_json_parse(mod, strlen(mod), &si), BH_ERR_FORMAT);
	snprintf(mod, sizeof(mod), "%s", buf);
	char *cp = strstr(mod, "\"otp\":\"") + 7;
	*cp = *cp == '9' ? '0' : (char)(*cp + 1);  /* otp no longer the message's code */
	assert_int_equal(pw3_session_json_parse(mod, strlen(mod), &si), BH_ERR_MISMATCH);
	snprintf(mod, sizeof(mod), "%s", buf);
	cp = strstr(mod, "\"nonce\":\"") + 9;  /* nonce differs from the message's */
	*cp = *cp == '0' ? '1' : '0';
	assert_int_equal(pw3_session_json_parse(mod, strlen(mod), &si), BH_ERR_MISMATCH);
	assert_int_equal(pw3_session_json_parse("{\"otp\":\"1234\"}", 14, &si), BH_ERR_FORMAT);
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
	assert_int_equal(pw3_session_create(dfd, &o, test_wallet(), &s), 0);
	struct pw3_http_ctx ctx = { .pending_fd = dfd2, .index_html = "<html>", .index_len = 6,
	                            .engine_js = "js", .engine_len = 2 };
	assert_int_equal(http(&ctx, "GET", "/", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/html; charset=utf-8");
	assert_int_equal(http(&ctx, "GET", "/index.html?session=1", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(http(&ctx, "GET", "/engine.js", NULL, 0, 0, &r, NULL), 0);
	assert_string_equal(r.content_type, "application/javascript; charset=utf-8");
	assert_int_equal(http(&ctx, "GET", "/nope", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	/* the certificate fingerprint (issue 18): 404 without TLS, the text with it; the file
	 * pam_web3 reads round-trips; a malformed one is refused */
	assert_int_equal(http(&ctx, "GET", "/auth/tls-fingerprint", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	{
		uint8_t md[32];
		char fp[PW3_TLS_FP_LEN + 1], back[PW3_TLS_FP_LEN + 1];
		for (int i = 0; i < 32; i++)
			md[i] = (uint8_t)(i * 37 + 11);
		pw3_tls_fp_format(md, fp);
		assert_int_equal(strlen(fp), PW3_TLS_FP_LEN);
		assert_memory_equal(fp, "0B:30:55:7A", 11);
		assert_true(pw3_tls_fp_valid(fp, strlen(fp)));
		assert_false(pw3_tls_fp_valid(fp, strlen(fp) - 1));
		fp[0] = 'b';
		assert_false(pw3_tls_fp_valid(fp, strlen(fp)));
		assert_int_equal(pw3_tls_fp_write(dfd2, fp), -EINVAL);
		fp[0] = '0';
		fp[2] = '-';
		assert_false(pw3_tls_fp_valid(fp, strlen(fp)));
		fp[2] = ':';
		assert_int_equal(pw3_tls_fp_write(dfd2, fp), 0);
		assert_int_equal(pw3_tls_fp_write(dfd2, fp), 0); /* replaces an older one */
		assert_int_equal(pw3_tls_fp_read(&s, back), 0);
		assert_string_equal(back, fp);
		ctx.tls_fp = fp;
		assert_int_equal(http(&ctx, "GET", "/auth/tls-fingerprint", NULL, 0, 0, &r, NULL), 0);
		assert_int_equal(r.status, 200);
		assert_memory_equal(r.body, fp, PW3_TLS_FP_LEN);
		assert_int_equal(http(&ctx, "POST", "/auth/tls-fingerprint", NULL, 0, 0, &r, NULL), 0);
		assert_int_equal(r.status, 404);
		ctx.tls_fp = NULL;
		snprintf(p, sizeof(p), "%s/" PW3_TLS_FP_FILE, dir);
		FILE *ff = fopen(p, "w");
		assert_non_null(ff);
		fputs("not a fingerprint\n", ff);
		fclose(ff);
		assert_int_equal(pw3_tls_fp_read(&s, back), -EINVAL);
		assert_int_equal(unlink(p), 0);
	}
	snprintf(url, sizeof(url), "/auth/pending/%s", s.sid);
	assert_int_equal(http(&ctx, "GET", url, NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/json");
	assert_non_null(strstr(r.body, s.sid));
	pw3_http_resp_done(&r);
	assert_int_equal(http(&ctx, "GET", "/auth/pending/ABCDEF0123456789abcdef0123456789", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(http(&ctx, "GET", "/auth/pending/00000000000000000000000000000000", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	snprintf(url, sizeof(url), "/auth/callback/%s", s.sid);
	char sig[200];
	snprintf(sig, sizeof(sig), "0x%0128dAB", 7);
	/* upstream's answers byte for byte: status, "text/plain", body text */
	assert_int_equal(http(&ctx, "POST", url, (const uint8_t *)"zz", 2, 0, &r, NULL), 0);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.content_type, "text/plain");
	assert_int_equal(r.body_len, strlen("invalid signature format"));
	assert_memory_equal(r.body, "invalid signature format", r.body_len);
	assert_int_equal(http(&ctx, "POST", url, (const uint8_t *)sig, strlen(sig), PW3_REQ_TOO_LARGE, &r, NULL), 0);
	assert_int_equal(r.status, 413);
	assert_memory_equal(r.body, "body too large", r.body_len);
	assert_int_equal(http(&ctx, "POST", url, (const uint8_t *)sig, strlen(sig), PW3_REQ_TIMEOUT, &r, NULL), 0);
	assert_int_equal(r.status, 408);
	assert_memory_equal(r.body, "Request Timeout", r.body_len);
	/* upstream's order: the body limits come before the session lookup */
	snprintf(p, sizeof(p), "/auth/callback/%032d", 0);
	assert_int_equal(http(&ctx, "POST", p, (const uint8_t *)sig, strlen(sig), PW3_REQ_TOO_LARGE, &r, NULL), 0);
	assert_int_equal(r.status, 413);
	assert_int_equal(http(&ctx, "POST", p, (const uint8_t *)sig, strlen(sig), PW3_REQ_TIMEOUT, &r, NULL), 0);
	assert_int_equal(r.status, 408);
	/* a route is method + path: the wrong method and HEAD are 404 "Not Found" (no 405) */
	assert_int_equal(http(&ctx, "GET", url, NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_memory_equal(r.body, "Not Found", r.body_len);
	snprintf(p, sizeof(p), "/auth/pending/%s", s.sid);
	assert_int_equal(http(&ctx, "POST", p, (const uint8_t *)sig, strlen(sig), 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(http(&ctx, "HEAD", "/", NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(http(&ctx, "HEAD", p, NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(http(&ctx, "PUT", url, (const uint8_t *)sig, strlen(sig), 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	/* issue 11 item 4: garbage of the right shape is not stored (403) and does not block
	 * the real signature; another wallet's or another message's signature neither */
	char *got = NULL;
	assert_int_equal(http(&ctx, "POST", url, (const uint8_t *)sig + 2, strlen(sig) - 2, 0, &r, NULL), 0);
	assert_int_equal(r.status, 403);
	assert_memory_equal(r.body, "signature does not match the session", r.body_len);
	assert_int_equal(pw3_session_read_sig(&s, &got), -ENOENT);
	char msg[PW3_MESSAGE_MAX], good[133], bad[133];
	uint8_t priv[32], other[32];
	memset(priv, 0x11, 32);
	memset(other, 0x22, 32);
	assert_true(pw3_message(&o, msg, sizeof(msg)) > 0);
	sign_hex(other, msg, 27, bad);
	assert_int_equal(http(&ctx, "POST", url, (const uint8_t *)bad, strlen(bad), 0, &r, NULL), 0);
	assert_int_equal(r.status, 403);
	sign_hex(priv, "Authenticate to blockhost-001 with code: 123456", 27, bad);
	assert_int_equal(http(&ctx, "POST", url, (const uint8_t *)bad, strlen(bad), 0, &r, NULL), 0);
	assert_int_equal(r.status, 403);
	sign_hex(priv, msg, 27, good);
	/* after the expiry: 410, nothing stored */
	http_now = o.expires_at + 1;
	assert_int_equal(http(&ctx, "POST", url, (const uint8_t *)good, strlen(good), 0, &r, NULL), 0);
	assert_int_equal(r.status, 410);
	http_now = o.expires_at;
	assert_int_equal(pw3_session_read_sig(&s, &got), -ENOENT);
	/* the valid one (upper-case hex, no 0x) is stored, normalised */
	char up[133];
	snprintf(up, sizeof(up), "%s", good + 2);
	for (char *q = up; *q; q++)
		if (*q >= 'a' && *q <= 'f')
			*q = (char)(*q - 32);
	assert_int_equal(http(&ctx, "POST", url, (const uint8_t *)up, strlen(up), 0, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 2);
	assert_memory_equal(r.body, "OK", 2);
	/* a stored valid one is never replaced: 409 even for another valid signature */
	assert_int_equal(http(&ctx, "POST", url, (const uint8_t *)good, strlen(good), 0, &r, NULL), 0);
	assert_int_equal(r.status, 409);
	assert_memory_equal(r.body, "Conflict", r.body_len);
	assert_int_equal(http(&ctx, "POST", url, (const uint8_t *)sig, strlen(sig), 0, &r, NULL), 0);
	assert_int_equal(r.status, 409);
	assert_int_equal(pw3_session_read_sig(&s, &got), 0);
	assert_string_equal(got, good);
	free(got);
	http_now = 1;
	/* issue 11 item 6: the id is canonical: a NUL (as "%00" or raw), an escape, a
	 * trailing byte is 404, not the session */
	char nul[128];
	snprintf(nul, sizeof(nul), "/auth/pending/%s%%00", s.sid);
	assert_int_equal(http(&ctx, "GET", nul, NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	size_t nl = (size_t)snprintf(nul, sizeof(nul), "/auth/pending/%s", s.sid);
	nul[nl] = '\0';
	nul[nl + 1] = 'x';
	assert_int_equal(pw3_http_handle(&ctx, "GET", nul, nl + 2, NULL, 0, 0, 1, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(pw3_http_handle(&ctx, "GET", nul, nl + 1, NULL, 0, 0, 1, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(pw3_http_handle(&ctx, "GET", nul, nl, NULL, 0, 0, 1, &r, NULL), 0);
	assert_int_equal(r.status, 200);
	pw3_http_resp_done(&r);
	snprintf(nul, sizeof(nul), "/auth/pending/%%30%s", s.sid + 1);
	assert_int_equal(http(&ctx, "GET", nul, NULL, 0, 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	snprintf(nul, sizeof(nul), "/auth/callback/%s%%00", s.sid);
	assert_int_equal(http(&ctx, "POST", nul, (const uint8_t *)good, strlen(good), 0, &r, NULL), 0);
	assert_int_equal(r.status, 404);
	snprintf(p, sizeof(p), "/auth/callback/%032d", 0);
	assert_int_equal(http(&ctx, "POST", p, (const uint8_t *)sig, strlen(sig), 0, &r, NULL), 0);
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
static char svc_sid[PW3_SID_HEX + 1], svc_sig[133];

static int svc_flow(void)
{
	struct pw3_http_ctx ctx = { .pending_fd = svc_dfd, .index_html = "<html>", .index_len = 6,
	                            .engine_js = "js", .engine_len = 2 };
	struct pw3_http_resp r;
	char url[128], body[140];
	memset(body, 'a', 130);
	body[130] = '\0';
	snprintf(url, sizeof(url), "/auth/pending/%s", svc_sid);
	/* a well-formed body that is no signature of the session: refused, nothing written */
	snprintf(url, sizeof(url), "/auth/callback/%s", svc_sid);
	if (http(&ctx, "POST", url, (const uint8_t *)body, 130, 0, &r, NULL) < 0 || r.status != 403)
		return 6;
	memcpy(body, svc_sig, 133);
	snprintf(url, sizeof(url), "/auth/pending/%s", svc_sid);
	if (http(&ctx, "GET", url, NULL, 0, 0, &r, NULL) < 0 || r.status != 200)
		return 2;
	pw3_http_resp_done(&r);
	snprintf(url, sizeof(url), "/auth/callback/%s", svc_sid);
	if (http(&ctx, "POST", url, (const uint8_t *)body, 132, 0, &r, NULL) < 0 ||
	    r.status != 200)
		return 3;
	if (http(&ctx, "POST", url, (const uint8_t *)body, 132, 0, &r, NULL) < 0 ||
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
	assert_int_equal(pw3_session_create(dfd, &o, test_wallet(), &s), 0);
	memcpy(svc_sid, s.sid, sizeof(svc_sid));
	{
		uint8_t priv[32];
		char msg[PW3_MESSAGE_MAX];
		memset(priv, 0x11, 32);
		assert_true(pw3_message(&o, msg, sizeof(msg)) > 0);
		sign_hex(priv, msg, 27, svc_sig);  /* also creates the secp context before the filter */
	}
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
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_pending_sweep),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_svc_seccomp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

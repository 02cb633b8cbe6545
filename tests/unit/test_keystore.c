/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the keystore (no TPM needed): blob format and its error paths, PCR
 * lists, the recovery file, P-256 helpers, config/TCTI checks, u256 arithmetic, the
 * [socket]/[transactions] policy parser and the request dispatcher with in-memory keys.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>
#include <tss2/tss2_mu.h>

#include "../../src/keystore/blob.h"
#include "../../src/keystore/keys.h"
#include "../../src/keystore/ops.h"
#include "../../src/keystore/tpm.h"
#include "eth/abi.h"
#include "core/buf.h"
#include "eth/ecies.h"
#include "core/err.h"
#include "eth/eth.h"
#include "core/hex.h"
#include "eth/secp.h"
#include "core/strutil.h"
#include "eth/tx.h"

/* A syntactically valid sealed object (as TPM2_Create would return it). */
static void fake_sealed(struct bh_tpm_sealed *s, uint32_t mask)
{
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_PRIVATE priv = { .size = 48 };
	size_t off = 0;
	memset(s, 0, sizeof(*s));
	s->pcr_mask = mask;
	for (int i = 0; i < BH_TPM_PCR_COUNT; i++)
		memset(s->pcr_values[i], i, 32);
	memset(s->policy, 0xa5, 32);
	pub.publicArea.type = TPM2_ALG_KEYEDHASH;
	pub.publicArea.nameAlg = TPM2_ALG_SHA256;
	pub.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		TPMA_OBJECT_NODA;
	pub.publicArea.authPolicy.size = 32;
	memset(pub.publicArea.authPolicy.buffer, 0xa5, 32);
	pub.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, s->pub, sizeof(s->pub), &off), 0);
	s->pub_len = off;
	memset(priv.buffer, 0x77, 48);
	off = 0;
	assert_int_equal(Tss2_MU_TPM2B_PRIVATE_Marshal(&priv, s->priv, sizeof(s->priv), &off), 0);
	s->priv_len = off;
}

static void encode_blob(const struct bh_ks_blob *b, struct bh_buf *out)
{
	bh_buf_init(out, BH_KS_BLOB_MAX);
	assert_int_equal(bh_ks_blob_encode(b, out), 0);
}

static void test_blob_roundtrip(void **state)
{
	(void)state;
	struct bh_ks_blob b = { .name = "wallet", .key_type = BH_KS_SECP256K1 }, got;
	struct bh_buf out;
	fake_sealed(&b.sealed, (1u << 7) | (1u << 16));
	encode_blob(&b, &out);
	assert_int_equal(bh_ks_blob_parse(bh_buf_ptr(&out), bh_buf_len(&out), &got), 0);
	assert_string_equal(got.name, "wallet");
	assert_int_equal(got.sealed.pcr_mask, (1u << 7) | (1u << 16));
	assert_memory_equal(got.sealed.pcr_values[16], b.sealed.pcr_values[16], 32);
	assert_memory_equal(got.sealed.pub, b.sealed.pub, b.sealed.pub_len);
	assert_int_equal(got.sealed.priv_len, b.sealed.priv_len);
	bh_buf_done(&out);
}

static void test_blob_errors(void **state)
{
	(void)state;
	struct bh_ks_blob b = { .name = "tls", .key_type = BH_KS_P256 }, got;
	struct bh_buf out;
	uint8_t *d;
	size_t n;
	fake_sealed(&b.sealed, 1u << 16);
	encode_blob(&b, &out);
	n = bh_buf_len(&out);
	d = malloc(n + 1);
	memcpy(d, bh_buf_ptr(&out), n);

	/* truncated at every length */
	for (size_t k = 0; k < n; k++)
		assert_true(bh_ks_blob_parse(d, k, &got) < 0);
	/* trailing byte */
	d[n] = 0;
	assert_int_equal(bh_ks_blob_parse(d, n + 1, &got), BH_ERR_TRAILING);
	/* magic */
	d[0] ^= 1;
	assert_int_equal(bh_ks_blob_parse(d, n, &got), BH_ERR_FORMAT);
	d[0] ^= 1;
	/* newer version rejected as unsupported, 0 as format */
	d[8] = 2;
	assert_int_equal(bh_ks_blob_parse(d, n, &got), BH_ERR_UNSUPPORTED);
	d[8] = 0;
	assert_int_equal(bh_ks_blob_parse(d, n, &got), BH_ERR_FORMAT);
	d[8] = 1;
	/* name with a bad character */
	d[10] = 'T';
	assert_int_equal(bh_ks_blob_parse(d, n, &got), BH_ERR_FORMAT);
	d[10] = 't';
	/* key type */
	d[13] = 9;
	assert_int_equal(bh_ks_blob_parse(d, n, &got), BH_ERR_UNSUPPORTED);
	d[13] = BH_KS_P256;
	/* bank other than sha256 */
	d[15] = 0x04;
	assert_int_equal(bh_ks_blob_parse(d, n, &got), BH_ERR_UNSUPPORTED);
	d[15] = 0x0b;
	/* PCR mask with bits >= 24 */
	d[16] = 1;
	assert_int_equal(bh_ks_blob_parse(d, n, &got), BH_ERR_RANGE);
	d[16] = 0;
	/* policy digest differs from the object's authPolicy */
	d[20 + 32] ^= 1;
	assert_int_equal(bh_ks_blob_parse(d, n, &got), BH_ERR_MISMATCH);
	d[20 + 32] ^= 1;
	assert_int_equal(bh_ks_blob_parse(d, n, &got), 0);
	/* oversize */
	assert_int_equal(bh_ks_blob_parse(d, BH_KS_BLOB_MAX + 1, &got), BH_ERR_LIMIT);
	free(d);
	bh_buf_done(&out);

	/* a sealed object with userWithAuth is refused (it would unseal without policy) */
	struct bh_tpm_sealed s;
	fake_sealed(&s, 1u << 16);
	TPM2B_PUBLIC pub = { 0 };
	size_t off = 0;
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Unmarshal(s.pub, s.pub_len, &off, &pub), 0);
	pub.publicArea.objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
	off = 0;
	assert_int_equal(Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, s.pub, sizeof(s.pub), &off), 0);
	assert_int_equal(bh_tpm_sealed_check(&s), BH_ERR_FORMAT);
}

static void test_blob_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/bhks-unit.XXXXXX", path[256];
	struct bh_ks_blob b = { .name = "server-ecies", .key_type = BH_KS_SECP256K1 }, got;
	struct bh_msg m = { "" };
	int dfd = -1;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(bh_ks_dir_open(dir, false, (uid_t)-1, &dfd, &m), 0);
	fake_sealed(&b.sealed, 1u << 7);
	assert_int_equal(bh_ks_blob_load(dfd, dir, "server-ecies", &got, &m), BH_ERR_NOT_FOUND);
	assert_non_null(strstr(m.text, "server-ecies.blob"));
	assert_int_equal(bh_ks_blob_store(dfd, dir, &b, (uid_t)-1, (gid_t)-1, &m), 0);
	assert_int_equal(bh_ks_blob_load(dfd, dir, "server-ecies", &got, &m), 0);
	/* group-readable: unsafe */
	snprintf(path, sizeof(path), "%s/server-ecies.blob", dir);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(bh_ks_blob_load(dfd, dir, "server-ecies", &got, &m), BH_ERR_UNSAFE_FILE);
	/* copied over another name: refused */
	char other[256];
	snprintf(other, sizeof(other), "%s/wallet.blob", dir);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(rename(path, other), 0);
	assert_int_equal(bh_ks_blob_load(dfd, dir, "wallet", &got, &m), BH_ERR_MISMATCH);
	/* a symlink in place of a blob is not followed */
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(bh_ks_blob_load(dfd, dir, "server-ecies", &got, &m), BH_ERR_UNSAFE_FILE);
	/* storing replaces the symlink itself, never writes through it */
	assert_int_equal(bh_ks_blob_store(dfd, dir, &b, (uid_t)-1, (gid_t)-1, &m), 0);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
	assert_int_equal(bh_ks_blob_load(dfd, dir, "wallet", &got, &m), BH_ERR_MISMATCH);
	unlink(other);
	unlink(path);
	assert_int_equal(bh_ks_blob_load(dfd, dir, "../x", &got, &m), -EINVAL);
	close(dfd);
	/* the directory itself: a symlink, group/world access, and a foreign owner are refused */
	char link[64];
	snprintf(link, sizeof(link), "%s.link", dir);
	assert_int_equal(symlink(dir, link), 0);
	assert_int_equal(bh_ks_dir_open(link, true, (uid_t)-1, &dfd, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "symbolic link"));
	unlink(link);
	assert_int_equal(chmod(dir, 0750), 0);
	assert_int_equal(bh_ks_dir_open(dir, false, (uid_t)-1, &dfd, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "0700"));
	assert_int_equal(chmod(dir, 0700), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(dir, 4242, 4242), 0);
		assert_int_equal(bh_ks_dir_open(dir, false, (uid_t)-1, &dfd, &m), BH_ERR_UNSAFE_FILE);
		assert_non_null(strstr(m.text, "owned by uid 4242"));
		assert_int_equal(bh_ks_dir_open(dir, false, 4242, &dfd, &m), 0);
		close(dfd);
	}
	rmdir(dir);
	/* create: a fresh directory is made 0700 */
	assert_int_equal(bh_ks_dir_open(dir, false, (uid_t)-1, &dfd, &m), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_ks_dir_open(dir, true, (uid_t)-1, &dfd, &m), 0);
	assert_int_equal(fstat(dfd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	close(dfd);
	rmdir(dir);
}

static void test_pcr_mask(void **state)
{
	(void)state;
	uint32_t m;
	char s[64];
	assert_int_equal(bh_tpm_pcr_mask_parse("7", &m), 0);
	assert_int_equal(m, 1u << 7);
	assert_int_equal(bh_tpm_pcr_mask_parse("0,7,14,23", &m), 0);
	bh_tpm_pcr_mask_str(m, s, sizeof(s));
	assert_string_equal(s, "0,7,14,23");
	assert_int_equal(bh_tpm_pcr_mask_parse("24", &m), BH_ERR_RANGE);
	assert_int_equal(bh_tpm_pcr_mask_parse("", &m), BH_ERR_FORMAT);
	assert_int_equal(bh_tpm_pcr_mask_parse("7,", &m), BH_ERR_FORMAT);
	assert_int_equal(bh_tpm_pcr_mask_parse("7,,8", &m), BH_ERR_FORMAT);
	assert_int_equal(bh_tpm_pcr_mask_parse("-1", &m), BH_ERR_FORMAT);
	assert_int_equal(bh_tpm_pcr_mask_parse("007", &m), BH_ERR_RANGE);
	assert_int_equal(bh_tpm_pcr_mask_parse("7 ", &m), BH_ERR_FORMAT);
}

static void test_rc_map(void **state)
{
	(void)state;
	struct bh_msg m = { "" };
	assert_int_equal(bh_tpm_map_rc(0x921, "x", &m), BH_ERR_TPM_LOCKOUT);
	assert_non_null(strstr(m.text, "lockout"));
	assert_int_equal(bh_tpm_map_rc(0x99d, "x", &m), BH_ERR_PCR_MISMATCH);  /* session 1 */
	assert_int_equal(bh_tpm_map_rc(0x9a9d & 0xfff, "x", &m), BH_ERR_PCR_MISMATCH);
	assert_int_equal(bh_tpm_map_rc(0x128, "x", &m), BH_ERR_PCR_MISMATCH);  /* PCR_CHANGED */
	assert_int_equal(bh_tpm_map_rc(0xa000a, "x", &m), BH_ERR_NO_TPM);      /* tcti IO */
	assert_int_equal(bh_tpm_map_rc(0x902, "Load", &m), BH_ERR_TPM);       /* object memory */
	assert_non_null(strstr(m.text, "Load: TPM error 0x902"));
}

static struct bh_ks_keys *test_keys(void)
{
	struct bh_ks_keys *k = bh_ks_keys_new();
	assert_non_null(k);
	assert_int_equal(bh_ks_keys_generate(k), 0);
	assert_int_equal(bh_ks_keys_check(k), 0);
	return k;
}

static void test_recovery(void **state)
{
	(void)state;
	struct bh_ks_keys *k = test_keys(), *k2 = bh_ks_keys_new();
	struct bh_buf f;
	uint64_t ops, mem;
	bh_buf_init(&f, BH_KS_RECOVERY_MAX);
	assert_int_equal(bh_ks_recovery_encode(k, "short", 5, BH_KS_KDF_INTERACTIVE, &f),
			 BH_ERR_LENGTH);
	assert_int_equal(bh_ks_recovery_encode(k, "passphrase!", 11, BH_KS_KDF_INTERACTIVE, &f), 0);
	const uint8_t *d = bh_buf_ptr(&f);
	size_t n = bh_buf_len(&f);
	assert_int_equal(bh_ks_recovery_parse_header(d, n, &ops, &mem), 0);
	assert_true(ops == crypto_pwhash_OPSLIMIT_INTERACTIVE);
	assert_int_equal(bh_ks_recovery_decode(d, n, "passphrase!", 11, k2), 0);
	assert_memory_equal(k->k, k2->k, sizeof(k->k));
	assert_int_equal(bh_ks_recovery_decode(d, n, "passphrase?", 11, k2), BH_ERR_DECRYPT);
	/* the header is authenticated: a changed salt byte fails, a truncated file too */
	uint8_t *c = malloc(n);
	memcpy(c, d, n);
	c[30] ^= 1;
	assert_int_equal(bh_ks_recovery_decode(c, n, "passphrase!", 11, k2), BH_ERR_DECRYPT);
	c[30] ^= 1;
	c[8] = 2;
	assert_int_equal(bh_ks_recovery_decode(c, n, "passphrase!", 11, k2), BH_ERR_UNSUPPORTED);
	c[8] = 1;
	/* absurd KDF cost refused before running the KDF */
	memset(c + 10, 0xff, 8);
	assert_int_equal(bh_ks_recovery_decode(c, n, "passphrase!", 11, k2), BH_ERR_RANGE);
	assert_true(bh_ks_recovery_decode(d, n - 1, "passphrase!", 11, k2) < 0);
	free(c);
	/* written once */
	char path[] = "/tmp/bhks-rec.XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	assert_int_equal(bh_ks_recovery_write_once(path, &f, NULL), 0);
	assert_int_equal(bh_ks_recovery_write_once(path, &f, NULL), BH_ERR_EXISTS);
	unlink(path);
	bh_buf_done(&f);
	bh_ks_keys_free(k);
	bh_ks_keys_free(k2);
}

static void test_p256(void **state)
{
	(void)state;
	uint8_t d[32] = { 0 }, pub[65], sig[72], dig[32] = { 1, 2, 3 };
	size_t n;
	assert_int_equal(bh_ks_p256_check(d), BH_ERR_RANGE);
	d[31] = 1;
	assert_int_equal(bh_ks_p256_pubkey(d, pub), 0);
	/* 1*G = the generator */
	char hex[131];
	bh_hex_encode(pub, 65, hex);
	assert_string_equal(hex, "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
				 "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
	assert_int_equal(bh_ks_p256_sign(d, dig, 32, sig, &n), 0);
	assert_true(n >= 8 && n <= 72 && sig[0] == 0x30);
	assert_int_equal(bh_ks_p256_sign(d, dig, 10, sig, &n), BH_ERR_LENGTH);
	memset(d, 0xff, 32); /* >= n */
	assert_int_equal(bh_ks_p256_check(d), BH_ERR_RANGE);
}

static void test_tcti_check(void **state)
{
	(void)state;
	assert_int_equal(bh_ks_tcti_check("device:/dev/tpmrm0", NULL), 0);
	assert_int_equal(bh_ks_tcti_check("swtpm:host=127.0.0.1,port=2321", NULL), 0);
	assert_int_equal(bh_ks_tcti_check("swtpm:port=2321,host=::1", NULL), 0);
	assert_int_equal(bh_ks_tcti_check("swtpm:host=10.0.0.1,port=2321", NULL), BH_ERR_CONFIG);
	assert_int_equal(bh_ks_tcti_check("swtpm:host=127.0.0.10,port=1", NULL), BH_ERR_CONFIG);
	assert_int_equal(bh_ks_tcti_check("swtpm:port=1", NULL), BH_ERR_CONFIG);
	assert_int_equal(bh_ks_tcti_check("cmd:tpm2_send", NULL), BH_ERR_CONFIG);
	assert_int_equal(bh_ks_tcti_check("", NULL), BH_ERR_CONFIG);
}

static void test_u256(void **state)
{
	(void)state;
	uint8_t a[32], b[32], c[32];
	char s[80];
	assert_int_equal(ks_u256_from_dec("1000000000000000000", a), 0);
	bh_u256_to_dec(a, s);
	assert_string_equal(s, "1000000000000000000");
	assert_int_equal(ks_u256_from_dec("115792089237316195423570985008687907853269984665640564039457584007913129639935", b), 0);
	assert_int_equal(bh_u256_add(a, b, c), BH_ERR_RANGE);
	assert_int_equal(ks_u256_from_dec("115792089237316195423570985008687907853269984665640564039457584007913129639936", b), BH_ERR_RANGE);
	assert_int_equal(ks_u256_from_dec("01", b), BH_ERR_FORMAT);
	assert_int_equal(ks_u256_from_dec("1e3", b), BH_ERR_FORMAT);
	json_t *j = json_string("0xde0b6b3a7640000");
	assert_int_equal(ks_u256_parse(j, b), 0);
	assert_int_equal(bh_u256_cmp(a, b), 0);
	json_decref(j);
	j = json_integer(-1);
	assert_int_equal(ks_u256_parse(j, b), BH_ERR_RANGE);
	json_decref(j);
	j = json_string("0x");
	assert_int_equal(ks_u256_parse(j, b), BH_ERR_FORMAT);
	json_decref(j);
	j = json_true();
	assert_int_equal(ks_u256_parse(j, b), BH_ERR_WRONG_TYPE);
	json_decref(j);
	memset(a, 0, 32);
	bh_u256_to_dec(a, s);
	assert_string_equal(s, "0");
	/* checked multiply: 10^18 * 21000; 2^255 * 2 overflows and leaves ret alone */
	assert_int_equal(ks_u256_from_dec("1000000000000000000", a), 0);
	assert_int_equal(bh_u256_mul_u64(a, 21000, c), 0);
	bh_u256_to_dec(c, s);
	assert_string_equal(s, "21000000000000000000000");
	memset(a, 0, 32);
	a[0] = 0x80;
	memset(c, 0x5a, 32);
	assert_int_equal(bh_u256_mul_u64(a, 2, c), BH_ERR_RANGE);
	assert_int_equal(c[0], 0x5a);
	assert_int_equal(bh_u256_mul_u64(a, 1, c), 0);
	assert_memory_equal(a, c, 32);
	assert_int_equal(ks_u256_from_dec("115792089237316195423570985008687907853269984665640564039457584007913129639935", a), 0);
	assert_int_equal(bh_u256_mul_u64(a, 0, c), 0);
	bh_u256_to_dec(c, s);
	assert_string_equal(s, "0");
	memset(a, 0xff, 32);
	a[0] = 0;
	assert_int_equal(bh_u256_mul_u64(a, UINT64_MAX, c), BH_ERR_RANGE);
}

static const char good_policy[] =
	"[socket]\n"
	"mode = 0666\n"
	"allow = uid:1000 address, sign_tx, personal_sign, ecies_decrypt, tls_sign, pubkeys\n"
	"allow = gid:2000 address\n"
	"allow = user:root pubkeys\n"
	"[transactions]\n"
	"chain_id = 31337\n"
	"allow_to = 0x000000000000000000000000000000000000dEaD\n"
	"allow_to = 0x1111111111111111111111111111111111111111, 0x2222222222222222222222222222222222222222\n"
	"max_value_per_tx = 1000\n"
	"max_value_per_day = 1500\n"
	"max_fee_per_gas = 1000\n"
	"allow_deploy = yes\n";

static void test_policy_parse(void **state)
{
	(void)state;
	struct ks_policy p;
	struct bh_msg m = { "" };
	assert_int_equal(ks_policy_parse(good_policy, strlen(good_policy), &p, &m), 0);
	assert_int_equal(p.n_grants, 3);
	assert_int_equal(p.n_allow_to, 3);
	assert_true(p.chain_id == 31337);
	assert_true(p.allow_deploy);
	assert_true(p.has_max_fee_per_gas);
	assert_int_equal(p.sock_mode, 0666);
	ks_policy_done(&p);

	static const struct { const char *text, *want; } bad[] = {
		{ "[socket]\nallow = uid:1 fly\n", "unknown operation 'fly'" },
		{ "[socket]\nallow = uid:1\n", "expected" },
		{ "[socket]\nallow = host:1 address\n", "a principal starts with user:, uid:, group: or gid:" },
		{ "[socket]\nallow = user:no-such-user-xyz address\n", "no such user" },
		{ "[socket]\nmode = 0777\n", "at most 0666" },
		{ "[socket]\ncolour = red\n", "unknown key 'colour'" },
		{ "[transactions]\nchain_id = 1\nmax_value_per_tx = 1\n", "needs chain_id" },
		{ "[transactions]\nchain_id = 0\n", "chain_id" },
		{ "[transactions]\nallow_to = 0x1234\n", "is not an address" },
		{ "[transactions]\nmax_value_per_day = 1.5\n", "max_value_per_day" },
		{ "[transactions]\nallow_deploy = maybe\n", "allow_deploy" },
		{ "[transactions]\nmax_fee_per_gas = 0x10\n", "max_fee_per_gas" },
		{ "[transactions]\nchain_id = 1\nchain_id = 2\n", "chain_id" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m.text[0] = '\0';
		assert_true(ks_policy_parse(bad[i].text, strlen(bad[i].text), &p, &m) < 0);
		if (!strstr(m.text, bad[i].want))
			fail_msg("policy %zu: message '%s' lacks '%s'", i, m.text, bad[i].want);
		assert_non_null(strstr(m.text, "policy:"));
	}
}

/* ---- the dispatcher ---- */

static uint64_t fixed_now(void) { return 20000ull * 86400; }

struct fx {
	struct ks_policy p;
	struct bh_ks_keys *k;
	struct ks_server s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_int_equal(ks_policy_parse(good_policy, strlen(good_policy), &f->p, NULL), 0);
	f->k = test_keys();
	bh_ks_keys_lock(f->k);
	f->s.keys = f->k;
	f->s.policy = &f->p;
	f->s.now = fixed_now;
	f->s.deploy_flag_path = "/nonexistent/flag";
	assert_int_equal(ks_counter_load(&f->s, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ks_policy_done(&f->p);
	bh_ks_keys_free(f->k);
	free(f);
	return 0;
}

static json_t *call(struct fx *f, uid_t uid, const char *req)
{
	struct ks_peer peer = { .pid = 1, .uid = uid, .gid = 5 };
	json_t *r = NULL;
	assert_int_equal(ks_handle(&f->s, &peer, (const uint8_t *)req, strlen(req), &r), 0);
	assert_non_null(r);
	return r;
}

static void expect_refusal(struct fx *f, uid_t uid, const char *req, const char *err,
			   const char *rule)
{
	json_t *r = call(f, uid, req);
	assert_true(json_is_false(json_object_get(r, "ok")));
	const char *e = json_string_value(json_object_get(r, "error"));
	const char *ru = json_string_value(json_object_get(r, "rule"));
	if (!e || strcmp(e, err) || (rule && (!ru || strcmp(ru, rule))))
		fail_msg("%s: error %s rule %s (want %s/%s): %s", req, e, ru, err, rule,
			 json_string_value(json_object_get(r, "message")));
	json_decref(r);
}

/* fee-free (maxFeePerGas 0) so that the value alone meets the caps; TXF sets the fee */
#define TXF(chain, to, value, maxfee, gas) \
	"{\"op\":\"sign_tx\",\"chainId\":" chain ",\"nonce\":3,\"maxPriorityFeePerGas\":\"0x0\"," \
	"\"maxFeePerGas\":\"" maxfee "\",\"gas\":" gas to ",\"value\":\"" value "\"}"
#define TX(chain, to, value) TXF(chain, to, value, "0", "21000")
#define DEAD ",\"to\":\"0x000000000000000000000000000000000000dead\""

static void test_handle_policy(void **state)
{
	struct fx *f = *state;
	expect_refusal(f, 4242, "{\"op\":\"address\"}", "denied", "socket");
	expect_refusal(f, 0, "{\"op\":\"address\"}", "denied", "socket"); /* root: pubkeys only */
	json_t *r = call(f, 0, "{\"op\":\"pubkeys\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	/* gid 2000 via the peer's gid */
	struct ks_peer peer = { .uid = 77, .gid = 2000 };
	const char *req = "{\"op\":\"address\"}";
	assert_int_equal(ks_handle(&f->s, &peer, (const uint8_t *)req, strlen(req), &r), 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	/* ... or as one of its supplementary groups (SO_PEERGROUPS), as the agent does */
	struct ks_peer sup = { .uid = 78, .gid = 5, .n_groups = 3, .groups = { 7, 2000, 9 } };
	assert_int_equal(ks_handle(&f->s, &sup, (const uint8_t *)req, strlen(req), &r), 0);
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	struct ks_peer none = { .uid = 78, .gid = 5, .n_groups = 2, .groups = { 7, 9 } };
	assert_int_equal(ks_handle(&f->s, &none, (const uint8_t *)req, strlen(req), &r), 0);
	assert_false(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	expect_refusal(f, 1000, "not json", "bad_request", NULL);
	expect_refusal(f, 1000, "{\"op\":\"dump_keys\"}", "bad_request", NULL);
	expect_refusal(f, 1000, "{\"op\":\"address\",\"x\":1}", "bad_request", NULL);
	expect_refusal(f, 1000, "{\"op\":\"address\",\"op\":\"address\"}", "bad_request", NULL);
	expect_refusal(f, 1000, TX("1", DEAD, "1"), "denied", "chain_id");
	expect_refusal(f, 1000, TX("31337", ",\"to\":\"0x000000000000000000000000000000000000beef\"", "1"),
		       "denied", "to_allowlist");
	expect_refusal(f, 1000, TX("31337", DEAD, "1001"), "denied", "max_value_per_tx");
	expect_refusal(f, 1000, TX("31337", "", "0"), "denied", "deployment");
	expect_refusal(f, 1000, TX("31337", DEAD, "-1"), "bad_request", NULL);
	expect_refusal(f, 1000, "{\"op\":\"sign_tx\",\"chainId\":31337}", "bad_request", NULL);
	expect_refusal(f, 1000, TX("31337", DEAD ",\"accessList\":[1]", "0"), "bad_request", NULL);
	expect_refusal(f, 1000, TX("31337", DEAD ",\"data\":\"0xzz\"", "0"), "bad_request", NULL);
	/* EIP-1559: a tip above the fee cap */
	expect_refusal(f, 1000, "{\"op\":\"sign_tx\",\"chainId\":31337,\"nonce\":0,"
		       "\"maxPriorityFeePerGas\":\"2\",\"maxFeePerGas\":\"1\",\"gas\":1" DEAD "}",
		       "bad_request", NULL);
}

static void test_handle_sign_tx(void **state)
{
	struct fx *f = *state;
	uint8_t addr[20], raw[512], from[20];
	size_t rawlen;
	struct bh_tx tx;

	bh_ks_keys_unlock(f->k);
	assert_int_equal(bh_ks_wallet_address(f->k, addr), 0);
	bh_ks_keys_lock(f->k);
	json_t *r = call(f, 1000, TX("31337", DEAD ",\"data\":\"0x01ff\"", "1000"));
	assert_true(json_is_true(json_object_get(r, "ok")));
	const char *hex = json_string_value(json_object_get(r, "raw"));
	assert_non_null(hex);
	assert_int_equal(bh_hex_decode_ct(hex + 2, strlen(hex + 2), raw, strlen(hex + 2) / 2), 0);
	rawlen = strlen(hex + 2) / 2;
	assert_int_equal(bh_tx_decode(raw, rawlen, &tx, NULL), 0);
	assert_int_equal(bh_tx_recover_sender(&tx, from), 0);
	assert_memory_equal(from, addr, 20);
	assert_true(tx.chain_id == 31337 && tx.nonce == 3 && tx.gas_limit == 21000);
	assert_int_equal(tx.data_len, 2);
	bh_tx_clear(&tx);
	json_decref(r);
	/* 1000 of 1500 spent: 501 more is over the day cap, 500 is fine */
	expect_refusal(f, 1000, TX("31337", DEAD, "501"), "denied", "max_value_per_day");
	r = call(f, 1000, TX("31337", DEAD, "500"));
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	expect_refusal(f, 1000, TX("31337", DEAD, "1"), "denied", "max_value_per_day");
}

/* Fees count against the caps: value + gas * maxFeePerGas. */
static void test_handle_fees(void **state)
{
	struct fx *f = *state;
	/* 1 wei of value, 21000 gas at 1 wei: 21001 > max_value_per_tx 1000 */
	expect_refusal(f, 1000, TXF("31337", DEAD, "1", "1", "21000"), "denied", "max_value_per_tx");
	/* huge gas at the allowed fee */
	expect_refusal(f, 1000, TXF("31337", DEAD, "0", "1000", "\"18446744073709551615\""), "denied",
		       "max_value_per_tx");
	/* maxFeePerGas above the [transactions] max_fee_per_gas */
	expect_refusal(f, 1000, TXF("31337", DEAD, "0", "1001", "1"), "denied", "max_fee_per_gas");
	expect_refusal(f, 1000, TXF("31337", DEAD, "0", "0x8000000000000000000000000000000000000000"
				    "000000000000000000000000", "2"), "denied", "max_fee_per_gas");
	/* exactly at the cap: 1 + 1 * 999 = 1000 */
	json_t *r = call(f, 1000, TXF("31337", DEAD, "1", "999", "1"));
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	/* the fee allowance is counted against the day: 1000 of 1500 gone, 501 in fees is over */
	expect_refusal(f, 1000, TXF("31337", DEAD, "0", "501", "1"), "denied", "max_value_per_day");
	r = call(f, 1000, TXF("31337", DEAD, "0", "250", "2"));
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	expect_refusal(f, 1000, TXF("31337", DEAD, "0", "1", "1"), "denied", "max_value_per_day");
}

/* EIP-1559: maxPriorityFeePerGas may not exceed maxFeePerGas (issue 11 item 6); the
 * refusal names both fields and values; equal is fine. */
static void test_handle_tip_over_fee_cap(void **state)
{
	struct fx *f = *state;
#define TIP(tip, fee) "{\"op\":\"sign_tx\",\"chainId\":31337,\"nonce\":0," \
	"\"maxPriorityFeePerGas\":\"" tip "\",\"maxFeePerGas\":\"" fee "\",\"gas\":1" DEAD "}"
	static const struct { const char *req, *want; } bad[] = {
		{ TIP("2", "1"), "maxPriorityFeePerGas 2 wei exceeds maxFeePerGas 1 wei" },
		{ TIP("1", "0"), "maxPriorityFeePerGas 1 wei exceeds maxFeePerGas 0 wei" },
		/* a difference only in the top byte, and the largest tip */
		{ TIP("0x0100000000000000000000000000000000000000000000000000000000000000", "1"),
		  "exceeds maxFeePerGas 1 wei" },
		{ TIP("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
		      "0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe"),
		  "maxPriorityFeePerGas 1157920892373161954235709850086879078532699846656405640394575"
		  "84007913129639935 wei exceeds maxFeePerGas" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *r = call(f, 1000, bad[i].req);
		const char *e = json_string_value(json_object_get(r, "error"));
		const char *m = json_string_value(json_object_get(r, "message"));
		assert_true(json_is_false(json_object_get(r, "ok")));
		if (!e || strcmp(e, "bad_request") || !m || !strstr(m, bad[i].want))
			fail_msg("tip case %zu: error %s message '%s' lacks '%s'", i, e, m, bad[i].want);
		assert_null(json_object_get(r, "raw"));
		json_decref(r);
	}
	/* the tip equal to the fee cap is valid (and within the caps: 1 * 999 <= 1000) */
	json_t *r = call(f, 1000, TIP("999", "999"));
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
#undef TIP
}

/* The deployment gate: only a root-owned, not group/world-writable regular flag file in
 * a root-owned, not group/world-writable directory opens it (as root; otherwise only
 * the refusals are checked). */
static void test_deploy_gate(void **state)
{
	struct fx *f = *state;
	char dir[] = "/tmp/ks-gate-XXXXXX", flag[64], link[64], why[256];
	struct bh_msg m = { "" };
	int fd = -1;
	bool root = geteuid() == 0;

	assert_non_null(mkdtemp(dir));
	snprintf(flag, sizeof(flag), "%s/finalization-open", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(dir, link), 0);
	assert_int_equal(ks_deploy_dir_open(link, &fd, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "symbolic link"));
	assert_int_equal(ks_deploy_dir_open("/nonexistent-ks-dir", &fd, NULL), -ENOENT);
	/* no directory: shut, and the refusal says so */
	assert_false(ks_deploy_gate_open(&f->s, why, sizeof(why)));
	expect_refusal(f, 1000, TX("31337", "", "0"), "denied", "deployment");
	if (!root) {
		assert_int_equal(ks_deploy_dir_open(dir, &fd, &m), BH_ERR_UNSAFE_FILE);
		assert_non_null(strstr(m.text, "it must be owned by root"));
		goto out;
	}
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(ks_deploy_dir_open(dir, &fd, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "writable"));
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(ks_deploy_dir_open(dir, &fd, &m), 0);
	f->s.has_deploy_dir = true;
	f->s.deploy_dirfd = fd;
	assert_false(ks_deploy_gate_open(&f->s, why, sizeof(why)));
	assert_non_null(strstr(why, "absent"));
	int ffd = open(flag, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(ffd >= 0);
	close(ffd);
	assert_true(ks_deploy_gate_open(&f->s, why, sizeof(why)));
	json_t *r = call(f, 1000, TX("31337", "", "0"));
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	/* owned by someone else (the engine's user), group-writable, world-writable */
	assert_int_equal(chown(flag, 65534, 0), 0);
	assert_false(ks_deploy_gate_open(&f->s, why, sizeof(why)));
	assert_non_null(strstr(why, "not owned by root"));
	expect_refusal(f, 1000, TX("31337", "", "0"), "denied", "deployment");
	assert_int_equal(chown(flag, 0, 0), 0);
	assert_int_equal(chmod(flag, 0664), 0);
	assert_false(ks_deploy_gate_open(&f->s, why, sizeof(why)));
	assert_int_equal(chmod(flag, 0646), 0);
	assert_false(ks_deploy_gate_open(&f->s, why, sizeof(why)));
	/* a symlink to a root-owned file is not followed */
	assert_int_equal(unlink(flag), 0);
	assert_int_equal(symlink("/etc/passwd", flag), 0);
	assert_false(ks_deploy_gate_open(&f->s, why, sizeof(why)));
	assert_non_null(strstr(why, "not a regular file"));
	assert_int_equal(unlink(flag), 0);
	/* a directory is not a flag */
	assert_int_equal(mkdir(flag, 0755), 0);
	assert_false(ks_deploy_gate_open(&f->s, why, sizeof(why)));
	assert_int_equal(rmdir(flag), 0);
	/* the directory is checked again on every request */
	ffd = open(flag, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(ffd >= 0);
	close(ffd);
	assert_true(ks_deploy_gate_open(&f->s, why, sizeof(why)));
	assert_int_equal(chmod(dir, 0757), 0);
	assert_false(ks_deploy_gate_open(&f->s, why, sizeof(why)));
	assert_non_null(strstr(why, "directory"));
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(unlink(flag), 0);
	close(fd);
	f->s.has_deploy_dir = false;
out:
	unlink(link);
	assert_int_equal(rmdir(dir), 0);
}

/* The site policy: root-owned, not group/world-writable, not a symlink. */
static void test_site_policy_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/ks-site-XXXXXX", path[64], link[64];
	struct bh_ini *ini = NULL;
	struct bh_msg m = { "" };
	static const char text[] = "[transactions]\nchain_id = 5\n";

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/keystore.policy", dir);
	snprintf(link, sizeof(link), "%s/link.policy", dir);
	assert_int_equal(ks_site_policy_load(path, &ini, &m), -ENOENT);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(ks_site_policy_load(link, &ini, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "symbolic link"));
	if (geteuid() == 0) {
		assert_int_equal(ks_site_policy_load(path, &ini, &m), 0);
		assert_non_null(bh_ini_section(ini, "transactions"));
		ini = bh_ini_free(ini);
		assert_int_equal(chmod(path, 0664), 0);
		assert_int_equal(ks_site_policy_load(path, &ini, &m), BH_ERR_UNSAFE_FILE);
		assert_non_null(strstr(m.text, "mode 0664"));
		assert_int_equal(chmod(path, 0640), 0);
		assert_int_equal(chown(path, 65534, 0), 0);
	}
	/* (not root: the file is ours, so not root's) */
	assert_int_equal(ks_site_policy_load(path, &ini, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "owned by root"));
	assert_null(ini);
	unlink(link);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

static void test_str_sanitize(void **state)
{
	(void)state;
	char out[16];
	assert_string_equal(bh_str_sanitize("plain key", 9, out, sizeof(out)), "plain key");
	assert_string_equal(bh_str_sanitize("a\x1b[31m\nb\r\x7f", 10, out, sizeof(out)),
			    "a?[31m?b??");
	assert_string_equal(bh_str_sanitize("\xc3\xa9t\xc3\xa9", 5, out, sizeof(out)), "??t??");
	assert_string_equal(bh_str_sanitize("x\0y", 3, out, sizeof(out)), "x?y");
	assert_string_equal(bh_str_sanitize("0123456789abcdefghij", 20, out, sizeof(out)),
			    "0123456789ab...");
	assert_string_equal(bh_str_sanitize("0123456789abcde", 15, out, sizeof(out)),
			    "0123456789abcde");
	assert_string_equal(bh_str_sanitize(NULL, 5, out, sizeof(out)), "");
	assert_string_equal(bh_str_sanitize("abc", 3, out, 1), "");
}

/* A peer-chosen field name is echoed in the refusal (and so in the daemon's log) only
 * as printable ASCII, capped. */
static void test_handle_unknown_field_sanitised(void **state)
{
	struct fx *f = *state;
	static const char *const reqs[] = {
		"{\"op\":\"address\",\"x\\u001b[2J\\nFAKE LOG LINE\\r\":1}",
		"{\"op\":\"personal_sign\",\"message\":\"a\",\"\\u00e9\\u2028\":1}",
		"{\"op\":\"sign_tx\",\"\\u0007bell\":1}",
		"{\"op\":\"tls_sign\",\"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1}",
		"{\"op\":\"ecies_decrypt\",\"\\u009b31m\":1}",
	};
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		json_t *r = call(f, 1000, reqs[i]);
		const char *m = json_string_value(json_object_get(r, "message"));
		assert_non_null(m);
		if (!strstr(m, "unknown field"))
			fail_msg("%zu: %s", i, m);
		for (const char *p = m; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
				fail_msg("%zu: byte 0x%02x in '%s'", i, (unsigned char)*p, m);
		assert_true(strlen(m) < 120);
		json_decref(r);
	}
	json_t *r = call(f, 1000, reqs[0]);
	assert_non_null(strstr(json_string_value(json_object_get(r, "message")),
			       "'x?[2J?FAKE LOG LINE?'"));
	json_decref(r);
}

static void test_handle_other_ops(void **state)
{
	struct fx *f = *state;
	uint8_t addr[20], pub[65], sig[65];
	struct bh_buf ct;

	bh_ks_keys_unlock(f->k);
	assert_int_equal(bh_ks_wallet_address(f->k, addr), 0);
	assert_int_equal(bh_ks_ecies_pubkey(f->k, pub), 0);
	bh_ks_keys_lock(f->k);

	json_t *r = call(f, 1000, "{\"op\":\"personal_sign\",\"message\":\"hello\"}");
	const char *s = json_string_value(json_object_get(r, "signature"));
	assert_non_null(s);
	assert_int_equal(bh_sig_parse_hex(s, strlen(s), sig), 0);
	assert_int_equal(bh_eth_verify_personal("hello", 5, sig, addr), 0);
	char first[BH_SIG_STR_LEN + 1];
	snprintf(first, sizeof(first), "%s", s);
	json_decref(r);
	r = call(f, 1000, "{\"op\":\"personal_sign\",\"message_hex\":\"0x68656c6c6f\"}");
	assert_string_equal(json_string_value(json_object_get(r, "signature")), first);
	json_decref(r);
	expect_refusal(f, 1000, "{\"op\":\"personal_sign\",\"message\":\"a\",\"message_hex\":\"0x61\"}",
		       "bad_request", NULL);

	bh_buf_init(&ct, 4096);
	assert_int_equal(bh_ecies_encrypt(pub, 65, (const uint8_t *)"secret", 6, &ct), 0);
	char *h = bh_hex_encode_alloc(bh_buf_ptr(&ct), bh_buf_len(&ct), true);
	char req[1024];
	snprintf(req, sizeof(req), "{\"op\":\"ecies_decrypt\",\"ciphertext\":\"%s\"}", h);
	r = call(f, 1000, req);
	assert_string_equal(json_string_value(json_object_get(r, "plaintext")), "0x736563726574");
	/* the daemon wipes the plaintext's text inside the response before freeing it */
	const char *pt = json_string_value(json_object_get(r, "plaintext"));
	ks_resp_wipe(r);
	for (size_t i = 0; i < 14; i++)
		assert_int_equal(pt[i], 0);
	ks_resp_wipe(NULL);
	json_decref(r);
	/* change the last tag digit to another hex digit */
	h[strlen(h) - 1] = h[strlen(h) - 1] == '0' ? '1' : '0';
	snprintf(req, sizeof(req), "{\"op\":\"ecies_decrypt\",\"ciphertext\":\"%s\"}", h);
	expect_refusal(f, 1000, req, "decrypt", NULL);
	free(h);
	bh_buf_done(&ct);

	r = call(f, 1000, "{\"op\":\"tls_sign\",\"digest\":\"0x"
		 "0101010101010101010101010101010101010101010101010101010101010101\"}");
	assert_true(json_is_true(json_object_get(r, "ok")));
	json_decref(r);
	expect_refusal(f, 1000, "{\"op\":\"tls_sign\",\"digest\":\"0x0101\"}", "bad_request", NULL);
	/* no response ever carries a private key: check the hex of every scalar */
	r = call(f, 1000, "{\"op\":\"pubkeys\"}");
	char *dump = json_dumps(r, 0), kh[65];
	bh_ks_keys_unlock(f->k);
	for (int i = 0; i < BH_KS_NKEYS; i++) {
		bh_hex_encode(f->k->k[i], 32, kh);
		assert_null(strstr(dump, kh));
	}
	bh_ks_keys_lock(f->k);
	free(dump);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blob_roundtrip),
		cmocka_unit_test(test_blob_errors),
		cmocka_unit_test(test_blob_files),
		cmocka_unit_test(test_pcr_mask),
		cmocka_unit_test(test_rc_map),
		cmocka_unit_test(test_recovery),
		cmocka_unit_test(test_p256),
		cmocka_unit_test(test_tcti_check),
		cmocka_unit_test(test_u256),
		cmocka_unit_test(test_policy_parse),
		cmocka_unit_test(test_site_policy_load),
		cmocka_unit_test_setup_teardown(test_handle_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handle_sign_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handle_fees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handle_tip_over_fee_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deploy_gate, setup, teardown),
		cmocka_unit_test(test_str_sanitize),
		cmocka_unit_test_setup_teardown(test_handle_unknown_field_sanitised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handle_other_ops, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Unit tests: secp256k1 keys, RFC 6979 signing, recovery with EIP-2 low-S. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <cmocka.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "core/err.h"
#include "core/hex.h"
#include "eth/keccak.h"
#include "eth/secp.h"

static const uint8_t N[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};
static const char *G_UNCOMPRESSED =
	"0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
	"483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";

static void rnd(void *p, size_t n)
{
	assert_int_equal(getrandom(p, n, 0), (ssize_t)n);
}

static void sub_from_n(const uint8_t s[32], uint8_t out[32])
{
	unsigned borrow = 0;
	for (int i = 31; i >= 0; i--) {
		unsigned d = (unsigned)N[i] - s[i] - borrow;
		out[i] = (uint8_t)d;
		borrow = (d >> 8) & 1;
	}
}

static void test_privkey_range(void **state)
{
	(void)state;
	uint8_t k[32], pub[65], sig[65], d[32] = { 1 };
	char h[131];

	memset(k, 0, 32);
	assert_int_equal(bh_secp_privkey_check(k), BH_ERR_RANGE);
	assert_int_equal(bh_secp_pubkey(k, pub), BH_ERR_RANGE);
	assert_int_equal(bh_secp_sign(k, d, sig), BH_ERR_RANGE);
	memcpy(k, N, 32);
	assert_int_equal(bh_secp_privkey_check(k), BH_ERR_RANGE);
	memset(k, 0xff, 32);
	assert_int_equal(bh_secp_privkey_check(k), BH_ERR_RANGE);
	memcpy(k, N, 32);
	k[31]--; /* n - 1 */
	assert_int_equal(bh_secp_privkey_check(k), 0);
	memset(k, 0, 32);
	k[31] = 1;
	assert_int_equal(bh_secp_pubkey(k, pub), 0);
	bh_hex_encode(pub, 65, h);
	assert_string_equal(h, G_UNCOMPRESSED);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(bh_secp_keygen(k), 0);
		assert_int_equal(bh_secp_privkey_check(k), 0);
	}
}

static void test_pubkey_parse(void **state)
{
	(void)state;
	uint8_t g[65], out[65], c[33], addr[20], scratch[65];

	assert_int_equal(bh_hex_decode_exact(G_UNCOMPRESSED, g, 65), 0);
	assert_int_equal(bh_secp_pubkey_parse(g, 65, out), 0);
	assert_memory_equal(out, g, 65);
	c[0] = (uint8_t)(0x02 | (g[64] & 1));
	memcpy(c + 1, g + 1, 32);
	assert_int_equal(bh_secp_pubkey_parse(c, 33, out), 0);
	assert_memory_equal(out, g, 65);
	c[0] ^= 1; /* the other Y */
	assert_int_equal(bh_secp_pubkey_parse(c, 33, out), 0);
	assert_memory_not_equal(out, g, 65);
	assert_int_equal(bh_secp_pubkey_parse(g, 64, out), BH_ERR_LENGTH);
	assert_int_equal(bh_secp_pubkey_parse(g, 0, out), BH_ERR_LENGTH);
	/* hybrid encoding 06/07 is accepted by libsecp256k1; not by us */
	memcpy(out, g, 65);
	out[0] = (uint8_t)(0x06 | (g[64] & 1));
	assert_int_equal(bh_secp_pubkey_parse(out, 65, scratch), BH_ERR_FORMAT);
	assert_int_equal(bh_eth_address_from_pubkey(out, addr), BH_ERR_FORMAT);
	/* a point off the curve */
	memcpy(out, g, 65);
	out[64] ^= 1;
	assert_int_equal(bh_secp_pubkey_parse(out, 65, scratch), BH_ERR_FORMAT);
	assert_int_equal(bh_eth_address_from_pubkey(out, addr), BH_ERR_FORMAT);
	/* x >= p */
	memset(out, 0xff, 65);
	out[0] = 4;
	assert_int_equal(bh_secp_pubkey_parse(out, 65, scratch), BH_ERR_FORMAT);
}

/* Property: for random keys and digests, sign -> low-S, recid 0/1, deterministic,
 * recover gives the key's address; the malleated twin (n - s, recid ^ 1) is
 * accepted by raw libsecp256k1 but rejected by us. */
static void test_sign_recover_random(void **state)
{
	(void)state;
	const secp256k1_context *ctx = bh_secp_context();
	assert_non_null(ctx);

	for (int i = 0; i < 300; i++) {
		uint8_t k[32], d[32], sig[65], sig2[65], addr[20], want[20], pub[65], rpub[65];
		assert_int_equal(bh_secp_keygen(k), 0);
		rnd(d, sizeof(d));
		assert_int_equal(bh_secp_sign(k, d, sig), 0);
		assert_int_equal(bh_secp_sign(k, d, sig2), 0);
		assert_memory_equal(sig, sig2, 65); /* RFC 6979 */
		assert_true(sig[64] <= 1);
		assert_int_equal(bh_secp_sig_check(sig), 0);
		assert_int_equal(bh_eth_address_from_priv(k, want), 0);
		assert_int_equal(bh_secp_recover_address(d, sig, addr), 0);
		assert_memory_equal(addr, want, 20);
		assert_int_equal(bh_secp_pubkey(k, pub), 0);
		assert_int_equal(bh_secp_recover_pubkey(d, sig, rpub), 0);
		assert_memory_equal(pub, rpub, 65);

		/* malleated twin */
		uint8_t hs[65];
		memcpy(hs, sig, 32);
		sub_from_n(sig + 32, hs + 32);
		hs[64] = sig[64] ^ 1;
		secp256k1_ecdsa_recoverable_signature rs;
		secp256k1_pubkey pk;
		assert_true(secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, hs, hs[64]));
		assert_true(secp256k1_ecdsa_recover(ctx, &pk, &rs, d)); /* libsecp accepts */
		assert_int_equal(bh_secp_recover_address(d, hs, addr), BH_ERR_HIGH_S);
		assert_int_equal(bh_secp_sig_check(hs), BH_ERR_HIGH_S);

		/* wrong digest: a different (or no) address */
		d[i % 32] ^= 1;
		int r = bh_secp_recover_address(d, sig, addr);
		assert_true(r == BH_ERR_SIGNATURE || (r == 0 && memcmp(addr, want, 20) != 0));
		/* recid 2, 3 (valid for libsecp256k1), 27, 255: not at this interface */
		static const uint8_t bad_recid[] = { 2, 3, 27, 255 };
		for (size_t j = 0; j < sizeof(bad_recid); j++) {
			memcpy(sig2, sig, 65);
			sig2[64] = bad_recid[j];
			assert_int_equal(bh_secp_recover_address(d, sig2, addr), BH_ERR_RECOVERY_ID);
		}
		explicit_bzero(k, sizeof(k));
	}
}

static void test_recover_rejects_zero_overflow(void **state)
{
	(void)state;
	uint8_t k[32], d[32], sig[65], bad[65], addr[20];

	assert_int_equal(bh_secp_keygen(k), 0);
	rnd(d, sizeof(d));
	assert_int_equal(bh_secp_sign(k, d, sig), 0);
	for (int part = 0; part < 2; part++) {
		memcpy(bad, sig, 65);
		memset(bad + 32 * part, 0, 32);
		assert_int_equal(bh_secp_recover_address(d, bad, addr), BH_ERR_SIGNATURE);
		memcpy(bad + 32 * part, N, 32);
		assert_int_equal(bh_secp_recover_address(d, bad, addr), BH_ERR_SIGNATURE);
		memset(bad + 32 * part, 0xff, 32);
		assert_int_equal(bh_secp_recover_address(d, bad, addr), BH_ERR_SIGNATURE);
	}
	/* r = 1 (no point with x = 1 exists... or does: either way no crash, no false accept) */
	memcpy(bad, sig, 65);
	memset(bad, 0, 32);
	bad[31] = 1;
	uint8_t want[20];
	assert_int_equal(bh_eth_address_from_priv(k, want), 0);
	int r = bh_secp_recover_address(d, bad, addr);
	assert_true(r == BH_ERR_SIGNATURE || (r == 0 && memcmp(addr, want, 20) != 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_privkey_range),
		cmocka_unit_test(test_pubkey_parse),
		cmocka_unit_test(test_sign_recover_random),
		cmocka_unit_test(test_recover_rejects_zero_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

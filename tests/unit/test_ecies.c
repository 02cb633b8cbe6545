/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: ECIES (Noble layout) and signature-derived symmetric encryption.
 * Blobs made by noble/node (tests/vectors/crypto.json, or BH_CRYPTO_VECTORS) must
 * decrypt; our own round trips, tampering, lengths and caps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <cmocka.h>
#include <jansson.h>

#include "eth/ecies.h"
#include "core/err.h"
#include "core/hex.h"
#include "eth/secp.h"

static void rnd(void *p, size_t n)
{
	if (n)
		assert_int_equal(getrandom(p, n, 0), (ssize_t)n);
}

static uint8_t *unhex_alloc(const char *s, size_t *len)
{
	uint8_t *p = NULL;
	assert_int_equal(bh_hex_decode_alloc(s, 1 << 20, &p, len), 0);
	return p;
}

static void test_vectors(void **state)
{
	(void)state;
	const char *path = getenv("BH_CRYPTO_VECTORS");
	json_error_t jerr;
	json_t *root = json_load_file(path ? path : "tests/vectors/crypto.json", 0, &jerr);
	json_t *e;
	size_t i;

	assert_non_null(root);
	json_t *ec = json_object_get(root, "ecies"), *sy = json_object_get(root, "symmetric");
	assert_true(json_array_size(ec) >= 4 && json_array_size(sy) >= 4);
	json_array_foreach(ec, i, e) {
		uint8_t priv[32];
		size_t blen, plen;
		struct bh_buf out;
		assert_int_equal(bh_hex_decode_exact(json_string_value(json_object_get(e, "priv")), priv, 32), 0);
		uint8_t *blob = unhex_alloc(json_string_value(json_object_get(e, "blob")), &blen);
		uint8_t *pt = unhex_alloc(json_string_value(json_object_get(e, "plaintext_hex")), &plen);
		bh_buf_init(&out, 1 << 20);
		assert_int_equal(bh_ecies_decrypt(priv, blob, blen, &out), 0);
		assert_int_equal(bh_buf_len(&out), plen);
		if (plen)
			assert_memory_equal(bh_buf_ptr(&out), pt, plen);
		bh_buf_done(&out);
		free(blob);
		free(pt);
	}
	json_array_foreach(sy, i, e) {
		uint8_t sig[65];
		size_t blen, plen;
		struct bh_buf out;
		assert_int_equal(bh_hex_decode_exact(json_string_value(json_object_get(e, "signature")), sig, 65), 0);
		uint8_t *blob = unhex_alloc(json_string_value(json_object_get(e, "blob")), &blen);
		uint8_t *pt = unhex_alloc(json_string_value(json_object_get(e, "plaintext_hex")), &plen);
		bh_buf_init(&out, 1 << 20);
		assert_int_equal(bh_sym_decrypt(sig, blob, blen, &out), 0);
		assert_int_equal(bh_buf_len(&out), plen);
		if (plen)
			assert_memory_equal(bh_buf_ptr(&out), pt, plen);
		/* the wallet's raw bytes are the key: v = 0/1 instead of 27/28 is another key */
		sig[64] = (uint8_t)(sig[64] - 27);
		bh_buf_reset(&out);
		assert_int_equal(bh_sym_decrypt(sig, blob, blen, &out), BH_ERR_DECRYPT);
		assert_int_equal(bh_buf_len(&out), 0);
		bh_buf_done(&out);
		free(blob);
		free(pt);
	}
	json_decref(root);
}

/* Property: random keys and plaintexts (0..300 bytes) round-trip; flipping any
 * single byte makes decryption fail (BH_ERR_DECRYPT, or BH_ERR_FORMAT when the
 * flip lands in E and leaves the curve), with nothing appended. */
static void test_ecies_roundtrip_tamper(void **state)
{
	(void)state;
	for (int it = 0; it < 60; it++) {
		uint8_t priv[32], pub[65], pt[300], other[32];
		size_t ptlen = it < 3 ? (size_t)it : (size_t)(rand() % 300);
		struct bh_buf ct, out;

		assert_int_equal(bh_secp_keygen(priv), 0);
		assert_int_equal(bh_secp_pubkey(priv, pub), 0);
		rnd(pt, ptlen);
		bh_buf_init(&ct, 4096);
		bh_buf_init(&out, 4096);
		assert_int_equal(bh_ecies_encrypt(pub, 65, pt, ptlen, &ct), 0);
		assert_int_equal(bh_buf_len(&ct), ptlen + BH_ECIES_OVERHEAD);
		assert_int_equal(bh_ecies_decrypt(priv, bh_buf_ptr(&ct), bh_buf_len(&ct), &out), 0);
		assert_int_equal(bh_buf_len(&out), ptlen);
		if (ptlen)
			assert_memory_equal(bh_buf_ptr(&out), pt, ptlen);

		uint8_t *blob = malloc(bh_buf_len(&ct));
		size_t blen = bh_buf_len(&ct);
		memcpy(blob, bh_buf_ptr(&ct), blen);
		for (size_t pos = 0; pos < blen; pos += (it < 3 ? 1 : 7)) {
			blob[pos] ^= (uint8_t)(1u << (pos % 8));
			bh_buf_reset(&out);
			int r = bh_ecies_decrypt(priv, blob, blen, &out);
			if (pos < BH_ECIES_EPH_LEN)
				assert_true(r == BH_ERR_DECRYPT || r == BH_ERR_FORMAT);
			else
				assert_int_equal(r, BH_ERR_DECRYPT);
			assert_int_equal(bh_buf_len(&out), 0);
			blob[pos] ^= (uint8_t)(1u << (pos % 8));
		}
		/* truncated / extended */
		assert_int_equal(bh_ecies_decrypt(priv, blob, blen - 1, &out),
		                 blen - 1 < BH_ECIES_OVERHEAD ? BH_ERR_LENGTH : BH_ERR_DECRYPT);
		/* another key */
		assert_int_equal(bh_secp_keygen(other), 0);
		assert_int_equal(bh_ecies_decrypt(other, blob, blen, &out), BH_ERR_DECRYPT);
		/* compressed recipient key works too */
		uint8_t c[33];
		c[0] = (uint8_t)(0x02 | (pub[64] & 1));
		memcpy(c + 1, pub + 1, 32);
		bh_buf_reset(&ct);
		assert_int_equal(bh_ecies_encrypt(c, 33, pt, ptlen, &ct), 0);
		bh_buf_reset(&out);
		assert_int_equal(bh_ecies_decrypt(priv, bh_buf_ptr(&ct), bh_buf_len(&ct), &out), 0);
		assert_int_equal(bh_buf_len(&out), ptlen);
		free(blob);
		bh_buf_done(&ct);
		bh_buf_done(&out);
	}
}

static void test_ecies_errors(void **state)
{
	(void)state;
	uint8_t priv[32], pub[65], blob[200];
	struct bh_buf out, small;

	assert_int_equal(bh_secp_keygen(priv), 0);
	assert_int_equal(bh_secp_pubkey(priv, pub), 0);
	bh_buf_init(&out, 4096);
	assert_int_equal(bh_ecies_decrypt(priv, NULL, 0, &out), BH_ERR_LENGTH);
	memset(blob, 0, sizeof(blob));
	assert_int_equal(bh_ecies_decrypt(priv, blob, 92, &out), BH_ERR_LENGTH);
	/* 93 bytes of zeros: E = 00..., not a point */
	assert_int_equal(bh_ecies_decrypt(priv, blob, 93, &out), BH_ERR_FORMAT);
	/* E with a compressed prefix is not accepted (the wire format is 65-byte uncompressed) */
	memcpy(blob, pub, 65);
	blob[0] = 0x02;
	assert_int_equal(bh_ecies_decrypt(priv, blob, 93, &out), BH_ERR_FORMAT);
	memcpy(blob, pub, 65);
	assert_int_equal(bh_ecies_decrypt(priv, blob, 93, &out), BH_ERR_DECRYPT);
	/* invalid private key */
	uint8_t zero[32] = { 0 };
	assert_int_equal(bh_ecies_decrypt(zero, blob, 93, &out), BH_ERR_RANGE);
	/* bad recipient keys */
	assert_int_equal(bh_ecies_encrypt(pub, 64, blob, 1, &out), BH_ERR_LENGTH);
	pub[64] ^= 1;
	assert_int_equal(bh_ecies_encrypt(pub, 65, blob, 1, &out), BH_ERR_FORMAT);
	assert_int_equal(bh_buf_len(&out), 0);
	pub[64] ^= 1;
	/* output cap: nothing appended on BH_ERR_LIMIT */
	bh_buf_init(&small, 100);
	assert_int_equal(bh_buf_put(&small, "abc", 3), 0);
	assert_int_equal(bh_ecies_encrypt(pub, 65, blob, 10, &small), BH_ERR_LIMIT);
	assert_int_equal(bh_buf_len(&small), 3);
	bh_buf_reset(&small);
	assert_int_equal(bh_ecies_encrypt(pub, 65, blob, 7, &small), 0); /* exactly 100 */
	assert_int_equal(bh_buf_len(&small), 100);
	bh_buf_reset(&out);
	assert_int_equal(bh_ecies_decrypt(priv, bh_buf_ptr(&small), 100, &out), 0);
	assert_int_equal(bh_buf_len(&out), 7);
	struct bh_buf tiny;
	bh_buf_init(&tiny, 6);
	assert_int_equal(bh_ecies_decrypt(priv, bh_buf_ptr(&small), 100, &tiny), BH_ERR_LIMIT);
	assert_int_equal(bh_buf_len(&tiny), 0);
	bh_buf_done(&tiny);
	bh_buf_done(&small);
	bh_buf_done(&out);
}

static void test_symmetric(void **state)
{
	(void)state;
	for (int it = 0; it < 60; it++) {
		uint8_t sig[65], pt[300];
		size_t ptlen = it < 3 ? (size_t)it : (size_t)(rand() % 300);
		struct bh_buf ct, out;

		rnd(sig, sizeof(sig));
		rnd(pt, ptlen);
		bh_buf_init(&ct, 4096);
		bh_buf_init(&out, 4096);
		assert_int_equal(bh_sym_encrypt(sig, pt, ptlen, &ct), 0);
		assert_int_equal(bh_buf_len(&ct), ptlen + BH_SYM_OVERHEAD);
		assert_int_equal(bh_sym_decrypt(sig, bh_buf_ptr(&ct), bh_buf_len(&ct), &out), 0);
		assert_int_equal(bh_buf_len(&out), ptlen);
		if (ptlen)
			assert_memory_equal(bh_buf_ptr(&out), pt, ptlen);
		uint8_t *blob = malloc(bh_buf_len(&ct));
		size_t blen = bh_buf_len(&ct);
		memcpy(blob, bh_buf_ptr(&ct), blen);
		for (size_t pos = 0; pos < blen; pos++) {
			blob[pos] ^= 0x80;
			bh_buf_reset(&out);
			assert_int_equal(bh_sym_decrypt(sig, blob, blen, &out), BH_ERR_DECRYPT);
			assert_int_equal(bh_buf_len(&out), 0);
			blob[pos] ^= 0x80;
		}
		sig[it % 65] ^= 1;
		assert_int_equal(bh_sym_decrypt(sig, blob, blen, &out), BH_ERR_DECRYPT);
		assert_int_equal(bh_sym_decrypt(sig, blob, 27, &out), BH_ERR_LENGTH);
		assert_int_equal(bh_sym_decrypt(sig, NULL, 0, &out), BH_ERR_LENGTH);
		free(blob);
		bh_buf_done(&ct);
		bh_buf_done(&out);
	}
}

int main(void)
{
	srand(4242);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_ecies_roundtrip_tamper),
		cmocka_unit_test(test_ecies_errors),
		cmocka_unit_test(test_symmetric),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

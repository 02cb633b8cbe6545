/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the Keccak sponge (keccak.h) — SHA3-256 against OpenSSL's EVP_sha3_256 on
 * random inputs of every length 0..1000 (crossing the 136-byte rate several times), the
 * standard "abc" / 448-bit vectors for Keccak-256 and SHA3-256, Keccak-256 at the rate
 * boundary, incremental updates at random split points equal to one-shot, and Keccak-256
 * against OpenSSL's KECCAK-256 when the OpenSSL at hand has it (3.2+).
 *
 * bh_keccak256 and bh_sha3_256 share one sponge and differ only in the padding byte, so
 * the OpenSSL SHA3 comparison exercises the absorb/squeeze logic Keccak-256 uses too; the
 * fixed Keccak-256 vectors pin the 0x01 padding.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/hex.h"
#include "eth/keccak.h"

#define MAXLEN 1000

static void ossl_digest(const EVP_MD *md, const uint8_t *p, size_t n, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned olen = 0;

	assert_non_null(c);
	assert_int_equal(EVP_DigestInit_ex(c, md, NULL), 1);
	assert_int_equal(EVP_DigestUpdate(c, p, n), 1);
	assert_int_equal(EVP_DigestFinal_ex(c, out, &olen), 1);
	assert_int_equal(olen, 32);
	EVP_MD_CTX_free(c);
}

static void expect_hex(const uint8_t d[32], const char *want)
{
	char h[65];

	bh_hex_encode(d, 32, h);
	assert_string_equal(h, want);
}

/* Incremental: random chunk sizes (0..2*rate) must give the one-shot digest. */
static void incremental(bool sha3, const uint8_t *p, size_t n, uint8_t out[32])
{
	struct bh_keccak k;
	size_t off = 0;

	if (sha3)
		bh_sha3_256_init(&k);
	else
		bh_keccak256_init(&k);
	while (off < n) {
		size_t step = (size_t)(rand() % (2 * BH_KECCAK_RATE + 1));
		if (step > n - off)
			step = n - off;
		bh_keccak_update(&k, p + off, step);
		off += step;
	}
	bh_keccak_update(&k, p, 0);
	bh_keccak_final(&k, out);
}

static void test_sha3_vs_openssl(void **state)
{
	(void)state;
	uint8_t *msg = malloc(MAXLEN);
	uint8_t ours[32], theirs[32], inc[32];

	assert_non_null(msg);
	assert_int_equal(RAND_bytes(msg, MAXLEN), 1);
	srand(12345);
	for (size_t n = 0; n <= MAXLEN; n++) {
		/* a fresh random message per length (not just prefixes of one) */
		assert_int_equal(RAND_bytes(msg, (int)(n ? n : 1)), 1);
		bh_sha3_256(msg, n, ours);
		ossl_digest(EVP_sha3_256(), msg, n, theirs);
		if (memcmp(ours, theirs, 32) != 0)
			fail_msg("SHA3-256 differs from OpenSSL at length %zu", n);
		incremental(true, msg, n, inc);
		if (memcmp(inc, ours, 32) != 0)
			fail_msg("incremental SHA3-256 differs from one-shot at length %zu", n);
		/* Keccak-256: the same sponge; incremental must agree with one-shot */
		bh_keccak256(msg, n, ours);
		incremental(false, msg, n, inc);
		if (memcmp(inc, ours, 32) != 0)
			fail_msg("incremental Keccak-256 differs from one-shot at length %zu", n);
	}
	free(msg);
}

/* OpenSSL 3.2+ exposes the original Keccak as "KECCAK-256"; 3.0 does not (skip then). */
static void test_keccak_vs_openssl_if_available(void **state)
{
	(void)state;
	EVP_MD *md = EVP_MD_fetch(NULL, "KECCAK-256", NULL);
	uint8_t msg[MAXLEN], ours[32], theirs[32];

	if (!md) {
		/* cmocka's skip() would mark the whole run; a message is enough here */
		print_message("OpenSSL has no KECCAK-256 (needs 3.2+): fixed vectors only\n");
		return;
	}
	for (size_t n = 0; n <= MAXLEN; n++) {
		assert_int_equal(RAND_bytes(msg, (int)(n ? n : 1)), 1);
		bh_keccak256(msg, n, ours);
		ossl_digest(md, msg, n, theirs);
		if (memcmp(ours, theirs, 32) != 0)
			fail_msg("Keccak-256 differs from OpenSSL at length %zu", n);
	}
	EVP_MD_free(md);
}

static void test_standard_vectors(void **state)
{
	(void)state;
	static const char l448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t d[32], a[272];

	/* FIPS 202 examples (SHA3-256) and the Keccak team's vectors (Keccak-256) */
	bh_sha3_256("", 0, d);
	expect_hex(d, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
	bh_sha3_256("abc", 3, d);
	expect_hex(d, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
	bh_sha3_256(l448, strlen(l448), d);
	expect_hex(d, "41c0dba2a9d6240849100376a8235e2c82e1b9998a999e21db32dd97496d3376");
	bh_keccak256("", 0, d);
	expect_hex(d, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	bh_keccak256("abc", 3, d);
	expect_hex(d, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
	bh_keccak256(l448, strlen(l448), d);
	expect_hex(d, "45d3b367a6904e6e8d502ee04999a7c27647f91fa845d456525fd352ae3d7371");

	/* Keccak-256 of 'a' x n at the rate boundary; values from @noble/hashes keccak_256:
	 *   node -e 'import("@noble/hashes/sha3.js").then(({keccak_256}) =>
	 *     console.log(Buffer.from(keccak_256(Buffer.alloc(N, 0x61))).toString("hex")))' */
	memset(a, 'a', sizeof(a));
	bh_keccak256(a, 135, d);
	expect_hex(d, "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
	bh_keccak256(a, 136, d);
	expect_hex(d, "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
	bh_keccak256(a, 137, d);
	expect_hex(d, "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");
	bh_keccak256(a, 272, d);
	expect_hex(d, "cf7fcd4f705ee749930d19ca84561a9bf62516bd90a471545fa2f49fdc7e63c8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_standard_vectors),
		cmocka_unit_test(test_sha3_vs_openssl),
		cmocka_unit_test(test_keccak_vs_openssl_if_available),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

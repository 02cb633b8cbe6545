/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: 256-bit unsigned arithmetic (eth/u256.h) — boundaries (0, 1, 2^64-1, 2^64,
 * 2^64+1, 2^128, 2^256-1), overflow and underflow reported as BH_ERR_RANGE with ret
 * untouched (never a silent wrap), decimal and hex text both ways, and a differential test
 * of add/sub/mul/cmp/dec/hex against OpenSSL BIGNUM on random operands of random widths.
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

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "eth/u256.h"

#define MAX_DEC "115792089237316195423570985008687907853269984665640564039457584007913129639935"
#define MAX_HEX "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

static void dec(const char *s, uint8_t out[32])
{
	assert_int_equal(bh_u256_from_dec(s, out), 0);
}

static void assert_dec(const uint8_t v[32], const char *want)
{
	char d[BH_U256_DEC_MAX];
	bh_u256_to_dec(v, d);
	assert_string_equal(d, want);
}

static void test_boundaries(void **state)
{
	(void)state;
	uint8_t zero[32] = { 0 }, one[32], max[32], m64[32], p64[32], p64p1[32], r[32], keep[32];
	uint64_t x;

	bh_u256_from_u64(1, one);
	bh_u256_from_u64(UINT64_MAX, m64);
	dec("18446744073709551616", p64);
	dec("18446744073709551617", p64p1);
	dec(MAX_DEC, max);
	assert_true(bh_u256_is_zero(zero));
	assert_false(bh_u256_is_zero(one));

	/* 2^64-1 + 1 = 2^64 carries across a limb; 2^64 - 1 borrows back */
	assert_int_equal(bh_u256_add(m64, one, r), 0);
	assert_memory_equal(r, p64, 32);
	assert_int_equal(bh_u256_to_u64(r, &x), BH_ERR_RANGE);
	assert_int_equal(bh_u256_add(r, one, r), 0);        /* aliasing */
	assert_memory_equal(r, p64p1, 32);
	assert_int_equal(bh_u256_sub(p64, one, r), 0);
	assert_memory_equal(r, m64, 32);
	assert_int_equal(bh_u256_to_u64(r, &x), 0);
	assert_true(x == UINT64_MAX);
	assert_int_equal(bh_u256_cmp(p64, m64), 1);
	assert_int_equal(bh_u256_cmp(m64, p64), -1);
	assert_int_equal(bh_u256_cmp(max, max), 0);

	/* (2^64-1)^2 = 2^128 - 2^65 + 1 */
	assert_int_equal(bh_u256_mul(m64, m64, r), 0);
	assert_dec(r, "340282366920938463426481119284349108225");
	/* 2^128 * 2^128 = 2^256 overflows; (2^128-1) * 2^128 = 2^256 - 2^128 and
	 * (2^128-1)^2 = 2^256 - 2^129 + 1 just fit */
	uint8_t p128[32], p128m1[32];
	dec("340282366920938463463374607431768211456", p128);
	assert_int_equal(bh_u256_sub(p128, one, p128m1), 0);
	memset(keep, 0x5a, 32);
	memcpy(r, keep, 32);
	assert_int_equal(bh_u256_mul(p128, p128, r), BH_ERR_RANGE);
	assert_memory_equal(r, keep, 32);                   /* untouched on failure */
	assert_int_equal(bh_u256_mul(p128m1, p128, r), 0);
	assert_dec(r, "115792089237316195423570985008687907852929702298719625575994209400481361428480");
	assert_int_equal(bh_u256_mul(p128m1, p128m1, r), 0);
	assert_dec(r, "115792089237316195423570985008687907852589419931798687112530834793049593217025");
	assert_int_equal(bh_u256_add(p128, p128, r), 0);
	assert_int_equal(bh_u256_mul(r, p128m1, r), BH_ERR_RANGE);   /* 2^129 * (2^128-1) */

	/* 2^256-1: + 1 overflows, * 2 overflows, * 1 and * 0 fit, - itself is 0 */
	memcpy(r, keep, 32);
	assert_int_equal(bh_u256_add(max, one, r), BH_ERR_RANGE);
	assert_memory_equal(r, keep, 32);
	assert_int_equal(bh_u256_mul_u64(max, 2, r), BH_ERR_RANGE);
	assert_int_equal(bh_u256_mul_u64(max, UINT64_MAX, r), BH_ERR_RANGE);
	assert_memory_equal(r, keep, 32);
	assert_int_equal(bh_u256_mul_u64(max, 1, r), 0);
	assert_memory_equal(r, max, 32);
	assert_int_equal(bh_u256_mul(max, zero, r), 0);
	assert_true(bh_u256_is_zero(r));
	assert_int_equal(bh_u256_sub(max, max, r), 0);
	assert_true(bh_u256_is_zero(r));
	assert_int_equal(bh_u256_add(max, zero, r), 0);
	assert_memory_equal(r, max, 32);
	/* 0 - 1 underflows */
	memcpy(r, keep, 32);
	assert_int_equal(bh_u256_sub(zero, one, r), BH_ERR_RANGE);
	assert_int_equal(bh_u256_sub(p64, p64p1, r), BH_ERR_RANGE);
	assert_memory_equal(r, keep, 32);
}

static void test_text(void **state)
{
	(void)state;
	uint8_t v[32], w[32];
	char h[BH_U256_HEX_MAX];

	dec(MAX_DEC, v);
	assert_dec(v, MAX_DEC);
	bh_u256_to_hex(v, h);
	assert_string_equal(h, MAX_HEX);
	assert_int_equal(bh_u256_from_hex(MAX_HEX, w), 0);
	assert_memory_equal(v, w, 32);
	/* one past the maximum */
	assert_int_equal(bh_u256_from_dec("115792089237316195423570985008687907853269984665640564039457584007913129639936", v), BH_ERR_RANGE);
	assert_int_equal(bh_u256_from_dec("1157920892373161954235709850086879078532699846656405640394575840079131296399350", v), BH_ERR_RANGE);
	assert_int_equal(bh_u256_from_hex("0x1" "0000000000000000000000000000000000000000000000000000000000000000", v), BH_ERR_RANGE);
	/* format */
	assert_int_equal(bh_u256_from_dec("", v), BH_ERR_FORMAT);
	assert_int_equal(bh_u256_from_dec("01", v), BH_ERR_FORMAT);
	assert_int_equal(bh_u256_from_dec("-1", v), BH_ERR_FORMAT);
	assert_int_equal(bh_u256_from_dec("1 ", v), BH_ERR_FORMAT);
	assert_int_equal(bh_u256_from_dec("0x1", v), BH_ERR_FORMAT);
	assert_int_equal(bh_u256_from_hex("0x", v), BH_ERR_FORMAT);
	assert_int_equal(bh_u256_from_hex("12", v), BH_ERR_FORMAT);
	assert_int_equal(bh_u256_from_hex("0xg", v), BH_ERR_HEX);
	assert_int_equal(bh_u256_from_str("0x", v), BH_ERR_FORMAT);
	/* zero, small, leading zeros in hex, upper case */
	dec("0", v);
	assert_true(bh_u256_is_zero(v));
	bh_u256_to_hex(v, h);
	assert_string_equal(h, "0x0");
	assert_dec(v, "0");
	assert_int_equal(bh_u256_from_hex("0X000aBc", v), 0);
	bh_u256_to_hex(v, h);
	assert_string_equal(h, "0xabc");
	assert_dec(v, "2748");
	assert_int_equal(bh_u256_from_str("2748", w), 0);
	assert_memory_equal(v, w, 32);
	bh_u256_from_u64(0x10, v);
	bh_u256_to_hex(v, h);
	assert_string_equal(h, "0x10");
	bh_u256_from_u64(UINT64_MAX, v);
	assert_dec(v, "18446744073709551615");
	bh_u256_to_hex(v, h);
	assert_string_equal(h, "0xffffffffffffffff");
}

/* ---- differential against BIGNUM ---- */

static BIGNUM *bn(const uint8_t v[32])
{
	BIGNUM *b = BN_bin2bn(v, 32, NULL);
	assert_non_null(b);
	return b;
}

/* b as 32 bytes, or false when it needs more than 256 bits (or is negative). */
static bool bn_fits(const BIGNUM *b, uint8_t out[32])
{
	if (BN_is_negative(b) || BN_num_bytes(b) > 32)
		return false;
	assert_int_equal(BN_bn2binpad(b, out, 32), 32);
	return true;
}

/* A random operand: random byte width 0..32, sometimes all-ones, sometimes a power of 2. */
static void rand_u256(uint8_t v[32])
{
	uint8_t k;
	assert_int_equal(RAND_bytes(&k, 1), 1);
	memset(v, 0, 32);
	size_t n = k % 33;
	switch (k >> 6) {
	case 0:
		memset(v + 32 - n, 0xff, n);
		break;
	case 1:
		if (n)
			v[32 - n] = (uint8_t)(1u << (k & 7));
		break;
	default:
		assert_int_equal(RAND_bytes(v + 32 - n, (int)n), 1);
	}
}

static void test_vs_bignum(void **state)
{
	(void)state;
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *t = BN_new();
	assert_non_null(ctx);
	assert_non_null(t);

	for (int it = 0; it < 20000; it++) {
		uint8_t a[32], b[32], r[32], want[32];
		char d[BH_U256_DEC_MAX], h[BH_U256_HEX_MAX];
		rand_u256(a);
		rand_u256(b);
		BIGNUM *A = bn(a), *B = bn(b);

		assert_int_equal(BN_add(t, A, B), 1);
		if (bn_fits(t, want)) {
			assert_int_equal(bh_u256_add(a, b, r), 0);
			assert_memory_equal(r, want, 32);
		} else {
			assert_int_equal(bh_u256_add(a, b, r), BH_ERR_RANGE);
		}
		assert_int_equal(BN_sub(t, A, B), 1);
		if (bn_fits(t, want)) {
			assert_int_equal(bh_u256_sub(a, b, r), 0);
			assert_memory_equal(r, want, 32);
		} else {
			assert_int_equal(bh_u256_sub(a, b, r), BH_ERR_RANGE);
		}
		assert_int_equal(BN_mul(t, A, B, ctx), 1);
		if (bn_fits(t, want)) {
			assert_int_equal(bh_u256_mul(a, b, r), 0);
			assert_memory_equal(r, want, 32);
		} else {
			assert_int_equal(bh_u256_mul(a, b, r), BH_ERR_RANGE);
		}
		uint64_t m;
		memcpy(&m, b + 24, 8);
		assert_int_equal(BN_set_word(t, m), 1);
		assert_int_equal(BN_mul(t, A, t, ctx), 1);
		if (bn_fits(t, want)) {
			assert_int_equal(bh_u256_mul_u64(a, m, r), 0);
			assert_memory_equal(r, want, 32);
		} else {
			assert_int_equal(bh_u256_mul_u64(a, m, r), BH_ERR_RANGE);
		}
		assert_int_equal(bh_u256_cmp(a, b), BN_cmp(A, B));

		char *bd = BN_bn2dec(A), *bh = BN_bn2hex(A);
		assert_non_null(bd);
		assert_non_null(bh);
		bh_u256_to_dec(a, d);
		assert_string_equal(d, bd);
		assert_int_equal(bh_u256_from_dec(bd, r), 0);
		assert_memory_equal(r, a, 32);
		/* BN_bn2hex: upper case, "0" for zero, an even number of digits */
		char hx[80];
		snprintf(hx, sizeof(hx), "0x%s", bh);
		assert_int_equal(bh_u256_from_hex(hx, r), 0);
		assert_memory_equal(r, a, 32);
		bh_u256_to_hex(a, h);
		assert_int_equal(bh_u256_from_hex(h, r), 0);
		assert_memory_equal(r, a, 32);
		assert_true(h[2] != '0' || h[3] == '\0');   /* no leading zeros */
		OPENSSL_free(bd);
		OPENSSL_free(bh);
		BN_free(A);
		BN_free(B);
	}
	BN_free(t);
	BN_CTX_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_vs_bignum),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

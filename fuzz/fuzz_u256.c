/* SPDX-License-Identifier: MIT */
/*
 * Fuzz eth/u256.h differentially against OpenSSL BIGNUM.
 * Input: byte 0 selects the mode; the rest is the payload.
 *  - mode < 0x80, arithmetic: two operands of (payload length split at byte 1) up to 32
 *    big-endian bytes each; add, sub, mul, mul_u64, cmp, dec and hex text must agree with
 *    BIGNUM, and a result beyond 2^256-1 (or below 0) must be BH_ERR_RANGE, never a wrap.
 *  - mode >= 0x80, text: the payload as a string; whatever from_dec / from_hex accept
 *    must be what BN_dec2bn / BN_hex2bn read from the same digits, and fit 256 bits.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "eth/u256.h"

static BN_CTX *ctx;

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* Our result r (rc) against BIGNUM's t. */
static void agree(int rc, const uint8_t r[32], const BIGNUM *t)
{
	uint8_t want[32];
	if (BN_is_negative(t) || BN_num_bytes(t) > 32) {
		check(rc == BH_ERR_RANGE);
		return;
	}
	check(rc == 0);
	check(BN_bn2binpad(t, want, 32) == 32);
	check(memcmp(r, want, 32) == 0);
}

static void arith(const uint8_t *data, size_t size)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 }, r[32];
	size_t split = size ? data[0] % (size + 1) : 0;
	const uint8_t *p = size ? data + 1 : data;
	size_t n = size ? size - 1 : 0;
	if (split > n)
		split = n;
	size_t na = split > 32 ? 32 : split, nb = n - split > 32 ? 32 : n - split;
	memcpy(a + 32 - na, p, na);
	memcpy(b + 32 - nb, p + split, nb);

	BIGNUM *A = BN_bin2bn(a, 32, NULL), *B = BN_bin2bn(b, 32, NULL), *T = BN_new();
	check(A && B && T);
	check(BN_add(T, A, B) == 1);
	agree(bh_u256_add(a, b, r), r, T);
	check(BN_sub(T, A, B) == 1);
	agree(bh_u256_sub(a, b, r), r, T);
	check(BN_mul(T, A, B, ctx) == 1);
	agree(bh_u256_mul(a, b, r), r, T);
	uint64_t m = 0;
	for (int i = 24; i < 32; i++)
		m = m << 8 | b[i];
	check(BN_set_word(T, m) == 1 && BN_mul(T, A, T, ctx) == 1);
	agree(bh_u256_mul_u64(a, m, r), r, T);
	check(bh_u256_cmp(a, b) == BN_cmp(A, B));
	check(bh_u256_is_zero(a) == (bool)BN_is_zero(A));
	/* aliasing: ret == a */
	memcpy(r, a, 32);
	check(BN_add(T, A, B) == 1);
	if (bh_u256_add(r, b, r) == 0)
		agree(0, r, T);

	char d[BH_U256_DEC_MAX], h[BH_U256_HEX_MAX];
	char *bd = BN_bn2dec(A);
	check(bd != NULL);
	bh_u256_to_dec(a, d);
	check(strcmp(d, bd) == 0);
	check(bh_u256_from_dec(d, r) == 0 && memcmp(r, a, 32) == 0);
	bh_u256_to_hex(a, h);
	check(bh_u256_from_hex(h, r) == 0 && memcmp(r, a, 32) == 0);
	check(bh_u256_from_str(h, r) == 0 && memcmp(r, a, 32) == 0);
	OPENSSL_free(bd);
	BN_free(A);
	BN_free(B);
	BN_free(T);
}

static void text(const uint8_t *data, size_t size)
{
	uint8_t r[32];
	char *s = malloc(size + 1);
	BIGNUM *T = NULL;
	if (!s)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	size_t len = strlen(s);   /* an embedded NUL ends the text */
	if (bh_u256_from_dec(s, r) == 0) {
		/* accepted: only digits, no leading zero, and BIGNUM reads the same number */
		check(BN_dec2bn(&T, s) == (int)len);
		agree(0, r, T);
		check(s[0] != '0' || s[1] == '\0');
		char d[BH_U256_DEC_MAX];
		bh_u256_to_dec(r, d);
		check(strcmp(d, s) == 0);
	} else if (len && len <= 100 && strspn(s, "0123456789") == len && (s[0] != '0' || len == 1)) {
		/* refused although canonical digits: must be beyond 2^256-1 */
		check(BN_dec2bn(&T, s) == (int)len);
		check(BN_num_bytes(T) > 32);
	}
	BN_free(T);
	T = NULL;
	if (bh_u256_from_hex(s, r) == 0) {
		check(len >= 3 && len <= 66);
		check(BN_hex2bn(&T, s + 2) == (int)len - 2);
		agree(0, r, T);
	}
	BN_free(T);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx && !(ctx = BN_CTX_new()))
		abort();
	if (size < 1)
		return 0;
	if (data[0] < 0x80)
		arith(data + 1, size - 1);
	else
		text(data + 1, size - 1);
	return 0;
}

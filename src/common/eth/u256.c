/* SPDX-License-Identifier: MIT */
/* 256-bit unsigned integers, big-endian (see u256.h). */
#include <stdbool.h>
#include <string.h>

#include "core/hex.h"
#include "eth/u256.h"

void bh_u256_from_u64(uint64_t x, uint8_t ret[static 32])
{
	memset(ret, 0, 32);
	for (int i = 0; i < 8; i++)
		ret[31 - i] = (uint8_t)(x >> (8 * i));
}

int bh_u256_to_u64(const uint8_t be[static 32], uint64_t *ret)
{
	uint64_t x = 0;

	for (int i = 0; i < 24; i++)
		if (be[i])
			return BH_ERR_RANGE;
	for (int i = 24; i < 32; i++)
		x = x << 8 | be[i];
	*ret = x;
	return 0;
}

int bh_u256_from_dec(const char *s, uint8_t ret[static 32])
{
	uint8_t v[32] = { 0 };

	if (!s || !*s || (s[0] == '0' && s[1]))
		return BH_ERR_FORMAT;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return BH_ERR_FORMAT;
		unsigned carry = (unsigned)(*s - '0');
		for (int i = 31; i >= 0; i--) {
			unsigned t = v[i] * 10u + carry;
			v[i] = (uint8_t)t;
			carry = t >> 8;
		}
		if (carry)
			return BH_ERR_RANGE;
	}
	memcpy(ret, v, 32);
	return 0;
}

int bh_u256_from_hex(const char *s, uint8_t ret[static 32])
{
	uint8_t v[32] = { 0 };
	char tmp[65];

	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return BH_ERR_FORMAT;
	size_t n = strnlen(s + 2, 65);
	if (n == 0 || n > 64)
		return n ? BH_ERR_RANGE : BH_ERR_FORMAT;
	/* left-pad to an even number of digits */
	tmp[0] = '0';
	memcpy(tmp + 1, s + 2, n);
	const char *h = (n % 2) ? tmp : tmp + 1;
	size_t hn = (n % 2) ? n + 1 : n;
	if (bh_hex_decode_ct(h, hn, v + 32 - hn / 2, hn / 2) < 0)
		return BH_ERR_HEX;
	memcpy(ret, v, 32);
	return 0;
}

int bh_u256_from_str(const char *s, uint8_t ret[static 32])
{
	if (!s)
		return BH_ERR_FORMAT;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return bh_u256_from_hex(s, ret);
	return bh_u256_from_dec(s, ret);
}

void bh_u256_to_dec(const uint8_t be[static 32], char out[static BH_U256_DEC_MAX])
{
	uint8_t v[32];
	char rev[79];
	size_t n = 0;

	memcpy(v, be, 32);
	for (;;) {
		unsigned rem = 0;
		bool nz = false;
		for (int i = 0; i < 32; i++) {
			unsigned cur = rem << 8 | v[i];
			v[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
			nz |= v[i] != 0;
		}
		rev[n++] = (char)('0' + rem);
		if (!nz)
			break;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	out[n] = '\0';
}

void bh_u256_to_hex(const uint8_t be[static 32], char out[static BH_U256_HEX_MAX])
{
	static const char digits[] = "0123456789abcdef";
	size_t i = 0, n = 2;

	while (i < 31 && be[i] == 0)
		i++;
	out[0] = '0';
	out[1] = 'x';
	if (be[i] >> 4)
		out[n++] = digits[be[i] >> 4];
	out[n++] = digits[be[i] & 0xf];
	for (i++; i < 32; i++) {
		out[n++] = digits[be[i] >> 4];
		out[n++] = digits[be[i] & 0xf];
	}
	out[n] = '\0';
}

/* ------------------------------------------------------------------ arithmetic */

/* Little-endian 64-bit limbs: l[0] is the least significant. */
static void to_limbs(const uint8_t be[32], uint64_t l[4])
{
	for (int k = 0; k < 4; k++) {
		uint64_t x = 0;
		for (int i = 0; i < 8; i++)
			x = x << 8 | be[32 - 8 * (k + 1) + i];
		l[k] = x;
	}
}

static void from_limbs(const uint64_t l[4], uint8_t be[32])
{
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < 8; i++)
			be[31 - 8 * k - i] = (uint8_t)(l[k] >> (8 * i));
}

bool bh_u256_is_zero(const uint8_t a[static 32])
{
	uint8_t acc = 0;
	for (int i = 0; i < 32; i++)
		acc |= a[i];
	return acc == 0;
}

int bh_u256_cmp(const uint8_t a[static 32], const uint8_t b[static 32])
{
	int c = memcmp(a, b, 32);
	return (c > 0) - (c < 0);
}

int bh_u256_add(const uint8_t a[static 32], const uint8_t b[static 32], uint8_t ret[static 32])
{
	uint64_t x[4], y[4];
	unsigned __int128 c = 0;

	to_limbs(a, x);
	to_limbs(b, y);
	for (int k = 0; k < 4; k++) {
		c += (unsigned __int128)x[k] + y[k];
		x[k] = (uint64_t)c;
		c >>= 64;
	}
	if (c)
		return BH_ERR_RANGE;
	from_limbs(x, ret);
	return 0;
}

int bh_u256_sub(const uint8_t a[static 32], const uint8_t b[static 32], uint8_t ret[static 32])
{
	uint64_t x[4], y[4], borrow = 0;

	to_limbs(a, x);
	to_limbs(b, y);
	for (int k = 0; k < 4; k++) {
		uint64_t d = x[k] - y[k];
		uint64_t bo = x[k] < y[k];
		bo |= d < borrow;
		x[k] = d - borrow;
		borrow = bo;
	}
	if (borrow)
		return BH_ERR_RANGE;
	from_limbs(x, ret);
	return 0;
}

int bh_u256_mul(const uint8_t a[static 32], const uint8_t b[static 32], uint8_t ret[static 32])
{
	uint64_t x[4], y[4], z[4] = { 0 };
	bool over = false;

	to_limbs(a, x);
	to_limbs(b, y);
	for (int i = 0; i < 4; i++) {
		unsigned __int128 c = 0;
		for (int j = 0; j < 4; j++) {
			unsigned __int128 p = (unsigned __int128)x[i] * y[j];
			if (i + j >= 4) {
				over |= p != 0;
				continue;
			}
			c += p + z[i + j];
			z[i + j] = (uint64_t)c;
			c >>= 64;
		}
		/* the carry out of limb 3 for this row */
		over |= c != 0;
	}
	if (over)
		return BH_ERR_RANGE;
	from_limbs(z, ret);
	return 0;
}

int bh_u256_mul_u64(const uint8_t a[static 32], uint64_t b, uint8_t ret[static 32])
{
	uint8_t w[32];

	bh_u256_from_u64(b, w);
	return bh_u256_mul(a, w, ret);
}

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

int bh_u256_from_str(const char *s, uint8_t ret[static 32])
{
	uint8_t v[32] = { 0 };
	char tmp[65];

	if (!s)
		return BH_ERR_FORMAT;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return bh_u256_from_dec(s, ret);
	size_t n = strlen(s + 2);
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

void bh_u256_to_dec(const uint8_t be[static 32], char out[static 79])
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

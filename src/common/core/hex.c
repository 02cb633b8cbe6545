/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hex.h"

/* nibble -> ASCII without table lookups or branches on the value */
static char enc_nibble(unsigned v)
{
	/* v in 0..15: '0'+v for v<10, 'a'+v-10 otherwise */
	unsigned gt9 = (9u - v) >> 8 & 1u; /* 1 if v > 9 */
	return (char)('0' + v + gt9 * ('a' - '0' - 10));
}

void bh_hex_encode(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = enc_nibble(in[i] >> 4);
		out[2 * i + 1] = enc_nibble(in[i] & 15u);
	}
	out[2 * n] = '\0';
}

char *bh_hex_encode_alloc(const uint8_t *in, size_t n, bool with_prefix)
{
	size_t pre = with_prefix ? 2 : 0;
	if (n > (SIZE_MAX - 3) / 2)
		return NULL;
	char *s = malloc(pre + 2 * n + 1);
	if (!s)
		return NULL;
	if (pre)
		memcpy(s, "0x", 2);
	bh_hex_encode(in, n, s + pre);
	return s;
}

/*
 * Returns the nibble value in 0..15, or 256+ on invalid input, computed with
 * masks only (wireguard-tools' approach, written anew).
 */
static unsigned dec_nibble(unsigned char c)
{
	int x = c, l = c | 0x20;
	/* (lo-1-x) & (x-(hi+1)) is negative exactly when lo <= x <= hi */
	unsigned is_d = (unsigned)((('0' - 1 - x) & (x - ('9' + 1))) >> 8) & 1u;
	unsigned is_l = (unsigned)((('a' - 1 - l) & (l - ('f' + 1))) >> 8) & 1u;
	unsigned val = ((unsigned)(x - '0') & (0u - is_d)) | ((unsigned)(l - 'a' + 10) & (0u - is_l));
	unsigned bad = (is_d | is_l) ^ 1u;
	return (val & 15u) | (bad << 8);
}

int bh_hex_decode_ct(const char *hex, size_t hexlen, uint8_t *out, size_t outlen)
{
	unsigned bad = 0;

	if (hexlen % 2 || outlen != hexlen / 2) {
		if (outlen)
			memset(out, 0, outlen);
		return BH_ERR_LENGTH;
	}
	for (size_t i = 0; i < outlen; i++) {
		unsigned hi = dec_nibble((unsigned char)hex[2 * i]);
		unsigned lo = dec_nibble((unsigned char)hex[2 * i + 1]);
		bad |= (hi | lo) >> 8;
		out[i] = (uint8_t)((hi << 4) | (lo & 15u));
	}
	if (bad) {
		explicit_bzero(out, outlen);
		return BH_ERR_HEX;
	}
	return 0;
}

const char *bh_hex_skip_prefix(const char *s)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return s + 2;
	return s;
}

int bh_hex_decode_exact(const char *s, uint8_t *out, size_t outlen)
{
	const char *h = bh_hex_skip_prefix(s);
	return bh_hex_decode_ct(h, strlen(h), out, outlen);
}

int bh_hex_decode_alloc(const char *s, size_t maxlen, uint8_t **ret, size_t *ret_len)
{
	const char *h = bh_hex_skip_prefix(s);
	size_t hl = strlen(h);
	uint8_t *out;
	int r;

	if (hl % 2)
		return BH_ERR_LENGTH;
	if (hl / 2 > maxlen)
		return BH_ERR_LIMIT;
	if (!(out = malloc(hl / 2 ? hl / 2 : 1)))
		return -ENOMEM;
	if ((r = bh_hex_decode_ct(h, hl, out, hl / 2)) < 0) {
		free(out);
		return r;
	}
	*ret = out;
	*ret_len = hl / 2;
	return 0;
}

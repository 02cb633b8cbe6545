/* SPDX-License-Identifier: MIT */
/* The GECOS wallet=...,nft=... field: writer and reader (gecos.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/hex.h"
#include "host/gecos.h"

void bh_gecos_format(const struct bh_gecos *g, char out[static BH_GECOS_STR_MAX])
{
	char hex[41];

	bh_hex_encode(g->wallet, sizeof g->wallet, hex);
	hex[40] = '\0';
	if (g->has_nft)
		snprintf(out, BH_GECOS_STR_MAX, "wallet=0x%s,nft=%" PRIu64, hex, g->nft_id);
	else
		snprintf(out, BH_GECOS_STR_MAX, "wallet=0x%s,nft=", hex);
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Canonical decimal (no sign, no leading zero but "0"), 1..20 digits, <= UINT64_MAX. */
static int parse_id(const char *p, size_t n, uint64_t *ret, struct bh_msg *msg)
{
	uint64_t v = 0;

	if (n == 0 || n > 20) {
		bh_msg_set(msg, "GECOS nft= is not a decimal id of 1..20 digits");
		return BH_ERR_FORMAT;
	}
	if (n > 1 && p[0] == '0') {
		bh_msg_set(msg, "GECOS nft= has a leading zero");
		return BH_ERR_FORMAT;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i])) {
			bh_msg_set(msg, "GECOS nft= is not a decimal id");
			return BH_ERR_FORMAT;
		}
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			bh_msg_set(msg, "GECOS nft= is above 2^64-1");
			return BH_ERR_RANGE;
		}
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

/* wallet=0x<40 hex>,nft=<id or nothing>, nothing else. */
static int parse_exact(const char *s, size_t n, struct bh_gecos *ret, struct bh_msg *msg)
{
	static const char pre[] = "wallet=0x", mid[] = ",nft=";
	const size_t pl = sizeof pre - 1, ml = sizeof mid - 1;
	struct bh_gecos g = { .has_nft = false };
	int r;

	if (n < pl || memcmp(s, pre, pl) != 0) {
		bh_msg_set(msg, "GECOS does not start with wallet=0x");
		return BH_ERR_FORMAT;
	}
	if (n < pl + 40 || bh_hex_decode_ct(s + pl, 40, g.wallet, 20) < 0) {
		bh_msg_set(msg, "GECOS wallet= is not 40 hex digits");
		return BH_ERR_FORMAT;
	}
	if (n < pl + 40 + ml || memcmp(s + pl + 40, mid, ml) != 0) {
		bh_msg_set(msg, "GECOS: expected ,nft= right after the 40 hex digits of the wallet");
		return BH_ERR_FORMAT;
	}
	if (n > pl + 40 + ml) {
		if ((r = parse_id(s + pl + 40 + ml, n - pl - 40 - ml, &g.nft_id, msg)) < 0)
			return r;
		g.has_nft = true;
	}
	*ret = g;
	return 0;
}

/* The login rule (gecos.h): one trimmed wallet= part among comma-separated parts. */
static int parse_fields(const char *s, size_t n, struct bh_gecos *ret, struct bh_msg *msg)
{
	struct bh_gecos g = { .has_nft = false };
	bool found = false;
	unsigned nfts = 0;
	uint64_t id = 0;
	const char *p = s, *end = s + n;

	for (;;) {
		const char *e = memchr(p, ',', (size_t)(end - p));
		const char *pe = e ? e : end;
		const char *a = p, *b = pe;
		while (a < b && is_ws(*a))
			a++;
		while (b > a && is_ws(b[-1]))
			b--;
		if ((size_t)(b - a) >= 7 && !memcmp(a, "wallet=", 7)) {
			if (found) {
				bh_msg_set(msg, "GECOS has more than one wallet= entry");
				return BH_ERR_DUPLICATE;
			}
			a += 7;
			while (a < b && is_ws(*a))
				a++;
			if (b - a >= 2 && a[0] == '0' && (a[1] == 'x' || a[1] == 'X'))
				a += 2;
			if (b - a != 40 || bh_hex_decode_ct(a, 40, g.wallet, 20) < 0) {
				bh_msg_set(msg, "GECOS wallet= is not a 20-byte hex address");
				return BH_ERR_FORMAT;
			}
			found = true;
		} else if ((size_t)(b - a) >= 4 && !memcmp(a, "nft=", 4)) {
			/* informational: a malformed id is not the login's business */
			if (nfts++ == 0 && parse_id(a + 4, (size_t)(b - a - 4), &id, NULL) < 0)
				nfts = 2;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (!found) {
		bh_msg_set(msg, "GECOS has no wallet= entry");
		return BH_ERR_NOT_FOUND;
	}
	if (nfts == 1) {
		g.has_nft = true;
		g.nft_id = id;
	}
	*ret = g;
	return 0;
}

int bh_gecos_parse(struct bh_buf *b, enum bh_gecos_rule rule, struct bh_gecos *ret,
		   struct bh_msg *msg)
{
	const char *s = (const char *)bh_buf_ptr(b);
	size_t n = bh_buf_len(b);
	struct bh_gecos g;
	int r;

	if (n > BH_GECOS_FIELD_MAX) {
		bh_msg_set(msg, "GECOS field too long");
		return BH_ERR_LIMIT;
	}
	if (n && memchr(s, 0, n)) {
		bh_msg_set(msg, "GECOS field holds a NUL byte");
		return BH_ERR_NUL;
	}
	switch (rule) {
	case BH_GECOS_EXACT:
		r = parse_exact(s, n, &g, msg);
		break;
	case BH_GECOS_FIELDS:
		r = parse_fields(s, n, &g, msg);
		break;
	default:
		return -EINVAL;
	}
	if (r < 0)
		return r;
	if ((r = bh_buf_consume(b, n)) < 0)
		return r;
	*ret = g;
	return 0;
}

int bh_gecos_login_wallet(const char *field, uint8_t ret_wallet[static 20], struct bh_msg *msg)
{
	struct bh_buf b;
	struct bh_gecos g;
	size_t n;
	int r;

	if (!field)
		return -EINVAL;
	/* strnlen: a field longer than the cap is refused without reading all of it */
	n = strnlen(field, BH_GECOS_FIELD_MAX + 1);
	bh_buf_view(&b, field, n);
	if ((r = bh_gecos_parse(&b, BH_GECOS_FIELDS, &g, msg)) < 0)
		return r;
	memcpy(ret_wallet, g.wallet, 20);
	return 0;
}

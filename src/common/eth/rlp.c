/* SPDX-License-Identifier: MIT */
/* RLP encoding and strict decoding (see rlp.h). */
#include <stdlib.h>
#include <string.h>

#include "eth/rlp.h"

void bh_rlp_set_bytes(struct bh_rlp_item *it, const uint8_t *data, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->data = data;
	it->len = len;
}

void bh_rlp_set_u256(struct bh_rlp_item *it, const uint8_t be[static 32])
{
	size_t z = 0;

	memset(it, 0, sizeof(*it));
	memcpy(it->num, be, 32);
	while (z < 32 && it->num[z] == 0)
		z++;
	it->data = it->num + z;
	it->len = 32 - z;
}

void bh_rlp_set_uint64(struct bh_rlp_item *it, uint64_t v)
{
	uint8_t w[32] = { 0 };
	for (int i = 0; i < 8; i++)
		w[31 - i] = (uint8_t)(v >> (8 * i));
	bh_rlp_set_u256(it, w);
}

void bh_rlp_set_list(struct bh_rlp_item *it, struct bh_rlp_item *items, size_t n)
{
	memset(it, 0, sizeof(*it));
	it->is_list = true;
	it->items = items;
	it->n = n;
}

static size_t len_bytes(size_t len)
{
	size_t k = 0;
	while (len) {
		k++;
		len >>= 8;
	}
	return k;
}

static size_t payload_len(const struct bh_rlp_item *it)
{
	if (!it->is_list)
		return it->len;
	size_t s = 0;
	for (size_t i = 0; i < it->n; i++)
		s += bh_rlp_encoded_len(&it->items[i]);
	return s;
}

size_t bh_rlp_encoded_len(const struct bh_rlp_item *it)
{
	size_t p = payload_len(it);
	if (!it->is_list && p == 1 && it->data[0] < 0x80)
		return 1;
	return p + 1 + (p < 56 ? 0 : len_bytes(p));
}

int bh_rlp_put_header(struct bh_buf *out, bool is_list, size_t len)
{
	uint8_t h[9];
	size_t k = len_bytes(len);
	uint8_t base = is_list ? 0xc0 : 0x80;

	if (len < 56)
		return bh_buf_put_u8(out, (uint8_t)(base + len));
	h[0] = (uint8_t)(base + 55 + k);
	for (size_t i = 0; i < k; i++)
		h[k - i] = (uint8_t)(len >> (8 * i));
	return bh_buf_put(out, h, k + 1);
}

static int encode(const struct bh_rlp_item *it, struct bh_buf *out)
{
	int r;
	if (!it->is_list) {
		if (it->len == 1 && it->data[0] < 0x80)
			return bh_buf_put_u8(out, it->data[0]);
		if ((r = bh_rlp_put_header(out, false, it->len)) < 0)
			return r;
		return bh_buf_put(out, it->data, it->len);
	}
	if ((r = bh_rlp_put_header(out, true, payload_len(it))) < 0)
		return r;
	for (size_t i = 0; i < it->n; i++)
		if ((r = encode(&it->items[i], out)) < 0)
			return r;
	return 0;
}

int bh_rlp_encode(const struct bh_rlp_item *it, struct bh_buf *out)
{
	if (bh_rlp_encoded_len(it) > bh_buf_avail(out))
		return BH_ERR_LIMIT;
	return encode(it, out);
}

/* ---------------------------------------------------------------- decoding */

static void item_clear(struct bh_rlp_item *it)
{
	if (it->is_list) {
		for (size_t i = 0; i < it->n; i++)
			item_clear(&it->items[i]);
		free(it->items);
	}
}

struct bh_rlp_item *bh_rlp_item_free(struct bh_rlp_item *it)
{
	if (it) {
		item_clear(it);
		free(it);
	}
	return NULL;
}

struct rdec {
	const uint8_t *base;   /* start of the input (offsets in messages) */
	size_t items;
	struct bh_msg *msg;
};

/* Read one item header+payload from b (a window); fills *it. */
static int dec_item(struct rdec *d, struct bh_buf *b, unsigned depth, struct bh_rlp_item *it)
{
	size_t at = (size_t)(bh_buf_ptr(b) - d->base);
	uint8_t h;
	size_t len;
	bool list;
	int r;

	memset(it, 0, sizeof(*it));
	if (++d->items > BH_RLP_MAX_ITEMS) {
		bh_msg_set(d->msg, "rlp: more than %u items", BH_RLP_MAX_ITEMS);
		return BH_ERR_LIMIT;
	}
	if ((r = bh_buf_get_u8(b, &h)) < 0) {
		bh_msg_set(d->msg, "rlp: missing item at offset %zu", at);
		return r;
	}
	if (h < 0x80) {
		/* the byte is its own encoding */
		it->data = bh_buf_ptr(b) - 1;
		it->len = 1;
		return 0;
	}
	list = h >= 0xc0;
	uint8_t base = list ? 0xc0 : 0x80;
	if (h - base < 56) {
		len = (size_t)(h - base);
	} else {
		size_t k = (size_t)(h - base - 55);
		const uint8_t *lb;
		if ((r = bh_buf_get_direct(b, k, &lb)) < 0) {
			bh_msg_set(d->msg, "rlp: length at offset %zu runs past the end", at);
			return r;
		}
		if (lb[0] == 0) {
			bh_msg_set(d->msg, "rlp: length with a leading zero at offset %zu", at);
			return BH_ERR_FORMAT;
		}
		len = 0;
		for (size_t i = 0; i < k; i++) {
			if (len > (SIZE_MAX >> 8)) {
				bh_msg_set(d->msg, "rlp: length at offset %zu too large", at);
				return BH_ERR_RANGE;
			}
			len = len << 8 | lb[i];
		}
		if (len < 56) {
			bh_msg_set(d->msg, "rlp: long form for %zu bytes at offset %zu", len, at);
			return BH_ERR_FORMAT;
		}
	}
	const uint8_t *payload;
	if (len > bh_buf_len(b) || bh_buf_get_direct(b, len, &payload) < 0) {
		bh_msg_set(d->msg, "rlp: %s of %zu bytes at offset %zu runs past the end",
			   list ? "list" : "string", len, at);
		return BH_ERR_INCOMPLETE;
	}
	if (!list) {
		if (len == 1 && payload[0] < 0x80) {
			bh_msg_set(d->msg, "rlp: single byte 0x%02x wrapped in a string at offset %zu",
				   payload[0], at);
			return BH_ERR_FORMAT;
		}
		it->data = payload;
		it->len = len;
		return 0;
	}
	if (depth >= BH_RLP_MAX_DEPTH) {
		bh_msg_set(d->msg, "rlp: lists nested deeper than %d", BH_RLP_MAX_DEPTH);
		return BH_ERR_LIMIT;
	}
	struct bh_buf sub;
	size_t cap = 0;
	bh_buf_view(&sub, payload, len);
	it->is_list = true;
	while (bh_buf_len(&sub)) {
		if (it->n == cap) {
			size_t nc = cap ? cap * 2 : 4;
			struct bh_rlp_item *ni = realloc(it->items, nc * sizeof(*ni));
			if (!ni) {
				r = -ENOMEM;
				goto fail;
			}
			it->items = ni;
			cap = nc;
		}
		if ((r = dec_item(d, &sub, depth + 1, &it->items[it->n])) < 0)
			goto fail;
		it->n++;
	}
	return 0;
fail:
	item_clear(it);
	memset(it, 0, sizeof(*it));
	return r;
}

int bh_rlp_decode(const uint8_t *data, size_t len, struct bh_rlp_item **ret, struct bh_msg *msg)
{
	struct rdec d = { .base = data, .msg = msg };
	struct bh_rlp_item *it;
	struct bh_buf b;
	int r;

	if (len > BH_RLP_MAX_INPUT) {
		bh_msg_set(msg, "rlp: input of %zu bytes exceeds the limit", len);
		return BH_ERR_LIMIT;
	}
	bh_buf_view(&b, data, len);
	if (!(it = calloc(1, sizeof(*it))))
		return -ENOMEM;
	if ((r = dec_item(&d, &b, 0, it)) < 0) {
		free(it);
		return r;
	}
	if ((r = bh_buf_expect_end(&b)) < 0) {
		bh_msg_set(msg, "rlp: %zu bytes after the item", bh_buf_len(&b));
		bh_rlp_item_free(it);
		return r;
	}
	*ret = it;
	return 0;
}

int bh_rlp_item_u256(const struct bh_rlp_item *it, uint8_t ret[static 32])
{
	if (it->is_list)
		return BH_ERR_WRONG_TYPE;
	if (it->len > 32)
		return BH_ERR_RANGE;
	if (it->len && it->data[0] == 0)
		return BH_ERR_FORMAT;
	memset(ret, 0, 32);
	if (it->len)
		memcpy(ret + 32 - it->len, it->data, it->len);
	return 0;
}

int bh_rlp_item_uint64(const struct bh_rlp_item *it, uint64_t *ret)
{
	uint64_t v = 0;
	if (it->is_list)
		return BH_ERR_WRONG_TYPE;
	if (it->len > 8)
		return BH_ERR_RANGE;
	if (it->len && it->data[0] == 0)
		return BH_ERR_FORMAT;
	for (size_t i = 0; i < it->len; i++)
		v = v << 8 | it->data[i];
	*ret = v;
	return 0;
}

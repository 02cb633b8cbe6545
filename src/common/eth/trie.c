/* SPDX-License-Identifier: MIT */
/* Merkle-Patricia trie root of an ordered list (see trie.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eth/keccak.h"
#include "eth/trie.h"

const uint8_t bh_trie_empty_root[32] = {
	0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6, 0xff, 0x83, 0x45, 0xe6, 0x92, 0xc0, 0xf8, 0x6e,
	0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c, 0xad, 0xc0, 0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21,
};

#define KEY_NIBBLES 8   /* RLP(i) for i < 2^24: at most 4 bytes */

struct key {
	uint8_t nib[KEY_NIBBLES];
	uint8_t len;            /* nibbles */
	uint32_t idx;           /* into the value list */
};

/* The encoded form of a child reference: an embedded node (< 32 bytes of RLP) or
 * 0xa0 || keccak256(node). */
struct ref {
	uint8_t b[33];
	uint8_t len;
};

/* Where a node's encoding goes: the stack (short nodes) or keccak (long ones, and the root). */
struct sink {
	bool hash;
	struct bh_keccak k;
	uint8_t small[32];
	size_t n;
};

struct ctx {
	const struct bh_trie_val *v;
	const struct key *keys;
};

static size_t len_bytes(size_t len)
{
	size_t k = 0;
	while (len) {
		k++;
		len >>= 8;
	}
	return k;
}

static size_t hdr_len(size_t payload)
{
	return payload < 56 ? 1 : 1 + len_bytes(payload);
}

/* Encoded length of a byte string of n bytes whose first byte is first. */
static size_t str_len(size_t n, uint8_t first)
{
	if (n == 1 && first < 0x80)
		return 1;
	return hdr_len(n) + n;
}

static void put(struct sink *s, const void *p, size_t n)
{
	if (s->hash) {
		bh_keccak_update(&s->k, p, n);
		return;
	}
	/* callers only choose the stack for nodes shorter than 32 bytes */
	memcpy(s->small + s->n, p, n);
	s->n += n;
}

static void put_hdr(struct sink *s, bool list, size_t payload)
{
	uint8_t h[9];
	uint8_t base = list ? 0xc0 : 0x80;
	if (payload < 56) {
		h[0] = (uint8_t)(base + payload);
		put(s, h, 1);
		return;
	}
	size_t k = len_bytes(payload);
	h[0] = (uint8_t)(base + 55 + k);
	for (size_t i = 0; i < k; i++)
		h[k - i] = (uint8_t)(payload >> (8 * i));
	put(s, h, k + 1);
}

static void put_str(struct sink *s, const uint8_t *p, size_t n)
{
	if (n == 1 && p[0] < 0x80) {
		put(s, p, 1);
		return;
	}
	put_hdr(s, false, n);
	put(s, p, n);
}

/* Hex-prefix encoding of nib[0..n) into out (1 + n/2 bytes). */
static size_t hex_prefix(const uint8_t *nib, size_t n, bool leaf, uint8_t *out)
{
	uint8_t flag = leaf ? 2 : 0;
	size_t o = 0, i = 0;
	if (n % 2) {
		out[o++] = (uint8_t)((flag + 1) << 4 | nib[0]);
		i = 1;
	} else {
		out[o++] = (uint8_t)(flag << 4);
	}
	for (; i < n; i += 2)
		out[o++] = (uint8_t)(nib[i] << 4 | nib[i + 1]);
	return o;
}

static void sink_open(struct sink *s, size_t total, bool root)
{
	s->n = 0;
	s->hash = root || total >= 32;
	if (s->hash)
		bh_keccak256_init(&s->k);
}

static void sink_close(struct sink *s, struct ref *ret)
{
	if (s->hash) {
		ret->b[0] = 0xa0;
		bh_keccak_final(&s->k, ret->b + 1);
		ret->len = 33;
	} else {
		memcpy(ret->b, s->small, s->n);
		ret->len = (uint8_t)s->n;
	}
}

static void build(const struct ctx *c, size_t lo, size_t hi, size_t depth, bool root,
		  struct ref *ret)
{
	const struct key *first = &c->keys[lo], *last = &c->keys[hi - 1];
	struct sink s;
	uint8_t hp[1 + KEY_NIBBLES / 2];

	if (hi - lo == 1) {
		/* leaf: the rest of the key and the value */
		const struct bh_trie_val *val = &c->v[first->idx];
		size_t hn = hex_prefix(first->nib + depth, first->len - depth, true, hp);
		size_t pl = str_len(hn, hp[0]) + str_len(val->len, val->len ? val->p[0] : 0);
		sink_open(&s, hdr_len(pl) + pl, root);
		put_hdr(&s, true, pl);
		put_str(&s, hp, hn);
		put_str(&s, val->p, val->len);
		sink_close(&s, ret);
		return;
	}
	/* keys are sorted: the prefix all share is the one the first and last share */
	size_t cp = depth;
	while (cp < first->len && cp < last->len && first->nib[cp] == last->nib[cp])
		cp++;
	if (cp > depth) {
		struct ref child;
		build(c, lo, hi, cp, false, &child);
		size_t hn = hex_prefix(first->nib + depth, cp - depth, false, hp);
		size_t pl = str_len(hn, hp[0]) + child.len;
		sink_open(&s, hdr_len(pl) + pl, root);
		put_hdr(&s, true, pl);
		put_str(&s, hp, hn);
		put(&s, child.b, child.len);
		sink_close(&s, ret);
		return;
	}
	/* branch: a key ending here (the shortest sorts first) is the branch's value */
	struct ref kids[16];
	const struct bh_trie_val *bval = NULL;
	size_t i = lo, pl = 0;
	if (first->len == depth) {
		bval = &c->v[first->idx];
		i++;
	}
	for (unsigned nib = 0; nib < 16; nib++) {
		size_t j = i;
		while (j < hi && c->keys[j].nib[depth] == nib)
			j++;
		if (j > i)
			build(c, i, j, depth + 1, false, &kids[nib]);
		else {
			kids[nib].b[0] = 0x80;
			kids[nib].len = 1;
		}
		pl += kids[nib].len;
		i = j;
	}
	pl += bval ? str_len(bval->len, bval->len ? bval->p[0] : 0) : 1;
	sink_open(&s, hdr_len(pl) + pl, root);
	put_hdr(&s, true, pl);
	for (unsigned nib = 0; nib < 16; nib++)
		put(&s, kids[nib].b, kids[nib].len);
	if (bval)
		put_str(&s, bval->p, bval->len);
	else
		put(&s, "\x80", 1);
	sink_close(&s, ret);
}

/* RLP(i) as nibbles. */
static void index_key(uint32_t i, struct key *k)
{
	uint8_t b[4];
	size_t n = 0;

	k->idx = i;
	if (i == 0) {
		b[n++] = 0x80;
	} else if (i < 0x80) {
		b[n++] = (uint8_t)i;
	} else {
		size_t m = len_bytes(i);
		b[n++] = (uint8_t)(0x80 + m);
		for (size_t j = m; j-- > 0;)
			b[n++] = (uint8_t)(i >> (8 * j));
	}
	k->len = (uint8_t)(2 * n);
	for (size_t j = 0; j < n; j++) {
		k->nib[2 * j] = b[j] >> 4;
		k->nib[2 * j + 1] = b[j] & 0x0f;
	}
}

int bh_trie_root_list(const struct bh_trie_val *v, size_t n, uint8_t ret_root[static 32],
		      struct bh_msg *msg)
{
	struct key *keys;
	struct ref root;
	size_t o = 0;

	if (n == 0) {
		memcpy(ret_root, bh_trie_empty_root, 32);
		return 0;
	}
	if (n > BH_TRIE_MAX_ITEMS) {
		bh_msg_set(msg, "trie: %zu items, more than %u", n, BH_TRIE_MAX_ITEMS);
		return BH_ERR_LIMIT;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].len == 0) {
			/* in a trie an empty value is no entry at all: no list has one */
			bh_msg_set(msg, "trie: value %zu is empty", i);
			return BH_ERR_FORMAT;
		}
	if (!(keys = calloc(n, sizeof(*keys))))
		return -ENOMEM;
	/*
	 * Sorted order of RLP(i) without sorting: the one-byte keys 0x01..0x7f (i = 1..127)
	 * come before 0x80 (i = 0), and then the longer keys 0x81.., 0x82.., 0x83.. (a longer
	 * RLP integer has a larger first byte), each length in numeric order.  No key is a
	 * prefix of another.
	 */
	for (size_t i = 1; i < n && i < 0x80; i++)
		index_key((uint32_t)i, &keys[o++]);
	index_key(0, &keys[o++]);
	for (size_t i = 0x80; i < n; i++)
		index_key((uint32_t)i, &keys[o++]);

	struct ctx c = { .v = v, .keys = keys };
	build(&c, 0, n, 0, true, &root);
	free(keys);
	memcpy(ret_root, root.b + 1, 32);
	return 0;
}

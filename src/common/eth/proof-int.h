/* SPDX-License-Identifier: MIT */
/*
 * Private to header.c, receipt.c and proof.c: named JSON field readers over the strict
 * RPC value parsers of eth/rpc.h, each prefixing the field name to msg.
 */
#ifndef BH_PROOF_INT_H
#define BH_PROOF_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "core/hex.h"
#include "core/json.h"
#include "eth/rpc.h"

/*
 * Bloom bits already computed in this block: addresses and topics repeat (one token's
 * Transfer topic, one pool's address), and each costs a keccak256.  Direct-mapped, the
 * whole value is compared: a miss only costs the keccak it would have cost anyway.
 */
#define BH_BLOOM_CACHE 256
struct bh_bloom_cache {
	struct {
		uint8_t key[32];
		uint8_t len;          /* 0: empty slot */
		uint16_t bit[3];
	} e[BH_BLOOM_CACHE];
};

/*
 * The root of a block's ordered list (receipts, transactions): checks that `list` is an array
 * of at most BH_TRIE_MAX_ITEMS entries in block order ("transactionIndex" == position),
 * appends each entry's consensus encoding to one buffer of at most `cap` bytes with `encode`
 * (which may check the bytes it appended: they start at `start`), and returns the trie root
 * of those encodings keyed by RLP(index).  `many` ("receipts") and `one` ("receipt") name
 * the list in messages.
 */
struct bh_buf;
typedef int (*bh_proof_encode_fn)(const json_t *item, struct bh_buf *out, size_t start, void *ctx,
				  struct bh_msg *msg);
int bh_proof_list_root(const json_t *list, const char *many, const char *one, size_t cap,
		       bh_proof_encode_fn encode, void *ctx, uint8_t ret_root[static 32],
		       struct bh_msg *msg) __attribute__((warn_unused_result));

/* bh_receipt_encode_json with a cache (may be NULL) shared by a block's receipts. */
struct bh_buf;
int bh_receipt_encode_json_cached(const json_t *receipt, struct bh_buf *out, uint8_t *ret_type,
				  size_t *ret_nlogs, struct bh_bloom_cache *cache,
				  struct bh_msg *msg) __attribute__((warn_unused_result));

/* Prepend "what: " to msg's text (NULL-safe). */
static inline void bh_proof_prefix(struct bh_msg *msg, const char *what)
{
	if (!msg)
		return;
	char tmp[sizeof(msg->text)];
	memcpy(tmp, msg->text, sizeof(tmp));
	bh_msg_set(msg, "%s: %s", what, tmp);
}

/* o[key]; absent and JSON null are the same: *ret = NULL, or BH_ERR_MISSING_KEY if required. */
static inline int bh_proof_field(const json_t *o, const char *key, bool required,
				 const json_t **ret, struct bh_msg *msg)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (required) {
			bh_msg_set(msg, "missing \"%s\"", key);
			return BH_ERR_MISSING_KEY;
		}
		*ret = NULL;
		return 0;
	}
	*ret = v;
	return 0;
}

static inline int bh_proof_named(int r, const char *key, struct bh_msg *msg)
{
	if (r < 0 && msg) {
		char k[80];
		snprintf(k, sizeof(k), "\"%s\"", key);
		bh_proof_prefix(msg, k);
	}
	return r;
}

static inline int bh_proof_q64(const json_t *o, const char *key, uint64_t *ret, struct bh_msg *msg)
{
	const json_t *v;
	int r = bh_proof_field(o, key, true, &v, msg);
	if (r < 0)
		return r;
	return bh_proof_named(bh_rpc_parse_quantity(v, ret, msg), key, msg);
}

static inline int bh_proof_q256(const json_t *o, const char *key, uint8_t ret[static 32],
				struct bh_msg *msg)
{
	const json_t *v;
	int r = bh_proof_field(o, key, true, &v, msg);
	if (r < 0)
		return r;
	return bh_proof_named(bh_rpc_parse_quantity256(v, ret, msg), key, msg);
}

static inline int bh_proof_fixed(const json_t *o, const char *key, uint8_t *ret, size_t n,
				 struct bh_msg *msg)
{
	const json_t *v;
	int r = bh_proof_field(o, key, true, &v, msg);
	if (r < 0)
		return r;
	return bh_proof_named(bh_rpc_parse_fixed(v, ret, n, msg), key, msg);
}

/* A "0x" + even-hex data string: *ret_hex past the prefix, *ret_n bytes.  Not decoded. */
static inline int bh_proof_hexstr(const json_t *v, const char **ret_hex, size_t *ret_n,
				  struct bh_msg *msg)
{
	return bh_rpc_parse_hexstr(v, ret_hex, ret_n, msg);
}

/*
 * Decode 2n hex digits into out: a table lookup per digit, not constant-time.  Only for
 * public chain data (logs, blooms, headers): the constant-time decoder in core/hex.c is
 * for secrets and costs several times more, which a 1,000-receipt block notices.
 * BH_ERR_HEX on a non-hex digit (out partly written).
 */
static inline int bh_proof_unhex(const char *hex, size_t n, uint8_t *out)
{
	static const int8_t t[256] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
		['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
		['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
		['F'] = 16,
	};  /* digit value + 1; 0 = not a hex digit */
	const unsigned char *h = (const unsigned char *)hex;
	int bad = 0;
	for (size_t i = 0; i < n; i++) {
		int hi = t[h[2 * i]], lo = t[h[2 * i + 1]];
		bad |= !hi | !lo;
		out[i] = (uint8_t)(((unsigned)(hi - 1) & 0x0fu) << 4 | ((unsigned)(lo - 1) & 0x0fu));
	}
	return bad ? BH_ERR_HEX : 0;
}

/* Exactly n bytes of data of any size (bh_rpc_parse_fixed stops at 64). */
static inline int bh_proof_fixed_any(const json_t *v, uint8_t *ret, size_t n, struct bh_msg *msg)
{
	const char *h;
	size_t nb;
	int r = bh_proof_hexstr(v, &h, &nb, msg);
	if (r < 0)
		return r;
	if (nb != n) {
		bh_msg_set(msg, "expected %zu bytes of data, got %zu", n, nb);
		return BH_ERR_LENGTH;
	}
	if ((r = bh_proof_unhex(h, n, ret)) < 0)
		bh_msg_set(msg, "data is not hex");
	return r;
}

static inline int bh_proof_fixed_big(const json_t *o, const char *key, uint8_t *ret, size_t n,
				     struct bh_msg *msg)
{
	const json_t *v;
	int r = bh_proof_field(o, key, true, &v, msg);
	if (r < 0)
		return r;
	return bh_proof_named(bh_proof_fixed_any(v, ret, n, msg), key, msg);
}

#endif

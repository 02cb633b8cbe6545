/* SPDX-License-Identifier: MIT */
/*
 * RLP (Ethereum Recursive Length Prefix): an item is a byte string or a list of items.
 *
 * Encoding works on a tree of struct bh_rlp_item whose byte strings point at caller
 * memory.  Decoding is strict (canonical) and zero-copy: byte strings of the decoded
 * tree point into the input, which must outlive the tree.  Rejected:
 *  - a single byte < 0x80 wrapped as 0x81 XX;
 *  - the long form (0xb8..0xbf, 0xf8..0xff) for a payload shorter than 56 bytes;
 *  - leading zero bytes in a long-form length;
 *  - payloads beyond the input, list payloads not exactly filled by their items,
 *    bytes after the top-level item (BH_ERR_TRAILING);
 *  - nesting deeper than BH_RLP_MAX_DEPTH, more than BH_RLP_MAX_ITEMS items, input
 *    larger than BH_RLP_MAX_INPUT.
 * Integers (bh_rlp_item_uint64 / _u256) must additionally be minimal: no leading zero
 * byte (zero is the empty string).
 */
#ifndef BH_RLP_H
#define BH_RLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define BH_RLP_MAX_DEPTH 16
#define BH_RLP_MAX_ITEMS (1u << 17)
#define BH_RLP_MAX_INPUT (4u * 1024u * 1024u)

struct bh_rlp_item {
	bool is_list;
	const uint8_t *data;          /* byte string (not a list) */
	size_t len;
	struct bh_rlp_item *items;    /* list */
	size_t n;
	uint8_t num[32];              /* scratch for bh_rlp_set_uint* (data points here:
	                                 do not copy such an item by value) */
};

/* ---- building (items are caller-owned; nothing here allocates) ---- */
void bh_rlp_set_bytes(struct bh_rlp_item *it, const uint8_t *data, size_t len);
/* Minimal big-endian integer; data points into it->num. */
void bh_rlp_set_uint64(struct bh_rlp_item *it, uint64_t v);
void bh_rlp_set_u256(struct bh_rlp_item *it, const uint8_t be[static 32]);
void bh_rlp_set_list(struct bh_rlp_item *it, struct bh_rlp_item *items, size_t n);

/* Append the encoding of it to out (BH_ERR_LIMIT at out's cap; nothing appended then). */
int bh_rlp_encode(const struct bh_rlp_item *it, struct bh_buf *out);
/* Encoded size of it. */
size_t bh_rlp_encoded_len(const struct bh_rlp_item *it);
/* Append the header for a byte string / list payload of len bytes (for streaming). */
int bh_rlp_put_header(struct bh_buf *out, bool is_list, size_t len);

/* ---- strict decoding ---- */
/* Decode exactly [data, data+len); *ret is freed with bh_rlp_item_free. */
int bh_rlp_decode(const uint8_t *data, size_t len, struct bh_rlp_item **ret,
                  struct bh_msg *msg) __attribute__((warn_unused_result));
struct bh_rlp_item *bh_rlp_item_free(struct bh_rlp_item *it);

/* Canonical integer from a byte string item: BH_ERR_WRONG_TYPE (list), BH_ERR_FORMAT
 * (leading zero), BH_ERR_RANGE (too large). */
int bh_rlp_item_uint64(const struct bh_rlp_item *it, uint64_t *ret) __attribute__((warn_unused_result));
int bh_rlp_item_u256(const struct bh_rlp_item *it, uint8_t ret[static 32]) __attribute__((warn_unused_result));

#endif

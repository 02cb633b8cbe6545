/* SPDX-License-Identifier: MIT */
/*
 * The root of Ethereum's Merkle-Patricia trie (yellow paper appendix D) over an ordered
 * list, as in a block's transactionsRoot, receiptsRoot and withdrawalsRoot: key i is
 * RLP(i), value i is the caller's bytes (an encoded receipt, a raw transaction).
 *
 * Nodes: leaf [HP(rest, leaf), value], extension [HP(shared, ext), child], branch
 * [child0..child15, value]; HP is the hex-prefix encoding of a nibble path (flag nibble
 * 2 for a leaf, 0 for an extension, +1 for an odd length).  A child whose RLP is shorter
 * than 32 bytes is embedded as that RLP, else it is referred to by keccak256 of it; the
 * root is always hashed.  The empty list has root keccak256(0x80) = 56e81f..b421.
 *
 * Nothing is kept: nodes at least 32 bytes long are streamed straight into keccak, shorter
 * ones built on the stack, so the cost is one pass over the values plus the branch nodes.
 */
#ifndef BH_TRIE_H
#define BH_TRIE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define BH_TRIE_MAX_ITEMS (1u << 20)    /* RLP(index) of at most 4 bytes */

/* keccak256(RLP("")): the root of an empty trie. */
extern const uint8_t bh_trie_empty_root[32];

struct bh_trie_val {
	const uint8_t *p;
	size_t len;
};

/* Root of [RLP(i) -> v[i]] for i < n.  BH_ERR_LIMIT if n > BH_TRIE_MAX_ITEMS, BH_ERR_FORMAT if
 * a value is empty (a trie has no empty values: writing one deletes the key), -ENOMEM. */
int bh_trie_root_list(const struct bh_trie_val *v, size_t n, uint8_t ret_root[static 32],
		      struct bh_msg *msg) __attribute__((warn_unused_result));

#endif

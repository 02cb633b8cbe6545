/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the ordered Merkle-Patricia trie root (eth/trie.c).  Input: values, each a 2-byte
 * big-endian length then that many bytes (a short tail is the last value).  Properties:
 * the root is deterministic, an empty value is refused with a message and ret untouched,
 * and changing one byte of one value, or dropping the last value, changes the root (a
 * collision would mean two lists share a node encoding: a construction bug).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eth/trie.h"

#define MAXV 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bh_trie_val v[MAXV];
	struct bh_msg m = { "" };
	uint8_t r1[32], r2[32];
	uint8_t *copy;
	size_t n = 0, off = 0;
	bool empty = false;

	if (!(copy = malloc(size + 1)))
		return 0;
	memcpy(copy, data, size);
	while (off < size && n < MAXV) {
		size_t len = off + 2 <= size ? (size_t)copy[off] << 8 | copy[off + 1] : 0;
		off += 2;
		if (off > size)
			off = size;
		if (len > size - off)
			len = size - off;
		v[n].p = copy + off;
		v[n].len = len;
		empty |= len == 0;
		off += len;
		n++;
	}
	memset(r1, 0x33, 32);
	int r = bh_trie_root_list(v, n, r1, &m);
	if (empty) {
		if (r != BH_ERR_FORMAT || !m.text[0] || r1[0] != 0x33 || r1[31] != 0x33)
			abort();
		free(copy);
		return 0;
	}
	if (r != 0 || bh_trie_root_list(v, n, r2, NULL) != 0 || memcmp(r1, r2, 32) != 0)
		abort();
	if (n == 0 && memcmp(r1, bh_trie_empty_root, 32) != 0)
		abort();
	if (n > 0) {
		/* one byte of one value (chosen by the input) changed */
		size_t k = (size_t)copy[0] % n;
		copy[v[k].p - copy] ^= 0x01;
		if (bh_trie_root_list(v, n, r2, NULL) != 0 || memcmp(r1, r2, 32) == 0)
			abort();
		copy[v[k].p - copy] ^= 0x01;
		/* the last value dropped */
		if (bh_trie_root_list(v, n - 1, r2, NULL) != 0 || memcmp(r1, r2, 32) == 0)
			abort();
	}
	free(copy);
	return 0;
}

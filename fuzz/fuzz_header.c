/* SPDX-License-Identifier: MIT */
/*
 * Fuzz block header hashing from an eth_getBlockByNumber result (eth/header.c via
 * bh_block_header_hash).  Properties: ret untouched and a message on every error; on
 * success the header's RLP decodes strictly (canonical) as a list of 15 + nopt byte
 * strings, of which the number re-reads equal, and hashing twice gives the same hash.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "eth/header.h"
#include "eth/keccak.h"
#include "eth/proof.h"
#include "eth/rlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_msg m = { "" };
	uint8_t h1[32], h2[32], h3[32];
	json_t *j = NULL;
	static struct bh_header hd;

	if (bh_json_load(data, size, 1u << 20, BH_JSON_OBJECT, &j, NULL) < 0)
		return 0;
	memset(h1, 0xa5, 32);
	int r = bh_block_header_hash(j, h1, &m);
	if (r < 0) {
		for (int i = 0; i < 32; i++)
			if (h1[i] != 0xa5)
				abort();
		if (!m.text[0])
			abort();
		json_decref(j);
		return 0;
	}
	if (bh_block_header_hash(j, h2, NULL) != 0 || memcmp(h1, h2, 32) != 0)
		abort();
	if (bh_header_from_json(j, &hd, NULL) != 0)
		abort();
	struct bh_buf b;
	struct bh_rlp_item *it = NULL;
	uint64_t num;
	bh_buf_init(&b, BH_HEADER_MAX_RLP);
	if (bh_header_encode(&hd, &b) != 0)
		abort();
	bh_keccak256(bh_buf_ptr(&b), bh_buf_len(&b), h3);
	if (memcmp(h1, h3, 32) != 0)
		abort();
	if (bh_rlp_decode(bh_buf_ptr(&b), bh_buf_len(&b), &it, NULL) != 0 || !it->is_list ||
	    it->n != 15 + hd.nopt)
		abort();
	for (size_t i = 0; i < it->n; i++)
		if (it->items[i].is_list)
			abort();
	if (bh_rlp_item_uint64(&it->items[8], &num) != 0 || num != hd.number)
		abort();
	bh_rlp_item_free(it);
	bh_buf_done(&b);
	json_decref(j);
	return 0;
}

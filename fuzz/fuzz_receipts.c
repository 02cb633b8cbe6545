/* SPDX-License-Identifier: MIT */
/*
 * Fuzz receipt encoding and the receipts root from an eth_getBlockReceipts result (a JSON
 * array; eth/receipt.c, eth/trie.c via bh_receipts_root).  Properties: ret untouched and a
 * message on every error; on success every receipt's encoding is the type byte (none for
 * legacy) then a strict (canonical) RLP list of 4 whose logs list has as many entries as
 * the JSON, the encoding of a failing receipt leaves nothing behind in the buffer, and the
 * root is deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "eth/proof.h"
#include "eth/receipt.h"
#include "eth/rlp.h"

static void check_one(const json_t *rc)
{
	struct bh_buf b;
	uint8_t type = 0xee;
	size_t nlogs = 0;
	struct bh_rlp_item *it = NULL;

	bh_buf_init(&b, 32u << 20);
	if (bh_buf_put(&b, "x", 1) != 0)
		abort();
	if (bh_receipt_encode_json(rc, &b, &type, &nlogs, NULL) < 0) {
		if (bh_buf_len(&b) != 1 || type != 0xee)   /* nothing appended, ret_ untouched */
			abort();
		bh_buf_done(&b);
		return;
	}
	const uint8_t *p = bh_buf_ptr(&b) + 1;
	size_t n = bh_buf_len(&b) - 1;
	if (type > 4 || n == 0)
		abort();
	if (type) {
		if (p[0] != type)
			abort();
		p++;
		n--;
	}
	if (bh_rlp_decode(p, n, &it, NULL) != 0 || !it->is_list || it->n != 4 ||
	    it->items[0].is_list || it->items[2].len != 256 || !it->items[3].is_list ||
	    it->items[3].n != nlogs)
		abort();
	bh_rlp_item_free(it);
	bh_buf_done(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_msg m = { "" };
	uint8_t r1[32], r2[32];
	json_t *j = NULL;

	if (bh_json_load(data, size, 4u << 20, BH_JSON_ARRAY | BH_JSON_OBJECT, &j, NULL) < 0)
		return 0;
	if (json_is_object(j)) {   /* one receipt (eth_getTransactionReceipt) */
		check_one(j);
		json_decref(j);
		return 0;
	}
	for (size_t i = 0; i < json_array_size(j) && i < 64; i++)
		check_one(json_array_get(j, i));
	memset(r1, 0x5a, 32);
	int r = bh_receipts_root(j, r1, &m);
	if (r < 0) {
		for (int i = 0; i < 32; i++)
			if (r1[i] != 0x5a)
				abort();
		if (!m.text[0])
			abort();
	} else if (bh_receipts_root(j, r2, NULL) != 0 || memcmp(r1, r2, 32) != 0) {
		abort();
	}
	json_decref(j);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz transactionsRoot from full transaction objects (eth/proof-tx.c via
 * bh_transactions_root): input a JSON array of eth_getBlockByNumber(n, true) transactions.
 * Properties: ret untouched and a message on every error; on success the root is
 * deterministic and changes when the transactions' order changes (two of them swapped and
 * their transactionIndex with them).
 */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "eth/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_msg m = { "" };
	uint8_t r1[32], r2[32];
	json_t *j = NULL;

	if (bh_json_load(data, size, 4u << 20, BH_JSON_ARRAY, &j, NULL) < 0)
		return 0;
	memset(r1, 0x77, 32);
	int r = bh_transactions_root(j, r1, &m);
	if (r < 0) {
		for (int i = 0; i < 32; i++)
			if (r1[i] != 0x77)
				abort();
		if (!m.text[0])
			abort();
	} else {
		if (bh_transactions_root(j, r2, NULL) != 0 || memcmp(r1, r2, 32) != 0)
			abort();
		if (json_array_size(j) >= 2) {
			json_t *a = json_deep_copy(json_array_get(j, 0));
			json_t *b = json_deep_copy(json_array_get(j, 1));
			json_t *ia = json_object_get(a, "transactionIndex");
			json_t *ib = json_object_get(b, "transactionIndex");
			json_incref(ia);
			json_object_set(a, "transactionIndex", ib);
			json_object_set_new(b, "transactionIndex", ia);
			json_array_set_new(j, 0, b);
			json_array_set_new(j, 1, a);
			/* identical transactions would hash alike: only distinct ones must differ */
			if (bh_transactions_root(j, r2, NULL) == 0 && memcmp(r1, r2, 32) == 0 &&
			    !json_equal(json_object_get(a, "hash"), json_object_get(b, "hash")))
				abort();
		}
	}
	json_decref(j);
	return 0;
}

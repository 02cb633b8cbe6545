/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the raw transaction decoders (signed type 2 / legacy, unsigned type 2).
 * Invariant: an accepted transaction re-serializes to exactly the input; sender
 * recovery never crashes whatever the signature values.  An input starting with '{'
 * goes through the JSON signing-request parser (bh_tx_from_json) instead: what it
 * accepts must serialize, decode back, and give the same JSON.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "eth/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_tx tx;
	struct bh_buf out;
	uint8_t addr[20], h[32];

	bh_buf_init(&out, BH_TX_MAX_RAW + 1024);
	if (size && data[0] == '{') {
		json_error_t je;
		json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
		struct bh_tx back;
		if (j && bh_tx_from_json(j, &tx, NULL) == 0) {
			json_t *a = bh_tx_to_json(&tx), *b = NULL;
			if (bh_tx_serialize_unsigned(&tx, &out) < 0 || bh_tx_signing_hash(&tx, h) < 0)
				abort();
			if (tx.type == BH_TX_EIP1559) {
				if (bh_tx_decode_unsigned(bh_buf_ptr(&out), bh_buf_len(&out), &back, NULL) < 0)
					abort();
				b = bh_tx_to_json(&back);
				if (!a || !b || !json_equal(a, b))
					abort();
				bh_tx_clear(&back);
			}
			json_decref(a);
			json_decref(b);
			bh_tx_clear(&tx);
		}
		json_decref(j);
		bh_buf_done(&out);
		return 0;
	}
	if (bh_tx_decode(data, size, &tx, NULL) == 0) {
		if (bh_tx_serialize(&tx, &out) < 0 || bh_buf_len(&out) != size ||
		    memcmp(bh_buf_ptr(&out), data, size))
			abort();
		if (bh_tx_recover_sender(&tx, addr) == 0 && !tx.is_signed)
			abort();
		if (bh_tx_hash(&tx, h) < 0)
			abort();
		bh_tx_clear(&tx);
	}
	bh_buf_reset(&out);
	if (bh_tx_decode_unsigned(data, size, &tx, NULL) == 0) {
		if (bh_tx_serialize_unsigned(&tx, &out) < 0 || bh_buf_len(&out) != size ||
		    memcmp(bh_buf_ptr(&out), data, size))
			abort();
		if (bh_tx_signing_hash(&tx, h) < 0)
			abort();
		bh_tx_clear(&tx);
	}
	bh_buf_done(&out);
	return 0;
}

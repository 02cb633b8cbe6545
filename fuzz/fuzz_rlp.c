/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the strict RLP decoder.  Invariant: whatever it accepts is canonical, so
 * re-encoding the decoded tree gives back exactly the input; the integer readers
 * never accept a leading zero byte.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "eth/rlp.h"

static void walk(const struct bh_rlp_item *it)
{
	uint64_t x;
	uint8_t w[32];
	if (it->is_list) {
		for (size_t i = 0; i < it->n; i++)
			walk(&it->items[i]);
		return;
	}
	if (bh_rlp_item_uint64(it, &x) == 0 && it->len && it->data[0] == 0)
		abort();
	if (bh_rlp_item_u256(it, w) == 0 && it->len > 32)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_rlp_item *it = NULL;
	struct bh_buf out;

	if (bh_rlp_decode(data, size, &it, NULL) < 0)
		return 0;
	walk(it);
	bh_buf_init(&out, BH_RLP_MAX_INPUT + 16);
	if (bh_rlp_encode(it, &out) < 0 || bh_buf_len(&out) != size ||
	    memcmp(bh_buf_ptr(&out), data, size) || bh_rlp_encoded_len(it) != size)
		abort();
	bh_buf_done(&out);
	bh_rlp_item_free(it);
	return 0;
}

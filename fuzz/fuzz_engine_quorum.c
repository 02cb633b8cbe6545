/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the engine's proof steps over one endpoint's answers (src/engine/quorum.h):
 * {"block": <eth_getBlockByNumber result>, "receipts": <eth_getBlockReceipts result>} ->
 * eng_quorum_check_header against the header's own recomputed hash (so consistent inputs
 * get past it), then eng_quorum_receipts_logs for the address of the block's first log (or
 * a fixed one).  Properties: a message on every error, ret untouched on error, every returned log
 * is of the address asked for and names the block's hash, clearing twice is safe.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "eth/proof.h"
#include "eth/rpc.h"
#include "../src/engine/quorum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf b;
	struct bh_msg m = { "" };
	json_t *doc = NULL;
	uint8_t hash[32] = { 0 }, parent[32], bloom[256], addr[1][20];
	uint64_t number = 0;

	bh_buf_view(&b, data, size);
	if (bh_json_load_buf(&b, 1u << 20, BH_JSON_OBJECT, &doc, &m) < 0)
		return 0;
	const json_t *blk = json_object_get(doc, "block"), *rcs = json_object_get(doc, "receipts");
	struct bh_msg hm = { "" };
	if (bh_block_header_hash(blk, hash, &hm) < 0)
		memset(hash, 0, sizeof(hash));
	if (bh_rpc_parse_quantity(json_object_get(blk, "number"), &number, &hm) < 0)
		number = 0;
	m.text[0] = 0;
	int r = eng_quorum_check_header(blk, number, hash, "fuzz", parent, bloom, &m);
	if (r < 0 && !m.text[0])
		abort();
	memset(addr, 0x11, sizeof(addr));
	const json_t *l0 = NULL;
	for (size_t i = 0; i < json_array_size(rcs) && !l0; i++)
		l0 = json_array_get(json_object_get(json_array_get(rcs, i), "logs"), 0);
	struct bh_msg am = { "" };
	if (bh_rpc_parse_fixed(json_object_get(l0, "address"), addr[0], 20, &am) < 0)
		memset(addr, 0x11, sizeof(addr));
	struct bh_rpc_logs out = { NULL, 0 };
	m.text[0] = 0;
	r = eng_quorum_receipts_logs(blk, number, hash, rcs, (const uint8_t (*)[20])addr, 1, &out, &m);
	if (r < 0) {
		if (out.v || out.n || !m.text[0])
			abort();
	} else {
		for (size_t i = 0; i < out.n; i++)
			if (memcmp(out.v[i].log.address, addr[0], 20) || memcmp(out.v[i].block_hash, hash, 32))
				abort();
	}
	bh_rpc_logs_clear(&out);
	bh_rpc_logs_clear(&out);
	json_decref(doc);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the whole log and transaction proofs (eth/proof.c): input {"block":{..},
 * "receipts":[..], "log":{..eth_getLogs entry..}, "tx":"0x.."}.  The agreed hash is the
 * block's own recomputed hash, and the log's blockHash is set to it, so the fuzzer reaches
 * the receipts and log checks without forging keccak.  Properties: a message on every
 * error, ret_tx_index untouched on error, and a log that proves still proves when run
 * again and is refused once its data, or its first topic, changes.
 */
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "eth/proof.h"
#include "eth/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_msg m = { "" };
	struct bh_rpc_log log;
	uint8_t hash[32], tx[32];
	uint64_t idx = 424242;
	json_t *j = NULL;
	const json_t *block, *receipts;

	memset(&log, 0, sizeof(log));
	if (bh_json_load(data, size, 4u << 20, BH_JSON_OBJECT, &j, NULL) < 0)
		return 0;
	block = json_object_get(j, "block");
	receipts = json_object_get(j, "receipts");
	if (bh_block_header_hash(block, hash, NULL) < 0)
		memset(hash, 0, 32);
	if (bh_rpc_parse_fixed(json_object_get(j, "tx"), tx, 32, NULL) == 0) {
		int r = bh_proof_check_tx(block, receipts, hash, tx, &idx, &m);
		if (r < 0 && (!m.text[0] || idx != 424242))
			abort();
	}
	if (bh_rpc_parse_log(json_object_get(j, "log"), &log, NULL) == 0) {
		memcpy(log.block_hash, hash, 32);
		m.text[0] = 0;
		int r = bh_proof_check_log(block, receipts, hash, &log, &m);
		if (r < 0 && !m.text[0])
			abort();
		if (r == 0) {
			if (bh_proof_check_log(block, receipts, hash, &log, NULL) != 0)
				abort();
			if (bh_buf_len(&log.log.data)) {
				log.data[0] ^= 1;
				if (bh_proof_check_log(block, receipts, hash, &log, NULL) == 0)
					abort();
				log.data[0] ^= 1;
			}
			if (log.log.ntopics) {
				log.log.topics[0][0] ^= 1;
				if (bh_proof_check_log(block, receipts, hash, &log, NULL) == 0)
					abort();
			}
		}
		bh_rpc_log_clear(&log);
	}
	json_decref(j);
	return 0;
}

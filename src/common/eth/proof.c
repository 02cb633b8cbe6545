/* SPDX-License-Identifier: MIT */
/* Proof of a log or a transaction against a trusted block hash (see proof.h).
 * First commit: the API only, so the engine side can compile against it. */
#include "eth/proof.h"

int bh_block_header_hash(const json_t *block, uint8_t ret_hash[static 32], struct bh_msg *msg)
{
	(void)block; (void)ret_hash;
	bh_msg_set(msg, "block header hash: not implemented yet");
	return BH_ERR_UNSUPPORTED;
}

int bh_receipts_root(const json_t *receipts, uint8_t ret_root[static 32], struct bh_msg *msg)
{
	(void)receipts; (void)ret_root;
	bh_msg_set(msg, "receipts root: not implemented yet");
	return BH_ERR_UNSUPPORTED;
}

int bh_proof_check_log(const json_t *block, const json_t *receipts,
		       const uint8_t expect_hash[static 32], const struct bh_rpc_log *log,
		       struct bh_msg *msg)
{
	(void)block; (void)receipts; (void)expect_hash; (void)log;
	bh_msg_set(msg, "log proof: not implemented yet");
	return BH_ERR_UNSUPPORTED;
}

int bh_proof_check_tx(const json_t *block, const json_t *receipts,
		      const uint8_t expect_hash[static 32], const uint8_t tx_hash[static 32],
		      uint64_t *ret_tx_index, struct bh_msg *msg)
{
	(void)block; (void)receipts; (void)expect_hash; (void)tx_hash; (void)ret_tx_index;
	bh_msg_set(msg, "transaction proof: not implemented yet");
	return BH_ERR_UNSUPPORTED;
}

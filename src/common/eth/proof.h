/* SPDX-License-Identifier: MIT */
/*
 * Local proofs over one RPC endpoint's answers (issue 13): a log (or a transaction's
 * success) is trusted only as far as it is bound, by hashes computed here, to a block hash
 * the caller already trusts (the quorum's agreed hash).
 *
 *   block hash   = keccak256(RLP(header fields))                 eth/header.h
 *   receiptsRoot = MPT root of [RLP(i) -> encoded receipt i]    eth/receipt.h, eth/trie.h
 *   the log      = the logIndex-th log of the block, inside the receipt of its transaction
 *
 * Inputs are the JSON-RPC result objects as the provider sent them (jansson, borrowed):
 * the eth_getBlockByNumber / eth_getBlockByHash result (transactions as hashes or as
 * objects), and the receipts of that block in block order: the eth_getBlockReceipts result,
 * or the eth_getTransactionReceipt results collected per transaction into one JSON array
 * where a provider lacks that method (same shape, same proof).
 *
 * What is proven and what is not (SECURITY.md, docs/proof.md): the header fields, every
 * receipt's consensus fields (status, cumulativeGasUsed, logsBloom, logs) and the log's
 * position in the block.  A receipt's transactionHash is not part of its consensus
 * encoding: it is proven only when the block object carries full transaction objects
 * (eth_getBlockByNumber(n, true)), whose transactionsRoot is then recomputed
 * (bh_transactions_root); with hashes only it is cross-checked against the block's list,
 * which one lying endpoint can fake consistently.
 *
 * Errors: BH_ERR_MISMATCH when a recomputed hash or root differs from what it must equal
 * (the endpoint lied or the fork's field set is unknown to us), BH_ERR_NOT_FOUND when the
 * log or transaction is not where it is claimed to be, BH_ERR_MISSING_KEY /
 * BH_ERR_WRONG_TYPE / BH_ERR_FORMAT / BH_ERR_LENGTH / BH_ERR_UNSUPPORTED for malformed
 * objects; msg names the object and field ("receipt 3: \"logsBloom\": expected 256 bytes
 * of data, got 255").  No function here does I/O, logs or keeps state.
 */
#ifndef BH_PROOF_H
#define BH_PROOF_H

#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "eth/rpc.h"

/* keccak256(RLP(header)) of a block object: London, Shanghai, Cancun and Prague field sets
 * (eth/header.h).  The object's own "hash" field is ignored. */
int bh_block_header_hash(const json_t *block, uint8_t ret_hash[static 32], struct bh_msg *msg)
	__attribute__((warn_unused_result));

/* The receipts trie root of a block's receipts (a JSON array in block order; every
 * receipt's logsBloom is checked against its logs, its transactionIndex against its
 * position).  An empty array gives the empty-trie root 56e81f..b421. */
int bh_receipts_root(const json_t *receipts, uint8_t ret_root[static 32], struct bh_msg *msg)
	__attribute__((warn_unused_result));

/*
 * The transactions root of a block's full transaction objects (the "transactions" of
 * eth_getBlockByNumber(n, true)): every transaction (types 0 to 4) re-encoded from its
 * fields, its keccak256 checked against its "hash" (BH_ERR_MISMATCH), its
 * transactionIndex against its position.  Equal to the header's transactionsRoot, it proves
 * every transaction hash of the block and its position.
 */
int bh_transactions_root(const json_t *txs, uint8_t ret_root[static 32], struct bh_msg *msg)
	__attribute__((warn_unused_result));

/*
 * The whole proof of one log:
 *  - the block's header hashes to expect_hash;
 *  - bh_receipts_root(receipts) equals the block's receiptsRoot;
 *  - log->block_hash equals expect_hash and log->block_number the block's number;
 *  - the receipt at position log->tx_index has transactionHash log->tx_hash (and, when the
 *    block lists its transactions, so does the block at that index; full transaction
 *    objects are re-encoded and must give the header's transactionsRoot), and the block-wide
 *    log number log->log_index, counted over the receipts' logs, falls inside it and has
 *    exactly log's address, topics and data.
 * log->removed must be false.  0 only if all of this holds.
 */
int bh_proof_check_log(const json_t *block, const json_t *receipts,
		       const uint8_t expect_hash[static 32], const struct bh_rpc_log *log,
		       struct bh_msg *msg) __attribute__((warn_unused_result));

/*
 * The same proof for a transaction instead of a log (the admin path: a knock transaction
 * must be in an agreed block and have succeeded): the header hashes to expect_hash, the
 * receipts root matches, and the receipt with transactionHash tx_hash is in it with status
 * 1 (BH_ERR_STATE if it failed, BH_ERR_NOT_FOUND if absent).  *ret_tx_index (may be NULL)
 * is its position.
 */
int bh_proof_check_tx(const json_t *block, const json_t *receipts,
		      const uint8_t expect_hash[static 32], const uint8_t tx_hash[static 32],
		      uint64_t *ret_tx_index, struct bh_msg *msg) __attribute__((warn_unused_result));

/*
 * The same two proofs in two steps, for a caller that proves a block once and then looks up
 * many logs in it (the engine: several events per agreed block):
 *  - bh_proof_check_block: the header hashes to expect_hash, the receipts root matches, and
 *    (with full transaction objects) so does the transactions root;
 *  - bh_proof_find_log / bh_proof_find_tx: the log / the successful transaction is where it
 *    is claimed to be.  Proof only after bh_proof_check_block returned 0 for the very same
 *    block and receipts objects (unchanged since).
 * bh_proof_check_log = check_block + find_log; bh_proof_check_tx = check_block + find_tx.
 */
int bh_proof_check_block(const json_t *block, const json_t *receipts,
			 const uint8_t expect_hash[static 32], struct bh_msg *msg)
	__attribute__((warn_unused_result));
int bh_proof_find_log(const json_t *block, const json_t *receipts,
		      const uint8_t expect_hash[static 32], const struct bh_rpc_log *log,
		      struct bh_msg *msg) __attribute__((warn_unused_result));
int bh_proof_find_tx(const json_t *block, const json_t *receipts,
		     const uint8_t tx_hash[static 32], uint64_t *ret_tx_index, struct bh_msg *msg)
	__attribute__((warn_unused_result));

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Sending transactions from the host wallet: EIP-1559 fields filled from the chain
 * (eth/rpc.h), signed by the keystore daemon (host/keystore_client.h, whose policy
 * decides), sent, and followed to a receipt.
 *
 *  - nonces: the next nonce is max(our counter, the chain's "pending" count), so
 *    back-to-back sends from one process never reuse or skip a nonce; "nonce too low"
 *    from the provider resynchronizes once;
 *  - fees: maxPriorityFee = eth_maxPriorityFeePerGas (1 gwei if the method is missing),
 *    maxFee = 2 x latest baseFee + tip; gas = eth_estimateGas + 20 %;
 *  - the raw transaction the daemon returns is decoded and checked (same fields, sender =
 *    the keystore's address) before it is sent;
 *  - a transaction not mined after replace_after_ms is replaced (same nonce, fees raised
 *    by bump_pct, at least the 10 % geth requires); every hash sent is polled until one
 *    has a receipt or the deadline passes (BH_ERR_TIMEOUT);
 *  - a revert (at estimate time, or status 0 in the receipt, replayed with eth_call) is
 *    BH_ERR_REVERT, decoded against the custom errors given (eth/abi.h
 *    bh_abi_decode_revert), e.g. "mint: reverted: OwnableUnauthorizedAccount(0x...)".
 *
 * Not thread-safe: one struct per sending thread (the engine sends from one loop).
 */
#ifndef BH_TXSEND_H
#define BH_TXSEND_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "eth/abi.h"
#include "eth/rpc.h"
#include "host/keystore_client.h"

struct bh_txsend {
	struct bh_rpc *rpc;                      /* borrowed */
	const struct bh_keystore_client *ks;     /* borrowed */
	uint64_t chain_id;
	uint8_t from[20];                        /* the keystore's address */
	bool have_nonce;
	uint64_t next_nonce;
	int receipt_timeout_ms;                  /* default 120000 */
	int poll_ms;                             /* default 200 */
	int replace_after_ms;                    /* default 30000 */
	unsigned bump_pct;                       /* default 25 */
	const struct bh_abi_sig *const *errors;  /* custom errors for revert decoding */
	size_t nerrors;
	unsigned replacements;                   /* counters, for status and tests */
	unsigned sent;
	/*
	 * Called with every signed transaction before it is broadcast (the first and each
	 * replacement): the engine journals it durably here, so that after a crash it can
	 * tell "mined", "still pending" and "never mined" apart (bh_txsend_resume).  A
	 * negative return aborts before anything is sent.  NULL: none.
	 */
	int (*on_signed)(void *ud, uint64_t nonce, const uint8_t *raw, size_t len,
			 const uint8_t hash[static 32]);
	void *on_signed_ud;
};

/* Reads the chain id (checked against expect_chain_id unless 0) and the keystore address. */
int bh_txsend_init(struct bh_txsend *s, struct bh_rpc *rpc, const struct bh_keystore_client *ks,
		   uint64_t expect_chain_id, struct bh_msg *msg) __attribute__((warn_unused_result));

/*
 * Send a call (to != NULL) or a contract creation (to == NULL) and wait for its receipt
 * (*ret, release with bh_rpc_receipt_clear).  value may be NULL (0).  what names the
 * transaction in messages ("mint", "deploy AccessCredentialNFT").
 */
int bh_txsend_send(struct bh_txsend *s, const char *what, const uint8_t *to,
		   const uint8_t *value, const uint8_t *data, size_t len,
		   struct bh_rpc_receipt *ret, struct bh_msg *msg) __attribute__((warn_unused_result));

/*
 * After a restart: the transactions journaled by on_signed (raw[i], len[i]; one nonce).
 * Each is broadcast again (harmless: the same bytes) and their receipts polled until
 * receipt_timeout_ms.  0 with *ret: one was mined.  BH_ERR_NOT_FOUND: none was mined and
 * the wallet's mined nonce has passed theirs, so none ever will be (safe to do the work
 * again).  BH_ERR_TIMEOUT: still pending.  BH_ERR_REVERT: mined and reverted.
 */
int bh_txsend_resume(struct bh_txsend *s, const char *what, uint64_t nonce,
		     const uint8_t *const *raw, const size_t *len, size_t n,
		     struct bh_rpc_receipt *ret, struct bh_msg *msg) __attribute__((warn_unused_result));

/* Describe revert data with errors[] into out (for messages). */
void bh_txsend_describe_revert(const struct bh_txsend *s, const uint8_t *data, size_t len,
			       char *out, size_t outlen);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Ethereum transactions: EIP-1559 (type 2) build / sign / serialize / hash, and strict
 * decoding of raw type-2 and legacy (pre-EIP-155 v = 27/28, EIP-155 v = 2·chain_id+35/36)
 * transactions with sender recovery.
 *
 *   type 2 signing hash = keccak256(0x02 || rlp([chain_id, nonce, max_priority_fee,
 *                          max_fee, gas_limit, to, value, data, access_list]))
 *   type 2 raw          = 0x02 || rlp([... 9 fields ..., y_parity, r, s])
 *   legacy signing hash = keccak256(rlp([nonce, gas_price, gas_limit, to, value, data
 *                          (, chain_id, 0, 0 if EIP-155)]))
 *   tx hash             = keccak256(raw)
 *
 * Numbers must be minimal in RLP (no leading zero bytes); "to" is 20 bytes or empty
 * (contract creation); signatures must be low-S (checked at recovery, EIP-2).
 */
#ifndef BH_TX_H
#define BH_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define BH_TX_LEGACY  0
#define BH_TX_EIP1559 2
#define BH_TX_MAX_RAW (256u * 1024u)      /* raw transaction size cap */
#define BH_TX_MAX_ACCESS 4096             /* addresses + storage keys in an access list */

struct bh_tx_access {
	uint8_t address[20];
	uint8_t (*keys)[32];
	size_t nkeys;
};

struct bh_tx {
	uint8_t type;                  /* BH_TX_LEGACY or BH_TX_EIP1559 */
	uint64_t chain_id;             /* legacy: 0 means pre-EIP-155 (no replay protection) */
	uint64_t nonce;
	uint8_t max_priority_fee[32];  /* type 2 only; big-endian wei */
	uint8_t max_fee[32];           /* type 2 max_fee_per_gas; legacy gas_price */
	uint64_t gas_limit;
	bool has_to;                   /* false: contract creation */
	uint8_t to[20];
	uint8_t value[32];             /* big-endian wei */
	uint8_t *data;                 /* owned (bh_tx_set_data) */
	size_t data_len;
	struct bh_tx_access *access;   /* owned */
	size_t naccess;
	bool is_signed;
	uint8_t y_parity;              /* 0 or 1 */
	uint8_t r[32], s[32];
	uint64_t v;                    /* legacy: the raw v (informational: serialization
	                                  derives it from chain_id and y_parity) */
};

/* Free data and access list; zero the struct.  NULL-safe. */
void bh_tx_clear(struct bh_tx *tx);
/* Copy calldata into tx (-ENOMEM). */
int bh_tx_set_data(struct bh_tx *tx, const uint8_t *data, size_t len);

/* The digest that is signed. */
int bh_tx_signing_hash(const struct bh_tx *tx, uint8_t ret[static 32]);
/*
 * Sign with priv (bh_secp_sign, RFC 6979, low-S) and attach the signature through
 * bh_tx_attach_signature_from with priv's own address; sets y_parity/r/s (legacy: v).
 */
int bh_tx_sign(struct bh_tx *tx, const uint8_t priv[static 32]) __attribute__((warn_unused_result));
/*
 * Attach a signature made elsewhere (a TPM, a hardware wallet, a remote signer) over
 * bh_tx_signing_hash(tx): sig = r || s || recid (recid 0/1, not 27/28).  Refused unless
 * bh_secp_sig_check passes (BH_ERR_SIGNATURE: r/s zero or >= n; BH_ERR_HIGH_S;
 * BH_ERR_RECOVERY_ID) and some public key recovers from it for this transaction
 * (BH_ERR_SIGNATURE); a legacy chain_id too large for v is BH_ERR_RANGE.  Sets
 * y_parity/r/s (legacy: v derived from chain_id) and is_signed; tx is unchanged on error.
 * A flipped recid recovers a different key: only the _from form, which also demands that
 * the recovered sender equal expected_from (BH_ERR_MISMATCH), catches it.
 */
int bh_tx_attach_signature(struct bh_tx *tx, const uint8_t sig[static 65])
	__attribute__((warn_unused_result));
int bh_tx_attach_signature_from(struct bh_tx *tx, const uint8_t sig[static 65],
                                const uint8_t expected_from[static 20])
	__attribute__((warn_unused_result));
/* Append the raw signed transaction (BH_ERR_STATE if unsigned). */
int bh_tx_serialize(const struct bh_tx *tx, struct bh_buf *out);
/* Append the unsigned payload (what the signing hash covers; type 2 starts with 0x02). */
int bh_tx_serialize_unsigned(const struct bh_tx *tx, struct bh_buf *out);
/* keccak256 of the raw signed transaction. */
int bh_tx_hash(const struct bh_tx *tx, uint8_t ret[static 32]);

/*
 * Strictly decode a raw signed transaction (type 2, or legacy when the first byte is
 * >= 0xc0).  Other typed envelopes: BH_ERR_UNSUPPORTED.  *ret is filled only on
 * success (clear it with bh_tx_clear).
 */
int bh_tx_decode(const uint8_t *raw, size_t len, struct bh_tx *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* Decode an unsigned type-2 payload 0x02 || rlp([9 fields]). */
int bh_tx_decode_unsigned(const uint8_t *raw, size_t len, struct bh_tx *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* The sender's address of a signed transaction (bh_secp_recover_address: low-S etc.). */
int bh_tx_recover_sender(const struct bh_tx *tx, uint8_t ret[static 20])
	__attribute__((warn_unused_result));

/*
 * Transaction fields as JSON (what a signing request carries), parsed strictly:
 *   {"type": 2 (default) | 0, "chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas"
 *    (type 2) | "gasPrice" (type 0), "gasLimit", "to": "0x..40" | null, "value", "data",
 *    "accessList": [{"address": "0x..", "storageKeys": ["0x..64", ...]}, ...]}
 * Numbers: non-negative JSON integers, decimal strings or 0x hex strings.  "to" is
 * REQUIRED (null means contract creation: never implied by a missing key); addresses
 * in mixed case must carry a valid EIP-55 checksum.  value, data and accessList default
 * to 0 / empty.  Unknown or duplicated keys, fields of the other type, and missing
 * required fields are errors naming the field (msg).  The result is unsigned.
 * json is a json_t * (void * so that callers need not include jansson.h).
 */
int bh_tx_from_json(const void *json, struct bh_tx *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/*
 * The same layout back (numbers as decimal strings, hex lower-case), plus for a signed
 * transaction "yParity", "r", "s", ("v" for legacy), "from" (recovered, or an "error"
 * string) and "hash".  NULL on ENOMEM.
 */
void *bh_tx_to_json(const struct bh_tx *tx);

#endif

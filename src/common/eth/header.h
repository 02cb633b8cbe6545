/* SPDX-License-Identifier: MIT */
/*
 * Block headers: the fields of a JSON-RPC block object, their RLP, and the block hash
 * keccak256(RLP(header)).
 *
 *   [parentHash, sha3Uncles, miner, stateRoot, transactionsRoot, receiptsRoot, logsBloom,
 *    difficulty, number, gasLimit, gasUsed, timestamp, extraData, mixHash, nonce,
 *    baseFeePerGas                                   London (EIP-1559)
 *    withdrawalsRoot                                 Shanghai (EIP-4895)
 *    blobGasUsed, excessBlobGas, parentBeaconBlockRoot   Cancun (EIP-4844, EIP-4788)
 *    requestsHash]                                   Prague (EIP-7685)
 *
 * The fork fields are optional and ordered: a header has the first k of them and none
 * after (a field present while an earlier one is absent is refused by name).  Numbers are
 * minimal RLP integers (difficulty and baseFeePerGas up to 256 bits), hashes and roots 32
 * bytes, miner 20, logsBloom 256, nonce 8, extraData at most BH_HEADER_MAX_EXTRA.  Other
 * members of the object (hash, size, totalDifficulty, transactions, uncles, withdrawals)
 * are not header fields and are ignored.
 */
#ifndef BH_HEADER_H
#define BH_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

#define BH_HEADER_MAX_EXTRA 4096
#define BH_HEADER_OPT_FIELDS 6       /* baseFeePerGas .. requestsHash */
#define BH_HEADER_MAX_RLP (1024 + BH_HEADER_MAX_EXTRA)

struct bh_header {
	uint8_t parent_hash[32];
	uint8_t uncles_hash[32];
	uint8_t miner[20];
	uint8_t state_root[32];
	uint8_t transactions_root[32];
	uint8_t receipts_root[32];
	uint8_t logs_bloom[256];
	uint8_t difficulty[32];
	uint64_t number;
	uint64_t gas_limit;
	uint64_t gas_used;
	uint64_t timestamp;
	uint8_t extra[BH_HEADER_MAX_EXTRA];
	size_t extra_len;
	uint8_t mix_hash[32];
	uint8_t nonce[8];
	unsigned nopt;               /* how many of the fork fields below are present, 0..6 */
	uint8_t base_fee[32];
	uint8_t withdrawals_root[32];
	uint64_t blob_gas_used;
	uint64_t excess_blob_gas;
	uint8_t parent_beacon_root[32];
	uint8_t requests_hash[32];
};

/* The header fields of a block object (strict; msg names the field). */
int bh_header_from_json(const json_t *block, struct bh_header *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* Append RLP(header) to out (BH_ERR_LIMIT at out's cap). */
int bh_header_encode(const struct bh_header *h, struct bh_buf *out)
	__attribute__((warn_unused_result));
/* keccak256(RLP(header)). */
int bh_header_hash(const struct bh_header *h, uint8_t ret[static 32])
	__attribute__((warn_unused_result));
/* The JSON name of fork field i (0 = "baseFeePerGas" .. 5 = "requestsHash"), NULL beyond. */
const char *bh_header_opt_name(unsigned i);

#endif

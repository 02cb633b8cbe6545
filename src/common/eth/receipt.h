/* SPDX-License-Identifier: MIT */
/*
 * Receipts: the consensus encoding of a JSON-RPC receipt object, as it sits in the
 * receipts trie, and the logs bloom.
 *
 *   legacy (type 0)        RLP([status | postState, cumulativeGasUsed, logsBloom, logs])
 *   typed  (1, 2, 3, 4)    type || RLP([...the same four...])     EIP-2718
 *   log                    [address, [topic, ...], data]
 *
 * Types: 0 legacy, 1 EIP-2930, 2 EIP-1559, 3 EIP-4844, 4 EIP-7702 (a receipt without
 * "type" is legacy); any other type is BH_ERR_UNSUPPORTED.  The first field is the
 * post-transaction state root for pre-Byzantium receipts ("root", 32 bytes) and the status
 * (0x0 or 0x1, encoded as the integer) after; a receipt with both is refused.
 *
 * Bloom (yellow paper 4.3.1): for the address and each topic of every log, the low 11 bits
 * of bytes (0,1), (2,3), (4,5) of its keccak256 each set one bit of the 2048-bit filter,
 * counted from the last byte.  logsBloom must equal the bloom recomputed from the logs
 * (BH_ERR_MISMATCH), so a receipt cannot hide a log from a bloom-filtered search.
 */
#ifndef BH_RECEIPT_H
#define BH_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

#define BH_RECEIPT_MAX_LOGS 65536        /* logs in one receipt */

/* Add the bloom bits of data (an address or a topic) to bloom. */
void bh_bloom_add(uint8_t bloom[static 256], const uint8_t *data, size_t len);

/*
 * Append the consensus encoding of one receipt object to out (nothing appended on error).
 * *ret_type (may be NULL) is its transaction type and *ret_nlogs (may be NULL) its number
 * of logs.  msg names the field that was wrong.
 */
int bh_receipt_encode_json(const json_t *receipt, struct bh_buf *out, uint8_t *ret_type,
			   size_t *ret_nlogs, struct bh_msg *msg) __attribute__((warn_unused_result));

#endif

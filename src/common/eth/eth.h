/* SPDX-License-Identifier: MIT */
/*
 * Ethereum text formats: addresses (EIP-55), EIP-191 personal_sign digests and
 * wallet signature text.  Everything parsed here is untrusted input (PAM
 * replies, RPC bodies, CLI arguments) and is treated as hostile.
 *
 * Signatures at this interface are "normalized" 65 bytes r||s||recid with
 * recid 0/1 (see secp.h); bh_sig_parse_hex() converts wallet text into that
 * form and bh_sig_format_hex() converts back (v = 27 + recid).
 */
#ifndef BH_ETH_H
#define BH_ETH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eth/secp.h"

#define BH_ADDR_STR_LEN 42     /* "0x" + 40 hex digits (no NUL) */
#define BH_SIG_STR_LEN 132     /* "0x" + 130 hex digits (no NUL) */

/*
 * Parse an address: exactly "0x" + 40 hex digits (len bytes of s, no NUL needed;
 * no whitespace).  All-lower-case or all-upper-case letters are accepted as
 * unchecksummed; mixed case must match the EIP-55 checksum.
 * Errors: BH_ERR_LENGTH (not 42 chars), BH_ERR_FORMAT (no "0x" prefix),
 * BH_ERR_HEX (a non-hex character, including NUL), BH_ERR_CHECKSUM.
 */
int bh_eth_addr_parse(const char *s, size_t len, uint8_t ret_addr[static 20])
	__attribute__((warn_unused_result));

/* EIP-55 checksummed text: "0x" + 40 mixed-case hex digits + NUL into out. */
void bh_eth_addr_checksum(const uint8_t addr[static 20], char out[static BH_ADDR_STR_LEN + 1]);

/* Constant-time equality of two 20-byte addresses. */
bool bh_eth_addr_equal(const uint8_t a[static 20], const uint8_t b[static 20]);

/* EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" || decimal len || msg). */
void bh_eth_personal_digest(const void *msg, size_t len, uint8_t ret_digest[static 32]);

/*
 * Hex text of exactly n bytes as wallets, terminals and key files write it: leading and
 * trailing ASCII whitespace trimmed, an optional "0x"/"0X", then exactly 2n digits.
 * Constant-time in the digit values (keys pass through here).  Returns 0,
 * BH_ERR_LENGTH (wrong number of digits) or BH_ERR_HEX (out is then zeroed).
 */
int bh_eth_hex_text_decode(const char *s, size_t len, uint8_t *out, size_t n)
	__attribute__((warn_unused_result));

/*
 * Parse wallet signature text into a normalized r||s||recid.
 *   - leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r) is
 *     trimmed (wallets and terminals add newlines); nothing else is;
 *   - an optional "0x"/"0X" prefix, then exactly 130 hex digits (BH_ERR_LENGTH,
 *     BH_ERR_HEX);
 *   - v: 0 or 27 -> recid 0, 1 or 28 -> recid 1, 35..255 (EIP-155) -> (v - 35) mod 2;
 *     every other v is BH_ERR_RECOVERY_ID;
 *   - r or s zero or >= n: BH_ERR_SIGNATURE; s > n/2: BH_ERR_HIGH_S (EIP-2).
 * ret_sig is written only on success.
 */
int bh_sig_parse_hex(const char *s, size_t len, uint8_t ret_sig[static 65])
	__attribute__((warn_unused_result));

/* The same for a raw 65-byte wallet signature r||s||v. */
int bh_sig_normalize(const uint8_t raw[static 65], uint8_t ret_sig[static 65])
	__attribute__((warn_unused_result));

/*
 * Canonical text of a normalized signature: "0x" + 130 lower-case hex digits
 * with v = 27 + recid, NUL-terminated.  BH_ERR_RECOVERY_ID if sig[64] > 1.
 */
int bh_sig_format_hex(const uint8_t sig[static 65], char out[static BH_SIG_STR_LEN + 1]);

/* The wallet's raw 65 bytes (v = 27 + recid) of a normalized signature. */
int bh_sig_to_wallet(const uint8_t sig[static 65], uint8_t ret_raw[static 65]);

/* personal_sign: RFC 6979 signature of the EIP-191 digest (normalized form). */
int bh_eth_sign_personal(const uint8_t priv[static 32], const void *msg, size_t msglen,
                         uint8_t ret_sig[static 65]) __attribute__((warn_unused_result));

/*
 * Verify that a normalized signature over the EIP-191 digest of msg recovers to
 * expected_addr.  0 on success, BH_ERR_MISMATCH if another address recovers
 * (compared in constant time), or the recovery error (BH_ERR_SIGNATURE,
 * BH_ERR_HIGH_S, BH_ERR_RECOVERY_ID).
 */
int bh_eth_verify_personal(const char *msg, size_t msglen, const uint8_t sig[static 65],
                           const uint8_t expected_addr[static 20])
	__attribute__((warn_unused_result));

#endif

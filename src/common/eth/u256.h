/* SPDX-License-Identifier: MIT */
/*
 * 256-bit unsigned integers as 32 big-endian bytes — the ABI word and RLP quantity layout,
 * so a value moves between the wire, ABI values and arithmetic with a memcpy.
 *
 * Functions take uint8_t[32] arrays; struct bh_u256 wraps the same 32 bytes where a typed
 * field reads better (decoded events): pass `x.be`.
 *
 * Arithmetic never wraps: a result that does not fit 256 bits (or is negative) is
 * BH_ERR_RANGE and ret is left untouched.  ret may alias a or b.
 */
#ifndef BH_U256_H
#define BH_U256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define BH_U256_DEC_MAX 79   /* 78 digits + NUL */
#define BH_U256_HEX_MAX 67   /* "0x" + 64 digits + NUL */

struct bh_u256 {
	uint8_t be[32];
};

void bh_u256_from_u64(uint64_t x, uint8_t ret[static 32]);
/* BH_ERR_RANGE if the value does not fit in 64 bits. */
int bh_u256_to_u64(const uint8_t be[static 32], uint64_t *ret) __attribute__((warn_unused_result));
bool bh_u256_is_zero(const uint8_t a[static 32]);
/* <0, 0, >0 as a <, ==, > b (not constant-time). */
int bh_u256_cmp(const uint8_t a[static 32], const uint8_t b[static 32]);

/* a + b, a - b (BH_ERR_RANGE if b > a), a * b, a * (64-bit) b: BH_ERR_RANGE on overflow. */
int bh_u256_add(const uint8_t a[static 32], const uint8_t b[static 32], uint8_t ret[static 32])
	__attribute__((warn_unused_result));
int bh_u256_sub(const uint8_t a[static 32], const uint8_t b[static 32], uint8_t ret[static 32])
	__attribute__((warn_unused_result));
int bh_u256_mul(const uint8_t a[static 32], const uint8_t b[static 32], uint8_t ret[static 32])
	__attribute__((warn_unused_result));
int bh_u256_mul_u64(const uint8_t a[static 32], uint64_t b, uint8_t ret[static 32])
	__attribute__((warn_unused_result));

/* Decimal digits only, no sign, no leading zeros except "0"; BH_ERR_FORMAT otherwise,
 * BH_ERR_RANGE above 2^256-1. */
int bh_u256_from_dec(const char *s, uint8_t ret[static 32]);
/* Decimal text of a (no leading zeros); out holds BH_U256_DEC_MAX bytes. */
void bh_u256_to_dec(const uint8_t be[static 32], char out[static BH_U256_DEC_MAX]);
/* "0x"/"0X" then 1..64 hex digits (leading zeros allowed); BH_ERR_FORMAT without the prefix
 * or digits, BH_ERR_RANGE above 64 digits, BH_ERR_HEX on a non-hex digit. */
int bh_u256_from_hex(const char *s, uint8_t ret[static 32]);
/* "0x" + lower-case hex without leading zeros ("0x0" for zero, the JSON-RPC quantity
 * form); out holds BH_U256_HEX_MAX bytes. */
void bh_u256_to_hex(const uint8_t be[static 32], char out[static BH_U256_HEX_MAX]);
/* bh_u256_from_hex for a "0x" prefix, else bh_u256_from_dec. */
int bh_u256_from_str(const char *s, uint8_t ret[static 32]);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Hexadecimal codec.  Decoding accepts upper- and lower-case digits and no
 * other characters; an optional "0x"/"0X" prefix is accepted only where the
 * function name says so.  The _ct variants run in time independent of the
 * digit values (used for keys, signatures and secrets).
 */
#ifndef BH_HEX_H
#define BH_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* out must hold 2*n+1 bytes; always NUL-terminates; lower-case. Constant-time. */
void bh_hex_encode(const uint8_t *in, size_t n, char *out);
/* Heap variant: "0x" prefix if with_prefix.  NULL on allocation failure. */
char *bh_hex_encode_alloc(const uint8_t *in, size_t n, bool with_prefix);

/*
 * Decode exactly `hexlen` hex digits from hex into out (outlen = hexlen/2 bytes
 * required).  Returns BH_ERR_LENGTH if hexlen is odd or outlen is not hexlen/2,
 * BH_ERR_HEX on a non-hex character.  Constant-time in the digit values.
 * On error out is zeroed.
 */
int bh_hex_decode_ct(const char *hex, size_t hexlen, uint8_t *out, size_t outlen);

/* Decode a NUL-terminated string with optional 0x into exactly outlen bytes. */
int bh_hex_decode_exact(const char *s, uint8_t *out, size_t outlen);

/*
 * Decode a NUL-terminated string with optional 0x into a new heap buffer
 * (*ret, *ret_len).  maxlen bounds the decoded size (BH_ERR_LIMIT).
 */
int bh_hex_decode_alloc(const char *s, size_t maxlen, uint8_t **ret, size_t *ret_len);

/* s past an optional "0x"/"0X" prefix. */
const char *bh_hex_skip_prefix(const char *s);

#endif

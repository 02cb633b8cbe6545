/* SPDX-License-Identifier: MIT */
/*
 * Private to abi-*.c: the helpers the ABI files share.  Not for other users; the public
 * contract is abi.h.
 */
#ifndef BH_ABI_INT_H
#define BH_ABI_INT_H

#include "eth/abi.h"

/* Where in a value an error is ("param 3.1[2]"), for messages. */
struct bh_abi_path {
	char s[160];
	size_t n;
	const size_t *map;   /* top-level index -> parameter number (event data) or NULL */
};

static inline size_t bh_abi__pad32(size_t n)
{
	return (n + 31) & ~(size_t)31;
}

/* abi-value.c */
bool bh_abi__word_is_zero(const uint8_t *w, size_t n);
/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool bh_abi__utf8_valid(const uint8_t *s, size_t n);
/* A NUL-terminated heap copy of data as a BYTES or STRING value; -ENOMEM. */
int bh_abi__value_bytes(struct bh_abi_value *v, enum bh_abi_kind kind, const void *data,
                        size_t len);
/* NULL if w is a canonical word of scalar type t, else what is wrong. */
const char *bh_abi__word_check(const struct bh_abi_type *t, const uint8_t w[32]);
/* Type of item i of a tuple or array type. */
const struct bh_abi_type *bh_abi__seq_type(const struct bh_abi_type *t, size_t i);
size_t bh_abi__path_push(struct bh_abi_path *p, const struct bh_abi_type *container, size_t i);
void bh_abi__path_pop(struct bh_abi_path *p, size_t old);
/* Fill msg with "<path> (<type>): what" and return r. */
int bh_abi__vfail(struct bh_msg *msg, const struct bh_abi_path *p, const struct bh_abi_type *t,
                  int r, const char *what);
/* Two's complement negation of an intN word in place (the unsigned math is u256.h). */
void bh_abi__neg256(uint8_t w[32]);
/* Human-readable text of v appended to b (errors ignored: the text is for messages). */
void bh_abi__render(const struct bh_abi_value *v, struct bh_buf *b);
/* prefix + render(v) into out[n], truncated. */
void bh_abi__render_text(char *out, size_t n, const char *prefix, const struct bh_abi_value *v);

/* abi-type.c */
/* Fill dynamic/head/depth from the children; BH_ERR_LIMIT on size or depth caps. */
int bh_abi__type_finish(struct bh_abi_type *t, struct bh_msg *msg);
/* Canonical type name into out[n] for messages (truncated). */
const char *bh_abi__tname(const struct bh_abi_type *t, char *out, size_t n);

/* abi-dec.c */
/* Decode exactly [data, data+len) as t; map renames top-level indexes in messages. */
int bh_abi__decode_top(const struct bh_abi_type *t, const uint8_t *data, size_t len,
                       const size_t *map, struct bh_msg *msg, struct bh_abi_value **ret);

#endif

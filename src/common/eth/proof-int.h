/* SPDX-License-Identifier: MIT */
/*
 * Private to header.c, receipt.c and proof.c: named JSON field readers over the strict
 * RPC value parsers of eth/rpc.h, each prefixing the field name to msg.
 */
#ifndef BH_PROOF_INT_H
#define BH_PROOF_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "core/hex.h"
#include "core/json.h"
#include "eth/rpc.h"

/* Prepend "what: " to msg's text (NULL-safe). */
static inline void bh_proof_prefix(struct bh_msg *msg, const char *what)
{
	if (!msg)
		return;
	char tmp[sizeof(msg->text)];
	memcpy(tmp, msg->text, sizeof(tmp));
	bh_msg_set(msg, "%s: %s", what, tmp);
}

/* o[key]; absent and JSON null are the same: *ret = NULL, or BH_ERR_MISSING_KEY if required. */
static inline int bh_proof_field(const json_t *o, const char *key, bool required,
				 const json_t **ret, struct bh_msg *msg)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (required) {
			bh_msg_set(msg, "missing \"%s\"", key);
			return BH_ERR_MISSING_KEY;
		}
		*ret = NULL;
		return 0;
	}
	*ret = v;
	return 0;
}

static inline int bh_proof_named(int r, const char *key, struct bh_msg *msg)
{
	if (r < 0 && msg) {
		char k[80];
		snprintf(k, sizeof(k), "\"%s\"", key);
		bh_proof_prefix(msg, k);
	}
	return r;
}

static inline int bh_proof_q64(const json_t *o, const char *key, uint64_t *ret, struct bh_msg *msg)
{
	const json_t *v;
	int r = bh_proof_field(o, key, true, &v, msg);
	if (r < 0)
		return r;
	return bh_proof_named(bh_rpc_parse_quantity(v, ret, msg), key, msg);
}

static inline int bh_proof_q256(const json_t *o, const char *key, uint8_t ret[static 32],
				struct bh_msg *msg)
{
	const json_t *v;
	int r = bh_proof_field(o, key, true, &v, msg);
	if (r < 0)
		return r;
	return bh_proof_named(bh_rpc_parse_quantity256(v, ret, msg), key, msg);
}

static inline int bh_proof_fixed(const json_t *o, const char *key, uint8_t *ret, size_t n,
				 struct bh_msg *msg)
{
	const json_t *v;
	int r = bh_proof_field(o, key, true, &v, msg);
	if (r < 0)
		return r;
	return bh_proof_named(bh_rpc_parse_fixed(v, ret, n, msg), key, msg);
}

/* A "0x" + even-hex data string: *ret_hex past the prefix, *ret_n bytes.  Not decoded. */
static inline int bh_proof_hexstr(const json_t *v, const char **ret_hex, size_t *ret_n,
				  struct bh_msg *msg)
{
	if (!json_is_string(v)) {
		bh_msg_set(msg, "data must be a string, got %s", bh_json_type_name(v));
		return BH_ERR_WRONG_TYPE;
	}
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		bh_msg_set(msg, "data must start with 0x");
		return BH_ERR_FORMAT;
	}
	if ((len - 2) % 2) {
		bh_msg_set(msg, "data has an odd number of hex digits");
		return BH_ERR_LENGTH;
	}
	*ret_hex = s + 2;
	*ret_n = (len - 2) / 2;
	return 0;
}

/* Exactly n bytes of data of any size (bh_rpc_parse_fixed stops at 64). */
static inline int bh_proof_fixed_any(const json_t *v, uint8_t *ret, size_t n, struct bh_msg *msg)
{
	const char *h;
	size_t nb;
	int r = bh_proof_hexstr(v, &h, &nb, msg);
	if (r < 0)
		return r;
	if (nb != n) {
		bh_msg_set(msg, "expected %zu bytes of data, got %zu", n, nb);
		return BH_ERR_LENGTH;
	}
	if ((r = bh_hex_decode_ct(h, 2 * n, ret, n)) < 0)
		bh_msg_set(msg, "data is not hex");
	return r;
}

static inline int bh_proof_fixed_big(const json_t *o, const char *key, uint8_t *ret, size_t n,
				     struct bh_msg *msg)
{
	const json_t *v;
	int r = bh_proof_field(o, key, true, &v, msg);
	if (r < 0)
		return r;
	return bh_proof_named(bh_proof_fixed_any(v, ret, n, msg), key, msg);
}

#endif

/* SPDX-License-Identifier: MIT */
/* Solidity ABI: values to and from JSON (jansson) (see abi.h). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/hex.h"
#include "eth/abi-int.h"

/* ------------------------------------------------------------------ JSON */

void *bh_json_hex(const void *p, size_t n)
{
	char *h = bh_hex_encode_alloc(p, n, true);
	json_t *j = h ? json_string(h) : NULL;

	free(h);
	return j;
}

void *bh_abi_value_to_json(const struct bh_abi_value *v)
{
	switch (v->kind) {
	case BH_ABI_UINT:
	case BH_ABI_INT: {
		struct bh_buf b;
		json_t *j = NULL;
		bh_buf_init(&b, 128);
		bh_abi__render(v, &b);
		j = json_stringn((const char *)bh_buf_ptr(&b), bh_buf_len(&b));
		bh_buf_done(&b);
		return j;
	}
	case BH_ABI_BOOL:
		return json_boolean(v->u.word[31]);
	case BH_ABI_ADDRESS:
	case BH_ABI_FIXED_BYTES:
	case BH_ABI_BYTES: {
		const uint8_t *p = v->kind == BH_ABI_ADDRESS ? v->u.word + 12 :
				   v->kind == BH_ABI_BYTES ? v->u.bytes.data : v->u.word;
		size_t n = v->kind == BH_ABI_ADDRESS ? 20 : v->kind == BH_ABI_BYTES ? v->u.bytes.len :
			   v->size ? v->size : 32;
		return bh_json_hex(p, n);
	}
	case BH_ABI_STRING:
		return json_stringn((const char *)v->u.bytes.data, v->u.bytes.len);
	default: {
		json_t *a = json_array();
		for (size_t i = 0; a && i < v->u.list.n; i++) {
			json_t *e = bh_abi_value_to_json(&v->u.list.items[i]);
			if (!e || json_array_append_new(a, e) < 0) {
				json_decref(a);
				return NULL;
			}
		}
		return a;
	}
	}
}

static int json_hex(const json_t *j, size_t maxlen, uint8_t **ret, size_t *ret_len)
{
	if (!json_is_string(j))
		return BH_ERR_WRONG_TYPE;
	const char *s = json_string_value(j);
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return BH_ERR_HEX;
	return bh_hex_decode_alloc(s, maxlen, ret, ret_len);
}

static int from_json(const struct bh_abi_type *t, const json_t *j, struct bh_abi_path *p,
                     struct bh_msg *msg, struct bh_abi_value *ret)
{
	struct bh_abi_value v;
	uint8_t *bin = NULL;
	size_t n = 0;
	int r;

	memset(&v, 0, sizeof(v));
	switch (t->kind) {
	case BH_ABI_UINT:
	case BH_ABI_INT: {
		bool neg = false;
		v.kind = t->kind;
		if (json_is_integer(j)) {
			json_int_t x = json_integer_value(j);
			neg = x < 0;
			bh_u256_from_u64(neg ? (uint64_t)0 - (uint64_t)x : (uint64_t)x, v.u.word);
		} else if (json_is_string(j)) {
			const char *s = json_string_value(j);
			if (s[0] == '-') {
				neg = true;
				s++;
			}
			if ((r = bh_u256_from_str(s, v.u.word)) < 0)
				return bh_abi__vfail(msg, p, t, r, "not a number");
		} else {
			return bh_abi__vfail(msg, p, t, BH_ERR_WRONG_TYPE, "expected a number or numeric string");
		}
		if (neg) {
			if (t->kind == BH_ABI_UINT)
				return bh_abi__vfail(msg, p, t, BH_ERR_RANGE, "negative value for an unsigned type");
			bool was_nz = !bh_abi__word_is_zero(v.u.word, 32);
			bh_abi__neg256(v.u.word);
			if (was_nz && !(v.u.word[0] & 0x80))
				return bh_abi__vfail(msg, p, t, BH_ERR_RANGE, "value does not fit the type");
		} else if (t->kind == BH_ABI_INT && (v.u.word[0] & 0x80)) {
			return bh_abi__vfail(msg, p, t, BH_ERR_RANGE, "value does not fit the type");
		}
		const char *why = bh_abi__word_check(t, v.u.word);
		if (why)
			return bh_abi__vfail(msg, p, t, BH_ERR_RANGE, why);
		*ret = v;
		return 0;
	}
	case BH_ABI_BOOL:
		if (!json_is_boolean(j))
			return bh_abi__vfail(msg, p, t, BH_ERR_WRONG_TYPE, "expected true or false");
		bh_abi_value_bool(ret, json_is_true(j));
		return 0;
	case BH_ABI_ADDRESS:
	case BH_ABI_FIXED_BYTES: {
		size_t want = t->kind == BH_ABI_ADDRESS ? 20 : t->size;
		if ((r = json_hex(j, 32, &bin, &n)) < 0 || n != want) {
			free(bin);
			return bh_abi__vfail(msg, p, t, r < 0 ? r : BH_ERR_LENGTH, "expected 0x hex of the type's size");
		}
		if (t->kind == BH_ABI_ADDRESS)
			bh_abi_value_address(ret, bin);
		else
			bh_abi_value_fixed_bytes(ret, bin, n);
		free(bin);
		return 0;
	}
	case BH_ABI_BYTES:
		if ((r = json_hex(j, BH_ABI_MAX_DATA, &bin, &n)) < 0)
			return bh_abi__vfail(msg, p, t, r, "expected 0x hex");
		r = bh_abi_value_bytes(ret, bin, n);
		free(bin);
		return r;
	case BH_ABI_STRING:
		if (!json_is_string(j))
			return bh_abi__vfail(msg, p, t, BH_ERR_WRONG_TYPE, "expected a string");
		return bh_abi__value_bytes(ret, BH_ABI_STRING, json_string_value(j), json_string_length(j));
	default: {
		if (!json_is_array(j))
			return bh_abi__vfail(msg, p, t, BH_ERR_WRONG_TYPE, "expected a JSON array");
		n = json_array_size(j);
		if (t->kind != BH_ABI_ARRAY && n != t->len)
			return bh_abi__vfail(msg, p, t, BH_ERR_LENGTH, "wrong number of items");
		if ((r = bh_abi_value_list(&v, t->kind, n)) < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			size_t old = bh_abi__path_push(p, t, i);
			r = from_json(bh_abi__seq_type(t, i), json_array_get(j, i), p, msg, &v.u.list.items[i]);
			bh_abi__path_pop(p, old);
			if (r < 0) {
				bh_abi_value_clear(&v);
				return r;
			}
		}
		*ret = v;
		return 0;
	}
	}
}

int bh_abi_value_from_json(const struct bh_abi_type *t, const void *json, struct bh_abi_value *ret,
                           struct bh_msg *msg)
{
	struct bh_abi_path p = { .n = 0 };
	p.s[0] = '\0';
	return from_json(t, json, &p, msg, ret);
}

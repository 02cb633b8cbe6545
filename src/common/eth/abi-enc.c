/* SPDX-License-Identifier: MIT */
/* Solidity ABI: encoding (see abi.h). */
#include <stdio.h>
#include <string.h>

#include "eth/abi-int.h"

static int enc_check(const struct bh_abi_type *t, const struct bh_abi_value *v,
                     struct bh_abi_path *p, struct bh_msg *msg, unsigned depth)
{
	const char *why;
	int r;

	if (depth > BH_ABI_MAX_DEPTH)
		return bh_abi__vfail(msg, p, t, BH_ERR_LIMIT, "nested too deeply");
	switch (t->kind) {
	case BH_ABI_UINT:
	case BH_ABI_INT:
		if (v->kind != BH_ABI_UINT && v->kind != BH_ABI_INT)
			return bh_abi__vfail(msg, p, t, BH_ERR_WRONG_TYPE, "value is not a number");
		if ((why = bh_abi__word_check(t, v->u.word)))
			return bh_abi__vfail(msg, p, t, BH_ERR_RANGE, why);
		return 0;
	case BH_ABI_BOOL:
	case BH_ABI_ADDRESS:
	case BH_ABI_FIXED_BYTES:
		if (v->kind != t->kind)
			return bh_abi__vfail(msg, p, t, BH_ERR_WRONG_TYPE, "value has another type");
		if ((why = bh_abi__word_check(t, v->u.word)))
			return bh_abi__vfail(msg, p, t, BH_ERR_RANGE, why);
		return 0;
	case BH_ABI_BYTES:
	case BH_ABI_STRING:
		if (v->kind != t->kind)
			return bh_abi__vfail(msg, p, t, BH_ERR_WRONG_TYPE, "value has another type");
		if (v->u.bytes.len > BH_ABI_MAX_DATA)
			return bh_abi__vfail(msg, p, t, BH_ERR_LIMIT, "too long");
		if (t->kind == BH_ABI_STRING) {
			if (memchr(v->u.bytes.data, 0, v->u.bytes.len))
				return bh_abi__vfail(msg, p, t, BH_ERR_NUL, "string contains a NUL byte");
			if (!bh_abi__utf8_valid(v->u.bytes.data, v->u.bytes.len))
				return bh_abi__vfail(msg, p, t, BH_ERR_UTF8, "string is not valid UTF-8");
		}
		return 0;
	case BH_ABI_ARRAY:
	case BH_ABI_FIXED_ARRAY:
	case BH_ABI_TUPLE: {
		size_t want = t->len;
		if (v->kind != t->kind && !(t->kind == BH_ABI_FIXED_ARRAY && v->kind == BH_ABI_ARRAY))
			return bh_abi__vfail(msg, p, t, BH_ERR_WRONG_TYPE, "value has another type");
		if (t->kind != BH_ABI_ARRAY && v->u.list.n != want) {
			char w[64];
			snprintf(w, sizeof(w), "%zu items, expected %zu", v->u.list.n, want);
			return bh_abi__vfail(msg, p, t, BH_ERR_LENGTH, w);
		}
		if (v->u.list.n > BH_ABI_MAX_DATA / 32)
			return bh_abi__vfail(msg, p, t, BH_ERR_LIMIT, "too many items");
		for (size_t i = 0; i < v->u.list.n; i++) {
			size_t old = bh_abi__path_push(p, t, i);
			r = enc_check(bh_abi__seq_type(t, i), &v->u.list.items[i], p, msg, depth + 1);
			bh_abi__path_pop(p, old);
			if (r < 0)
				return r;
		}
		return 0;
	}
	}
	return BH_ERR_INTERNAL;
}

/* Encoded size of a checked value (head+tail for tuples, tail for dynamic). */
static size_t enc_size(const struct bh_abi_type *t, const struct bh_abi_value *v)
{
	switch (t->kind) {
	case BH_ABI_BYTES:
	case BH_ABI_STRING:
		return 32 + bh_abi__pad32(v->u.bytes.len);
	case BH_ABI_ARRAY:
	case BH_ABI_FIXED_ARRAY:
	case BH_ABI_TUPLE: {
		size_t s = t->kind == BH_ABI_ARRAY ? 32 : 0;
		for (size_t i = 0; i < v->u.list.n; i++) {
			const struct bh_abi_type *et = bh_abi__seq_type(t, i);
			s += et->dynamic ? 32 + enc_size(et, &v->u.list.items[i]) : et->head;
		}
		return s;
	}
	default:
		return 32;
	}
}

static int put_word_u64(struct bh_buf *out, uint64_t x)
{
	uint8_t w[32];
	bh_u256_from_u64(x, w);
	return bh_buf_put(out, w, 32);
}

static int enc_write(const struct bh_abi_type *t, const struct bh_abi_value *v, struct bh_buf *out)
{
	static const uint8_t zero[32];
	int r;

	switch (t->kind) {
	case BH_ABI_BYTES:
	case BH_ABI_STRING: {
		size_t n = v->u.bytes.len;
		if ((r = put_word_u64(out, n)) < 0 || (r = bh_buf_put(out, v->u.bytes.data, n)) < 0)
			return r;
		return bh_buf_put(out, zero, bh_abi__pad32(n) - n);
	}
	case BH_ABI_ARRAY:
	case BH_ABI_FIXED_ARRAY:
	case BH_ABI_TUPLE: {
		size_t n = v->u.list.n, head = 0, tail;
		if (t->kind == BH_ABI_ARRAY && (r = put_word_u64(out, n)) < 0)
			return r;
		for (size_t i = 0; i < n; i++)
			head += bh_abi__seq_type(t, i)->head;
		tail = head;
		for (size_t i = 0; i < n; i++) {
			const struct bh_abi_type *et = bh_abi__seq_type(t, i);
			if (et->dynamic) {
				if ((r = put_word_u64(out, tail)) < 0)
					return r;
				tail += enc_size(et, &v->u.list.items[i]);
			} else if ((r = enc_write(et, &v->u.list.items[i], out)) < 0) {
				return r;
			}
		}
		for (size_t i = 0; i < n; i++) {
			const struct bh_abi_type *et = bh_abi__seq_type(t, i);
			if (et->dynamic && (r = enc_write(et, &v->u.list.items[i], out)) < 0)
				return r;
		}
		return 0;
	}
	default:
		return bh_buf_put(out, v->u.word, 32);
	}
}

int bh_abi_encode(const struct bh_abi_type *t, const struct bh_abi_value *v, struct bh_buf *out,
                  struct bh_msg *msg)
{
	struct bh_abi_path p = { .n = 0 };
	size_t before = bh_buf_len(out);
	int r;

	p.s[0] = '\0';
	if ((r = enc_check(t, v, &p, msg, 0)) < 0)
		return r;
	/* a dynamic top-level value that is not a tuple is encoded as a 1-tuple (as decoded) */
	if (t->kind != BH_ABI_TUPLE && t->dynamic)
		r = put_word_u64(out, 32);
	if (r < 0 || (r = enc_write(t, v, out)) < 0) {
		(void)bh_buf_truncate(out, before);
		bh_msg_set(msg, "encoding does not fit the output buffer");
		return r;
	}
	return 0;
}

int bh_abi_encode_call(const struct bh_abi_sig *sig, const struct bh_abi_value *args,
                       struct bh_buf *out, struct bh_msg *msg)
{
	size_t before = bh_buf_len(out);
	int r;

	if ((r = bh_buf_put(out, sig->selector, 4)) < 0)
		return r;
	if ((r = bh_abi_encode(sig->params, args, out, msg)) < 0)
		(void)bh_buf_truncate(out, before);
	return r;
}

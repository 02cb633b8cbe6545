/* SPDX-License-Identifier: MIT */
/* Solidity ABI: strict decoding of data, calldata, logs and revert data (see abi.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eth/abi-int.h"

/* ------------------------------------------------------------------ decoding */

struct dec {
	struct bh_buf in;   /* view over the whole data; all reads via bh_buf_peek_at */
	size_t len;
	struct bh_msg *msg;
	struct bh_abi_path p;
};

static int dfail(struct dec *d, const struct bh_abi_type *t, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int dfail(struct dec *d, const struct bh_abi_type *t, int r, const char *fmt, ...)
{
	char what[200], tn[96];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	bh_msg_set(d->msg, "%s (%s): %s", d->p.n ? d->p.s : "value", bh_abi__tname(t, tn, sizeof(tn)),
		   what);
	return r;
}

/* A 32-byte word at pos holding a count or offset; BH_ERR_RANGE above 2^32-1 (message set). */
static int read_size_word(struct dec *d, const struct bh_abi_type *t, size_t pos, const char *what,
                          size_t *ret)
{
	const uint8_t *w;
	uint64_t x;

	if (bh_buf_peek_at(&d->in, pos, 32, &w) < 0)
		return dfail(d, t, BH_ERR_INCOMPLETE, "%s word at 0x%zx beyond data (%zu bytes)", what,
			     pos, d->len);
	if (bh_u256_to_u64(w, &x) < 0 || x > UINT32_MAX)
		return dfail(d, t, BH_ERR_RANGE, "%s at 0x%zx is too large", what, pos);
	*ret = (size_t)x;
	return 0;
}

static int dec_value(struct dec *d, const struct bh_abi_type *t, size_t pos,
                     struct bh_abi_value *out, size_t *ret_size);

/* n items (types via bh_abi__seq_type(t, i)) encoded as a head+tail block at pos. */
static int dec_seq(struct dec *d, const struct bh_abi_type *t, size_t n, size_t pos,
                   struct bh_abi_value *items, size_t *ret_size)
{
	size_t head = 0, tail;
	int r;

	for (size_t i = 0; i < n; i++) {
		head += bh_abi__seq_type(t, i)->head;
		if (head > d->len)
			break;
	}
	if (head > d->len - pos)
		return dfail(d, t, BH_ERR_INCOMPLETE, "head of %zu bytes at 0x%zx beyond data (%zu bytes)",
			     head, pos, d->len);
	tail = pos + head;
	size_t hoff = pos;
	for (size_t i = 0; i < n; i++) {
		const struct bh_abi_type *et = bh_abi__seq_type(t, i);
		size_t old = bh_abi__path_push(&d->p, t, i), sz, off;
		if (!et->dynamic) {
			r = dec_value(d, et, hoff, &items[i], &sz);
		} else if ((r = read_size_word(d, et, hoff, "offset", &off)) < 0) {
			/* message set */
		} else if (off > d->len - pos) {
			r = dfail(d, et, BH_ERR_INCOMPLETE, "offset 0x%zx beyond data (%zu bytes)", off,
				  d->len);
		} else if (pos + off != tail) {
			r = dfail(d, et, BH_ERR_FORMAT, "offset 0x%zx is not canonical (expected 0x%zx)",
				  off, tail - pos);
		} else if ((r = dec_value(d, et, tail, &items[i], &sz)) == 0) {
			tail += sz;
		}
		bh_abi__path_pop(&d->p, old);
		if (r < 0)
			return r;
		hoff += et->head;
	}
	*ret_size = tail - pos;
	return 0;
}

static int dec_value(struct dec *d, const struct bh_abi_type *t, size_t pos,
                     struct bh_abi_value *out, size_t *ret_size)
{
	const uint8_t *w;
	const char *why;
	size_t n, sz;
	int r;

	switch (t->kind) {
	case BH_ABI_BYTES:
	case BH_ABI_STRING: {
		if ((r = read_size_word(d, t, pos, "length", &n)) < 0)
			return r;
		size_t avail = d->len - pos - 32;   /* read_size_word proved pos+32 <= len */
		if (n > avail || bh_abi__pad32(n) > avail)
			return dfail(d, t, BH_ERR_INCOMPLETE, "length %zu at 0x%zx beyond data (%zu bytes)",
				     n, pos, d->len);
		if (bh_buf_peek_at(&d->in, pos + 32, bh_abi__pad32(n), &w) < 0)
			return BH_ERR_INTERNAL;
		if (!bh_abi__word_is_zero(w + n, bh_abi__pad32(n) - n))
			return dfail(d, t, BH_ERR_FORMAT, "nonzero padding after %zu bytes", n);
		if (t->kind == BH_ABI_STRING) {
			if (memchr(w, 0, n))
				return dfail(d, t, BH_ERR_NUL, "string contains a NUL byte");
			if (!bh_abi__utf8_valid(w, n))
				return dfail(d, t, BH_ERR_UTF8, "string is not valid UTF-8");
		}
		if ((r = bh_abi__value_bytes(out, t->kind, w, n)) < 0)
			return r;
		*ret_size = 32 + bh_abi__pad32(n);
		return 0;
	}
	case BH_ABI_ARRAY:
	case BH_ABI_FIXED_ARRAY:
	case BH_ABI_TUPLE: {
		size_t base = pos, extra = 0;
		if (t->kind == BH_ABI_ARRAY) {
			if ((r = read_size_word(d, t, pos, "length", &n)) < 0)
				return r;
			/* cap before allocating: every item takes at least its head in the data */
			if (n > (d->len - pos - 32) / t->elem->head)
				return dfail(d, t, BH_ERR_INCOMPLETE,
					     "%zu items at 0x%zx do not fit the data (%zu bytes)", n, pos,
					     d->len);
			base += 32;
			extra = 32;
		} else {
			n = t->len;
			size_t h = 0;
			for (size_t i = 0; i < n && h <= d->len; i++)
				h += bh_abi__seq_type(t, i)->head;
			if (h > d->len - pos)
				return dfail(d, t, BH_ERR_INCOMPLETE, "head at 0x%zx beyond data (%zu bytes)",
					     pos, d->len);
		}
		if ((r = bh_abi_value_list(out, t->kind, n)) < 0)
			return r;
		if ((r = dec_seq(d, t, n, base, out->u.list.items, &sz)) < 0) {
			bh_abi_value_clear(out);
			return r;
		}
		*ret_size = sz + extra;
		return 0;
	}
	default:
		if (bh_buf_peek_at(&d->in, pos, 32, &w) < 0)
			return dfail(d, t, BH_ERR_INCOMPLETE, "word at 0x%zx beyond data (%zu bytes)", pos,
				     d->len);
		if ((why = bh_abi__word_check(t, w)))
			return dfail(d, t, BH_ERR_FORMAT, "%s", why);
		out->kind = t->kind;
		out->size = t->kind == BH_ABI_FIXED_BYTES ? t->size : 0;
		memcpy(out->u.word, w, 32);
		*ret_size = 32;
		return 0;
	}
}

int bh_abi__decode_top(const struct bh_abi_type *t, const uint8_t *data, size_t len,
                      const size_t *map, struct bh_msg *msg, struct bh_abi_value **ret)
{
	struct dec d = { .len = len, .msg = msg };
	d.p.map = map;
	struct bh_abi_value *v = NULL;
	size_t sz = 0;
	int r;

	d.p.s[0] = '\0';
	if (len > BH_ABI_MAX_DATA) {
		bh_msg_set(msg, "ABI data of %zu bytes exceeds the %u-byte limit", len, BH_ABI_MAX_DATA);
		return BH_ERR_LIMIT;
	}
	bh_buf_view(&d.in, data, len);
	if (!(v = calloc(1, sizeof(*v))))
		return -ENOMEM;
	/* a dynamic top-level value that is not a tuple is encoded as a 1-tuple */
	if (t->kind != BH_ABI_TUPLE && t->dynamic) {
		struct bh_abi_type wrap = { .kind = BH_ABI_TUPLE, .len = 1 };
		struct bh_abi_type *m = (struct bh_abi_type *)t;
		struct bh_abi_value one;
		wrap.members = &m;
		wrap.head = 32;
		memset(&one, 0, sizeof(one));
		if ((r = dec_seq(&d, &wrap, 1, 0, &one, &sz)) < 0)
			goto out;
		*v = one;
	} else if ((r = dec_value(&d, t, 0, v, &sz)) < 0) {
		goto out;
	}
	if (sz != len) {
		char tn[96];
		bh_msg_set(msg, "%zu bytes of trailing data after the %zu-byte %s encoding", len - sz, sz,
			   bh_abi__tname(t, tn, sizeof(tn)));
		r = BH_ERR_TRAILING;
		goto out;
	}
	*ret = v;
	v = NULL;
	r = 0;
out:
	bh_abi_value_free(v);
	return r;
}

int bh_abi_decode(const struct bh_abi_type *t, const uint8_t *data, size_t len,
                  struct bh_abi_value **ret, struct bh_msg *msg)
{
	return bh_abi__decode_top(t, data, len, NULL, msg, ret);
}

int bh_abi_decode_buf(const struct bh_abi_type *t, const struct bh_buf *in, struct bh_abi_value **ret,
                      struct bh_msg *msg)
{
	return bh_abi__decode_top(t, bh_buf_ptr(in), bh_buf_len(in), NULL, msg, ret);
}

int bh_abi_decode_call(const struct bh_abi_sig *sig, const uint8_t *data, size_t len,
                       struct bh_abi_value **ret, struct bh_msg *msg)
{
	if (len < 4) {
		bh_msg_set(msg, "calldata of %zu bytes has no selector", len);
		return BH_ERR_INCOMPLETE;
	}
	if (memcmp(data, sig->selector, 4)) {
		bh_msg_set(msg, "selector %02x%02x%02x%02x is not %s", data[0], data[1], data[2], data[3],
			   sig->canonical);
		return BH_ERR_MISMATCH;
	}
	return bh_abi__decode_top(sig->params, data + 4, len - 4, NULL, msg, ret);
}

int bh_abi_decode_log(const struct bh_abi_sig *sig, const uint8_t (*topics)[32], size_t ntopics,
                      const uint8_t *data, size_t len, struct bh_abi_value **ret,
                      struct bh_msg *msg)
{
	const struct bh_abi_type *params = sig->params;
	struct bh_abi_type nonidx = { .kind = BH_ABI_TUPLE };
	struct bh_abi_value *dv = NULL, *v = NULL;
	size_t nidx = 0, k = 0, ti = 1, *map = NULL;
	int r = -ENOMEM;

	for (size_t i = 0; i < params->len; i++)
		nidx += params->members[i]->indexed;
	if (ntopics != nidx + 1) {
		bh_msg_set(msg, "%s: %zu topics, expected %zu", sig->canonical, ntopics, nidx + 1);
		return BH_ERR_MISMATCH;
	}
	if (memcmp(topics[0], sig->topic, 32)) {
		bh_msg_set(msg, "topic0 is not the hash of %s", sig->canonical);
		return BH_ERR_MISMATCH;
	}
	if (!(nonidx.members = calloc(params->len ? params->len : 1, sizeof(*nonidx.members))) ||
	    !(map = calloc(params->len ? params->len : 1, sizeof(*map)))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < params->len; i++)
		if (!params->members[i]->indexed) {
			map[nonidx.len] = i;
			nonidx.members[nonidx.len++] = params->members[i];
		}
	if ((r = bh_abi__type_finish(&nonidx, msg)) < 0)
		goto out;
	if ((r = bh_abi__decode_top(&nonidx, data, len, map, msg, &dv)) < 0)
		goto out;
	if (!(v = calloc(1, sizeof(*v))) || bh_abi_value_list(v, BH_ABI_TUPLE, params->len) < 0) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < params->len; i++) {
		const struct bh_abi_type *m = params->members[i];
		struct bh_abi_value *item = &v->u.list.items[i];
		if (!m->indexed) {
			*item = dv->u.list.items[k];
			memset(&dv->u.list.items[k++], 0, sizeof(*item));
			continue;
		}
		const uint8_t *w = topics[ti++];
		switch (m->kind) {
		case BH_ABI_BYTES: case BH_ABI_STRING: case BH_ABI_ARRAY:
		case BH_ABI_FIXED_ARRAY: case BH_ABI_TUPLE:
			/* reference types are indexed by the hash of their encoding */
			bh_abi_value_fixed_bytes(item, w, 32);
			break;
		default: {
			const char *why = bh_abi__word_check(m, w);
			if (why) {
				char tn[96];
				bh_msg_set(msg, "param %zu (%s, indexed topic %zu): %s", i,
					   bh_abi__tname(m, tn, sizeof(tn)), ti - 1, why);
				r = BH_ERR_FORMAT;
				goto out;
			}
			item->kind = m->kind;
			item->size = m->kind == BH_ABI_FIXED_BYTES ? m->size : 0;
			memcpy(item->u.word, w, 32);
		}
		}
	}
	*ret = v;
	v = NULL;
	r = 0;
out:
	free(map);
	free(nonidx.members);
	bh_abi_value_free(dv);
	bh_abi_value_free(v);
	return r;
}

static const char *panic_reason(uint64_t code)
{
	switch (code) {
	case 0x00: return "generic compiler panic";
	case 0x01: return "assertion failed";
	case 0x11: return "arithmetic overflow or underflow";
	case 0x12: return "division or modulo by zero";
	case 0x21: return "invalid enum value";
	case 0x22: return "corrupt storage byte array";
	case 0x31: return "pop on empty array";
	case 0x32: return "array index out of bounds";
	case 0x41: return "out of memory";
	case 0x51: return "call to zero-initialized function";
	default: return "unknown panic code";
	}
}

void bh_abi_revert_clear(struct bh_abi_revert *r)
{
	if (!r)
		return;
	bh_abi_value_free(r->args);
	memset(r, 0, sizeof(*r));
}

int bh_abi_decode_revert(const uint8_t *data, size_t len, const struct bh_abi_sig *const *errors,
                         size_t nerrors, struct bh_abi_revert *ret, struct bh_msg *msg)
{
	static const uint8_t sel_error[4] = { 0x08, 0xc3, 0x79, 0xa0 };
	static const uint8_t sel_panic[4] = { 0x4e, 0x48, 0x7b, 0x71 };
	struct bh_abi_revert rv;
	struct bh_abi_type *t = NULL;
	int r;

	memset(&rv, 0, sizeof(rv));
	if (len == 0) {
		rv.kind = BH_ABI_REVERT_EMPTY;
		snprintf(rv.text, sizeof(rv.text), "reverted without a reason");
		*ret = rv;
		return 0;
	}
	if (len < 4) {
		bh_msg_set(msg, "revert data of %zu bytes is shorter than a selector", len);
		return BH_ERR_INCOMPLETE;
	}
	memcpy(rv.selector, data, 4);
	if (!memcmp(data, sel_error, 4) || !memcmp(data, sel_panic, 4)) {
		bool is_err = !memcmp(data, sel_error, 4);
		if ((r = bh_abi_type_parse(is_err ? "(string)" : "(uint256)", &t, msg)) < 0)
			return r;
		r = bh_abi__decode_top(t, data + 4, len - 4, NULL, msg, &rv.args);
		bh_abi_type_free(t);
		if (r < 0)
			return r;
		const struct bh_abi_value *a = &rv.args->u.list.items[0];
		if (is_err) {
			rv.kind = BH_ABI_REVERT_ERROR;
			snprintf(rv.text, sizeof(rv.text), "Error: %s", (const char *)a->u.bytes.data);
		} else {
			uint64_t code;
			rv.kind = BH_ABI_REVERT_PANIC;
			if (bh_u256_to_u64(a->u.word, &code) < 0)
				code = UINT64_MAX;
			snprintf(rv.text, sizeof(rv.text), "Panic 0x%02llx (%s)", (unsigned long long)code,
				 panic_reason(code));
		}
		*ret = rv;
		return 0;
	}
	for (size_t i = 0; i < nerrors; i++) {
		if (memcmp(errors[i]->selector, data, 4))
			continue;
		if ((r = bh_abi__decode_top(errors[i]->params, data + 4, len - 4, NULL, msg, &rv.args)) < 0)
			return r;
		rv.kind = BH_ABI_REVERT_CUSTOM;
		rv.error = errors[i];
		bh_abi__render_text(rv.text, sizeof(rv.text), errors[i]->name, rv.args);
		*ret = rv;
		return 0;
	}
	rv.kind = BH_ABI_REVERT_UNKNOWN;
	snprintf(rv.text, sizeof(rv.text), "unknown custom error 0x%02x%02x%02x%02x (%zu bytes)",
		 data[0], data[1], data[2], data[3], len);
	*ret = rv;
	return 0;
}

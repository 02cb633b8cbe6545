/* SPDX-License-Identifier: MIT */
/* Solidity ABI: values, canonical words, error paths, text rendering (see abi.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "eth/abi-int.h"


bool bh_abi__word_is_zero(const uint8_t *w, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= w[i];
	return acc == 0;
}

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool bh_abi__utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		size_t k;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			k = 1; cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2; cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3; cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i - 1 < k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}
/* ------------------------------------------------------------------ values */

void bh_abi_value_clear(struct bh_abi_value *v)
{
	if (!v)
		return;
	switch (v->kind) {
	case BH_ABI_BYTES:
	case BH_ABI_STRING:
		if (v->u.bytes.data) {
			explicit_bzero(v->u.bytes.data, v->u.bytes.len);
			free(v->u.bytes.data);
		}
		break;
	case BH_ABI_ARRAY:
	case BH_ABI_FIXED_ARRAY:
	case BH_ABI_TUPLE:
		for (size_t i = 0; v->u.list.items && i < v->u.list.n; i++)
			bh_abi_value_clear(&v->u.list.items[i]);
		free(v->u.list.items);
		break;
	default:
		break;
	}
	memset(v, 0, sizeof(*v));
}

struct bh_abi_value *bh_abi_value_free(struct bh_abi_value *v)
{
	if (v) {
		bh_abi_value_clear(v);
		free(v);
	}
	return NULL;
}

void bh_abi_value_uint(struct bh_abi_value *v, uint64_t x)
{
	v->kind = BH_ABI_UINT;
	bh_u256_from_u64(x, v->u.word);
}

void bh_abi_value_u256(struct bh_abi_value *v, const uint8_t be[static 32])
{
	v->kind = BH_ABI_UINT;
	memcpy(v->u.word, be, 32);
}

void bh_abi_value_bool(struct bh_abi_value *v, bool b)
{
	v->kind = BH_ABI_BOOL;
	memset(v->u.word, 0, 32);
	v->u.word[31] = b;
}

void bh_abi_value_address(struct bh_abi_value *v, const uint8_t addr[static 20])
{
	v->kind = BH_ABI_ADDRESS;
	memset(v->u.word, 0, 12);
	memcpy(v->u.word + 12, addr, 20);
}

void bh_abi_value_fixed_bytes(struct bh_abi_value *v, const uint8_t *b, size_t n)
{
	v->kind = BH_ABI_FIXED_BYTES;
	v->size = n > 32 ? 32 : (unsigned)n;
	memset(v->u.word, 0, 32);
	memcpy(v->u.word, b, v->size);
}

int bh_abi__value_bytes(struct bh_abi_value *v, enum bh_abi_kind kind, const void *data, size_t len)
{
	uint8_t *d = malloc(len + 1);
	if (!d)
		return -ENOMEM;
	if (len)
		memcpy(d, data, len);
	d[len] = 0;
	v->kind = kind;
	v->u.bytes.data = d;
	v->u.bytes.len = len;
	return 0;
}

int bh_abi_value_bytes(struct bh_abi_value *v, const void *data, size_t len)
{
	return bh_abi__value_bytes(v, BH_ABI_BYTES, data, len);
}

int bh_abi_value_string(struct bh_abi_value *v, const char *s)
{
	return bh_abi__value_bytes(v, BH_ABI_STRING, s, strlen(s));
}

int bh_abi_value_list(struct bh_abi_value *v, enum bh_abi_kind kind, size_t n)
{
	struct bh_abi_value *items = calloc(n ? n : 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	v->kind = kind;
	v->u.list.items = items;
	v->u.list.n = n;
	return 0;
}

/* ------------------------------------------------------------------ words */

/* NULL if w is a canonical word of scalar type t, else what is wrong. */
const char *bh_abi__word_check(const struct bh_abi_type *t, const uint8_t w[32])
{
	size_t nb;
	switch (t->kind) {
	case BH_ABI_UINT:
		nb = t->size / 8;
		return bh_abi__word_is_zero(w, 32 - nb) ? NULL : "value does not fit the type";
	case BH_ABI_INT: {
		nb = t->size / 8;
		uint8_t fill = (w[32 - nb] & 0x80) ? 0xff : 0x00;
		for (size_t i = 0; i < 32 - nb; i++)
			if (w[i] != fill)
				return "value is not sign-extended (does not fit the type)";
		return NULL;
	}
	case BH_ABI_BOOL:
		return bh_abi__word_is_zero(w, 31) && w[31] <= 1 ? NULL : "bool is not 0 or 1";
	case BH_ABI_ADDRESS:
		return bh_abi__word_is_zero(w, 12) ? NULL : "address has nonzero high 12 bytes";
	case BH_ABI_FIXED_BYTES:
		return bh_abi__word_is_zero(w + t->size, 32 - t->size) ? NULL : "nonzero padding after bytesN";
	default:
		return "not a scalar";
	}
}

const struct bh_abi_type *bh_abi__seq_type(const struct bh_abi_type *t, size_t i)
{
	return t->kind == BH_ABI_TUPLE ? t->members[i] : t->elem;
}


size_t bh_abi__path_push(struct bh_abi_path *p, const struct bh_abi_type *container, size_t i)
{
	size_t old = p->n;
	int k;
	if (p->n == 0)
		k = snprintf(p->s, sizeof(p->s), "param %zu", p->map ? p->map[i] : i);
	else if (container->kind == BH_ABI_TUPLE)
		k = snprintf(p->s + p->n, sizeof(p->s) - p->n, ".%zu", i);
	else
		k = snprintf(p->s + p->n, sizeof(p->s) - p->n, "[%zu]", i);
	if (k > 0)
		p->n = p->n + (size_t)k >= sizeof(p->s) ? sizeof(p->s) - 1 : p->n + (size_t)k;
	return old;
}

void bh_abi__path_pop(struct bh_abi_path *p, size_t old)
{
	p->n = old;
	p->s[old] = '\0';
}

int bh_abi__vfail(struct bh_msg *msg, const struct bh_abi_path *p, const struct bh_abi_type *t,
                  int r, const char *what)
{
	char tn[96];
	bh_msg_set(msg, "%s (%s): %s", p->n ? p->s : "value", bh_abi__tname(t, tn, sizeof(tn)), what);
	return r;
}

/* Validate v against t before sizing/writing. */
/* ------------------------------------------------------------------ rendering, revert */

void bh_abi__neg256(uint8_t w[32])
{
	unsigned c = 1;
	for (int i = 31; i >= 0; i--) {
		unsigned x = (uint8_t)~w[i] + c;
		w[i] = (uint8_t)x;
		c = x >> 8;
	}
}

void bh_abi__render(const struct bh_abi_value *v, struct bh_buf *b)
{
	char dec[80];
	switch (v->kind) {
	case BH_ABI_UINT:
		bh_u256_to_dec(v->u.word, dec);
		(void)bh_buf_put_cstr(b, dec);
		break;
	case BH_ABI_INT: {
		uint8_t w[32];
		memcpy(w, v->u.word, 32);
		if (w[0] & 0x80) {
			bh_abi__neg256(w);
			(void)bh_buf_put_u8(b, '-');
		}
		bh_u256_to_dec(w, dec);
		(void)bh_buf_put_cstr(b, dec);
		break;
	}
	case BH_ABI_BOOL:
		(void)bh_buf_put_cstr(b, v->u.word[31] ? "true" : "false");
		break;
	case BH_ABI_ADDRESS:
	case BH_ABI_FIXED_BYTES: {
		char h[65];
		const uint8_t *p = v->kind == BH_ABI_ADDRESS ? v->u.word + 12 : v->u.word;
		size_t n = v->kind == BH_ABI_ADDRESS ? 20 : v->size ? v->size : 32;
		bh_hex_encode(p, n, h);
		(void)bh_buf_putf(b, "0x%s", h);
		break;
	}
	case BH_ABI_BYTES: {
		char *h = bh_hex_encode_alloc(v->u.bytes.data, v->u.bytes.len > 64 ? 64 : v->u.bytes.len,
					      true);
		(void)bh_buf_putf(b, "%s%s", h ? h : "", v->u.bytes.len > 64 ? "..." : "");
		free(h);
		break;
	}
	case BH_ABI_STRING:
		(void)bh_buf_putf(b, "\"%.*s\"", (int)(v->u.bytes.len > 200 ? 200 : v->u.bytes.len),
				  (const char *)v->u.bytes.data);
		break;
	default:
		(void)bh_buf_put_u8(b, v->kind == BH_ABI_TUPLE ? '(' : '[');
		for (size_t i = 0; i < v->u.list.n; i++) {
			if (i)
				(void)bh_buf_put_cstr(b, ", ");
			bh_abi__render(&v->u.list.items[i], b);
		}
		(void)bh_buf_put_u8(b, v->kind == BH_ABI_TUPLE ? ')' : ']');
	}
}

/* Render into a fixed text buffer, truncated if needed. */
void bh_abi__render_text(char *out, size_t n, const char *prefix, const struct bh_abi_value *v)
{
	struct bh_buf b;
	bh_buf_init(&b, 64 * 1024);
	(void)bh_buf_put_cstr(&b, prefix);
	if (v)
		bh_abi__render(v, &b);
	size_t len = bh_buf_len(&b);
	snprintf(out, n, "%.*s", (int)len, (const char *)bh_buf_ptr(&b));
	bh_buf_done(&b);
}

/* SPDX-License-Identifier: MIT */
/* Solidity ABI: signature parsing, encoding, strict decoding (see abi.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eth/abi.h"
#include "core/hex.h"
#include "eth/keccak.h"

/* ------------------------------------------------------------------ 256-bit helpers */

void bh_u256_from_u64(uint64_t x, uint8_t ret[static 32])
{
	memset(ret, 0, 32);
	for (int i = 0; i < 8; i++)
		ret[31 - i] = (uint8_t)(x >> (8 * i));
}

int bh_u256_to_u64(const uint8_t be[static 32], uint64_t *ret)
{
	uint64_t x = 0;

	for (int i = 0; i < 24; i++)
		if (be[i])
			return BH_ERR_RANGE;
	for (int i = 24; i < 32; i++)
		x = x << 8 | be[i];
	*ret = x;
	return 0;
}

int bh_u256_from_dec(const char *s, uint8_t ret[static 32])
{
	uint8_t v[32] = { 0 };

	if (!s || !*s || (s[0] == '0' && s[1]))
		return BH_ERR_FORMAT;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return BH_ERR_FORMAT;
		unsigned carry = (unsigned)(*s - '0');
		for (int i = 31; i >= 0; i--) {
			unsigned t = v[i] * 10u + carry;
			v[i] = (uint8_t)t;
			carry = t >> 8;
		}
		if (carry)
			return BH_ERR_RANGE;
	}
	memcpy(ret, v, 32);
	return 0;
}

int bh_u256_from_str(const char *s, uint8_t ret[static 32])
{
	uint8_t v[32] = { 0 };
	char tmp[65];

	if (!s)
		return BH_ERR_FORMAT;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return bh_u256_from_dec(s, ret);
	size_t n = strlen(s + 2);
	if (n == 0 || n > 64)
		return n ? BH_ERR_RANGE : BH_ERR_FORMAT;
	/* left-pad to an even number of digits */
	tmp[0] = '0';
	memcpy(tmp + 1, s + 2, n);
	const char *h = (n % 2) ? tmp : tmp + 1;
	size_t hn = (n % 2) ? n + 1 : n;
	if (bh_hex_decode_ct(h, hn, v + 32 - hn / 2, hn / 2) < 0)
		return BH_ERR_HEX;
	memcpy(ret, v, 32);
	return 0;
}

void bh_u256_to_dec(const uint8_t be[static 32], char out[static 79])
{
	uint8_t v[32];
	char rev[79];
	size_t n = 0;

	memcpy(v, be, 32);
	for (;;) {
		unsigned rem = 0;
		bool nz = false;
		for (int i = 0; i < 32; i++) {
			unsigned cur = rem << 8 | v[i];
			v[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
			nz |= v[i] != 0;
		}
		rev[n++] = (char)('0' + rem);
		if (!nz)
			break;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	out[n] = '\0';
}

static bool word_is_zero(const uint8_t *w, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= w[i];
	return acc == 0;
}

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static bool utf8_valid(const uint8_t *s, size_t n)
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

/* ------------------------------------------------------------------ types */

void bh_abi_type_free(struct bh_abi_type *t)
{
	if (!t)
		return;
	bh_abi_type_free(t->elem);
	for (size_t i = 0; t->members && i < t->len; i++)
		bh_abi_type_free(t->members[i]);
	free(t->members);
	free(t->name);
	free(t);
}

bool bh_abi_type_is_dynamic(const struct bh_abi_type *t)
{
	return t->dynamic;
}

/* Fill dynamic/head/depth from the children; BH_ERR_LIMIT on size or depth caps. */
static int type_finish(struct bh_abi_type *t, struct bh_msg *msg)
{
	switch (t->kind) {
	case BH_ABI_BYTES:
	case BH_ABI_STRING:
		t->dynamic = true;
		t->head = 32;
		t->depth = 0;
		return 0;
	case BH_ABI_ARRAY:
		t->dynamic = true;
		t->head = 32;
		t->depth = t->elem->depth + 1;
		break;
	case BH_ABI_FIXED_ARRAY:
		t->dynamic = t->elem->dynamic;
		t->depth = t->elem->depth + 1;
		if (t->len > BH_ABI_MAX_DATA / t->elem->head) {
			bh_msg_set(msg, "fixed array of %zu elements is too large", t->len);
			return BH_ERR_LIMIT;
		}
		t->head = t->dynamic ? 32 : t->len * t->elem->head;
		break;
	case BH_ABI_TUPLE: {
		size_t h = 0;
		unsigned d = 0;
		t->dynamic = false;
		for (size_t i = 0; i < t->len; i++) {
			t->dynamic |= t->members[i]->dynamic;
			h += t->members[i]->head;
			if (t->members[i]->depth > d)
				d = t->members[i]->depth;
		}
		if (h > BH_ABI_MAX_DATA) {
			bh_msg_set(msg, "tuple is too large");
			return BH_ERR_LIMIT;
		}
		t->depth = d + 1;
		t->head = t->dynamic ? 32 : h;
		break;
	}
	default:
		t->dynamic = false;
		t->head = 32;
		t->depth = 0;
		return 0;
	}
	if (t->depth > BH_ABI_MAX_DEPTH) {
		bh_msg_set(msg, "types nested deeper than %d", BH_ABI_MAX_DEPTH);
		return BH_ERR_LIMIT;
	}
	return 0;
}

struct parser {
	const char *s;
	size_t pos;
	struct bh_msg *msg;
};

static void skip_ws(struct parser *p)
{
	while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n')
		p->pos++;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

static int perr(struct parser *p, const char *what)
{
	bh_msg_set(p->msg, "signature: %s at position %zu", what, p->pos);
	return BH_ERR_FORMAT;
}

/* Parse an unsigned decimal (bits, sizes, array lengths) of at most 7 digits. */
static bool parse_small(const char *s, size_t n, size_t *ret)
{
	size_t v = 0;
	if (n == 0 || n > 7 || (s[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

static int parse_type(struct parser *p, unsigned depth, struct bh_abi_type **ret);

/* "(" already consumed: params until ")"; with_names allows "indexed" and names. */
static int parse_list(struct parser *p, unsigned depth, bool with_names, struct bh_abi_type **ret)
{
	int r = -ENOMEM;
	struct bh_abi_type *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->kind = BH_ABI_TUPLE;
	skip_ws(p);
	if (p->s[p->pos] == ')') {
		p->pos++;
		goto done;
	}
	for (;;) {
		struct bh_abi_type *m = NULL;
		if (t->len == BH_ABI_MAX_PARAMS) {
			bh_msg_set(p->msg, "signature: more than %d parameters", BH_ABI_MAX_PARAMS);
			r = BH_ERR_LIMIT;
			goto out;
		}
		skip_ws(p);
		if ((r = parse_type(p, depth + 1, &m)) < 0)
			goto out;
		struct bh_abi_type **nm = realloc(t->members, (t->len + 1) * sizeof(*nm));
		if (!nm) {
			bh_abi_type_free(m);
			r = -ENOMEM;
			goto out;
		}
		t->members = nm;
		t->members[t->len++] = m;
		skip_ws(p);
		if (with_names && ident_char(p->s[p->pos])) {
			size_t st = p->pos;
			while (ident_char(p->s[p->pos]))
				p->pos++;
			size_t n = p->pos - st;
			if (n == 7 && !memcmp(p->s + st, "indexed", 7)) {
				m->indexed = true;
				skip_ws(p);
				st = p->pos;
				while (ident_char(p->s[p->pos]))
					p->pos++;
				n = p->pos - st;
			}
			if (n) {
				if (!(m->name = strndup(p->s + st, n))) {
					r = -ENOMEM;
					goto out;
				}
			}
			skip_ws(p);
		}
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == ')') {
			p->pos++;
			break;
		}
		r = perr(p, p->s[p->pos] ? "expected ',' or ')'" : "unterminated parameter list");
		goto out;
	}
done:
	if ((r = type_finish(t, p->msg)) < 0)
		goto out;
	*ret = t;
	t = NULL;
	r = 0;
out:
	bh_abi_type_free(t);
	return r;
}

static int parse_type(struct parser *p, unsigned depth, struct bh_abi_type **ret)
{
	int r = BH_ERR_FORMAT;
	struct bh_abi_type *t = NULL;

	if (depth > BH_ABI_MAX_DEPTH) {
		bh_msg_set(p->msg, "signature: types nested deeper than %d", BH_ABI_MAX_DEPTH);
		return BH_ERR_LIMIT;
	}
	if (!strncmp(p->s + p->pos, "tuple(", 6))
		p->pos += 5;
	if (p->s[p->pos] == '(') {
		p->pos++;
		if ((r = parse_list(p, depth, true, &t)) < 0)
			return r;
	} else {
		size_t st = p->pos, n;
		while (isalnum((unsigned char)p->s[p->pos]))
			p->pos++;
		n = p->pos - st;
		const char *w = p->s + st;
		size_t num = 0;
		if (!(t = calloc(1, sizeof(*t))))
			return -ENOMEM;
		if (n == 4 && !memcmp(w, "uint", 4)) {
			t->kind = BH_ABI_UINT; t->size = 256;
		} else if (n == 3 && !memcmp(w, "int", 3)) {
			t->kind = BH_ABI_INT; t->size = 256;
		} else if (n > 4 && !memcmp(w, "uint", 4) && parse_small(w + 4, n - 4, &num) &&
			   num >= 8 && num <= 256 && num % 8 == 0) {
			t->kind = BH_ABI_UINT; t->size = (unsigned)num;
		} else if (n > 3 && !memcmp(w, "int", 3) && parse_small(w + 3, n - 3, &num) &&
			   num >= 8 && num <= 256 && num % 8 == 0) {
			t->kind = BH_ABI_INT; t->size = (unsigned)num;
		} else if (n == 4 && !memcmp(w, "bool", 4)) {
			t->kind = BH_ABI_BOOL;
		} else if (n == 7 && !memcmp(w, "address", 7)) {
			t->kind = BH_ABI_ADDRESS;
		} else if (n == 6 && !memcmp(w, "string", 6)) {
			t->kind = BH_ABI_STRING;
		} else if (n == 5 && !memcmp(w, "bytes", 5)) {
			t->kind = BH_ABI_BYTES;
		} else if (n > 5 && !memcmp(w, "bytes", 5) && parse_small(w + 5, n - 5, &num) &&
			   num >= 1 && num <= 32) {
			t->kind = BH_ABI_FIXED_BYTES; t->size = (unsigned)num;
		} else {
			p->pos = st;
			r = perr(p, n ? "unknown type" : "expected a type");
			goto out;
		}
		if ((r = type_finish(t, p->msg)) < 0)
			goto out;
	}
	/* array suffixes */
	while (p->s[p->pos] == '[') {
		size_t st = ++p->pos, k = 0;
		while (p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		if (p->s[p->pos] != ']') {
			r = perr(p, "expected ']'");
			goto out;
		}
		bool fixed = p->pos > st;
		if (fixed && (!parse_small(p->s + st, p->pos - st, &k) || k == 0)) {
			r = perr(p, "bad array length");
			goto out;
		}
		p->pos++;
		if (t->head == 0) {
			r = perr(p, "array of empty tuples");
			goto out;
		}
		struct bh_abi_type *a = calloc(1, sizeof(*a));
		if (!a) {
			r = -ENOMEM;
			goto out;
		}
		a->kind = fixed ? BH_ABI_FIXED_ARRAY : BH_ABI_ARRAY;
		a->len = k;
		a->elem = t;
		t = a;
		if ((r = type_finish(t, p->msg)) < 0)
			goto out;
	}
	*ret = t;
	t = NULL;
	r = 0;
out:
	bh_abi_type_free(t);
	return r;
}

int bh_abi_type_parse(const char *s, struct bh_abi_type **ret, struct bh_msg *msg)
{
	struct parser p = { .s = s, .msg = msg };
	struct bh_abi_type *t = NULL;
	int r;

	if (strnlen(s, BH_ABI_MAX_SIG + 1) > BH_ABI_MAX_SIG) {
		bh_msg_set(msg, "signature longer than %d characters", BH_ABI_MAX_SIG);
		return BH_ERR_LIMIT;
	}
	skip_ws(&p);
	if ((r = parse_type(&p, 0, &t)) < 0)
		return r;
	skip_ws(&p);
	if (p.s[p.pos]) {
		bh_abi_type_free(t);
		return perr(&p, "unexpected text after the type");
	}
	*ret = t;
	return 0;
}

static int canon_put(const struct bh_abi_type *t, struct bh_buf *b)
{
	int r = 0;
	switch (t->kind) {
	case BH_ABI_UINT: return bh_buf_putf(b, "uint%u", t->size);
	case BH_ABI_INT: return bh_buf_putf(b, "int%u", t->size);
	case BH_ABI_BOOL: return bh_buf_put_cstr(b, "bool");
	case BH_ABI_ADDRESS: return bh_buf_put_cstr(b, "address");
	case BH_ABI_FIXED_BYTES: return bh_buf_putf(b, "bytes%u", t->size);
	case BH_ABI_BYTES: return bh_buf_put_cstr(b, "bytes");
	case BH_ABI_STRING: return bh_buf_put_cstr(b, "string");
	case BH_ABI_ARRAY:
		if ((r = canon_put(t->elem, b)) < 0)
			return r;
		return bh_buf_put_cstr(b, "[]");
	case BH_ABI_FIXED_ARRAY:
		if ((r = canon_put(t->elem, b)) < 0)
			return r;
		return bh_buf_putf(b, "[%zu]", t->len);
	case BH_ABI_TUPLE:
		if ((r = bh_buf_put_u8(b, '(')) < 0)
			return r;
		for (size_t i = 0; i < t->len; i++)
			if ((i && (r = bh_buf_put_u8(b, ',')) < 0) || (r = canon_put(t->members[i], b)) < 0)
				return r;
		return bh_buf_put_u8(b, ')');
	}
	return BH_ERR_INTERNAL;
}

char *bh_abi_type_canonical(const struct bh_abi_type *t)
{
	struct bh_buf b;
	char *s = NULL;

	bh_buf_init(&b, 4 * BH_ABI_MAX_SIG);
	if (canon_put(t, &b) == 0)
		(void)bh_buf_steal_cstr(&b, &s);
	bh_buf_done(&b);
	return s;
}

/* Canonical type name into a fixed buffer for messages (truncated). */
static const char *tname(const struct bh_abi_type *t, char *out, size_t n)
{
	char *s = bh_abi_type_canonical(t);
	snprintf(out, n, "%s", s ? s : "?");
	free(s);
	return out;
}

void bh_abi_sig_free(struct bh_abi_sig *sig)
{
	if (!sig)
		return;
	free(sig->name);
	bh_abi_type_free(sig->params);
	free(sig->canonical);
	free(sig);
}

int bh_abi_sig_parse(const char *s, struct bh_abi_sig **ret, struct bh_msg *msg)
{
	struct parser p = { .s = s, .msg = msg };
	struct bh_abi_sig *sig = NULL;
	struct bh_buf b;
	int r = -ENOMEM;

	bh_buf_init(&b, 4 * BH_ABI_MAX_SIG);
	if (strnlen(s, BH_ABI_MAX_SIG + 1) > BH_ABI_MAX_SIG) {
		bh_msg_set(msg, "signature longer than %d characters", BH_ABI_MAX_SIG);
		r = BH_ERR_LIMIT;
		goto out;
	}
	if (!(sig = calloc(1, sizeof(*sig))))
		goto out;
	skip_ws(&p);
	size_t st = p.pos;
	while (ident_char(p.s[p.pos]))
		p.pos++;
	if (p.pos == st || isdigit((unsigned char)p.s[st])) {
		r = perr(&p, "expected a name");
		goto out;
	}
	if (!(sig->name = strndup(p.s + st, p.pos - st)))
		goto out;
	skip_ws(&p);
	if (p.s[p.pos] != '(') {
		r = perr(&p, "expected '('");
		goto out;
	}
	p.pos++;
	if ((r = parse_list(&p, 0, true, &sig->params)) < 0)
		goto out;
	skip_ws(&p);
	if (p.s[p.pos]) {
		r = perr(&p, "unexpected text after ')'");
		goto out;
	}
	if ((r = bh_buf_put_cstr(&b, sig->name)) < 0 || (r = canon_put(sig->params, &b)) < 0 ||
	    (r = bh_buf_steal_cstr(&b, &sig->canonical)) < 0)
		goto out;
	bh_keccak256(sig->canonical, strlen(sig->canonical), sig->topic);
	memcpy(sig->selector, sig->topic, 4);
	*ret = sig;
	sig = NULL;
	r = 0;
out:
	bh_buf_done(&b);
	bh_abi_sig_free(sig);
	return r;
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

static int value_bytes(struct bh_abi_value *v, enum bh_abi_kind kind, const void *data, size_t len)
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
	return value_bytes(v, BH_ABI_BYTES, data, len);
}

int bh_abi_value_string(struct bh_abi_value *v, const char *s)
{
	return value_bytes(v, BH_ABI_STRING, s, strlen(s));
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
static const char *word_check(const struct bh_abi_type *t, const uint8_t w[32])
{
	size_t nb;
	switch (t->kind) {
	case BH_ABI_UINT:
		nb = t->size / 8;
		return word_is_zero(w, 32 - nb) ? NULL : "value does not fit the type";
	case BH_ABI_INT: {
		nb = t->size / 8;
		uint8_t fill = (w[32 - nb] & 0x80) ? 0xff : 0x00;
		for (size_t i = 0; i < 32 - nb; i++)
			if (w[i] != fill)
				return "value is not sign-extended (does not fit the type)";
		return NULL;
	}
	case BH_ABI_BOOL:
		return word_is_zero(w, 31) && w[31] <= 1 ? NULL : "bool is not 0 or 1";
	case BH_ABI_ADDRESS:
		return word_is_zero(w, 12) ? NULL : "address has nonzero high 12 bytes";
	case BH_ABI_FIXED_BYTES:
		return word_is_zero(w + t->size, 32 - t->size) ? NULL : "nonzero padding after bytesN";
	default:
		return "not a scalar";
	}
}

static const struct bh_abi_type *seq_type(const struct bh_abi_type *t, size_t i)
{
	return t->kind == BH_ABI_TUPLE ? t->members[i] : t->elem;
}

/* ------------------------------------------------------------------ encoding */

struct path {
	char s[160];
	size_t n;
	const size_t *map;   /* top-level index -> parameter number (event data) or NULL */
};

static size_t path_push(struct path *p, const struct bh_abi_type *container, size_t i)
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

static void path_pop(struct path *p, size_t old)
{
	p->n = old;
	p->s[old] = '\0';
}

static int vfail(struct bh_msg *msg, const struct path *p, const struct bh_abi_type *t, int r,
                 const char *what)
{
	char tn[96];
	bh_msg_set(msg, "%s (%s): %s", p->n ? p->s : "value", tname(t, tn, sizeof(tn)), what);
	return r;
}

/* Validate v against t before sizing/writing. */
static int enc_check(const struct bh_abi_type *t, const struct bh_abi_value *v, struct path *p,
                     struct bh_msg *msg, unsigned depth)
{
	const char *why;
	int r;

	if (depth > BH_ABI_MAX_DEPTH)
		return vfail(msg, p, t, BH_ERR_LIMIT, "nested too deeply");
	switch (t->kind) {
	case BH_ABI_UINT:
	case BH_ABI_INT:
		if (v->kind != BH_ABI_UINT && v->kind != BH_ABI_INT)
			return vfail(msg, p, t, BH_ERR_WRONG_TYPE, "value is not a number");
		if ((why = word_check(t, v->u.word)))
			return vfail(msg, p, t, BH_ERR_RANGE, why);
		return 0;
	case BH_ABI_BOOL:
	case BH_ABI_ADDRESS:
	case BH_ABI_FIXED_BYTES:
		if (v->kind != t->kind)
			return vfail(msg, p, t, BH_ERR_WRONG_TYPE, "value has another type");
		if ((why = word_check(t, v->u.word)))
			return vfail(msg, p, t, BH_ERR_RANGE, why);
		return 0;
	case BH_ABI_BYTES:
	case BH_ABI_STRING:
		if (v->kind != t->kind)
			return vfail(msg, p, t, BH_ERR_WRONG_TYPE, "value has another type");
		if (v->u.bytes.len > BH_ABI_MAX_DATA)
			return vfail(msg, p, t, BH_ERR_LIMIT, "too long");
		if (t->kind == BH_ABI_STRING) {
			if (memchr(v->u.bytes.data, 0, v->u.bytes.len))
				return vfail(msg, p, t, BH_ERR_NUL, "string contains a NUL byte");
			if (!utf8_valid(v->u.bytes.data, v->u.bytes.len))
				return vfail(msg, p, t, BH_ERR_UTF8, "string is not valid UTF-8");
		}
		return 0;
	case BH_ABI_ARRAY:
	case BH_ABI_FIXED_ARRAY:
	case BH_ABI_TUPLE: {
		size_t want = t->len;
		if (v->kind != t->kind && !(t->kind == BH_ABI_FIXED_ARRAY && v->kind == BH_ABI_ARRAY))
			return vfail(msg, p, t, BH_ERR_WRONG_TYPE, "value has another type");
		if (t->kind != BH_ABI_ARRAY && v->u.list.n != want) {
			char w[64];
			snprintf(w, sizeof(w), "%zu items, expected %zu", v->u.list.n, want);
			return vfail(msg, p, t, BH_ERR_LENGTH, w);
		}
		if (v->u.list.n > BH_ABI_MAX_DATA / 32)
			return vfail(msg, p, t, BH_ERR_LIMIT, "too many items");
		for (size_t i = 0; i < v->u.list.n; i++) {
			size_t old = path_push(p, t, i);
			r = enc_check(seq_type(t, i), &v->u.list.items[i], p, msg, depth + 1);
			path_pop(p, old);
			if (r < 0)
				return r;
		}
		return 0;
	}
	}
	return BH_ERR_INTERNAL;
}

static size_t pad32(size_t n)
{
	return (n + 31) & ~(size_t)31;
}

/* Encoded size of a checked value (head+tail for tuples, tail for dynamic). */
static size_t enc_size(const struct bh_abi_type *t, const struct bh_abi_value *v)
{
	switch (t->kind) {
	case BH_ABI_BYTES:
	case BH_ABI_STRING:
		return 32 + pad32(v->u.bytes.len);
	case BH_ABI_ARRAY:
	case BH_ABI_FIXED_ARRAY:
	case BH_ABI_TUPLE: {
		size_t s = t->kind == BH_ABI_ARRAY ? 32 : 0;
		for (size_t i = 0; i < v->u.list.n; i++) {
			const struct bh_abi_type *et = seq_type(t, i);
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
		return bh_buf_put(out, zero, pad32(n) - n);
	}
	case BH_ABI_ARRAY:
	case BH_ABI_FIXED_ARRAY:
	case BH_ABI_TUPLE: {
		size_t n = v->u.list.n, head = 0, tail;
		if (t->kind == BH_ABI_ARRAY && (r = put_word_u64(out, n)) < 0)
			return r;
		for (size_t i = 0; i < n; i++)
			head += seq_type(t, i)->head;
		tail = head;
		for (size_t i = 0; i < n; i++) {
			const struct bh_abi_type *et = seq_type(t, i);
			if (et->dynamic) {
				if ((r = put_word_u64(out, tail)) < 0)
					return r;
				tail += enc_size(et, &v->u.list.items[i]);
			} else if ((r = enc_write(et, &v->u.list.items[i], out)) < 0) {
				return r;
			}
		}
		for (size_t i = 0; i < n; i++) {
			const struct bh_abi_type *et = seq_type(t, i);
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
	struct path p = { .n = 0 };
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

/* ------------------------------------------------------------------ decoding */

struct dec {
	struct bh_buf in;   /* view over the whole data; all reads via bh_buf_peek_at */
	size_t len;
	struct bh_msg *msg;
	struct path p;
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
	bh_msg_set(d->msg, "%s (%s): %s", d->p.n ? d->p.s : "value", tname(t, tn, sizeof(tn)), what);
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

/* n items (types via seq_type(t, i)) encoded as a head+tail block at pos. */
static int dec_seq(struct dec *d, const struct bh_abi_type *t, size_t n, size_t pos,
                   struct bh_abi_value *items, size_t *ret_size)
{
	size_t head = 0, tail;
	int r;

	for (size_t i = 0; i < n; i++) {
		head += seq_type(t, i)->head;
		if (head > d->len)
			break;
	}
	if (head > d->len - pos)
		return dfail(d, t, BH_ERR_INCOMPLETE, "head of %zu bytes at 0x%zx beyond data (%zu bytes)",
			     head, pos, d->len);
	tail = pos + head;
	size_t hoff = pos;
	for (size_t i = 0; i < n; i++) {
		const struct bh_abi_type *et = seq_type(t, i);
		size_t old = path_push(&d->p, t, i), sz, off;
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
		path_pop(&d->p, old);
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
		if (n > avail || pad32(n) > avail)
			return dfail(d, t, BH_ERR_INCOMPLETE, "length %zu at 0x%zx beyond data (%zu bytes)",
				     n, pos, d->len);
		if (bh_buf_peek_at(&d->in, pos + 32, pad32(n), &w) < 0)
			return BH_ERR_INTERNAL;
		if (!word_is_zero(w + n, pad32(n) - n))
			return dfail(d, t, BH_ERR_FORMAT, "nonzero padding after %zu bytes", n);
		if (t->kind == BH_ABI_STRING) {
			if (memchr(w, 0, n))
				return dfail(d, t, BH_ERR_NUL, "string contains a NUL byte");
			if (!utf8_valid(w, n))
				return dfail(d, t, BH_ERR_UTF8, "string is not valid UTF-8");
		}
		if ((r = value_bytes(out, t->kind, w, n)) < 0)
			return r;
		*ret_size = 32 + pad32(n);
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
				h += seq_type(t, i)->head;
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
		if ((why = word_check(t, w)))
			return dfail(d, t, BH_ERR_FORMAT, "%s", why);
		out->kind = t->kind;
		out->size = t->kind == BH_ABI_FIXED_BYTES ? t->size : 0;
		memcpy(out->u.word, w, 32);
		*ret_size = 32;
		return 0;
	}
}

static int decode_top(const struct bh_abi_type *t, const uint8_t *data, size_t len,
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
			   tname(t, tn, sizeof(tn)));
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
	return decode_top(t, data, len, NULL, msg, ret);
}

int bh_abi_decode_buf(const struct bh_abi_type *t, const struct bh_buf *in,
                      struct bh_abi_value **ret, struct bh_msg *msg)
{
	return decode_top(t, bh_buf_ptr(in), bh_buf_len(in), NULL, msg, ret);
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
	return decode_top(sig->params, data + 4, len - 4, NULL, msg, ret);
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
	if ((r = type_finish(&nonidx, msg)) < 0)
		goto out;
	if ((r = decode_top(&nonidx, data, len, map, msg, &dv)) < 0)
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
			const char *why = word_check(m, w);
			if (why) {
				char tn[96];
				bh_msg_set(msg, "param %zu (%s, indexed topic %zu): %s", i,
					   tname(m, tn, sizeof(tn)), ti - 1, why);
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

/* ------------------------------------------------------------------ rendering, revert */

static void render(const struct bh_abi_value *v, struct bh_buf *b)
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
			unsigned c = 1;
			for (int i = 31; i >= 0; i--) {
				unsigned x = (uint8_t)~w[i] + c;
				w[i] = (uint8_t)x;
				c = x >> 8;
			}
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
			render(&v->u.list.items[i], b);
		}
		(void)bh_buf_put_u8(b, v->kind == BH_ABI_TUPLE ? ')' : ']');
	}
}

/* Render into a fixed text buffer, truncated if needed. */
static void render_text(char *out, size_t n, const char *prefix, const struct bh_abi_value *v)
{
	struct bh_buf b;
	bh_buf_init(&b, 64 * 1024);
	(void)bh_buf_put_cstr(&b, prefix);
	if (v)
		render(v, &b);
	size_t len = bh_buf_len(&b);
	snprintf(out, n, "%.*s", (int)len, (const char *)bh_buf_ptr(&b));
	bh_buf_done(&b);
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
		r = decode_top(t, data + 4, len - 4, NULL, msg, &rv.args);
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
		if ((r = decode_top(errors[i]->params, data + 4, len - 4, NULL, msg, &rv.args)) < 0)
			return r;
		rv.kind = BH_ABI_REVERT_CUSTOM;
		rv.error = errors[i];
		render_text(rv.text, sizeof(rv.text), errors[i]->name, rv.args);
		*ret = rv;
		return 0;
	}
	rv.kind = BH_ABI_REVERT_UNKNOWN;
	snprintf(rv.text, sizeof(rv.text), "unknown custom error 0x%02x%02x%02x%02x (%zu bytes)",
		 data[0], data[1], data[2], data[3], len);
	*ret = rv;
	return 0;
}

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
		render(v, &b);
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

/* Two's complement negation in place. */
static void neg256(uint8_t w[32])
{
	unsigned c = 1;
	for (int i = 31; i >= 0; i--) {
		unsigned x = (uint8_t)~w[i] + c;
		w[i] = (uint8_t)x;
		c = x >> 8;
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

static int from_json(const struct bh_abi_type *t, const json_t *j, struct path *p,
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
				return vfail(msg, p, t, r, "not a number");
		} else {
			return vfail(msg, p, t, BH_ERR_WRONG_TYPE, "expected a number or numeric string");
		}
		if (neg) {
			if (t->kind == BH_ABI_UINT)
				return vfail(msg, p, t, BH_ERR_RANGE, "negative value for an unsigned type");
			bool was_nz = !word_is_zero(v.u.word, 32);
			neg256(v.u.word);
			if (was_nz && !(v.u.word[0] & 0x80))
				return vfail(msg, p, t, BH_ERR_RANGE, "value does not fit the type");
		} else if (t->kind == BH_ABI_INT && (v.u.word[0] & 0x80)) {
			return vfail(msg, p, t, BH_ERR_RANGE, "value does not fit the type");
		}
		const char *why = word_check(t, v.u.word);
		if (why)
			return vfail(msg, p, t, BH_ERR_RANGE, why);
		*ret = v;
		return 0;
	}
	case BH_ABI_BOOL:
		if (!json_is_boolean(j))
			return vfail(msg, p, t, BH_ERR_WRONG_TYPE, "expected true or false");
		bh_abi_value_bool(ret, json_is_true(j));
		return 0;
	case BH_ABI_ADDRESS:
	case BH_ABI_FIXED_BYTES: {
		size_t want = t->kind == BH_ABI_ADDRESS ? 20 : t->size;
		if ((r = json_hex(j, 32, &bin, &n)) < 0 || n != want) {
			free(bin);
			return vfail(msg, p, t, r < 0 ? r : BH_ERR_LENGTH, "expected 0x hex of the type's size");
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
			return vfail(msg, p, t, r, "expected 0x hex");
		r = bh_abi_value_bytes(ret, bin, n);
		free(bin);
		return r;
	case BH_ABI_STRING:
		if (!json_is_string(j))
			return vfail(msg, p, t, BH_ERR_WRONG_TYPE, "expected a string");
		return value_bytes(ret, BH_ABI_STRING, json_string_value(j), json_string_length(j));
	default: {
		if (!json_is_array(j))
			return vfail(msg, p, t, BH_ERR_WRONG_TYPE, "expected a JSON array");
		n = json_array_size(j);
		if (t->kind != BH_ABI_ARRAY && n != t->len)
			return vfail(msg, p, t, BH_ERR_LENGTH, "wrong number of items");
		if ((r = bh_abi_value_list(&v, t->kind, n)) < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			size_t old = path_push(p, t, i);
			r = from_json(seq_type(t, i), json_array_get(j, i), p, msg, &v.u.list.items[i]);
			path_pop(p, old);
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

int bh_abi_value_from_json(const struct bh_abi_type *t, const void *json,
                           struct bh_abi_value *ret, struct bh_msg *msg)
{
	struct path p = { .n = 0 };
	p.s[0] = '\0';
	return from_json(t, json, &p, msg, ret);
}

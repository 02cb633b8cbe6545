/* SPDX-License-Identifier: MIT */
/* Solidity ABI: types and signatures parsed from text (see abi.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eth/abi-int.h"
#include "eth/keccak.h"

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
int bh_abi__type_finish(struct bh_abi_type *t, struct bh_msg *msg)
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
	if ((r = bh_abi__type_finish(t, p->msg)) < 0)
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
		if ((r = bh_abi__type_finish(t, p->msg)) < 0)
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
		if ((r = bh_abi__type_finish(t, p->msg)) < 0)
			goto out;
	}
	*ret = t;
	t = NULL;
	r = 0;
out:
	bh_abi_type_free(t);
	return r;
}

static size_t ndigits(size_t x)
{
	size_t n = 1;
	while (x >= 10) {
		x /= 10;
		n++;
	}
	return n;
}

/*
 * Length of the canonical text of t.  Aliases make it longer than the input ("uint" is
 * "uint256"), so the parsers cap this, not only the input: every canonical form a parse
 * returns fits BH_ABI_MAX_SIG and parses again.  Saturates at SIZE_MAX / 2.
 */
static size_t canon_len(const struct bh_abi_type *t)
{
	size_t n = 0;

	switch (t->kind) {
	case BH_ABI_UINT: return 4 + ndigits(t->size);
	case BH_ABI_INT: return 3 + ndigits(t->size);
	case BH_ABI_BOOL: return 4;
	case BH_ABI_ADDRESS: return 7;
	case BH_ABI_FIXED_BYTES: return 5 + ndigits(t->size);
	case BH_ABI_BYTES: return 5;
	case BH_ABI_STRING: return 6;
	case BH_ABI_ARRAY: return canon_len(t->elem) + 2;
	case BH_ABI_FIXED_ARRAY: return canon_len(t->elem) + 2 + ndigits(t->len);
	case BH_ABI_TUPLE:
		n = 2 + (t->len ? t->len - 1 : 0);
		for (size_t i = 0; i < t->len && n < SIZE_MAX / 4; i++)
			n += canon_len(t->members[i]);
		return n;
	}
	return SIZE_MAX / 2;
}

static int check_canon_len(size_t n, struct bh_msg *msg)
{
	if (n > BH_ABI_MAX_SIG) {
		bh_msg_set(msg, "canonical signature of %zu characters is longer than %d", n,
			   BH_ABI_MAX_SIG);
		return BH_ERR_LIMIT;
	}
	return 0;
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
	if ((r = check_canon_len(canon_len(t), msg)) < 0) {
		bh_abi_type_free(t);
		return r;
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
const char *bh_abi__tname(const struct bh_abi_type *t, char *out, size_t n)
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
	if ((r = check_canon_len(strlen(sig->name) + canon_len(sig->params), msg)) < 0)
		goto out;
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

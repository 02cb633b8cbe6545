/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the strict ABI decoder, the log and revert decoders, the JSON value reader with the
 * encoder, and the signature parser.
 * Input: byte 0 selects the mode and signature, the rest is the payload.
 * Invariants: anything the strict decoder accepts is canonical, so re-encoding the decoded
 * value gives back exactly the input bytes; a JSON value that bh_abi_value_from_json
 * accepts encodes and decodes back to the same JSON; encoding a value under another type
 * either works (and decodes) or fails with a message and nothing appended to the output.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eth/abi.h"
#include "core/err.h"

static const char *const types[] = {
	"(address,bytes)",
	"(uint256,uint256,uint256,bytes)",
	"(string,uint256)",
	"(uint256,address,uint256,bool,bool)",
	"(string,uint256,bool)",
	"(uint256[])",
	"(address,address,address,uint8,uint8,bool)",
	"(uint256,uint256,address,bytes)",
	"((uint256,bytes)[],string[2],int8,bytes7)",
	"(bytes[][],(bool,(string,uint16[3])[])[2])",
	"(int256,int24,uint128,bytes32,bytes1)",
	"()",
	"string",
	"(uint256)[]",
};

static const char *const events[] = {
	"SubscriptionCreated(uint256 indexed,uint256 indexed,address indexed,uint256,uint256,address,bytes)",
	"PlanCreated(uint256 indexed,string,uint256)",
	"CredentialMinted(uint256 indexed,address indexed)",
	"Mixed(int64 indexed,bytes32 indexed,bool indexed,(uint256,string)[],string)",
	"Anything(string indexed,uint8,bytes)",
};

static const char *const errors[] = {
	"PlanNotFound(uint256)", "InvalidAddress()", "Weird((uint8,string)[],bytes)",
	"Odd(bool,address,bytes4,int8,string,bytes32)",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void check_roundtrip(const struct bh_abi_type *t, const struct bh_abi_value *v,
                            const uint8_t *data, size_t size)
{
	struct bh_buf out;
	bh_buf_init(&out, BH_ABI_MAX_DATA + 64);
	if (bh_abi_encode(t, v, &out, NULL) < 0)
		abort();
	if (bh_buf_len(&out) != size || memcmp(bh_buf_ptr(&out), data, size))
		abort();
	bh_buf_done(&out);
}

/*
 * JSON values: types[sel % N] reads the payload as JSON; what it accepts must encode,
 * decode, and give the same JSON.  The same value is then encoded under the type the
 * payload's first byte picks: a wrong type is refused with a message and the output left
 * as it was (a sentinel byte before it stays the only byte).
 */
/*
 * The public builders on the payload's bytes: a string up to the first NUL (the encoder
 * checks UTF-8, not the builder), a (uint8,int16) from its first 4 bytes (the encoder
 * checks the ranges).  Encoding works exactly when the value fits, and then decodes back.
 */
static void builders(const uint8_t *data, size_t size)
{
	struct bh_abi_type *ts = NULL, *ti = NULL;
	struct bh_abi_value sv = { 0 }, tv = { 0 }, *back = NULL;
	struct bh_msg m = { { 0 } };
	struct bh_buf out;
	char *str = strndup((const char *)data, size);
	if (!str || bh_abi_type_parse("string", &ts, NULL) < 0 ||
	    bh_abi_type_parse("(uint8,int16)", &ti, NULL) < 0 || bh_abi_value_string(&sv, str) < 0 ||
	    bh_abi_value_list(&tv, BH_ABI_TUPLE, 2) < 0)
		abort();
	bh_buf_init(&out, BH_ABI_MAX_DATA + 64);
	int r = bh_abi_encode(ts, &sv, &out, &m);
	if (r == 0) {
		if (bh_abi_decode(ts, bh_buf_ptr(&out), bh_buf_len(&out), &back, NULL) < 0 ||
		    back->kind != BH_ABI_STRING || back->u.bytes.len != strlen(str) ||
		    memcmp(back->u.bytes.data, str, back->u.bytes.len))
			abort();
		bh_abi_value_free(back);
	} else if ((r != BH_ERR_UTF8 && r != BH_ERR_LIMIT) || bh_buf_len(&out) || !m.text[0]) {
		abort();
	}
	uint64_t a = size > 1 ? (uint64_t)data[0] << 8 | data[1] : 0;
	uint64_t b = size > 3 ? (uint64_t)data[2] << 8 | data[3] : 0;
	bh_abi_value_uint(&tv.u.list.items[0], a);
	bh_abi_value_uint(&tv.u.list.items[1], b);
	bh_buf_reset(&out);
	m.text[0] = '\0';
	r = bh_abi_encode(ti, &tv, &out, &m);
	if ((r == 0) != (a <= 255 && b <= 32767) || (r && (r != BH_ERR_RANGE || !m.text[0])))
		abort();
	/* the payload's raw bytes as a caller-built string (NULs kept): the encoder refuses a
	 * NUL before anything else */
	struct bh_abi_value rv = { 0 };
	if (bh_abi_value_bytes(&rv, data, size) < 0)
		abort();
	rv.kind = BH_ABI_STRING;
	bh_buf_reset(&out);
	r = bh_abi_encode(ts, &rv, &out, &m);
	if (r != BH_ERR_LIMIT &&  /* over the 1 MiB cap: refused for its size first */
	    (memchr(data, 0, size) ? r != BH_ERR_NUL : (r != 0 && r != BH_ERR_UTF8)))
		abort();
	bh_abi_value_clear(&rv);
	/* bytes4 from a fixed-bytes value of the payload's first n bytes: only what fits */
	struct bh_abi_type *tb = NULL;
	struct bh_abi_value bv = { 0 };
	size_t n = size ? data[0] % 33 : 0;
	if (bh_abi_type_parse("bytes4", &tb, NULL) < 0)
		abort();
	bh_abi_value_fixed_bytes(&bv, data, n <= size ? n : size);
	bh_buf_reset(&out);
	r = bh_abi_encode(tb, &bv, &out, &m);
	bool fits = true;
	for (size_t k = 4; k < 32; k++)
		fits &= bv.u.word[k] == 0;
	if ((r == 0) != fits || (r && r != BH_ERR_RANGE))
		abort();
	/* a uint256[] of more items than any encoding could hold (payload "\xff\xfe...") */
	if (size >= 2 && data[0] == 0xff && data[1] == 0xfe) {
		struct bh_abi_type *ta = NULL;
		struct bh_abi_value av = { 0 };
		if (bh_abi_type_parse("uint256[]", &ta, NULL) < 0 ||
		    bh_abi_value_list(&av, BH_ABI_ARRAY, BH_ABI_MAX_DATA / 32 + 1) < 0)
			abort();
		for (size_t k = 0; k < av.u.list.n; k++)
			bh_abi_value_uint(&av.u.list.items[k], k);
		bh_buf_reset(&out);
		if (bh_abi_encode(ta, &av, &out, &m) != BH_ERR_LIMIT || bh_buf_len(&out))
			abort();
		bh_abi_value_clear(&av);
		bh_abi_type_free(ta);
	}
	bh_abi_type_free(tb);
	bh_buf_done(&out);
	bh_abi_value_clear(&sv);
	bh_abi_value_clear(&tv);
	bh_abi_type_free(ts);
	bh_abi_type_free(ti);
	free(str);
}

static void json_mode(uint8_t sel, const uint8_t *data, size_t size)
{
	builders(data, size);
	struct bh_abi_type *t = NULL, *t2 = NULL;
	struct bh_abi_value v, *back = NULL;
	struct bh_msg m = { { 0 } };
	json_error_t je;
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
	if (!j)
		return;
	if (bh_abi_type_parse(types[sel % N(types)], &t, NULL) < 0 ||
	    bh_abi_type_parse(types[(size ? data[0] : 0) % N(types)], &t2, NULL) < 0)
		abort();
	if (bh_abi_value_from_json(t, j, &v, &m) == 0) {
		struct bh_buf out;
		bh_buf_init(&out, BH_ABI_MAX_DATA + 64);
		int r = bh_abi_encode(t, &v, &out, &m);
		if (r == 0) {
			if (bh_abi_decode(t, bh_buf_ptr(&out), bh_buf_len(&out), &back, NULL) < 0)
				abort();
			json_t *a = bh_abi_value_to_json(&v), *b = bh_abi_value_to_json(back);
			if (!a || !b || !json_equal(a, b))
				abort();
			json_decref(a);
			json_decref(b);
			bh_abi_value_free(back);
		} else if (r != BH_ERR_LIMIT || bh_buf_len(&out) != 0 || !m.text[0]) {
			abort();  /* only the size cap may refuse a value read for this type */
		}
		/* into an output buffer with a small cap: fits, or BH_ERR_LIMIT and nothing added */
		struct bh_buf small;
		bh_buf_init(&small, 1 + (size_t)(size ? data[size - 1] : 0) * 3);
		m.text[0] = '\0';
		r = bh_abi_encode(t, &v, &small, &m);
		if (r != 0 && (r != BH_ERR_LIMIT || bh_buf_len(&small) != 0 || !m.text[0]))
			abort();
		bh_buf_done(&small);
		bh_buf_reset(&out);
		(void)bh_buf_put_u8(&out, 0xa5);
		m.text[0] = '\0';
		r = bh_abi_encode(t2, &v, &out, &m);
		if (r == 0) {
			if (bh_abi_decode(t2, bh_buf_ptr(&out) + 1, bh_buf_len(&out) - 1, &back, NULL) < 0)
				abort();
			bh_abi_value_free(back);
		} else if (bh_buf_len(&out) != 1 || !m.text[0]) {
			abort();
		}
		bh_buf_done(&out);
		bh_abi_value_clear(&v);
	} else if (!m.text[0]) {
		abort();
	}
	bh_abi_type_free(t);
	bh_abi_type_free(t2);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	data++;
	size--;
	struct bh_abi_value *v = NULL;

	switch (sel >> 6) {
	case 0: { /* plain decoding */
		struct bh_abi_type *t = NULL;
		if (bh_abi_type_parse(types[sel % N(types)], &t, NULL) < 0)
			abort();
		struct bh_msg m;
		if (bh_abi_decode(t, data, size, &v, &m) == 0) {
			check_roundtrip(t, v, data, size);
			json_t *j = bh_abi_value_to_json(v);
			struct bh_abi_value back;
			/* and so is the JSON form: JSON -> value -> the same bytes */
			if (j) {
				if (bh_abi_value_from_json(t, j, &back, NULL) < 0)
					abort();
				check_roundtrip(t, &back, data, size);
				bh_abi_value_clear(&back);
			}
			json_decref(j);
			bh_abi_value_free(v);
		}
		bh_abi_type_free(t);
		break;
	}
	case 1: { /* event log: next byte = topic count (0..4), then topics, then data */
		struct bh_abi_sig *sig = NULL;
		if (bh_abi_sig_parse(events[sel % N(events)], &sig, NULL) < 0)
			abort();
		if (size >= 1) {
			size_t nt = data[0] % 5;
			if (size - 1 >= nt * 32) {
				uint8_t topics[4][32];
				memcpy(topics, data + 1, nt * 32);
				/* make topic0 right half of the time so decoding proceeds */
				if (nt && (sel & 0x20))
					memcpy(topics[0], sig->topic, 32);
				if (bh_abi_decode_log(sig, (const uint8_t(*)[32])topics, nt, data + 1 + nt * 32,
						      size - 1 - nt * 32, &v, NULL) == 0)
					bh_abi_value_free(v);
			}
		}
		bh_abi_sig_free(sig);
		break;
	}
	case 2: { /* revert data; with bit 5, a JSON value to encode */
		if (sel & 0x20) {
			json_mode(sel, data, size);
			break;
		}
		struct bh_abi_sig *errs[N(errors)];
		struct bh_abi_revert rv;
		for (size_t i = 0; i < N(errors); i++)
			if (bh_abi_sig_parse(errors[i], &errs[i], NULL) < 0)
				abort();
		struct bh_msg m = { { 0 } };
		int r = bh_abi_decode_revert(data, size, (const struct bh_abi_sig *const *)errs,
					     N(errors), &rv, &m);
		if (r == 0) {
			if (!rv.text[0])
				abort();
			bh_abi_revert_clear(&rv);
		} else if (!m.text[0]) {
			abort();  /* a refusal says why */
		}
		for (size_t i = 0; i < N(errors); i++)
			bh_abi_sig_free(errs[i]);
		break;
	}
	default: { /* signature text */
		char *s = malloc(size + 1);
		struct bh_abi_sig *sig = NULL, *again = NULL;
		if (!s)
			return 0;
		memcpy(s, data, size);
		s[size] = '\0';
		if (bh_abi_sig_parse(s, &sig, NULL) == 0) {
			/* the canonical form parses to itself */
			if (bh_abi_sig_parse(sig->canonical, &again, NULL) < 0 ||
			    strcmp(again->canonical, sig->canonical))
				abort();
			bh_abi_sig_free(again);
			bh_abi_sig_free(sig);
		}
		free(s);
		break;
	}
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* The strict JSON decoder (see json.h). */
#include <stdio.h>
#include <string.h>

#include "core/json.h"

int bh_json_error_code(const json_error_t *e)
{
	switch (json_error_code(e)) {
	case json_error_out_of_memory:
		return -ENOMEM;
	case json_error_stack_overflow:
		return BH_ERR_LIMIT;
	case json_error_premature_end_of_input:
		return BH_ERR_INCOMPLETE;
	case json_error_end_of_input_expected:
		return BH_ERR_TRAILING;
	case json_error_invalid_utf8:
		return BH_ERR_UTF8;
	case json_error_numeric_overflow:
		return BH_ERR_RANGE;
	case json_error_null_character:
	case json_error_null_byte_in_key:
		return BH_ERR_NUL;
	case json_error_duplicate_key:
		return BH_ERR_DUPLICATE;
	case json_error_wrong_type:
		return BH_ERR_WRONG_TYPE;
	default:
		return BH_ERR_FORMAT;
	}
}

const char *bh_json_type_name(const json_t *v)
{
	if (!v)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

static unsigned kind_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return BH_JSON_OBJECT;
	case JSON_ARRAY: return BH_JSON_ARRAY;
	case JSON_INTEGER: return BH_JSON_INTEGER;
	default: return BH_JSON_SCALAR;
	}
}

/* "an object", "an object or an integer", ... */
static void allowed_text(unsigned flags, char *out, size_t n)
{
	static const struct { unsigned f; const char *s; } names[] = {
		{ BH_JSON_OBJECT, "an object" }, { BH_JSON_ARRAY, "an array" },
		{ BH_JSON_INTEGER, "an integer" }, { BH_JSON_SCALAR, "a scalar" },
	};
	size_t k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].f))
			continue;
		int w = snprintf(out + k, n - k, "%s%s", k ? " or " : "", names[i].s);
		if (w < 0 || (size_t)w >= n - k)
			return;
		k += (size_t)w;
	}
}

int bh_json_load(const void *data, size_t len, size_t cap, unsigned flags, json_t **ret,
                 struct bh_msg *msg)
{
	json_error_t e;
	json_t *j;

	if (!data && len)
		return -EINVAL;
	if (len > cap) {
		bh_msg_set(msg, "%zu bytes, more than %zu", len, cap);
		return BH_ERR_LIMIT;
	}
	if (!data)
		data = "";   /* empty input: jansson reports it (BH_ERR_INCOMPLETE, with a line) */
	/* jansson would stop at a raw NUL byte; make it an explicit error */
	const char *nul = len ? memchr(data, 0, len) : NULL;
	if (nul) {
		bh_msg_set(msg, "NUL byte at offset %zu", (size_t)(nul - (const char *)data));
		return BH_ERR_NUL;
	}
	size_t jflags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY;
	if (flags & BH_JSON_ALLOW_ESCAPED_NUL)
		jflags |= JSON_ALLOW_NUL;
	if (!(j = json_loadb(data, len, jflags, &e))) {
		/* jansson names its own flag here ("\u0000 is not allowed without
		 * JSON_ALLOW_NUL"): say what is wrong in the input instead */
		const char *why = strstr(e.text, "JSON_ALLOW_NUL") ?
				  "\\u0000 (NUL) is not allowed in a string" : e.text;
		bh_msg_set(msg, "line %d column %d: %s", e.line, e.column, why);
		return bh_json_error_code(&e);
	}
	if (!(kind_of(j) & flags)) {
		char want[64];
		allowed_text(flags, want, sizeof(want));
		bh_msg_set(msg, "top level must be %s, got %s", want, bh_json_type_name(j));
		json_decref(j);
		return BH_ERR_WRONG_TYPE;
	}
	*ret = j;
	return 0;
}

int bh_json_load_buf(const struct bh_buf *in, size_t cap, unsigned flags, json_t **ret,
                     struct bh_msg *msg)
{
	return bh_json_load(bh_buf_ptr(in), bh_buf_len(in), cap, flags, ret, msg);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the strict JSON decoder (core/json.h) — the rules every caller gets (cap,
 * empty, raw NUL, \u0000, duplicate keys at depth, trailing data, UTF-8, integer overflow,
 * nesting), the allowed top-level kinds, messages, *ret untouched on failure, and the
 * bh_buf variant reading without consuming.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/json.h"

static int load(const char *s, size_t n, unsigned flags, struct bh_msg *m)
{
	json_t *j = (json_t *)0x1;   /* must stay untouched on failure */
	int r = bh_json_load(s, n, 1024, flags, &j, m);
	if (r < 0)
		assert_ptr_equal(j, (json_t *)0x1);
	else
		json_decref(j);
	return r;
}

#define L(s, flags) load(s, sizeof(s) - 1, flags, &m)

static void test_rules(void **state)
{
	(void)state;
	struct bh_msg m = { "" };

	assert_int_equal(L("{\"a\":[1,{\"b\":null}]}", BH_JSON_OBJECT), 0);
	assert_int_equal(L(" \n{} \t\n", BH_JSON_OBJECT), 0);
	assert_int_equal(L("", BH_JSON_ANY), BH_ERR_INCOMPLETE);
	assert_non_null(strstr(m.text, "line"));
	assert_int_equal(load(NULL, 0, BH_JSON_ANY, &m), BH_ERR_INCOMPLETE);
	assert_int_equal(L("   ", BH_JSON_ANY), BH_ERR_INCOMPLETE);
	assert_int_equal(L("{\"a\":", BH_JSON_ANY), BH_ERR_INCOMPLETE);
	assert_int_equal(L("{} x", BH_JSON_ANY), BH_ERR_TRAILING);
	assert_int_equal(L("{}{}", BH_JSON_ANY), BH_ERR_TRAILING);
	assert_int_equal(L("1 2", BH_JSON_ANY), BH_ERR_TRAILING);
	assert_int_equal(L("{\"a\":1,\"a\":1}", BH_JSON_ANY), BH_ERR_DUPLICATE);
	assert_non_null(strstr(m.text, "line 1"));
	assert_int_equal(L("[{\"x\":{\"k\":1,\"k\":2}}]", BH_JSON_ANY), BH_ERR_DUPLICATE);
	assert_int_equal(L("{\"a\":1}\0", BH_JSON_ANY), BH_ERR_NUL);
	assert_string_equal(m.text, "NUL byte at offset 7");
	assert_int_equal(L("{\"a\":\"\\u0000\"}", BH_JSON_ANY), BH_ERR_NUL);
	/* the message names the input, not a jansson flag */
	assert_non_null(strstr(m.text, "\\u0000 (NUL) is not allowed in a string"));
	assert_null(strstr(m.text, "JSON_ALLOW_NUL"));
	assert_int_equal(L("{\"\\u0000\":1}", BH_JSON_ANY), BH_ERR_NUL);
	assert_int_equal(L("{\"a\":\"\xc0\xaf\"}", BH_JSON_ANY), BH_ERR_UTF8);
	assert_int_equal(L("{\"a\":99999999999999999999}", BH_JSON_ANY), BH_ERR_RANGE);
	assert_int_equal(L("{\"a\":1e999}", BH_JSON_ANY), BH_ERR_RANGE);
	assert_int_equal(L("{'a':1}", BH_JSON_ANY), BH_ERR_FORMAT);
	assert_int_equal(L("{\"a\":NaN}", BH_JSON_ANY), BH_ERR_FORMAT);
	assert_int_equal(L("[1,]", BH_JSON_ANY), BH_ERR_FORMAT);
	assert_int_equal(L("/* c */ {}", BH_JSON_ANY), BH_ERR_FORMAT);
	/* the cap is checked before parsing */
	char big[1100];
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	assert_int_equal(load(big, sizeof(big), BH_JSON_ANY, &m), BH_ERR_LIMIT);
	assert_string_equal(m.text, "1100 bytes, more than 1024");
	assert_int_equal(load(big, 1024, BH_JSON_ANY, &m), BH_ERR_INCOMPLETE);
	/* nesting is bounded (jansson's parser depth), not recursed into without end */
	size_t depth = 5000, k = 0;
	char *deep = malloc(2 * depth);
	assert_non_null(deep);
	for (size_t i = 0; i < depth; i++)
		deep[k++] = '[';
	for (size_t i = 0; i < depth; i++)
		deep[k++] = ']';
	json_t *j = NULL;
	assert_int_equal(bh_json_load(deep, k, k, BH_JSON_ANY, &j, &m), BH_ERR_LIMIT);
	assert_null(j);
	free(deep);
}

static void test_kinds(void **state)
{
	(void)state;
	struct bh_msg m = { "" };

	assert_int_equal(L("[1]", BH_JSON_OBJECT), BH_ERR_WRONG_TYPE);
	assert_string_equal(m.text, "top level must be an object, got array");
	assert_int_equal(L("\"s\"", BH_JSON_OBJECT | BH_JSON_ARRAY), BH_ERR_WRONG_TYPE);
	assert_string_equal(m.text, "top level must be an object or an array, got string");
	assert_int_equal(L("[1]", BH_JSON_OBJECT | BH_JSON_ARRAY), 0);
	assert_int_equal(L("7", BH_JSON_OBJECT | BH_JSON_INTEGER), 0);
	assert_int_equal(L("-7", BH_JSON_OBJECT | BH_JSON_INTEGER), 0);
	assert_int_equal(L("7.5", BH_JSON_OBJECT | BH_JSON_INTEGER), BH_ERR_WRONG_TYPE);
	assert_int_equal(L("null", BH_JSON_OBJECT | BH_JSON_INTEGER), BH_ERR_WRONG_TYPE);
	assert_int_equal(L("null", BH_JSON_SCALAR), 0);
	assert_int_equal(L("true", BH_JSON_ANY), 0);
	assert_int_equal(L("{}", BH_JSON_ARRAY), BH_ERR_WRONG_TYPE);
	assert_string_equal(bh_json_type_name(NULL), "nothing");
}

static void test_buf(void **state)
{
	(void)state;
	struct bh_buf b;
	json_t *j = NULL;
	static const char doc[] = "{\"k\":\"v\"}";

	bh_buf_view(&b, doc, sizeof(doc) - 1);
	assert_int_equal(bh_json_load_buf(&b, 64, BH_JSON_OBJECT, &j, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(j, "k")), "v");
	json_decref(j);
	assert_int_equal(bh_buf_len(&b), sizeof(doc) - 1);   /* nothing consumed */
	/* only the unread part is parsed */
	assert_int_equal(bh_buf_consume(&b, 1), 0);
	assert_int_equal(bh_json_load_buf(&b, 64, BH_JSON_ANY, &j, NULL), BH_ERR_TRAILING);
	assert_int_equal(bh_json_load_buf(&b, 4, BH_JSON_ANY, &j, NULL), BH_ERR_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_buf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

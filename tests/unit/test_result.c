/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the BLOCKHOST_RESULT line (host/result.h) — the writer's output read back
 * by the reader (round trip), the reader on old and new CLI output, hostile lines, and
 * on real child output through core/spawn.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/spawn.h"
#include "host/result.h"

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The reader on a literal (a view: nothing copied, nothing consumed). */
static int parse(const char *s, size_t n, json_t **ret)
{
	struct bh_buf b;
	struct bh_msg m = { "" };
	json_t *before = *ret;
	int r;

	bh_buf_view(&b, s, n);
	r = bh_result_parse(&b, ret, &m);
	assert_int_equal(bh_buf_len(&b), n); /* not consumed */
	if (r < 0) {
		assert_true(m.text[0] != '\0'); /* every error says what was wrong */
		assert_ptr_equal(*ret, before); /* ret_* untouched on failure */
	}
	return r;
}

static void test_round_trip(void **state)
{
	(void)state;
	json_t *in[] = {
		json_pack("{s:s,s:s,s:s,s:s,s:s,s:n,s:s}", "status", "ok", "vm_name", "bh-001",
			  "ip", "10.0.0.5", "ipv6", "", "vmid", "bh-001", "nft_token_id",
			  "username", "admin"),
		json_pack("{s:s,s:s}", "status", "error", "error", "line one\nline two\r\n"),
		json_pack("{s:s}", "odd", "BLOCKHOST_RESULT: {\"nested\":1}\n\u00e9\u2028"),
		json_integer(0),
		json_integer(7),
		json_integer(INT64_MAX),
		json_object(),
	};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		char *line = NULL, *noisy = NULL;
		json_t *back = NULL;
		assert_non_null(in[i]);
		assert_int_equal(bh_result_format(in[i], &line, NULL), 0);
		assert_memory_equal(line, BH_RESULT_PREFIX, strlen(BH_RESULT_PREFIX));
		/* one line: the only newline is the last byte */
		assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
		assert_int_equal(parse(line, strlen(line), &back), 0);
		assert_true(json_equal(in[i], back));
		json_decref(back);
		back = NULL;
		/* with CLI noise around it, and a bare JSON line after it */
		assert_true(asprintf(&noisy, "Creating...\n{\"x\":1}\n%sdone\n{\"y\":2}\n", line) > 0);
		assert_int_equal(parse(noisy, strlen(noisy), &back), 0);
		assert_true(json_equal(in[i], back));
		json_decref(back);
		free(noisy);
		free(line);
		json_decref(in[i]);
	}
	/* what the writer refuses */
	char *line = NULL;
	json_t *bad[] = { json_integer(-1), json_array(), json_string("ok"), json_real(1.5),
			  json_null(), json_true() };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct bh_msg m = { "" };
		assert_int_equal(bh_result_format(bad[i], &line, &m), BH_ERR_WRONG_TYPE);
		assert_null(line);
		assert_true(m.text[0] != '\0');
		json_decref(bad[i]);
	}
	json_t *big = json_pack("{s:s%}", "blob", "", (size_t)0);
	char *huge = malloc(BH_RESULT_LINE_MAX);
	assert_non_null(huge);
	memset(huge, 'a', BH_RESULT_LINE_MAX - 1);
	huge[BH_RESULT_LINE_MAX - 1] = '\0';
	json_object_set_new(big, "blob", json_string(huge));
	assert_int_equal(bh_result_format(big, &line, NULL), BH_ERR_LIMIT);
	assert_null(line);
	free(huge);
	json_decref(big);
}

static void test_result_parse(void **state)
{
	(void)state;
	json_t *j = NULL;
#define P(s) parse(s, sizeof(s) - 1, &j)
	/* newest form, with noise around it */
	assert_int_equal(P("Creating VM...\nBLOCKHOST_RESULT: {\"status\":\"ok\",\"vm_name\":"
			   "\"blockhost-001\",\"vmid\":\"blockhost-001\",\"nft_token_id\":null}\n"
			   "done\n"), 0);
	assert_string_equal(json_string_value(json_object_get(j, "vm_name")), "blockhost-001");
	json_decref(j);
	/* the LAST sentinel wins */
	assert_int_equal(P("BLOCKHOST_RESULT: {\"n\":1}\nBLOCKHOST_RESULT: {\"n\":2}\r\n"), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "n")), 2);
	json_decref(j);
	/* mint: an integer */
	assert_int_equal(P("tx 0xabc\nBLOCKHOST_RESULT: 7\n"), 0);
	assert_true(json_is_integer(j));
	assert_int_equal(json_integer_value(j), 7);
	json_decref(j);
	/* no trailing newline */
	assert_int_equal(P("BLOCKHOST_RESULT: 0"), 0);
	assert_int_equal(json_integer_value(j), 0);
	json_decref(j);
	/* older bare forms */
	assert_int_equal(P("log line\n{\"status\":\"ok\",\"ip\":\"10.0.0.5\"}\n"), 0);
	assert_string_equal(json_string_value(json_object_get(j, "ip")), "10.0.0.5");
	json_decref(j);
	assert_int_equal(P("{\"a\":1}\nlog\n{\"a\":2}\nmore log\n"), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 2);
	json_decref(j);
	assert_int_equal(P("Minting...\n42\n"), 0);
	assert_int_equal(json_integer_value(j), 42);
	json_decref(j);
	/* a sentinel is authoritative over later bare lines */
	assert_int_equal(P("BLOCKHOST_RESULT: {\"a\":1}\n{\"a\":2}\n"), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
	json_decref(j);

	/* not found */
	assert_int_equal(P(""), BH_ERR_NOT_FOUND);
	assert_int_equal(P("nothing here\n  {\"indented\":1}\nRESULT: 1\n-5\n"), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_result_parse(NULL, &j, NULL), BH_ERR_NOT_FOUND);
	/* malformed sentinel: an error, no fallback to an earlier line */
	assert_int_equal(P("{\"a\":1}\nBLOCKHOST_RESULT: {\"a\":1} junk\n"), BH_ERR_TRAILING);
	assert_int_equal(P("BLOCKHOST_RESULT: {\"a\":1,\"a\":2}\n"), BH_ERR_DUPLICATE);
	assert_int_equal(P("BLOCKHOST_RESULT: {\"a\":\n"), BH_ERR_INCOMPLETE);
	assert_int_equal(P("BLOCKHOST_RESULT: \n"), BH_ERR_INCOMPLETE);
	assert_int_equal(P("BLOCKHOST_RESULT: [1]\n"), BH_ERR_WRONG_TYPE);
	assert_int_equal(P("BLOCKHOST_RESULT: \"ok\"\n"), BH_ERR_WRONG_TYPE);
	assert_int_equal(P("BLOCKHOST_RESULT: -1\n"), BH_ERR_WRONG_TYPE);
	assert_int_equal(P("BLOCKHOST_RESULT: 1.5\n"), BH_ERR_WRONG_TYPE);
	assert_int_equal(P("BLOCKHOST_RESULT: 99999999999999999999\n"), BH_ERR_RANGE);
	assert_int_equal(P("BLOCKHOST_RESULT: {\"a\":\"\0\"}\n"), BH_ERR_NUL);
	assert_int_equal(P("BLOCKHOST_RESULT: {\"a\":\"\xc3\"}\n"), BH_ERR_UTF8);
	assert_int_equal(P("{\"a\":1}}\n"), BH_ERR_TRAILING);
	assert_int_equal(P("007\n"), BH_ERR_FORMAT);
#undef P
}

/* The parser on real program output: /bin/echo prints a result line. */
static void test_result_from_child(void **state)
{
	(void)state;
	struct bh_spawn_opts o = {
		.argv = ARGV("/bin/echo", "BLOCKHOST_RESULT: {\"status\":\"ok\",\"vmid\":101}"),
		.timeout_ms = 5000,
	};
	struct bh_spawn_result r;
	json_t *j = NULL;

	assert_int_equal(bh_spawn_run(&o, &r), 0);
	/* spawn returns the raw output; the caller parses the result line */
	assert_int_equal(bh_result_parse(&r.out, &j, NULL), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "vmid")), 101);
	json_decref(j);
	bh_spawn_result_done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_result_parse),
		cmocka_unit_test(test_result_from_child),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

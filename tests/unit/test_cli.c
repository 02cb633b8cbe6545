/* SPDX-License-Identifier: MIT */
/* Unit tests: getopt_long without prefix matching (core/cli.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/cli.h"

static const struct option lo[] = {
	{ "owner-wallet", required_argument, NULL, 'w' },
	{ "owner", required_argument, NULL, 'w' },
	{ "json", no_argument, NULL, 'j' },
	{ "output", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 },
};

/* Parse argv (NULL-terminated) to the end or the first problem; the last result. */
static const char *last_arg;

static int parse(char **argv, const char *shortopts, int *ret_last, char *text, size_t len)
{
	struct bh_msg m = { "" };
	int argc = 0, c = 0, r;

	while (argv[argc])
		argc++;
	optind = 0;
	while ((r = bh_cli_getopt(argc, argv, shortopts, lo, &c, &m)) == 0 && c != -1)
		*ret_last = c, last_arg = optarg;
	snprintf(text, len, "%s", m.text);
	return r;
}

static void test_full_names(void **state)
{
	(void)state;
	char a0[] = "p", a1[] = "--owner-wallet", a2[] = "0xabc", a3[] = "--json", a4[] = "x",
	     a5[] = "--output=f";
	char *argv[] = { a0, a1, a2, a3, a4, a5, NULL };
	char t[512];
	int last = 0;

	assert_int_equal(parse(argv, "", &last, t, sizeof(t)), 0);
	assert_int_equal(last, 'o');
	assert_string_equal(last_arg, "f");
}

static void test_abbreviation_refused(void **state)
{
	(void)state;
	char a0[] = "p", a1[] = "--js", a2[] = "--owner-w", a3[] = "0x1", a4[] = "--ou=x";
	char *v1[] = { a0, a1, NULL }, *v2[] = { a0, a2, a3, NULL }, *v3[] = { a0, a4, NULL };
	char t[512];
	int last = 0;

	assert_int_equal(parse(v1, "", &last, t, sizeof(t)), BH_ERR_FORMAT);
	assert_non_null(strstr(t, "'--js' is abbreviated"));
	assert_non_null(strstr(t, "'--json'"));
	assert_int_equal(parse(v2, "", &last, t, sizeof(t)), BH_ERR_FORMAT);
	assert_non_null(strstr(t, "'--owner-w'"));
	assert_null(strstr(t, "0x1")); /* the option, not its value */
	assert_int_equal(parse(v3, "", &last, t, sizeof(t)), BH_ERR_FORMAT);
	assert_non_null(strstr(t, "'--ou' is abbreviated"));
	assert_null(strstr(t, "=x"));
}

static void test_problems_named(void **state)
{
	(void)state;
	char a0[] = "p", u[] = "--frob=secret", o[] = "--o", nv[] = "--output", j[] = "--json=1",
	     s[] = "-z", h[] = "-q";
	char *v1[] = { a0, u, NULL }, *v2[] = { a0, o, NULL }, *v3[] = { a0, nv, NULL },
	     *v4[] = { a0, j, NULL }, *v5[] = { a0, s, NULL }, *v6[] = { a0, h, NULL };
	char t[512];
	int last = 0;

	assert_int_equal(parse(v1, "", &last, t, sizeof(t)), BH_ERR_FORMAT);
	assert_string_equal(t, "unknown option '--frob'");
	assert_int_equal(parse(v2, "", &last, t, sizeof(t)), BH_ERR_FORMAT); /* ambiguous */
	assert_non_null(strstr(t, "never abbreviated"));
	assert_int_equal(parse(v3, "", &last, t, sizeof(t)), BH_ERR_FORMAT);
	assert_string_equal(t, "option '--output' needs a value");
	assert_int_equal(parse(v4, "", &last, t, sizeof(t)), BH_ERR_FORMAT);
	assert_string_equal(t, "option '--json' takes no value");
	assert_int_equal(parse(v5, "", &last, t, sizeof(t)), BH_ERR_FORMAT);
	assert_string_equal(t, "unknown option '-z'");
	assert_int_equal(parse(v6, "+q", &last, t, sizeof(t)), 0);
	assert_int_equal(last, 'q');
}

static void test_stop_at_operand(void **state)
{
	(void)state;
	char a0[] = "p", a1[] = "verb", a2[] = "--json";
	char *argv[] = { a0, a1, a2, NULL };
	char t[512];
	int last = 0;

	assert_int_equal(parse(argv, "+", &last, t, sizeof(t)), 0);
	assert_int_equal(last, 0);
	assert_int_equal(optind, 1);
	assert_true(bh_cli_has_flag(3, argv, "--json"));
	char d[] = "--";
	char *argv2[] = { a0, d, a2, NULL };
	assert_false(bh_cli_has_flag(3, argv2, "--json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_names),
		cmocka_unit_test(test_abbreviation_refused),
		cmocka_unit_test(test_problems_named),
		cmocka_unit_test(test_stop_at_operand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

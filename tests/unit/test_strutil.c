/* SPDX-License-Identifier: MIT */
/* Unit tests: the one name validator and the one log sanitizer (core/strutil.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/strutil.h"

static void test_name_classes(void **state)
{
	(void)state;
	char long65[66];

	memset(long65, 'a', 65);
	long65[65] = '\0';
	/* NULL and empty are never names */
	for (int c = BH_NAME_ACTION; c <= BH_NAME_CAP; c++) {
		assert_false(bh_name_valid(NULL, c));
		assert_false(bh_name_valid("", c));
		assert_false(bh_name_valid("a/b", c));
		assert_false(bh_name_valid("a b", c));
		assert_false(bh_name_valid("a\n", c));
		assert_false(bh_name_valid("\xc3\xa9", c));
		assert_false(bh_name_valid(long65, c));
	}
	assert_false(bh_name_valid("a", (enum bh_name_class)99));

	/* keystore keys ^[a-z0-9-]{1,32}$, machine ids ^[A-Za-z0-9._-]{1,64}$, caps ^[a-z_]{1,63}$ */
	assert_true(bh_name_valid("wallet", BH_NAME_KEY));
	assert_true(bh_name_valid("-tls-1", BH_NAME_KEY));
	assert_false(bh_name_valid("Wallet", BH_NAME_KEY));
	assert_false(bh_name_valid("a_b", BH_NAME_KEY));
	assert_false(bh_name_valid(long65 + 32, BH_NAME_KEY)); /* 33 */
	assert_true(bh_name_valid(long65 + 33, BH_NAME_KEY));  /* 32 */
	assert_true(bh_name_valid("VM-1.example_x", BH_NAME_MACHINE));
	assert_true(bh_name_valid("..", BH_NAME_MACHINE)); /* not a path: as before */
	assert_false(bh_name_valid("vm:1", BH_NAME_MACHINE));
	assert_true(bh_name_valid(long65 + 1, BH_NAME_MACHINE)); /* 64 */
	assert_true(bh_name_valid("net_admin", BH_NAME_CAP));
	assert_false(bh_name_valid("NET_ADMIN", BH_NAME_CAP));
	assert_false(bh_name_valid("cap1", BH_NAME_CAP));

	/* actions and services: ^[a-z0-9][a-z0-9-]{0,63}$ */
	assert_true(bh_name_valid("iptables-open", BH_NAME_ACTION));
	assert_true(bh_name_valid("0a", BH_NAME_ACTION));
	assert_false(bh_name_valid("-a", BH_NAME_ACTION));
	assert_false(bh_name_valid("A", BH_NAME_ACTION));
	assert_false(bh_name_valid("a_b", BH_NAME_ACTION));
	assert_false(bh_name_valid("..", BH_NAME_ACTION));
	assert_true(bh_name_valid(long65 + 1, BH_NAME_ACTION)); /* 64 */
	assert_true(bh_name_valid("web3-auth-svc", BH_NAME_SERVICE));
	assert_false(bh_name_valid("_x", BH_NAME_SERVICE));

	/* params: ^[a-z][a-z0-9_]{0,31}$ */
	assert_true(bh_name_valid("memory_mb", BH_NAME_PARAM));
	assert_false(bh_name_valid("0x", BH_NAME_PARAM));
	assert_false(bh_name_valid("a-b", BH_NAME_PARAM));
	assert_true(bh_name_valid(long65 + 33, BH_NAME_PARAM));  /* 32 */
	assert_false(bh_name_valid(long65 + 32, BH_NAME_PARAM)); /* 33 */

	/* INI section/key: ^[a-z0-9_-]{1,64}$ (any of them first) */
	assert_true(bh_name_valid("-x_", BH_NAME_INI));
	assert_false(bh_name_valid("X", BH_NAME_INI));
	assert_true(bh_name_valid_len("[socket]" + 1, 6, BH_NAME_INI));
	assert_false(bh_name_valid_len("ab\0c", 4, BH_NAME_INI)); /* NUL inside */

	/* users: ^[a-z_][a-z0-9_-]{0,31}$ */
	assert_true(bh_name_valid("_apt", BH_NAME_USER));
	assert_true(bh_name_valid("blockhost-agent-plugin", BH_NAME_USER));
	assert_false(bh_name_valid("1user", BH_NAME_USER));
	assert_false(bh_name_valid("Root", BH_NAME_USER));
	assert_false(bh_name_valid(long65 + 32, BH_NAME_USER));

	/* VMs: ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$ */
	assert_true(bh_name_valid("Web-01.test_x", BH_NAME_VM));
	assert_false(bh_name_valid(".hidden", BH_NAME_VM));
	assert_false(bh_name_valid("-x", BH_NAME_VM));

	/* files: ^[A-Za-z0-9._-]{1,63}$, not . or .. */
	assert_true(bh_name_valid("base.inc", BH_NAME_FILE));
	assert_true(bh_name_valid("...", BH_NAME_FILE));
	assert_false(bh_name_valid(".", BH_NAME_FILE));
	assert_false(bh_name_valid("..", BH_NAME_FILE));
	assert_false(bh_name_valid(long65 + 1, BH_NAME_FILE)); /* 64 */

	/* syscalls: ^[a-z0-9_]{1,63}$ */
	assert_true(bh_name_valid("rt_sigreturn", BH_NAME_SYSCALL));
	assert_false(bh_name_valid("open-at", BH_NAME_SYSCALL));

	/* manifest identifiers: ^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$ */
	assert_true(bh_name_valid("_Verb.v2-x", BH_NAME_IDENT));
	assert_false(bh_name_valid(".x", BH_NAME_IDENT));
	assert_false(bh_name_valid("-x", BH_NAME_IDENT));
	assert_true(bh_name_valid(long65 + 1, BH_NAME_IDENT));
}

static void test_sanitize(void **state)
{
	(void)state;
	char pr[8], big[64];

	/* bytes: NUL included, len bounds it */
	assert_string_equal(bh_str_sanitize("a\0b", 3, big, sizeof(big)), "a?b");
	assert_string_equal(bh_str_sanitize("ab\x1b\r\n\xc3\xa9\x7f", 8, big, sizeof(big)),
			    "ab??????");
	assert_string_equal(bh_str_sanitize(NULL, 5, big, sizeof(big)), "");
	/* C strings */
	assert_string_equal(bh_str_sanitize("ab\x1b\r\n\xc3\xa9", BH_STR_CSTR, pr, sizeof(pr)),
			    "ab?????");
	assert_string_equal(bh_str_sanitize("abcdefghij", BH_STR_CSTR, pr, sizeof(pr)), "abcd...");
	assert_string_equal(bh_str_sanitize("abcdefgh", BH_STR_CSTR, pr, sizeof(pr)), "abcd...");
	assert_string_equal(bh_str_sanitize("abcdefg", BH_STR_CSTR, pr, sizeof(pr)), "abcdefg");
	assert_string_equal(bh_str_sanitize(NULL, BH_STR_CSTR, pr, sizeof(pr)), "");
	assert_string_equal(bh_str_sanitize("abcdefghij", 10, pr, sizeof(pr)), "abcd...");
	/* tiny outputs: still terminated, no mark when it does not fit */
	assert_string_equal(bh_str_sanitize("abc", 3, pr, 1), "");
	assert_string_equal(bh_str_sanitize("abc", 3, pr, 3), "ab");
	/* names: only [A-Za-z0-9._@-] */
	assert_string_equal(bh_str_sanitize_as("Al.i_c-e@x 'y'", BH_STR_CSTR, big, sizeof(big),
					       BH_STR_KEEP_NAME), "Al.i_c-e@x??y?");
	assert_string_equal(bh_str_sanitize_as("a\0b", 3, big, sizeof(big), BH_STR_KEEP_NAME), "a?b");
}

static void test_trim(void **state)
{
	(void)state;
	size_t off = 99;

	assert_int_equal(bh_str_trim("", 0, &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(bh_str_trim(" \t\r\n", 4, &off), 0);
	assert_int_equal(off, 4);
	assert_int_equal(bh_str_trim("0xab", 4, &off), 4);
	assert_int_equal(off, 0);
	assert_int_equal(bh_str_trim("\n 0x ab\r\n", 9, &off), 5); /* inner blank kept */
	assert_int_equal(off, 2);
	/* only the given length is looked at: a blank past it is not the end */
	assert_int_equal(bh_str_trim("ab  cd", 3, &off), 2);
	assert_int_equal(off, 0);
	/* other control bytes and NUL are not blanks */
	assert_int_equal(bh_str_trim("\v x \0", 5, &off), 5);
	assert_int_equal(off, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_classes),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_trim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

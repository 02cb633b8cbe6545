/* SPDX-License-Identifier: MIT */
/* Unit tests: program logging (format, level filter, control characters, fatal). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/log.h"

/* Run fn with stderr redirected to a pipe; return what it wrote (static buffer). */
static const char *capture(void (*fn)(void))
{
	static char out[4096];
	int p[2], saved;
	ssize_t n;

	assert_int_equal(pipe(p), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(p[1], STDERR_FILENO) >= 0);
	close(p[1]);
	fn();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

static void emit_levels(void)
{
	bh_log_init("bhtest", BH_LOG_STDERR, 0);
	bh_log_set_level(LOG_INFO);
	log_info("hello %d", 42);
	log_debug("not shown");
	log_error_r(BH_ERR_TRAILING, "parse %s", "x.json");
}

static void test_format_and_level(void **state)
{
	(void)state;
	const char *out = capture(emit_levels);
	assert_string_equal(out, "bhtest: hello 42\nbhtest: parse x.json: unexpected trailing data\n");
}

static void emit_hostile(void)
{
	bh_log_init("bhtest", BH_LOG_STDERR, 0);
	log_warn("user %s", "alice\nbhtest: forged line\r\x1b[31m");
}

static void test_control_characters(void **state)
{
	(void)state;
	const char *out = capture(emit_hostile);
	assert_string_equal(out, "bhtest: user alice?bhtest: forged line??[31m\n");
}

static void test_fatal_exits(void **state)
{
	(void)state;
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, STDERR_FILENO);
		bh_fatal("giving up: %s", "reason");
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_level),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_fatal_exits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: subprocess helper (spawn.h) with real programs (/bin/echo, /bin/cat,
 * /bin/sleep, /usr/bin/env, ...), never a shell.  The BLOCKHOST_RESULT parser: test_result.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/spawn.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* No child of ours is left, zombie or running. */
static void assert_no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static char *out_str(const struct bh_spawn_result *r)
{
	size_t n = bh_buf_len(&r->out);
	char *s = malloc(n + 1);
	memcpy(s, bh_buf_ptr(&r->out), n);
	s[n] = 0;
	return s;
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_echo_and_exit_codes(void **state)
{
	(void)state;
	struct bh_spawn_opts o = { .argv = ARGV("/bin/echo", "hello", "a b", "$HOME;`x`"),
				   .timeout_ms = 5000 };
	struct bh_spawn_result r;

	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(r.term_signal, 0);
	/* argv is passed verbatim: no shell expansion */
	char *s = out_str(&r);
	assert_string_equal(s, "hello a b $HOME;`x`\n");
	free(s);
	assert_int_equal(bh_buf_len(&r.err), 0);
	bh_spawn_result_done(&r);

	o.argv = ARGV("/bin/false");
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_int_equal(r.exit_code, 1);
	bh_spawn_result_done(&r);

	/* stderr captured separately; exit 2 */
	o.argv = ARGV("/bin/ls", "/nonexistent-bh-dir");
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_int_equal(r.exit_code, 2);
	assert_int_equal(bh_buf_len(&r.out), 0);
	assert_true(bh_buf_len(&r.err) > 0);
	bh_spawn_result_done(&r);
	bh_spawn_result_done(NULL);

	/* death by a signal is reported as such (sh only delivers the signal to itself) */
	o.argv = ARGV("/bin/sh", "-c", "kill -KILL $$");
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.term_signal, SIGKILL);
	bh_spawn_result_done(&r);
	assert_no_children();
}

static void test_stdin(void **state)
{
	(void)state;
	/* larger than a pipe buffer, so writing and reading interleave */
	size_t n = 1024 * 1024 + 3;
	uint8_t *data = malloc(n);
	struct bh_spawn_result r;

	for (size_t i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 13 + 1);
	struct bh_spawn_opts o = { .argv = ARGV("/bin/cat"), .stdin_data = data, .stdin_len = n,
				   .stdout_max = 2 * n, .timeout_ms = 10000 };
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_int_equal(r.exit_code, 0);
	assert_int_equal(bh_buf_len(&r.out), n);
	assert_memory_equal(bh_buf_ptr(&r.out), data, n);
	bh_spawn_result_done(&r);

	/* a child that never reads stdin: no SIGPIPE for us, no hang */
	o.argv = ARGV("/bin/true");
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_int_equal(r.exit_code, 0);
	bh_spawn_result_done(&r);

	/* no stdin data: /dev/null */
	o.argv = ARGV("/bin/cat");
	o.stdin_data = NULL;
	o.stdin_len = 0;
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_int_equal(bh_buf_len(&r.out), 0);
	bh_spawn_result_done(&r);
	/* empty stdin data: EOF */
	o.stdin_data = "";
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_int_equal(bh_buf_len(&r.out), 0);
	bh_spawn_result_done(&r);
	free(data);
	assert_no_children();
}

static void test_timeout(void **state)
{
	(void)state;
	struct bh_spawn_opts o = { .argv = ARGV("/bin/sleep", "10"), .timeout_ms = 200 };
	struct bh_spawn_result r;

	int64_t t0 = mono_ms();
	assert_int_equal(bh_spawn_run(&o, &r), BH_ERR_TIMEOUT);
	int64_t dt = mono_ms() - t0;
	assert_true(dt >= 190 && dt < 3000);
	assert_no_children();

	/* a child ignoring SIGTERM is killed after the grace period */
	o.argv = ARGV("/usr/bin/env", "--ignore-signal=TERM", "/bin/sleep", "10");
	o.grace_ms = 300;
	t0 = mono_ms();
	assert_int_equal(bh_spawn_run(&o, &r), BH_ERR_TIMEOUT);
	dt = mono_ms() - t0;
	assert_true(dt >= 450 && dt < 4000);
	assert_no_children();

	/* endless output hits the deadline, not the cap */
	o.argv = ARGV("/usr/bin/yes");
	o.stdout_max = 1000;
	o.grace_ms = 0;
	assert_int_equal(bh_spawn_run(&o, &r), BH_ERR_TIMEOUT);
	assert_no_children();
}

/*
 * bh_spawn_pump on a child started by the caller (as the root agent does with clone):
 * stdin fed, output captured, KILL_AT_ONCE at the deadline (no grace even for a child
 * ignoring SIGTERM), STDOUT_CAP_KILLS, and the fds and the child always released.
 */
static pid_t fork_exec(const char *const *argv, int fds[3])
{
	int in[2], out[2], err[2];
	pid_t pid;

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setsid();
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	fds[0] = in[1];
	fds[1] = out[0];
	fds[2] = err[0];
	return pid;
}

static void test_pump(void **state)
{
	(void)state;
	struct bh_spawn_pump_opts po = { .stdin_data = "hello pump", .stdin_len = 10,
					 .timeout_ms = 5000 };
	struct bh_spawn_result r;
	int fds[3];
	pid_t pid;

	pid = fork_exec(ARGV("/bin/cat"), fds);
	assert_int_equal(bh_spawn_pump(pid, fds[0], fds[1], fds[2], &po, &r), 0);
	assert_int_equal(r.exit_code, 0);
	assert_false(r.timed_out);
	char *s = out_str(&r);
	assert_string_equal(s, "hello pump");
	free(s);
	bh_spawn_result_done(&r);
	assert_no_children();

	/* KILL_AT_ONCE: SIGKILL at the deadline, no grace period */
	po = (struct bh_spawn_pump_opts){ .timeout_ms = 200, .grace_ms = BH_SPAWN_KILL_AT_ONCE };
	pid = fork_exec(ARGV("/usr/bin/env", "--ignore-signal=TERM", "/bin/sleep", "10"), fds);
	int64_t t0 = mono_ms();
	assert_int_equal(bh_spawn_pump(pid, fds[0], fds[1], fds[2], &po, &r), 0);
	int64_t dt = mono_ms() - t0;
	assert_true(r.timed_out);
	assert_int_equal(r.exit_code, -1);
	assert_int_equal(r.term_signal, SIGKILL);
	assert_true(dt >= 190 && dt < 1500);
	bh_spawn_result_done(&r);
	assert_no_children();

	/* STDOUT_CAP_KILLS: endless output is killed at the cap, long before the deadline */
	po = (struct bh_spawn_pump_opts){ .stdout_max = 1000, .timeout_ms = 10000,
					  .grace_ms = BH_SPAWN_KILL_AT_ONCE,
					  .flags = BH_SPAWN_STDOUT_CAP_KILLS };
	pid = fork_exec(ARGV("/usr/bin/yes"), fds);
	t0 = mono_ms();
	assert_int_equal(bh_spawn_pump(pid, fds[0], fds[1], fds[2], &po, &r), 0);
	assert_true(mono_ms() - t0 < 5000);
	assert_true(r.stdout_truncated);
	assert_false(r.timed_out);
	assert_int_equal(r.term_signal, SIGKILL);
	assert_int_equal(bh_buf_len(&r.out), 1000);
	bh_spawn_result_done(&r);
	assert_no_children();

	/* WAIT_EOF (the plugin runner's rule): a helper left holding stdout keeps the pump
	 * going into the deadline, and is killed with the group there */
	po = (struct bh_spawn_pump_opts){ .timeout_ms = 400, .grace_ms = BH_SPAWN_KILL_AT_ONCE,
					  .flags = BH_SPAWN_WAIT_EOF };
	pid = fork_exec(ARGV("/bin/sh", "-c", "/bin/sleep 5 & echo started"), fds);
	t0 = mono_ms();
	assert_int_equal(bh_spawn_pump(pid, fds[0], fds[1], fds[2], &po, &r), 0);
	dt = mono_ms() - t0;
	assert_true(r.timed_out);
	assert_true(dt >= 390 && dt < 3000);
	s = out_str(&r);
	assert_string_equal(s, "started\n");
	free(s);
	bh_spawn_result_done(&r);
	assert_no_children();
	/* without a helper, WAIT_EOF ends at exit + EOF as usual */
	pid = fork_exec(ARGV("/bin/echo", "x"), fds);
	assert_int_equal(bh_spawn_pump(pid, fds[0], fds[1], fds[2], &po, &r), 0);
	assert_false(r.timed_out);
	assert_int_equal(r.exit_code, 0);
	bh_spawn_result_done(&r);

	/* bad options: the child is still killed and reaped, the fds closed */
	po = (struct bh_spawn_pump_opts){ .timeout_ms = 0 };
	pid = fork_exec(ARGV("/bin/sleep", "10"), fds);
	assert_int_equal(bh_spawn_pump(pid, fds[0], fds[1], fds[2], &po, &r), -EINVAL);
	assert_no_children();
	for (int i = 0; i < 3; i++)
		assert_int_equal(fcntl(fds[i], F_GETFD), -1);
}

/* The child leads its own process group, which is what the timeout kills. */
static void test_process_group(void **state)
{
	(void)state;
	struct bh_spawn_opts o = { .argv = ARGV("/bin/cat", "/proc/self/stat"), .timeout_ms = 5000 };
	struct bh_spawn_result r;
	int pid, ppid, pgrp;
	char st;

	assert_int_equal(bh_spawn_run(&o, &r), 0);
	char *s = out_str(&r);
	const char *p = strrchr(s, ')'); /* after "pid (comm)" */
	assert_non_null(p);
	assert_int_equal(sscanf(s, "%d", &pid), 1);
	assert_int_equal(sscanf(p + 1, " %c %d %d", &st, &ppid, &pgrp), 3);
	assert_int_equal(pgrp, pid);
	assert_int_equal(ppid, getpid());
	assert_true(pgrp != getpgrp());
	free(s);
	bh_spawn_result_done(&r);
	assert_no_children();
}

/*
 * On timeout the whole process group dies, grandchildren included.  /bin/sh only
 * creates the grandchild here; the mechanism under test is the group kill.  The
 * check runs in a forked subreaper so the orphaned grandchild is reparented to it
 * and its death can be observed with waitpid.
 */
static void group_kill_case(const char *grandchild, int want_sig)
{
	char dir[] = "/tmp/bhspawnXXXXXX", file[64], script[200];

	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/gpid", dir);
	snprintf(script, sizeof(script), "%s & echo $! > %s; wait", grandchild, file);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct bh_spawn_opts o = { .argv = ARGV("/bin/sh", "-c", script), .timeout_ms = 300,
					   .grace_ms = 5000 };
		struct bh_spawn_result r;
		int gpid = 0, st;
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			_exit(2);
		int64_t t0 = mono_ms();
		if (bh_spawn_run(&o, &r) != BH_ERR_TIMEOUT)
			_exit(3);
		/* the leader died on SIGTERM: no waiting out the grace period */
		if (mono_ms() - t0 > 3000)
			_exit(7);
		FILE *f = fopen(file, "r");
		if (!f || fscanf(f, "%d", &gpid) != 1)
			_exit(4);
		fclose(f);
		if (waitpid(gpid, &st, 0) != gpid)
			_exit(5);
		_exit(WIFSIGNALED(st) && WTERMSIG(st) == want_sig ? 0 : 6);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	unlink(file);
	rmdir(dir);
}

static void test_group_kill(void **state)
{
	(void)state;
	group_kill_case("/bin/sleep 30", SIGTERM);
	/* a helper that ignores SIGTERM is SIGKILLed when its leader is gone */
	group_kill_case("/usr/bin/env --ignore-signal=TERM /bin/sleep 30", SIGKILL);
}

/* A grandchild that keeps the output pipes open does not hold up the caller. */
static void test_grandchild_holds_pipes(void **state)
{
	(void)state;
	struct bh_spawn_opts o = { .argv = ARGV("/bin/sh", "-c", "/bin/sleep 3 & echo started"),
				   .timeout_ms = 10000 };
	struct bh_spawn_result r;

	int64_t t0 = mono_ms();
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_true(mono_ms() - t0 < 2000);
	assert_int_equal(r.exit_code, 0);
	char *s = out_str(&r);
	assert_string_equal(s, "started\n");
	free(s);
	bh_spawn_result_done(&r);
	assert_no_children();
}

static void test_output_cap(void **state)
{
	(void)state;
	struct bh_spawn_opts o = { .argv = ARGV("/usr/bin/head", "-c", "100000", "/dev/zero"),
				   .stdout_max = 1000, .timeout_ms = 5000 };
	struct bh_spawn_result r;

	memset(&r, 0x5a, sizeof(r));
	assert_int_equal(bh_spawn_run(&o, &r), BH_ERR_LIMIT);
	assert_no_children();
	o.allow_truncate = true;
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_int_equal(r.exit_code, 0); /* drained: head was never blocked or killed */
	assert_true(r.stdout_truncated);
	assert_false(r.stderr_truncated);
	assert_int_equal(bh_buf_len(&r.out), 1000);
	bh_spawn_result_done(&r);
	/* exactly at the cap is not truncation */
	o.argv = ARGV("/usr/bin/head", "-c", "1000", "/dev/zero");
	o.allow_truncate = false;
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_false(r.stdout_truncated);
	bh_spawn_result_done(&r);
	/* stderr cap */
	o.argv = ARGV("/bin/ls", "/nonexistent-bh-dir");
	o.stderr_max = 5;
	assert_int_equal(bh_spawn_run(&o, &r), BH_ERR_LIMIT);
	assert_no_children();
}

static void test_environment(void **state)
{
	(void)state;
	struct bh_spawn_opts o = { .argv = ARGV("/usr/bin/env"), .timeout_ms = 5000 };
	struct bh_spawn_result r;

	setenv("BH_TEST_SECRET", "do-not-leak", 1);
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	char *s = out_str(&r);
	assert_string_equal(s, "PATH=" BH_SPAWN_DEFAULT_PATH "\nLANG=C.UTF-8\n");
	free(s);
	bh_spawn_result_done(&r);
	o.envp = ARGV("A=1", "B=two words");
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	s = out_str(&r);
	assert_string_equal(s, "A=1\nB=two words\n");
	free(s);
	bh_spawn_result_done(&r);
	unsetenv("BH_TEST_SECRET");
}

static void test_path_and_errors(void **state)
{
	(void)state;
	struct bh_spawn_opts o = { .argv = ARGV("echo", "x"), .timeout_ms = 5000 };
	struct bh_spawn_result r;
	char *w = NULL;

	/* plain names only with search_path, and only on the envp PATH */
	assert_int_equal(bh_spawn_run(&o, &r), -EINVAL);
	o.search_path = true;
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	assert_int_equal(bh_buf_len(&r.out), 2);
	bh_spawn_result_done(&r);
	o.envp = ARGV("PATH=/nonexistent:relative/bin:");
	assert_int_equal(bh_spawn_run(&o, &r), BH_ERR_NOT_FOUND);
	o.envp = ARGV("LANG=C");
	assert_int_equal(bh_spawn_run(&o, &r), BH_ERR_NOT_FOUND);
	o.envp = NULL;
	o.argv = ARGV("bin/echo");
	assert_int_equal(bh_spawn_run(&o, &r), -EINVAL);
	o.argv = ARGV("/nonexistent/program");
	assert_int_equal(bh_spawn_run(&o, &r), -ENOENT);
	o.argv = ARGV("/etc/passwd"); /* not executable */
	assert_int_equal(bh_spawn_run(&o, &r), -EACCES);
	o.argv = ARGV("/bin/true");
	o.timeout_ms = 0;
	assert_int_equal(bh_spawn_run(&o, &r), -EINVAL);
	o.timeout_ms = BH_SPAWN_NO_TIMEOUT;
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	bh_spawn_result_done(&r);
	o.argv = ARGV("");
	assert_int_equal(bh_spawn_run(&o, &r), -EINVAL);
	assert_int_equal(bh_spawn_run(NULL, &r), -EINVAL);
	assert_no_children();

	assert_int_equal(bh_spawn_which("cat", "/nonexistent::/bin", &w), 0);
	assert_string_equal(w, "/bin/cat");
	free(w);
	assert_int_equal(bh_spawn_which("cat", ".:bin", &w), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_spawn_which("a/cat", "/bin", &w), -EINVAL);
	assert_int_equal(bh_spawn_which("passwd", "/etc", &w), BH_ERR_NOT_FOUND); /* not +x */
}

static void test_cwd_and_fds(void **state)
{
	(void)state;
	struct bh_spawn_opts o = { .argv = ARGV("/bin/pwd"), .cwd = "/proc", .timeout_ms = 5000 };
	struct bh_spawn_result r;

	assert_int_equal(bh_spawn_run(&o, &r), 0);
	char *s = out_str(&r);
	assert_string_equal(s, "/proc\n");
	free(s);
	bh_spawn_result_done(&r);

	/* an inheritable fd of the parent does not reach the child */
	int fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 57), 57);
	o.cwd = NULL;
	o.argv = ARGV("/bin/ls", "/proc/self/fd");
	assert_int_equal(bh_spawn_run(&o, &r), 0);
	s = out_str(&r);
	/* 0 1 2 and ls's own directory fd */
	assert_string_equal(s, "0\n1\n2\n3\n");
	free(s);
	bh_spawn_result_done(&r);
	close(57);
	close(fd);
	o.cwd = "/nonexistent-bh-dir";
	assert_int_equal(bh_spawn_run(&o, &r), -ENOENT);
	assert_no_children();
}

/* Spawning with stdin/stdout/stderr of the parent closed still wires the child right. */
static void test_parent_stdio_closed(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct bh_spawn_opts o = { .argv = ARGV("/bin/cat"), .stdin_data = "abc",
					   .stdin_len = 3, .timeout_ms = 5000 };
		struct bh_spawn_result r;
		close(0);
		close(1);
		close(2);
		if (bh_spawn_run(&o, &r) < 0)
			_exit(1);
		_exit(bh_buf_len(&r.out) == 3 && memcmp(bh_buf_ptr(&r.out), "abc", 3) == 0 ? 0 : 2);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_and_exit_codes),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_pump),
		cmocka_unit_test(test_process_group),
		cmocka_unit_test(test_group_kill),
		cmocka_unit_test(test_grandchild_holds_pipes),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_path_and_errors),
		cmocka_unit_test(test_cwd_and_fds),
		cmocka_unit_test(test_parent_stdio_closed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

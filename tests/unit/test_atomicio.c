/* SPDX-License-Identifier: MIT */
/* Unit tests: atomic file replacement, stale temp cleanup, flock-based locks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/atomicio.h"
#include "core/buf.h"
#include "core/err.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/bhatomXXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *pj(const char *name)
{
	static char p[2][512];
	static int i;
	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void read_back(const char *path, const char *want)
{
	struct bh_buf b;
	bh_buf_init(&b, 1 << 20);
	assert_int_equal(bh_buf_load_file(&b, path), 0);
	assert_int_equal(bh_buf_len(&b), strlen(want));
	assert_memory_equal(bh_buf_ptr(&b), want, strlen(want));
	bh_buf_done(&b);
}

static void test_write_and_mode(void **state)
{
	(void)state;
	struct stat st;
	mode_t old = umask(077);

	/* the mode is exact regardless of the umask */
	assert_int_equal(bh_atomic_write(pj("f"), "hello", 5, 0640), 0);
	assert_int_equal(stat(pj("f"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	read_back(pj("f"), "hello");
	umask(0);
	assert_int_equal(bh_atomic_write(pj("f"), "bye", 3, 0600), 0);
	assert_int_equal(stat(pj("f"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	read_back(pj("f"), "bye");
	umask(old);
	/* empty contents */
	assert_int_equal(bh_atomic_write(pj("f"), "", 0, 0640), 0);
	read_back(pj("f"), "");
	assert_int_equal(count_entries(), 1); /* no temp files left */
	unlink(pj("f"));
}

/* Root replacing another user's file keeps that user's ownership (vms.json owned by
 * blockhost, updated by a root tool, must stay readable by the engine). */
static void test_write_keeps_owner(void **state)
{
	(void)state;
	struct stat st;

	if (geteuid() != 0) {
		skip(); /* chown to another uid needs root; CI runs as root */
		return;
	}
	assert_int_equal(bh_atomic_write(pj("owned"), "a", 1, 0640), 0);
	assert_int_equal(chown(pj("owned"), 65534, 65534), 0);
	assert_int_equal(bh_atomic_write(pj("owned"), "b", 1, 0640), 0);
	assert_int_equal(stat(pj("owned"), &st), 0);
	assert_int_equal(st.st_uid, 65534);
	assert_int_equal(st.st_gid, 65534);
	read_back(pj("owned"), "b");
	unlink(pj("owned"));
}

static void test_write_failures_leave_nothing(void **state)
{
	(void)state;
	/* missing directory */
	assert_int_equal(bh_atomic_write(pj("nodir/f"), "x", 1, 0640), -ENOENT);
	/* target is a directory: rename fails, the temp file must be removed */
	assert_int_equal(mkdir(pj("d"), 0755), 0);
	int r = bh_atomic_write(pj("d"), "x", 1, 0640);
	assert_true(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST);
	assert_int_equal(count_entries(), 1);
	rmdir(pj("d"));
	/* bad names */
	assert_int_equal(bh_atomic_write("", "x", 1, 0640), -EINVAL);
	assert_int_equal(bh_atomic_write(pj(""), "x", 1, 0640), -EINVAL);
	assert_int_equal(bh_atomic_write(pj(".."), "x", 1, 0640), -EINVAL);
	char longname[300];
	memset(longname, 'a', 255);
	longname[255] = '\0';
	assert_int_equal(bh_atomic_write(pj(longname), "x", 1, 0640), -ENAMETOOLONG);
	assert_int_equal(count_entries(), 0);
}

static void test_symlink_target_replaced_not_followed(void **state)
{
	(void)state;
	struct stat st;

	assert_int_equal(bh_atomic_write(pj("victim"), "secret", 6, 0600), 0);
	assert_int_equal(symlink(pj("victim"), pj("link")), 0);
	assert_int_equal(bh_atomic_write(pj("link"), "new", 3, 0640), 0);
	read_back(pj("victim"), "secret");       /* not written through the link */
	assert_int_equal(lstat(pj("link"), &st), 0);
	assert_true(S_ISREG(st.st_mode));        /* the link itself was replaced */
	read_back(pj("link"), "new");
	unlink(pj("victim"));
	unlink(pj("link"));
}

static void test_write_json(void **state)
{
	(void)state;
	json_t *j = json_pack("{s:i,s:[s],s:{}}", "z", 1, "a", "x", "m");
	json_t *s = json_string("no");

	assert_int_equal(bh_atomic_write_json(pj("j.json"), j, 0640), 0);
	/* insertion order, 2-space indent, trailing newline */
	read_back(pj("j.json"), "{\n  \"z\": 1,\n  \"a\": [\n    \"x\"\n  ],\n  \"m\": {}\n}\n");
	assert_int_equal(bh_atomic_write_json(pj("j.json"), s, 0640), BH_ERR_FORMAT);
	assert_int_equal(bh_atomic_write_json(pj("j.json"), NULL, 0640), BH_ERR_FORMAT);
	json_decref(j);
	json_decref(s);
	unlink(pj("j.json"));
}

static void test_cleanup_stale(void **state)
{
	(void)state;
	const char *stale[] = { ".db.json.tmp.0123456789abcdef", ".db.json.tmp.ffffffffffffffff" };
	const char *keep[] = { ".db.json.tmp.0123", ".other.tmp.0123456789abcdef",
			       ".db.json.tmp.0123456789abcdeZ", "db.json" };

	for (size_t i = 0; i < 2; i++)
		assert_int_equal(bh_atomic_write(pj(stale[i]), "x", 1, 0600), 0);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(bh_atomic_write(pj(keep[i]), "x", 1, 0600), 0);
	assert_int_equal(bh_atomic_cleanup_stale(pj("db.json")), 2);
	assert_int_equal(count_entries(), 4);
	assert_int_equal(bh_atomic_cleanup_stale(pj("db.json")), 0);
	assert_int_equal(bh_atomic_cleanup_stale(pj("nodir/db.json")), -ENOENT);
	for (size_t i = 0; i < 4; i++)
		unlink(pj(keep[i]));
}

static void test_locks(void **state)
{
	(void)state;
	struct bh_lock a = BH_LOCK_INIT, b = BH_LOCK_INIT, c = BH_LOCK_INIT;
	struct stat st;

	/* flock conflicts between separate opens, even in one process */
	assert_int_equal(bh_lock_acquire(pj("l.lock"), true, 0, &a), 0);
	assert_int_equal(stat(pj("l.lock"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(bh_lock_acquire(pj("l.lock"), true, 0, &b), BH_ERR_TIMEOUT);
	assert_int_equal(b.fd, -1); /* not assigned on failure */
	assert_int_equal(bh_lock_acquire(pj("l.lock"), false, 0, &b), BH_ERR_TIMEOUT);

	/* a positive timeout waits about that long */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(bh_lock_acquire(pj("l.lock"), false, 60, &b), BH_ERR_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 60 && ms < 2000);

	bh_lock_release(&a);
	assert_int_equal(a.fd, -1);
	bh_lock_release(&a); /* idempotent */
	bh_lock_release(NULL);

	/* shared + shared ok; exclusive then refused */
	assert_int_equal(bh_lock_acquire(pj("l.lock"), false, 0, &a), 0);
	assert_int_equal(bh_lock_acquire(pj("l.lock"), false, 0, &b), 0);
	assert_int_equal(bh_lock_acquire(pj("l.lock"), true, 10, &c), BH_ERR_TIMEOUT);
	bh_lock_release(&a);
	bh_lock_release(&b);
	assert_int_equal(bh_lock_acquire(pj("l.lock"), true, -1, &c), 0);
	bh_lock_release(&c);
	unlink(pj("l.lock"));
}

static void test_lock_released_when_holder_dies(void **state)
{
	(void)state;
	struct bh_lock a = BH_LOCK_INIT;
	int p[2];
	char ch;

	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct bh_lock l = BH_LOCK_INIT;
		if (bh_lock_acquire(pj("d.lock"), true, -1, &l) < 0)
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &ch, 1), 1);
	assert_int_equal(bh_lock_acquire(pj("d.lock"), true, 0, &a), BH_ERR_TIMEOUT);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(bh_lock_acquire(pj("d.lock"), true, 1000, &a), 0);
	bh_lock_release(&a);
	close(p[0]);
	unlink(pj("d.lock"));
}

static void test_lock_unsafe_files(void **state)
{
	(void)state;
	struct bh_lock a = BH_LOCK_INIT;

	assert_int_equal(bh_atomic_write(pj("target"), "", 0, 0600), 0);
	assert_int_equal(symlink(pj("target"), pj("sym.lock")), 0);
	assert_int_equal(bh_lock_acquire(pj("sym.lock"), true, 0, &a), BH_ERR_UNSAFE_FILE);
	/* dangling symlink: O_CREAT must not create its target */
	assert_int_equal(symlink(pj("ghost"), pj("dang.lock")), 0);
	assert_int_equal(bh_lock_acquire(pj("dang.lock"), true, 0, &a), BH_ERR_UNSAFE_FILE);
	assert_int_equal(access(pj("ghost"), F_OK), -1);
	assert_int_equal(mkdir(pj("dir.lock"), 0700), 0);
	int r = bh_lock_acquire(pj("dir.lock"), true, 0, &a);
	assert_true(r == BH_ERR_UNSAFE_FILE || r == -EISDIR);
	assert_int_equal(bh_lock_acquire(pj("nodir/x.lock"), true, 0, &a), -ENOENT);
	assert_int_equal(a.fd, -1);
	unlink(pj("sym.lock"));
	unlink(pj("dang.lock"));
	unlink(pj("target"));
	rmdir(pj("dir.lock"));
}

static void test_file_load_safe(void **state)
{
	(void)state;
	struct bh_buf b;

	assert_int_equal(bh_atomic_write(pj("s"), "0123456789", 10, 0640), 0);
	bh_buf_init(&b, 10);
	assert_int_equal(bh_file_load_safe(&b, pj("s")), 0);
	assert_int_equal(bh_buf_len(&b), 10);
	bh_buf_done(&b);
	bh_buf_init(&b, 9);
	assert_int_equal(bh_file_load_safe(&b, pj("s")), BH_ERR_LIMIT);
	assert_int_equal(bh_buf_len(&b), 0); /* nothing read past the cap */
	bh_buf_done(&b);
	bh_buf_init(&b, 100);
	assert_int_equal(chmod(pj("s"), 0642), 0);
	assert_int_equal(bh_file_load_safe(&b, pj("s")), BH_ERR_UNSAFE_FILE);
	assert_int_equal(chmod(pj("s"), 0660), 0); /* group-writable is fine */
	assert_int_equal(bh_file_load_safe(&b, pj("s")), 0);
	assert_int_equal(symlink(pj("s"), pj("sl")), 0);
	assert_int_equal(bh_file_load_safe(&b, pj("sl")), BH_ERR_UNSAFE_FILE);
	assert_int_equal(bh_file_load_safe(&b, dir), BH_ERR_UNSAFE_FILE);
	assert_int_equal(bh_file_load_safe(&b, pj("none")), -ENOENT);
	bh_buf_done(&b);
	unlink(pj("s"));
	unlink(pj("sl"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_mode),
		cmocka_unit_test(test_write_failures_leave_nothing),
		cmocka_unit_test(test_symlink_target_replaced_not_followed),
		cmocka_unit_test(test_write_json),
		cmocka_unit_test(test_cleanup_stale),
		cmocka_unit_test(test_locks),
		cmocka_unit_test(test_lock_released_when_holder_dies),
		cmocka_unit_test(test_lock_unsafe_files),
		cmocka_unit_test(test_file_load_safe),
		cmocka_unit_test(test_write_keeps_owner),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

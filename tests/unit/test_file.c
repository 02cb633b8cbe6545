/* SPDX-License-Identifier: MIT */
/* Unit tests: core/file.h, the untrusted file/dir open by rules — one test per rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"

static char dir[] = "/tmp/bhfileXXXXXX";
static char pbuf[4][256];
static unsigned pn;

static const char *pj(const char *name)
{
	char *p = pbuf[pn++ % 4];
	snprintf(p, sizeof(pbuf[0]), "%s/%s", dir, name);
	return p;
}

static void put_file(const char *name, const char *data, mode_t mode)
{
	const char *p = pj(name);
	unlink(p);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Expect code and a message containing both needles; the out-params stay untouched. */
static void expect_open(const char *name, int flags, const struct bh_file_rules *ru, int code,
			const char *n1, const char *n2)
{
	struct bh_msg m = { "" };
	struct stat st;
	int fd = -77;

	memset(&st, 0xa5, sizeof(st));
	assert_int_equal(bh_file_open(AT_FDCWD, pj(name), flags, ru, &fd, &st, &m), code);
	assert_int_equal(fd, -77);
	assert_int_equal(st.st_ino, (ino_t)0xa5a5a5a5a5a5a5a5ull);
	if (n1 && !strstr(m.text, n1))
		fail_msg("message '%s' lacks '%s'", m.text, n1);
	if (n2 && !strstr(m.text, n2))
		fail_msg("message '%s' lacks '%s'", m.text, n2);
	if (code < 0 && !strstr(m.text, name))
		fail_msg("message '%s' does not name %s", m.text, name);
}

static void test_regular_ok(void **state)
{
	const struct bh_file_rules ru = { .type = S_IFREG, .owner = BH_FILE_OWNER_SELF,
					  .forbid_mode = 022, .max_size = 10, .single_link = true };
	struct bh_msg m = { "" };
	struct stat st;
	char rd[16];
	int fd = -1;

	(void)state;
	put_file("ok", "0123456789", 0644);
	assert_int_equal(bh_file_open(AT_FDCWD, pj("ok"), O_RDONLY, &ru, &fd, &st, &m), 0);
	assert_true(fd >= 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 10);
	/* O_NONBLOCK was only for the open; close-on-exec stays */
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(read(fd, rd, sizeof(rd)), 10);
	close(fd);
	/* asked for: kept */
	assert_int_equal(bh_file_open(AT_FDCWD, pj("ok"), O_RDONLY | O_NONBLOCK, &ru, &fd, NULL,
				      &m), 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	/* relative to a directory fd; NULL rules = a regular file */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(bh_file_open(dfd, "ok", O_RDWR, NULL, &fd, NULL, NULL), 0);
	close(fd);
	close(dfd);
}

static void test_symlink(void **state)
{
	(void)state;
	put_file("target", "x", 0644);
	unlink(pj("sl"));
	assert_int_equal(symlink(pj("target"), pj("sl")), 0);
	expect_open("sl", O_RDONLY, NULL, BH_ERR_UNSAFE_FILE, "is a symbolic link", "refused");
	unlink(pj("dangling"));
	assert_int_equal(symlink(pj("nowhere"), pj("dangling")), 0);
	expect_open("dangling", O_RDONLY, NULL, BH_ERR_UNSAFE_FILE, "symbolic link", NULL);
	/* a symlink to a directory, opened as a directory */
	const struct bh_file_rules d = { .type = S_IFDIR };
	mkdir(pj("realdir"), 0755);
	unlink(pj("dsl"));
	assert_int_equal(symlink(pj("realdir"), pj("dsl")), 0);
	expect_open("dsl", O_RDONLY, &d, BH_ERR_UNSAFE_FILE, "is a symbolic link", "not a directory");
}

static void test_hardlink(void **state)
{
	const struct bh_file_rules one = { .single_link = true };
	int fd;

	(void)state;
	put_file("h1", "x", 0644);
	unlink(pj("h2"));
	assert_int_equal(link(pj("h1"), pj("h2")), 0);
	expect_open("h1", O_RDONLY, &one, BH_ERR_UNSAFE_FILE, "2 hard links", "exactly one");
	expect_open("h2", O_RDONLY, &one, BH_ERR_UNSAFE_FILE, "hard links", NULL);
	/* without the rule: allowed */
	assert_int_equal(bh_file_open(AT_FDCWD, pj("h2"), O_RDONLY, NULL, &fd, NULL, NULL), 0);
	close(fd);
	unlink(pj("h2"));
	assert_int_equal(bh_file_open(AT_FDCWD, pj("h1"), O_RDONLY, &one, &fd, NULL, NULL), 0);
	close(fd);
}

static void test_owner(void **state)
{
	const struct bh_file_rules other = { .owner = BH_FILE_OWNER_UID, .uid = geteuid() + 1 };
	const struct bh_file_rules self = { .owner = BH_FILE_OWNER_SELF };
	const struct bh_file_rules exact = { .owner = BH_FILE_OWNER_UID, .uid = geteuid() };
	const struct bh_file_rules rootself = { .owner = BH_FILE_OWNER_ROOT | BH_FILE_OWNER_SELF };
	int fd;

	(void)state;
	put_file("own", "x", 0644);
	expect_open("own", O_RDONLY, &other, BH_ERR_UNSAFE_FILE, "owned by uid", "must be owned by");
	assert_int_equal(bh_file_open(AT_FDCWD, pj("own"), O_RDONLY, &self, &fd, NULL, NULL), 0);
	close(fd);
	assert_int_equal(bh_file_open(AT_FDCWD, pj("own"), O_RDONLY, &exact, &fd, NULL, NULL), 0);
	close(fd);
	/* the group alternative (the PAM pending dir's group) */
	struct stat st;
	assert_int_equal(stat(pj("own"), &st), 0);
	const struct bh_file_rules grp = { .owner = BH_FILE_OWNER_UID | BH_FILE_GROUP_GID,
					   .uid = geteuid() + 1, .gid = st.st_gid };
	assert_int_equal(bh_file_open(AT_FDCWD, pj("own"), O_RDONLY, &grp, &fd, NULL, NULL), 0);
	close(fd);
	const struct bh_file_rules grp2 = { .owner = BH_FILE_GROUP_GID, .gid = st.st_gid + 1 };
	expect_open("own", O_RDONLY, &grp2, BH_ERR_UNSAFE_FILE, "must be owned by group", NULL);
	if (geteuid() == 0) {
		/* as root: a file someone else owns is refused by {root, self} */
		assert_int_equal(chown(pj("own"), 4242, 4242), 0);
		expect_open("own", O_RDONLY, &rootself, BH_ERR_UNSAFE_FILE, "owned by uid 4242",
			    "root, uid 0 (this process)");
	} else {
		expect_open("own", O_RDONLY, &(struct bh_file_rules){ .owner = BH_FILE_OWNER_ROOT },
			    BH_ERR_UNSAFE_FILE, "must be owned by root", NULL);
	}
}

static void test_mode(void **state)
{
	const struct bh_file_rules ru = { .forbid_mode = 022 };
	const struct bh_file_rules priv = { .forbid_mode = 077 };
	int fd;

	(void)state;
	put_file("gw", "x", 0664);
	expect_open("gw", O_RDONLY, &ru, BH_ERR_UNSAFE_FILE, "mode 0664 is group-writable", "0022");
	put_file("ww", "x", 0646);
	expect_open("ww", O_RDONLY, &ru, BH_ERR_UNSAFE_FILE, "world-writable", NULL);
	put_file("both", "x", 0666);
	expect_open("both", O_RDONLY, &ru, BH_ERR_UNSAFE_FILE, "group-writable, world-writable", NULL);
	put_file("r", "x", 0644);
	assert_int_equal(bh_file_open(AT_FDCWD, pj("r"), O_RDONLY, &ru, &fd, NULL, NULL), 0);
	close(fd);
	expect_open("r", O_RDONLY, &priv, BH_ERR_UNSAFE_FILE, "group-readable, world-readable", NULL);
	/* a group/world-writable directory */
	const struct bh_file_rules d = { .type = S_IFDIR, .forbid_mode = 022 };
	mkdir(pj("wdir"), 0700);
	assert_int_equal(chmod(pj("wdir"), 01777), 0);
	expect_open("wdir", O_RDONLY, &d, BH_ERR_UNSAFE_FILE, "world-writable", NULL);
}

static void test_size(void **state)
{
	const struct bh_file_rules ru = { .max_size = 9 };
	struct bh_buf b;
	struct bh_msg m = { "" };
	int fd;

	(void)state;
	put_file("big", "0123456789", 0644);
	expect_open("big", O_RDONLY, &ru, BH_ERR_LIMIT, "too large: 10 bytes", "limit is 9");
	const struct bh_file_rules ten = { .max_size = 10 };
	assert_int_equal(bh_file_open(AT_FDCWD, pj("big"), O_RDONLY, &ten, &fd, NULL, NULL), 0);
	close(fd);

	/* bh_file_read: the smaller of cap and max_size; *ret untouched on failure */
	memset(&b, 0x5a, sizeof(b));
	assert_int_equal(bh_file_read(AT_FDCWD, pj("big"), NULL, 9, &b, &m), BH_ERR_LIMIT);
	assert_non_null(strstr(m.text, "limit is 9"));
	assert_int_equal(b.len, (size_t)0x5a5a5a5a5a5a5a5aull);
	assert_int_equal(bh_file_read(AT_FDCWD, pj("big"), &ru, 100, &b, &m), BH_ERR_LIMIT);
	assert_int_equal(b.len, (size_t)0x5a5a5a5a5a5a5a5aull);
	assert_int_equal(bh_file_read(AT_FDCWD, pj("big"), &ten, 100, &b, &m), 0);
	assert_int_equal(bh_buf_len(&b), 10);
	assert_memory_equal(bh_buf_ptr(&b), "0123456789", 10);
	assert_int_equal(bh_buf_avail(&b), 0); /* capped at the limit */
	bh_buf_done(&b);
	assert_int_equal(bh_file_read(AT_FDCWD, pj("big"), NULL, 10, &b, &m), 0);
	bh_buf_done(&b);
	/* cap 0: only an empty file fits */
	assert_int_equal(bh_file_read(AT_FDCWD, pj("big"), NULL, 0, &b, &m), BH_ERR_LIMIT);
	assert_non_null(strstr(m.text, "too large: 10 bytes, the limit is 0"));
	/* an empty file */
	put_file("empty", "", 0644);
	assert_int_equal(bh_file_read(AT_FDCWD, pj("empty"), NULL, 10, &b, &m), 0);
	assert_int_equal(bh_buf_len(&b), 0);
	bh_buf_done(&b);
	assert_int_equal(bh_file_read(AT_FDCWD, pj("empty"), NULL, 0, &b, &m), 0);
	bh_buf_done(&b);
	/* reading a directory with bh_file_read is a caller bug */
	assert_int_equal(bh_file_read(AT_FDCWD, dir, &(struct bh_file_rules){ .type = S_IFDIR },
				      10, &b, &m), -EINVAL);
}

static void on_alarm(int sig)
{
	(void)sig;
	_exit(99); /* the open blocked: fail loudly */
}

static void test_type_and_fifo(void **state)
{
	const struct bh_file_rules d = { .type = S_IFDIR, .owner = BH_FILE_OWNER_SELF };
	struct stat st;
	int fd;

	(void)state;
	signal(SIGALRM, on_alarm);
	alarm(5);
	/* a directory where a file is wanted, and the reverse */
	mkdir(pj("adir"), 0755);
	expect_open("adir", O_RDONLY, NULL, BH_ERR_UNSAFE_FILE, "is a directory",
		    "not a regular file");
	put_file("afile", "x", 0644);
	expect_open("afile", O_RDONLY, &d, BH_ERR_UNSAFE_FILE, "is a regular file",
		    "not a directory");
	assert_int_equal(bh_file_open(AT_FDCWD, pj("adir"), O_RDONLY, &d, &fd, &st, NULL), 0);
	assert_true(S_ISDIR(st.st_mode));
	close(fd);
	/* a FIFO: nobody writes to it, the open must not block */
	unlink(pj("fifo"));
	assert_int_equal(mkfifo(pj("fifo"), 0600), 0);
	expect_open("fifo", O_RDONLY, NULL, BH_ERR_UNSAFE_FILE, "is a FIFO", "not a regular file");
	expect_open("fifo", O_RDONLY, &d, BH_ERR_UNSAFE_FILE, "FIFO", "not a directory");
	struct bh_buf b;
	struct bh_msg m = { "" };
	assert_int_equal(bh_file_read(AT_FDCWD, pj("fifo"), NULL, 10, &b, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "FIFO"));
	alarm(0);
	/* missing: -ENOENT, and the message names it */
	expect_open("none", O_RDONLY, NULL, -ENOENT, "cannot read", NULL);
}

static void test_flags_and_check(void **state)
{
	struct bh_msg m = { "" };
	struct stat st;
	int fd;

	(void)state;
	put_file("fl", "x", 0644);
	/* no creating, truncating or O_PATH through this door */
	expect_open("fl", O_RDWR | O_CREAT, NULL, -EINVAL, "invalid open flags", NULL);
	expect_open("fl", O_WRONLY | O_TRUNC, NULL, -EINVAL, NULL, NULL);
	expect_open("fl", O_PATH, NULL, -EINVAL, NULL, NULL);
	expect_open("adir", O_RDWR, &(struct bh_file_rules){ .type = S_IFDIR }, -EINVAL,
		    "read-only", NULL);
	expect_open("fl", O_RDONLY, &(struct bh_file_rules){ .type = S_IFLNK }, -EINVAL, NULL, NULL);
	/* bh_file_check on a descriptor opened elsewhere (a lock file made with O_CREAT) */
	fd = open(pj("fl"), O_RDONLY);
	assert_true(fd >= 0);
	memset(&st, 0, sizeof(st));
	assert_int_equal(bh_file_check(fd, "fl", &(struct bh_file_rules){ .forbid_mode = 022 },
				       &st, &m), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(bh_file_check(fd, "lockfile", &(struct bh_file_rules){ .forbid_mode = 044 },
				       NULL, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "lockfile: mode 0644"));
	close(fd);
	assert_int_equal(bh_file_check(-1, "x", NULL, NULL, &m), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_ok),
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_hardlink),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_type_and_fifo),
		cmocka_unit_test(test_flags_and_check),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

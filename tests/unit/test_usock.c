/* SPDX-License-Identifier: MIT */
/* Unit tests: descriptor passing over AF_UNIX (usock.h bh_usock_send_fd / recv_fd). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/usock.h"

static void test_pass_fd(void **state)
{
	(void)state;
	int sp[2], p[2], got = -1;
	char buf[8] = "";

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(bh_usock_send_fd(sp[0], p[1]), 0);
	assert_int_equal(bh_usock_recv_fd(sp[1], &got), 0);
	assert_true(got >= 0 && got != p[1]);
	assert_true(fcntl(got, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(got, "hi", 2), 2);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "hi", 2);
	close(got);

	/* a byte without a descriptor is refused, and so is EOF (sender gone) */
	got = -1;
	assert_int_equal(write(sp[0], "x", 1), 1);
	assert_int_equal(bh_usock_recv_fd(sp[1], &got), BH_ERR_INCOMPLETE);
	assert_int_equal(got, -1);
	close(sp[0]);
	assert_int_equal(bh_usock_recv_fd(sp[1], &got), BH_ERR_INCOMPLETE);
	assert_int_equal(got, -1);
	/* sending to a peer that has gone: -EPIPE, no SIGPIPE */
	assert_int_equal(bh_usock_send_fd(sp[1], p[1]), -EPIPE);
	close(sp[1]);
	close(p[0]);
	close(p[1]);
}

/* Two descriptors in one message: refused, and both received copies are closed. */
static void test_two_fds_refused(void **state)
{
	(void)state;
	int sp[2], p[2], got = -1, fds[2];
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			     .msg_controllen = sizeof(cbuf.buf) };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	memset(&cbuf, 0, sizeof(cbuf));
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	fds[0] = p[0];
	fds[1] = p[1];
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	assert_int_equal(sendmsg(sp[0], &mh, 0), 1);
	close(p[1]);
	assert_int_equal(bh_usock_recv_fd(sp[1], &got), BH_ERR_INCOMPLETE);
	assert_int_equal(got, -1);
	/* no copy of the write end is left open anywhere: the read end sees EOF */
	char c;
	assert_int_equal(read(p[0], &c, 1), 0);
	close(p[0]);
	close(sp[0]);
	close(sp[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass_fd),
		cmocka_unit_test(test_two_fds_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

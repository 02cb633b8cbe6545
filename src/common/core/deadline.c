/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "core/deadline.h"
#include "core/err.h"

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t bh_deadline_from_ms(int timeout_ms)
{
	if (timeout_ms < 0)
		return -1;
	return now_ms() + timeout_ms;
}

int bh_deadline_left(int64_t deadline)
{
	if (deadline < 0)
		return -1;
	int64_t left = deadline - now_ms();
	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

int bh_fd_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int left = bh_deadline_left(deadline);
		if (left == 0)
			return BH_ERR_TIMEOUT;
		int n = poll(&p, 1, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return bh_negerrno();
		}
		if (n == 0)
			continue; /* re-checks the deadline */
		if (p.revents & POLLNVAL)
			return -EBADF;
		/* POLLHUP/POLLERR: let read/write report EOF or the error */
		return 0;
	}
}

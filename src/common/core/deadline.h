/* SPDX-License-Identifier: MIT */
/*
 * Monotonic millisecond deadlines for the poll and retry loops (frame, usock,
 * spawn, atomicio locks).  A deadline is an absolute CLOCK_MONOTONIC time in ms,
 * or -1 for "none" (a negative timeout_ms, e.g. BH_FRAME_NO_TIMEOUT).
 */
#ifndef BH_DEADLINE_H
#define BH_DEADLINE_H

#include <stdint.h>

/* now + timeout_ms, or -1 (no deadline) when timeout_ms < 0. */
int64_t bh_deadline_from_ms(int timeout_ms);

/* Milliseconds left for poll(): -1 for no deadline, 0 when already passed. */
int bh_deadline_left(int64_t deadline);

/*
 * Wait until fd is ready for `events` (POLLIN/POLLOUT) or the deadline passes
 * (EINTR-safe).  Returns 0 when ready (also on POLLHUP/POLLERR: the following
 * read/write/accept reports EOF or the error), BH_ERR_TIMEOUT, -EBADF (POLLNVAL)
 * or -errno.
 */
int bh_fd_wait(int fd, short events, int64_t deadline);

#endif

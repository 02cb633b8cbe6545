/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/frame.h"
#include "core/json.h"

/* Payload bytes are read in chunks of this size, so memory follows what arrived. */
#define FRAME_CHUNK (64u * 1024u)

/* Read exactly n bytes or fail: BH_ERR_INCOMPLETE on EOF. */
static int read_full(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		int r = bh_fd_wait(fd, POLLIN, deadline);
		if (r < 0)
			return r;
		ssize_t k = read(fd, p, n);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return bh_negerrno();
		}
		if (k == 0)
			return BH_ERR_INCOMPLETE;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int write_full(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	bool sock = true;

	while (n > 0) {
		int r = bh_fd_wait(fd, POLLOUT, deadline);
		if (r < 0)
			return r;
		ssize_t k;
		if (sock) {
			/* MSG_DONTWAIT: never block past the deadline on a blocking fd */
			k = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k < 0 && errno == ENOTSOCK) {
				sock = false;
				continue;
			}
		} else {
			k = write(fd, p, n);
		}
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			return bh_negerrno();
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int bh_frame_read(int fd, size_t max, int timeout_ms, struct bh_buf *out)
{
	int64_t deadline = bh_deadline_from_ms(timeout_ms);
	size_t start = bh_buf_len(out);
	uint8_t hdr[4];
	int r = BH_ERR_INTERNAL;

	if ((r = read_full(fd, hdr, sizeof(hdr), deadline)) < 0)
		return r;
	uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
	if (n == 0)
		return BH_ERR_FORMAT;
	/* the cap is checked before any allocation */
	if (n > max || n > bh_buf_avail(out))
		return BH_ERR_LIMIT;

	size_t left = n;
	while (left > 0) {
		size_t chunk = left < FRAME_CHUNK ? left : FRAME_CHUNK;
		uint8_t *p;
		if ((r = bh_buf_reserve(out, chunk, &p)) < 0)
			goto fail;
		if ((r = read_full(fd, p, chunk, deadline)) < 0)
			goto fail;
		left -= chunk;
	}
	return 0;
fail:
	(void)bh_buf_truncate(out, start);
	return r;
}

int bh_frame_write(int fd, const void *data, size_t len, int timeout_ms)
{
	int64_t deadline = bh_deadline_from_ms(timeout_ms);
	uint8_t hdr[4];
	int r;

	if (len == 0)
		return BH_ERR_FORMAT;
	if (len > BH_FRAME_MAX_REQUEST)
		return BH_ERR_LIMIT;
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	/*
	 * Small frames go out in one write, so the peer wakes once, not once for the
	 * header and again for the body.  The copy may hold secrets: wiped before free.
	 */
	if (len <= 65536) {
		uint8_t *one = malloc(sizeof(hdr) + len);
		if (one) {
			memcpy(one, hdr, sizeof(hdr));
			memcpy(one + sizeof(hdr), data, len);
			r = write_full(fd, one, sizeof(hdr) + len, deadline);
			explicit_bzero(one, sizeof(hdr) + len);
			free(one);
			return r;
		}
	}
	if ((r = write_full(fd, hdr, sizeof(hdr), deadline)) < 0)
		return r;
	return write_full(fd, data, len, deadline);
}

int bh_frame_decode_json(const void *data, size_t len, json_t **ret)
{
	/* an empty frame is a protocol error here (bh_json_load says BH_ERR_INCOMPLETE) */
	if (len == 0)
		return BH_ERR_FORMAT;
	/* the frame itself was capped by bh_frame_read */
	return bh_json_load(data, len, BH_BUF_SIZE_MAX, BH_JSON_OBJECT, ret, NULL);
}

int bh_frame_read_json(int fd, size_t max, int timeout_ms, json_t **ret)
{
	struct bh_buf b;
	int r;

	bh_buf_init(&b, max);
	if ((r = bh_frame_read(fd, max, timeout_ms, &b)) < 0)
		goto out;
	r = bh_frame_decode_json(bh_buf_ptr(&b), bh_buf_len(&b), ret);
out:
	bh_buf_done(&b); /* wipes */
	return r;
}

int bh_frame_write_json(int fd, const json_t *obj, int timeout_ms)
{
	char *s;
	int r;

	if (!json_is_object(obj))
		return -EINVAL;
	if (!(s = json_dumps(obj, JSON_COMPACT)))
		return -ENOMEM;
	size_t n = strlen(s);
	r = bh_frame_write(fd, s, n, timeout_ms);
	explicit_bzero(s, n);
	free(s);
	return r;
}

/* Connect within the deadline.  A full backlog gives EAGAIN on a non-blocking unix socket. */
static int connect_unix(const char *path, int64_t deadline, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t plen = strlen(path);
	int fd = -1, r = BH_ERR_INTERNAL;

	if (plen == 0)
		return -EINVAL;
	if (plen >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, plen + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return bh_negerrno();
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/* backlog full: retry a few ms later, within the deadline */
			int left = bh_deadline_left(deadline);
			if (left == 0) {
				r = BH_ERR_TIMEOUT;
				goto out;
			}
			struct timespec ts = { 0, 5 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (errno == EINPROGRESS) {
			int err = 0;
			socklen_t el = sizeof(err);
			if ((r = bh_fd_wait(fd, POLLOUT, deadline)) < 0)
				goto out;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) {
				r = bh_negerrno();
				goto out;
			}
			if (err) {
				r = -err;
				goto out;
			}
			break;
		}
		r = bh_negerrno();
		goto out;
	}
	*ret_fd = fd;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

int bh_frame_call(const char *socket_path, const json_t *request, size_t max_response,
		  int timeout_ms, json_t **ret)
{
	int64_t deadline = bh_deadline_from_ms(timeout_ms);
	struct bh_buf b;
	int fd = -1, r = BH_ERR_INTERNAL;
	char *s = NULL;
	size_t n = 0;

	bh_buf_init(&b, max_response);
	if (!socket_path || !json_is_object(request)) {
		r = -EINVAL;
		goto out;
	}
	if (!(s = json_dumps(request, JSON_COMPACT))) {
		r = -ENOMEM;
		goto out;
	}
	n = strlen(s);
	if ((r = connect_unix(socket_path, deadline, &fd)) < 0)
		goto out;
	if ((r = bh_frame_write(fd, s, n, bh_deadline_left(deadline))) < 0) {
		/* A server may answer and close before reading the request (the keystore
		 * refuses a caller outside its policy at accept, from SO_PEERCRED alone):
		 * the answer is already queued on this socket, so read it; without one the
		 * write error stands. */
		if ((r != -EPIPE && r != -ECONNRESET) ||
		    bh_frame_read(fd, max_response, bh_deadline_left(deadline), &b) < 0)
			goto out;
	} else if ((r = bh_frame_read(fd, max_response, bh_deadline_left(deadline), &b)) < 0) {
		goto out;
	}
	r = bh_frame_decode_json(bh_buf_ptr(&b), bh_buf_len(&b), ret);
out:
	if (s) {
		explicit_bzero(s, n);
		free(s);
	}
	if (fd >= 0)
		close(fd);
	bh_buf_done(&b);
	return r;
}

/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"

static size_t cap_of(size_t max_size)
{
	return max_size > BH_BUF_SIZE_MAX ? BH_BUF_SIZE_MAX : max_size;
}

void bh_buf_init(struct bh_buf *b, size_t max_size)
{
	memset(b, 0, sizeof(*b));
	b->max_size = cap_of(max_size);
}

struct bh_buf *bh_buf_new(size_t max_size)
{
	struct bh_buf *b = malloc(sizeof(*b));

	if (b)
		bh_buf_init(b, max_size);
	return b;
}

void bh_buf_view(struct bh_buf *b, const void *data, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->d = (uint8_t *)(uintptr_t)data; /* never written through: readonly */
	b->len = len;
	b->max_size = len;
	b->readonly = true;
}

void bh_buf_done(struct bh_buf *b)
{
	if (!b)
		return;
	if (!b->readonly && b->d) {
		explicit_bzero(b->d, b->alloc);
		free(b->d);
	}
	size_t max = b->max_size;
	bool ro = b->readonly;
	memset(b, 0, sizeof(*b));
	b->max_size = ro ? 0 : max;
}

struct bh_buf *bh_buf_free(struct bh_buf *b)
{
	if (b) {
		bh_buf_done(b);
		free(b);
	}
	return NULL;
}

void bh_buf_reset(struct bh_buf *b)
{
	if (!b->readonly && b->d)
		explicit_bzero(b->d, b->alloc);
	if (b->readonly) {
		b->off = b->len;
		return;
	}
	b->off = b->len = 0;
}

size_t bh_buf_len(const struct bh_buf *b)
{
	return b->len - b->off;
}

const uint8_t *bh_buf_ptr(const struct bh_buf *b)
{
	return b->d ? b->d + b->off : (const uint8_t *)"";
}

size_t bh_buf_avail(const struct bh_buf *b)
{
	if (b->readonly)
		return 0;
	return b->max_size - (b->len - b->off);
}

int bh_buf_peek(const struct bh_buf *b, size_t n, const uint8_t **ret)
{
	if (n > bh_buf_len(b))
		return BH_ERR_INCOMPLETE;
	if (ret)
		*ret = bh_buf_ptr(b);
	return 0;
}

int bh_buf_peek_at(const struct bh_buf *b, size_t off, size_t n, const uint8_t **ret)
{
	size_t have = bh_buf_len(b);

	if (off > have || n > have - off)
		return BH_ERR_INCOMPLETE;
	if (ret)
		*ret = bh_buf_ptr(b) + off;
	return 0;
}

int bh_buf_consume(struct bh_buf *b, size_t n)
{
	if (n > bh_buf_len(b))
		return BH_ERR_INCOMPLETE;
	b->off += n;
	if (b->off == b->len && !b->readonly)
		b->off = b->len = 0;
	return 0;
}

int bh_buf_get_direct(struct bh_buf *b, size_t n, const uint8_t **ret)
{
	const uint8_t *p;
	int r;

	if ((r = bh_buf_peek(b, n, &p)) < 0)
		return r;
	/* consume without the compaction that would move p's target */
	b->off += n;
	if (ret)
		*ret = p;
	return 0;
}

int bh_buf_get_bytes(struct bh_buf *b, void *out, size_t n)
{
	const uint8_t *p;
	int r;

	if ((r = bh_buf_peek(b, n, &p)) < 0)
		return r;
	if (n)
		memcpy(out, p, n);
	return bh_buf_consume(b, n);
}

#define GET_BE(bits)                                                          \
	int bh_buf_get_u##bits(struct bh_buf *b, uint##bits##_t *ret)         \
	{                                                                     \
		const uint8_t *p;                                             \
		uint##bits##_t v = 0;                                         \
		int r;                                                        \
		if ((r = bh_buf_peek(b, (bits) / 8, &p)) < 0)                 \
			return r;                                             \
		for (size_t i = 0; i < (bits) / 8; i++)                       \
			v = (uint##bits##_t)((v << 8) | p[i]);                \
		bh_buf_consume(b, (bits) / 8);                                \
		if (ret)                                                      \
			*ret = v;                                             \
		return 0;                                                     \
	}

int bh_buf_get_u8(struct bh_buf *b, uint8_t *ret)
{
	const uint8_t *p;
	int r;

	if ((r = bh_buf_peek(b, 1, &p)) < 0)
		return r;
	uint8_t v = p[0];
	bh_buf_consume(b, 1);
	if (ret)
		*ret = v;
	return 0;
}
GET_BE(16)
GET_BE(32)
GET_BE(64)

int bh_buf_get_string(struct bh_buf *b, size_t n, size_t maxlen, char **ret)
{
	const uint8_t *p;
	char *s;
	int r;

	if (n > maxlen)
		return BH_ERR_LIMIT;
	if ((r = bh_buf_peek(b, n, &p)) < 0)
		return r;
	if (n && memchr(p, 0, n))
		return BH_ERR_NUL;
	if (!(s = malloc(n + 1)))
		return -ENOMEM;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	bh_buf_consume(b, n);
	*ret = s;
	return 0;
}

int bh_buf_expect_end(const struct bh_buf *b)
{
	return bh_buf_len(b) ? BH_ERR_TRAILING : 0;
}

int bh_buf_reserve(struct bh_buf *b, size_t n, uint8_t **ret)
{
	if (b->readonly)
		return -EROFS;
	size_t used = b->len - b->off;
	if (n > b->max_size || used > b->max_size - n)
		return BH_ERR_LIMIT;
	/* compact: move unread data to the front */
	if (b->off && b->len + n > b->alloc) {
		memmove(b->d, b->d + b->off, used);
		explicit_bzero(b->d + used, b->alloc - used);
		b->off = 0;
		b->len = used;
	}
	if (n == 0) {
		/* nothing to add: never compute NULL + 0 on an empty buffer */
		if (ret)
			*ret = b->d ? b->d + b->len : NULL;
		return 0;
	}
	if (b->len + n > b->alloc) {
		size_t want = b->len + n, nalloc = b->alloc ? b->alloc : 256;
		while (nalloc < want)
			nalloc = nalloc > SIZE_MAX / 2 ? want : nalloc * 2;
		if (nalloc > b->max_size)
			nalloc = want > b->max_size ? want : b->max_size;
		/* grow by copy so old storage can be wiped (no realloc leaks) */
		uint8_t *nd = malloc(nalloc);
		if (!nd)
			return -ENOMEM;
		if (b->d) {
			memcpy(nd, b->d, b->len);
			explicit_bzero(b->d, b->alloc);
			free(b->d);
		}
		b->d = nd;
		b->alloc = nalloc;
	}
	if (ret)
		*ret = b->d + b->len;
	b->len += n;
	return 0;
}

int bh_buf_truncate(struct bh_buf *b, size_t newlen_unread)
{
	if (b->readonly)
		return -EROFS;
	if (newlen_unread > bh_buf_len(b))
		return BH_ERR_RANGE;
	size_t newend = b->off + newlen_unread;
	if (b->d)
		explicit_bzero(b->d + newend, b->len - newend);
	b->len = newend;
	return 0;
}

int bh_buf_put(struct bh_buf *b, const void *data, size_t n)
{
	uint8_t *p;
	int r;

	if ((r = bh_buf_reserve(b, n, &p)) < 0)
		return r;
	if (n)
		memcpy(p, data, n);
	return 0;
}

int bh_buf_put_u8(struct bh_buf *b, uint8_t v)
{
	return bh_buf_put(b, &v, 1);
}

#define PUT_BE(bits)                                                          \
	int bh_buf_put_u##bits(struct bh_buf *b, uint##bits##_t v)            \
	{                                                                     \
		uint8_t t[(bits) / 8];                                        \
		for (size_t i = 0; i < (bits) / 8; i++)                       \
			t[i] = (uint8_t)(v >> ((bits) - 8 - 8 * i));          \
		return bh_buf_put(b, t, sizeof(t));                           \
	}
PUT_BE(16)
PUT_BE(32)
PUT_BE(64)

int bh_buf_put_cstr(struct bh_buf *b, const char *s)
{
	return bh_buf_put(b, s, strlen(s));
}

int bh_buf_putf(struct bh_buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	uint8_t *p;
	int n, r;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return BH_ERR_FORMAT;
	}
	/* reserve n+1 for vsnprintf's NUL, then drop it */
	if ((r = bh_buf_reserve(b, (size_t)n + 1, &p)) < 0) {
		va_end(ap2);
		return r;
	}
	vsnprintf((char *)p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	b->len--;
	return 0;
}

int bh_buf_steal_cstr(struct bh_buf *b, char **ret)
{
	size_t n = bh_buf_len(b);
	const uint8_t *p = bh_buf_ptr(b);
	char *s;

	if (n && memchr(p, 0, n))
		return BH_ERR_NUL;
	if (!(s = malloc(n + 1)))
		return -ENOMEM;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	bh_buf_reset(b);
	*ret = s;
	return 0;
}

int bh_buf_read_fd_all(struct bh_buf *b, int fd)
{
	uint8_t tmp[4096];
	size_t start = bh_buf_len(b);
	int r = 0;

	for (;;) {
		/* never read more than one byte past the cap (that byte proves the overflow) */
		size_t want = bh_buf_avail(b) + 1;
		ssize_t n = read(fd, tmp, want < sizeof(tmp) ? want : sizeof(tmp));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = bh_negerrno();
			break;
		}
		if (n == 0)
			break;
		if ((r = bh_buf_put(b, tmp, (size_t)n)) < 0)
			break;
	}
	explicit_bzero(tmp, sizeof(tmp));
	/* a failed read leaves the buffer as it was */
	if (r < 0 && !b->readonly && bh_buf_len(b) > start)
		(void)bh_buf_truncate(b, start);
	return r;
}

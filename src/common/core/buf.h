/* SPDX-License-Identifier: MIT */
/*
 * The bounded buffer: the one API through which untrusted bytes are read.
 *
 * A struct bh_buf holds bytes [off, len) that are still unread.  Readers take
 * bytes from the front with get/peek/consume; writers append with put.  Every
 * read is bounds-checked and fails with BH_ERR_INCOMPLETE when the data is too
 * short; every write is capped by max_size (BH_ERR_LIMIT), which is checked
 * *before* any allocation.  Parsers finish with bh_buf_expect_end() so that
 * trailing garbage is an error (BH_ERR_TRAILING).
 *
 * Two kinds of buffer:
 *  - owned:  bh_buf_new(max) / bh_buf_init(&b, max) — grows on the heap up to max;
 *            bh_buf_free / bh_buf_done wipe the storage (explicit_bzero) before free.
 *  - view:   bh_buf_view(&b, data, len) — a read-only window over caller memory;
 *            no allocation, put fails with -EROFS, done is a no-op on the data.
 *
 * A failed read or write leaves the buffer unchanged.
 * Pointers returned by *_direct / bh_buf_ptr stay valid until the next call that
 * modifies the buffer (put, reserve, reset, free).  Callers do not free them.
 *
 * All multi-byte integers are big-endian (network order) unless the name says _le.
 */
#ifndef BH_BUF_H
#define BH_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Absolute ceiling for any buffer (128 MiB); per-use limits are much smaller. */
#define BH_BUF_SIZE_MAX (128u * 1024u * 1024u)

struct bh_buf {
	/* private: use the functions below */
	uint8_t *d;
	size_t off;        /* read position */
	size_t len;        /* end of data */
	size_t alloc;      /* bytes allocated at d (0 for views) */
	size_t max_size;   /* hard cap on len */
	bool readonly;
};

/* Owned buffers. */
struct bh_buf *bh_buf_new(size_t max_size);
void bh_buf_init(struct bh_buf *b, size_t max_size);
/* Wipe and release storage; NULL-safe.  bh_buf_free returns NULL for `p = bh_buf_free(p);`. */
struct bh_buf *bh_buf_free(struct bh_buf *b);
void bh_buf_done(struct bh_buf *b);
/* Drop all contents (wiped), keep the storage and limit. */
void bh_buf_reset(struct bh_buf *b);

/* Read-only view over [data, data+len); data must outlive b. */
void bh_buf_view(struct bh_buf *b, const void *data, size_t len);

/* Bytes not yet read / pointer to the first unread byte. */
size_t bh_buf_len(const struct bh_buf *b);
const uint8_t *bh_buf_ptr(const struct bh_buf *b);
/* Bytes that may still be appended before max_size is reached. */
size_t bh_buf_avail(const struct bh_buf *b);

/* ---- reading: all return 0 or BH_ERR_INCOMPLETE (or BH_ERR_* shown) ---- */
int bh_buf_get_u8(struct bh_buf *b, uint8_t *ret);
int bh_buf_get_u16(struct bh_buf *b, uint16_t *ret);
int bh_buf_get_u32(struct bh_buf *b, uint32_t *ret);
int bh_buf_get_u64(struct bh_buf *b, uint64_t *ret);
/* Copy exactly n bytes into out. */
int bh_buf_get_bytes(struct bh_buf *b, void *out, size_t n);
/* Point *ret at the next n bytes and consume them (zero-copy). */
int bh_buf_get_direct(struct bh_buf *b, size_t n, const uint8_t **ret);
/* Point *ret at the next n bytes without consuming them. */
int bh_buf_peek(const struct bh_buf *b, size_t n, const uint8_t **ret);
/* Random access for formats with offsets (ABI): n bytes at unread offset off. */
int bh_buf_peek_at(const struct bh_buf *b, size_t off, size_t n, const uint8_t **ret);
/* Skip n bytes. */
int bh_buf_consume(struct bh_buf *b, size_t n);
/*
 * Take the next n bytes as a string: copies into a new NUL-terminated heap string
 * (*ret, caller frees).  Fails with BH_ERR_NUL if they contain a NUL byte and
 * BH_ERR_LIMIT if n > maxlen.
 */
int bh_buf_get_string(struct bh_buf *b, size_t n, size_t maxlen, char **ret);
/* 0 if every byte was read, else BH_ERR_TRAILING. */
int bh_buf_expect_end(const struct bh_buf *b);

/* ---- writing: return 0, BH_ERR_LIMIT, -ENOMEM or -EROFS ---- */
/* Make room for n more bytes at the end; *ret points at them (contents undefined). */
int bh_buf_reserve(struct bh_buf *b, size_t n, uint8_t **ret);
int bh_buf_put(struct bh_buf *b, const void *data, size_t n);
int bh_buf_put_u8(struct bh_buf *b, uint8_t v);
int bh_buf_put_u16(struct bh_buf *b, uint16_t v);
int bh_buf_put_u32(struct bh_buf *b, uint32_t v);
int bh_buf_put_u64(struct bh_buf *b, uint64_t v);
int bh_buf_put_cstr(struct bh_buf *b, const char *s);       /* without the NUL */
int bh_buf_putf(struct bh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Undo the last n bytes appended (e.g. after a failed multi-part write). */
int bh_buf_truncate(struct bh_buf *b, size_t newlen_unread);

/*
 * Move the unread contents out as a NUL-terminated heap string (*ret, caller
 * frees); the buffer is left empty.  BH_ERR_NUL if the contents hold a NUL.
 */
int bh_buf_steal_cstr(struct bh_buf *b, char **ret);

/* ---- I/O ---- */
/*
 * Read from fd until EOF, appending; fails with BH_ERR_LIMIT as soon as the data
 * would exceed max_size (nothing beyond the cap is read into memory).
 */
int bh_buf_read_fd_all(struct bh_buf *b, int fd);
/*
 * Read a regular file whole under b's cap (appending), opened with the untrusted-file
 * recipe of core/file.h (bh_file_open: O_NOFOLLOW, O_NONBLOCK then cleared, fstat:
 * regular file).  For callers that need no message; new code calls bh_file_read, which
 * also checks owner, mode and links and says which rule a file broke.  (Defined in
 * core/file.c, so buf.o alone depends on no file-system code.)
 */
int bh_buf_load_file(struct bh_buf *b, const char *path);
/* The same, also refusing (BH_ERR_UNSAFE_FILE) a file whose mode has any bit of `forbidden`
 * (e.g. S_IWOTH, or S_IWGRP|S_IWOTH). */
int bh_buf_load_file_mode(struct bh_buf *b, const char *path, mode_t forbidden);

#endif

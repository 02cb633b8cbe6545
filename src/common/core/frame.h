/* SPDX-License-Identifier: MIT */
/*
 * Socket framing shared by both unix sockets (root agent, keystore); the wire
 * format is specified in docs/PROTOCOL.socket:
 *
 *	uint32  N      big-endian, 1 <= N <= cap
 *	byte[N] JSON   UTF-8, one JSON object, nothing after it
 *
 * One request and one response per connection.  The reader checks N against the
 * caller's cap *before* allocating anything, and then grows the buffer only as
 * bytes actually arrive, so a peer that announces 10 MiB and sends nothing costs
 * one small chunk.  Every read and write has a total deadline (poll-based,
 * EINTR-safe, short reads/writes resumed); sockets are written with MSG_NOSIGNAL.
 *
 * Raw bytes (bh_frame_read/write) and the JSON step (bh_frame_decode_json) are
 * separate so the fuzzer can drive each.
 */
#ifndef BH_FRAME_H
#define BH_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "core/buf.h"
#include "core/json.h"     /* bh_json_load: the strict decoder behind bh_frame_decode_json */
#include "core/deadline.h" /* bh_deadline_*, bh_fd_wait: kept reachable through frame.h */

/* Upstream root agent: the server accepts requests up to 10 MiB. */
#define BH_FRAME_MAX_REQUEST  (10u * 1024u * 1024u)
/* Upstream TS client: responses are capped at 1 MiB. */
#define BH_FRAME_MAX_RESPONSE (1u * 1024u * 1024u)
/* Upstream root agent server: 10 s to read a request. */
#define BH_FRAME_SERVER_TIMEOUT_MS 10000
/* Upstream clients wait up to 300 s for a reply (slow actions: virsh shutdown). */
#define BH_FRAME_CLIENT_TIMEOUT_MS 300000
/* timeout_ms value meaning "no deadline" (only for tests and fuzzing). */
#define BH_FRAME_NO_TIMEOUT (-1)

/*
 * Read one frame from fd into out (an owned buffer, see bh_buf_init); the payload
 * is appended to whatever out holds.  max caps the payload (also capped by out's own
 * limit).  Returns 0 or:
 *   BH_ERR_FORMAT      the length prefix is 0
 *   BH_ERR_LIMIT       the length prefix exceeds the cap (nothing was allocated)
 *   BH_ERR_INCOMPLETE  EOF before the header or the payload was complete
 *   BH_ERR_TIMEOUT     timeout_ms passed (total, not per read); BH_FRAME_NO_TIMEOUT = none
 *   -errno             read/poll failure (e.g. -ECONNRESET), -ENOMEM
 * On failure out is left as it was.  fd may be blocking or not, a socket or any
 * pollable fd.
 */
int bh_frame_read(int fd, size_t max, int timeout_ms, struct bh_buf *out)
	__attribute__((warn_unused_result));

/*
 * Write one frame (header + len bytes) to fd within timeout_ms.  len must be in
 * 1..BH_FRAME_MAX_REQUEST (BH_ERR_FORMAT for 0, BH_ERR_LIMIT above).  Returns 0,
 * BH_ERR_TIMEOUT or -errno (-EPIPE when the peer has gone; no SIGPIPE on sockets).
 */
int bh_frame_write(int fd, const void *data, size_t len, int timeout_ms);

/*
 * Decode a frame payload: strict UTF-8 JSON, duplicate keys rejected, no embedded
 * NUL, nothing but whitespace after the value, and the value must be an object.
 * *ret gets a new reference.  Returns 0 or BH_ERR_FORMAT (syntax), BH_ERR_TRAILING,
 * BH_ERR_DUPLICATE, BH_ERR_UTF8, BH_ERR_NUL, BH_ERR_INCOMPLETE (truncated),
 * BH_ERR_RANGE (number overflow), BH_ERR_WRONG_TYPE (not an object), BH_ERR_LIMIT
 * (nesting too deep), -ENOMEM.
 */
int bh_frame_decode_json(const void *data, size_t len, json_t **ret)
	__attribute__((warn_unused_result));

/* bh_frame_read + bh_frame_decode_json; the raw payload is wiped after decoding. */
int bh_frame_read_json(int fd, size_t max, int timeout_ms, json_t **ret)
	__attribute__((warn_unused_result));

/*
 * Serialize obj (must be an object: -EINVAL otherwise) compactly and write it as one
 * frame; the serialized text is wiped after sending (it may carry secrets).
 */
int bh_frame_write_json(int fd, const json_t *obj, int timeout_ms);

/*
 * Client side: connect to the AF_UNIX stream socket at socket_path, send request
 * as one frame, read one response frame (capped at max_response) and decode it
 * (must be an object).  One request per connection; the whole exchange, connect
 * included, must finish within timeout_ms.  Returns 0, -ENOENT / -ECONNREFUSED /
 * -EACCES (no server or not allowed), -ENAMETOOLONG (path does not fit sun_path),
 * BH_ERR_TIMEOUT, or any error of bh_frame_read / bh_frame_decode_json.
 * The response's "ok" field is not interpreted here.  A server that answers and closes
 * before reading the request (the write fails with EPIPE/ECONNRESET) still has its
 * answer read and returned.
 */
int bh_frame_call(const char *socket_path, const json_t *request, size_t max_response,
		  int timeout_ms, json_t **ret)
	__attribute__((warn_unused_result));


#endif

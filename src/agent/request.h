/* SPDX-License-Identifier: MIT */
/*
 * The root agent's request object (docs/PROTOCOL.plugin section 7, upstream
 * compatible): {"action": NAME, "params": {...}} with "params" optional.
 */
#ifndef BH_AGENT_REQUEST_H
#define BH_AGENT_REQUEST_H

#include <stdbool.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/frame.h"
#include "plugin.h"

struct bh_agent_request {
	/* "action" is a string but not an action name: action holds a printable,
	 * truncated copy for the "Unknown action: NAME" reply, params is NULL */
	bool unknown;
	char action[BH_PLUGIN_NAME_MAX + 1]; /* else NAME, bh_name_valid(BH_NAME_ACTION) */
	json_t *params;                      /* a new reference; {} when absent */
	size_t n_ignored;                    /* unknown top-level keys (ignored, as upstream) */
	char ignored[68];                    /* the first of them, printable (for the log) */
	/* bh_agent_record_decode only: the reader refused the request with this text */
	bool error;
	char error_text[512];
};

/*
 * Split a decoded request into *ret (filled only on success; an unknown action is a
 * successful parse with ret->unknown).  Unknown top-level keys are ignored (upstream's
 * rule) and counted in ret->n_ignored.  Errors: BH_ERR_WRONG_TYPE / BH_ERR_MISSING_KEY,
 * with msg; -ENOMEM.
 */
int bh_agent_request_parse(const json_t *req, struct bh_agent_request *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* Drop the params reference; NULL-safe. */
void bh_agent_request_done(struct bh_agent_request *r);

/*
 * The reader->monitor record (docs/root-agent.md, "The reader->monitor record"): what
 * the sandboxed request reader hands the root side instead of JSON.  Binary, every
 * integer big-endian, at most BH_AGENT_RECORD_MAX bytes:
 *   "BHAR" u8 version(1) u8 kind, then by kind:
 *     1 error    u16 n (<= BH_AGENT_RECORD_TEXT_MAX) + n printable ASCII bytes
 *     2 unknown  u8 n (<= BH_PLUGIN_NAME_MAX) + n printable ASCII bytes
 *     3 request  u8 n (1..BH_PLUGIN_NAME_MAX) + action (bh_name_valid BH_NAME_ACTION),
 *                u32 n_ignored, u8 n (<= 67) + printable first ignored key,
 *                then one value node that is an object (the params)
 *   value node: u8 tag + payload
 *     0x01 null, 0x02 false, 0x03 true, 0x04 int8 (1 byte), 0x05 int64 (8 bytes),
 *     0x06 real (8 bytes IEEE 754, finite), 0x07 str8 (u8 n + n bytes),
 *     0x08 str32 (u32 n + n bytes), 0x09 array (u32 count + count nodes),
 *     0x0a object (u32 count + count * (u32 n + key bytes, node))
 *   strings and keys: valid UTF-8, no NUL byte; keys unique; nesting at most
 *   BH_AGENT_RECORD_DEPTH_MAX; nothing after the last node.
 */
#define BH_AGENT_RECORD_MAX       (1u << 20)
#define BH_AGENT_RECORD_TEXT_MAX  511u /* sizeof(error_text) - 1 */
#define BH_AGENT_RECORD_DEPTH_MAX 2048u
#define BH_AGENT_RECORD_VERSION   1u

/*
 * Reader side: the record for a parsed request (q: bh_agent_request_parse's result)
 * appended to out (capped at BH_AGENT_RECORD_MAX by its owner).  Before encoding, the
 * checks no manifest can relax (plugin.h): a param's string value or string element
 * longer than BH_PLUGIN_STRING_MAX, or an array / object param with more than
 * BH_PLUGIN_ITEMS_MAX items, is refused naming the param.  Errors: BH_ERR_LIMIT (those,
 * or the record over out's cap), BH_ERR_WRONG_TYPE, -ENOMEM; msg says which.  On an
 * error out may hold part of a record: bh_buf_reset it before writing another.
 */
int bh_agent_record_put_request(struct bh_buf *out, const struct bh_agent_request *q,
				struct bh_msg *msg) __attribute__((warn_unused_result));
/* Reader side: an error record (text cut to BH_AGENT_RECORD_TEXT_MAX, sanitized). */
int bh_agent_record_put_error(struct bh_buf *out, const char *text)
	__attribute__((warn_unused_result));

/*
 * Root side: decode exactly [data, data+len) into *ret (filled only on success):
 * a request, an unknown action (ret->unknown) or the reader's error (ret->error, text in
 * ret->error_text, printable).  ret->params is built from the record alone (never JSON
 * text).  Errors: BH_ERR_FORMAT / BH_ERR_INCOMPLETE / BH_ERR_TRAILING / BH_ERR_LIMIT /
 * BH_ERR_UTF8 / BH_ERR_NUL / BH_ERR_DUPLICATE / BH_ERR_RANGE / BH_ERR_UNSUPPORTED with
 * msg, -ENOMEM.
 */
int bh_agent_record_decode(const uint8_t *data, size_t len, struct bh_agent_request *ret,
			   struct bh_msg *msg) __attribute__((warn_unused_result));

/*
 * The connection handler's two records (docs/root-agent.md "The handler's split"),
 * between its filtered checker and its unfiltered launcher, every integer big-endian:
 *   run   "BHRR" u8 1, u8 n (1..BH_PLUGIN_NAME_MAX) + action (bh_name_valid), u32 n
 *         (<= BH_AGENT_RECORD_MAX) + the validated params as JSON text (passed to the
 *         plugin as is, never parsed by the launcher)
 *   done  "BHRD" u8 1, i32 r (0 or an error), i32 exit_code, i32 term_signal, u8 flags
 *         (1 timed out, 2 stdout truncated), u64 version, u32 run_uid, u32 n + stdout,
 *         u32 n (<= BH_AGENT_DONE_STDERR_MAX) + stderr, u16 n (<= BH_AGENT_RECORD_TEXT_MAX)
 *         + error text
 * The getters decode exactly [data, data+len) (views into data; BH_ERR_FORMAT otherwise);
 * fuzz/fuzz_agent_run.c checks that what they accept re-encodes to the same bytes.
 */
#define BH_AGENT_RUN_MAX          (BH_AGENT_RECORD_MAX + 128u)
#define BH_AGENT_DONE_STDERR_MAX  4096u
#define BH_AGENT_DONE_MAX         (64u * 1024u * 1024u + 8192u) /* stdout <= output_max <= 64 MiB */
struct bh_spawn_result;
struct bh_agent_done {
	int32_t r, exit_code, term_signal;
	uint8_t flags;
	uint64_t version;
	uint32_t run_uid;
	const uint8_t *out, *err;  /* views into the record */
	uint32_t n_out, n_err;
	char text[BH_AGENT_RECORD_TEXT_MAX + 1]; /* sanitized */
};
int bh_agent_run_put(struct bh_buf *b, const char *action, const char *input, size_t n)
	__attribute__((warn_unused_result));
int bh_agent_run_get(const uint8_t *data, size_t len, char action[static BH_PLUGIN_NAME_MAX + 1],
		     const uint8_t **input, size_t *n) __attribute__((warn_unused_result));
int bh_agent_done_put(struct bh_buf *b, int r, const struct bh_spawn_result *res, uint64_t version,
		      uint32_t run_uid, const char *text) __attribute__((warn_unused_result));
int bh_agent_done_get(const uint8_t *data, size_t len, struct bh_agent_done *d)
	__attribute__((warn_unused_result));

/* {"ok": false, "error": text}; NULL on allocation failure. */
json_t *bh_agent_error_reply(const char *text);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The machine-readable result line of the provisioner and engine CLIs (upstream.md §12.1,
 * §13): "BLOCKHOST_RESULT: <JSON>\n", the value a JSON object (create) or a non-negative
 * integer (mint's token id).  One writer (the CLIs) and one reader (whoever spawned
 * them: core/spawn.h returns the raw output, the caller parses it here).
 */
#ifndef BH_HOST_RESULT_H
#define BH_HOST_RESULT_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

#define BH_RESULT_PREFIX "BLOCKHOST_RESULT: "
/* The longest line the writer emits (prefix, JSON, "\n"); the reader takes any length
 * its buffer holds (the spawn caps bound it). */
#define BH_RESULT_LINE_MAX 65536

/*
 * The writer: *ret = "BLOCKHOST_RESULT: <compact JSON>\n" (heap, one line: JSON escapes
 * control characters).  value: an object or an integer >= 0.  Returns 0,
 * BH_ERR_WRONG_TYPE (other values), BH_ERR_LIMIT (longer than BH_RESULT_LINE_MAX), -ENOMEM.
 */
int bh_result_format(const json_t *value, char **ret, struct bh_msg *msg);

/*
 * The reader, on a CLI's whole stdout (untrusted; not consumed):
 *  - the LAST line starting with "BLOCKHOST_RESULT:" (newest form); if such a line
 *    exists it is authoritative and a malformed one is an error;
 *  - otherwise the last line that starts with '{' or consists of digits only (the
 *    older bare forms of create and mint).
 * The value must be a JSON object or a non-negative integer; *ret gets a new reference.
 * Lines end with "\n" (a preceding "\r" is ignored).  Returns 0, BH_ERR_NOT_FOUND (no
 * result line), BH_ERR_WRONG_TYPE, or a decode error (BH_ERR_FORMAT, BH_ERR_TRAILING,
 * BH_ERR_DUPLICATE, BH_ERR_INCOMPLETE, BH_ERR_RANGE, BH_ERR_NUL, BH_ERR_UTF8, ...), with
 * msg (may be NULL) saying which line and what was wrong.
 */
int bh_result_parse(const struct bh_buf *out, json_t **ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));

#endif

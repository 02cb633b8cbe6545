/* SPDX-License-Identifier: MIT */
/*
 * The one strict JSON decoder (jansson underneath).  Every JSON document BlockHost reads
 * from outside — socket frames, config files, manifests, result lines, keystore config,
 * CLI arguments — is loaded here, under the same rules:
 *
 *  - the input is capped before parsing (BH_ERR_LIMIT above cap bytes);
 *  - empty (or whitespace-only) input is BH_ERR_INCOMPLETE;
 *  - a raw NUL byte anywhere is BH_ERR_NUL (jansson would stop at it), and so is
 *    "\u0000" inside a string (jansson's default, JSON_ALLOW_NUL is never set);
 *  - duplicate object keys at any depth are BH_ERR_DUPLICATE (JSON_REJECT_DUPLICATES);
 *  - anything after the value except whitespace is BH_ERR_TRAILING;
 *  - invalid UTF-8 is BH_ERR_UTF8, an integer beyond int64 BH_ERR_RANGE, nesting deeper
 *    than jansson's 2048 levels BH_ERR_LIMIT (never unbounded recursion), other syntax
 *    errors BH_ERR_FORMAT (bh_json_error_code);
 *  - the top-level value must be one of the kinds in flags (BH_ERR_WRONG_TYPE).
 *
 * On failure msg (optional) says what and where: "line 1 column 7: duplicate object key
 * near '\"a\"'", "top level must be an object, got array", "4100 bytes, more than 4096".
 * Callers prefix their own context (a file name).  *ret is a new reference, set only on
 * success.
 */
#ifndef BH_JSON_H
#define BH_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

/* Allowed top-level kinds (flags). */
#define BH_JSON_OBJECT   0x01u
#define BH_JSON_ARRAY    0x02u
#define BH_JSON_INTEGER  0x04u
#define BH_JSON_SCALAR   0x08u   /* string, real, true, false, null */
#define BH_JSON_ANY      (BH_JSON_OBJECT | BH_JSON_ARRAY | BH_JSON_INTEGER | BH_JSON_SCALAR)
/*
 * Modifier: accept "\u0000" inside string values (a raw NUL byte stays BH_ERR_NUL).  Only
 * for JSON-RPC replies (eth/rpc-parse.c): geth and anvil copy revert strings, NULs and
 * all, into error messages.  A caller setting it reads every string by its length
 * (json_string_length), never as a C string.
 */
#define BH_JSON_ALLOW_ESCAPED_NUL 0x100u

int bh_json_load(const void *data, size_t len, size_t cap, unsigned flags, json_t **ret,
                 struct bh_msg *msg) __attribute__((warn_unused_result));
/* The same over the unread bytes of in (nothing is consumed). */
int bh_json_load_buf(const struct bh_buf *in, size_t cap, unsigned flags, json_t **ret,
                     struct bh_msg *msg) __attribute__((warn_unused_result));

/* Map a jansson load error to a BH_ERR_* code (as listed above). */
int bh_json_error_code(const json_error_t *e);

/* A JSON type name for messages: "string", "integer", "object", ...; "nothing" for NULL. */
const char *bh_json_type_name(const json_t *v);

#endif

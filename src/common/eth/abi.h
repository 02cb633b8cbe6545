/* SPDX-License-Identifier: MIT */
/*
 * Solidity ABI: types parsed from signature strings, encoding, and STRICT decoding.
 *
 * Types come from text: bh_abi_sig_parse("buySubscription(uint256,uint256,uint256,bytes)")
 * or a single type with bh_abi_type_parse("(uint256,address,uint256,bool,bool)").
 * Supported: uint<8..256>, int<8..256> (multiples of 8; "uint"/"int" mean 256), bool,
 * address, bytes<1..32>, bytes, string, T[] and T[k], tuples "(T,U,...)" (also "tuple(...)").
 * In a parameter list each type may be followed by "indexed" (events) and a name:
 * "SubscriptionCreated(uint256 indexed subscriptionId, ..., bytes userEncrypted)".
 * The canonical signature (no names, no "indexed", aliases expanded) is hashed for the
 * 4-byte selector and the event topic.
 *
 * Values are a small tagged union (struct bh_abi_value).  Every static scalar is held
 * as its 32-byte ABI word, so uint/int/bool/address/bytesN share one representation:
 *   uintN/intN  big-endian two's complement, sign-extended      (bh_abi_u256_* helpers)
 *   bool        word[31] = 0 or 1, other bytes zero
 *   address     right-aligned: word[12..31]
 *   bytesN      left-aligned:  word[0..N-1], the rest zero
 * bytes and string own a heap copy (string: valid UTF-8 without NUL); arrays and tuples
 * own an array of items.
 *
 * Decoding is strict: the input must be exactly what a canonical encoder produces.
 *  - every offset and length is bounds-checked without overflow, and every dynamic
 *    offset must point to exactly where the canonical encoder puts that tail
 *    (so no overlapping, aliased or out-of-order tails; no gaps);
 *  - padding must be zero (uintN high bytes, address high 12 bytes, bool 0/1,
 *    intN sign extension, bytesN low bytes, bytes/string tail padding);
 *  - nothing may follow the encoded region (BH_ERR_TRAILING);
 *  - the data is capped at BH_ABI_MAX_DATA, type nesting at BH_ABI_MAX_DEPTH.
 * Failures fill the optional struct bh_msg with what and where, e.g.
 * "param 3 (bytes): offset 0x1e0 beyond data (416 bytes)".
 */
#ifndef BH_ABI_H
#define BH_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "eth/u256.h"   /* bh_u256_*: the uint word helpers */

#define BH_ABI_MAX_DATA   (1024u * 1024u)  /* encoded data, bytes */
#define BH_ABI_MAX_DEPTH  16               /* type nesting (arrays and tuples) */
#define BH_ABI_MAX_PARAMS 64               /* members of one tuple */
#define BH_ABI_MAX_SIG    4096             /* signature string length */

enum bh_abi_kind {
	BH_ABI_UINT = 1,
	BH_ABI_INT,
	BH_ABI_BOOL,
	BH_ABI_ADDRESS,
	BH_ABI_FIXED_BYTES,   /* bytes1..bytes32 */
	BH_ABI_BYTES,
	BH_ABI_STRING,
	BH_ABI_ARRAY,         /* T[]  */
	BH_ABI_FIXED_ARRAY,   /* T[k] */
	BH_ABI_TUPLE,
};

struct bh_abi_type {
	enum bh_abi_kind kind;
	unsigned size;                  /* bits for UINT/INT, bytes for FIXED_BYTES */
	size_t len;                     /* k for FIXED_ARRAY; member count for TUPLE */
	struct bh_abi_type *elem;       /* ARRAY, FIXED_ARRAY */
	struct bh_abi_type **members;   /* TUPLE */
	char *name;                     /* parameter name or NULL */
	bool indexed;                   /* event parameter marked "indexed" */
	/* computed by the parser: */
	bool dynamic;                   /* encoded with an offset in the head */
	size_t head;                    /* bytes in the enclosing head (32 if dynamic) */
	unsigned depth;                 /* nesting below this type (0 for scalars) */
};

struct bh_abi_value {
	enum bh_abi_kind kind;
	unsigned size;        /* FIXED_BYTES: N (1..32); 0 elsewhere */
	union {
		uint8_t word[32];                                   /* static scalars */
		struct { uint8_t *data; size_t len; } bytes;         /* BYTES, STRING (NUL-terminated copy) */
		struct { struct bh_abi_value *items; size_t n; } list; /* arrays, tuples */
	} u;
};

/* A parsed function, event or error signature. */
struct bh_abi_sig {
	char *name;
	struct bh_abi_type *params;     /* a TUPLE */
	char *canonical;                /* "name(type,type)" */
	uint8_t selector[4];            /* keccak256(canonical)[0..3] */
	uint8_t topic[32];              /* keccak256(canonical) */
};

/* ---- types and signatures ---- */
int bh_abi_type_parse(const char *s, struct bh_abi_type **ret, struct bh_msg *msg);
void bh_abi_type_free(struct bh_abi_type *t);
/* Canonical text of a type ("(uint256,bytes)[]"); heap string, NULL on ENOMEM. */
char *bh_abi_type_canonical(const struct bh_abi_type *t);
bool bh_abi_type_is_dynamic(const struct bh_abi_type *t);

int bh_abi_sig_parse(const char *s, struct bh_abi_sig **ret, struct bh_msg *msg);
void bh_abi_sig_free(struct bh_abi_sig *sig);

/* ---- values ---- */
/* Release v's contents (not v itself); wipes byte payloads. NULL-safe. */
void bh_abi_value_clear(struct bh_abi_value *v);
/* Release a heap value from the decoders.  NULL-safe, returns NULL. */
struct bh_abi_value *bh_abi_value_free(struct bh_abi_value *v);

void bh_abi_value_uint(struct bh_abi_value *v, uint64_t x);
void bh_abi_value_u256(struct bh_abi_value *v, const uint8_t be[static 32]);
void bh_abi_value_bool(struct bh_abi_value *v, bool b);
void bh_abi_value_address(struct bh_abi_value *v, const uint8_t addr[static 20]);
void bh_abi_value_fixed_bytes(struct bh_abi_value *v, const uint8_t *b, size_t n); /* n <= 32 */
/* Copying constructors; -ENOMEM.  A string is copied as given (encoder checks UTF-8). */
int bh_abi_value_bytes(struct bh_abi_value *v, const void *data, size_t len);
int bh_abi_value_string(struct bh_abi_value *v, const char *s);
/* n zeroed items (kind ARRAY, FIXED_ARRAY or TUPLE) to be filled by the caller. */
int bh_abi_value_list(struct bh_abi_value *v, enum bh_abi_kind kind, size_t n);

/* ---- encoding ---- */
/*
 * Append the encoding of v (of type t) to out.  For argument lists, t is the tuple of
 * parameters and v a TUPLE value.  A lone dynamic type (bytes, string, T[]) is encoded
 * as the 1-tuple (T), like a single return value; bh_abi_decode does the same.  Values are checked against the type (kind, lengths,
 * ranges, UTF-8): BH_ERR_WRONG_TYPE / BH_ERR_RANGE / BH_ERR_UTF8 with msg.
 */
int bh_abi_encode(const struct bh_abi_type *t, const struct bh_abi_value *v, struct bh_buf *out,
                  struct bh_msg *msg);
/* selector || encode(params, args) */
int bh_abi_encode_call(const struct bh_abi_sig *sig, const struct bh_abi_value *args,
                       struct bh_buf *out, struct bh_msg *msg);

/* ---- strict decoding ---- */
/* Decode exactly [data, data+len) as type t (usually a tuple).  *ret: free with bh_abi_value_free. */
int bh_abi_decode(const struct bh_abi_type *t, const uint8_t *data, size_t len,
                  struct bh_abi_value **ret, struct bh_msg *msg) __attribute__((warn_unused_result));
/* The same, reading through a bounded buffer (all unread bytes; nothing is consumed). */
int bh_abi_decode_buf(const struct bh_abi_type *t, const struct bh_buf *in,
                      struct bh_abi_value **ret, struct bh_msg *msg) __attribute__((warn_unused_result));
/* Calldata: checks the 4-byte selector of sig then decodes the arguments. */
int bh_abi_decode_call(const struct bh_abi_sig *sig, const uint8_t *data, size_t len,
                       struct bh_abi_value **ret, struct bh_msg *msg) __attribute__((warn_unused_result));

/*
 * Decode an event log (anonymous events are not supported).  topics[0] must equal sig->topic; then one topic per indexed
 * parameter (static types are checked like ABI words; a dynamic indexed parameter is
 * only its keccak hash and is returned as a FIXED_BYTES(32) value); the data holds the
 * non-indexed parameters as one tuple.  *ret is a TUPLE in declaration order.
 */
int bh_abi_decode_log(const struct bh_abi_sig *sig, const uint8_t (*topics)[32], size_t ntopics,
                      const uint8_t *data, size_t len, struct bh_abi_value **ret,
                      struct bh_msg *msg) __attribute__((warn_unused_result));

/* Revert data. */
enum bh_abi_revert_kind {
	BH_ABI_REVERT_EMPTY = 1,     /* no data: revert() / require(cond) */
	BH_ABI_REVERT_ERROR,         /* Error(string) 0x08c379a0 */
	BH_ABI_REVERT_PANIC,         /* Panic(uint256) 0x4e487b71 */
	BH_ABI_REVERT_CUSTOM,        /* one of the given custom errors */
	BH_ABI_REVERT_UNKNOWN,       /* a selector we were not told about */
};
struct bh_abi_revert {
	enum bh_abi_revert_kind kind;
	const struct bh_abi_sig *error;  /* CUSTOM: the matching entry of errors[] */
	struct bh_abi_value *args;       /* ERROR, PANIC, CUSTOM: the decoded TUPLE */
	uint8_t selector[4];
	char text[256];                  /* human-readable: "Error: msg", "Panic 0x11 (arithmetic
	                                    overflow)", "PlanNotFound(7)", "unknown error 0x1234abcd" */
};
int bh_abi_decode_revert(const uint8_t *data, size_t len, const struct bh_abi_sig *const *errors,
                         size_t nerrors, struct bh_abi_revert *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
void bh_abi_revert_clear(struct bh_abi_revert *r);

/* ---- JSON (jansson) ---- */
/*
 * Value → JSON: uint/int as decimal strings, bool, address as lower-case 0x hex,
 * bytesN/bytes as 0x hex, string as string, arrays/tuples as arrays.  NULL on ENOMEM.
 * The return type is json_t * (void * here so that users need not include jansson.h).
 */
void *bh_abi_value_to_json(const struct bh_abi_value *v);
/* p[0..n) as a JSON string "0x" + lower-case hex (json_t *); NULL on ENOMEM. */
void *bh_json_hex(const void *p, size_t n);
/*
 * JSON → value of type t: uint/int accept JSON integers, decimal strings ("-" for int)
 * and 0x hex; address/bytes/bytesN 0x hex; tuples and arrays JSON arrays.
 */
int bh_abi_value_from_json(const struct bh_abi_type *t, const void *json,
                           struct bh_abi_value *ret, struct bh_msg *msg);

#endif

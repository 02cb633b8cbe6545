/* SPDX-License-Identifier: MIT */
/*
 * Ethereum JSON-RPC over HTTP(S): a libcurl client with typed helpers, and the strict
 * parsers of the provider's replies (rpc-parse.c, no I/O, fuzzed in fuzz/fuzz_rpc_*.c).
 *
 * Why in src/common/eth and not in the engine: the engine, the deployer, the mint CLI, and
 * later the signup relay and the wizard all speak JSON-RPC to the same providers; it is
 * about Ethereum encodings (quantities, logs, receipts) and uses only core.
 *
 * Transport (rpc.c): one CURL easy handle per client, so the TCP connection is kept alive
 * between calls; connect and total timeouts; a response cap checked while the body arrives
 * (nothing beyond it is buffered); retries with exponential backoff and full jitter for
 * what a retry can fix (connect failures, timeouts, dropped connections, HTTP 429 and 5xx).
 * A JSON-RPC error object is never retried here: it is the provider's answer (-32005
 * "limit exceeded", a revert, "nonce too low") and the caller decides.
 *
 * Every reply body goes through core/json.c (strict: duplicates, trailing data, NULs and
 * the cap are errors) and the envelope is checked: "jsonrpc": "2.0", the id we sent, and
 * exactly one of "result" / "error".
 *
 * Errors: 0 or negative.  BH_ERR_RPC: the provider answered with an error object
 * (bh_rpc_last_error has code, message and data); BH_ERR_REVERT: the same for an
 * execution revert (code 3 or data present on eth_call / eth_estimateGas); BH_ERR_TIMEOUT;
 * BH_ERR_PEER: HTTP status other than 200 or a malformed envelope; BH_ERR_LIMIT: the reply
 * is over the cap (or HTTP 413); -ECONNREFUSED / -EIO: transport.  msg always names the
 * method: "eth_getLogs: provider error -32005: query returned more than 10000 results".
 */
#ifndef BH_RPC_H
#define BH_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "eth/events.h"

#define BH_RPC_MAX_RESPONSE_DEFAULT (32u * 1024u * 1024u)
#define BH_RPC_MAX_LOGS             100000u      /* entries in one eth_getLogs reply */
#define BH_RPC_MAX_LOG_DATA         (1024u * 1024u)  /* one log's data */
#define BH_RPC_MAX_CODE             (64u * 1024u)  /* eth_getCode (EIP-170: 24 KiB) */

struct bh_rpc_opts {
	int connect_timeout_ms;     /* default 5000 */
	int timeout_ms;             /* whole request, default 30000 */
	int retries;                /* extra attempts after the first, default 4 */
	int backoff_ms;             /* first backoff, doubled each retry, default 250 */
	int backoff_max_ms;         /* default 8000 */
	size_t max_response;        /* default BH_RPC_MAX_RESPONSE_DEFAULT */
};

/* The last failure of a client, for callers that branch on it (range shrinking). */
struct bh_rpc_error {
	int r;                      /* the code the call returned */
	long http_status;           /* 0 if no HTTP reply */
	bool has_code;              /* a JSON-RPC error object was received */
	int64_t code;
	char message[256];          /* sanitized provider message */
	uint8_t *data;              /* error.data as bytes when it is 0x hex (revert data) */
	size_t data_len;
	bool timed_out;
};

struct bh_rpc;

/* url: http:// or https:// (anything else BH_ERR_CONFIG).  opts may be NULL. */
int bh_rpc_new(const char *url, const struct bh_rpc_opts *opts, struct bh_rpc **ret,
	       struct bh_msg *msg) __attribute__((warn_unused_result));
void bh_rpc_free(struct bh_rpc *c);
/* Valid until the next call on c. */
const struct bh_rpc_error *bh_rpc_last_error(const struct bh_rpc *c);
/* Attempts made by the last call (1 = no retry). */
unsigned bh_rpc_attempts(const struct bh_rpc *c);
/* Retries made since the client was created, and what the latest retried attempt got:
 * "<method>: <failure>" (e.g. "eth_getLogs: HTTP 500"), "" before the first.  Callers
 * log one line when the count moves (the client itself never logs). */
unsigned long bh_rpc_retries(const struct bh_rpc *c);
const char *bh_rpc_retry_note(const struct bh_rpc *c);
/*
 * True if the last failure says the log query was too big for the provider: HTTP 413,
 * code -32005, a timeout, or a message with "range", "more than", "too many", "limit",
 * "exceed", "response size" (case-insensitive).  The caller halves its block range.
 */
bool bh_rpc_error_is_range_limit(const struct bh_rpc *c);

/* Call method with params (a JSON array, borrowed); *ret is the "result" (new reference). */
int bh_rpc_call(struct bh_rpc *c, const char *method, json_t *params, json_t **ret,
		struct bh_msg *msg) __attribute__((warn_unused_result));

/* ---- typed calls ---- */
int bh_rpc_chain_id(struct bh_rpc *c, uint64_t *ret, struct bh_msg *msg);
int bh_rpc_block_number(struct bh_rpc *c, uint64_t *ret, struct bh_msg *msg);

struct bh_rpc_block {
	uint64_t number;
	uint8_t hash[32];
	uint8_t parent_hash[32];
	uint64_t timestamp;
	bool has_base_fee;
	uint8_t base_fee[32];
};
/* number, or a tag with tag != NULL ("latest", "finalized", "safe"); BH_ERR_NOT_FOUND
 * if the provider has no such block (null result). */
int bh_rpc_get_block(struct bh_rpc *c, uint64_t number, const char *tag,
		     struct bh_rpc_block *ret, struct bh_msg *msg);

/* One log of eth_getLogs or of a receipt, with where it was emitted. */
struct bh_rpc_log {
	struct bh_log log;          /* log.data is a view over data */
	uint8_t *data;              /* owned */
	uint64_t block_number;
	uint8_t block_hash[32];
	uint8_t tx_hash[32];
	uint64_t tx_index;
	uint64_t log_index;
	bool removed;
};
struct bh_rpc_logs {
	struct bh_rpc_log *v;
	size_t n;
};
void bh_rpc_logs_clear(struct bh_rpc_logs *l);

struct bh_rpc_filter {
	uint64_t from_block, to_block;
	const uint8_t (*addresses)[20];
	size_t naddresses;
	const uint8_t (*topic0)[32];  /* OR-set for the first topic; 0 = any */
	size_t ntopic0;
};
int bh_rpc_get_logs(struct bh_rpc *c, const struct bh_rpc_filter *f, struct bh_rpc_logs *ret,
		    struct bh_msg *msg);

/* eth_call at "latest": returned bytes appended to ret.  A revert is BH_ERR_REVERT with
 * the revert data in bh_rpc_last_error. */
int bh_rpc_eth_call(struct bh_rpc *c, const uint8_t *from, const uint8_t to[static 20],
		    const uint8_t *data, size_t len, struct bh_buf *ret, struct bh_msg *msg);
/* to NULL: contract creation. */
int bh_rpc_estimate_gas(struct bh_rpc *c, const uint8_t from[static 20], const uint8_t *to,
			const uint8_t value[static 32], const uint8_t *data, size_t len,
			uint64_t *ret, struct bh_msg *msg);
/* tag "latest" or "pending". */
int bh_rpc_get_transaction_count(struct bh_rpc *c, const uint8_t addr[static 20],
				 const char *tag, uint64_t *ret, struct bh_msg *msg);
int bh_rpc_get_code(struct bh_rpc *c, const uint8_t addr[static 20], struct bh_buf *ret,
		    struct bh_msg *msg);
int bh_rpc_gas_price(struct bh_rpc *c, uint8_t ret[static 32], struct bh_msg *msg);
int bh_rpc_max_priority_fee(struct bh_rpc *c, uint8_t ret[static 32], struct bh_msg *msg);
int bh_rpc_send_raw(struct bh_rpc *c, const uint8_t *raw, size_t len, uint8_t ret_hash[static 32],
		    struct bh_msg *msg);

struct bh_rpc_receipt {
	uint8_t tx_hash[32];
	uint64_t block_number;
	uint8_t block_hash[32];
	bool status;                /* true: success */
	uint64_t gas_used;
	bool has_contract;
	uint8_t contract_address[20];
	struct bh_rpc_logs logs;
};
void bh_rpc_receipt_clear(struct bh_rpc_receipt *r);
/* BH_ERR_NOT_FOUND while the transaction is not mined (null result). */
int bh_rpc_get_receipt(struct bh_rpc *c, const uint8_t hash[static 32],
		       struct bh_rpc_receipt *ret, struct bh_msg *msg);

/* A "0x" + even-hex data string: *ret_hex past the prefix, *ret_bytes bytes; not decoded. */
int bh_rpc_parse_hexstr(const json_t *v, const char **ret_hex, size_t *ret_bytes,
			struct bh_msg *msg) __attribute__((warn_unused_result));
/* ---- parsers (rpc-parse.c): untrusted JSON → typed values; no I/O ---- */
/*
 * The reply envelope in body: object with "jsonrpc": "2.0", "id" == id, and exactly one of
 * "result" (*ret_result, new ref; JSON null allowed) or "error" {code: integer,
 * message: string, data?} (BH_ERR_RPC, ret_err filled: data decoded when it is hex).
 * ret_err may be NULL.  body is not consumed.
 */
int bh_rpc_parse_reply(const struct bh_buf *body, size_t cap, int64_t id, json_t **ret_result,
		       struct bh_rpc_error *ret_err, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* Quantities: "0x" + minimal hex ("0x0", never "0x" or "0x01"). */
int bh_rpc_parse_quantity(const json_t *v, uint64_t *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
int bh_rpc_parse_quantity256(const json_t *v, uint8_t ret[static 32], struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* Data: "0x" + even hex of exactly n bytes (fixed) */
int bh_rpc_parse_fixed(const json_t *v, uint8_t *ret, size_t n, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* Data: "0x" + even hex, at most cap bytes, appended to ret. */
int bh_rpc_parse_data(const json_t *v, size_t cap, struct bh_buf *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
int bh_rpc_parse_block(const json_t *v, struct bh_rpc_block *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
int bh_rpc_parse_log(const json_t *v, struct bh_rpc_log *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
int bh_rpc_parse_logs(const json_t *v, struct bh_rpc_logs *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
int bh_rpc_parse_receipt(const json_t *v, struct bh_rpc_receipt *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* Release the owned fields of a log (data). */
void bh_rpc_log_clear(struct bh_rpc_log *l);

#endif

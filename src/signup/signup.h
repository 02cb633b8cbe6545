/* SPDX-License-Identifier: MIT */
/*
 * blockhost-signup's parts that take untrusted bytes or are pure bookkeeping, so the unit
 * tests and fuzz/fuzz_signup_*.c reach them without sockets: the configuration
 * (config.c), the read-only JSON-RPC relay's request validator and answer builder
 * (relay.c), the static file table and the HTTP path parser (www.c), and the per-client
 * request budget (limit.c).  The daemon (main.c) and the keystore-backed TLS key (tls.c)
 * are the glue around them.  Nothing here logs or exits.  docs/signup.md describes the
 * rules; this header is their interface.
 */
#ifndef BH_SIGNUP_H
#define BH_SIGNUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <jansson.h>

#include "core/err.h"

/* ------------------------------------------------------------------ configuration */

#define SU_MAX_TOKENS     4         /* payment tokens */
#define SU_MAX_CONTRACTS  (2 + SU_MAX_TOKENS)
#define SU_DEFAULT_PORT   443

struct su_token {
	uint8_t address[20];
	char text[43];                   /* 0x + 40 hex as written in the config */
	char symbol[16];                 /* "" if not configured */
	int decimals;                    /* -1 if not configured */
};

struct su_config {
	char *listen;                    /* IPv4/IPv6 address text, default "::" */
	unsigned port;                   /* 1..65535, default 443 */
	char *keystore_socket;           /* NULL: the default path */
	char *rpc_url;                   /* http(s):// of the provider (never shown) */
	uint64_t chain_id;
	char *chain_name;                /* "" if absent */
	char *explorer_url;              /* NULL if absent */
	char *public_secret;             /* the message the buyer signs */
	char *server_public_key;         /* engine's ECIES key 0x04..., NULL: no purchases */
	char *admin_wallet;              /* NULL if absent: the page's knock form */
	char *www;                       /* static files (index.html, assets/) */
	char *cert;                      /* PEM chain whose key is the keystore's TLS key */
	char subscriptions_text[43], nft_text[43];
	uint8_t subscriptions[20], nft[20];
	struct su_token tokens[SU_MAX_TOKENS];
	size_t ntokens;
	/* relay limits */
	unsigned rate_per_minute;        /* relayed calls per client group per minute */
	unsigned rate_burst;             /* bucket size */
	uint64_t max_log_blocks;         /* eth_getLogs: toBlock - fromBlock + 1 at most */
	size_t max_answer;               /* bytes of one provider answer */
};

/* Read and check path (core/file.h rules via host/config); *ret filled only on success. */
int su_config_load(const char *path, struct su_config *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* The same from memory (name used in messages; the fuzzing entry). */
int su_config_parse(const void *data, size_t len, const char *name, struct su_config *ret,
		    struct bh_msg *msg) __attribute__((warn_unused_result));
void su_config_done(struct su_config *c);

/* GET /config.json: the public part of the configuration (never the RPC URL); heap. */
int su_config_public_json(const struct su_config *c, char **ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));

/* ------------------------------------------------------------------ relay */

#define SU_RELAY_BODY_MAX   (16u * 1024u)   /* bytes of one POST /rpc body */
#define SU_RELAY_BATCH_MAX  16u             /* calls in one batch */
#define SU_RELAY_ANSWER_MAX (512u * 1024u)  /* default cap of one provider answer */
#define SU_RELAY_TOTAL_MAX  (2u * 1024u * 1024u) /* bytes of a whole (batch) answer */
#define SU_RELAY_LOG_BLOCKS 10000u          /* default eth_getLogs range */
#define SU_RELAY_ADDRS_MAX  SU_MAX_CONTRACTS
#define SU_RELAY_TOPICS_OR  8u              /* alternatives in one topic position */

/* JSON-RPC error codes the relay answers with */
#define SU_RPC_PARSE_ERROR      (-32700)
#define SU_RPC_INVALID_REQUEST  (-32600)
#define SU_RPC_METHOD_NOT_FOUND (-32601)
#define SU_RPC_INVALID_PARAMS   (-32602)
#define SU_RPC_INTERNAL         (-32603)
#define SU_RPC_LIMIT            (-32005)    /* the relay's own limits (size, rate) */
#define SU_RPC_PROVIDER         (-32000)    /* the provider could not be reached */

struct su_relay_rules {
	uint64_t chain_id;
	const uint8_t (*contracts)[20];  /* the host's own contracts: eth_call to, getLogs address */
	size_t ncontracts;
	uint64_t max_log_blocks;
};

/*
 * One call of a (batch) request after validation: either to forward (method, params
 * checked and rebuilt from what was accepted, never the client's object as is) or already
 * answered (response: a complete JSON-RPC error response naming what was refused).  The
 * caller forwards each call without a response and sets response to the answer.
 */
struct su_relay_call {
	json_t *id;                      /* new ref; JSON null when the request had none usable */
	const char *method;              /* static string from the allowlist, NULL if refused */
	json_t *params;                  /* new ref, NULL if refused */
	json_t *response;                /* new ref: the response object, NULL while to forward */
};

struct su_relay_req {
	bool batch;
	size_t n;
	struct su_relay_call calls[SU_RELAY_BATCH_MAX];
	json_t *whole_error;             /* the request as a whole is refused: this response */
};

/*
 * Validate a POST /rpc body (len bytes; the caller already refused more than
 * SU_RELAY_BODY_MAX with su_relay_error_response).  Always fills *ret (release it with
 * su_relay_req_done): a body that is no JSON-RPC request, or a batch too large, becomes
 * whole_error; each call outside the rules an error entry naming what was refused.
 * Returns 0 or -ENOMEM.
 */
int su_relay_parse(const struct su_relay_rules *rules, const uint8_t *body, size_t len,
		   struct su_relay_req *ret) __attribute__((warn_unused_result));
void su_relay_req_done(struct su_relay_req *q);

/* A JSON-RPC error response {"jsonrpc":"2.0","id":id,"error":{code,message[,data]}}; new ref. */
json_t *su_relay_error(const json_t *id, int code, const char *message, const json_t *data);
/* The response for a successful forwarded call; new ref. */
json_t *su_relay_result(const json_t *id, json_t *result /* stolen */);

/*
 * The answer: one response object, or an array for a batch, serialized compactly into
 * *ret (heap, *ret_len).  Responses beyond SU_RELAY_TOTAL_MAX are replaced by a limit
 * error each.  Takes the responses from q (entries' response after forwarding).
 */
int su_relay_answer(struct su_relay_req *q, char **ret, size_t *ret_len)
	__attribute__((warn_unused_result));

/* ------------------------------------------------------------------ static files */

#define SU_WWW_FILES_MAX   64
#define SU_WWW_FILE_MAX    (2u * 1024u * 1024u)
#define SU_WWW_TOTAL_MAX   (4u * 1024u * 1024u)
#define SU_WWW_NAME_MAX    96u

struct su_file {
	char name[SU_WWW_NAME_MAX + 1]; /* "index.html" or "assets/<name>" */
	const char *content_type;
	uint8_t *data;
	size_t len;
};

struct su_www {
	struct su_file f[SU_WWW_FILES_MAX];
	size_t n;
	size_t total;
};

/*
 * Load dir/index.html and the regular files directly in dir/assets/ into memory (so
 * nothing is opened after the sandbox): O_NOFOLLOW at every step, a symlink or anything
 * but a regular file is refused (the message names it), names must be SU_WWW_NAME_MAX
 * of [A-Za-z0-9._-] not starting with '.', sizes capped.
 */
int su_www_load(const char *dir, struct su_www *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
void su_www_done(struct su_www *w);

/*
 * Route a request path as received (not percent-decoded): "/" is index.html,
 * "/assets/<name>" with a name as above is that file; anything else (%-escapes, "..",
 * "//", NUL, control bytes, overlong) is NULL, without looking at the table.
 */
const struct su_file *su_www_lookup(const struct su_www *w, const char *path, size_t len);
/* The path syntax alone: 1 and the file name ("index.html" or "assets/x") in ret, or 0. */
bool su_www_path(const char *path, size_t len, char ret[static SU_WWW_NAME_MAX + 1]);
/* Content-Type for a file name by its extension. */
const char *su_www_content_type(const char *name);

/* ------------------------------------------------------------------ per-client budget */

#define SU_LIMIT_GROUPS 1024

struct su_limit_key {
	uint8_t b[9];                    /* 4 + IPv4 address, or 6 + the IPv6 /64 */
};

struct su_limit {
	unsigned per_minute, burst;
	struct {
		struct su_limit_key key;
		double tokens;
		double last;             /* seconds */
		bool used;
	} g[SU_LIMIT_GROUPS];
};

void su_limit_init(struct su_limit *l, unsigned per_minute, unsigned burst);
/* A client's group: its IPv4 address (also v4-mapped), or its IPv6 /64. */
int su_limit_key(const struct sockaddr *sa, socklen_t len, struct su_limit_key *ret);
/* Take cost tokens from k's bucket at time now (seconds); false: over its budget. */
bool su_limit_take(struct su_limit *l, const struct su_limit_key *k, unsigned cost, double now);
/* The group as text ("192.0.2.1", "2001:db8::/64"). */
void su_limit_key_text(const struct su_limit_key *k, char *out, size_t outlen);

#endif

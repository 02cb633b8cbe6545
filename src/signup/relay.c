/* SPDX-License-Identifier: MIT */
/*
 * The read-only chain relay's request side: a POST /rpc body (untrusted, at most
 * SU_RELAY_BODY_MAX bytes) becomes a list of calls the relay may forward, each rebuilt
 * from the fields it accepted, or a JSON-RPC error naming what was refused.  Rules
 * (docs/signup.md "Relay rules"):
 *   eth_chainId, eth_blockNumber      params []
 *   eth_call                          [{to, data|input, from?}, block?]; to is one of the
 *                                     host's contracts; no value, gas or state overrides
 *   eth_getLogs                       [{address, fromBlock, toBlock, topics?}] with numeric
 *                                     blocks at most max_log_blocks apart, or {address,
 *                                     blockHash, topics?}; every address the host's
 *   eth_getTransactionReceipt         [hash]
 * Everything else is refused, the methods that would move funds with the reason the page
 * never needs them.  No I/O: fuzz/fuzz_signup_relay.c drives it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/json.h"
#include "core/strutil.h"
#include "signup.h"

#define ID_STRING_MAX 64
#define DATA_MAX      (SU_RELAY_BODY_MAX / 2)

json_t *su_relay_error(const json_t *id, int code, const char *message, const json_t *data)
{
	json_t *e = json_pack("{s:i,s:s}", "code", code, "message", message);
	if (!e)
		return NULL;
	if (data && json_object_set(e, "data", (json_t *)data) < 0) {
		json_decref(e);
		return NULL;
	}
	return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id ? (json_t *)id : json_null(),
			 "error", e);
}

json_t *su_relay_result(const json_t *id, json_t *result)
{
	if (!result)
		return NULL;
	return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id ? (json_t *)id : json_null(),
			 "result", result);
}

/* A refusal with a formatted message. */
static json_t *refuse(const json_t *id, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static json_t *refuse(const json_t *id, int code, const char *fmt, ...)
{
	char m[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	return su_relay_error(id, code, m, NULL);
}

/* ------------------------------------------------------------------ value checks */

static bool is_hex_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/* "0x" + 2*n hex digits (n = exact byte count), or up to max bytes when n == 0. */
static bool data_ok(const json_t *v, size_t n, size_t max)
{
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len < 2 || s[0] != '0' || s[1] != 'x' || (len - 2) % 2 || !is_hex_digits(s + 2, len - 2))
		return false;
	return n ? (len - 2) / 2 == n : (len - 2) / 2 <= max;
}

/* A quantity "0x" + minimal hex that fits 64 bits. */
static bool quantity(const json_t *v, uint64_t *ret)
{
	if (!json_is_string(v))
		return false;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	uint64_t x = 0;
	if (len < 3 || len > 18 || s[0] != '0' || s[1] != 'x' || !is_hex_digits(s + 2, len - 2) ||
	    (len > 3 && s[2] == '0'))
		return false;
	for (size_t i = 2; i < len; i++) {
		char c = s[i];
		x = x << 4 | (uint64_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	*ret = x;
	return true;
}

static bool block_tag(const json_t *v)
{
	static const char *const tags[] = { "latest", "pending", "safe", "finalized", "earliest" };
	uint64_t q;
	if (quantity(v, &q))
		return true;
	if (!json_is_string(v))
		return false;
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (!strcmp(json_string_value(v), tags[i]) &&
		    strlen(tags[i]) == json_string_length(v))
			return true;
	return false;
}

/* 1: one of the host's contracts; 0: a well-formed other address; -1: not an address */
static int host_contract(const struct su_relay_rules *rules, const json_t *v)
{
	uint8_t a[20];
	if (!data_ok(v, 20, 0) || bh_hex_decode_exact(json_string_value(v), a, 20) < 0)
		return -1;
	for (size_t i = 0; i < rules->ncontracts; i++)
		if (!memcmp(rules->contracts[i], a, 20))
			return 1;
	return 0;
}

/* What we show of a client's string: sanitized and short. */
static const char *shown(const json_t *v, char *out, size_t outlen)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	size_t n = json_is_string(v) ? json_string_length(v) : 0, i;
	for (i = 0; i < n && i + 1 < outlen && i < 64; i++)
		out[i] = (s[i] > 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\') ? s[i] : '?';
	out[i] = '\0';
	if (n > i && i + 4 < outlen)
		strcpy(out + i, "...");
	return out;
}

/* The keys of object o are all in list (NULL-terminated); else the first other one. */
static const char *other_key(const json_t *o, const char *const *list)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		const char *const *p = list;
		while (*p && strcmp(*p, k))
			p++;
		if (!*p)
			return k;
	}
	return NULL;
}

static json_t *lower_copy(const json_t *v)
{
	char b[43];
	size_t n = json_string_length(v);
	if (n >= sizeof(b))
		return NULL;
	memcpy(b, json_string_value(v), n + 1);
	for (size_t i = 0; i < n; i++)
		if (b[i] >= 'A' && b[i] <= 'F')
			b[i] = (char)(b[i] + 32);
	return json_string(b);
}

/* ------------------------------------------------------------------ methods */

static json_t *check_call(const struct su_relay_rules *rules, const json_t *id,
			  const json_t *params, json_t **ret)
{
	static const char *const keys[] = { "to", "data", "input", "from", NULL };
	const json_t *o = json_array_get(params, 0), *blk = json_array_get(params, 1);
	const json_t *to = json_object_get(o, "to"), *data = json_object_get(o, "data"),
		     *input = json_object_get(o, "input"), *from = json_object_get(o, "from");
	const char *k;
	char sh[72];

	if (json_array_size(params) < 1 || json_array_size(params) > 2 || !json_is_object(o))
		return refuse(id, SU_RPC_INVALID_PARAMS, "eth_call: params must be [call object] or "
			      "[call object, block] (no state overrides)");
	if ((k = other_key(o, keys))) {
		json_t *ks = json_string(k);
		json_t *e = refuse(id, SU_RPC_INVALID_PARAMS, "eth_call: field '%s' is not relayed "
				   "(only to, data or input, from: the relay only reads the host's "
				   "contracts)", shown(ks, sh, sizeof(sh)));
		json_decref(ks);
		return e;
	}
	switch (host_contract(rules, to)) {
	case -1:
		return refuse(id, SU_RPC_INVALID_PARAMS, "eth_call: 'to' must be a 0x address of 40 "
			      "hex digits");
	case 0:
		return refuse(id, SU_RPC_INVALID_PARAMS, "eth_call to %s is not relayed: only the "
			      "host's own contracts (subscriptions, NFT, payment tokens)",
			      shown(to, sh, sizeof(sh)));
	}
	if (data && input)
		return refuse(id, SU_RPC_INVALID_PARAMS, "eth_call: give 'data' or 'input', not both");
	if (!data)
		data = input;
	if (data && !data_ok(data, 0, DATA_MAX))
		return refuse(id, SU_RPC_INVALID_PARAMS, "eth_call: 'data' must be 0x + an even "
			      "number of hex digits");
	if (from && host_contract(rules, from) < 0)
		return refuse(id, SU_RPC_INVALID_PARAMS, "eth_call: 'from' must be a 0x address of "
			      "40 hex digits");
	if (blk && !block_tag(blk))
		return refuse(id, SU_RPC_INVALID_PARAMS, "eth_call: block must be a quantity or one "
			      "of latest, pending, safe, finalized, earliest");
	json_t *call = json_object(), *p = json_array();
	if (!call || !p || json_object_set_new(call, "to", lower_copy(to)) ||
	    (data && json_object_set(call, "data", (json_t *)data)) ||
	    (from && json_object_set_new(call, "from", lower_copy(from))) ||
	    json_array_append_new(p, call) ||
	    json_array_append_new(p, blk ? json_deep_copy(blk) : json_string("latest"))) {
		json_decref(p);
		return NULL;
	}
	*ret = p;
	return NULL;
}

static json_t *topic_ok(const json_t *t)
{
	return (json_t *)(json_is_null(t) || data_ok(t, 32, 0) ? t : NULL);
}

static json_t *check_logs(const struct su_relay_rules *rules, const json_t *id,
			  const json_t *params, json_t **ret)
{
	static const char *const keys[] = { "address", "fromBlock", "toBlock", "topics",
					    "blockHash", NULL };
	const json_t *f = json_array_get(params, 0), *addr = json_object_get(f, "address"),
		     *topics = json_object_get(f, "topics"), *fb = json_object_get(f, "fromBlock"),
		     *tb = json_object_get(f, "toBlock"), *bh = json_object_get(f, "blockHash");
	const char *k;
	char sh[72];
	size_t i;
	json_t *v;

	if (json_array_size(params) != 1 || !json_is_object(f))
		return refuse(id, SU_RPC_INVALID_PARAMS, "eth_getLogs: params must be [filter object]");
	if ((k = other_key(f, keys))) {
		json_t *ks = json_string(k);
		json_t *e = refuse(id, SU_RPC_INVALID_PARAMS, "eth_getLogs: filter field '%s' is "
				   "not relayed", shown(ks, sh, sizeof(sh)));
		json_decref(ks);
		return e;
	}
	/* the addresses: one or a list, every one the host's */
	if (!addr)
		return refuse(id, SU_RPC_INVALID_PARAMS, "eth_getLogs: 'address' is required: the "
			      "relay returns only the host's contracts' logs");
	json_t *alist = json_array();
	if (!alist)
		return NULL;
	if (json_is_array(addr)) {
		if (!json_array_size(addr) || json_array_size(addr) > SU_RELAY_ADDRS_MAX) {
			json_decref(alist);
			return refuse(id, SU_RPC_INVALID_PARAMS, "eth_getLogs: 'address' list must "
				      "hold 1..%u addresses", SU_RELAY_ADDRS_MAX);
		}
		json_array_foreach(addr, i, v) {
			int c = host_contract(rules, v);
			if (c <= 0) {
				json_decref(alist);
				return c < 0 ? refuse(id, SU_RPC_INVALID_PARAMS, "eth_getLogs: "
						      "'address' entries must be 0x addresses")
					     : refuse(id, SU_RPC_INVALID_PARAMS, "eth_getLogs of %s is "
						      "not relayed: only the host's own contracts",
						      shown(v, sh, sizeof(sh)));
			}
			if (json_array_append_new(alist, lower_copy(v))) {
				json_decref(alist);
				return NULL;
			}
		}
	} else {
		int c = host_contract(rules, addr);
		if (c <= 0) {
			json_decref(alist);
			return c < 0 ? refuse(id, SU_RPC_INVALID_PARAMS, "eth_getLogs: 'address' must "
					      "be a 0x address or a list of them")
				     : refuse(id, SU_RPC_INVALID_PARAMS, "eth_getLogs of %s is not "
					      "relayed: only the host's own contracts",
					      shown(addr, sh, sizeof(sh)));
		}
		if (json_array_append_new(alist, lower_copy(addr))) {
			json_decref(alist);
			return NULL;
		}
	}
	json_t *flt = json_object();
	if (!flt || json_object_set_new(flt, "address", alist)) {
		json_decref(flt);
		return NULL;
	}
	/* the range: a block hash, or two numbers close enough */
	if (bh) {
		if (fb || tb || !data_ok(bh, 32, 0)) {
			json_decref(flt);
			return refuse(id, SU_RPC_INVALID_PARAMS, "eth_getLogs: 'blockHash' is 0x + 64 "
				      "hex digits, without fromBlock/toBlock");
		}
		if (json_object_set(flt, "blockHash", (json_t *)bh)) {
			json_decref(flt);
			return NULL;
		}
	} else {
		uint64_t from, to;
		if (!quantity(fb, &from) || !quantity(tb, &to) || to < from) {
			json_decref(flt);
			return refuse(id, SU_RPC_INVALID_PARAMS, "eth_getLogs: fromBlock and toBlock "
				      "must be block numbers (0x quantities, fromBlock <= toBlock; ask "
				      "eth_blockNumber first), or give blockHash");
		}
		if (to - from >= rules->max_log_blocks) {
			char n[24] = "18446744073709551616"; /* 0..2^64-1 */
			if (to - from < UINT64_MAX)
				snprintf(n, sizeof(n), "%llu", (unsigned long long)(to - from) + 1);
			json_decref(flt);
			return refuse(id, SU_RPC_LIMIT, "eth_getLogs over %s blocks is not relayed: "
				      "at most %llu blocks per query; split the range", n,
				      (unsigned long long)rules->max_log_blocks);
		}
		if (json_object_set(flt, "fromBlock", (json_t *)fb) ||
		    json_object_set(flt, "toBlock", (json_t *)tb)) {
			json_decref(flt);
			return NULL;
		}
	}
	if (topics) {
		bool good = json_is_array(topics) && json_array_size(topics) <= 4;
		json_array_foreach(good ? topics : NULL, i, v) {
			if (json_is_array(v)) {
				size_t j;
				json_t *t;
				good = json_array_size(v) >= 1 && json_array_size(v) <= SU_RELAY_TOPICS_OR;
				json_array_foreach(good ? v : NULL, j, t)
					if (!json_is_string(t) || !topic_ok(t))
						good = false;
			} else if (!topic_ok(v)) {
				good = false;
			}
			if (!good)
				break;
		}
		if (!good) {
			json_decref(flt);
			return refuse(id, SU_RPC_INVALID_PARAMS, "eth_getLogs: 'topics' is a list of "
				      "at most 4 entries, each null, a 32-byte 0x hash or a list of 1..%u "
				      "hashes", SU_RELAY_TOPICS_OR);
		}
		if (json_object_set(flt, "topics", (json_t *)topics)) {
			json_decref(flt);
			return NULL;
		}
	}
	json_t *p = json_array();
	if (!p || json_array_append_new(p, flt)) {
		json_decref(p);
		return NULL;
	}
	*ret = p;
	return NULL;
}

/* Methods a page might try, and why the relay will not carry them. */
static const struct { const char *m, *why; } never[] = {
	{ "eth_sendRawTransaction", "the page sends transactions through your wallet" },
	{ "eth_sendTransaction", "the page sends transactions through your wallet" },
	{ "eth_sign", "signatures are made by your wallet" },
	{ "personal_sign", "signatures are made by your wallet" },
	{ "eth_signTypedData_v4", "signatures are made by your wallet" },
	{ "eth_accounts", "accounts are your wallet's" },
	{ "eth_requestAccounts", "accounts are your wallet's" },
	{ "eth_estimateGas", "your wallet estimates gas for the transactions it sends" },
	{ "eth_getBalance", "your wallet shows your balance" },
};

/* One call object; returns the response for a refused call (or NULL with *c filled). */
static int check_one(const struct su_relay_rules *rules, const json_t *o, struct su_relay_call *c)
{
	static const char *const keys[] = { "jsonrpc", "id", "method", "params", NULL };
	const json_t *id = json_object_get(o, "id"), *jv = json_object_get(o, "jsonrpc"),
		     *m = json_object_get(o, "method"), *params = json_object_get(o, "params");
	json_t *resp = NULL, *p = NULL, *empty = NULL;
	char sh[72];
	const char *k;

	memset(c, 0, sizeof(*c));
	/* the id we echo: an integer, a short string or null, else null */
	if (json_is_integer(id) || json_is_null(id) ||
	    (json_is_string(id) && json_string_length(id) <= ID_STRING_MAX &&
	     !memchr(json_string_value(id), 0, json_string_length(id))))
		c->id = json_incref((json_t *)id);
	else
		c->id = json_null();
	if (!c->id)
		return -ENOMEM;
	if (!json_is_object(o)) {
		resp = refuse(c->id, SU_RPC_INVALID_REQUEST, "a call must be a JSON object");
		goto out;
	}
	if ((k = other_key(o, keys))) {
		json_t *ks = json_string(k);
		resp = refuse(c->id, SU_RPC_INVALID_REQUEST, "unknown member '%s' (a call has "
			      "jsonrpc, id, method, params)", shown(ks, sh, sizeof(sh)));
		json_decref(ks);
		goto out;
	}
	if (!json_is_string(jv) || strcmp(json_string_value(jv), "2.0")) {
		resp = refuse(c->id, SU_RPC_INVALID_REQUEST, "'jsonrpc' must be \"2.0\"");
		goto out;
	}
	if (!id || !(json_is_integer(id) || json_is_string(id)) || c->id != id) {
		resp = refuse(c->id, SU_RPC_INVALID_REQUEST, "'id' must be an integer or a string of "
			      "at most %u characters (the relay answers every call)", ID_STRING_MAX);
		goto out;
	}
	if (!json_is_string(m)) {
		resp = refuse(c->id, SU_RPC_INVALID_REQUEST, "'method' must be a string");
		goto out;
	}
	if (params && !json_is_array(params)) {
		resp = refuse(c->id, SU_RPC_INVALID_PARAMS, "'params' must be a list");
		goto out;
	}
	if (!params && !(params = empty = json_array()))
		return -ENOMEM;
	const char *ms = json_string_value(m);
	if (strlen(ms) != json_string_length(m))
		ms = "";
	if (!strcmp(ms, "eth_chainId") || !strcmp(ms, "eth_blockNumber")) {
		if (json_array_size(params)) {
			resp = refuse(c->id, SU_RPC_INVALID_PARAMS, "%s takes no params", ms);
			goto out;
		}
		c->method = ms[4] == 'c' ? "eth_chainId" : "eth_blockNumber";
		p = json_array();
	} else if (!strcmp(ms, "eth_call")) {
		c->method = "eth_call";
		resp = check_call(rules, c->id, params, &p);
	} else if (!strcmp(ms, "eth_getLogs")) {
		c->method = "eth_getLogs";
		resp = check_logs(rules, c->id, params, &p);
	} else if (!strcmp(ms, "eth_getTransactionReceipt")) {
		c->method = "eth_getTransactionReceipt";
		if (json_array_size(params) != 1 || !data_ok(json_array_get(params, 0), 32, 0)) {
			resp = refuse(c->id, SU_RPC_INVALID_PARAMS, "eth_getTransactionReceipt: params "
				      "must be [0x + 64 hex digits]");
			goto out;
		}
		p = json_deep_copy(params);
	} else {
		const char *why = "the relay only reads the host's contracts (eth_chainId, "
				  "eth_blockNumber, eth_call, eth_getLogs, eth_getTransactionReceipt)";
		for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
			if (!strcmp(ms, never[i].m))
				why = never[i].why;
		resp = refuse(c->id, SU_RPC_METHOD_NOT_FOUND, "method %s is not relayed: %s",
			      shown(m, sh, sizeof(sh)), why);
		goto out;
	}
	if (!resp && !p) {
		json_decref(empty);
		return -ENOMEM;
	}
out:
	json_decref(empty);
	if (resp) {
		json_decref(p);
		c->method = NULL;
		c->response = resp;
		return 0;
	}
	if (!p) /* a refusal that could not be built */
		return -ENOMEM;
	c->params = p;
	return 0;
}

int su_relay_parse(const struct su_relay_rules *rules, const uint8_t *body, size_t len,
		   struct su_relay_req *ret)
{
	struct su_relay_req q;
	struct bh_msg m = { { 0 } };
	json_t *j = NULL;
	int r;

	memset(&q, 0, sizeof(q));
	if (len > SU_RELAY_BODY_MAX) {
		q.whole_error = refuse(NULL, SU_RPC_LIMIT, "request of %zu bytes is over the relay's "
				       "limit of %u bytes", len, SU_RELAY_BODY_MAX);
		goto done;
	}
	if ((r = bh_json_load(body, len, SU_RELAY_BODY_MAX, BH_JSON_OBJECT | BH_JSON_ARRAY, &j,
			      &m)) < 0) {
		if (r == -ENOMEM)
			return r;
		q.whole_error = refuse(NULL, SU_RPC_PARSE_ERROR, "the request is not a JSON-RPC "
				       "object or batch: %s", bh_strerror(r));
		goto done;
	}
	if (json_is_array(j)) {
		size_t i;
		json_t *o;
		q.batch = true;
		if (!json_array_size(j)) {
			q.whole_error = refuse(NULL, SU_RPC_INVALID_REQUEST, "empty batch");
			goto done;
		}
		if (json_array_size(j) > SU_RELAY_BATCH_MAX) {
			q.whole_error = refuse(NULL, SU_RPC_LIMIT, "batch of %zu calls is over the "
					       "relay's limit of %u per request",
					       json_array_size(j), SU_RELAY_BATCH_MAX);
			goto done;
		}
		json_array_foreach(j, i, o) {
			if ((r = check_one(rules, o, &q.calls[q.n])) < 0) {
				su_relay_req_done(&q);
				json_decref(j);
				return r;
			}
			q.n++;
		}
	} else {
		if ((r = check_one(rules, j, &q.calls[0])) < 0) {
			json_decref(j);
			return r;
		}
		q.n = 1;
	}
done:
	json_decref(j);
	if (!q.n && !q.whole_error) {
		su_relay_req_done(&q);
		return -ENOMEM;
	}
	*ret = q;
	return 0;
}

void su_relay_req_done(struct su_relay_req *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++) {
		json_decref(q->calls[i].id);
		json_decref(q->calls[i].params);
		json_decref(q->calls[i].response);
	}
	json_decref(q->whole_error);
	memset(q, 0, sizeof(*q));
}

int su_relay_answer(struct su_relay_req *q, char **ret, size_t *ret_len)
{
	json_t *out = NULL;
	char *s;

	if (q->whole_error) {
		out = json_incref(q->whole_error);
	} else if (!q->batch) {
		out = q->calls[0].response ? json_incref(q->calls[0].response)
					   : su_relay_error(q->calls[0].id, SU_RPC_INTERNAL,
							    "no answer", NULL);
	} else {
		size_t total = 2;
		if (!(out = json_array()))
			return -ENOMEM;
		for (size_t i = 0; i < q->n; i++) {
			json_t *r = q->calls[i].response ? json_incref(q->calls[i].response)
							 : su_relay_error(q->calls[i].id,
									  SU_RPC_INTERNAL,
									  "no answer", NULL);
			size_t n = r ? json_dumpb(r, NULL, 0, JSON_COMPACT) : 0;
			if (r && total + n + 1 > SU_RELAY_TOTAL_MAX) {
				json_decref(r);
				r = refuse(q->calls[i].id, SU_RPC_LIMIT, "the batch's answers are over "
					   "the relay's limit of %u bytes: ask for fewer at a time",
					   SU_RELAY_TOTAL_MAX);
				n = r ? json_dumpb(r, NULL, 0, JSON_COMPACT) : 0;
			}
			if (!r || json_array_append_new(out, r)) {
				json_decref(out);
				return -ENOMEM;
			}
			total += n + 1;
		}
	}
	if (!out || !(s = json_dumps(out, JSON_COMPACT))) {
		json_decref(out);
		return -ENOMEM;
	}
	json_decref(out);
	*ret_len = strlen(s);
	*ret = s;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * JSON-RPC transport over libcurl and the typed eth_* calls (eth/rpc.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include <curl/curl.h>

#include "core/hex.h"
#include "core/json.h"
#include "eth/abi.h"
#include "eth/rpc.h"

struct bh_rpc {
	CURL *curl;
	struct curl_slist *headers;
	char *url;
	struct bh_rpc_opts o;
	int64_t next_id;
	unsigned attempts;
	struct bh_rpc_error err;
	struct bh_buf body;
	bool overflow;
	char retry_note[300];
	unsigned long retries;
};

static void err_reset(struct bh_rpc_error *e)
{
	free(e->data);
	memset(e, 0, sizeof(*e));
}

const struct bh_rpc_error *bh_rpc_last_error(const struct bh_rpc *c)
{
	return &c->err;
}

unsigned bh_rpc_attempts(const struct bh_rpc *c)
{
	return c->attempts;
}

unsigned long bh_rpc_retries(const struct bh_rpc *c)
{
	return c->retries;
}

const char *bh_rpc_retry_note(const struct bh_rpc *c)
{
	return c->retry_note;
}

static bool ci_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

bool bh_rpc_error_is_range_limit(const struct bh_rpc *c)
{
	const struct bh_rpc_error *e = &c->err;
	static const char *const words[] = { "range", "more than", "too many", "limit",
					     "exceed", "response size", "too large" };
	if (e->http_status == 413 || e->timed_out || e->r == BH_ERR_LIMIT)
		return true;
	if (!e->has_code)
		return false;
	if (e->code == -32005)
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (ci_contains(e->message, words[i]))
			return true;
	return false;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct bh_rpc *c = ud;
	size_t len = size * n;
	if (bh_buf_put(&c->body, p, len) < 0) {
		c->overflow = true;
		return 0;   /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	return len;
}

int bh_rpc_new(const char *url, const struct bh_rpc_opts *opts, struct bh_rpc **ret,
	       struct bh_msg *msg)
{
	static bool global_done;
	struct bh_rpc *c = NULL;
	int r = BH_ERR_INTERNAL;

	if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
		bh_msg_set(msg, "RPC URL must start with http:// or https://");
		return BH_ERR_CONFIG;
	}
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			bh_msg_set(msg, "curl_global_init failed");
			return BH_ERR_INTERNAL;
		}
		global_done = true;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->o = (struct bh_rpc_opts){ 5000, 30000, 4, 250, 8000, BH_RPC_MAX_RESPONSE_DEFAULT };
	if (opts) {
		if (opts->connect_timeout_ms > 0)
			c->o.connect_timeout_ms = opts->connect_timeout_ms;
		if (opts->timeout_ms > 0)
			c->o.timeout_ms = opts->timeout_ms;
		if (opts->retries >= 0)
			c->o.retries = opts->retries;
		if (opts->backoff_ms > 0)
			c->o.backoff_ms = opts->backoff_ms;
		if (opts->backoff_max_ms > 0)
			c->o.backoff_max_ms = opts->backoff_max_ms;
		if (opts->max_response > 0)
			c->o.max_response = opts->max_response;
	}
	c->next_id = 1;
	bh_buf_init(&c->body, c->o.max_response);
	if (!(c->url = strdup(url)) || !(c->curl = curl_easy_init())) {
		r = -ENOMEM;
		goto out;
	}
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (!c->headers) {
		r = -ENOMEM;
		goto out;
	}
	curl_easy_setopt(c->curl, CURLOPT_URL, c->url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)c->o.connect_timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)c->o.timeout_ms);
	curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->o.max_response);
	curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "");
	*ret = c;
	c = NULL;
	r = 0;
out:
	bh_rpc_free(c);
	return r;
}

void bh_rpc_free(struct bh_rpc *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	free(c->url);
	err_reset(&c->err);
	bh_buf_done(&c->body);
	free(c);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Full jitter: uniform in [0, min(max, base * 2^attempt)]. */
static int backoff(const struct bh_rpc *c, unsigned attempt)
{
	uint64_t cap = (uint64_t)c->o.backoff_ms << (attempt > 16 ? 16 : attempt);
	if (cap > (uint64_t)c->o.backoff_max_ms)
		cap = (uint64_t)c->o.backoff_max_ms;
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)time(NULL);
	return (int)(cap / 2 + rnd % (cap / 2 + 1));
}

/* One HTTP exchange. 0 with the body in c->body, or a code; *retry says whether to. */
static int exchange(struct bh_rpc *c, const char *req, bool *retry, struct bh_msg *msg)
{
	long status = 0;
	CURLcode cc;

	bh_buf_reset(&c->body);
	c->overflow = false;
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(req));
	cc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	c->err.http_status = status;
	*retry = false;
	if (cc != CURLE_OK) {
		if (c->overflow || cc == CURLE_FILESIZE_EXCEEDED) {
			bh_msg_set(msg, "reply larger than %zu bytes", c->o.max_response);
			return BH_ERR_LIMIT;
		}
		*retry = true;
		if (cc == CURLE_OPERATION_TIMEDOUT) {
			c->err.timed_out = true;
			bh_msg_set(msg, "timed out (%s)", curl_easy_strerror(cc));
			return BH_ERR_TIMEOUT;
		}
		bh_msg_set(msg, "%s", curl_easy_strerror(cc));
		return cc == CURLE_COULDNT_CONNECT ? -ECONNREFUSED : -EIO;
	}
	if (status == 413) {
		bh_msg_set(msg, "HTTP 413 (request or reply too large)");
		return BH_ERR_LIMIT;
	}
	if (status == 429 || status >= 500) {
		*retry = true;
		bh_msg_set(msg, "HTTP %ld", status);
		return BH_ERR_PEER;
	}
	if (status != 200) {
		bh_msg_set(msg, "HTTP %ld", status);
		return BH_ERR_PEER;
	}
	return 0;
}

int bh_rpc_call(struct bh_rpc *c, const char *method, json_t *params, json_t **ret,
		struct bh_msg *msg)
{
	json_t *req = NULL, *result = NULL;
	char *text = NULL;
	struct bh_msg m = { "" };
	int r = BH_ERR_INTERNAL;
	int64_t id = c->next_id++;

	err_reset(&c->err);
	c->attempts = 0;
	req = params ? json_pack("{s:s, s:I, s:s, s:O}", "jsonrpc", "2.0", "id", (json_int_t)id,
				 "method", method, "params", params)
		     : json_pack("{s:s, s:I, s:s, s:[]}", "jsonrpc", "2.0", "id", (json_int_t)id,
				 "method", method, "params");
	if (!req || !(text = json_dumps(req, JSON_COMPACT))) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned attempt = 0;; attempt++) {
		bool retry = false;
		c->attempts = attempt + 1;
		c->err.timed_out = false;
		m.text[0] = 0;
		r = exchange(c, text, &retry, &m);
		if (r == 0) {
			r = bh_rpc_parse_reply(&c->body, c->o.max_response, id, &result, &c->err, &m);
			/* a malformed or truncated body is worth another try */
			if (r < 0 && r != BH_ERR_RPC)
				retry = true;
		}
		if (r == 0 || !retry || attempt >= (unsigned)c->o.retries)
			break;
		snprintf(c->retry_note, sizeof(c->retry_note), "%.40s: %.250s", method, m.text);
		c->retries++;
		sleep_ms(backoff(c, attempt));
	}
	c->err.r = r;
	if (r < 0) {
		if (r == BH_ERR_RPC && c->err.code == 3)
			r = BH_ERR_REVERT;
		c->err.r = r;
		bh_msg_set(msg, "%s: %s%s", method, m.text,
			   c->attempts > 1 ? " (after retries)" : "");
		goto out;
	}
	*ret = result;
	result = NULL;
	r = 0;
out:
	json_decref(result);
	json_decref(req);
	free(text);
	return r;
}

/* ---- typed calls ---- */
static json_t *hexj(const void *p, size_t n)
{
	return bh_json_hex(p, n);
}

static json_t *qj(uint64_t x)
{
	char s[24];
	snprintf(s, sizeof(s), "0x%llx", (unsigned long long)x);
	return json_string(s);
}

static json_t *q256j(const uint8_t v[static 32])
{
	char s[BH_U256_HEX_MAX];
	bh_u256_to_hex(v, s);
	return json_string(s);
}

/* Call and parse a quantity result. */
static int call_q(struct bh_rpc *c, const char *method, json_t *params, uint64_t *ret,
		  struct bh_msg *msg)
{
	json_t *res = NULL;
	struct bh_msg m = { "" };
	uint64_t x;
	int r = bh_rpc_call(c, method, params, &res, msg);
	json_decref(params);
	if (r < 0)
		return r;
	if ((r = bh_rpc_parse_quantity(res, &x, &m)) < 0)
		bh_msg_set(msg, "%s: result: %s", method, m.text);
	else
		*ret = x;
	json_decref(res);
	return r;
}

static int call_q256(struct bh_rpc *c, const char *method, json_t *params, uint8_t ret[static 32],
		     struct bh_msg *msg)
{
	json_t *res = NULL;
	struct bh_msg m = { "" };
	int r = bh_rpc_call(c, method, params, &res, msg);
	json_decref(params);
	if (r < 0)
		return r;
	if ((r = bh_rpc_parse_quantity256(res, ret, &m)) < 0)
		bh_msg_set(msg, "%s: result: %s", method, m.text);
	json_decref(res);
	return r;
}

int bh_rpc_chain_id(struct bh_rpc *c, uint64_t *ret, struct bh_msg *msg)
{
	return call_q(c, "eth_chainId", json_array(), ret, msg);
}

int bh_rpc_block_number(struct bh_rpc *c, uint64_t *ret, struct bh_msg *msg)
{
	return call_q(c, "eth_blockNumber", json_array(), ret, msg);
}

int bh_rpc_gas_price(struct bh_rpc *c, uint8_t ret[static 32], struct bh_msg *msg)
{
	return call_q256(c, "eth_gasPrice", json_array(), ret, msg);
}

int bh_rpc_max_priority_fee(struct bh_rpc *c, uint8_t ret[static 32], struct bh_msg *msg)
{
	return call_q256(c, "eth_maxPriorityFeePerGas", json_array(), ret, msg);
}

int bh_rpc_get_transaction_count(struct bh_rpc *c, const uint8_t addr[static 20],
				 const char *tag, uint64_t *ret, struct bh_msg *msg)
{
	return call_q(c, "eth_getTransactionCount",
		      json_pack("[o,s]", hexj(addr, 20), tag ? tag : "latest"), ret, msg);
}

int bh_rpc_get_block(struct bh_rpc *c, uint64_t number, const char *tag,
		     struct bh_rpc_block *ret, struct bh_msg *msg)
{
	json_t *res = NULL, *p;
	struct bh_msg m = { "" };
	struct bh_rpc_block b;
	int r;

	p = json_pack("[o,b]", tag ? json_string(tag) : qj(number), 0);
	r = bh_rpc_call(c, "eth_getBlockByNumber", p, &res, msg);
	json_decref(p);
	if (r < 0)
		return r;
	if (json_is_null(res)) {
		bh_msg_set(msg, "eth_getBlockByNumber: no block %s", tag ? tag : "");
		r = BH_ERR_NOT_FOUND;
	} else if ((r = bh_rpc_parse_block(res, &b, &m)) < 0) {
		bh_msg_set(msg, "eth_getBlockByNumber: %s", m.text);
	} else {
		*ret = b;
	}
	json_decref(res);
	return r;
}

int bh_rpc_get_logs(struct bh_rpc *c, const struct bh_rpc_filter *f, struct bh_rpc_logs *ret,
		    struct bh_msg *msg)
{
	json_t *res = NULL, *filter = NULL, *p = NULL, *addrs, *topics;
	struct bh_msg m = { "" };
	int r = -ENOMEM;

	filter = json_pack("{s:o, s:o}", "fromBlock", qj(f->from_block), "toBlock",
			   qj(f->to_block));
	if (!filter)
		goto out;
	if (f->naddresses) {
		addrs = json_array();
		for (size_t i = 0; i < f->naddresses; i++)
			json_array_append_new(addrs, hexj(f->addresses[i], 20));
		json_object_set_new(filter, "address", addrs);
	}
	if (f->ntopic0) {
		json_t *t0 = json_array();
		for (size_t i = 0; i < f->ntopic0; i++)
			json_array_append_new(t0, hexj(f->topic0[i], 32));
		topics = json_pack("[o]", t0);
		json_object_set_new(filter, "topics", topics);
	}
	p = json_pack("[O]", filter);
	if ((r = bh_rpc_call(c, "eth_getLogs", p, &res, msg)) < 0)
		goto out;
	if ((r = bh_rpc_parse_logs(res, ret, &m)) < 0) {
		bh_msg_set(msg, "eth_getLogs: %s", m.text);
		c->err.r = r;
	}
out:
	json_decref(res);
	json_decref(p);
	json_decref(filter);
	return r;
}

static json_t *call_obj(const uint8_t *from, const uint8_t *to, const uint8_t *value,
			const uint8_t *data, size_t len)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	if (from)
		json_object_set_new(o, "from", hexj(from, 20));
	if (to)
		json_object_set_new(o, "to", hexj(to, 20));
	if (value)
		json_object_set_new(o, "value", q256j(value));
	json_object_set_new(o, "data", hexj(data, len));
	return o;
}

int bh_rpc_eth_call(struct bh_rpc *c, const uint8_t *from, const uint8_t to[static 20],
		    const uint8_t *data, size_t len, struct bh_buf *ret, struct bh_msg *msg)
{
	json_t *res = NULL, *p;
	struct bh_msg m = { "" };
	int r;

	p = json_pack("[o,s]", call_obj(from, to, NULL, data, len), "latest");
	r = bh_rpc_call(c, "eth_call", p, &res, msg);
	json_decref(p);
	if (r == BH_ERR_RPC && c->err.data_len > 0)
		r = c->err.r = BH_ERR_REVERT;
	if (r < 0)
		return r;
	if ((r = bh_rpc_parse_data(res, BH_ABI_MAX_DATA, ret, &m)) < 0)
		bh_msg_set(msg, "eth_call: result: %s", m.text);
	json_decref(res);
	return r;
}

int bh_rpc_estimate_gas(struct bh_rpc *c, const uint8_t from[static 20], const uint8_t *to,
			const uint8_t value[static 32], const uint8_t *data, size_t len,
			uint64_t *ret, struct bh_msg *msg)
{
	int r = call_q(c, "eth_estimateGas", json_pack("[o]", call_obj(from, to, value, data, len)),
		       ret, msg);
	if (r == BH_ERR_RPC && c->err.data_len > 0)
		r = c->err.r = BH_ERR_REVERT;
	return r;
}

int bh_rpc_get_code(struct bh_rpc *c, const uint8_t addr[static 20], struct bh_buf *ret,
		    struct bh_msg *msg)
{
	json_t *res = NULL, *p;
	struct bh_msg m = { "" };
	int r;

	p = json_pack("[o,s]", hexj(addr, 20), "latest");
	r = bh_rpc_call(c, "eth_getCode", p, &res, msg);
	json_decref(p);
	if (r < 0)
		return r;
	if ((r = bh_rpc_parse_data(res, BH_RPC_MAX_CODE, ret, &m)) < 0)
		bh_msg_set(msg, "eth_getCode: result: %s", m.text);
	json_decref(res);
	return r;
}

int bh_rpc_send_raw(struct bh_rpc *c, const uint8_t *raw, size_t len, uint8_t ret_hash[static 32],
		    struct bh_msg *msg)
{
	json_t *res = NULL, *p;
	struct bh_msg m = { "" };
	uint8_t h[32];
	int r;

	p = json_pack("[o]", hexj(raw, len));
	r = bh_rpc_call(c, "eth_sendRawTransaction", p, &res, msg);
	json_decref(p);
	if (r < 0)
		return r;
	if ((r = bh_rpc_parse_fixed(res, h, 32, &m)) < 0)
		bh_msg_set(msg, "eth_sendRawTransaction: result: %s", m.text);
	else
		memcpy(ret_hash, h, 32);
	json_decref(res);
	return r;
}

int bh_rpc_get_receipt(struct bh_rpc *c, const uint8_t hash[static 32],
		       struct bh_rpc_receipt *ret, struct bh_msg *msg)
{
	json_t *res = NULL, *p;
	struct bh_msg m = { "" };
	int r;

	p = json_pack("[o]", hexj(hash, 32));
	r = bh_rpc_call(c, "eth_getTransactionReceipt", p, &res, msg);
	json_decref(p);
	if (r < 0)
		return r;
	if (json_is_null(res)) {
		bh_msg_set(msg, "eth_getTransactionReceipt: not mined yet");
		r = BH_ERR_NOT_FOUND;
	} else if ((r = bh_rpc_parse_receipt(res, ret, &m)) < 0) {
		bh_msg_set(msg, "eth_getTransactionReceipt: %s", m.text);
	}
	json_decref(res);
	return r;
}

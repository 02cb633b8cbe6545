/* SPDX-License-Identifier: MIT */
/*
 * Strict parsers of JSON-RPC replies (eth/rpc.h).  Pure functions over untrusted JSON:
 * every field is type-checked, quantities must be minimal hex, fixed-size data must have
 * exactly its size, and sizes are capped before anything is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/json.h"
#include "core/strutil.h"
#include "eth/rpc.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "0x" + minimal hex digits of at most maxdigits; *ret_digits points past 0x. */
static int quantity_digits(const json_t *v, size_t maxdigits, const char **ret_digits,
			   size_t *ret_n, struct bh_msg *msg)
{
	if (!json_is_string(v)) {
		bh_msg_set(msg, "quantity must be a string, got %s", bh_json_type_name(v));
		return BH_ERR_WRONG_TYPE;
	}
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		bh_msg_set(msg, "quantity must be 0x followed by hex digits");
		return BH_ERR_FORMAT;
	}
	s += 2;
	len -= 2;
	if (len > 1 && s[0] == '0') {
		bh_msg_set(msg, "quantity has leading zeros");
		return BH_ERR_FORMAT;
	}
	for (size_t i = 0; i < len; i++)
		if (hexval(s[i]) < 0) {
			bh_msg_set(msg, "quantity has a non-hex character");
			return BH_ERR_HEX;
		}
	if (len > maxdigits) {
		bh_msg_set(msg, "quantity too large (%zu hex digits)", len);
		return BH_ERR_RANGE;
	}
	*ret_digits = s;
	*ret_n = len;
	return 0;
}

int bh_rpc_parse_quantity(const json_t *v, uint64_t *ret, struct bh_msg *msg)
{
	const char *d;
	size_t n;
	int r = quantity_digits(v, 16, &d, &n, msg);
	if (r < 0)
		return r;
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++)
		x = (x << 4) | (uint64_t)hexval(d[i]);
	*ret = x;
	return 0;
}

int bh_rpc_parse_quantity256(const json_t *v, uint8_t ret[static 32], struct bh_msg *msg)
{
	const char *d;
	size_t n;
	int r = quantity_digits(v, 64, &d, &n, msg);
	if (r < 0)
		return r;
	uint8_t out[32] = { 0 };
	for (size_t i = 0; i < n; i++) {
		size_t pos = n - 1 - i;          /* digit index from the right */
		uint8_t nib = (uint8_t)hexval(d[i]);
		out[31 - pos / 2] |= (uint8_t)(pos % 2 ? nib << 4 : nib);
	}
	memcpy(ret, out, 32);
	return 0;
}

int bh_rpc_parse_hexstr(const json_t *v, const char **ret_hex, size_t *ret_bytes, struct bh_msg *msg)
{
	if (!json_is_string(v)) {
		bh_msg_set(msg, "data must be a string, got %s", bh_json_type_name(v));
		return BH_ERR_WRONG_TYPE;
	}
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		bh_msg_set(msg, "data must start with 0x");
		return BH_ERR_FORMAT;
	}
	if ((len - 2) % 2) {
		bh_msg_set(msg, "data has an odd number of hex digits");
		return BH_ERR_LENGTH;
	}
	*ret_hex = s + 2;
	*ret_bytes = (len - 2) / 2;
	return 0;
}

int bh_rpc_parse_fixed(const json_t *v, uint8_t *ret, size_t n, struct bh_msg *msg)
{
	const char *h;
	size_t nb;
	int r = bh_rpc_parse_hexstr(v, &h, &nb, msg);
	if (r < 0)
		return r;
	if (nb != n) {
		bh_msg_set(msg, "expected %zu bytes of data, got %zu", n, nb);
		return BH_ERR_LENGTH;
	}
	uint8_t tmp[64];
	if (n > sizeof(tmp))
		return BH_ERR_INTERNAL;
	if ((r = bh_hex_decode_ct(h, 2 * n, tmp, n)) < 0) {
		bh_msg_set(msg, "data is not hex");
		return r;
	}
	memcpy(ret, tmp, n);
	return 0;
}

int bh_rpc_parse_data(const json_t *v, size_t cap, struct bh_buf *ret, struct bh_msg *msg)
{
	const char *h;
	size_t nb;
	uint8_t *p;
	int r = bh_rpc_parse_hexstr(v, &h, &nb, msg);
	if (r < 0)
		return r;
	if (nb > cap) {
		bh_msg_set(msg, "data of %zu bytes, more than %zu", nb, cap);
		return BH_ERR_LIMIT;
	}
	if (nb == 0)
		return 0;
	size_t before = bh_buf_len(ret);
	if ((r = bh_buf_reserve(ret, nb, &p)) < 0) {
		bh_msg_set(msg, "data of %zu bytes does not fit", nb);
		return r;
	}
	if ((r = bh_hex_decode_ct(h, 2 * nb, p, nb)) < 0) {
		(void)bh_buf_truncate(ret, before);
		bh_msg_set(msg, "data is not hex");
		return r;
	}
	return 0;
}

/* ---- field helpers: name the field in msg ---- */
static int field(const json_t *o, const char *key, bool required, const json_t **ret,
		 struct bh_msg *msg)
{
	const json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v)) {
		if (required) {
			bh_msg_set(msg, "missing \"%s\"", key);
			return BH_ERR_MISSING_KEY;
		}
		*ret = NULL;
		return 0;
	}
	*ret = v;
	return 0;
}

static void prefix(struct bh_msg *msg, const char *key)
{
	if (!msg)
		return;
	char tmp[sizeof(msg->text)];
	memcpy(tmp, msg->text, sizeof(tmp));
	bh_msg_set(msg, "\"%s\": %s", key, tmp);
}

static int get_q(const json_t *o, const char *key, uint64_t *ret, struct bh_msg *msg)
{
	const json_t *v;
	int r = field(o, key, true, &v, msg);
	if (r == 0 && (r = bh_rpc_parse_quantity(v, ret, msg)) < 0)
		prefix(msg, key);
	return r;
}

static int get_fixed(const json_t *o, const char *key, uint8_t *ret, size_t n,
		     struct bh_msg *msg)
{
	const json_t *v;
	int r = field(o, key, true, &v, msg);
	if (r == 0 && (r = bh_rpc_parse_fixed(v, ret, n, msg)) < 0)
		prefix(msg, key);
	return r;
}

int bh_rpc_parse_block(const json_t *v, struct bh_rpc_block *ret, struct bh_msg *msg)
{
	struct bh_rpc_block b;
	const json_t *bf;
	int r;

	memset(&b, 0, sizeof(b));
	if (!json_is_object(v)) {
		bh_msg_set(msg, "block must be an object, got %s", bh_json_type_name(v));
		return BH_ERR_WRONG_TYPE;
	}
	if ((r = get_q(v, "number", &b.number, msg)) < 0 ||
	    (r = get_fixed(v, "hash", b.hash, 32, msg)) < 0 ||
	    (r = get_fixed(v, "parentHash", b.parent_hash, 32, msg)) < 0 ||
	    (r = get_q(v, "timestamp", &b.timestamp, msg)) < 0 ||
	    (r = field(v, "baseFeePerGas", false, &bf, msg)) < 0)
		return r;
	if (bf) {
		if ((r = bh_rpc_parse_quantity256(bf, b.base_fee, msg)) < 0) {
			prefix(msg, "baseFeePerGas");
			return r;
		}
		b.has_base_fee = true;
	}
	*ret = b;
	return 0;
}

void bh_rpc_log_clear(struct bh_rpc_log *l)
{
	if (!l)
		return;
	if (l->data) {
		explicit_bzero(l->data, bh_buf_len(&l->log.data));
		free(l->data);
	}
	memset(l, 0, sizeof(*l));
}

int bh_rpc_parse_log(const json_t *v, struct bh_rpc_log *ret, struct bh_msg *msg)
{
	struct bh_rpc_log l;
	struct bh_buf data;
	const json_t *topics, *rm, *dv;
	int r;

	memset(&l, 0, sizeof(l));
	bh_buf_init(&data, BH_RPC_MAX_LOG_DATA);
	if (!json_is_object(v)) {
		bh_msg_set(msg, "log must be an object, got %s", bh_json_type_name(v));
		r = BH_ERR_WRONG_TYPE;
		goto out;
	}
	if ((r = get_fixed(v, "address", l.log.address, 20, msg)) < 0 ||
	    (r = get_q(v, "blockNumber", &l.block_number, msg)) < 0 ||
	    (r = get_fixed(v, "blockHash", l.block_hash, 32, msg)) < 0 ||
	    (r = get_fixed(v, "transactionHash", l.tx_hash, 32, msg)) < 0 ||
	    (r = get_q(v, "transactionIndex", &l.tx_index, msg)) < 0 ||
	    (r = get_q(v, "logIndex", &l.log_index, msg)) < 0 ||
	    (r = field(v, "topics", true, &topics, msg)) < 0 ||
	    (r = field(v, "data", true, &dv, msg)) < 0 ||
	    (r = field(v, "removed", false, &rm, msg)) < 0)
		goto out;
	if (rm) {
		if (!json_is_boolean(rm)) {
			bh_msg_set(msg, "\"removed\" must be a boolean");
			r = BH_ERR_WRONG_TYPE;
			goto out;
		}
		l.removed = json_is_true(rm);
	}
	if (!json_is_array(topics)) {
		bh_msg_set(msg, "\"topics\" must be an array");
		r = BH_ERR_WRONG_TYPE;
		goto out;
	}
	if (json_array_size(topics) > BH_LOG_MAX_TOPICS) {
		bh_msg_set(msg, "\"topics\": %zu entries, at most 4", json_array_size(topics));
		r = BH_ERR_LIMIT;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(topics); i++)
		if ((r = bh_rpc_parse_fixed(json_array_get(topics, i), l.log.topics[i], 32, msg)) < 0) {
			prefix(msg, "topics");
			goto out;
		}
	l.log.ntopics = json_array_size(topics);
	if ((r = bh_rpc_parse_data(dv, BH_RPC_MAX_LOG_DATA, &data, msg)) < 0) {
		prefix(msg, "data");
		goto out;
	}
	size_t n = bh_buf_len(&data);
	if (n) {
		l.data = malloc(n);
		if (!l.data) {
			r = -ENOMEM;
			goto out;
		}
		memcpy(l.data, bh_buf_ptr(&data), n);
	}
	bh_buf_view(&l.log.data, l.data ? l.data : (const void *)"", n);
	*ret = l;
	r = 0;
out:
	bh_buf_done(&data);
	return r;
}

void bh_rpc_logs_clear(struct bh_rpc_logs *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		bh_rpc_log_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int bh_rpc_parse_logs(const json_t *v, struct bh_rpc_logs *ret, struct bh_msg *msg)
{
	struct bh_rpc_logs l = { NULL, 0 };
	int r;

	if (!json_is_array(v)) {
		bh_msg_set(msg, "logs must be an array, got %s", bh_json_type_name(v));
		return BH_ERR_WRONG_TYPE;
	}
	size_t n = json_array_size(v);
	if (n > BH_RPC_MAX_LOGS) {
		bh_msg_set(msg, "%zu logs, more than %u", n, BH_RPC_MAX_LOGS);
		return BH_ERR_LIMIT;
	}
	if (n) {
		l.v = calloc(n, sizeof(*l.v));
		if (!l.v)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if ((r = bh_rpc_parse_log(json_array_get(v, i), &l.v[i], msg)) < 0) {
			if (msg) {
				char tmp[sizeof(msg->text)];
				memcpy(tmp, msg->text, sizeof(tmp));
				bh_msg_set(msg, "log %zu: %s", i, tmp);
			}
			goto out;
		}
		l.n = i + 1;
	}
	*ret = l;
	l.v = NULL;
	l.n = 0;
	r = 0;
out:
	bh_rpc_logs_clear(&l);
	return r;
}

void bh_rpc_receipt_clear(struct bh_rpc_receipt *r)
{
	if (!r)
		return;
	bh_rpc_logs_clear(&r->logs);
	memset(r, 0, sizeof(*r));
}

int bh_rpc_parse_receipt(const json_t *v, struct bh_rpc_receipt *ret, struct bh_msg *msg)
{
	struct bh_rpc_receipt rc;
	const json_t *ca, *logs;
	uint64_t status;
	int r;

	memset(&rc, 0, sizeof(rc));
	if (!json_is_object(v)) {
		bh_msg_set(msg, "receipt must be an object, got %s", bh_json_type_name(v));
		return BH_ERR_WRONG_TYPE;
	}
	if ((r = get_fixed(v, "transactionHash", rc.tx_hash, 32, msg)) < 0 ||
	    (r = get_q(v, "blockNumber", &rc.block_number, msg)) < 0 ||
	    (r = get_fixed(v, "blockHash", rc.block_hash, 32, msg)) < 0 ||
	    (r = get_q(v, "status", &status, msg)) < 0 ||
	    (r = get_q(v, "gasUsed", &rc.gas_used, msg)) < 0 ||
	    (r = field(v, "contractAddress", false, &ca, msg)) < 0 ||
	    (r = field(v, "logs", true, &logs, msg)) < 0)
		goto out;
	if (status > 1) {
		bh_msg_set(msg, "\"status\" must be 0x0 or 0x1");
		r = BH_ERR_RANGE;
		goto out;
	}
	rc.status = status == 1;
	if (ca) {
		if ((r = bh_rpc_parse_fixed(ca, rc.contract_address, 20, msg)) < 0) {
			prefix(msg, "contractAddress");
			goto out;
		}
		rc.has_contract = true;
	}
	if ((r = bh_rpc_parse_logs(logs, &rc.logs, msg)) < 0) {
		prefix(msg, "logs");
		goto out;
	}
	*ret = rc;
	memset(&rc, 0, sizeof(rc));
	r = 0;
out:
	bh_rpc_receipt_clear(&rc);
	return r;
}

int bh_rpc_parse_reply(const struct bh_buf *body, size_t cap, int64_t id, json_t **ret_result,
		       struct bh_rpc_error *ret_err, struct bh_msg *msg)
{
	json_t *j = NULL;
	const json_t *ver, *idv, *res, *err;
	int r;

	/* anvil and geth put revert strings with \u0000 in error messages: allowed, and every
	 * string below is read by its length */
	if ((r = bh_json_load_buf(body, cap, BH_JSON_OBJECT | BH_JSON_ALLOW_ESCAPED_NUL, &j, msg)) < 0)
		return r;
	ver = json_object_get(j, "jsonrpc");
	idv = json_object_get(j, "id");
	res = json_object_get(j, "result");
	err = json_object_get(j, "error");
	if (!json_is_string(ver) || json_string_length(ver) != 3 ||
	    memcmp(json_string_value(ver), "2.0", 3) != 0) {
		bh_msg_set(msg, "reply is not JSON-RPC 2.0");
		r = BH_ERR_PEER;
		goto out;
	}
	/* an error about the request itself may carry id null */
	if (!(json_is_integer(idv) && json_integer_value(idv) == id) &&
	    !(err && json_is_null(idv))) {
		bh_msg_set(msg, "reply id does not match the request");
		r = BH_ERR_PEER;
		goto out;
	}
	if (!!res == !!err) {
		bh_msg_set(msg, "reply must have exactly one of \"result\" and \"error\"");
		r = BH_ERR_PEER;
		goto out;
	}
	if (err) {
		const json_t *code = json_object_get(err, "code");
		const json_t *m = json_object_get(err, "message");
		const json_t *data = json_object_get(err, "data");
		if (!json_is_object(err) || !json_is_integer(code) || !json_is_string(m)) {
			bh_msg_set(msg, "malformed error object");
			r = BH_ERR_PEER;
			goto out;
		}
		if (ret_err) {
			struct bh_buf db;
			memset(ret_err, 0, sizeof(*ret_err));
			ret_err->has_code = true;
			ret_err->code = json_integer_value(code);
			bh_str_sanitize(json_string_value(m), json_string_length(m),
					ret_err->message, sizeof(ret_err->message));
			bh_buf_init(&db, BH_RPC_MAX_LOG_DATA);
			if (data && json_is_string(data) &&
			    bh_rpc_parse_data(data, BH_RPC_MAX_LOG_DATA, &db, NULL) == 0 &&
			    bh_buf_len(&db) > 0) {
				ret_err->data = malloc(bh_buf_len(&db));
				if (ret_err->data) {
					memcpy(ret_err->data, bh_buf_ptr(&db), bh_buf_len(&db));
					ret_err->data_len = bh_buf_len(&db);
				}
			}
			bh_buf_done(&db);
		}
		{
			char safe[256];
			bh_str_sanitize(json_string_value(m), json_string_length(m), safe, sizeof(safe));
			bh_msg_set(msg, "provider error %lld: %s", (long long)json_integer_value(code),
				   safe);
		}
		r = BH_ERR_RPC;
		goto out;
	}
	*ret_result = json_incref((json_t *)res);
	r = 0;
out:
	json_decref(j);
	return r;
}

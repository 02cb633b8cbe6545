/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the JSON-RPC reply parsers (eth/rpc.h) — envelope rules, strict
 * quantities, fixed and variable data, blocks, logs, receipts — and the client's
 * argument checks (no network: the transport is covered by the integration tests).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "eth/rpc.h"

static int reply(const char *s, json_t **ret, struct bh_rpc_error *e)
{
	struct bh_buf b;
	struct bh_msg m = { "" };
	bh_buf_view(&b, s, strlen(s));
	int r = bh_rpc_parse_reply(&b, 4096, 7, ret, e, &m);
	if (r < 0)
		assert_true(m.text[0]);
	return r;
}

static void test_envelope(void **state)
{
	(void)state;
	json_t *res = NULL;
	struct bh_rpc_error e;
	memset(&e, 0, sizeof(e));
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x1\"}", &res, &e), 0);
	assert_string_equal(json_string_value(res), "0x1");
	json_decref(res);
	res = NULL;
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":null}", &res, &e), 0);
	assert_true(json_is_null(res));
	json_decref(res);
	res = NULL;
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":\"0x1\"}", &res, &e), BH_ERR_PEER);
	assert_int_equal(reply("{\"jsonrpc\":\"1.0\",\"id\":7,\"result\":\"0x1\"}", &res, &e), BH_ERR_PEER);
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":7}", &res, &e), BH_ERR_PEER);
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1,\"error\":{}}", &res, &e),
			 BH_ERR_PEER);
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1,\"result\":2}", &res, &e),
			 BH_ERR_DUPLICATE);
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1} x", &res, &e), BH_ERR_TRAILING);
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x", &res, &e), BH_ERR_INCOMPLETE);
	assert_null(res);
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32005,"
			       "\"message\":\"query returned more than 10000 results\"}}", &res, &e),
			 BH_ERR_RPC);
	assert_true(e.has_code);
	assert_int_equal(e.code, -32005);
	assert_string_equal(e.message, "query returned more than 10000 results");
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":3,\"message\":\"x\","
			       "\"data\":\"0xfb8f41b2\"}}", &res, &e), BH_ERR_RPC);
	assert_int_equal(e.data_len, 4);
	assert_int_equal(e.data[0], 0xfb);
	free(e.data);
	/* anvil puts revert strings with \u0000 in messages: accepted, shown sanitized */
	memset(&e, 0, sizeof(e));
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":3,"
			       "\"message\":\"reverted: \\u0000x\"}}", &res, &e), BH_ERR_RPC);
	assert_int_equal(strlen(e.message) > strlen("reverted: "), 1);
	/* ... but never in the version */
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\\u0000\",\"id\":7,\"result\":1}", &res, &e),
			 BH_ERR_PEER);
	/* an error about the request may come with id null */
	memset(&e, 0, sizeof(e));
	assert_int_equal(reply("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
			       "\"message\":\"parse\"}}", &res, &e), BH_ERR_RPC);
}

static int q(const char *s, uint64_t *ret)
{
	json_t *j = json_string(s);
	int r = bh_rpc_parse_quantity(j, ret, NULL);
	json_decref(j);
	return r;
}

static void test_quantity(void **state)
{
	(void)state;
	uint64_t x = 99;
	assert_int_equal(q("0x0", &x), 0);
	assert_int_equal(x, 0);
	assert_int_equal(q("0x1a", &x), 0);
	assert_int_equal(x, 26);
	assert_int_equal(q("0xffffffffffffffff", &x), 0);
	assert_true(x == UINT64_MAX);
	x = 5;
	assert_int_equal(q("0x", &x), BH_ERR_FORMAT);
	assert_int_equal(q("0x01", &x), BH_ERR_FORMAT);
	assert_int_equal(q("1", &x), BH_ERR_FORMAT);
	assert_int_equal(q("0x1g", &x), BH_ERR_HEX);
	assert_int_equal(q("0x10000000000000000", &x), BH_ERR_RANGE);
	assert_int_equal(x, 5);
	json_t *j = json_integer(1);
	assert_int_equal(bh_rpc_parse_quantity(j, &x, NULL), BH_ERR_WRONG_TYPE);
	json_decref(j);
	uint8_t w[32];
	j = json_string("0x1234567890abcdef1234567890abcdef1");
	assert_int_equal(bh_rpc_parse_quantity256(j, w, NULL), 0);
	assert_int_equal(w[31], 0xf1);
	assert_int_equal(w[15], 0x01);
	assert_int_equal(w[16], 0x23);
	json_decref(j);
}

static void test_data(void **state)
{
	(void)state;
	struct bh_buf b;
	uint8_t f[4];
	json_t *j = json_string("0xdeadbeef");
	bh_buf_init(&b, 16);
	assert_int_equal(bh_rpc_parse_data(j, 16, &b, NULL), 0);
	assert_int_equal(bh_buf_len(&b), 4);
	assert_int_equal(bh_rpc_parse_fixed(j, f, 4, NULL), 0);
	assert_int_equal(f[3], 0xef);
	assert_int_equal(bh_rpc_parse_fixed(j, f, 3, NULL), BH_ERR_LENGTH);
	assert_int_equal(bh_rpc_parse_data(j, 3, &b, NULL), BH_ERR_LIMIT);
	json_decref(j);
	j = json_string("0xabc");
	assert_int_equal(bh_rpc_parse_data(j, 16, &b, NULL), BH_ERR_LENGTH);
	json_decref(j);
	j = json_string("0x");
	assert_int_equal(bh_rpc_parse_data(j, 16, &b, NULL), 0);
	assert_int_equal(bh_buf_len(&b), 4);
	json_decref(j);
	bh_buf_done(&b);
}

#define H32 "\"0x1111111111111111111111111111111111111111111111111111111111111111\""
#define H32B "\"0x2222222222222222222222222222222222222222222222222222222222222222\""
#define ADDR "\"0x5fbdb2315678afecb367f032d93f642f64180aa3\""

static json_t *load(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, 0, &e);
	assert_non_null(j);
	return j;
}

static void test_block_logs_receipt(void **state)
{
	(void)state;
	struct bh_msg m = { "" };
	struct bh_rpc_block blk;
	json_t *j = load("{\"number\":\"0x10\",\"hash\":" H32 ",\"parentHash\":" H32B
			 ",\"timestamp\":\"0x5\",\"baseFeePerGas\":\"0x3b9aca00\"}");
	assert_int_equal(bh_rpc_parse_block(j, &blk, &m), 0);
	assert_int_equal(blk.number, 16);
	assert_int_equal(blk.parent_hash[0], 0x22);
	assert_true(blk.has_base_fee);
	json_decref(j);
	j = load("{\"number\":\"0x10\",\"hash\":\"0x11\",\"parentHash\":" H32B ",\"timestamp\":\"0x5\"}");
	assert_int_equal(bh_rpc_parse_block(j, &blk, &m), BH_ERR_LENGTH);
	assert_non_null(strstr(m.text, "\"hash\""));
	json_decref(j);

	const char *log = "{\"address\":" ADDR ",\"topics\":[" H32 "],\"data\":\"0x00ff\","
			  "\"blockNumber\":\"0x2\",\"blockHash\":" H32B ",\"transactionHash\":" H32
			  ",\"transactionIndex\":\"0x0\",\"logIndex\":\"0x3\",\"removed\":false}";
	char arr[2048];
	snprintf(arr, sizeof(arr), "[%s,%s]", log, log);
	struct bh_rpc_logs logs = { NULL, 0 };
	j = load(arr);
	assert_int_equal(bh_rpc_parse_logs(j, &logs, &m), 0);
	assert_int_equal(logs.n, 2);
	assert_int_equal(logs.v[1].log_index, 3);
	assert_int_equal(logs.v[1].log.ntopics, 1);
	assert_int_equal(bh_buf_len(&logs.v[1].log.data), 2);
	assert_int_equal(bh_buf_ptr(&logs.v[1].log.data)[1], 0xff);
	bh_rpc_logs_clear(&logs);
	json_decref(j);
	/* five topics, a missing field */
	j = load("[{\"address\":" ADDR ",\"topics\":[" H32 "," H32 "," H32 "," H32 "," H32 "],\"data\":\"0x\","
		 "\"blockNumber\":\"0x2\",\"blockHash\":" H32B ",\"transactionHash\":" H32
		 ",\"transactionIndex\":\"0x0\",\"logIndex\":\"0x3\"}]");
	assert_int_equal(bh_rpc_parse_logs(j, &logs, &m), BH_ERR_LIMIT);
	assert_null(logs.v);
	json_decref(j);
	j = load("[{\"address\":" ADDR ",\"topics\":[],\"data\":\"0x\"}]");
	assert_int_equal(bh_rpc_parse_logs(j, &logs, &m), BH_ERR_MISSING_KEY);
	assert_non_null(strstr(m.text, "log 0"));
	json_decref(j);

	char rc[4096];
	snprintf(rc, sizeof(rc), "{\"transactionHash\":" H32 ",\"blockNumber\":\"0x2\",\"blockHash\":"
		 H32B ",\"status\":\"0x1\",\"gasUsed\":\"0x5208\",\"contractAddress\":null,"
		 "\"logs\":[%s]}", log);
	struct bh_rpc_receipt r;
	j = load(rc);
	assert_int_equal(bh_rpc_parse_receipt(j, &r, &m), 0);
	assert_true(r.status);
	assert_false(r.has_contract);
	assert_int_equal(r.gas_used, 21000);
	assert_int_equal(r.logs.n, 1);
	bh_rpc_receipt_clear(&r);
	json_decref(j);
}

static void test_client_args(void **state)
{
	(void)state;
	struct bh_rpc *c = NULL;
	struct bh_msg m = { "" };
	assert_int_equal(bh_rpc_new("ftp://x", NULL, &c, &m), BH_ERR_CONFIG);
	assert_null(c);
	assert_int_equal(bh_rpc_new("http://127.0.0.1:1", NULL, &c, &m), 0);
	bh_rpc_free(c);
	bh_rpc_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_quantity),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_block_logs_receipt),
		cmocka_unit_test(test_client_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the proof code (eth/proof.h, header.h, receipt.h, trie.h).
 * Expected values come from ethers (tests/vectors/proof.json, tests/js/vectors-proof.js;
 * tests/fixtures/proof/expected.json, tests/js/gen-proof-fixtures.js) and from mainnet
 * blocks (tests/fixtures/proof/), never from this code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "core/err.h"
#include "core/hex.h"
#include "eth/header.h"
#include "eth/keccak.h"
#include "eth/proof.h"
#include "eth/receipt.h"
#include "eth/trie.h"

#define VECTORS "tests/vectors/proof.json"
#define CANCUN "tests/fixtures/proof/mainnet-21925176-cancun.json"
#define PRAGUE "tests/fixtures/proof/mainnet-26050794-prague.json"

static json_t *load(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j)
		fail_msg("%s: %s (run from the top of the tree)", path, e.text);
	return j;
}

static void hex32(const char *s, uint8_t out[32])
{
	assert_int_equal(bh_hex_decode_exact(s, out, 32), 0);
}

static void test_trie_vectors(void **state)
{
	(void)state;
	json_t *v = load(VECTORS), *t;
	size_t i;

	json_array_foreach(json_object_get(v, "trie"), i, t) {
		const json_t *vals = json_object_get(t, "values");
		size_t n = json_array_size(vals);
		struct bh_trie_val *tv = calloc(n + 1, sizeof(*tv));
		uint8_t *store = calloc(n + 1, 64), root[32], want[32];
		for (size_t k = 0; k < n; k++) {
			const char *h = json_string_value(json_array_get(vals, k));
			size_t len = (strlen(h) - 2) / 2;
			assert_true(len <= 64);
			assert_int_equal(bh_hex_decode_ct(h + 2, 2 * len, store + 64 * k, len), 0);
			tv[k].p = store + 64 * k;
			tv[k].len = len;
		}
		hex32(json_string_value(json_object_get(t, "root")), want);
		assert_int_equal(bh_trie_root_list(tv, n, root, NULL), 0);
		if (memcmp(root, want, 32))
			fail_msg("trie of %zu values: root differs from ethers'", n);
		free(tv);
		free(store);
	}
	json_decref(v);
}

static void test_trie_edges(void **state)
{
	(void)state;
	uint8_t root[32], e[32];
	struct bh_trie_val v = { (const uint8_t *)"", 0 };
	struct bh_msg m = { "" };

	bh_keccak256("\x80", 1, e);
	assert_memory_equal(bh_trie_empty_root, e, 32);
	assert_int_equal(bh_trie_root_list(NULL, 0, root, NULL), 0);
	assert_memory_equal(root, e, 32);
	memset(root, 0xaa, 32);
	assert_int_equal(bh_trie_root_list(&v, 1, root, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "value 0 is empty"));
	assert_int_equal(root[0], 0xaa);   /* ret_ untouched on failure */
	assert_int_equal(bh_trie_root_list(&v, BH_TRIE_MAX_ITEMS + 1, root, &m), BH_ERR_LIMIT);
}

static void test_receipt_vectors(void **state)
{
	(void)state;
	json_t *v = load(VECTORS), *x, *arr = json_array();
	uint8_t want_root[32], root[32];
	size_t i;

	json_array_foreach(json_object_get(v, "receipts"), i, x) {
		struct bh_buf b;
		struct bh_msg m = { "" };
		uint8_t type = 0xff;
		size_t nlogs = 99;
		const json_t *r = json_object_get(x, "receipt");
		bh_buf_init(&b, 1 << 20);
		if (bh_receipt_encode_json(r, &b, &type, &nlogs, &m) < 0)
			fail_msg("receipt %zu: %s", i, m.text);
		char *h = bh_hex_encode_alloc(bh_buf_ptr(&b), bh_buf_len(&b), true);
		assert_string_equal(h, json_string_value(json_object_get(x, "encoding")));
		assert_int_equal(nlogs, json_array_size(json_object_get(r, "logs")));
		free(h);
		bh_buf_done(&b);
		json_array_append(arr, (json_t *)r);
	}
	hex32(json_string_value(json_object_get(v, "receiptsRoot")), want_root);
	assert_int_equal(bh_receipts_root(arr, root, NULL), 0);
	assert_memory_equal(root, want_root, 32);
	json_decref(arr);
	json_decref(v);
}

/* One receipt field changed: the error and what the message names. */
struct mut {
	const char *key;       /* field of the receipt, or "log.<field>" of its first log */
	const char *json;      /* new value (JSON), NULL = remove the key */
	int r;
	const char *text;
};

static const struct mut receipt_muts[] = {
	{ "type", "\"0x5\"", BH_ERR_UNSUPPORTED, "transaction type 0x5 is not supported" },
	{ "type", "\"0x7e\"", BH_ERR_UNSUPPORTED, "not supported" },
	{ "type", "2", BH_ERR_WRONG_TYPE, "\"type\"" },
	{ "type", "\"0x02\"", BH_ERR_FORMAT, "leading zeros" },
	{ "status", NULL, BH_ERR_MISSING_KEY, "missing \"status\"" },
	{ "status", "\"0x2\"", BH_ERR_RANGE, "0x0 or 0x1" },
	{ "root", "\"0x" "1111111111111111111111111111111111111111111111111111111111111111\"",
	  BH_ERR_FORMAT, "both \"root\" and \"status\"" },
	{ "cumulativeGasUsed", NULL, BH_ERR_MISSING_KEY, "cumulativeGasUsed" },
	{ "cumulativeGasUsed", "\"0x10000000000000000\"", BH_ERR_RANGE, "too large" },
	{ "logsBloom", "\"0x00\"", BH_ERR_LENGTH, "expected 256 bytes" },
	{ "logs", "{}", BH_ERR_WRONG_TYPE, "\"logs\" must be an array" },
	{ "logs", "[1]", BH_ERR_WRONG_TYPE, "\"logs\" 0: log must be an object" },
	{ "log.address", "\"0x00\"", BH_ERR_LENGTH, "\"address\": expected 20 bytes" },
	{ "log.address", NULL, BH_ERR_MISSING_KEY, "missing \"address\"" },
	{ "log.topics", "\"0x\"", BH_ERR_WRONG_TYPE, "\"topics\" must be an array" },
	{ "log.topics", "[\"0x00\"]", BH_ERR_LENGTH, "expected 32 bytes" },
	{ "log.topics", "[\"0x" "0000000000000000000000000000000000000000000000000000000000000000\","
	  "\"0x" "0000000000000000000000000000000000000000000000000000000000000000\","
	  "\"0x" "0000000000000000000000000000000000000000000000000000000000000000\","
	  "\"0x" "0000000000000000000000000000000000000000000000000000000000000000\","
	  "\"0x" "0000000000000000000000000000000000000000000000000000000000000000\"]",
	  BH_ERR_LIMIT, "at most 4" },
	{ "log.data", "\"0x0\"", BH_ERR_LENGTH, "odd number" },
	{ "log.data", "\"0xzz\"", BH_ERR_HEX, "\"data\": data is not hex" },
	{ "log.data", "\"ab\"", BH_ERR_FORMAT, "start with 0x" },
	{ "log.data", "\"0x1234\"", BH_ERR_MISMATCH, "" },   /* data is not in the bloom: root */
	{ "log.topics", "[]", BH_ERR_MISMATCH, "\"logsBloom\" does not match" },
};

static void test_receipt_malformed(void **state)
{
	(void)state;
	json_t *v = load(VECTORS);
	/* receipt 3: type 2 with two logs */
	const json_t *base = json_object_get(json_array_get(json_object_get(v, "receipts"), 3), "receipt");

	for (size_t i = 0; i < sizeof(receipt_muts) / sizeof(receipt_muts[0]); i++) {
		const struct mut *mu = &receipt_muts[i];
		json_t *r = json_deep_copy(base), *o = r, *nv = NULL, *arr = json_array();
		const char *key = mu->key;
		json_object_set_new(r, "transactionIndex", json_string("0x0"));
		struct bh_msg m = { "" };
		uint8_t root[32];
		if (!strncmp(key, "log.", 4)) {
			o = json_array_get(json_object_get(r, "logs"), 0);
			key += 4;
		}
		if (mu->json) {
			json_error_t e;
			nv = json_loads(mu->json, JSON_DECODE_ANY, &e);
			assert_non_null(nv);
			json_object_set_new(o, key, nv);
		} else {
			json_object_del(o, key);
		}
		json_array_append_new(arr, r);
		int rc = bh_receipts_root(arr, root, &m);
		if (rc == 0 && mu->r == BH_ERR_MISMATCH)
			rc = BH_ERR_MISMATCH;  /* well-formed but a different receipt: the root differs */
		if (rc != mu->r || !strstr(m.text, mu->text))
			fail_msg("mutation %zu (%s = %s): got %d \"%s\"", i, mu->key,
				 mu->json ? mu->json : "(removed)", rc, m.text);
		if (mu->r != BH_ERR_MISMATCH || mu->text[0])
			assert_non_null(strstr(m.text, "receipt 0: "));
		json_decref(arr);
	}
	json_decref(v);
}

static void test_transactions(void **state)
{
	(void)state;
	json_t *v = load(VECTORS), *x, *txs = json_array(), *c;
	uint8_t want[32], root[32];
	struct bh_msg m = { "" };
	size_t i;

	json_array_foreach(json_object_get(v, "transactions"), i, x)
		json_array_append(txs, json_object_get(x, "tx"));
	hex32(json_string_value(json_object_get(v, "transactionsRoot")), want);
	if (bh_transactions_root(txs, root, &m) < 0)
		fail_msg("%s", m.text);
	assert_memory_equal(root, want, 32);

	/* one field of the 7702 transaction (index 5) changed: its hash no longer matches */
	c = json_deep_copy(txs);
	json_object_set_new(json_array_get(c, 5), "nonce", json_string("0x6"));
	assert_int_equal(bh_transactions_root(c, root, &m), BH_ERR_MISMATCH);
	assert_string_equal(m.text, "transaction 5: its fields hash to another transaction than its \"hash\"");
	json_decref(c);
	/* an authorization's signature */
	c = json_deep_copy(txs);
	json_object_set_new(json_array_get(json_object_get(json_array_get(c, 5), "authorizationList"), 0),
			    "yParity", json_string("0x2"));
	assert_int_equal(bh_transactions_root(c, root, &m), BH_ERR_MISMATCH);
	json_decref(c);
	/* a blob hash */
	c = json_deep_copy(txs);
	json_array_set_new(json_object_get(json_array_get(c, 4), "blobVersionedHashes"), 0,
			   json_string("0x00"));
	assert_int_equal(bh_transactions_root(c, root, &m), BH_ERR_LENGTH);
	assert_non_null(strstr(m.text, "transaction 4: \"blobVersionedHashes\": expected 32 bytes"));
	json_decref(c);
	/* a deposit transaction (an L2's 0x7e) */
	c = json_deep_copy(txs);
	json_object_set_new(json_array_get(c, 0), "type", json_string("0x7e"));
	assert_int_equal(bh_transactions_root(c, root, &m), BH_ERR_UNSUPPORTED);
	json_decref(c);
	/* no input, hashes only, out of order */
	c = json_deep_copy(txs);
	json_object_del(json_array_get(c, 2), "input");
	assert_int_equal(bh_transactions_root(c, root, &m), BH_ERR_MISSING_KEY);
	assert_string_equal(m.text, "transaction 2: missing \"input\"");
	json_decref(c);
	c = json_pack("[s]", "0x00");
	assert_int_equal(bh_transactions_root(c, root, &m), BH_ERR_WRONG_TYPE);
	json_decref(c);
	c = json_deep_copy(txs);
	json_array_remove(c, 0);
	assert_int_equal(bh_transactions_root(c, root, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "must be in block order"));
	json_decref(c);
	json_decref(txs);
	json_decref(v);
}

static void test_header_fixtures(void **state)
{
	(void)state;
	json_t *top = load("tests/fixtures/proof/expected.json"), *e;
	json_t *exp = json_object_get(top, "fixtures");
	const char *f;
	json_object_foreach(exp, f, e) {
		char path[256];
		uint8_t h[32], want[32];
		struct bh_msg m = { "" };
		snprintf(path, sizeof(path), "tests/fixtures/proof/%s", f);
		json_t *x = load(path);
		hex32(json_string_value(json_object_get(e, "hash")), want);
		if (bh_block_header_hash(json_object_get(x, "block"), h, &m) < 0)
			fail_msg("%s: %s", f, m.text);
		if (memcmp(h, want, 32))
			fail_msg("%s: hash differs from ethers'", f);
		json_decref(x);
	}
	json_decref(top);
}

static void test_header_malformed(void **state)
{
	(void)state;
	json_t *x = load(PRAGUE), *b = json_object_get(x, "block"), *c;
	uint8_t h[32];
	struct bh_msg m = { "" };

	c = json_deep_copy(b);
	json_object_del(c, "parentBeaconBlockRoot");
	assert_int_equal(bh_block_header_hash(c, h, &m), BH_ERR_FORMAT);
	assert_string_equal(m.text, "block: \"requestsHash\" is present but \"parentBeaconBlockRoot\" "
			    "(an earlier fork's field) is not");
	json_decref(c);

	c = json_deep_copy(b);
	json_object_del(c, "baseFeePerGas");
	assert_int_equal(bh_block_header_hash(c, h, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "\"withdrawalsRoot\" is present but \"baseFeePerGas\""));
	json_decref(c);

	c = json_deep_copy(b);
	json_object_del(c, "stateRoot");
	assert_int_equal(bh_block_header_hash(c, h, &m), BH_ERR_MISSING_KEY);
	assert_string_equal(m.text, "block: missing \"stateRoot\"");
	json_decref(c);

	c = json_deep_copy(b);
	json_object_set_new(c, "miner", json_string("0x00"));
	assert_int_equal(bh_block_header_hash(c, h, &m), BH_ERR_LENGTH);
	assert_string_equal(m.text, "block: \"miner\": expected 20 bytes of data, got 1");
	json_decref(c);

	c = json_deep_copy(b);
	json_object_set_new(c, "number", json_string("0x01"));
	assert_int_equal(bh_block_header_hash(c, h, &m), BH_ERR_FORMAT);
	assert_string_equal(m.text, "block: \"number\": quantity has leading zeros");
	json_decref(c);

	c = json_deep_copy(b);
	{
		char *big = malloc(2 + 2 * (BH_HEADER_MAX_EXTRA + 1) + 1);
		memcpy(big, "0x", 2);
		memset(big + 2, 'a', 2 * (BH_HEADER_MAX_EXTRA + 1));
		big[2 + 2 * (BH_HEADER_MAX_EXTRA + 1)] = 0;
		json_object_set_new(c, "extraData", json_string(big));
		free(big);
	}
	assert_int_equal(bh_block_header_hash(c, h, &m), BH_ERR_LIMIT);
	assert_non_null(strstr(m.text, "\"extraData\": 4097 bytes, more than 4096"));
	json_decref(c);

	assert_int_equal(bh_block_header_hash(json_array_get(b, 0), h, &m), BH_ERR_WRONG_TYPE);
	assert_string_equal(m.text, "block must be an object, got nothing");
	json_decref(x);
}

/* A log of the Cancun fixture as eth_getLogs would give it. */
static void fixture_log(const json_t *lj, struct bh_rpc_log *ret)
{
	struct bh_msg m = { "" };
	if (bh_rpc_parse_log(lj, ret, &m) < 0)
		fail_msg("fixture log: %s", m.text);
}

static void test_proof_cancun(void **state)
{
	(void)state;
	json_t *x = load(CANCUN), *b = json_object_get(x, "block"), *rs = json_object_get(x, "receipts");
	uint8_t hash[32], bad[32];
	struct bh_rpc_log log;
	struct bh_msg m = { "" };
	uint64_t idx = 12345;

	hex32(json_string_value(json_object_get(b, "hash")), hash);
	/* the last log of the first receipt from 100 on that has logs */
	size_t ti = 100;
	while (ti < json_array_size(rs) &&
	       !json_array_size(json_object_get(json_array_get(rs, ti), "logs")))
		ti++;
	const json_t *r100 = json_array_get(rs, ti), *logs = json_object_get(r100, "logs");
	assert_true(json_array_size(logs) > 0);
	fixture_log(json_array_get(logs, json_array_size(logs) - 1), &log);
	if (bh_proof_check_log(b, rs, hash, &log, &m) < 0)
		fail_msg("%s", m.text);
	/* the same in two steps */
	assert_int_equal(bh_proof_check_block(b, rs, hash, &m), 0);
	assert_int_equal(bh_proof_find_log(b, rs, hash, &log, &m), 0);

	/* one byte of data */
	if (bh_buf_len(&log.log.data)) {
		log.data[0] ^= 1;
		assert_int_equal(bh_proof_check_log(b, rs, hash, &log, &m), BH_ERR_MISMATCH);
		assert_non_null(strstr(m.text, "the proven log has different data"));
		log.data[0] ^= 1;
	}
	/* a different agreed hash */
	memcpy(bad, hash, 32);
	bad[31] ^= 1;
	memcpy(log.block_hash, bad, 32);
	assert_int_equal(bh_proof_check_log(b, rs, bad, &log, &m), BH_ERR_MISMATCH);
	assert_non_null(strstr(m.text, "its header hashes to 0x92dabfa3"));
	memcpy(log.block_hash, hash, 32);
	/* the log names another block hash than the agreed one */
	assert_int_equal(bh_proof_check_log(b, rs, bad, &log, &m), BH_ERR_MISMATCH);
	assert_string_equal(m.text, "the log names a block hash other than the agreed one");
	/* removed */
	log.removed = true;
	assert_int_equal(bh_proof_check_log(b, rs, hash, &log, &m), BH_ERR_STATE);
	log.removed = false;
	/* another transaction index */
	log.tx_index = ti - 1;
	assert_int_equal(bh_proof_check_log(b, rs, hash, &log, &m), BH_ERR_NOT_FOUND);
	assert_non_null(strstr(m.text, "is not the log's transaction"));
	log.tx_index = 5000;
	assert_int_equal(bh_proof_check_log(b, rs, hash, &log, &m), BH_ERR_NOT_FOUND);
	assert_non_null(strstr(m.text, "block 21925176 has 202 transactions"));
	log.tx_index = ti;
	log.block_number++;
	assert_int_equal(bh_proof_check_log(b, rs, hash, &log, &m), BH_ERR_MISMATCH);
	log.block_number--;

	/* the transaction proof: success, and a failed one */
	uint8_t th[32];
	hex32(json_string_value(json_object_get(r100, "transactionHash")), th);
	assert_int_equal(bh_proof_check_tx(b, rs, hash, th, &idx, &m), 0);
	assert_int_equal(idx, ti);
	size_t i;
	json_t *r;
	json_array_foreach(rs, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "status")), "0x0"))
			continue;
		hex32(json_string_value(json_object_get(r, "transactionHash")), th);
		idx = 777;
		assert_int_equal(bh_proof_check_tx(b, rs, hash, th, &idx, &m), BH_ERR_STATE);
		assert_non_null(strstr(m.text, "did not succeed"));
		assert_int_equal(idx, 777);
		break;
	}
	memset(th, 0x42, 32);
	assert_int_equal(bh_proof_check_tx(b, rs, hash, th, &idx, &m), BH_ERR_NOT_FOUND);

	/* a receipt missing from the per-transaction fallback */
	json_t *short_rs = json_deep_copy(rs);
	json_array_remove(short_rs, 201);
	assert_int_equal(bh_proof_check_log(b, short_rs, hash, &log, &m), BH_ERR_MISMATCH);
	assert_non_null(strstr(m.text, "the receipts' trie root is"));
	json_decref(short_rs);

	bh_rpc_log_clear(&log);
	json_decref(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trie_vectors),
		cmocka_unit_test(test_trie_edges),
		cmocka_unit_test(test_receipt_vectors),
		cmocka_unit_test(test_receipt_malformed),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_header_fixtures),
		cmocka_unit_test(test_header_malformed),
		cmocka_unit_test(test_proof_cancun),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

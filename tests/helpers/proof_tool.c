/* SPDX-License-Identifier: MIT */
/*
 * Test driver for the proof code (eth/proof.h, header.h, receipt.h, trie.h), used by
 * tests/integration/test_eth_proof_*.sh.  JSON on stdin, one JSON document on stdout:
 *
 *   proof_tool blocks < [{"block":{..},"receipts":[..]}, ...]
 *        -> [{"hash":"0x..(ours)","receiptsRoot":"0x..(ours)"} or {"error":"..",..}, ...]
 *        ("receipts" may be absent: no receiptsRoot then)
 *   proof_tool check-log < [{"block":{..},"receipts":[..],"expect":"0x..","log":{..rpc log..}}]
 *        -> [{"ok":true} or {"error":"..","code":".."}]   (bh_proof_check_log)
 *        ("logs":[..] instead of "log": an array of such answers, one per log)
 *   proof_tool check-tx < [{"block":..,"receipts":..,"expect":"0x..","tx":"0x.."}]
 *        -> [{"ok":true,"index":N} or {"error":..}]        (bh_proof_check_tx)
 *   proof_tool txroot < [{"transactions":[..full objects..]}, ...]
 *        -> [{"transactionsRoot":"0x.."} or {"error":..}]   (bh_transactions_root)
 *   proof_tool trie < [["0x..value0", "0x..value1", ...], ...]
 *        -> ["0x..root", ...]                             (bh_trie_root_list)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hex.h"
#include "core/json.h"
#include "eth/proof.h"
#include "eth/rpc.h"
#include "eth/trie.h"

static json_t *errj(int r, const struct bh_msg *m)
{
	return json_pack("{s:s, s:s}", "error", m->text[0] ? m->text : bh_strerror(r), "code",
			 bh_strerror(r));
}

static json_t *hexj(const uint8_t *p, size_t n)
{
	char *s = bh_hex_encode_alloc(p, n, true);
	json_t *j = json_string(s ? s : "");
	free(s);
	return j;
}

static json_t *one_block(const json_t *it)
{
	struct bh_msg m = { "" };
	uint8_t h[32], root[32];
	const json_t *rc = json_object_get(it, "receipts");
	int r;

	if ((r = bh_block_header_hash(json_object_get(it, "block"), h, &m)) < 0)
		return errj(r, &m);
	if (rc && (r = bh_receipts_root(rc, root, &m)) < 0)
		return errj(r, &m);
	json_t *o = json_pack("{s:o}", "hash", hexj(h, 32));
	if (rc)
		json_object_set_new(o, "receiptsRoot", hexj(root, 32));
	return o;
}

static json_t *one_check(const json_t *it, bool is_tx)
{
	struct bh_msg m = { "" };
	struct bh_rpc_log log;
	uint8_t expect[32], tx[32];
	uint64_t idx = 0;
	int r;

	memset(&log, 0, sizeof(log));
	if ((r = bh_rpc_parse_fixed(json_object_get(it, "expect"), expect, 32, &m)) < 0)
		return errj(r, &m);
	if (is_tx) {
		if ((r = bh_rpc_parse_fixed(json_object_get(it, "tx"), tx, 32, &m)) < 0)
			return errj(r, &m);
		r = bh_proof_check_tx(json_object_get(it, "block"), json_object_get(it, "receipts"),
				      expect, tx, &idx, &m);
		return r < 0 ? errj(r, &m) : json_pack("{s:b, s:I}", "ok", 1, "index", (json_int_t)idx);
	}
	if (json_object_get(it, "logs")) {
		/* every log of one block against the same block and receipts */
		const json_t *logs = json_object_get(it, "logs");
		json_t *res = json_array();
		for (size_t i = 0; i < json_array_size(logs); i++) {
			m.text[0] = 0;
			if ((r = bh_rpc_parse_log(json_array_get(logs, i), &log, &m)) == 0) {
				r = bh_proof_check_log(json_object_get(it, "block"),
						       json_object_get(it, "receipts"), expect, &log, &m);
				bh_rpc_log_clear(&log);
			}
			json_array_append_new(res, r < 0 ? errj(r, &m) : json_pack("{s:b}", "ok", 1));
		}
		return res;
	}
	if ((r = bh_rpc_parse_log(json_object_get(it, "log"), &log, &m)) < 0)
		return errj(r, &m);
	r = bh_proof_check_log(json_object_get(it, "block"), json_object_get(it, "receipts"), expect,
			       &log, &m);
	bh_rpc_log_clear(&log);
	return r < 0 ? errj(r, &m) : json_pack("{s:b}", "ok", 1);
}

static json_t *one_txroot(const json_t *it)
{
	struct bh_msg m = { "" };
	uint8_t root[32];
	int r = bh_transactions_root(json_object_get(it, "transactions"), root, &m);
	return r < 0 ? errj(r, &m) : json_pack("{s:o}", "transactionsRoot", hexj(root, 32));
}

static json_t *one_trie(const json_t *vals)
{
	struct bh_msg m = { "" };
	size_t n = json_array_size(vals);
	struct bh_trie_val *v = calloc(n + 1, sizeof(*v));
	struct bh_buf *bufs = calloc(n + 1, sizeof(*bufs));
	uint8_t root[32];
	json_t *out = NULL;
	int r = 0;

	for (size_t i = 0; v && bufs && i < n && r == 0; i++) {
		bh_buf_init(&bufs[i], 16u << 20);
		r = bh_rpc_parse_data(json_array_get(vals, i), 16u << 20, &bufs[i], &m);
	}
	if (!v || !bufs)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		v[i].p = bh_buf_ptr(&bufs[i]);
		v[i].len = bh_buf_len(&bufs[i]);
	}
	if (r == 0)
		r = bh_trie_root_list(v, n, root, &m);
	out = r < 0 ? errj(r, &m) : hexj(root, 32);
	for (size_t i = 0; bufs && i < n; i++)
		bh_buf_done(&bufs[i]);
	free(bufs);
	free(v);
	return out;
}

int main(int argc, char **argv)
{
	struct bh_msg m = { "" };
	struct bh_buf b;
	json_t *in = NULL, *out;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: proof_tool blocks|check-log|check-tx|txroot|trie < JSON\n");
		return 2;
	}
	bh_buf_init(&b, 512u << 20 > BH_BUF_SIZE_MAX ? BH_BUF_SIZE_MAX : 512u << 20);
	if ((r = bh_buf_read_fd_all(&b, 0)) < 0 ||
	    (r = bh_json_load_buf(&b, BH_BUF_SIZE_MAX, BH_JSON_ARRAY, &in, &m)) < 0) {
		fprintf(stderr, "proof_tool: stdin: %s\n", m.text[0] ? m.text : bh_strerror(r));
		bh_buf_done(&b);
		return 1;
	}
	bh_buf_done(&b);
	out = json_array();
	for (size_t i = 0; i < json_array_size(in); i++) {
		const json_t *it = json_array_get(in, i);
		json_t *o;
		if (!strcmp(argv[1], "blocks"))
			o = one_block(it);
		else if (!strcmp(argv[1], "check-log"))
			o = one_check(it, false);
		else if (!strcmp(argv[1], "check-tx"))
			o = one_check(it, true);
		else if (!strcmp(argv[1], "txroot"))
			o = one_txroot(it);
		else if (!strcmp(argv[1], "trie"))
			o = one_trie(it);
		else {
			fprintf(stderr, "proof_tool: unknown mode %s\n", argv[1]);
			return 2;
		}
		json_array_append_new(out, o);
	}
	json_dumpf(out, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(out);
	json_decref(in);
	return 0;
}

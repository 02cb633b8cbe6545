/* SPDX-License-Identifier: MIT */
/* Proof of a log or a transaction against a trusted block hash (see proof.h). */
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "eth/header.h"
#include "eth/proof-int.h"
#include "eth/proof.h"
#include "eth/receipt.h"
#include "eth/trie.h"

/* Encoded receipts of one block: 32 MiB, the default RPC reply cap, is far above them */
#define RECEIPTS_MAX_BYTES (32u * 1024u * 1024u)

int bh_block_header_hash(const json_t *block, uint8_t ret_hash[static 32], struct bh_msg *msg)
{
	struct bh_header *h;
	int r;

	if (!(h = malloc(sizeof(*h))))
		return -ENOMEM;
	if ((r = bh_header_from_json(block, h, msg)) == 0 && (r = bh_header_hash(h, ret_hash)) < 0)
		bh_msg_set(msg, "block: header does not fit %u bytes", BH_HEADER_MAX_RLP);
	free(h);
	return r;
}

int bh_proof_list_root(const json_t *list, const char *many, const char *one, size_t cap,
		       bh_proof_encode_fn encode, void *ctx, uint8_t ret_root[static 32],
		       struct bh_msg *msg)
{
	struct bh_trie_val *v = NULL;
	size_t *off = NULL, n;
	struct bh_buf b;
	int r;

	bh_buf_init(&b, cap);
	if (!json_is_array(list)) {
		bh_msg_set(msg, "%s must be an array, got %s", many, bh_json_type_name(list));
		r = BH_ERR_WRONG_TYPE;
		goto out;
	}
	n = json_array_size(list);
	if (n > BH_TRIE_MAX_ITEMS) {
		bh_msg_set(msg, "%s: %zu entries, more than %u", many, n, BH_TRIE_MAX_ITEMS);
		r = BH_ERR_LIMIT;
		goto out;
	}
	if (!(v = calloc(n + 1, sizeof(*v))) || !(off = calloc(n + 1, sizeof(*off)))) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *it = json_array_get(list, i);
		uint64_t ti;
		char w[40];
		snprintf(w, sizeof(w), "%s %zu", one, i);
		off[i] = bh_buf_len(&b);
		if ((r = encode(it, &b, off[i], ctx, msg)) < 0 ||
		    (r = bh_proof_q64(it, "transactionIndex", &ti, msg)) < 0) {
			bh_proof_prefix(msg, w);
			goto out;
		}
		if (ti != i) {
			bh_msg_set(msg, "%s: \"transactionIndex\" is %llu: %s must be in block order",
				   w, (unsigned long long)ti, many);
			r = BH_ERR_FORMAT;
			goto out;
		}
	}
	off[n] = bh_buf_len(&b);
	/* pointers only now: the buffer may have moved while it grew */
	for (size_t i = 0; i < n; i++) {
		v[i].p = bh_buf_ptr(&b) + off[i];
		v[i].len = off[i + 1] - off[i];
	}
	r = bh_trie_root_list(v, n, ret_root, msg);
out:
	free(v);
	free(off);
	bh_buf_done(&b);
	return r;
}

static int encode_receipt(const json_t *rc, struct bh_buf *out, size_t start, void *ctx,
			  struct bh_msg *msg)
{
	(void)start;
	return bh_receipt_encode_json_cached(rc, out, NULL, NULL, ctx, msg);
}

int bh_receipts_root(const json_t *receipts, uint8_t ret_root[static 32], struct bh_msg *msg)
{
	struct bh_bloom_cache *cache = calloc(1, sizeof(*cache));
	int r;

	if (!cache)
		return -ENOMEM;
	r = bh_proof_list_root(receipts, "receipts", "receipt", RECEIPTS_MAX_BYTES, encode_receipt,
			       cache, ret_root, msg);
	free(cache);
	return r;
}

static void hex32(const uint8_t h[static 32], char out[static 67])
{
	out[0] = '0';
	out[1] = 'x';
	bh_hex_encode(h, 32, out + 2);
}

/* The block's header hashes to expect_hash and its receiptsRoot is the receipts' root. */
static int check_block_txs(const json_t *block, const uint8_t txroot[static 32],
			   size_t nreceipts, struct bh_msg *msg);

static int check_block(const json_t *block, const json_t *receipts,
		       const uint8_t expect_hash[static 32], struct bh_msg *msg)
{
	struct bh_header *h;
	uint8_t hash[32], root[32];
	char a[67], b[67];
	int r;

	if (!(h = malloc(sizeof(*h))))
		return -ENOMEM;
	if ((r = bh_header_from_json(block, h, msg)) < 0)
		goto out;
	if ((r = bh_header_hash(h, hash)) < 0) {
		bh_msg_set(msg, "block: header does not fit %u bytes", BH_HEADER_MAX_RLP);
		goto out;
	}
	if (memcmp(hash, expect_hash, 32) != 0) {
		hex32(hash, a);
		hex32(expect_hash, b);
		bh_msg_set(msg, "block %llu: its header hashes to %s, not the agreed %s",
			   (unsigned long long)h->number, a, b);
		r = BH_ERR_MISMATCH;
		goto out;
	}
	if ((r = bh_receipts_root(receipts, root, msg)) < 0)
		goto out;
	if (memcmp(root, h->receipts_root, 32) != 0) {
		hex32(root, a);
		hex32(h->receipts_root, b);
		bh_msg_set(msg, "block %llu: the receipts' trie root is %s, the header's receiptsRoot %s",
			   (unsigned long long)h->number, a, b);
		r = BH_ERR_MISMATCH;
		goto out;
	}
	r = check_block_txs(block, h->transactions_root, json_array_size(receipts), msg);
out:
	free(h);
	return r;
}

/* The block's own list of transactions (hashes or objects with "hash"), where it has one,
 * has as many entries as there are receipts; full objects are re-encoded and their root
 * compared with the header's transactionsRoot, which proves every hash and position. */
static int check_block_txs(const json_t *block, const uint8_t txroot[static 32],
			   size_t nreceipts, struct bh_msg *msg)
{
	const json_t *txs = json_object_get(block, "transactions");
	uint8_t root[32];
	char a[67], b[67];
	int r;

	if (!txs)
		return 0;
	if (!json_is_array(txs)) {
		bh_msg_set(msg, "block: \"transactions\" must be an array, got %s",
			   bh_json_type_name(txs));
		return BH_ERR_WRONG_TYPE;
	}
	if (json_array_size(txs) != nreceipts) {
		bh_msg_set(msg, "block lists %zu transactions but there are %zu receipts",
			   json_array_size(txs), nreceipts);
		return BH_ERR_MISMATCH;
	}
	if (!json_is_object(json_array_get(txs, 0)))
		return 0;
	if ((r = bh_transactions_root(txs, root, msg)) < 0) {
		bh_proof_prefix(msg, "block");
		return r;
	}
	if (memcmp(root, txroot, 32) != 0) {
		hex32(root, a);
		hex32(txroot, b);
		bh_msg_set(msg, "block: the transactions' trie root is %s, the header's "
			   "transactionsRoot %s", a, b);
		return BH_ERR_MISMATCH;
	}
	return 0;
}

/* Where the block lists its transactions: entry i is tx_hash. */
static int check_block_tx(const json_t *block, size_t i, const uint8_t tx_hash[static 32],
			  struct bh_msg *msg)
{
	const json_t *txs = json_object_get(block, "transactions"), *t;
	uint8_t h[32];
	int r;

	if (!txs)
		return 0;
	t = json_array_get(txs, i);
	if (json_is_object(t))
		t = json_object_get(t, "hash");
	if ((r = bh_rpc_parse_fixed(t, h, 32, msg)) < 0) {
		bh_proof_prefix(msg, "block: \"transactions\"");
		return r;
	}
	if (memcmp(h, tx_hash, 32) != 0) {
		bh_msg_set(msg, "block: transaction %zu is not the receipt's transaction", i);
		return BH_ERR_MISMATCH;
	}
	return 0;
}

static int log_equal(const json_t *lg, const struct bh_rpc_log *log, struct bh_msg *msg)
{
	const json_t *topics = json_object_get(lg, "topics");
	uint8_t addr[20], t[32];
	size_t n = json_array_size(topics);
	struct bh_buf data;
	int r;

	/* the receipt was checked by bh_receipts_root: these parse */
	if ((r = bh_proof_fixed(lg, "address", addr, 20, msg)) < 0)
		return r;
	if (memcmp(addr, log->log.address, 20) != 0) {
		bh_msg_set(msg, "the proven log has a different address");
		return BH_ERR_MISMATCH;
	}
	if (n != log->log.ntopics) {
		bh_msg_set(msg, "the proven log has %zu topics, not %zu", n, log->log.ntopics);
		return BH_ERR_MISMATCH;
	}
	for (size_t i = 0; i < n; i++) {
		if ((r = bh_rpc_parse_fixed(json_array_get(topics, i), t, 32, msg)) < 0)
			return r;
		if (memcmp(t, log->log.topics[i], 32) != 0) {
			bh_msg_set(msg, "the proven log has a different topic %zu", i);
			return BH_ERR_MISMATCH;
		}
	}
	bh_buf_init(&data, BH_RPC_MAX_LOG_DATA);
	if ((r = bh_rpc_parse_data(json_object_get(lg, "data"), BH_RPC_MAX_LOG_DATA, &data,
				   msg)) == 0 &&
	    (bh_buf_len(&data) != bh_buf_len(&log->log.data) ||
	     (bh_buf_len(&data) &&
	      memcmp(bh_buf_ptr(&data), bh_buf_ptr(&log->log.data), bh_buf_len(&data)) != 0))) {
		bh_msg_set(msg, "the proven log has different data");
		r = BH_ERR_MISMATCH;
	}
	bh_buf_done(&data);
	return r;
}

int bh_proof_check_block(const json_t *block, const json_t *receipts,
			 const uint8_t expect_hash[static 32], struct bh_msg *msg)
{
	return check_block(block, receipts, expect_hash, msg);
}

int bh_proof_find_log(const json_t *block, const json_t *receipts,
		      const uint8_t expect_hash[static 32], const struct bh_rpc_log *log,
		      struct bh_msg *msg)
{
	uint64_t number, first = 0;
	const json_t *rc, *logs;
	uint8_t th[32];
	size_t n;
	int r;

	if (!log) {
		bh_msg_set(msg, "no log to prove");
		return BH_ERR_INTERNAL;
	}
	if (log->removed) {
		bh_msg_set(msg, "the log is marked removed (reorganised away)");
		return BH_ERR_STATE;
	}
	if (memcmp(log->block_hash, expect_hash, 32) != 0) {
		bh_msg_set(msg, "the log names a block hash other than the agreed one");
		return BH_ERR_MISMATCH;
	}
	if ((r = bh_proof_q64(block, "number", &number, msg)) < 0) {
		bh_proof_prefix(msg, "block");
		return r;
	}
	if (log->block_number != number) {
		bh_msg_set(msg, "the log names block %llu, the agreed block is %llu",
			   (unsigned long long)log->block_number, (unsigned long long)number);
		return BH_ERR_MISMATCH;
	}
	n = json_array_size(receipts);
	if (log->tx_index >= n) {
		bh_msg_set(msg, "block %llu has %zu transactions, the log names transaction %llu",
			   (unsigned long long)number, n, (unsigned long long)log->tx_index);
		return BH_ERR_NOT_FOUND;
	}
	rc = json_array_get(receipts, (size_t)log->tx_index);
	if ((r = bh_proof_fixed(rc, "transactionHash", th, 32, msg)) < 0) {
		bh_proof_prefix(msg, "receipt");
		return r;
	}
	if (memcmp(th, log->tx_hash, 32) != 0) {
		bh_msg_set(msg, "transaction %llu of block %llu is not the log's transaction",
			   (unsigned long long)log->tx_index, (unsigned long long)number);
		return BH_ERR_NOT_FOUND;
	}
	if ((r = check_block_tx(block, (size_t)log->tx_index, th, msg)) < 0)
		return r;
	/* logIndex counts the block's logs: the ones before this receipt, then its own */
	for (size_t i = 0; i < (size_t)log->tx_index; i++)
		first += json_array_size(json_object_get(json_array_get(receipts, i), "logs"));
	logs = json_object_get(rc, "logs");
	if (log->log_index < first || log->log_index - first >= json_array_size(logs)) {
		bh_msg_set(msg, "log %llu of block %llu is not in transaction %llu (its logs are %llu..%llu)",
			   (unsigned long long)log->log_index, (unsigned long long)number,
			   (unsigned long long)log->tx_index, (unsigned long long)first,
			   (unsigned long long)(first + json_array_size(logs)) - 1);
		return BH_ERR_NOT_FOUND;
	}
	if ((r = log_equal(json_array_get(logs, (size_t)(log->log_index - first)), log, msg)) < 0) {
		char w[80];
		snprintf(w, sizeof(w), "log %llu of block %llu", (unsigned long long)log->log_index,
			 (unsigned long long)number);
		bh_proof_prefix(msg, w);
		return r;
	}
	return 0;
}

int bh_proof_check_log(const json_t *block, const json_t *receipts,
		       const uint8_t expect_hash[static 32], const struct bh_rpc_log *log,
		       struct bh_msg *msg)
{
	int r;

	/* the cheap refusals first: a removed log or another block needs no hashing */
	if (!log || log->removed || memcmp(log->block_hash, expect_hash, 32) != 0)
		return bh_proof_find_log(block, receipts, expect_hash, log, msg);
	if ((r = check_block(block, receipts, expect_hash, msg)) < 0)
		return r;
	return bh_proof_find_log(block, receipts, expect_hash, log, msg);
}

int bh_proof_find_tx(const json_t *block, const json_t *receipts,
		     const uint8_t tx_hash[static 32], uint64_t *ret_tx_index, struct bh_msg *msg)
{
	uint64_t number = 0, status;
	uint8_t th[32];
	size_t n;
	int r;

	(void)bh_proof_q64(block, "number", &number, NULL);
	n = json_array_size(receipts);
	for (size_t i = 0; i < n; i++) {
		const json_t *rc = json_array_get(receipts, i);
		if ((r = bh_proof_fixed(rc, "transactionHash", th, 32, msg)) < 0) {
			bh_proof_prefix(msg, "receipt");
			return r;
		}
		if (memcmp(th, tx_hash, 32) != 0)
			continue;
		if ((r = check_block_tx(block, i, th, msg)) < 0)
			return r;
		/* a pre-Byzantium receipt ("root") has no status: success is not provable */
		if (!json_object_get(rc, "status") || bh_proof_q64(rc, "status", &status, NULL) < 0 ||
		    status != 1) {
			bh_msg_set(msg, "transaction %zu of block %llu did not succeed", i,
				   (unsigned long long)number);
			return BH_ERR_STATE;
		}
		if (ret_tx_index)
			*ret_tx_index = i;
		return 0;
	}
	bh_msg_set(msg, "the transaction is not in block %llu", (unsigned long long)number);
	return BH_ERR_NOT_FOUND;
}

int bh_proof_check_tx(const json_t *block, const json_t *receipts,
		      const uint8_t expect_hash[static 32], const uint8_t tx_hash[static 32],
		      uint64_t *ret_tx_index, struct bh_msg *msg)
{
	int r;

	if ((r = check_block(block, receipts, expect_hash, msg)) < 0)
		return r;
	return bh_proof_find_tx(block, receipts, tx_hash, ret_tx_index, msg);
}

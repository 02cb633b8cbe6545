/* SPDX-License-Identifier: MIT */
/*
 * transactionsRoot from a block's full transaction objects (eth_getBlockByNumber(n, true)):
 * each transaction re-encoded from its JSON fields, its keccak256 checked against its
 * "hash", and the ordered trie root of the encodings (see proof.h).
 *
 *   0 legacy   RLP([nonce, gasPrice, gas, to, value, input, v, r, s])
 *   1 (2930)   0x01 || RLP([chainId, nonce, gasPrice, gas, to, value, input, accessList,
 *                           yParity, r, s])
 *   2 (1559)   0x02 || RLP([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas, to,
 *                           value, input, accessList, yParity, r, s])
 *   3 (4844)   0x03 || RLP([... as 2 ..., accessList, maxFeePerBlobGas,
 *                           blobVersionedHashes, yParity, r, s])
 *   4 (7702)   0x04 || RLP([... as 2 ..., accessList, authorizationList, yParity, r, s])
 *   accessList = [[address, [storageKey...]]...]
 *   authorizationList = [[chainId, address, nonce, yParity, r, s]...]
 */
#include <stdlib.h>
#include <string.h>

#include "eth/keccak.h"
#include "eth/proof-int.h"
#include "eth/proof.h"
#include "eth/rlp.h"
#include "eth/trie.h"

#define TX_MAX_ITEMS 65536      /* RLP items of one transaction (access list entries...) */
#define TXS_MAX_BYTES (32u * 1024u * 1024u)

struct enc {
	struct bh_rlp_item *it;
	size_t n, cap;
	uint8_t **bufs;          /* decoded variable-size data, freed at the end */
	size_t nbufs;
	struct bh_msg *msg;
};

static struct bh_rlp_item *item(struct enc *e)
{
	if (e->n == e->cap)
		return NULL;
	return &e->it[e->n++];
}

/* a quantity (minimal hex), up to 256 bits */
static int put_q(struct enc *e, const json_t *o, const char *key, struct bh_rlp_item *it)
{
	uint8_t v[32];
	int r = bh_proof_q256(o, key, v, e->msg);
	if (r == 0)
		bh_rlp_set_u256(it, v);
	return r;
}

/* fixed-size data (20 or 32 bytes) kept in the item's own scratch */
static int put_fixed(struct enc *e, const json_t *v, size_t n, const char *what,
		     struct bh_rlp_item *it)
{
	int r;
	memset(it, 0, sizeof(*it));
	if ((r = bh_proof_named(bh_proof_fixed_any(v, it->num, n, e->msg), what, e->msg)) < 0)
		return r;
	it->data = it->num;
	it->len = n;
	return 0;
}

static int put_data(struct enc *e, const json_t *o, const char *key, struct bh_rlp_item *it)
{
	const json_t *v;
	const char *h;
	size_t n;
	uint8_t *p, **nb;
	int r;

	if ((r = bh_proof_field(o, key, true, &v, e->msg)) < 0 ||
	    (r = bh_proof_named(bh_proof_hexstr(v, &h, &n, e->msg), key, e->msg)) < 0)
		return r;
	if (n > TXS_MAX_BYTES) {
		bh_msg_set(e->msg, "\"%s\": %zu bytes, too large", key, n);
		return BH_ERR_LIMIT;
	}
	if (!(p = malloc(n ? n : 1)) || !(nb = realloc(e->bufs, (e->nbufs + 1) * sizeof(*nb)))) {
		free(p);
		return -ENOMEM;
	}
	e->bufs = nb;
	e->bufs[e->nbufs++] = p;
	if (bh_proof_unhex(h, n, p) < 0) {
		bh_msg_set(e->msg, "\"%s\": data is not hex", key);
		return BH_ERR_HEX;
	}
	bh_rlp_set_bytes(it, p, n);
	return 0;
}

static int put_to(struct enc *e, const json_t *o, struct bh_rlp_item *it)
{
	const json_t *v;
	(void)bh_proof_field(o, "to", false, &v, NULL);
	if (!v) {   /* contract creation */
		bh_rlp_set_bytes(it, NULL, 0);
		return 0;
	}
	return put_fixed(e, v, 20, "to", it);
}

static int put_list_of_fixed(struct enc *e, const json_t *arr, size_t n, const char *what,
			     struct bh_rlp_item *list)
{
	struct bh_rlp_item *first = NULL;
	int r;
	if (!json_is_array(arr)) {
		bh_msg_set(e->msg, "\"%s\" must be an array, got %s", what, bh_json_type_name(arr));
		return BH_ERR_WRONG_TYPE;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		struct bh_rlp_item *it = item(e);
		if (!it)
			return BH_ERR_LIMIT;
		if (!first)
			first = it;
		if ((r = put_fixed(e, json_array_get(arr, i), n, what, it)) < 0)
			return r;
	}
	bh_rlp_set_list(list, first, json_array_size(arr));
	return 0;
}

static int put_access(struct enc *e, const json_t *o, struct bh_rlp_item *list)
{
	const json_t *al;
	struct bh_rlp_item *ents;
	size_t n;
	int r;

	if ((r = bh_proof_field(o, "accessList", true, &al, e->msg)) < 0)
		return r;
	if (!json_is_array(al)) {
		bh_msg_set(e->msg, "\"accessList\" must be an array");
		return BH_ERR_WRONG_TYPE;
	}
	n = json_array_size(al);
	if (e->cap - e->n < 2 * n + 1)
		return BH_ERR_LIMIT;
	/* the entries first (contiguous), their two items each after */
	ents = &e->it[e->n];
	e->n += n;
	for (size_t i = 0; i < n; i++) {
		const json_t *a = json_array_get(al, i), *keys;
		struct bh_rlp_item *pair = item(e), *second = item(e);
		if (!pair || !second)
			return BH_ERR_LIMIT;
		if (!json_is_object(a)) {
			bh_msg_set(e->msg, "\"accessList\" %zu must be an object", i);
			return BH_ERR_WRONG_TYPE;
		}
		if ((r = put_fixed(e, json_object_get(a, "address"), 20, "accessList address", pair)) < 0 ||
		    (r = bh_proof_field(a, "storageKeys", true, &keys, e->msg)) < 0 ||
		    (r = put_list_of_fixed(e, keys, 32, "storageKeys", second)) < 0)
			return r;
		/* pair and second are adjacent: the entry is the list [pair, second] */
		bh_rlp_set_list(&ents[i], pair, 2);
	}
	bh_rlp_set_list(list, ents, n);
	return 0;
}

static int put_auth(struct enc *e, const json_t *o, struct bh_rlp_item *list)
{
	const json_t *al;
	struct bh_rlp_item *ents;
	size_t n;
	int r;

	if ((r = bh_proof_field(o, "authorizationList", true, &al, e->msg)) < 0)
		return r;
	if (!json_is_array(al)) {
		bh_msg_set(e->msg, "\"authorizationList\" must be an array");
		return BH_ERR_WRONG_TYPE;
	}
	n = json_array_size(al);
	if (e->cap - e->n < 7 * n)
		return BH_ERR_LIMIT;
	ents = &e->it[e->n];
	e->n += n;
	for (size_t i = 0; i < n; i++) {
		const json_t *a = json_array_get(al, i);
		struct bh_rlp_item *f = &e->it[e->n];
		e->n += 6;
		if (!json_is_object(a)) {
			bh_msg_set(e->msg, "\"authorizationList\" %zu must be an object", i);
			return BH_ERR_WRONG_TYPE;
		}
		if ((r = put_q(e, a, "chainId", &f[0])) < 0 ||
		    (r = put_fixed(e, json_object_get(a, "address"), 20, "authorization address", &f[1])) < 0 ||
		    (r = put_q(e, a, "nonce", &f[2])) < 0 || (r = put_q(e, a, "yParity", &f[3])) < 0 ||
		    (r = put_q(e, a, "r", &f[4])) < 0 || (r = put_q(e, a, "s", &f[5])) < 0)
			return r;
		bh_rlp_set_list(&ents[i], f, 6);
	}
	bh_rlp_set_list(list, ents, n);
	return 0;
}

/* y parity of a typed transaction: "yParity", or "v" where a client gives only that */
static int put_parity(struct enc *e, const json_t *o, struct bh_rlp_item *it)
{
	return put_q(e, o, json_object_get(o, "yParity") ? "yParity" : "v", it);
}

/* Append tx's encoding to out. */
static int encode_tx(const json_t *o, struct bh_buf *out, struct bh_msg *msg)
{
	struct enc e = { .msg = msg };
	struct bh_rlp_item top[14], list;
	uint64_t type = 0;
	const json_t *tv;
	size_t n = 0, need = 16;
	int r;

	if (!json_is_object(o)) {
		bh_msg_set(msg, "transaction must be an object, got %s", bh_json_type_name(o));
		return BH_ERR_WRONG_TYPE;
	}
	(void)bh_proof_field(o, "type", false, &tv, NULL);
	if (tv && (r = bh_proof_named(bh_rpc_parse_quantity(tv, &type, msg), "type", msg)) < 0)
		return r;
	if (type > 4) {
		bh_msg_set(msg, "\"type\": transaction type 0x%llx is not supported (0 to 4 are)",
			   (unsigned long long)type);
		return BH_ERR_UNSUPPORTED;
	}
	/* items for the lists below: count them from the JSON (bounded) */
	const json_t *al = json_object_get(o, "accessList");
	for (size_t i = 0; i < json_array_size(al); i++)
		need += 3 + json_array_size(json_object_get(json_array_get(al, i), "storageKeys"));
	need += 7 * json_array_size(json_object_get(o, "authorizationList"));
	need += json_array_size(json_object_get(o, "blobVersionedHashes"));
	if (need > TX_MAX_ITEMS) {
		bh_msg_set(msg, "transaction of more than %u items", TX_MAX_ITEMS);
		return BH_ERR_LIMIT;
	}
	if (!(e.it = calloc(need, sizeof(*e.it))))
		return -ENOMEM;
	e.cap = need;
	if (type == 0) {
		if ((r = put_q(&e, o, "nonce", &top[n++])) < 0 ||
		    (r = put_q(&e, o, "gasPrice", &top[n++])) < 0 ||
		    (r = put_q(&e, o, "gas", &top[n++])) < 0 || (r = put_to(&e, o, &top[n++])) < 0 ||
		    (r = put_q(&e, o, "value", &top[n++])) < 0 ||
		    (r = put_data(&e, o, "input", &top[n++])) < 0 || (r = put_q(&e, o, "v", &top[n++])) < 0)
			goto out;
	} else {
		if ((r = put_q(&e, o, "chainId", &top[n++])) < 0 || (r = put_q(&e, o, "nonce", &top[n++])) < 0)
			goto out;
		if (type == 1)
			r = put_q(&e, o, "gasPrice", &top[n++]);
		else if ((r = put_q(&e, o, "maxPriorityFeePerGas", &top[n++])) == 0)
			r = put_q(&e, o, "maxFeePerGas", &top[n++]);
		if (r < 0 || (r = put_q(&e, o, "gas", &top[n++])) < 0 ||
		    (r = put_to(&e, o, &top[n++])) < 0 || (r = put_q(&e, o, "value", &top[n++])) < 0 ||
		    (r = put_data(&e, o, "input", &top[n++])) < 0 || (r = put_access(&e, o, &top[n++])) < 0)
			goto out;
		if (type == 3) {
			const json_t *bh;
			if ((r = put_q(&e, o, "maxFeePerBlobGas", &top[n++])) < 0 ||
			    (r = bh_proof_field(o, "blobVersionedHashes", true, &bh, msg)) < 0 ||
			    (r = put_list_of_fixed(&e, bh, 32, "blobVersionedHashes", &top[n++])) < 0)
				goto out;
		}
		if (type == 4 && (r = put_auth(&e, o, &top[n++])) < 0)
			goto out;
		if ((r = put_parity(&e, o, &top[n++])) < 0)
			goto out;
	}
	if ((r = put_q(&e, o, "r", &top[n++])) < 0 || (r = put_q(&e, o, "s", &top[n++])) < 0)
		goto out;
	bh_rlp_set_list(&list, top, n);
	if (type && (r = bh_buf_put_u8(out, (uint8_t)type)) < 0)
		goto out;
	if ((r = bh_rlp_encode(&list, out)) < 0)
		bh_msg_set(msg, "transactions too large");
out:
	if (r == BH_ERR_LIMIT && !(msg && msg->text[0]))
		bh_msg_set(msg, "transaction has too many list entries");
	for (size_t i = 0; i < e.nbufs; i++)
		free(e.bufs[i]);
	free(e.bufs);
	free(e.it);
	return r;
}

/* one full transaction: its encoding must hash to its "hash" */
static int encode_checked_tx(const json_t *t, struct bh_buf *out, size_t start, void *ctx,
			     struct bh_msg *msg)
{
	uint8_t h[32], want[32];
	int r;

	(void)ctx;
	if ((r = encode_tx(t, out, msg)) < 0 || (r = bh_proof_fixed(t, "hash", want, 32, msg)) < 0)
		return r;
	bh_keccak256(bh_buf_ptr(out) + start, bh_buf_len(out) - start, h);
	if (memcmp(h, want, 32) != 0) {
		bh_msg_set(msg, "its fields hash to another transaction than its \"hash\"");
		return BH_ERR_MISMATCH;
	}
	return 0;
}

int bh_transactions_root(const json_t *txs, uint8_t ret_root[static 32], struct bh_msg *msg)
{
	return bh_proof_list_root(txs, "transactions", "transaction", TXS_MAX_BYTES,
				  encode_checked_tx, NULL, ret_root, msg);
}

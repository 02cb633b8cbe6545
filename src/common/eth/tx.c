/* SPDX-License-Identifier: MIT */
/* Ethereum transactions: EIP-1559 and legacy (see tx.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "eth/abi.h"
#include "eth/eth.h"
#include "core/hex.h"
#include "eth/keccak.h"
#include "eth/rlp.h"
#include "eth/secp.h"
#include "eth/tx.h"

/* the most a signature adds to an RLP transaction: v (uint64: 9 bytes with its header),
 * r and s (33 each), and up to 8 more bytes of list and envelope header growth */
#define TX_SIG_MAX 83

void bh_tx_clear(struct bh_tx *tx)
{
	if (!tx)
		return;
	free(tx->data);
	for (size_t i = 0; tx->access && i < tx->naccess; i++)
		free(tx->access[i].keys);
	free(tx->access);
	memset(tx, 0, sizeof(*tx));
}

int bh_tx_set_data(struct bh_tx *tx, const uint8_t *data, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);
	if (!d)
		return -ENOMEM;
	if (len)
		memcpy(d, data, len);
	free(tx->data);
	tx->data = d;
	tx->data_len = len;
	return 0;
}

/* RLP items of an access list; *ret_mem is freed by the caller. */
static int access_items(const struct bh_tx *tx, struct bh_rlp_item *list, void **ret_mem)
{
	size_t nkeys = 0;
	for (size_t i = 0; i < tx->naccess; i++)
		nkeys += tx->access[i].nkeys;
	if (tx->naccess + nkeys > BH_TX_MAX_ACCESS)
		return BH_ERR_LIMIT;
	/* entries, then 2 items per entry, then keys */
	struct bh_rlp_item *mem = calloc(3 * tx->naccess + nkeys + 1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	struct bh_rlp_item *ent = mem, *pairs = mem + tx->naccess, *keys = pairs + 2 * tx->naccess;
	for (size_t i = 0; i < tx->naccess; i++) {
		const struct bh_tx_access *a = &tx->access[i];
		bh_rlp_set_bytes(&pairs[2 * i], a->address, 20);
		for (size_t k = 0; k < a->nkeys; k++)
			bh_rlp_set_bytes(&keys[k], a->keys[k], 32);
		bh_rlp_set_list(&pairs[2 * i + 1], keys, a->nkeys);
		keys += a->nkeys;
		bh_rlp_set_list(&ent[i], &pairs[2 * i], 2);
	}
	bh_rlp_set_list(list, ent, tx->naccess);
	*ret_mem = mem;
	return 0;
}

/* Encode (type byte and) the RLP list; mode 0 unsigned payload, 1 signed raw. */
static int encode_tx(const struct bh_tx *tx, bool with_sig, struct bh_buf *out)
{
	struct bh_rlp_item f[12], list;
	void *mem = NULL;
	size_t n = 0, before = bh_buf_len(out);
	int r;

	if (tx->type == BH_TX_EIP1559) {
		bh_rlp_set_uint64(&f[n++], tx->chain_id);
		bh_rlp_set_uint64(&f[n++], tx->nonce);
		bh_rlp_set_u256(&f[n++], tx->max_priority_fee);
		bh_rlp_set_u256(&f[n++], tx->max_fee);
		bh_rlp_set_uint64(&f[n++], tx->gas_limit);
		bh_rlp_set_bytes(&f[n++], tx->to, tx->has_to ? 20 : 0);
		bh_rlp_set_u256(&f[n++], tx->value);
		bh_rlp_set_bytes(&f[n++], tx->data, tx->data_len);
		if ((r = access_items(tx, &f[n++], &mem)) < 0)
			return r;
		if (with_sig) {
			bh_rlp_set_uint64(&f[n++], tx->y_parity);
			bh_rlp_set_u256(&f[n++], tx->r);
			bh_rlp_set_u256(&f[n++], tx->s);
		}
		if ((r = bh_buf_put_u8(out, BH_TX_EIP1559)) < 0)
			goto out;
	} else if (tx->type == BH_TX_LEGACY) {
		bh_rlp_set_uint64(&f[n++], tx->nonce);
		bh_rlp_set_u256(&f[n++], tx->max_fee);
		bh_rlp_set_uint64(&f[n++], tx->gas_limit);
		bh_rlp_set_bytes(&f[n++], tx->to, tx->has_to ? 20 : 0);
		bh_rlp_set_u256(&f[n++], tx->value);
		bh_rlp_set_bytes(&f[n++], tx->data, tx->data_len);
		if (with_sig) {
			/* v is derived, so it can never disagree with chain_id / y_parity; the
			 * limit is exact for this parity: whatever v the decoder accepted (up to
			 * 2^64-1, parity 0) must serialize again (issue 20) */
			if (tx->y_parity > 1 || tx->chain_id > (UINT64_MAX - 35 - tx->y_parity) / 2)
				return BH_ERR_RANGE;
			bh_rlp_set_uint64(&f[n++], tx->chain_id ? tx->chain_id * 2 + 35 + tx->y_parity :
							      27u + tx->y_parity);
			bh_rlp_set_u256(&f[n++], tx->r);
			bh_rlp_set_u256(&f[n++], tx->s);
		} else if (tx->chain_id) {
			bh_rlp_set_uint64(&f[n++], tx->chain_id);
			bh_rlp_set_uint64(&f[n++], 0);
			bh_rlp_set_uint64(&f[n++], 0);
		}
	} else {
		return BH_ERR_UNSUPPORTED;
	}
	bh_rlp_set_list(&list, f, n);
	r = bh_rlp_encode(&list, out);
out:
	if (r < 0)
		(void)bh_buf_truncate(out, before);
	free(mem);
	return r;
}

int bh_tx_serialize_unsigned(const struct bh_tx *tx, struct bh_buf *out)
{
	return encode_tx(tx, false, out);
}

int bh_tx_serialize(const struct bh_tx *tx, struct bh_buf *out)
{
	if (!tx->is_signed)
		return BH_ERR_STATE;
	return encode_tx(tx, true, out);
}

static int hash_of(const struct bh_tx *tx, bool with_sig, uint8_t ret[static 32])
{
	struct bh_buf b;
	int r;

	bh_buf_init(&b, BH_TX_MAX_RAW + 1024);
	if ((r = encode_tx(tx, with_sig, &b)) == 0)
		bh_keccak256(bh_buf_ptr(&b), bh_buf_len(&b), ret);
	bh_buf_done(&b);
	return r;
}

int bh_tx_signing_hash(const struct bh_tx *tx, uint8_t ret[static 32])
{
	return hash_of(tx, false, ret);
}

int bh_tx_hash(const struct bh_tx *tx, uint8_t ret[static 32])
{
	if (!tx->is_signed)
		return BH_ERR_STATE;
	return hash_of(tx, true, ret);
}

static int attach(struct bh_tx *tx, const uint8_t sig[static 65], const uint8_t *expected_from)
{
	uint8_t h[32], from[20];
	int r;

	/* low-S (EIP-2), 0 < r, s < n, recid 0/1: what bh_tx_decode would demand of the raw tx */
	if ((r = bh_secp_sig_check(sig)) < 0)
		return r;
	/* v = chain_id * 2 + 35 + parity must fit 64 bits (exact, as in serialize) */
	if (tx->type == BH_TX_LEGACY && tx->chain_id > (UINT64_MAX - 35 - sig[64]) / 2)
		return BH_ERR_RANGE;
	if ((r = bh_tx_signing_hash(tx, h)) < 0)
		return r;
	/* some key must recover, and (if asked) it must be the expected sender */
	if ((r = bh_secp_recover_address(h, sig, from)) < 0)
		return r;
	if (expected_from && CRYPTO_memcmp(from, expected_from, 20) != 0)
		return BH_ERR_MISMATCH;
	memcpy(tx->r, sig, 32);
	memcpy(tx->s, sig + 32, 32);
	tx->y_parity = sig[64];
	if (tx->type == BH_TX_LEGACY)
		tx->v = tx->chain_id ? tx->chain_id * 2 + 35 + sig[64] : 27u + sig[64];
	tx->is_signed = true;
	return 0;
}

int bh_tx_attach_signature(struct bh_tx *tx, const uint8_t sig[static 65])
{
	return attach(tx, sig, NULL);
}

int bh_tx_attach_signature_from(struct bh_tx *tx, const uint8_t sig[static 65],
                                const uint8_t expected_from[static 20])
{
	return attach(tx, sig, expected_from);
}

int bh_tx_sign(struct bh_tx *tx, const uint8_t priv[static 32])
{
	uint8_t h[32], sig[65], from[20];
	int r;

	if (tx->type == BH_TX_LEGACY && tx->chain_id > (UINT64_MAX - 36) / 2)
		return BH_ERR_RANGE;
	if ((r = bh_tx_signing_hash(tx, h)) < 0 || (r = bh_eth_address_from_priv(priv, from)) < 0)
		return r;
	if ((r = bh_secp_sign(priv, h, sig)) < 0)
		return r;
	/* attach through the same checks as an external signature, and verify it recovers to
	 * the key's own address (a faulty signature is never serialized) */
	r = bh_tx_attach_signature_from(tx, sig, from);
	explicit_bzero(sig, sizeof(sig));
	return r;
}

int bh_tx_recover_sender(const struct bh_tx *tx, uint8_t ret[static 20])
{
	uint8_t h[32], sig[65];
	int r;

	if (!tx->is_signed)
		return BH_ERR_STATE;
	if ((r = bh_tx_signing_hash(tx, h)) < 0)
		return r;
	memcpy(sig, tx->r, 32);
	memcpy(sig + 32, tx->s, 32);
	sig[64] = tx->y_parity;
	return bh_secp_recover_address(h, sig, ret);
}

/* ---------------------------------------------------------------- decoding */

static const char *const field_1559[] = {
	"chain_id", "nonce", "max_priority_fee_per_gas", "max_fee_per_gas", "gas_limit", "to",
	"value", "data", "access_list", "y_parity", "r", "s",
};
static const char *const field_legacy[] = {
	"nonce", "gas_price", "gas_limit", "to", "value", "data", "v", "r", "s",
};

static int fld_u64(const struct bh_rlp_item *it, const char *name, struct bh_msg *msg, uint64_t *ret)
{
	int r = bh_rlp_item_uint64(it, ret);
	if (r < 0)
		bh_msg_set(msg, "tx field %s: %s", name,
			   r == BH_ERR_RANGE ? "larger than 64 bits" :
			   r == BH_ERR_FORMAT ? "integer with a leading zero byte" : "must be a byte string");
	return r;
}

static int fld_u256(const struct bh_rlp_item *it, const char *name, struct bh_msg *msg,
                    uint8_t ret[static 32])
{
	int r = bh_rlp_item_u256(it, ret);
	if (r < 0)
		bh_msg_set(msg, "tx field %s: %s", name,
			   r == BH_ERR_RANGE ? "larger than 256 bits" :
			   r == BH_ERR_FORMAT ? "integer with a leading zero byte" : "must be a byte string");
	return r;
}

static int fld_to(const struct bh_rlp_item *it, struct bh_msg *msg, struct bh_tx *tx)
{
	if (it->is_list || (it->len != 0 && it->len != 20)) {
		bh_msg_set(msg, "tx field to: must be 20 bytes or empty");
		return BH_ERR_FORMAT;
	}
	tx->has_to = it->len == 20;
	if (tx->has_to)
		memcpy(tx->to, it->data, 20);
	return 0;
}

static int fld_data(const struct bh_rlp_item *it, struct bh_msg *msg, struct bh_tx *tx)
{
	if (it->is_list) {
		bh_msg_set(msg, "tx field data: must be a byte string");
		return BH_ERR_FORMAT;
	}
	return bh_tx_set_data(tx, it->data, it->len);
}

static int fld_access(const struct bh_rlp_item *it, struct bh_msg *msg, struct bh_tx *tx)
{
	size_t total = 0;

	if (!it->is_list)
		goto bad;
	if (it->n > BH_TX_MAX_ACCESS)
		goto limit;
	if (it->n && !(tx->access = calloc(it->n, sizeof(*tx->access))))
		return -ENOMEM;
	for (size_t i = 0; i < it->n; i++) {
		const struct bh_rlp_item *e = &it->items[i];
		if (!e->is_list || e->n != 2 || e->items[0].is_list || e->items[0].len != 20 ||
		    !e->items[1].is_list)
			goto bad;
		struct bh_tx_access *a = &tx->access[i];
		tx->naccess = i + 1;
		memcpy(a->address, e->items[0].data, 20);
		total += 1 + e->items[1].n;
		if (total > BH_TX_MAX_ACCESS)
			goto limit;
		if (e->items[1].n && !(a->keys = calloc(e->items[1].n, 32)))
			return -ENOMEM;
		for (size_t k = 0; k < e->items[1].n; k++) {
			const struct bh_rlp_item *key = &e->items[1].items[k];
			if (key->is_list || key->len != 32)
				goto bad;
			memcpy(a->keys[k], key->data, 32);
			a->nkeys = k + 1;
		}
	}
	return 0;
bad:
	bh_msg_set(msg, "tx field access_list: expected [[address(20), [key(32), ...]], ...]");
	return BH_ERR_FORMAT;
limit:
	bh_msg_set(msg, "tx field access_list: more than %d entries", BH_TX_MAX_ACCESS);
	return BH_ERR_LIMIT;
}

static int decode_1559(const struct bh_rlp_item *l, bool want_sig, struct bh_msg *msg,
                       struct bh_tx *tx)
{
	const char *const *F = field_1559;
	const struct bh_rlp_item *f = l->items;
	size_t want = want_sig ? 12 : 9;
	uint64_t yp;
	int r;

	if (!l->is_list || l->n != want) {
		bh_msg_set(msg, "type-2 tx: expected a list of %zu fields, got %s%zu", want,
			   l->is_list ? "" : "a string of ", l->is_list ? l->n : l->len);
		return BH_ERR_FORMAT;
	}
	tx->type = BH_TX_EIP1559;
	if ((r = fld_u64(&f[0], F[0], msg, &tx->chain_id)) < 0 ||
	    (r = fld_u64(&f[1], F[1], msg, &tx->nonce)) < 0 ||
	    (r = fld_u256(&f[2], F[2], msg, tx->max_priority_fee)) < 0 ||
	    (r = fld_u256(&f[3], F[3], msg, tx->max_fee)) < 0 ||
	    (r = fld_u64(&f[4], F[4], msg, &tx->gas_limit)) < 0 ||
	    (r = fld_to(&f[5], msg, tx)) < 0 ||
	    (r = fld_u256(&f[6], F[6], msg, tx->value)) < 0 ||
	    (r = fld_data(&f[7], msg, tx)) < 0 ||
	    (r = fld_access(&f[8], msg, tx)) < 0)
		return r;
	if (!want_sig)
		return 0;
	if ((r = fld_u64(&f[9], F[9], msg, &yp)) < 0 || (r = fld_u256(&f[10], F[10], msg, tx->r)) < 0 ||
	    (r = fld_u256(&f[11], F[11], msg, tx->s)) < 0)
		return r;
	if (yp > 1) {
		bh_msg_set(msg, "tx field y_parity: %llu is not 0 or 1", (unsigned long long)yp);
		return BH_ERR_RECOVERY_ID;
	}
	tx->y_parity = (uint8_t)yp;
	tx->is_signed = true;
	return 0;
}

static int decode_legacy(const struct bh_rlp_item *l, struct bh_msg *msg, struct bh_tx *tx)
{
	const char *const *F = field_legacy;
	const struct bh_rlp_item *f = l->items;
	int r;

	if (!l->is_list || l->n != 9) {
		bh_msg_set(msg, "legacy tx: expected a list of 9 fields");
		return BH_ERR_FORMAT;
	}
	tx->type = BH_TX_LEGACY;
	if ((r = fld_u64(&f[0], F[0], msg, &tx->nonce)) < 0 ||
	    (r = fld_u256(&f[1], F[1], msg, tx->max_fee)) < 0 ||
	    (r = fld_u64(&f[2], F[2], msg, &tx->gas_limit)) < 0 ||
	    (r = fld_to(&f[3], msg, tx)) < 0 ||
	    (r = fld_u256(&f[4], F[4], msg, tx->value)) < 0 ||
	    (r = fld_data(&f[5], msg, tx)) < 0 ||
	    (r = fld_u64(&f[6], F[6], msg, &tx->v)) < 0 ||
	    (r = fld_u256(&f[7], F[7], msg, tx->r)) < 0 ||
	    (r = fld_u256(&f[8], F[8], msg, tx->s)) < 0)
		return r;
	if (tx->v == 27 || tx->v == 28) {
		tx->chain_id = 0;
		tx->y_parity = (uint8_t)(tx->v - 27);
	} else if (tx->v >= 37) {
		tx->chain_id = (tx->v - 35) / 2;
		tx->y_parity = (uint8_t)((tx->v - 35) % 2);
	} else {
		bh_msg_set(msg, "legacy tx: v = %llu is neither 27/28 nor 2*chain_id+35/36",
			   (unsigned long long)tx->v);
		return BH_ERR_RECOVERY_ID;
	}
	tx->is_signed = true;
	return 0;
}

static int decode(const uint8_t *raw, size_t len, bool want_sig, struct bh_msg *msg,
                  struct bh_tx *ret)
{
	struct bh_rlp_item *l = NULL;
	struct bh_tx tx;
	int r;

	memset(&tx, 0, sizeof(tx));
	if (len == 0) {
		bh_msg_set(msg, "empty transaction");
		return BH_ERR_INCOMPLETE;
	}
	if (len > BH_TX_MAX_RAW) {
		bh_msg_set(msg, "transaction of %zu bytes exceeds the %u-byte limit", len, BH_TX_MAX_RAW);
		return BH_ERR_LIMIT;
	}
	if (raw[0] >= 0xc0 && want_sig) {
		if ((r = bh_rlp_decode(raw, len, &l, msg)) < 0)
			goto out;
		r = decode_legacy(l, msg, &tx);
	} else if (raw[0] == BH_TX_EIP1559) {
		if ((r = bh_rlp_decode(raw + 1, len - 1, &l, msg)) < 0)
			goto out;
		r = decode_1559(l, want_sig, msg, &tx);
	} else {
		bh_msg_set(msg, "transaction type 0x%02x is not supported", raw[0]);
		r = BH_ERR_UNSUPPORTED;
	}
	if (r < 0)
		goto out;
	*ret = tx;
	memset(&tx, 0, sizeof(tx));
	r = 0;
out:
	bh_tx_clear(&tx);
	bh_rlp_item_free(l);
	return r;
}

int bh_tx_decode(const uint8_t *raw, size_t len, struct bh_tx *ret, struct bh_msg *msg)
{
	return decode(raw, len, true, msg, ret);
}

int bh_tx_decode_unsigned(const uint8_t *raw, size_t len, struct bh_tx *ret, struct bh_msg *msg)
{
	return decode(raw, len, false, msg, ret);
}

/* ---------------------------------------------------------------- JSON */

static int jnum256(const json_t *j, const char *name, struct bh_msg *msg, uint8_t out[static 32])
{
	int r = BH_ERR_WRONG_TYPE;

	if (json_is_integer(j)) {
		if (json_integer_value(j) >= 0) {
			bh_u256_from_u64((uint64_t)json_integer_value(j), out);
			return 0;
		}
		r = BH_ERR_RANGE;
	} else if (json_is_string(j)) {
		if ((r = bh_u256_from_str(json_string_value(j), out)) == 0)
			return 0;
	}
	bh_msg_set(msg, "tx field %s: expected a non-negative integer (JSON number, decimal or 0x hex "
		   "string)%s", name, r == BH_ERR_RANGE ? ", value out of range" : "");
	return r;
}

static int jnum64(const json_t *j, const char *name, struct bh_msg *msg, uint64_t *out)
{
	uint8_t w[32];
	int r;
	if ((r = jnum256(j, name, msg, w)) < 0)
		return r;
	if ((r = bh_u256_to_u64(w, out)) < 0)
		bh_msg_set(msg, "tx field %s: larger than 64 bits", name);
	return r;
}

static int jaddr(const json_t *j, const char *name, struct bh_msg *msg, uint8_t out[static 20])
{
	int r = BH_ERR_WRONG_TYPE;
	if (json_is_string(j) &&
	    (r = bh_eth_addr_parse(json_string_value(j), json_string_length(j), out)) == 0)
		return 0;
	bh_msg_set(msg, "tx field %s: %s", name,
		   r == BH_ERR_CHECKSUM ? "EIP-55 checksum mismatch" : "expected 0x and 40 hex digits");
	return r;
}

int bh_tx_from_json(const void *json, struct bh_tx *ret, struct bh_msg *msg)
{
	static const char *const common[] = { "type", "chainId", "nonce", "gasLimit", "to", "value",
					      "data" };
	static const char *const only2[] = { "maxPriorityFeePerGas", "maxFeePerGas", "accessList" };
	const json_t *j = json, *v;
	struct bh_tx tx;
	const char *key;
	int r = BH_ERR_FORMAT;

	memset(&tx, 0, sizeof(tx));
	if (!json_is_object(j)) {
		bh_msg_set(msg, "transaction: expected a JSON object");
		return BH_ERR_WRONG_TYPE;
	}
	tx.type = BH_TX_EIP1559;
	if ((v = json_object_get(j, "type"))) {
		if (!json_is_integer(v) || (json_integer_value(v) != 0 && json_integer_value(v) != 2)) {
			bh_msg_set(msg, "tx field type: expected 2 (EIP-1559) or 0 (legacy)");
			return BH_ERR_UNSUPPORTED;
		}
		tx.type = (uint8_t)json_integer_value(v);
	}
	json_object_foreach((json_t *)j, key, v) {
		bool known = false;
		for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
			known |= !strcmp(key, common[i]);
		for (size_t i = 0; i < sizeof(only2) / sizeof(only2[0]); i++)
			known |= tx.type == BH_TX_EIP1559 && !strcmp(key, only2[i]);
		known |= tx.type == BH_TX_LEGACY && !strcmp(key, "gasPrice");
		if (!known) {
			bh_msg_set(msg, "tx field %s: not a field of a type-%u transaction", key, tx.type);
			return BH_ERR_FORMAT;
		}
	}
	static const char *const req2[] = { "chainId", "nonce", "maxPriorityFeePerGas", "maxFeePerGas",
					    "gasLimit", "to" };
	static const char *const req0[] = { "chainId", "nonce", "gasPrice", "gasLimit", "to" };
	const char *const *req = tx.type == BH_TX_EIP1559 ? req2 : req0;
	size_t nreq = tx.type == BH_TX_EIP1559 ? 6 : 5;
	for (size_t i = 0; i < nreq; i++)
		if (!json_object_get(j, req[i])) {
			bh_msg_set(msg, "tx field %s: missing", req[i]);
			return BH_ERR_MISSING_KEY;
		}
	if ((r = jnum64(json_object_get(j, "chainId"), "chainId", msg, &tx.chain_id)) < 0 ||
	    (r = jnum64(json_object_get(j, "nonce"), "nonce", msg, &tx.nonce)) < 0 ||
	    (r = jnum64(json_object_get(j, "gasLimit"), "gasLimit", msg, &tx.gas_limit)) < 0)
		goto out;
	if (tx.type == BH_TX_EIP1559) {
		if ((r = jnum256(json_object_get(j, "maxPriorityFeePerGas"), "maxPriorityFeePerGas", msg,
				 tx.max_priority_fee)) < 0 ||
		    (r = jnum256(json_object_get(j, "maxFeePerGas"), "maxFeePerGas", msg, tx.max_fee)) < 0)
			goto out;
	} else if ((r = jnum256(json_object_get(j, "gasPrice"), "gasPrice", msg, tx.max_fee)) < 0) {
		goto out;
	}
	if ((v = json_object_get(j, "value")) && (r = jnum256(v, "value", msg, tx.value)) < 0)
		goto out;
	v = json_object_get(j, "to");
	if (!json_is_null(v)) {
		if ((r = jaddr(v, "to", msg, tx.to)) < 0)
			goto out;
		tx.has_to = true;
	}
	if ((v = json_object_get(j, "data"))) {
		const char *h = json_is_string(v) ? json_string_value(v) : "";
		if (!json_is_string(v) || h[0] != '0' || (h[1] != 'x' && h[1] != 'X') ||
		    (r = bh_hex_decode_alloc(h, BH_TX_MAX_RAW, &tx.data, &tx.data_len)) < 0) {
			bh_msg_set(msg, "tx field data: expected 0x-prefixed hex of at most %u bytes",
				   BH_TX_MAX_RAW);
			r = r < 0 ? r : BH_ERR_HEX;
			goto out;
		}
	}
	if ((v = json_object_get(j, "accessList"))) {
		size_t n = json_array_size(v), total = 0;
		if (!json_is_array(v)) {
			bh_msg_set(msg, "tx field accessList: expected an array");
			r = BH_ERR_WRONG_TYPE;
			goto out;
		}
		if (n > BH_TX_MAX_ACCESS || (n && !(tx.access = calloc(n, sizeof(*tx.access))))) {
			r = n ? -ENOMEM : BH_ERR_LIMIT;
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			const json_t *e = json_array_get(v, i), *ks = json_object_get(e, "storageKeys");
			struct bh_tx_access *a = &tx.access[i];
			tx.naccess = i + 1;
			if (!json_is_object(e) || json_object_size(e) != 2 || !json_is_array(ks)) {
				bh_msg_set(msg, "tx field accessList[%zu]: expected {\"address\", \"storageKeys\"}", i);
				r = BH_ERR_FORMAT;
				goto out;
			}
			if ((r = jaddr(json_object_get(e, "address"), "accessList.address", msg, a->address)) < 0)
				goto out;
			total += 1 + json_array_size(ks);
			if (total > BH_TX_MAX_ACCESS) {
				bh_msg_set(msg, "tx field accessList: more than %d entries", BH_TX_MAX_ACCESS);
				r = BH_ERR_LIMIT;
				goto out;
			}
			if (json_array_size(ks) && !(a->keys = calloc(json_array_size(ks), 32))) {
				r = -ENOMEM;
				goto out;
			}
			for (size_t k = 0; k < json_array_size(ks); k++) {
				const json_t *kj = json_array_get(ks, k);
				if (!json_is_string(kj) || (r = bh_hex_decode_exact(json_string_value(kj),
										  a->keys[k], 32)) < 0) {
					bh_msg_set(msg, "tx field accessList[%zu].storageKeys[%zu]: expected 32 "
						   "bytes of 0x hex", i, k);
					r = BH_ERR_FORMAT;
					goto out;
				}
				a->nkeys = k + 1;
			}
		}
	}
	/* what is accepted here must serialize within the raw cap the decoders apply, also
	 * once signed (v, r, s add at most TX_SIG_MAX bytes): issue 20, a request whose data
	 * was exactly the cap was accepted but its own serialization refused */
	{
		struct bh_buf b;
		bh_buf_init(&b, BH_TX_MAX_RAW + TX_SIG_MAX + 1024);
		r = bh_tx_serialize_unsigned(&tx, &b);
		size_t n = bh_buf_len(&b);
		bh_buf_done(&b);
		if (r < 0 || n + TX_SIG_MAX > BH_TX_MAX_RAW) {
			if (r < 0)
				bh_msg_set(msg, "tx: the transaction is over the %u-byte limit",
					   BH_TX_MAX_RAW);
			else
				bh_msg_set(msg, "tx: the transaction would be up to %zu bytes signed, "
					   "over the %u-byte limit", n + TX_SIG_MAX, BH_TX_MAX_RAW);
			r = BH_ERR_LIMIT;
			goto out;
		}
	}
	*ret = tx;
	memset(&tx, 0, sizeof(tx));
	r = 0;
out:
	bh_tx_clear(&tx);
	return r;
}

static json_t *decj(const uint8_t w[static 32])
{
	char s[79];
	bh_u256_to_dec(w, s);
	return json_string(s);
}

static json_t *u64j(uint64_t x)
{
	uint8_t w[32];
	bh_u256_from_u64(x, w);
	return decj(w);
}

void *bh_tx_to_json(const struct bh_tx *tx)
{
	json_t *o = json_object(), *al = json_array();
	uint8_t from[20], h[32];
	int bad = !o || !al;

	if (bad)
		goto fail;
	bad |= json_object_set_new(o, "type", json_integer(tx->type));
	bad |= json_object_set_new(o, "chainId", u64j(tx->chain_id));
	bad |= json_object_set_new(o, "nonce", u64j(tx->nonce));
	if (tx->type == BH_TX_EIP1559) {
		bad |= json_object_set_new(o, "maxPriorityFeePerGas", decj(tx->max_priority_fee));
		bad |= json_object_set_new(o, "maxFeePerGas", decj(tx->max_fee));
	} else {
		bad |= json_object_set_new(o, "gasPrice", decj(tx->max_fee));
	}
	bad |= json_object_set_new(o, "gasLimit", u64j(tx->gas_limit));
	bad |= json_object_set_new(o, "to", tx->has_to ? bh_json_hex(tx->to, 20) : json_null());
	bad |= json_object_set_new(o, "value", decj(tx->value));
	bad |= json_object_set_new(o, "data", bh_json_hex(tx->data, tx->data_len));
	if (tx->type == BH_TX_EIP1559) {
		for (size_t i = 0; i < tx->naccess; i++) {
			json_t *ks = json_array();
			for (size_t k = 0; ks && k < tx->access[i].nkeys; k++)
				bad |= json_array_append_new(ks, bh_json_hex(tx->access[i].keys[k], 32));
			bad |= json_array_append_new(al, json_pack("{s:o, s:o*}", "address",
								   bh_json_hex(tx->access[i].address, 20),
								   "storageKeys", ks));
		}
		bad |= json_object_set(o, "accessList", al);
	}
	if (tx->is_signed) {
		int r;
		bad |= json_object_set_new(o, "yParity", json_integer(tx->y_parity));
		if (tx->type == BH_TX_LEGACY)
			bad |= json_object_set_new(o, "v", u64j(tx->v));
		bad |= json_object_set_new(o, "r", bh_json_hex(tx->r, 32));
		bad |= json_object_set_new(o, "s", bh_json_hex(tx->s, 32));
		if ((r = bh_tx_recover_sender(tx, from)) == 0)
			bad |= json_object_set_new(o, "from", bh_json_hex(from, 20));
		else
			bad |= json_object_set_new(o, "error", json_string(bh_strerror(r)));
		if (bh_tx_hash(tx, h) == 0)
			bad |= json_object_set_new(o, "hash", bh_json_hex(h, 32));
	}
	if (bad)
		goto fail;
	json_decref(al);
	return o;
fail:
	json_decref(al);
	json_decref(o);
	return NULL;
}

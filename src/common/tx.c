/* SPDX-License-Identifier: MIT */
/* Ethereum transactions: EIP-1559 and legacy (see tx.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keccak.h"
#include "rlp.h"
#include "secp.h"
#include "tx.h"

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
			bh_rlp_set_uint64(&f[n++], tx->v);
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

int bh_tx_sign(struct bh_tx *tx, const uint8_t priv[static 32])
{
	uint8_t h[32], sig[65];
	int r;

	if (tx->type == BH_TX_LEGACY && tx->chain_id > (UINT64_MAX - 36) / 2)
		return BH_ERR_RANGE;
	if ((r = bh_tx_signing_hash(tx, h)) < 0)
		return r;
	if ((r = bh_secp_sign(priv, h, sig)) < 0)
		return r;
	memcpy(tx->r, sig, 32);
	memcpy(tx->s, sig + 32, 32);
	tx->y_parity = sig[64];
	if (tx->type == BH_TX_LEGACY)
		tx->v = tx->chain_id ? tx->chain_id * 2 + 35 + sig[64] : 27u + sig[64];
	tx->is_signed = true;
	explicit_bzero(sig, sizeof(sig));
	return 0;
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
		if ((r = bh_rlp_decode(raw, len, msg, &l)) < 0)
			goto out;
		r = decode_legacy(l, msg, &tx);
	} else if (raw[0] == BH_TX_EIP1559) {
		if ((r = bh_rlp_decode(raw + 1, len - 1, msg, &l)) < 0)
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

int bh_tx_decode(const uint8_t *raw, size_t len, struct bh_msg *msg, struct bh_tx *ret)
{
	return decode(raw, len, true, msg, ret);
}

int bh_tx_decode_unsigned(const uint8_t *raw, size_t len, struct bh_msg *msg, struct bh_tx *ret)
{
	return decode(raw, len, false, msg, ret);
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the raw transaction decoders (signed type 2 / legacy, unsigned type 2).
 * Invariant: an accepted transaction re-serializes to exactly the input; sender
 * recovery never crashes whatever the signature values.  An input starting with '{'
 * goes through the JSON signing-request parser (bh_tx_from_json) instead: what it
 * accepts must serialize, decode back, and give the same JSON; signed with a fixed key it
 * must serialize, decode to the same JSON (signature, sender and hash included) and
 * recover that key's address.  A decoded signed transaction's own signature re-attaches
 * to its unsigned copy; a flipped recovery id never attaches as the same sender.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "eth/eth.h"
#include "eth/tx.h"

static const uint8_t key[32] = { [0 ... 31] = 0x42 };

/* tx (unsigned, from JSON): sign, serialize, decode, compare */
static void check_signed(struct bh_tx *tx)
{
	uint8_t from[20], addr[20], h1[32], h2[32];
	struct bh_buf raw;
	struct bh_tx back;
	/* unsigned: no raw form, hash or sender; an unknown type never serializes */
	bh_buf_init(&raw, 64);
	(void)bh_buf_put_u8(&raw, 0xa5);
	struct bh_tx other = *tx;
	other.type = 1;
	if (bh_tx_serialize(tx, &raw) != BH_ERR_STATE || bh_tx_hash(tx, h1) != BH_ERR_STATE ||
	    bh_tx_recover_sender(tx, addr) != BH_ERR_STATE ||
	    bh_tx_serialize_unsigned(&other, &raw) != BH_ERR_UNSUPPORTED || bh_buf_len(&raw) != 1)
		abort();
	bh_buf_done(&raw);
	int r = bh_tx_sign(tx, key);
	if (r < 0) {
		/* only a legacy chain id too large for v is refused */
		if (r != BH_ERR_RANGE || tx->type != BH_TX_LEGACY || tx->is_signed)
			abort();
		return;
	}
	if (!tx->is_signed || bh_eth_address_from_priv(key, from) < 0)
		abort();
	bh_buf_init(&raw, BH_TX_MAX_RAW + 1024);
	if (bh_tx_serialize(tx, &raw) < 0) {
		/* the JSON parser refuses what cannot be signed within the raw cap */
		abort();
	}
	if (bh_tx_decode(bh_buf_ptr(&raw), bh_buf_len(&raw), &back, NULL) < 0 ||
	    bh_tx_recover_sender(&back, addr) < 0 || memcmp(addr, from, 20) ||
	    bh_tx_hash(tx, h1) < 0 || bh_tx_hash(&back, h2) < 0 || memcmp(h1, h2, 32))
		abort();
	json_t *a = bh_tx_to_json(tx), *b = bh_tx_to_json(&back);
	if (!a || !b || !json_equal(a, b) || !json_object_get(a, "from") || !json_object_get(a, "hash"))
		abort();
	json_decref(a);
	json_decref(b);
	bh_tx_clear(&back);
	bh_buf_done(&raw);
}

/* tx decoded signed: its signature attaches again to the unsigned copy, to the same sender */
static void check_reattach(const struct bh_tx *tx)
{
	uint8_t sig[65], from[20], again[20];
	struct bh_tx u = *tx;
	if (bh_tx_recover_sender(tx, from) < 0)
		return;
	memcpy(sig, tx->r, 32);
	memcpy(sig + 32, tx->s, 32);
	sig[64] = tx->y_parity;
	u.is_signed = false;
	memset(u.r, 0, 32);
	memset(u.s, 0, 32);
	if (bh_tx_attach_signature(&u, sig) < 0 || !u.is_signed ||
	    bh_tx_recover_sender(&u, again) < 0 || memcmp(again, from, 20))
		abort();
	u.is_signed = false;
	if (bh_tx_attach_signature_from(&u, sig, from) < 0 || !u.is_signed)
		abort();
	u.is_signed = false;
	sig[64] ^= 1;
	int r = bh_tx_attach_signature_from(&u, sig, from);
	if (r == 0 || u.is_signed)
		abort();  /* the other recovery id is another key */
	json_t *j = bh_tx_to_json(tx);
	if (!j || !json_object_get(j, "from"))
		abort();
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_tx tx;
	struct bh_buf out;
	uint8_t addr[20], h[32];

	bh_buf_init(&out, BH_TX_MAX_RAW + 1024);
	if (size && data[0] == '{') {
		json_error_t je;
		json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
		struct bh_tx back;
		if (j && bh_tx_from_json(j, &tx, NULL) == 0) {
			json_t *a = bh_tx_to_json(&tx), *b = NULL;
			if (bh_tx_serialize_unsigned(&tx, &out) < 0 || bh_tx_signing_hash(&tx, h) < 0)
				abort();
			if (tx.type == BH_TX_EIP1559) {
				if (bh_tx_decode_unsigned(bh_buf_ptr(&out), bh_buf_len(&out), &back, NULL) < 0)
					abort();
				b = bh_tx_to_json(&back);
				if (!a || !b || !json_equal(a, b))
					abort();
				bh_tx_clear(&back);
			}
			json_decref(a);
			json_decref(b);
			check_signed(&tx);
			bh_tx_clear(&tx);
		}
		json_decref(j);
		bh_buf_done(&out);
		return 0;
	}
	if (bh_tx_decode(data, size, &tx, NULL) == 0) {
		if (bh_tx_serialize(&tx, &out) < 0 || bh_buf_len(&out) != size ||
		    memcmp(bh_buf_ptr(&out), data, size))
			abort();
		if (bh_tx_recover_sender(&tx, addr) == 0 && !tx.is_signed)
			abort();
		if (bh_tx_hash(&tx, h) < 0)
			abort();
		check_reattach(&tx);
		bh_tx_clear(&tx);
	}
	bh_buf_reset(&out);
	if (bh_tx_decode_unsigned(data, size, &tx, NULL) == 0) {
		if (bh_tx_serialize_unsigned(&tx, &out) < 0 || bh_buf_len(&out) != size ||
		    memcmp(bh_buf_ptr(&out), data, size))
			abort();
		if (bh_tx_signing_hash(&tx, h) < 0)
			abort();
		bh_tx_clear(&tx);
	}
	bh_buf_done(&out);
	return 0;
}

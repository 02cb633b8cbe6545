/* SPDX-License-Identifier: MIT */
/* Block header fields from JSON, RLP and hash (see header.h). */
#include <string.h>

#include "eth/header.h"
#include "eth/keccak.h"
#include "eth/proof-int.h"
#include "eth/rlp.h"

static const char *const opt_names[BH_HEADER_OPT_FIELDS] = {
	"baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas",
	"parentBeaconBlockRoot", "requestsHash",
};

const char *bh_header_opt_name(unsigned i)
{
	return i < BH_HEADER_OPT_FIELDS ? opt_names[i] : NULL;
}

static int opt_field(const json_t *o, unsigned i, struct bh_header *h, struct bh_msg *msg)
{
	const char *k = opt_names[i];
	switch (i) {
	case 0: return bh_proof_q256(o, k, h->base_fee, msg);
	case 1: return bh_proof_fixed(o, k, h->withdrawals_root, 32, msg);
	case 2: return bh_proof_q64(o, k, &h->blob_gas_used, msg);
	case 3: return bh_proof_q64(o, k, &h->excess_blob_gas, msg);
	case 4: return bh_proof_fixed(o, k, h->parent_beacon_root, 32, msg);
	case 5: return bh_proof_fixed(o, k, h->requests_hash, 32, msg);
	}
	return BH_ERR_INTERNAL;
}

int bh_header_from_json(const json_t *o, struct bh_header *ret, struct bh_msg *msg)
{
	static struct bh_header zero;
	struct bh_header h = zero;
	const json_t *ev;
	const char *hex;
	size_t n;
	int r;

	if (!json_is_object(o)) {
		bh_msg_set(msg, "block must be an object, got %s", bh_json_type_name(o));
		return BH_ERR_WRONG_TYPE;
	}
	if ((r = bh_proof_fixed(o, "parentHash", h.parent_hash, 32, msg)) < 0 ||
	    (r = bh_proof_fixed(o, "sha3Uncles", h.uncles_hash, 32, msg)) < 0 ||
	    (r = bh_proof_fixed(o, "miner", h.miner, 20, msg)) < 0 ||
	    (r = bh_proof_fixed(o, "stateRoot", h.state_root, 32, msg)) < 0 ||
	    (r = bh_proof_fixed(o, "transactionsRoot", h.transactions_root, 32, msg)) < 0 ||
	    (r = bh_proof_fixed(o, "receiptsRoot", h.receipts_root, 32, msg)) < 0 ||
	    (r = bh_proof_fixed_big(o, "logsBloom", h.logs_bloom, 256, msg)) < 0 ||
	    (r = bh_proof_q256(o, "difficulty", h.difficulty, msg)) < 0 ||
	    (r = bh_proof_q64(o, "number", &h.number, msg)) < 0 ||
	    (r = bh_proof_q64(o, "gasLimit", &h.gas_limit, msg)) < 0 ||
	    (r = bh_proof_q64(o, "gasUsed", &h.gas_used, msg)) < 0 ||
	    (r = bh_proof_q64(o, "timestamp", &h.timestamp, msg)) < 0 ||
	    (r = bh_proof_field(o, "extraData", true, &ev, msg)) < 0 ||
	    (r = bh_proof_named(bh_proof_hexstr(ev, &hex, &n, msg), "extraData", msg)) < 0)
		goto fail;
	if (n > BH_HEADER_MAX_EXTRA) {
		bh_msg_set(msg, "\"extraData\": %zu bytes, more than %u", n, BH_HEADER_MAX_EXTRA);
		r = BH_ERR_LIMIT;
		goto fail;
	}
	if ((r = bh_proof_unhex(hex, n, h.extra)) < 0) {
		bh_msg_set(msg, "\"extraData\": data is not hex");
		goto fail;
	}
	h.extra_len = n;
	if ((r = bh_proof_fixed(o, "mixHash", h.mix_hash, 32, msg)) < 0 ||
	    (r = bh_proof_fixed(o, "nonce", h.nonce, 8, msg)) < 0)
		goto fail;
	/* the fork fields: a prefix of the list, nothing after the first absent one */
	for (unsigned i = 0; i < BH_HEADER_OPT_FIELDS; i++) {
		const json_t *v;
		(void)bh_proof_field(o, opt_names[i], false, &v, NULL);
		if (!v)
			continue;
		if (h.nopt != i) {
			bh_msg_set(msg, "\"%s\" is present but \"%s\" (an earlier fork's field) is not",
				   opt_names[i], opt_names[h.nopt]);
			r = BH_ERR_FORMAT;
			goto fail;
		}
		if ((r = opt_field(o, i, &h, msg)) < 0)
			goto fail;
		h.nopt = i + 1;
	}
	*ret = h;
	return 0;
fail:
	bh_proof_prefix(msg, "block");
	return r;
}

int bh_header_encode(const struct bh_header *h, struct bh_buf *out)
{
	struct bh_rlp_item it[15 + BH_HEADER_OPT_FIELDS], list;
	size_t n = 0;

	if (h->nopt > BH_HEADER_OPT_FIELDS || h->extra_len > BH_HEADER_MAX_EXTRA)
		return BH_ERR_INTERNAL;
	bh_rlp_set_bytes(&it[n++], h->parent_hash, 32);
	bh_rlp_set_bytes(&it[n++], h->uncles_hash, 32);
	bh_rlp_set_bytes(&it[n++], h->miner, 20);
	bh_rlp_set_bytes(&it[n++], h->state_root, 32);
	bh_rlp_set_bytes(&it[n++], h->transactions_root, 32);
	bh_rlp_set_bytes(&it[n++], h->receipts_root, 32);
	bh_rlp_set_bytes(&it[n++], h->logs_bloom, 256);
	bh_rlp_set_u256(&it[n++], h->difficulty);
	bh_rlp_set_uint64(&it[n++], h->number);
	bh_rlp_set_uint64(&it[n++], h->gas_limit);
	bh_rlp_set_uint64(&it[n++], h->gas_used);
	bh_rlp_set_uint64(&it[n++], h->timestamp);
	bh_rlp_set_bytes(&it[n++], h->extra, h->extra_len);
	bh_rlp_set_bytes(&it[n++], h->mix_hash, 32);
	bh_rlp_set_bytes(&it[n++], h->nonce, 8);
	if (h->nopt > 0)
		bh_rlp_set_u256(&it[n++], h->base_fee);
	if (h->nopt > 1)
		bh_rlp_set_bytes(&it[n++], h->withdrawals_root, 32);
	if (h->nopt > 2)
		bh_rlp_set_uint64(&it[n++], h->blob_gas_used);
	if (h->nopt > 3)
		bh_rlp_set_uint64(&it[n++], h->excess_blob_gas);
	if (h->nopt > 4)
		bh_rlp_set_bytes(&it[n++], h->parent_beacon_root, 32);
	if (h->nopt > 5)
		bh_rlp_set_bytes(&it[n++], h->requests_hash, 32);
	bh_rlp_set_list(&list, it, n);
	return bh_rlp_encode(&list, out);
}

int bh_header_hash(const struct bh_header *h, uint8_t ret[static 32])
{
	struct bh_buf b;
	int r;

	bh_buf_init(&b, BH_HEADER_MAX_RLP);
	if ((r = bh_header_encode(h, &b)) == 0)
		bh_keccak256(bh_buf_ptr(&b), bh_buf_len(&b), ret);
	bh_buf_done(&b);
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * Minting the access credential (src/engine/chain.h eng_mint).
 */
#include <string.h>

#include "eth/events.h"
#include "chain.h"

int eng_mint_calldata(const uint8_t owner[static 20], const uint8_t *ue, size_t len,
		      struct bh_buf *out, struct bh_msg *msg)
{
	struct bh_abi_sig *sig = NULL;
	struct bh_abi_value args;
	int r;

	memset(&args, 0, sizeof(args));
	if ((r = bh_abi_sig_parse("mint(address,bytes)", &sig, msg)) < 0)
		return r;
	if ((r = bh_abi_value_list(&args, BH_ABI_TUPLE, 2)) == 0) {
		bh_abi_value_address(&args.u.list.items[0], owner);
		if ((r = bh_abi_value_bytes(&args.u.list.items[1], ue ? ue : (const uint8_t *)"", len)) == 0)
			r = bh_abi_encode_call(sig, &args, out, msg);
	}
	bh_abi_value_clear(&args);
	bh_abi_sig_free(sig);
	return r;
}

int eng_token_from_receipt(const struct bh_rpc_receipt *rc, const uint8_t nft[static 20],
			   const uint8_t owner[static 20], uint64_t *ret, struct bh_msg *msg)
{
	uint64_t token = 0;
	size_t found = 0;

	for (size_t i = 0; i < rc->logs.n; i++) {
		const struct bh_log *l = &rc->logs.v[i].log;
		struct bh_event ev;
		if (memcmp(l->address, nft, 20) != 0 || l->ntopics == 0 ||
		    memcmp(l->topics[0], bh_event_topic(BH_EV_CREDENTIAL_MINTED), 32) != 0)
			continue;
		if (bh_event_decode(l, &ev, msg) < 0)
			return BH_ERR_PEER;
		if (memcmp(ev.credential_minted.recipient, owner, 20) == 0) {
			token = ev.credential_minted.token_id;
			found++;
		}
		bh_event_clear(&ev);
	}
	if (found != 1) {
		bh_msg_set(msg, "the mint receipt has %zu CredentialMinted logs for the owner, expected 1",
			   found);
		return found ? BH_ERR_DUPLICATE : BH_ERR_NOT_FOUND;
	}
	*ret = token;
	return 0;
}

int eng_mint(struct eng_wallet *w, const uint8_t nft[static 20], const uint8_t owner[static 20],
	     const uint8_t *user_encrypted, size_t len, uint64_t *ret_token, uint8_t ret_tx[static 32],
	     struct bh_msg *msg)
{
	struct bh_buf data;
	struct bh_rpc_receipt rc;
	uint64_t token;
	int r;

	memset(&rc, 0, sizeof(rc));
	bh_buf_init(&data, BH_EVENT_MAX_BYTES + 1024);
	if ((r = eng_mint_calldata(owner, user_encrypted, len, &data, msg)) < 0)
		goto out;
	if ((r = bh_txsend_send(&w->tx, "mint", nft, NULL, bh_buf_ptr(&data), bh_buf_len(&data),
				&rc, msg)) < 0)
		goto out;
	if ((r = eng_token_from_receipt(&rc, nft, owner, &token, msg)) < 0)
		goto out;
	*ret_token = token;
	memcpy(ret_tx, rc.tx_hash, 32);
	r = 0;
out:
	bh_rpc_receipt_clear(&rc);
	bh_buf_done(&data);
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * Transactions from the host wallet through the keystore (host/txsend.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

#include "core/deadline.h"
#include "core/hex.h"
#include "eth/keccak.h"
#include "eth/tx.h"
#include "eth/u256.h"
#include "host/txsend.h"

#define MAX_HASHES 16

int bh_txsend_init(struct bh_txsend *s, struct bh_rpc *rpc, const struct bh_keystore_client *ks,
		   uint64_t expect_chain_id, struct bh_msg *msg)
{
	struct bh_txsend t;
	int r;

	memset(&t, 0, sizeof(t));
	t.rpc = rpc;
	t.ks = ks;
	t.receipt_timeout_ms = 120000;
	t.poll_ms = 200;
	t.replace_after_ms = 30000;
	t.bump_pct = 25;
	if ((r = bh_rpc_chain_id(rpc, &t.chain_id, msg)) < 0)
		return r;
	if (expect_chain_id && t.chain_id != expect_chain_id) {
		bh_msg_set(msg, "the RPC endpoint is chain %llu, expected %llu",
			   (unsigned long long)t.chain_id, (unsigned long long)expect_chain_id);
		return BH_ERR_MISMATCH;
	}
	if ((r = bh_keystore_address(ks, t.from, msg)) < 0)
		return r;
	*s = t;
	return 0;
}

void bh_txsend_describe_revert(const struct bh_txsend *s, const uint8_t *data, size_t len,
			       char *out, size_t outlen)
{
	struct bh_abi_revert rv;
	if (bh_abi_decode_revert(data, len, s->errors, s->nerrors, &rv, NULL) == 0) {
		snprintf(out, outlen, "%s", rv.text);
		bh_abi_revert_clear(&rv);
	} else {
		snprintf(out, outlen, "undecodable revert data (%zu bytes)", len);
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* A revert reported by the provider: describe it with our errors. */
static int revert_msg(const struct bh_txsend *s, const char *what, const char *stage,
		      struct bh_msg *msg)
{
	const struct bh_rpc_error *e = bh_rpc_last_error(s->rpc);
	char text[300];
	if (e->data_len)
		bh_txsend_describe_revert(s, e->data, e->data_len, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "%s", e->message);
	bh_msg_set(msg, "%s: reverted at %s: %s", what, stage, text);
	return BH_ERR_REVERT;
}

/* fee * (100 + pct) / 100, at least fee + 1. */
static int bump(uint8_t fee[static 32], unsigned pct)
{
	uint8_t t[32], q[32];
	int r;
	if ((r = bh_u256_mul_u64(fee, 100 + pct, t)) < 0)
		return r;
	/* divide by 100: schoolbook on bytes */
	unsigned rem = 0;
	for (int i = 0; i < 32; i++) {
		unsigned cur = (rem << 8) | t[i];
		q[i] = (uint8_t)(cur / 100);
		rem = cur % 100;
	}
	if (bh_u256_cmp(q, fee) <= 0) {
		uint8_t one[32];
		bh_u256_from_u64(1, one);
		if ((r = bh_u256_add(fee, one, q)) < 0)
			return r;
	}
	memcpy(fee, q, 32);
	return 0;
}

/* Sign through the keystore and check what came back is what we asked for. */
static int sign(const struct bh_txsend *s, const struct bh_keystore_tx *kt, struct bh_buf *raw,
		uint8_t hash[static 32], struct bh_msg *msg)
{
	struct bh_tx tx;
	uint8_t sender[20], h[32];
	int r;

	memset(&tx, 0, sizeof(tx));
	bh_buf_reset(raw);
	if ((r = bh_keystore_sign_tx(s->ks, kt, raw, h, msg)) < 0)
		return r;
	if ((r = bh_tx_decode(bh_buf_ptr(raw), bh_buf_len(raw), &tx, msg)) < 0)
		goto out;
	r = BH_ERR_PEER;
	if (tx.type != BH_TX_EIP1559 || tx.chain_id != kt->chain_id || tx.nonce != kt->nonce ||
	    tx.gas_limit != kt->gas_limit || !!tx.has_to != !!kt->has_to ||
	    (kt->has_to && memcmp(tx.to, kt->to, 20) != 0) || memcmp(tx.value, kt->value, 32) ||
	    memcmp(tx.max_fee, kt->max_fee, 32) || memcmp(tx.max_priority_fee, kt->max_priority_fee, 32) ||
	    tx.data_len != kt->data_len || (kt->data_len && memcmp(tx.data, kt->data, kt->data_len))) {
		bh_msg_set(msg, "the keystore signed different fields than requested");
		goto out;
	}
	if ((r = bh_tx_recover_sender(&tx, sender)) < 0 || memcmp(sender, s->from, 20) != 0) {
		bh_msg_set(msg, "the keystore's signature does not recover to its address");
		r = BH_ERR_SIGNATURE;
		goto out;
	}
	memcpy(hash, h, 32);
	r = 0;
out:
	bh_tx_clear(&tx);
	return r;
}

int bh_txsend_send(struct bh_txsend *s, const char *what, const uint8_t *to,
		   const uint8_t *value, const uint8_t *data, size_t len,
		   struct bh_rpc_receipt *ret, struct bh_msg *msg)
{
	struct bh_keystore_tx kt;
	struct bh_rpc_block blk;
	struct bh_buf raw;
	struct bh_msg m = { "" };
	uint8_t hashes[MAX_HASHES][32], zero[32] = { 0 };
	size_t nhashes = 0;
	uint64_t pending, gas;
	int r;
	unsigned resyncs = 0;

	bh_buf_init(&raw, BH_TX_MAX_RAW);
	memset(&kt, 0, sizeof(kt));
	kt.chain_id = s->chain_id;
	if (value)
		memcpy(kt.value, value, 32);
	kt.has_to = to != NULL;
	if (to)
		memcpy(kt.to, to, 20);
	kt.data = data;
	kt.data_len = len;

	if ((r = bh_rpc_estimate_gas(s->rpc, s->from, to, value ? value : zero, data, len, &gas,
				     &m)) < 0) {
		if (r == BH_ERR_REVERT)
			r = revert_msg(s, what, "gas estimate", msg);
		else
			bh_msg_set(msg, "%s: %s", what, m.text);
		goto out;
	}
	kt.gas_limit = gas + gas / 5;
	if ((r = bh_rpc_get_block(s->rpc, 0, "latest", &blk, &m)) < 0) {
		bh_msg_set(msg, "%s: %s", what, m.text);
		goto out;
	}
	if (bh_rpc_max_priority_fee(s->rpc, kt.max_priority_fee, NULL) < 0)
		bh_u256_from_u64(1000000000u, kt.max_priority_fee);
	if (!blk.has_base_fee) {
		bh_msg_set(msg, "%s: the chain has no EIP-1559 base fee", what);
		r = BH_ERR_UNSUPPORTED;
		goto out;
	}
	if ((r = bh_u256_add(blk.base_fee, blk.base_fee, kt.max_fee)) < 0 ||
	    (r = bh_u256_add(kt.max_fee, kt.max_priority_fee, kt.max_fee)) < 0)
		goto out;

again:
	if ((r = bh_rpc_get_transaction_count(s->rpc, s->from, "pending", &pending, &m)) < 0) {
		bh_msg_set(msg, "%s: %s", what, m.text);
		goto out;
	}
	kt.nonce = s->have_nonce && s->next_nonce > pending ? s->next_nonce : pending;
	if ((r = sign(s, &kt, &raw, hashes[0], msg)) < 0)
		goto out;
	if (s->on_signed && (r = s->on_signed(s->on_signed_ud, kt.nonce, bh_buf_ptr(&raw),
					      bh_buf_len(&raw), hashes[0])) < 0) {
		bh_msg_set(msg, "%s: could not journal the signed transaction: %s", what,
			   bh_strerror(r));
		goto out;
	}
	{
		uint8_t h0[32];
		memcpy(h0, hashes[0], 32);   /* our hash, whatever the reply */
		r = bh_rpc_send_raw(s->rpc, bh_buf_ptr(&raw), bh_buf_len(&raw), hashes[0], &m);
		memcpy(hashes[0], h0, 32);
	}
	if (r < 0) {
		const struct bh_rpc_error *e = bh_rpc_last_error(s->rpc);
		struct bh_rpc_receipt rc0;
		/*
		 * The transaction may have arrived even though the reply did not (a dropped
		 * connection, a timeout, a retried send answered "already known" or, once
		 * mined, "nonce too low").  Signing another one with a new nonce could do the
		 * work twice, so: no reply, or "already known": wait for this one (the
		 * replacement below re-sends it if it never arrived); "nonce too low": ours if
		 * it has a receipt, else someone else took the nonce and a new one is safe.
		 */
		if (!e->has_code || strcasestr(e->message, "already known") ||
		    strcasestr(e->message, "known transaction")) {
			r = 0;
		} else if (strcasestr(e->message, "nonce")) {
			if (bh_rpc_get_receipt(s->rpc, hashes[0], &rc0, NULL) == 0) {
				bh_rpc_receipt_clear(&rc0);
				r = 0;
			} else if (resyncs++ < 8) {
				/* another sender of this wallet took it (another process): take the
				 * next one, after a short random pause so racing senders spread out */
				uint8_t j = 0;
				if (getrandom(&j, 1, 0) != 1)
					j = 0;
				sleep_ms(20 + j);
				s->have_nonce = false;
				goto again;
			}
		}
		if (r < 0) {
			bh_msg_set(msg, "%s: %s", what, m.text);
			goto out;
		}
	}
	nhashes = 1;
	s->sent++;
	s->have_nonce = true;
	s->next_nonce = kt.nonce + 1;

	int64_t deadline = bh_deadline_from_ms(s->receipt_timeout_ms);
	int64_t replace_at = bh_deadline_from_ms(s->replace_after_ms);
	for (;;) {
		for (size_t i = 0; i < nhashes; i++) {
			struct bh_rpc_receipt rc;
			r = bh_rpc_get_receipt(s->rpc, hashes[i], &rc, &m);
			if (r == BH_ERR_NOT_FOUND)
				continue;
			if (r < 0) {
				bh_msg_set(msg, "%s: %s", what, m.text);
				goto out;
			}
			if (!rc.status) {
				/* replay to learn why (the state may have moved on; best effort) */
				struct bh_buf outb;
				bh_buf_init(&outb, 4096);
				int cr = to ? bh_rpc_eth_call(s->rpc, s->from, to, data, len, &outb, NULL) : 0;
				bh_buf_done(&outb);
				bh_rpc_receipt_clear(&rc);
				if (cr == BH_ERR_REVERT)
					r = revert_msg(s, what, "execution", msg);
				else {
					bh_msg_set(msg, "%s: reverted (status 0) in block %llu", what,
						   (unsigned long long)rc.block_number);
					r = BH_ERR_REVERT;
				}
				goto out;
			}
			*ret = rc;
			r = 0;
			goto out;
		}
		if (bh_deadline_left(deadline) == 0) {
			bh_msg_set(msg, "%s: no receipt within %d ms (nonce %llu)", what,
				   s->receipt_timeout_ms, (unsigned long long)kt.nonce);
			r = BH_ERR_TIMEOUT;
			goto out;
		}
		if (bh_deadline_left(replace_at) == 0 && nhashes < MAX_HASHES) {
			/* stuck: the same nonce again with higher fees */
			uint8_t h[32];
			if ((r = bump(kt.max_priority_fee, s->bump_pct)) < 0 ||
			    (r = bump(kt.max_fee, s->bump_pct)) < 0)
				goto out;
			if ((r = sign(s, &kt, &raw, h, msg)) < 0)
				goto out;
			if (s->on_signed && (r = s->on_signed(s->on_signed_ud, kt.nonce,
							      bh_buf_ptr(&raw), bh_buf_len(&raw), h)) < 0) {
				bh_msg_set(msg, "%s: could not journal the replacement: %s", what,
					   bh_strerror(r));
				goto out;
			}
			if (bh_rpc_send_raw(s->rpc, bh_buf_ptr(&raw), bh_buf_len(&raw), h, &m) == 0) {
				memcpy(hashes[nhashes++], h, 32);
				s->replacements++;
			}
			/* a refusal ("already known", "nonce too low": the first one was mined)
			 * is fine: the receipts loop finds whichever was mined */
			replace_at = bh_deadline_from_ms(s->replace_after_ms);
		}
		sleep_ms(s->poll_ms);
	}
out:
	bh_buf_done(&raw);
	return r;
}

int bh_txsend_resume(struct bh_txsend *s, const char *what, uint64_t nonce,
		     const uint8_t *const *raw, const size_t *len, size_t n,
		     struct bh_rpc_receipt *ret, struct bh_msg *msg)
{
	uint8_t hashes[MAX_HASHES][32];
	struct bh_msg m = { "" };
	int r;

	if (n == 0 || n > MAX_HASHES)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		uint8_t h[32];
		bh_keccak256(raw[i], len[i], hashes[i]);
		/* the same bytes again: "already known" / "nonce too low" are expected */
		(void)bh_rpc_send_raw(s->rpc, raw[i], len[i], h, NULL);
	}
	int64_t deadline = bh_deadline_from_ms(s->receipt_timeout_ms);
	for (;;) {
		for (size_t i = 0; i < n; i++) {
			struct bh_rpc_receipt rc;
			r = bh_rpc_get_receipt(s->rpc, hashes[i], &rc, &m);
			if (r == BH_ERR_NOT_FOUND)
				continue;
			if (r < 0) {
				bh_msg_set(msg, "%s: %s", what, m.text);
				return r;
			}
			if (!rc.status) {
				bh_msg_set(msg, "%s: reverted (status 0) in block %llu", what,
					   (unsigned long long)rc.block_number);
				bh_rpc_receipt_clear(&rc);
				return BH_ERR_REVERT;
			}
			*ret = rc;
			return 0;
		}
		uint64_t mined;
		if ((r = bh_rpc_get_transaction_count(s->rpc, s->from, "latest", &mined, &m)) < 0) {
			bh_msg_set(msg, "%s: %s", what, m.text);
			return r;
		}
		if (mined > nonce) {
			/* the nonce is used; check once more that it was not by one of ours (a
			 * receipt may appear between the two queries) */
			for (size_t i = 0; i < n; i++) {
				struct bh_rpc_receipt rc;
				if (bh_rpc_get_receipt(s->rpc, hashes[i], &rc, NULL) == 0) {
					if (!rc.status) {
						bh_rpc_receipt_clear(&rc);
						bh_msg_set(msg, "%s: reverted (status 0)", what);
						return BH_ERR_REVERT;
					}
					*ret = rc;
					return 0;
				}
			}
			bh_msg_set(msg, "%s: nonce %llu was used by another transaction: never mined",
				   what, (unsigned long long)nonce);
			return BH_ERR_NOT_FOUND;
		}
		if (bh_deadline_left(deadline) == 0) {
			bh_msg_set(msg, "%s: still pending (nonce %llu)", what, (unsigned long long)nonce);
			return BH_ERR_TIMEOUT;
		}
		sleep_ms(s->poll_ms);
	}
}

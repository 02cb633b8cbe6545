/* SPDX-License-Identifier: MIT */
/*
 * The engine's ingest: one round reads confirmed blocks' logs in adaptive chunks, checks
 * parent hashes (reorgs rewind the cursor and forget unconfirmed work), journals each
 * event by (block hash, tx hash, log index) and subscription id, then moves the cursor
 * (docs/engine.md "Ingest").
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "core/atomicio.h"
#include "core/file.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/path.h"
#include "core/strutil.h"
#include "eth/eth.h"
#include "eth/events.h"
#include "host/config.h"
#include "sandbox/sandbox.h"
#include "engine.h"
#include "spawner.h"
#include "quorum.h"

/* ---------------------------------------------------------------- journal of logs */
/* One decoded log of the subscription contract; e->lock held. */
static int journal_event(struct eng *e, const struct bh_rpc_log *l, const struct bh_event *ev)
{
	char key[160];
	struct bh_msg m = { "" };
	uint64_t id;
	json_t *rec;
	int r;

	eng_log_key(l->block_hash, l->tx_hash, l->log_index, key);
	switch (ev->kind) {
	case BH_EV_SUBSCRIPTION_CREATED: id = ev->subscription_created.subscription_id; break;
	case BH_EV_SUBSCRIPTION_EXTENDED: id = ev->subscription_extended.subscription_id; break;
	case BH_EV_SUBSCRIPTION_CANCELLED: id = ev->subscription_cancelled.subscription_id; break;
	default: return 0;
	}
	if (id == 0)
		return 0;
	struct eng_item *it = eng_find_item(e, id);
	rec = it ? it->rec : NULL;
	if (rec && eng_sub_has_key(rec, key))
		return 0;   /* seen before: a re-read range after a restart */
	if (ev->kind == BH_EV_SUBSCRIPTION_CREATED) {
		const struct bh_ev_subscription_created *c = &ev->subscription_created;
		uint64_t exp;
		if (it && it->busy)
			return -EAGAIN;   /* a worker holds the old record: read this range again later */
		if (rec && eng_sub_state(rec) != ENG_EXTERNAL && eng_sub_state(rec) != ENG_REVERTED) {
			bh_log(LOG_WARNING, "subscription %llu created again at %s: ignored (journal has "
			       "it from another log)", (unsigned long long)id, key);
			return 0;
		}
		if (bh_u256_to_u64(c->expires_at.be, &exp) < 0 || exp > INT64_MAX)
			exp = INT64_MAX;
		json_t *n = eng_new_record(id, ENG_SEEN);
		if (!n)
			return -ENOMEM;
		if (rec)   /* ops journaled before we saw the purchase (cannot happen in order) */
			json_object_set(n, "ops", json_object_get(rec, "ops"));
		json_object_set_new(n, "event", json_pack("{s:I, s:o, s:o, s:I}", "block",
			(json_int_t)l->block_number, "block_hash", bh_json_hex(l->block_hash, 32),
			"tx", bh_json_hex(l->tx_hash, 32), "log_index", (json_int_t)l->log_index));
		json_object_set_new(n, "subscriber", bh_json_hex(c->subscriber, 20));
		json_object_set_new(n, "plan_id", json_integer((json_int_t)c->plan_id));
		json_object_set_new(n, "expires_at", json_integer((json_int_t)exp));
		json_object_set_new(n, "user_encrypted", bh_json_hex(bh_buf_ptr(&c->user_encrypted),
								     bh_buf_len(&c->user_encrypted)));
		if ((r = eng_batch_add(&e->jbatch, n, &m)) < 0) {
			bh_log(LOG_ERR, "journal: %s", m.text);
			json_decref(n);
			return r;
		}
		bh_log(LOG_INFO, "subscription %llu: SubscriptionCreated in block %llu, journaled",
		       (unsigned long long)id, (unsigned long long)l->block_number);
		if (it) {
			json_decref(it->rec);
			it->rec = n;
			it->next_ms = 0;
		} else if (!eng_add_item(e, id, n)) {
			json_decref(n);
			return -EAGAIN;
		}
		return 0;
	}
	/* extension or cancellation: an op on the record (a new "external" one if needed) */
	if (!rec) {
		rec = eng_new_record(id, ENG_EXTERNAL);
		if (!rec)
			return -ENOMEM;
		if (!(it = eng_add_item(e, id, rec))) {
			json_decref(rec);
			return -EAGAIN;
		}
	}
	json_t *op;
	if (ev->kind == BH_EV_SUBSCRIPTION_EXTENDED) {
		uint64_t t;
		if (bh_u256_to_u64(ev->subscription_extended.new_expires_at.be, &t) < 0 || t > INT64_MAX)
			t = INT64_MAX;
		op = json_pack("{s:s, s:s, s:I, s:b}", "key", key, "kind", "extend", "expires_at",
			       (json_int_t)t, "done", 0);
	} else {
		op = json_pack("{s:s, s:s, s:b}", "key", key, "kind", "cancel", "done", 0);
	}
	if (!op || json_array_append_new(json_object_get(rec, "ops"), op) < 0)
		return -ENOMEM;
	it->quiet = false;
	if ((r = eng_batch_add(&e->jbatch, rec, &m)) < 0) {
		bh_log(LOG_ERR, "journal: %s", m.text);
		return r;
	}
	bh_log(LOG_INFO, "subscription %llu: %s in block %llu, journaled", (unsigned long long)id,
	       bh_event_name(ev->kind), (unsigned long long)l->block_number);
	return 0;
}

/* Records still "seen" whose block is above n: their block left the chain. */
static void revert_above(struct eng *e, uint64_t n)
{
	struct bh_msg m = { "" };
	for (size_t i = 0; i < e->nitems; i++) {
		json_t *rec = e->items[i]->rec;
		json_t *ev = json_object_get(rec, "event");
		if (!ev || (uint64_t)json_integer_value(json_object_get(ev, "block")) <= n)
			continue;
		if (eng_sub_state(rec) == ENG_SEEN && !e->items[i]->busy) {
			eng_sub_set_state(rec, ENG_REVERTED);
			(void)eng_sub_save(e->subs_dir, rec, &m);
			bh_log(LOG_WARNING, "subscription %llu: its block left the chain before any work; "
			       "dropped", (unsigned long long)e->items[i]->id);
		} else {
			bh_log(LOG_ERR, "subscription %llu: its block left the chain AFTER work started "
			       "(state %s): reorg deeper than the confirmations; needs an operator",
			       (unsigned long long)e->items[i]->id, eng_state_name(eng_sub_state(rec)));
		}
	}
}


/* The same log (eth_getLogs' and the proven receipts' copies). */
static bool same_log(const struct bh_rpc_log *a, const struct bh_rpc_log *b)
{
	return a->block_number == b->block_number && a->log_index == b->log_index &&
	       !memcmp(a->block_hash, b->block_hash, 32) && !memcmp(a->tx_hash, b->tx_hash, 32) &&
	       !memcmp(a->log.address, b->log.address, 20) && a->log.ntopics == b->log.ntopics &&
	       !memcmp(a->log.topics, b->log.topics, a->log.ntopics * 32) &&
	       bh_buf_len(&a->log.data) == bh_buf_len(&b->log.data) &&
	       !memcmp(bh_buf_ptr(&a->log.data), bh_buf_ptr(&b->log.data), bh_buf_len(&a->log.data));
}

static bool wanted(const struct bh_rpc_log *l, const uint8_t (*addrs)[20], size_t na,
		   const uint8_t (*topics)[32], size_t nt)
{
	bool a = false, t = false;
	for (size_t i = 0; i < na; i++)
		a |= !memcmp(l->log.address, addrs[i], 20);
	for (size_t i = 0; i < nt && l->log.ntopics; i++)
		t |= !memcmp(l->log.topics[0], topics[i], 32);
	return a && t && !l->removed;
}

/* eth_getLogs (a hint) against the proven logs: what it forged, altered or hid.  "" if
 * the two agree. */
static void compare_hint(const struct bh_rpc_logs *hint, const struct bh_rpc_logs *proven,
			 char *why, size_t cap)
{
	why[0] = 0;
	for (size_t i = 0; i < hint->n; i++) {
		bool found = false;
		for (size_t j = 0; j < proven->n && !found; j++)
			found = same_log(&hint->v[i], &proven->v[j]);
		if (!found) {
			snprintf(why, cap, "eth_getLogs showed a log (block %llu, log %llu) that the "
				 "block's proven receipts do not hold (forged or altered)",
				 (unsigned long long)hint->v[i].block_number,
				 (unsigned long long)hint->v[i].log_index);
			return;
		}
	}
	for (size_t j = 0; j < proven->n; j++) {
		bool found = false;
		for (size_t i = 0; i < hint->n && !found; i++)
			found = same_log(&hint->v[i], &proven->v[j]);
		if (!found) {
			snprintf(why, cap, "eth_getLogs hid a log (block %llu, log %llu) that the "
				 "block's proven receipts hold",
				 (unsigned long long)proven->v[j].block_number,
				 (unsigned long long)proven->v[j].log_index);
			return;
		}
	}
}

/*
 * One round: returns 1 if there may be more to read now, 0 when caught up (or when the
 * endpoints have no quorum: the alarm is in status), or < 0.  Under the quorum's lock:
 * the head k endpoints reached; the block hash k agree on at the round's last block `to`;
 * eth_getLogs from the source as a hint; the headers down from `to` proven by hash, the
 * receipts of the blocks whose bloom names our contracts proven by root; the proven logs
 * journaled (quorum.h).
 */
int eng_ingest_round(struct eng *e, struct ingest *in, struct bh_msg *msg)
{
	struct eng_quorum *q = e->quorum;
	struct bh_rpc_block blk;
	struct bh_rpc_logs logs = { NULL, 0 }, proven = { NULL, 0 };
	uint64_t head, safe, from, to;
	uint8_t to_hash[32], parent[32];
	size_t src;
	int r;

	pthread_mutex_lock(&q->lock);
	r = eng_quorum_head(q, &head, msg);
	in->rpc = q->ep[q->source].rpc;
	eng_quorum_note_retries(q);
	if (r < 0)
		goto quorum_fail;
	safe = head >= e->cfg.confirmations ? head - e->cfg.confirmations : 0;
	if (e->cfg.finalized) {
		/* min(head - confirmations, finalized); a chain without the tag (an RPC error or
		 * a null block): confirmations alone, said once.  A lie here only moves the
		 * height the quorum is asked about. */
		struct bh_msg fm = { "" };
		r = bh_rpc_get_block(in->rpc, 0, "finalized", &blk, &fm);
		eng_quorum_note_retries(q);
		if (r == 0) {
			e->finalized = (int64_t)blk.number;
			if (blk.number < safe)
				safe = blk.number;
		} else if (r == BH_ERR_NOT_FOUND || r == BH_ERR_RPC) {
			e->finalized = -1;
			if (!e->finalized_missing_said)
				bh_log(LOG_NOTICE, "the chain has no \"finalized\" block (%s): acting on "
				       "head - confirmations alone", r == BH_ERR_RPC ? fm.text : "null");
			e->finalized_missing_said = true;
		} else {
			bh_msg_set(msg, "%s", fm.text);
			goto out;   /* a transport fault: not a reason to act on less-final blocks */
		}
	}
	e->head = head;
	e->safe = safe;
	from = in->cur.nhashes ? in->cur.block + 1 : in->cur.block;
	if (from > safe || (in->cur.nhashes && in->cur.block >= safe)) {
		r = 0;
		goto out;
	}
	to = from + in->chunk.cur - 1;
	if (to > safe)
		to = safe;
	/* the height we act on: k endpoints must name its hash */
	if ((r = eng_quorum_agree(q, to, to_hash, &src, msg)) < 0)
		goto quorum_fail;
	in->rpc = q->ep[src].rpc;
	const uint8_t (*topics)[32] = (const uint8_t (*)[32])(const uint8_t *)NULL;
	uint8_t t0[4][32], a0[2][20];
	memcpy(t0[0], bh_event_topic(BH_EV_SUBSCRIPTION_CREATED), 32);
	memcpy(t0[1], bh_event_topic(BH_EV_SUBSCRIPTION_EXTENDED), 32);
	memcpy(t0[2], bh_event_topic(BH_EV_SUBSCRIPTION_CANCELLED), 32);
	memcpy(t0[3], bh_event_topic(BH_EV_TRANSFER), 32);   /* of the NFT: the reconciler's cue */
	topics = (const uint8_t (*)[32])t0;
	memcpy(a0[0], e->cfg.chain.subs, 20);
	memcpy(a0[1], e->cfg.chain.nft, 20);
	const uint8_t (*addrs)[20] = (const uint8_t (*)[20])a0;
	struct bh_rpc_filter f = { from, to, addrs, 2, topics, 4 };
	r = bh_rpc_get_logs(in->rpc, &f, &logs, msg);
	eng_quorum_note_retries(q);
	if (r < 0) {
		uint64_t was = in->chunk.cur;
		if (bh_rpc_error_is_range_limit(in->rpc) && eng_chunk_refused(&in->chunk)) {
			bh_log(LOG_NOTICE, "eth_getLogs %llu..%llu refused by the provider (%s): range %llu -> %llu blocks",
			       (unsigned long long)from, (unsigned long long)to, msg->text,
			       (unsigned long long)was, (unsigned long long)in->chunk.cur);
			e->chunk = in->chunk.cur;
			r = 1;
		}
		goto out;
	}
	/* what we act on: the logs of receipts that hash up to the agreed block */
	r = eng_quorum_proven_logs(q, src, from, to, to_hash, addrs, 2, topics, 4, &proven,
				   parent, msg);
	eng_quorum_note_retries(q);
	if (r == BH_ERR_MISMATCH) {
		eng_quorum_liar(q, src, msg->text);
		r = 0;   /* the next round asks again (another source where there is one) */
		goto out;
	}
	if (r < 0)
		goto out;
	/* reorg check: the proven parent of the first block must be the block we stopped at */
	if (in->cur.nhashes) {
		const uint8_t *prev = eng_cursor_hash(&in->cur, in->cur.block);
		if (prev && memcmp(parent, prev, 32) != 0) {
			/* walk back to the newest stored block still on the chain (the quorum's) */
			uint64_t keep = 0;
			bool found = false;
			for (size_t i = in->cur.nhashes; i-- > 0 && !found;) {
				uint8_t h[32];
				size_t s;
				if ((r = eng_quorum_agree(q, in->cur.hashes[i].n, h, &s, msg)) < 0)
					goto quorum_fail;
				if (!memcmp(h, in->cur.hashes[i].hash, 32)) {
					keep = in->cur.hashes[i].n;
					found = true;
				}
			}
			/* none of them is on the chain any more (a reorg deeper than what we stored,
			 * or only one range read so far): below the oldest, never AT it (its block
			 * is gone too: rewinding to it re-detected the same reorg forever) */
			if (!found)
				keep = in->cur.nhashes && in->cur.hashes[0].n ? in->cur.hashes[0].n - 1 : 0;
			bh_log(LOG_WARNING, "reorg: block %llu's parent is not the block %llu we read; "
			       "rewinding to %llu", (unsigned long long)from,
			       (unsigned long long)in->cur.block, (unsigned long long)keep);
			pthread_mutex_lock(&e->lock);
			revert_above(e, keep);
			pthread_mutex_unlock(&e->lock);
			eng_cursor_rewind(&in->cur, keep);
			if ((r = eng_cursor_save(e->cursor_path, &in->cur, msg)) < 0)
				goto out;
			r = 1;
			goto out;
		}
	}
	/* the proven logs we read (same filter as the hint), and what the hint got wrong */
	{
		size_t w = 0;
		for (size_t i = 0; i < proven.n; i++) {
			if (wanted(&proven.v[i], addrs, 2, topics, 4))
				proven.v[w++] = proven.v[i];
			else
				bh_rpc_log_clear(&proven.v[i]);
		}
		proven.n = w;
		size_t hw = 0;
		for (size_t i = 0; i < logs.n; i++) {
			if (!logs.v[i].removed)
				logs.v[hw++] = logs.v[i];
			else
				bh_rpc_log_clear(&logs.v[i]);
		}
		logs.n = hw;
		char why[256];
		compare_hint(&logs, &proven, why, sizeof(why));
		if (why[0])
			eng_quorum_liar(q, src, why);   /* what we act on is proven: go on */
	}
	pthread_mutex_lock(&e->lock);
	/* the range's records: written now, made durable by one barrier below (journal.h) */
	if ((r = eng_batch_begin(&e->jbatch, e->subs_dir, msg)) < 0) {
		pthread_mutex_unlock(&e->lock);
		goto out;
	}
	for (size_t i = 0; i < proven.n; i++) {
		struct bh_event ev;
		struct bh_msg dm = { "" };
		const struct bh_rpc_log *l = &proven.v[i];
		if (!memcmp(l->log.address, e->cfg.chain.nft, 20)) {
			/* an NFT changed hands (a mint's Transfer is from 0): the reconciler reads
			 * ownerOf now rather than at its next period; nothing to journal */
			static const uint8_t zero[20];
			if (bh_event_decode(&l->log, &ev, &dm) == 0) {
				if (ev.kind == BH_EV_TRANSFER && memcmp(ev.transfer.from, zero, 20)) {
					bh_log(LOG_INFO, "NFT %llu transferred in block %llu",
					       (unsigned long long)ev.transfer.token_id,
					       (unsigned long long)l->block_number);
					e->recon_kick = true;
				}
				bh_event_clear(&ev);
			}
			continue;
		}
		if (memcmp(l->log.address, e->cfg.chain.subs, 20))
			continue;
		if (bh_event_decode(&l->log, &ev, &dm) < 0) {
			bh_log(LOG_WARNING, "block %llu log %llu: not decodable: %s",
			       (unsigned long long)l->block_number, (unsigned long long)l->log_index,
			       dm.text);
			continue;
		}
		r = journal_event(e, l, &ev);
		bh_event_clear(&ev);
		if (r < 0)
			break;
	}
	/* durable before a worker may pick them up or rewrite them, and before the cursor
	 * (on an error too: what was journaled is kept, the range is read again) */
	struct bh_msg cm = { "" };
	int cr = eng_batch_commit(&e->jbatch, &cm);
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	if (cr < 0) {
		bh_msg_set(msg, "journal: %s", cm.text);
		r = cr;
		goto out;
	}
	if (r < 0) {
		bh_msg_set(msg, "journal: %s", bh_strerror(r));
		goto out;
	}
	/* the records are durable: now the cursor */
	in->cur.block = to;
	eng_cursor_push(&in->cur, to, to_hash);
	if ((r = eng_cursor_save(e->cursor_path, &in->cur, msg)) < 0)
		goto out;
	eng_chunk_ok(&in->chunk);
	e->chunk = in->chunk.cur;
	r = to < safe ? 1 : 0;
	goto out;
quorum_fail:
	/* one endpoint: its fault, as before (the caller logs and retries); several: the
	 * alarm said it once and is in status; wait for a quorum */
	if (q->n > 1)
		r = 0;
out:
	pthread_mutex_unlock(&q->lock);
	bh_rpc_logs_clear(&logs);
	bh_rpc_logs_clear(&proven);
	return r;
}

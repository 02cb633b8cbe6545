/* SPDX-License-Identifier: MIT */
/*
 * The reconciler (docs/engine.md, "Reconciler"; upstream.md §7.4): its own thread, off the
 * ingest loop, every --reconcile-ms and at once when the ingest saw a Transfer of the NFT
 * contract.  Skipped while /run/blockhost/provisioning.lock exists (a create is running).
 * For each VM of vms.json that is not destroyed and whose subscription the workers are not
 * busy with (no journal record, or one that is done or external):
 *  - minted (nft_minted, nft_token_id): ownerOf(id); a new owner is written to the record
 *    (owner_wallet, gecos_synced false: one locked vmdb write), update-gecos is called with
 *    it, and gecos_synced true after it succeeded; gecos_synced false alone: update-gecos
 *    again;
 *  - not minted: if the journal says minted (token_id), vms.json is told so; if there is no
 *    journal record (or only an external one), the subscription's SubscriptionCreated log is
 *    looked up (topic1 = id; walking back from the safe head in chunks, find_created_log),
 *    and a record in state "created" is journaled from it and the
 *    VM record: the workers then mint exactly once (the journal from there on, as for any
 *    purchase).  A VM whose owner is not the subscriber is left alone (not ours).
 * Every vms.json write goes through host/vmdb.h (flock on vms.json.lock) under e->db_lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/path.h"
#include "eth/eth.h"
#include "eth/events.h"
#include "eth/keccak.h"
#include "engine.h"
#include "quorum.h"

/* calldata of f(uint256 id) */
static void call_u256(const char *sig, uint64_t id, uint8_t out[36])
{
	uint8_t h[32];
	bh_keccak256(sig, strlen(sig), h);
	memcpy(out, h, 4);
	memset(out + 4, 0, 32);
	for (int i = 0; i < 8; i++)
		out[35 - i] = (uint8_t)(id >> (8 * i));
}

/* ownerOf(token) on the NFT contract: one ABI word, an address (top 12 bytes zero). */
static int owner_of(struct eng *e, struct bh_rpc *rpc, uint64_t token, uint8_t ret[static 20],
		    struct bh_msg *msg)
{
	uint8_t cd[36];
	struct bh_buf out;
	int r;

	bh_buf_init(&out, 4096);
	call_u256("ownerOf(uint256)", token, cd);
	if ((r = bh_rpc_eth_call(rpc, NULL, e->cfg.chain.nft, cd, sizeof(cd), &out, msg)) < 0)
		goto out;
	const uint8_t *p = bh_buf_ptr(&out);
	static const uint8_t zero[12];
	if (bh_buf_len(&out) != 32 || memcmp(p, zero, 12)) {
		bh_msg_set(msg, "ownerOf(%llu): not one address word (%zu bytes)",
			   (unsigned long long)token, bh_buf_len(&out));
		r = BH_ERR_FORMAT;
		goto out;
	}
	memcpy(ret, p + 12, 20);
	r = 0;
out:
	bh_buf_done(&out);
	return r;
}

static int db_fields(struct eng *e, const char *vm, json_t *fields, struct bh_msg *msg)
{
	int r;
	if (!fields)
		return -ENOMEM;
	pthread_mutex_lock(&e->db_lock);
	r = bh_vmdb_update_fields(e->db, vm, fields, msg);
	pthread_mutex_unlock(&e->db_lock);
	json_decref(fields);
	return r;
}

static int gecos(struct eng *e, const char *vm, const char *owner, int64_t token, struct bh_msg *msg)
{
	char id[24];
	int r;
	snprintf(id, sizeof(id), "%lld", (long long)token);
	const char *args[] = { vm, owner, "--nft-id", id };
	if ((r = eng_prov_run(e, "update-gecos", args, 4, NULL, msg)) < 0)
		return r;
	return db_fields(e, vm, json_pack("{s:b}", "gecos_synced", 1), msg);
}

/* A minted VM: follow its NFT's owner. */
static void recon_minted(struct eng *e, struct bh_rpc *rpc, const char *vm, const json_t *rec)
{
	struct bh_msg m = { "" };
	int64_t token = json_integer_value(json_object_get(rec, "nft_token_id"));
	const char *cur = bh_vm_owner(rec);
	uint8_t own[20];
	char addr[BH_ADDR_STR_LEN + 1];

	if (owner_of(e, rpc, (uint64_t)token, own, &m) < 0) {
		bh_log(LOG_WARNING, "reconcile %s: %s", vm, m.text);
		return;
	}
	bh_eth_addr_checksum(own, addr);
	if (!cur || strcasecmp(cur, addr) != 0) {
		if (db_fields(e, vm, json_pack("{s:s, s:b}", "owner_wallet", addr, "gecos_synced", 0),
			      &m) < 0) {
			bh_log(LOG_WARNING, "reconcile %s: vms.json: %s", vm, m.text);
			return;
		}
		bh_log(LOG_INFO, "reconcile %s: NFT %lld now owned by %s (was %s): update-gecos", vm,
		       (long long)token, addr, cur ? cur : "none");
	} else if (!json_is_false(json_object_get(rec, "gecos_synced"))) {
		return;
	}
	if (gecos(e, vm, addr, token, &m) < 0)
		bh_log(LOG_WARNING, "reconcile %s: update-gecos failed (retried next pass): %s", vm, m.text);
	else
		bh_log(LOG_INFO, "reconcile %s: GECOS synced (wallet %s, nft %lld)", vm, addr,
		       (long long)token);
}

/* The SubscriptionCreated logs of subscription id (topic1 = id) in [from, to]. */
static int created_log(struct eng *e, struct bh_rpc *rpc, uint64_t id, uint64_t from, uint64_t to,
		       struct bh_rpc_logs *ret, struct bh_msg *msg)
{
	uint8_t t1[32] = { 0 };
	char fb[24], tb[24];
	json_t *params, *res = NULL;
	int r;
	for (int i = 0; i < 8; i++)
		t1[31 - i] = (uint8_t)(id >> (8 * i));
	snprintf(fb, sizeof(fb), "0x%llx", (unsigned long long)from);
	snprintf(tb, sizeof(tb), "0x%llx", (unsigned long long)to);
	params = json_pack("[{s:s, s:s, s:o, s:[o, o]}]", "fromBlock", fb, "toBlock", tb, "address",
			   bh_json_hex(e->cfg.chain.subs, 20), "topics",
			   bh_json_hex(bh_event_topic(BH_EV_SUBSCRIPTION_CREATED), 32), bh_json_hex(t1, 32));
	if (!params)
		return -ENOMEM;
	r = bh_rpc_call(rpc, "eth_getLogs", params, &res, msg);
	json_decref(params);
	if (r < 0)
		return r;
	r = bh_rpc_parse_logs(res, ret, msg);
	json_decref(res);
	return r;
}

/*
 * The missed-mint lookup, bounded: instead of one eth_getLogs from block 0 (which a
 * provider capping ranges refuses for good), the range below the safe head is walked
 * BACKWARDS in the ingest's chunks (eng_chunker: halved on a provider limit, grown back),
 * newest first, because a VM is created minutes after its purchase.  At most
 * RECON_SCAN_BUDGET requests per VM and pass; where a walk stopped is kept (per
 * subscription, this thread's memory) and the next pass goes on from there, so a VM from
 * long ago costs a few requests per pass instead of a refused giant one.  A walk that
 * reaches block 0 without the log is logged once; later passes search only the blocks
 * that became safe since.
 */
#define RECON_SCAN_BUDGET 32
struct recon_scan {
	uint64_t id;
	uint64_t below;                 /* [below, top] is searched */
	uint64_t floor;                 /* the walk ends here (0, or the top of an earlier walk) */
	uint64_t top;
	bool exhausted;                 /* [0, top] searched: a new walk only above top */
};
struct recon_scans {
	struct recon_scan *v;
	size_t n, cap;
	struct eng_chunker chunk;
};

static struct recon_scan *scan_of(struct recon_scans *ss, uint64_t id, uint64_t to)
{
	for (size_t i = 0; i < ss->n; i++)
		if (ss->v[i].id == id)
			return &ss->v[i];
	if (ss->n == ss->cap) {
		size_t nc = ss->cap ? ss->cap * 2 : 16;
		struct recon_scan *nv = realloc(ss->v, nc * sizeof(*nv));
		if (!nv)
			return NULL;
		ss->v = nv;
		ss->cap = nc;
	}
	ss->v[ss->n] = (struct recon_scan){ id, to + 1, 0, to, false };
	return &ss->v[ss->n++];
}

/* 0 and *ret (the window's logs, n >= 1); -EAGAIN: not found yet (budget spent, go on next
 * pass); BH_ERR_NOT_FOUND: not on chain below `below`; or an RPC error. */
static int find_created_log(struct eng *e, struct bh_rpc *rpc, struct recon_scans *ss,
			    uint64_t id, uint64_t to, struct bh_rpc_logs *ret, struct bh_msg *msg)
{
	struct recon_scan *sc = scan_of(ss, id, to);
	int r;
	if (!sc)
		return -ENOMEM;
	if (sc->exhausted) {
		if (to <= sc->top)
			return BH_ERR_NOT_FOUND;
		/* the safe head moved on: walk the new blocks only */
		*sc = (struct recon_scan){ id, to + 1, sc->top + 1, to, false };
	}
	for (int n = 0; n < RECON_SCAN_BUDGET; n++) {
		if (sc->below <= sc->floor) {
			bool first = sc->floor == 0;
			sc->exhausted = true;
			if (first)
				bh_msg_set(msg, "searched blocks 0..%llu", (unsigned long long)sc->top);
			return BH_ERR_NOT_FOUND;
		}
		uint64_t hi = sc->below - 1;
		uint64_t lo = hi - sc->floor + 1 >= ss->chunk.cur ? hi + 1 - ss->chunk.cur : sc->floor;
		struct bh_rpc_logs logs = { NULL, 0 };
		r = created_log(e, rpc, id, lo, hi, &logs, msg);
		if (r < 0) {
			if (bh_rpc_error_is_range_limit(rpc) && eng_chunk_refused(&ss->chunk)) {
				bh_log(LOG_NOTICE, "reconcile: eth_getLogs %llu..%llu refused by the provider "
				       "(%s): range -> %llu blocks", (unsigned long long)lo,
				       (unsigned long long)hi, msg->text, (unsigned long long)ss->chunk.cur);
				msg->text[0] = 0;
				continue;
			}
			return r;
		}
		eng_chunk_ok(&ss->chunk);
		sc->below = lo;
		if (logs.n) {
			*ret = logs;
			return 0;
		}
		bh_rpc_logs_clear(&logs);
	}
	return -EAGAIN;
}

/* A VM without an NFT: one mint, through the journal. */
static void recon_unminted(struct eng *e, struct bh_rpc *rpc, struct recon_scans *ss,
			   const char *vm, uint64_t id, const json_t *vmrec)
{
	struct bh_msg m = { "" };
	struct bh_rpc_logs logs = { NULL, 0 };
	struct bh_event ev;
	json_t *n = NULL, *details = NULL;
	bool have_ev = false;
	uint64_t to, exp;
	int r;

	pthread_mutex_lock(&e->lock);
	struct eng_item *it = eng_find_item(e, id);
	if (it && !it->busy && eng_sub_state(it->rec) == ENG_DONE && json_object_get(it->rec, "token_id")) {
		/* minted by the journal, vms.json lost it: tell it, no mint */
		int64_t tok = json_integer_value(json_object_get(it->rec, "token_id"));
		pthread_mutex_unlock(&e->lock);
		pthread_mutex_lock(&e->db_lock);
		r = bh_vmdb_set_nft_minted(e->db, vm, tok, &m);
		pthread_mutex_unlock(&e->db_lock);
		if (r < 0)
			bh_log(LOG_WARNING, "reconcile %s: vms.json: %s", vm, m.text);
		else
			bh_log(LOG_NOTICE, "reconcile %s: the journal has NFT %lld minted; vms.json updated",
			       vm, (long long)tok);
		return;
	}
	bool mine = !it || (!it->busy && eng_sub_state(it->rec) == ENG_EXTERNAL);
	to = e->safe;
	pthread_mutex_unlock(&e->lock);
	if (!mine || to == 0)
		return;
	if (eng_details_from_record(vmrec, &details) < 0) {
		bh_log(LOG_WARNING, "reconcile %s: no NFT and no username/address to mint one with", vm);
		return;
	}
	if ((r = find_created_log(e, rpc, ss, id, to, &logs, &m)) < 0) {
		struct recon_scan *sc = scan_of(ss, id, to);
		if (r == -EAGAIN)
			bh_log(LOG_INFO, "reconcile %s: no NFT; its purchase is not in blocks %llu..%llu, "
			       "searching further back next pass", vm,
			       (unsigned long long)(sc ? sc->below : 0), (unsigned long long)to);
		else if (r != BH_ERR_NOT_FOUND)
			bh_log(LOG_WARNING, "reconcile %s: no NFT; looking up its purchase: %s (next pass)",
			       vm, m.text);
		else if (m.text[0])   /* said once: the walk just ended */
			bh_log(LOG_WARNING, "reconcile %s: no NFT, and no SubscriptionCreated log for "
			       "subscription %llu on chain (%s): not minting", vm,
			       (unsigned long long)id, m.text);
		goto out;
	}
	if (logs.n != 1 || logs.v[0].removed || memcmp(logs.v[0].log.address, e->cfg.chain.subs, 20) ||
	    bh_event_decode(&logs.v[0].log, &ev, &m) < 0 || (have_ev = true, ev.kind != BH_EV_SUBSCRIPTION_CREATED) ||
	    ev.subscription_created.subscription_id != id) {
		bh_log(LOG_WARNING, "reconcile %s: no NFT, and %zu confirmed SubscriptionCreated logs for "
		       "subscription %llu: not minting%s%s", vm, logs.n, (unsigned long long)id,
		       m.text[0] ? ": " : "", m.text);
		goto out;
	}
	/* the log came from one endpoint: proved against the quorum's hash before a mint */
	if ((r = eng_quorum_prove_log(e->quorum, &logs.v[0], &m)) < 0) {
		bh_log(LOG_WARNING, "reconcile %s: no NFT, and subscription %llu's SubscriptionCreated "
		       "log does not prove against the agreed block hash: not minting (next pass): %s",
		       vm, (unsigned long long)id, m.text);
		goto out;
	}
	const struct bh_ev_subscription_created *c = &ev.subscription_created;
	char sub[BH_ADDR_STR_LEN + 1];
	bh_eth_addr_checksum(c->subscriber, sub);
	const char *owner = bh_vm_owner(vmrec);
	if (!owner || strcasecmp(owner, sub)) {
		bh_log(LOG_WARNING, "reconcile %s: no NFT, but its owner %s is not subscription %llu's "
		       "subscriber %s: not ours, left alone", vm, owner ? owner : "(none)",
		       (unsigned long long)id, sub);
		goto out;
	}
	if (bh_u256_to_u64(c->expires_at.be, &exp) < 0 || exp > INT64_MAX)
		exp = INT64_MAX;
	const struct bh_rpc_log *l = &logs.v[0];
	if (!(n = eng_new_record(id, ENG_CREATED)))
		goto out;
	json_object_set_new(n, "event", json_pack("{s:I, s:o, s:o, s:I}", "block",
		(json_int_t)l->block_number, "block_hash", bh_json_hex(l->block_hash, 32),
		"tx", bh_json_hex(l->tx_hash, 32), "log_index", (json_int_t)l->log_index));
	json_object_set_new(n, "subscriber", bh_json_hex(c->subscriber, 20));
	json_object_set_new(n, "plan_id", json_integer((json_int_t)c->plan_id));
	json_object_set_new(n, "expires_at", json_integer((json_int_t)exp));
	json_object_set_new(n, "user_encrypted", bh_json_hex(bh_buf_ptr(&c->user_encrypted),
							     bh_buf_len(&c->user_encrypted)));
	json_object_set(n, "create", details);
	pthread_mutex_lock(&e->lock);
	it = eng_find_item(e, id);   /* again: the ingest may have journaled it meanwhile */
	if (it && (it->busy || eng_sub_state(it->rec) != ENG_EXTERNAL)) {
		pthread_mutex_unlock(&e->lock);
		goto out;
	}
	if (it)
		json_object_set(n, "ops", json_object_get(it->rec, "ops"));
	if ((r = eng_sub_save(e->subs_dir, n, &m)) < 0) {
		pthread_mutex_unlock(&e->lock);
		bh_log(LOG_ERR, "journal: %s", m.text);
		goto out;
	}
	if (it) {
		json_decref(it->rec);
		it->rec = n;
		it->next_ms = 0;
		n = NULL;
	} else if (eng_add_item(e, id, n)) {
		n = NULL;
	}
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	bh_log(LOG_NOTICE, "reconcile %s: no NFT was ever minted for subscription %llu (missed mint): "
	       "journaled for one mint to %s", vm, (unsigned long long)id, sub);
out:
	if (have_ev)
		bh_event_clear(&ev);
	json_decref(n);
	json_decref(details);
	bh_rpc_logs_clear(&logs);
}

/* "blockhost-<digits>" -> id (the engine's names, engine's eng_new_record) */
static bool vm_sub_id(const char *vm, uint64_t *ret)
{
	const char *p = vm && !strncmp(vm, "blockhost-", 10) ? vm + 10 : NULL;
	uint64_t v = 0;
	if (!p || !*p || strlen(p) > 18)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v == 0)
		return false;
	*ret = v;
	return true;
}

static bool provisioning(void)
{
	char *p = NULL;
	struct stat st;
	bool held = bh_path(BH_DIR_RUN, "provisioning.lock", &p) == 0 && stat(p, &st) == 0;
	free(p);
	return held;
}

static void recon_pass(struct eng *e, struct bh_rpc *rpc, struct recon_scans *ss)
{
	struct bh_msg m = { "" };
	json_t *list = NULL, *v;
	size_t i;

	pthread_mutex_lock(&e->db_lock);
	int r = bh_vmdb_list(e->db, &list, &m);
	pthread_mutex_unlock(&e->db_lock);
	if (r < 0) {
		bh_log(LOG_WARNING, "reconcile: vms.json: %s", m.text[0] ? m.text : bh_strerror(r));
		return;
	}
	json_array_foreach(list, i, v) {
		const char *vm = json_string_value(json_object_get(v, "vm_name"));
		const char *st = json_string_value(json_object_get(v, "status"));
		uint64_t id;
		if (*e->stop || provisioning())
			break;
		if (!vm || (st && !strcmp(st, "destroyed")) || !vm_sub_id(vm, &id))
			continue;
		pthread_mutex_lock(&e->lock);
		struct eng_item *it = eng_find_item(e, id);
		enum eng_state s = it ? eng_sub_state(it->rec) : ENG_EXTERNAL;
		bool workers = it && (it->busy || (s != ENG_DONE && s != ENG_EXTERNAL));
		pthread_mutex_unlock(&e->lock);
		if (workers)
			continue;   /* its steps are the workers' (their gecos step, their mint) */
		if (json_is_true(json_object_get(v, "nft_minted")) &&
		    json_is_integer(json_object_get(v, "nft_token_id")) &&
		    json_integer_value(json_object_get(v, "nft_token_id")) >= 0)
			recon_minted(e, rpc, vm, v);
		else
			recon_unminted(e, rpc, ss, vm, id, v);
	}
	json_decref(list);
}

void eng_recon_loop(struct eng *e)
{
	struct bh_rpc *rpc = NULL;
	struct bh_msg m = { "" };
	struct bh_rpc_opts ro = { .timeout_ms = e->cfg.chain.rpc_timeout_ms };
	struct recon_scans ss = { NULL, 0, 0, { 0, 0, 0 } };
	int64_t next = 0;

	eng_chunk_init(&ss.chunk, e->cfg.chunk_max);

	if (bh_rpc_new(e->cfg.chain.rpc_url, &ro, &rpc, &m) < 0) {
		bh_log(LOG_ERR, "reconcile: %s; no reconciler", m.text);
		return;
	}
	pthread_mutex_lock(&e->lock);
	while (!*e->stop) {
		int64_t now = eng_now_ms();
		if (!e->recon_kick && now < next) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&e->cond, &e->lock, &ts);
			continue;
		}
		bool kick = e->recon_kick;
		e->recon_kick = false;
		pthread_mutex_unlock(&e->lock);
		if (provisioning()) {
			next = eng_now_ms() + 1000;   /* a create is running: a pass soon (covers a kick) */
		} else {
			if (kick)
				bh_log(LOG_INFO, "reconcile: NFT Transfer seen, reconciling now");
			recon_pass(e, rpc, &ss);
			next = eng_now_ms() + e->cfg.reconcile_ms;
		}
		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	free(ss.v);
	bh_rpc_free(rpc);
}

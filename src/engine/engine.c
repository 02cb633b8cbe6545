/* SPDX-License-Identifier: MIT */
/*
 * blockhost-engine run [options]      the chain monitor (docs/engine.md)
 * blockhost-engine status [--json]    what the running (or last) engine reported
 * blockhost-engine gc-check VM        the GC's on-chain check (gccheck.c)
 *
 * Ingest (this thread): eth_blockNumber; blocks up to head - confirmations; the next
 * block's parentHash checked against the stored hash of the cursor block (a mismatch is a
 * reorg: walk back through the stored hashes to the common ancestor and rewind); logs of
 * the subscription contract in chunks (halved on provider limits, doubled back after
 * successes); each log journaled once by its (block hash, tx hash, log index) key and its
 * subscription id; then the cursor.  Work (a pool of threads, each running provisioner
 * CLIs as child processes): every record that has a step to take (work.c).
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

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void sleep_ms(int ms)
{
	for (int left = ms; left > 0 && !stop_flag; left -= 50) {
		struct timespec ts = { 0, (long)(left < 50 ? left : 50) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* ---------------------------------------------------------------- items */
struct eng_item *eng_find_item(struct eng *e, uint64_t id)
{
	for (size_t i = 0; i < e->nitems; i++)
		if (e->items[i]->id == id)
			return e->items[i];
	return NULL;
}

struct eng_item *eng_add_item(struct eng *e, uint64_t id, json_t *rec)
{
	/* items are separate allocations: workers keep their pointer while the array grows */
	if (e->nitems == e->aitems) {
		size_t na = e->aitems ? e->aitems * 2 : 64;
		struct eng_item **n = realloc(e->items, na * sizeof(*n));
		if (!n)
			return NULL;
		e->items = n;
		e->aitems = na;
	}
	struct eng_item *it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	e->items[e->nitems++] = it;
	it->id = id;
	it->rec = rec;
	return it;
}

/* ---------------------------------------------------------------- workers */
struct worker_arg {
	struct eng *e;
	struct eng_spawner *sp;
};

static void *worker(void *ud)
{
	struct worker_arg *wa = ud;
	struct eng *e = wa->e;
	eng_work_set_spawner(wa->sp);
	pthread_mutex_lock(&e->lock);
	while (!stop_flag) {
		struct eng_item *pick = NULL;
		int64_t now = eng_now_ms();
		for (size_t i = 0; i < e->nitems && !pick; i++) {
			struct eng_item *it = e->items[i];
			if (!it->busy && it->next_ms <= now && eng_needs_work(it->rec))
				pick = it;
		}
		if (!pick) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&e->cond, &e->lock, &ts);
			continue;
		}
		pick->busy = true;
		e->running++;
		uint64_t id = pick->id;
		pthread_mutex_unlock(&e->lock);
		eng_work(e, pick);
		pthread_mutex_lock(&e->lock);
		(void)id;
		pick->busy = false;
		e->running--;
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

static void *recon_thread(void *ud)
{
	struct worker_arg *wa = ud;
	eng_work_set_spawner(wa->sp);
	eng_recon_loop(wa->e);
	return NULL;
}

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
		if ((r = eng_sub_save(e->subs_dir, n, &m)) < 0) {
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
	if ((r = eng_sub_save(e->subs_dir, rec, &m)) < 0) {
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

struct ingest {
	struct bh_rpc *rpc;
	struct eng_cursor cur;
	struct eng_chunker chunk;
};

/* One log line per transient fault that a retry got past (the client never logs). */
static void note_retries(struct bh_rpc *rpc)
{
	static unsigned long seen;
	unsigned long n = bh_rpc_retries(rpc);
	if (n != seen)
		bh_log(LOG_NOTICE, "rpc: retried %lu times (%s)", n - seen, bh_rpc_retry_note(rpc));
	seen = n;
}

/* One round: returns 1 if there may be more to read now, 0 when caught up, or < 0. */
static int ingest_round(struct eng *e, struct ingest *in, struct bh_msg *msg)
{
	struct bh_rpc_block blk;
	struct bh_rpc_logs logs = { NULL, 0 };
	uint64_t head, safe, from, to;
	int r;

	r = bh_rpc_block_number(in->rpc, &head, msg);
	note_retries(in->rpc);
	if (r < 0)
		return r;
	safe = head >= e->cfg.confirmations ? head - e->cfg.confirmations : 0;
	if (e->cfg.finalized) {
		/* min(head - confirmations, finalized); a chain without the tag (an RPC error or
		 * a null block): confirmations alone, said once */
		struct bh_msg fm = { "" };
		r = bh_rpc_get_block(in->rpc, 0, "finalized", &blk, &fm);
		note_retries(in->rpc);
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
			return r;   /* a transport fault: not a reason to act on less-final blocks */
		}
	}
	e->head = head;
	e->safe = safe;
	from = in->cur.nhashes ? in->cur.block + 1 : in->cur.block;
	if (from > safe || (in->cur.nhashes && in->cur.block >= safe))
		return 0;
	/* reorg check: the next block's parent must be the block we stopped at */
	if (in->cur.nhashes) {
		const uint8_t *prev = eng_cursor_hash(&in->cur, in->cur.block);
		r = bh_rpc_get_block(in->rpc, from, NULL, &blk, msg);
		note_retries(in->rpc);
		if (r < 0)
			return r;
		if (prev && memcmp(blk.parent_hash, prev, 32) != 0) {
			/* walk back to the newest stored block still on the chain */
			uint64_t keep = 0;
			bool found = false;
			for (size_t i = in->cur.nhashes; i-- > 0 && !found;) {
				struct bh_rpc_block b;
				if ((r = bh_rpc_get_block(in->rpc, in->cur.hashes[i].n, NULL, &b, msg)) < 0)
					return r;
				if (!memcmp(b.hash, in->cur.hashes[i].hash, 32)) {
					keep = in->cur.hashes[i].n;
					found = true;
				}
			}
			if (!found)
				keep = in->cur.nhashes ? in->cur.hashes[0].n : 0;
			bh_log(LOG_WARNING, "reorg: block %llu's parent is not the block %llu we read; "
			       "rewinding to %llu", (unsigned long long)from,
			       (unsigned long long)in->cur.block, (unsigned long long)keep);
			pthread_mutex_lock(&e->lock);
			revert_above(e, keep);
			pthread_mutex_unlock(&e->lock);
			eng_cursor_rewind(&in->cur, keep);
			if ((r = eng_cursor_save(e->cursor_path, &in->cur, msg)) < 0)
				return r;
			return 1;
		}
	}
	to = from + in->chunk.cur - 1;
	if (to > safe)
		to = safe;
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
	note_retries(in->rpc);
	if (r < 0) {
		uint64_t was = in->chunk.cur;
		if (bh_rpc_error_is_range_limit(in->rpc) && eng_chunk_refused(&in->chunk)) {
			bh_log(LOG_NOTICE, "eth_getLogs %llu..%llu refused by the provider (%s): range %llu -> %llu blocks",
			       (unsigned long long)from, (unsigned long long)to, msg->text,
			       (unsigned long long)was, (unsigned long long)in->chunk.cur);
			e->chunk = in->chunk.cur;
			return 1;
		}
		return r;
	}
	/* the block we stop at: its hash (and the logs of it must name that hash) */
	r = bh_rpc_get_block(in->rpc, to, NULL, &blk, msg);
	note_retries(in->rpc);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < logs.n; i++)
		if (logs.v[i].block_number == to && memcmp(logs.v[i].block_hash, blk.hash, 32)) {
			bh_msg_set(msg, "block %llu changed while reading it", (unsigned long long)to);
			r = 1;
			goto out;
		}
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < logs.n; i++) {
		struct bh_event ev;
		struct bh_msg dm = { "" };
		if (logs.v[i].removed)
			continue;
		if (!memcmp(logs.v[i].log.address, e->cfg.chain.nft, 20)) {
			/* an NFT changed hands (a mint's Transfer is from 0): the reconciler reads
			 * ownerOf now rather than at its next period; nothing to journal */
			static const uint8_t zero[20];
			if (bh_event_decode(&logs.v[i].log, &ev, &dm) == 0) {
				if (ev.kind == BH_EV_TRANSFER && memcmp(ev.transfer.from, zero, 20)) {
					bh_log(LOG_INFO, "NFT %llu transferred in block %llu",
					       (unsigned long long)ev.transfer.token_id,
					       (unsigned long long)logs.v[i].block_number);
					e->recon_kick = true;
				}
				bh_event_clear(&ev);
			}
			continue;
		}
		if (memcmp(logs.v[i].log.address, e->cfg.chain.subs, 20))
			continue;
		if (bh_event_decode(&logs.v[i].log, &ev, &dm) < 0) {
			bh_log(LOG_WARNING, "block %llu log %llu: not decodable: %s",
			       (unsigned long long)logs.v[i].block_number,
			       (unsigned long long)logs.v[i].log_index, dm.text);
			continue;
		}
		r = journal_event(e, &logs.v[i], &ev);
		bh_event_clear(&ev);
		if (r < 0) {
			pthread_mutex_unlock(&e->lock);
			bh_msg_set(msg, "journal: %s", bh_strerror(r));
			goto out;
		}
	}
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	/* the records are durable: now the cursor */
	in->cur.block = to;
	eng_cursor_push(&in->cur, to, blk.hash);
	if ((r = eng_cursor_save(e->cursor_path, &in->cur, msg)) < 0)
		goto out;
	eng_chunk_ok(&in->chunk);
	e->chunk = in->chunk.cur;
	r = to < safe ? 1 : 0;
out:
	bh_rpc_logs_clear(&logs);
	return r;
}

/* ---------------------------------------------------------------- status */
static void write_status(struct eng *e, const struct ingest *in)
{
	json_t *st, *fail, *q;
	unsigned counts[ENG_REVERTED + 1] = { 0 };

	st = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "pid", (json_int_t)getpid(),
		       "updated", (json_int_t)time(NULL), "head", (json_int_t)e->head,
		       "safe", (json_int_t)e->safe, "cursor", (json_int_t)in->cur.block,
		       "confirmations", (json_int_t)e->cfg.confirmations, "chunk",
		       (json_int_t)in->chunk.cur, "ingest_error", e->ingest_error);
	if (!st)
		return;
	fail = json_array();
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->nitems; i++) {
		json_t *rec = e->items[i]->rec;
		enum eng_state s = eng_sub_state(rec);
		if ((size_t)s <= ENG_REVERTED)
			counts[s]++;
		if (json_object_get(rec, "last_error"))
			json_array_append_new(fail, json_pack("{s:I, s:s, s:O, s:O, s:O}", "subscription",
				(json_int_t)e->items[i]->id, "state", eng_state_name(s), "attempts",
				json_object_get(rec, "attempts"), "last_error",
				json_object_get(rec, "last_error"), "next_retry",
				json_object_get(rec, "next_retry") ? json_object_get(rec, "next_retry")
								   : json_null()));
	}
	q = json_pack("{s:I, s:I}", "subscriptions", (json_int_t)e->nitems, "running",
		      (json_int_t)e->running);
	pthread_mutex_unlock(&e->lock);
	for (int s = ENG_SEEN; s <= ENG_REVERTED; s++)
		json_object_set_new(q, eng_state_name((enum eng_state)s), json_integer(counts[s]));
	json_object_set_new(st, "finalized", e->cfg.finalized && e->finalized >= 0
					     ? json_integer((json_int_t)e->finalized) : json_null());
	json_object_set_new(st, "queue", q);
	json_object_set_new(st, "failing", fail);
	(void)bh_atomic_write_json(e->status_path, st, 0644);
	json_decref(st);
}

/* ---------------------------------------------------------------- set-up */
static int mkdir_p(const char *p)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", p);
	for (char *s = buf + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(buf, 0750) < 0 && errno != EEXIST)
				return bh_negerrno();
			*s = '/';
		}
	if (mkdir(buf, 0750) < 0 && errno != EEXIST)
		return bh_negerrno();
	return 0;
}

#include <dirent.h>

/* Load every subscription record (resume unfinished work). */
static int load_records(struct eng *e)
{
	DIR *d = opendir(e->subs_dir);
	struct dirent *de;
	if (!d)
		return bh_negerrno();
	while ((de = readdir(d))) {
		char *end;
		unsigned long long id = strtoull(de->d_name, &end, 10);
		if (!id || strcmp(end, ".json") != 0)
			continue;
		json_t *rec = NULL;
		struct bh_msg m = { "" };
		if (eng_sub_load(e->subs_dir, id, &rec, &m) < 0) {
			bh_log(LOG_ERR, "journal: %s (skipped; fix or remove it)", m.text);
			continue;
		}
		if (!eng_add_item(e, id, rec)) {
			json_decref(rec);
			closedir(d);
			return -ENOMEM;
		}
		if (eng_needs_work(rec))
			bh_log(LOG_INFO, "subscription %llu: resuming at %s", id,
			       eng_state_name(eng_sub_state(rec)));
	}
	closedir(d);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: blockhost-engine run [--rpc-url URL] [--subscriptions ADDR] [--nft ADDR]\n"
		"         [--chain-id N] [--confirmations N] [--finalized] [--poll-ms N] [--start-block N]\n"
		"         [--workers N] [--chunk N] [--retry-ms N] [--state-dir DIR]\n"
		"         [--provisioner-manifest FILE] [--network-hook PATH] [--config FILE]\n"
		"         [--keystore-socket PATH] [--rpc-timeout-ms N] [--reconcile-ms N]\n"
		"         [--no-sandbox]\n"
		"       blockhost-engine status [--json] [--state-dir DIR]\n"
		"       blockhost-engine gc-check VM [--now T] [--rpc-url URL] [--subscriptions ADDR]\n"
		"         [--config FILE]   (the GC's question; see gc-check --help)\n");
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || !*s || *s == '-')
		return -EINVAL;
	*ret = v;
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	const char *dir = NULL;
	bool json_out = false;
	char *path = NULL, *def = NULL;
	struct bh_buf b;
	json_t *st = NULL;
	struct bh_msg m = { "" };
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json_out = true;
		else if (!strcmp(argv[i], "--state-dir") && i + 1 < argc)
			dir = argv[++i];
		else {
			usage(stderr);
			return 1;
		}
	}
	if (!dir && bh_path(BH_DIR_STATE, "engine", &def) == 0)
		dir = def;
	if (!dir || asprintf(&path, "%s/status.json", dir) < 0)
		return 1;
	bh_buf_init(&b, ENG_STATE_MAX);
	int r = bh_file_load_safe(&b, path);
	if (r < 0 || bh_json_load_buf(&b, ENG_STATE_MAX, BH_JSON_OBJECT, &st, &m) < 0) {
		bh_log(LOG_ERR, "%s: %s", path, r < 0 ? bh_strerror(r) : m.text);
		goto out;
	}
	if (json_out) {
		char *s = json_dumps(st, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
	} else {
		json_t *q = json_object_get(st, "queue"), *f = json_object_get(st, "failing");
		json_t *fin = json_object_get(st, "finalized");
		char fs[48] = "";
		if (json_is_integer(fin))
			snprintf(fs, sizeof(fs), ", finalized %lld", (long long)json_integer_value(fin));
		printf("head %lld, safe %lld (confirmations %lld%s), cursor %lld, chunk %lld blocks\n",
		       (long long)json_integer_value(json_object_get(st, "head")),
		       (long long)json_integer_value(json_object_get(st, "safe")),
		       (long long)json_integer_value(json_object_get(st, "confirmations")), fs,
		       (long long)json_integer_value(json_object_get(st, "cursor")),
		       (long long)json_integer_value(json_object_get(st, "chunk")));
		const char *k;
		json_t *v;
		printf("queue:");
		json_object_foreach(q, k, v)
			if (json_integer_value(v))
				printf(" %s %lld", k, (long long)json_integer_value(v));
		printf("\n");
		for (size_t i = 0; i < json_array_size(f); i++) {
			json_t *x = json_array_get(f, i);
			char safe[300];
			const char *le = json_string_value(json_object_get(x, "last_error"));
			bh_str_sanitize(le ? le : "", le ? strlen(le) : 0, safe, sizeof(safe));
			printf("failing: subscription %lld at %s, attempt %lld, next retry %lld: %s\n",
			       (long long)json_integer_value(json_object_get(x, "subscription")),
			       json_string_value(json_object_get(x, "state")),
			       (long long)json_integer_value(json_object_get(x, "attempts")),
			       (long long)json_integer_value(json_object_get(x, "next_retry")), safe);
		}
		const char *ie = json_string_value(json_object_get(st, "ingest_error"));
		if (ie && *ie)
			printf("ingest: %s\n", ie);
	}
	rc = 0;
out:
	json_decref(st);
	bh_buf_done(&b);
	free(path);
	free(def);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rpc-url", required_argument, NULL, 'r' },
		{ "subscriptions", required_argument, NULL, 'S' },
		{ "nft", required_argument, NULL, 'N' },
		{ "chain-id", required_argument, NULL, 'c' },
		{ "confirmations", required_argument, NULL, 'C' },
		{ "poll-ms", required_argument, NULL, 'p' },
		{ "start-block", required_argument, NULL, 'b' },
		{ "workers", required_argument, NULL, 'w' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "retry-ms", required_argument, NULL, 'R' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "provisioner-manifest", required_argument, NULL, 'm' },
		{ "network-hook", required_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'f' },
		{ "keystore-socket", required_argument, NULL, 's' },
		{ "no-sandbox", no_argument, NULL, 'n' },
		{ "rpc-timeout-ms", required_argument, NULL, 'T' },
		{ "reconcile-ms", required_argument, NULL, 'P' },
		{ "finalized", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct eng e;
	struct ingest in;
	struct bh_msg m = { "" };
	struct bh_lock lock = BH_LOCK_INIT;
	struct bh_db_config dbc;
	const char *config = NULL, *rpc_url = NULL, *subs = NULL, *nft = NULL, *sock = NULL;
	char *lock_path = NULL;
	pthread_t th[64], rth;
	struct worker_arg wa[64], rwa;
	struct eng_spawner sp[65];
	bool have_recon = false;
	struct bh_policy *pol = NULL;
	unsigned nth = 0, nsp = 0;
	uint64_t v;
	int c, r, rc = 1;

	bh_log_init("blockhost-engine", BH_LOG_STDERR, 0);
	if (argc >= 2 && !strcmp(argv[1], "status"))
		return cmd_status(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "gc-check"))
		return eng_gc_check_main(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "run") != 0) {
		usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 1;
	}
	argc--;
	argv++;
	memset(&e, 0, sizeof(e));
	memset(&in, 0, sizeof(in));
	memset(&dbc, 0, sizeof(dbc));
	e.stop = &stop_flag;
	e.finalized = -1;
	e.cfg.confirmations = 3;
	e.cfg.poll_ms = 2000;
	e.cfg.workers = 4;
	e.cfg.chunk_max = 2000;
	e.cfg.retry_base_ms = 2000;
	e.cfg.retry_max_ms = 300000;
	e.cfg.prov_timeout_ms = 600000;
	e.cfg.reconcile_ms = 300000;
	e.cfg.sandbox = true;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rpc_url = optarg; break;
		case 'S': subs = optarg; break;
		case 'N': nft = optarg; break;
		case 'f': config = optarg; break;
		case 's': sock = optarg; break;
		case 'd': e.cfg.state_dir = strdup(optarg); break;
		case 'm': e.cfg.manifest_path = strdup(optarg); break;
		case 'H': e.cfg.network_hook = strdup(optarg); break;
		case 'n': e.cfg.sandbox = false; break;
		case 'F': e.cfg.finalized = true; break;
		case 'h': usage(stdout); return 0;
		case 'c': case 'C': case 'p': case 'b': case 'w': case 'k': case 'R': case 'T': case 'P':
			if (parse_u64(optarg, &v) < 0 || v > INT32_MAX) {
				bh_log(LOG_ERR, "%s: not a number", optarg);
				return 1;
			}
			if (c == 'c') e.cfg.chain.chain_id = v;
			if (c == 'C') e.cfg.confirmations = (unsigned)v;
			if (c == 'p') e.cfg.poll_ms = (int)(v ? v : 1);
			if (c == 'b') e.cfg.start_block = v;
			if (c == 'w') e.cfg.workers = (unsigned)(v < 1 ? 1 : v > 64 ? 64 : v);
			if (c == 'k') e.cfg.chunk_max = v ? v : 1;
			if (c == 'R') e.cfg.retry_base_ms = (int)(v ? v : 1);
			if (c == 'T') e.cfg.chain.rpc_timeout_ms = (int)v;
			if (c == 'P') e.cfg.reconcile_ms = (int)(v ? v : 1);
			break;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	uint64_t cli_chain = e.cfg.chain.chain_id;
	int cli_timeout = e.cfg.chain.rpc_timeout_ms;
	if (eng_chain_cfg_load(config, &e.cfg.chain, &m) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		return 1;
	}
	if (cli_chain)
		e.cfg.chain.chain_id = cli_chain;
	e.cfg.chain.rpc_timeout_ms = cli_timeout;
	if (rpc_url) {
		free(e.cfg.chain.rpc_url);
		e.cfg.chain.rpc_url = strdup(rpc_url);
	}
	if (sock)
		e.cfg.chain.keystore_socket = strdup(sock);
	if (subs) {
		if (eng_parse_address(subs, e.cfg.chain.subs, &m) < 0) {
			bh_log(LOG_ERR, "--subscriptions: %s", m.text);
			goto out;
		}
		e.cfg.chain.has_subs = true;
	}
	if (nft) {
		if (eng_parse_address(nft, e.cfg.chain.nft, &m) < 0) {
			bh_log(LOG_ERR, "--nft: %s", m.text);
			goto out;
		}
		e.cfg.chain.has_nft = true;
	}
	if (!e.cfg.chain.has_subs || !e.cfg.chain.has_nft) {
		bh_log(LOG_ERR, "the subscription and NFT contracts are needed (--subscriptions, --nft, "
		       "or web3-defaults.json)");
		goto out;
	}
	if (!memcmp(e.cfg.chain.subs, e.cfg.chain.nft, 20)) {
		/* the ingest tells their logs apart by address */
		bh_log(LOG_ERR, "the subscription and NFT contracts have the same address: check "
		       "--subscriptions, --nft (or web3-defaults.json)");
		goto out;
	}
	if (!e.cfg.state_dir && bh_path(BH_DIR_STATE, "engine", &e.cfg.state_dir) < 0)
		goto out;
	if (asprintf(&e.subs_dir, "%s/subs", e.cfg.state_dir) < 0 ||
	    asprintf(&e.cursor_path, "%s/cursor.json", e.cfg.state_dir) < 0 ||
	    asprintf(&e.status_path, "%s/status.json", e.cfg.state_dir) < 0 ||
	    asprintf(&lock_path, "%s/engine.lock", e.cfg.state_dir) < 0)
		goto out;
	if ((r = mkdir_p(e.subs_dir)) < 0) {
		bh_log(LOG_ERR, "%s: %s", e.subs_dir, bh_strerror(r));
		goto out;
	}
	if ((r = bh_lock_acquire(lock_path, true, 0, &lock)) < 0) {
		bh_log(LOG_ERR, "%s: %s", lock_path,
		       r == BH_ERR_TIMEOUT ? "another blockhost-engine is running" : bh_strerror(r));
		goto out;
	}
	r = e.cfg.manifest_path ? bh_manifest_load_path(BH_MANIFEST_PROVISIONER, e.cfg.manifest_path,
							 &e.prov, &m)
				: bh_manifest_load(BH_MANIFEST_PROVISIONER, &e.prov, &m);
	if (r < 0) {
		bh_log(LOG_ERR, "provisioner manifest: %s", m.text);
		goto out;
	}
	r = bh_db_config_load(NULL, &dbc, &m);
	if (r == -ENOENT)
		r = bh_db_config_default(&dbc);
	if (r < 0 || (r = bh_vmdb_open(&dbc, NULL, &e.db)) < 0) {
		bh_log(LOG_ERR, "VM database: %s", m.text[0] ? m.text : bh_strerror(r));
		goto out;
	}
	if ((r = eng_wallet_open(&e.cfg.chain, &e.wallet, &m)) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	e.wallet.tx.poll_ms = 100;
	struct bh_rpc_opts ro = { .timeout_ms = e.cfg.chain.rpc_timeout_ms, .retries = -1 };
	if ((r = bh_rpc_new(e.cfg.chain.rpc_url, &ro, &in.rpc, &m)) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	r = eng_cursor_load(e.cursor_path, &in.cur, &m);
	if (r == -ENOENT) {
		memset(&in.cur, 0, sizeof(in.cur));
		in.cur.chain_id = e.wallet.tx.chain_id;
		memcpy(in.cur.contract, e.cfg.chain.subs, 20);
		in.cur.block = e.cfg.start_block;
	} else if (r < 0) {
		bh_log(LOG_ERR, "cursor: %s", m.text);
		goto out;
	} else if (in.cur.chain_id != e.wallet.tx.chain_id || memcmp(in.cur.contract, e.cfg.chain.subs, 20)) {
		bh_log(LOG_ERR, "%s belongs to another chain or contract: move it away to start over",
		       e.cursor_path);
		goto out;
	}
	eng_chunk_init(&in.chunk, e.cfg.chunk_max);
	e.chunk = in.chunk.cur;
	if ((r = load_records(&e)) < 0) {
		bh_log(LOG_ERR, "journal: %s", bh_strerror(r));
		goto out;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (e.cfg.sandbox) {
		/* the spawners first: unfiltered (the filter is inherited across execve and
		 * forbids executable memory), under the same policy (spawner.h) */
		if ((r = bh_policy_load(NULL, "blockhost-engine", &pol, &m)) < 0) {
			bh_log(LOG_ERR, "sandbox: %s", m.text);
			goto out;
		}
		for (nsp = 0; nsp < e.cfg.workers + 1; nsp++)   /* + the reconciler's */
			if ((r = eng_spawner_start(pol, &sp[nsp], &m)) < 0) {
				bh_log(LOG_ERR, "%s", m.text);
				goto out;
			}
		if ((r = bh_sandbox_apply("blockhost-engine", BH_SANDBOX_ALLOW_DEBUG_ENV, &m)) < 0) {
			bh_log(LOG_ERR, "sandbox: %s", m.text);
			goto out;
		}
	}
	pthread_mutex_init(&e.lock, NULL);
	pthread_mutex_init(&e.db_lock, NULL);
	pthread_mutex_init(&e.mint_lock, NULL);
	pthread_cond_init(&e.cond, NULL);
	for (nth = 0; nth < e.cfg.workers; nth++) {
		wa[nth] = (struct worker_arg){ &e, e.cfg.sandbox ? &sp[nth] : NULL };
		if (pthread_create(&th[nth], NULL, worker, &wa[nth]) != 0)
			break;
	}
	rwa = (struct worker_arg){ &e, e.cfg.sandbox ? &sp[e.cfg.workers] : NULL };
	have_recon = pthread_create(&rth, NULL, recon_thread, &rwa) == 0;
	bh_log(LOG_INFO, "started: chain %llu, subscriptions %s.., cursor %llu, confirmations %u%s, "
	       "%u workers", (unsigned long long)e.wallet.tx.chain_id, subs ? subs : "",
	       (unsigned long long)in.cur.block, e.cfg.confirmations,
	       e.cfg.finalized ? " and finalized" : "", nth);
	while (!stop_flag) {
		m.text[0] = 0;
		r = ingest_round(&e, &in, &m);
		if (r < 0) {
			snprintf(e.ingest_error, sizeof(e.ingest_error), "%.*s", (int)sizeof(e.ingest_error) - 1, m.text);
			bh_log(LOG_WARNING, "ingest: %s (retrying)", m.text);
		} else {
			e.ingest_error[0] = 0;
		}
		write_status(&e, &in);
		if (r != 1)
			sleep_ms(r < 0 ? e.cfg.poll_ms * 2 : e.cfg.poll_ms);
	}
	bh_log(LOG_INFO, "stopping: finishing the steps in progress");
	pthread_mutex_lock(&e.lock);
	pthread_cond_broadcast(&e.cond);
	pthread_mutex_unlock(&e.lock);
	for (unsigned i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (have_recon)
		pthread_join(rth, NULL);
	write_status(&e, &in);
	bh_log(LOG_INFO, "stopped");
	rc = 0;
out:
	for (unsigned i = 0; i < nsp; i++)
		eng_spawner_stop(&sp[i]);
	bh_policy_free(pol);
	for (size_t i = 0; i < e.nitems; i++) {
		json_decref(e.items[i]->rec);
		free(e.items[i]);
	}
	free(e.items);
	bh_rpc_free(in.rpc);
	eng_wallet_close(&e.wallet);
	bh_vmdb_free(e.db);
	bh_db_config_done(&dbc);
	bh_manifest_free(e.prov);
	bh_lock_release(&lock);
	eng_chain_cfg_done(&e.cfg.chain);
	free(e.cfg.state_dir);
	free(e.cfg.manifest_path);
	free(e.cfg.network_hook);
	free(e.subs_dir);
	free(e.cursor_path);
	free(e.status_path);
	free(lock_path);
	return rc;
}

/* SPDX-License-Identifier: MIT */
/*
 * blockhost-engine internals shared by engine.c (ingest, queue, status) and work.c (the
 * per-subscription steps).  docs/engine.md is the manual.
 */
#ifndef BH_ENGINE_ENGINE_H
#define BH_ENGINE_ENGINE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "host/manifest.h"
#include "host/vmdb.h"
#include "chain.h"
#include "journal.h"

struct eng_cfg {
	struct eng_chain_cfg chain;
	unsigned confirmations;         /* act on blocks <= head - confirmations */
	bool finalized;                 /* and <= the "finalized" block, where the chain has one */
	int poll_ms;
	uint64_t start_block;
	unsigned workers;               /* parallel subscriptions */
	uint64_t chunk_max;             /* eth_getLogs blocks per request, upper bound */
	int retry_base_ms;              /* first retry delay of a failed step */
	int retry_max_ms;
	int prov_timeout_ms;
	char *state_dir;                /* <state>/engine */
	char *manifest_path;            /* NULL: <share>/provisioner.json */
	char *network_hook;             /* NULL: blockhost-network-hook on PATH, if any */
	int reconcile_ms;               /* the reconciler's period (recon.c) */
	bool sandbox;
};

struct eng_item {
	uint64_t id;
	json_t *rec;                    /* the record (the journal's truth in memory) */
	bool busy;                      /* a worker has it */
	int64_t next_ms;                /* monotonic: not before */
	/* nothing to do while rec is still quiet_rec: set when a worker leaves it with no
	 * step to take, cleared by whoever adds an op in place (a new record is a new
	 * pointer); lets the pick skip finished records without reading their JSON */
	bool quiet;
	const json_t *quiet_rec;
};

struct eng_quorum;

struct eng {
	struct eng_cfg cfg;
	struct eng_quorum *quorum;      /* the RPC endpoints (quorum.h), ingest and reconciler */
	char *subs_dir, *cursor_path, *status_path;
	struct bh_manifest *prov;
	struct bh_vmdb *db;
	pthread_mutex_t db_lock;        /* the vmdb handle */
	pthread_mutex_t lock;           /* items + records */
	pthread_cond_t cond;
	struct eng_item **items;
	size_t nitems, aitems;
	struct eng_item **index;        /* open addressing by id (eng_find_item), 2x aitems */
	size_t aindex;
	pthread_mutex_t mint_lock;      /* one sender: nonces in order */
	struct eng_wallet wallet;
	unsigned long wallet_retries_seen;  /* under mint_lock */
	volatile sig_atomic_t *stop;
	/* status */
	uint64_t head, safe, chunk;
	int64_t finalized;              /* the chain's finalized block, -1: none / not asked */
	bool finalized_missing_said;    /* logged once that the chain has no finalized tag */
	unsigned running;
	char ingest_error[256];
	bool recon_kick;                /* under lock: an NFT Transfer was seen, reconcile now */
	struct eng_batch jbatch;        /* under lock: the ingest's records of one range */
};

struct eng_spawner;
/* work.c: the calling worker thread's spawner (NULL: run children directly) */
void eng_work_set_spawner(struct eng_spawner *sp);
/* work.c: run every step item can take now (a worker thread, e->lock NOT held). */
void eng_work(struct eng *e, struct eng_item *it);
/* a record for a new subscription */
json_t *eng_new_record(uint64_t id, enum eng_state st);
/* true if the record has something to do */
bool eng_needs_work(const json_t *rec);
int64_t eng_now_ms(void);
/* engine.c: the item of subscription id / a new one (e->lock held) */
struct eng_item *eng_find_item(struct eng *e, uint64_t id);
struct eng_item *eng_add_item(struct eng *e, uint64_t id, json_t *rec);
/* work.c: run provisioner verb (through the calling thread's spawner); exit 0 required */
struct bh_spawn_result;
int eng_prov_run(struct eng *e, const char *verb, const char *const *args, size_t nargs,
		 struct bh_spawn_result *ret, struct bh_msg *msg);
/* work.c: {"host","port","username"} of a vms.json record; BH_ERR_NOT_FOUND if it lacks them */
int eng_details_from_record(const json_t *vm, json_t **ret);
/* recon.c: the reconciler thread's loop (returns when e->stop is set) */
void eng_recon_loop(struct eng *e);
/* gccheck.c: blockhost-engine gc-check (argv[0] = "gc-check") */
int eng_gc_check_main(int argc, char **argv);
/* One log line when the wallet's RPC client retried (mint_lock held). */
void eng_note_wallet_retries(struct eng *e);

/* ingest.c: the state of the ingest loop, and one round of it: 1 if there may be more to
 * read now, 0 when caught up, or < 0 (msg says why; the caller retries). */
struct ingest {
	struct bh_rpc *rpc;
	struct eng_cursor cur;
	struct eng_chunker chunk;
};

int eng_ingest_round(struct eng *e, struct ingest *in, struct bh_msg *msg);

#endif

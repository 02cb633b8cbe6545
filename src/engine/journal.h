/* SPDX-License-Identifier: MIT */
/*
 * The engine's durable state (docs/engine.md, "State"), under <state>/engine/:
 *
 *   cursor.json        the last block whose logs are journaled, and the hashes of the
 *                      recent blocks (reorg detection by parent hash)
 *   subs/<id>.json     one record per subscription id: the event that created it (block
 *                      hash, tx hash, log index), its step (seen, decrypted, created,
 *                      minting, minted, gecos, done; or refused / cancelled), what each
 *                      finished step produced, the signed mint transactions (journaled
 *                      before they are broadcast), the extension/cancellation ops keyed by
 *                      (block hash, tx hash, log index), the retry state
 *
 * Every write is atomic (core/atomicio.h) and the whole directory is owned by one engine
 * (flock on engine.lock).  The files are read back strictly (core/json.h + the checks
 * below) and fuzzed (fuzz/fuzz_engine_journal.c).  The cursor is written after the
 * records of its range, so a crash in between re-reads the range and the keys make it a
 * no-op: each event's effect is started once.
 */
#ifndef BH_ENGINE_JOURNAL_H
#define BH_ENGINE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

#define ENG_CURSOR_HASHES 128
#define ENG_STATE_MAX     (256u * 1024u)   /* one journal file */
#define ENG_MAX_RAWS      16               /* signed mint transactions per subscription */
#define ENG_MAX_OPS       4096             /* extensions + cancellation per subscription */

struct eng_cursor {
	uint64_t chain_id;
	uint8_t contract[20];
	uint64_t block;                         /* last journaled block */
	size_t nhashes;                         /* ascending block numbers */
	struct { uint64_t n; uint8_t hash[32]; } hashes[ENG_CURSOR_HASHES];
};

int eng_cursor_parse(const void *data, size_t len, struct eng_cursor *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* -ENOENT when there is none yet. */
int eng_cursor_load(const char *path, struct eng_cursor *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
int eng_cursor_save(const char *path, const struct eng_cursor *c, struct bh_msg *msg);
/* Record block n's hash (drops the oldest beyond ENG_CURSOR_HASHES and any >= n). */
void eng_cursor_push(struct eng_cursor *c, uint64_t n, const uint8_t hash[static 32]);
/* The stored hash of block n, or NULL. */
const uint8_t *eng_cursor_hash(const struct eng_cursor *c, uint64_t n);
/* Forget blocks > n and set block = n. */
void eng_cursor_rewind(struct eng_cursor *c, uint64_t n);

enum eng_state {
	ENG_SEEN = 1, ENG_DECRYPTED, ENG_CREATED, ENG_MINTING, ENG_MINTED, ENG_GECOS, ENG_DONE,
	ENG_REFUSED,     /* terminal: no usable payload, no VM */
	ENG_CANCELLED,   /* terminal: cancelled before its VM was created */
	ENG_EXTERNAL,    /* no SubscriptionCreated seen (bought before start_block): ops only */
	ENG_REVERTED,    /* terminal: its block left the chain before work started */
};
const char *eng_state_name(enum eng_state s);
int eng_state_parse(const char *s, enum eng_state *ret);
bool eng_state_terminal(enum eng_state s);

/* Check a subscription record (the layout in docs/engine.md); msg names the key. */
int eng_sub_validate(const json_t *rec, struct bh_msg *msg) __attribute__((warn_unused_result));
int eng_sub_parse(const void *data, size_t len, json_t **ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* <dir>/<id>.json; -ENOENT when absent. */
int eng_sub_load(const char *dir, uint64_t id, json_t **ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
int eng_sub_save(const char *dir, const json_t *rec, struct bh_msg *msg);

/*
 * Durability batching for the ingest (docs/engine.md "Ingest"): the records one eth_getLogs
 * range journals are written to temp files in <dir> (".<id>.json.tmp.<random>", as
 * core/atomicio.h names them) without an fsync each; eng_batch_commit makes them durable
 * with ONE barrier (an fsync of each temp while the batch has at most ENG_BATCH_FSYNC_EACH
 * records, else one syncfs(2) of the journal's file system), then renames them into place
 * in the order they were added (a record added twice: the last one wins) and fsyncs the
 * directory once.  The caller writes the cursor only after a successful commit, so
 * everything before the cursor is durable; a crash before the renames leaves the old
 * records and stale temps (eng_journal_cleanup_stale at start), and the range is read
 * again.  The caller serialises writers of the same records while a batch is open (the
 * engine holds its record lock from the first add to the commit).
 */
#define ENG_BATCH_FSYNC_EACH 8
struct eng_batch_ent;
struct eng_batch {
	int dfd;                        /* the directory, -1 when closed */
	size_t n, cap;
	struct eng_batch_ent *v;
	bool open_fds;                  /* temps' fds still open (n <= ENG_BATCH_FSYNC_EACH) */
};
#define ENG_BATCH_INIT { .dfd = -1 }
int eng_batch_begin(struct eng_batch *b, const char *dir, struct bh_msg *msg);
/* Validate and write rec's temp (as eng_sub_save, not yet durable nor visible). */
int eng_batch_add(struct eng_batch *b, const json_t *rec, struct bh_msg *msg);
/* Barrier, renames, directory fsync; the batch is closed whatever the result. */
int eng_batch_commit(struct eng_batch *b, struct bh_msg *msg);
/* Drop the temps (nothing renamed); NULL-safe, idempotent. */
void eng_batch_abort(struct eng_batch *b);
/* Remove temps a killed batch left in dir (only while holding the engine lock); the count. */
int eng_journal_cleanup_stale(const char *dir);

/* Accessors on a validated record. */
uint64_t eng_sub_id(const json_t *rec);
enum eng_state eng_sub_state(const json_t *rec);
int eng_sub_set_state(json_t *rec, enum eng_state s);
/* "0xblockhash:0xtxhash:logindex", the key of one log. */
void eng_log_key(const uint8_t block_hash[static 32], const uint8_t tx_hash[static 32],
		 uint64_t log_index, char out[static 160]);
/* True if rec already holds the op or the creating event with this key. */
bool eng_sub_has_key(const json_t *rec, const char *key);

#endif

/*
 * The eth_getLogs range policy: start at max; halve (down to 1) when the provider refuses
 * a range (eth/rpc.h bh_rpc_error_is_range_limit); double back (up to max) after
 * ENG_CHUNK_GROW_AFTER successes in a row.
 */
#define ENG_CHUNK_GROW_AFTER 4
struct eng_chunker {
	uint64_t cur, max;
	unsigned streak;
};
void eng_chunk_init(struct eng_chunker *c, uint64_t max);
/* false when already at 1 block: the failure is not about the range */
bool eng_chunk_refused(struct eng_chunker *c);
void eng_chunk_ok(struct eng_chunker *c);

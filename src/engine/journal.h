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

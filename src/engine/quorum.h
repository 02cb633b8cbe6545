/* SPDX-License-Identifier: MIT */
/*
 * Several RPC endpoints, a quorum on block hashes, and logs proved against the agreed hash
 * (issue 13; docs/engine.md "Quorum and proofs", SECURITY.md).
 *
 * The engine asks every endpoint (in parallel, one thread each, short timeout, no retry)
 * for the head and for the block hash at the height it is about to act on; at least k must
 * name one hash.  Everything else (headers, logs, receipts) comes from one endpoint, the
 * "source": the first endpoint, in configuration order, that is in the agreeing group and
 * not suspected of a recent lie.  Nothing it says is believed unless it hashes up to the
 * agreed hash: each header of the range is hashed (eth/proof.h) and chained by parentHash
 * down from the agreed block, each block whose (proven) logsBloom may hold a log of our
 * contracts has its receipts fetched and their trie root compared with the header's
 * receiptsRoot, and every log the engine acts on is taken from those proven receipts and
 * located with bh_proof_find_log after one bh_proof_check_block.  eth_getLogs is only a hint: a log it shows that the
 * receipts do not hold (forged, altered) or a log the receipts hold that it hid is a lie,
 * alarmed in status with the endpoint's name, and the source changes.
 *
 * Endpoints are named in logs and status as "#i host:port" (i from 1, in configuration
 * order): a provider's URL often carries an API key in its path or query.
 *
 * Threads: the ingest thread and the reconciler both use one struct eng_quorum; q->lock
 * serialises them (the status writer takes it to copy the alarm).
 */
#ifndef BH_ENGINE_QUORUM_H
#define BH_ENGINE_QUORUM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "eth/rpc.h"
#include "chain.h"

#define ENG_QUORUM_TIMEOUT_MS 5000      /* one block-hash question (or less: rpc_timeout_ms) */
#define ENG_SUSPECT_MS        60000     /* a source that lied is passed over this long */

struct eng_endpoint {
	char name[96];                  /* "#2 host:port" */
	struct bh_rpc *rpc;             /* headers, logs, receipts (retries as configured) */
	struct bh_rpc *qrpc;            /* quorum questions: short timeout, no retry (one
					 * endpoint: == rpc) */
	unsigned long retries_seen;     /* rpc's retries already logged */
	bool no_block_receipts;         /* answered -32601 to eth_getBlockReceipts */
	int64_t suspect_until_ms;       /* monotonic; 0: trusted as a source */
	/* its answer to the last question */
	int qr;                         /* 0, or why it did not answer */
	uint64_t qnum;                  /* head, for the head question */
	uint8_t qhash[32];
	char qerr[160];
};

struct eng_quorum {
	struct eng_endpoint ep[ENG_MAX_RPC];
	size_t n;
	unsigned k;
	size_t source;                  /* the endpoint the last agreement chose */
	pthread_mutex_t lock;
	/* the alarm shown by blockhost-engine status: "" when none */
	char alarm[512];
	uint64_t alarm_height;
	json_t *alarm_answers;          /* [{endpoint, hash | error}] of the alarmed question */
	char lie[512];                  /* the last endpoint caught lying (proof or hint) */
	int64_t lie_time;               /* wall clock seconds of lie, 0: never */
	unsigned long lies;             /* count since start */
	int alarm_kind;                 /* head / no quorum / dissent (quorum.c) */
	uint32_t alarm_mask;            /* the endpoints it names; a change is logged */
};

/* One client pair per endpoint of cfg (eng_chain_cfg_check_quorum first). */
int eng_quorum_init(struct eng_quorum *q, const struct eng_chain_cfg *cfg, struct bh_msg *msg);
void eng_quorum_done(struct eng_quorum *q);

/* q->lock held by the caller for the functions below (except status). */

/* The highest head that k endpoints have reached (the k-th highest answer). */
int eng_quorum_head(struct eng_quorum *q, uint64_t *ret, struct bh_msg *msg);
/*
 * The hash at height that at least k endpoints (and no other group of k) report:
 * *ret_hash, and *ret_source the source for this height.  Without a quorum:
 * BH_ERR_MISMATCH (endpoints disagree) or BH_ERR_TIMEOUT (too few answered), the alarm is
 * set (one log line per alarm, written here: the caller is a program's thread) and msg
 * says who said what.  A quorum with dissenters sets a (non-blocking) alarm naming them.
 */
int eng_quorum_agree(struct eng_quorum *q, uint64_t height, uint8_t ret_hash[static 32],
		     size_t *ret_source, struct bh_msg *msg);

/*
 * The proven logs of blocks from..to (ascending), of the given addresses, from endpoint
 * src: headers to..from hashed and chained down from to_hash; *ret_parent is block from's
 * parentHash (proven), for the caller's reorg check.  Blocks whose logsBloom has none of
 * addrs, or none of topics (the first topics wanted; ntopics 0: any), are not read further.  BH_ERR_MISMATCH: src served something that does not hash
 * up (msg says what; the caller calls eng_quorum_liar).
 */
int eng_quorum_proven_logs(struct eng_quorum *q, size_t src, uint64_t from, uint64_t to,
			   const uint8_t to_hash[static 32], const uint8_t (*addrs)[20], size_t naddrs,
			   const uint8_t (*topics)[32], size_t ntopics, struct bh_rpc_logs *ret,
			   uint8_t ret_parent[static 32], struct bh_msg *msg);

/*
 * The pure steps of eng_quorum_proven_logs (no I/O; fuzz/fuzz_engine_quorum.c), each on a
 * provider's JSON objects:
 *  - check_header: blk (eth_getBlockByNumber result) is block number and hashes to want
 *    (what names want in the message: "agreed hash", "child's parentHash"); its parentHash
 *    and logsBloom out.
 *  - receipts_logs: rcs (the block's receipts, in order) has blk's receiptsRoot; the logs of
 *    addrs in them (bh_proof_check_block, then bh_proof_find_log for each), out (ret untouched on
 *    error).
 * Both BH_ERR_MISMATCH for anything that does not prove (or -ENOMEM), msg says what.
 */
int eng_quorum_check_header(const json_t *blk, uint64_t number, const uint8_t want[static 32],
			    const char *what, uint8_t ret_parent[static 32],
			    uint8_t ret_bloom[static 256], struct bh_msg *msg);
int eng_quorum_receipts_logs(const json_t *blk, uint64_t number, const uint8_t hash[static 32],
			     const json_t *rcs, const uint8_t (*addrs)[20], size_t naddrs,
			     struct bh_rpc_logs *ret, struct bh_msg *msg);

/*
 * One log (the reconciler's, and later the admin path's hook): the quorum's hash at its
 * block, that block and its receipts from the source, bh_proof_check_log.  Takes q->lock.
 */
int eng_quorum_prove_log(struct eng_quorum *q, const struct bh_rpc_log *log, struct bh_msg *msg);
/*
 * The admin path's hook (knock transactions, a later issue): transaction tx_hash is in the
 * agreed block at height and succeeded (bh_proof_check_tx).  Takes q->lock.
 */
int eng_quorum_prove_tx(struct eng_quorum *q, uint64_t height, const uint8_t tx_hash[static 32],
			struct bh_msg *msg);

/* One log line per endpoint whose client retried since the last call (the client never
 * logs); q->lock held. */
void eng_quorum_note_retries(struct eng_quorum *q);

/* Endpoint src lied (why): alarm, one log line, passed over as a source for a while. */
void eng_quorum_liar(struct eng_quorum *q, size_t src, const char *why);

/* {"endpoints": [...], "quorum": k, "source": name, "alarm": ..., "lie": ...}; takes q->lock. */
json_t *eng_quorum_status(struct eng_quorum *q);

/* True if bloom (256 bytes) may hold a log of address a (the Yellow Paper's M3:2048). */
bool eng_bloom_may_have(const uint8_t bloom[static 256], const uint8_t *item, size_t len);

#endif

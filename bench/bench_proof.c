/* SPDX-License-Identifier: MIT */
/*
 * Proof cost per block and per event (issue 13): for each block of a dump (proof-anvil.js
 * output: [{block, receipts, logs}]), the block proof (bh_proof_check_block: header hash,
 * receipts root compared with the header), the event proof of one log (bh_proof_check_log:
 * the block proof again, then the log found in its receipt), each repeated for SECONDS, and
 * the lookup of a log in a block already proven (bh_proof_find_log).  JSON parsing of the RPC replies is not timed (the peer, bench/
 * bench_proof_peer.js, gets the same parsed objects).  One core, no threads.
 *
 *   bench_proof DUMP [SECONDS]   prints per block:
 *     "block txs=N receipts_json_bytes=B block_proof_ms=X event_proof_ms=Y
 *      lookup_in_proven_block_us=Z"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/err.h"
#include "core/hex.h"
#include "eth/proof.h"
#include "eth/rpc.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	json_error_t je;
	json_t *dump, *d;
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	size_t i;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_proof DUMP [SECONDS]\n");
		return 2;
	}
	if (!(dump = json_load_file(argv[1], 0, &je))) {
		fprintf(stderr, "bench_proof: %s: %s\n", argv[1], je.text);
		return 1;
	}
	json_array_foreach(dump, i, d) {
		const json_t *block = json_object_get(d, "block"), *rs = json_object_get(d, "receipts");
		const json_t *logs = json_object_get(d, "logs");
		struct bh_msg m = { "" };
		struct bh_rpc_log log;
		uint8_t hash[32];
		size_t n = 0, bytes = 0;
		double t0, tb, te;

		if (bh_rpc_parse_fixed(json_object_get(block, "hash"), hash, 32, &m) < 0 ||
		    !json_array_size(logs) ||
		    bh_rpc_parse_log(json_array_get(logs, json_array_size(logs) - 1), &log, &m) < 0) {
			fprintf(stderr, "bench_proof: block %zu: no hash or log: %s\n", i, m.text);
			return 1;
		}
		char *js = json_dumps(rs, JSON_COMPACT);
		bytes = js ? strlen(js) : 0;
		free(js);
		/* the block proof: hash and root, as the engine does once per agreed block */
		t0 = now();
		do {
			if (bh_proof_check_block(block, rs, hash, &m) < 0) {
				fprintf(stderr, "bench_proof: block %zu: %s\n", i, m.text);
				return 1;
			}
			n++;
		} while ((tb = now() - t0) < secs);
		tb = tb * 1e3 / (double)n;
		/* the event proof: all of it for one log */
		n = 0;
		t0 = now();
		do {
			if (bh_proof_check_log(block, rs, hash, &log, &m) < 0) {
				fprintf(stderr, "bench_proof: block %zu: %s\n", i, m.text);
				return 1;
			}
			n++;
		} while ((te = now() - t0) < secs);
		te = te * 1e3 / (double)n;
		/* the lookup alone, in a block proven once (bh_proof_find_log) */
		double tl;
		n = 0;
		t0 = now();
		do {
			if (bh_proof_find_log(block, rs, hash, &log, &m) < 0) {
				fprintf(stderr, "bench_proof: block %zu: %s\n", i, m.text);
				return 1;
			}
			n++;
		} while ((tl = now() - t0) < secs / 4);
		tl = tl * 1e6 / (double)n;
		printf("block txs=%zu receipts_json_bytes=%zu block_proof_ms=%.3f event_proof_ms=%.3f "
		       "lookup_in_proven_block_us=%.1f\n", json_array_size(rs), bytes, tb, te, tl);
		bh_rpc_log_clear(&log);
	}
	json_decref(dump);
	return 0;
}

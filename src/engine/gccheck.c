/* SPDX-License-Identifier: MIT */
/*
 * blockhost-engine gc-check <vm> [--now T] [--dry-run] [--rpc-url URL]
 *                                [--subscriptions ADDR] [--config FILE]
 *
 * What the provisioner's GC (src/prov/cmd-gc.c) asks before it suspends or destroys a VM:
 * the subscription's on-chain getSubscription(id) (expiresAt, cancelled), id from the
 * engine's VM name blockhost-<id>.  Upstream's GC acts on the local expires_at alone,
 * which drifts (upstream-engine.md §1g), and destroys paid VMs.  One word on stdout:
 *
 *   paid          expiresAt > now and not cancelled: the local expires_at is set to
 *                 expiresAt (host/vmdb.h, locked); the GC keeps the VM
 *   expired       expiresAt <= now: the GC goes ahead
 *   cancelled     cancelled on chain: the GC goes ahead
 *   not-on-chain  not a subscription VM (another name, no subscription contract
 *                 configured, or getSubscription reverts: no such subscription): the GC
 *                 goes by its local state, as before
 *
 * Exit 0 with the word; 1 when the chain could not be asked (the GC then leaves the VM
 * alone this run: never suspended on an unreadable chain); 2 usage.  now: --now (the GC
 * passes its clock, BLOCKHOST_NOW in tests), else the host clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cli.h"
#include "core/log.h"
#include "eth/keccak.h"
#include "host/config.h"
#include "host/vmdb.h"
#include "engine.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: blockhost-engine gc-check VM [--now UNIX_SECONDS] [--dry-run] [--rpc-url URL]\n"
		   "         [--subscriptions ADDR] [--config FILE]\n"
		   "  prints paid | expired | cancelled | not-on-chain (exit 0); exit 1: the chain\n"
		   "  could not be asked; 2: usage.  paid also sets the local expires_at to expiresAt\n"
		   "  (not with --dry-run).\n");
}

/* getSubscription(uint256) -> (planId, subscriber, expiresAt, isActive, cancelled) */
static int get_subscription(struct bh_rpc *rpc, const uint8_t subs[static 20], uint64_t id,
			    uint64_t *ret_exp, bool *ret_cancelled, struct bh_msg *msg)
{
	const char *sig = "getSubscription(uint256)";
	uint8_t cd[36], h[32];
	struct bh_buf out;
	static const uint8_t zero[32];
	int r;

	bh_keccak256(sig, strlen(sig), h);
	memcpy(cd, h, 4);
	memset(cd + 4, 0, 32);
	for (int i = 0; i < 8; i++)
		cd[35 - i] = (uint8_t)(id >> (8 * i));
	bh_buf_init(&out, 4096);
	if ((r = bh_rpc_eth_call(rpc, NULL, subs, cd, sizeof(cd), &out, msg)) < 0)
		goto out;
	const uint8_t *p = bh_buf_ptr(&out);
	/* five words: planId, an address, expiresAt, two bools */
	if (bh_buf_len(&out) != 160 || memcmp(p + 32, zero, 12) || memcmp(p + 96, zero, 31) ||
	    p[127] > 1 || memcmp(p + 128, zero, 31) || p[159] > 1) {
		bh_msg_set(msg, "getSubscription(%llu): not the five words of (uint256, address, "
			   "uint256, bool, bool) (%zu bytes)", (unsigned long long)id, bh_buf_len(&out));
		r = BH_ERR_FORMAT;
		goto out;
	}
	uint64_t exp = 0;
	if (memcmp(p + 64, zero, 24))
		exp = INT64_MAX;   /* beyond 2^64 s: paid for ever */
	else
		for (int i = 0; i < 8; i++)
			exp = exp << 8 | p[88 + i];
	*ret_exp = exp > INT64_MAX ? INT64_MAX : exp;
	*ret_cancelled = p[159] == 1;
	r = 0;
out:
	bh_buf_done(&out);
	return r;
}

int eng_gc_check_main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "now", required_argument, NULL, 't' },
		{ "rpc-url", required_argument, NULL, 'r' },
		{ "subscriptions", required_argument, NULL, 'S' },
		{ "config", required_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct eng_chain_cfg cfg;
	struct bh_db_config dbc;
	struct bh_vmdb *db = NULL;
	struct bh_rpc *rpc = NULL;
	struct bh_msg m = { "" };
	const char *config = NULL, *rpc_url = NULL, *subs = NULL, *vm = NULL;
	int64_t now = (int64_t)time(NULL);
	uint64_t exp = 0;
	bool cancelled = false, dry = false;
	int c, r, rc = BH_EXIT_ERROR;

	memset(&cfg, 0, sizeof(cfg));
	memset(&dbc, 0, sizeof(dbc));
	if (bh_cli_has_flag(argc, argv, "--help")) {
		usage(stdout);
		return BH_EXIT_OK;
	}
	optind = 0;
	while (bh_cli_getopt(argc, argv, "", lo, &c, &m) == 0 && c != -1) {
		switch (c) {
		case 't': {
			char *end;
			errno = 0;
			long long v = strtoll(optarg, &end, 10);
			if (errno || *end || v < 0) {
				bh_log(LOG_ERR, "gc-check: --now: expected Unix seconds (see blockhost-engine gc-check --help)");
				return BH_EXIT_USAGE;
			}
			now = v;
			break;
		}
		case 'r': rpc_url = optarg; break;
		case 'S': subs = optarg; break;
		case 'f': config = optarg; break;
		case 'n': dry = true; break;
		default: return BH_EXIT_USAGE;
		}
	}
	if (m.text[0]) {
		bh_log(LOG_ERR, "gc-check: %s (see blockhost-engine gc-check --help)", m.text);
		return BH_EXIT_USAGE;
	}
	if (optind + 1 != argc) {
		bh_log(LOG_ERR, "gc-check: one VM name is required (see blockhost-engine gc-check --help)");
		return BH_EXIT_USAGE;
	}
	vm = argv[optind];
	uint64_t id = 0;
	const char *p = !strncmp(vm, "blockhost-", 10) ? vm + 10 : NULL;
	bool ours = p && *p && strlen(p) <= 18;
	for (; ours && *p; p++) {
		if (*p < '0' || *p > '9')
			ours = false;
		else
			id = id * 10 + (uint64_t)(*p - '0');
	}
	if (!ours || id == 0) {
		printf("not-on-chain\n");
		return BH_EXIT_OK;
	}
	if (eng_chain_cfg_load(config, &cfg, &m) < 0) {
		bh_log(LOG_ERR, "gc-check %s: %s", vm, m.text);
		goto out;
	}
	if (eng_chain_cfg_override(&cfg, rpc_url, 0, NULL) < 0) {
		bh_log(LOG_ERR, "gc-check %s: out of memory", vm);
		goto out;
	}
	if (subs) {
		if (eng_parse_address(subs, cfg.subs, &m) < 0) {
			bh_log(LOG_ERR, "gc-check: --subscriptions: %s", m.text);
			rc = BH_EXIT_USAGE;
			goto out;
		}
		cfg.has_subs = true;
	}
	if (!cfg.has_subs || !cfg.rpc_url) {
		printf("not-on-chain\n");   /* no chain configured on this host */
		rc = BH_EXIT_OK;
		goto out;
	}
	struct bh_rpc_opts ro = { .timeout_ms = 10000, .retries = 2 };
	if ((r = bh_rpc_new(cfg.rpc_url, &ro, &rpc, &m)) < 0) {
		bh_log(LOG_ERR, "gc-check %s: %s", vm, m.text);
		goto out;
	}
	r = get_subscription(rpc, cfg.subs, id, &exp, &cancelled, &m);
	if (r == BH_ERR_REVERT) {
		printf("not-on-chain\n");   /* SubscriptionNotFound */
		rc = BH_EXIT_OK;
		goto out;
	}
	if (r < 0) {
		bh_log(LOG_ERR, "gc-check %s: the chain could not be asked: %s", vm, m.text);
		goto out;
	}
	if (cancelled) {
		printf("cancelled\n");
	} else if ((int64_t)exp <= now) {
		printf("expired\n");
	} else if (dry) {
		printf("paid\n");   /* --dry-run: the local expiry is left as it is */
	} else {
		/* paid: correct the drifted local expiry (locked vmdb write) */
		r = bh_db_config_load(NULL, &dbc, &m);
		if (r == -ENOENT)
			r = bh_db_config_default(&dbc);
		if (r < 0 || (r = bh_vmdb_open(&dbc, NULL, &db)) < 0 ||
		    (r = bh_vmdb_set_expiry(db, vm, (int64_t)exp, NULL, &m)) < 0) {
			bh_log(LOG_ERR, "gc-check %s: paid on chain until %llu, but the local expiry could "
			       "not be corrected: %s", vm, (unsigned long long)exp,
			       m.text[0] ? m.text : bh_strerror(r));
			goto out;
		}
		bh_log(LOG_NOTICE, "gc-check %s: paid on chain until %llu: local expires_at corrected",
		       vm, (unsigned long long)exp);
		printf("paid\n");
	}
	rc = BH_EXIT_OK;
out:
	bh_vmdb_free(db);
	bh_db_config_done(&dbc);
	bh_rpc_free(rpc);
	eng_chain_cfg_done(&cfg);
	return rc;
}

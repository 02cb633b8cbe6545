/* SPDX-License-Identifier: MIT */
/*
 * blockhost-deploy-contracts [nft|pos] [--test-stablecoin] [--json] [--rpc-url URL]
 *     [--chain-id N] [--artifacts DIR] [--state FILE] [--config FILE] [--keystore-socket P]
 *
 * Deploys AccessCredentialNFT("BlockhostAccess", "BHA") and BlockhostSubscriptions (none
 * named: both, NFT first, as upstream), and with --test-stablecoin the local-chain
 * TestStablecoin, from the artifacts of `make contracts`, signed by the keystore (its
 * deployment gate must be open: allow_deploy = yes and /etc/blockhost/finalization-open,
 * docs/keystore.md).  Idempotent:
 *   1. the state file (<state>/contracts.json, written atomically under a lock after each
 *      deployment) names an address whose code hashes to the artifact's codeHash: kept;
 *   2. else the wallet's own CREATE addresses (keccak(rlp[sender, nonce]), nonces below
 *      its transaction count) are searched for code with that hash (a crash after the
 *      transaction but before the state write): kept and recorded;
 *   3. else deployed, and the deployed code checked against codeHash.
 * Output: one address per line in the order named (upstream), or --json:
 *   {"chain_id": N, "deployer": "0x..", "contracts": {"<Name>": {"address": "0x..",
 *    "status": "deployed" | "recorded" | "found", "tx": "0x.." (deployed only)}}}
 * Exit 0, 1 on any failure (message on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomicio.h"
#include "core/cli.h"
#include "core/log.h"
#include "core/path.h"
#include "host/config.h"
#include "eth/eth.h"
#include "eth/keccak.h"
#include "eth/rlp.h"
#include "chain.h"

#define SCAN_MAX_NONCES 4096

struct job {
	const char *name;
	uint8_t address[20];
	const char *status;
	bool has_tx;
	uint8_t tx[32];
};

static void usage(FILE *f)
{
	fprintf(f, "usage: blockhost-deploy-contracts [nft|pos] [--test-stablecoin] [--json]\n"
		   "         [--rpc-url URL] [--chain-id N] [--artifacts DIR] [--state FILE]\n"
		   "         [--config FILE] [--keystore-socket PATH]\n"
		   "       blockhost-deploy-contracts --help | --version\n"
		   "  Deploys AccessCredentialNFT (nft), BlockhostSubscriptions (pos), both by default,\n"
		   "  and with --test-stablecoin (local chains only) TestStablecoin, signed by the\n"
		   "  keystore; idempotent (deployed code is found by its hash).  One address per line,\n"
		   "  or --json.  --chain-id 1..2^64-1.  Exit 0; 1 it failed; 2 usage.\n");
}

static int code_matches(struct bh_rpc *rpc, const uint8_t addr[static 20],
			const uint8_t want[static 32], bool *ret, struct bh_msg *msg)
{
	struct bh_buf code;
	uint8_t h[32];
	int r;
	bh_buf_init(&code, BH_RPC_MAX_CODE);
	if ((r = bh_rpc_get_code(rpc, addr, &code, msg)) == 0) {
		bh_keccak256(bh_buf_ptr(&code), bh_buf_len(&code), h);
		*ret = bh_buf_len(&code) > 0 && memcmp(h, want, 32) == 0;
	}
	bh_buf_done(&code);
	return r;
}

static void create_address(const uint8_t from[static 20], uint64_t nonce, uint8_t ret[static 20])
{
	struct bh_rlp_item items[2], list;
	struct bh_buf b;
	uint8_t h[32];
	bh_rlp_set_bytes(&items[0], from, 20);
	bh_rlp_set_uint64(&items[1], nonce);
	bh_rlp_set_list(&list, items, 2);
	bh_buf_init(&b, 64);
	if (bh_rlp_encode(&list, &b) == 0) {
		bh_keccak256(bh_buf_ptr(&b), bh_buf_len(&b), h);
		memcpy(ret, h + 12, 20);
	}
	bh_buf_done(&b);
}

static json_t *addr_json(const uint8_t a[static 20])
{
	char s[BH_ADDR_STR_LEN + 1];
	bh_eth_addr_checksum(a, s);
	return json_string(s);
}

/* Constructor arguments: the NFT takes (string name, string symbol). */
static int creation_code(const struct eng_artifact *a, struct bh_buf *out, struct bh_msg *msg)
{
	int r;
	if ((r = bh_buf_put(out, a->bytecode, a->bytecode_len)) < 0)
		return r;
	if (strcmp(a->name, "AccessCredentialNFT") != 0)
		return 0;
	struct bh_abi_type *t = NULL;
	struct bh_abi_value v;
	memset(&v, 0, sizeof(v));
	if ((r = bh_abi_type_parse("(string,string)", &t, msg)) < 0)
		return r;
	if ((r = bh_abi_value_list(&v, BH_ABI_TUPLE, 2)) == 0 &&
	    (r = bh_abi_value_string(&v.u.list.items[0], "BlockhostAccess")) == 0 &&
	    (r = bh_abi_value_string(&v.u.list.items[1], "BHA")) == 0)
		r = bh_abi_encode(t, &v, out, msg);
	bh_abi_value_clear(&v);
	bh_abi_type_free(t);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "test-stablecoin", no_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "rpc-url", required_argument, NULL, 'r' },
		{ "chain-id", required_argument, NULL, 'c' },
		{ "artifacts", required_argument, NULL, 'a' },
		{ "state", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'f' },
		{ "keystore-socket", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct eng_chain_cfg cfg;
	struct eng_wallet w;
	struct bh_msg m = { "" };
	struct bh_lock lock = BH_LOCK_INIT;
	struct job jobs[3];
	size_t njobs = 0;
	bool json_out = false, stable = false;
	const char *rpc_url = NULL, *artifacts = NULL, *state_arg = NULL, *config = NULL,
		   *sock = NULL, *which = NULL;
	uint64_t chain_id = 0;
	char *state_path = NULL, *lock_path = NULL;
	json_t *state = NULL, *contracts, *out_json = NULL;
	int c, r, rc = 1;

	bh_log_init("blockhost-deploy-contracts", BH_LOG_STDERR, 0);
	memset(&cfg, 0, sizeof(cfg));
	memset(&w, 0, sizeof(w));
	if (bh_cli_has_flag(argc, argv, "--help")) {
		usage(stdout);
		return BH_EXIT_OK;
	}
	if (bh_cli_has_flag(argc, argv, "--version")) {
		printf("blockhost-deploy-contracts (BlockHost) %s\n", BH_VERSION);
		return BH_EXIT_OK;
	}
	optind = 0;
	while (bh_cli_getopt(argc, argv, "", opts, &c, &m) == 0 && c != -1) {
		switch (c) {
		case 't': stable = true; break;
		case 'j': json_out = true; break;
		case 'r': rpc_url = optarg; break;
		case 'c': {
			char *end;
			errno = 0;
			chain_id = strtoull(optarg, &end, 10);
			if (errno || *end || !chain_id || *optarg == '-') {
				bh_log(LOG_ERR, "--chain-id: expected a positive integer (see "
				       "blockhost-deploy-contracts --help)");
				return BH_EXIT_USAGE;
			}
			break;
		}
		case 'a': artifacts = optarg; break;
		case 's': state_arg = optarg; break;
		case 'f': config = optarg; break;
		case 'k': sock = optarg; break;
		}
	}
	if (m.text[0]) {
		bh_log(LOG_ERR, "%s (see blockhost-deploy-contracts --help)", m.text);
		return BH_EXIT_USAGE;
	}
	if (optind < argc)
		which = argv[optind++];
	if (which && strcmp(which, "nft") && strcmp(which, "pos")) {
		bh_log(LOG_ERR, "unknown contract '%s': expected nft or pos (see "
		       "blockhost-deploy-contracts --help)", which);
		return BH_EXIT_USAGE;
	}
	if (optind < argc) {
		bh_log(LOG_ERR, "one contract name at most (see blockhost-deploy-contracts --help)");
		return BH_EXIT_USAGE;
	}
	if (!which || !strcmp(which, "nft"))
		jobs[njobs++] = (struct job){ .name = "AccessCredentialNFT" };
	if (!which || !strcmp(which, "pos"))
		jobs[njobs++] = (struct job){ .name = "BlockhostSubscriptions" };
	if (stable)
		jobs[njobs++] = (struct job){ .name = "TestStablecoin" };

	if ((r = eng_chain_cfg_load(config, &cfg, &m)) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	if (eng_chain_cfg_override(&cfg, rpc_url, chain_id, sock) < 0) {
		bh_log(LOG_ERR, "out of memory");
		goto out;
	}
	if (state_arg)
		state_path = strdup(state_arg);
	else if (bh_path(BH_DIR_STATE, "contracts.json", &state_path) < 0)
		state_path = NULL;
	if (!state_path || asprintf(&lock_path, "%s.lock", state_path) < 0) {
		bh_log(LOG_ERR, "out of memory");
		goto out;
	}
	if ((r = bh_lock_acquire(lock_path, true, 10000, &lock)) < 0) {
		bh_log(LOG_ERR, "%s: %s", lock_path, bh_strerror(r));
		goto out;
	}
	if ((r = eng_wallet_open(&cfg, &w, &m)) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	/* the state file: ours, but read strictly like any file */
	r = bh_config_load(state_path, &state, &m);
	if (r == -ENOENT || !state) {
		json_decref(state);
		state = json_pack("{s:I, s:o, s:{}}", "chain_id", (json_int_t)w.tx.chain_id,
				  "deployer", addr_json(w.tx.from), "contracts");
	} else if (r < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	if (!state)
		goto out;
	{
		json_t *cid = json_object_get(state, "chain_id");
		if (!json_is_integer(cid) || (uint64_t)json_integer_value(cid) != w.tx.chain_id) {
			/* another chain's record: start a fresh one for this chain */
			json_decref(state);
			state = json_pack("{s:I, s:o, s:{}}", "chain_id", (json_int_t)w.tx.chain_id,
					  "deployer", addr_json(w.tx.from), "contracts");
		}
	}
	contracts = json_object_get(state, "contracts");
	if (!json_is_object(contracts)) {
		bh_log(LOG_ERR, "%s: \"contracts\" must be an object", state_path);
		goto out;
	}

	uint64_t nonce_now = 0;
	if ((r = bh_rpc_get_transaction_count(w.rpc, w.tx.from, "latest", &nonce_now, &m)) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	for (size_t i = 0; i < njobs; i++) {
		struct job *jb = &jobs[i];
		struct eng_artifact art;
		bool match = false;
		if ((r = eng_artifact_load(artifacts, jb->name,
					   &art, &m)) < 0) {
			bh_log(LOG_ERR, "%s", m.text);
			goto out;
		}
		/* 1. recorded */
		json_t *e = json_object_get(contracts, jb->name);
		const char *as = json_string_value(json_object_get(e, "address"));
		if (as && eng_parse_address(as, jb->address, NULL) == 0) {
			if ((r = code_matches(w.rpc, jb->address, art.code_hash, &match, &m)) < 0) {
				bh_log(LOG_ERR, "%s", m.text);
				eng_artifact_done(&art);
				goto out;
			}
			if (match)
				jb->status = "recorded";
		}
		/* 2. found among our own creations */
		for (uint64_t n = 0; !match && n < nonce_now && n < SCAN_MAX_NONCES; n++) {
			uint8_t a[20];
			bool taken = false;
			create_address(w.tx.from, n, a);
			for (size_t k = 0; k < i; k++)
				taken |= memcmp(jobs[k].address, a, 20) == 0;
			if (taken)
				continue;
			if ((r = code_matches(w.rpc, a, art.code_hash, &match, &m)) < 0) {
				bh_log(LOG_ERR, "%s", m.text);
				eng_artifact_done(&art);
				goto out;
			}
			if (match) {
				memcpy(jb->address, a, 20);
				jb->status = "found";
			}
		}
		/* 3. deploy */
		if (!match) {
			struct bh_buf code;
			struct bh_rpc_receipt rcpt;
			char what[96];
			bh_buf_init(&code, 2 * 1024 * 1024);
			snprintf(what, sizeof(what), "deploy %s", jb->name);
			w.tx.errors = (const struct bh_abi_sig *const *)art.errors;
			w.tx.nerrors = art.nerrors;
			r = creation_code(&art, &code, &m);
			if (r == 0)
				r = bh_txsend_send(&w.tx, what, NULL, NULL, bh_buf_ptr(&code),
						   bh_buf_len(&code), &rcpt, &m);
			bh_buf_done(&code);
			if (r < 0) {
				if (r == BH_ERR_DENIED)
					bh_log(LOG_ERR, "%s: the keystore refused: %s (contract creation needs "
					       "allow_deploy = yes and the finalization flag, docs/keystore.md)",
					       what, m.text);
				else
					bh_log(LOG_ERR, "%s", m.text);
				eng_artifact_done(&art);
				goto out;
			}
			if (!rcpt.has_contract) {
				bh_log(LOG_ERR, "%s: the receipt has no contractAddress", what);
				bh_rpc_receipt_clear(&rcpt);
				eng_artifact_done(&art);
				goto out;
			}
			memcpy(jb->address, rcpt.contract_address, 20);
			memcpy(jb->tx, rcpt.tx_hash, 32);
			jb->has_tx = true;
			bh_rpc_receipt_clear(&rcpt);
			if ((r = code_matches(w.rpc, jb->address, art.code_hash, &match, &m)) < 0 || !match) {
				bh_log(LOG_ERR, "%s: the code at the new address does not hash to the "
				       "artifact's codeHash", what);
				eng_artifact_done(&art);
				goto out;
			}
			jb->status = "deployed";
		}
		uint8_t code_hash[32];
		memcpy(code_hash, art.code_hash, 32);
		eng_artifact_done(&art);
		/* record it now: a crash before the next deployment loses nothing */
		if (strcmp(jb->status, "recorded") != 0) {
			json_t *ent = json_pack("{s:o, s:o}", "address", addr_json(jb->address),
						"codeHash", bh_json_hex(code_hash, 32));
			if (jb->has_tx && ent)
				json_object_set_new(ent, "tx", bh_json_hex(jb->tx, 32));
			if (!ent || json_object_set_new(contracts, jb->name, ent) < 0 ||
			    (r = bh_atomic_write_json(state_path, state, 0644)) < 0) {
				bh_log(LOG_ERR, "%s: cannot record the deployment: %s", state_path,
				       bh_strerror(r));
				goto out;
			}
		}
	}

	if (json_out) {
		out_json = json_pack("{s:I, s:o, s:{}}", "chain_id", (json_int_t)w.tx.chain_id,
				     "deployer", addr_json(w.tx.from), "contracts");
		json_t *oc = json_object_get(out_json, "contracts");
		for (size_t i = 0; i < njobs; i++) {
			json_t *ent = json_pack("{s:o, s:s}", "address", addr_json(jobs[i].address),
						"status", jobs[i].status);
			if (jobs[i].has_tx)
				json_object_set_new(ent, "tx", bh_json_hex(jobs[i].tx, 32));
			json_object_set_new(oc, jobs[i].name, ent);
		}
		char *s = json_dumps(out_json, JSON_COMPACT);
		if (!s)
			goto out;
		printf("%s\n", s);
		free(s);
	} else {
		for (size_t i = 0; i < njobs; i++) {
			char s[BH_ADDR_STR_LEN + 1];
			bh_eth_addr_checksum(jobs[i].address, s);
			printf("%s\n", s);
		}
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	bh_lock_release(&lock);
	json_decref(out_json);
	json_decref(state);
	eng_wallet_close(&w);
	eng_chain_cfg_done(&cfg);
	free(state_path);
	free(lock_path);
	return rc;
}

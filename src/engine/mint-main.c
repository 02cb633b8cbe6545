/* SPDX-License-Identifier: MIT */
/*
 * blockhost-mint-nft --owner-wallet <addr> [--user-encrypted <hex>] [--dry-run]
 *     [--nft ADDR] [--rpc-url URL] [--chain-id N] [--config FILE] [--artifacts DIR]
 *     [--keystore-socket PATH] [--replace-after SECONDS]
 *
 * upstream.md §1.3: mints an access credential to the owner with userEncrypted (default
 * "0x") and prints "BLOCKHOST_RESULT: <tokenId>" (host/result.h).  The token id is the
 * CredentialMinted log of this transaction's receipt (upstream reads totalSupply() - 1
 * afterwards, wrong when two mints race).  Signed by the keystore (its policy must list
 * the NFT contract in allow_to).  --dry-run: checks the call with eth_estimateGas and
 * sends nothing.  --replace-after: a transaction not mined after that many seconds (default
 * 30) is replaced by one with the same nonce and 25 % higher fees.  Exit 0 / 1 (message on
 * stderr), 2 usage (as upstream's argparse).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cli.h"
#include "core/hex.h"
#include "core/log.h"
#include "eth/events.h"
#include "host/result.h"
#include "chain.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: blockhost-mint-nft --owner-wallet ADDR [--user-encrypted HEX] [--dry-run]\n"
		   "         [--nft ADDR] [--rpc-url URL] [--chain-id N] [--config FILE]\n"
		   "         [--artifacts DIR] [--keystore-socket PATH] [--replace-after SECONDS]\n"
		   "       blockhost-mint-nft --help | --version\n"
		   "  Mints an access credential to ADDR with userEncrypted HEX (default 0x), signed by\n"
		   "  the keystore, and prints \"BLOCKHOST_RESULT: <tokenId>\" (the token id from the\n"
		   "  receipt's CredentialMinted log).  --dry-run: eth_estimateGas only, nothing sent.\n"
		   "  --replace-after 1..3600 (default 30): a transaction not mined by then is replaced\n"
		   "  with 25 %% higher fees.  --chain-id 1..2^64-1.  Exit 0; 1 it failed; 2 usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "owner-wallet", required_argument, NULL, 'o' },
		{ "user-encrypted", required_argument, NULL, 'u' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "nft", required_argument, NULL, 'N' },
		{ "rpc-url", required_argument, NULL, 'r' },
		{ "chain-id", required_argument, NULL, 'c' },
		{ "config", required_argument, NULL, 'f' },
		{ "artifacts", required_argument, NULL, 'a' },
		{ "keystore-socket", required_argument, NULL, 'k' },
		{ "replace-after", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct eng_chain_cfg cfg;
	struct eng_wallet w;
	struct eng_artifact art;
	struct bh_msg m = { "" };
	const char *owner_s = NULL, *ue_s = "0x", *nft_s = NULL, *rpc_url = NULL, *config = NULL,
		   *artifacts = NULL, *sock = NULL;
	uint8_t owner[20], nft[20], tx[32], *ue = NULL;
	size_t uelen = 0;
	uint64_t chain_id = 0, token;
	bool dry = false, have_art = false;
	int replace_s = 0;
	char *line = NULL;
	int c, r, rc = 1;

	bh_log_init("blockhost-mint-nft", BH_LOG_STDERR, 0);
	memset(&cfg, 0, sizeof(cfg));
	memset(&w, 0, sizeof(w));
	if (bh_cli_has_flag(argc, argv, "--help")) {
		usage(stdout);
		return BH_EXIT_OK;
	}
	if (bh_cli_has_flag(argc, argv, "--version")) {
		printf("blockhost-mint-nft (BlockHost) %s\n", BH_VERSION);
		return BH_EXIT_OK;
	}
	optind = 0;
	while (bh_cli_getopt(argc, argv, "", opts, &c, &m) == 0 && c != -1) {
		switch (c) {
		case 'o': owner_s = optarg; break;
		case 'u': ue_s = optarg; break;
		case 'n': dry = true; break;
		case 'N': nft_s = optarg; break;
		case 'r': rpc_url = optarg; break;
		case 'c': {
			char *end;
			errno = 0;
			chain_id = strtoull(optarg, &end, 10);
			if (errno || *end || !chain_id || *optarg == '-') {
				bh_log(LOG_ERR, "--chain-id: expected a positive integer (see "
				       "blockhost-mint-nft --help)");
				return BH_EXIT_USAGE;
			}
			break;
		}
		case 'f': config = optarg; break;
		case 'a': artifacts = optarg; break;
		case 'k': sock = optarg; break;
		case 'R': {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || !v || v > 3600 || *optarg == '-') {
				bh_log(LOG_ERR, "--replace-after: expected seconds, 1..3600 (see "
				       "blockhost-mint-nft --help)");
				return BH_EXIT_USAGE;
			}
			replace_s = (int)v;
			break;
		}
		}
	}
	if (m.text[0]) {
		bh_log(LOG_ERR, "%s (see blockhost-mint-nft --help)", m.text);
		return BH_EXIT_USAGE;
	}
	if (optind != argc) {
		bh_log(LOG_ERR, "unexpected operand (see blockhost-mint-nft --help)");
		return BH_EXIT_USAGE;
	}
	if (!owner_s) {
		bh_log(LOG_ERR, "--owner-wallet is required (see blockhost-mint-nft --help)");
		return BH_EXIT_USAGE;
	}
	if (eng_parse_address(owner_s, owner, &m) < 0) {
		bh_log(LOG_ERR, "--owner-wallet: %s", m.text);
		return 1;
	}
	if ((r = bh_hex_decode_alloc(ue_s, BH_EVENT_MAX_BYTES, &ue, &uelen)) < 0) {
		bh_log(LOG_ERR, "--user-encrypted: not hex of at most %u bytes (%s)", BH_EVENT_MAX_BYTES,
		       bh_strerror(r));
		return 1;
	}
	if ((r = eng_chain_cfg_load(config, &cfg, &m)) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	if (eng_chain_cfg_override(&cfg, rpc_url, chain_id, sock) < 0) {
		bh_log(LOG_ERR, "out of memory");
		goto out;
	}
	if (nft_s) {
		if (eng_parse_address(nft_s, cfg.nft, &m) < 0) {
			bh_log(LOG_ERR, "--nft: %s", m.text);
			goto out;
		}
		cfg.has_nft = true;
	}
	if (!cfg.has_nft) {
		bh_log(LOG_ERR, "no NFT contract (--nft, or blockchain.nft_contract in web3-defaults.json)");
		goto out;
	}
	memcpy(nft, cfg.nft, 20);
	if ((r = eng_wallet_open(&cfg, &w, &m)) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	/* the contract's custom errors, to name a revert (optional) */
	if (eng_artifact_load(artifacts, "AccessCredentialNFT", &art, NULL) == 0) {
		have_art = true;
		w.tx.errors = (const struct bh_abi_sig *const *)art.errors;
		w.tx.nerrors = art.nerrors;
	}
	if (replace_s)
		w.tx.replace_after_ms = replace_s * 1000;
	if (dry) {
		struct bh_buf data;
		uint8_t zero[32] = { 0 };
		uint64_t gas;
		bh_buf_init(&data, BH_EVENT_MAX_BYTES + 1024);
		r = eng_mint_calldata(owner, ue, uelen, &data, &m);
		if (r == 0)
			r = bh_rpc_estimate_gas(w.rpc, w.tx.from, nft, zero, bh_buf_ptr(&data),
						bh_buf_len(&data), &gas, &m);
		bh_buf_done(&data);
		if (r < 0) {
			bh_log(LOG_ERR, "dry run: %s", m.text);
			goto out;
		}
		fprintf(stderr, "dry run: mint to %s would use about %llu gas\n", owner_s,
			(unsigned long long)gas);
		rc = 0;
		goto out;
	}
	r = eng_mint(&w, nft, owner, ue, uelen, &token, tx, &m);
	if (w.tx.replacements)
		bh_log(LOG_NOTICE, "the mint was stuck: replaced %u times with higher fees",
		       w.tx.replacements);
	if (r < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	json_t *v = json_integer((json_int_t)token);
	r = v ? bh_result_format(v, &line, &m) : -ENOMEM;
	json_decref(v);
	if (r < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	fputs(line, stdout);
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	if (have_art)
		eng_artifact_done(&art);
	eng_wallet_close(&w);
	eng_chain_cfg_done(&cfg);
	free(ue);
	free(line);
	return rc;
}

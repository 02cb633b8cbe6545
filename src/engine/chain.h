/* SPDX-License-Identifier: MIT */
/*
 * What the engine's programs (blockhost-engine, blockhost-deploy-contracts,
 * blockhost-mint-nft) share: the chain settings (web3-defaults.json + flags), the
 * contract artifacts (make contracts), and opening the RPC client, the keystore client
 * and the transaction sender.  Library-style: no logging, errors through msg.
 */
#ifndef BH_ENGINE_CHAIN_H
#define BH_ENGINE_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "eth/abi.h"
#include "eth/rpc.h"
#include "host/keystore_client.h"
#include "host/txsend.h"

#define ENG_MAX_ERRORS 64
#define ENG_MAX_RPC    16               /* RPC endpoints of one engine (issue 13) */

/* /etc/blockhost/web3-defaults.json "blockchain" (upstream.md §3.3), flags override. */
struct eng_chain_cfg {
	char *rpc_url;                  /* the first endpoint: the wallet's, the single-RPC tools' */
	char *rpc_urls[ENG_MAX_RPC];    /* every endpoint (rpc_urls[0] == rpc_url); nrpc 0: none */
	size_t nrpc;
	unsigned rpc_quorum;            /* k: endpoints that must agree on a block hash (0: 1) */
	uint64_t chain_id;              /* 0: take what the endpoint says */
	bool has_nft, has_subs;
	uint8_t nft[20];
	uint8_t subs[20];
	char *keystore_socket;          /* NULL: default */
	char *artifacts_dir;            /* NULL: <share>/contracts */
	int rpc_timeout_ms;             /* 0: eth/rpc.h default */
};

/* Load the config file if it exists (path NULL: <etc>/web3-defaults.json); a missing
 * file is not an error.  Flags are applied by the caller afterwards. */
int eng_chain_cfg_load(const char *path, struct eng_chain_cfg *ret, struct bh_msg *msg);
void eng_chain_cfg_done(struct eng_chain_cfg *c);
/* The overrides every engine program takes on its command line (NULL / 0: keep what the
 * file said): --rpc-url, --chain-id, --keystore-socket.  -ENOMEM if a copy fails. */
int eng_chain_cfg_override(struct eng_chain_cfg *c, const char *rpc_url, uint64_t chain_id,
			   const char *keystore_socket);

/*
 * The endpoint list from the command line (repeated --rpc-url; n 0: keep the file's) and
 * the quorum (--quorum; 0: keep the file's).  Replaces rpc_url by urls[0].
 */
int eng_chain_cfg_set_endpoints(struct eng_chain_cfg *c, const char *const *urls, size_t n,
				unsigned quorum, struct bh_msg *msg);
/* k between 1 and N, URLs distinct, at most ENG_MAX_RPC; msg says which rule broke. */
int eng_chain_cfg_check_quorum(const struct eng_chain_cfg *c, struct bh_msg *msg);

/* A compiled contract (contracts/build.js output). */
struct eng_artifact {
	char name[64];
	uint8_t *bytecode;              /* creation code */
	size_t bytecode_len;
	uint8_t code_hash[32];          /* keccak256 of the deployed code */
	struct bh_abi_sig *errors[ENG_MAX_ERRORS];
	size_t nerrors;
};
int eng_artifact_load(const char *dir, const char *name, struct eng_artifact *ret,
		      struct bh_msg *msg);
void eng_artifact_done(struct eng_artifact *a);

/* RPC + keystore + sender, ready to send.  tx borrows ks: do not copy the struct. */
struct eng_wallet {
	struct bh_rpc *rpc;
	struct bh_keystore_client ks;
	struct bh_txsend tx;
	bool ks_open;
};
int eng_wallet_open(const struct eng_chain_cfg *cfg, struct eng_wallet *ret, struct bh_msg *msg);
void eng_wallet_close(struct eng_wallet *w);

/* Parse an address argument ("0x" + 40 hex, EIP-55 when mixed case). */
int eng_parse_address(const char *s, uint8_t ret[static 20], struct bh_msg *msg);

#endif

/*
 * mint(address to, bytes userEncrypted) on the NFT contract, signed by the keystore; the
 * token id comes from the receipt's CredentialMinted(tokenId, recipient) log emitted by
 * nft for owner (exactly one such log), never from totalSupply.  errors (may be NULL)
 * decode a revert.  ret_tx: the mined transaction's hash.
 */
int eng_mint(struct eng_wallet *w, const uint8_t nft[static 20], const uint8_t owner[static 20],
	     const uint8_t *user_encrypted, size_t len, uint64_t *ret_token, uint8_t ret_tx[static 32],
	     struct bh_msg *msg) __attribute__((warn_unused_result));
/* The token id from a mint receipt (as above). */
int eng_token_from_receipt(const struct bh_rpc_receipt *rc, const uint8_t nft[static 20],
			   const uint8_t owner[static 20], uint64_t *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* The calldata of mint(to, userEncrypted), appended to out. */
int eng_mint_calldata(const uint8_t owner[static 20], const uint8_t *ue, size_t len,
		      struct bh_buf *out, struct bh_msg *msg);

/* SPDX-License-Identifier: MIT */
/*
 * Chain settings, contract artifacts, wallet (src/engine/chain.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "core/path.h"
#include "eth/eth.h"
#include "host/config.h"
#include "chain.h"

int eng_parse_address(const char *s, uint8_t ret[static 20], struct bh_msg *msg)
{
	uint8_t a[20];
	int r = bh_eth_addr_parse(s, strlen(s), a);
	if (r < 0) {
		bh_msg_set(msg, "'%.64s' is not an address (0x + 40 hex digits, EIP-55 when mixed case): %s",
			   s, bh_strerror(r));
		return r;
	}
	memcpy(ret, a, 20);
	return 0;
}

static const struct bh_cfg_key web3_schema[] = {
	{ "blockchain", BH_CFG_OBJECT, true, 0, 0, 0 },
	{ "blockchain.chain_id", BH_CFG_INT, false, 1, INT64_MAX, 0 },
	{ "blockchain.rpc_url", BH_CFG_STRING, false, 0, 0, 2048 },
	{ "blockchain.rpc_urls", BH_CFG_ARRAY, false, 0, 0, 0 },
	{ "blockchain.rpc_quorum", BH_CFG_INT, false, 1, ENG_MAX_RPC, 0 },
	{ "blockchain.nft_contract", BH_CFG_EVM_ADDRESS | BH_CFG_NULL_OK, false, 0, 0, 0 },
	{ "blockchain.subscription_contract", BH_CFG_EVM_ADDRESS | BH_CFG_NULL_OK, false, 0, 0, 0 },
};

int eng_chain_cfg_load(const char *path, struct eng_chain_cfg *ret, struct bh_msg *msg)
{
	struct eng_chain_cfg c;
	char *p = NULL;
	json_t *root = NULL, *v;
	int r;

	memset(&c, 0, sizeof(c));
	if (!path) {
		if ((r = bh_path(BH_DIR_ETC, "web3-defaults.json", &p)) < 0)
			return r;
		path = p;
	}
	r = bh_config_load(path, &root, msg);
	if (r == -ENOENT) {
		r = 0;
		goto done;
	}
	if (r < 0)
		goto out;
	if ((r = bh_config_check(root, web3_schema, sizeof(web3_schema) / sizeof(web3_schema[0]),
				 path, msg)) < 0)
		goto out;
	if ((v = bh_config_get(root, "blockchain.chain_id")))
		c.chain_id = (uint64_t)json_integer_value(v);
	if ((v = bh_config_get(root, "blockchain.rpc_url")) && !(c.rpc_url = strdup(json_string_value(v)))) {
		r = -ENOMEM;
		goto out;
	}
	if ((v = bh_config_get(root, "blockchain.rpc_urls"))) {
		/* several providers (issue 13); rpc_url, if also given, must be one of them */
		size_t i;
		json_t *u;
		if (json_array_size(v) == 0 || json_array_size(v) > ENG_MAX_RPC) {
			bh_msg_set(msg, "%s: \"blockchain.rpc_urls\": expected 1..%d URLs, got %zu", path,
				   ENG_MAX_RPC, json_array_size(v));
			r = BH_ERR_CONFIG;
			goto out;
		}
		json_array_foreach(v, i, u) {
			if (!json_is_string(u) || json_string_length(u) == 0 || json_string_length(u) > 2048) {
				bh_msg_set(msg, "%s: \"blockchain.rpc_urls\"[%zu]: expected a URL string "
					   "(1..2048 characters)", path, i);
				r = BH_ERR_CONFIG;
				goto out;
			}
			if (!(c.rpc_urls[i] = strdup(json_string_value(u)))) {
				r = -ENOMEM;
				goto out;
			}
			c.nrpc = i + 1;
		}
		if (c.rpc_url) {
			bool in = false;
			for (i = 0; i < c.nrpc; i++)
				in |= !strcmp(c.rpc_url, c.rpc_urls[i]);
			if (!in) {
				bh_msg_set(msg, "%s: \"blockchain.rpc_url\" is not one of \"blockchain.rpc_urls\": "
					   "keep the list alone (its first URL is the default)", path);
				r = BH_ERR_CONFIG;
				goto out;
			}
			free(c.rpc_url);
		}
		if (!(c.rpc_url = strdup(c.rpc_urls[0]))) {
			r = -ENOMEM;
			goto out;
		}
	} else if (c.rpc_url) {
		if (!(c.rpc_urls[0] = strdup(c.rpc_url))) {
			r = -ENOMEM;
			goto out;
		}
		c.nrpc = 1;
	}
	if ((v = bh_config_get(root, "blockchain.rpc_quorum")))
		c.rpc_quorum = (unsigned)json_integer_value(v);
	if ((v = bh_config_get(root, "blockchain.nft_contract")) && json_is_string(v)) {
		if ((r = eng_parse_address(json_string_value(v), c.nft, msg)) < 0)
			goto out;
		c.has_nft = true;
	}
	if ((v = bh_config_get(root, "blockchain.subscription_contract")) && json_is_string(v)) {
		if ((r = eng_parse_address(json_string_value(v), c.subs, msg)) < 0)
			goto out;
		c.has_subs = true;
	}
done:
	*ret = c;
	memset(&c, 0, sizeof(c));
	r = 0;
out:
	eng_chain_cfg_done(&c);
	json_decref(root);
	free(p);
	return r;
}

int eng_chain_cfg_override(struct eng_chain_cfg *c, const char *rpc_url, uint64_t chain_id,
			   const char *keystore_socket)
{
	char *u = rpc_url ? strdup(rpc_url) : NULL;
	char *k = keystore_socket ? strdup(keystore_socket) : NULL;

	if ((rpc_url && !u) || (keystore_socket && !k)) {
		free(u);
		free(k);
		return -ENOMEM;
	}
	if (u) {
		/* one URL on the command line: the single endpoint (quorum 1) */
		char *u2 = strdup(u);
		if (!u2) {
			free(u);
			free(k);
			return -ENOMEM;
		}
		free(c->rpc_url);
		c->rpc_url = u;
		for (size_t i = 0; i < c->nrpc; i++)
			free(c->rpc_urls[i]);
		c->rpc_urls[0] = u2;
		c->nrpc = 1;
		c->rpc_quorum = 1;
	}
	if (k) {
		free(c->keystore_socket);
		c->keystore_socket = k;
	}
	if (chain_id)
		c->chain_id = chain_id;
	return 0;
}

void eng_chain_cfg_done(struct eng_chain_cfg *c)
{
	if (!c)
		return;
	free(c->rpc_url);
	for (size_t i = 0; i < c->nrpc; i++)
		free(c->rpc_urls[i]);
	free(c->keystore_socket);
	free(c->artifacts_dir);
	memset(c, 0, sizeof(*c));
}

int eng_chain_cfg_set_endpoints(struct eng_chain_cfg *c, const char *const *urls, size_t n,
				unsigned quorum, struct bh_msg *msg)
{
	char *v[ENG_MAX_RPC] = { NULL }, *first = NULL;

	if (n > ENG_MAX_RPC) {
		bh_msg_set(msg, "--rpc-url: at most %d endpoints", ENG_MAX_RPC);
		return BH_ERR_CONFIG;
	}
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = strdup(urls[i])))
			goto nomem;
	if (n && !(first = strdup(urls[0])))
		goto nomem;
	if (n) {
		for (size_t i = 0; i < c->nrpc; i++)
			free(c->rpc_urls[i]);
		memcpy(c->rpc_urls, v, sizeof(v));
		c->nrpc = n;
		free(c->rpc_url);
		c->rpc_url = first;
		if (!quorum)
			c->rpc_quorum = 0;   /* the file's k was for the file's list */
	}
	if (quorum)
		c->rpc_quorum = quorum;
	return 0;
nomem:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	return -ENOMEM;
}

/* "http://h:1/" and "http://h:1" are one endpoint */
static size_t url_len(const char *u)
{
	size_t n = strlen(u);
	while (n && u[n - 1] == '/')
		n--;
	return n;
}

int eng_chain_cfg_check_quorum(const struct eng_chain_cfg *c, struct bh_msg *msg)
{
	unsigned k = c->rpc_quorum ? c->rpc_quorum : 1;

	if (c->nrpc == 0) {
		bh_msg_set(msg, "no RPC URL (--rpc-url, or blockchain.rpc_url / blockchain.rpc_urls in "
			   "web3-defaults.json)");
		return BH_ERR_CONFIG;
	}
	if (k < 1 || k > c->nrpc) {
		bh_msg_set(msg, "quorum %u with %zu RPC endpoint%s: the quorum (--quorum, "
			   "blockchain.rpc_quorum) must be between 1 and the number of endpoints", k,
			   c->nrpc, c->nrpc == 1 ? "" : "s");
		return BH_ERR_CONFIG;
	}
	for (size_t i = 0; i < c->nrpc; i++)
		for (size_t j = i + 1; j < c->nrpc; j++) {
			size_t a = url_len(c->rpc_urls[i]), b = url_len(c->rpc_urls[j]);
			if (a == b && !strncasecmp(c->rpc_urls[i], c->rpc_urls[j], a)) {
				/* the URL may hold an API key: say which positions, not the text */
				bh_msg_set(msg, "RPC endpoints %zu and %zu are the same URL: a quorum needs "
					   "independent providers", i + 1, j + 1);
				return BH_ERR_CONFIG;
			}
		}
	return 0;
}

/* "Name(type,type)" from an ABI "error" entry; NULL for shapes we do not decode. */
static char *error_sig(const json_t *e)
{
	const json_t *name = json_object_get(e, "name"), *in = json_object_get(e, "inputs");
	char buf[1024];
	size_t off = 0;
	if (!json_is_string(name) || !json_is_array(in))
		return NULL;
	off = (size_t)snprintf(buf, sizeof(buf), "%s(", json_string_value(name));
	for (size_t i = 0; i < json_array_size(in) && off < sizeof(buf); i++) {
		const json_t *t = json_object_get(json_array_get(in, i), "type");
		if (!json_is_string(t) || strncmp(json_string_value(t), "tuple", 5) == 0)
			return NULL;
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? "," : "",
					json_string_value(t));
	}
	if (off + 2 > sizeof(buf))
		return NULL;
	buf[off++] = ')';
	buf[off] = 0;
	return strdup(buf);
}

int eng_artifact_load(const char *dir, const char *name, struct eng_artifact *ret,
		      struct bh_msg *msg)
{
	struct eng_artifact a;
	char *d = NULL, *path = NULL;
	json_t *root = NULL, *abi, *bc, *ch;
	struct bh_msg m = { "" };
	int r;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", name);
	if (!dir) {
		if ((r = bh_path(BH_DIR_SHARE, "contracts", &d)) < 0)
			return r;
		dir = d;
	}
	if (asprintf(&path, "%s/%s.json", dir, name) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto out;
	}
	if ((r = bh_config_load(path, &root, msg)) < 0)
		goto out;
	abi = json_object_get(root, "abi");
	bc = json_object_get(root, "bytecode");
	ch = json_object_get(root, "codeHash");
	if (!json_is_array(abi) || !json_is_string(bc) || !json_is_string(ch)) {
		bh_msg_set(msg, "%s: not a contract artifact (abi, bytecode, codeHash)", path);
		r = BH_ERR_FORMAT;
		goto out;
	}
	if ((r = bh_hex_decode_alloc(json_string_value(bc), 1024 * 1024, &a.bytecode,
				     &a.bytecode_len)) < 0 ||
	    (r = bh_hex_decode_exact(json_string_value(ch), a.code_hash, 32)) < 0) {
		bh_msg_set(msg, "%s: bytecode or codeHash is not hex", path);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(abi) && a.nerrors < ENG_MAX_ERRORS; i++) {
		const json_t *e = json_array_get(abi, i);
		const json_t *t = json_object_get(e, "type");
		if (!json_is_string(t) || strcmp(json_string_value(t), "error") != 0)
			continue;
		char *s = error_sig(e);
		if (!s)
			continue;
		r = bh_abi_sig_parse(s, &a.errors[a.nerrors], &m);
		free(s);
		if (r == 0)
			a.nerrors++;
	}
	*ret = a;
	memset(&a, 0, sizeof(a));
	r = 0;
out:
	eng_artifact_done(&a);
	json_decref(root);
	free(path);
	free(d);
	return r;
}

void eng_artifact_done(struct eng_artifact *a)
{
	if (!a)
		return;
	free(a->bytecode);
	for (size_t i = 0; i < a->nerrors; i++)
		bh_abi_sig_free(a->errors[i]);
	memset(a, 0, sizeof(*a));
}

int eng_wallet_open(const struct eng_chain_cfg *cfg, struct eng_wallet *ret, struct bh_msg *msg)
{
	struct eng_wallet w;
	int r;

	memset(&w, 0, sizeof(w));
	if (!cfg->rpc_url) {
		bh_msg_set(msg, "no RPC URL (--rpc-url, or blockchain.rpc_url in web3-defaults.json)");
		return BH_ERR_CONFIG;
	}
	struct bh_rpc_opts ro = { .timeout_ms = cfg->rpc_timeout_ms, .retries = -1 };
	if ((r = bh_rpc_new(cfg->rpc_url, &ro, &w.rpc, msg)) < 0)
		return r;
	if ((r = bh_keystore_client_init(&w.ks, cfg->keystore_socket)) < 0) {
		bh_msg_set(msg, "keystore client: %s", bh_strerror(r));
		goto out;
	}
	w.ks_open = true;
	if ((r = bh_txsend_init(&w.tx, w.rpc, &w.ks, cfg->chain_id, msg)) < 0)
		goto out;
	*ret = w;
	ret->tx.ks = &ret->ks;   /* the sender borrows the client: point it at its new home */
	memset(&w, 0, sizeof(w));
	r = 0;
out:
	eng_wallet_close(&w);
	return r;
}

void eng_wallet_close(struct eng_wallet *w)
{
	if (!w)
		return;
	if (w->ks_open)
		bh_keystore_client_done(&w->ks);
	bh_rpc_free(w->rpc);
	memset(w, 0, sizeof(*w));
}

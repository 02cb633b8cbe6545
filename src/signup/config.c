/* SPDX-License-Identifier: MIT */
/*
 * blockhost-signup's configuration: one JSON file (host/config.h: strict parser, schema
 * with types and ranges, messages naming the file and the key), docs/signup.md lists the
 * keys.  Also the public document GET /config.json serves: everything the page needs and
 * nothing it must not see (the provider URL stays on the host).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "host/config.h"
#include "signup.h"

static const struct bh_cfg_key schema[] = {
	{ "listen", BH_CFG_IP, false, 0, 0, 64 },
	{ "port", BH_CFG_INT, false, 1, 65535, 0 },
	{ "keystore_socket", BH_CFG_PATH, false, 0, 0, 0 },
	{ "rpc_url", BH_CFG_STRING, true, 0, 0, 2048 },
	{ "chain_id", BH_CFG_INT, true, 1, INT64_MAX, 0 },
	{ "chain_name", BH_CFG_STRING, false, 0, 0, 64 },
	{ "contracts", BH_CFG_OBJECT, true, 0, 0, 0 },
	{ "contracts.subscriptions", BH_CFG_EVM_ADDRESS, true, 0, 0, 0 },
	{ "contracts.nft", BH_CFG_EVM_ADDRESS, true, 0, 0, 0 },
	{ "payment_tokens", BH_CFG_ARRAY, false, 0, 0, 0 },
	{ "explorer_url", BH_CFG_STRING | BH_CFG_NULL_OK, false, 0, 0, 512 },
	{ "public_secret", BH_CFG_STRING, false, 0, 0, 512 },
	{ "server_public_key", BH_CFG_STRING, false, 0, 0, 132 },
	{ "admin_wallet", BH_CFG_EVM_ADDRESS, false, 0, 0, 0 },
	{ "www", BH_CFG_PATH, true, 0, 0, 0 },
	{ "cert", BH_CFG_PATH, true, 0, 0, 0 },
	{ "relay", BH_CFG_OBJECT, false, 0, 0, 0 },
	{ "relay.requests_per_minute", BH_CFG_INT, false, 1, 100000, 0 },
	{ "relay.burst", BH_CFG_INT, false, 1, 100000, 0 },
	{ "relay.max_log_blocks", BH_CFG_INT, false, 1, 10000000, 0 },
	{ "relay.max_answer_bytes", BH_CFG_INT, false, 1024, 16 * 1024 * 1024, 0 },
};

/* Keys the file may hold: a typo ("rpcurl") is an error rather than a silent default. */
static const char *const top_keys[] = {
	"listen", "port", "keystore_socket", "rpc_url", "chain_id", "chain_name", "contracts",
	"payment_tokens", "explorer_url", "public_secret", "server_public_key",
	"admin_wallet", "www", "cert", "relay", NULL,
};

/* 0x04 followed by 128 hex digits: an uncompressed secp256k1 point (checked on the curve by
 * the page before it encrypts). */
static bool pubkey_ok(const char *s)
{
	if (strlen(s) != 132 || s[0] != '0' || s[1] != 'x' || s[2] != '0' || s[3] != '4')
		return false;
	for (size_t i = 2; i < 132; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool known(const char *const *list, const char *k)
{
	for (; *list; list++)
		if (!strcmp(*list, k))
			return true;
	return false;
}

static int dup_str(const json_t *root, const char *key, const char *dflt, char **ret)
{
	const json_t *v = bh_config_get(root, key);
	const char *s = json_is_string(v) ? json_string_value(v) : dflt;
	char *d;

	if (!s) {
		*ret = NULL;
		return 0;
	}
	if (!(d = strdup(s)))
		return -ENOMEM;
	*ret = d;
	return 0;
}

static int64_t get_int(const json_t *root, const char *key, int64_t dflt)
{
	const json_t *v = bh_config_get(root, key);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static int address(const char *text, uint8_t out[static 20], char shown[static 43])
{
	if (!bh_is_evm_address(text) || bh_hex_decode_exact(text, out, 20) < 0)
		return BH_ERR_FORMAT;
	snprintf(shown, 43, "%s", text);
	return 0;
}

/* URLs we show or call: http(s) and printable ASCII without quotes or spaces. */
static bool url_ok(const char *s)
{
	if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
		return false;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || *s == '"' || *s == '\\' || *s == '<' || *s == '>')
			return false;
	return true;
}

static int tokens(const json_t *arr, const char *name, struct su_config *c, struct bh_msg *msg)
{
	size_t i;
	json_t *t;

	if (!arr)
		return 0;
	if (json_array_size(arr) > SU_MAX_TOKENS) {
		bh_msg_set(msg, "%s: key 'payment_tokens': at most %u tokens", name, SU_MAX_TOKENS);
		return BH_ERR_LIMIT;
	}
	json_array_foreach(arr, i, t) {
		struct su_token *k = &c->tokens[i];
		const json_t *a = json_object_get(t, "address"), *s = json_object_get(t, "symbol"),
			     *d = json_object_get(t, "decimals");
		const char *key;
		json_t *v;
		if (!json_is_object(t)) {
			bh_msg_set(msg, "%s: key 'payment_tokens[%zu]': expected object, got %s", name,
				   i, bh_json_type_name(t));
			return BH_ERR_WRONG_TYPE;
		}
		json_object_foreach((json_t *)t, key, v) {
			if (strcmp(key, "address") && strcmp(key, "symbol") && strcmp(key, "decimals")) {
				bh_msg_set(msg, "%s: key 'payment_tokens[%zu]': unknown key (known: "
					   "address, symbol, decimals)", name, i);
				return BH_ERR_CONFIG;
			}
		}
		if (!json_is_string(a) || address(json_string_value(a), k->address, k->text) < 0) {
			bh_msg_set(msg, "%s: key 'payment_tokens[%zu].address': expected a 0x address "
				   "of 40 hex digits", name, i);
			return BH_ERR_FORMAT;
		}
		k->decimals = -1;
		if (d && (!json_is_integer(d) || json_integer_value(d) < 0 ||
			  json_integer_value(d) > 36)) {
			bh_msg_set(msg, "%s: key 'payment_tokens[%zu].decimals': expected 0..36",
				   name, i);
			return BH_ERR_RANGE;
		}
		if (d)
			k->decimals = (int)json_integer_value(d);
		if (s) {
			const char *sv = json_is_string(s) ? json_string_value(s) : NULL;
			size_t n = sv ? strlen(sv) : 0;
			bool good = sv && n >= 1 && n < sizeof(k->symbol);
			for (size_t j = 0; good && j < n; j++)
				good = (sv[j] >= 'A' && sv[j] <= 'Z') || (sv[j] >= 'a' && sv[j] <= 'z') ||
				       (sv[j] >= '0' && sv[j] <= '9') || sv[j] == '.' || sv[j] == '-';
			if (!good) {
				bh_msg_set(msg, "%s: key 'payment_tokens[%zu].symbol': 1..%zu letters, "
					   "digits, '.' or '-'", name, i, sizeof(k->symbol) - 1);
				return BH_ERR_FORMAT;
			}
			memcpy(k->symbol, sv, n + 1);
		}
		c->ntokens++;
	}
	return 0;
}

static int from_json(json_t *root, const char *name, struct su_config *ret,
		     struct bh_msg *msg)
{
	struct su_config c;
	const char *key;
	json_t *v;
	int r;

	memset(&c, 0, sizeof(c));
	if ((r = bh_config_check(root, schema, sizeof(schema) / sizeof(schema[0]), name, msg)) < 0)
		goto out;
	json_object_foreach(root, key, v) {
		if (!known(top_keys, key)) {
			bh_msg_set(msg, "%s: unknown key '%.64s' (docs/signup.md lists the keys)", name,
				   key);
			r = BH_ERR_CONFIG;
			goto out;
		}
	}
	json_object_foreach(bh_config_get(root, "contracts"), key, v) {
		if (strcmp(key, "subscriptions") && strcmp(key, "nft")) {
			bh_msg_set(msg, "%s: key 'contracts': unknown key '%.64s' (known: "
				   "subscriptions, nft)", name, key);
			r = BH_ERR_CONFIG;
			goto out;
		}
	}
	if ((r = address(json_string_value(bh_config_get(root, "contracts.subscriptions")),
			 c.subscriptions, c.subscriptions_text)) < 0 ||
	    (r = address(json_string_value(bh_config_get(root, "contracts.nft")), c.nft,
			 c.nft_text)) < 0)
		goto out;
	if ((r = tokens(bh_config_get(root, "payment_tokens"), name, &c, msg)) < 0)
		goto out;
	c.port = (unsigned)get_int(root, "port", SU_DEFAULT_PORT);
	c.chain_id = (uint64_t)get_int(root, "chain_id", 0);
	c.rate_per_minute = (unsigned)get_int(root, "relay.requests_per_minute", 600);
	c.rate_burst = (unsigned)get_int(root, "relay.burst", 60);
	c.max_log_blocks = (uint64_t)get_int(root, "relay.max_log_blocks", SU_RELAY_LOG_BLOCKS);
	c.max_answer = (size_t)get_int(root, "relay.max_answer_bytes", SU_RELAY_ANSWER_MAX);
	if ((r = dup_str(root, "listen", "::", &c.listen)) < 0 ||
	    (r = dup_str(root, "keystore_socket", NULL, &c.keystore_socket)) < 0 ||
	    (r = dup_str(root, "rpc_url", NULL, &c.rpc_url)) < 0 ||
	    (r = dup_str(root, "chain_name", "", &c.chain_name)) < 0 ||
	    (r = dup_str(root, "explorer_url", NULL, &c.explorer_url)) < 0 ||
	    (r = dup_str(root, "public_secret", NULL, &c.public_secret)) < 0 ||
	    (r = dup_str(root, "server_public_key", NULL, &c.server_public_key)) < 0 ||
	    (r = dup_str(root, "admin_wallet", NULL, &c.admin_wallet)) < 0 ||
	    (r = dup_str(root, "www", NULL, &c.www)) < 0 ||
	    (r = dup_str(root, "cert", NULL, &c.cert)) < 0)
		goto out;
	if (!url_ok(c.rpc_url)) {
		bh_msg_set(msg, "%s: key 'rpc_url': expected an http:// or https:// URL", name);
		r = BH_ERR_FORMAT;
		goto out;
	}
	if (c.explorer_url && !url_ok(c.explorer_url)) {
		bh_msg_set(msg, "%s: key 'explorer_url': expected an http:// or https:// URL without "
			   "spaces or quotes", name);
		r = BH_ERR_FORMAT;
		goto out;
	}
	if (c.server_public_key && !pubkey_ok(c.server_public_key)) {
		bh_msg_set(msg, "%s: key 'server_public_key': expected the engine's uncompressed "
			   "secp256k1 ECIES key, 0x04 and 128 hex digits", name);
		r = BH_ERR_FORMAT;
		goto out;
	}
	if (!c.public_secret) {
		/* per deployment: a signature given to this host decrypts nothing elsewhere
		 * (upstream-engine.md §1e; SECURITY.md) */
		char lower[43];
		for (size_t i = 0; i < sizeof(lower); i++)
			lower[i] = (char)(c.subscriptions_text[i] >= 'A' && c.subscriptions_text[i] <= 'F'
					  ? c.subscriptions_text[i] + 32 : c.subscriptions_text[i]);
		if (asprintf(&c.public_secret, "blockhost-access:%llu:%s",
			     (unsigned long long)c.chain_id, lower) < 0) {
			c.public_secret = NULL;
			r = -ENOMEM;
			goto out;
		}
	}
	if (!c.public_secret[0]) {
		bh_msg_set(msg, "%s: key 'public_secret': must not be empty", name);
		r = BH_ERR_FORMAT;
		goto out;
	}
	*ret = c;
	memset(&c, 0, sizeof(c));
	r = 0;
out:
	su_config_done(&c);
	return r;
}

int su_config_parse(const void *data, size_t len, const char *name, struct su_config *ret,
		    struct bh_msg *msg)
{
	json_t *root = NULL;
	int r;

	if ((r = bh_config_parse(data, len, name, &root, msg)) < 0)
		return r;
	r = from_json(root, name, ret, msg);
	json_decref(root);
	return r;
}

/* bh_config_load: O_NOFOLLOW, a regular file, not world-writable, size capped */
int su_config_load(const char *path, struct su_config *ret, struct bh_msg *msg)
{
	json_t *root = NULL;
	int r;

	if ((r = bh_config_load(path, &root, msg)) < 0)
		return r;
	r = from_json(root, path, ret, msg);
	json_decref(root);
	return r;
}

void su_config_done(struct su_config *c)
{
	if (!c)
		return;
	free(c->listen);
	free(c->keystore_socket);
	free(c->rpc_url);
	free(c->chain_name);
	free(c->explorer_url);
	free(c->public_secret);
	free(c->server_public_key);
	free(c->admin_wallet);
	free(c->www);
	free(c->cert);
	memset(c, 0, sizeof(*c));
}

static char *lower_hex(const char *text)
{
	char *s = strdup(text);
	for (char *p = s; p && *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p + 32);
	return s;
}

int su_config_public_json(const struct su_config *c, char **ret, struct bh_msg *msg)
{
	json_t *o = json_object(), *k = json_object(), *toks = json_array();
	char *admin = NULL;
	char *s = NULL;
	int r = -ENOMEM;

	if (!o || !k || !toks)
		goto out;
	char *sub = lower_hex(c->subscriptions_text), *nft = lower_hex(c->nft_text);
	int bad = !sub || !nft || json_object_set_new(k, "subscriptions", json_string(sub)) ||
		  json_object_set_new(k, "nft", json_string(nft));
	free(sub);
	free(nft);
	if (bad)
		goto out;
	for (size_t i = 0; i < c->ntokens; i++) {
		json_t *t = json_object();
		char *a = lower_hex(c->tokens[i].text);
		bad = !t || !a || json_object_set_new(t, "address", json_string(a)) ||
		      (c->tokens[i].symbol[0] &&
		       json_object_set_new(t, "symbol", json_string(c->tokens[i].symbol))) ||
		      (c->tokens[i].decimals >= 0 &&
		       json_object_set_new(t, "decimals", json_integer(c->tokens[i].decimals)));
		free(a);
		if (bad || json_array_append_new(toks, t)) {
			json_decref(t);
			goto out;
		}
	}
	if (c->admin_wallet && !(admin = lower_hex(c->admin_wallet)))
		goto out;
	if (json_object_set_new(o, "chainId", json_integer((json_int_t)c->chain_id)) ||
	    json_object_set_new(o, "chainName", json_string(c->chain_name)) ||
	    json_object_set_new(o, "contracts", k) ||
	    json_object_set_new(o, "paymentTokens", toks) ||
	    json_object_set_new(o, "explorerUrl", c->explorer_url ? json_string(c->explorer_url)
								 : json_null()) ||
	    json_object_set_new(o, "publicSecret", json_string(c->public_secret)) ||
	    json_object_set_new(o, "serverPublicKey", c->server_public_key
		    ? json_string(c->server_public_key) : json_null()) ||
	    json_object_set_new(o, "adminWallet", admin ? json_string(admin) : json_null()) ||
	    json_object_set_new(o, "rpcPath", json_string("/rpc")) ||
	    json_object_set_new(o, "relay", json_pack("{s:I,s:I,s:I}", "maxBatch",
						      (json_int_t)SU_RELAY_BATCH_MAX, "maxBodyBytes",
						      (json_int_t)SU_RELAY_BODY_MAX, "maxLogBlocks",
						      (json_int_t)c->max_log_blocks))) {
		k = toks = NULL;
		goto out;
	}
	k = toks = NULL;
	if (!(s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS))) {
		bh_msg_set(msg, "config.json: a string is not valid UTF-8");
		r = BH_ERR_UTF8;
		goto out;
	}
	*ret = s;
	r = 0;
out:
	free(admin);
	json_decref(o);
	json_decref(k);
	json_decref(toks);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* Keystore daemon client (keystore_client.h). */
#include <stdlib.h>
#include <string.h>

#include "eth/abi.h"
#include "eth/eth.h"
#include "core/frame.h"
#include "core/hex.h"
#include "host/keystore_client.h"
#include "core/strutil.h"
#include "core/path.h"
#include "eth/secp.h"

int bh_keystore_client_init(struct bh_keystore_client *c, const char *socket_path)
{
	char *p = NULL;
	int r;
	if (socket_path) {
		if (!(p = strdup(socket_path)))
			return -ENOMEM;
	} else if ((r = bh_path(BH_DIR_RUN, "keystore.sock", &p)) < 0)
		return r;
	c->socket_path = p;
	c->timeout_ms = BH_KEYSTORE_TIMEOUT_MS;
	return 0;
}

void bh_keystore_client_done(struct bh_keystore_client *c)
{
	if (!c)
		return;
	free(c->socket_path);
	c->socket_path = NULL;
}

int bh_keystore_call(const struct bh_keystore_client *c, const json_t *request, json_t **ret)
{
	return bh_frame_call(c->socket_path, request, BH_FRAME_MAX_RESPONSE, c->timeout_ms, ret);
}

/* Call; on ok:false map to BH_ERR_DENIED / BH_ERR_DECRYPT / BH_ERR_PEER with msg. */
static int call_ok(const struct bh_keystore_client *c, json_t *req, json_t **ret,
		   struct bh_msg *msg)
{
	json_t *resp = NULL;
	int r;
	if (!req)
		return -ENOMEM;
	r = bh_keystore_call(c, req, &resp);
	json_decref(req);
	if (r < 0) {
		bh_msg_set(msg, "keystore %s: %s", c->socket_path, bh_strerror(r));
		return r;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *e = json_string_value(json_object_get(resp, "error"));
		const char *rule = json_string_value(json_object_get(resp, "rule"));
		const char *m = json_string_value(json_object_get(resp, "message"));
		char shown_rule[40], shown[300];
		/* shown to a person: printable ASCII only (strutil.h) */
		if (rule)
			bh_str_sanitize(rule, strlen(rule), shown_rule, sizeof(shown_rule));
		if (m)
			bh_str_sanitize(m, strlen(m), shown, sizeof(shown));
		bh_msg_set(msg, "keystore refused%s%s: %s", rule ? " by rule " : "",
			   rule ? shown_rule : "", m ? shown : "(no message)");
		r = (e && !strcmp(e, "denied")) ? BH_ERR_DENIED
		    : (e && !strcmp(e, "decrypt")) ? BH_ERR_DECRYPT
		    : (e && !strcmp(e, "bad_request")) ? BH_ERR_FORMAT : BH_ERR_PEER;
		json_decref(resp);
		return r;
	}
	*ret = resp;
	return 0;
}

static int get_hex(const json_t *resp, const char *key, uint8_t *out, size_t n,
		   struct bh_msg *msg)
{
	const char *s = json_string_value(json_object_get(resp, key));
	if (!s || bh_hex_decode_exact(s, out, n) < 0) {
		bh_msg_set(msg, "keystore response: '%s' missing or not %zu bytes of hex", key, n);
		return BH_ERR_PEER;
	}
	return 0;
}

static int get_addr(const json_t *resp, uint8_t out[static 20], struct bh_msg *msg)
{
	json_t *v = json_object_get(resp, "address");
	if (!json_is_string(v) || bh_eth_addr_parse(json_string_value(v), json_string_length(v),
						     out) < 0) {
		bh_msg_set(msg, "keystore response: 'address' missing or invalid");
		return BH_ERR_PEER;
	}
	return 0;
}

int bh_keystore_address(const struct bh_keystore_client *c, uint8_t ret_addr[static 20],
			struct bh_msg *msg)
{
	json_t *resp = NULL;
	uint8_t a[20];
	int r = call_ok(c, json_pack("{s:s}", "op", "address"), &resp, msg);
	if (r < 0)
		return r;
	r = get_addr(resp, a, msg);
	json_decref(resp);
	if (r == 0)
		memcpy(ret_addr, a, 20);
	return r;
}

int bh_keystore_pubkeys(const struct bh_keystore_client *c, uint8_t ret_addr[static 20],
			uint8_t ret_ecies[static 65], uint8_t ret_tls[static 65],
			struct bh_msg *msg)
{
	json_t *resp = NULL;
	uint8_t a[20], e[65], t[65];
	int r = call_ok(c, json_pack("{s:s}", "op", "pubkeys"), &resp, msg);
	if (r < 0)
		return r;
	if ((r = get_addr(resp, a, msg)) == 0 && (r = get_hex(resp, "ecies_pubkey", e, 65, msg)) == 0)
		r = get_hex(resp, "tls_pubkey", t, 65, msg);
	json_decref(resp);
	if (r == 0) {
		memcpy(ret_addr, a, 20);
		memcpy(ret_ecies, e, 65);
		memcpy(ret_tls, t, 65);
	}
	return r;
}

/* A quantity as minimal 0x hex. */
static json_t *qty(const uint8_t v[32])
{
	size_t i = 0;
	while (i < 31 && v[i] == 0)
		i++;
	char *h = bh_hex_encode_alloc(v + i, 32 - i, false);
	if (!h)
		return NULL;
	const char *p = h;
	while (p[0] == '0' && p[1])
		p++;
	char buf[70];
	snprintf(buf, sizeof(buf), "0x%s", p);
	free(h);
	return json_string(buf);
}

int bh_keystore_sign_tx(const struct bh_keystore_client *c, const struct bh_keystore_tx *tx,
			struct bh_buf *ret_raw, uint8_t ret_hash[static 32], struct bh_msg *msg)
{
	json_t *req = json_object(), *resp = NULL;
	uint8_t *raw = NULL, h[32];
	size_t rawlen = 0;
	int r;
	if (!req)
		return -ENOMEM;
	json_object_set_new(req, "op", json_string("sign_tx"));
	json_object_set_new(req, "chainId", json_integer((json_int_t)tx->chain_id));
	json_object_set_new(req, "nonce", json_integer((json_int_t)tx->nonce));
	json_object_set_new(req, "maxPriorityFeePerGas", qty(tx->max_priority_fee));
	json_object_set_new(req, "maxFeePerGas", qty(tx->max_fee));
	json_object_set_new(req, "gas", json_integer((json_int_t)tx->gas_limit));
	if (tx->has_to)
		json_object_set_new(req, "to", bh_json_hex(tx->to, 20));
	json_object_set_new(req, "value", qty(tx->value));
	json_object_set_new(req, "data", tx->data_len ? bh_json_hex(tx->data, tx->data_len)
						      : json_string("0x"));
	if (tx->chain_id > INT64_MAX || tx->nonce > INT64_MAX || tx->gas_limit > INT64_MAX) {
		json_decref(req);
		return BH_ERR_RANGE;
	}
	if ((r = call_ok(c, req, &resp, msg)) < 0)
		return r;
	const char *s = json_string_value(json_object_get(resp, "raw"));
	if (!s || bh_hex_decode_alloc(s, 256 * 1024, &raw, &rawlen) < 0 ||
	    (r = get_hex(resp, "hash", h, 32, msg)) < 0) {
		bh_msg_set(msg, "keystore response: 'raw'/'hash' missing or invalid");
		r = BH_ERR_PEER;
		goto out;
	}
	if ((r = bh_buf_put(ret_raw, raw, rawlen)) < 0)
		goto out;
	memcpy(ret_hash, h, 32);
	r = 0;
out:
	free(raw);
	json_decref(resp);
	return r;
}

int bh_keystore_personal_sign(const struct bh_keystore_client *c, const void *m, size_t len,
			      uint8_t ret_sig[static 65], struct bh_msg *msg)
{
	json_t *resp = NULL;
	uint8_t sig[65];
	json_t *req = json_pack("{s:s,s:o}", "op", "personal_sign", "message_hex",
				bh_json_hex(m, len));
	int r = call_ok(c, req, &resp, msg);
	if (r < 0)
		return r;
	json_t *v = json_object_get(resp, "signature");
	if (!json_is_string(v) ||
	    bh_sig_parse_hex(json_string_value(v), json_string_length(v), sig) < 0) {
		bh_msg_set(msg, "keystore response: 'signature' missing or invalid");
		r = BH_ERR_PEER;
	} else
		memcpy(ret_sig, sig, 65);
	json_decref(resp);
	return r;
}

int bh_keystore_ecies_decrypt(const struct bh_keystore_client *c, const uint8_t *ct, size_t len,
			      struct bh_buf *ret_plain, struct bh_msg *msg)
{
	json_t *resp = NULL;
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	json_t *req = json_pack("{s:s,s:o}", "op", "ecies_decrypt", "ciphertext", bh_json_hex(ct, len));
	int r = call_ok(c, req, &resp, msg);
	if (r < 0)
		return r;
	const char *s = json_string_value(json_object_get(resp, "plaintext"));
	if (!s || strncmp(s, "0x", 2) != 0 ||
	    (s[2] && bh_hex_decode_alloc(s, 1024 * 1024, &pt, &ptlen) < 0)) {
		bh_msg_set(msg, "keystore response: 'plaintext' missing or invalid");
		r = BH_ERR_PEER;
	} else
		r = bh_buf_put(ret_plain, pt, ptlen);
	if (pt) {
		explicit_bzero(pt, ptlen);
		free(pt);
	}
	if (s) /* the plaintext's hex text lives in resp: wipe it before jansson frees it */
		explicit_bzero((char *)s, strlen(s));
	json_decref(resp);
	return r;
}

int bh_keystore_tls_sign(const struct bh_keystore_client *c, const uint8_t *digest, size_t dlen,
			 uint8_t ret_der[static 72], size_t *ret_len, struct bh_msg *msg)
{
	json_t *resp = NULL;
	uint8_t *der = NULL;
	size_t n = 0;
	json_t *req = json_pack("{s:s,s:o}", "op", "tls_sign", "digest", bh_json_hex(digest, dlen));
	int r = call_ok(c, req, &resp, msg);
	if (r < 0)
		return r;
	const char *s = json_string_value(json_object_get(resp, "signature"));
	if (!s || bh_hex_decode_alloc(s, 72, &der, &n) < 0 || n < 8) {
		bh_msg_set(msg, "keystore response: 'signature' missing or invalid");
		r = BH_ERR_PEER;
	} else {
		memcpy(ret_der, der, n);
		*ret_len = n;
	}
	free(der);
	json_decref(resp);
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * Test driver for the ABI / RLP / transaction code (interop and anvil tests).
 *
 *   abi_tool batch-abi   < [{"type":"(..)","values":[..],"encoding":"0x.."}, ...]
 *        -> [{"encoding":"0x..(ours, from values)","decoded":[..](ours, from their encoding)}]
 *   abi_tool batch-rlp   < {"encode":[nested arrays of 0x strings], "decode":["0x..", ...]}
 *        -> {"encoded":[...], "decoded":[...]}
 *   abi_tool batch-events < [{"address":"0x..","topics":["0x..",..],"data":"0x.."}, ...]
 *        -> [{"event":"SubscriptionCreated","address":"0x..","fields":{"subscription_id":"7",..}}]
 *        (bh_event_decode; numbers as decimal strings, addresses and bytes as 0x hex)
 *   abi_tool batch-tx KEYFILE < {"sign":[fields], "decode":["0x02..", "0xf8.."]}
 *        -> {"signed":["0x.."], "decoded":[fields + "from", "hash"]}
 *   abi_tool sign-tx KEYFILE FIELDS_JSON  -> 0x raw signed type-2 transaction
 *   abi_tool encode-call SIGNATURE ARGS_JSON -> 0x calldata
 *   abi_tool decode TYPE HEX -> JSON
 *   abi_tool decode-revert HEX [ERROR_SIGNATURE...] -> one line of text
 *
 * Fields JSON: bh_tx_from_json / bh_tx_to_json (tx.h).
 * Errors are reported per item as {"error":"..."}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "eth/abi.h"
#include "eth/events.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/hex.h"
#include "eth/rlp.h"
#include "eth/tx.h"

static json_t *read_stdin_json(void)
{
	struct bh_buf b;
	json_error_t je;
	json_t *j = NULL;
	bh_buf_init(&b, 64u << 20);
	if (bh_buf_read_fd_all(&b, 0) == 0)
		j = json_loadb((const char *)bh_buf_ptr(&b), bh_buf_len(&b), 0, &je);
	bh_buf_done(&b);
	if (!j)
		fprintf(stderr, "abi_tool: bad JSON on stdin\n");
	return j;
}

static json_t *errj(const char *what, int r, const struct bh_msg *m)
{
	return json_pack("{s:s, s:s, s:s}", "error", m && m->text[0] ? m->text : what, "code",
			 bh_strerror(r), "what", what);
}

static int hex_in(const json_t *j, size_t max, uint8_t **ret, size_t *n)
{
	if (!json_is_string(j))
		return BH_ERR_WRONG_TYPE;
	return bh_hex_decode_alloc(json_string_value(j), max, ret, n);
}

/* ---------------------------------------------------------------- typed events */

static json_t *dec_json(const uint8_t w[32])
{
	char d[BH_U256_DEC_MAX];
	bh_u256_to_dec(w, d);
	return json_string(d);
}

static json_t *u64_json(uint64_t x)
{
	uint8_t w[32];
	bh_u256_from_u64(x, w);
	return dec_json(w);
}

static json_t *event_one(const json_t *j)
{
	struct bh_log log;
	struct bh_event ev;
	struct bh_msg m = { "" };
	uint8_t *p = NULL, *data = NULL;
	size_t n = 0, dlen = 0;
	const json_t *topics = json_object_get(j, "topics");
	json_t *res = NULL, *f;
	int r;

	memset(&log, 0, sizeof(log));
	if ((r = hex_in(json_object_get(j, "address"), 20, &p, &n)) < 0 || n != 20) {
		res = errj("address", r < 0 ? r : BH_ERR_LENGTH, NULL);
		goto out;
	}
	memcpy(log.address, p, 20);
	if (!json_is_array(topics) || json_array_size(topics) > BH_LOG_MAX_TOPICS) {
		res = errj("topics", BH_ERR_FORMAT, NULL);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(topics); i++) {
		free(p);
		p = NULL;
		if ((r = hex_in(json_array_get(topics, i), 32, &p, &n)) < 0 || n != 32) {
			res = errj("topic", r < 0 ? r : BH_ERR_LENGTH, NULL);
			goto out;
		}
		memcpy(log.topics[i], p, 32);
	}
	log.ntopics = json_array_size(topics);
	if ((r = hex_in(json_object_get(j, "data"), BH_ABI_MAX_DATA, &data, &dlen)) < 0) {
		res = errj("data", r, NULL);
		goto out;
	}
	bh_buf_view(&log.data, data, dlen);
	if ((r = bh_event_decode(&log, &ev, &m)) < 0) {
		res = errj("decode", r, &m);
		goto out;
	}
	f = json_object();
	switch (ev.kind) {
	case BH_EV_SUBSCRIPTION_CREATED: {
		const struct bh_ev_subscription_created *e = &ev.subscription_created;
		json_object_set_new(f, "subscription_id", u64_json(e->subscription_id));
		json_object_set_new(f, "plan_id", u64_json(e->plan_id));
		json_object_set_new(f, "subscriber", bh_json_hex(e->subscriber, 20));
		json_object_set_new(f, "expires_at", dec_json(e->expires_at.be));
		json_object_set_new(f, "paid_amount", dec_json(e->paid_amount.be));
		json_object_set_new(f, "payment_token", bh_json_hex(e->payment_token, 20));
		json_object_set_new(f, "user_encrypted", bh_json_hex(bh_buf_ptr(&e->user_encrypted),
								     bh_buf_len(&e->user_encrypted)));
		break;
	}
	case BH_EV_SUBSCRIPTION_EXTENDED: {
		const struct bh_ev_subscription_extended *e = &ev.subscription_extended;
		json_object_set_new(f, "subscription_id", u64_json(e->subscription_id));
		json_object_set_new(f, "plan_id", u64_json(e->plan_id));
		json_object_set_new(f, "extended_by", bh_json_hex(e->extended_by, 20));
		json_object_set_new(f, "new_expires_at", dec_json(e->new_expires_at.be));
		json_object_set_new(f, "paid_amount", dec_json(e->paid_amount.be));
		json_object_set_new(f, "payment_token", bh_json_hex(e->payment_token, 20));
		break;
	}
	case BH_EV_SUBSCRIPTION_CANCELLED: {
		const struct bh_ev_subscription_cancelled *e = &ev.subscription_cancelled;
		json_object_set_new(f, "subscription_id", u64_json(e->subscription_id));
		json_object_set_new(f, "plan_id", u64_json(e->plan_id));
		json_object_set_new(f, "subscriber", bh_json_hex(e->subscriber, 20));
		break;
	}
	case BH_EV_CREDENTIAL_MINTED:
		json_object_set_new(f, "token_id", u64_json(ev.credential_minted.token_id));
		json_object_set_new(f, "recipient", bh_json_hex(ev.credential_minted.recipient, 20));
		break;
	case BH_EV_TRANSFER:
		json_object_set_new(f, "from", bh_json_hex(ev.transfer.from, 20));
		json_object_set_new(f, "to", bh_json_hex(ev.transfer.to, 20));
		json_object_set_new(f, "token_id", u64_json(ev.transfer.token_id));
		break;
	default:
		break;
	}
	res = json_pack("{s:s, s:o, s:o}", "event", bh_event_name(ev.kind), "address",
			bh_json_hex(ev.address, 20), "fields", f);
	bh_event_clear(&ev);
out:
	free(p);
	free(data);
	return res;
}

/* ---------------------------------------------------------------- ABI */

static json_t *abi_one(const json_t *v)
{
	struct bh_abi_type *t = NULL;
	struct bh_abi_value val = { 0 }, *dec = NULL;
	struct bh_msg m = { "" };
	struct bh_buf out;
	uint8_t *enc = NULL;
	size_t n = 0;
	json_t *res = json_object();
	int r;

	bh_buf_init(&out, BH_ABI_MAX_DATA);
	if ((r = bh_abi_type_parse(json_string_value(json_object_get(v, "type")), &t, &m)) < 0) {
		json_object_set_new(res, "encoding", errj("type", r, &m));
		goto out;
	}
	if ((r = bh_abi_value_from_json(t, json_object_get(v, "values"), &val, &m)) < 0 ||
	    (r = bh_abi_encode(t, &val, &out, &m)) < 0)
		json_object_set_new(res, "encoding", errj("encode", r, &m));
	else
		json_object_set_new(res, "encoding", bh_json_hex(bh_buf_ptr(&out), bh_buf_len(&out)));
	m.text[0] = 0;
	if ((r = hex_in(json_object_get(v, "encoding"), BH_ABI_MAX_DATA, &enc, &n)) < 0 ||
	    (r = bh_abi_decode(t, enc, n, &dec, &m)) < 0)
		json_object_set_new(res, "decoded", errj("decode", r, &m));
	else
		json_object_set_new(res, "decoded", bh_abi_value_to_json(dec));
out:
	free(enc);
	bh_abi_value_free(dec);
	bh_abi_value_clear(&val);
	bh_abi_type_free(t);
	bh_buf_done(&out);
	return res;
}

/* ---------------------------------------------------------------- RLP */

static int rlp_from_json(const json_t *j, struct bh_rlp_item *it, int depth)
{
	if (depth > BH_RLP_MAX_DEPTH)
		return BH_ERR_LIMIT;
	if (json_is_array(j)) {
		size_t n = json_array_size(j);
		struct bh_rlp_item *kids = calloc(n ? n : 1, sizeof(*kids));
		if (!kids)
			return -ENOMEM;
		bh_rlp_set_list(it, kids, n);
		for (size_t i = 0; i < n; i++) {
			int r = rlp_from_json(json_array_get(j, i), &kids[i], depth + 1);
			if (r < 0)
				return r;
		}
		return 0;
	}
	uint8_t *d = NULL;
	size_t n = 0;
	int r = hex_in(j, BH_RLP_MAX_INPUT, &d, &n);
	if (r < 0)
		return r;
	bh_rlp_set_bytes(it, d, n);
	return 0;
}

static void rlp_free_built(struct bh_rlp_item *it)
{
	if (it->is_list) {
		for (size_t i = 0; i < it->n; i++)
			rlp_free_built(&it->items[i]);
		free(it->items);
	} else {
		free((void *)it->data);
	}
}

static json_t *rlp_to_json(const struct bh_rlp_item *it)
{
	if (!it->is_list)
		return bh_json_hex(it->data, it->len);
	json_t *a = json_array();
	for (size_t i = 0; i < it->n; i++)
		json_array_append_new(a, rlp_to_json(&it->items[i]));
	return a;
}

static int cmd_batch_rlp(void)
{
	json_t *in = read_stdin_json(), *enc = json_array(), *dec = json_array();
	if (!in)
		return 1;
	json_t *e = json_object_get(in, "encode"), *d = json_object_get(in, "decode");
	for (size_t i = 0; i < json_array_size(e); i++) {
		struct bh_rlp_item it;
		struct bh_buf b;
		memset(&it, 0, sizeof(it));
		bh_buf_init(&b, BH_RLP_MAX_INPUT);
		int r = rlp_from_json(json_array_get(e, i), &it, 0);
		if (r == 0)
			r = bh_rlp_encode(&it, &b);
		json_array_append_new(enc, r < 0 ? errj("encode", r, NULL) :
					   bh_json_hex(bh_buf_ptr(&b), bh_buf_len(&b)));
		rlp_free_built(&it);
		bh_buf_done(&b);
	}
	for (size_t i = 0; i < json_array_size(d); i++) {
		uint8_t *raw = NULL;
		size_t n = 0;
		struct bh_rlp_item *it = NULL;
		struct bh_msg m = { "" };
		int r = hex_in(json_array_get(d, i), BH_RLP_MAX_INPUT, &raw, &n);
		if (r == 0)
			r = bh_rlp_decode(raw, n, &it, &m);
		json_array_append_new(dec, r < 0 ? errj("decode", r, &m) : rlp_to_json(it));
		bh_rlp_item_free(it);
		free(raw);
	}
	json_t *out = json_pack("{s:o, s:o}", "encoded", enc, "decoded", dec);
	json_dumpf(out, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(out);
	json_decref(in);
	return 0;
}

/* ---------------------------------------------------------------- transactions */

static int load_key(const char *path, uint8_t key[32])
{
	struct bh_buf b;
	char *s = NULL;
	int r;
	bh_buf_init(&b, 256);
	if ((r = bh_buf_load_file(&b, path)) == 0 && (r = bh_buf_steal_cstr(&b, &s)) == 0) {
		s[strcspn(s, "\r\n")] = 0;
		r = bh_hex_decode_exact(s, key, 32);
		explicit_bzero(s, strlen(s));
		free(s);
	}
	bh_buf_done(&b);
	if (r < 0)
		fprintf(stderr, "abi_tool: key file %s: %s\n", path, bh_strerror(r));
	return r;
}

static json_t *sign_one(const json_t *fields, const uint8_t key[32])
{
	struct bh_tx tx;
	struct bh_msg m = { "" };
	struct bh_buf b;
	json_t *res;
	int r;

	bh_buf_init(&b, BH_TX_MAX_RAW + 1024);
	memset(&tx, 0, sizeof(tx));
	if ((r = bh_tx_from_json(fields, &tx, &m)) < 0 || (r = bh_tx_sign(&tx, key)) < 0 ||
	    (r = bh_tx_serialize(&tx, &b)) < 0)
		res = errj("sign", r, &m);
	else
		res = bh_json_hex(bh_buf_ptr(&b), bh_buf_len(&b));
	bh_tx_clear(&tx);
	bh_buf_done(&b);
	return res;
}

static int cmd_batch_tx(const char *keyfile)
{
	uint8_t key[32];
	json_t *in, *signed_ = json_array(), *dec = json_array();

	if (load_key(keyfile, key) < 0 || !(in = read_stdin_json()))
		return 1;
	json_t *s = json_object_get(in, "sign"), *d = json_object_get(in, "decode");
	for (size_t i = 0; i < json_array_size(s); i++)
		json_array_append_new(signed_, sign_one(json_array_get(s, i), key));
	for (size_t i = 0; i < json_array_size(d); i++) {
		uint8_t *raw = NULL;
		size_t n = 0;
		struct bh_tx tx;
		struct bh_msg m = { "" };
		int r = hex_in(json_array_get(d, i), BH_TX_MAX_RAW, &raw, &n);
		if (r == 0)
			r = bh_tx_decode(raw, n, &tx, &m);
		json_array_append_new(dec, r < 0 ? errj("decode", r, &m) : bh_tx_to_json(&tx));
		if (r == 0)
			bh_tx_clear(&tx);
		free(raw);
	}
	explicit_bzero(key, sizeof(key));
	json_t *out = json_pack("{s:o, s:o}", "signed", signed_, "decoded", dec);
	json_dumpf(out, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(out);
	json_decref(in);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "batch-abi")) {
		json_t *in = read_stdin_json(), *out = json_array();
		if (!in)
			return 1;
		for (size_t i = 0; i < json_array_size(in); i++)
			json_array_append_new(out, abi_one(json_array_get(in, i)));
		json_dumpf(out, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(out);
		json_decref(in);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "batch-events")) {
		json_t *in = read_stdin_json(), *out = json_array();
		if (!in)
			return 1;
		for (size_t i = 0; i < json_array_size(in); i++)
			json_array_append_new(out, event_one(json_array_get(in, i)));
		json_dumpf(out, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(out);
		json_decref(in);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "batch-rlp"))
		return cmd_batch_rlp();
	if (argc == 3 && !strcmp(argv[1], "batch-tx"))
		return cmd_batch_tx(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "sign-tx")) {
		uint8_t key[32];
		json_error_t je;
		json_t *f = json_loads(argv[3], 0, &je), *res;
		if (!f || load_key(argv[2], key) < 0)
			return 1;
		res = sign_one(f, key);
		explicit_bzero(key, sizeof(key));
		json_decref(f);
		if (!json_is_string(res)) {
			fprintf(stderr, "abi_tool sign-tx: %s\n",
				json_string_value(json_object_get(res, "error")));
			return 1;
		}
		printf("%s\n", json_string_value(res));
		json_decref(res);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "encode-call")) {
		struct bh_abi_sig *sig = NULL;
		struct bh_abi_value v = { 0 };
		struct bh_msg m = { "" };
		struct bh_buf b;
		json_error_t je;
		json_t *a = json_loads(argv[3], 0, &je);
		int r;
		bh_buf_init(&b, BH_ABI_MAX_DATA);
		if (!a || (r = bh_abi_sig_parse(argv[2], &sig, &m)) < 0 ||
		    (r = bh_abi_value_from_json(sig->params, a, &v, &m)) < 0 ||
		    (r = bh_abi_encode_call(sig, &v, &b, &m)) < 0) {
			fprintf(stderr, "abi_tool encode-call: %s\n", m.text[0] ? m.text : "bad JSON");
			return 1;
		}
		char *h = bh_hex_encode_alloc(bh_buf_ptr(&b), bh_buf_len(&b), true);
		printf("%s\n", h);
		free(h);
		bh_abi_value_clear(&v);
		bh_abi_sig_free(sig);
		json_decref(a);
		bh_buf_done(&b);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "decode")) {
		struct bh_abi_type *t = NULL;
		struct bh_abi_value *v = NULL;
		struct bh_msg m = { "" };
		uint8_t *d = NULL;
		size_t n = 0;
		if (bh_abi_type_parse(argv[2], &t, &m) < 0 ||
		    bh_hex_decode_alloc(argv[3], BH_ABI_MAX_DATA, &d, &n) < 0 ||
		    bh_abi_decode(t, d, n, &v, &m) < 0) {
			fprintf(stderr, "abi_tool decode: %s\n", m.text[0] ? m.text : "bad hex");
			return 1;
		}
		json_t *j = bh_abi_value_to_json(v);
		json_dumpf(j, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(j);
		bh_abi_value_free(v);
		bh_abi_type_free(t);
		free(d);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "decode-revert")) {
		struct bh_abi_sig *errs[16];
		struct bh_abi_revert rv;
		struct bh_msg m = { "" };
		uint8_t *d = NULL;
		size_t n = 0, ne = 0;
		int r;
		for (int i = 3; i < argc && ne < 16; i++)
			if (bh_abi_sig_parse(argv[i], &errs[ne++], &m) < 0) {
				fprintf(stderr, "abi_tool decode-revert: %s\n", m.text);
				return 1;
			}
		if ((r = bh_hex_decode_alloc(argv[2], BH_ABI_MAX_DATA, &d, &n)) < 0 ||
		    (r = bh_abi_decode_revert(d, n, (const struct bh_abi_sig *const *)errs, ne, &rv,
					      &m)) < 0) {
			fprintf(stderr, "abi_tool decode-revert: %s\n", m.text[0] ? m.text : bh_strerror(r));
			return 1;
		}
		printf("%s\n", rv.text);
		bh_abi_revert_clear(&rv);
		for (size_t i = 0; i < ne; i++)
			bh_abi_sig_free(errs[i]);
		free(d);
		return 0;
	}
	fprintf(stderr, "usage: abi_tool batch-abi|batch-events|batch-rlp|batch-tx KEYFILE|sign-tx KEYFILE JSON|"
			"encode-call SIG JSON|decode TYPE HEX|decode-revert HEX [SIG...]\n");
	return 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * bhcrypt abi-decode-log: decode an EVM event log with a signature string.
 *
 *   bhcrypt abi-decode-log SIGNATURE TOPICS DATA
 *   bhcrypt abi-decode-log SIGNATURE -        (log object or eth_getLogs array on stdin)
 *
 * Output: one line of JSON and a newline:
 *   {"event":"Name","signature":"Name(uint256,...)","args":[...],"named":{...}}
 * for a log given in argv or as one object; a JSON array of such objects (with
 * "address", "blockNumber", "transactionHash", "logIndex" copied from each log) for
 * an array on stdin, where logs whose topic0 is another event are skipped.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "eth/abi.h"
#include "bhcrypt.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/hex.h"
#include "core/json.h"

#define LOGS_INPUT_MAX (16u * 1024u * 1024u)
#define MAX_TOPICS 4
#define TOPICS_ARG_MAX (64u * 1024u)   /* a JSON array of topics on the command line */

static const char usage[] =
	"usage: bhcrypt abi-decode-log SIGNATURE TOPICS DATA\n"
	"       bhcrypt abi-decode-log SIGNATURE -\n"
	"\n"
	"Decode an event log.  SIGNATURE names the event and its parameters, with\n"
	"\"indexed\" and optional names, e.g.\n"
	"  'SubscriptionCreated(uint256 indexed id,uint256 indexed planId,address indexed sub,\n"
	"   uint256 expiresAt,uint256 paidAmount,address paymentToken,bytes userEncrypted)'\n"
	"TOPICS is a comma-separated list (or a JSON array) of 0x-prefixed 32-byte topics,\n"
	"topic0 first; DATA is the 0x-prefixed data.  With '-' a log object {\"topics\":[...],\n"
	"\"data\":\"0x...\"} or an array of them (eth_getLogs result) is read from stdin;\n"
	"logs of other events in an array are skipped.\n"
	"\n"
	"Prints one line of JSON: {\"event\",\"signature\",\"args\":[...],\"named\":{...}};\n"
	"numbers as decimal strings, addresses and bytes as lower-case 0x hex; an indexed\n"
	"string/bytes/array/tuple is its 32-byte hash.  Decoding is strict (canonical\n"
	"encoding only); errors name the parameter and what was wrong.\n";

/* Decode one log; on success *ret is the JSON object. */
static int decode_one(const struct bh_abi_sig *sig, const uint8_t (*topics)[32], size_t ntopics,
                      const uint8_t *data, size_t len, json_t **ret, struct bh_msg *msg)
{
	struct bh_abi_value *v = NULL;
	json_t *o = NULL, *args = NULL, *named = NULL;
	int r;

	if ((r = bh_abi_decode_log(sig, topics, ntopics, data, len, &v, msg)) < 0)
		return r;
	r = -ENOMEM;
	if (!(args = bh_abi_value_to_json(v)) || !(named = json_object()))
		goto out;
	for (size_t i = 0; i < sig->params->len; i++) {
		const char *name = sig->params->members[i]->name;
		if (name && json_object_set(named, name, json_array_get(args, i)) < 0)
			goto out;
	}
	if (!(o = json_pack("{s:s, s:s, s:O, s:O}", "event", sig->name, "signature",
			    sig->canonical, "args", args, "named", named)))
		goto out;
	*ret = o;
	r = 0;
out:
	json_decref(args);
	json_decref(named);
	bh_abi_value_free(v);
	return r;
}

static int parse_topic(const char *s, size_t n, uint8_t out[32])
{
	if (n != 66 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return BH_ERR_FORMAT;
	return bh_hex_decode_ct(s + 2, 64, out, 32);
}

static int topics_from_json(const json_t *a, uint8_t topics[MAX_TOPICS][32], size_t *ret_n,
                            struct bh_msg *msg)
{
	size_t n = json_array_size(a);
	if (!json_is_array(a) || n == 0 || n > MAX_TOPICS) {
		bh_msg_set(msg, "topics: expected an array of 1 to %d topics", MAX_TOPICS);
		return BH_ERR_FORMAT;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *t = json_array_get(a, i);
		if (!json_is_string(t) ||
		    parse_topic(json_string_value(t), json_string_length(t), topics[i]) < 0) {
			bh_msg_set(msg, "topic %zu: expected 0x and 64 hex digits", i);
			return BH_ERR_FORMAT;
		}
	}
	*ret_n = n;
	return 0;
}

static int topics_from_arg(const char *s, uint8_t topics[MAX_TOPICS][32], size_t *ret_n,
                           struct bh_msg *msg)
{
	size_t n = 0;

	if (s[0] == '[') {
		struct bh_msg jm = { "" };
		json_t *a = NULL;
		int r;
		if (bh_json_load(s, strlen(s), TOPICS_ARG_MAX, BH_JSON_ARRAY, &a, &jm) < 0) {
			bh_msg_set(msg, "topics: %s", jm.text);
			return BH_ERR_FORMAT;
		}
		r = topics_from_json(a, topics, ret_n, msg);
		json_decref(a);
		return r;
	}
	while (*s) {
		size_t k = strcspn(s, ",");
		if (n == MAX_TOPICS) {
			bh_msg_set(msg, "topics: more than %d", MAX_TOPICS);
			return BH_ERR_LIMIT;
		}
		if (parse_topic(s, k, topics[n]) < 0) {
			bh_msg_set(msg, "topic %zu: expected 0x and 64 hex digits", n);
			return BH_ERR_FORMAT;
		}
		n++;
		s += k;
		if (*s == ',')
			s++;
	}
	if (n == 0) {
		bh_msg_set(msg, "topics: none given (topic0 is required)");
		return BH_ERR_FORMAT;
	}
	*ret_n = n;
	return 0;
}

static int data_from_str(const char *s, uint8_t **ret, size_t *ret_len, struct bh_msg *msg)
{
	int r;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		bh_msg_set(msg, "data: expected 0x-prefixed hex");
		return BH_ERR_HEX;
	}
	if ((r = bh_hex_decode_alloc(s, BH_ABI_MAX_DATA, ret, ret_len)) < 0)
		bh_msg_set(msg, "data: %s", bh_strerror(r));
	return r;
}

/* A log object from eth_getLogs: decode; *ret NULL (and 0) if topic0 is another event. */
static int decode_log_object(const struct bh_abi_sig *sig, const json_t *log, bool skip_others,
                             json_t **ret, struct bh_msg *msg)
{
	uint8_t topics[MAX_TOPICS][32], *data = NULL;
	size_t nt = 0, len = 0;
	json_t *o = NULL, *jd = json_object_get(log, "data");
	int r;

	*ret = NULL;
	if (!json_is_object(log) || !json_is_string(jd)) {
		bh_msg_set(msg, "log: expected an object with \"topics\" and \"data\"");
		return BH_ERR_FORMAT;
	}
	if ((r = topics_from_json(json_object_get(log, "topics"), topics, &nt, msg)) < 0) {
		if (skip_others && json_array_size(json_object_get(log, "topics")) == 0)
			return 0; /* anonymous event from another contract */
		return r;
	}
	if (skip_others && memcmp(topics[0], sig->topic, 32))
		return 0;
	if ((r = data_from_str(json_string_value(jd), &data, &len, msg)) < 0)
		return r;
	r = decode_one(sig, (const uint8_t(*)[32])topics, nt, data, len, &o, msg);
	free(data);
	if (r < 0)
		return r;
	static const char *const copy[] = { "address", "blockNumber", "transactionHash", "logIndex" };
	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
		json_t *x = json_object_get(log, copy[i]);
		if (x && json_object_set(o, copy[i], x) < 0) {
			json_decref(o);
			return -ENOMEM;
		}
	}
	*ret = o;
	return 0;
}

static int print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	int r;
	if (!s)
		return -ENOMEM;
	if ((r = bhcrypt_write(s, strlen(s))) == 0)
		r = bhcrypt_write("\n", 1);
	free(s);
	return r;
}

static int run(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	struct bh_abi_sig *sig = NULL;
	struct bh_msg msg = { "" };
	json_t *out = NULL, *in = NULL;
	struct bh_buf b;
	int r, rc = 1;

	bh_buf_init(&b, LOGS_INPUT_MAX);
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		bhcrypt_help(self);
		rc = 0;
		goto out;
	}
	if (argc != 3 && argc != 4) {
		rc = bhcrypt_usage_error(self, "expected SIGNATURE TOPICS DATA or SIGNATURE -");
		goto out;
	}
	if ((r = bh_abi_sig_parse(argv[1], &sig, &msg)) < 0) {
		rc = bhcrypt_usage_error(self, "%s", msg.text);
		goto out;
	}
	if (argc == 4) {
		uint8_t topics[MAX_TOPICS][32], *data = NULL;
		size_t nt = 0, len = 0;
		if ((r = topics_from_arg(argv[2], topics, &nt, &msg)) < 0 ||
		    (r = data_from_str(argv[3], &data, &len, &msg)) < 0) {
			rc = bhcrypt_usage_error(self, "%s", msg.text);
			goto out;
		}
		r = decode_one(sig, (const uint8_t(*)[32])topics, nt, data, len, &out, &msg);
		free(data);
	} else if (!strcmp(argv[2], "-")) {
		if ((r = bh_buf_read_fd_all(&b, STDIN_FILENO)) < 0) {
			rc = bhcrypt_error(self, "reading stdin: %s", bh_strerror(r));
			goto out;
		}
		if (bh_json_load_buf(&b, LOGS_INPUT_MAX, BH_JSON_OBJECT | BH_JSON_ARRAY, &in, &msg) < 0) {
			rc = bhcrypt_error(self, "stdin: invalid JSON: %s", msg.text);
			goto out;
		}
		if (json_is_array(in)) {
			r = (out = json_array()) ? 0 : -ENOMEM;
			for (size_t i = 0; r == 0 && i < json_array_size(in); i++) {
				json_t *o = NULL;
				if ((r = decode_log_object(sig, json_array_get(in, i), true, &o, &msg)) < 0) {
					char pre[32];
					snprintf(pre, sizeof(pre), "log %zu: ", i);
					rc = bhcrypt_error(self, "%s%s", pre, msg.text);
					goto out;
				}
				if (o && json_array_append_new(out, o) < 0)
					r = -ENOMEM;
			}
		} else {
			r = decode_log_object(sig, in, false, &out, &msg);
		}
	} else {
		rc = bhcrypt_usage_error(self, "expected SIGNATURE TOPICS DATA or SIGNATURE -");
		goto out;
	}
	if (r < 0) {
		rc = bhcrypt_error(self, "%s", msg.text[0] ? msg.text : bh_strerror(r));
		goto out;
	}
	if ((r = print_json(out)) < 0) {
		rc = bhcrypt_error(self, "writing output: %s", bh_strerror(r));
		goto out;
	}
	rc = 0;
out:
	json_decref(in);
	json_decref(out);
	bh_abi_sig_free(sig);
	bh_buf_done(&b);
	return rc;
}

const struct bhcrypt_cmd bhcrypt_cmd_abi_decode_log = {
	.name = "abi-decode-log",
	.summary = "decode an event log (signature, topics, data) to JSON",
	.usage = usage,
	.run = run,
};

/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/spawn.h"
#include "core/strutil.h"
#include "request.h"

int bh_agent_request_parse(const json_t *req, struct bh_agent_request *ret, struct bh_msg *msg)
{
	struct bh_agent_request q = { .unknown = false };
	const char *key, *action;
	json_t *v, *params;

	if (!json_is_object(req)) {
		bh_msg_set(msg, "request is not a JSON object");
		return BH_ERR_WRONG_TYPE;
	}
	/* unknown top-level keys are ignored (upstream's rule, docs/PROTOCOL.socket section
	 * 6); the first is kept, printable, so the agent can log that it was ignored */
	json_object_foreach((json_t *)req, key, v) {
		if (strcmp(key, "action") && strcmp(key, "params")) {
			q.n_ignored++;
			if (q.n_ignored == 1)
				bh_str_sanitize(key, BH_STR_CSTR, q.ignored, sizeof(q.ignored));
		}
	}
	v = json_object_get(req, "action");
	if (!v) {
		bh_msg_set(msg, "request: \"action\" missing");
		return BH_ERR_MISSING_KEY;
	}
	if (!(action = json_string_value(v))) {
		bh_msg_set(msg, "request: \"action\" is not a string");
		return BH_ERR_WRONG_TYPE;
	}
	params = json_object_get(req, "params");
	if (params && !json_is_object(params)) {
		bh_msg_set(msg, "request: \"params\" is not an object");
		return BH_ERR_WRONG_TYPE;
	}
	if (!bh_name_valid(action, BH_NAME_ACTION) || json_string_length(v) != strlen(action)) {
		/* a printable, bounded echo of the name for the reply */
		bh_str_sanitize(action, BH_STR_CSTR, q.action, sizeof(q.action));
		q.unknown = true;
		*ret = q;
		return 0;
	}
	if (params)
		json_incref(params);
	else if (!(params = json_object()))
		return -ENOMEM;
	snprintf(q.action, sizeof(q.action), "%s", action);
	q.params = params;
	*ret = q;
	return 0;
}

void bh_agent_request_done(struct bh_agent_request *r)
{
	if (!r)
		return;
	json_decref(r->params);
	r->params = NULL;
}

json_t *bh_agent_error_reply(const char *text)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", text);
}

/* ---- the reader->monitor record (request.h) ---- */

enum {
	REC_ERROR = 1, REC_UNKNOWN = 2, REC_REQUEST = 3,
	T_NULL = 0x01, T_FALSE, T_TRUE, T_INT8, T_INT64, T_REAL, T_STR8, T_STR32, T_ARRAY,
	T_OBJECT,
};
#define REC_MAGIC "BHAR"
#define REC_IGNORED_MAX 67u

static bool printable(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static int put_header(struct bh_buf *out, uint8_t kind)
{
	int r;
	if ((r = bh_buf_put(out, REC_MAGIC, 4)) < 0 ||
	    (r = bh_buf_put_u8(out, BH_AGENT_RECORD_VERSION)) < 0)
		return r;
	return bh_buf_put_u8(out, kind);
}

static int put_str(struct bh_buf *out, const char *s, size_t n, bool tagged)
{
	int r;
	if (n > UINT32_MAX)
		return BH_ERR_LIMIT;
	if (tagged && n <= UINT8_MAX) {
		if ((r = bh_buf_put_u8(out, T_STR8)) < 0 || (r = bh_buf_put_u8(out, (uint8_t)n)) < 0)
			return r;
	} else if ((tagged && (r = bh_buf_put_u8(out, T_STR32)) < 0) ||
		   (r = bh_buf_put_u32(out, (uint32_t)n)) < 0) {
		return r;
	}
	return bh_buf_put(out, s, n);
}

static int put_value(struct bh_buf *out, const json_t *v, unsigned depth)
{
	int r;

	if (depth > BH_AGENT_RECORD_DEPTH_MAX)
		return BH_ERR_LIMIT;
	switch (json_typeof(v)) {
	case JSON_NULL: return bh_buf_put_u8(out, T_NULL);
	case JSON_FALSE: return bh_buf_put_u8(out, T_FALSE);
	case JSON_TRUE: return bh_buf_put_u8(out, T_TRUE);
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);
		if (i >= INT8_MIN && i <= INT8_MAX) {
			if ((r = bh_buf_put_u8(out, T_INT8)) < 0)
				return r;
			return bh_buf_put_u8(out, (uint8_t)(int8_t)i);
		}
		if ((r = bh_buf_put_u8(out, T_INT64)) < 0)
			return r;
		return bh_buf_put_u64(out, (uint64_t)(int64_t)i);
	}
	case JSON_REAL: {
		double d = json_real_value(v);
		uint64_t bits;
		memcpy(&bits, &d, sizeof(bits));
		if ((r = bh_buf_put_u8(out, T_REAL)) < 0)
			return r;
		return bh_buf_put_u64(out, bits);
	}
	case JSON_STRING:
		return put_str(out, json_string_value(v), json_string_length(v), true);
	case JSON_ARRAY: {
		size_t i;
		json_t *e;
		if ((r = bh_buf_put_u8(out, T_ARRAY)) < 0 ||
		    (r = bh_buf_put_u32(out, (uint32_t)json_array_size(v))) < 0)
			return r;
		json_array_foreach(v, i, e)
			if ((r = put_value(out, e, depth + 1)) < 0)
				return r;
		return 0;
	}
	case JSON_OBJECT: {
		const char *k;
		json_t *e;
		if ((r = bh_buf_put_u8(out, T_OBJECT)) < 0 ||
		    (r = bh_buf_put_u32(out, (uint32_t)json_object_size(v))) < 0)
			return r;
		json_object_foreach((json_t *)v, k, e)
			if ((r = put_str(out, k, strlen(k), false)) < 0 ||
			    (r = put_value(out, e, depth + 1)) < 0)
				return r;
		return 0;
	}
	}
	return BH_ERR_WRONG_TYPE;
}

/* The limits of plugin.h that hold whatever the manifest says (section 3 of
 * docs/PROTOCOL.plugin): checked by the reader so that no value that every schema
 * refuses is handed to root at all. */
static int check_ceilings(const json_t *params, struct bh_msg *msg)
{
	const char *key;
	json_t *v, *e;
	size_t i;
	char pk[68];

	json_object_foreach((json_t *)params, key, v) {
		size_t items = json_is_array(v) ? json_array_size(v) :
			       json_is_object(v) ? json_object_size(v) : 0;
		bool long_str = json_is_string(v) && json_string_length(v) > BH_PLUGIN_STRING_MAX;
		if (json_is_array(v))
			json_array_foreach(v, i, e)
				long_str |= json_is_string(e) && json_string_length(e) > BH_PLUGIN_STRING_MAX;
		if (long_str || items > BH_PLUGIN_ITEMS_MAX) {
			bh_msg_set(msg, "param '%s': %s (more than any action's schema allows)",
				   bh_str_sanitize(key, BH_STR_CSTR, pk, sizeof(pk)),
				   long_str ? "a string longer than 65536 bytes" : "more than 1024 items");
			return BH_ERR_LIMIT;
		}
	}
	return 0;
}

int bh_agent_record_put_request(struct bh_buf *out, const struct bh_agent_request *q,
				struct bh_msg *msg)
{
	size_t n = strlen(q->action), ni = strlen(q->ignored);
	int r;

	_Static_assert(BH_PLUGIN_STRING_MAX == 65536 && BH_PLUGIN_ITEMS_MAX == 1024,
		       "check_ceilings' text");

	if (q->unknown) {
		n = n > BH_PLUGIN_NAME_MAX ? BH_PLUGIN_NAME_MAX : n;
		if ((r = put_header(out, REC_UNKNOWN)) < 0 || (r = bh_buf_put_u8(out, (uint8_t)n)) < 0)
			return r;
		return bh_buf_put(out, q->action, n);
	}
	if (!json_is_object(q->params) || n == 0 || n > BH_PLUGIN_NAME_MAX || ni > REC_IGNORED_MAX) {
		bh_msg_set(msg, "not a parsed request");
		return BH_ERR_WRONG_TYPE;
	}
	if ((r = check_ceilings(q->params, msg)) < 0)
		return r;
	if ((r = put_header(out, REC_REQUEST)) < 0 || (r = bh_buf_put_u8(out, (uint8_t)n)) < 0 ||
	    (r = bh_buf_put(out, q->action, n)) < 0 ||
	    (r = bh_buf_put_u32(out, q->n_ignored > UINT32_MAX ? UINT32_MAX : (uint32_t)q->n_ignored)) < 0 ||
	    (r = bh_buf_put_u8(out, (uint8_t)ni)) < 0 || (r = bh_buf_put(out, q->ignored, ni)) < 0)
		return r;
	if ((r = put_value(out, q->params, 0)) < 0)
		bh_msg_set(msg, "%s (the request does not fit the %u-byte reader->monitor record)",
			   bh_strerror(r), BH_AGENT_RECORD_MAX);
	return r;
}

int bh_agent_record_put_error(struct bh_buf *out, const char *text)
{
	char t[BH_AGENT_RECORD_TEXT_MAX + 1];
	size_t n;
	int r;

	bh_str_sanitize(text, BH_STR_CSTR, t, sizeof(t));
	n = strlen(t);
	if ((r = put_header(out, REC_ERROR)) < 0 || (r = bh_buf_put_u16(out, (uint16_t)n)) < 0)
		return r;
	return bh_buf_put(out, t, n);
}

/* n bytes of a string or key: UTF-8, no NUL; *ret points into the record */
static int get_text(struct bh_buf *b, size_t n, const char **ret, struct bh_msg *msg)
{
	const uint8_t *p;
	int r;

	if ((r = bh_buf_get_direct(b, n, &p)) < 0) {
		bh_msg_set(msg, "record: string of %zu bytes cut short", n);
		return r;
	}
	if (memchr(p, 0, n)) {
		bh_msg_set(msg, "record: NUL byte in a string");
		return BH_ERR_NUL;
	}
	*ret = (const char *)p;
	return 0;
}

static int get_value(struct bh_buf *b, unsigned depth, json_t **ret, struct bh_msg *msg)
{
	json_t *v = NULL;
	const char *s;
	uint8_t tag, u8;
	uint32_t n;
	uint64_t u64;
	int r;

	if (depth > BH_AGENT_RECORD_DEPTH_MAX) {
		bh_msg_set(msg, "record: nested deeper than %u", BH_AGENT_RECORD_DEPTH_MAX);
		return BH_ERR_LIMIT;
	}
	if ((r = bh_buf_get_u8(b, &tag)) < 0) {
		bh_msg_set(msg, "record: value missing");
		return r;
	}
	switch (tag) {
	case T_NULL: v = json_null(); break;
	case T_FALSE: v = json_false(); break;
	case T_TRUE: v = json_true(); break;
	case T_INT8:
		if ((r = bh_buf_get_u8(b, &u8)) < 0)
			goto cut;
		v = json_integer((int8_t)u8);
		break;
	case T_INT64:
		if ((r = bh_buf_get_u64(b, &u64)) < 0)
			goto cut;
		if ((int64_t)u64 >= INT8_MIN && (int64_t)u64 <= INT8_MAX) {
			bh_msg_set(msg, "record: int64 for a value that fits int8 (not canonical)");
			return BH_ERR_FORMAT;
		}
		v = json_integer((json_int_t)(int64_t)u64);
		break;
	case T_REAL: {
		double d;
		if ((r = bh_buf_get_u64(b, &u64)) < 0)
			goto cut;
		memcpy(&d, &u64, sizeof(d));
		if (!isfinite(d)) {
			bh_msg_set(msg, "record: real that is not finite");
			return BH_ERR_RANGE;
		}
		v = json_real(d);
		break;
	}
	case T_STR8:
	case T_STR32:
		if (tag == T_STR8) {
			if ((r = bh_buf_get_u8(b, &u8)) < 0)
				goto cut;
			n = u8;
		} else {
			if ((r = bh_buf_get_u32(b, &n)) < 0)
				goto cut;
			if (n <= UINT8_MAX) {
				bh_msg_set(msg, "record: str32 for a string that fits str8 (not canonical)");
				return BH_ERR_FORMAT;
			}
		}
		if ((r = get_text(b, n, &s, msg)) < 0)
			return r;
		/* json_stringn checks UTF-8 */
		if (!(v = json_stringn(s, n))) {
			bh_msg_set(msg, "record: string is not valid UTF-8");
			return BH_ERR_UTF8;
		}
		break;
	case T_ARRAY:
		if ((r = bh_buf_get_u32(b, &n)) < 0)
			goto cut;
		/* every node is at least one byte: a count beyond what is left is a lie */
		if (n > bh_buf_len(b)) {
			bh_msg_set(msg, "record: array of %u items in %zu bytes", n, bh_buf_len(b));
			return BH_ERR_INCOMPLETE;
		}
		if (!(v = json_array()))
			return -ENOMEM;
		for (uint32_t i = 0; i < n; i++) {
			json_t *e = NULL;
			if ((r = get_value(b, depth + 1, &e, msg)) < 0)
				goto fail;
			if (json_array_append_new(v, e) < 0) {
				r = -ENOMEM;
				goto fail;
			}
		}
		break;
	case T_OBJECT:
		if ((r = bh_buf_get_u32(b, &n)) < 0)
			goto cut;
		if (n > bh_buf_len(b) / 5) { /* a member is at least 4 + 0 + 1 bytes */
			bh_msg_set(msg, "record: object of %u members in %zu bytes", n, bh_buf_len(b));
			return BH_ERR_INCOMPLETE;
		}
		if (!(v = json_object()))
			return -ENOMEM;
		for (uint32_t i = 0; i < n; i++) {
			json_t *e = NULL;
			uint32_t kn;
			char *key = NULL;
			if ((r = bh_buf_get_u32(b, &kn)) < 0) {
				bh_msg_set(msg, "record: key length cut short");
				goto fail;
			}
			if ((r = bh_buf_get_string(b, kn, BH_AGENT_RECORD_MAX, &key)) < 0) {
				bh_msg_set(msg, "record: key of %u bytes cut short or with a NUL byte", kn);
				goto fail;
			}
			if (json_object_get(v, key)) {
				bh_msg_set(msg, "record: duplicate key");
				free(key);
				r = BH_ERR_DUPLICATE;
				goto fail;
			}
			if ((r = get_value(b, depth + 1, &e, msg)) < 0) {
				free(key);
				goto fail;
			}
			/* json_object_set_new checks the key's UTF-8 (and takes e either way) */
			if (json_object_set_new(v, key, e) < 0) {
				bh_msg_set(msg, "record: key is not valid UTF-8");
				free(key);
				r = BH_ERR_UTF8;
				goto fail;
			}
			free(key);
		}
		break;
	default:
		bh_msg_set(msg, "record: unknown value tag 0x%02x", tag);
		return BH_ERR_FORMAT;
	}
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
cut:
	bh_msg_set(msg, "record: value cut short");
	return r;
fail:
	json_decref(v);
	return r;
}

int bh_agent_record_decode(const uint8_t *data, size_t len, struct bh_agent_request *ret,
			   struct bh_msg *msg)
{
	struct bh_agent_request q = { .unknown = false };
	struct bh_buf b;
	const uint8_t *p;
	uint8_t ver, kind, n8;
	uint16_t n16;
	uint32_t ni;
	json_t *params = NULL;
	int r;

	if (len > BH_AGENT_RECORD_MAX) {
		bh_msg_set(msg, "record: %zu bytes, over the %u-byte cap", len, BH_AGENT_RECORD_MAX);
		return BH_ERR_LIMIT;
	}
	bh_buf_view(&b, data, len);
	if ((r = bh_buf_get_direct(&b, 4, &p)) < 0 || (r = bh_buf_get_u8(&b, &ver)) < 0 ||
	    (r = bh_buf_get_u8(&b, &kind)) < 0) {
		bh_msg_set(msg, "record: header cut short");
		return r;
	}
	if (memcmp(p, REC_MAGIC, 4)) {
		bh_msg_set(msg, "record: bad magic");
		return BH_ERR_FORMAT;
	}
	if (ver != BH_AGENT_RECORD_VERSION) {
		bh_msg_set(msg, "record: version %u, expected %u", ver, BH_AGENT_RECORD_VERSION);
		return BH_ERR_UNSUPPORTED;
	}
	switch (kind) {
	case REC_ERROR:
		if ((r = bh_buf_get_u16(&b, &n16)) < 0 || (r = bh_buf_get_direct(&b, n16, &p)) < 0) {
			bh_msg_set(msg, "record: error text cut short");
			return r;
		}
		if (n16 > BH_AGENT_RECORD_TEXT_MAX || !printable(p, n16)) {
			bh_msg_set(msg, "record: error text too long or not printable ASCII");
			return BH_ERR_FORMAT;
		}
		memcpy(q.error_text, p, n16);
		q.error_text[n16] = '\0';
		q.error = true;
		break;
	case REC_UNKNOWN:
		if ((r = bh_buf_get_u8(&b, &n8)) < 0 || (r = bh_buf_get_direct(&b, n8, &p)) < 0) {
			bh_msg_set(msg, "record: unknown action cut short");
			return r;
		}
		if (n8 > BH_PLUGIN_NAME_MAX || !printable(p, n8)) {
			bh_msg_set(msg, "record: unknown action too long or not printable ASCII");
			return BH_ERR_FORMAT;
		}
		memcpy(q.action, p, n8);
		q.action[n8] = '\0';
		q.unknown = true;
		break;
	case REC_REQUEST:
		if ((r = bh_buf_get_u8(&b, &n8)) < 0 || (r = bh_buf_get_direct(&b, n8, &p)) < 0) {
			bh_msg_set(msg, "record: action cut short");
			return r;
		}
		if (n8 == 0 || n8 > BH_PLUGIN_NAME_MAX || memchr(p, 0, n8)) {
			bh_msg_set(msg, "record: action of %u bytes", n8);
			return BH_ERR_FORMAT;
		}
		memcpy(q.action, p, n8);
		q.action[n8] = '\0';
		if (!bh_name_valid(q.action, BH_NAME_ACTION)) {
			bh_msg_set(msg, "record: action is not an action name");
			return BH_ERR_FORMAT;
		}
		if ((r = bh_buf_get_u32(&b, &ni)) < 0 || (r = bh_buf_get_u8(&b, &n8)) < 0 ||
		    (r = bh_buf_get_direct(&b, n8, &p)) < 0) {
			bh_msg_set(msg, "record: ignored keys cut short");
			return r;
		}
		if (n8 > REC_IGNORED_MAX || !printable(p, n8) || (ni == 0) != (n8 == 0)) {
			bh_msg_set(msg, "record: ignored key too long, not printable or without a count");
			return BH_ERR_FORMAT;
		}
		q.n_ignored = ni;
		memcpy(q.ignored, p, n8);
		q.ignored[n8] = '\0';
		if ((r = bh_buf_peek(&b, 1, &p)) < 0 || p[0] != T_OBJECT) {
			bh_msg_set(msg, "record: params missing or not an object");
			return r < 0 ? r : BH_ERR_FORMAT;
		}
		if ((r = get_value(&b, 0, &params, msg)) < 0)
			return r;
		q.params = params;
		break;
	default:
		bh_msg_set(msg, "record: unknown kind %u", kind);
		return BH_ERR_FORMAT;
	}
	if ((r = bh_buf_expect_end(&b)) < 0) {
		bh_msg_set(msg, "record: %zu bytes after the end", bh_buf_len(&b));
		json_decref(params);
		return r;
	}
	*ret = q;
	return 0;
}

/* ---- the handler's run and done records (request.h) ---- */

#define RUN_MAGIC "BHRR"
#define DONE_MAGIC "BHRD"

int bh_agent_run_put(struct bh_buf *b, const char *action, const char *input, size_t n)
{
	size_t an = strlen(action);
	int r;

	if (!bh_name_valid(action, BH_NAME_ACTION) || n > BH_AGENT_RECORD_MAX)
		return BH_ERR_RANGE;
	if ((r = bh_buf_put(b, RUN_MAGIC, 4)) < 0 || (r = bh_buf_put_u8(b, 1)) < 0 ||
	    (r = bh_buf_put_u8(b, (uint8_t)an)) < 0 || (r = bh_buf_put(b, action, an)) < 0 ||
	    (r = bh_buf_put_u32(b, (uint32_t)n)) < 0 || (r = bh_buf_put(b, input, n)) < 0)
		return r;
	return 0;
}

int bh_agent_run_get(const uint8_t *data, size_t len, char action[static BH_PLUGIN_NAME_MAX + 1],
		     const uint8_t **input, size_t *n)
{
	struct bh_buf b;
	const uint8_t *m, *a, *in;
	uint8_t v, an;
	uint32_t pn;

	bh_buf_view(&b, data, len);
	if (bh_buf_get_direct(&b, 4, &m) < 0 || memcmp(m, RUN_MAGIC, 4) || bh_buf_get_u8(&b, &v) < 0 ||
	    v != 1 || bh_buf_get_u8(&b, &an) < 0 || an < 1 || an > BH_PLUGIN_NAME_MAX ||
	    bh_buf_get_direct(&b, an, &a) < 0 || bh_buf_get_u32(&b, &pn) < 0 ||
	    pn > BH_AGENT_RECORD_MAX || bh_buf_get_direct(&b, pn, &in) < 0 || bh_buf_expect_end(&b) < 0)
		return BH_ERR_FORMAT;
	memcpy(action, a, an);
	action[an] = '\0';
	if (!bh_name_valid(action, BH_NAME_ACTION))
		return BH_ERR_FORMAT;
	*input = in;
	*n = pn;
	return 0;
}

int bh_agent_done_put(struct bh_buf *b, int r, const struct bh_spawn_result *res, uint64_t version,
		      uint32_t run_uid, const char *text)
{
	size_t tn = strlen(text);
	size_t no = bh_buf_len(&res->out), ne = bh_buf_len(&res->err);
	int e;

	if (tn > BH_AGENT_RECORD_TEXT_MAX)
		tn = BH_AGENT_RECORD_TEXT_MAX;
	if (ne > BH_AGENT_DONE_STDERR_MAX)
		ne = BH_AGENT_DONE_STDERR_MAX;
	if ((e = bh_buf_put(b, DONE_MAGIC, 4)) < 0 || (e = bh_buf_put_u8(b, 1)) < 0 ||
	    (e = bh_buf_put_u32(b, (uint32_t)r)) < 0 || (e = bh_buf_put_u32(b, (uint32_t)res->exit_code)) < 0 ||
	    (e = bh_buf_put_u32(b, (uint32_t)res->term_signal)) < 0 ||
	    (e = bh_buf_put_u8(b, (uint8_t)((res->timed_out ? 1 : 0) | (res->stdout_truncated ? 2 : 0)))) < 0 ||
	    (e = bh_buf_put_u64(b, version)) < 0 || (e = bh_buf_put_u32(b, run_uid)) < 0 ||
	    (e = bh_buf_put_u32(b, (uint32_t)no)) < 0 || (no && (e = bh_buf_put(b, bh_buf_ptr(&res->out), no)) < 0) ||
	    (e = bh_buf_put_u32(b, (uint32_t)ne)) < 0 || (ne && (e = bh_buf_put(b, bh_buf_ptr(&res->err), ne)) < 0) ||
	    (e = bh_buf_put_u16(b, (uint16_t)tn)) < 0 || (e = bh_buf_put(b, text, tn)) < 0)
		return e;
	return 0;
}

int bh_agent_done_get(const uint8_t *data, size_t len, struct bh_agent_done *d)
{
	struct bh_buf b;
	const uint8_t *m, *t;
	uint8_t v;
	uint32_t x[3];
	uint16_t tn;

	bh_buf_view(&b, data, len);
	if (bh_buf_get_direct(&b, 4, &m) < 0 || memcmp(m, DONE_MAGIC, 4) || bh_buf_get_u8(&b, &v) < 0 ||
	    v != 1 || bh_buf_get_u32(&b, &x[0]) < 0 || bh_buf_get_u32(&b, &x[1]) < 0 ||
	    bh_buf_get_u32(&b, &x[2]) < 0 || bh_buf_get_u8(&b, &d->flags) < 0 || d->flags > 3 ||
	    bh_buf_get_u64(&b, &d->version) < 0 || bh_buf_get_u32(&b, &d->run_uid) < 0 ||
	    bh_buf_get_u32(&b, &d->n_out) < 0 || bh_buf_get_direct(&b, d->n_out, &d->out) < 0 ||
	    bh_buf_get_u32(&b, &d->n_err) < 0 || d->n_err > BH_AGENT_DONE_STDERR_MAX ||
	    bh_buf_get_direct(&b, d->n_err, &d->err) < 0 || bh_buf_get_u16(&b, &tn) < 0 ||
	    tn > BH_AGENT_RECORD_TEXT_MAX || bh_buf_get_direct(&b, tn, &t) < 0 || bh_buf_expect_end(&b) < 0)
		return BH_ERR_FORMAT;
	d->r = (int32_t)x[0];
	d->exit_code = (int32_t)x[1];
	d->term_signal = (int32_t)x[2];
	bh_str_sanitize((const char *)t, tn, d->text, sizeof(d->text));
	return 0;
}

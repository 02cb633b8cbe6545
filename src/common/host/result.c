/* SPDX-License-Identifier: MIT */
/* The BLOCKHOST_RESULT line: writer and reader (result.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/json.h"
#include "host/result.h"

static bool result_value_ok(const json_t *j)
{
	return json_is_object(j) || (json_is_integer(j) && json_integer_value(j) >= 0);
}

int bh_result_format(const json_t *value, char **ret, struct bh_msg *msg)
{
	char *s = NULL, *line = NULL;
	size_t n;
	int r = BH_ERR_INTERNAL;

	if (!result_value_ok(value)) {
		bh_msg_set(msg, "result: expected a JSON object or an integer >= 0");
		return BH_ERR_WRONG_TYPE;
	}
	if (!(s = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY))) {
		r = -ENOMEM;
		goto out;
	}
	n = strlen(BH_RESULT_PREFIX) + strlen(s) + 1;
	if (n > BH_RESULT_LINE_MAX) {
		bh_msg_set(msg, "result: %zu bytes, more than %d", n, BH_RESULT_LINE_MAX);
		r = BH_ERR_LIMIT;
		goto out;
	}
	if (!(line = malloc(n + 1))) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(line, BH_RESULT_PREFIX, strlen(BH_RESULT_PREFIX));
	memcpy(line + strlen(BH_RESULT_PREFIX), s, strlen(s));
	line[n - 1] = '\n';
	line[n] = '\0';
	*ret = line;
	r = 0;
out:
	free(s);
	return r;
}

static bool all_digits(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

int bh_result_parse(const struct bh_buf *out, json_t **ret, struct bh_msg *msg)
{
	static const char tag[] = "BLOCKHOST_RESULT:";
	const size_t tl = sizeof(tag) - 1;
	const char *text = out ? (const char *)bh_buf_ptr(out) : NULL;
	size_t len = out ? bh_buf_len(out) : 0;
	const char *sent = NULL, *bare = NULL;
	size_t sent_len = 0, bare_len = 0, sent_no = 0, bare_no = 0, no = 0;
	json_t *j;
	int r;

	if (!text && len)
		return -EINVAL;
	for (size_t pos = 0; pos < len;) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl ? 1 : 0);
		no++;
		if (ll && line[ll - 1] == '\r')
			ll--;
		if (ll >= tl && memcmp(line, tag, tl) == 0) {
			sent = line + tl;
			sent_len = ll - tl;
			sent_no = no;
		} else if ((ll && line[0] == '{') || all_digits(line, ll)) {
			bare = line;
			bare_len = ll;
			bare_no = no;
		}
	}
	const char *p = sent ? sent : bare;
	size_t n = sent ? sent_len : bare_len;
	no = sent ? sent_no : bare_no;
	if (!p) {
		bh_msg_set(msg, "no %s line and no bare JSON object or integer line", tag);
		return BH_ERR_NOT_FOUND;
	}
	/* the one strict decoder (core/json.h): NUL, duplicates, trailing data refused; the
	 * output was capped when it was captured, so the line's length is the cap */
	struct bh_msg jm = { 0 };
	if ((r = bh_json_load(p, n, n, BH_JSON_OBJECT | BH_JSON_INTEGER, &j, &jm)) < 0) {
		bh_msg_set(msg, "result (line %zu): %s", no, jm.text);
		return r;
	}
	if (!result_value_ok(j)) {
		json_decref(j);
		bh_msg_set(msg, "result (line %zu): expected a JSON object or an integer >= 0", no);
		return BH_ERR_WRONG_TYPE;
	}
	*ret = j;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Signed action plugins, part 2: a request's params checked against the
 * manifest's schema (docs/PROTOCOL.plugin section 3).  Fuzzed with the manifest
 * parser (fuzz/fuzz_plugin_schema.c).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/path.h"
#include "plugin.h"

static bool utf8_valid(const char *s, size_t n)
{
	/* jansson already guarantees UTF-8 for strings it decoded; re-check for
	 * objects built in code (defence in depth, cheap) */
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t k;
		if (c < 0x80) { i++; continue; }
		else if (c >= 0xc2 && c <= 0xdf) k = 1;
		else if (c >= 0xe0 && c <= 0xef) k = 2;
		else if (c >= 0xf0 && c <= 0xf4) k = 3;
		else return false;
		for (size_t t = 1; t <= k; t++)
			if (i + t >= n || ((unsigned char)s[i + t] & 0xc0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

static int check_string(const struct bh_param_schema *s, const json_t *v, const char *what,
			json_t **ret, struct bh_msg *msg)
{
	const char *str;
	size_t n;

	if (!json_is_string(v)) {
		bh_msg_set(msg, "param '%s': %s must be a string", s->name, what);
		return BH_ERR_WRONG_TYPE;
	}
	str = json_string_value(v);
	n = json_string_length(v);
	if (n != strlen(str)) {
		bh_msg_set(msg, "param '%s': %s contains a NUL byte", s->name, what);
		return BH_ERR_NUL;
	}
	if (!utf8_valid(str, n)) {
		bh_msg_set(msg, "param '%s': %s is not valid UTF-8", s->name, what);
		return BH_ERR_UTF8;
	}
	if (n > s->max_len) {
		bh_msg_set(msg, "param '%s': %s longer than %zu bytes", s->name, what, s->max_len);
		return BH_ERR_LIMIT;
	}
	if (s->has_pattern && regexec(&s->re, str, 0, NULL, 0) != 0) {
		bh_msg_set(msg, "param '%s': %s does not match the allowed pattern", s->name, what);
		return BH_ERR_FORMAT;
	}
	if (s->path_prefix) {
		char *real = NULL, *want = NULL;
		int r;
		if (str[0] != '/') {
			bh_msg_set(msg, "param '%s': must be an absolute path", s->name);
			return BH_ERR_FORMAT;
		}
		if (!(real = realpath(str, NULL))) {
			r = bh_negerrno();
			bh_msg_set(msg, "param '%s': cannot resolve path: %s", s->name, bh_strerror(r));
			return r == -ENOMEM ? r : BH_ERR_FORMAT;
		}
		if (asprintf(&want, "%s%s", bh_root_prefix(), s->path_prefix) < 0) {
			free(real);
			return -ENOMEM;
		}
		r = strncmp(real, want, strlen(want)) == 0 && real[strlen(want)] != '\0' ? 0 :
			BH_ERR_DENIED;
		if (r < 0)
			bh_msg_set(msg, "param '%s': path is not under %s", s->name, s->path_prefix);
		else if (!(*ret = json_string(real)))
			r = -ENOMEM;
		free(want);
		free(real);
		return r;
	}
	if (!(*ret = json_incref((json_t *)v)))
		return -ENOMEM;
	return 0;
}

int bh_params_validate(const struct bh_plugin_manifest *m, const json_t *params, json_t **ret,
		       struct bh_msg *msg)
{
	json_t *out = NULL, *v, *nv = NULL;
	const char *key;
	int r = BH_ERR_INTERNAL;

	if (params && !json_is_object(params)) {
		bh_msg_set(msg, "params must be an object");
		return BH_ERR_WRONG_TYPE;
	}
	if (!(out = json_object()))
		return -ENOMEM;
	if (params) {
		json_object_foreach((json_t *)params, key, v) {
			bool known = false;
			for (size_t i = 0; i < m->n_params; i++)
				if (!strcmp(m->params[i].name, key))
					known = true;
			if (!known) {
				char pk[68];
				bh_msg_set(msg, "param '%s': not accepted by action %s",
					   bh_str_sanitize(key, BH_STR_CSTR, pk, sizeof(pk)), m->action);
				r = BH_ERR_DENIED;
				goto out;
			}
		}
	}
	for (size_t i = 0; i < m->n_params; i++) {
		const struct bh_param_schema *s = &m->params[i];
		v = params ? json_object_get(params, s->name) : NULL;
		if (!v) {
			if (s->required) {
				bh_msg_set(msg, "param '%s': required", s->name);
				r = BH_ERR_MISSING_KEY;
				goto out;
			}
			continue;
		}
		nv = NULL;
		switch (s->type) {
		case BH_PARAM_STRING:
			if ((r = check_string(s, v, "value", &nv, msg)) < 0)
				goto out;
			break;
		case BH_PARAM_INT:
			if (!json_is_integer(v)) {
				bh_msg_set(msg, "param '%s': must be an integer", s->name);
				r = BH_ERR_WRONG_TYPE;
				goto out;
			}
			if (json_integer_value(v) < s->min || json_integer_value(v) > s->max) {
				bh_msg_set(msg, "param '%s': out of range %" PRId64 "..%" PRId64, s->name,
					   s->min, s->max);
				r = BH_ERR_RANGE;
				goto out;
			}
			nv = json_incref(v);
			break;
		case BH_PARAM_BOOL:
			if (!json_is_boolean(v)) {
				bh_msg_set(msg, "param '%s': must be true or false", s->name);
				r = BH_ERR_WRONG_TYPE;
				goto out;
			}
			nv = json_incref(v);
			break;
		case BH_PARAM_STRING_ARRAY: {
			size_t k;
			json_t *e;
			if (!json_is_array(v)) {
				bh_msg_set(msg, "param '%s': must be an array of strings", s->name);
				r = BH_ERR_WRONG_TYPE;
				goto out;
			}
			if (json_array_size(v) > s->max_items) {
				bh_msg_set(msg, "param '%s': more than %zu items", s->name, s->max_items);
				r = BH_ERR_LIMIT;
				goto out;
			}
			if (!(nv = json_array())) {
				r = -ENOMEM;
				goto out;
			}
			json_array_foreach(v, k, e) {
				json_t *ne = NULL;
				if ((r = check_string(s, e, "an element", &ne, msg)) < 0) {
					json_decref(nv);
					goto out;
				}
				if (json_array_append_new(nv, ne) < 0) {
					json_decref(nv);
					r = -ENOMEM;
					goto out;
				}
			}
			break;
		}
		case BH_PARAM_OBJECT:
			/* shape only: the plugin validates the members itself */
			if (!json_is_object(v)) {
				bh_msg_set(msg, "param '%s': must be an object", s->name);
				r = BH_ERR_WRONG_TYPE;
				goto out;
			}
			if (json_object_size(v) > s->max_items) {
				bh_msg_set(msg, "param '%s': more than %zu members", s->name, s->max_items);
				r = BH_ERR_LIMIT;
				goto out;
			}
			nv = json_incref(v);
			break;
		default:
			r = BH_ERR_INTERNAL;
			goto out;
		}
		if (json_object_set_new(out, s->name, nv) < 0) {
			r = -ENOMEM;
			goto out;
		}
	}
	*ret = out;
	out = NULL;
	r = 0;
out:
	json_decref(out);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* Signed action plugins: manifest, schema, signature, sealed-memfd execution. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdnoreturn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cap-ng.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/resource.h>
#include <sodium.h>

#include "core/atomicio.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/frame.h"
#include "core/hex.h"
#include "core/path.h"
#include "plugin.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define STDERR_KEEP 4096

bool bh_plugin_name_valid(const char *name)
{
	size_t n;

	if (!name || !name[0])
		return false;
	n = strlen(name);
	if (n > BH_PLUGIN_NAME_MAX)
		return false;
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

static bool param_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > BH_PLUGIN_PARAM_NAME_MAX || !(name[0] >= 'a' && name[0] <= 'z'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

char *bh_agent_printable(const char *s, char *out, size_t outlen)
{
	size_t n = 0, i;

	if (!outlen)
		return out;
	for (i = 0; s && s[i] && n + 1 < outlen; i++)
		out[n++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[n] = 0;
	if (s && s[i] && outlen > 4)
		memcpy(out + outlen - 4, "...", 4);
	return out;
}

int bh_plugin_cap_from_name(const char *name)
{
	char up[64];
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(up))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || name[i] == '_'))
			return -1;
	int c = capng_name_to_capability(name);
	if (c < 0 || c >= 64)
		return -1;
	return c;
}

/* ------------------------------------------------------------------ manifest */

static void schema_done(struct bh_param_schema *s)
{
	if (s->has_pattern)
		regfree(&s->re);
	s->has_pattern = false;
	free(s->path_prefix);
	s->path_prefix = NULL;
}

void bh_plugin_manifest_free(struct bh_plugin_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_params; i++)
		schema_done(&m->params[i]);
	free(m);
}

/* Integer in [lo, hi] (a JSON integer, not a real). */
static int get_int(const json_t *v, int64_t lo, int64_t hi, int64_t *ret)
{
	if (!json_is_integer(v))
		return BH_ERR_WRONG_TYPE;
	json_int_t x = json_integer_value(v);
	if (x < lo || x > hi)
		return BH_ERR_RANGE;
	*ret = x;
	return 0;
}

/*
 * Reject patterns that make glibc's regcomp blow up (found by fuzzing:
 * "a++++..." duplicates the tree once per quantifier): no quantifier directly
 * after another, "+" and "{m,n}" never applied to a group, bounds <= 255.
 */
static bool pattern_safe(const char *p)
{
	bool prev_quant = false, prev_group = false;

	for (size_t i = 0; p[i]; i++) {
		char c = p[i];
		if (c == '\\') {
			if (!p[++i])
				return false;
			prev_quant = prev_group = false;
		} else if (c == '[') {
			size_t j = i + 1;
			if (p[j] == '^')
				j++;
			if (p[j] == ']')
				j++;
			while (p[j] && p[j] != ']')
				j++;
			if (!p[j])
				return false;
			i = j;
			prev_quant = prev_group = false;
		} else if (c == '*' || c == '?' || c == '+' || c == '{') {
			if (prev_quant || ((c == '+' || c == '{') && prev_group))
				return false;
			if (c == '{') {
				unsigned long lo, hi;
				char *end;
				lo = strtoul(p + i + 1, &end, 10);
				hi = lo;
				if (end == p + i + 1)
					return false;
				if (*end == ',') {
					const char *q = end + 1;
					hi = strtoul(q, &end, 10);
					if (end == q)
						return false;
				}
				if (*end != '}' || lo > 255 || hi > 255 || lo > hi)
					return false;
				i = (size_t)(end - p);
			}
			prev_quant = true;
			prev_group = false;
		} else {
			prev_quant = false;
			prev_group = c == ')';
		}
	}
	return true;
}

static int parse_schema(const char *pname, json_t *o, struct bh_param_schema *s, struct bh_msg *msg)
{
	const char *key;
	json_t *v;
	const char *type;
	bool have_min = false, have_max = false;
	int64_t x;
	int r;

	memset(s, 0, sizeof(*s));
	if (!param_name_valid(pname)) {
		bh_msg_set(msg, "params: invalid param name");
		return BH_ERR_CONFIG;
	}
	snprintf(s->name, sizeof(s->name), "%s", pname);
	if (!json_is_object(o)) {
		bh_msg_set(msg, "params.%s: not an object", pname);
		return BH_ERR_WRONG_TYPE;
	}
	v = json_object_get(o, "type");
	if (!v || !(type = json_string_value(v))) {
		bh_msg_set(msg, "params.%s: \"type\" missing or not a string", pname);
		return BH_ERR_MISSING_KEY;
	}
	if (!strcmp(type, "string"))
		s->type = BH_PARAM_STRING;
	else if (!strcmp(type, "int"))
		s->type = BH_PARAM_INT;
	else if (!strcmp(type, "bool"))
		s->type = BH_PARAM_BOOL;
	else if (!strcmp(type, "string-array"))
		s->type = BH_PARAM_STRING_ARRAY;
	else if (!strcmp(type, "object"))
		s->type = BH_PARAM_OBJECT;
	else {
		bh_msg_set(msg, "params.%s: unknown type", pname);
		return BH_ERR_CONFIG;
	}
	s->max_len = 4096;
	s->max_items = 64;
	s->min = INT64_MIN;
	s->max = INT64_MAX;
	bool is_str = s->type == BH_PARAM_STRING || s->type == BH_PARAM_STRING_ARRAY;

	json_object_foreach(o, key, v) {
		if (!strcmp(key, "type"))
			continue;
		if (!strcmp(key, "required")) {
			if (!json_is_boolean(v)) {
				bh_msg_set(msg, "params.%s.required: not a boolean", pname);
				return BH_ERR_WRONG_TYPE;
			}
			s->required = json_is_true(v);
		} else if (!strcmp(key, "pattern") && is_str) {
			const char *p = json_string_value(v);
			size_t n = p ? strlen(p) : 0;
			if (!p || n < 2 || n > BH_PLUGIN_PATTERN_MAX || p[0] != '^' || p[n - 1] != '$') {
				bh_msg_set(msg, "params.%s.pattern: must be a string \"^...$\" of at most %u bytes",
					   pname, BH_PLUGIN_PATTERN_MAX);
				return BH_ERR_CONFIG;
			}
			if (!pattern_safe(p)) {
				bh_msg_set(msg, "params.%s.pattern: stacked quantifiers, '+' or '{}' on a group, "
					   "or bounds over 255 are not allowed", pname);
				return BH_ERR_CONFIG;
			}
			if (regcomp(&s->re, p, REG_EXTENDED | REG_NOSUB) != 0) {
				bh_msg_set(msg, "params.%s.pattern: not a valid POSIX ERE", pname);
				return BH_ERR_CONFIG;
			}
			s->has_pattern = true;
		} else if (!strcmp(key, "max_len") && is_str) {
			if ((r = get_int(v, 1, BH_PLUGIN_STRING_MAX, &x)) < 0) {
				bh_msg_set(msg, "params.%s.max_len: integer 1..%u", pname, BH_PLUGIN_STRING_MAX);
				return r;
			}
			s->max_len = (size_t)x;
		} else if (!strcmp(key, "max_items") &&
			   (s->type == BH_PARAM_STRING_ARRAY || s->type == BH_PARAM_OBJECT)) {
			if ((r = get_int(v, 1, BH_PLUGIN_ITEMS_MAX, &x)) < 0) {
				bh_msg_set(msg, "params.%s.max_items: integer 1..%u", pname, BH_PLUGIN_ITEMS_MAX);
				return r;
			}
			s->max_items = (size_t)x;
		} else if (!strcmp(key, "min") && s->type == BH_PARAM_INT) {
			if ((r = get_int(v, INT64_MIN, INT64_MAX, &s->min)) < 0) {
				bh_msg_set(msg, "params.%s.min: not an integer", pname);
				return r;
			}
			have_min = true;
		} else if (!strcmp(key, "max") && s->type == BH_PARAM_INT) {
			if ((r = get_int(v, INT64_MIN, INT64_MAX, &s->max)) < 0) {
				bh_msg_set(msg, "params.%s.max: not an integer", pname);
				return r;
			}
			have_max = true;
		} else if (!strcmp(key, "path_prefix") && s->type == BH_PARAM_STRING) {
			const char *p = json_string_value(v);
			size_t n = p ? strlen(p) : 0;
			if (!p || n < 2 || n > PATH_MAX / 2 || p[0] != '/' || p[n - 1] != '/' ||
			    strstr(p, "/../") || strstr(p, "/./") || strstr(p, "//")) {
				bh_msg_set(msg, "params.%s.path_prefix: must be a normalised absolute dir ending in '/'",
					   pname);
				return BH_ERR_CONFIG;
			}
			if (!(s->path_prefix = strdup(p)))
				return -ENOMEM;
		} else {
			bh_msg_set(msg, "params.%s: unknown or inapplicable key \"%s\"", pname, key);
			return BH_ERR_CONFIG;
		}
	}
	if (have_min && have_max && s->min > s->max) {
		bh_msg_set(msg, "params.%s: min > max", pname);
		return BH_ERR_CONFIG;
	}
	return 0;
}

int bh_plugin_manifest_parse(const uint8_t *data, size_t len, struct bh_plugin_manifest **ret, struct bh_msg *msg)
{
	struct bh_plugin_manifest *m = NULL;
	json_t *j = NULL, *v;
	const char *key;
	int64_t x;
	unsigned seen = 0;
	int r = BH_ERR_INTERNAL;

	if (len > BH_PLUGIN_MANIFEST_MAX) {
		bh_msg_set(msg, "manifest larger than %u bytes", BH_PLUGIN_MANIFEST_MAX);
		return BH_ERR_LIMIT;
	}
	if ((r = bh_frame_decode_json(data, len, &j)) < 0) {
		bh_msg_set(msg, "manifest is not a strict JSON object: %s", bh_strerror(r));
		return r;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		r = -ENOMEM;
		goto out;
	}
	/* format first: a newer format is refused before anything else is interpreted */
	v = json_object_get(j, "format");
	if (!v) {
		bh_msg_set(msg, "manifest: \"format\" missing");
		r = BH_ERR_MISSING_KEY;
		goto out;
	}
	if ((r = get_int(v, 1, INT32_MAX, &x)) < 0) {
		bh_msg_set(msg, "manifest: \"format\" must be a positive integer");
		goto out;
	}
	if (x != BH_PLUGIN_FORMAT) {
		bh_msg_set(msg, "manifest: format %" PRId64 " is not supported (this agent knows %d)", x,
			   BH_PLUGIN_FORMAT);
		r = BH_ERR_UNSUPPORTED;
		goto out;
	}

	json_object_foreach(j, key, v) {
		if (!strcmp(key, "format")) {
			seen |= 1u << 0;
		} else if (!strcmp(key, "namespace")) {
			const char *s = json_string_value(v);
			if (!s || strcmp(s, BH_PLUGIN_NAMESPACE)) {
				bh_msg_set(msg, "manifest: namespace must be \"%s\"", BH_PLUGIN_NAMESPACE);
				r = BH_ERR_UNSUPPORTED;
				goto out;
			}
			seen |= 1u << 1;
		} else if (!strcmp(key, "action")) {
			const char *s = json_string_value(v);
			if (!s || !bh_plugin_name_valid(s)) {
				bh_msg_set(msg, "manifest: action must match ^[a-z0-9][a-z0-9-]{0,63}$");
				r = BH_ERR_FORMAT;
				goto out;
			}
			snprintf(m->action, sizeof(m->action), "%s", s);
			seen |= 1u << 2;
		} else if (!strcmp(key, "version")) {
			if ((r = get_int(v, 1, (int64_t)BH_PLUGIN_VERSION_MAX, &x)) < 0) {
				bh_msg_set(msg, "manifest: version must be an integer 1..2^53-1");
				goto out;
			}
			m->version = (uint64_t)x;
			seen |= 1u << 3;
		} else if (!strcmp(key, "sha256")) {
			const char *s = json_string_value(v);
			if (!s || strlen(s) != 64 || bh_hex_decode_ct(s, 64, m->sha256, 32) < 0) {
				bh_msg_set(msg, "manifest: sha256 must be 64 hex digits");
				r = BH_ERR_FORMAT;
				goto out;
			}
			seen |= 1u << 4;
		} else if (!strcmp(key, "capabilities")) {
			size_t i;
			json_t *c;
			if (!json_is_array(v) || json_array_size(v) > BH_PLUGIN_CAPS_MAX) {
				bh_msg_set(msg, "manifest: capabilities must be an array of at most %d names",
					   BH_PLUGIN_CAPS_MAX);
				r = BH_ERR_WRONG_TYPE;
				goto out;
			}
			json_array_foreach(v, i, c) {
				const char *s = json_string_value(c);
				int cap = s ? bh_plugin_cap_from_name(s) : -1;
				if (cap < 0) {
					bh_msg_set(msg, "manifest: capabilities[%zu] is not a capability name", i);
					r = BH_ERR_FORMAT;
					goto out;
				}
				if (m->caps & (1ull << cap)) {
					bh_msg_set(msg, "manifest: capability \"%s\" listed twice", s);
					r = BH_ERR_DUPLICATE;
					goto out;
				}
				m->caps |= 1ull << cap;
			}
			seen |= 1u << 5;
		} else if (!strcmp(key, "timeout_ms")) {
			if ((r = get_int(v, 1, BH_PLUGIN_TIMEOUT_MAX, &x)) < 0) {
				bh_msg_set(msg, "manifest: timeout_ms must be an integer 1..%u", BH_PLUGIN_TIMEOUT_MAX);
				goto out;
			}
			m->timeout_ms = (unsigned)x;
			seen |= 1u << 6;
		} else if (!strcmp(key, "output_max")) {
			if ((r = get_int(v, 2, BH_PLUGIN_OUTPUT_MAX, &x)) < 0) {
				bh_msg_set(msg, "manifest: output_max must be an integer 2..%u", BH_PLUGIN_OUTPUT_MAX);
				goto out;
			}
			m->output_max = (size_t)x;
			seen |= 1u << 7;
		} else if (!strcmp(key, "expires")) {
			/* optional: bounds freeze attacks (an old signed plugin kept forever) */
			if ((r = get_int(v, 1, INT64_MAX, &x)) < 0) {
				bh_msg_set(msg, "manifest: expires must be a positive integer (unix seconds)");
				goto out;
			}
			m->expires = x;
		} else if (!strcmp(key, "run_as")) {
			/* optional: "plugin" (the agent's unprivileged plugin user, the default)
			 * or "root" (only for actions that genuinely need uid 0) */
			const char *s = json_string_value(v);
			if (!s || (strcmp(s, "root") && strcmp(s, "plugin"))) {
				bh_msg_set(msg, "manifest: run_as must be \"plugin\" or \"root\"");
				r = BH_ERR_FORMAT;
				goto out;
			}
			m->run_as = !strcmp(s, "root") ? BH_PLUGIN_RUN_ROOT : BH_PLUGIN_RUN_USER;
		} else if (!strcmp(key, "input")) {
			const char *s = json_string_value(v);
			if (!s || strcmp(s, "stdin-json")) {
				bh_msg_set(msg, "manifest: input must be \"stdin-json\"");
				r = BH_ERR_UNSUPPORTED;
				goto out;
			}
			seen |= 1u << 8;
		} else if (!strcmp(key, "params")) {
			const char *pk;
			json_t *pv;
			if (!json_is_object(v) || json_object_size(v) > BH_PLUGIN_PARAMS_MAX) {
				bh_msg_set(msg, "manifest: params must be an object of at most %d params",
					   BH_PLUGIN_PARAMS_MAX);
				r = BH_ERR_WRONG_TYPE;
				goto out;
			}
			json_object_foreach(v, pk, pv) {
				r = parse_schema(pk, pv, &m->params[m->n_params], msg);
				/* count it even on failure: parse_schema leaves it freeable */
				m->n_params++;
				if (r < 0)
					goto out;
			}
			seen |= 1u << 9;
		} else {
			char k[68];
			bh_msg_set(msg, "manifest: unknown key \"%s\"", bh_agent_printable(key, k, sizeof(k)));
			r = BH_ERR_FORMAT;
			goto out;
		}
	}
	static const char *const names[] = { "format", "namespace", "action", "version", "sha256",
		"capabilities", "timeout_ms", "output_max", "input", "params" };
	for (unsigned i = 0; i < 10; i++) {
		if (!(seen & (1u << i))) {
			bh_msg_set(msg, "manifest: \"%s\" missing", names[i]);
			r = BH_ERR_MISSING_KEY;
			goto out;
		}
	}
	/* default: the plugin user, except that a plugin granted CAP_SETUID can make
	 * itself uid 0 anyway (setuid(0)), so it runs as root instead of pretending */
	if (m->run_as == BH_PLUGIN_RUN_DEFAULT)
		m->run_as = (m->caps & (1ull << CAP_SETUID)) ? BH_PLUGIN_RUN_ROOT : BH_PLUGIN_RUN_USER;
	*ret = m;
	m = NULL;
	r = 0;
out:
	bh_plugin_manifest_free(m);
	json_decref(j);
	return r;
}

/* ------------------------------------------------------------------ params */

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
					   bh_agent_printable(key, pk, sizeof(pk)), m->action);
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

/* ------------------------------------------------------------------ signatures */

void bh_plugin_keyid(const uint8_t pk[static 32], uint8_t ret[static BH_PLUGIN_KEYID_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, 32);
	memcpy(ret, h, BH_PLUGIN_KEYID_LEN);
}

/* "<magic> <hex>[ <hex>]\n": fields of exactly the given hex lengths. */
static int parse_line(const uint8_t *data, size_t len, const char *magic, size_t hex1,
		      uint8_t *out1, size_t hex2, uint8_t *out2)
{
	size_t ml = strlen(magic), want = ml + 1 + hex1 + (hex2 ? 1 + hex2 : 0) + 1;
	const char *p = (const char *)data;

	if (len != want)
		return BH_ERR_LENGTH;
	if (memcmp(p, magic, ml) || p[ml] != ' ' || p[len - 1] != '\n')
		return BH_ERR_FORMAT;
	p += ml + 1;
	if (bh_hex_decode_ct(p, hex1, out1, hex1 / 2) < 0)
		return BH_ERR_HEX;
	p += hex1;
	if (hex2) {
		if (*p != ' ')
			return BH_ERR_FORMAT;
		if (bh_hex_decode_ct(p + 1, hex2, out2, hex2 / 2) < 0)
			return BH_ERR_HEX;
	}
	return 0;
}

int bh_plugin_sig_parse(const uint8_t *data, size_t len, uint8_t ret_keyid[static BH_PLUGIN_KEYID_LEN],
			uint8_t ret_sig[static 64])
{
	uint8_t k[BH_PLUGIN_KEYID_LEN], s[64];
	int r = parse_line(data, len, BH_PLUGIN_SIG_MAGIC, 16, k, 128, s);
	if (r < 0)
		return r;
	memcpy(ret_keyid, k, sizeof(k));
	memcpy(ret_sig, s, sizeof(s));
	return 0;
}

int bh_plugin_pub_parse(const uint8_t *data, size_t len, uint8_t ret_pk[static 32])
{
	uint8_t pk[32];
	int r = parse_line(data, len, BH_PLUGIN_PUB_MAGIC, 64, pk, 0, NULL);
	if (r < 0)
		return r;
	memcpy(ret_pk, pk, 32);
	return 0;
}

int bh_plugin_sec_parse(const uint8_t *data, size_t len, uint8_t ret_sk[static 64])
{
	uint8_t sk[64];
	int r = parse_line(data, len, BH_PLUGIN_SEC_MAGIC, 128, sk, 0, NULL);
	if (r == 0)
		memcpy(ret_sk, sk, 64);
	sodium_memzero(sk, sizeof(sk));
	return r;
}

static int signed_message(const uint8_t *manifest, size_t len, uint8_t **ret, size_t *ret_len)
{
	size_t nl = strlen(BH_PLUGIN_NAMESPACE) + 1;
	uint8_t *m;

	if (len > BH_PLUGIN_MANIFEST_MAX)
		return BH_ERR_LIMIT;
	if (!(m = malloc(nl + len + 1)))
		return -ENOMEM;
	memcpy(m, BH_PLUGIN_NAMESPACE, nl); /* includes the 0x00 separator */
	if (len)
		memcpy(m + nl, manifest, len);
	*ret = m;
	*ret_len = nl + len;
	return 0;
}

int bh_plugin_sign(const uint8_t sk[static 64], const uint8_t *manifest, size_t len,
		   uint8_t ret_sig[static 64])
{
	uint8_t *m;
	size_t ml;
	int r;

	if (sodium_init() < 0)
		return BH_ERR_CRYPTO;
	if ((r = signed_message(manifest, len, &m, &ml)) < 0)
		return r;
	r = crypto_sign_detached(ret_sig, NULL, m, ml, sk) == 0 ? 0 : BH_ERR_CRYPTO;
	free(m);
	return r;
}

int bh_plugin_verify(const uint8_t pk[static 32], const uint8_t sig[static 64],
		     const uint8_t *manifest, size_t len)
{
	uint8_t *m;
	size_t ml;
	int r;

	if (sodium_init() < 0)
		return BH_ERR_CRYPTO;
	if ((r = signed_message(manifest, len, &m, &ml)) < 0)
		return r;
	r = crypto_sign_verify_detached(sig, m, ml, pk) == 0 ? 0 : BH_ERR_SIGNATURE;
	free(m);
	return r;
}

/* ------------------------------------------------------------------ files */

static int open_checked(int dirfd, const char *name, uid_t owner, size_t cap, struct stat *ret_st,
			struct bh_msg *msg)
{
	struct stat st;
	int fd, r;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		r = bh_negerrno();
		if (r == -ELOOP)
			r = BH_ERR_UNSAFE_FILE;
		bh_msg_set(msg, "%s: %s", name, r == BH_ERR_UNSAFE_FILE ? "is a symlink" : bh_strerror(r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = bh_negerrno();
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		bh_msg_set(msg, "%s: not a regular file", name);
		r = BH_ERR_UNSAFE_FILE;
		goto fail_quiet;
	}
	if (st.st_uid != owner) {
		bh_msg_set(msg, "%s: owned by uid %u, not %u", name, (unsigned)st.st_uid, (unsigned)owner);
		r = BH_ERR_UNSAFE_FILE;
		goto fail_quiet;
	}
	if (st.st_mode & 022) {
		bh_msg_set(msg, "%s: group- or world-writable (mode %04o)", name,
			   (unsigned)(st.st_mode & 07777));
		r = BH_ERR_UNSAFE_FILE;
		goto fail_quiet;
	}
	if ((uint64_t)st.st_size > cap) {
		bh_msg_set(msg, "%s: larger than %zu bytes", name, cap);
		r = BH_ERR_LIMIT;
		goto fail_quiet;
	}
	/* back to blocking reads */
	if (fcntl(fd, F_SETFL, 0) < 0) {
		r = bh_negerrno();
		goto fail;
	}
	*ret_st = st;
	return fd;
fail:
	bh_msg_set(msg, "%s: %s", name, bh_strerror(r));
fail_quiet:
	close(fd);
	return r;
}

int bh_plugin_read_file(int dirfd, const char *name, uid_t owner, size_t cap, uint8_t **ret,
			size_t *ret_len, struct bh_msg *msg)
{
	struct stat st;
	struct bh_buf b;
	uint8_t *out;
	int fd, r;

	if ((fd = open_checked(dirfd, name, owner, cap, &st, msg)) < 0)
		return fd;
	bh_buf_init(&b, cap);
	if ((r = bh_buf_read_fd_all(&b, fd)) < 0) {
		bh_msg_set(msg, "%s: %s", name, bh_strerror(r));
		goto out;
	}
	if (!(out = malloc(bh_buf_len(&b) + 1))) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(out, bh_buf_ptr(&b), bh_buf_len(&b));
	out[bh_buf_len(&b)] = 0;
	*ret_len = bh_buf_len(&b);
	*ret = out;
	r = 0;
out:
	bh_buf_done(&b);
	close(fd);
	return r;
}

/*
 * Rollback state (docs/PROTOCOL.plugin section 4): state_dir/versions
 * {"name": version}, under state_dir/versions.lock.  state_dir must sit in a
 * root-owned parent (/var/lib/blockhost-root-agent, not under the blockhost
 * user's /var/lib/blockhost); it is opened O_DIRECTORY|O_NOFOLLOW and checked
 * on the descriptor (owned by `owner`, no group/world write), and every file
 * in it is reached relative to that descriptor with O_NOFOLLOW|O_NONBLOCK, so
 * a directory or file planted or swapped by someone else is refused (and a
 * FIFO cannot block the handler).
 */
static int state_dir_open(const char *state_dir, uid_t owner, struct bh_msg *msg)
{
	struct stat st;
	int dfd, r;

	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		r = bh_negerrno();
		bh_msg_set(msg, "state dir %s: %s", state_dir, bh_strerror(r));
		return r;
	}
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		r = bh_negerrno();
		if (r == -ELOOP || r == -ENOTDIR) {
			bh_msg_set(msg, "state dir %s: is a symlink or not a directory", state_dir);
			return BH_ERR_UNSAFE_FILE;
		}
		bh_msg_set(msg, "state dir %s: %s", state_dir, bh_strerror(r));
		return r;
	}
	if (fstat(dfd, &st) < 0) {
		r = bh_negerrno();
		close(dfd);
		return r;
	}
	if (st.st_uid != owner || (st.st_mode & 022)) {
		bh_msg_set(msg, "state dir %s: must be owned by uid %u and not group/world-writable "
			   "(owner %u, mode %04o); refusing to trust its rollback state", state_dir,
			   (unsigned)owner, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		close(dfd);
		return BH_ERR_UNSAFE_FILE;
	}
	return dfd;
}

/* Exclusive flock on dfd/versions.lock (a regular file owned by `owner`), waiting up to 10 s. */
static int state_lock(int dfd, uid_t owner, struct bh_msg *msg)
{
	struct stat st;
	int fd, r;

	fd = openat(dfd, "versions.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
		    O_NOCTTY, 0600);
	if (fd < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "versions.lock: %s", r == -ELOOP ? "is a symlink" : bh_strerror(r));
		return r == -ELOOP ? BH_ERR_UNSAFE_FILE : r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != owner || (st.st_mode & 022)) {
		bh_msg_set(msg, "versions.lock: not a regular file owned by uid %u without group/world "
			   "write", (unsigned)owner);
		close(fd);
		return BH_ERR_UNSAFE_FILE;
	}
	int64_t deadline = bh_deadline_from_ms(10000);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || bh_deadline_left(deadline) == 0) {
			r = errno == EWOULDBLOCK ? BH_ERR_TIMEOUT : bh_negerrno();
			bh_msg_set(msg, "versions.lock: %s", bh_strerror(r));
			close(fd);
			return r;
		}
		usleep(5000);
	}
	return fd;
}

/* Replace dfd/versions atomically: temp file + fsync + renameat + fsync(dir). */
static int state_write(int dfd, const json_t *j, struct bh_msg *msg)
{
	static const char tmp[] = "versions.tmp";
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	size_t len, off = 0;
	int fd, r;

	if (!s)
		return -ENOMEM;
	len = strlen(s);
	/* stale temp from a crash (we hold the lock): unlink, never follow */
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT) {
		r = bh_negerrno();
		goto out;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		r = bh_negerrno();
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, s + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? bh_negerrno() : -EIO;
			close(fd);
			goto out_unlink;
		}
		off += (size_t)n;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		r = bh_negerrno();
		close(fd);
		goto out_unlink;
	}
	if (close(fd) < 0 || renameat(dfd, tmp, dfd, "versions") < 0) {
		r = bh_negerrno();
		goto out_unlink;
	}
	r = fsync(dfd) < 0 ? bh_negerrno() : 0;
	goto out;
out_unlink:
	unlinkat(dfd, tmp, 0);
out:
	if (r < 0)
		bh_msg_set(msg, "writing versions: %s", bh_strerror(r));
	free(s);
	return r;
}

static int rollback_check(const char *state_dir, uid_t owner, const char *name, uint64_t version,
			  struct bh_msg *msg)
{
	uint8_t *data = NULL;
	size_t len = 0;
	json_t *j = NULL;
	int dfd, lfd = -1, r;

	if ((dfd = state_dir_open(state_dir, owner, msg)) < 0)
		return dfd;
	if ((lfd = r = state_lock(dfd, owner, msg)) < 0)
		goto out;
	/* regular, owned by `owner`, no group/world write, <= 1 MiB; opened O_NONBLOCK */
	struct bh_msg why = { "" };
	r = bh_plugin_read_file(dfd, "versions", owner, 1024 * 1024, &data, &len, &why);
	if (r == -ENOENT) {
		if (!(j = json_object())) {
			r = -ENOMEM;
			goto out;
		}
	} else if (r < 0) {
		bh_msg_set(msg, "state dir %s: %s; refusing to run plugins", state_dir, why.text);
		goto out;
	} else if ((r = bh_frame_decode_json(data, len, &j)) < 0) {
		bh_msg_set(msg, "%s/versions: corrupt (%s); refusing to run plugins", state_dir,
			   bh_strerror(r));
		goto out;
	}
	json_t *cur = json_object_get(j, name);
	if (cur && (!json_is_integer(cur) || json_integer_value(cur) < 0)) {
		bh_msg_set(msg, "%s/versions: entry for %s is not a version", state_dir, name);
		r = BH_ERR_FORMAT;
		goto out;
	}
	uint64_t seen = cur ? (uint64_t)json_integer_value(cur) : 0;
	if (version < seen) {
		bh_msg_set(msg, "version %" PRIu64 " is older than version %" PRIu64
			   " already accepted (rollback refused)", version, seen);
		r = BH_ERR_DENIED;
		goto out;
	}
	if (version > seen) {
		if (json_object_set_new(j, name, json_integer((json_int_t)version)) < 0) {
			r = -ENOMEM;
			goto out;
		}
		if ((r = state_write(dfd, j, msg)) < 0)
			goto out;
	}
	r = 0;
out:
	if (lfd >= 0)
		close(lfd); /* releases the flock */
	close(dfd);
	json_decref(j);
	free(data);
	return r;
}

/* Copy fd (size bytes by fstat) into a sealed memfd; return the memfd. */
static int seal_copy(int fd, const char *name, off_t size, struct bh_msg *msg)
{
	char mname[96], buf[65536];
	off_t done = 0;
	int mfd, r;

	snprintf(mname, sizeof(mname), "bh-plugin:%s", name);
	mfd = memfd_create(mname, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL) /* kernel before 6.3: no MFD_EXEC, memfds are executable */
		mfd = memfd_create(mname, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "memfd_create: %s (vm.memfd_noexec=2?)", bh_strerror(r));
		return r;
	}
	while (done < size) {
		size_t want = sizeof(buf);
		if ((off_t)want > size - done)
			want = (size_t)(size - done);
		ssize_t n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? bh_negerrno() : BH_ERR_MISMATCH;
			bh_msg_set(msg, "%s: changed while being read", name);
			goto fail;
		}
		for (ssize_t w = 0; w < n;) {
			ssize_t k = write(mfd, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				r = bh_negerrno();
				goto fail;
			}
			w += k;
		}
		done += n;
	}
	/* a file that grew after fstat is being modified: refuse */
	if (read(fd, buf, 1) != 0) {
		bh_msg_set(msg, "%s: changed while being read", name);
		r = BH_ERR_MISMATCH;
		goto fail;
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "sealing memfd: %s", bh_strerror(r));
		goto fail;
	}
	return mfd;
fail:
	close(mfd);
	return r;
}

/* SHA-256 of the sealed memfd's bytes (read back through the memfd) + ELF magic. */
static int hash_memfd(int mfd, uint8_t out[static 32], bool *ret_elf)
{
	crypto_hash_sha256_state st;
	uint8_t buf[65536];
	off_t off = 0;
	bool elf = false;

	crypto_hash_sha256_init(&st);
	for (;;) {
		ssize_t n = pread(mfd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bh_negerrno();
		if (n == 0)
			break;
		if (off == 0)
			elf = n >= 4 && !memcmp(buf, "\177ELF", 4);
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
		off += n;
	}
	crypto_hash_sha256_final(&st, out);
	*ret_elf = elf;
	return 0;
}

void bh_plugin_free(struct bh_plugin *p)
{
	if (!p)
		return;
	if (p->memfd >= 0)
		close(p->memfd);
	bh_plugin_manifest_free(p->m);
	free(p);
}

/* A directory we read plugin files or keys from: owned by env->owner, not group/world writable. */
static int check_dir(int dfd, const char *what, const char *path, uid_t owner, struct bh_msg *msg)
{
	struct stat st;

	if (fstat(dfd, &st) < 0)
		return bh_negerrno();
	if (st.st_uid != owner || (st.st_mode & 022)) {
		bh_msg_set(msg, "%s %s: must be owned by uid %u and not group/world-writable "
			   "(owner %u, mode %04o)", what, path, (unsigned)owner, (unsigned)st.st_uid,
			   (unsigned)(st.st_mode & 07777));
		return BH_ERR_UNSAFE_FILE;
	}
	return 0;
}

int bh_plugin_load(const struct bh_plugin_env *env, const char *name, struct bh_plugin **ret,
		   struct bh_msg *msg)
{
	struct bh_plugin *p = NULL;
	uint8_t *man = NULL, *sigf = NULL, *pubf = NULL;
	size_t man_len = 0, sig_len = 0, pub_len = 0;
	uint8_t keyid[BH_PLUGIN_KEYID_LEN], sig[64], pk[32], kid2[BH_PLUGIN_KEYID_LEN], h[32];
	char fname[BH_PLUGIN_NAME_MAX + 32], kname[40];
	int dfd = -1, kfd = -1, efd = -1, r = BH_ERR_INTERNAL;
	struct stat st;
	bool elf;

	if (sodium_init() < 0)
		return BH_ERR_CRYPTO;
	if (!bh_plugin_name_valid(name)) {
		bh_msg_set(msg, "not a valid action name");
		return BH_ERR_NOT_FOUND;
	}
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	p->memfd = -1;
	dfd = open(env->actions_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "actions dir %s: %s", env->actions_dir, bh_strerror(r));
		goto out;
	}
	if ((r = check_dir(dfd, "actions dir", env->actions_dir, env->owner, msg)) < 0)
		goto out;
	/* 1. manifest and signature */
	snprintf(fname, sizeof(fname), "%s.manifest", name);
	if ((r = bh_plugin_read_file(dfd, fname, env->owner, BH_PLUGIN_MANIFEST_MAX, &man, &man_len,
				     msg)) < 0) {
		if (r == -ENOENT)
			r = BH_ERR_NOT_FOUND;
		goto out;
	}
	snprintf(fname, sizeof(fname), "%s.sig", name);
	if ((r = bh_plugin_read_file(dfd, fname, env->owner, BH_PLUGIN_SIG_FILE_MAX, &sigf, &sig_len,
				     msg)) < 0) {
		if (r == -ENOENT) {
			bh_msg_set(msg, "unsigned (no %s)", fname);
			r = BH_ERR_SIGNATURE;
		}
		goto out;
	}
	if ((r = bh_plugin_sig_parse(sigf, sig_len, keyid, sig)) < 0) {
		bh_msg_set(msg, "%s: malformed signature file (%s)", fname, bh_strerror(r));
		r = BH_ERR_SIGNATURE;
		goto out;
	}
	/* 2. the trusted key the signature names */
	char kidhex[2 * BH_PLUGIN_KEYID_LEN + 1];
	bh_hex_encode(keyid, sizeof(keyid), kidhex);
	snprintf(kname, sizeof(kname), "%s.pub", kidhex);
	kfd = open(env->keys_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (kfd < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "trusted keys dir %s: %s", env->keys_dir, bh_strerror(r));
		goto out;
	}
	if ((r = check_dir(kfd, "trusted keys dir", env->keys_dir, env->owner, msg)) < 0)
		goto out;
	if ((r = bh_plugin_read_file(kfd, kname, env->owner, 256, &pubf, &pub_len, msg)) < 0) {
		if (r == -ENOENT) {
			bh_msg_set(msg, "signed by untrusted key %s", kidhex);
			r = BH_ERR_DENIED;
		}
		goto out;
	}
	if ((r = bh_plugin_pub_parse(pubf, pub_len, pk)) < 0) {
		bh_msg_set(msg, "trusted key %s: malformed (%s)", kname, bh_strerror(r));
		goto out;
	}
	bh_plugin_keyid(pk, kid2);
	if (memcmp(kid2, keyid, sizeof(keyid))) {
		bh_msg_set(msg, "trusted key file %s holds a different key", kname);
		r = BH_ERR_MISMATCH;
		goto out;
	}
	if ((r = bh_plugin_verify(pk, sig, man, man_len)) < 0) {
		bh_msg_set(msg, "bad signature on %s.manifest (key %s)", name, kidhex);
		goto out;
	}
	/* 3. only now interpret the (authentic) manifest */
	if ((r = bh_plugin_manifest_parse(man, man_len, &p->m, msg)) < 0)
		goto out;
	if (strcmp(p->m->action, name)) {
		bh_msg_set(msg, "manifest is for action \"%s\", not \"%s\"", p->m->action, name);
		r = BH_ERR_MISMATCH;
		goto out;
	}
	if (p->m->expires && (int64_t)time(NULL) > p->m->expires) {
		bh_msg_set(msg, "signed manifest expired at %" PRId64 " (unix time)", p->m->expires);
		r = BH_ERR_EXPIRED;
		goto out;
	}
	/* 4. executable → sealed memfd → hash of what will actually run */
	if ((efd = open_checked(dfd, name, env->owner, BH_PLUGIN_EXE_MAX, &st, msg)) < 0) {
		r = efd;
		goto out;
	}
	if ((p->memfd = seal_copy(efd, name, st.st_size, msg)) < 0) {
		r = p->memfd;
		goto out;
	}
	if ((r = hash_memfd(p->memfd, h, &elf)) < 0) {
		bh_msg_set(msg, "reading memfd: %s", bh_strerror(r));
		goto out;
	}
	if (sodium_memcmp(h, p->m->sha256, 32) != 0) {
		bh_msg_set(msg, "executable %s does not match the signed sha256 (tampered)", name);
		r = BH_ERR_MISMATCH;
		goto out;
	}
	if (!elf) {
		bh_msg_set(msg, "executable %s is not an ELF binary (scripts are refused)", name);
		r = BH_ERR_FORMAT;
		goto out;
	}
	/* 5. rollback last: only a fully verified plugin (signature, manifest, executable
	 * hash, ELF) may raise the stored version; a signed manifest with a high version
	 * next to a wrong executable must not lock the real plugin out */
	if (env->state_dir &&
	    (r = rollback_check(env->state_dir, env->owner, name, p->m->version, msg)) < 0)
		goto out;
	memcpy(p->keyid, keyid, sizeof(keyid));
	if (p->m->run_as == BH_PLUGIN_RUN_ROOT) {
		p->run_uid = 0;
		p->run_gid = 0;
	} else {
		p->run_uid = env->plugin_uid;
		p->run_gid = env->plugin_gid;
	}
	*ret = p;
	p = NULL;
	r = 0;
out:
	if (dfd >= 0)
		close(dfd);
	if (kfd >= 0)
		close(kfd);
	if (efd >= 0)
		close(efd);
	free(man);
	free(sigf);
	free(pubf);
	bh_plugin_free(p);
	return r;
}

/* ------------------------------------------------------------------ running */

/*
 * Everything the plugin child needs, prepared by the parent: between clone() and
 * execveat() the child shares the parent's memory (CLONE_VM|CLONE_VFORK, no page
 * table copy) and so may only make async-signal-safe calls — plain syscalls, no
 * malloc, stdio or libcap-ng.
 */
struct child_args {
	const struct bh_plugin *p;
	char *argv[2];
	char *envp[4];
	int in, outp, errp;
	bool root;          /* the agent is root: switch user and set capabilities */
	bool user;          /* run as the plugin user (not "run_as": "root") */
	struct __user_cap_header_struct caph;
	struct __user_cap_data_struct capd[2];
};

/* write "what: errno N\n" to fd 2 with async-signal-safe calls only */
static void child_err(const char *what, int e)
{
	char num[16];
	size_t n = sizeof(num);

	num[--n] = '\n';
	do {
		num[--n] = (char)('0' + e % 10);
		e /= 10;
	} while (e && n > 0);
	if (write(2, what, strlen(what)) < 0 || write(2, ": errno ", 8) < 0 ||
	    write(2, num + n, sizeof(num) - n) < 0)
		return;
}

static int child_exec(void *arg)
{
	const struct child_args *a = arg;
	const struct bh_plugin *p = a->p;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	/* signals were blocked by the parent around clone(); handlers back to default
	 * first (they are the parent's functions, in the memory we share), then unblock */
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (dup2(a->in, 0) < 0 || dup2(a->outp, 1) < 0 || dup2(a->errp, 2) < 0 ||
	    dup2(p->memfd, 3) < 0)
		_exit(126);
	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		_exit(126);
	if (syscall(SYS_close_range, 4U, ~0U, 0) < 0) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(126);
		for (rlim_t fd = 4; fd < rl.rlim_cur && fd < 65536; fd++)
			close((int)fd);
	}
	if (a->root) {
		if (a->user) {
			/* the plugin user: uid 0 never again means anything to this process
			 * tree (NOROOT: no caps from uid 0 or setuid-root files on exec;
			 * NO_SETUID_FIXUP: the uid change keeps the capabilities, which are
			 * then cut to the manifest's and raised as ambient so execveat keeps
			 * them), all locked.  Raw syscalls: glibc's set*id wrappers may
			 * broadcast to threads through shared state. */
			gid_t g = p->run_gid;
			if (p->run_uid == 0) {
				child_err("plugin user is uid 0", 0);
				_exit(126);
			}
			if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
				  SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
				  SECBIT_KEEP_CAPS_LOCKED) < 0 ||
			    syscall(SYS_setgroups, 1, &g) < 0 || syscall(SYS_setresgid, g, g, g) < 0 ||
			    syscall(SYS_setresuid, p->run_uid, p->run_uid, p->run_uid) < 0) {
				child_err("cannot switch to the plugin user", errno);
				_exit(126);
			}
		}
		/* keep only the manifest's capabilities: bounding set too (dropped while
		 * CAP_SETPCAP is still effective), so that the root-exec rule (permitted
		 * = inheritable | bounding) grants no more to a root plugin; ambient for
		 * a plugin-user plugin */
		for (int c = 0; c < 64; c++) {
			if (p->m->caps & (1ull << c))
				continue;
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
				if (errno == EINVAL)
					break; /* past the kernel's last capability */
				child_err("cannot drop capabilities (bounding set)", errno);
				_exit(126);
			}
		}
		if (syscall(SYS_capset, &a->caph, a->capd) < 0 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
			child_err("cannot drop capabilities", errno);
			_exit(126);
		}
		for (int c = 0; a->user && c < 64; c++)
			if ((p->m->caps & (1ull << c)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) {
				child_err("cannot raise ambient capabilities", errno);
				_exit(126);
			}
	}
	execveat(3, "", a->argv, a->envp, AT_EMPTY_PATH);
	child_err("execveat", errno);
	_exit(127);
}

#if defined(__SANITIZE_ADDRESS__)
#define CHILD_SHARES_VM 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define CHILD_SHARES_VM 0
#endif
#endif
#ifndef CHILD_SHARES_VM
#define CHILD_SHARES_VM 1
#endif
#define CHILD_STACK (64 * 1024)

/*
 * Start the plugin child.  clone(CLONE_VM|CLONE_VFORK): no copy of the page
 * tables, and the parent sleeps until the child has exec'd or exited.  Sanitizer
 * builds use fork() (ASan poisons the child's frames in shadow memory it would
 * share with us).  All signals are blocked across the call so no handler of ours
 * runs in the child.  Returns the pid or -errno.
 */
static pid_t child_start(struct child_args *a)
{
	sigset_t all, old;
	pid_t pid;
	int e = 0;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (CHILD_SHARES_VM) {
		void *stk = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stk == MAP_FAILED) {
			pid = -1;
			e = errno;
		} else {
			pid = clone(child_exec, (char *)stk + CHILD_STACK,
				    CLONE_VM | CLONE_VFORK | SIGCHLD, a);
			e = errno;
			munmap(stk, CHILD_STACK);
		}
	} else {
		pid = fork();
		e = errno;
		if (pid == 0)
			_exit(child_exec(a));
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid < 0 ? -e : pid;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? bh_negerrno() : 0;
}

/* Append the first line of the plugin's stderr (printable ASCII, <= 200 bytes) to msg. */
static void add_stderr(struct bh_msg *msg, const struct bh_buf *eb)
{
	char line[201];
	size_t n = 0, len = bh_buf_len(eb);
	const uint8_t *d = bh_buf_ptr(eb);

	if (!msg || len == 0)
		return;
	for (size_t i = 0; i < len && d[i] != '\n' && n < sizeof(line) - 1; i++)
		line[n++] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
	line[n] = 0;
	if (n) {
		size_t cur = strlen(msg->text);
		snprintf(msg->text + cur, sizeof(msg->text) - cur, ": %s", line);
	}
}

int bh_plugin_run(const struct bh_plugin *p, const char *name, const json_t *params, json_t **ret,
		  struct bh_msg *msg)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	json_t *vp = NULL, *reply = NULL;
	char *input = NULL;
	size_t in_len = 0, in_off = 0;
	struct bh_buf ob, eb;
	pid_t pid = -1;
	int r = BH_ERR_INTERNAL, status = 0;
	bool timed_out = false, too_big = false;
	struct child_args ca = {
		.p = p, .argv = { (char *)name, NULL },
		.envp = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LANG=C", NULL, NULL },
		.root = geteuid() == 0, .user = p->m->run_as != BH_PLUGIN_RUN_ROOT,
		.caph = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 },
	};

	bh_buf_init(&ob, p->m->output_max);
	bh_buf_init(&eb, STDERR_KEEP);
	if ((r = bh_params_validate(p->m, params, &vp, msg)) < 0)
		goto out;
	if (ca.root && ca.user && p->run_uid == 0) {
		bh_msg_set(msg, "plugin %s: no plugin user configured (it would run as uid 0 but its "
			   "manifest does not say \"run_as\": \"root\")", name);
		r = BH_ERR_CONFIG;
		goto out;
	}
	for (int i = 0; i < 2; i++)
		ca.capd[i].effective = ca.capd[i].permitted = ca.capd[i].inheritable =
			(uint32_t)(p->m->caps >> (32 * i));
	if (ca.root && p->m->caps) {
		/* the agent's policy is the ceiling: say so instead of failing in the child */
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		if (syscall(SYS_capget, &h, d) < 0) {
			r = bh_negerrno();
			bh_msg_set(msg, "capget: %s", bh_strerror(r));
			goto out;
		}
		uint64_t have = d[0].permitted | ((uint64_t)d[1].permitted << 32);
		for (int c = 0; c < 64; c++) {
			if ((p->m->caps & (1ull << c)) && !(have & (1ull << c))) {
				bh_msg_set(msg, "plugin %s needs capability %s, which the agent does not "
					   "hold (policy/blockhost-root-agent.policy)", name,
					   capng_capability_to_name((unsigned)c));
				r = BH_ERR_DENIED;
				goto out;
			}
		}
	}
	if (!(input = json_dumps(vp, JSON_COMPACT))) {
		r = -ENOMEM;
		goto out;
	}
	in_len = strlen(input);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		r = bh_negerrno();
		goto out;
	}
	/* tests run the agent under a root prefix; plugins resolve paths the same way */
	const char *root = bh_root_prefix();
	if (root[0] && asprintf(&ca.envp[2], "BLOCKHOST_ROOT=%s", root) < 0) {
		ca.envp[2] = NULL;
		r = -ENOMEM;
		goto out;
	}
	ca.in = in[0];
	ca.outp = out[1];
	ca.errp = err[1];
	pid = child_start(&ca);
	if (pid < 0) {
		r = (int)pid;
		pid = -1;
		bh_msg_set(msg, "starting the plugin: %s", bh_strerror(r));
		goto out;
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	in[0] = out[1] = err[1] = -1;
	if ((r = set_nonblock(in[1])) < 0 || (r = set_nonblock(out[0])) < 0 ||
	    (r = set_nonblock(err[0])) < 0)
		goto kill;

	int64_t deadline = bh_deadline_from_ms((int)p->m->timeout_ms);
	while (out[0] >= 0 || err[0] >= 0) {
		struct pollfd pf[3];
		int np = 0, iw = -1, io = -1, ie = -1;
		if (in[1] >= 0) { iw = np; pf[np++] = (struct pollfd){ .fd = in[1], .events = POLLOUT }; }
		if (out[0] >= 0) { io = np; pf[np++] = (struct pollfd){ .fd = out[0], .events = POLLIN }; }
		if (err[0] >= 0) { ie = np; pf[np++] = (struct pollfd){ .fd = err[0], .events = POLLIN }; }
		int left = bh_deadline_left(deadline);
		if (left == 0) {
			timed_out = true;
			break;
		}
		int n = poll(pf, (nfds_t)np, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = bh_negerrno();
			goto kill;
		}
		if (iw >= 0 && pf[iw].revents) {
			ssize_t w = write(in[1], input + in_off, in_len - in_off);
			if (w > 0)
				in_off += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) || in_off == in_len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		for (int k = 0; k < 2; k++) {
			int idx = k == 0 ? io : ie;
			int *fdp = k == 0 ? &out[0] : &err[0];
			struct bh_buf *b = k == 0 ? &ob : &eb;
			if (idx < 0 || !pf[idx].revents)
				continue;
			char tmp[8192];
			ssize_t rn = read(*fdp, tmp, sizeof(tmp));
			if (rn < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (rn <= 0) {
				close(*fdp);
				*fdp = -1;
				continue;
			}
			size_t keep = (size_t)rn;
			if (keep > bh_buf_avail(b)) {
				keep = bh_buf_avail(b);
				if (k == 0)
					too_big = true;
			}
			if (keep && bh_buf_put(b, tmp, keep) < 0) {
				r = -ENOMEM;
				goto kill;
			}
		}
		if (too_big)
			break;
	}
	if (timed_out || too_big)
		goto kill;
	/* its output is closed, but the plugin may still be running: the deadline holds */
	{
		int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pfd >= 0) {
			struct pollfd pp = { .fd = pfd, .events = POLLIN };
			int n;
			do {
				n = poll(&pp, 1, bh_deadline_left(deadline));
			} while (n < 0 && errno == EINTR);
			close(pfd);
			if (n == 0) {
				timed_out = true;
				goto kill;
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = bh_negerrno();
			goto out;
		}
	}
	pid = -1;
	if (!WIFEXITED(status)) {
		bh_msg_set(msg, "plugin %s killed by signal %d", name, WTERMSIG(status));
		r = BH_ERR_CHILD;
		goto out;
	}
	r = bh_frame_decode_json(bh_buf_ptr(&ob), bh_buf_len(&ob), &reply);
	if (r < 0 || !json_is_boolean(json_object_get(reply, "ok"))) {
		if (WEXITSTATUS(status) != 0) {
			bh_msg_set(msg, "plugin %s failed (exit status %d)", name, WEXITSTATUS(status));
			r = BH_ERR_CHILD;
		} else {
			bh_msg_set(msg, "plugin %s: reply is not a JSON object with boolean \"ok\"", name);
			r = BH_ERR_FORMAT;
		}
		goto out;
	}
	if (WEXITSTATUS(status) != 0 && json_is_true(json_object_get(reply, "ok"))) {
		bh_msg_set(msg, "plugin %s said ok but exited with status %d", name, WEXITSTATUS(status));
		r = BH_ERR_CHILD;
		goto out;
	}
	*ret = reply;
	reply = NULL;
	r = 0;
	goto out;
kill:
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (timed_out) {
		bh_msg_set(msg, "plugin %s timed out after %u ms", name, p->m->timeout_ms);
		r = BH_ERR_TIMEOUT;
	} else if (too_big) {
		bh_msg_set(msg, "plugin %s: output larger than %zu bytes", name, p->m->output_max);
		r = BH_ERR_LIMIT;
	}
out:
	if (r < 0)
		add_stderr(msg, &eb);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0) close(in[i]);
		if (out[i] >= 0) close(out[i]);
		if (err[i] >= 0) close(err[i]);
	}
	if (input) {
		explicit_bzero(input, in_len);
		free(input);
	}
	free(ca.envp[2]);
	json_decref(vp);
	json_decref(reply);
	bh_buf_done(&ob);
	bh_buf_done(&eb);
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * Signed action plugins, part 1: names and the strict manifest parser
 * (docs/PROTOCOL.plugin section 2).  Bounded, no I/O: fuzzed from bytes
 * (fuzz/fuzz_plugin_manifest.c).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cap-ng.h>
#include <linux/capability.h>

#include "core/err.h"
#include "core/strutil.h"
#include "core/frame.h"
#include "core/hex.h"
#include "plugin.h"
#include "sandbox/policy.h"

_Static_assert(CAP_SETUID == 7 && CAP_SETGID == 6 && CAP_SYS_ADMIN == 21 && CAP_MKNOD == 27 &&
	       CAP_SETFCAP == 31 && CAP_SYS_PTRACE == 19, "BH_CAPS_ROOT_EQUIVALENT bit numbers");

int bh_plugin_cap_from_name(const char *name)
{
	char up[64];
	size_t n = strlen(name);

	if (n >= sizeof(up) || !bh_name_valid_len(name, n, BH_NAME_CAP))
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
	if (!bh_name_valid(pname, BH_NAME_PARAM)) {
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

/* "capabilities": an array of at most BH_PLUGIN_CAPS_MAX distinct names. */
static int parse_caps(json_t *v, uint64_t *ret, struct bh_msg *msg)
{
	uint64_t caps = 0;
	size_t i;
	json_t *c;

	if (!json_is_array(v) || json_array_size(v) > BH_PLUGIN_CAPS_MAX) {
		bh_msg_set(msg, "manifest: capabilities must be an array of at most %d names",
			   BH_PLUGIN_CAPS_MAX);
		return BH_ERR_WRONG_TYPE;
	}
	json_array_foreach(v, i, c) {
		const char *s = json_string_value(c);
		int cap = s ? bh_plugin_cap_from_name(s) : -1;
		if (cap < 0) {
			bh_msg_set(msg, "manifest: capabilities[%zu] is not a capability name", i);
			return BH_ERR_FORMAT;
		}
		if (caps & (1ull << cap)) {
			bh_msg_set(msg, "manifest: capability \"%s\" listed twice", s);
			return BH_ERR_DUPLICATE;
		}
		caps |= 1ull << cap;
	}
	*ret = caps;
	return 0;
}

/* "params": an object of at most BH_PLUGIN_PARAMS_MAX schemas. */
static int parse_params(json_t *v, struct bh_plugin_manifest *m, struct bh_msg *msg)
{
	const char *pk;
	json_t *pv;
	int r;

	if (!json_is_object(v) || json_object_size(v) > BH_PLUGIN_PARAMS_MAX) {
		bh_msg_set(msg, "manifest: params must be an object of at most %d params",
			   BH_PLUGIN_PARAMS_MAX);
		return BH_ERR_WRONG_TYPE;
	}
	json_object_foreach(v, pk, pv) {
		r = parse_schema(pk, pv, &m->params[m->n_params], msg);
		/* count it even on failure: parse_schema leaves it freeable */
		m->n_params++;
		if (r < 0)
			return r;
	}
	return 0;
}

/* The keys every manifest must have, in the order of their bits in `seen`. */
static const char *const required_keys[] = { "format", "namespace", "action", "version",
	"sha256", "capabilities", "timeout_ms", "output_max", "input", "params", "run_as" };
#define N_REQUIRED (sizeof(required_keys) / sizeof(required_keys[0]))

/* key's bit in `seen`, or 0 for an optional key */
static unsigned required_bit(const char *key)
{
	for (unsigned i = 0; i < N_REQUIRED; i++)
		if (!strcmp(key, required_keys[i]))
			return 1u << i;
	return 0;
}

/* One top-level key of the manifest into m. */
static int manifest_key(struct bh_plugin_manifest *m, const char *key, json_t *v,
			struct bh_msg *msg)
{
	const char *s = json_string_value(v);
	int64_t x;
	int r;

	if (!strcmp(key, "format")) {
		return 0; /* checked first, by the caller */
	} else if (!strcmp(key, "namespace")) {
		if (!s || strcmp(s, BH_PLUGIN_NAMESPACE)) {
			bh_msg_set(msg, "manifest: namespace must be \"%s\"", BH_PLUGIN_NAMESPACE);
			return BH_ERR_UNSUPPORTED;
		}
	} else if (!strcmp(key, "action")) {
		if (!s || !bh_name_valid(s, BH_NAME_ACTION)) {
			bh_msg_set(msg, "manifest: action must match ^[a-z0-9][a-z0-9-]{0,63}$");
			return BH_ERR_FORMAT;
		}
		snprintf(m->action, sizeof(m->action), "%s", s);
	} else if (!strcmp(key, "version")) {
		if ((r = get_int(v, 1, (int64_t)BH_PLUGIN_VERSION_MAX, &x)) < 0) {
			bh_msg_set(msg, "manifest: version must be an integer 1..2^53-1");
			return r;
		}
		m->version = (uint64_t)x;
	} else if (!strcmp(key, "sha256")) {
		if (!s || strlen(s) != 64 || bh_hex_decode_ct(s, 64, m->sha256, 32) < 0) {
			bh_msg_set(msg, "manifest: sha256 must be 64 hex digits");
			return BH_ERR_FORMAT;
		}
	} else if (!strcmp(key, "capabilities")) {
		return parse_caps(v, &m->caps, msg);
	} else if (!strcmp(key, "timeout_ms")) {
		if ((r = get_int(v, 1, BH_PLUGIN_TIMEOUT_MAX, &x)) < 0) {
			bh_msg_set(msg, "manifest: timeout_ms must be an integer 1..%u", BH_PLUGIN_TIMEOUT_MAX);
			return r;
		}
		m->timeout_ms = (unsigned)x;
	} else if (!strcmp(key, "output_max")) {
		if ((r = get_int(v, 2, BH_PLUGIN_OUTPUT_MAX, &x)) < 0) {
			bh_msg_set(msg, "manifest: output_max must be an integer 2..%u", BH_PLUGIN_OUTPUT_MAX);
			return r;
		}
		m->output_max = (size_t)x;
	} else if (!strcmp(key, "expires")) {
		/* optional: bounds freeze attacks (an old signed plugin kept forever) */
		if ((r = get_int(v, 1, INT64_MAX, &x)) < 0) {
			bh_msg_set(msg, "manifest: expires must be a positive integer (unix seconds)");
			return r;
		}
		m->expires = x;
	} else if (!strcmp(key, "run_as")) {
		/* required (no implicit rule): "plugin" (the agent's unprivileged plugin
		 * user), "libvirt" (the agent's libvirt user, [libvirt] of its policy) or
		 * "root" (only for actions that genuinely need uid 0) */
		if (!s || (strcmp(s, "root") && strcmp(s, "plugin") && strcmp(s, "libvirt"))) {
			bh_msg_set(msg, "manifest: run_as must be \"plugin\", \"libvirt\" or \"root\"");
			return BH_ERR_FORMAT;
		}
		m->run_as = !strcmp(s, "root")      ? BH_PLUGIN_RUN_ROOT
			  : !strcmp(s, "libvirt") ? BH_PLUGIN_RUN_LIBVIRT
						  : BH_PLUGIN_RUN_USER;
	} else if (!strcmp(key, "root_equivalent")) {
		/* why the action needs root-equivalent power; shown in the action table */
		size_t n = s ? json_string_length(v) : 0;
		bool printable = s && n == strlen(s);
		for (size_t i = 0; printable && i < n; i++)
			printable = s[i] >= 0x20 && s[i] < 0x7f;
		if (!printable || n < 8 || n > BH_PLUGIN_ROOT_EQ_MAX) {
			bh_msg_set(msg, "manifest: root_equivalent must be a reason of 8..%d printable "
				   "ASCII characters", BH_PLUGIN_ROOT_EQ_MAX);
			return BH_ERR_FORMAT;
		}
		memcpy(m->root_equivalent, s, n + 1);
	} else if (!strcmp(key, "input")) {
		if (!s || strcmp(s, "stdin-json")) {
			bh_msg_set(msg, "manifest: input must be \"stdin-json\"");
			return BH_ERR_UNSUPPORTED;
		}
	} else if (!strcmp(key, "params")) {
		return parse_params(v, m, msg);
	} else {
		char k[68];
		bh_msg_set(msg, "manifest: unknown key \"%s\"", bh_str_sanitize(key, BH_STR_CSTR, k, sizeof(k)));
		return BH_ERR_FORMAT;
	}
	return 0;
}

const char *bh_plugin_run_as_name(enum bh_plugin_run_as r)
{
	return r == BH_PLUGIN_RUN_ROOT ? "root" : r == BH_PLUGIN_RUN_LIBVIRT ? "libvirt" : "plugin";
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
		if ((r = manifest_key(m, key, v, msg)) < 0)
			goto out;
		seen |= required_bit(key);
	}
	for (unsigned i = 0; i < N_REQUIRED; i++) {
		if (!(seen & (1u << i))) {
			bh_msg_set(msg, "manifest: \"%s\" missing", required_keys[i]);
			r = BH_ERR_MISSING_KEY;
			goto out;
		}
	}
	/* no hidden root: uid 0 or a root-equivalent capability only with a signed reason,
	 * and a reason only where it is true (the action table must not drift) */
	bool req = bh_caps_root_equivalent(m->caps, m->run_as == BH_PLUGIN_RUN_ROOT);
	if (req && !m->root_equivalent[0]) {
		bh_msg_set(msg, "manifest: %s is root-equivalent but gives no \"root_equivalent\" "
			   "reason", m->run_as == BH_PLUGIN_RUN_ROOT ? "\"run_as\": \"root\""
			   : "a capability it is granted");
		r = BH_ERR_CONFIG;
		goto out;
	}
	if (!req && m->root_equivalent[0]) {
		bh_msg_set(msg, "manifest: \"root_equivalent\" given, but the action runs as the "
			   "%s user without a root-equivalent capability",
			   bh_plugin_run_as_name(m->run_as));
		r = BH_ERR_CONFIG;
		goto out;
	}
	*ret = m;
	m = NULL;
	r = 0;
out:
	bh_plugin_manifest_free(m);
	json_decref(j);
	return r;
}

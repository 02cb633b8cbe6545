/* SPDX-License-Identifier: MIT */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"
#include "core/frame.h"
#include "core/json.h"
#include "host/manifest.h"
#include "core/path.h"
#include "core/strutil.h"

#define NAME_MAX_LEN 64
#define TEXT_MAX_LEN 1024
#define PATTERN_MAX_LEN 256

struct bh_manifest {
	enum bh_manifest_kind kind;
	json_t *root;
	const char *name, *version, *display_name;
};

static const char *const kind_file[] = {
	[BH_MANIFEST_PROVISIONER] = "provisioner.json",
	[BH_MANIFEST_ENGINE] = "engine.json",
	[BH_MANIFEST_BROKER] = "broker.json",
};

const char *bh_manifest_file(enum bh_manifest_kind kind)
{
	if ((unsigned)kind >= _BH_MANIFEST_KIND_MAX)
		return NULL;
	return kind_file[kind];
}

_Static_assert(NAME_MAX_LEN == BH_NAME_IDENT_MAX, "manifest identifier length");

/* Printable text (no control characters; UTF-8 already validated by jansson). */
static bool valid_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static bool exe_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '+';
}

bool bh_manifest_exe_valid(const char *s)
{
	size_t n;

	if (!s || !(n = strlen(s)) || n > 4096)
		return false;
	if (s[0] != '/') {
		/* a plain name on PATH */
		if (s[0] == '-' || s[0] == '.' || n > 255)
			return false;
		for (size_t i = 0; i < n; i++)
			if (!exe_char(s[i]))
				return false;
		return true;
	}
	/* absolute: components of exe_char, no "." / "..", no empty component, no trailing '/' */
	const char *p = s;
	while (*p == '/') {
		const char *c = p + 1, *e = c;
		while (*e && *e != '/') {
			if (!exe_char(*e))
				return false;
			e++;
		}
		size_t cl = (size_t)(e - c);
		if (cl == 0 || (cl == 1 && c[0] == '.') || (cl == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		p = e;
	}
	return *p == '\0';
}

static bool valid_color(const char *s)
{
	size_t n = strlen(s);

	if ((n != 4 && n != 7) || s[0] != '#')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	return true;
}

static int get_string(json_t *root, const char *key, bool required, const char **ret,
		      struct bh_msg *msg)
{
	json_t *v = json_object_get(root, key);

	if (!v) {
		if (!required) {
			*ret = NULL;
			return 0;
		}
		bh_msg_set(msg, "missing required key \"%s\"", key);
		return BH_ERR_MISSING_KEY;
	}
	if (!json_is_string(v)) {
		bh_msg_set(msg, "\"%s\" must be a string", key);
		return BH_ERR_WRONG_TYPE;
	}
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v)) {
		bh_msg_set(msg, "\"%s\" contains a NUL character", key);
		return BH_ERR_NUL;
	}
	*ret = s;
	return 0;
}

static int check_text_key(json_t *root, const char *key, struct bh_msg *msg)
{
	const char *s;
	int r;

	if ((r = get_string(root, key, false, &s, msg)) < 0)
		return r;
	if (s && !valid_text(s, TEXT_MAX_LEN)) {
		bh_msg_set(msg, "\"%s\" is too long or contains control characters", key);
		return BH_ERR_FORMAT;
	}
	return 0;
}

/*
 * True if an alternation '|' appears outside any group or bracket expression:
 * "^a|b$" anchors only one side.
 */
static bool top_level_alternation(const char *s)
{
	int depth = 0;

	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\\' && s[i + 1]) {
			i++;
		} else if (s[i] == '[') {
			/* skip the bracket expression; a ']' right after '[' or '[^' is literal */
			i++;
			if (s[i] == '^')
				i++;
			if (s[i] == ']')
				i++;
			while (s[i] && s[i] != ']')
				i++;
			if (!s[i])
				return true; /* unterminated: regcomp rejects it anyway */
		} else if (s[i] == '(') {
			depth++;
		} else if (s[i] == ')') {
			depth--;
		} else if (s[i] == '|' && depth <= 0) {
			return true;
		}
	}
	return false;
}

static int check_pattern(const char *where, const char *key, json_t *v, struct bh_msg *msg)
{
	regex_t re;
	const char *s;

	if (!json_is_string(v)) {
		bh_msg_set(msg, "%s.%s must be a string", where, key);
		return BH_ERR_WRONG_TYPE;
	}
	s = json_string_value(v);
	size_t n = strlen(s);
	if (n != json_string_length(v)) {
		bh_msg_set(msg, "%s.%s contains a NUL character", where, key);
		return BH_ERR_NUL;
	}
	if (n < 2 || n > PATTERN_MAX_LEN || s[0] != '^' || s[n - 1] != '$' ||
	    (n >= 3 && s[n - 2] == '\\') || top_level_alternation(s)) {
		bh_msg_set(msg, "%s.%s must be an anchored pattern ^...$ of at most %d bytes", where,
			   key, PATTERN_MAX_LEN);
		return BH_ERR_FORMAT;
	}
	if (regcomp(&re, s, REG_EXTENDED | REG_NOSUB) != 0) {
		bh_msg_set(msg, "%s.%s is not a valid extended regular expression", where, key);
		return BH_ERR_FORMAT;
	}
	regfree(&re);
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static int check_commands(json_t *root, bool required, struct bh_msg *msg)
{
	json_t *c = json_object_get(root, "commands"), *v;
	const char *verb;

	if (!c) {
		if (!required)
			return 0;
		bh_msg_set(msg, "missing required key \"commands\"");
		return BH_ERR_MISSING_KEY;
	}
	if (!json_is_object(c)) {
		bh_msg_set(msg, "\"commands\" must be an object");
		return BH_ERR_WRONG_TYPE;
	}
	json_object_foreach(c, verb, v) {
		if (!bh_name_valid(verb, BH_NAME_IDENT)) {
			bh_msg_set(msg, "commands: invalid verb name");
			return BH_ERR_FORMAT;
		}
		if (!json_is_string(v)) {
			bh_msg_set(msg, "commands.%s must be a string", verb);
			return BH_ERR_WRONG_TYPE;
		}
		if (strlen(json_string_value(v)) != json_string_length(v) ||
		    !bh_manifest_exe_valid(json_string_value(v))) {
			bh_msg_set(msg, "commands.%s must be a plain program name or an absolute "
				   "path without spaces or shell metacharacters", verb);
			return BH_ERR_FORMAT;
		}
	}
	return 0;
}

static int check_string_array(const char *where, const char *key, json_t *a, struct bh_msg *msg)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a)) {
		bh_msg_set(msg, "%s.%s must be an array of strings", where, key);
		return BH_ERR_WRONG_TYPE;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			bh_msg_set(msg, "%s.%s[%zu] must be a string", where, key, i);
			return BH_ERR_WRONG_TYPE;
		}
		if (!valid_text(json_string_value(v), TEXT_MAX_LEN)) {
			bh_msg_set(msg, "%s.%s[%zu] is too long or has control characters", where, key, i);
			return BH_ERR_FORMAT;
		}
	}
	return 0;
}

static int check_setup(json_t *root, struct bh_msg *msg)
{
	json_t *s = json_object_get(root, "setup"), *v;
	const char *key;
	int r;

	if (!s)
		return 0;
	if (!json_is_object(s)) {
		bh_msg_set(msg, "\"setup\" must be an object");
		return BH_ERR_WRONG_TYPE;
	}
	json_object_foreach(s, key, v) {
		if (ends_with(key, "_steps")) {
			if ((r = check_string_array("setup", key, v, msg)) < 0)
				return r;
			continue;
		}
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
			bh_msg_set(msg, "setup.%s must be a string", key);
			return BH_ERR_WRONG_TYPE;
		}
		const char *val = json_string_value(v);
		if (strcmp(key, "first_boot_hook") == 0 &&
		    (val[0] != '/' || !bh_manifest_exe_valid(val))) {
			bh_msg_set(msg, "setup.first_boot_hook must be an absolute path");
			return BH_ERR_FORMAT;
		}
		if (strcmp(key, "detect") == 0 && !bh_manifest_exe_valid(val)) {
			bh_msg_set(msg, "setup.detect must be a plain program name or absolute path");
			return BH_ERR_FORMAT;
		}
		if (!valid_text(val, TEXT_MAX_LEN)) {
			bh_msg_set(msg, "setup.%s is too long or has control characters", key);
			return BH_ERR_FORMAT;
		}
	}
	return 0;
}

static int check_constraints(json_t *root, struct bh_msg *msg)
{
	json_t *c = json_object_get(root, "constraints"), *v;
	const char *key;
	int r;

	if (!c)
		return 0;
	if (!json_is_object(c)) {
		bh_msg_set(msg, "\"constraints\" must be an object");
		return BH_ERR_WRONG_TYPE;
	}
	json_object_foreach(c, key, v) {
		if (ends_with(key, "_pattern")) {
			if ((r = check_pattern("constraints", key, v, msg)) < 0)
				return r;
			continue;
		}
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
		    !valid_text(json_string_value(v), TEXT_MAX_LEN)) {
			bh_msg_set(msg, "constraints.%s must be a short printable string", key);
			return BH_ERR_WRONG_TYPE;
		}
	}
	return 0;
}

static int check_chains(json_t *root, struct bh_msg *msg)
{
	json_t *c = json_object_get(root, "chains"), *v;
	const char *chain;
	int r;

	if (!c)
		return 0;
	if (!json_is_object(c)) {
		bh_msg_set(msg, "\"chains\" must be an object");
		return BH_ERR_WRONG_TYPE;
	}
	json_object_foreach(c, chain, v) {
		if (!bh_name_valid(chain, BH_NAME_IDENT)) {
			bh_msg_set(msg, "chains: invalid chain name");
			return BH_ERR_FORMAT;
		}
		if (!json_is_object(v)) {
			bh_msg_set(msg, "chains.%s must be an object", chain);
			return BH_ERR_WRONG_TYPE;
		}
		static const char *const pats[] = { "wallet_pattern", "contract_validation" };
		for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
			json_t *p = json_object_get(v, pats[i]);
			if (p && (r = check_pattern("chains", pats[i], p, msg)) < 0)
				return r;
		}
		json_t *f = json_object_get(v, "fields");
		if (f && !json_is_array(f)) {
			bh_msg_set(msg, "chains.%s.fields must be an array", chain);
			return BH_ERR_WRONG_TYPE;
		}
	}
	return 0;
}

int bh_manifest_parse(enum bh_manifest_kind kind, const void *data, size_t len,
		      struct bh_manifest **ret, struct bh_msg *msg)
{
	struct bh_manifest *m = NULL;
	struct bh_msg jm = { "" };
	json_t *root = NULL;
	const char *s;
	int r = BH_ERR_INTERNAL;

	if ((unsigned)kind >= _BH_MANIFEST_KIND_MAX || (!data && len))
		return -EINVAL;
	if ((r = bh_json_load(data, len, BH_MANIFEST_MAX_SIZE, BH_JSON_OBJECT, &root, &jm)) < 0) {
		bh_msg_set(msg, "manifest JSON: %s", jm.text);
		return r;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		r = -ENOMEM;
		goto out;
	}
	m->kind = kind;
	if ((r = get_string(root, "name", true, &m->name, msg)) < 0)
		goto out;
	if (!bh_name_valid(m->name, BH_NAME_IDENT)) {
		bh_msg_set(msg, "\"name\" must be 1-64 characters of [A-Za-z0-9._-]");
		r = BH_ERR_FORMAT;
		goto out;
	}
	if ((r = get_string(root, "version", kind != BH_MANIFEST_BROKER, &m->version, msg)) < 0)
		goto out;
	if (m->version && (!*m->version || !valid_text(m->version, NAME_MAX_LEN))) {
		bh_msg_set(msg, "\"version\" must be 1-64 printable characters");
		r = BH_ERR_FORMAT;
		goto out;
	}
	if ((r = get_string(root, "display_name", false, &m->display_name, msg)) < 0 ||
	    (r = check_text_key(root, "display_name", msg)) < 0 ||
	    (r = check_text_key(root, "description", msg)) < 0)
		goto out;
	if ((r = get_string(root, "accent_color", false, &s, msg)) < 0)
		goto out;
	if (s && !valid_color(s)) {
		bh_msg_set(msg, "\"accent_color\" must be #rgb or #rrggbb");
		r = BH_ERR_FORMAT;
		goto out;
	}
	if ((r = check_commands(root, kind == BH_MANIFEST_PROVISIONER, msg)) < 0 ||
	    (r = check_setup(root, msg)) < 0 || (r = check_constraints(root, msg)) < 0 ||
	    (r = check_chains(root, msg)) < 0)
		goto out;
	m->root = root;
	root = NULL;
	*ret = m;
	m = NULL;
	r = 0;
out:
	json_decref(root);
	free(m);
	return r;
}

/* manifests are read with the untrusted-file recipe (core/file.h) */
static const struct bh_file_rules manifest_file_rules = { .type = S_IFREG };

int bh_manifest_load_path(enum bh_manifest_kind kind, const char *path, struct bh_manifest **ret,
			  struct bh_msg *msg)
{
	struct bh_buf b;
	int r;

	bh_buf_init(&b, BH_MANIFEST_MAX_SIZE);
	r = bh_file_read(AT_FDCWD, path, &manifest_file_rules, BH_MANIFEST_MAX_SIZE, &b, msg);
	if (r == -ENOENT) {
		bh_msg_set(msg, "%s: not installed", path);
		r = BH_ERR_NOT_FOUND;
		goto out;
	}
	if (r < 0)
		goto out;
	r = bh_manifest_parse(kind, bh_buf_ptr(&b), bh_buf_len(&b), ret, msg);
	if (r < 0 && msg) {
		/* prefix the file name to the detail */
		char detail[sizeof(msg->text)];
		memcpy(detail, msg->text, sizeof(detail));
		detail[sizeof(detail) - 1] = '\0';
		bh_msg_set(msg, "%s: %s", path, detail);
	}
out:
	bh_buf_done(&b);
	return r;
}

int bh_manifest_load(enum bh_manifest_kind kind, struct bh_manifest **ret, struct bh_msg *msg)
{
	char *path = NULL;
	int r;

	if (!bh_manifest_file(kind))
		return -EINVAL;
	if ((r = bh_path(BH_DIR_SHARE, bh_manifest_file(kind), &path)) < 0)
		return r;
	r = bh_manifest_load_path(kind, path, ret, msg);
	free(path);
	return r;
}

struct bh_manifest *bh_manifest_free(struct bh_manifest *m)
{
	if (m) {
		json_decref(m->root);
		free(m);
	}
	return NULL;
}

enum bh_manifest_kind bh_manifest_kind(const struct bh_manifest *m)
{
	return m->kind;
}

const char *bh_manifest_name(const struct bh_manifest *m)
{
	return m->name;
}

const char *bh_manifest_version(const struct bh_manifest *m)
{
	return m->version;
}

const char *bh_manifest_display_name(const struct bh_manifest *m)
{
	return m->display_name;
}

const json_t *bh_manifest_json(const struct bh_manifest *m)
{
	return m->root;
}

static int sub_string(const struct bh_manifest *m, const char *obj, const char *key,
		      const char **ret)
{
	json_t *o, *v;

	if (!m || !key)
		return -EINVAL;
	o = json_object_get(m->root, obj);
	v = o ? json_object_get(o, key) : NULL;
	if (!json_is_string(v))
		return BH_ERR_NOT_FOUND;
	*ret = json_string_value(v);
	return 0;
}

int bh_manifest_command(const struct bh_manifest *m, const char *verb, const char **ret_exe)
{
	return sub_string(m, "commands", verb, ret_exe);
}

int bh_manifest_setup_string(const struct bh_manifest *m, const char *key, const char **ret)
{
	return sub_string(m, "setup", key, ret);
}

int bh_manifest_constraint(const struct bh_manifest *m, const char *key, const char **ret)
{
	return sub_string(m, "constraints", key, ret);
}

int bh_manifest_match(const struct bh_manifest *m, const char *key, const char *value)
{
	const char *pat;
	regex_t re;
	int r;

	if (!value)
		return -EINVAL;
	if ((r = bh_manifest_constraint(m, key, &pat)) < 0)
		return r;
	if (!ends_with(key, "_pattern"))
		return -EINVAL;
	if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0)
		return BH_ERR_INTERNAL; /* validated at parse time */
	r = regexec(&re, value, 0, NULL, 0) == 0 ? 0 : BH_ERR_MISMATCH;
	regfree(&re);
	return r;
}

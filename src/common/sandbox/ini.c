/* SPDX-License-Identifier: MIT */
/* The INI-style reader policy/ files (and the keystore's site policy) use.  Format: policy/README.md. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strutil.h"
#include "core/file.h"
#include "sandbox/ini.h"

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* section and key names: bh_name_valid_len(BH_NAME_INI), core/strutil.h */
_Static_assert(BH_INI_NAME_MAX == BH_NAME_INI_MAX, "INI name length");

/* ---------------------------------------------------------------- INI */
struct bh_ini *bh_ini_free(struct bh_ini *ini)
{
	if (!ini)
		return NULL;
	if (ini->sections) {
		/* entries of all sections live in one array owned by the first section */
		if (ini->n_sections)
			free(ini->sections[0].entries);
	}
	free(ini->sections);
	free(ini->strings);
	free(ini->file);
	free(ini);
	return NULL;
}

/* Copy [s, s+n) into the arena at *pos, NUL-terminated. */
static const char *arena_put(char *arena, size_t *pos, const char *s, size_t n)
{
	char *d = arena + *pos;

	memcpy(d, s, n);
	d[n] = '\0';
	*pos += n + 1;
	return d;
}

int bh_ini_parse(const void *data, size_t len, const char *fname, struct bh_ini **ret,
		 struct bh_msg *msg)
{
	struct bh_ini *ini = NULL;
	struct bh_buf b;
	struct bh_ini_entry *ents = NULL;
	size_t n_ents = 0, *sec_first = NULL, apos = 0;
	unsigned lineno = 0;
	int r = BH_ERR_INTERNAL;

	if (!fname)
		fname = "(policy)";
	if (len > BH_INI_FILE_MAX) {
		bh_msg_set(msg, "%s: file larger than %u bytes", fname, BH_INI_FILE_MAX);
		return BH_ERR_LIMIT;
	}
	bh_buf_view(&b, data, len);
	if (!(ini = calloc(1, sizeof(*ini))) || !(ini->file = strdup(fname)) ||
	    !(ini->strings = malloc(2 * len + 2))) {
		r = -ENOMEM;
		goto out;
	}

	while (bh_buf_len(&b) > 0) {
		const uint8_t *p = bh_buf_ptr(&b), *nl;
		size_t avail = bh_buf_len(&b), n, skip;
		const char *s;

		lineno++;
		nl = memchr(p, '\n', avail);
		n = nl ? (size_t)(nl - p) : avail;
		skip = nl ? n + 1 : n;
		if (n > BH_INI_LINE_MAX) {
			bh_msg_set(msg, "%s:%u: line longer than %u bytes", fname, lineno,
				   BH_INI_LINE_MAX);
			r = BH_ERR_LIMIT;
			goto out;
		}
		if (memchr(p, '\0', n)) {
			bh_msg_set(msg, "%s:%u: NUL byte in line", fname, lineno);
			r = BH_ERR_NUL;
			goto out;
		}
		if ((r = bh_buf_get_direct(&b, skip, NULL)) < 0)
			goto out;
		s = (const char *)p;
		/* strip comment, then surrounding blanks */
		const char *hash = memchr(s, '#', n);
		if (hash)
			n = (size_t)(hash - s);
		while (n && is_ws(*s)) {
			s++;
			n--;
		}
		while (n && is_ws(s[n - 1]))
			n--;
		if (n == 0)
			continue;

		if (s[0] == '[') {
			if (n < 3 || s[n - 1] != ']' || !bh_name_valid_len(s + 1, n - 2, BH_NAME_INI)) {
				bh_msg_set(msg, "%s:%u: malformed section header (expected [name], "
					   "name of a-z 0-9 _ -)", fname, lineno);
				r = BH_ERR_FORMAT;
				goto out;
			}
			for (size_t i = 0; i < ini->n_sections; i++) {
				if (strlen(ini->sections[i].name) == n - 2 &&
				    memcmp(ini->sections[i].name, s + 1, n - 2) == 0) {
					bh_msg_set(msg, "%s:%u: section [%s] already started at line %u",
						   fname, lineno, ini->sections[i].name,
						   ini->sections[i].line);
					r = BH_ERR_DUPLICATE;
					goto out;
				}
			}
			if (ini->n_sections >= BH_INI_MAX_ENTRIES) {
				bh_msg_set(msg, "%s:%u: too many sections", fname, lineno);
				r = BH_ERR_LIMIT;
				goto out;
			}
			struct bh_ini_section *ns = realloc(ini->sections,
				(ini->n_sections + 1) * sizeof(*ns));
			size_t *nf = realloc(sec_first, (ini->n_sections + 1) * sizeof(*nf));
			if (ns)
				ini->sections = ns;
			if (nf)
				sec_first = nf;
			if (!ns || !nf) {
				r = -ENOMEM;
				goto out;
			}
			memset(&ns[ini->n_sections], 0, sizeof(*ns));
			ns[ini->n_sections].name = arena_put(ini->strings, &apos, s + 1, n - 2);
			ns[ini->n_sections].line = lineno;
			sec_first[ini->n_sections] = n_ents;
			ini->n_sections++;
			continue;
		}

		const char *eq = memchr(s, '=', n);
		if (!eq) {
			bh_msg_set(msg, "%s:%u: expected 'key = value' or '[section]'", fname, lineno);
			r = BH_ERR_FORMAT;
			goto out;
		}
		size_t kn = (size_t)(eq - s), vn = n - kn - 1;
		const char *v = eq + 1;
		while (kn && is_ws(s[kn - 1]))
			kn--;
		while (vn && is_ws(*v)) {
			v++;
			vn--;
		}
		if (!bh_name_valid_len(s, kn, BH_NAME_INI)) {
			bh_msg_set(msg, "%s:%u: invalid key (expected a-z 0-9 _ -, at most %u)",
				   fname, lineno, BH_INI_NAME_MAX);
			r = BH_ERR_FORMAT;
			goto out;
		}
		for (size_t i = 0; i < vn; i++) {
			unsigned char c = (unsigned char)v[i];
			if (c < 0x20 && c != '\t') {
				bh_msg_set(msg, "%s:%u: control character in value", fname, lineno);
				r = BH_ERR_FORMAT;
				goto out;
			}
			if (c >= 0x7f) {
				bh_msg_set(msg, "%s:%u: non-ASCII byte in value", fname, lineno);
				r = BH_ERR_FORMAT;
				goto out;
			}
		}
		if (ini->n_sections == 0) {
			bh_msg_set(msg, "%s:%u: 'key = value' before any [section]", fname, lineno);
			r = BH_ERR_FORMAT;
			goto out;
		}
		if (n_ents >= BH_INI_MAX_ENTRIES) {
			bh_msg_set(msg, "%s:%u: more than %u entries", fname, lineno,
				   BH_INI_MAX_ENTRIES);
			r = BH_ERR_LIMIT;
			goto out;
		}
		struct bh_ini_entry *ne = realloc(ents, (n_ents + 1) * sizeof(*ne));
		if (!ne) {
			r = -ENOMEM;
			goto out;
		}
		ents = ne;
		ents[n_ents].key = arena_put(ini->strings, &apos, s, kn);
		ents[n_ents].value = arena_put(ini->strings, &apos, v, vn);
		ents[n_ents].line = lineno;
		n_ents++;
	}

	/* hand the entry array to the sections (the first section owns it) */
	for (size_t i = 0; i < ini->n_sections; i++) {
		size_t end = i + 1 < ini->n_sections ? sec_first[i + 1] : n_ents;
		ini->sections[i].entries = ents ? ents + sec_first[i] : NULL;
		ini->sections[i].n_entries = end - sec_first[i];
	}
	if (ini->n_sections)
		ini->sections[0].entries = ents; /* owner pointer == array start */
	else
		free(ents);
	ents = NULL;
	*ret = ini;
	ini = NULL;
	r = 0;
out:
	free(ents);
	free(sec_first);
	bh_ini_free(ini);
	return r;
}

int bh_ini_load(const char *path, struct bh_ini **ret, struct bh_msg *msg)
{
	static const struct bh_file_rules rules = { .type = S_IFREG };
	struct bh_buf b;
	int r;

	if ((r = bh_file_read(AT_FDCWD, path, &rules, BH_INI_FILE_MAX, &b, msg)) < 0)
		return r;
	r = bh_ini_parse(bh_buf_ptr(&b), bh_buf_len(&b), path, ret, msg);
	bh_buf_done(&b);
	return r;
}

const struct bh_ini_section *bh_ini_section(const struct bh_ini *ini, const char *name)
{
	for (size_t i = 0; ini && i < ini->n_sections; i++)
		if (strcmp(ini->sections[i].name, name) == 0)
			return &ini->sections[i];
	return NULL;
}

int bh_ini_get(const struct bh_ini *ini, const struct bh_ini_section *sec, const char *key,
	       const char **ret, struct bh_msg *msg)
{
	const struct bh_ini_entry *found = NULL;

	for (size_t i = 0; sec && i < sec->n_entries; i++) {
		if (strcmp(sec->entries[i].key, key) != 0)
			continue;
		if (found) {
			bh_msg_set(msg, "%s:%u: '%s' already set in [%s] at line %u", ini->file,
				   sec->entries[i].line, key, sec->name, found->line);
			return BH_ERR_DUPLICATE;
		}
		found = &sec->entries[i];
	}
	if (!found) {
		if (sec)
			bh_msg_set(msg, "%s:%u: [%s] has no '%s'", ini->file, sec->line, sec->name,
				   key);
		else
			bh_msg_set(msg, "%s: missing '%s'", ini->file, key);
		return BH_ERR_MISSING_KEY;
	}
	*ret = found->value;
	return 0;
}

int bh_ini_bool(const char *value, bool *ret, struct bh_msg *msg)
{
	bool v;

	if (value && (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0))
		v = true;
	else if (value && (strcmp(value, "no") == 0 || strcmp(value, "false") == 0))
		v = false;
	else {
		bh_msg_set(msg, "expected yes, no, true or false, got '%.64s'",
			   value ? value : "(null)");
		return BH_ERR_FORMAT;
	}
	*ret = v;
	return 0;
}

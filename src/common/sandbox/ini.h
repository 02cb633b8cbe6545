/* SPDX-License-Identifier: MIT */
/*
 * The INI-style format policy/ files use (policy/README.md "File format"), also read by
 * components for their own sections and files (the keystore's site keystore.policy):
 * "[section]" + "key = value" lines with line numbers; every section is kept, in order.
 *
 * All parsing is over a struct bh_buf view: the input is untrusted bytes, capped at
 * BH_INI_FILE_MAX.  Errors fill struct bh_msg with "file:line: what was wrong".
 * Nothing here logs or exits.
 */
#ifndef BH_INI_H
#define BH_INI_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define BH_INI_FILE_MAX    (64u * 1024u)
#define BH_INI_LINE_MAX    1024u
#define BH_INI_NAME_MAX    64u     /* section and key names */
#define BH_INI_MAX_ENTRIES 2048u   /* key = value lines (and sections) per file */

/* ---------------------------------------------------------------- generic INI */
struct bh_ini_entry {
	const char *key;
	const char *value;       /* "" for an empty value */
	unsigned line;
};

struct bh_ini_section {
	const char *name;
	unsigned line;           /* line of the [name] header */
	size_t n_entries;
	struct bh_ini_entry *entries;
};

struct bh_ini {
	char *file;              /* name used in messages */
	size_t n_sections;
	struct bh_ini_section *sections;
	/* private: storage */
	char *strings;
};

/*
 * Parse data (len bytes, untrusted) as an INI file named fname in messages.
 * Rejects: lines outside a section, malformed headers, duplicate sections, bad key
 * characters, NUL bytes, lines over BH_INI_LINE_MAX, files over BH_INI_FILE_MAX.
 * Duplicate keys are kept (bh_ini_get reports them; owners may allow repeats).
 */
int bh_ini_parse(const void *data, size_t len, const char *fname, struct bh_ini **ret,
		 struct bh_msg *msg);
/* Load path with the untrusted-file recipe and parse it; fname in messages = path. */
int bh_ini_load(const char *path, struct bh_ini **ret, struct bh_msg *msg);
struct bh_ini *bh_ini_free(struct bh_ini *ini);

/* The section called name, or NULL. */
const struct bh_ini_section *bh_ini_section(const struct bh_ini *ini, const char *name);
/*
 * The single value of key in sec.  0 and *ret set; BH_ERR_MISSING_KEY if absent;
 * BH_ERR_DUPLICATE (message names both lines) if the key appears more than once.
 */
int bh_ini_get(const struct bh_ini *ini, const struct bh_ini_section *sec, const char *key,
	       const char **ret, struct bh_msg *msg);

/*
 * The one boolean of the format: "yes" or "true" -> true, "no" or "false" -> false
 * (lower case, exactly; policy/README.md).  Anything else: BH_ERR_FORMAT and msg says
 * "expected yes, no, true or false, got '<value>'" (callers add file:line and key).
 * *ret is assigned only on success.
 */
int bh_ini_bool(const char *value, bool *ret, struct bh_msg *msg);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * policy/<service>.policy: a small INI-like format (policy/README.md) and the four
 * sections the sandbox applies ([identity] [capabilities] [limits] [process]).
 *
 * Two layers:
 *  - bh_ini_*: generic "[section]" + "key = value" lines with line numbers; every
 *    section is kept, in order, so components can read and validate their own
 *    sections ([socket], [transactions], [plugin-keys]) from the same file.
 *  - bh_policy_*: the parsed, validated sandbox sections plus the bh_ini it came from.
 *
 * All parsing is over a struct bh_buf view: the input is untrusted bytes, capped at
 * BH_POLICY_FILE_MAX.  Errors fill struct bh_msg with "file:line: what was wrong".
 * Nothing here logs or exits.
 */
#ifndef BH_POLICY_H
#define BH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "core/err.h"

#define BH_POLICY_FILE_MAX   (64u * 1024u)
#define BH_POLICY_LINE_MAX   1024u
#define BH_POLICY_NAME_MAX   64u     /* section, key and service names */
#define BH_POLICY_MAX_ENTRIES 2048u  /* key = value lines per file */
#define BH_POLICY_MAX_GROUPS 16u
#define BH_POLICY_USER_MAX   32u     /* user/group name length (useradd's limit) */

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
 * characters, NUL bytes, lines over BH_POLICY_LINE_MAX, files over BH_POLICY_FILE_MAX.
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

/* ---------------------------------------------------------------- sandbox policy */
struct bh_policy_limit {
	int resource;            /* RLIMIT_* */
	bool set;
	rlim_t soft, hard;
	unsigned line;
};

#define BH_POLICY_NLIMITS 16

struct bh_policy {
	char service[BH_POLICY_NAME_MAX + 1];
	char user[BH_POLICY_USER_MAX + 1];
	char group[BH_POLICY_USER_MAX + 1];
	size_t n_groups;
	char groups[BH_POLICY_MAX_GROUPS][BH_POLICY_USER_MAX + 1];
	uint64_t caps;           /* bit n = capability n kept (n <= 63) */
	struct bh_policy_limit limits[BH_POLICY_NLIMITS]; /* indexed by RLIMIT_* */
	bool no_new_privs;       /* always true after a successful parse */
	bool dumpable;
	struct bh_ini *ini;      /* the whole file, including sections for components */
};

/* Service names: bh_name_valid(name, BH_NAME_SERVICE) (core/strutil.h). */

/*
 * Parse a policy file (untrusted bytes): requires [identity] [capabilities] [limits]
 * [process] with only the keys policy/README.md defines (unknown keys there are errors);
 * other sections are kept in (*ret)->ini unvalidated.  service (may be NULL) is
 * copied into (*ret)->service.
 */
int bh_policy_parse(const void *data, size_t len, const char *fname, const char *service,
		    struct bh_policy **ret, struct bh_msg *msg);
/* Load <dir>/<service>.policy, or bh_path(BH_DIR_POLICY, ...) when dir is NULL. */
int bh_policy_load(const char *dir, const char *service, struct bh_policy **ret,
		   struct bh_msg *msg);
struct bh_policy *bh_policy_free(struct bh_policy *p);
/* A component's own section (e.g. "socket"), or NULL if the file has none. */
const struct bh_ini_section *bh_policy_section(const struct bh_policy *p, const char *name);

/* Capability name <-> number ("CAP_NET_ADMIN" <-> 12).  -1 / NULL if unknown. */
int bh_cap_from_name(const char *name);
const char *bh_cap_name(int cap);
/* rlimit key name ("nofile") -> RLIMIT_*, -1 if unknown; and back. */
int bh_rlimit_from_name(const char *name);
const char *bh_rlimit_name(int resource);

#endif

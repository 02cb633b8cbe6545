/* SPDX-License-Identifier: MIT */
/*
 * policy/<service>.policy: the four sections the sandbox applies ([identity]
 * [capabilities] [limits] [process]), parsed with the INI reader of ini.h, plus the
 * bh_ini it came from so components can read and validate their own sections
 * ([socket], [transactions], [plugin-keys]) from the same file.
 *
 * The input is untrusted bytes, capped at BH_POLICY_FILE_MAX.  Errors fill struct
 * bh_msg with "file:line: what was wrong".  Nothing here logs or exits.
 */
#ifndef BH_POLICY_H
#define BH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "core/err.h"
#include "sandbox/ini.h"

#define BH_POLICY_FILE_MAX   BH_INI_FILE_MAX
#define BH_POLICY_LINE_MAX   BH_INI_LINE_MAX
#define BH_POLICY_NAME_MAX   BH_INI_NAME_MAX  /* section, key and service names */
#define BH_POLICY_MAX_ENTRIES BH_INI_MAX_ENTRIES
#define BH_POLICY_MAX_GROUPS 16u
#define BH_POLICY_USER_MAX   32u     /* user/group name length (useradd's limit) */

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
/*
 * Load <dir>/<service>.policy, or bh_path(BH_DIR_POLICY, ...) when dir is NULL.  The
 * file must be a regular file owned by root and not group/world-writable
 * (BH_ERR_UNSAFE_FILE naming the rule otherwise).  _flags: BH_SECCOMP_ANY_OWNER
 * (seccomp.h) drops the owner rule, for blockhost-policy-check only.
 */
int bh_policy_load(const char *dir, const char *service, struct bh_policy **ret,
		   struct bh_msg *msg);
int bh_policy_load_flags(const char *dir, const char *service, unsigned flags,
			 struct bh_policy **ret, struct bh_msg *msg);
struct bh_policy *bh_policy_free(struct bh_policy *p);
/* A component's own section (e.g. "socket"), or NULL if the file has none. */
const struct bh_ini_section *bh_policy_section(const struct bh_policy *p, const char *name);

/* Capability name <-> number ("CAP_NET_ADMIN" <-> 12).  -1 / NULL if unknown. */
int bh_cap_from_name(const char *name);
const char *bh_cap_name(int cap);
/*
 * Root-equivalent capabilities (policy/README.md "Root-equivalent"): each of these lets a
 * process become full root or write any file (capabilities(7); a uid-0 process owns every
 * root-owned file whatever it holds).  A root-agent action that runs as uid 0 or holds one
 * of these must say why in its signed manifest ("root_equivalent"), and the action table
 * marks it; bh_caps_root_equivalent() is the one definition, used by the agent's manifest
 * parser and by blockhost-policy-check.
 */
#define BH_CAPS_ROOT_EQUIVALENT \
	((UINT64_C(1) << 0) /* CAP_CHOWN */ | (UINT64_C(1) << 1) /* CAP_DAC_OVERRIDE */ | \
	 (UINT64_C(1) << 3) /* CAP_FOWNER */ | (UINT64_C(1) << 6) /* CAP_SETGID */ | \
	 (UINT64_C(1) << 7) /* CAP_SETUID */ | (UINT64_C(1) << 16) /* CAP_SYS_MODULE */ | \
	 (UINT64_C(1) << 17) /* CAP_SYS_RAWIO */ | (UINT64_C(1) << 19) /* CAP_SYS_PTRACE */ | \
	 (UINT64_C(1) << 21) /* CAP_SYS_ADMIN */ | (UINT64_C(1) << 27) /* CAP_MKNOD */ | \
	 (UINT64_C(1) << 31) /* CAP_SETFCAP */ | (UINT64_C(1) << 39) /* CAP_BPF */)
static inline bool bh_caps_root_equivalent(uint64_t caps, bool uid0)
{
	return uid0 || (caps & BH_CAPS_ROOT_EQUIVALENT) != 0;
}

/* rlimit key name ("nofile") -> RLIMIT_*, -1 if unknown; and back. */
int bh_rlimit_from_name(const char *name);
const char *bh_rlimit_name(int resource);

#endif

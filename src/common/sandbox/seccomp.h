/* SPDX-License-Identifier: MIT */
/*
 * seccomp/<service>: the syscall allowlist format (seccomp/README.md), its parser, and
 * loading the filter with libseccomp.  Parsing never changes the process
 * (blockhost-policy-check and the fuzzers use it); bh_seccomp_install does.
 * Nothing here logs.
 */
#ifndef BH_SECCOMP_H
#define BH_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define BH_SECCOMP_FILE_MAX      (64u * 1024u)
#define BH_SECCOMP_MAX_RULES     4096u  /* after expanding V1|V2 lists */
#define BH_SECCOMP_INCLUDE_DEPTH 4u
#define BH_SECCOMP_NAME_MAX      63u    /* syscall names, include file names */

/* Flags for the seccomp parser and for bh_sandbox_apply. */
enum {
	/* parse: honour `include-sanitizer` lines (set automatically by
	 * bh_seccomp_load in a -fsanitize=address build) */
	BH_SECCOMP_SANITIZER       = 1u << 0,
	/* apply: trap disallowed calls, print their name to stderr, fail them with
	 * ENOSYS and continue.  NEVER in production: the filter enforces nothing. */
	BH_SANDBOX_DEBUG           = 1u << 1,
	/* apply: let BLOCKHOST_SECCOMP_DEBUG=1 (secure_getenv) turn on BH_SANDBOX_DEBUG */
	BH_SANDBOX_ALLOW_DEBUG_ENV = 1u << 2,
	/* apply: when running as root and [identity] user is not root, switch to the
	 * policy's user, group and supplementary groups, keeping only [capabilities] */
	BH_SANDBOX_SETID           = 1u << 3,
	/* apply: fail if a capability named in the policy is not currently held
	 * (default: keep the intersection — never more than the policy names) */
	BH_SANDBOX_STRICT_CAPS     = 1u << 4,
	/* apply: after any switch, the process's real/effective/saved uid and gid and its
	 * supplementary groups must be exactly the policy's [identity] (the primary group
	 * may also appear among the supplementary ones); otherwise BH_ERR_DENIED and msg
	 * says what runs and what the policy wants: the daemon refuses to start */
	BH_SANDBOX_CHECK_IDENTITY  = 1u << 5,
	/* load: accept policy/seccomp files of any owner (still not group/world-writable).
	 * For blockhost-policy-check on a developer's checkout only; a daemon never passes
	 * it: the files a daemon loads must be root-owned (policy/README.md) */
	BH_SECCOMP_ANY_OWNER       = 1u << 6,
	/* load: the production filter, even in a sanitizer build (no automatic
	 * BH_SECCOMP_SANITIZER): for reports of what is shipped (policy-check --table) */
	BH_SECCOMP_PRODUCTION      = 1u << 7,
};

/* The value SELF in a condition: replaced by getpid() when the filter is installed. */
#define BH_SECCOMP_VAL_SELF UINT64_C(0xb10c5e1f00000000)

/* True in a build made with SECCOMP_DEBUG=1: only there is BH_SANDBOX_DEBUG honoured. */
bool bh_sandbox_debug_build(void);

/* True in a binary built with AddressSanitizer (make SANITIZE=1). */
bool bh_sandbox_built_with_sanitizer(void);

/* ---------------------------------------------------------------- seccomp files */
enum bh_seccomp_action {
	BH_SECCOMP_ALLOW = 0,
	BH_SECCOMP_ERRNO = 1,
};

struct bh_seccomp_cond {
	unsigned arg;            /* 0..5 */
	int op;                  /* enum scmp_compare */
	uint64_t a, b;           /* datum (MASKED_EQ: a = mask, b = value) */
};

struct bh_seccomp_rule {
	int nr;                  /* x86_64 syscall number */
	char name[BH_SECCOMP_NAME_MAX + 1]; /* syscall name */
	enum bh_seccomp_action action;
	int err;                 /* errno for BH_SECCOMP_ERRNO */
	unsigned n_conds;
	struct bh_seccomp_cond conds[6];
	const char *file;        /* where it was written (points into the rule set) */
	unsigned line;
	bool sanitizer;          /* came from an include-sanitizer file */
	bool dropped;            /* superseded by a wider sanitizer rule: not loaded */
};

struct bh_seccomp {
	size_t n_rules;
	struct bh_seccomp_rule *rules;
	/* private: string storage for names and files */
	size_t n_strings;
	char **strings;
};

/*
 * Resolve `include NAME`: fill out (an owned bh_buf, cap BH_SECCOMP_FILE_MAX) with the
 * file's bytes, or return a negative code (the parser reports "file:line: include
 * NAME: <error>").  NAME has already been checked ([A-Za-z0-9._-], no '/').
 */
typedef int (*bh_seccomp_include_fn)(void *ctx, const char *name, struct bh_buf *out);

/*
 * Parse a seccomp file (untrusted bytes) named fname in messages.  inc may be NULL
 * (then every include is an error).  flags: BH_SECCOMP_SANITIZER.  Syscall names are
 * resolved for x86_64 with libseccomp; nothing is loaded.  Errors: "file:line: ...".
 */
int bh_seccomp_parse(const void *data, size_t len, const char *fname, unsigned flags,
		     bh_seccomp_include_fn inc, void *inc_ctx, struct bh_seccomp **ret,
		     struct bh_msg *msg);
/*
 * Load <dir>/<service> (dir NULL: bh_path(BH_DIR_SECCOMP)); includes come from the
 * same dir.  BH_SECCOMP_SANITIZER is added automatically in a sanitizer build.  Every
 * file must be a regular file owned by root and not group/world-writable (unless
 * BH_SECCOMP_ANY_OWNER); otherwise BH_ERR_UNSAFE_FILE naming the file and the rule.
 */
int bh_seccomp_load(const char *dir, const char *service, unsigned flags,
		    struct bh_seccomp **ret, struct bh_msg *msg);
struct bh_seccomp *bh_seccomp_free(struct bh_seccomp *sc);
/* One rule as a line of the file format (for --dump), into out[size]. */
void bh_seccomp_rule_format(const struct bh_seccomp_rule *rule, char *out, size_t size);

/*
 * Load the filter into the calling process (irreversible): arch check (x86_64 only,
 * other ABIs kill), default SECCOMP_RET_KILL_PROCESS, TSYNC.  Sets no_new_privs.
 * flags: BH_SANDBOX_DEBUG (trap + print + ENOSYS instead of kill).
 */
int bh_seccomp_install(const struct bh_seccomp *sc, unsigned flags, struct bh_msg *msg);

#endif

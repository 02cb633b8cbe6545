/* SPDX-License-Identifier: MIT */
/*
 * Applying a policy to the calling process: rlimits, identity, capabilities (libcap-ng),
 * no_new_privs, dumpable, and then the seccomp filter.  Order and meaning:
 * policy/README.md "How the policy is applied".  Nothing here logs.
 */
#ifndef BH_SANDBOX_APPLY_H
#define BH_SANDBOX_APPLY_H

#include "core/err.h"
#include "sandbox/policy.h"
#include "sandbox/seccomp.h"

/* ---------------------------------------------------------------- applying */
/*
 * Apply a parsed policy to the calling process: rlimits, optional identity change
 * (BH_SANDBOX_SETID), capabilities (exactly the policy's set, verified after),
 * PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE.  Does not load seccomp.
 */
int bh_sandbox_apply_policy(const struct bh_policy *p, unsigned flags, struct bh_msg *msg);

/*
 * Everything, in order: parse policy/<service>.policy and seccomp/<service> (both
 * through bh_path, so BLOCKHOST_POLICY_DIR / BLOCKHOST_SECCOMP_DIR apply) BEFORE
 * changing anything; then bh_sandbox_apply_policy; then bh_seccomp_install.
 * BH_SANDBOX_ALLOW_DEBUG_ENV lets BLOCKHOST_SECCOMP_DEBUG=1 enable BH_SANDBOX_DEBUG.
 * On failure the process may be partly restricted: the caller must exit.
 */
int bh_sandbox_apply(const char *service, unsigned flags, struct bh_msg *msg);

/* What bh_sandbox_apply_info loaded and applied, for the daemon's start-up log line. */
struct bh_sandbox_info {
	char policy[256];        /* the policy file */
	char seccomp[256];       /* the seccomp file (its includes are in the same dir) */
	size_t n_rules;          /* syscall rules after expansion */
	bool enforcing;          /* false only in debug mode, which only a debug build has */
	bool sanitizer;          /* the sanitizer include was honoured (SANITIZE=1 build) */
	bool debug_env_ignored;  /* BLOCKHOST_SECCOMP_DEBUG=1 was set but this build enforces */
};
/* bh_sandbox_apply, and on success *ret_info (may be NULL) says what it did. */
int bh_sandbox_apply_info(const char *service, unsigned flags, struct bh_sandbox_info *ret_info,
			  struct bh_msg *msg);
/* "policy F, seccomp F (N rules), enforcing: any other system call kills" into buf. */
const char *bh_sandbox_info_format(const struct bh_sandbox_info *info, char *buf, size_t len);

/*
 * Test builds only (compiled with -DBH_TEST_HOOKS, never installed): when the environment
 * has BH_TEST_FORBIDDEN_SYSCALL=1, make a call that no seccomp/ file allows (mount), so an
 * integration test can watch the filter kill the process with SIGSYS.  Returns only if
 * the filter did not kill it (the caller reports that and exits non-zero).
 */
#ifdef BH_TEST_HOOKS
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static inline bool bh_test_forbidden_syscall_wanted(void)
{
	const char *e = getenv("BH_TEST_FORBIDDEN_SYSCALL");
	return e && strcmp(e, "1") == 0;
}
static inline long bh_test_forbidden_syscall(void)
{
	return syscall(SYS_mount, "none", "/", "none", 0UL, NULL);
}
#endif

#endif

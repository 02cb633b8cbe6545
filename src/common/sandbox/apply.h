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

#endif

/* SPDX-License-Identifier: MIT */
#ifndef BH_PROV_LOCK_H
#define BH_PROV_LOCK_H

#include "core/err.h"

/*
 * Take /run/blockhost/provisioning.lock (waits up to 60 s for a live holder; a stale
 * lock is removed under a flock on provisioning.lock.guard, and said on stderr).  0, or
 * the error with msg saying what to do (no /run/blockhost: "is blockhost-root-agent
 * running?", not the lock file's path).
 */
int prov_lock(struct bh_msg *msg);
/* Remove the lock if this process holds it; safe to call when it does not. */
void prov_unlock(void);

#endif

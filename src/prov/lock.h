/* SPDX-License-Identifier: MIT */
#ifndef BH_PROV_LOCK_H
#define BH_PROV_LOCK_H

/*
 * Take /run/blockhost/provisioning.lock (waits up to 60 s for a live holder; a stale
 * lock is removed under a flock on provisioning.lock.guard); failures are reported.
 */
int prov_lock(void);
/* Remove the lock if this process holds it; safe to call when it does not. */
void prov_unlock(void);

#endif

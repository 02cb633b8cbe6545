/* SPDX-License-Identifier: MIT */
/*
 * Atomic file replacement and advisory locks for state files.
 *
 * Atomic write: the new contents go to a temp file in the *same directory*
 * (".<name>.tmp.<random>", created O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode set exactly
 * with fchmod so the umask does not matter), are written whole and fsync'ed,
 * then rename(2)d over the target and the directory is fsync'ed.  A reader sees
 * either the old or the new file, never a mix, even if the writer is killed
 * (SIGKILL) or the machine loses power after the function returned.  The temp
 * file is removed on every failure path.  A writer killed between create and
 * rename leaves a stale temp file; bh_atomic_cleanup_stale() removes those
 * and must only be called while holding the lock that serialises writers.
 *
 * The target itself is never opened, so a symlink at the target is replaced,
 * not followed.
 *
 * Locks: flock(2) on a separate lock file (never on the data file, which is
 * replaced by rename and would leave lockers holding the old inode).  The lock
 * file is created 0640 (flock needs no write permission, so group readers can
 * take shared *and* exclusive locks on an O_RDONLY descriptor), opened
 * O_NOFOLLOW, and must be a regular file.  A lock dies with its process, so a
 * SIGKILLed writer never leaves the database locked.
 */
#ifndef BH_ATOMICIO_H
#define BH_ATOMICIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/buf.h"

/*
 * Replace path with [data, data+len) atomically; the file gets exactly `mode`
 * (e.g. 0640).  Returns 0 or -errno.  Nothing is left behind on failure.
 */
int bh_atomic_write(const char *path, const void *data, size_t len, mode_t mode);

/*
 * Serialise j (object or array) with 2-space indent, keys in the object's own
 * (insertion) order, and a trailing newline, then bh_atomic_write it.
 * Returns 0, -ENOMEM / BH_ERR_FORMAT (not serialisable) or -errno.
 */
int bh_atomic_write_json(const char *path, const json_t *j, mode_t mode);

/*
 * Remove temp files left in path's directory by writers of path that died
 * before their rename.  Only safe while holding the writers' exclusive lock.
 * Returns the number removed (>= 0) or -errno.
 */
int bh_atomic_cleanup_stale(const char *path);

/*
 * Read a state or config file whole into b (under b's cap), with the untrusted-file
 * recipe: O_NOFOLLOW|O_CLOEXEC|O_NOCTTY, fstat the fd, regular file, not writable by
 * "other" (a world-writable state file could have been planted), size checked before
 * reading.  Returns 0, BH_ERR_UNSAFE_FILE (symlink, not regular, world-writable),
 * BH_ERR_LIMIT, or -errno (-ENOENT when missing).
 */
int bh_file_load_safe(struct bh_buf *b, const char *path);

/* A held lock.  Initialise with BH_LOCK_INIT; release is idempotent. */
struct bh_lock {
	int fd;
};
#define BH_LOCK_INIT { .fd = -1 }

/*
 * Take a flock on lockfile `path` (created 0640 if missing).
 *   exclusive:  LOCK_EX, else LOCK_SH
 *   timeout_ms: < 0 wait forever; 0 try once; > 0 poll until the deadline.
 * Returns 0 (and *ret_lock filled), BH_ERR_TIMEOUT if the lock was busy,
 * BH_ERR_UNSAFE_FILE if path is a symlink or not a regular file, or -errno.
 */
int bh_lock_acquire(const char *path, bool exclusive, int timeout_ms, struct bh_lock *ret_lock);

/* Release (NULL-safe, idempotent); l->fd is -1 afterwards. */
void bh_lock_release(struct bh_lock *l);

#endif

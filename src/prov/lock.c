/* SPDX-License-Identifier: MIT */
/*
 * /run/blockhost/provisioning.lock: one create at a time (docs/provisioner.md, create
 * step 2).  The file holds the PID of the running create.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "cli.h"
#include "core/atomicio.h"
#include "lock.h"

#define LOCK_WAIT_MS 60000

static char *lock_path;
static bool lock_held;

static pid_t read_pid(const char *path)
{
	/* core/file.h: a regular file written by the provisioner's user (us), not group/
	 * world-writable, a PID's worth of bytes; anything else counts as garbage (stale) */
	static const struct bh_file_rules rules = {
		.type = S_IFREG, .owner = BH_FILE_OWNER_SELF, .forbid_mode = 022, .max_size = 31,
	};
	char b[32];
	ssize_t n;
	long long v;
	int fd, r;

	if ((r = bh_file_open(AT_FDCWD, path, O_RDONLY, &rules, &fd, NULL, NULL)) < 0)
		return r == -ENOENT ? -1 : 0;
	n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = '\0';
	b[strcspn(b, "\n")] = '\0';
	return parse_int(b, 1, INT32_MAX, &v) ? (pid_t)v : 0;
}

/* What a failure to create path says: a missing run directory is the agent's to make. */
static void lock_error(const char *path, int r, struct bh_msg *msg)
{
	char *dir = NULL;
	struct stat st;

	if (r == -ENOENT && bh_path(BH_DIR_RUN, NULL, &dir) == 0 && stat(dir, &st) < 0 &&
	    errno == ENOENT)
		bh_msg_set(msg, "cannot take the provisioning lock: there is no runtime directory "
			   "%s: is blockhost-root-agent running? (systemctl status "
			   "blockhost-root-agent)", dir);
	else
		bh_msg_set(msg, "provisioning lock %s: %s", path, bh_strerror(r));
	free(dir);
}

/*
 * /run/blockhost/provisioning.lock holds the PID of the running create.  A lock whose
 * PID is gone (or unreadable garbage) is stale and removed; the check-remove-create
 * sequence runs under a flock on provisioning.lock.guard so two creates never both
 * "recover" the same stale file.
 */
int prov_lock(struct bh_msg *msg)
{
	int64_t deadline = now_ms() + LOCK_WAIT_MS;
	char *guard = NULL;
	int r;

	if ((r = bh_path(BH_DIR_RUN, "provisioning.lock", &lock_path)) < 0 ||
	    asprintf(&guard, "%s.guard", lock_path) < 0) {
		r = r < 0 ? r : -ENOMEM;
		bh_msg_set(msg, "provisioning lock: %s", bh_strerror(r));
		return r;
	}
	for (;;) {
		struct bh_lock g = BH_LOCK_INIT;
		pid_t other = 0;
		if ((r = bh_lock_acquire(guard, true, 5000, &g)) < 0) {
			lock_error(guard, r, msg);
			break;
		}
		int fd = open(lock_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0) {
			char b[24];
			int n = snprintf(b, sizeof b, "%d\n", (int)getpid());
			r = write(fd, b, (size_t)n) == n ? 0 : bh_negerrno();
			close(fd);
			bh_lock_release(&g);
			if (r == 0)
				lock_held = true;
			else
				unlink(lock_path);
			if (r < 0)
				lock_error(lock_path, r, msg);
			break;
		}
		if (errno != EEXIST) {
			r = bh_negerrno();
			bh_lock_release(&g);
			lock_error(lock_path, r, msg);
			break;
		}
		other = read_pid(lock_path);
		if (other <= 0 || (kill(other, 0) < 0 && errno == ESRCH)) {
			say("removing stale provisioning lock (PID %d)", (int)other);
			unlink(lock_path);
			bh_lock_release(&g);
			continue;
		}
		bh_lock_release(&g);
		if (now_ms() > deadline) {
			bh_msg_set(msg, "another create is running (PID %d); gave up after %d s",
				   (int)other, LOCK_WAIT_MS / 1000);
			r = BH_ERR_TIMEOUT;
			break;
		}
		usleep(200000);
	}
	free(guard);
	return r;
}

void prov_unlock(void)
{
	if (lock_held && read_pid(lock_path) == getpid())
		unlink(lock_path);
	lock_held = false;
	free(lock_path);
	lock_path = NULL;
}

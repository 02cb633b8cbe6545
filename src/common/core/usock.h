/* SPDX-License-Identifier: MIT */
/*
 * Unix-socket server helpers: a listening AF_UNIX stream socket at a path with a
 * given owner and mode, accept with a deadline, the peer's credentials, and group
 * membership for peer checks.  Library code: no logging.
 *
 * Peer checks use SO_PEERCRED: the kernel records the connecting process's pid,
 * euid and egid at connect() time, so they cannot be forged by the peer.
 *
 * Group membership, two ways, neither of them /proc/<pid>/status (the pid may
 * have exited and been reused between connect() and the lookup, so /proc is racy):
 *  - bh_usock_peer_in_group(): the peer *process's* egid and supplementary groups
 *    as the kernel recorded them at connect() (SO_PEERGROUPS, Linux >= 4.13).
 *    Exact and race-free; preferred for socket peers.
 *  - bh_uid_in_group(): the *account's* groups from the database (primary group +
 *    getgrouplist; NSS must work, so call it before a sandbox that blocks file
 *    access).  A process that dropped a group still counts, and a group added to
 *    the account after the process started counts too.
 * Policy that must be exact keys on uid.
 */
#ifndef BH_USOCK_H
#define BH_USOCK_H

#include <stdbool.h>
#include <sys/types.h>

/* Pass as uid/gid to leave the owner unchanged. */
#define BH_USOCK_KEEP_ID ((unsigned)-1)

/*
 * Create a listening socket at path (SOCK_STREAM, CLOEXEC, non-blocking):
 *  - an existing *socket* at path is unlinked (stale from a previous run); any other
 *    kind of file there fails with BH_ERR_EXISTS (never unlinked);
 *  - bind happens under umask ~mode, so the socket is created with exactly `mode`
 *    and never chmod'ed by name (a chmod would follow a symlink swapped in for the
 *    socket); the umask is process-wide: call this before starting threads;
 *  - then lchown to uid:gid (BH_USOCK_KEEP_ID to keep either; never follows a
 *    symlink), and lstat verifies that path is still a socket with that mode and
 *    owner (BH_ERR_UNSAFE_FILE otherwise);
 *  - listen(backlog): nobody can connect before this, so the socket is not reachable
 *    while its owner is still being set.
 * The directory holding path should be writable only by trusted users (the stale-socket
 * unlink by name cannot be made race-free against them).
 * Returns 0 with *ret_fd, -ENAMETOOLONG (does not fit sun_path), BH_ERR_EXISTS,
 * BH_ERR_UNSAFE_FILE, or -errno.
 */
int bh_usock_listen(const char *path, mode_t mode, uid_t uid, gid_t gid, int backlog,
		    int *ret_fd);

/*
 * Accept one connection within timeout_ms (-1 = wait forever).  The new fd is
 * CLOEXEC and non-blocking (the frame functions poll).  Returns 0, BH_ERR_TIMEOUT,
 * or -errno.  Transient errors of the accepted connection (ECONNABORTED, EINTR)
 * are retried.
 */
int bh_usock_accept(int listen_fd, int timeout_ms, int *ret_fd);

struct bh_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* The peer's credentials at connect() time (SO_PEERCRED).  Returns 0 or -errno. */
int bh_usock_peer(int fd, struct bh_peer *ret);

/*
 * *ret = whether the peer on fd had gid as its egid or a supplementary group at
 * connect() time (SO_PEERCRED + SO_PEERGROUPS).  Returns 0, BH_ERR_LIMIT (more
 * than 65536 groups) or -errno (-ENOPROTOOPT on kernels without SO_PEERGROUPS).
 */
int bh_usock_peer_in_group(int fd, gid_t gid, bool *ret);

/*
 * The peer's supplementary groups at connect() time (SO_PEERGROUPS): at most cap of
 * them into ret_groups[0..*ret_n).  Returns 0, BH_ERR_LIMIT (more than cap), -EINVAL
 * (cap 0 or over 65536) or -errno (-ENOPROTOOPT without SO_PEERGROUPS).  The egid is
 * bh_usock_peer's gid.
 */
int bh_usock_peer_groups(int fd, gid_t *ret_groups, size_t cap, size_t *ret_n);

/*
 * *ret = whether the account uid is a member of gid, as primary group or through
 * the group database (getpwuid_r + getgrouplist).  Returns 0, BH_ERR_NOT_FOUND
 * (no such uid), BH_ERR_LIMIT (more than 65536 groups), -ENOMEM or -errno.
 */
int bh_uid_in_group(uid_t uid, gid_t gid, bool *ret);

/*
 * Pass a descriptor over a connected AF_UNIX socket: one data byte carrying fd as
 * SCM_RIGHTS.  The sender keeps its copy (close it when done).  Returns 0 or -errno
 * (-EPIPE when the peer has gone: MSG_NOSIGNAL, never SIGPIPE).  EINTR is retried.
 */
int bh_usock_send_fd(int sock, int fd);

/*
 * Receive one descriptor sent by bh_usock_send_fd (blocking; EINTR retried).  *ret_fd
 * is O_CLOEXEC.  Returns 0, BH_ERR_INCOMPLETE (EOF: the sender has gone, or a message
 * that does not carry exactly one descriptor — any it did carry are closed), or -errno.
 */
int bh_usock_recv_fd(int sock, int *ret_fd) __attribute__((warn_unused_result));

/* Look up a group by name (getgrnam_r).  Returns 0, BH_ERR_NOT_FOUND or -errno. */
int bh_group_lookup(const char *name, gid_t *ret);

#endif

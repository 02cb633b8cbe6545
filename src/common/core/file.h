/* SPDX-License-Identifier: MIT */
/*
 * Opening a file or directory that someone else may have planted or changed: the one
 * untrusted-file recipe (HACKING.md "Files"), written once, the way OpenSSH's
 * safe_path_fd serves every caller.
 *
 * bh_file_open opens with O_NOFOLLOW|O_CLOEXEC|O_NOCTTY|O_NONBLOCK (and O_DIRECTORY for
 * a directory), fstat()s the descriptor and checks it against a struct bh_file_rules:
 * type, owner, forbidden mode bits, size, link count.  Checks are made on the open
 * descriptor, never on the path, so nothing can be swapped in between; the caller reads
 * from that descriptor only.  O_NONBLOCK means a FIFO planted at the path cannot hang
 * the open; it is cleared again (F_GETFL/F_SETFL) before returning unless the caller
 * asked for it.
 *
 * Limits of the recipe: O_NOFOLLOW guards only the last component of the path;
 * directories above it are trusted (open the directory with these rules and pass its
 * fd as dirfd to check them too).  Files are never created here: creating is atomicio's
 * job (O_EXCL into a checked directory); a descriptor opened some other way (a lock
 * file created with O_CREAT) is checked with bh_file_check.
 *
 * Errors name the file (the path as given) and the rule broken, in *msg:
 *   BH_ERR_UNSAFE_FILE  a symlink, the wrong type, the wrong owner, a forbidden mode bit,
 *                       more than one link
 *   BH_ERR_LIMIT        larger than the size limit
 *   -errno              the open or fstat failed (-ENOENT when missing; msg is set too)
 *   -EINVAL             flags outside those allowed below, or bad rules (a bug)
 * Out-params are assigned only on success.  Nothing here logs.
 */
#ifndef BH_FILE_H
#define BH_FILE_H

#include <fcntl.h>      /* AT_FDCWD, O_* */
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/err.h"

/* Who may own it (st_uid), OR-ed; 0 means anyone. */
enum {
	BH_FILE_OWNER_ROOT = 1u << 0, /* uid 0 */
	BH_FILE_OWNER_SELF = 1u << 1, /* the effective uid of this process */
	BH_FILE_OWNER_UID  = 1u << 2, /* rules->uid */
	BH_FILE_GROUP_GID  = 1u << 3, /* or: its group (st_gid) is rules->gid */
};

struct bh_file_rules {
	mode_t type;        /* S_IFREG or S_IFDIR; 0 means S_IFREG */
	unsigned owner;     /* BH_FILE_OWNER_* / BH_FILE_GROUP_GID: one must hold; 0: any */
	uid_t uid;          /* for BH_FILE_OWNER_UID */
	gid_t gid;          /* for BH_FILE_GROUP_GID */
	mode_t forbid_mode; /* permission bits that must all be clear: 022 (group/world-
			     * writable), 002, 077 (private), ...; 0: none */
	off_t max_size;     /* regular files: st_size at most this; 0: no limit here */
	bool single_link;   /* regular files: st_nlink must be 1 (no hard link to it
			     * elsewhere, e.g. in a directory others can write) */
};

/*
 * Open path (relative to dirfd, or AT_FDCWD) and check it against rules (NULL: a
 * regular file, nothing else checked).  flags: O_RDONLY, O_WRONLY or O_RDWR, plus
 * O_NONBLOCK (kept) and O_APPEND; O_NOFOLLOW, O_CLOEXEC, O_NOCTTY and O_DIRECTORY are
 * always added and may be given; anything else (O_CREAT, O_TRUNC, O_PATH...) is -EINVAL.
 * *ret_fd: the descriptor (caller closes); *ret_st (may be NULL): its fstat.
 */
int bh_file_open(int dirfd, const char *path, int flags, const struct bh_file_rules *rules,
		 int *ret_fd, struct stat *ret_st, struct bh_msg *msg)
	__attribute__((warn_unused_result));

/*
 * Check an open descriptor against rules (fstat); name is used in messages.
 * *ret_st (may be NULL) is its fstat.
 */
int bh_file_check(int fd, const char *name, const struct bh_file_rules *rules,
		  struct stat *ret_st, struct bh_msg *msg) __attribute__((warn_unused_result));

/*
 * bh_file_open(O_RDONLY) + read the whole file: at most cap bytes (and rules->max_size
 * when set), checked against st_size before reading and again while reading (a file
 * that grows in between is BH_ERR_LIMIT too).  rules->type must be S_IFREG (or 0).
 * On success *ret is an owned buffer (capped at the limit) holding the file; the caller
 * releases it with bh_buf_done.  On failure *ret is untouched.
 */
int bh_file_read(int dirfd, const char *path, const struct bh_file_rules *rules, size_t cap,
		 struct bh_buf *ret, struct bh_msg *msg) __attribute__((warn_unused_result));

#endif

/* SPDX-License-Identifier: MIT */
/* The sealed-key blob file (docs/PROTOCOL.keystore-blob). */
#ifndef BH_KS_BLOB_H
#define BH_KS_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/err.h"
#include "tpm.h"

#define BH_KS_BLOB_MAGIC "BHKSBLOB"
#define BH_KS_BLOB_VERSION 1
#define BH_KS_BLOB_MAX 4096
#define BH_KS_NAME_MAX 32

enum bh_ks_keytype {
	BH_KS_SECP256K1 = 1,
	BH_KS_P256 = 2,
};

struct bh_ks_blob {
	char name[BH_KS_NAME_MAX + 1];
	uint8_t key_type;
	struct bh_tpm_sealed sealed;
};

/* true if name is 1..32 of [a-z0-9-]. */
int bh_ks_name_valid(const char *name);

/* Append the encoding of b to out. */
int bh_ks_blob_encode(const struct bh_ks_blob *b, struct bh_buf *out);

/* Parse a whole blob; *ret filled only on success (BH_ERR_* as in the spec). */
int bh_ks_blob_parse(const uint8_t *data, size_t len, struct bh_ks_blob *ret)
	__attribute__((warn_unused_result));

/*
 * The keystore directory (docs/keystore.md "Keystore directory"), opened so that a
 * path the blockhost user can influence cannot redirect root: create: mkdir 0700 when
 * absent; then open O_DIRECTORY|O_NOFOLLOW (a symlink is refused) and fstat the fd: it
 * must be owned by root, the effective uid or `also` ((uid_t)-1: nobody else), with no
 * group or other permission bits.  All further I/O goes through the fd (*at calls).
 * BH_ERR_UNSAFE_FILE / BH_ERR_NOT_FOUND / -errno, msg naming the directory.
 */
int bh_ks_dir_open(const char *dir, bool create, uid_t also, int *ret_fd, struct bh_msg *msg);

/*
 * Atomically replace dfd/name (name without '/'): temp ".<name>.tmp.<random>" created
 * O_EXCL|O_NOFOLLOW in dfd, exact mode by fchmod, owner by fchown unless uid and gid are
 * both -1, written, fsync'ed, renameat over name, fsync(dfd).  The temp is removed on
 * failure.  Returns 0 or -errno.  (atomicio.h's bh_atomic_write, relative to a dir fd.)
 */
int bh_ks_write_at(int dfd, const char *name, const void *data, size_t len, mode_t mode,
		   uid_t uid, gid_t gid);

/*
 * Load <name>.blob from the keystore directory dfd (dir: its name, for messages only):
 * openat O_NOFOLLOW, regular file, owned by the effective uid or root (any owner when the
 * caller is root), no group/other permissions, <= BH_KS_BLOB_MAX, parsed, name checked.
 * BH_ERR_NOT_FOUND (msg names the path), BH_ERR_UNSAFE_FILE, parse errors.
 */
int bh_ks_blob_load(int dfd, const char *dir, const char *name, struct bh_ks_blob *ret,
		    struct bh_msg *msg) __attribute__((warn_unused_result));

/* Atomically write <name>.blob into dfd with mode 0600, owned by uid:gid (-1: keep). */
int bh_ks_blob_store(int dfd, const char *dir, const struct bh_ks_blob *b, uid_t uid, gid_t gid,
		     struct bh_msg *msg);

#endif

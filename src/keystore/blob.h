/* SPDX-License-Identifier: MIT */
/* The sealed-key blob file (docs/PROTOCOL.keystore-blob). */
#ifndef BH_KS_BLOB_H
#define BH_KS_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
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
 * Load <dir>/<name>.blob: O_NOFOLLOW, regular file, owned by the effective uid or
 * root (any owner when the caller is root), no group/other permissions, <= BH_KS_BLOB_MAX, parsed, name checked.
 * BH_ERR_NOT_FOUND (msg names the path), BH_ERR_UNSAFE_FILE, parse errors.
 */
int bh_ks_blob_load(const char *dir, const char *name, struct bh_ks_blob *ret,
		    struct bh_msg *msg) __attribute__((warn_unused_result));

/* Atomically write <dir>/<name>.blob with mode 0600. */
int bh_ks_blob_store(const char *dir, const struct bh_ks_blob *b, struct bh_msg *msg);

#endif

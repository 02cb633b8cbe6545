/* SPDX-License-Identifier: MIT */
/*
 * The keystore's key set: three 32-byte private scalars, each sealed in its own
 * blob (blob.h) under the TPM (tpm.h), held in libsodium guarded memory while
 * unsealed, and optionally backed up once in a passphrase-encrypted recovery file.
 *
 *   wallet        secp256k1: the host wallet (signs transactions, personal_sign)
 *   server-ecies  secp256k1: the server ECIES key (decrypts purchase payloads)
 *   tls           NIST P-256: the TLS handshake key (sealed, not TPM-resident: see
 *                 docs/keystore.md for why)
 */
#ifndef BH_KS_KEYS_H
#define BH_KS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"
#include "core/buf.h"
#include "tpm.h"

#define BH_KS_NKEYS 3
enum bh_ks_key { BH_KS_WALLET = 0, BH_KS_ECIES = 1, BH_KS_TLS = 2 };

/* Name ("wallet", "server-ecies", "tls") and blob key type of key i. */
const char *bh_ks_key_name(enum bh_ks_key k);

/* sodium_malloc'd (guard pages, mlock'd, MADV_DONTDUMP). */
struct bh_ks_keys {
	uint8_t k[BH_KS_NKEYS][32];
};

/* Configuration: bh_path(BH_DIR_ETC, "keystore.json"), all keys optional:
 *   { "tcti": "device:/dev/tpmrm0", "pcrs": [7] }
 * tcti for swtpm/mssim must name host 127.0.0.1, ::1 or localhost. */
struct bh_ks_config {
	char *tcti;          /* heap */
	uint32_t pcr_mask;
	char *dir;           /* <state>/keystore */
	char *socket;        /* <run>/keystore.sock */
	char *policy_dir;    /* NULL = bh_path(BH_DIR_POLICY) */
};
int bh_ks_config_load(const char *path, struct bh_ks_config *ret, struct bh_msg *msg);
void bh_ks_config_done(struct bh_ks_config *c);
/* Loopback-only check of a TCTI string (see above).  BH_ERR_CONFIG with msg. */
int bh_ks_tcti_check(const char *tcti, struct bh_msg *msg);

/* Guarded allocation / wiping free (NULL-safe). */
struct bh_ks_keys *bh_ks_keys_new(void);
void bh_ks_keys_free(struct bh_ks_keys *k);
/* sodium_mprotect_noaccess / _readonly / _readwrite. */
void bh_ks_keys_lock(struct bh_ks_keys *k);
void bh_ks_keys_unlock(struct bh_ks_keys *k);

/* Fresh random keys (getrandom), each valid for its curve. */
int bh_ks_keys_generate(struct bh_ks_keys *k) __attribute__((warn_unused_result));
/* 0 if every scalar is valid for its curve, else BH_ERR_RANGE. */
int bh_ks_keys_check(const struct bh_ks_keys *k);

/* Seal all keys to the current PCR values of mask and write the three blobs into the
 * keystore directory dfd (bh_ks_dir_open; dir: its name for messages), owned by
 * uid:gid (-1: the caller's). */
int bh_ks_seal_all(struct bh_tpm *t, int dfd, const char *dir, uint32_t mask,
		   const struct bh_ks_keys *k, uid_t uid, gid_t gid, struct bh_msg *msg);
/*
 * Unseal all three blobs from the keystore directory dfd.  On BH_ERR_PCR_MISMATCH the
 * message names the PCR(s) whose current value differs from the sealed expectation.
 */
int bh_ks_unseal_all(struct bh_tpm *t, int dfd, const char *dir, struct bh_ks_keys *k,
		     struct bh_msg *msg) __attribute__((warn_unused_result));

/* PCRs in `sealed` (mask) whose current value differs: *ret_changed mask. */
int bh_ks_pcr_changed(struct bh_tpm *t, const struct bh_tpm_sealed *s, uint32_t *ret_changed,
		      struct bh_msg *msg);

/* Public parts. */
int bh_ks_wallet_address(const struct bh_ks_keys *k, uint8_t ret_addr[static 20]);
int bh_ks_ecies_pubkey(const struct bh_ks_keys *k, uint8_t ret_pub[static 65]);
/* P-256: uncompressed public key of a scalar; DER ECDSA signature over a digest. */
int bh_ks_p256_check(const uint8_t priv[static 32]);
int bh_ks_p256_pubkey(const uint8_t priv[static 32], uint8_t ret_pub[static 65]);
int bh_ks_p256_sign(const uint8_t priv[static 32], const uint8_t *digest, size_t dlen,
		    uint8_t *ret_der, size_t *ret_len) __attribute__((warn_unused_result));
#define BH_KS_P256_SIG_MAX 72

/* ---- recovery file (docs/PROTOCOL.keystore-blob §2) ---- */
enum bh_ks_kdf_level { BH_KS_KDF_INTERACTIVE, BH_KS_KDF_MODERATE, BH_KS_KDF_SENSITIVE };
#define BH_KS_RECOVERY_MAX 1024
#define BH_KS_PASSPHRASE_MIN 8
#define BH_KS_PASSPHRASE_MAX 1024
/* Encrypt k under the passphrase into out (the whole file). */
int bh_ks_recovery_encode(const struct bh_ks_keys *k, const char *pass, size_t passlen,
			  enum bh_ks_kdf_level level, struct bh_buf *out);
/* Decrypt a recovery file: BH_ERR_DECRYPT on a wrong passphrase or tampering. */
int bh_ks_recovery_decode(const uint8_t *data, size_t len, const char *pass, size_t passlen,
			  struct bh_ks_keys *k) __attribute__((warn_unused_result));
/* Parse only the header (fuzzable, no KDF). */
int bh_ks_recovery_parse_header(const uint8_t *data, size_t len, uint64_t *ret_ops,
				uint64_t *ret_mem);
/* Write path exclusively (O_CREAT|O_EXCL, 0600, fsync): BH_ERR_EXISTS if present. */
int bh_ks_recovery_write_once(const char *path, const struct bh_buf *data, struct bh_msg *msg);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The two encryption formats of the EVM NFT flow (upstream.md §5.8), byte-exact.
 *
 * (a) ECIES "Noble-compatible" (signup page / admin commands -> engine):
 *       blob = E(65, 04||X||Y) || IV(12) || ciphertext || tag(16)
 *     shared = X coordinate (32 bytes) of e*Pub; key = HKDF-SHA256(IKM = shared,
 *     salt = empty, info = empty, L = 32); AES-256-GCM, no AAD.
 *     Minimum blob 93 bytes (an empty plaintext is valid, as upstream: the
 *     format authenticates it like any other).
 *
 * (b) Symmetric, signature-derived (NFT userEncrypted, config backups):
 *       blob = nonce(12) || ciphertext || tag(16)
 *     key = keccak256(the 65 raw signature bytes exactly as the wallet produced
 *     them, v = 27/28); AES-256-GCM, no AAD.  Minimum 28 bytes.
 *
 * Outputs are appended to an owned struct bh_buf (its max_size caps them);
 * on failure nothing is appended.  Plaintext buffers should be released with
 * bh_buf_done/bh_buf_free, which wipe.  Every key, shared secret and nonce
 * state is wiped before return.
 *
 * Decrypt errors: BH_ERR_LENGTH (blob shorter than the minimum), BH_ERR_FORMAT
 * (E is not an uncompressed curve point), BH_ERR_DECRYPT (tag mismatch: wrong
 * key or tampered data), BH_ERR_LIMIT (output cap).
 */
#ifndef BH_ECIES_H
#define BH_ECIES_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define BH_ECIES_EPH_LEN 65
#define BH_GCM_IV_LEN 12
#define BH_GCM_TAG_LEN 16
#define BH_ECIES_OVERHEAD (BH_ECIES_EPH_LEN + BH_GCM_IV_LEN + BH_GCM_TAG_LEN) /* 93 */
#define BH_SYM_OVERHEAD (BH_GCM_IV_LEN + BH_GCM_TAG_LEN)                     /* 28 */

/*
 * Encrypt to a public key given as 65 (04||X||Y) or 33 (compressed) bytes.
 * BH_ERR_LENGTH / BH_ERR_FORMAT for a bad public key.
 */
int bh_ecies_encrypt(const uint8_t *pub, size_t publen, const uint8_t *pt, size_t ptlen,
                     struct bh_buf *out) __attribute__((warn_unused_result));

int bh_ecies_decrypt(const uint8_t priv[static 32], const uint8_t *blob, size_t len,
                     struct bh_buf *ret_plain) __attribute__((warn_unused_result));

/* keccak256 of the raw wallet signature bytes (r||s||v, v as the wallet sent it). */
void bh_sym_key_from_signature(const uint8_t sig[static 65], uint8_t ret_key[static 32]);

int bh_sym_encrypt(const uint8_t sig[static 65], const uint8_t *pt, size_t ptlen,
                   struct bh_buf *out) __attribute__((warn_unused_result));

int bh_sym_decrypt(const uint8_t sig[static 65], const uint8_t *blob, size_t len,
                   struct bh_buf *ret_plain) __attribute__((warn_unused_result));

/*
 * The primitives beneath, for tests and other formats: AES-256-GCM with a
 * 12-byte IV and no AAD.  Encrypt appends ct||tag; decrypt takes ct||tag.
 */
int bh_aes256gcm_encrypt(const uint8_t key[static 32], const uint8_t iv[static 12],
                         const uint8_t *pt, size_t ptlen, struct bh_buf *out)
	__attribute__((warn_unused_result));
int bh_aes256gcm_decrypt(const uint8_t key[static 32], const uint8_t iv[static 12],
                         const uint8_t *ct_tag, size_t len, struct bh_buf *ret_plain)
	__attribute__((warn_unused_result));

#endif

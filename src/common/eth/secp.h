/* SPDX-License-Identifier: MIT */
/*
 * secp256k1 for Ethereum: keys, RFC 6979 signatures, public-key recovery and
 * addresses.  A thin, strict layer over libsecp256k1 (with its recovery module).
 *
 * Signatures at this interface are always 65 bytes r(32) || s(32) || recid(1)
 * with recid 0 or 1 ("normalized").  Wallet encodings (v = 27/28, EIP-155 v >= 35,
 * hex text) are converted by bh_sig_parse_hex() in eth.h.
 *
 * Every signature accepted for recovery must satisfy:
 *   0 < r < n, 0 < s <= n/2 (EIP-2 low-S), recid in {0, 1}.
 * libsecp256k1's secp256k1_ecdsa_recover does NOT enforce low-S itself; this
 * layer does (BH_ERR_HIGH_S).  Signatures we produce are always low-S.
 *
 * One process-wide context is created on first use (thread-safe, pthread_once)
 * and randomized with 32 bytes from getrandom() (blinding against side channels).
 *
 * Private keys are secrets: callers wipe them; this layer wipes every copy it makes.
 */
#ifndef BH_SECP_H
#define BH_SECP_H

#include <stddef.h>
#include <stdint.h>

#define BH_PRIVKEY_LEN 32
#define BH_PUBKEY_LEN 65      /* uncompressed 04||X||Y */
#define BH_PUBKEY_COMPRESSED_LEN 33
#define BH_ADDR_LEN 20
#define BH_SIG_LEN 65         /* r(32)||s(32)||v(1) */
#define BH_DIGEST_LEN 32

/*
 * Fill p[0..n) from getrandom(2) (blocks until the kernel pool is initialised;
 * EINTR and short reads resumed).  Shared by the key, nonce and IV generators of
 * secp.c and ecies.c.  Returns 0 or -errno; on failure p may be partly written.
 */
int bh_random_bytes(void *p, size_t n) __attribute__((warn_unused_result));

/*
 * Deterministic RFC 6979 signature over a 32-byte digest; ret_sig = r||s||recid
 * (recid 0/1, low-S).  BH_ERR_RANGE if priv is zero or >= n.
 */
int bh_secp_sign(const uint8_t priv[static 32], const uint8_t digest[static 32],
                 uint8_t ret_sig[static 65]) __attribute__((warn_unused_result));

/*
 * Recover the signer's address from a digest and r||s||recid (recid 0/1);
 * rejects high-S (BH_ERR_HIGH_S), zero r/s and r/s >= n (BH_ERR_SIGNATURE),
 * recid > 1 (BH_ERR_RECOVERY_ID), and digests for which no key recovers
 * (BH_ERR_SIGNATURE).
 */
int bh_secp_recover_address(const uint8_t digest[static 32], const uint8_t sig[static 65],
                            uint8_t ret_addr[static 20]) __attribute__((warn_unused_result));

/* The same, returning the uncompressed public key 04||X||Y. */
int bh_secp_recover_pubkey(const uint8_t digest[static 32], const uint8_t sig[static 65],
                           uint8_t ret_pub[static 65]) __attribute__((warn_unused_result));

/*
 * Range checks of a normalized signature without recovering: 0 on success,
 * BH_ERR_SIGNATURE (r or s zero or >= n), BH_ERR_HIGH_S, BH_ERR_RECOVERY_ID.
 */
int bh_secp_sig_check(const uint8_t sig[static 65]) __attribute__((warn_unused_result));

/* Uncompressed public key of priv.  BH_ERR_RANGE if priv is zero or >= n. */
int bh_secp_pubkey(const uint8_t priv[static 32], uint8_t ret_pub[static 65]);

/*
 * Parse a public key given as 33 (compressed) or 65 (uncompressed) bytes and
 * return it uncompressed.  BH_ERR_LENGTH on another length, BH_ERR_FORMAT if the
 * bytes are not a point on the curve.
 */
int bh_secp_pubkey_parse(const uint8_t *in, size_t len, uint8_t ret_pub[static 65]);

/* 0 if priv is a valid private key (0 < priv < n), else BH_ERR_RANGE. */
int bh_secp_privkey_check(const uint8_t priv[static 32]);

/* A fresh random private key (getrandom; retried until valid). */
int bh_secp_keygen(uint8_t ret_priv[static 32]) __attribute__((warn_unused_result));

/* Address = last 20 bytes of keccak256(X||Y).  BH_ERR_FORMAT if pub[0] != 0x04
 * or the point is not on the curve. */
int bh_eth_address_from_pubkey(const uint8_t pub[static 65], uint8_t ret_addr[static 20]);
int bh_eth_address_from_priv(const uint8_t priv[static 32], uint8_t ret_addr[static 20]);

/*
 * The shared libsecp256k1 context (type-erased so that callers need not include
 * secp256k1.h); cast to `const secp256k1_context *`.  NULL only if creation
 * failed (out of memory / no entropy).
 */
const void *bh_secp_context(void);

#endif

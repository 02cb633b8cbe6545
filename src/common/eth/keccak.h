/* SPDX-License-Identifier: MIT */
/*
 * Keccak-256 (Ethereum's hash: original Keccak padding 0x01..0x80, rate 136)
 * and SHA3-256 (FIPS 202 padding 0x06..0x80).  The permutation is nettle's
 * exported Keccak-f[1600]; only the sponge is ours.  Incremental and one-shot.
 */
#ifndef BH_KECCAK_H
#define BH_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/sha3.h>

#define BH_KECCAK256_LEN 32
#define BH_KECCAK_RATE 136

struct bh_keccak {
	struct sha3_state st; /* nettle's Keccak-f[1600] state, permuted in place */
	uint8_t block[BH_KECCAK_RATE];
	unsigned fill;
	uint8_t pad; /* 0x01 Keccak, 0x06 SHA3 */
};

void bh_keccak256_init(struct bh_keccak *k);
void bh_sha3_256_init(struct bh_keccak *k);
void bh_keccak_update(struct bh_keccak *k, const void *data, size_t len);
/* Writes the 32-byte digest and wipes the state. */
void bh_keccak_final(struct bh_keccak *k, uint8_t out[static BH_KECCAK256_LEN]);

void bh_keccak256(const void *data, size_t len, uint8_t out[static BH_KECCAK256_LEN]);
void bh_sha3_256(const void *data, size_t len, uint8_t out[static BH_KECCAK256_LEN]);

#endif

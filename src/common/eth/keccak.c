/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "eth/keccak.h"

static void init(struct bh_keccak *k, uint8_t pad)
{
	memset(k, 0, sizeof(*k));
	k->pad = pad;
}

void bh_keccak256_init(struct bh_keccak *k)
{
	init(k, 0x01);
}

void bh_sha3_256_init(struct bh_keccak *k)
{
	init(k, 0x06);
}

static void absorb_block(struct bh_keccak *k, const uint8_t *blk)
{
	for (unsigned i = 0; i < BH_KECCAK_RATE / 8; i++) {
		uint64_t w = 0;
		for (unsigned j = 0; j < 8; j++)
			w |= (uint64_t)blk[8 * i + j] << (8 * j);
		k->st.a[i] ^= w;
	}
	sha3_permute(&k->st);
}

void bh_keccak_update(struct bh_keccak *k, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (k->fill) {
		size_t take = BH_KECCAK_RATE - k->fill;
		if (take > len)
			take = len;
		memcpy(k->block + k->fill, p, take);
		k->fill += (unsigned)take;
		p += take;
		len -= take;
		if (k->fill < BH_KECCAK_RATE)
			return;
		absorb_block(k, k->block);
		k->fill = 0;
	}
	while (len >= BH_KECCAK_RATE) {
		absorb_block(k, p);
		p += BH_KECCAK_RATE;
		len -= BH_KECCAK_RATE;
	}
	if (len) {
		memcpy(k->block, p, len);
		k->fill = (unsigned)len;
	}
}

void bh_keccak_final(struct bh_keccak *k, uint8_t out[static BH_KECCAK256_LEN])
{
	memset(k->block + k->fill, 0, BH_KECCAK_RATE - k->fill);
	k->block[k->fill] ^= k->pad;
	k->block[BH_KECCAK_RATE - 1] ^= 0x80;
	absorb_block(k, k->block);
	for (unsigned i = 0; i < BH_KECCAK256_LEN; i++)
		out[i] = (uint8_t)(k->st.a[i / 8] >> (8 * (i % 8)));
	explicit_bzero(k, sizeof(*k));
}

void bh_keccak256(const void *data, size_t len, uint8_t out[static BH_KECCAK256_LEN])
{
	struct bh_keccak k;

	bh_keccak256_init(&k);
	bh_keccak_update(&k, data, len);
	bh_keccak_final(&k, out);
}

void bh_sha3_256(const void *data, size_t len, uint8_t out[static BH_KECCAK256_LEN])
{
	struct bh_keccak k;

	bh_sha3_256_init(&k);
	bh_keccak_update(&k, data, len);
	bh_keccak_final(&k, out);
}

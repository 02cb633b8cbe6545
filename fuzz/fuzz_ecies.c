/* SPDX-License-Identifier: MIT */
/*
 * Fuzz ECIES decryption with a fixed server key (anvil's first dev key, so seeds
 * made by noble for that key decrypt), and encrypt->decrypt of the input as
 * plaintext.  Invariants: nothing is appended on failure; errors are the
 * documented ones; a round trip returns the input.  The same operations into an output
 * buffer whose cap (from byte 0) is too small, and decryption under the input's first 32
 * bytes as the private key, fail cleanly: the buffer's earlier content is left as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "eth/ecies.h"
#include "core/err.h"
#include "eth/secp.h"

static const uint8_t key[32] = {
	0xac, 0x09, 0x74, 0xbe, 0xc3, 0x9a, 0x17, 0xe3, 0x6b, 0xa4, 0xa6, 0xb4, 0xd2, 0x38, 0xff, 0x94,
	0x4b, 0xac, 0xb4, 0x78, 0xcb, 0xed, 0x5e, 0xfc, 0xae, 0x78, 0x4d, 0x7b, 0xf4, 0xf2, 0xff, 0x80,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf out, ct;
	uint8_t pub[65];
	int r;

	bh_buf_init(&out, 1 << 16);
	r = bh_ecies_decrypt(key, data, size, &out);
	if (r == 0) {
		if (bh_buf_len(&out) != size - BH_ECIES_OVERHEAD)
			abort();
	} else {
		if (bh_buf_len(&out) != 0)
			abort();
		if (r != BH_ERR_LENGTH && r != BH_ERR_FORMAT && r != BH_ERR_DECRYPT && r != BH_ERR_LIMIT)
			abort();
	}
	bh_buf_done(&out);

	if (size > 4096)
		return 0;
	if (bh_secp_pubkey(key, pub) != 0)
		abort();
	bh_buf_init(&ct, 1 << 16);
	bh_buf_init(&out, 1 << 16);
	if (bh_ecies_encrypt(pub, sizeof(pub), data, size, &ct) != 0)
		abort();
	if (bh_ecies_decrypt(key, bh_buf_ptr(&ct), bh_buf_len(&ct), &out) != 0 ||
	    bh_buf_len(&out) != size || (size && memcmp(bh_buf_ptr(&out), data, size)))
		abort();
	bh_buf_done(&ct);
	bh_buf_done(&out);
	/* a small output cap: works, or fails with BH_ERR_LIMIT and the sentinel alone */
	if (size >= 1) {
		size_t cap = 1 + data[0] % 160;
		bh_buf_init(&ct, cap);
		(void)bh_buf_put_u8(&ct, 0x5a);
		r = bh_ecies_encrypt(pub, sizeof(pub), data, size, &ct);
		if (r != 0 && (r != BH_ERR_LIMIT || bh_buf_len(&ct) != 1 || bh_buf_ptr(&ct)[0] != 0x5a))
			abort();
		bh_buf_done(&ct);
		bh_buf_init(&ct, 1 << 16);
		bh_buf_init(&out, cap);
		(void)bh_buf_put_u8(&out, 0x5a);
		if (bh_ecies_encrypt(pub, sizeof(pub), data, size, &ct) != 0)
			abort();
		r = bh_ecies_decrypt(key, bh_buf_ptr(&ct), bh_buf_len(&ct), &out);
		if (r != 0 && (r != BH_ERR_LIMIT || bh_buf_len(&out) != 1))
			abort();
		bh_buf_done(&out);
		/* the symmetric layer alone, same cap */
		uint8_t k2[32], iv[12] = { 0 };
		memset(k2, data[0], sizeof(k2));
		bh_buf_init(&out, cap);
		r = bh_aes256gcm_encrypt(k2, iv, data, size, &out);
		if (r != 0 && (r != BH_ERR_LIMIT || bh_buf_len(&out) != 0))
			abort();
		if (r == 0) {
			struct bh_buf pt;
			bh_buf_init(&pt, cap);
			r = bh_aes256gcm_decrypt(k2, iv, bh_buf_ptr(&out), bh_buf_len(&out), &pt);
			if (r != 0 && (r != BH_ERR_LIMIT || bh_buf_len(&pt) != 0))
				abort();
			bh_buf_done(&pt);
		}
		bh_buf_done(&out);
		bh_buf_done(&ct);
	}
	/* the input itself as an AES-GCM ciphertext and tag under a fixed key: a short one is
	 * BH_ERR_LENGTH, anything else fails authentication (nothing appended) */
	{
		uint8_t k3[32] = { 7 }, iv3[12] = { 9 };
		bh_buf_init(&out, 1 << 16);
		r = bh_aes256gcm_decrypt(k3, iv3, data, size, &out);
		if (size < BH_GCM_TAG_LEN ? r != BH_ERR_LENGTH : (r != BH_ERR_DECRYPT || bh_buf_len(&out)))
			abort();
		bh_buf_done(&out);
	}
	/* the signature-keyed layer (bh_sym_*) with the input's first 65 bytes as the
	 * signature, into a small cap: works and decrypts back, or fails leaving nothing */
	if (size >= 65) {
		size_t cap = 1 + data[64] % 96;
		bh_buf_init(&ct, cap);
		r = bh_sym_encrypt(data, data + 65, size - 65, &ct);
		if (r == 0) {
			bh_buf_init(&out, 1 << 16);
			if (bh_sym_decrypt(data, bh_buf_ptr(&ct), bh_buf_len(&ct), &out) != 0 ||
			    bh_buf_len(&out) != size - 65 || memcmp(bh_buf_ptr(&out), data + 65, size - 65))
				abort();
			bh_buf_done(&out);
		} else if (r != BH_ERR_LIMIT || bh_buf_len(&ct) != 0) {
			abort();
		}
		bh_buf_done(&ct);
	}
	/* the input's first 32 bytes as the private key */
	if (size >= 32 + BH_ECIES_OVERHEAD) {
		bh_buf_init(&out, 1 << 16);
		r = bh_ecies_decrypt(data, data + 32, size - 32, &out);
		if (r != 0 && bh_buf_len(&out) != 0)
			abort();
		bh_buf_done(&out);
	}
	/* the input as a recipient key: must be rejected cleanly or work */
	bh_buf_init(&ct, 1 << 16);
	r = bh_ecies_encrypt(data, size, (const uint8_t *)"x", 1, &ct);
	if (r != 0 && (r != BH_ERR_LENGTH && r != BH_ERR_FORMAT))
		abort();
	bh_buf_done(&ct);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the signature-derived symmetric format: decryption under a fixed
 * signature (anvil dev key's personal_sign("blockhost-access"), so seeds made by
 * node for it decrypt), and a round trip with the input as plaintext.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "eth/ecies.h"
#include "core/err.h"

static const uint8_t sig[65] = {
	0x60, 0x64, 0x17, 0xac, 0x60, 0x90, 0xdf, 0xce, 0x72, 0x67, 0x79, 0x42, 0xe5, 0x34, 0x66, 0x6c,
	0x58, 0x72, 0xca, 0x91, 0x80, 0x13, 0xa6, 0x63, 0x99, 0xfc, 0x99, 0xc4, 0xde, 0xff, 0xa6, 0xf5,
	0x5b, 0xe8, 0x22, 0x20, 0x6b, 0x54, 0x1f, 0x51, 0xdb, 0x94, 0x00, 0xf5, 0xa1, 0xe7, 0x31, 0x65,
	0x63, 0xd7, 0x48, 0x2a, 0x96, 0x58, 0x2e, 0x7f, 0xe8, 0x01, 0x2e, 0xf5, 0xd7, 0x48, 0x78, 0x37,
	0x1b,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf out, ct;
	int r;

	bh_buf_init(&out, 1 << 16);
	r = bh_sym_decrypt(sig, data, size, &out);
	if (r == 0) {
		if (bh_buf_len(&out) != size - BH_SYM_OVERHEAD)
			abort();
	} else if (bh_buf_len(&out) != 0 ||
	           (r != BH_ERR_LENGTH && r != BH_ERR_DECRYPT && r != BH_ERR_LIMIT)) {
		abort();
	}
	bh_buf_done(&out);

	if (size > 4096)
		return 0;
	bh_buf_init(&ct, 1 << 16);
	bh_buf_init(&out, 1 << 16);
	if (bh_sym_encrypt(sig, data, size, &ct) != 0 || bh_buf_len(&ct) != size + BH_SYM_OVERHEAD)
		abort();
	if (bh_sym_decrypt(sig, bh_buf_ptr(&ct), bh_buf_len(&ct), &out) != 0 ||
	    bh_buf_len(&out) != size || (size && memcmp(bh_buf_ptr(&out), data, size)))
		abort();
	bh_buf_done(&ct);
	bh_buf_done(&out);
	return 0;
}

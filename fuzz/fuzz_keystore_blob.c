/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the sealed-key blob parser (docs/PROTOCOL.keystore-blob) and the recovery
 * file header parser on arbitrary bytes.  A blob that parses must re-encode to the
 * same bytes (the format has one encoding).
 */
#include <stdlib.h>
#include <string.h>

#include "../src/keystore/blob.h"
#include "../src/keystore/keys.h"
#include "core/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_ks_blob *b = malloc(sizeof(*b));
	uint64_t ops, mem;
	if (!b)
		return 0;
	if (bh_ks_blob_parse(data, size, b) == 0) {
		struct bh_buf out;
		bh_buf_init(&out, BH_KS_BLOB_MAX);
		if (bh_ks_blob_encode(b, &out) != 0 || bh_buf_len(&out) != size ||
		    memcmp(bh_buf_ptr(&out), data, size) != 0)
			abort();
		bh_buf_done(&out);
	}
	free(b);
	(void)bh_ks_recovery_parse_header(data, size, &ops, &mem);
	return 0;
}

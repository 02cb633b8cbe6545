/* SPDX-License-Identifier: MIT */
/* Fuzz the bounded buffer readers and the hex decoders on arbitrary bytes. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf v, o;
	uint8_t op, tmp[256];
	uint16_t n16;

	/* the input is a little program of buffer operations */
	bh_buf_view(&v, data, size);
	bh_buf_init(&o, 1024);
	while (bh_buf_get_u8(&v, &op) == 0) {
		const uint8_t *p;
		char *s = NULL;
		uint32_t u32;
		uint64_t u64;
		if (bh_buf_get_u16(&v, &n16) < 0)
			break;
		size_t n = n16 % sizeof(tmp);
		switch (op % 9) {
		case 0: (void)bh_buf_get_u32(&v, &u32); break;
		case 1: (void)bh_buf_get_u64(&v, &u64); break;
		case 2: if (bh_buf_get_bytes(&v, tmp, n) == 0) (void)bh_buf_put(&o, tmp, n); break;
		case 3: if (bh_buf_get_string(&v, n, 128, &s) == 0) free(s); break;
		case 4: (void)bh_buf_peek_at(&v, n16, n, &p); break;
		case 5: (void)bh_buf_consume(&o, n); break;
		case 6: (void)bh_buf_truncate(&o, n); break;
		case 7: (void)bh_buf_putf(&o, "%zu", n); break;
		case 8: if (bh_buf_steal_cstr(&o, &s) == 0) free(s); break;
		}
	}
	bh_buf_done(&o);

	/* hex decoders on the raw input as text */
	char *str = malloc(size + 1);
	if (!str)
		return 0;
	memcpy(str, data, size);
	str[size] = '\0';
	uint8_t *dec = NULL;
	size_t dlen = 0;
	if (bh_hex_decode_alloc(str, 4096, &dec, &dlen) == 0) {
		char *enc = bh_hex_encode_alloc(dec, dlen, false);
		/* round trip: re-encoding equals the lower-cased input digits */
		const char *h = bh_hex_skip_prefix(str);
		for (size_t i = 0; enc && i < 2 * dlen; i++)
			if (enc[i] != (h[i] | ((h[i] >= 'A' && h[i] <= 'F') ? 0x20 : 0)))
				abort();
		free(enc);
		free(dec);
	}
	uint8_t fixed[32];
	(void)bh_hex_decode_exact(str, fixed, sizeof(fixed));
	free(str);
	return 0;
}

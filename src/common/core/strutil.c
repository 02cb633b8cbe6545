/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "core/strutil.h"

char *bh_str_sanitize(const char *in, size_t len, char *out, size_t out_size)
{
	size_t n = 0;

	if (!out_size)
		return out;
	if (!in)
		len = 0;
	for (; n < len && n + 1 < out_size; n++) {
		unsigned char c = (unsigned char)in[n];
		out[n] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
	}
	if (n < len && out_size >= 4) {
		/* truncated: mark it */
		n = out_size - 1;
		memcpy(out + n - 3, "...", 3);
	}
	out[n] = '\0';
	return out;
}

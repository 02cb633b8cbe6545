/* SPDX-License-Identifier: MIT */
/* Fuzz the GECOS wallet parser and the signature-text parser (PAM replies). */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pw3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t addr[20], sig[65];
	struct bh_msg m = { { 0 } };
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	int r = pw3_gecos_wallet(s, addr, &m);
	if (r < 0 && !m.text[0])
		abort();
	if (r == 0 && !strstr(s, "wallet="))
		abort();
	r = pw3_sig_parse((const char *)data, size, sig);
	if (r == 0 && sig[64] > 1)
		abort(); /* the parser always normalises v to a recovery id */
	free(s);
	return 0;
}

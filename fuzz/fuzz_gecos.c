/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the GECOS reader (host/gecos.h) under both rules, the writer on what it read (the
 * round trip), and the PAM signature-text parser (PAM replies).
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "host/gecos.h"
#include "pw3.h"

static void check_rule(const uint8_t *data, size_t size, enum bh_gecos_rule rule)
{
	struct bh_buf b;
	struct bh_msg m = { { 0 } };
	struct bh_gecos g, back;
	char out[BH_GECOS_STR_MAX];

	bh_buf_view(&b, data, size);
	int r = bh_gecos_parse(&b, rule, &g, &m);
	if (r < 0) {
		if (!m.text[0] || bh_buf_len(&b) != size)
			abort(); /* a message, and the buffer unchanged */
		return;
	}
	if (bh_buf_len(&b) != 0)
		abort(); /* the whole field consumed */
	if (!memmem(data, size, "wallet=", 7))
		abort();
	/* round trip: the writer's text reads back, under both rules, as the same value */
	bh_gecos_format(&g, out);
	for (int k = 0; k < 2; k++) {
		struct bh_buf ob;
		bh_buf_view(&ob, out, strlen(out));
		if (bh_gecos_parse(&ob, k ? BH_GECOS_FIELDS : BH_GECOS_EXACT, &back, NULL) != 0 ||
		    memcmp(back.wallet, g.wallet, 20) != 0 || back.has_nft != g.has_nft ||
		    (g.has_nft && back.nft_id != g.nft_id))
			abort();
	}
	/* EXACT input is the written form up to the case of the hex digits */
	if (rule == BH_GECOS_EXACT && (strlen(out) != size || strncasecmp(out, (const char *)data, size)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t addr[20], sig[65];
	struct bh_msg m = { { 0 } };

	check_rule(data, size, BH_GECOS_EXACT);
	check_rule(data, size, BH_GECOS_FIELDS);
	/* the login's entry point on a C string (what getpwnam returns) */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	int r = bh_gecos_login_wallet(s, addr, &m);
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

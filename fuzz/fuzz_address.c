/* SPDX-License-Identifier: MIT */
/*
 * Fuzz address text: bh_eth_addr_parse and EIP-55.  Invariants: an accepted
 * address re-encodes to its checksum form, which parses back to the same bytes
 * and equals the input case-insensitively; all-lower of any 20 bytes parses.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "eth/eth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t a[20], b[20];
	char s[BH_ADDR_STR_LEN + 1], lower[BH_ADDR_STR_LEN + 1];
	int r = bh_eth_addr_parse((const char *)data, size, a);

	if (r == 0) {
		bh_eth_addr_checksum(a, s);
		if (strncasecmp(s, (const char *)data, BH_ADDR_STR_LEN) != 0)
			abort();
		if (bh_eth_addr_parse(s, BH_ADDR_STR_LEN, b) != 0 || !bh_eth_addr_equal(a, b))
			abort();
	} else if (r != BH_ERR_LENGTH && r != BH_ERR_FORMAT && r != BH_ERR_HEX &&
	           r != BH_ERR_CHECKSUM) {
		abort();
	}
	if (size >= 20) {
		bh_eth_addr_checksum(data, s);
		if (bh_eth_addr_parse(s, BH_ADDR_STR_LEN, b) != 0 || memcmp(b, data, 20))
			abort();
		for (size_t i = 0; i <= BH_ADDR_STR_LEN; i++)
			lower[i] = i < 2 ? s[i] : (char)tolower((unsigned char)s[i]);
		if (bh_eth_addr_parse(lower, BH_ADDR_STR_LEN, b) != 0 || memcmp(b, data, 20))
			abort();
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz wallet signature text (the PAM module's hostile input): bh_sig_parse_hex,
 * then recovery and EIP-191 verification; raw 65-byte normalization.  Invariants:
 * an accepted signature is normalized (recid 0/1, canonical range) and its
 * canonical text parses back to the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "eth/eth.h"
#include "eth/keccak.h"
#include "eth/secp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sig[65], again[65], d[32], addr[20], pub[65];
	char text[BH_SIG_STR_LEN + 1];
	int r;

	r = bh_sig_parse_hex((const char *)data, size, sig);
	if (r == 0) {
		if (sig[64] > 1 || bh_secp_sig_check(sig) != 0)
			abort();
		if (bh_sig_format_hex(sig, text) != 0)
			abort();
		if (bh_sig_parse_hex(text, BH_SIG_STR_LEN, again) != 0 || memcmp(sig, again, 65))
			abort();
		bh_keccak256(data, size, d);
		r = bh_secp_recover_address(d, sig, addr);
		if (r == 0) {
			if (bh_secp_recover_pubkey(d, sig, pub) != 0)
				abort();
			uint8_t a2[20];
			if (bh_eth_address_from_pubkey(pub, a2) != 0 || memcmp(a2, addr, 20))
				abort();
		} else if (r != BH_ERR_SIGNATURE) {
			abort();
		}
		r = bh_eth_verify_personal((const char *)data, size, sig, addr);
		if (r != 0 && r != BH_ERR_MISMATCH && r != BH_ERR_SIGNATURE)
			abort();
	} else if (r != BH_ERR_LENGTH && r != BH_ERR_HEX && r != BH_ERR_RECOVERY_ID &&
	           r != BH_ERR_SIGNATURE && r != BH_ERR_HIGH_S) {
		abort();
	}
	/* the raw form on the first 65 bytes */
	if (size >= 65) {
		r = bh_sig_normalize(data, sig);
		if (r == 0 && bh_secp_sig_check(sig) != 0)
			abort();
		/* the first 65 bytes taken as an already-normalized signature */
		bh_keccak256(data, size, d);
		r = bh_secp_recover_address(d, data, addr);
		if (r != 0 && r != BH_ERR_SIGNATURE && r != BH_ERR_HIGH_S && r != BH_ERR_RECOVERY_ID)
			abort();
	}
	return 0;
}

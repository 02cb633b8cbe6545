/* SPDX-License-Identifier: MIT */
/*
 * The purchase payload and the NFT's connection details (src/engine/payload.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/hex.h"
#include "eth/ecies.h"
#include "eth/eth.h"
#include "payload.h"

int eng_payload_signature(const uint8_t *plain, size_t len, uint8_t ret_raw[static 65],
			  struct bh_msg *msg)
{
	uint8_t norm[65], raw[65];
	const char *s = (const char *)plain;
	int r = BH_ERR_FORMAT;

	if (len != 132 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') ||
	    bh_sig_parse_hex(s, len, norm) < 0 || bh_hex_decode_ct(s + 2, 130, raw, 65) < 0) {
		bh_msg_set(msg, "the payload decrypts but is not a wallet signature (0x + 130 hex)");
		goto out;
	}
	memcpy(ret_raw, raw, 65);
	r = 0;
out:
	explicit_bzero(norm, sizeof(norm));
	explicit_bzero(raw, sizeof(raw));
	return r;
}

int eng_payload_details(const uint8_t sig_raw[static 65], const char *host, int64_t port,
			const char *username, struct bh_buf *out, struct bh_msg *msg)
{
	/* upstream.md §5.8b: JSON.stringify order, no spaces */
	json_t *d = json_pack("{s:s, s:I, s:s}", "hostname", host, "port", (json_int_t)port,
			      "username", username);
	char *pt = d ? json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	int r = -ENOMEM;
	json_decref(d);
	if (!pt)
		return r;
	if ((r = bh_sym_encrypt(sig_raw, (const uint8_t *)pt, strlen(pt), out)) < 0)
		bh_msg_set(msg, "encrypting the connection details: %s", bh_strerror(r));
	free(pt);
	return r;
}

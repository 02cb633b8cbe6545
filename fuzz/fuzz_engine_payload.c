/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the purchase payload path of the engine in-process: the bytes of userEncrypted are
 * ECIES-decrypted with a fixed test server key (what the keystore does), the plaintext
 * checked as a wallet signature (src/engine/payload.h), and the NFT details encrypted with
 * it and decrypted back.  Seeds: tests/js/gen-engine-payload-seeds.js (noble + ethers).
 * Properties: an accepted signature round-trips through the symmetric format; a rejected
 * one always says why.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "eth/ecies.h"
#include "../src/engine/payload.h"

/* the test server key of the seeds (never a real key) */
static const uint8_t server_priv[32] = {
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf plain, ue, back;
	struct bh_msg m = { "" };
	uint8_t sig[65];

	bh_buf_init(&plain, 4096);
	bh_buf_init(&ue, 4096);
	bh_buf_init(&back, 4096);
	const uint8_t *pt = data;
	size_t ptlen = size;
	/* first byte 'E': the rest is an ECIES blob; anything else: the plaintext itself */
	if (size && data[0] == 'E') {
		if (bh_ecies_decrypt(server_priv, data + 1, size - 1, &plain) < 0)
			goto out;
		pt = bh_buf_ptr(&plain);
		ptlen = bh_buf_len(&plain);
	}
	if (eng_payload_signature(pt, ptlen, sig, &m) < 0) {
		if (!m.text[0])
			abort();
		goto out;
	}
	if (eng_payload_details(sig, "127.0.0.1", 22001, "user", &ue, NULL) != 0)
		abort();
	if (bh_sym_decrypt(sig, bh_buf_ptr(&ue), bh_buf_len(&ue), &back) != 0)
		abort();
	static const char want[] = "{\"hostname\":\"127.0.0.1\",\"port\":22001,\"username\":\"user\"}";
	if (bh_buf_len(&back) != sizeof(want) - 1 || memcmp(bh_buf_ptr(&back), want, sizeof(want) - 1))
		abort();
out:
	bh_buf_done(&plain);
	bh_buf_done(&ue);
	bh_buf_done(&back);
	return 0;
}

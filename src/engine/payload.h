/* SPDX-License-Identifier: MIT */
/*
 * The purchase payload (upstream.md §5.8c): userEncrypted = ECIES(server key, UTF-8 text
 * "0x" + 130 hex digits), the buyer's wallet signature of the public secret.  The engine
 * gets the plaintext from the keystore and checks it here: exactly 132 bytes, a well-formed
 * low-S signature (eth/eth.h bh_sig_parse_hex).  ret_raw: the 65 bytes as the wallet made
 * them (v = 27/28), which key the NFT's symmetric encryption (keccak256(signature)).
 * And the connection details the NFT carries: {"hostname":..,"port":..,"username":..}.
 */
#ifndef BH_ENGINE_PAYLOAD_H
#define BH_ENGINE_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

int eng_payload_signature(const uint8_t *plain, size_t len, uint8_t ret_raw[static 65],
			  struct bh_msg *msg) __attribute__((warn_unused_result));
/* nonce(12) || AES-256-GCM(keccak256(sig), details JSON) || tag(16), appended to out. */
int eng_payload_details(const uint8_t sig_raw[static 65], const char *host, int64_t port,
			const char *username, struct bh_buf *out, struct bh_msg *msg)
	__attribute__((warn_unused_result));

#endif

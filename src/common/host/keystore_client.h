/* SPDX-License-Identifier: MIT */
/*
 * Client of the keystore daemon (docs/PROTOCOL.keystore) for the engine and the TLS
 * servers: one framed JSON request per connection over the unix socket.
 *
 * Every call returns 0 or a negative code: socket errors (-ENOENT, -ECONNREFUSED,
 * -EACCES), BH_ERR_TIMEOUT, BH_ERR_DENIED (the daemon's policy refused: msg holds
 * its rule and message, e.g. "to_allowlist: 'to' 0x.. is not in ..."),
 * BH_ERR_DECRYPT (ecies_decrypt: authentication failed), BH_ERR_FORMAT (the daemon
 * answered "bad_request": what we passed is malformed, e.g. a ciphertext that is not an
 * ECIES blob — the engine refuses such a purchase rather than retrying), BH_ERR_PEER (a malformed
 * or failed response; msg says why).  Out-params are written only on success.
 * Nothing here logs.
 */
#ifndef BH_KEYSTORE_CLIENT_H
#define BH_KEYSTORE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

#define BH_KEYSTORE_TIMEOUT_MS 10000

struct bh_keystore_client {
	char *socket_path;   /* heap */
	int timeout_ms;
};

/* socket_path NULL: bh_path(BH_DIR_RUN, "keystore.sock"). */
int bh_keystore_client_init(struct bh_keystore_client *c, const char *socket_path);
void bh_keystore_client_done(struct bh_keystore_client *c);

/*
 * Send request (an object with "op") and return the whole response object (*ret,
 * new reference) whether ok or not.  0 unless the exchange itself failed.
 */
int bh_keystore_call(const struct bh_keystore_client *c, const json_t *request, json_t **ret)
	__attribute__((warn_unused_result));

/* The host wallet address. */
int bh_keystore_address(const struct bh_keystore_client *c, uint8_t ret_addr[static 20],
			struct bh_msg *msg) __attribute__((warn_unused_result));

/* The address plus the server ECIES and TLS public keys (uncompressed, 65 bytes). */
int bh_keystore_pubkeys(const struct bh_keystore_client *c, uint8_t ret_addr[static 20],
			uint8_t ret_ecies[static 65], uint8_t ret_tls[static 65],
			struct bh_msg *msg) __attribute__((warn_unused_result));

/* An EIP-1559 transaction from unsigned fields; the daemon enforces its policy. */
struct bh_keystore_tx {
	uint64_t chain_id;
	uint64_t nonce;
	uint8_t max_priority_fee[32];   /* big-endian wei */
	uint8_t max_fee[32];
	uint64_t gas_limit;
	int has_to;                     /* 0: contract deployment */
	uint8_t to[20];
	uint8_t value[32];
	const uint8_t *data;
	size_t data_len;
};
/* Appends the raw signed transaction to ret_raw; ret_hash = its hash. */
int bh_keystore_sign_tx(const struct bh_keystore_client *c, const struct bh_keystore_tx *tx,
			struct bh_buf *ret_raw, uint8_t ret_hash[static 32], struct bh_msg *msg)
	__attribute__((warn_unused_result));

/* EIP-191 personal_sign of msg bytes: normalized r||s||recid. */
int bh_keystore_personal_sign(const struct bh_keystore_client *c, const void *m, size_t len,
			      uint8_t ret_sig[static 65], struct bh_msg *msg)
	__attribute__((warn_unused_result));

/* ECIES-decrypt with the server key; plaintext appended to ret_plain. */
int bh_keystore_ecies_decrypt(const struct bh_keystore_client *c, const uint8_t *ct, size_t len,
			      struct bh_buf *ret_plain, struct bh_msg *msg)
	__attribute__((warn_unused_result));

/* P-256 ECDSA (DER) over a 32/48/64-byte digest with the TLS key; *ret_len <= 72. */
int bh_keystore_tls_sign(const struct bh_keystore_client *c, const uint8_t *digest, size_t dlen,
			 uint8_t ret_der[static 72], size_t *ret_len, struct bh_msg *msg)
	__attribute__((warn_unused_result));

#endif

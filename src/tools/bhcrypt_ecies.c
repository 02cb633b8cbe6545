/* SPDX-License-Identifier: MIT */
/*
 * bhcrypt: ECIES to a secp256k1 public key (Noble layout): encrypt and decrypt.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bhcrypt_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "eth/ecies.h"

static int cmd_decrypt(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t priv[32], *blob = NULL;
	size_t blen = 0;
	struct bh_buf out;
	int r;

	PARSE(O_PRIVATE_KEY, O_PRIVATE_KEY_FILE, O_CIPHERTEXT);
	REQUIRE(ciphertext, "--ciphertext");
	if (bhcrypt_get_blob(self, "--ciphertext", o.ciphertext, &blob, &blen))
		return 1;
	if (bhcrypt_get_privkey(self, o.private_key_file, o.private_key, "--private-key", priv)) {
		free(blob);
		return 1;
	}
	bh_buf_init(&out, BLOB_MAX);
	r = bh_ecies_decrypt(priv, blob, blen, &out);
	explicit_bzero(priv, sizeof(priv));
	free(blob);
	if (r == BH_ERR_LENGTH)
		r = bhcrypt_error(self, "decryption failed: ciphertext shorter than %d bytes",
		                  BH_ECIES_OVERHEAD);
	else if (r == BH_ERR_FORMAT)
		r = bhcrypt_error(self, "decryption failed: ephemeral key is not a curve point");
	else if (r < 0)
		r = bhcrypt_error(self, "decryption failed: %s", bh_strerror(r));
	else
		r = bhcrypt_finish(self, bhcrypt_write(bh_buf_ptr(&out), bh_buf_len(&out)));
	bh_buf_done(&out);
	return r;
}

static int cmd_encrypt(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t *pub = NULL;
	size_t plen = 0;
	struct bh_buf pt, out;
	int r;

	PARSE(O_PUBKEY, O_PLAINTEXT, O_PLAINTEXT_FILE);
	REQUIRE(pubkey, "--pubkey");
	if (bhcrypt_get_blob(self, "--pubkey", o.pubkey, &pub, &plen))
		return 1;
	bh_buf_init(&pt, BLOB_MAX);
	if (bhcrypt_get_plaintext(self, o.plaintext_file, o.plaintext, &pt)) {
		free(pub);
		bh_buf_done(&pt);
		return 1;
	}
	bh_buf_init(&out, BLOB_MAX + BH_ECIES_OVERHEAD);
	r = bh_ecies_encrypt(pub, plen, bh_buf_ptr(&pt), bh_buf_len(&pt), &out);
	free(pub);
	bh_buf_done(&pt);
	if (r == BH_ERR_LENGTH || r == BH_ERR_FORMAT)
		r = bhcrypt_error(self, "--pubkey: not a secp256k1 public key (65 bytes 04||X||Y or "
		                  "33 bytes compressed): %s", bh_strerror(r));
	else if (r < 0)
		r = bhcrypt_error(self, "encryption failed: %s", bh_strerror(r));
	else
		r = bhcrypt_finish(self, bhcrypt_out_hex(bh_buf_ptr(&out), bh_buf_len(&out), true, NULL));
	bh_buf_done(&out);
	return r;
}

const struct bhcrypt_cmd bhcrypt_cmd_encrypt = {
	.name = "encrypt",
	.summary = "ECIES (Noble layout) to a secp256k1 public key",
	.usage =
		"usage: bhcrypt encrypt --pubkey <04... or 02/03...>\n"
		"                       (--plaintext-file <path|-> | --plaintext <text>)\n"
		"  Print 0x + hex(E(65) || IV(12) || ciphertext || tag(16)) (no newline);\n"
		"  key = HKDF-SHA256(X of e*Pub, no salt, no info), AES-256-GCM.\n",
	.run = cmd_encrypt,
};

const struct bhcrypt_cmd bhcrypt_cmd_decrypt = {
	.name = "decrypt",
	.summary = "ECIES (Noble layout) decryption with the server key",
	.usage =
		"usage: bhcrypt decrypt (--private-key-file <path> | --private-key <hex>) --ciphertext <hex>\n"
		"  Print the plaintext exactly (no newline added).  Exit 1 if the blob is shorter\n"
		"  than 93 bytes, E is not a curve point, or the tag does not verify.\n",
	.run = cmd_decrypt,
};

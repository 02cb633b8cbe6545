/* SPDX-License-Identifier: MIT */
/*
 * bhcrypt: the NFT symmetric format (upstream.md §1.3): encrypt-symmetric and
 * decrypt-symmetric, AES-256-GCM with key = keccak256(a 65-byte wallet signature).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bhcrypt_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "eth/ecies.h"

static int cmd_encrypt_symmetric(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t sig[65];
	struct bh_buf pt, out;
	int r;

	PARSE(O_SIGNATURE, O_SIGNATURE_FILE, O_PLAINTEXT, O_PLAINTEXT_FILE);
	if (bhcrypt_both_stdin(self, o.signature_file, o.plaintext_file))
		return 1;
	if (bhcrypt_get_secret_sig(self, o.signature_file, o.signature, sig))
		return 1;
	bh_buf_init(&pt, BLOB_MAX);
	if (bhcrypt_get_plaintext(self, o.plaintext_file, o.plaintext, &pt)) {
		explicit_bzero(sig, sizeof(sig));
		bh_buf_done(&pt);
		return 1;
	}
	bh_buf_init(&out, BLOB_MAX + BH_SYM_OVERHEAD);
	r = bh_sym_encrypt(sig, bh_buf_ptr(&pt), bh_buf_len(&pt), &out);
	explicit_bzero(sig, sizeof(sig));
	bh_buf_done(&pt);
	if (r < 0) {
		bh_buf_done(&out);
		return bhcrypt_error(self, "encryption failed: %s", bh_strerror(r));
	}
	r = bhcrypt_out_hex(bh_buf_ptr(&out), bh_buf_len(&out), true, NULL);
	bh_buf_done(&out);
	return bhcrypt_finish(self, r);
}

static int cmd_decrypt_symmetric(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t sig[65], *blob = NULL;
	size_t blen = 0;
	struct bh_buf out;
	int r;

	PARSE(O_SIGNATURE, O_SIGNATURE_FILE, O_CIPHERTEXT);
	REQUIRE(ciphertext, "--ciphertext");
	if (bhcrypt_get_secret_sig(self, o.signature_file, o.signature, sig))
		return 1;
	if (bhcrypt_get_blob(self, "--ciphertext", o.ciphertext, &blob, &blen)) {
		explicit_bzero(sig, sizeof(sig));
		return 1;
	}
	bh_buf_init(&out, BLOB_MAX);
	r = bh_sym_decrypt(sig, blob, blen, &out);
	explicit_bzero(sig, sizeof(sig));
	free(blob);
	if (r == BH_ERR_LENGTH) {
		r = bhcrypt_error(self, "decryption failed: ciphertext shorter than %d bytes",
		                  BH_SYM_OVERHEAD);
	} else if (r < 0) {
		r = bhcrypt_error(self, "decryption failed: %s", bh_strerror(r));
	} else {
		r = bhcrypt_finish(self, bhcrypt_write(bh_buf_ptr(&out), bh_buf_len(&out)));
	}
	bh_buf_done(&out);
	return r;
}

const struct bhcrypt_cmd bhcrypt_cmd_encrypt_symmetric = {
	.name = "encrypt-symmetric",
	.summary = "AES-GCM with key = keccak256(signature)",
	.usage =
		"usage: bhcrypt encrypt-symmetric (--signature-file <path|-> | --signature <hex>)\n"
		"                                 (--plaintext-file <path|-> | --plaintext <text>)\n"
		"  key = keccak256(the 65 signature bytes as given), AES-256-GCM, random 12-byte nonce.\n"
		"  Print 0x + hex(nonce || ciphertext || tag) (no newline).  The signature is key\n"
		"  material: --signature and --plaintext put secrets in argv (visible to other users)\n"
		"  and warn; prefer the -file forms ('-' = standard input; the plaintext file is\n"
		"  taken byte for byte; the signature file must not be group/world-writable).\n",
	.run = cmd_encrypt_symmetric,
};

const struct bhcrypt_cmd bhcrypt_cmd_decrypt_symmetric = {
	.name = "decrypt-symmetric",
	.summary = "inverse of encrypt-symmetric",
	.usage =
		"usage: bhcrypt decrypt-symmetric (--signature-file <path|-> | --signature <hex>)\n"
		"                                 --ciphertext <hex>\n"
		"  Print the plaintext exactly (no newline added).  Exit 1 \"decryption failed\" if\n"
		"  the tag does not verify or the ciphertext is shorter than 28 bytes.\n",
	.run = cmd_decrypt_symmetric,
};

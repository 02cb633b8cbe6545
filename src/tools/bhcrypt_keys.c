/* SPDX-License-Identifier: MIT */
/*
 * bhcrypt: keys, addresses and hashes: generate-keypair, derive-pubkey, key-to-address,
 * keccak, checksum.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bhcrypt_int.h"
#include "core/err.h"
#include "core/hex.h"
#include "eth/eth.h"
#include "eth/keccak.h"
#include "eth/secp.h"

static int cmd_generate_keypair(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t priv[32], pub[65];
	char h[131];
	int r;

	PARSE(O_SHOW_PUBKEY);
	if ((r = bh_secp_keygen(priv)) < 0 || (r = bh_secp_pubkey(priv, pub)) < 0) {
		explicit_bzero(priv, sizeof(priv));
		return bhcrypt_error(self, "key generation failed: %s", bh_strerror(r));
	}
	bh_hex_encode(priv, 32, h);
	r = bhcrypt_write(h, 64);
	explicit_bzero(h, sizeof(h));
	explicit_bzero(priv, sizeof(priv));
	if (r == 0 && o.show_pubkey) {
		bh_hex_encode(pub, 65, h);
		if ((r = bhcrypt_write("\n", 1)) == 0)
			r = bhcrypt_write(h, 130);
	}
	return bhcrypt_finish(self, r);
}

static int cmd_derive_pubkey(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t priv[32], pub[65];
	char h[131];
	int r;

	PARSE(O_PRIVATE_KEY, O_PRIVATE_KEY_FILE);
	if (bhcrypt_get_privkey(self, o.private_key_file, o.private_key, "--private-key", priv))
		return 1;
	r = bh_secp_pubkey(priv, pub);
	explicit_bzero(priv, sizeof(priv));
	if (r < 0)
		return bhcrypt_error(self, "%s", bh_strerror(r));
	bh_hex_encode(pub, 65, h);
	return bhcrypt_finish(self, bhcrypt_write(h, 130));
}

static int cmd_key_to_address(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t priv[32], addr[20];
	int r;

	PARSE(O_KEY, O_KEY_FILE);
	if (bhcrypt_get_privkey(self, o.key_file, o.key, "--key", priv))
		return 1;
	r = bh_eth_address_from_priv(priv, addr);
	explicit_bzero(priv, sizeof(priv));
	if (r < 0)
		return bhcrypt_error(self, "%s", bh_strerror(r));
	r = bhcrypt_write_addr(addr);
	return bhcrypt_finish(self, r);
}

static int cmd_keccak(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 1;
	struct opts o;
	uint8_t d[32], *data = NULL;
	size_t len = 0;

	PARSE(O_HEX);
	if ((o.hex != NULL) == (o.nargs == 1))
		return bhcrypt_usage_error(self, "give either <text> or --hex <0x...>");
	if (o.hex) {
		if (bhcrypt_get_blob(self, "--hex", o.hex, &data, &len))
			return 1;
		bh_keccak256(data, len, d);
		free(data);
	} else {
		bh_keccak256(o.args[0], strlen(o.args[0]), d);
	}
	return bhcrypt_finish(self, bhcrypt_out_hex(d, 32, true, "\n"));
}

static int cmd_checksum(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 1;
	struct opts o;
	uint8_t addr[20];
	int r;

	PARSE(O_HELP);
	if (o.nargs != 1)
		return bhcrypt_usage_error(self, "an address is required");
	r = bh_eth_addr_parse(o.args[0], strlen(o.args[0]), addr);
	if (r == BH_ERR_CHECKSUM)
		return bhcrypt_error(self, "'%s' has mixed case that fails the EIP-55 checksum", o.args[0]);
	if (r < 0)
		return bhcrypt_error(self, "'%s' is not 0x + 40 hex digits: %s", o.args[0], bh_strerror(r));
	r = bhcrypt_write_addr(addr);
	return bhcrypt_finish(self, r);
}

const struct bhcrypt_cmd bhcrypt_cmd_generate_keypair = {
	.name = "generate-keypair",
	.summary = "new secp256k1 private key (64 hex, no newline)",
	.usage =
		"usage: bhcrypt generate-keypair [--show-pubkey]\n"
		"  Print a new private key as 64 hex digits (no 0x, no newline); with --show-pubkey\n"
		"  also a newline and the uncompressed public key (04 + 128 hex, no newline).\n",
	.run = cmd_generate_keypair,
};

const struct bhcrypt_cmd bhcrypt_cmd_derive_pubkey = {
	.name = "derive-pubkey",
	.summary = "uncompressed public key of a private key",
	.usage =
		"usage: bhcrypt derive-pubkey (--private-key-file <path> | --private-key <hex>)\n"
		"  Print the uncompressed public key 04||X||Y as 130 hex digits (no newline).\n"
		"  --private-key puts the key in argv (visible to other users): prefer the file.\n",
	.run = cmd_derive_pubkey,
};

const struct bhcrypt_cmd bhcrypt_cmd_key_to_address = {
	.name = "key-to-address",
	.summary = "EIP-55 address of a private key",
	.usage =
		"usage: bhcrypt key-to-address (--key-file <path> | --key <hex>)\n"
		"  Print the EIP-55 checksummed address (0x + 40 hex) and a newline.\n",
	.run = cmd_key_to_address,
};

const struct bhcrypt_cmd bhcrypt_cmd_keccak = {
	.name = "keccak",
	.summary = "keccak256 of text or hex bytes",
	.usage =
		"usage: bhcrypt keccak [--] <text> | bhcrypt keccak --hex <0x...>\n"
		"  Print 0x + 64 hex digits and a newline.\n",
	.run = cmd_keccak,
};

const struct bhcrypt_cmd bhcrypt_cmd_checksum = {
	.name = "checksum",
	.summary = "EIP-55 form of an address",
	.usage =
		"usage: bhcrypt checksum <0x + 40 hex>\n"
		"  Print the EIP-55 checksummed address and a newline.  Mixed-case input must\n"
		"  already carry a valid checksum.\n",
	.run = cmd_checksum,
};

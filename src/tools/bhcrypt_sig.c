/* SPDX-License-Identifier: MIT */
/*
 * bhcrypt: EIP-191 personal_sign signatures: sign, recover, verify.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bhcrypt_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "eth/eth.h"
#include "eth/secp.h"

static int parse_sig_text(const struct bhcrypt_cmd *self, const char *s, size_t len,
                          uint8_t sig[static 65])
{
	int r = bh_sig_parse_hex(s, len, sig);

	switch (r) {
	case 0: return 0;
	case BH_ERR_LENGTH:
		return bhcrypt_error(self, "--signature: expected 0x + 130 hex digits");
	case BH_ERR_HEX: return bhcrypt_error(self, "--signature: invalid hex");
	case BH_ERR_RECOVERY_ID:
		return bhcrypt_error(self, "--signature: v must be 0, 1, 27, 28 or >= 35");
	case BH_ERR_HIGH_S:
		return bhcrypt_error(self, "--signature: s is in the upper half (non-canonical, EIP-2)");
	default: return bhcrypt_error(self, "--signature: %s", bh_strerror(r));
	}
}

/* A personal_sign signature (public, no warning) from --signature-file or --signature. */
static int parse_sig_arg(const struct bhcrypt_cmd *self, const char *file, const char *arg,
                         uint8_t sig[static 65])
{
	struct bh_buf b;
	int r;

	bh_buf_init(&b, KEYFILE_MAX);
	r = bhcrypt_get_sig_text(self, file, arg, false, &b);
	if (r == 0)
		r = parse_sig_text(self, (const char *)bh_buf_ptr(&b), bh_buf_len(&b), sig);
	bh_buf_done(&b);
	return r;
}

static int cmd_recover(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t sig[65], d[32], addr[20];
	int r;

	PARSE(O_MESSAGE, O_SIGNATURE, O_SIGNATURE_FILE);
	REQUIRE(message, "--message");
	if (parse_sig_arg(self, o.signature_file, o.signature, sig))
		return 1;
	bh_eth_personal_digest(o.message, strlen(o.message), d);
	if ((r = bh_secp_recover_address(d, sig, addr)) < 0)
		return bhcrypt_error(self, "no public key recovers from this signature: %s",
		                     bh_strerror(r));
	r = bhcrypt_write_addr(addr);
	return bhcrypt_finish(self, r);
}

static int cmd_verify(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t sig[65], addr[20];
	int r;

	PARSE(O_MESSAGE, O_SIGNATURE, O_SIGNATURE_FILE, O_ADDRESS);
	REQUIRE(message, "--message");
	REQUIRE(address, "--address");
	if ((r = bh_eth_addr_parse(o.address, strlen(o.address), addr)) < 0)
		return bhcrypt_error(self, "--address: %s", bh_strerror(r));
	if (parse_sig_arg(self, o.signature_file, o.signature, sig))
		return 1;
	r = bh_eth_verify_personal(o.message, strlen(o.message), sig, addr);
	if (r == BH_ERR_MISMATCH)
		return bhcrypt_error(self, "signature is not by %s", o.address);
	if (r < 0)
		return bhcrypt_error(self, "%s", bh_strerror(r));
	return 0;
}

static int cmd_sign(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t priv[32], sig[65];
	char s[BH_SIG_STR_LEN + 1];
	int r;

	PARSE(O_PRIVATE_KEY, O_PRIVATE_KEY_FILE, O_MESSAGE);
	REQUIRE(message, "--message");
	if (bhcrypt_get_privkey(self, o.private_key_file, o.private_key, "--private-key", priv))
		return 1;
	r = bh_eth_sign_personal(priv, o.message, strlen(o.message), sig);
	explicit_bzero(priv, sizeof(priv));
	if (r < 0 || (r = bh_sig_format_hex(sig, s)) < 0)
		return bhcrypt_error(self, "signing failed: %s", bh_strerror(r));
	r = bhcrypt_write_line(s);
	return bhcrypt_finish(self, r);
}

const struct bhcrypt_cmd bhcrypt_cmd_sign = {
	.name = "sign",
	.summary = "EIP-191 personal_sign of a message",
	.usage =
		"usage: bhcrypt sign (--private-key-file <path> | --private-key <hex>) --message <text>\n"
		"  Print the RFC 6979 signature as 0x + 130 lower-case hex (v = 27/28) and a newline;\n"
		"  byte-identical to ethers signMessage / anvil personal_sign.\n",
	.run = cmd_sign,
};

const struct bhcrypt_cmd bhcrypt_cmd_recover = {
	.name = "recover",
	.summary = "signer address of an EIP-191 personal_sign signature",
	.usage =
		"usage: bhcrypt recover --message <text> (--signature <hex> | --signature-file <path|->)\n"
		"  Print the EIP-55 address that signed keccak256(\"\\x19Ethereum Signed Message:\\n\"\n"
		"  || len || message), and a newline.  v may be 0/1, 27/28 or EIP-155 (>= 35);\n"
		"  high-S, zero or out-of-range r/s are rejected.\n",
	.run = cmd_recover,
};

const struct bhcrypt_cmd bhcrypt_cmd_verify = {
	.name = "verify",
	.summary = "check an EIP-191 signature against an address",
	.usage =
		"usage: bhcrypt verify --message <text> (--signature <hex> | --signature-file <path|->)\n"
		"                      --address <0x...>\n"
		"  Exit 0 if the signature recovers to the address, 1 otherwise (no output).\n",
	.run = cmd_verify,
};

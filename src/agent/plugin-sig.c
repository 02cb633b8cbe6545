/* SPDX-License-Identifier: MIT */
/*
 * Signed action plugins, part 3: key ids, the one-line key and signature files,
 * and the detached Ed25519 signature over namespace||0x00||manifest
 * (docs/PROTOCOL.plugin section 5).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/err.h"
#include "core/hex.h"
#include "plugin.h"

void bh_plugin_keyid(const uint8_t pk[static 32], uint8_t ret[static BH_PLUGIN_KEYID_LEN])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pk, 32);
	memcpy(ret, h, BH_PLUGIN_KEYID_LEN);
}

/* "<magic> <hex>[ <hex>]\n": fields of exactly the given hex lengths. */
static int parse_line(const uint8_t *data, size_t len, const char *magic, size_t hex1,
		      uint8_t *out1, size_t hex2, uint8_t *out2)
{
	size_t ml = strlen(magic), want = ml + 1 + hex1 + (hex2 ? 1 + hex2 : 0) + 1;
	const char *p = (const char *)data;

	if (len != want)
		return BH_ERR_LENGTH;
	if (memcmp(p, magic, ml) || p[ml] != ' ' || p[len - 1] != '\n')
		return BH_ERR_FORMAT;
	p += ml + 1;
	if (bh_hex_decode_ct(p, hex1, out1, hex1 / 2) < 0)
		return BH_ERR_HEX;
	p += hex1;
	if (hex2) {
		if (*p != ' ')
			return BH_ERR_FORMAT;
		if (bh_hex_decode_ct(p + 1, hex2, out2, hex2 / 2) < 0)
			return BH_ERR_HEX;
	}
	return 0;
}

int bh_plugin_sig_parse(const uint8_t *data, size_t len, uint8_t ret_keyid[static BH_PLUGIN_KEYID_LEN],
			uint8_t ret_sig[static 64])
{
	uint8_t k[BH_PLUGIN_KEYID_LEN], s[64];
	int r = parse_line(data, len, BH_PLUGIN_SIG_MAGIC, 16, k, 128, s);
	if (r < 0)
		return r;
	memcpy(ret_keyid, k, sizeof(k));
	memcpy(ret_sig, s, sizeof(s));
	return 0;
}

int bh_plugin_pub_parse(const uint8_t *data, size_t len, uint8_t ret_pk[static 32])
{
	uint8_t pk[32];
	int r = parse_line(data, len, BH_PLUGIN_PUB_MAGIC, 64, pk, 0, NULL);
	if (r < 0)
		return r;
	memcpy(ret_pk, pk, 32);
	return 0;
}

int bh_plugin_sec_parse(const uint8_t *data, size_t len, uint8_t ret_sk[static 64])
{
	uint8_t sk[64];
	int r = parse_line(data, len, BH_PLUGIN_SEC_MAGIC, 128, sk, 0, NULL);
	if (r == 0)
		memcpy(ret_sk, sk, 64);
	sodium_memzero(sk, sizeof(sk));
	return r;
}

static int signed_message(const uint8_t *manifest, size_t len, uint8_t **ret, size_t *ret_len)
{
	size_t nl = strlen(BH_PLUGIN_NAMESPACE) + 1;
	uint8_t *m;

	if (len > BH_PLUGIN_MANIFEST_MAX)
		return BH_ERR_LIMIT;
	if (!(m = malloc(nl + len + 1)))
		return -ENOMEM;
	memcpy(m, BH_PLUGIN_NAMESPACE, nl); /* includes the 0x00 separator */
	if (len)
		memcpy(m + nl, manifest, len);
	*ret = m;
	*ret_len = nl + len;
	return 0;
}

int bh_plugin_sign(const uint8_t sk[static 64], const uint8_t *manifest, size_t len,
		   uint8_t ret_sig[static 64])
{
	uint8_t *m;
	size_t ml;
	int r;

	if (sodium_init() < 0)
		return BH_ERR_CRYPTO;
	if ((r = signed_message(manifest, len, &m, &ml)) < 0)
		return r;
	r = crypto_sign_detached(ret_sig, NULL, m, ml, sk) == 0 ? 0 : BH_ERR_CRYPTO;
	free(m);
	return r;
}

int bh_plugin_verify(const uint8_t pk[static 32], const uint8_t sig[static 64],
		     const uint8_t *manifest, size_t len)
{
	uint8_t *m;
	size_t ml;
	int r;

	if (sodium_init() < 0)
		return BH_ERR_CRYPTO;
	if ((r = signed_message(manifest, len, &m, &ml)) < 0)
		return r;
	r = crypto_sign_verify_detached(sig, m, ml, pk) == 0 ? 0 : BH_ERR_SIGNATURE;
	free(m);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* secp256k1 for Ethereum (see secp.h). */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "core/err.h"
#include "eth/keccak.h"
#include "eth/secp.h"

/* The group order n and floor(n/2), big-endian. */
static const uint8_t secp_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
};
static const uint8_t secp_half_n[32] = {
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
};

static secp256k1_context *secp_ctx;
static pthread_once_t secp_once = PTHREAD_ONCE_INIT;

int bh_random_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t k = getrandom(p, n, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return bh_negerrno();
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void secp_init(void)
{
	uint8_t seed[32];
	secp256k1_context *c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);

	if (!c)
		return;
	/* Blinding: without a random seed the context still works, but we insist. */
	if (bh_random_bytes(seed, sizeof(seed)) < 0 || !secp256k1_context_randomize(c, seed)) {
		secp256k1_context_destroy(c);
		explicit_bzero(seed, sizeof(seed));
		return;
	}
	explicit_bzero(seed, sizeof(seed));
	secp_ctx = c;
}

const void *bh_secp_context(void)
{
	(void)pthread_once(&secp_once, secp_init);
	return secp_ctx;
}

static const secp256k1_context *ctx(void)
{
	return bh_secp_context();
}

/* Big-endian 256-bit compare (public values only: not constant-time). */
static int cmp256(const uint8_t a[static 32], const uint8_t b[static 32])
{
	return memcmp(a, b, 32);
}

static bool is_zero256(const uint8_t a[static 32])
{
	uint8_t acc = 0;
	for (size_t i = 0; i < 32; i++)
		acc |= a[i];
	return acc == 0;
}

int bh_secp_sig_check(const uint8_t sig[static 65])
{
	const uint8_t *r = sig, *s = sig + 32;

	if (is_zero256(r) || is_zero256(s) || cmp256(r, secp_n) >= 0 || cmp256(s, secp_n) >= 0)
		return BH_ERR_SIGNATURE;
	if (cmp256(s, secp_half_n) > 0)
		return BH_ERR_HIGH_S;
	if (sig[64] > 1)
		return BH_ERR_RECOVERY_ID;
	return 0;
}

int bh_secp_privkey_check(const uint8_t priv[static 32])
{
	const secp256k1_context *c = ctx();
	if (!c)
		return BH_ERR_CRYPTO;
	return secp256k1_ec_seckey_verify(c, priv) ? 0 : BH_ERR_RANGE;
}

int bh_secp_keygen(uint8_t ret_priv[static 32])
{
	uint8_t k[32];
	int r;

	for (int tries = 0; tries < 64; tries++) {
		if ((r = bh_random_bytes(k, sizeof(k))) < 0)
			goto out;
		if (bh_secp_privkey_check(k) == 0) {
			memcpy(ret_priv, k, 32);
			r = 0;
			goto out;
		}
	}
	r = BH_ERR_CRYPTO; /* probability ~2^-8000: the RNG is broken */
out:
	explicit_bzero(k, sizeof(k));
	return r;
}

int bh_secp_sign(const uint8_t priv[static 32], const uint8_t digest[static 32],
                 uint8_t ret_sig[static 65])
{
	const secp256k1_context *c = ctx();
	secp256k1_ecdsa_recoverable_signature rs;
	uint8_t out[64];
	int recid = 0, r = BH_ERR_INTERNAL;

	if (!c)
		return BH_ERR_CRYPTO;
	if (!secp256k1_ec_seckey_verify(c, priv))
		return BH_ERR_RANGE;
	/* NULL nonce function = RFC 6979 (HMAC-SHA256); output s is always low. */
	if (!secp256k1_ecdsa_sign_recoverable(c, &rs, digest, priv, NULL, NULL)) {
		r = BH_ERR_CRYPTO;
		goto out;
	}
	if (!secp256k1_ecdsa_recoverable_signature_serialize_compact(c, out, &recid, &rs) ||
	    recid < 0 || recid > 1) {
		/* recid 2/3 needs r >= p - n: probability ~2^-127; never emit such a signature */
		r = BH_ERR_CRYPTO;
		goto out;
	}
	memcpy(ret_sig, out, 64);
	ret_sig[64] = (uint8_t)recid;
	r = 0;
out:
	explicit_bzero(&rs, sizeof(rs));
	return r;
}

/* pk as 04||X||Y (every public key leaves this layer uncompressed). */
static int serialize_uncompressed(const secp256k1_context *c, const secp256k1_pubkey *pk,
				  uint8_t ret_pub[static 65])
{
	uint8_t out[65];
	size_t outlen = sizeof(out);

	if (!secp256k1_ec_pubkey_serialize(c, out, &outlen, pk, SECP256K1_EC_UNCOMPRESSED) ||
	    outlen != 65)
		return BH_ERR_CRYPTO;
	memcpy(ret_pub, out, 65);
	return 0;
}

/* Ethereum address: the last 20 bytes of keccak256(X||Y). */
static void address_of(const uint8_t pub[static 65], uint8_t ret_addr[static 20])
{
	uint8_t h[32];

	bh_keccak256(pub + 1, 64, h);
	memcpy(ret_addr, h + 12, 20);
}

int bh_secp_recover_pubkey(const uint8_t digest[static 32], const uint8_t sig[static 65],
                           uint8_t ret_pub[static 65])
{
	const secp256k1_context *c = ctx();
	secp256k1_ecdsa_recoverable_signature rs;
	secp256k1_pubkey pk;
	int r;

	if (!c)
		return BH_ERR_CRYPTO;
	if ((r = bh_secp_sig_check(sig)) < 0)
		return r;
	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(c, &rs, sig, sig[64]))
		return BH_ERR_SIGNATURE;
	if (!secp256k1_ecdsa_recover(c, &pk, &rs, digest))
		return BH_ERR_SIGNATURE;
	return serialize_uncompressed(c, &pk, ret_pub);
}

int bh_secp_recover_address(const uint8_t digest[static 32], const uint8_t sig[static 65],
                            uint8_t ret_addr[static 20])
{
	uint8_t pub[65];
	int r;

	if ((r = bh_secp_recover_pubkey(digest, sig, pub)) < 0)
		return r;
	address_of(pub, ret_addr);
	return 0;
}

int bh_secp_pubkey(const uint8_t priv[static 32], uint8_t ret_pub[static 65])
{
	const secp256k1_context *c = ctx();
	secp256k1_pubkey pk;

	if (!c)
		return BH_ERR_CRYPTO;
	if (!secp256k1_ec_pubkey_create(c, &pk, priv))
		return BH_ERR_RANGE;
	return serialize_uncompressed(c, &pk, ret_pub);
}

int bh_secp_pubkey_parse(const uint8_t *in, size_t len, uint8_t ret_pub[static 65])
{
	const secp256k1_context *c = ctx();
	secp256k1_pubkey pk;

	if (!c)
		return BH_ERR_CRYPTO;
	if (len != 33 && len != 65)
		return BH_ERR_LENGTH;
	/* libsecp256k1 also accepts the "hybrid" 06/07 prefixes: we do not. */
	if ((len == 65 && in[0] != 0x04) || (len == 33 && in[0] != 0x02 && in[0] != 0x03))
		return BH_ERR_FORMAT;
	if (!secp256k1_ec_pubkey_parse(c, &pk, in, len))
		return BH_ERR_FORMAT;
	return serialize_uncompressed(c, &pk, ret_pub);
}

int bh_eth_address_from_pubkey(const uint8_t pub[static 65], uint8_t ret_addr[static 20])
{
	uint8_t norm[65];
	int r;

	if ((r = bh_secp_pubkey_parse(pub, 65, norm)) < 0)
		return r;
	address_of(norm, ret_addr);
	return 0;
}

int bh_eth_address_from_priv(const uint8_t priv[static 32], uint8_t ret_addr[static 20])
{
	uint8_t pub[65];
	int r;

	if ((r = bh_secp_pubkey(priv, pub)) < 0)
		return r;
	return bh_eth_address_from_pubkey(pub, ret_addr);
}

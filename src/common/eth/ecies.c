/* SPDX-License-Identifier: MIT */
/* ECIES (Noble layout) and signature-derived symmetric encryption (see ecies.h). */
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>

#include "eth/ecies.h"
#include "core/err.h"
#include "eth/keccak.h"
#include "eth/secp.h"

int bh_aes256gcm_encrypt(const uint8_t key[static 32], const uint8_t iv[static 12],
                         const uint8_t *pt, size_t ptlen, struct bh_buf *out)
{
	EVP_CIPHER_CTX *c = NULL;
	size_t start = bh_buf_len(out);
	uint8_t *p, finbuf[32];
	int n = 0, fin = 0, r;

	if (ptlen > INT_MAX - BH_GCM_TAG_LEN)
		return BH_ERR_LIMIT;
	if ((r = bh_buf_reserve(out, ptlen + BH_GCM_TAG_LEN, &p)) < 0)
		return r;
	r = BH_ERR_CRYPTO;
	if (!(c = EVP_CIPHER_CTX_new()) ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, BH_GCM_IV_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(c, NULL, NULL, key, iv) != 1)
		goto out;
	if (ptlen > 0 && EVP_EncryptUpdate(c, p, &n, pt, (int)ptlen) != 1)
		goto out;
	/* GCM's final step emits no bytes; a scratch buffer keeps pointer arithmetic defined */
	if (EVP_EncryptFinal_ex(c, finbuf, &fin) != 1 || (size_t)n + (size_t)fin != ptlen ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, BH_GCM_TAG_LEN, p + ptlen) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c); /* wipes the key schedule */
	if (r < 0)
		(void)bh_buf_truncate(out, start);
	return r;
}

int bh_aes256gcm_decrypt(const uint8_t key[static 32], const uint8_t iv[static 12],
                         const uint8_t *ct_tag, size_t len, struct bh_buf *ret_plain)
{
	EVP_CIPHER_CTX *c = NULL;
	size_t start = bh_buf_len(ret_plain), ctlen;
	uint8_t *p = NULL, tag[BH_GCM_TAG_LEN], finbuf[32];
	int n = 0, fin = 0, r;

	if (len < BH_GCM_TAG_LEN)
		return BH_ERR_LENGTH;
	ctlen = len - BH_GCM_TAG_LEN;
	if (ctlen > INT_MAX)
		return BH_ERR_LIMIT;
	memcpy(tag, ct_tag + ctlen, sizeof(tag));
	/* an empty plaintext reserves nothing (and a fresh buffer has no storage yet) */
	if (ctlen > 0 && (r = bh_buf_reserve(ret_plain, ctlen, &p)) < 0)
		return r;
	r = BH_ERR_CRYPTO;
	if (!(c = EVP_CIPHER_CTX_new()) ||
	    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, BH_GCM_IV_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(c, NULL, NULL, key, iv) != 1)
		goto out;
	if (ctlen > 0 && EVP_DecryptUpdate(c, p, &n, ct_tag, (int)ctlen) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, BH_GCM_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(c, finbuf, &fin) != 1) {
		r = BH_ERR_DECRYPT;
		goto out;
	}
	if ((size_t)n + (size_t)fin != ctlen)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	if (r < 0)
		(void)bh_buf_truncate(ret_plain, start); /* wipes unauthenticated plaintext */
	return r;
}

/* libsecp256k1 ECDH "hash": the X coordinate as is (Noble getSharedSecret()[1:33]). */
static int ecdh_x_only(unsigned char *output, const unsigned char *x32,
                       const unsigned char *y32, void *data)
{
	(void)y32;
	(void)data;
	memcpy(output, x32, 32);
	return 1;
}

/* key = HKDF-SHA256(IKM = shared_x, salt = "", info = "", L = 32). */
static int hkdf_sha256(const uint8_t ikm[static 32], uint8_t ret_key[static 32])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[3];
	char digest[] = "SHA256";
	int r = BH_ERR_CRYPTO;

	if (!kdf || !(kctx = EVP_KDF_CTX_new(kdf)))
		goto out;
	/* no salt parameter: RFC 5869 then uses HashLen zero bytes; no info */
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, 32);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, ret_key, 32, params) != 1)
		goto out;
	r = 0;
out:
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return r;
}

/* shared X of scalar*point, then the HKDF key. */
static int ecies_key(const uint8_t priv[static 32], const uint8_t pub65[static 65],
                     uint8_t ret_key[static 32])
{
	const secp256k1_context *c = bh_secp_context();
	secp256k1_pubkey pk;
	uint8_t shared[32];
	int r = BH_ERR_INTERNAL;

	if (!c)
		return BH_ERR_CRYPTO;
	if (pub65[0] != 0x04 || !secp256k1_ec_pubkey_parse(c, &pk, pub65, 65))
		return BH_ERR_FORMAT;
	if (!secp256k1_ecdh(c, shared, &pk, priv, ecdh_x_only, NULL)) {
		r = BH_ERR_RANGE; /* priv zero or >= n */
		goto out;
	}
	r = hkdf_sha256(shared, ret_key);
out:
	explicit_bzero(shared, sizeof(shared));
	explicit_bzero(&pk, sizeof(pk));
	return r;
}

int bh_ecies_encrypt(const uint8_t *pub, size_t publen, const uint8_t *pt, size_t ptlen,
                     struct bh_buf *out)
{
	uint8_t recip[65], eph[32], eph_pub[65], key[32], iv[BH_GCM_IV_LEN];
	size_t start = bh_buf_len(out);
	int r;

	if ((r = bh_secp_pubkey_parse(pub, publen, recip)) < 0)
		return r;
	if ((r = bh_secp_keygen(eph)) < 0 || (r = bh_secp_pubkey(eph, eph_pub)) < 0 ||
	    (r = ecies_key(eph, recip, key)) < 0 || (r = bh_random_bytes(iv, sizeof(iv))) < 0)
		goto out;
	if ((r = bh_buf_put(out, eph_pub, sizeof(eph_pub))) < 0 ||
	    (r = bh_buf_put(out, iv, sizeof(iv))) < 0 ||
	    (r = bh_aes256gcm_encrypt(key, iv, pt, ptlen, out)) < 0)
		goto out;
	r = 0;
out:
	if (r < 0)
		(void)bh_buf_truncate(out, start);
	explicit_bzero(eph, sizeof(eph));
	explicit_bzero(key, sizeof(key));
	return r;
}

int bh_ecies_decrypt(const uint8_t priv[static 32], const uint8_t *blob, size_t len,
                     struct bh_buf *ret_plain)
{
	uint8_t key[32];
	int r;

	if (!blob || len < BH_ECIES_OVERHEAD)
		return BH_ERR_LENGTH;
	if ((r = bh_secp_privkey_check(priv)) < 0)
		return r;
	if ((r = ecies_key(priv, blob, key)) < 0)
		goto out;
	r = bh_aes256gcm_decrypt(key, blob + BH_ECIES_EPH_LEN, blob + BH_ECIES_EPH_LEN + BH_GCM_IV_LEN,
	                         len - BH_ECIES_EPH_LEN - BH_GCM_IV_LEN, ret_plain);
out:
	explicit_bzero(key, sizeof(key));
	return r;
}

void bh_sym_key_from_signature(const uint8_t sig[static 65], uint8_t ret_key[static 32])
{
	bh_keccak256(sig, 65, ret_key);
}

int bh_sym_encrypt(const uint8_t sig[static 65], const uint8_t *pt, size_t ptlen,
                   struct bh_buf *out)
{
	uint8_t key[32], iv[BH_GCM_IV_LEN];
	size_t start = bh_buf_len(out);
	int r;

	bh_sym_key_from_signature(sig, key);
	if ((r = bh_random_bytes(iv, sizeof(iv))) < 0)
		goto out;
	if ((r = bh_buf_put(out, iv, sizeof(iv))) < 0 ||
	    (r = bh_aes256gcm_encrypt(key, iv, pt, ptlen, out)) < 0) {
		(void)bh_buf_truncate(out, start);
		goto out;
	}
	r = 0;
out:
	explicit_bzero(key, sizeof(key));
	return r;
}

int bh_sym_decrypt(const uint8_t sig[static 65], const uint8_t *blob, size_t len,
                   struct bh_buf *ret_plain)
{
	uint8_t key[32];
	int r;

	if (!blob || len < BH_SYM_OVERHEAD)
		return BH_ERR_LENGTH;
	bh_sym_key_from_signature(sig, key);
	r = bh_aes256gcm_decrypt(key, blob, blob + BH_GCM_IV_LEN, len - BH_GCM_IV_LEN, ret_plain);
	explicit_bzero(key, sizeof(key));
	return r;
}

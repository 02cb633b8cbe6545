/* SPDX-License-Identifier: MIT */
/*
 * Fuzz ECIES decryption with a fixed server key (anvil's first dev key, so seeds
 * made by noble for that key decrypt), and encrypt->decrypt of the input as
 * plaintext.  Invariants: nothing is appended on failure; errors are the
 * documented ones; a round trip returns the input.  The same operations into an output
 * buffer whose cap (from byte 0) is too small, and decryption under the input's first 32
 * bytes as the private key, fail cleanly: the buffer's earlier content is left as it was;
 * so do both directions when one of their OpenSSL/libsecp256k1/getrandom calls fails
 * (fault injection, below).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>

#include "core/buf.h"
#include "eth/ecies.h"
#include "core/err.h"
#include "eth/secp.h"

/*
 * Fault injection: the OpenSSL and libsecp256k1 calls ecies.c makes, and getrandom, are
 * interposed here (the real ones found with dlsym(RTLD_NEXT)).  Armed with n, the n-th of
 * those calls fails the way its library documents failure (NULL, 0, -1 with EIO); every
 * operation must then fail with BH_ERR_CRYPTO/BH_ERR_RANGE or the errno, leaving the
 * output buffer as it was.
 */
static const uint8_t key[32] = {
	0xac, 0x09, 0x74, 0xbe, 0xc3, 0x9a, 0x17, 0xe3, 0x6b, 0xa4, 0xa6, 0xb4, 0xd2, 0x38, 0xff, 0x94,
	0x4b, 0xac, 0xb4, 0x78, 0xcb, 0xed, 0x5e, 0xfc, 0xae, 0x78, 0x4d, 0x7b, 0xf4, 0xf2, 0xff, 0x80,
};

static int fault_at = -1;  /* -1: off */
static bool fault_hit;
static bool fail_now(void)
{
	if (fault_at < 0 || fault_at-- != 0)
		return false;
	fault_hit = true;
	return true;
}
#define REAL(name) \
	static __typeof__(name) *real_; \
	if (!real_ && !(real_ = (__typeof__(name) *)dlsym(RTLD_NEXT, #name))) \
		abort()

EVP_CIPHER_CTX *EVP_CIPHER_CTX_new(void)
{
	REAL(EVP_CIPHER_CTX_new);
	return fail_now() ? NULL : real_();
}
int EVP_EncryptInit_ex(EVP_CIPHER_CTX *c, const EVP_CIPHER *t, ENGINE *e, const unsigned char *k,
                       const unsigned char *iv)
{
	REAL(EVP_EncryptInit_ex);
	return fail_now() ? 0 : real_(c, t, e, k, iv);
}
int EVP_DecryptInit_ex(EVP_CIPHER_CTX *c, const EVP_CIPHER *t, ENGINE *e, const unsigned char *k,
                       const unsigned char *iv)
{
	REAL(EVP_DecryptInit_ex);
	return fail_now() ? 0 : real_(c, t, e, k, iv);
}
int EVP_CIPHER_CTX_ctrl(EVP_CIPHER_CTX *c, int type, int arg, void *ptr)
{
	REAL(EVP_CIPHER_CTX_ctrl);
	return fail_now() ? 0 : real_(c, type, arg, ptr);
}
int EVP_EncryptUpdate(EVP_CIPHER_CTX *c, unsigned char *out, int *outl, const unsigned char *in,
                      int inl)
{
	REAL(EVP_EncryptUpdate);
	return fail_now() ? 0 : real_(c, out, outl, in, inl);
}
int EVP_DecryptUpdate(EVP_CIPHER_CTX *c, unsigned char *out, int *outl, const unsigned char *in,
                      int inl)
{
	REAL(EVP_DecryptUpdate);
	return fail_now() ? 0 : real_(c, out, outl, in, inl);
}
int EVP_EncryptFinal_ex(EVP_CIPHER_CTX *c, unsigned char *out, int *outl)
{
	REAL(EVP_EncryptFinal_ex);
	return fail_now() ? 0 : real_(c, out, outl);
}
EVP_KDF *EVP_KDF_fetch(OSSL_LIB_CTX *l, const char *alg, const char *props)
{
	REAL(EVP_KDF_fetch);
	return fail_now() ? NULL : real_(l, alg, props);
}
EVP_KDF_CTX *EVP_KDF_CTX_new(EVP_KDF *kdf)
{
	REAL(EVP_KDF_CTX_new);
	return fail_now() ? NULL : real_(kdf);
}
int EVP_KDF_derive(EVP_KDF_CTX *c, unsigned char *k, size_t keylen, const OSSL_PARAM params[])
{
	REAL(EVP_KDF_derive);
	return fail_now() ? 0 : real_(c, k, keylen, params);
}
int secp256k1_ecdh(const secp256k1_context *c, unsigned char *out, const secp256k1_pubkey *pk,
                   const unsigned char *sk, secp256k1_ecdh_hash_function f, void *d)
{
	REAL(secp256k1_ecdh);
	return fail_now() ? 0 : real_(c, out, pk, sk, f, d);
}
int secp256k1_ec_pubkey_create(const secp256k1_context *c, secp256k1_pubkey *pk,
                               const unsigned char *sk)
{
	REAL(secp256k1_ec_pubkey_create);
	return fail_now() ? 0 : real_(c, pk, sk);
}
ssize_t getrandom(void *buf, size_t n, unsigned flags)
{
	REAL(getrandom);
	if (fail_now()) {
		errno = EIO;
		return -1;
	}
	return real_(buf, n, flags);
}

/* one operation with the n-th library call failing: an error, the buffer as it was */
static void faulty(const uint8_t pub[65], const uint8_t *data, size_t size, int n, bool enc)
{
	struct bh_buf b;
	bh_buf_init(&b, 1 << 16);
	(void)bh_buf_put_u8(&b, 0x5a);
	fault_hit = false;
	fault_at = n;
	int r = enc ? bh_ecies_encrypt(pub, 65, data, size, &b)
	            : bh_ecies_decrypt(key, data, size, &b);
	fault_at = -1;
	if (fault_hit && (r == 0 || bh_buf_len(&b) != 1))
		abort();
	bh_buf_done(&b);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf out, ct;
	uint8_t pub[65];
	int r;

	bh_buf_init(&out, 1 << 16);
	r = bh_ecies_decrypt(key, data, size, &out);
	if (r == 0) {
		if (bh_buf_len(&out) != size - BH_ECIES_OVERHEAD)
			abort();
	} else {
		if (bh_buf_len(&out) != 0)
			abort();
		if (r != BH_ERR_LENGTH && r != BH_ERR_FORMAT && r != BH_ERR_DECRYPT && r != BH_ERR_LIMIT)
			abort();
	}
	bh_buf_done(&out);

	if (size > 4096)
		return 0;
	if (bh_secp_pubkey(key, pub) != 0)
		abort();
	bh_buf_init(&ct, 1 << 16);
	bh_buf_init(&out, 1 << 16);
	if (bh_ecies_encrypt(pub, sizeof(pub), data, size, &ct) != 0)
		abort();
	if (bh_ecies_decrypt(key, bh_buf_ptr(&ct), bh_buf_len(&ct), &out) != 0 ||
	    bh_buf_len(&out) != size || (size && memcmp(bh_buf_ptr(&out), data, size)))
		abort();
	bh_buf_done(&ct);
	bh_buf_done(&out);
	/* a small output cap: works, or fails with BH_ERR_LIMIT and the sentinel alone */
	if (size >= 1) {
		size_t cap = 1 + data[0] % 160;
		bh_buf_init(&ct, cap);
		(void)bh_buf_put_u8(&ct, 0x5a);
		r = bh_ecies_encrypt(pub, sizeof(pub), data, size, &ct);
		if (r != 0 && (r != BH_ERR_LIMIT || bh_buf_len(&ct) != 1 || bh_buf_ptr(&ct)[0] != 0x5a))
			abort();
		bh_buf_done(&ct);
		bh_buf_init(&ct, 1 << 16);
		bh_buf_init(&out, cap);
		(void)bh_buf_put_u8(&out, 0x5a);
		if (bh_ecies_encrypt(pub, sizeof(pub), data, size, &ct) != 0)
			abort();
		r = bh_ecies_decrypt(key, bh_buf_ptr(&ct), bh_buf_len(&ct), &out);
		if (r != 0 && (r != BH_ERR_LIMIT || bh_buf_len(&out) != 1))
			abort();
		bh_buf_done(&out);
		/* the symmetric layer alone, same cap */
		uint8_t k2[32], iv[12] = { 0 };
		memset(k2, data[0], sizeof(k2));
		bh_buf_init(&out, cap);
		r = bh_aes256gcm_encrypt(k2, iv, data, size, &out);
		if (r != 0 && (r != BH_ERR_LIMIT || bh_buf_len(&out) != 0))
			abort();
		if (r == 0) {
			struct bh_buf pt;
			bh_buf_init(&pt, cap);
			r = bh_aes256gcm_decrypt(k2, iv, bh_buf_ptr(&out), bh_buf_len(&out), &pt);
			if (r != 0 && (r != BH_ERR_LIMIT || bh_buf_len(&pt) != 0))
				abort();
			bh_buf_done(&pt);
		}
		bh_buf_done(&out);
		bh_buf_done(&ct);
	}
	/* the input itself as an AES-GCM ciphertext and tag under a fixed key: a short one is
	 * BH_ERR_LENGTH, anything else fails authentication (nothing appended) */
	{
		uint8_t k3[32] = { 7 }, iv3[12] = { 9 };
		bh_buf_init(&out, 1 << 16);
		r = bh_aes256gcm_decrypt(k3, iv3, data, size, &out);
		if (size < BH_GCM_TAG_LEN ? r != BH_ERR_LENGTH : (r != BH_ERR_DECRYPT || bh_buf_len(&out)))
			abort();
		bh_buf_done(&out);
	}
	/* the signature-keyed layer (bh_sym_*) with the input's first 65 bytes as the
	 * signature, into a small cap: works and decrypts back, or fails leaving nothing */
	if (size >= 65) {
		size_t cap = 1 + data[64] % 96;
		bh_buf_init(&ct, cap);
		r = bh_sym_encrypt(data, data + 65, size - 65, &ct);
		if (r == 0) {
			bh_buf_init(&out, 1 << 16);
			if (bh_sym_decrypt(data, bh_buf_ptr(&ct), bh_buf_len(&ct), &out) != 0 ||
			    bh_buf_len(&out) != size - 65 || memcmp(bh_buf_ptr(&out), data + 65, size - 65))
				abort();
			bh_buf_done(&out);
		} else if (r != BH_ERR_LIMIT || bh_buf_len(&ct) != 0) {
			abort();
		}
		bh_buf_done(&ct);
	}
	/* the n-th library call failing, n from byte 0 (encrypt) and byte 1 (decrypt of a
	 * good ciphertext of the rest) */
	if (size >= 2) {
		faulty(pub, data + 2, size - 2, data[0] % 16, true);
		bh_buf_init(&ct, 1 << 16);
		if (bh_ecies_encrypt(pub, sizeof(pub), data + 2, size - 2, &ct) != 0)
			abort();
		faulty(pub, bh_buf_ptr(&ct), bh_buf_len(&ct), data[1] % 16, false);
		bh_buf_done(&ct);
	}
	/* the input's first 32 bytes as the private key */
	if (size >= 32 + BH_ECIES_OVERHEAD) {
		bh_buf_init(&out, 1 << 16);
		r = bh_ecies_decrypt(data, data + 32, size - 32, &out);
		if (r != 0 && bh_buf_len(&out) != 0)
			abort();
		bh_buf_done(&out);
	}
	/* the input as a recipient key: must be rejected cleanly or work */
	bh_buf_init(&ct, 1 << 16);
	r = bh_ecies_encrypt(data, size, (const uint8_t *)"x", 1, &ct);
	if (r != 0 && (r != BH_ERR_LENGTH && r != BH_ERR_FORMAT))
		abort();
	bh_buf_done(&ct);
	return 0;
}

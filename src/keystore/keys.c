/* SPDX-License-Identifier: MIT */
/* The keystore key set: generation, sealing, unsealing, recovery file. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include "blob.h"
#include "core/buf.h"
#include "core/json.h"
#include "keys.h"
#include "core/path.h"
#include "eth/secp.h"

static const char *const key_names[BH_KS_NKEYS] = { "wallet", "server-ecies", "tls" };
static const uint8_t key_types[BH_KS_NKEYS] = { BH_KS_SECP256K1, BH_KS_SECP256K1, BH_KS_P256 };

const char *bh_ks_key_name(enum bh_ks_key k)
{
	return (unsigned)k < BH_KS_NKEYS ? key_names[k] : "?";
}

/* ------------------------------------------------------------------ config */

int bh_ks_tcti_check(const char *tcti, struct bh_msg *msg)
{
	if (!tcti || !*tcti || strlen(tcti) > 256) {
		bh_msg_set(msg, "tcti: empty or longer than 256 bytes");
		return BH_ERR_CONFIG;
	}
	if (strncmp(tcti, "swtpm:", 6) == 0 || strncmp(tcti, "mssim:", 6) == 0) {
		const char *h = strstr(tcti, "host=");
		if (h && (h == tcti + 6 || h[-1] == ',')) {
			h += 5;
			size_t n = strcspn(h, ",");
			if ((n == 9 && !strncmp(h, "127.0.0.1", 9)) || (n == 3 && !strncmp(h, "::1", 3)) ||
			    (n == 9 && !strncmp(h, "localhost", 9)))
				return 0;
		}
		bh_msg_set(msg, "tcti '%s': a network TPM must be on loopback "
			   "(host=127.0.0.1, ::1 or localhost)", tcti);
		return BH_ERR_CONFIG;
	}
	if (strncmp(tcti, "device:", 7) == 0 || strncmp(tcti, "tabrmd", 6) == 0)
		return 0;
	bh_msg_set(msg, "tcti '%s': only device:, tabrmd, swtpm: and mssim: are supported", tcti);
	return BH_ERR_CONFIG;
}

void bh_ks_config_done(struct bh_ks_config *c)
{
	if (!c)
		return;
	free(c->tcti);
	free(c->dir);
	free(c->socket);
	free(c->policy_dir);
	memset(c, 0, sizeof(*c));
}

int bh_ks_config_load(const char *path, struct bh_ks_config *ret, struct bh_msg *msg)
{
	int r;
	char *p = NULL;
	struct bh_ks_config c = { .pcr_mask = BH_TPM_DEFAULT_PCRS };
	struct bh_buf b;
	json_t *root = NULL;
	struct bh_msg jm = { "" };

	bh_buf_init(&b, 64 * 1024);
	if (!path) {
		if ((r = bh_path(BH_DIR_ETC, "keystore.json", &p)) < 0)
			goto out;
		path = p;
	}
	if ((r = bh_path(BH_DIR_STATE, "keystore", &c.dir)) < 0 ||
	    (r = bh_path(BH_DIR_RUN, "keystore.sock", &c.socket)) < 0)
		goto out;
	r = bh_buf_load_file(&b, path);
	if (r == -ENOENT) {
		r = 0;
		if (!(c.tcti = strdup(BH_TPM_DEFAULT_TCTI)))
			r = -ENOMEM;
		if (r == 0)
			goto done;
		goto out;
	}
	if (r < 0) {
		bh_msg_set(msg, "%s: %s", path, bh_strerror(r));
		goto out;
	}
	if (bh_json_load_buf(&b, 64 * 1024, BH_JSON_OBJECT, &root, &jm) < 0) {
		bh_msg_set(msg, "%s: not a JSON object (%s)", path, jm.text);
		r = BH_ERR_CONFIG;
		goto out;
	}
	json_t *v = json_object_get(root, "tcti");
	if (v && !json_is_string(v)) {
		bh_msg_set(msg, "%s: key 'tcti': expected string", path);
		r = BH_ERR_CONFIG;
		goto out;
	}
	c.tcti = strdup(v ? json_string_value(v) : BH_TPM_DEFAULT_TCTI);
	if (!c.tcti) {
		r = -ENOMEM;
		goto out;
	}
	v = json_object_get(root, "pcrs");
	if (v) {
		size_t i;
		json_t *e;
		uint32_t m = 0;
		if (!json_is_array(v) || json_array_size(v) == 0) {
			bh_msg_set(msg, "%s: key 'pcrs': expected a non-empty array of PCR numbers", path);
			r = BH_ERR_CONFIG;
			goto out;
		}
		json_array_foreach(v, i, e) {
			if (!json_is_integer(e) || json_integer_value(e) < 0 ||
			    json_integer_value(e) >= BH_TPM_PCR_COUNT) {
				bh_msg_set(msg, "%s: key 'pcrs[%zu]': expected an integer 0..23", path, i);
				r = BH_ERR_CONFIG;
				goto out;
			}
			m |= 1u << json_integer_value(e);
		}
		c.pcr_mask = m;
	}
done:
	if ((r = bh_ks_tcti_check(c.tcti, msg)) < 0)
		goto out;
	*ret = c;
	memset(&c, 0, sizeof(c));
	r = 0;
out:
	json_decref(root);
	bh_buf_done(&b);
	bh_ks_config_done(&c);
	free(p);
	return r;
}

/* ------------------------------------------------------------------ memory */

struct bh_ks_keys *bh_ks_keys_new(void)
{
	if (sodium_init() < 0)
		return NULL;
	struct bh_ks_keys *k = sodium_malloc(sizeof(*k));
	if (k)
		sodium_memzero(k, sizeof(*k));
	return k;
}

void bh_ks_keys_free(struct bh_ks_keys *k)
{
	if (k) {
		sodium_mprotect_readwrite(k);
		sodium_free(k); /* wipes */
	}
}

void bh_ks_keys_lock(struct bh_ks_keys *k)
{
	if (k)
		sodium_mprotect_noaccess(k);
}

void bh_ks_keys_unlock(struct bh_ks_keys *k)
{
	if (k)
		sodium_mprotect_readwrite(k);
}

/* ------------------------------------------------------------------ P-256 */

/* n of NIST P-256, big-endian. */
static const uint8_t p256_n[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

int bh_ks_p256_check(const uint8_t priv[static 32])
{
	/* constant time in the key bits: 0 < priv < n */
	if (sodium_is_zero(priv, 32))
		return BH_ERR_RANGE;
	/* sodium_compare is little-endian: reverse copies */
	uint8_t a[32], b[32];
	for (int i = 0; i < 32; i++) {
		a[i] = priv[31 - i];
		b[i] = p256_n[31 - i];
	}
	int c = sodium_compare(a, b, 32);
	sodium_memzero(a, sizeof(a));
	return c < 0 ? 0 : BH_ERR_RANGE;
}

int bh_ks_p256_pubkey(const uint8_t priv[static 32], uint8_t ret_pub[static 65])
{
	int r = BH_ERR_CRYPTO;
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;
	BIGNUM *d = NULL;
	BN_CTX *ctx = NULL;
	uint8_t pub[65];

	if ((r = bh_ks_p256_check(priv)) < 0)
		return r;
	r = BH_ERR_CRYPTO;
	if (!(g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) || !(pt = EC_POINT_new(g)) ||
	    !(d = BN_secure_new()) || !(ctx = BN_CTX_new()))
		goto out;
	if (!BN_bin2bn(priv, 32, d) || EC_POINT_mul(g, pt, d, NULL, NULL, ctx) != 1)
		goto out;
	if (EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), ctx) != 65)
		goto out;
	memcpy(ret_pub, pub, 65);
	r = 0;
out:
	BN_clear_free(d);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	BN_CTX_free(ctx);
	return r;
}

int bh_ks_p256_sign(const uint8_t priv[static 32], const uint8_t *digest, size_t dlen,
		    uint8_t *ret_der, size_t *ret_len)
{
	int r = BH_ERR_CRYPTO;
	uint8_t pub[65];
	BIGNUM *d = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *fctx = NULL, *sctx = NULL;
	EVP_PKEY *pkey = NULL;
	uint8_t sig[BH_KS_P256_SIG_MAX];
	size_t siglen = sizeof(sig);

	if (dlen < 20 || dlen > 64)
		return BH_ERR_LENGTH;
	if ((r = bh_ks_p256_pubkey(priv, pub)) < 0)
		return r;
	r = BH_ERR_CRYPTO;
	if (!(d = BN_secure_new()) || !BN_bin2bn(priv, 32, d) || !(bld = OSSL_PARAM_BLD_new()))
		goto out;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)))
		goto out;
	if (!(fctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) || EVP_PKEY_fromdata_init(fctx) != 1 ||
	    EVP_PKEY_fromdata(fctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
		goto out;
	if (!(sctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) || EVP_PKEY_sign_init(sctx) != 1 ||
	    EVP_PKEY_sign(sctx, sig, &siglen, digest, dlen) != 1)
		goto out;
	memcpy(ret_der, sig, siglen);
	*ret_len = siglen;
	r = 0;
out:
	EVP_PKEY_CTX_free(sctx);
	EVP_PKEY_CTX_free(fctx);
	EVP_PKEY_free(pkey);
	OSSL_PARAM_free(params); /* OSSL_PARAM_clear_free is 3.0.? ; params hold a BN copy */
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return r;
}

/* ------------------------------------------------------------------ keys */

int bh_ks_keys_generate(struct bh_ks_keys *k)
{
	int r;
	if ((r = bh_secp_keygen(k->k[BH_KS_WALLET])) < 0 || (r = bh_secp_keygen(k->k[BH_KS_ECIES])) < 0)
		return r;
	for (int tries = 0; tries < 64; tries++) {
		if (getrandom(k->k[BH_KS_TLS], 32, 0) != 32)
			return bh_negerrno();
		if (bh_ks_p256_check(k->k[BH_KS_TLS]) == 0)
			return 0;
	}
	return BH_ERR_CRYPTO;
}

int bh_ks_keys_check(const struct bh_ks_keys *k)
{
	if (bh_secp_privkey_check(k->k[BH_KS_WALLET]) < 0 ||
	    bh_secp_privkey_check(k->k[BH_KS_ECIES]) < 0 || bh_ks_p256_check(k->k[BH_KS_TLS]) < 0)
		return BH_ERR_RANGE;
	return 0;
}

int bh_ks_seal_all(struct bh_tpm *t, int dfd, const char *dir, uint32_t mask,
		   const struct bh_ks_keys *k, uid_t uid, gid_t gid, struct bh_msg *msg)
{
	int r = 0;
	struct bh_ks_blob *b[BH_KS_NKEYS] = { 0 };

	/* seal all first, then write: a TPM failure leaves the old blobs intact */
	for (int i = 0; i < BH_KS_NKEYS; i++) {
		if (!(b[i] = calloc(1, sizeof(*b[i])))) {
			r = -ENOMEM;
			goto out;
		}
		snprintf(b[i]->name, sizeof(b[i]->name), "%s", key_names[i]);
		b[i]->key_type = key_types[i];
		if ((r = bh_tpm_seal(t, mask, k->k[i], 32, &b[i]->sealed, msg)) < 0)
			goto out;
	}
	for (int i = 0; i < BH_KS_NKEYS; i++)
		if ((r = bh_ks_blob_store(dfd, dir, b[i], uid, gid, msg)) < 0)
			goto out;
	r = 0;
out:
	for (int i = 0; i < BH_KS_NKEYS; i++)
		free(b[i]);
	return r;
}

int bh_ks_pcr_changed(struct bh_tpm *t, const struct bh_tpm_sealed *s, uint32_t *ret_changed,
		      struct bh_msg *msg)
{
	uint8_t (*cur)[BH_TPM_DIGEST_LEN] = calloc(BH_TPM_PCR_COUNT, BH_TPM_DIGEST_LEN);
	uint32_t changed = 0;
	int r;
	if (!cur)
		return -ENOMEM;
	if ((r = bh_tpm_pcr_read(t, s->pcr_mask, cur, msg)) == 0) {
		for (unsigned i = 0; i < BH_TPM_PCR_COUNT; i++)
			if ((s->pcr_mask & (1u << i)) && memcmp(cur[i], s->pcr_values[i], 32) != 0)
				changed |= 1u << i;
		*ret_changed = changed;
	}
	free(cur);
	return r;
}

int bh_ks_unseal_all(struct bh_tpm *t, int dfd, const char *dir, struct bh_ks_keys *k,
		     struct bh_msg *msg)
{
	int r = 0;
	struct bh_ks_blob *b = calloc(1, sizeof(*b));
	size_t n = 0;

	if (!b)
		return -ENOMEM;
	for (int i = 0; i < BH_KS_NKEYS; i++) {
		if ((r = bh_ks_blob_load(dfd, dir, key_names[i], b, msg)) < 0)
			goto out;
		if (b->key_type != key_types[i]) {
			bh_msg_set(msg, "%s/%s.blob: wrong key type %u", dir, key_names[i], b->key_type);
			r = BH_ERR_FORMAT;
			goto out;
		}
		r = bh_tpm_unseal(t, &b->sealed, k->k[i], 32, &n, msg);
		if (r == BH_ERR_PCR_MISMATCH) {
			uint32_t changed = 0;
			char list[64];
			if (bh_ks_pcr_changed(t, &b->sealed, &changed, NULL) == 0 && changed) {
				bh_tpm_pcr_mask_str(changed, list, sizeof(list));
				bh_msg_set(msg, "key '%s': PCR policy not satisfied: PCR %s changed since "
					   "sealing (run 'blockhost-keystore status'; restore with "
					   "'blockhost-keystore recover')", key_names[i], list);
			}
		}
		if (r < 0)
			goto out;
		if (n != 32) {
			bh_msg_set(msg, "key '%s': unsealed %zu bytes, expected 32", key_names[i], n);
			r = BH_ERR_LENGTH;
			goto out;
		}
	}
	if ((r = bh_ks_keys_check(k)) < 0) {
		bh_msg_set(msg, "unsealed key out of range for its curve");
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		sodium_memzero(k, sizeof(*k));
	free(b);
	return r;
}

int bh_ks_wallet_address(const struct bh_ks_keys *k, uint8_t ret_addr[static 20])
{
	return bh_eth_address_from_priv(k->k[BH_KS_WALLET], ret_addr);
}

int bh_ks_ecies_pubkey(const struct bh_ks_keys *k, uint8_t ret_pub[static 65])
{
	return bh_secp_pubkey(k->k[BH_KS_ECIES], ret_pub);
}

/* ------------------------------------------------------------------ recovery */

#define REC_MAGIC "BHKSRECV"
#define REC_VERSION 1
#define REC_KDF_ARGON2ID13 1
#define REC_PT_LEN (BH_KS_NKEYS * 32)
#define REC_CT_LEN (REC_PT_LEN + crypto_secretstream_xchacha20poly1305_ABYTES)
#define REC_HDR_LEN (8 + 1 + 1 + 8 + 8 + crypto_pwhash_SALTBYTES + \
		     crypto_secretstream_xchacha20poly1305_HEADERBYTES)

struct rec_hdr {
	uint64_t ops, mem;
	const uint8_t *salt, *ss_header, *ad, *ct;
	size_t ad_len;
};

static int rec_parse(const uint8_t *data, size_t len, struct rec_hdr *h)
{
	int r;
	struct bh_buf v;
	const uint8_t *p;
	uint8_t ver, kdf;
	uint16_t ctlen;

	if (len > BH_KS_RECOVERY_MAX)
		return BH_ERR_LIMIT;
	bh_buf_view(&v, data, len);
	if ((r = bh_buf_get_direct(&v, 8, &p)) < 0)
		return r;
	if (memcmp(p, REC_MAGIC, 8) != 0)
		return BH_ERR_FORMAT;
	if ((r = bh_buf_get_u8(&v, &ver)) < 0)
		return r;
	if (ver > REC_VERSION)
		return BH_ERR_UNSUPPORTED;
	if (ver != REC_VERSION)
		return BH_ERR_FORMAT;
	if ((r = bh_buf_get_u8(&v, &kdf)) < 0)
		return r;
	if (kdf != REC_KDF_ARGON2ID13)
		return BH_ERR_UNSUPPORTED;
	if ((r = bh_buf_get_u64(&v, &h->ops)) < 0 || (r = bh_buf_get_u64(&v, &h->mem)) < 0)
		return r;
	/* bounded so a crafted file cannot make us spin or allocate without limit */
	if (h->ops < crypto_pwhash_OPSLIMIT_MIN || h->ops > 16 ||
	    h->mem < crypto_pwhash_MEMLIMIT_INTERACTIVE || h->mem > (2ull << 30))
		return BH_ERR_RANGE;
	if ((r = bh_buf_get_direct(&v, crypto_pwhash_SALTBYTES, &h->salt)) < 0 ||
	    (r = bh_buf_get_direct(&v, crypto_secretstream_xchacha20poly1305_HEADERBYTES,
				   &h->ss_header)) < 0 ||
	    (r = bh_buf_get_u16(&v, &ctlen)) < 0)
		return r;
	if (ctlen != REC_CT_LEN)
		return BH_ERR_LENGTH;
	if ((r = bh_buf_get_direct(&v, ctlen, &h->ct)) < 0 || (r = bh_buf_expect_end(&v)) < 0)
		return r;
	h->ad = data;
	h->ad_len = REC_HDR_LEN + 2;
	return 0;
}

int bh_ks_recovery_parse_header(const uint8_t *data, size_t len, uint64_t *ret_ops,
				uint64_t *ret_mem)
{
	struct rec_hdr h;
	int r = rec_parse(data, len, &h);
	if (r < 0)
		return r;
	*ret_ops = h.ops;
	*ret_mem = h.mem;
	return 0;
}

int bh_ks_recovery_encode(const struct bh_ks_keys *k, const char *pass, size_t passlen,
			  enum bh_ks_kdf_level level, struct bh_buf *out)
{
	int r = BH_ERR_CRYPTO;
	uint64_t ops, mem;
	uint8_t salt[crypto_pwhash_SALTBYTES];
	uint8_t hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	uint8_t *key = NULL, ct[REC_CT_LEN];
	crypto_secretstream_xchacha20poly1305_state st;
	struct bh_buf w;

	switch (level) {
	case BH_KS_KDF_INTERACTIVE:
		ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		break;
	case BH_KS_KDF_SENSITIVE:
		ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
		mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
		break;
	default:
		ops = crypto_pwhash_OPSLIMIT_MODERATE;
		mem = crypto_pwhash_MEMLIMIT_MODERATE;
	}
	if (passlen < BH_KS_PASSPHRASE_MIN || passlen > BH_KS_PASSPHRASE_MAX)
		return BH_ERR_LENGTH;
	if (sodium_init() < 0 || !(key = sodium_malloc(crypto_secretstream_xchacha20poly1305_KEYBYTES)))
		return -ENOMEM;
	bh_buf_init(&w, BH_KS_RECOVERY_MAX);
	randombytes_buf(salt, sizeof(salt));
	if (crypto_pwhash(key, crypto_secretstream_xchacha20poly1305_KEYBYTES, pass, passlen, salt,
			  ops, (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		r = -ENOMEM;
		goto out;
	}
	if (crypto_secretstream_xchacha20poly1305_init_push(&st, hdr, key) != 0)
		goto out;
	if ((r = bh_buf_put(&w, REC_MAGIC, 8)) < 0 || (r = bh_buf_put_u8(&w, REC_VERSION)) < 0 ||
	    (r = bh_buf_put_u8(&w, REC_KDF_ARGON2ID13)) < 0 || (r = bh_buf_put_u64(&w, ops)) < 0 ||
	    (r = bh_buf_put_u64(&w, mem)) < 0 || (r = bh_buf_put(&w, salt, sizeof(salt))) < 0 ||
	    (r = bh_buf_put(&w, hdr, sizeof(hdr))) < 0 || (r = bh_buf_put_u16(&w, REC_CT_LEN)) < 0)
		goto out;
	r = BH_ERR_CRYPTO;
	/* AD = everything before the ciphertext: header fields are authenticated */
	if (crypto_secretstream_xchacha20poly1305_push(&st, ct, NULL, &k->k[0][0], REC_PT_LEN,
						       bh_buf_ptr(&w), bh_buf_len(&w),
						       crypto_secretstream_xchacha20poly1305_TAG_FINAL) != 0)
		goto out;
	if ((r = bh_buf_put(&w, ct, sizeof(ct))) < 0 ||
	    (r = bh_buf_put(out, bh_buf_ptr(&w), bh_buf_len(&w))) < 0)
		goto out;
	r = 0;
out:
	sodium_memzero(&st, sizeof(st));
	sodium_free(key);
	bh_buf_done(&w);
	return r;
}

int bh_ks_recovery_decode(const uint8_t *data, size_t len, const char *pass, size_t passlen,
			  struct bh_ks_keys *k)
{
	int r;
	struct rec_hdr h;
	uint8_t *key = NULL, tag = 0;
	crypto_secretstream_xchacha20poly1305_state st;
	unsigned long long mlen = 0;

	if ((r = rec_parse(data, len, &h)) < 0)
		return r;
	if (passlen > BH_KS_PASSPHRASE_MAX)
		return BH_ERR_LENGTH;
	if (sodium_init() < 0 || !(key = sodium_malloc(crypto_secretstream_xchacha20poly1305_KEYBYTES)))
		return -ENOMEM;
	r = -ENOMEM;
	if (crypto_pwhash(key, crypto_secretstream_xchacha20poly1305_KEYBYTES, pass, passlen, h.salt,
			  h.ops, (size_t)h.mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		goto out;
	r = BH_ERR_DECRYPT;
	if (crypto_secretstream_xchacha20poly1305_init_pull(&st, h.ss_header, key) != 0)
		goto out;
	if (crypto_secretstream_xchacha20poly1305_pull(&st, &k->k[0][0], &mlen, &tag, h.ct,
						       REC_CT_LEN, h.ad, h.ad_len) != 0 ||
	    mlen != REC_PT_LEN || tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		sodium_memzero(k, sizeof(*k));
		goto out;
	}
	if ((r = bh_ks_keys_check(k)) < 0) {
		sodium_memzero(k, sizeof(*k));
		goto out;
	}
	r = 0;
out:
	sodium_memzero(&st, sizeof(st));
	sodium_free(key);
	return r;
}

int bh_ks_recovery_write_once(const char *path, const struct bh_buf *data, struct bh_msg *msg)
{
	int r, fd;
	const uint8_t *p = bh_buf_ptr(data);
	size_t n = bh_buf_len(data);

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		r = bh_negerrno();
		if (r == -EEXIST) {
			bh_msg_set(msg, "%s: a recovery file already exists; it is written once and "
				   "never overwritten (move it away first)", path);
			return BH_ERR_EXISTS;
		}
		bh_msg_set(msg, "%s: %s", path, strerror(-r));
		return r;
	}
	if (fchmod(fd, 0600) < 0)
		goto fail;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	close(fd);
	return 0;
fail:
	r = bh_negerrno();
	close(fd);
	unlink(path);
	bh_msg_set(msg, "%s: %s", path, strerror(-r));
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * The TLS key in the keystore (tls.h).  Choice (docs/signup.md "Certificate", SECURITY.md):
 * GnuTLS's external private key, gnutls_privkey_import_ext4 with sign callbacks that send
 * the digest to the keystore's tls_sign over its unix socket and return the DER signature;
 * libmicrohttpd takes the certificate and that key from MHD_OPTION_HTTPS_CERT_CALLBACK
 * (gnutls_certificate_set_retrieve_function2), once per handshake.  Alternatives weighed:
 * a PKCS#11 module in front of the keystore (a second protocol to secure for one
 * operation) and OpenSSL's provider API (the project's TLS servers use GnuTLS through
 * libmicrohttpd).  The cost: one keystore round trip (a unix-socket connection) per full
 * handshake.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "core/atomicio.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/hex.h"
#include "tls.h"

#define CHAIN_MAX 8
#define CERT_FILE_MAX (64u * 1024u)

static struct {
	const struct bh_keystore_client *ks;
	gnutls_pcert_st pcert[CHAIN_MAX];
	unsigned npcert;
	gnutls_privkey_t key;
	atomic_ulong signs, failures;
} g_tls;

unsigned long su_tls_signs(void) { return atomic_load(&g_tls.signs); }
unsigned long su_tls_sign_failures(void) { return atomic_load(&g_tls.failures); }

/* ------------------------------------------------------------------ the external key */

static int ks_sign_digest(const struct bh_keystore_client *ks, const uint8_t *d, size_t n,
			  gnutls_datum_t *sig)
{
	uint8_t der[72];
	size_t len = 0;

	atomic_fetch_add(&g_tls.signs, 1);
	if (bh_keystore_tls_sign(ks, d, n, der, &len, NULL) < 0) {
		atomic_fetch_add(&g_tls.failures, 1);
		return GNUTLS_E_PK_SIGN_FAILED;
	}
	if (!(sig->data = gnutls_malloc(len)))
		return GNUTLS_E_MEMORY_ERROR;
	memcpy(sig->data, der, len);
	sig->size = (unsigned)len;
	return 0;
}

static bool algo_ok(gnutls_sign_algorithm_t a)
{
	return a == GNUTLS_SIGN_ECDSA_SHA256 || a == GNUTLS_SIGN_ECDSA_SECP256R1_SHA256;
}

/* TLS 1.2 (and gnutls_privkey_sign_hash*): the hash is ready, ECDSA signs it as is. */
static int sign_hash(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *userdata,
		     unsigned flags, const gnutls_datum_t *hash, gnutls_datum_t *sig)
{
	(void)key;
	(void)algo;
	(void)flags;
	if (hash->size != 32 && hash->size != 48 && hash->size != 64)
		return GNUTLS_E_INVALID_REQUEST;
	return ks_sign_digest(userdata, hash->data, hash->size, sig);
}

/* TLS 1.3 (and certificate signing): the data; we hash it with SHA-256. */
static int sign_data(gnutls_privkey_t key, gnutls_sign_algorithm_t algo, void *userdata,
		     unsigned flags, const gnutls_datum_t *data, gnutls_datum_t *sig)
{
	uint8_t d[32];
	(void)key;
	(void)flags;
	if (!algo_ok(algo))
		return GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data->data, data->size, d) < 0)
		return GNUTLS_E_HASH_FAILED;
	return ks_sign_digest(userdata, d, sizeof(d), sig);
}

static int key_info(gnutls_privkey_t key, unsigned flags, void *userdata)
{
	(void)key;
	(void)userdata;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO)
		return GNUTLS_PK_ECDSA;
	if (flags & GNUTLS_PRIVKEY_INFO_PK_ALGO_BITS)
		return 256;
	if (flags & GNUTLS_PRIVKEY_INFO_HAVE_SIGN_ALGO)
		return algo_ok((gnutls_sign_algorithm_t)GNUTLS_FLAGS_TO_SIGN_ALGO(flags)) ? 1 : 0;
	if (flags & GNUTLS_PRIVKEY_INFO_SIGN_ALGO)
		return GNUTLS_SIGN_ECDSA_SECP256R1_SHA256;
	return -1;
}

static int ext_key(const struct bh_keystore_client *ks, gnutls_privkey_t *ret)
{
	gnutls_privkey_t k;
	if (gnutls_privkey_init(&k) < 0)
		return -ENOMEM;
	if (gnutls_privkey_import_ext4(k, (void *)ks, sign_data, sign_hash, NULL, NULL, key_info,
				       0) < 0) {
		gnutls_privkey_deinit(k);
		return BH_ERR_CRYPTO;
	}
	*ret = k;
	return 0;
}

/* ------------------------------------------------------------------ public keys */

/* The keystore's TLS key as a GnuTLS public key (from its 65-byte uncompressed point). */
static int ks_pubkey(const struct bh_keystore_client *ks, uint8_t ret_point[static 65],
		     gnutls_pubkey_t *ret, struct bh_msg *msg)
{
	uint8_t addr[20], ecies[65], tpub[65];
	struct bh_msg km = { { 0 } };
	gnutls_pubkey_t p;
	int r;

	if ((r = bh_keystore_pubkeys(ks, addr, ecies, tpub, &km)) < 0) {
		bh_msg_set(msg, "cannot read the keystore's TLS public key (is blockhost-keystore "
			   "running, and does its [socket] grant this user pubkeys, tls_sign?): %s",
			   km.text[0] ? km.text : bh_strerror(r));
		return r;
	}
	gnutls_datum_t x = { tpub + 1, 32 }, y = { tpub + 33, 32 };
	if (tpub[0] != 4 || gnutls_pubkey_init(&p) < 0)
		return BH_ERR_PEER;
	if (gnutls_pubkey_import_ecc_raw(p, GNUTLS_ECC_CURVE_SECP256R1, &x, &y) < 0) {
		gnutls_pubkey_deinit(p);
		bh_msg_set(msg, "the keystore's TLS public key is not a P-256 point");
		return BH_ERR_PEER;
	}
	memcpy(ret_point, tpub, 65);
	*ret = p;
	return 0;
}

/* A public key as the 65-byte point; BH_ERR_UNSUPPORTED unless P-256. */
static int point_of(gnutls_pubkey_t p, uint8_t out[static 65])
{
	gnutls_ecc_curve_t curve;
	gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
	int r = BH_ERR_UNSUPPORTED;

	if (gnutls_pubkey_get_pk_algorithm(p, NULL) != GNUTLS_PK_ECDSA ||
	    gnutls_pubkey_export_ecc_raw2(p, &curve, &x, &y, GNUTLS_EXPORT_FLAG_NO_LZ) < 0)
		return r;
	if (curve == GNUTLS_ECC_CURVE_SECP256R1 && x.size <= 32 && y.size <= 32) {
		memset(out, 0, 65);
		out[0] = 4;
		memcpy(out + 1 + 32 - x.size, x.data, x.size);
		memcpy(out + 33 + 32 - y.size, y.data, y.size);
		r = 0;
	}
	gnutls_free(x.data);
	gnutls_free(y.data);
	return r;
}

static void point_text(const uint8_t p[static 65], char out[static 2 * 65 + 3])
{
	out[0] = '0';
	out[1] = 'x';
	bh_hex_encode(p, 65, out + 2);
}

static int read_pem(const char *path, struct bh_buf *ret, struct bh_msg *msg)
{
	const struct bh_file_rules rules = { .type = S_IFREG, .forbid_mode = 002,
					     .max_size = CERT_FILE_MAX };
	struct bh_msg fm = { { 0 } };
	int r;

	bh_buf_init(ret, CERT_FILE_MAX + 1);
	if ((r = bh_file_read(AT_FDCWD, path, &rules, CERT_FILE_MAX, ret, &fm)) < 0) {
		bh_msg_set(msg, "%s: %s", path, fm.text[0] ? fm.text : bh_strerror(r));
		return r;
	}
	if (bh_buf_put_u8(ret, 0) < 0) {
		bh_buf_done(ret);
		return -ENOMEM;
	}
	return 0;
}

int su_tls_init(const char *cert_path, const struct bh_keystore_client *ks, struct bh_msg *msg)
{
	struct bh_buf pem;
	gnutls_pubkey_t kp = NULL;
	gnutls_privkey_t key = NULL;
	uint8_t kpt[65], cpt[65], rnd[32];
	char kt[2 * 65 + 3], ct[2 * 65 + 3];
	gnutls_datum_t sig = { NULL, 0 };
	unsigned n = CHAIN_MAX;
	int r;

	if ((r = read_pem(cert_path, &pem, msg)) < 0)
		return r;
	gnutls_datum_t d = { (unsigned char *)bh_buf_ptr(&pem), (unsigned)bh_buf_len(&pem) - 1 };
	if ((r = gnutls_pcert_list_import_x509_raw(g_tls.pcert, &n, &d, GNUTLS_X509_FMT_PEM, 0)) < 0 ||
	    n == 0) {
		bh_msg_set(msg, "%s: not a PEM certificate chain of at most %u certificates: %s",
			   cert_path, CHAIN_MAX, r < 0 ? gnutls_strerror(r) : "no certificate");
		bh_buf_done(&pem);
		return BH_ERR_FORMAT;
	}
	bh_buf_done(&pem);
	g_tls.npcert = n;
	if (point_of(g_tls.pcert[0].pubkey, cpt) < 0) {
		bh_msg_set(msg, "%s: the certificate's key is not a P-256 (secp256r1) key; the "
			   "keystore's TLS key is (make one: blockhost-signup make-cert)", cert_path);
		r = BH_ERR_MISMATCH;
		goto fail;
	}
	if ((r = ks_pubkey(ks, kpt, &kp, msg)) < 0)
		goto fail;
	if (memcmp(kpt, cpt, 65)) {
		point_text(cpt, ct);
		point_text(kpt, kt);
		bh_msg_set(msg, "%s: the certificate's public key %.24s... is not the keystore's TLS "
			   "key %.24s... (blockhost-keystore export-pubkey --tls); make a certificate "
			   "for it with blockhost-signup make-cert", cert_path, ct, kt);
		r = BH_ERR_MISMATCH;
		goto fail;
	}
	if ((r = ext_key(ks, &key)) < 0)
		goto fail;
	/* one signature now: the keystore answers tls_sign for us, with the certificate's key */
	gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof(rnd));
	gnutls_datum_t h = { rnd, sizeof(rnd) };
	if ((r = gnutls_privkey_sign_hash2(key, GNUTLS_SIGN_ECDSA_SHA256, 0, &h, &sig)) < 0 ||
	    gnutls_pubkey_verify_hash2(kp, GNUTLS_SIGN_ECDSA_SHA256, 0, &h, &sig) < 0) {
		bh_msg_set(msg, "the keystore's tls_sign %s (is tls_sign granted to this user in "
			   "its [socket]?)", r < 0 ? "failed" : "made a signature that does not verify");
		r = r < 0 ? BH_ERR_DENIED : BH_ERR_MISMATCH;
		goto fail;
	}
	gnutls_free(sig.data);
	gnutls_pubkey_deinit(kp);
	g_tls.ks = ks;
	g_tls.key = key;
	return 0;
fail:
	gnutls_free(sig.data);
	if (key)
		gnutls_privkey_deinit(key);
	if (kp)
		gnutls_pubkey_deinit(kp);
	for (unsigned i = 0; i < g_tls.npcert; i++)
		gnutls_pcert_deinit(&g_tls.pcert[i]);
	g_tls.npcert = 0;
	return r;
}

int su_tls_retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
		    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
		    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	(void)s;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (!g_tls.key)
		return -1;
	/* not freed by GnuTLS (retrieve_function2): ours for the life of the process */
	*pcert = g_tls.pcert;
	*pcert_length = g_tls.npcert;
	*pkey = g_tls.key;
	return 0;
}

/* ------------------------------------------------------------------ make-cert */

static int set_san(gnutls_x509_crt_t crt, const char *host)
{
	uint8_t ip[16];
	if (inet_pton(AF_INET, host, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
							    GNUTLS_FSAN_APPEND);
	if (inet_pton(AF_INET6, host, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16,
							    GNUTLS_FSAN_APPEND);
	return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, host,
						    (unsigned)strlen(host), GNUTLS_FSAN_APPEND);
}

int su_make_cert(const struct su_make_cert *m, const struct bh_keystore_client *ks,
		 struct bh_msg *msg)
{
	gnutls_x509_crt_t crt = NULL, ca = NULL;
	gnutls_privkey_t signer = NULL;
	gnutls_pubkey_t kp = NULL;
	gnutls_datum_t out = { NULL, 0 }, caout = { NULL, 0 };
	struct bh_buf b, all;
	uint8_t kpt[65], serial[16], kid[20];
	size_t kidlen = sizeof(kid);
	int r, g;

	bh_buf_init(&all, 2 * CERT_FILE_MAX);
	if ((r = ks_pubkey(ks, kpt, &kp, msg)) < 0)
		goto out;
	r = BH_ERR_CRYPTO;
	time_t now = time(NULL);
	gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
	serial[0] &= 0x7f;
	if ((g = gnutls_x509_crt_init(&crt)) < 0 || (g = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (g = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (g = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
	    (g = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)m->days * 86400)) < 0 ||
	    (g = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, m->hostname,
					       (unsigned)strlen(m->hostname))) < 0 ||
	    (g = set_san(crt, m->hostname)) < 0 || (g = gnutls_x509_crt_set_pubkey(crt, kp)) < 0 ||
	    (g = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (g = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (g = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (g = gnutls_pubkey_get_key_id(kp, GNUTLS_KEYID_USE_SHA1, kid, &kidlen)) < 0 ||
	    (g = gnutls_x509_crt_set_subject_key_id(crt, kid, kidlen)) < 0) {
		bh_msg_set(msg, "building the certificate: %s", gnutls_strerror(g));
		goto out;
	}
	if (!m->ca_cert) {
		/* self-signed: the keystore signs the certificate too */
		if ((r = ext_key(ks, &signer)) < 0)
			goto out;
		r = BH_ERR_CRYPTO;
		if ((g = gnutls_x509_crt_privkey_sign(crt, crt, signer, GNUTLS_DIG_SHA256, 0)) < 0) {
			bh_msg_set(msg, "signing the certificate through the keystore's tls_sign: %s",
				   gnutls_strerror(g));
			goto out;
		}
	} else {
		struct bh_buf kb;
		gnutls_datum_t d;
		if ((r = read_pem(m->ca_cert, &b, msg)) < 0)
			goto out;
		d.data = (unsigned char *)bh_buf_ptr(&b);
		d.size = (unsigned)bh_buf_len(&b) - 1;
		g = gnutls_x509_crt_init(&ca);
		if (g >= 0)
			g = gnutls_x509_crt_import(ca, &d, GNUTLS_X509_FMT_PEM);
		if (g >= 0)
			g = gnutls_x509_crt_export2(ca, GNUTLS_X509_FMT_PEM, &caout);
		bh_buf_done(&b);
		if (g < 0) {
			bh_msg_set(msg, "%s: not a PEM certificate: %s", m->ca_cert, gnutls_strerror(g));
			r = BH_ERR_FORMAT;
			goto out;
		}
		if ((r = read_pem(m->ca_key, &kb, msg)) < 0)
			goto out;
		d.data = (unsigned char *)bh_buf_ptr(&kb);
		d.size = (unsigned)bh_buf_len(&kb) - 1;
		g = gnutls_privkey_init(&signer);
		if (g >= 0)
			g = gnutls_privkey_import_x509_raw(signer, &d, GNUTLS_X509_FMT_PEM, NULL, 0);
		explicit_bzero((void *)bh_buf_ptr(&kb), bh_buf_len(&kb));
		bh_buf_done(&kb);
		if (g < 0) {
			bh_msg_set(msg, "%s: not a PEM private key: %s", m->ca_key, gnutls_strerror(g));
			r = BH_ERR_FORMAT;
			goto out;
		}
		kidlen = sizeof(kid);
		if (gnutls_x509_crt_get_subject_key_id(ca, kid, &kidlen, NULL) >= 0)
			(void)gnutls_x509_crt_set_authority_key_id(crt, kid, kidlen);
		r = BH_ERR_CRYPTO;
		if ((g = gnutls_x509_crt_privkey_sign(crt, ca, signer, GNUTLS_DIG_SHA256, 0)) < 0) {
			bh_msg_set(msg, "signing the certificate with %s: %s", m->ca_key,
				   gnutls_strerror(g));
			goto out;
		}
	}
	if ((g = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out)) < 0) {
		bh_msg_set(msg, "exporting the certificate: %s", gnutls_strerror(g));
		goto out;
	}
	if ((r = bh_buf_put(&all, out.data, out.size)) < 0 ||
	    (caout.size && (r = bh_buf_put(&all, caout.data, caout.size)) < 0))
		goto out;
	if (access(m->out, F_OK) == 0) {
		bh_msg_set(msg, "%s exists: remove it first (make-cert never replaces a certificate)",
			   m->out);
		r = BH_ERR_EXISTS;
		goto out;
	}
	if ((r = bh_atomic_write(m->out, bh_buf_ptr(&all), bh_buf_len(&all), 0644)) < 0) {
		bh_msg_set(msg, "%s: %s", m->out, bh_strerror(r));
		goto out;
	}
	r = 0;
out:
	gnutls_free(out.data);
	gnutls_free(caout.data);
	bh_buf_done(&all);
	if (signer)
		gnutls_privkey_deinit(signer);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (ca)
		gnutls_x509_crt_deinit(ca);
	if (kp)
		gnutls_pubkey_deinit(kp);
	return r;
}

/* SPDX-License-Identifier: MIT */
/*
 * blockhost-signup's TLS identity: the certificate chain from a file and a GnuTLS private
 * key whose every signature is the keystore's tls_sign (gnutls_privkey_import_ext4), handed
 * to libmicrohttpd through MHD_OPTION_HTTPS_CERT_CALLBACK.  The key never exists in this
 * process.  Also `make-cert`: a certificate for the keystore's TLS public key, self-signed
 * through the keystore or issued by a (test) CA.  docs/signup.md "Certificate".
 */
#ifndef BH_SIGNUP_TLS_H
#define BH_SIGNUP_TLS_H

#include <stdbool.h>
#include <stdint.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "core/err.h"
#include "host/keystore_client.h"

/*
 * Load the PEM chain at cert_path (the first certificate is the server's), ask the
 * keystore for its TLS public key and refuse (BH_ERR_MISMATCH, msg naming both keys) if
 * the certificate's key is another; then one tls_sign through the new key, verified with
 * the certificate's key.  ks must outlive the TLS identity.  Once, before the daemon starts.
 */
int su_tls_init(const char *cert_path, const struct bh_keystore_client *ks, struct bh_msg *msg)
	__attribute__((warn_unused_result));

/* The gnutls_certificate_retrieve_function2 for MHD_OPTION_HTTPS_CERT_CALLBACK. */
int su_tls_retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
		    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
		    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey);

/* Signatures asked of the keystore, and how many of those failed. */
unsigned long su_tls_signs(void);
unsigned long su_tls_sign_failures(void);

struct su_make_cert {
	const char *hostname;    /* CN and a DNS (or IP) subjectAltName */
	unsigned days;           /* validity */
	const char *ca_cert;     /* NULL: self-signed through the keystore */
	const char *ca_key;      /* PEM private key of ca_cert (tests) */
	const char *out;         /* where the PEM chain goes (atomic, refuses to replace) */
};
int su_make_cert(const struct su_make_cert *m, const struct bh_keystore_client *ks,
		 struct bh_msg *msg) __attribute__((warn_unused_result));

#endif

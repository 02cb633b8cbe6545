/* SPDX-License-Identifier: MIT */
/*
 * The keystore's TPM layer: a thin, strict wrapper over tss2-esys.
 *
 * Model (docs/keystore.md):
 *  - The TPM is reached through a TCTI configuration string: "device:/dev/tpmrm0"
 *    in production (the kernel resource manager), "swtpm:host=127.0.0.1,port=N"
 *    in tests.  No TPM reachable -> BH_ERR_NO_TPM.
 *  - Parent: a transient primary key created on every open from the TCG standard
 *    storage-root template (ECC NIST P-256, AES-128-CFB, restricted|decrypt|
 *    fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|noDA, unique x/y = 32
 *    zero bytes) in the owner hierarchy with empty owner auth.  The template is
 *    deterministic, so the same TPM always yields the same key: nothing persistent
 *    is written to the TPM.
 *  - Secrets (<= BH_TPM_SEAL_MAX bytes) are sealed as KEYEDHASH data objects with
 *    fixedTPM|fixedParent|noDA and NO userWithAuth: the only way to use them is a
 *    policy session satisfying PolicyPCR over the configured PCR set (sha256 bank).
 *  - Sessions: seal runs TPM2_Create under a salted HMAC session (salt key = the
 *    primary, AES-128-CFB parameter encryption of the sensitive input); unseal runs
 *    TPM2_Unseal under a salted policy session with response encryption, so the
 *    secret never crosses the TCTI (socket/bus) in clear.
 *  - Every transient handle (primary, loaded objects, sessions) is flushed before
 *    a call returns: without a resource manager swtpm holds only 3 objects
 *    (TPM_RC 0x902).  The primary is flushed in bh_tpm_close().
 *
 * Errors: BH_ERR_NO_TPM, BH_ERR_TPM_LOCKOUT (TPM_RC_LOCKOUT), BH_ERR_PCR_MISMATCH
 * (TPM_RC_POLICY_FAIL / PCR_CHANGED at unseal), BH_ERR_TPM (anything else; msg
 * holds the Tss2_RC_Decode text).  Library code: never logs.
 */
#ifndef BH_KS_TPM_H
#define BH_KS_TPM_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define BH_TPM_PCR_COUNT 24
#define BH_TPM_DIGEST_LEN 32            /* sha256 bank only */
#define BH_TPM_SEAL_MAX 128             /* MAX_SYM_DATA: largest sealable payload */
#define BH_TPM_BLOB_PUB_MAX 256         /* marshalled TPM2B_PUBLIC of a sealed object */
#define BH_TPM_BLOB_PRIV_MAX 512        /* marshalled TPM2B_PRIVATE */
#define BH_TPM_DEFAULT_TCTI "device:/dev/tpmrm0"
#define BH_TPM_DEFAULT_PCRS (1u << 7)

struct bh_tpm;

/* A sealed object as stored: what the TPM needs to load it + what it is bound to. */
struct bh_tpm_sealed {
	uint32_t pcr_mask;                       /* bit i = PCR i (sha256 bank) */
	uint8_t pcr_values[BH_TPM_PCR_COUNT][BH_TPM_DIGEST_LEN]; /* values at seal time */
	uint8_t policy[BH_TPM_DIGEST_LEN];       /* the object's authPolicy */
	uint8_t pub[BH_TPM_BLOB_PUB_MAX];        /* marshalled TPM2B_PUBLIC */
	size_t pub_len;
	uint8_t priv[BH_TPM_BLOB_PRIV_MAX];      /* marshalled TPM2B_PRIVATE */
	size_t priv_len;
};

/*
 * Connect through tcti (NULL = BH_TPM_DEFAULT_TCTI), start the TPM (already
 * started is fine) and create the primary key.  BH_ERR_NO_TPM if nothing answers.
 */
int bh_tpm_open(const char *tcti, struct bh_tpm **ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* Flush the primary and disconnect; NULL-safe. */
void bh_tpm_close(struct bh_tpm *t);

/* Current sha256 values of the PCRs in mask (others left untouched). */
int bh_tpm_pcr_read(struct bh_tpm *t, uint32_t mask,
		    uint8_t values[BH_TPM_PCR_COUNT][BH_TPM_DIGEST_LEN], struct bh_msg *msg);

/*
 * Seal data[0..len) (1..BH_TPM_SEAL_MAX bytes) bound to the CURRENT values of the
 * PCRs in pcr_mask (nonzero).  *ret is filled only on success.
 */
int bh_tpm_seal(struct bh_tpm *t, uint32_t pcr_mask, const uint8_t *data, size_t len,
		struct bh_tpm_sealed *ret, struct bh_msg *msg) __attribute__((warn_unused_result));

/*
 * Unseal s into out (cap bytes); *ret_len = payload length.  BH_ERR_PCR_MISMATCH
 * when the PCR policy is not satisfied; BH_ERR_LENGTH if cap is too small.
 * out is wiped on failure.
 */
int bh_tpm_unseal(struct bh_tpm *t, const struct bh_tpm_sealed *s, uint8_t *out, size_t cap,
		  size_t *ret_len, struct bh_msg *msg) __attribute__((warn_unused_result));

/* Check that pub/priv are well-formed marshalled TPM2B_PUBLIC / TPM2B_PRIVATE
 * with no trailing bytes, and that pub is a sealed data object bound to `policy`
 * (KEYEDHASH, fixedTPM|fixedParent, no userWithAuth).  No TPM needed. */
int bh_tpm_sealed_check(const struct bh_tpm_sealed *s);

/*
 * Map a TSS return code to BH_ERR_*: TPM_RC_LOCKOUT -> BH_ERR_TPM_LOCKOUT,
 * POLICY_FAIL / PCR_CHANGED (any session/parameter number) -> BH_ERR_PCR_MISMATCH,
 * TCTI layer -> BH_ERR_NO_TPM, else BH_ERR_TPM; msg gets "<what>: ... (Tss2_RC_Decode)".
 */
int bh_tpm_map_rc(uint32_t rc, const char *what, struct bh_msg *msg);

/* Render a PCR mask as "7,16" into out (>= 64 bytes). */
void bh_tpm_pcr_mask_str(uint32_t mask, char *out, size_t outlen);
/* Parse "7,16" / "16" into a mask; BH_ERR_RANGE (> 23), BH_ERR_FORMAT, empty -> BH_ERR_FORMAT. */
int bh_tpm_pcr_mask_parse(const char *s, uint32_t *ret);

#endif

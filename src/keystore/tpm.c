/* SPDX-License-Identifier: MIT */
/* TPM layer of the keystore: see tpm.h for the model. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "tpm.h"

struct bh_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR primary;
};

static int tpm_err(TSS2_RC rc, const char *what, struct bh_msg *msg);

/* The TPM-layer code of rc with the handle/session/parameter number stripped. */
static TSS2_RC rc_base(TSS2_RC rc)
{
	if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER)
		return rc;
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3f);
	return rc;
}

int bh_tpm_map_rc(uint32_t rc, const char *what, struct bh_msg *msg)
{
	TSS2_RC b = rc_base(rc);
	if (b == TPM2_RC_POLICY_FAIL || b == TPM2_RC_PCR_CHANGED) {
		bh_msg_set(msg, "%s: PCR policy not satisfied (0x%x: %s)", what, rc,
			   Tss2_RC_Decode(rc));
		return BH_ERR_PCR_MISMATCH;
	}
	if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER) {
		bh_msg_set(msg, "%s: TPM unreachable (0x%x: %s)", what, rc, Tss2_RC_Decode(rc));
		return BH_ERR_NO_TPM;
	}
	return tpm_err(rc, what, msg);
}

static int tpm_err(TSS2_RC rc, const char *what, struct bh_msg *msg)
{
	TSS2_RC b = rc_base(rc);
	if (b == TPM2_RC_LOCKOUT) {
		bh_msg_set(msg, "%s: TPM is in dictionary-attack lockout (0x%x: %s)", what, rc,
			   Tss2_RC_Decode(rc));
		return BH_ERR_TPM_LOCKOUT;
	}
	bh_msg_set(msg, "%s: TPM error 0x%x: %s", what, rc, Tss2_RC_Decode(rc));
	return BH_ERR_TPM;
}

static void flush(ESYS_CONTEXT *esys, ESYS_TR *h)
{
	if (*h != ESYS_TR_NONE) {
		(void)Esys_FlushContext(esys, *h);
		*h = ESYS_TR_NONE;
	}
}

static TPML_PCR_SELECTION pcr_selection(uint32_t mask)
{
	TPML_PCR_SELECTION sel = { .count = 1 };
	sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel.pcrSelections[0].sizeofSelect = 3;
	sel.pcrSelections[0].pcrSelect[0] = (uint8_t)(mask & 0xff);
	sel.pcrSelections[0].pcrSelect[1] = (uint8_t)((mask >> 8) & 0xff);
	sel.pcrSelections[0].pcrSelect[2] = (uint8_t)((mask >> 16) & 0xff);
	return sel;
}

/* The TCG storage-root template (TCG TPM v2.0 Provisioning Guidance, "SRK"). */
static const TPM2B_PUBLIC primary_template = {
	.publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
		.parameters.eccDetail = {
			.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
				       .mode.aes = TPM2_ALG_CFB },
			.scheme = { .scheme = TPM2_ALG_NULL },
			.curveID = TPM2_ECC_NIST_P256,
			.kdf = { .scheme = TPM2_ALG_NULL },
		},
		.unique.ecc = { .x = { .size = 32 }, .y = { .size = 32 } },
	},
};

static const TPMT_SYM_DEF session_sym = {
	.algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB,
};

void bh_tpm_close(struct bh_tpm *t)
{
	if (!t)
		return;
	if (t->esys) {
		flush(t->esys, &t->primary);
		Esys_Finalize(&t->esys);
	}
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
	free(t);
}

int bh_tpm_open(const char *tcti, struct bh_tpm **ret, struct bh_msg *msg)
{
	int r = BH_ERR_INTERNAL;
	struct bh_tpm *t = calloc(1, sizeof(*t));
	TSS2_RC rc;
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION creation_pcr = { 0 };
	TPM2B_PUBLIC *out_pub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;

	if (!t)
		return -ENOMEM;
	t->primary = ESYS_TR_NONE;
	if (!tcti)
		tcti = BH_TPM_DEFAULT_TCTI;
	rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		bh_msg_set(msg, "no TPM reachable through TCTI '%s' (0x%x: %s)", tcti, rc,
			   Tss2_RC_Decode(rc));
		r = BH_ERR_NO_TPM;
		goto out;
	}
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		bh_msg_set(msg, "no TPM reachable through TCTI '%s': Esys_Initialize 0x%x: %s",
			   tcti, rc, Tss2_RC_Decode(rc));
		r = BH_ERR_NO_TPM;
		goto out;
	}
	rc = Esys_Startup(t->esys, TPM2_SU_CLEAR);
	if (rc != TSS2_RC_SUCCESS && rc_base(rc) != TPM2_RC_INITIALIZE) {
		if ((rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER) {
			bh_msg_set(msg, "no TPM reachable through TCTI '%s' (0x%x: %s)", tcti, rc,
				   Tss2_RC_Decode(rc));
			r = BH_ERR_NO_TPM;
		} else
			r = tpm_err(rc, "TPM2_Startup", msg);
		goto out;
	}
	rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, &primary_template, &outside, &creation_pcr,
				&t->primary, &out_pub, &cdata, &chash, &ticket);
	if (rc != TSS2_RC_SUCCESS) {
		t->primary = ESYS_TR_NONE;
		r = tpm_err(rc, "TPM2_CreatePrimary (owner hierarchy, storage template)", msg);
		goto out;
	}
	*ret = t;
	t = NULL;
	r = 0;
out:
	Esys_Free(out_pub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	bh_tpm_close(t);
	return r;
}

int bh_tpm_pcr_read(struct bh_tpm *t, uint32_t mask,
		    uint8_t values[BH_TPM_PCR_COUNT][BH_TPM_DIGEST_LEN], struct bh_msg *msg)
{
	if (mask >> BH_TPM_PCR_COUNT)
		return BH_ERR_RANGE;
	for (unsigned i = 0; i < BH_TPM_PCR_COUNT; i++) {
		if (!(mask & (1u << i)))
			continue;
		TPML_PCR_SELECTION sel = pcr_selection(1u << i);
		UINT32 counter;
		TPML_PCR_SELECTION *sel_out = NULL;
		TPML_DIGEST *dig = NULL;
		TSS2_RC rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel,
					   &counter, &sel_out, &dig);
		if (rc != TSS2_RC_SUCCESS)
			return tpm_err(rc, "TPM2_PCR_Read", msg);
		int ok = dig->count == 1 && dig->digests[0].size == BH_TPM_DIGEST_LEN;
		if (ok)
			memcpy(values[i], dig->digests[0].buffer, BH_TPM_DIGEST_LEN);
		Esys_Free(sel_out);
		Esys_Free(dig);
		if (!ok) {
			bh_msg_set(msg, "TPM2_PCR_Read: PCR %u not available in the sha256 bank", i);
			return BH_ERR_TPM;
		}
	}
	return 0;
}

/* sha256 over the selected PCR values in ascending index order (TPM2_PolicyPCR's pcrDigest). */
static int pcr_digest(uint32_t mask, const uint8_t values[BH_TPM_PCR_COUNT][BH_TPM_DIGEST_LEN],
		      TPM2B_DIGEST *ret)
{
	int r = BH_ERR_CRYPTO;
	unsigned int len = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return -ENOMEM;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1)
		goto out;
	for (unsigned i = 0; i < BH_TPM_PCR_COUNT; i++)
		if ((mask & (1u << i)) && EVP_DigestUpdate(c, values[i], BH_TPM_DIGEST_LEN) != 1)
			goto out;
	if (EVP_DigestFinal_ex(c, ret->buffer, &len) != 1 || len != 32)
		goto out;
	ret->size = 32;
	r = 0;
out:
	EVP_MD_CTX_free(c);
	return r;
}

int bh_tpm_seal(struct bh_tpm *t, uint32_t pcr_mask, const uint8_t *data, size_t len,
		struct bh_tpm_sealed *ret, struct bh_msg *msg)
{
	int r = BH_ERR_INTERNAL;
	TSS2_RC rc;
	ESYS_TR trial = ESYS_TR_NONE, hmac = ESYS_TR_NONE;
	struct bh_tpm_sealed *s = NULL;
	TPM2B_DIGEST pdig = { 0 }, *policy = NULL;
	TPM2B_PRIVATE *out_priv = NULL;
	TPM2B_PUBLIC *out_pub = NULL;
	TPM2B_CREATION_DATA *cdata = NULL;
	TPM2B_DIGEST *chash = NULL;
	TPMT_TK_CREATION *ticket = NULL;
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION creation_pcr = { 0 };
	TPM2B_PUBLIC tmpl = { 0 };
	TPMT_SYM_DEF nosym = { .algorithm = TPM2_ALG_NULL };
	TPML_PCR_SELECTION sel = pcr_selection(pcr_mask);
	size_t off;

	if (len == 0 || len > BH_TPM_SEAL_MAX) {
		bh_msg_set(msg, "seal: payload of %zu bytes (1..%d allowed)", len, BH_TPM_SEAL_MAX);
		return BH_ERR_LENGTH;
	}
	if (pcr_mask == 0 || (pcr_mask >> BH_TPM_PCR_COUNT)) {
		bh_msg_set(msg, "seal: PCR selection must name PCRs 0..23");
		return BH_ERR_RANGE;
	}
	if (!(s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->pcr_mask = pcr_mask;
	if ((r = bh_tpm_pcr_read(t, pcr_mask, s->pcr_values, msg)) < 0)
		goto out;
	if ((r = pcr_digest(pcr_mask, (const uint8_t (*)[BH_TPM_DIGEST_LEN])s->pcr_values,
			    &pdig)) < 0)
		goto out;

	/* The policy digest, computed by the TPM in a trial session over the values read. */
	rc = Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_TRIAL, &nosym,
				   TPM2_ALG_SHA256, &trial);
	if (rc != TSS2_RC_SUCCESS) {
		trial = ESYS_TR_NONE;
		r = tpm_err(rc, "TPM2_StartAuthSession (trial)", msg);
		goto out;
	}
	rc = Esys_PolicyPCR(t->esys, trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pdig, &sel);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_err(rc, "TPM2_PolicyPCR (trial)", msg);
		goto out;
	}
	rc = Esys_PolicyGetDigest(t->esys, trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				  &policy);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_err(rc, "TPM2_PolicyGetDigest", msg);
		goto out;
	}
	flush(t->esys, &trial);
	if (policy->size != BH_TPM_DIGEST_LEN) {
		r = BH_ERR_TPM;
		bh_msg_set(msg, "policy digest of %u bytes", policy->size);
		goto out;
	}
	memcpy(s->policy, policy->buffer, BH_TPM_DIGEST_LEN);

	/* Salted HMAC session: the sensitive input travels encrypted. */
	rc = Esys_StartAuthSession(t->esys, t->primary, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, TPM2_SE_HMAC, &session_sym, TPM2_ALG_SHA256,
				   &hmac);
	if (rc != TSS2_RC_SUCCESS) {
		hmac = ESYS_TR_NONE;
		r = tpm_err(rc, "TPM2_StartAuthSession (salted HMAC)", msg);
		goto out;
	}
	rc = Esys_TRSess_SetAttributes(t->esys, hmac,
				       TPMA_SESSION_DECRYPT | TPMA_SESSION_CONTINUESESSION, 0xff);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_err(rc, "session attributes", msg);
		goto out;
	}

	tmpl.publicArea.type = TPM2_ALG_KEYEDHASH;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
		TPMA_OBJECT_NODA;
	tmpl.publicArea.authPolicy.size = BH_TPM_DIGEST_LEN;
	memcpy(tmpl.publicArea.authPolicy.buffer, s->policy, BH_TPM_DIGEST_LEN);
	tmpl.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
	sens.sensitive.data.size = (UINT16)len;
	memcpy(sens.sensitive.data.buffer, data, len);

	rc = Esys_Create(t->esys, t->primary, hmac, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
			 &outside, &creation_pcr, &out_priv, &out_pub, &cdata, &chash, &ticket);
	explicit_bzero(&sens, sizeof(sens));
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_err(rc, "TPM2_Create (sealed data object)", msg);
		goto out;
	}
	off = 0;
	rc = Tss2_MU_TPM2B_PUBLIC_Marshal(out_pub, s->pub, sizeof(s->pub), &off);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_err(rc, "marshal TPM2B_PUBLIC", msg);
		goto out;
	}
	s->pub_len = off;
	off = 0;
	rc = Tss2_MU_TPM2B_PRIVATE_Marshal(out_priv, s->priv, sizeof(s->priv), &off);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_err(rc, "marshal TPM2B_PRIVATE", msg);
		goto out;
	}
	s->priv_len = off;
	*ret = *s;
	r = 0;
out:
	flush(t->esys, &trial);
	flush(t->esys, &hmac);
	Esys_Free(policy);
	Esys_Free(out_priv);
	Esys_Free(out_pub);
	Esys_Free(cdata);
	Esys_Free(chash);
	Esys_Free(ticket);
	free(s);
	return r;
}

static int unmarshal(const struct bh_tpm_sealed *s, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv)
{
	size_t off = 0;
	if (s->pub_len > sizeof(s->pub) || s->priv_len > sizeof(s->priv))
		return BH_ERR_LENGTH;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(s->pub, s->pub_len, &off, pub) != TSS2_RC_SUCCESS ||
	    off != s->pub_len)
		return BH_ERR_FORMAT;
	off = 0;
	if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(s->priv, s->priv_len, &off, priv) != TSS2_RC_SUCCESS ||
	    off != s->priv_len)
		return BH_ERR_FORMAT;
	return 0;
}

int bh_tpm_sealed_check(const struct bh_tpm_sealed *s)
{
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_PRIVATE priv = { 0 };
	int r = unmarshal(s, &pub, &priv);
	if (r < 0)
		return r;
	const TPMT_PUBLIC *p = &pub.publicArea;
	TPMA_OBJECT need = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
	if (p->type != TPM2_ALG_KEYEDHASH || p->nameAlg != TPM2_ALG_SHA256 ||
	    (p->objectAttributes & need) != need ||
	    (p->objectAttributes & TPMA_OBJECT_USERWITHAUTH) ||
	    (p->objectAttributes & TPMA_OBJECT_SENSITIVEDATAORIGIN))
		return BH_ERR_FORMAT;
	if (p->authPolicy.size != BH_TPM_DIGEST_LEN ||
	    memcmp(p->authPolicy.buffer, s->policy, BH_TPM_DIGEST_LEN) != 0)
		return BH_ERR_MISMATCH;
	if (s->pcr_mask == 0 || (s->pcr_mask >> BH_TPM_PCR_COUNT))
		return BH_ERR_RANGE;
	return 0;
}

int bh_tpm_unseal(struct bh_tpm *t, const struct bh_tpm_sealed *s, uint8_t *out, size_t cap,
		  size_t *ret_len, struct bh_msg *msg)
{
	int r = BH_ERR_INTERNAL;
	TSS2_RC rc;
	ESYS_TR obj = ESYS_TR_NONE, ps = ESYS_TR_NONE;
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_PRIVATE priv = { 0 };
	TPM2B_DIGEST empty = { 0 };
	TPM2B_SENSITIVE_DATA *data = NULL;
	TPML_PCR_SELECTION sel = pcr_selection(s->pcr_mask);

	if ((r = bh_tpm_sealed_check(s)) < 0) {
		bh_msg_set(msg, "sealed object is malformed (%s)", bh_strerror(r));
		return r;
	}
	if ((r = unmarshal(s, &pub, &priv)) < 0)
		return r;
	rc = Esys_Load(t->esys, t->primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv,
		       &pub, &obj);
	if (rc != TSS2_RC_SUCCESS) {
		obj = ESYS_TR_NONE;
		r = tpm_err(rc, "TPM2_Load (sealed object; sealed by another TPM or owner seed "
			    "changed?)", msg);
		goto out;
	}
	/* Salted policy session with response encryption. */
	rc = Esys_StartAuthSession(t->esys, t->primary, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &session_sym,
				   TPM2_ALG_SHA256, &ps);
	if (rc != TSS2_RC_SUCCESS) {
		ps = ESYS_TR_NONE;
		r = tpm_err(rc, "TPM2_StartAuthSession (salted policy)", msg);
		goto out;
	}
	rc = Esys_PolicyPCR(t->esys, ps, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &empty, &sel);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_err(rc, "TPM2_PolicyPCR", msg);
		goto out;
	}
	rc = Esys_TRSess_SetAttributes(t->esys, ps,
				       TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION, 0xff);
	if (rc != TSS2_RC_SUCCESS) {
		r = tpm_err(rc, "session attributes", msg);
		goto out;
	}
	rc = Esys_Unseal(t->esys, obj, ps, ESYS_TR_NONE, ESYS_TR_NONE, &data);
	if (rc != TSS2_RC_SUCCESS) {
		r = bh_tpm_map_rc(rc, "TPM2_Unseal", msg);
		if (r == BH_ERR_PCR_MISMATCH) {
			char pcrs[64];
			bh_tpm_pcr_mask_str(s->pcr_mask, pcrs, sizeof(pcrs));
			bh_msg_set(msg, "TPM2_Unseal: PCR policy not satisfied: PCR(s) %s changed "
				   "since sealing (0x%x)", pcrs, rc);
		}
		goto out;
	}
	if (data->size > cap) {
		bh_msg_set(msg, "unsealed %u bytes, room for %zu", data->size, cap);
		r = BH_ERR_LENGTH;
		goto out;
	}
	memcpy(out, data->buffer, data->size);
	*ret_len = data->size;
	r = 0;
out:
	if (data) {
		explicit_bzero(data, sizeof(*data));
		Esys_Free(data);
	}
	flush(t->esys, &ps);
	flush(t->esys, &obj);
	if (r < 0 && out && cap)
		explicit_bzero(out, cap);
	return r;
}

void bh_tpm_pcr_mask_str(uint32_t mask, char *out, size_t outlen)
{
	size_t n = 0;
	if (!outlen)
		return;
	out[0] = '\0';
	for (unsigned i = 0; i < 32; i++) {
		if (!(mask & (1u << i)))
			continue;
		int w = snprintf(out + n, outlen - n, "%s%u", n ? "," : "", i);
		if (w < 0 || (size_t)w >= outlen - n)
			return;
		n += (size_t)w;
	}
}

int bh_tpm_pcr_mask_parse(const char *s, uint32_t *ret)
{
	uint32_t mask = 0;
	const char *p = s;
	if (!s || !*s)
		return BH_ERR_FORMAT;
	while (*p) {
		if (*p < '0' || *p > '9')
			return BH_ERR_FORMAT;
		unsigned v = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (unsigned)(*p - '0');
			if (++digits > 2)
				return BH_ERR_RANGE;
			p++;
		}
		if (v >= BH_TPM_PCR_COUNT)
			return BH_ERR_RANGE;
		mask |= 1u << v;
		if (*p == ',') {
			p++;
			if (!*p)
				return BH_ERR_FORMAT;
		} else if (*p)
			return BH_ERR_FORMAT;
	}
	*ret = mask;
	return 0;
}

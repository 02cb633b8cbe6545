/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

static const char *const bh_errstr[] = {
	[0]  = "internal error",
	[1]  = "invalid format",
	[2]  = "input incomplete",
	[3]  = "unexpected trailing data",
	[4]  = "size or count limit exceeded",
	[5]  = "value out of range",
	[6]  = "invalid hexadecimal",
	[7]  = "wrong length",
	[8]  = "address checksum (EIP-55) mismatch",
	[9]  = "invalid signature",
	[10] = "signature s value too high (EIP-2)",
	[11] = "invalid signature recovery id (v)",
	[12] = "decryption failed (authentication tag mismatch)",
	[13] = "cryptographic operation failed",
	[14] = "invalid configuration",
	[15] = "required key missing",
	[16] = "value has the wrong type",
	[17] = "duplicate entry",
	[18] = "not found",
	[19] = "already exists",
	[20] = "pool exhausted",
	[21] = "operation not valid in the current state",
	[22] = "timed out",
	[23] = "denied by policy",
	[24] = "peer not allowed or misbehaved",
	[25] = "child process failed",
	[26] = "unsafe file (owner, mode or type)",
	[27] = "no TPM available",
	[28] = "TPM is in dictionary-attack lockout",
	[29] = "TPM PCR policy mismatch",
	[30] = "TPM operation failed",
	[31] = "expired",
	[32] = "mismatch",
	[33] = "unsupported version or feature",
	[34] = "embedded NUL byte",
	[35] = "invalid UTF-8",
	[36] = "EVM execution reverted",
	[37] = "JSON-RPC error",
};

const char *bh_strerror(int r)
{
	if (r >= 0)
		return "success";
	if (r > -BH_ERR_BASE)
		return strerror(-r); /* glibc: static table for valid errnos */
	int i = -r - BH_ERR_BASE;
	if (i < (int)(sizeof(bh_errstr) / sizeof(bh_errstr[0])) && bh_errstr[i])
		return bh_errstr[i];
	return "unknown error";
}

void bh_msg_set(struct bh_msg *m, const char *fmt, ...)
{
	va_list ap;

	if (!m)
		return;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
}

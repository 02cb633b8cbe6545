/* SPDX-License-Identifier: MIT */
/*
 * Error codes.  Every library function returns int: 0 on success or a negative
 * code.  Codes above -BH_ERR_BASE are negated errno values (-ENOENT, -EACCES, ...),
 * so system-call failures pass through unchanged as -errno.  Codes at or below
 * -BH_ERR_BASE are BlockHost's own and name what was wrong with the input.
 *
 * The idiom everywhere:
 *
 *	int r = BH_ERR_INTERNAL;
 *	if ((r = a()) < 0 || (r = b()) < 0)
 *		goto out;
 *	... hand-off to ret_* out-params ...
 *	r = 0;
 *   out:
 *	cleanup (NULL-safe, wiping secrets);
 *	return r;
 *
 * Out-params named ret_* are assigned only on success.
 */
#ifndef BH_ERR_H
#define BH_ERR_H

#include <errno.h>

#define BH_ERR_BASE 4096

enum bh_err {
	BH_ERR_INTERNAL        = -(BH_ERR_BASE + 0),  /* a bug: should not happen */
	BH_ERR_FORMAT          = -(BH_ERR_BASE + 1),  /* input is not of the expected format */
	BH_ERR_INCOMPLETE      = -(BH_ERR_BASE + 2),  /* input ended early */
	BH_ERR_TRAILING        = -(BH_ERR_BASE + 3),  /* unexpected data after the end */
	BH_ERR_LIMIT           = -(BH_ERR_BASE + 4),  /* a hard size or count limit was exceeded */
	BH_ERR_RANGE           = -(BH_ERR_BASE + 5),  /* a number is out of its allowed range */
	BH_ERR_HEX             = -(BH_ERR_BASE + 6),  /* invalid hexadecimal */
	BH_ERR_LENGTH          = -(BH_ERR_BASE + 7),  /* wrong length */
	BH_ERR_CHECKSUM        = -(BH_ERR_BASE + 8),  /* EIP-55 checksum mismatch */
	BH_ERR_SIGNATURE       = -(BH_ERR_BASE + 9),  /* malformed or invalid signature */
	BH_ERR_HIGH_S          = -(BH_ERR_BASE + 10), /* signature s in the upper half (EIP-2) */
	BH_ERR_RECOVERY_ID     = -(BH_ERR_BASE + 11), /* signature v not an allowed value */
	BH_ERR_DECRYPT         = -(BH_ERR_BASE + 12), /* authentication tag did not verify */
	BH_ERR_CRYPTO          = -(BH_ERR_BASE + 13), /* a crypto library call failed */
	BH_ERR_CONFIG          = -(BH_ERR_BASE + 14), /* configuration invalid (see message) */
	BH_ERR_MISSING_KEY     = -(BH_ERR_BASE + 15), /* a required key is missing */
	BH_ERR_WRONG_TYPE      = -(BH_ERR_BASE + 16), /* a value has the wrong type */
	BH_ERR_DUPLICATE       = -(BH_ERR_BASE + 17), /* a key or entry appears twice */
	BH_ERR_NOT_FOUND       = -(BH_ERR_BASE + 18), /* the named object does not exist */
	BH_ERR_EXISTS          = -(BH_ERR_BASE + 19), /* the named object already exists */
	BH_ERR_EXHAUSTED       = -(BH_ERR_BASE + 20), /* a pool (IPs, ids) has no free entry */
	BH_ERR_STATE           = -(BH_ERR_BASE + 21), /* operation not valid in the current state */
	BH_ERR_TIMEOUT         = -(BH_ERR_BASE + 22), /* a deadline passed */
	BH_ERR_DENIED          = -(BH_ERR_BASE + 23), /* refused by policy */
	BH_ERR_PEER            = -(BH_ERR_BASE + 24), /* the peer misbehaved or is not allowed */
	BH_ERR_CHILD           = -(BH_ERR_BASE + 25), /* a child process failed */
	BH_ERR_UNSAFE_FILE     = -(BH_ERR_BASE + 26), /* file owner/mode/type is not acceptable */
	BH_ERR_NO_TPM          = -(BH_ERR_BASE + 27), /* no TPM reachable */
	BH_ERR_TPM_LOCKOUT     = -(BH_ERR_BASE + 28), /* TPM dictionary-attack lockout */
	BH_ERR_PCR_MISMATCH    = -(BH_ERR_BASE + 29), /* PCR policy does not match */
	BH_ERR_TPM             = -(BH_ERR_BASE + 30), /* other TPM failure */
	BH_ERR_EXPIRED         = -(BH_ERR_BASE + 31), /* a time-limited value has expired */
	BH_ERR_MISMATCH        = -(BH_ERR_BASE + 32), /* values that must match do not */
	BH_ERR_UNSUPPORTED     = -(BH_ERR_BASE + 33), /* a version or feature we do not support */
	BH_ERR_NUL             = -(BH_ERR_BASE + 34), /* embedded NUL byte in a string */
	BH_ERR_UTF8            = -(BH_ERR_BASE + 35), /* invalid UTF-8 */
	BH_ERR_REVERT          = -(BH_ERR_BASE + 36), /* an EVM call reverted */
	BH_ERR_RPC             = -(BH_ERR_BASE + 37), /* a JSON-RPC error reply */
	_BH_ERR_LAST           = -(BH_ERR_BASE + 38),
};

/* A static string describing r (negative), never NULL.  Thread-safe. */
const char *bh_strerror(int r);

/* Convert a libc-style failure (-1 with errno) to -errno; never returns 0 for -1. */
static inline int bh_negerrno(void) { return errno > 0 ? -errno : -EIO; }

/*
 * A human-readable detail for the caller to print.  Library functions that can
 * fail for reasons a user must fix (config files, CLI input) take an optional
 * struct bh_msg * and fill it; they never print.  NULL is accepted everywhere.
 */
struct bh_msg {
	char text[512];
};

void bh_msg_set(struct bh_msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

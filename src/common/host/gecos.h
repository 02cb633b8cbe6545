/* SPDX-License-Identifier: MIT */
/*
 * The GECOS field of a VM's login user, the trust anchor of the wallet login
 * (upstream.md §5, §12.14, §13): "wallet=0x<40 hex>,nft=<id>", the id empty from create
 * until update-gecos.  One writer (the provisioner: the cloud-init seed and
 * update-gecos) and one reader with two rules:
 *
 *   BH_GECOS_EXACT   exactly what the writer produces (hex in any case, the id
 *                    canonical decimal or empty): the domain-update-gecos plugin's check.
 *   BH_GECOS_FIELDS  the login rule (pam_web3): comma-separated parts, each trimmed of
 *                    spaces/tabs/CR/LF; exactly one part starting "wallet=" whose value
 *                    (trimmed) is an optional 0x/0X and exactly 40 hex digits, any case;
 *                    other parts ignored (a person's name, upstream's extra keys).  A
 *                    second wallet= part is refused (upstream takes the first; two
 *                    addresses are ambiguous).  nft is informational here: has_nft only
 *                    for exactly one well-formed nft= part.
 */
#ifndef BH_HOST_GECOS_H
#define BH_HOST_GECOS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* "wallet=0x" + 40 + ",nft=" + 20 digits (UINT64_MAX) + NUL */
#define BH_GECOS_STR_MAX 75
/* The reader refuses a longer field (BH_ERR_LIMIT) before looking at it. */
#define BH_GECOS_FIELD_MAX 4096

struct bh_gecos {
	uint8_t wallet[20];
	bool has_nft;        /* false: "nft=" with no id (create time) */
	uint64_t nft_id;
};

enum bh_gecos_rule { BH_GECOS_EXACT, BH_GECOS_FIELDS };

/* The writer: "wallet=0x<40 lower-case hex>,nft=<id, or nothing>" into out. */
void bh_gecos_format(const struct bh_gecos *g, char out[static BH_GECOS_STR_MAX]);

/*
 * The reader: the whole unread contents of b are the field; on success they are
 * consumed and *ret filled, on failure b is unchanged.  Returns 0, or with msg:
 * BH_ERR_LIMIT (longer than BH_GECOS_FIELD_MAX), BH_ERR_NUL, BH_ERR_NOT_FOUND (no
 * wallet= part), BH_ERR_DUPLICATE (two), BH_ERR_FORMAT (a malformed wallet; EXACT: any
 * deviation from the written form), BH_ERR_RANGE (EXACT: id above 2^64-1).
 */
int bh_gecos_parse(struct bh_buf *b, enum bh_gecos_rule rule, struct bh_gecos *ret,
		   struct bh_msg *msg) __attribute__((warn_unused_result));

/* The login's question on a C string (getpwnam's pw_gecos): BH_GECOS_FIELDS, the wallet. */
int bh_gecos_login_wallet(const char *field, uint8_t ret_wallet[static 20], struct bh_msg *msg)
	__attribute__((warn_unused_result));

#endif

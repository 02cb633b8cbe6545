/* SPDX-License-Identifier: MIT */
/*
 * The [socket] rules (ops.h, docs/PROTOCOL.keystore "Authorisation"): principals
 * (user:NAME, uid:N, group:NAME, gid:N; names resolved through NSS, so only before the
 * sandbox), allow lines, and whether a peer is granted an operation: a group principal
 * matches the peer's egid or a supplementary group from SO_PEERGROUPS (struct ks_peer),
 * as the root agent's [callers] do.  Library code.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "ops.h"

/* The operations' names: what [socket] grants and requests' "op" say.  They live here,
 * with the grants, so ops.c depends on grants.c and not the other way round. */
static const char *const op_names[KS_OP__MAX] = {
	"address", "pubkeys", "sign_tx", "personal_sign", "ecies_decrypt", "tls_sign",
};

const char *ks_op_name(enum ks_op op)
{
	return (unsigned)op < KS_OP__MAX ? op_names[op] : "?";
}

int ks_op_from_name(const char *s, size_t n)
{
	for (int i = 0; i < KS_OP__MAX; i++)
		if (strlen(op_names[i]) == n && !memcmp(op_names[i], s, n))
			return i;
	return -1;
}


int ks_group_lookup(const char *name, gid_t *ret)
{
	struct group gr, *res = NULL;
	char *buf = malloc(65536);
	int e;

	if (!buf)
		return -ENOMEM;
	e = getgrnam_r(name, &gr, buf, 65536, &res);
	if (!e && res)
		*ret = gr.gr_gid;
	free(buf);
	return e ? -e : res ? 0 : BH_ERR_NOT_FOUND;
}

/* "user:NAME|uid:N|group:NAME|gid:N op, op, ..." */
int ks_grant_parse(const char *v, struct ks_grant *g, struct bh_msg *msg, const char *file,
		   unsigned line)
{
	int r;
	const char *sp = strpbrk(v, " \t");
	const char *colon = memchr(v, ':', sp ? (size_t)(sp - v) : strlen(v));
	if (!sp || !colon) {
		bh_msg_set(msg, "%s:%u: [socket] allow: expected '<user:|uid:|group:|gid:>who "
			   "op[,op...]'", file, line);
		return BH_ERR_CONFIG;
	}
	struct bh_msg pm = { { 0 } };
	g->line = line;
	if ((r = bh_principal_parse(v, (size_t)(sp - v), true, &g->who, &pm)) < 0) {
		bh_msg_set(msg, "%s:%u: [socket] allow: %s", file, line, pm.text);
		return r;
	}
	const char *p = sp;
	g->ops = 0;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, " \t,");
		int op = ks_op_from_name(p, n);
		if (op < 0) {
			bh_msg_set(msg, "%s:%u: [socket] allow: unknown operation '%.*s' (known: address, "
				   "pubkeys, sign_tx, personal_sign, ecies_decrypt, tls_sign)", file, line,
				   (int)n, p);
			return BH_ERR_CONFIG;
		}
		g->ops |= 1u << op;
		p += n;
	}
	if (!g->ops) {
		bh_msg_set(msg, "%s:%u: [socket] allow: no operations listed", file, line);
		return BH_ERR_CONFIG;
	}
	return 0;
}


bool ks_granted(const struct ks_policy *p, const struct ks_peer *peer, enum ks_op op)
{
	const struct bh_caller c = {
		.uid = peer->uid, .gid = peer->gid, .n_groups = peer->n_groups, .groups = peer->groups,
	};

	for (size_t i = 0; i < p->n_grants; i++)
		if ((p->grants[i].ops & (1u << op)) && bh_principal_match(&p->grants[i].who, &c))
			return true;
	return false;
}

bool ks_peer_known(const struct ks_policy *p, const struct ks_peer *peer)
{
	for (int op = 0; op < KS_OP__MAX; op++)
		if (ks_granted(p, peer, op))
			return true;
	return false;
}

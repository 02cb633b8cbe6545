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


static int lookup_uid(const char *name, uid_t *ret)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int e = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (e)
		return -e;
	if (!res)
		return BH_ERR_NOT_FOUND;
	*ret = pw.pw_uid;
	return 0;
}

int ks_group_lookup(const char *name, struct ks_grant *g)
{
	struct group gr, *res = NULL;
	char *buf = malloc(65536);
	int e;

	if (!buf)
		return -ENOMEM;
	e = getgrnam_r(name, &gr, buf, 65536, &res);
	if (!e && res) {
		g->kind = KS_PRIN_GID;
		g->id = gr.gr_gid;
	}
	free(buf);
	return e ? -e : res ? 0 : BH_ERR_NOT_FOUND;
}

static int parse_id(const char *s, size_t n, uint32_t *ret)
{
	uint64_t v = 0;
	if (n == 0 || n > 10)
		return BH_ERR_FORMAT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return BH_ERR_FORMAT;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= 0xffffffffu)
		return BH_ERR_RANGE;
	*ret = (uint32_t)v;
	return 0;
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
	char who[128];
	size_t kl = (size_t)(colon - v), wl = (size_t)(sp - colon - 1);
	if (wl == 0 || wl >= sizeof(who)) {
		bh_msg_set(msg, "%s:%u: [socket] allow: empty or too long principal", file, line);
		return BH_ERR_CONFIG;
	}
	memcpy(who, colon + 1, wl);
	who[wl] = '\0';
	g->line = line;
	if (kl == 3 && !memcmp(v, "uid", 3)) {
		g->kind = KS_PRIN_UID;
		r = parse_id(who, wl, &g->id);
	} else if (kl == 3 && !memcmp(v, "gid", 3)) {
		g->kind = KS_PRIN_GID;
		r = parse_id(who, wl, &g->id);
	} else if (kl == 4 && !memcmp(v, "user", 4)) {
		uid_t u = 0;
		g->kind = KS_PRIN_UID;
		r = lookup_uid(who, &u);
		g->id = u;
	} else if (kl == 5 && !memcmp(v, "group", 5)) {
		r = ks_group_lookup(who, g);
	} else {
		bh_msg_set(msg, "%s:%u: [socket] allow: principal must start with user:, uid:, "
			   "group: or gid:", file, line);
		return BH_ERR_CONFIG;
	}
	if (r < 0) {
		bh_msg_set(msg, "%s:%u: [socket] allow: '%.*s': %s", file, line, (int)(sp - v), v,
			   r == BH_ERR_NOT_FOUND ? "no such user or group" : bh_strerror(r));
		return BH_ERR_CONFIG;
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
	for (size_t i = 0; i < p->n_grants; i++) {
		const struct ks_grant *g = &p->grants[i];
		if (!(g->ops & (1u << op)))
			continue;
		if (g->kind == KS_PRIN_UID && g->id == peer->uid)
			return true;
		if (g->kind == KS_PRIN_GID) {
			if (g->id == peer->gid)
				return true;
			for (size_t k = 0; k < peer->n_groups; k++)
				if (peer->groups[k] == g->id)
					return true;
		}
	}
	return false;
}

bool ks_peer_known(const struct ks_policy *p, const struct ks_peer *peer)
{
	for (int op = 0; op < KS_OP__MAX; op++)
		if (ks_granted(p, peer, op))
			return true;
	return false;
}

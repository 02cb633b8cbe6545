/* SPDX-License-Identifier: MIT */
/*
 * Applying a policy to the calling process: rlimits, identity, capabilities (libcap-ng),
 * no_new_privs, dumpable; then the seccomp filter (seccomp.c).  Format: policy/README.md.
 */
#include <cap-ng.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/err.h"
#include "core/path.h"
#include "sandbox/apply.h"
#include "sandbox/policy.h"
#include "sandbox/seccomp.h"

static int apply_limits(const struct bh_policy *p, struct bh_msg *msg)
{
	for (int res = 0; res < BH_POLICY_NLIMITS; res++) {
		const struct bh_policy_limit *l = &p->limits[res];
		struct rlimit cur, want;
		if (!l->set)
			continue;
		/* LeakSanitizer's exit-time check forks a tracer task: with nproc = 0 it cannot,
		 * so sanitizer builds (never production) leave RLIMIT_NPROC alone. */
		if (bh_sandbox_built_with_sanitizer() && res == RLIMIT_NPROC)
			continue;
		if (getrlimit(res, &cur) < 0)
			goto fail;
		want.rlim_cur = l->soft;
		want.rlim_max = l->hard;
		if (setrlimit(res, &want) == 0)
			continue;
		if (errno != EPERM)
			goto fail;
		/* limits are ceilings: keep a lower current hard limit we may not raise */
		if (want.rlim_max > cur.rlim_max)
			want.rlim_max = cur.rlim_max;
		if (want.rlim_cur > want.rlim_max)
			want.rlim_cur = want.rlim_max;
		if (setrlimit(res, &want) < 0)
			goto fail;
		continue;
	fail:;
		int r = bh_negerrno();
		bh_msg_set(msg, "setrlimit(%s): %s", bh_rlimit_name(res), bh_strerror(r));
		return r;
	}
	return 0;
}

static int last_cap(void)
{
	int c = 0;
	while (c < 63 && prctl(PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
		c++;
	return c;
}

struct ids {
	uid_t uid;
	gid_t gid;
	size_t n_groups;
	gid_t groups[BH_POLICY_MAX_GROUPS];
};

static int lookup_ids(const struct bh_policy *p, struct ids *ids, struct bh_msg *msg)
{
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	if (!(pw = getpwnam(p->user))) {
		bh_msg_set(msg, "%s: user '%s' does not exist", p->ini ? p->ini->file : p->service,
			   p->user);
		return BH_ERR_NOT_FOUND;
	}
	ids->uid = pw->pw_uid;
	if (!(gr = getgrnam(p->group))) {
		bh_msg_set(msg, "%s: group '%s' does not exist", p->ini ? p->ini->file : p->service,
			   p->group);
		return BH_ERR_NOT_FOUND;
	}
	ids->gid = gr->gr_gid;
	ids->n_groups = p->n_groups;
	for (size_t i = 0; i < p->n_groups; i++) {
		if (!(gr = getgrnam(p->groups[i]))) {
			bh_msg_set(msg, "%s: supplementary group '%s' does not exist",
				   p->ini ? p->ini->file : p->service, p->groups[i]);
			return BH_ERR_NOT_FOUND;
		}
		ids->groups[i] = gr->gr_gid;
	}
	return 0;
}

static int apply_caps(const struct bh_policy *p, const struct ids *ids, unsigned flags,
		      struct bh_msg *msg)
{
	uint64_t have = 0, keep;
	int last = last_cap(), r;
	bool can_bound;

	if (capng_get_caps_process() != 0) {
		bh_msg_set(msg, "capabilities: cannot read the process's capabilities");
		return BH_ERR_INTERNAL;
	}
	can_bound = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	for (int c = 0; c <= last; c++)
		if (capng_have_capability(CAPNG_PERMITTED, (unsigned)c))
			have |= UINT64_C(1) << c;
	keep = p->caps & have;
	if ((flags & BH_SANDBOX_STRICT_CAPS) && keep != p->caps) {
		for (int c = 0; c < 64; c++)
			if ((p->caps & ~keep) & (UINT64_C(1) << c)) {
				bh_msg_set(msg, "capabilities: the policy keeps %s but the process "
					   "does not hold it", bh_cap_name(c) ? bh_cap_name(c) : "?");
				break;
			}
		return BH_ERR_DENIED;
	}
	capng_clear(CAPNG_SELECT_BOTH);
	for (int c = 0; c <= last; c++)
		if (keep & (UINT64_C(1) << c))
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
				     (unsigned)c);
	/* the bounding set first, while CAP_SETPCAP is still held */
	if (can_bound && capng_apply(CAPNG_SELECT_BOUNDS) != 0) {
		bh_msg_set(msg, "capabilities: cannot reduce the bounding set");
		return -EPERM;
	}
	if (ids) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
		    setgroups(ids->n_groups, ids->groups) < 0 ||
		    setresgid(ids->gid, ids->gid, ids->gid) < 0 ||
		    setresuid(ids->uid, ids->uid, ids->uid) < 0 ||
		    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
			r = bh_negerrno();
			bh_msg_set(msg, "switching to user %s / group %s: %s", p->user, p->group,
				   bh_strerror(r));
			return r;
		}
	}
	if (capng_apply(CAPNG_SELECT_CAPS) != 0) {
		bh_msg_set(msg, "capabilities: cannot set the capability sets");
		return -EPERM;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		r = bh_negerrno();
		bh_msg_set(msg, "capabilities: clearing the ambient set: %s", bh_strerror(r));
		return r;
	}
	/* read back: exactly `keep` must remain */
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_get_caps_process() != 0) {
		bh_msg_set(msg, "capabilities: cannot read them back");
		return BH_ERR_INTERNAL;
	}
	for (int c = 0; c <= last; c++) {
		bool want = keep & (UINT64_C(1) << c);
		if (capng_have_capability(CAPNG_PERMITTED, (unsigned)c) != want ||
		    capng_have_capability(CAPNG_EFFECTIVE, (unsigned)c) != want ||
		    capng_have_capability(CAPNG_INHERITABLE, (unsigned)c) ||
		    (can_bound && (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) != want)) {
			bh_msg_set(msg, "capabilities: %s is still %s after dropping",
				   bh_cap_name(c) ? bh_cap_name(c) : "a capability",
				   want ? "missing" : "held");
			return BH_ERR_INTERNAL;
		}
	}
	return 0;
}

static bool in_list(gid_t g, const gid_t *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == g)
			return true;
	return false;
}

/* The running identity must be the policy's (BH_SANDBOX_CHECK_IDENTITY). */
static int check_identity(const struct bh_policy *p, const struct ids *want, struct bh_msg *msg)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[BH_POLICY_MAX_GROUPS + 64];
	int n, r;
	bool same;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    (n = getgroups((int)(sizeof(groups) / sizeof(groups[0])), groups)) < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "identity: cannot read the process's ids: %s", bh_strerror(r));
		return r;
	}
	same = ru == want->uid && eu == want->uid && su == want->uid && rg == want->gid &&
	       eg == want->gid && sg == want->gid;
	/* the same set of supplementary groups, the primary group aside */
	for (int i = 0; same && i < n; i++)
		same = groups[i] == want->gid || in_list(groups[i], want->groups, want->n_groups);
	for (size_t i = 0; same && i < want->n_groups; i++)
		same = want->groups[i] == want->gid || in_list(want->groups[i], groups, (size_t)n);
	if (same)
		return 0;
	char have[256] = "", pol[256] = "";
	size_t off = 0;
	for (int i = 0; i < n && off < sizeof(have); i++) {
		int k = snprintf(have + off, sizeof(have) - off, "%s%u", i ? "," : "", (unsigned)groups[i]);
		off += k > 0 ? (size_t)k : 0;
	}
	off = 0;
	for (size_t i = 0; i < want->n_groups && off < sizeof(pol); i++) {
		int k = snprintf(pol + off, sizeof(pol) - off, "%s%s(%u)", i ? "," : "", p->groups[i],
				 (unsigned)want->groups[i]);
		off += k > 0 ? (size_t)k : 0;
	}
	bh_msg_set(msg, "identity: running as uid %u gid %u groups [%s], but %s [identity] says "
		   "user %s (%u), group %s (%u), supplementary_groups [%s]: refusing to start "
		   "(start it as that user, or as root so it switches itself)", (unsigned)eu,
		   (unsigned)eg, have, p->ini ? p->ini->file : p->service, p->user,
		   (unsigned)want->uid, p->group, (unsigned)want->gid, pol);
	return BH_ERR_DENIED;
}

int bh_sandbox_apply_policy(const struct bh_policy *p, unsigned flags, struct bh_msg *msg)
{
	struct ids ids;
	bool setid = false, have_ids = false;
	int r;

	if (((flags & BH_SANDBOX_SETID) && geteuid() == 0 && strcmp(p->user, "root") != 0) ||
	    (flags & BH_SANDBOX_CHECK_IDENTITY)) {
		/* NSS lookups now, while files and libraries may still be opened */
		if ((r = lookup_ids(p, &ids, msg)) < 0)
			return r;
		have_ids = true;
		setid = (flags & BH_SANDBOX_SETID) && geteuid() == 0 && strcmp(p->user, "root") != 0;
	}
	if ((r = apply_limits(p, msg)) < 0 || (r = apply_caps(p, setid ? &ids : NULL, flags, msg)) < 0)
		return r;
	if ((flags & BH_SANDBOX_CHECK_IDENTITY) && have_ids && (r = check_identity(p, &ids, msg)) < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "prctl(PR_SET_NO_NEW_PRIVS): %s", bh_strerror(r));
		return r;
	}
	if (prctl(PR_SET_DUMPABLE, p->dumpable ? 1 : 0, 0, 0, 0) < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "prctl(PR_SET_DUMPABLE): %s", bh_strerror(r));
		return r;
	}
	return 0;
}

int bh_sandbox_apply(const char *service, unsigned flags, struct bh_msg *msg)
{
	return bh_sandbox_apply_info(service, flags, NULL, msg);
}

const char *bh_sandbox_info_format(const struct bh_sandbox_info *i, char *buf, size_t len)
{
	snprintf(buf, len, "policy %s, seccomp %s (%zu rules%s), %s%s", i->policy, i->seccomp,
		 i->n_rules, i->sanitizer ? ", with the sanitizer runtime's rules" : "",
		 i->enforcing ? "enforcing: any other system call kills the process"
			      : "NOT ENFORCING (debug build: disallowed calls are only logged)",
		 i->debug_env_ignored ? "; BLOCKHOST_SECCOMP_DEBUG=1 ignored (not a debug build)"
				      : "");
	return buf;
}

int bh_sandbox_apply_info(const char *service, unsigned flags, struct bh_sandbox_info *ret_info,
			  struct bh_msg *msg)
{
	struct bh_sandbox_info info = { .enforcing = true };
	struct bh_policy *p = NULL;
	struct bh_seccomp *sc = NULL;
	int r;

	if (flags & BH_SANDBOX_ALLOW_DEBUG_ENV) {
		const char *e = secure_getenv("BLOCKHOST_SECCOMP_DEBUG");
		/* honoured only by a build that says so (make SECCOMP_DEBUG=1) */
		if (e && strcmp(e, "1") == 0) {
			if (bh_sandbox_debug_build())
				flags |= BH_SANDBOX_DEBUG;
			else
				info.debug_env_ignored = true;
		}
	}
	/* parse both files before changing anything */
	if ((r = bh_policy_load(NULL, service, &p, msg)) < 0 ||
	    (r = bh_seccomp_load(NULL, service, flags & BH_SECCOMP_SANITIZER, &sc, msg)) < 0)
		goto out;
	if ((r = bh_sandbox_apply_policy(p, flags, msg)) < 0 ||
	    (r = bh_seccomp_install(sc, flags, msg)) < 0)
		goto out;
	if (ret_info) {
		char *dir = NULL;
		snprintf(info.policy, sizeof(info.policy), "%s", p->ini ? p->ini->file : service);
		if (bh_path(BH_DIR_SECCOMP, NULL, &dir) == 0)
			snprintf(info.seccomp, sizeof(info.seccomp), "%s/%s", dir, service);
		else
			snprintf(info.seccomp, sizeof(info.seccomp), "%s", service);
		free(dir);
		info.n_rules = sc->n_rules;
		info.enforcing = !(flags & BH_SANDBOX_DEBUG);
		info.sanitizer = bh_sandbox_built_with_sanitizer();
		*ret_info = info;
	}
	r = 0;
out:
	bh_seccomp_free(sc);
	bh_policy_free(p);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* policy/<service>.policy: the sandbox sections, read through ini.c.  Format: policy/README.md. */
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"
#include "core/path.h"
#include "core/strutil.h"
#include "sandbox/ini.h"
#include "sandbox/policy.h"
#include "sandbox/seccomp.h"

/* ---------------------------------------------------------------- helpers */
static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* service and user names: bh_name_valid(BH_NAME_SERVICE / BH_NAME_USER), core/strutil.h */
_Static_assert(BH_POLICY_NAME_MAX == BH_NAME_ACTION_MAX, "service name length");
_Static_assert(BH_POLICY_USER_MAX == BH_NAME_USER_MAX, "user name length");

/* ---------------------------------------------------------------- names */
static const char *const cap_names[] = {
	[CAP_CHOWN] = "CAP_CHOWN",
	[CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
	[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	[CAP_FOWNER] = "CAP_FOWNER",
	[CAP_FSETID] = "CAP_FSETID",
	[CAP_KILL] = "CAP_KILL",
	[CAP_SETGID] = "CAP_SETGID",
	[CAP_SETUID] = "CAP_SETUID",
	[CAP_SETPCAP] = "CAP_SETPCAP",
	[CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
	[CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
	[CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
	[CAP_NET_ADMIN] = "CAP_NET_ADMIN",
	[CAP_NET_RAW] = "CAP_NET_RAW",
	[CAP_IPC_LOCK] = "CAP_IPC_LOCK",
	[CAP_IPC_OWNER] = "CAP_IPC_OWNER",
	[CAP_SYS_MODULE] = "CAP_SYS_MODULE",
	[CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
	[CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
	[CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
	[CAP_SYS_PACCT] = "CAP_SYS_PACCT",
	[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[CAP_SYS_BOOT] = "CAP_SYS_BOOT",
	[CAP_SYS_NICE] = "CAP_SYS_NICE",
	[CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
	[CAP_SYS_TIME] = "CAP_SYS_TIME",
	[CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
	[CAP_MKNOD] = "CAP_MKNOD",
	[CAP_LEASE] = "CAP_LEASE",
	[CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
	[CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
	[CAP_SETFCAP] = "CAP_SETFCAP",
	[CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
	[CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
	[CAP_SYSLOG] = "CAP_SYSLOG",
	[CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
	[CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
	[CAP_AUDIT_READ] = "CAP_AUDIT_READ",
	[38] = "CAP_PERFMON",
	[39] = "CAP_BPF",
	[40] = "CAP_CHECKPOINT_RESTORE",
};

#define N_CAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

int bh_cap_from_name(const char *name)
{
	for (int i = 0; i < N_CAPS; i++)
		if (cap_names[i] && strcmp(cap_names[i], name) == 0)
			return i;
	return -1;
}

const char *bh_cap_name(int cap)
{
	return cap >= 0 && cap < N_CAPS ? cap_names[cap] : NULL;
}

static const struct {
	const char *name;
	int resource;
} rlimits[] = {
	{ "as", RLIMIT_AS },           { "core", RLIMIT_CORE },
	{ "cpu", RLIMIT_CPU },         { "data", RLIMIT_DATA },
	{ "fsize", RLIMIT_FSIZE },     { "locks", RLIMIT_LOCKS },
	{ "memlock", RLIMIT_MEMLOCK }, { "msgqueue", RLIMIT_MSGQUEUE },
	{ "nice", RLIMIT_NICE },       { "nofile", RLIMIT_NOFILE },
	{ "nproc", RLIMIT_NPROC },     { "rss", RLIMIT_RSS },
	{ "rtprio", RLIMIT_RTPRIO },   { "rttime", RLIMIT_RTTIME },
	{ "sigpending", RLIMIT_SIGPENDING }, { "stack", RLIMIT_STACK },
};

int bh_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++)
		if (strcmp(rlimits[i].name, name) == 0)
			return rlimits[i].resource;
	return -1;
}

const char *bh_rlimit_name(int resource)
{
	for (size_t i = 0; i < sizeof(rlimits) / sizeof(rlimits[0]); i++)
		if (rlimits[i].resource == resource)
			return rlimits[i].name;
	return NULL;
}

/* ---------------------------------------------------------------- policy */
struct bh_policy *bh_policy_free(struct bh_policy *p)
{
	if (!p)
		return NULL;
	bh_ini_free(p->ini);
	free(p);
	return NULL;
}

const struct bh_ini_section *bh_policy_section(const struct bh_policy *p, const char *name)
{
	return p ? bh_ini_section(p->ini, name) : NULL;
}


struct item_ctx {
	struct bh_policy *p;
	struct bh_msg *msg;
	const char *file;
	unsigned line;
};

typedef int (*item_fn)(struct item_ctx *c, const char *s, size_t n);

/*
 * Split a comma list into trimmed items and call fn for each; an empty value is an
 * empty list; an empty item ("a,,b") is an error naming the list.
 */
static int split_list(const char *v, item_fn fn, struct item_ctx *c, const char *what)
{
	const char *p = v;
	int r;

	while (*p && is_ws(*p))
		p++;
	if (!*p)
		return 0;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		const char *s = p;
		while (n && is_ws(*s)) {
			s++;
			n--;
		}
		while (n && is_ws(s[n - 1]))
			n--;
		if (n == 0) {
			bh_msg_set(c->msg, "%s:%u: empty item in %s", c->file, c->line, what);
			return BH_ERR_FORMAT;
		}
		if ((r = fn(c, s, n)) < 0)
			return r;
		if (!e)
			return 0;
		p = e + 1;
	}
}

static int add_group(struct item_ctx *c, const char *s, size_t n)
{

	if (!bh_name_valid_len(s, n, BH_NAME_USER)) {
		bh_msg_set(c->msg, "%s:%u: invalid group name '%.*s'", c->file, c->line,
			   (int)(n > 64 ? 64 : n), s);
		return BH_ERR_FORMAT;
	}
	for (size_t i = 0; i < c->p->n_groups; i++)
		if (strlen(c->p->groups[i]) == n && memcmp(c->p->groups[i], s, n) == 0) {
			bh_msg_set(c->msg, "%s:%u: group '%.*s' listed twice", c->file, c->line,
				   (int)n, s);
			return BH_ERR_DUPLICATE;
		}
	if (c->p->n_groups >= BH_POLICY_MAX_GROUPS) {
		bh_msg_set(c->msg, "%s:%u: more than %u supplementary groups", c->file, c->line,
			   BH_POLICY_MAX_GROUPS);
		return BH_ERR_LIMIT;
	}
	memcpy(c->p->groups[c->p->n_groups], s, n);
	c->p->groups[c->p->n_groups][n] = '\0';
	c->p->n_groups++;
	return 0;
}

static int add_cap(struct item_ctx *c, const char *s, size_t n)
{
	char name[40];
	int cap;

	if (n >= sizeof(name) || (memcpy(name, s, n), name[n] = '\0',
				  (cap = bh_cap_from_name(name)) < 0)) {
		bh_msg_set(c->msg, "%s:%u: unknown capability '%.*s' (expected a name like "
			   "CAP_NET_ADMIN)", c->file, c->line, (int)(n > 64 ? 64 : n), s);
		return BH_ERR_FORMAT;
	}
	if (c->p->caps & (UINT64_C(1) << cap)) {
		bh_msg_set(c->msg, "%s:%u: %s listed twice", c->file, c->line, name);
		return BH_ERR_DUPLICATE;
	}
	c->p->caps |= UINT64_C(1) << cap;
	return 0;
}

/* N[KMG] | unlimited | infinity */
static int parse_rlim(const char *s, size_t n, rlim_t *ret)
{
	uint64_t v = 0, mul = 1;

	if ((n == 9 && memcmp(s, "unlimited", 9) == 0) || (n == 8 && memcmp(s, "infinity", 8) == 0)) {
		*ret = RLIM_INFINITY;
		return 0;
	}
	if (n && (s[n - 1] == 'K' || s[n - 1] == 'M' || s[n - 1] == 'G')) {
		mul = s[n - 1] == 'K' ? 1024u : s[n - 1] == 'M' ? 1024u * 1024u : 1024u * 1024u * 1024u;
		n--;
	}
	if (n == 0 || n > 19)
		return BH_ERR_FORMAT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return BH_ERR_FORMAT;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (UINT64_MAX - 1) / mul)
		return BH_ERR_RANGE;
	v *= mul;
	if ((rlim_t)v == RLIM_INFINITY)
		return BH_ERR_RANGE;
	*ret = (rlim_t)v;
	return 0;
}

static int parse_limit(const char *file, const struct bh_ini_entry *e, struct bh_policy_limit *l,
		       struct bh_msg *msg)
{
	const char *v = e->value, *colon = strchr(v, ':');
	rlim_t soft, hard;
	int r;

	if (colon) {
		size_t sn = (size_t)(colon - v);
		while (sn && is_ws(v[sn - 1]))
			sn--;
		const char *h = colon + 1;
		while (is_ws(*h))
			h++;
		if ((r = parse_rlim(v, sn, &soft)) < 0 || (r = parse_rlim(h, strlen(h), &hard)) < 0)
			goto bad;
	} else {
		if ((r = parse_rlim(v, strlen(v), &soft)) < 0)
			goto bad;
		hard = soft;
	}
	if (soft > hard) {
		bh_msg_set(msg, "%s:%u: %s: soft limit above hard limit", file, e->line, e->key);
		return BH_ERR_RANGE;
	}
	l->set = true;
	l->soft = soft;
	l->hard = hard;
	l->line = e->line;
	return 0;
bad:
	bh_msg_set(msg, "%s:%u: %s: expected N, N[KMG], 'unlimited' or SOFT:HARD, got '%s'", file,
		   e->line, e->key, v);
	return r;
}

static int parse_yesno(const char *file, const struct bh_ini_entry *e, bool *ret,
		       struct bh_msg *msg)
{
	struct bh_msg m = { "" };
	int r;

	if ((r = bh_ini_bool(e->value, ret, &m)) < 0)
		bh_msg_set(msg, "%s:%u: %s: %s", file, e->line, e->key, m.text);
	return r;
}

static const struct bh_ini_section *need_section(const struct bh_ini *ini, const char *name,
						 struct bh_msg *msg)
{
	const struct bh_ini_section *s = bh_ini_section(ini, name);

	if (!s)
		bh_msg_set(msg, "%s: missing section [%s] (required: [identity] [capabilities] "
			   "[limits] [process])", ini->file, name);
	return s;
}

/* Every key of sec must be one of keys[] and appear once. */
static int only_keys(const struct bh_ini *ini, const struct bh_ini_section *sec,
		     const char *const *keys, struct bh_msg *msg)
{
	for (size_t i = 0; i < sec->n_entries; i++) {
		const struct bh_ini_entry *e = &sec->entries[i];
		bool known = false;
		for (size_t k = 0; keys[k]; k++)
			known |= strcmp(keys[k], e->key) == 0;
		if (!known) {
			bh_msg_set(msg, "%s:%u: unknown key '%s' in [%s]", ini->file, e->line,
				   e->key, sec->name);
			return BH_ERR_CONFIG;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(sec->entries[j].key, e->key) == 0) {
				bh_msg_set(msg, "%s:%u: '%s' already set in [%s] at line %u",
					   ini->file, e->line, e->key, sec->name,
					   sec->entries[j].line);
				return BH_ERR_DUPLICATE;
			}
	}
	return 0;
}

static int copy_user(const struct bh_ini *ini, const struct bh_ini_section *sec, const char *key,
		     char out[static BH_POLICY_USER_MAX + 1], struct bh_msg *msg)
{
	const char *v;
	int r;

	if ((r = bh_ini_get(ini, sec, key, &v, msg)) < 0)
		return r;
	if (!bh_name_valid(v, BH_NAME_USER)) {
		for (size_t i = 0; i < sec->n_entries; i++)
			if (strcmp(sec->entries[i].key, key) == 0)
				bh_msg_set(msg, "%s:%u: %s: invalid name '%.64s' (expected "
					   "[a-z_][a-z0-9_-]*, at most %u)", ini->file,
					   sec->entries[i].line, key, v, BH_POLICY_USER_MAX);
		return BH_ERR_FORMAT;
	}
	strcpy(out, v);
	return 0;
}

int bh_policy_parse(const void *data, size_t len, const char *fname, const char *service,
		    struct bh_policy **ret, struct bh_msg *msg)
{
	static const char *const identity_keys[] = { "user", "group", "supplementary_groups", NULL };
	static const char *const caps_keys[] = { "keep", NULL };
	static const char *const process_keys[] = { "no_new_privs", "dumpable", NULL };
	struct bh_policy *p = NULL;
	const struct bh_ini_section *sec;
	struct bh_ini *ini = NULL;
	struct item_ctx ctx;
	const char *v;
	int r;

	if (service && !bh_name_valid(service, BH_NAME_SERVICE)) {
		bh_msg_set(msg, "invalid service name '%.64s'", service);
		return -EINVAL;
	}
	if ((r = bh_ini_parse(data, len, fname, &ini, msg)) < 0)
		return r;
	if (!(p = calloc(1, sizeof(*p)))) {
		r = -ENOMEM;
		goto out;
	}
	if (service)
		strcpy(p->service, service);
	ctx.p = p;
	ctx.msg = msg;
	ctx.file = ini->file;

	/* [identity] */
	r = BH_ERR_CONFIG;
	if (!(sec = need_section(ini, "identity", msg)))
		goto out;
	if ((r = only_keys(ini, sec, identity_keys, msg)) < 0 ||
	    (r = copy_user(ini, sec, "user", p->user, msg)) < 0 ||
	    (r = copy_user(ini, sec, "group", p->group, msg)) < 0)
		goto out;
	for (size_t i = 0; i < sec->n_entries; i++) {
		if (strcmp(sec->entries[i].key, "supplementary_groups") != 0)
			continue;
		ctx.line = sec->entries[i].line;
		if ((r = split_list(sec->entries[i].value, add_group, &ctx,
				    "supplementary_groups")) < 0)
			goto out;
	}

	/* [capabilities] */
	r = BH_ERR_CONFIG;
	if (!(sec = need_section(ini, "capabilities", msg)))
		goto out;
	if ((r = only_keys(ini, sec, caps_keys, msg)) < 0 ||
	    (r = bh_ini_get(ini, sec, "keep", &v, msg)) < 0)
		goto out;
	ctx.line = sec->entries[0].line;
	if ((r = split_list(v, add_cap, &ctx, "keep")) < 0)
		goto out;

	/* [limits] */
	r = BH_ERR_CONFIG;
	if (!(sec = need_section(ini, "limits", msg)))
		goto out;
	for (size_t i = 0; i < sec->n_entries; i++) {
		const struct bh_ini_entry *e = &sec->entries[i];
		int res = bh_rlimit_from_name(e->key);
		if (res < 0 || res >= BH_POLICY_NLIMITS) {
			bh_msg_set(msg, "%s:%u: unknown limit '%s' in [limits] (known: as core cpu "
				   "data fsize locks memlock msgqueue nice nofile nproc rss rtprio "
				   "rttime sigpending stack)", ini->file, e->line, e->key);
			r = BH_ERR_CONFIG;
			goto out;
		}
		if (p->limits[res].set) {
			bh_msg_set(msg, "%s:%u: '%s' already set in [limits] at line %u", ini->file,
				   e->line, e->key, p->limits[res].line);
			r = BH_ERR_DUPLICATE;
			goto out;
		}
		p->limits[res].resource = res;
		if ((r = parse_limit(ini->file, e, &p->limits[res], msg)) < 0)
			goto out;
	}

	/* [process] */
	r = BH_ERR_CONFIG;
	if (!(sec = need_section(ini, "process", msg)))
		goto out;
	if ((r = only_keys(ini, sec, process_keys, msg)) < 0)
		goto out;
	for (size_t i = 0; i < 2; i++) {
		const char *key = process_keys[i];
		const struct bh_ini_entry *e = NULL;
		bool val;
		for (size_t j = 0; j < sec->n_entries; j++)
			if (strcmp(sec->entries[j].key, key) == 0)
				e = &sec->entries[j];
		if (!e) {
			bh_msg_set(msg, "%s:%u: [process] has no '%s'", ini->file, sec->line, key);
			r = BH_ERR_MISSING_KEY;
			goto out;
		}
		if ((r = parse_yesno(ini->file, e, &val, msg)) < 0)
			goto out;
		if (i == 0 && !val) {
			bh_msg_set(msg, "%s:%u: no_new_privs must be yes", ini->file, e->line);
			r = BH_ERR_CONFIG;
			goto out;
		}
		if (i == 0)
			p->no_new_privs = val;
		else
			p->dumpable = val;
	}

	p->ini = ini;
	ini = NULL;
	*ret = p;
	p = NULL;
	r = 0;
out:
	bh_policy_free(p);
	bh_ini_free(ini);
	return r;
}

int bh_policy_load(const char *dir, const char *service, struct bh_policy **ret,
		   struct bh_msg *msg)
{
	return bh_policy_load_flags(dir, service, 0, ret, msg);
}

int bh_policy_load_flags(const char *dir, const char *service, unsigned flags,
			 struct bh_policy **ret, struct bh_msg *msg)
{
	/* root-owned and not group/world-writable: it says who the process may be */
	static const struct bh_file_rules root_rules = {
		.type = S_IFREG, .owner = BH_FILE_OWNER_ROOT, .forbid_mode = 022,
	};
	static const struct bh_file_rules any_rules = { .type = S_IFREG, .forbid_mode = 022 };
	const struct bh_file_rules *rules = (flags & BH_SECCOMP_ANY_OWNER) ? &any_rules : &root_rules;
	struct bh_buf b;
	char *path = NULL, *name = NULL;
	int r = BH_ERR_INTERNAL;

	bh_buf_init(&b, BH_POLICY_FILE_MAX);
	if (!bh_name_valid(service, BH_NAME_SERVICE)) {
		bh_msg_set(msg, "invalid service name '%.64s'", service ? service : "(null)");
		r = -EINVAL;
		goto out;
	}
	if (asprintf(&name, "%s.policy", service) < 0) {
		name = NULL;
		r = -ENOMEM;
		goto out;
	}
	if (dir) {
		if (asprintf(&path, "%s/%s", dir, name) < 0) {
			path = NULL;
			r = -ENOMEM;
			goto out;
		}
	} else if ((r = bh_path(BH_DIR_POLICY, name, &path)) < 0) {
		bh_msg_set(msg, "policy path for %s: %s", service, bh_strerror(r));
		goto out;
	}
	if ((r = bh_file_read(AT_FDCWD, path, rules, BH_POLICY_FILE_MAX, &b, msg)) < 0)
		goto out;
	r = bh_policy_parse(bh_buf_ptr(&b), bh_buf_len(&b), path, service, ret, msg);
out:
	bh_buf_done(&b);
	free(path);
	free(name);
	return r;
}

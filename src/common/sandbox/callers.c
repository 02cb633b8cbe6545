/* SPDX-License-Identifier: MIT */
/* Principals and [callers] (callers.h, policy/README.md "Callers"). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/strutil.h"
#include "sandbox/callers.h"
#include "sandbox/ini.h"

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

static int lookup(bool user, const char *name, uint32_t *ret)
{
	char *buf = malloc(65536);
	int e;

	if (!buf)
		return -ENOMEM;
	if (user) {
		struct passwd pw, *res = NULL;
		e = getpwnam_r(name, &pw, buf, 65536, &res);
		if (!e && res)
			*ret = pw.pw_uid;
		else if (!e)
			e = -BH_ERR_NOT_FOUND;
	} else {
		struct group gr, *res = NULL;
		e = getgrnam_r(name, &gr, buf, 65536, &res);
		if (!e && res)
			*ret = gr.gr_gid;
		else if (!e)
			e = -BH_ERR_NOT_FOUND;
	}
	free(buf);
	return -e;
}

int bh_principal_parse(const char *s, size_t n, bool resolve, struct bh_principal *ret,
		       struct bh_msg *msg)
{
	struct bh_principal p = { .kind = BH_PRINCIPAL_UID };
	const char *colon = memchr(s, ':', n);
	char who[BH_PRINCIPAL_TEXT_MAX + 1];
	size_t kl, wl;
	int r;

	if (n > BH_PRINCIPAL_TEXT_MAX || !colon) {
		bh_msg_set(msg, "'%.*s': expected user:NAME, uid:N, group:NAME or gid:N",
			   (int)(n > 64 ? 64 : n), s);
		return BH_ERR_CONFIG;
	}
	memcpy(p.text, s, n);
	p.text[n] = '\0';
	kl = (size_t)(colon - s);
	wl = n - kl - 1;
	memcpy(who, colon + 1, wl);
	who[wl] = '\0';
	if (kl == 3 && !memcmp(s, "uid", 3)) {
		r = parse_id(who, wl, &p.id);
	} else if (kl == 3 && !memcmp(s, "gid", 3)) {
		p.kind = BH_PRINCIPAL_GID;
		r = parse_id(who, wl, &p.id);
	} else if ((kl == 4 && !memcmp(s, "user", 4)) || (kl == 5 && !memcmp(s, "group", 5))) {
		p.kind = kl == 4 ? BH_PRINCIPAL_UID : BH_PRINCIPAL_GID;
		if (!bh_name_valid(who, BH_NAME_USER)) {
			bh_msg_set(msg, "'%s': invalid name", p.text);
			return BH_ERR_CONFIG;
		}
		p.id = UINT32_MAX;
		r = resolve ? lookup(kl == 4, who, &p.id) : 0;
	} else {
		bh_msg_set(msg, "'%s': a principal starts with user:, uid:, group: or gid:", p.text);
		return BH_ERR_CONFIG;
	}
	if (r < 0) {
		bh_msg_set(msg, "'%s': %s", p.text, r == BH_ERR_NOT_FOUND ? "no such user or group"
			   : r == BH_ERR_FORMAT || r == BH_ERR_RANGE ? "not a number below 2^32-1"
			   : bh_strerror(r));
		return BH_ERR_CONFIG;
	}
	*ret = p;
	return 0;
}

bool bh_principal_match(const struct bh_principal *p, const struct bh_caller *c)
{
	if (p->id == UINT32_MAX)
		return false;
	if (p->kind == BH_PRINCIPAL_UID)
		return c->uid == p->id;
	if (c->gid == p->id)
		return true;
	for (size_t i = 0; i < c->n_groups; i++)
		if (c->groups[i] == p->id)
			return true;
	return false;
}

int bh_callers_parse(const struct bh_ini *ini, const struct bh_ini_section *sec, bool resolve,
		     struct bh_callers **ret, struct bh_msg *msg)
{
	struct bh_callers *cs = calloc(1, sizeof(*cs));
	int r = BH_ERR_INTERNAL;

	if (!cs)
		return -ENOMEM;
	snprintf(cs->file, sizeof(cs->file), "%s", ini && ini->file ? ini->file : "policy");
	for (size_t i = 0; sec && i < sec->n_entries; i++) {
		const struct bh_ini_entry *e = &sec->entries[i];
		struct bh_callers_rule *rule;
		struct bh_msg m = { "" };
		const char *p = e->value;

		if (!bh_name_valid(e->key, BH_NAME_ACTION)) {
			bh_msg_set(msg, "%s:%u: [callers] '%s' is not an action name", cs->file,
				   e->line, e->key);
			r = BH_ERR_CONFIG;
			goto out;
		}
		if (bh_callers_find(cs, e->key)) {
			bh_msg_set(msg, "%s:%u: [callers] %s listed twice", cs->file, e->line, e->key);
			r = BH_ERR_DUPLICATE;
			goto out;
		}
		if (cs->n == BH_CALLERS_MAX_ACTIONS) {
			bh_msg_set(msg, "%s:%u: [callers] more than %u actions", cs->file, e->line,
				   BH_CALLERS_MAX_ACTIONS);
			r = BH_ERR_LIMIT;
			goto out;
		}
		rule = &cs->rules[cs->n];
		memset(rule, 0, sizeof(*rule));
		snprintf(rule->action, sizeof(rule->action), "%s", e->key);
		rule->line = e->line;
		while (*p) {
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			if (!*p)
				break;
			size_t n = strcspn(p, " \t,");
			if (rule->n == BH_CALLERS_PER_ACTION) {
				bh_msg_set(msg, "%s:%u: [callers] %s: more than %u principals", cs->file,
					   e->line, e->key, BH_CALLERS_PER_ACTION);
				r = BH_ERR_LIMIT;
				goto out;
			}
			if ((r = bh_principal_parse(p, n, resolve, &rule->who[rule->n], &m)) < 0) {
				bh_msg_set(msg, "%s:%u: [callers] %s: %s", cs->file, e->line, e->key,
					   m.text);
				goto out;
			}
			rule->n++;
			p += n;
		}
		if (rule->n == 0) {
			bh_msg_set(msg, "%s:%u: [callers] %s: no principals (remove the line: an "
				   "action without one may be called by nobody)", cs->file, e->line,
				   e->key);
			r = BH_ERR_CONFIG;
			goto out;
		}
		cs->n++;
	}
	*ret = cs;
	cs = NULL;
	r = 0;
out:
	free(cs);
	return r;
}

const struct bh_callers_rule *bh_callers_find(const struct bh_callers *cs, const char *action)
{
	for (size_t i = 0; cs && i < cs->n; i++)
		if (strcmp(cs->rules[i].action, action) == 0)
			return &cs->rules[i];
	return NULL;
}

const char *bh_callers_format(const struct bh_callers_rule *r, char *buf, size_t len)
{
	size_t off = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; r && i < r->n && off < len; i++) {
		int k = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", r->who[i].text);
		if (k < 0)
			break;
		off += (size_t)k;
	}
	return buf;
}

bool bh_callers_allowed(const struct bh_callers *cs, const char *action,
			const struct bh_caller *c, struct bh_msg *msg)
{
	const struct bh_callers_rule *r = bh_callers_find(cs, action);
	char who[256];

	if (!r) {
		bh_msg_set(msg, "no [callers] rule for %s in %s: nobody may call it", action,
			   cs ? cs->file : "the policy");
		return false;
	}
	for (size_t i = 0; i < r->n; i++)
		if (bh_principal_match(&r->who[i], c))
			return true;
	bh_msg_set(msg, "%s:%u: [callers] %s = %s (uid %u gid %u is none of them)", cs->file,
		   r->line, action, bh_callers_format(r, who, sizeof(who)), (unsigned)c->uid,
		   (unsigned)c->gid);
	return false;
}

bool bh_callers_any(const struct bh_callers *cs, const struct bh_caller *c)
{
	for (size_t i = 0; cs && i < cs->n; i++)
		for (size_t k = 0; k < cs->rules[i].n; k++)
			if (bh_principal_match(&cs->rules[i].who[k], c))
				return true;
	return false;
}

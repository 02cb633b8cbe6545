/* SPDX-License-Identifier: MIT */
/*
 * seccomp/<service> files: the text format (seccomp/README.md), its parser and the
 * filter built from it with libseccomp.  Applying the rest of a policy: apply.c.
 */
#include <asm/ioctls.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"
#include "core/path.h"
#include "sandbox/seccomp.h"
#include "sandbox/seccomp-int.h"
#include "core/strutil.h"



bool bh_sandbox_built_with_sanitizer(void)
{
	return BH_ASAN;
}

bool bh_sandbox_debug_build(void)
{
#ifdef BH_SECCOMP_DEBUG_BUILD
	return true;
#else
	return false;
#endif
}

/* ---------------------------------------------------------------- parser */
struct cond_alt {
	unsigned arg;
	int op;
	uint64_t mask;
	size_t n;
	uint64_t vals[MAX_ALTS];
};

struct parser {
	struct bh_seccomp *sc;
	unsigned flags;
	bh_seccomp_include_fn inc;
	void *inc_ctx;
	struct bh_msg *msg;
	const char *stack[BH_SECCOMP_INCLUDE_DEPTH + 1];
	unsigned depth;
	unsigned n_files;
};

struct bh_seccomp *bh_seccomp_free(struct bh_seccomp *sc)
{
	if (!sc)
		return NULL;
	for (size_t i = 0; i < sc->n_strings; i++)
		free(sc->strings[i]);
	free(sc->strings);
	free(sc->rules);
	free(sc);
	return NULL;
}

static const char *keep_string(struct bh_seccomp *sc, const char *s)
{
	char **ns, *d;

	if (!(d = strdup(s)))
		return NULL;
	if (!(ns = realloc(sc->strings, (sc->n_strings + 1) * sizeof(*ns)))) {
		free(d);
		return NULL;
	}
	sc->strings = ns;
	sc->strings[sc->n_strings++] = d;
	return d;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* include file names: bh_name_valid(BH_NAME_FILE); syscall names BH_NAME_SYSCALL */
_Static_assert(BH_SECCOMP_NAME_MAX == BH_NAME_FILE_MAX, "include name length");
_Static_assert(BH_SECCOMP_NAME_MAX == BH_NAME_SYSCALL_MAX, "syscall name length");

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static int parse_cond(struct parser *ps, const char *file, unsigned line, const char *sys,
		      const char *tok, struct cond_alt *c)
{
	size_t n = strlen(tok), an = 0;
	const char *p, *end = tok + n;
	int arg, r;

	while (an < n && ((tok[an] >= 'a' && tok[an] <= 'z') || (tok[an] >= '0' && tok[an] <= '9') ||
			  tok[an] == '_'))
		an++;
	if (an == 0 || an == n) {
		bh_msg_set(ps->msg, "%s:%u: malformed condition '%.64s' (expected e.g. domain=AF_UNIX "
			   "or prot&PROT_EXEC=0)", file, line, tok);
		return BH_ERR_FORMAT;
	}
	if ((arg = bh_seccomp__lookup_arg(sys, tok, an)) < 0) {
		bh_msg_set(ps->msg, "%s:%u: %s has no argument named '%.*s' (use arg0..arg5 or a "
			   "name from seccomp/README.md)", file, line, sys, (int)an, tok);
		return BH_ERR_FORMAT;
	}
	memset(c, 0, sizeof(*c));
	c->arg = (unsigned)arg;
	p = tok + an;
	if (*p == '&') {
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (!eq) {
			bh_msg_set(ps->msg, "%s:%u: '%.64s': expected ARG&MASK=VALUE", file, line, tok);
			return BH_ERR_FORMAT;
		}
		if ((r = bh_seccomp__parse_value(p + 1, (size_t)(eq - p - 1), &c->mask)) < 0)
			goto badval;
		c->op = SCMP_CMP_MASKED_EQ;
		p = eq + 1;
	} else if (p[0] == '!' && p[1] == '=') {
		c->op = SCMP_CMP_NE;
		p += 2;
	} else if (p[0] == '<' && p[1] == '=') {
		c->op = SCMP_CMP_LE;
		p += 2;
	} else if (p[0] == '>' && p[1] == '=') {
		c->op = SCMP_CMP_GE;
		p += 2;
	} else if (p[0] == '<') {
		c->op = SCMP_CMP_LT;
		p++;
	} else if (p[0] == '>') {
		c->op = SCMP_CMP_GT;
		p++;
	} else if (p[0] == '=') {
		c->op = SCMP_CMP_EQ;
		p++;
	} else {
		bh_msg_set(ps->msg, "%s:%u: '%.64s': unknown operator (use = != < <= > >= or &MASK=)",
			   file, line, tok);
		return BH_ERR_FORMAT;
	}
	/* value list V1|V2|... (only with = and &MASK=) */
	for (;;) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		size_t vn = bar ? (size_t)(bar - p) : (size_t)(end - p);
		if (bar && c->op != SCMP_CMP_EQ && c->op != SCMP_CMP_MASKED_EQ) {
			bh_msg_set(ps->msg, "%s:%u: '%.64s': a V1|V2 list is only allowed with = and "
				   "&MASK=", file, line, tok);
			return BH_ERR_FORMAT;
		}
		if (c->n >= MAX_ALTS) {
			bh_msg_set(ps->msg, "%s:%u: more than %u alternatives in '%.32s...'", file,
				   line, MAX_ALTS, tok);
			return BH_ERR_LIMIT;
		}
		if ((r = bh_seccomp__parse_value(p, vn, &c->vals[c->n])) < 0)
			goto badval;
		if (c->op == SCMP_CMP_MASKED_EQ && (c->vals[c->n] & ~c->mask)) {
			bh_msg_set(ps->msg, "%s:%u: '%.64s': value has bits outside the mask (can never "
				   "match)", file, line, tok);
			return BH_ERR_FORMAT;
		}
		c->n++;
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
badval:
	bh_msg_set(ps->msg, "%s:%u: '%.64s': %s (numbers, 0x hex, or constants like AF_UNIX, "
		   "PROT_EXEC; combine bits with +)", file, line, tok,
		   r == BH_ERR_NOT_FOUND ? "unknown constant" : r == BH_ERR_RANGE ?
		   "number out of range" : "malformed value");
	return BH_ERR_FORMAT;
}

static int parse_file(struct parser *ps, const void *data, size_t len, const char *fname,
		      bool sanitizer);

static int do_include(struct parser *ps, const char *file, unsigned line, const char *name,
		      bool sanitizer)
{
	struct bh_buf b;
	int r;

	if (!bh_name_valid(name, BH_NAME_FILE)) {
		bh_msg_set(ps->msg, "%s:%u: include '%.64s': file names are letters, digits, '.', "
			   "'_' and '-' only (same directory)", file, line, name);
		return BH_ERR_FORMAT;
	}
	for (unsigned i = 0; i <= ps->depth && i < BH_SECCOMP_INCLUDE_DEPTH + 1; i++)
		if (ps->stack[i] && strcmp(base_name(ps->stack[i]), name) == 0) {
			bh_msg_set(ps->msg, "%s:%u: include %s: includes itself (loop)", file, line,
				   name);
			return BH_ERR_FORMAT;
		}
	if (ps->depth >= BH_SECCOMP_INCLUDE_DEPTH) {
		bh_msg_set(ps->msg, "%s:%u: include %s: nested more than %u deep", file, line, name,
			   BH_SECCOMP_INCLUDE_DEPTH);
		return BH_ERR_LIMIT;
	}
	if (ps->n_files >= MAX_FILES) {
		bh_msg_set(ps->msg, "%s:%u: include %s: more than %u files in one filter", file, line,
			   name, MAX_FILES);
		return BH_ERR_LIMIT;
	}
	if (!ps->inc) {
		bh_msg_set(ps->msg, "%s:%u: include %s: includes are not available here", file, line,
			   name);
		return -ENOENT;
	}
	bh_buf_init(&b, BH_SECCOMP_FILE_MAX);
	if ((r = ps->inc(ps->inc_ctx, name, &b)) < 0) {
		bh_msg_set(ps->msg, "%s:%u: include %s: %s", file, line, name, bh_strerror(r));
		goto out;
	}
	ps->depth++;
	r = parse_file(ps, bh_buf_ptr(&b), bh_buf_len(&b), name, sanitizer);
	ps->depth--;
out:
	bh_buf_done(&b);
	return r;
}

static int add_rules(struct parser *ps, const char *file, unsigned line, const char *sys, int nr,
		     enum bh_seccomp_action action, int err, const struct cond_alt *conds,
		     unsigned n_conds, bool sanitizer)
{
	size_t total = 1, idx[6] = { 0 };
	struct bh_seccomp *sc = ps->sc;

	for (unsigned i = 0; i < n_conds; i++) {
		total *= conds[i].n;
		if (total > BH_SECCOMP_MAX_RULES)
			break;
	}
	if (total > BH_SECCOMP_MAX_RULES || sc->n_rules + total > BH_SECCOMP_MAX_RULES) {
		bh_msg_set(ps->msg, "%s:%u: more than %u rules in the filter", file, line,
			   BH_SECCOMP_MAX_RULES);
		return BH_ERR_LIMIT;
	}
	struct bh_seccomp_rule *nr_ = realloc(sc->rules, (sc->n_rules + total) * sizeof(*nr_));
	if (!nr_)
		return -ENOMEM;
	sc->rules = nr_;
	for (size_t k = 0; k < total; k++) {
		struct bh_seccomp_rule *ru = &sc->rules[sc->n_rules++];
		memset(ru, 0, sizeof(*ru));
		ru->nr = nr;
		snprintf(ru->name, sizeof(ru->name), "%s", sys);
		ru->action = action;
		ru->err = err;
		ru->file = file;
		ru->line = line;
		ru->sanitizer = sanitizer;
		ru->n_conds = n_conds;
		for (unsigned i = 0; i < n_conds; i++) {
			ru->conds[i].arg = conds[i].arg;
			ru->conds[i].op = conds[i].op;
			if (conds[i].op == SCMP_CMP_MASKED_EQ) {
				ru->conds[i].a = conds[i].mask;
				ru->conds[i].b = conds[i].vals[idx[i]];
			} else {
				ru->conds[i].a = conds[i].vals[idx[i]];
			}
		}
		/* next combination (odometer) */
		for (unsigned i = 0; i < n_conds; i++) {
			if (++idx[i] < conds[i].n)
				break;
			idx[i] = 0;
		}
	}
	return 0;
}

static int parse_line(struct parser *ps, const char *file, unsigned line, char *s, bool sanitizer)
{
	char *tok[10];
	unsigned nt = 0;
	int r;

	for (char *p = s; *p;) {
		while (*p && is_blank(*p))
			*p++ = '\0';
		if (!*p)
			break;
		if (nt == sizeof(tok) / sizeof(tok[0])) {
			bh_msg_set(ps->msg, "%s:%u: too many words on one line", file, line);
			return BH_ERR_FORMAT;
		}
		tok[nt++] = p;
		while (*p && !is_blank(*p))
			p++;
	}
	if (nt == 0)
		return 0;

	if (strcmp(tok[0], "include") == 0 || strcmp(tok[0], "include-sanitizer") == 0) {
		bool san = tok[0][7] == '-';
		if (nt != 2) {
			bh_msg_set(ps->msg, "%s:%u: expected '%s <file>'", file, line, tok[0]);
			return BH_ERR_FORMAT;
		}
		if (san && !(ps->flags & BH_SECCOMP_SANITIZER)) {
			if (!bh_name_valid(tok[1], BH_NAME_FILE)) {
				bh_msg_set(ps->msg, "%s:%u: include '%.64s': file names are letters, "
					   "digits, '.', '_' and '-' only", file, line, tok[1]);
				return BH_ERR_FORMAT;
			}
			return 0; /* production build: not part of the filter */
		}
		return do_include(ps, file, line, tok[1], sanitizer || san);
	}

	enum bh_seccomp_action action;
	unsigned first_cond;
	int err = 0;
	if (strcmp(tok[0], "allow") == 0) {
		action = BH_SECCOMP_ALLOW;
		first_cond = 2;
		if (nt < 2) {
			bh_msg_set(ps->msg, "%s:%u: expected 'allow <syscall> [conditions]'", file, line);
			return BH_ERR_FORMAT;
		}
	} else if (strcmp(tok[0], "errno") == 0) {
		action = BH_SECCOMP_ERRNO;
		first_cond = 3;
		if (nt < 3) {
			bh_msg_set(ps->msg, "%s:%u: expected 'errno <syscall> <ERRNAME> [conditions]'",
				   file, line);
			return BH_ERR_FORMAT;
		}
		if ((err = bh_seccomp__errno_from_name(tok[2])) < 0) {
			bh_msg_set(ps->msg, "%s:%u: unknown errno name '%.32s' (e.g. EPERM, ENOSYS)",
				   file, line, tok[2]);
			return BH_ERR_FORMAT;
		}
	} else {
		bh_msg_set(ps->msg, "%s:%u: unknown directive '%.32s' (expected allow, errno, include, "
			   "include-sanitizer)", file, line, tok[0]);
		return BH_ERR_FORMAT;
	}

	const char *sys = tok[1];
	int nr = bh_name_valid(sys, BH_NAME_SYSCALL) ?
		seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, sys) : -1;
	if (nr < 0) {
		bh_msg_set(ps->msg, "%s:%u: unknown syscall '%.64s' (not an x86_64 system call known "
			   "to libseccomp)", file, line, sys);
		return BH_ERR_FORMAT;
	}

	struct cond_alt conds[6];
	unsigned nc = 0;
	for (unsigned i = first_cond; i < nt; i++) {
		if (nc == 6) {
			bh_msg_set(ps->msg, "%s:%u: more than 6 conditions", file, line);
			return BH_ERR_FORMAT;
		}
		if ((r = parse_cond(ps, file, line, sys, tok[i], &conds[nc])) < 0)
			return r;
		for (unsigned j = 0; j < nc; j++)
			if (conds[j].arg == conds[nc].arg) {
				bh_msg_set(ps->msg, "%s:%u: argument %u is tested twice on one line "
					   "(write two lines for alternatives)", file, line,
					   conds[nc].arg);
				return BH_ERR_FORMAT;
			}
		nc++;
	}
	return add_rules(ps, file, line, sys, nr, action, err, conds, nc, sanitizer);
}

static int parse_file(struct parser *ps, const void *data, size_t len, const char *fname,
		      bool sanitizer)
{
	struct bh_buf b;
	const char *file;
	unsigned lineno = 0;
	char linebuf[1024 + 1];
	int r;

	if (len > BH_SECCOMP_FILE_MAX) {
		bh_msg_set(ps->msg, "%s: file larger than %u bytes", fname, BH_SECCOMP_FILE_MAX);
		return BH_ERR_LIMIT;
	}
	if (!(file = keep_string(ps->sc, fname)))
		return -ENOMEM;
	ps->n_files++;
	ps->stack[ps->depth] = file;
	bh_buf_view(&b, data, len);
	while (bh_buf_len(&b) > 0) {
		const uint8_t *p = bh_buf_ptr(&b), *nl;
		size_t avail = bh_buf_len(&b), n;

		lineno++;
		nl = memchr(p, '\n', avail);
		n = nl ? (size_t)(nl - p) : avail;
		if (n >= sizeof(linebuf)) {
			bh_msg_set(ps->msg, "%s:%u: line longer than %zu bytes", file, lineno,
				   sizeof(linebuf) - 1);
			return BH_ERR_LIMIT;
		}
		if (memchr(p, '\0', n)) {
			bh_msg_set(ps->msg, "%s:%u: NUL byte in line", file, lineno);
			return BH_ERR_NUL;
		}
		memcpy(linebuf, p, n);
		linebuf[n] = '\0';
		if ((r = bh_buf_consume(&b, nl ? n + 1 : n)) < 0)
			return r;
		char *hash = strchr(linebuf, '#');
		if (hash)
			*hash = '\0';
		if ((r = parse_line(ps, file, lineno, linebuf, sanitizer)) < 0)
			return r;
	}
	ps->stack[ps->depth] = NULL;
	return 0;
}

static bool same_conds(const struct bh_seccomp_rule *a, const struct bh_seccomp_rule *b)
{
	if (a->n_conds != b->n_conds)
		return false;
	for (unsigned i = 0; i < a->n_conds; i++)
		if (a->conds[i].arg != b->conds[i].arg || a->conds[i].op != b->conds[i].op ||
		    a->conds[i].a != b->conds[i].a || a->conds[i].b != b->conds[i].b)
			return false;
	return true;
}

static int cmp_idx(const void *x, const void *y, void *ctx)
{
	const struct bh_seccomp_rule *rules = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int na = rules[a].nr, nb = rules[b].nr;

	if (na != nb)
		return na < nb ? -1 : 1;
	return a < b ? -1 : a > b;
}

/*
 * libseccomp silently lets an unconditional rule win over conditional ones for the
 * same syscall, and keeps the first of two conflicting unconditional rules.  So:
 * among production rules (and among sanitizer rules), a syscall has either exactly
 * one unconditional rule or only conditional ones.  Sanitizer rules only widen: an
 * unconditional sanitizer allow drops the production rules of that syscall; a
 * sanitizer rule already covered by a production unconditional allow is dropped.
 */
static int check_group(struct parser *ps, struct bh_seccomp_rule *r, const size_t *g, size_t n)
{
	for (int pass = 0; pass < 2; pass++) {
		const struct bh_seccomp_rule *uncond = NULL, *first = NULL;
		for (size_t i = 0; i < n; i++) {
			struct bh_seccomp_rule *ru = &r[g[i]];
			if (ru->sanitizer != (pass == 1))
				continue;
			if (first && (ru->n_conds == 0 || uncond)) {
				const struct bh_seccomp_rule *o = uncond ? uncond : first;
				if (ru->n_conds == 0 && o->n_conds == 0 && ru->action == o->action &&
				    ru->err == o->err)
					bh_msg_set(ps->msg, "%s:%u: duplicate rule for %s (first at "
						   "%s:%u)", ru->file, ru->line, ru->name, o->file,
						   o->line);
				else
					bh_msg_set(ps->msg, "%s:%u: %s already has a rule at %s:%u; an "
						   "unconditional rule must be the only rule for its "
						   "syscall", ru->file, ru->line, ru->name, o->file,
						   o->line);
				return BH_ERR_DUPLICATE;
			}
			if (!first)
				first = ru;
			if (ru->n_conds == 0)
				uncond = ru;
		}
	}
	/* merge sanitizer rules into production ones */
	const struct bh_seccomp_rule *p_uncond = NULL, *s_uncond = NULL;
	bool have_p = false, have_s = false;
	for (size_t i = 0; i < n; i++) {
		const struct bh_seccomp_rule *ru = &r[g[i]];
		if (ru->sanitizer) {
			have_s = true;
			if (!ru->n_conds)
				s_uncond = ru;
		} else {
			have_p = true;
			if (!ru->n_conds)
				p_uncond = ru;
		}
	}
	if (!have_p || !have_s)
		return 0;
	if (p_uncond && p_uncond->action == BH_SECCOMP_ALLOW) {
		for (size_t i = 0; i < n; i++)
			if (r[g[i]].sanitizer)
				r[g[i]].dropped = true;
		return 0;
	}
	if (s_uncond && s_uncond->action == BH_SECCOMP_ALLOW) {
		for (size_t i = 0; i < n; i++)
			if (!r[g[i]].sanitizer)
				r[g[i]].dropped = true;
		return 0;
	}
	if (p_uncond || s_uncond) {
		const struct bh_seccomp_rule *a = s_uncond ? s_uncond : p_uncond;
		bh_msg_set(ps->msg, "%s:%u: sanitizer and production rules for %s conflict (a "
			   "sanitizer include may only widen what is allowed)", a->file, a->line,
			   a->name);
		return BH_ERR_DUPLICATE;
	}
	return 0;
}

static int check_rules(struct parser *ps)
{
	struct bh_seccomp *sc = ps->sc;
	size_t *idx;
	int r = 0;

	if (sc->n_rules == 0)
		return 0;
	if (!(idx = malloc(sc->n_rules * sizeof(*idx))))
		return -ENOMEM;
	for (size_t i = 0; i < sc->n_rules; i++)
		idx[i] = i;
	qsort_r(idx, sc->n_rules, sizeof(*idx), cmp_idx, sc->rules);
	for (size_t s = 0; s < sc->n_rules && r == 0;) {
		size_t e = s + 1;
		while (e < sc->n_rules && sc->rules[idx[e]].nr == sc->rules[idx[s]].nr)
			e++;
		/* identical conditional rules repeated: harmless for libseccomp, but say so */
		for (size_t i = s; i < e && r == 0; i++)
			for (size_t j = s; j < i && r == 0; j++) {
				const struct bh_seccomp_rule *a = &sc->rules[idx[j]],
							     *b = &sc->rules[idx[i]];
				if (a->n_conds && a->sanitizer == b->sanitizer && same_conds(a, b) &&
				    a->line != b->line) {
					bh_msg_set(ps->msg, "%s:%u: duplicate rule for %s (first at "
						   "%s:%u)", b->file, b->line, b->name, a->file,
						   a->line);
					r = BH_ERR_DUPLICATE;
				}
				if (e - s > 64)
					break; /* large groups: skip the quadratic nicety */
			}
		if (r == 0)
			r = check_group(ps, sc->rules, idx + s, e - s);
		s = e;
	}
	free(idx);
	return r;
}

int bh_seccomp_parse(const void *data, size_t len, const char *fname, unsigned flags,
		     bh_seccomp_include_fn inc, void *inc_ctx, struct bh_seccomp **ret,
		     struct bh_msg *msg)
{
	struct parser ps = { 0 };
	int r;

	if (!(ps.sc = calloc(1, sizeof(*ps.sc))))
		return -ENOMEM;
	ps.flags = flags;
	ps.inc = inc;
	ps.inc_ctx = inc_ctx;
	ps.msg = msg;
	if ((r = parse_file(&ps, data, len, fname ? fname : "(seccomp)", false)) < 0 ||
	    (r = check_rules(&ps)) < 0)
		goto out;
	*ret = ps.sc;
	ps.sc = NULL;
	r = 0;
out:
	bh_seccomp_free(ps.sc);
	return r;
}

/* seccomp files are read with the untrusted-file recipe (core/file.h): root-owned and
 * not group/world-writable, as the filter is what the process may do from then on */
static const struct bh_file_rules seccomp_file_rules = {
	.type = S_IFREG, .owner = BH_FILE_OWNER_ROOT, .forbid_mode = 022,
};
static const struct bh_file_rules seccomp_file_rules_any_owner = {
	.type = S_IFREG, .forbid_mode = 022,
};

struct dir_ctx {
	const char *dir;
	const struct bh_file_rules *rules;
};

static int include_from_dir(void *vctx, const char *name, struct bh_buf *out)
{
	struct dir_ctx *c = vctx;
	char *path;
	int r;

	struct bh_buf b;

	if (asprintf(&path, "%s/%s", c->dir, name) < 0)
		return -ENOMEM;
	/* the parser names the include and the error; no message here */
	if ((r = bh_file_read(AT_FDCWD, path, c->rules, bh_buf_avail(out), &b, NULL)) == 0) {
		r = bh_buf_put(out, bh_buf_ptr(&b), bh_buf_len(&b));
		bh_buf_done(&b);
	}
	free(path);
	return r;
}

int bh_seccomp_load(const char *dir, const char *service, unsigned flags,
		    struct bh_seccomp **ret, struct bh_msg *msg)
{
	struct bh_buf b;
	struct dir_ctx ctx;
	char *owned_dir = NULL, *path = NULL;
	int r = BH_ERR_INTERNAL;

	bh_buf_init(&b, BH_SECCOMP_FILE_MAX);
	if (!bh_name_valid(service, BH_NAME_FILE)) {
		bh_msg_set(msg, "invalid seccomp file name '%.64s'", service ? service : "(null)");
		r = -EINVAL;
		goto out;
	}
	if (!dir) {
		if ((r = bh_path(BH_DIR_SECCOMP, NULL, &owned_dir)) < 0) {
			bh_msg_set(msg, "seccomp directory: %s", bh_strerror(r));
			goto out;
		}
		dir = owned_dir;
	}
	if (asprintf(&path, "%s/%s", dir, service) < 0) {
		path = NULL;
		r = -ENOMEM;
		goto out;
	}
	ctx.rules = (flags & BH_SECCOMP_ANY_OWNER) ? &seccomp_file_rules_any_owner
						    : &seccomp_file_rules;
	if ((r = bh_file_read(AT_FDCWD, path, ctx.rules, BH_SECCOMP_FILE_MAX, &b, msg)) < 0)
		goto out;
	if (BH_ASAN && !(flags & BH_SECCOMP_PRODUCTION))
		flags |= BH_SECCOMP_SANITIZER;
	ctx.dir = dir;
	r = bh_seccomp_parse(bh_buf_ptr(&b), bh_buf_len(&b), path, flags, include_from_dir, &ctx,
			     ret, msg);
out:
	bh_buf_done(&b);
	free(path);
	free(owned_dir);
	return r;
}

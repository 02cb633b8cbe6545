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
#include "core/strutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define BH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BH_ASAN 1
#endif
#endif
#ifndef BH_ASAN
#define BH_ASAN 0
#endif

#define MAX_FILES 32u      /* files parsed per filter, includes counted */
#define MAX_ALTS 16u       /* values in one V1|V2|... list */

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

/* ---------------------------------------------------------------- tables */
struct argname {
	const char *sys;
	const char *name;
	unsigned arg;
};

static const struct argname argnames[] = {
	{ "socket", "domain", 0 },     { "socket", "type", 1 },     { "socket", "protocol", 2 },
	{ "socketpair", "domain", 0 }, { "socketpair", "type", 1 }, { "socketpair", "protocol", 2 },
	{ "mmap", "prot", 2 },         { "mmap", "flags", 3 },
	{ "mprotect", "prot", 2 },     { "pkey_mprotect", "prot", 2 },
	{ "ioctl", "fd", 0 },          { "ioctl", "request", 1 },
	{ "fcntl", "fd", 0 },          { "fcntl", "cmd", 1 },
	{ "prctl", "option", 0 },      { "clone", "flags", 0 },
	{ "kill", "sig", 1 },          { "tgkill", "sig", 2 },
	{ "setsockopt", "level", 1 },  { "setsockopt", "optname", 2 },
	{ "getsockopt", "level", 1 },  { "getsockopt", "optname", 2 },
	{ "openat", "flags", 2 },      { "madvise", "advice", 2 },
	{ "futex", "op", 1 },
};

#define C(x) { #x, (uint64_t)(x) }
static const struct {
	const char *name;
	uint64_t value;
} constants[] = {
	C(AF_UNSPEC), C(AF_UNIX), C(AF_LOCAL), C(AF_INET), C(AF_INET6), C(AF_NETLINK),
	C(AF_PACKET), C(AF_VSOCK),
	C(SOCK_STREAM), C(SOCK_DGRAM), C(SOCK_RAW), C(SOCK_SEQPACKET), C(SOCK_NONBLOCK),
	C(SOCK_CLOEXEC),
	C(PROT_NONE), C(PROT_READ), C(PROT_WRITE), C(PROT_EXEC),
	C(MAP_SHARED), C(MAP_PRIVATE), C(MAP_FIXED), C(MAP_ANONYMOUS), C(MAP_NORESERVE),
	C(MAP_STACK), C(MAP_GROWSDOWN),
	C(PR_SET_PDEATHSIG), C(PR_GET_PDEATHSIG), C(PR_SET_DUMPABLE), C(PR_GET_DUMPABLE),
	C(PR_SET_NO_NEW_PRIVS), C(PR_GET_NO_NEW_PRIVS), C(PR_SET_NAME), C(PR_GET_NAME),
	C(PR_CAPBSET_READ), C(PR_SET_KEEPCAPS), C(PR_SET_PTRACER),
	C(F_GETFD), C(F_SETFD), C(F_GETFL), C(F_SETFL), C(F_DUPFD), C(F_DUPFD_CLOEXEC),
	C(F_GETLK), C(F_SETLK), C(F_SETLKW), C(F_OFD_GETLK), C(F_OFD_SETLK), C(F_OFD_SETLKW),
	C(O_RDONLY), C(O_WRONLY), C(O_RDWR), C(O_CREAT), C(O_EXCL), C(O_TRUNC), C(O_APPEND),
	C(O_NONBLOCK), C(O_CLOEXEC), C(O_NOFOLLOW), C(O_DIRECTORY), C(O_NOCTTY), C(O_PATH),
	C(O_TMPFILE), C(O_ACCMODE),
	C(CLONE_VM), C(CLONE_FS), C(CLONE_FILES), C(CLONE_SIGHAND), C(CLONE_THREAD), C(CLONE_UNTRACED),
	C(CLONE_VFORK), C(CLONE_NEWUSER), C(CLONE_NEWNS), C(CLONE_NEWNET), C(CLONE_NEWPID),
	C(CLONE_SETTLS), C(CLONE_PARENT_SETTID), C(CLONE_CHILD_CLEARTID), C(CLONE_SYSVSEM),
	C(MADV_NORMAL), C(MADV_RANDOM), C(MADV_SEQUENTIAL), C(MADV_WILLNEED), C(MADV_DONTNEED),
	C(MADV_FREE), C(MADV_DONTDUMP), C(MADV_DODUMP), C(MADV_HUGEPAGE), C(MADV_NOHUGEPAGE),
	C(MADV_DONTFORK), C(MADV_WIPEONFORK),
	C(SIGHUP), C(SIGINT), C(SIGQUIT), C(SIGABRT), C(SIGKILL), C(SIGUSR1), C(SIGUSR2),
	C(SIGPIPE), C(SIGALRM), C(SIGTERM), C(SIGCHLD), C(SIGCONT), C(SIGSTOP), C(SIGSYS),
	C(SOL_SOCKET), C(SO_PEERCRED), C(SO_PEERGROUPS), C(SO_ERROR), C(SO_REUSEADDR), C(SO_REUSEPORT),
	C(SO_KEEPALIVE), C(SO_RCVBUF), C(SO_SNDBUF), C(SO_PASSCRED), C(SO_RCVTIMEO),
	C(SO_SNDTIMEO), C(SO_TYPE), C(SO_DOMAIN),
	C(IPPROTO_IP), C(IPPROTO_IPV6), C(IPPROTO_TCP), C(IPPROTO_UDP), C(IPPROTO_ICMP),
	C(TCP_NODELAY), C(TCP_KEEPIDLE), C(TCP_KEEPINTVL), C(TCP_KEEPCNT),
	C(FUTEX_WAIT), C(FUTEX_WAKE), C(FUTEX_PRIVATE_FLAG), C(FUTEX_WAIT_BITSET),
	C(FUTEX_WAKE_BITSET), C(FUTEX_CLOCK_REALTIME),
	C(TCGETS), C(TCSETS), C(TIOCGWINSZ), C(FIONREAD), C(FIONBIO), C(FIOCLEX), C(FIONCLEX),
	C(SIOCGIFINDEX), C(SIOCGIFFLAGS), C(SIOCSIFFLAGS), C(TUNSETIFF),
};
#undef C

static int lookup_arg(const char *sys, const char *name, size_t n)
{
	if (n == 4 && memcmp(name, "arg", 3) == 0 && name[3] >= '0' && name[3] <= '5')
		return name[3] - '0';
	for (size_t i = 0; i < sizeof(argnames) / sizeof(argnames[0]); i++)
		if (strcmp(argnames[i].sys, sys) == 0 && strlen(argnames[i].name) == n &&
		    memcmp(argnames[i].name, name, n) == 0)
			return (int)argnames[i].arg;
	return -1;
}

static const char *arg_label(const char *sys, unsigned arg, char tmp[8])
{
	for (size_t i = 0; i < sizeof(argnames) / sizeof(argnames[0]); i++)
		if (strcmp(argnames[i].sys, sys) == 0 && argnames[i].arg == arg)
			return argnames[i].name;
	snprintf(tmp, 8, "arg%u", arg);
	return tmp;
}

/* One term: decimal, 0x hex, or a constant name. */
static int parse_term(const char *s, size_t n, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0)
		return BH_ERR_FORMAT;
	if (s[0] >= '0' && s[0] <= '9') {
		if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			if (n - 2 > 16)
				return BH_ERR_RANGE;
			for (size_t i = 2; i < n; i++) {
				char c = s[i];
				unsigned d;
				if (c >= '0' && c <= '9')
					d = (unsigned)(c - '0');
				else if (c >= 'a' && c <= 'f')
					d = (unsigned)(c - 'a' + 10);
				else if (c >= 'A' && c <= 'F')
					d = (unsigned)(c - 'A' + 10);
				else
					return BH_ERR_FORMAT;
				v = (v << 4) | d;
			}
		} else {
			for (size_t i = 0; i < n; i++) {
				if (s[i] < '0' || s[i] > '9')
					return BH_ERR_FORMAT;
				unsigned d = (unsigned)(s[i] - '0');
				if (v > (UINT64_MAX - d) / 10)
					return BH_ERR_RANGE;
				v = v * 10 + d;
			}
		}
		*ret = v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
		if (strlen(constants[i].name) == n && memcmp(constants[i].name, s, n) == 0) {
			*ret = constants[i].value;
			return 0;
		}
	/* SELF: the pid of the process that installs the filter (kill/tgkill to itself) */
	if (n == 4 && memcmp(s, "SELF", 4) == 0) {
		*ret = BH_SECCOMP_VAL_SELF;
		return 0;
	}
	return BH_ERR_NOT_FOUND;
}

/* term('+'term)* : bitwise OR of the terms */
static int parse_value(const char *s, size_t n, uint64_t *ret)
{
	uint64_t acc = 0, v;
	int r;

	for (;;) {
		const char *plus = memchr(s, '+', n);
		size_t tn = plus ? (size_t)(plus - s) : n;
		if ((r = parse_term(s, tn, &v)) < 0)
			return r;
		acc |= v;
		if (!plus)
			break;
		n -= tn + 1;
		s = plus + 1;
	}
	*ret = acc;
	return 0;
}

static int errno_from_name(const char *name)
{
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);
		if (n && strcmp(n, name) == 0)
			return e;
	}
	return -1;
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
	if ((arg = lookup_arg(sys, tok, an)) < 0) {
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
		if ((r = parse_value(p + 1, (size_t)(eq - p - 1), &c->mask)) < 0)
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
		if ((r = parse_value(p, vn, &c->vals[c->n])) < 0)
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
		if ((err = errno_from_name(tok[2])) < 0) {
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
	if (BH_ASAN)
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

static const char *op_str(int op)
{
	switch (op) {
	case SCMP_CMP_NE: return "!=";
	case SCMP_CMP_LT: return "<";
	case SCMP_CMP_LE: return "<=";
	case SCMP_CMP_GT: return ">";
	case SCMP_CMP_GE: return ">=";
	default: return "=";
	}
}

void bh_seccomp_rule_format(const struct bh_seccomp_rule *ru, char *out, size_t size)
{
	size_t off = 0;
	char tmp[8];
	int n;

#define APPEND(...)                                                              \
	do {                                                                     \
		n = snprintf(out + off, off < size ? size - off : 0, __VA_ARGS__); \
		if (n > 0)                                                       \
			off += (size_t)n;                                        \
	} while (0)
	if (size == 0)
		return;
	out[0] = '\0';
	if (ru->action == BH_SECCOMP_ERRNO)
		APPEND("errno %s %s", ru->name, strerrorname_np(ru->err) ? strerrorname_np(ru->err) : "?");
	else
		APPEND("allow %s", ru->name);
	for (unsigned i = 0; i < ru->n_conds; i++) {
		const struct bh_seccomp_cond *c = &ru->conds[i];
		const char *an = arg_label(ru->name, c->arg, tmp);
		if (c->op == SCMP_CMP_MASKED_EQ)
			APPEND(" %s&0x%llx=0x%llx", an, (unsigned long long)c->a,
			       (unsigned long long)c->b);
		else if (c->op == SCMP_CMP_EQ && c->a == BH_SECCOMP_VAL_SELF)
			APPEND(" %s=SELF", an);
		else
			APPEND(" %s%s0x%llx", an, op_str(c->op), (unsigned long long)c->a);
	}
	APPEND("    # %s:%u%s", ru->file, ru->line, ru->sanitizer ? " (sanitizer)" : "");
#undef APPEND
	if (off >= size)
		out[size - 1] = '\0';
}

/* ---------------------------------------------------------------- loading */
/* Debug mode: names precomputed before the filter is loaded (the handler may not allocate). */
static char dbg_names[512][32];

static void put_str(char *buf, size_t *off, size_t size, const char *s)
{
	while (*s && *off + 1 < size)
		buf[(*off)++] = *s++;
}

static void sigsys_handler(int sig, siginfo_t *si, void *vctx)
{
	ucontext_t *uc = vctx;
	char line[160], num[16];
	size_t off = 0, k = 0;
	int nr = si->si_syscall;
	unsigned v = (unsigned)nr;
	int saved = errno;

	(void)sig;
	do
		num[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < sizeof(num));
	put_str(line, &off, sizeof(line), "blockhost-sandbox: seccomp: disallowed syscall ");
	put_str(line, &off, sizeof(line),
		nr >= 0 && nr < 512 && dbg_names[nr][0] ? dbg_names[nr] : "?");
	put_str(line, &off, sizeof(line), " (");
	while (k && off + 1 < sizeof(line))
		line[off++] = num[--k];
	put_str(line, &off, sizeof(line), ") [debug mode: NOT enforcing]\n");
	ssize_t w = write(STDERR_FILENO, line, off);
	(void)w;
	/* the call was not made; make it fail with ENOSYS and continue */
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
	errno = saved;
}

int bh_seccomp_install(const struct bh_seccomp *sc, unsigned flags, struct bh_msg *msg)
{
	scmp_filter_ctx ctx = NULL;
	bool debug = flags & BH_SANDBOX_DEBUG;
	int r = BH_ERR_INTERNAL;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
		bh_msg_set(msg, "seccomp: only x86_64 is supported");
		return BH_ERR_UNSUPPORTED;
	}
	if (debug && !bh_sandbox_debug_build()) {
		bh_msg_set(msg, "seccomp: debug mode (BH_SANDBOX_DEBUG) requested, but this is not a "
			   "debug build (make SECCOMP_DEBUG=1): refusing rather than not enforcing");
		return BH_ERR_UNSUPPORTED;
	}
	if (debug) {
		struct sigaction sa;
		for (int i = 0; i < 512; i++) {
			char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, i);
			snprintf(dbg_names[i], sizeof(dbg_names[i]), "%s", n ? n : "");
			free(n);
		}
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = sigsys_handler;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSYS, &sa, NULL) < 0) {
			r = bh_negerrno();
			bh_msg_set(msg, "seccomp debug: sigaction(SIGSYS): %s", bh_strerror(r));
			return r;
		}
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGSYS);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
	}
	if (!(ctx = seccomp_init(debug ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS))) {
		bh_msg_set(msg, "seccomp_init failed");
		return -ENOMEM;
	}
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0) {
		bh_msg_set(msg, "seccomp: setting filter attributes: %s", bh_strerror(r));
		goto out;
	}
	for (size_t i = 0; i < sc->n_rules; i++) {
		const struct bh_seccomp_rule *ru = &sc->rules[i];
		struct scmp_arg_cmp cmp[6];
		if (ru->dropped)
			continue;
		for (unsigned k = 0; k < ru->n_conds; k++) {
			cmp[k].arg = ru->conds[k].arg;
			cmp[k].op = (enum scmp_compare)ru->conds[k].op;
			cmp[k].datum_a = ru->conds[k].a;
			cmp[k].datum_b = ru->conds[k].b;
			/* SELF: resolved here, in the process the filter is for (a forked reader
			 * installs its own) */
			if (cmp[k].op == SCMP_CMP_EQ && cmp[k].datum_a == BH_SECCOMP_VAL_SELF)
				cmp[k].datum_a = (uint64_t)getpid();
		}
		uint32_t act = ru->action == BH_SECCOMP_ALLOW ? SCMP_ACT_ALLOW :
			       SCMP_ACT_ERRNO((uint32_t)ru->err);
		if ((r = seccomp_rule_add_exact_array(ctx, act, ru->nr, ru->n_conds, cmp)) < 0) {
			bh_msg_set(msg, "%s:%u: libseccomp rejected the rule for %s: %s", ru->file,
				   ru->line, ru->name, bh_strerror(r));
			goto out;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "prctl(PR_SET_NO_NEW_PRIVS): %s", bh_strerror(r));
		goto out;
	}
	if ((r = seccomp_load(ctx)) < 0) {
		bh_msg_set(msg, "seccomp_load: %s", bh_strerror(r));
		goto out;
	}
	r = 0;
out:
	seccomp_release(ctx);
	return r;
}

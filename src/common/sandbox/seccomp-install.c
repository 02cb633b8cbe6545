/* SPDX-License-Identifier: MIT */
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
#include "sandbox/seccomp-int.h"

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
		const char *an = bh_seccomp__arg_label(ru->name, c->arg, tmp);
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

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

int bh_seccomp__lookup_arg(const char *sys, const char *name, size_t n)
{
	if (n == 4 && memcmp(name, "arg", 3) == 0 && name[3] >= '0' && name[3] <= '5')
		return name[3] - '0';
	for (size_t i = 0; i < sizeof(argnames) / sizeof(argnames[0]); i++)
		if (strcmp(argnames[i].sys, sys) == 0 && strlen(argnames[i].name) == n &&
		    memcmp(argnames[i].name, name, n) == 0)
			return (int)argnames[i].arg;
	return -1;
}

const char *bh_seccomp__arg_label(const char *sys, unsigned arg, char tmp[8])
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
int bh_seccomp__parse_value(const char *s, size_t n, uint64_t *ret)
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

int bh_seccomp__errno_from_name(const char *name)
{
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);
		if (n && strcmp(n, name) == 0)
			return e;
	}
	return -1;
}

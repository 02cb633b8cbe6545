/* SPDX-License-Identifier: MIT */
/*
 * escape_probe SERVICE PROBE [ARG]: become SERVICE exactly as its daemon does
 * (bh_sandbox_apply: policy/<SERVICE>.policy with BH_SANDBOX_SETID and
 * BH_SANDBOX_CHECK_IDENTITY, then seccomp/<SERVICE>), then try one escape and report how
 * it ended: exit 0 = the attempt succeeded ("allowed"), exit 1 = the kernel refused it
 * ("denied": an errno), death by SIGSYS = the filter killed it ("killed"); exit 2 = the
 * probe could not be set up.  Run as root by tests/integration/test_escape_probes.sh, which
 * holds the expected outcome of every service x probe in tests/escape_probes.tsv.
 *
 * Probes (raw system calls, so libc adds nothing the probe did not ask for):
 *   write-root FILE      open a root-owned 0644 file for writing
 *   signal PID           SIGTERM to another process of the same uid
 *   create-0644 DIR      create a new world-readable file in a world-writable directory
 *   exec                 execve /bin/true
 *   ptrace PID           PTRACE_ATTACH to another process of the same uid
 *   mount DIR            mount a tmpfs
 *   netlink              socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)
 *   raw-socket           socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)
 *   mmap-exec            an anonymous PROT_READ|PROT_EXEC mapping
 *   setuid               setuid(0)
 *   read-other FILE      read another service's 0600 file
 *   signal-sibling PID   SIGTERM to a process of a sibling service (engine / provisioner /
 *                        wizard: separate uids, policy/README.md "Users")
 *   read-sibling FILE    read a sibling service's 0600 file
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

static int verdict(long r)
{
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct bh_msg m = { "" };
	const char *svc, *probe, *arg;
	char path[512];
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: escape_probe SERVICE PROBE [ARG]\n");
		return 2;
	}
	svc = argv[1];
	probe = argv[2];
	arg = argc > 3 ? argv[3] : "";
	snprintf(path, sizeof(path), "%s/probe-%d", arg, (int)getpid());
	if ((r = bh_sandbox_apply(svc, BH_SANDBOX_SETID | BH_SANDBOX_CHECK_IDENTITY, &m)) < 0) {
		fprintf(stderr, "escape_probe: sandbox %s: %s (%s)\n", svc, m.text, bh_strerror(r));
		return 2;
	}
	/* from here on: one system call, then _exit */
	if (!strcmp(probe, "write-root"))
		_exit(verdict(syscall(SYS_openat, AT_FDCWD, arg, O_WRONLY | O_CLOEXEC)));
	if (!strcmp(probe, "signal") || !strcmp(probe, "signal-sibling"))
		_exit(verdict(syscall(SYS_kill, (pid_t)atoi(arg), SIGTERM)));
	if (!strcmp(probe, "create-0644"))
		_exit(verdict(syscall(SYS_openat, AT_FDCWD, path,
				      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)));
	if (!strcmp(probe, "exec")) {
		char *const av[] = { (char *)"true", NULL }, *const ev[] = { NULL };
		_exit(verdict(syscall(SYS_execve, "/bin/true", av, ev)));
	}
	if (!strcmp(probe, "ptrace"))
		_exit(verdict(syscall(SYS_ptrace, PTRACE_ATTACH, (pid_t)atoi(arg), 0, 0)));
	if (!strcmp(probe, "mount"))
		_exit(verdict(syscall(SYS_mount, "none", arg, "tmpfs", 0UL, NULL)));
	if (!strcmp(probe, "netlink"))
		_exit(verdict(syscall(SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)));
	if (!strcmp(probe, "raw-socket"))
		_exit(verdict(syscall(SYS_socket, AF_INET, SOCK_RAW, IPPROTO_ICMP)));
	if (!strcmp(probe, "mmap-exec")) {
		long p = syscall(SYS_mmap, NULL, 4096UL, PROT_READ | PROT_EXEC,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0L);
		_exit(p == (long)MAP_FAILED || p < 0 ? 1 : 0);
	}
	if (!strcmp(probe, "setuid"))
		_exit(verdict(syscall(SYS_setuid, 0)));
	if (!strcmp(probe, "read-other") || !strcmp(probe, "read-sibling"))
		_exit(verdict(syscall(SYS_openat, AT_FDCWD, arg, O_RDONLY | O_CLOEXEC)));
	_exit(2);
}

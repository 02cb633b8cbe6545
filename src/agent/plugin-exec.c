/* SPDX-License-Identifier: MIT */
/*
 * Signed action plugins, part 5: running a loaded plugin.  The front half is the
 * plugin's own (clone(CLONE_VM|CLONE_VFORK), user and securebits, capabilities cut
 * to the manifest's, execveat of the sealed memfd); the pipes, output caps,
 * deadline, kill and reap are bh_spawn_pump's (core/spawn.h), the one pump every
 * child BlockHost runs goes through.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cap-ng.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>

#include "core/buf.h"
#include "core/deadline.h"
#include "core/err.h"
#include "core/frame.h"
#include "core/path.h"
#include "core/spawn.h"
#include "core/strutil.h"
#include "plugin.h"

#define STDERR_KEEP 4096

/*
 * Everything the plugin child needs, prepared by the parent: between clone() and
 * execveat() the child shares the parent's memory (CLONE_VM|CLONE_VFORK, no page
 * table copy) and so may only make async-signal-safe calls — plain syscalls, no
 * malloc, stdio or libcap-ng.
 */
struct child_args {
	const struct bh_plugin *p;
	char *argv[2];
	char *envp[4];
	int in, outp, errp;
	bool root;          /* the agent is root: switch user and set capabilities */
	bool user;          /* run as the plugin user (not "run_as": "root") */
	struct __user_cap_header_struct caph;
	struct __user_cap_data_struct capd[2];
};

/* write "what: errno N\n" to fd 2 with async-signal-safe calls only */
static void child_err(const char *what, int e)
{
	char num[16];
	size_t n = sizeof(num);

	num[--n] = '\n';
	do {
		num[--n] = (char)('0' + e % 10);
		e /= 10;
	} while (e && n > 0);
	if (write(2, what, strlen(what)) < 0 || write(2, ": errno ", 8) < 0 ||
	    write(2, num + n, sizeof(num) - n) < 0)
		return;
}

static int child_exec(void *arg)
{
	const struct child_args *a = arg;
	const struct bh_plugin *p = a->p;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	/* signals were blocked by the parent around clone(); handlers back to default
	 * first (they are the parent's functions, in the memory we share), then unblock */
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (dup2(a->in, 0) < 0 || dup2(a->outp, 1) < 0 || dup2(a->errp, 2) < 0 ||
	    dup2(p->memfd, 3) < 0)
		_exit(126);
	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		_exit(126);
	if (syscall(SYS_close_range, 4U, ~0U, 0) < 0) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(126);
		for (rlim_t fd = 4; fd < rl.rlim_cur && fd < 65536; fd++)
			close((int)fd);
	}
	if (a->root) {
		if (a->user) {
			/* the plugin user: uid 0 never again means anything to this process
			 * tree (NOROOT: no caps from uid 0 or setuid-root files on exec;
			 * NO_SETUID_FIXUP: the uid change keeps the capabilities, which are
			 * then cut to the manifest's and raised as ambient so execveat keeps
			 * them), all locked.  Raw syscalls: glibc's set*id wrappers may
			 * broadcast to threads through shared state. */
			gid_t g[1 + BH_PLUGIN_GROUPS_MAX];
			size_t ng = 1;
			g[0] = p->run_gid;
			for (size_t i = 0; i < p->n_groups && i < BH_PLUGIN_GROUPS_MAX; i++)
				g[ng++] = p->groups[i];
			if (p->run_uid == 0) {
				child_err("plugin user is uid 0", 0);
				_exit(126);
			}
			if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
				  SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
				  SECBIT_KEEP_CAPS_LOCKED) < 0 ||
			    syscall(SYS_setgroups, ng, g) < 0 ||
			    syscall(SYS_setresgid, g[0], g[0], g[0]) < 0 ||
			    syscall(SYS_setresuid, p->run_uid, p->run_uid, p->run_uid) < 0) {
				child_err("cannot switch to the plugin user", errno);
				_exit(126);
			}
		}
		/* keep only the manifest's capabilities: bounding set too (dropped while
		 * CAP_SETPCAP is still effective), so that the root-exec rule (permitted
		 * = inheritable | bounding) grants no more to a root plugin; ambient for
		 * a plugin-user plugin */
		for (int c = 0; c < 64; c++) {
			if (p->m->caps & (1ull << c))
				continue;
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
				if (errno == EINVAL)
					break; /* past the kernel's last capability */
				child_err("cannot drop capabilities (bounding set)", errno);
				_exit(126);
			}
		}
		if (syscall(SYS_capset, &a->caph, a->capd) < 0 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
			child_err("cannot drop capabilities", errno);
			_exit(126);
		}
		for (int c = 0; a->user && c < 64; c++)
			if ((p->m->caps & (1ull << c)) &&
			    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) {
				child_err("cannot raise ambient capabilities", errno);
				_exit(126);
			}
	}
	execveat(3, "", a->argv, a->envp, AT_EMPTY_PATH);
	child_err("execveat", errno);
	_exit(127);
}

#if defined(__SANITIZE_ADDRESS__)
#define CHILD_SHARES_VM 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define CHILD_SHARES_VM 0
#endif
#endif
#ifndef CHILD_SHARES_VM
#define CHILD_SHARES_VM 1
#endif
#define CHILD_STACK (64 * 1024)

/*
 * Start the plugin child.  clone(CLONE_VM|CLONE_VFORK): no copy of the page
 * tables, and the parent sleeps until the child has exec'd or exited.  Sanitizer
 * builds use fork() (ASan poisons the child's frames in shadow memory it would
 * share with us).  All signals are blocked across the call so no handler of ours
 * runs in the child.  Returns the pid or -errno.
 */
static pid_t child_start(struct child_args *a)
{
	sigset_t all, old;
	pid_t pid;
	int e = 0;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (CHILD_SHARES_VM) {
		void *stk = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stk == MAP_FAILED) {
			pid = -1;
			e = errno;
		} else {
			pid = clone(child_exec, (char *)stk + CHILD_STACK,
				    CLONE_VM | CLONE_VFORK | SIGCHLD, a);
			e = errno;
			munmap(stk, CHILD_STACK);
		}
	} else {
		pid = fork();
		e = errno;
		if (pid == 0)
			_exit(child_exec(a));
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid < 0 ? -e : pid;
}

/* Append the first line of the plugin's stderr (printable ASCII, <= 200 bytes) to msg. */
static void add_stderr(struct bh_msg *msg, const struct bh_buf *eb)
{
	char line[201];
	size_t len = bh_buf_len(eb);
	const char *d = (const char *)bh_buf_ptr(eb), *nl = memchr(d, '\n', len);

	if (!msg || len == 0)
		return;
	bh_str_sanitize(d, nl ? (size_t)(nl - d) : len, line, sizeof(line));
	if (line[0]) {
		size_t cur = strlen(msg->text);
		snprintf(msg->text + cur, sizeof(msg->text) - cur, ": %s", line);
	}
}

/*
 * The agent's policy is the ceiling: a plugin needing a capability the agent does not
 * hold is refused here with its name, instead of failing in the child.
 */
static int check_ceiling(const struct bh_plugin *p, const char *name, struct bh_msg *msg)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int r;

	if (syscall(SYS_capget, &h, d) < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "capget: %s", bh_strerror(r));
		return r;
	}
	uint64_t have = d[0].permitted | ((uint64_t)d[1].permitted << 32);
	for (int c = 0; c < 64; c++) {
		if ((p->m->caps & (1ull << c)) && !(have & (1ull << c))) {
			bh_msg_set(msg, "plugin %s needs capability %s, which the agent does not "
				   "hold (policy/blockhost-root-agent.policy)", name,
				   capng_capability_to_name((unsigned)c));
			return BH_ERR_DENIED;
		}
	}
	return 0;
}

/* How the plugin ended (res from the pump) → its reply object, or an error with msg. */
static int plugin_outcome(const struct bh_plugin *p, const char *name,
			  const struct bh_spawn_result *res, json_t **ret, struct bh_msg *msg)
{
	json_t *reply = NULL;
	int r;

	if (res->timed_out) {
		bh_msg_set(msg, "plugin %s timed out after %u ms", name, p->m->timeout_ms);
		return BH_ERR_TIMEOUT;
	}
	if (res->stdout_truncated) {
		bh_msg_set(msg, "plugin %s: output larger than %zu bytes", name, p->m->output_max);
		return BH_ERR_LIMIT;
	}
	if (res->exit_code < 0) {
		bh_msg_set(msg, "plugin %s killed by signal %d", name, res->term_signal);
		return BH_ERR_CHILD;
	}
	r = bh_frame_decode_json(bh_buf_ptr(&res->out), bh_buf_len(&res->out), &reply);
	if (r < 0 || !json_is_boolean(json_object_get(reply, "ok"))) {
		json_decref(reply);
		if (res->exit_code != 0) {
			bh_msg_set(msg, "plugin %s failed (exit status %d)", name, res->exit_code);
			return BH_ERR_CHILD;
		}
		bh_msg_set(msg, "plugin %s: reply is not a JSON object with boolean \"ok\"", name);
		return BH_ERR_FORMAT;
	}
	if (res->exit_code != 0 && json_is_true(json_object_get(reply, "ok"))) {
		json_decref(reply);
		bh_msg_set(msg, "plugin %s said ok but exited with status %d", name, res->exit_code);
		return BH_ERR_CHILD;
	}
	*ret = reply;
	return 0;
}

int bh_plugin_exec(const struct bh_plugin *p, const char *name, const char *input, size_t in_len,
		   struct bh_spawn_result *res, struct bh_msg *msg)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	pid_t pid = -1;
	int r = BH_ERR_INTERNAL;
	struct child_args ca = {
		.p = p, .argv = { (char *)name, NULL },
		.envp = { (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LANG=C", NULL, NULL },
		.root = geteuid() == 0, .user = p->m->run_as != BH_PLUGIN_RUN_ROOT,
		.caph = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 },
	};

	memset(res, 0, sizeof(*res)); /* zeroed buffers read as empty */
	if (ca.root && ca.user && p->run_uid == 0) {
		if (p->m->run_as == BH_PLUGIN_RUN_LIBVIRT)
			bh_msg_set(msg, "plugin %s: its manifest says \"run_as\": \"libvirt\" but the "
				   "agent has no libvirt user ([libvirt] user of its policy does not "
				   "exist on this host)", name);
		else
			bh_msg_set(msg, "plugin %s: no plugin user configured (it would run as uid 0 "
				   "but its manifest does not say \"run_as\": \"root\")", name);
		return BH_ERR_CONFIG;
	}
	for (int i = 0; i < 2; i++)
		ca.capd[i].effective = ca.capd[i].permitted = ca.capd[i].inheritable =
			(uint32_t)(p->m->caps >> (32 * i));
	if (ca.root && p->m->caps && (r = check_ceiling(p, name, msg)) < 0)
		return r;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		r = bh_negerrno();
		goto out;
	}
	/* tests run the agent under a root prefix; plugins resolve paths the same way */
	const char *root = bh_root_prefix();
	if (root[0] && asprintf(&ca.envp[2], "BLOCKHOST_ROOT=%s", root) < 0) {
		ca.envp[2] = NULL;
		r = -ENOMEM;
		goto out;
	}
	ca.in = in[0];
	ca.outp = out[1];
	ca.errp = err[1];
	pid = child_start(&ca);
	if (pid < 0) {
		r = (int)pid;
		bh_msg_set(msg, "starting the plugin: %s", bh_strerror(r));
		goto out;
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	in[0] = out[1] = err[1] = -1;
	/* the child is a session (so group) leader (setsid in child_exec); the pump kills
	 * it at once at the deadline or when its reply outgrows output_max, and reaps it;
	 * the reply is complete only at EOF, so a helper holding stdout runs into the
	 * deadline too */
	const struct bh_spawn_pump_opts po = {
		.stdin_data = input, .stdin_len = in_len,
		.stdout_max = p->m->output_max, .stderr_max = STDERR_KEEP,
		.timeout_ms = (int)p->m->timeout_ms, .grace_ms = BH_SPAWN_KILL_AT_ONCE,
		.flags = BH_SPAWN_STDOUT_CAP_KILLS | BH_SPAWN_WAIT_EOF,
	};
	r = bh_spawn_pump(pid, in[1], out[0], err[0], &po, res);
	in[1] = out[0] = err[0] = -1;
	if (r < 0)
		bh_msg_set(msg, "running plugin %s: %s", name, bh_strerror(r));
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0) close(in[i]);
		if (out[i] >= 0) close(out[i]);
		if (err[i] >= 0) close(err[i]);
	}
	free(ca.envp[2]);
	return r;
}

int bh_plugin_outcome(const struct bh_plugin *p, const char *name, const struct bh_spawn_result *res,
		      json_t **ret, struct bh_msg *msg)
{
	int r = plugin_outcome(p, name, res, ret, msg);
	if (r < 0)
		add_stderr(msg, &res->err);
	return r;
}

int bh_plugin_run(const struct bh_plugin *p, const char *name, const json_t *params, json_t **ret,
		  struct bh_msg *msg)
{
	json_t *vp = NULL;
	char *input = NULL;
	size_t in_len = 0;
	struct bh_spawn_result res = { 0 };
	int r;

	if ((r = bh_params_validate(p->m, params, &vp, msg)) < 0)
		goto out;
	if (!(input = json_dumps(vp, JSON_COMPACT))) {
		r = -ENOMEM;
		goto out;
	}
	in_len = strlen(input);
	if ((r = bh_plugin_exec(p, name, input, in_len, &res, msg)) < 0) {
		add_stderr(msg, &res.err);
		goto out;
	}
	r = bh_plugin_outcome(p, name, &res, ret, msg);
out:
	if (input) {
		explicit_bzero(input, in_len);
		free(input);
	}
	json_decref(vp);
	bh_spawn_result_done(&res);
	return r;
}

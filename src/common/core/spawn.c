/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/err.h"
#include "core/frame.h"
#include "core/json.h"
#include "core/spawn.h"

/*
 * Child exit is noticed by waitpid(WNOHANG) between polls.  While the child holds
 * its pipes open, poll wakes on output and on POLLHUP when it exits; once both are
 * closed (or a grandchild keeps them open) poll sleeps a tick that starts at 1 ms
 * and doubles up to SPAWN_TICK_MAX_MS.  No pidfd_open or SIGCHLD handler: both
 * would need more from the services' seccomp filters and signal setup.
 */
#define SPAWN_TICK_MAX_MS 32
#define SPAWN_CHUNK 16384

static const char *const default_envp[] = {
	"PATH=" BH_SPAWN_DEFAULT_PATH,
	"LANG=C.UTF-8",
	NULL,
};

static const char *env_lookup(const char *const *envp, const char *key)
{
	size_t kl = strlen(key);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, key, kl) == 0 && (*envp)[kl] == '=')
			return *envp + kl + 1;
	return NULL;
}

int bh_spawn_which(const char *name, const char *path_list, char **ret)
{
	if (!name || !*name || strchr(name, '/') || !path_list)
		return -EINVAL;
	size_t nl = strlen(name);
	const char *p = path_list;
	while (*p) {
		const char *e = strchrnul(p, ':');
		size_t dl = (size_t)(e - p);
		/* only absolute directories: "" or "." would search the cwd */
		if (dl > 0 && p[0] == '/') {
			char *cand = malloc(dl + 1 + nl + 1);
			struct stat st;
			if (!cand)
				return -ENOMEM;
			memcpy(cand, p, dl);
			cand[dl] = '/';
			memcpy(cand + dl + 1, name, nl + 1);
			if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
				*ret = cand;
				return 0;
			}
			free(cand);
		}
		p = *e ? e + 1 : e;
	}
	return BH_ERR_NOT_FOUND;
}

/* Keep our pipe ends off 0..2, so the child's dup2 onto 0..2 never is a no-op. */
static int fd_above_stdio(int *fd)
{
	if (*fd > 2)
		return 0;
	int n = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (n < 0)
		return bh_negerrno();
	close(*fd);
	*fd = n;
	return 0;
}

static int make_pipe(int p[2], int parent_end)
{
	int r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return bh_negerrno();
	if ((r = fd_above_stdio(&p[0])) < 0 || (r = fd_above_stdio(&p[1])) < 0)
		return r;
	/* the parent side never blocks; the child's side stays blocking */
	if (fcntl(p[parent_end], F_SETFL, O_NONBLOCK) < 0)
		return bh_negerrno();
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Write to the stdin pipe without taking SIGPIPE if the child closed it. */
static ssize_t write_nosigpipe(int fd, const void *p, size_t n)
{
	sigset_t set, old, pend;
	bool was_pending;
	ssize_t k;
	int saved;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigpending(&pend);
	was_pending = sigismember(&pend, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	k = write(fd, p, n);
	saved = errno;
	if (k < 0 && saved == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return k;
}

/* Read what is available from a capture pipe.  Returns 0, or -errno; *eof on EOF. */
static int drain(int fd, struct bh_buf *b, bool *trunc, bool *eof, uint8_t *tmp)
{
	for (;;) {
		ssize_t k = read(fd, tmp, SPAWN_CHUNK);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return bh_negerrno();
		}
		if (k == 0) {
			*eof = true;
			return 0;
		}
		size_t n = (size_t)k, room = bh_buf_avail(b);
		if (n > room) {
			*trunc = true;
			n = room;
		}
		if (n) {
			int r = bh_buf_put(b, tmp, n);
			if (r < 0)
				return r;
		}
	}
}

static int wait_child(pid_t pid, bool block, int *status, bool *reaped)
{
	for (;;) {
		pid_t w = waitpid(pid, status, block ? 0 : WNOHANG);
		if (w == pid) {
			*reaped = true;
			return 0;
		}
		if (w == 0)
			return 0;
		if (errno == EINTR)
			continue;
		/* ECHILD: someone else reaped it (SIGCHLD ignored, or waitpid(-1)) */
		*reaped = true;
		return errno == ECHILD ? BH_ERR_CHILD : bh_negerrno();
	}
}

/*
 * Has the child exited?  Checked without reaping it (WNOWAIT): while the zombie
 * exists its pid, and so the process-group id, cannot be reused, which makes a
 * last kill of the group safe.
 */
static int child_exited(pid_t pid, bool *ret)
{
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
			*ret = si.si_pid == pid;
			return 0;
		}
		if (errno == EINTR)
			continue;
		return errno == ECHILD ? BH_ERR_CHILD : bh_negerrno();
	}
}

static int min_left(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* Signal the child's group and the child itself (in case it never became a leader). */
static void kill_child(pid_t pid, int sig)
{
	kill(-pid, sig);
	kill(pid, sig);
}

/* The child's state inside bh_spawn_pump. */
struct pump {
	pid_t pid;
	int in, out, err;               /* parent ends, -1 once closed */
	const struct bh_spawn_pump_opts *o;
	size_t in_off;
	int kill_stage;                 /* 0 running, 1 SIGTERM sent, 2 SIGKILL sent */
	int64_t deadline, kill_deadline;
	uint8_t *tmp;
	struct bh_spawn_result res;
};

static void pump_kill_now(struct pump *p)
{
	kill_child(p->pid, SIGKILL);
	p->kill_stage = 2;
	close_fd(&p->in);
}

/* Deadline and grace period: the next kill step when one is due. */
static void pump_deadlines(struct pump *p)
{
	int grace = p->o->grace_ms ? p->o->grace_ms : BH_SPAWN_GRACE_DEFAULT_MS;

	if (p->kill_stage == 0 && p->deadline >= 0 && bh_deadline_left(p->deadline) == 0) {
		p->res.timed_out = true;
		if (p->o->grace_ms == BH_SPAWN_KILL_AT_ONCE) {
			pump_kill_now(p);
			return;
		}
		kill_child(p->pid, SIGTERM);
		p->kill_stage = 1;
		p->kill_deadline = bh_deadline_from_ms(grace);
		close_fd(&p->in);
	}
	if (p->kill_stage == 1 && bh_deadline_left(p->kill_deadline) == 0) {
		kill_child(p->pid, SIGKILL);
		p->kill_stage = 2;
	}
}

/* Feed the next chunk of stdin; a child that closed its end does not get the rest. */
static void pump_write_stdin(struct pump *p, short revents)
{
	if (revents & (POLLERR | POLLHUP)) {
		close_fd(&p->in); /* child closed its stdin */
		return;
	}
	size_t left = p->o->stdin_len - p->in_off;
	ssize_t k = write_nosigpipe(p->in, (const uint8_t *)p->o->stdin_data + p->in_off,
				    left < SPAWN_CHUNK ? left : SPAWN_CHUNK);
	if (k > 0)
		p->in_off += (size_t)k;
	else if (k < 0 && errno != EINTR && errno != EAGAIN)
		close_fd(&p->in); /* EPIPE: the child does not want it */
	if (p->in_off == p->o->stdin_len)
		close_fd(&p->in);
}

/* One poll round over the pipes, at most until the next deadline or tick. */
static int pump_poll(struct pump *p, int *tick)
{
	struct pollfd pf[3];
	int np = 0, i_in = -1, i_out = -1, i_err = -1, r;

	if (p->in >= 0) {
		i_in = np;
		pf[np++] = (struct pollfd){ .fd = p->in, .events = POLLOUT };
	}
	if (p->out >= 0) {
		i_out = np;
		pf[np++] = (struct pollfd){ .fd = p->out, .events = POLLIN };
	}
	if (p->err >= 0) {
		i_err = np;
		pf[np++] = (struct pollfd){ .fd = p->err, .events = POLLIN };
	}
	int wait_ms = p->kill_stage == 0 ? bh_deadline_left(p->deadline)
		      : p->kill_stage == 1 ? bh_deadline_left(p->kill_deadline) : *tick;
	/* with no pipe left to wake us, or after a quiet tick, check the child often */
	wait_ms = min_left(wait_ms, *tick);
	int n = poll(pf, (nfds_t)np, wait_ms);
	if (n > 0)
		*tick = 1;
	else if (n == 0 && *tick < SPAWN_TICK_MAX_MS)
		*tick *= 2;
	if (n < 0)
		return errno == EINTR ? 0 : bh_negerrno();
	if (i_in >= 0 && pf[i_in].revents)
		pump_write_stdin(p, pf[i_in].revents);
	if (i_out >= 0 && pf[i_out].revents) {
		bool eof = false;
		if ((r = drain(p->out, &p->res.out, &p->res.stdout_truncated, &eof, p->tmp)) < 0)
			return r;
		if (eof)
			close_fd(&p->out);
		if (p->res.stdout_truncated && (p->o->flags & BH_SPAWN_STDOUT_CAP_KILLS) &&
		    p->kill_stage < 2)
			pump_kill_now(p);
	}
	if (i_err >= 0 && pf[i_err].revents) {
		bool eof = false;
		if ((r = drain(p->err, &p->res.err, &p->res.stderr_truncated, &eof, p->tmp)) < 0)
			return r;
		if (eof)
			close_fd(&p->err);
	}
	return 0;
}

int bh_spawn_pump(pid_t pid, int stdin_fd, int stdout_fd, int stderr_fd,
		  const struct bh_spawn_pump_opts *o, struct bh_spawn_result *ret)
{
	struct pump p = { .pid = pid, .in = stdin_fd, .out = stdout_fd, .err = stderr_fd, .o = o,
			  .deadline = -1, .kill_deadline = -1 };
	int status = 0, r = BH_ERR_INTERNAL, tick = 1;
	bool reaped = false, eof = false;
	int *fds[3] = { &p.in, &p.out, &p.err };

	if (pid <= 0 || !o || o->timeout_ms == 0 || o->timeout_ms < BH_SPAWN_NO_TIMEOUT ||
	    o->grace_ms < BH_SPAWN_KILL_AT_ONCE || (o->stdin_len && !o->stdin_data)) {
		r = -EINVAL;
		goto out;
	}
	bh_buf_init(&p.res.out, o->stdout_max ? o->stdout_max : BH_SPAWN_OUT_DEFAULT);
	bh_buf_init(&p.res.err, o->stderr_max ? o->stderr_max : BH_SPAWN_OUT_DEFAULT);
	if (!(p.tmp = malloc(SPAWN_CHUNK))) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		int fl = *fds[i] >= 0 ? fcntl(*fds[i], F_GETFL) : 0;
		if (fl < 0 || (*fds[i] >= 0 && fcntl(*fds[i], F_SETFL, fl | O_NONBLOCK) < 0)) {
			r = bh_negerrno();
			goto out;
		}
	}
	if (p.in >= 0 && o->stdin_len == 0)
		close_fd(&p.in);
	p.deadline = bh_deadline_from_ms(o->timeout_ms);
	for (;;) {
		bool exited = false;
		if ((r = child_exited(pid, &exited)) < 0) {
			reaped = true; /* gone: nothing left to reap */
			goto out;
		}
		/* WAIT_EOF: a helper still holding the pipes keeps the pump (and the deadline)
		 * running; the leader stays a zombie meanwhile, so its group id is not reused */
		if (exited && (o->flags & BH_SPAWN_WAIT_EOF) && p.kill_stage == 0 &&
		    (p.out >= 0 || p.err >= 0))
			exited = false;
		if (exited) {
			/* after a kill, helpers that ignored SIGTERM go with their leader */
			if (p.kill_stage > 0 || p.res.timed_out)
				kill(-pid, SIGKILL);
			if ((r = wait_child(pid, true, &status, &reaped)) < 0)
				goto out;
			break;
		}
		pump_deadlines(&p);
		if ((r = pump_poll(&p, &tick)) < 0)
			goto out;
	}
	/* everything the child wrote before exiting is in the pipes now */
	if ((p.out >= 0 && (r = drain(p.out, &p.res.out, &p.res.stdout_truncated, &eof, p.tmp)) < 0) ||
	    (p.err >= 0 && (r = drain(p.err, &p.res.err, &p.res.stderr_truncated, &eof, p.tmp)) < 0))
		goto out;
	if (WIFEXITED(status)) {
		p.res.exit_code = WEXITSTATUS(status);
	} else {
		p.res.exit_code = -1;
		p.res.term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
	*ret = p.res;
	memset(&p.res, 0, sizeof(p.res)); /* ownership moved */
	r = 0;
out:
	if (pid > 0 && !reaped) {
		/* an error: never leave the child (or its group) behind */
		kill_child(pid, SIGKILL);
		(void)wait_child(pid, true, &status, &reaped);
	}
	for (int i = 0; i < 3; i++)
		close_fd(fds[i]);
	if (p.tmp) {
		explicit_bzero(p.tmp, SPAWN_CHUNK);
		free(p.tmp);
	}
	bh_buf_done(&p.res.out);
	bh_buf_done(&p.res.err);
	return r;
}

int bh_spawn_run(const struct bh_spawn_opts *o, struct bh_spawn_result *ret)
{
	struct bh_spawn_result res;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	bool fa_init = false, attr_init = false;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int r = BH_ERR_INTERNAL;
	pid_t pid = -1;
	char *exe_alloc = NULL;
	const char *exe;

	memset(&res, 0, sizeof(res));
	if (!o || !o->argv || !o->argv[0] || !*o->argv[0] || o->timeout_ms == 0 ||
	    o->timeout_ms < BH_SPAWN_NO_TIMEOUT || o->grace_ms < 0 ||
	    (o->stdin_len && !o->stdin_data))
		return -EINVAL;
	const char *const *envp = o->envp ? o->envp : default_envp;
	if (o->argv[0][0] == '/') {
		exe = o->argv[0];
	} else if (o->search_path && !strchr(o->argv[0], '/')) {
		const char *path = env_lookup(envp, "PATH");
		if ((r = bh_spawn_which(o->argv[0], path ? path : "", &exe_alloc)) < 0)
			return r;
		exe = exe_alloc;
	} else {
		return -EINVAL;
	}

	if ((o->stdin_data && (r = make_pipe(in, 1)) < 0) || (r = make_pipe(out, 0)) < 0 ||
	    (r = make_pipe(err, 0)) < 0)
		goto out;

	if ((r = -posix_spawn_file_actions_init(&fa)) < 0)
		goto out;
	fa_init = true;
	if (in[0] >= 0)
		r = -posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	else
		r = -posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (r < 0 || (r = -posix_spawn_file_actions_adddup2(&fa, out[1], 1)) < 0 ||
	    (r = -posix_spawn_file_actions_adddup2(&fa, err[1], 2)) < 0 ||
	    (r = -posix_spawn_file_actions_addclosefrom_np(&fa, 3)) < 0)
		goto out;
	if (o->cwd && (r = -posix_spawn_file_actions_addchdir_np(&fa, o->cwd)) < 0)
		goto out;

	if ((r = -posix_spawnattr_init(&attr)) < 0)
		goto out;
	attr_init = true;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	if ((r = -posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						      POSIX_SPAWN_SETSIGDEF)) < 0 ||
	    (r = -posix_spawnattr_setpgroup(&attr, 0)) < 0 ||
	    (r = -posix_spawnattr_setsigmask(&attr, &none)) < 0 ||
	    (r = -posix_spawnattr_setsigdefault(&attr, &all)) < 0)
		goto out;

	/* glibc reports exec failures (ENOENT, EACCES) here; then there is no child */
	if ((r = -posix_spawn(&pid, exe, &fa, &attr, (char *const *)o->argv,
			      (char *const *)envp)) < 0)
		goto out;
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);

	const struct bh_spawn_pump_opts po = {
		.stdin_data = o->stdin_data, .stdin_len = o->stdin_len,
		.stdout_max = o->stdout_max, .stderr_max = o->stderr_max,
		.timeout_ms = o->timeout_ms, .grace_ms = o->grace_ms,
	};
	/* the pump owns the parent ends from here, and reaps the child */
	r = bh_spawn_pump(pid, in[1], out[0], err[0], &po, &res);
	in[1] = out[0] = err[0] = -1;
	if (r < 0)
		goto out;
	if (res.timed_out) {
		r = BH_ERR_TIMEOUT;
		goto out;
	}
	if ((res.stdout_truncated || res.stderr_truncated) && !o->allow_truncate) {
		r = BH_ERR_LIMIT;
		goto out;
	}
	*ret = res;
	memset(&res, 0, sizeof(res)); /* ownership moved */
	r = 0;
out:
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (attr_init)
		posix_spawnattr_destroy(&attr);
	free(exe_alloc);
	bh_spawn_result_done(&res);
	return r;
}

void bh_spawn_result_done(struct bh_spawn_result *r)
{
	if (!r)
		return;
	bh_buf_done(&r->out);
	bh_buf_done(&r->err);
	memset(r, 0, sizeof(*r));
}

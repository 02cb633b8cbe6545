/* SPDX-License-Identifier: MIT */
/*
 * Running subprocesses: posix_spawn with an argv (never a shell), an explicit
 * environment (never the caller's: it may hold secrets), optional stdin data
 * written by the parent (secrets go there, never in argv), stdout and stderr
 * captured into bounded buffers, a deadline, and the child always reaped.
 *
 * The child runs in a new process group (its pid), so on timeout the whole
 * group gets SIGTERM, then SIGKILL after a grace period; when the leader exits
 * after a timeout, what is left of its group is SIGKILLed before the leader is
 * reaped (its zombie keeps the group id from being reused).  Without a timeout,
 * helpers the child leaves behind are not touched (and do not delay the return:
 * the child's exit is what is waited for, not EOF on the pipes).  All pipes are O_CLOEXEC
 * and every fd above 2 is closed in the child.  Signal mask and dispositions are
 * reset to defaults in the child.
 *
 * Output caps: bytes beyond stdout_max / stderr_max are read and discarded (so the
 * child never blocks on a full pipe) and the matching *_truncated flag is set.
 * By default this makes bh_spawn_run fail with BH_ERR_LIMIT *after* the child
 * has exited and been reaped (no partial result is returned); with
 * allow_truncate the call succeeds and the caller sees the flags.
 */
#ifndef BH_SPAWN_H
#define BH_SPAWN_H

#include <spawn.h>   /* libc's posix_spawn (this header is "core/spawn.h") */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <jansson.h>

#include "core/buf.h"

#define BH_SPAWN_OUT_DEFAULT  (1u * 1024u * 1024u)  /* stdout/stderr cap when 0 is given */
#define BH_SPAWN_GRACE_DEFAULT_MS 2000              /* SIGTERM → SIGKILL */
#define BH_SPAWN_NO_TIMEOUT (-1)
/* Environment used when envp is NULL. */
#define BH_SPAWN_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct bh_spawn_opts {
	/* argv[0] is the program: an absolute path, or a plain name when search_path */
	const char *const *argv;
	/* NULL-terminated "K=V" list; NULL = { "PATH=" BH_SPAWN_DEFAULT_PATH, "LANG=C.UTF-8" } */
	const char *const *envp;
	/*
	 * Look a plain argv[0] up in the PATH of envp (not of the calling process,
	 * unlike posix_spawnp).  Off by default: argv[0] must then be absolute.
	 */
	bool search_path;
	/* bytes for the child's stdin; NULL = stdin is /dev/null (EOF at once) */
	const void *stdin_data;
	size_t stdin_len;
	size_t stdout_max, stderr_max;  /* 0 = BH_SPAWN_OUT_DEFAULT */
	bool allow_truncate;            /* see above */
	int timeout_ms;                 /* > 0, or BH_SPAWN_NO_TIMEOUT; 0 is -EINVAL */
	int grace_ms;                   /* 0 = BH_SPAWN_GRACE_DEFAULT_MS */
	const char *cwd;                /* NULL = inherit */
};

struct bh_spawn_result {
	int exit_code;        /* 0..255 when exited, -1 when killed by a signal */
	int term_signal;      /* the signal that ended it, 0 when it exited */
	bool stdout_truncated, stderr_truncated;
	bool timed_out;       /* bh_spawn_pump only: the deadline passed and the group was killed */
	struct bh_buf out, err;   /* captured output (owned; release with bh_spawn_result_done) */
};

/*
 * Run the program and wait for it.  Returns 0 when the child ran and was reaped
 * (whatever its exit status — check ret->exit_code), or:
 *   -ENOENT / -EACCES / ...  the program could not be executed (nothing to reap)
 *   BH_ERR_NOT_FOUND         search_path and no executable of that name on PATH
 *   BH_ERR_TIMEOUT           the deadline passed; the group was killed and reaped
 *   BH_ERR_LIMIT             output exceeded a cap and !allow_truncate (reaped)
 *   -EINVAL                  bad options (empty argv, relative argv[0], timeout 0)
 * *ret is filled only on success; on failure nothing needs releasing.
 * Not async-signal-safe; does not touch SIGCHLD handling (the caller must not
 * reap children with waitpid(-1) concurrently).
 */
int bh_spawn_run(const struct bh_spawn_opts *opts, struct bh_spawn_result *ret)
	__attribute__((warn_unused_result));

/*
 * The process pump: the one place that feeds a child's stdin, captures its stdout and
 * stderr into capped buffers, enforces the deadline, kills and reaps.  bh_spawn_run
 * uses it after posix_spawn; the root agent's plugin runner after its own
 * clone()/execveat() (src/agent/plugin-exec.c).  Everything in the header comment
 * above (process group, caps, reaping) is the pump's behaviour.
 *
 * pid must be the caller's child and the leader of its own process group (setpgid or
 * setsid in the child): kills go to the group, and to pid as well.  The pump takes
 * ownership of stdin_fd, stdout_fd and stderr_fd (the parent's ends; any may be -1)
 * and closes them; it makes them non-blocking itself.  The child is always reaped
 * before the pump returns, whatever the outcome.
 */
#define BH_SPAWN_KILL_AT_ONCE (-1)              /* grace_ms: SIGKILL at the deadline */
#define BH_SPAWN_STDOUT_CAP_KILLS (1u << 0)     /* flags: stdout over its cap = SIGKILL now */
/* flags: the pump ends when the child has exited AND stdout and stderr are at EOF (a
 * helper it left holding them runs into the deadline); default: at the child's exit */
#define BH_SPAWN_WAIT_EOF         (1u << 1)

struct bh_spawn_pump_opts {
	const void *stdin_data;         /* written to stdin_fd, then it is closed */
	size_t stdin_len;
	size_t stdout_max, stderr_max;  /* 0 = BH_SPAWN_OUT_DEFAULT; the rest is discarded */
	int timeout_ms;                 /* > 0, or BH_SPAWN_NO_TIMEOUT; 0 is -EINVAL */
	/* after the deadline: SIGTERM to the group, SIGKILL grace_ms later (0 =
	 * BH_SPAWN_GRACE_DEFAULT_MS), or BH_SPAWN_KILL_AT_ONCE */
	int grace_ms;
	unsigned flags;                 /* BH_SPAWN_STDOUT_CAP_KILLS, BH_SPAWN_WAIT_EOF */
};

/*
 * Pump the child until it exits (its exit, not EOF on the pipes, ends the pump, unless
 * BH_SPAWN_WAIT_EOF).
 * Returns 0 when the child was reaped, however it ended: *ret says how (exit_code,
 * term_signal, timed_out, stdout_truncated — with BH_SPAWN_STDOUT_CAP_KILLS that
 * means it was killed for its output — and the captured bytes); the caller decides
 * what is an error.  Or -EINVAL (bad options), -ENOMEM, BH_ERR_CHILD (someone else
 * reaped pid), -errno (poll/read failure); then the child was killed and reaped too
 * (when it was still ours) and *ret is untouched.
 */
int bh_spawn_pump(pid_t pid, int stdin_fd, int stdout_fd, int stderr_fd,
		  const struct bh_spawn_pump_opts *opts, struct bh_spawn_result *ret)
	__attribute__((warn_unused_result));

/* Wipe and release the captured output; NULL-safe. */
void bh_spawn_result_done(struct bh_spawn_result *r);

/*
 * Resolve a plain program name against a ':'-separated search list (empty
 * elements are skipped, relative directories ignored): *ret is a new heap string
 * naming an executable regular file.  Returns 0, BH_ERR_NOT_FOUND, -EINVAL, -ENOMEM.
 */
int bh_spawn_which(const char *name, const char *path_list, char **ret);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The engine's privilege split (OpenSSH-monitor style, like the root agent's reader):
 * a seccomp filter is inherited across execve, and the engine's filter forbids executable
 * memory, so nothing dynamically linked could start under it.  Before the filter is
 * installed the engine forks one spawner per worker: a process with the provisioner's
 * policy (policy/blockhost-provisioner.policy: its identity when the engine was started as
 * root, limits, no capabilities, no_new_privs, not dumpable) but no seccomp filter, whose only
 * job is to run the provisioner CLIs and the network hook (core/spawn.h) on request over a
 * socketpair and send back their exit status and output.  The filtered engine parses
 * every chain byte; the spawner reads only the engine's frames.
 *   request  {"argv": [..], "env": [..], "search_path": bool, "timeout_ms": N}
 *   reply    {"rc": 0|-errno|BH_ERR_*, "exit_code", "term_signal", "timed_out",
 *             "out": "0x..", "err": "0x.."}
 */
#ifndef BH_ENGINE_SPAWNER_H
#define BH_ENGINE_SPAWNER_H

#include <sys/types.h>

#include "core/spawn.h"

struct eng_spawner {
	pid_t pid;
	int fd;
};

/* Fork it (before threads and before the filter).  pol: the provisioner's policy or NULL. */
struct bh_policy;
int eng_spawner_start(const struct bh_policy *pol, struct eng_spawner *ret, struct bh_msg *msg);
/* Like bh_spawn_run, in the spawner (opts: argv, envp, search_path, timeout_ms, caps). */
int eng_spawner_run(struct eng_spawner *s, const struct bh_spawn_opts *o, struct bh_spawn_result *ret,
		    struct bh_msg *msg) __attribute__((warn_unused_result));
/* Close the socket (the spawner exits at EOF) and reap it. */
void eng_spawner_stop(struct eng_spawner *s);

#endif

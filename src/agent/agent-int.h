/* SPDX-License-Identifier: MIT */
/*
 * Private to the root agent's daemon (agent.c: the monitor and reader; agent-handler.c: the handler;
 * agent-config.c: its options, its policy's [socket] and [reader] sections and the plugin
 * user, [libvirt]).
 */
#ifndef BH_AGENT_INT_H
#define BH_AGENT_INT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "core/err.h"
#include "sandbox/callers.h"
#include "sandbox/policy.h"
#include "sandbox/seccomp.h"

#define SERVICE "blockhost-root-agent"
/* the connection handler's checker (agent-handler.c): policy/ and seccomp/ files of this name */
#define HANDLER_SERVICE "blockhost-root-agent-handler"
#define NOBODY 65534
#define PLUGIN_USER_DEFAULT "blockhost-agent-plugin"
/* rollback state, in root-owned /var/lib (relocated by BLOCKHOST_ROOT) */
#define STATE_DIR_DEFAULT "/var/lib/blockhost-root-agent"

struct opts {
	char *socket_path;
	char *actions_dir;
	char *keys_dir;
	char *state_dir;
	char group[BH_POLICY_USER_MAX + 1]; /* [socket] group */
	gid_t gid;
	const char *plugin_user;  /* NULL = blockhost-agent-plugin, else nobody */
	uid_t plugin_uid;
	gid_t plugin_gid;
	/* [libvirt]: the user of "run_as": "libvirt" plugins; uid 0 = not on this host */
	char libvirt_user[BH_POLICY_USER_MAX + 1];
	uid_t libvirt_uid;
	gid_t libvirt_gid;
	size_t n_libvirt_groups;
	gid_t libvirt_groups[BH_POLICY_MAX_GROUPS];
	mode_t socket_mode;
	int max_children;
	struct bh_seccomp *reader_filter;
	struct bh_policy *handler_policy;   /* the checker's policy and filter */
	struct bh_seccomp *handler_filter;
	struct bh_callers *callers;  /* [callers]: who may call which action */
	/* [reader]: the request reader's identity and limits */
	char reader_user[BH_POLICY_USER_MAX + 1], reader_group[BH_POLICY_USER_MAX + 1];
	uid_t reader_uid;
	gid_t reader_gid;
	rlim_t reader_cpu, reader_as;
};

void agent_usage(FILE *f);
/* agent-handler.c: serve one connection (launcher + checker); never returns */
_Noreturn void agent_serve(const struct opts *o, int fd, int ctl);
int agent_socket_policy(const struct bh_policy *pol, struct opts *o, struct bh_msg *msg);
int agent_reader_policy(const struct bh_policy *pol, struct opts *o, struct bh_msg *msg);
void agent_resolve_plugin_user(struct opts *o);
int agent_libvirt_policy(const struct bh_policy *pol, struct opts *o, struct bh_msg *msg);

#endif

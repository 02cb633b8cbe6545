/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm: the libvirt provisioner's verbs (upstream.md §1.2), one binary
 * dispatching on the basename it is called by (blockhost-vm-create, ...) or on its
 * first argument (blockhost-vm create ...).  docs/provisioner.md is the manual; each
 * verb is one file, cmd-<verb>.c, listed in the table below (subcommands.h).
 *
 * Reads: libvirt READ-ONLY connection (libvirt.json "uri") and vms.json.
 * Changes: root-agent actions domain-* (src/prov/actions/), vms.json, and the files
 * this user owns (VM disks, cloud-init seeds, metrics cache).
 *
 * Environment: BLOCKHOST_ROOT (path prefix), BLOCKHOST_NOW=<unix seconds> (gc/resume
 * clock for tests).
 */
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "cli.h"
#include "sandbox/policy.h"
#include "sandbox/sandbox.h"
#include "subcommands.h"

#define PROV_SERVICE "blockhost-provisioner"

static const struct prov_cmd *const verbs[] = {
	&prov_cmd_create, &prov_cmd_destroy, &prov_cmd_start, &prov_cmd_stop, &prov_cmd_kill,
	&prov_cmd_status, &prov_cmd_list, &prov_cmd_metrics, &prov_cmd_throttle, &prov_cmd_gc,
	&prov_cmd_resume, &prov_cmd_update_gecos, &prov_cmd_guest_exec, &prov_cmd_detect,
	&prov_cmd_build_template,
};

void prov_usage(const struct prov_cmd *cmd)
{
	fprintf(stderr, "usage: %s\n", cmd->usage);
}

static void quiet_virt(void *ud, virErrorPtr e)
{
	(void)ud;
	(void)e;
}

/*
 * policy/blockhost-provisioner.policy + seccomp/blockhost-provisioner at the start of a
 * verb.  create gets the policy only: a seccomp filter is inherited across execve, and
 * qemu-img / cloud-localds are not ours to list.  build-template (root, debootstrap)
 * applies neither.  NSS is loaded first so no module is dlopen'ed under the filter.
 */
static int sandbox(const struct prov_cmd *cmd)
{
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	int r;

	if (cmd->sandbox == PROV_SANDBOX_NONE)
		return 0;
	(void)getpwuid(getuid());
	if (cmd->sandbox == PROV_SANDBOX_POLICY_ONLY) {
		if ((r = bh_policy_load(NULL, PROV_SERVICE, &p, &m)) == 0)
			r = bh_sandbox_apply_policy(p, 0, &m);
		bh_policy_free(p);
	} else {
		r = bh_sandbox_apply(PROV_SERVICE, BH_SANDBOX_ALLOW_DEBUG_ENV, &m);
	}
	if (r < 0)
		say("sandbox: %s: %s", m.text[0] ? m.text : "", bh_strerror(r));
	return r;
}

static const struct prov_cmd *find_verb(const char *verb)
{
	for (size_t i = 0; verb && i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(verb, verbs[i]->name) == 0)
			return verbs[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	const char *verb = NULL;
	const struct prov_cmd *cmd;
	static char namebuf[64];

	base = base ? base + 1 : (argc > 0 ? argv[0] : "blockhost-vm");
	virSetErrorFunc(NULL, quiet_virt);
	if (strncmp(base, "blockhost-vm-", 13) == 0)
		verb = base + 13;
	else if (strcmp(base, "blockhost-provisioner-detect") == 0)
		verb = "detect";
	else if (strcmp(base, "blockhost-build-template") == 0)
		verb = "build-template";
	else if (argc >= 2) {
		verb = argv[1];
		argc--;
		argv++;
	}
	if (!(cmd = find_verb(verb))) {
		fprintf(stderr, "usage: blockhost-vm <verb> ... (verbs: create destroy start stop "
			"kill status list metrics throttle gc resume update-gecos guest-exec detect "
			"build-template), or call it as blockhost-vm-<verb>\n");
		return 2;
	}
	snprintf(namebuf, sizeof namebuf, "vm-%s", cmd->name);
	verb_name = namebuf;
	if (virInitialize() < 0) {
		say("libvirt initialisation failed");
		return 1;
	}
	if (sandbox(cmd) < 0) {
		if (cmd->on_sandbox_error) {
			cmd->on_sandbox_error(argc, argv);
			return 0;
		}
		return 1;
	}
	return cmd->run(argc, argv);
}

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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "cli.h"
#include "core/cli.h"
#include "sandbox/policy.h"
#include "sandbox/sandbox.h"
#include "subcommands.h"

#define PROV_SERVICE "blockhost-provisioner"
#ifndef PROV_VERSION /* from provisioner.json "version" (module.mk) */
#define PROV_VERSION "unknown"
#endif

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

const char *prov_program(const struct prov_cmd *cmd)
{
	static char name[64];

	snprintf(name, sizeof name, "%.*s", (int)strcspn(cmd->usage, " \n"), cmd->usage);
	return name;
}

int prov_usage_error(const struct prov_cmd *cmd, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	say("%s (see %s --help)", text, prov_program(cmd));
	return BH_EXIT_USAGE;
}

int prov_getopt(const struct prov_cmd *cmd, int argc, char **argv)
{
	struct bh_msg m = { "" };
	int o;

	if (bh_cli_getopt(argc, argv, cmd->options_first ? "+" : "", cmd->options, &o, &m) < 0) {
		prov_usage_error(cmd, "%s", m.text);
		return '?';
	}
	return o;
}

static void quiet_virt(void *ud, virErrorPtr e)
{
	(void)ud;
	(void)e;
}

/*
 * policy/blockhost-provisioner.policy + seccomp/blockhost-provisioner at the start of a
 * verb, create included (its seed tool runs in a helper forked before the filter:
 * cmd-create.c); build-template applies its own (cmd->service:
 * blockhost-build-template; its tools run in a runner forked before the filter,
 * cmd-build-template.c).  NSS is loaded first so no module is dlopen'ed under the filter.
 */
static int sandbox(const struct prov_cmd *cmd)
{
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	const char *service = cmd->service ? cmd->service : PROV_SERVICE;
	int r;

	if (cmd->sandbox == PROV_SANDBOX_NONE)
		return 0;
	(void)getpwuid(getuid());
	if (cmd->sandbox == PROV_SANDBOX_POLICY_ONLY) {
		if ((r = bh_policy_load(NULL, service, &p, &m)) == 0)
			r = bh_sandbox_apply_policy(p, BH_SANDBOX_CHECK_IDENTITY, &m);
		bh_policy_free(p);
	} else {
		r = bh_sandbox_apply(service,
				     BH_SANDBOX_ALLOW_DEBUG_ENV | BH_SANDBOX_CHECK_IDENTITY, &m);
	}
	if (r < 0) { /* the errno once: most messages end with it already */
		const char *e = bh_strerror(r);
		size_t n = strlen(m.text), k = strlen(e);
		bool said = n >= k && !strcmp(m.text + n - k, e);
		say("sandbox: %s%s%s", m.text, said || !n ? "" : ": ", said ? "" : e);
	}
	return r;
}

/*
 * Before any config is read or the sandbox applied: --help (the usage on stdout) and
 * --version answer with exit 0; an unknown or abbreviated flag, a flag without its value
 * or a value given to a flag is exit 2 naming it (bh_cli_getopt: never the value).  The
 * verb's own options are only recognised here (their values are the verb's to check).
 * Scans a copy: GNU getopt permutes argv.  -1: run the verb; else the exit code.
 */
static int prescan(const struct prov_cmd *cmd, int argc, char **argv)
{
	struct option opts[24];
	struct bh_msg m = { "" };
	size_t n = 0;
	char **copy;
	int o, rc = -1;

	for (; cmd->options && cmd->options[n].name; n++)
		if (n + 3 > sizeof opts / sizeof opts[0])
			return 1; /* a verb with more options than this table: a build-time bug */
		else
			opts[n] = cmd->options[n];
	opts[n++] = (struct option){ "help", no_argument, NULL, 1 };
	opts[n++] = (struct option){ "version", no_argument, NULL, 2 };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	if (!(copy = calloc((size_t)argc + 1, sizeof *copy)))
		return 1;
	memcpy(copy, argv, (size_t)argc * sizeof *copy);
	optind = 0;
	while (rc < 0) {
		if (bh_cli_getopt(argc, copy, cmd->options_first ? "+" : "", opts, &o, &m) < 0) {
			rc = prov_usage_error(cmd, "%s", m.text);
		} else if (o == -1) {
			break;
		} else if (o == 1) {
			printf("usage: %s\n", cmd->usage);
			rc = 0;
		} else if (o == 2) {
			printf("%s (BlockHost libvirt provisioner) %s\n", prov_program(cmd),
			       PROV_VERSION);
			rc = 0;
		}
	}
	free(copy);
	optind = 0; /* the verb parses again from the start (glibc: a full reset) */
	return rc;
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
	int rc;

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
		bool help = verb && (!strcmp(verb, "--help") || !strcmp(verb, "--version"));
		fprintf(help ? stdout : stderr, "usage: blockhost-vm <verb> ... (verbs: create "
			"destroy start stop kill status list metrics throttle gc resume update-gecos "
			"guest-exec detect build-template), or call it as blockhost-vm-<verb>; "
			"blockhost-vm-<verb> --help\n");
		if (help && !strcmp(verb, "--version"))
			printf("blockhost-vm (BlockHost libvirt provisioner) %s\n", PROV_VERSION);
		return help ? 0 : 2;
	}
	snprintf(namebuf, sizeof namebuf, "vm-%s", cmd->name);
	verb_name = namebuf;
	if ((rc = prescan(cmd, argc, argv)) >= 0)
		return rc;
	if (virInitialize() < 0) {
		say("libvirt initialisation failed");
		return 1;
	}
	if (cmd->before_sandbox && (rc = cmd->before_sandbox(argc, argv)) != 0)
		return rc < 0 ? 1 : rc;
	if (sandbox(cmd) < 0) {
		if (cmd->on_sandbox_error) {
			cmd->on_sandbox_error(argc, argv);
			return 0;
		}
		return 1;
	}
#ifdef BH_TEST_HOOKS
	if (cmd->sandbox != PROV_SANDBOX_NONE && bh_test_forbidden_syscall_wanted()) {
		say("test: calling mount(2) under the filter");
		long x = bh_test_forbidden_syscall();
		say("test: mount(2) returned %ld: the filter did not kill us", x);
		return 1;
	}
#endif
	return cmd->run(argc, argv);
}

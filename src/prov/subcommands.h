/* SPDX-License-Identifier: MIT */
/*
 * The verbs of blockhost-vm, one file each (cmd-<verb>.c), the wireguard-tools shape
 * (src/wg.c + src/subcommands.h): main.c looks the verb up in its table, answers
 * --help and --version, refuses unknown flags (exit 2), applies the sandbox, then
 * calls run(argc, argv) with argv[0] the verb's name and getopt reset.
 */
#ifndef BH_PROV_SUBCOMMANDS_H
#define BH_PROV_SUBCOMMANDS_H

#include <getopt.h>
#include <stdbool.h>

#include "core/cli.h"

enum prov_sandbox {
	PROV_SANDBOX_FULL,        /* policy + seccomp of .service (blockhost-provisioner) */
	PROV_SANDBOX_POLICY_ONLY, /* policy file only (no verb uses it since create has its seed helper) */
	PROV_SANDBOX_NONE,        /* neither (no verb: build-template has its own, see .service) */
};

struct prov_cmd {
	const char *name;              /* blockhost-vm-<name> */
	int (*run)(int argc, char **argv);
	const char *usage;             /* the synopsis after "usage: " */
	const struct option *options;  /* the long options run() parses; NULL = none */
	bool options_first;            /* options only before the first operand (guest-exec) */
	enum prov_sandbox sandbox;
	/* the policy/ and seccomp/ name; NULL = "blockhost-provisioner" (build-template:
	 * "blockhost-build-template", root without capabilities) */
	const char *service;
	/* what the verb's contract says to print when the sandbox cannot be applied
	 * (status: "unknown"; list: an empty list), NULL = nothing, exit 1 */
	void (*on_sandbox_error)(int argc, char **argv);
	/* called before the sandbox, for what the filter forbids later (gc: the fork of its
	 * chain-check helper; build-template: its options and its runner); < 0: exit 1,
	 * > 0: that exit code (a usage error, printed).  NULL = nothing */
	int (*before_sandbox)(int argc, char **argv);
};

extern const struct prov_cmd prov_cmd_create, prov_cmd_destroy, prov_cmd_start, prov_cmd_stop,
	prov_cmd_kill, prov_cmd_status, prov_cmd_list, prov_cmd_metrics, prov_cmd_throttle,
	prov_cmd_gc, prov_cmd_resume, prov_cmd_update_gecos, prov_cmd_guest_exec,
	prov_cmd_detect, prov_cmd_build_template;

/* "usage: <cmd->usage>\n" on stderr. */
void prov_usage(const struct prov_cmd *cmd);
/* The program's name (the usage's first word: "blockhost-vm-stop"). */
const char *prov_program(const struct prov_cmd *cmd);
/*
 * A usage error: "[vm-<verb>] <text> (see blockhost-vm-<verb> --help)" on stderr, nothing
 * on stdout; returns BH_EXIT_USAGE (2), the verb's exit code.  The text names the option
 * or the missing operand and what it takes, never the value given.
 */
int prov_usage_error(const struct prov_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * The verb's next option from cmd->options through bh_cli_getopt (core/cli.h: never an
 * abbreviation): its val, -1 after the last, or '?' after a usage error was printed
 * (main's prescan refuses those first, so a verb only sees valid option names).
 */
int prov_getopt(const struct prov_cmd *cmd, int argc, char **argv);

#endif

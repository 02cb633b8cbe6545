/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-status NAME: exactly active / suspended / destroyed / unknown, exit 0
 * always (upstream.md §1.2); libvirt unreachable or a bad name → unknown.
 */
#include <stdio.h>

#include "cli.h"
#include "subcommands.h"

static int cmd_status(int argc, char **argv)
{
	struct ctx c;
	int st = 0, r;
	const char *out = "unknown";

	if (argc == 2 && prov_valid_name(argv[1]) && ctx_init(&c, false) == 0) {
		r = dom_state(&c, argv[1], &st);
		if (r == 0)
			out = prov_status_from_state(st);
		else if (r == BH_ERR_NOT_FOUND)
			out = "destroyed";
		ctx_done(&c);
	} else if (argc != 2) {
		prov_usage(&prov_cmd_status);
	}
	printf("%s\n", out);
	return 0;
}

static void status_sandbox_error(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("unknown\n"); /* the contract: one word, exit 0 */
}

const struct prov_cmd prov_cmd_status = {
	.name = "status", .run = cmd_status, .usage = "blockhost-vm-status <name>",
	.on_sandbox_error = status_sandbox_error,
};

/* SPDX-License-Identifier: MIT */
/* blockhost-vm-kill NAME: domain-destroy (power off; off or absent = ok). */
#include "cli.h"
#include "subcommands.h"

static int cmd_kill(int argc, char **argv)
{
	const char *name;
	struct ctx c;
	int r, rc;

	if ((rc = one_name(&prov_cmd_kill, argc, argv, &name)) != 0)
		return rc;
	if ((r = ctx_init(&c, false)) == 0)
		r = agent(&c, "domain-destroy", name, NULL, NULL);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
}

const struct prov_cmd prov_cmd_kill = {
	.name = "kill", .run = cmd_kill, .usage = "blockhost-vm-kill <name>",
};

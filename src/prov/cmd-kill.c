/* SPDX-License-Identifier: MIT */
/* blockhost-vm-kill NAME: domain-destroy (power off; off or absent = ok). */
#include "cli.h"
#include "subcommands.h"

static int cmd_kill(int argc, char **argv)
{
	const char *name;
	struct ctx c;
	int r;

	if (one_name(argc, argv, prov_cmd_kill.usage, &name) < 0)
		return 1;
	if ((r = ctx_init(&c, false)) == 0)
		r = agent(&c, "domain-destroy", name, NULL, NULL);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
}

const struct prov_cmd prov_cmd_kill = {
	.name = "kill", .run = cmd_kill, .usage = "blockhost-vm-kill <name>",
};

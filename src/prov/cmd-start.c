/* SPDX-License-Identifier: MIT */
/* blockhost-vm-start NAME: domain-start, then the bridge ports isolated again (start_vm). */
#include "cli.h"
#include "subcommands.h"

static int cmd_start(int argc, char **argv)
{
	const char *name;
	struct ctx c;
	int r, rc;

	if ((rc = one_name(&prov_cmd_start, argc, argv, &name)) != 0)
		return rc;
	if ((r = ctx_init(&c, false)) == 0)
		r = start_vm(&c, name);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
}

const struct prov_cmd prov_cmd_start = {
	.name = "start", .run = cmd_start, .usage = "blockhost-vm-start <name>",
};

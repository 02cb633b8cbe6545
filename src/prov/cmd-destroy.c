/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-destroy NAME: domain-undefine (powers off first, removes the disk and the
 * seed copy), the IPv6 route, <cloud-init>/NAME/, mark_destroyed (releases the
 * addresses).  Idempotent: exit 0 for an unknown name.
 */
#include "cli.h"
#include "subcommands.h"

static int cmd_destroy(int argc, char **argv)
{
	const char *name;
	struct ctx c;
	int r, rc;

	if ((rc = one_name(&prov_cmd_destroy, argc, argv, &name)) != 0)
		return rc;
	if ((r = ctx_init(&c, true)) == 0)
		r = destroy_vm(&c, name);
	if (r == 0)
		say("destroyed %s", name);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
}

const struct prov_cmd prov_cmd_destroy = {
	.name = "destroy", .run = cmd_destroy, .usage = "blockhost-vm-destroy <name>",
};

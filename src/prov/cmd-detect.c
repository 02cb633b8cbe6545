/* SPDX-License-Identifier: MIT */
/* blockhost-provisioner-detect: exit 0 if the configured URI opens read-only, else 1. */
#include "cli.h"
#include "subcommands.h"

static int cmd_detect(int argc, char **argv)
{
	struct ctx c;
	int ok;

	(void)argc;
	(void)argv;
	ok = ctx_init(&c, false) == 0 && (c.ro = virConnectOpenReadOnly(c.conf.uri)) != NULL;
	ctx_done(&c);
	return ok ? 0 : 1;
}

const struct prov_cmd prov_cmd_detect = {
	.name = "detect", .run = cmd_detect, .usage = "blockhost-provisioner-detect",
};

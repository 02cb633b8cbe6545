/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-stop NAME [--timeout S [--force]]: ACPI shutdown; without --timeout it
 * returns at once (upstream), with it waits, and --force powers off after the timeout.
 */
#include "cli.h"
#include "subcommands.h"

static const struct option stop_options[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "force", no_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_stop(int argc, char **argv)
{
	long long t = 0;
	bool force = false;
	const char *name;
	struct ctx c;
	int o, r;

	while ((o = prov_getopt(&prov_cmd_stop, argc, argv)) != -1) {
		if (o == 't' && !parse_int(optarg, 0, 3600, &t))
			return prov_usage_error(&prov_cmd_stop, "--timeout: expected 0..3600 seconds");
		else if (o == 'f')
			force = true;
		else if (o != 't')
			return BH_EXIT_USAGE;
	}
	if (force && t == 0)
		return prov_usage_error(&prov_cmd_stop, "--force needs --timeout S (1..3600)");
	if ((r = one_name(&prov_cmd_stop, argc - optind + 1, argv + optind - 1, &name)) != 0)
		return r;
	if ((r = ctx_init(&c, false)) == 0)
		r = stop_vm(&c, name, (int)t, force);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
}

const struct prov_cmd prov_cmd_stop = {
	.name = "stop", .run = cmd_stop, .options = stop_options,
	.usage = "blockhost-vm-stop <name> [--timeout 0..3600 [--force]]",
};

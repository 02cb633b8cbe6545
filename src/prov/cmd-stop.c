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
	struct ctx c;
	int o, r;

	while ((o = getopt_long(argc, argv, "", stop_options, NULL)) != -1) {
		if (o == 't' && parse_int(optarg, 0, 3600, &t))
			continue;
		if (o == 'f') {
			force = true;
			continue;
		}
		goto usage;
	}
	if (optind + 1 != argc || !prov_valid_name(argv[optind]))
		goto usage;
	if ((r = ctx_init(&c, false)) == 0)
		r = stop_vm(&c, argv[optind], (int)t, force);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
usage:
	prov_usage(&prov_cmd_stop);
	return 1;
}

const struct prov_cmd prov_cmd_stop = {
	.name = "stop", .run = cmd_stop, .options = stop_options,
	.usage = "blockhost-vm-stop <name> [--timeout S [--force]]",
};

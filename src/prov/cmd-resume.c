/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-resume NAME [--extend-days N] [--mock] [--dry-run]: domain-start (already
 * running = success) + mark_active (new expiry now + N days when given).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "subcommands.h"

static const struct option resume_options[] = {
	{ "extend-days", required_argument, NULL, 'e' },
	{ "mock", no_argument, NULL, 'M' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_resume(int argc, char **argv)
{
	long long days = 0;
	bool mock = false, dry = false;
	struct ctx c;
	struct bh_msg m = { "" };
	json_t *rec = NULL;
	const char *name;
	int o, r;

	while ((o = prov_getopt(&prov_cmd_resume, argc, argv)) != -1) {
		switch (o) {
		case 'e':
			if (!parse_int(optarg, 1, 36500, &days))
				return prov_usage_error(&prov_cmd_resume, "--extend-days: expected 1..36500");
			break;
		case 'M': mock = true; break;
		case 'n': dry = true; break;
		default: return BH_EXIT_USAGE;
		}
	}
	if ((r = one_name(&prov_cmd_resume, argc - optind + 1, argv + optind - 1, &name)) != 0)
		return r;
	if ((r = ctx_init(&c, true)) < 0)
		goto out;
	if ((r = bh_vmdb_get(c.db, name, &rec, &m)) < 0) {
		say("VM database: %s", m.text);
		goto out;
	}
	if (dry) {
		say("dry run: would start %s%s", name, days ? " and extend its expiry" : "");
		goto out;
	}
	if (!mock && (r = start_vm(&c, name)) < 0)
		goto out;
	if ((r = bh_vmdb_mark_active(c.db, name, days ? clock_now() + days * 86400 : 0, &m)) < 0)
		say("VM database: %s", m.text);
	else
		say("resumed %s", name);
out:
	json_decref(rec);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
}

const struct prov_cmd prov_cmd_resume = {
	.name = "resume", .run = cmd_resume, .options = resume_options,
	.usage = "blockhost-vm-resume <name> [--extend-days 1..36500] [--mock] [--dry-run]",
};

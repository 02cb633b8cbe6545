/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-gc [--execute] [--suspend-only|--destroy-only] [--grace-days N]
 * [--shutdown-timeout S] [--mock]: dry run by default.  Phase 1: active and past
 * expires_at → ACPI shutdown, wait, force, mark_suspended.  Phase 2: suspended longer
 * than the grace (db.json gc_grace_days) → destroy.  BLOCKHOST_NOW fixes the clock.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "subcommands.h"

static const struct option gc_options[] = {
	{ "execute", no_argument, NULL, 'x' },
	{ "suspend-only", no_argument, NULL, 's' },
	{ "destroy-only", no_argument, NULL, 'd' },
	{ "grace-days", required_argument, NULL, 'g' },
	{ "shutdown-timeout", required_argument, NULL, 't' },
	{ "mock", no_argument, NULL, 'M' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_gc(int argc, char **argv)
{
	bool exec = false, sonly = false, donly = false, mock = false;
	long long grace = -1, tmo = 60;
	struct ctx c;
	struct bh_msg m = { "" };
	json_t *sus = NULL, *des = NULL, *v;
	int64_t now = clock_now();
	size_t i;
	int o, fails = 0;

	while ((o = getopt_long(argc, argv, "", gc_options, NULL)) != -1) {
		switch (o) {
		case 'x': exec = true; break;
		case 's': sonly = true; break;
		case 'd': donly = true; break;
		case 'M': mock = true; break;
		case 'g': if (parse_int(optarg, 0, 36500, &grace)) break; goto usage;
		case 't': if (parse_int(optarg, 1, 3600, &tmo)) break; goto usage;
		default: goto usage;
		}
	}
	if (optind != argc || (sonly && donly))
		goto usage;
	if (ctx_init(&c, true) < 0) {
		ctx_done(&c);
		return 1;
	}
	if (grace < 0)
		grace = c.dbc.gc_grace_days;
	if (!donly) {
		if (bh_vmdb_vms_to_suspend(c.db, now, &sus, &m) < 0) {
			say("VM database: %s", m.text);
			fails++;
		}
		printf("Suspend: %zu candidates\n", json_array_size(sus));
		json_array_foreach(sus, i, v) {
			const char *n = json_string_value(json_object_get(v, "vm_name"));
			printf("  %s %s\n", exec ? "suspending" : "would suspend", n);
			if (!exec)
				continue;
			if ((!mock && stop_vm(&c, n, (int)tmo, true) < 0) ||
			    bh_vmdb_mark_suspended(c.db, n, &m) < 0) {
				say("suspend %s failed%s%s", n, m.text[0] ? ": " : "", m.text);
				fails++;
			}
		}
	}
	if (!sonly) {
		if (bh_vmdb_vms_to_destroy(c.db, now, (int)grace, &des, &m) < 0) {
			say("VM database: %s", m.text);
			fails++;
		}
		printf("Destroy: %zu candidates (grace %lld days)\n", json_array_size(des), grace);
		json_array_foreach(des, i, v) {
			const char *n = json_string_value(json_object_get(v, "vm_name"));
			printf("  %s %s\n", exec ? "destroying" : "would destroy", n);
			if (!exec)
				continue;
			if (mock ? bh_vmdb_mark_destroyed(c.db, n, &m) < 0 : destroy_vm(&c, n) < 0) {
				say("destroy %s failed", n);
				fails++;
			}
		}
	}
	if (!exec)
		printf("Dry run: nothing changed (use --execute)\n");
	json_decref(sus);
	json_decref(des);
	ctx_done(&c);
	return fails ? 1 : 0;
usage:
	prov_usage(&prov_cmd_gc);
	return 2;
}

const struct prov_cmd prov_cmd_gc = {
	.name = "gc", .run = cmd_gc, .options = gc_options,
	.usage = "blockhost-vm-gc [--execute] [--suspend-only|--destroy-only] "
		  "[--grace-days N] [--shutdown-timeout S] [--mock]",
};

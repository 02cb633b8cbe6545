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

/*
 * Phase 1: active past expires_at → shutdown (forced after timeout_s), mark_suspended.
 * The number of failures; a database that cannot be read is one, and no candidate count
 * is printed for it (0 would claim there is nothing to do).
 */
static int gc_suspend(struct ctx *c, int64_t now, bool exec, bool mock, int timeout_s)
{
	struct bh_msg m = { "" };
	json_t *sus = NULL, *v;
	size_t i;
	int fails = 0;

	if (bh_vmdb_vms_to_suspend(c->db, now, &sus, &m) < 0) {
		say("VM database: %s; suspend candidates unknown", m.text[0] ? m.text : "unreadable");
		return 1;
	}
	printf("Suspend: %zu candidates\n", json_array_size(sus));
	json_array_foreach(sus, i, v) {
		const char *n = json_string_value(json_object_get(v, "vm_name"));
		printf("  %s %s\n", exec ? "suspending" : "would suspend", n);
		if (!exec)
			continue;
		if ((!mock && stop_vm(c, n, timeout_s, true) < 0) ||
		    bh_vmdb_mark_suspended(c->db, n, &m) < 0) {
			say("suspend %s failed%s%s", n, m.text[0] ? ": " : "", m.text);
			fails++;
		}
	}
	json_decref(sus);
	return fails;
}

/* Phase 2: suspended longer than grace_days → destroy.  Failures counted as above. */
static int gc_destroy(struct ctx *c, int64_t now, int grace_days, bool exec, bool mock)
{
	struct bh_msg m = { "" };
	json_t *des = NULL, *v;
	size_t i;
	int fails = 0;

	if (bh_vmdb_vms_to_destroy(c->db, now, grace_days, &des, &m) < 0) {
		say("VM database: %s; destroy candidates unknown", m.text[0] ? m.text : "unreadable");
		return 1;
	}
	printf("Destroy: %zu candidates (grace %d days)\n", json_array_size(des), grace_days);
	json_array_foreach(des, i, v) {
		const char *n = json_string_value(json_object_get(v, "vm_name"));
		printf("  %s %s\n", exec ? "destroying" : "would destroy", n);
		if (!exec)
			continue;
		if (mock ? bh_vmdb_mark_destroyed(c->db, n, &m) < 0 : destroy_vm(c, n) < 0) {
			say("destroy %s failed", n);
			fails++;
		}
	}
	json_decref(des);
	return fails;
}

static int cmd_gc(int argc, char **argv)
{
	bool exec = false, sonly = false, donly = false, mock = false;
	long long grace = -1, tmo = 60;
	struct ctx c;
	int64_t now = clock_now();
	int o, fails = 0;

	while ((o = prov_getopt(&prov_cmd_gc, argc, argv)) != -1) {
		switch (o) {
		case 'x': exec = true; break;
		case 's': sonly = true; break;
		case 'd': donly = true; break;
		case 'M': mock = true; break;
		case 'g':
			if (!parse_int(optarg, 0, 36500, &grace))
				return prov_usage_error(&prov_cmd_gc, "--grace-days: expected 0..36500");
			break;
		case 't':
			if (!parse_int(optarg, 1, 3600, &tmo))
				return prov_usage_error(&prov_cmd_gc,
							"--shutdown-timeout: expected 1..3600 seconds");
			break;
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return prov_usage_error(&prov_cmd_gc, "unexpected argument '%s'", argv[optind]);
	if (sonly && donly)
		return prov_usage_error(&prov_cmd_gc, "--suspend-only or --destroy-only, not both");
	if (ctx_init(&c, true) < 0) {
		ctx_done(&c);
		return 1;
	}
	if (grace < 0)
		grace = c.dbc.gc_grace_days;
	if (!donly)
		fails += gc_suspend(&c, now, exec, mock, (int)tmo);
	if (!sonly)
		fails += gc_destroy(&c, now, (int)grace, exec, mock);
	if (!exec)
		printf("Dry run: nothing changed (use --execute)\n");
	ctx_done(&c);
	return fails ? 1 : 0;
}

const struct prov_cmd prov_cmd_gc = {
	.name = "gc", .run = cmd_gc, .options = gc_options,
	.usage = "blockhost-vm-gc [--execute] [--suspend-only|--destroy-only] "
		  "[--grace-days 0..36500] [--shutdown-timeout 1..3600 (60)] [--mock]",
};

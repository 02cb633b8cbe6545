/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-throttle: resource limits through the root agent's domain-throttle
 * action (cgroup cpu shares/quota via the scheduler parameters, disk IOPS via
 * blkiotune/iotune, interface bandwidth).  Additive: only the given limits change;
 * 0 = unlimited; --reset clears all.  One stdout line per change.
 */
#include <stdio.h>

#include "cli.h"
#include "subcommands.h"

static const struct option throttle_options[] = {
	{ "cpu-shares", required_argument, NULL, 's' },
	{ "cpu-quota", required_argument, NULL, 'q' },
	{ "bandwidth-in", required_argument, NULL, 'i' },
	{ "bandwidth-out", required_argument, NULL, 'o' },
	{ "iops-read", required_argument, NULL, 'r' },
	{ "iops-write", required_argument, NULL, 'w' },
	{ "reset", no_argument, NULL, 'R' },
	{ NULL, 0, NULL, 0 },
};

/* The limits given on the command line → the action's params; 0 or the exit code (2). */
static int throttle_params(int argc, char **argv, json_t *p)
{
	static const struct { int opt; const char *key, *expect; long long lo, hi; } map[] = {
		{ 's', "cpu_shares", "1..10000, or 0 for the default (1024)", 0, 10000 },
		{ 'q', "cpu_quota", "1..100 (% of one vCPU), or 0 for no limit", 0, 100 },
		{ 'i', "bandwidth_in", "1..100000000 kbit/s, or 0 for no limit", 0, 100000000 },
		{ 'o', "bandwidth_out", "1..100000000 kbit/s, or 0 for no limit", 0, 100000000 },
		{ 'r', "iops_read", "1..1000000, or 0 for no limit", 0, 1000000 },
		{ 'w', "iops_write", "1..1000000, or 0 for no limit", 0, 1000000 },
	};
	long long v;
	int o;
	size_t i;

	while ((o = prov_getopt(&prov_cmd_throttle, argc, argv)) != -1) {
		if (o == 'R') {
			json_object_set_new(p, "reset", json_true());
			continue;
		}
		for (i = 0; i < sizeof map / sizeof map[0]; i++)
			if (map[i].opt == o)
				break;
		if (i == sizeof map / sizeof map[0])
			return BH_EXIT_USAGE;
		if (!parse_int(optarg, map[i].lo, map[i].hi, &v))
			return prov_usage_error(&prov_cmd_throttle, "--%s: expected %s",
						throttle_options[i].name, map[i].expect);
		json_object_set_new(p, map[i].key, json_integer(v));
	}
	if (optind == argc) {
		say("a VM name is required");
		prov_usage(&prov_cmd_throttle);
		return BH_EXIT_USAGE;
	}
	if (optind + 1 != argc)
		return prov_usage_error(&prov_cmd_throttle, "unexpected argument '%s': one VM name "
					"only", argv[optind + 1]);
	if (json_object_size(p) == 0)
		return prov_usage_error(&prov_cmd_throttle, "no limit given: at least one of "
					"--cpu-shares ... --iops-write, or --reset");
	return 0;
}

static int cmd_throttle(int argc, char **argv)
{
	json_t *p = json_object(), *rep = NULL, *ch, *line;
	struct bh_msg m = { "" };
	struct ctx c;
	int r;
	size_t i;

	if (!p)
		return 1;
	if ((r = throttle_params(argc, argv, p)) != 0) {
		json_decref(p);
		return r;
	}
	if (!prov_valid_name(argv[optind])) {
		say("invalid VM name '%s' (expected ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$)", argv[optind]);
		json_decref(p);
		return 1;
	}
	json_object_set_new(p, "name", json_string(argv[optind]));
	if ((r = ctx_init(&c, false)) == 0 &&
	    (r = prov_agent_call(c.conf.agent_socket, "domain-throttle", p, 120000, &rep, &m)) < 0)
		say("%s", m.text);
	json_decref(p);
	ctx_done(&c);
	if (r < 0)
		return 1;
	ch = json_object_get(rep, "changes");
	json_array_foreach(ch, i, line)
		if (json_is_string(line))
			printf("%s\n", json_string_value(line));
	json_decref(rep);
	return 0;
}

const struct prov_cmd prov_cmd_throttle = {
	.name = "throttle", .run = cmd_throttle, .options = throttle_options,
	.usage = "blockhost-vm-throttle <name> [--cpu-shares 1..10000] [--cpu-quota 1..100] "
		 "[--bandwidth-in 1..100000000] [--bandwidth-out 1..100000000] "
		 "[--iops-read 1..1000000] [--iops-write 1..1000000] [--reset]\n"
		 "  Only the limits given change (--reset clears all first); 0 = no limit (for "
		 "--cpu-shares: the default, 1024).\n"
		 "  --cpu-quota is % of one vCPU; --bandwidth-in/-out are kbit/s.",
};

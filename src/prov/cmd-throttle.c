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

static int throttle(int argc, char **argv, const char *agent_socket)
{
	static const struct { int opt; const char *key; long long lo, hi; } map[] = {
		{ 's', "cpu_shares", 0, 10000 }, { 'q', "cpu_quota", 0, 100 },
		{ 'i', "bandwidth_in", 0, 100000000 }, { 'o', "bandwidth_out", 0, 100000000 },
		{ 'r', "iops_read", 0, 1000000 }, { 'w', "iops_write", 0, 1000000 },
	};
	json_t *p = json_object(), *rep = NULL, *ch;
	struct bh_msg m = { "" };
	long long v;
	int o, r;
	size_t i;

	if (!p)
		return 1;
	while ((o = getopt_long(argc, argv, "", throttle_options, NULL)) != -1) {
		if (o == 'R') {
			json_object_set_new(p, "reset", json_true());
			continue;
		}
		for (i = 0; i < sizeof map / sizeof map[0]; i++)
			if (map[i].opt == o)
				break;
		if (i == sizeof map / sizeof map[0] || !parse_int(optarg, map[i].lo, map[i].hi, &v)) {
			if (i < sizeof map / sizeof map[0])
				fprintf(stderr, "[vm-throttle] --%s: expected %lld..%lld\n",
					throttle_options[i].name, map[i].lo, map[i].hi);
			goto usage;
		}
		json_object_set_new(p, map[i].key, json_integer(v));
	}
	if (optind + 1 != argc || !prov_valid_name(argv[optind]) || json_object_size(p) == 0)
		goto usage;
	json_object_set_new(p, "name", json_string(argv[optind]));
	r = prov_agent_call(agent_socket, "domain-throttle", p, 120000, &rep, &m);
	json_decref(p);
	if (r < 0) {
		fprintf(stderr, "[vm-throttle] %s\n", m.text);
		return 1;
	}
	ch = json_object_get(rep, "changes");
	json_array_foreach(ch, i, p)
		if (json_is_string(p))
			printf("%s\n", json_string_value(p));
	json_decref(rep);
	return 0;
usage:
	json_decref(p);
	prov_usage(&prov_cmd_throttle);
	return 1;
}

static int cmd_throttle(int argc, char **argv)
{
	struct ctx c;
	int r;

	if (ctx_init(&c, false) < 0) {
		ctx_done(&c);
		return 1;
	}
	r = throttle(argc, argv, c.conf.agent_socket);
	ctx_done(&c);
	return r;
}

const struct prov_cmd prov_cmd_throttle = {
	.name = "throttle", .run = cmd_throttle, .options = throttle_options,
	.usage = "blockhost-vm-throttle <name> [--cpu-shares 1..10000] [--cpu-quota 1..100] "
		 "[--bandwidth-in kbps] [--bandwidth-out kbps] [--iops-read N] [--iops-write N] "
		 "[--reset]",
};

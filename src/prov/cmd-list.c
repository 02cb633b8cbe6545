/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-list [--format json]: the records of vms.json with the live state from
 * one virConnectListAllDomains; exit 0, an empty list on errors (upstream.md §1.2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "subcommands.h"

static const struct option list_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ NULL, 0, NULL, 0 },
};

static json_t *live_states(struct ctx *c)
{
	virDomainPtr *doms = NULL;
	json_t *o;
	int n;

	if (!ro_conn(c) || (n = virConnectListAllDomains(c->ro, &doms, 0)) < 0)
		return NULL;
	o = json_object();
	for (int i = 0; i < n; i++) {
		int st, reason;
		const char *nm = virDomainGetName(doms[i]);
		if (o && nm && virDomainGetState(doms[i], &st, &reason, 0) == 0)
			json_object_set_new(o, nm, json_string(prov_status_from_state(st)));
		virDomainFree(doms[i]);
	}
	free(doms);
	return o;
}

static int cmd_list(int argc, char **argv)
{
	bool json = false;
	struct ctx c;
	json_t *recs = NULL, *live = NULL;
	char *out = NULL;
	struct bh_msg m = { "" };
	int o;

	while ((o = prov_getopt(&prov_cmd_list, argc, argv)) != -1) {
		if (o != 'f')
			return BH_EXIT_USAGE;
		if (strcmp(optarg, "json") && strcmp(optarg, "tsv"))
			return prov_usage_error(&prov_cmd_list, "--format: expected json (the default "
						"is the TSV table, also '--format tsv')");
		json = !strcmp(optarg, "json");
	}
	if (optind < argc)
		return prov_usage_error(&prov_cmd_list, "unexpected argument '%s'", argv[optind]);
	if (ctx_init(&c, true) == 0 && bh_vmdb_list(c.db, &recs, &m) == 0) {
		live = live_states(&c);
	} else {
		if (m.text[0])
			say("VM database: %s", m.text);
		json_decref(recs);
		recs = json_array();
	}
	if (prov_format_list(recs, live, json, &out) == 0)
		fputs(out, stdout);
	else
		fputs(json ? "[]\n" : "NAME\tSTATUS\tIP\tCREATED\n", stdout);
	free(out);
	json_decref(recs);
	json_decref(live);
	ctx_done(&c);
	return 0;
}

static void list_sandbox_error(int argc, char **argv)
{
	bool json = false;
	for (int k = 1; k + 1 < argc; k++)
		json |= !strcmp(argv[k], "--format") && !strcmp(argv[k + 1], "json");
	fputs(json ? "[]\n" : "NAME\tSTATUS\tIP\tCREATED\n", stdout); /* the contract: empty */
}

const struct prov_cmd prov_cmd_list = {
	.name = "list", .run = cmd_list, .options = list_options,
	.usage = "blockhost-vm-list [--format json]", .on_sandbox_error = list_sandbox_error,
};

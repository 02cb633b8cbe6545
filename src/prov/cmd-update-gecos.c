/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-update-gecos NAME WALLET --nft-id N [--username U]: domain-update-gecos
 * (usermod -c in the guest through the guest agent); on success gecos_synced in the
 * record.  The user comes from --username, else the record, else "admin".
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/hex.h"
#include "host/gecos.h"
#include "subcommands.h"

static const struct option update_gecos_options[] = { { "nft-id", required_argument, NULL, 'n' },
				    { "username", required_argument, NULL, 'u' },
				    { NULL, 0, NULL, 0 } };

static int cmd_update_gecos(int argc, char **argv)
{
	long long nft = -1;
	const char *user = NULL;
	char gecos[BH_GECOS_STR_MAX];
	struct ctx c;
	struct bh_msg m = { "" };
	json_t *rec = NULL, *f;
	int o, r;

	while ((o = prov_getopt(&prov_cmd_update_gecos, argc, argv)) != -1) {
		if (o == 'n' && !parse_int(optarg, 0, INT64_MAX, &nft))
			return prov_usage_error(&prov_cmd_update_gecos,
						"--nft-id: expected an integer >= 0");
		else if (o == 'u')
			user = optarg;
		else if (o != 'n')
			return BH_EXIT_USAGE;
	}
	if (argc - optind != 2) {
		if (argc - optind > 2)
			return prov_usage_error(&prov_cmd_update_gecos, "unexpected argument '%s'",
						argv[optind + 2]);
		say("expected <name> <wallet>");
		prov_usage(&prov_cmd_update_gecos);
		return BH_EXIT_USAGE;
	}
	if (nft < 0)
		return prov_usage_error(&prov_cmd_update_gecos, "--nft-id is required");
	if (user && !prov_valid_username(user))
		/* refused, not replaced by "admin": that would write another user's GECOS */
		return prov_usage_error(&prov_cmd_update_gecos, "--username: not a valid user "
					"name (must match ^[a-z_][a-z0-9_-]{0,31}$)");
	if (!prov_valid_name(argv[optind])) {
		say("invalid VM name '%s' (expected ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$)", argv[optind]);
		return 1;
	}
	struct bh_gecos g = { .has_nft = true, .nft_id = (uint64_t)nft };
	if (!prov_valid_wallet(argv[optind + 1]) ||
	    bh_hex_decode_ct(argv[optind + 1] + 2, 40, g.wallet, sizeof g.wallet) < 0) {
		say("<wallet>: expected 0x + 40 hex digits");
		return 1;
	}
	bh_gecos_format(&g, gecos);
	if ((r = ctx_init(&c, true)) < 0)
		goto out;
	if (!user && bh_vmdb_get(c.db, argv[optind], &rec, NULL) == 0 &&
	    (user = json_string_value(json_object_get(rec, "username"))) &&
	    !prov_valid_username(user)) {
		say("VM %s: the record's username is not a valid user name; pass --username",
		    argv[optind]);
		r = BH_ERR_FORMAT;
		goto out;
	}
	if (!user)
		user = "admin"; /* no record or no username in it: upstream's default user */
	r = agent(&c, "domain-update-gecos", argv[optind],
		  json_pack("{s:s,s:s}", "username", user, "gecos", gecos), NULL);
	if (r == 0 && (f = json_pack("{s:b}", "gecos_synced", 1))) {
		if (bh_vmdb_update_fields(c.db, argv[optind], f, &m) < 0 && m.text[0])
			say("VM database: %s", m.text);
		json_decref(f);
	}
	if (r == 0)
		say("GECOS of %s on %s set to %s", user, argv[optind], gecos);
out:
	json_decref(rec);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
}

const struct prov_cmd prov_cmd_update_gecos = {
	.name = "update-gecos", .run = cmd_update_gecos, .options = update_gecos_options,
	.usage = "blockhost-vm-update-gecos <name> <wallet> --nft-id <int> [--username U]",
};

/* SPDX-License-Identifier: MIT */
/*
 * blockhost-verify-plugin: run the agent's full verification (signature,
 * trusted key, file ownership and modes, sealed-copy hash, ELF) on installed
 * plugins and say why each one would be refused.  Rollback state is not
 * touched unless --state-dir is given.
 *
 *   blockhost-verify-plugin [--actions-dir D] [--keys-dir K] [--owner UID]
 *                           [--state-dir S] [NAME...]
 * Without names, every NAME.manifest in the actions dir is checked.
 * Exit 0 if all verify, 1 otherwise.
 */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cap-ng.h>

#include "core/err.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/path.h"
#include "../plugin.h"

static int check(const struct bh_plugin_env *env, const char *name)
{
	struct bh_plugin *p = NULL;
	struct bh_msg msg = { "" };
	char kid[17];
	int r = bh_plugin_load(env, name, &p, &msg);

	if (r < 0) {
		printf("%s: REFUSED: %s\n", name, msg.text[0] ? msg.text : bh_strerror(r));
		return 1;
	}
	bh_hex_encode(p->keyid, sizeof(p->keyid), kid);
	printf("%s: ok (version %" PRIu64 ", key %s, timeout %u ms, caps", name, p->m->version, kid,
	       p->m->timeout_ms);
	if (!p->m->caps)
		printf(" none");
	for (int c = 0; c < 64; c++)
		if (p->m->caps & (1ull << c))
			printf(" %s", capng_capability_to_name((unsigned)c));
	printf(", runs as %s)\n", p->m->run_as == BH_PLUGIN_RUN_ROOT ? "root" : "the plugin user");
	bh_plugin_free(p);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "actions-dir", required_argument, NULL, 'a' },
		{ "keys-dir", required_argument, NULL, 'k' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "owner", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_plugin_env env = { .owner = 0 };
	char *adir = NULL, *kdir = NULL;
	int c, rc = 0;

	bh_log_init("blockhost-verify-plugin", BH_LOG_STDERR, 0);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': env.actions_dir = optarg; break;
		case 'k': env.keys_dir = optarg; break;
		case 's': env.state_dir = optarg; break;
		case 'o': env.owner = (uid_t)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: blockhost-verify-plugin [--actions-dir D] [--keys-dir K] "
					"[--owner UID] [--state-dir S] [NAME...]\n");
			return 2;
		}
	}
	if (!env.actions_dir) {
		if (bh_path(BH_DIR_SHARE, "root-agent-actions", &adir) < 0)
			return 1;
		env.actions_dir = adir;
	}
	if (!env.keys_dir) {
		if (bh_path(BH_DIR_POLICY, "plugin-keys", &kdir) < 0)
			return 1;
		env.keys_dir = kdir;
	}
	if (optind < argc) {
		for (int i = optind; i < argc; i++)
			rc |= check(&env, argv[i]);
	} else {
		struct dirent **ents = NULL;
		int n = scandir(env.actions_dir, &ents, NULL, alphasort);
		if (n < 0) {
			log_error("%s: %m", env.actions_dir);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			size_t l = strlen(ents[i]->d_name);
			if (l > 9 && !strcmp(ents[i]->d_name + l - 9, ".manifest")) {
				ents[i]->d_name[l - 9] = 0;
				rc |= check(&env, ents[i]->d_name);
			}
			free(ents[i]);
		}
		free(ents);
	}
	free(adir);
	free(kdir);
	return rc;
}

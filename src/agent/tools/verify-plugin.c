/* SPDX-License-Identifier: MIT */
/*
 * blockhost-verify-plugin: run the agent's full verification (signature,
 * trusted key, file ownership and modes, sealed-copy hash, ELF) on installed
 * plugins and say why each one would be refused.  Rollback state is not
 * touched unless --state-dir is given.
 *
 *   blockhost-verify-plugin [--actions-dir D] [--keys-dir K] [--owner UID]
 *                           [--state-dir S] [--json] [NAME...]
 * Without names, every NAME.manifest in the actions dir is checked.
 * Exit 0 if all verify, 1 otherwise, 2 on a usage error.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cap-ng.h>
#include <jansson.h>

#include "core/cli.h"
#include "core/err.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/path.h"
#include "../plugin.h"

static const char usage_text[] =
	"usage: blockhost-verify-plugin [--actions-dir DIR] [--keys-dir DIR] [--owner UID]\n"
	"                               [--state-dir DIR] [--json] [NAME...]\n"
	"       blockhost-verify-plugin --help | --version\n"
	"Run the root agent's full verification of installed action plugins (signature by a\n"
	"trusted key, file owner and modes, sealed-copy hash, ELF) and say why each one would\n"
	"be refused.  Without NAMEs every NAME.manifest in the actions directory is checked.\n"
	"  --actions-dir  default <share>/root-agent-actions\n"
	"  --keys-dir     default <policy>/plugin-keys (the trusted public keys)\n"
	"  --owner UID    the owner the files must have (default 0, root)\n"
	"  --state-dir    also check (and update) the rollback state there\n"
	"  --json         one JSON array: {name, ok, reason | version, key, timeout_ms, caps,\n"
	"                 run_as} per plugin\n"
	"See docs/root-agent.md.  Exit: 0 all verify, 1 one was refused, 2 usage error.\n";

/* One plugin: a line of text, or an object appended to out (--json). */
static int check(const struct bh_plugin_env *env, const char *name, json_t *out)
{
	struct bh_plugin *p = NULL;
	struct bh_msg msg = { "" };
	char kid[17];
	int r = bh_plugin_load(env, name, &p, &msg);

	if (r < 0) {
		const char *why = msg.text[0] ? msg.text : bh_strerror(r);
		if (out)
			json_array_append_new(out, json_pack("{s:s, s:b, s:s}", "name", name, "ok", 0,
							     "reason", why));
		else
			printf("%s: REFUSED: %s\n", name, why);
		return 1;
	}
	bh_hex_encode(p->keyid, sizeof(p->keyid), kid);
	if (out) {
		json_t *caps = json_array();
		for (int c = 0; c < 64; c++)
			if (p->m->caps & (1ull << c))
				json_array_append_new(caps, json_string(capng_capability_to_name((unsigned)c)));
		json_array_append_new(out, json_pack("{s:s, s:b, s:I, s:s, s:I, s:o, s:s}", "name",
			name, "ok", 1, "version", (json_int_t)p->m->version, "key", kid, "timeout_ms",
			(json_int_t)p->m->timeout_ms, "caps", caps, "run_as",
			p->m->run_as == BH_PLUGIN_RUN_ROOT      ? "root"
			: p->m->run_as == BH_PLUGIN_RUN_LIBVIRT ? "libvirt-user"
								  : "plugin-user"));
		bh_plugin_free(p);
		return 0;
	}
	printf("%s: ok (version %" PRIu64 ", key %s, timeout %u ms, caps", name, p->m->version, kid,
	       p->m->timeout_ms);
	if (!p->m->caps)
		printf(" none");
	for (int c = 0; c < 64; c++)
		if (p->m->caps & (1ull << c))
			printf(" %s", capng_capability_to_name((unsigned)c));
	printf(", runs as %s)\n", p->m->run_as == BH_PLUGIN_RUN_ROOT      ? "root"
				   : p->m->run_as == BH_PLUGIN_RUN_LIBVIRT ? "the libvirt user"
									   : "the plugin user");
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
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_plugin_env env = { .owner = 0 };
	struct bh_msg m = { "" };
	char *adir = NULL, *kdir = NULL, *end;
	json_t *out = NULL;
	unsigned long uid;
	int c, rc = 0;

	bh_log_init("blockhost-verify-plugin", BH_LOG_STDERR, 0);
	while (bh_cli_getopt(argc, argv, "h", opts, &c, &m) == 0 && c != -1) {
		switch (c) {
		case 'a': env.actions_dir = optarg; break;
		case 'k': env.keys_dir = optarg; break;
		case 's': env.state_dir = optarg; break;
		case 'o':
			errno = 0;
			uid = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || uid >= (uid_t)-1)
				bh_msg_set(&m, "--owner: expected a numeric uid (0 = root)");
			else
				env.owner = (uid_t)uid;
			break;
		case 'j': out = out ? out : json_array(); break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("blockhost-verify-plugin (BlockHost) %s\n", BH_VERSION); return 0;
		}
		if (m.text[0])
			break;
	}
	if (m.text[0]) {
		log_error("%s (see blockhost-verify-plugin --help)", m.text);
		json_decref(out);
		return BH_EXIT_USAGE;
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
			rc |= check(&env, argv[i], out);
	} else {
		struct dirent **ents = NULL;
		int n = scandir(env.actions_dir, &ents, NULL, alphasort);
		if (n < 0) {
			log_error("%s: %m (--actions-dir: the installed plugins' directory)",
				  env.actions_dir);
			free(adir);
			free(kdir);
			json_decref(out);
			return 1;
		}
		for (int i = 0; i < n; i++) {
			size_t l = strlen(ents[i]->d_name);
			if (l > 9 && !strcmp(ents[i]->d_name + l - 9, ".manifest")) {
				ents[i]->d_name[l - 9] = 0;
				rc |= check(&env, ents[i]->d_name, out);
			}
			free(ents[i]);
		}
		free(ents);
	}
	if (out) {
		char *t = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (t)
			printf("%s\n", t);
		free(t);
		json_decref(out);
	}
	free(adir);
	free(kdir);
	return rc;
}

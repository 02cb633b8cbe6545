/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-guest-exec NAME COMMAND...: domain-guest-exec (/bin/sh -c in the guest,
 * upstream's virsh-guest-exec).  The words are joined with spaces (≤ 4000 bytes), the
 * guest's stdout/stderr relayed, exit = the guest's; host-side failure → exit 1.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "subcommands.h"

static int cmd_guest_exec(int argc, char **argv)
{
	char cmd[PROV_GUEST_EXEC_MAX + 1];
	size_t len = 0;
	struct ctx c;
	json_t *rep = NULL;
	int r, code = 1;

	if (argc < 3) {
		say(argc < 2 ? "a VM name and a command are required" : "a command is required");
		prov_usage(&prov_cmd_guest_exec);
		return BH_EXIT_USAGE;
	}
	if (!prov_valid_name(argv[1])) {
		say("invalid VM name '%s' (expected ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$)", argv[1]);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (len + n + (i > 2) > PROV_GUEST_EXEC_MAX) {
			say("command longer than %d bytes", PROV_GUEST_EXEC_MAX);
			return 1;
		}
		if (i > 2)
			cmd[len++] = ' ';
		memcpy(cmd + len, argv[i], n);
		len += n;
	}
	cmd[len] = '\0';
	if ((r = ctx_init(&c, false)) == 0 &&
	    (r = agent(&c, "domain-guest-exec", argv[1], json_pack("{s:s}", "command", cmd),
		       &rep)) == 0) {
		const char *o = json_string_value(json_object_get(rep, "stdout"));
		const char *e = json_string_value(json_object_get(rep, "stderr"));
		json_t *x = json_object_get(rep, "exitcode");
		if (o)
			fputs(o, stdout);
		if (e)
			fputs(e, stderr);
		code = json_is_integer(x) ? (int)(json_integer_value(x) & 0xff) : 1;
	}
	json_decref(rep);
	ctx_done(&c);
	return code;
}

const struct prov_cmd prov_cmd_guest_exec = {
	.name = "guest-exec", .run = cmd_guest_exec, .options_first = true,
	.usage = "blockhost-vm-guest-exec <name> <command...>",
};

/* SPDX-License-Identifier: MIT */
/* QEMU guest agent exec for the domain-guest-exec / domain-update-gecos plugins. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt-qemu.h>

#include "act.h"

int act_guest_exec(struct act_ctx *c, virDomainPtr d, const char *path,
		   const char *const *args, int timeout_s, size_t cap, struct prov_ga_status *ret)
{
	json_t *cmd, *argv;
	char *req = NULL, *rep = NULL;
	int64_t pid;
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	int r, polls = timeout_s * 10 / 3 + 1;

	if (!(argv = json_array()))
		return -ENOMEM;
	for (size_t i = 0; args[i]; i++)
		json_array_append_new(argv, json_string(args[i]));
	cmd = json_pack("{s:s,s:{s:s,s:o,s:b}}", "execute", "guest-exec", "arguments", "path", path,
			"arg", argv, "capture-output", 1);
	if (!cmd || !(req = json_dumps(cmd, JSON_COMPACT))) {
		json_decref(cmd);
		return -ENOMEM;
	}
	json_decref(cmd);
	rep = virDomainQemuAgentCommand(d, req, 10, 0);
	free(req);
	if (!rep) {
		bh_msg_set(&c->msg, "guest agent not responding: %s", act_virt_error());
		return BH_ERR_PEER;
	}
	r = prov_ga_exec_pid(rep, &pid, &c->msg);
	free(rep);
	if (r < 0)
		return r;
	while (polls-- > 0) {
		struct prov_ga_status st;
		if (asprintf(&req, "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":%lld}}",
			     (long long)pid) < 0)
			return -ENOMEM;
		rep = virDomainQemuAgentCommand(d, req, 10, 0);
		free(req);
		if (!rep) {
			bh_msg_set(&c->msg, "guest-exec-status: %s", act_virt_error());
			return BH_ERR_PEER;
		}
		r = prov_ga_exec_status(rep, cap, &st, &c->msg);
		free(rep);
		if (r < 0)
			return r;
		if (st.exited) {
			*ret = st;
			return 0;
		}
		prov_ga_status_done(&st);
		nanosleep(&ts, NULL);
	}
	bh_msg_set(&c->msg, "guest command still running after %d s", timeout_s);
	return BH_ERR_TIMEOUT;
}

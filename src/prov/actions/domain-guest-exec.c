/* SPDX-License-Identifier: MIT */
/*
 * domain-guest-exec: run "/bin/sh -c <command>" inside the guest via the QEMU guest
 * agent (upstream virsh-guest-exec; command at most 4000 bytes, polled every 0.3 s).
 * Reply: {"ok":true,"exitcode":N,"stdout":"...","stderr":"..."} (decoded output,
 * at most 256 KiB per stream).
 */
#include <string.h>

#include "act.h"

#define OUT_CAP (256u * 1024u)

static int gexec(struct act_ctx *c)
{
	const char *cmd = act_str(c, "command");
	const char *args[] = { "-c", cmd, NULL };
	int timeout = (int)act_int(c, "timeout_s", 120);
	struct prov_ga_status st;
	virDomainPtr d;
	int r;

	if (!cmd || !*cmd || strlen(cmd) > PROV_GUEST_EXEC_MAX) {
		bh_msg_set(&c->msg, "param 'command': 1..%d bytes", PROV_GUEST_EXEC_MAX);
		return BH_ERR_FORMAT;
	}
	if (timeout < 1 || timeout > 300)
		timeout = 120;
	if (!(d = act_domain(c)))
		return BH_ERR_NOT_FOUND;
	r = act_guest_exec(c, d, "/bin/sh", args, timeout, OUT_CAP, &st);
	virDomainFree(d);
	if (r < 0)
		return r;
	json_object_set_new(c->reply, "exitcode", json_integer(st.exitcode));
	json_object_set_new(c->reply, "stdout", json_stringn(st.out ? st.out : "", st.out_len));
	json_object_set_new(c->reply, "stderr", json_stringn(st.err ? st.err : "", st.err_len));
	if (!json_object_get(c->reply, "stdout")) /* not UTF-8: hand back hex-safe text */
		json_object_set_new(c->reply, "stdout", json_string("(non-UTF-8 output)"));
	if (!json_object_get(c->reply, "stderr"))
		json_object_set_new(c->reply, "stderr", json_string("(non-UTF-8 output)"));
	prov_ga_status_done(&st);
	return 0;
}

int main(void)
{
	return act_main("domain-guest-exec", gexec);
}

/* SPDX-License-Identifier: MIT */
/*
 * domain-update-gecos: usermod -c '<gecos>' <user> in the guest via the guest agent,
 * with an argv (no shell, so no quoting).  gecos must be exactly wallet=0x<40 hex>,nft=<id>
 * (host/gecos.h, BH_GECOS_EXACT: what update-gecos writes).
 */
#include <string.h>

#include "act.h"
#include "core/buf.h"
#include "host/gecos.h"

static int gecos(struct act_ctx *c)
{
	const char *g = act_str(c, "gecos"), *u = act_str(c, "username");
	const char *args[] = { "-c", g, u, NULL };
	struct prov_ga_status st;
	virDomainPtr d;
	int r;

	struct bh_gecos parsed;
	struct bh_msg why = { "" };
	struct bh_buf b;
	bh_buf_view(&b, g ? g : "", g ? strlen(g) : 0);
	if ((r = bh_gecos_parse(&b, BH_GECOS_EXACT, &parsed, &why)) < 0) {
		bh_msg_set(&c->msg, "param 'gecos': expected wallet=0x<40 hex>,nft=<digits>: %s",
			   why.text);
		return r;
	}
	if (!prov_valid_username(u)) {
		bh_msg_set(&c->msg, "param 'username': not a valid user name");
		return BH_ERR_FORMAT;
	}
	if (!(d = act_domain(c)))
		return BH_ERR_NOT_FOUND;
	r = act_guest_exec(c, d, "/usr/sbin/usermod", args, 30, 4096, &st);
	virDomainFree(d);
	if (r < 0)
		return r;
	if (st.exitcode != 0) {
		bh_msg_set(&c->msg, "usermod exited with %d: %.200s", st.exitcode,
			   st.err ? st.err : "");
		prov_ga_status_done(&st);
		return BH_ERR_CHILD;
	}
	prov_ga_status_done(&st);
	return 0;
}

int main(void)
{
	return act_main("domain-update-gecos", gecos);
}

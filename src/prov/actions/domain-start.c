/* SPDX-License-Identifier: MIT */
/* domain-start: start a defined domain; already running is success. */
#include "act.h"

static int start(struct act_ctx *c)
{
	virDomainPtr d = act_domain(c);
	int r = 0;

	if (!d)
		return BH_ERR_NOT_FOUND;
	if (virDomainIsActive(d) == 1) {
		json_object_set_new(c->reply, "already_running", json_true());
	} else if ((r = act_check_storage(c, act_str(c, "name"), NULL, NULL)) < 0) {
		/* the disk may have been rewritten since define: check it again */
	} else if (virDomainCreate(d) < 0) {
		bh_msg_set(&c->msg, "start '%s': %s", act_str(c, "name"), act_virt_error());
		r = BH_ERR_PEER;
	}
	virDomainFree(d);
	return r;
}

int main(void)
{
	return act_main("domain-start", start);
}

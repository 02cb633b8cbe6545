/* SPDX-License-Identifier: MIT */
/* domain-destroy: immediate power-off; a domain that is off (or absent) is success. */
#include "act.h"

static int destroy(struct act_ctx *c)
{
	const char *name = act_str(c, "name");
	virDomainPtr d;
	int r = 0;

	if (!prov_valid_name(name)) {
		bh_msg_set(&c->msg, "param 'name': not a valid VM name");
		return BH_ERR_FORMAT;
	}
	if (!(d = virDomainLookupByName(c->conn, name))) {
		json_object_set_new(c->reply, "absent", json_true());
		return 0;
	}
	if (virDomainIsActive(d) == 1 && virDomainDestroy(d) < 0) {
		bh_msg_set(&c->msg, "destroy '%s': %s", name, act_virt_error());
		r = BH_ERR_PEER;
	}
	virDomainFree(d);
	return r;
}

int main(void)
{
	return act_main("domain-destroy", destroy);
}

/* SPDX-License-Identifier: MIT */
/* domain-shutdown: graceful ACPI shutdown request (returns at once; the CLI polls). */
#include "act.h"

static int shutdown_dom(struct act_ctx *c)
{
	virDomainPtr d = act_domain(c);
	int r = 0;

	if (!d)
		return BH_ERR_NOT_FOUND;
	if (virDomainIsActive(d) != 1) {
		json_object_set_new(c->reply, "already_off", json_true());
	} else if (virDomainShutdownFlags(d, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) < 0 &&
		   virDomainShutdown(d) < 0) {
		bh_msg_set(&c->msg, "shutdown '%s': %s", act_str(c, "name"), act_virt_error());
		r = BH_ERR_PEER;
	}
	virDomainFree(d);
	return r;
}

int main(void)
{
	return act_main("domain-shutdown", shutdown_dom);
}

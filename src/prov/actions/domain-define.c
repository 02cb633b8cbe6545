/* SPDX-License-Identifier: MIT */
/*
 * domain-define: define (not start) a VM domain from validated fields.  The XML is
 * built here (prov_domain_xml); the caller never supplies XML.  Disk and seed must
 * resolve inside the configured storage_path / cloud_init_dir, and a domain of the
 * same name must not exist (virDomainDefineXML would silently redefine it).
 */
#include <string.h>
#include <stdlib.h>

#include "act.h"

static int define(struct act_ctx *c)
{
	struct prov_domain_spec s = {
		.name = act_str(c, "name"),
		.type = c->conf.domain_type,
		.vcpus = (unsigned)act_int(c, "vcpus", 1),
		.memory_mb = (unsigned long)act_int(c, "memory_mb", 2048),
		.disk_path = act_str(c, "disk"),
		.seed_path = act_str(c, "seed"),
		.bridge = c->conf.bridge,
		.network = c->conf.bridge ? NULL : c->conf.network,
		.emulator = c->conf.emulator,
	};
	virDomainPtr d;
	char *xml = NULL;
	int r;

	if (!prov_valid_name(s.name)) {
		bh_msg_set(&c->msg, "param 'name': not a valid VM name");
		return BH_ERR_FORMAT;
	}
	if ((r = act_path_under(c, "disk", s.disk_path, c->conf.storage_path)) < 0)
		return r;
	if (s.seed_path && (r = act_path_under(c, "seed", s.seed_path, c->conf.cloud_init_dir)) < 0)
		return r;
	if ((d = virDomainLookupByName(c->conn, s.name))) {
		virDomainFree(d);
		bh_msg_set(&c->msg, "domain '%s' already exists", s.name);
		return BH_ERR_EXISTS;
	}
	if ((r = prov_domain_xml(&s, &xml, &c->msg)) < 0)
		return r;
	d = virDomainDefineXML(c->conn, xml);
	free(xml);
	if (!d) {
		bh_msg_set(&c->msg, "define '%s': %s", s.name, act_virt_error());
		return BH_ERR_PEER;
	}
	virDomainFree(d);
	return 0;
}

int main(void)
{
	return act_main("domain-define", define);
}

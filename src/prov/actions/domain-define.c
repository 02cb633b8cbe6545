/* SPDX-License-Identifier: MIT */
/*
 * domain-define: define (not start) a VM domain from validated fields.  The XML is
 * built here (prov_domain_xml); the caller never supplies XML.  Disk and seed must
 * resolve inside the configured storage_path / cloud_init_dir, and a domain of the
 * same name must not exist (virDomainDefineXML would silently redefine it).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

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
	char *xml = NULL, *disk = NULL, *seed = NULL, rp[PATH_MAX], re[PATH_MAX];
	int r;

	if (!prov_valid_name(s.name)) {
		bh_msg_set(&c->msg, "param 'name': not a valid VM name");
		return BH_ERR_FORMAT;
	}
	if ((r = act_path_under(c, "disk", s.disk_path, c->conf.storage_path)) < 0)
		return r;
	if (s.seed_path && (r = act_path_under(c, "seed", s.seed_path, c->conf.cloud_init_dir)) < 0)
		return r;
	/* the files must be this VM's own, by name, and pass the header/ownership checks */
	if ((r = act_check_storage(c, s.name, &disk, &seed)) < 0)
		goto out;
	if (!realpath(s.disk_path, rp) || !realpath(disk, re) || strcmp(rp, re) != 0) {
		bh_msg_set(&c->msg, "param 'disk': must be %s", disk);
		r = BH_ERR_DENIED;
		goto out;
	}
	if (s.seed_path && (!seed || !realpath(s.seed_path, rp) || !realpath(seed, re) ||
			    strcmp(rp, re) != 0)) {
		bh_msg_set(&c->msg, "param 'seed': must be %s/%s/cidata.iso", c->conf.cloud_init_dir,
			   s.name);
		r = BH_ERR_DENIED;
		goto out;
	}
	s.disk_path = disk;
	s.seed_path = s.seed_path ? seed : NULL;
	if ((d = virDomainLookupByName(c->conn, s.name))) {
		virDomainFree(d);
		bh_msg_set(&c->msg, "domain '%s' already exists", s.name);
		r = BH_ERR_EXISTS;
		goto out;
	}
	if ((r = prov_domain_xml(&s, &xml, &c->msg)) < 0)
		goto out;
	d = virDomainDefineXML(c->conn, xml);
	free(xml);
	if (!d) {
		bh_msg_set(&c->msg, "define '%s': %s", s.name, act_virt_error());
		r = BH_ERR_PEER;
		goto out;
	}
	virDomainFree(d);
	r = 0;
out:
	free(disk);
	free(seed);
	return r;
}

int main(void)
{
	return act_main("domain-define", define);
}

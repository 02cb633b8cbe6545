/* SPDX-License-Identifier: MIT */
/*
 * domain-undefine: power off if needed and remove the definition (with managed save,
 * snapshot metadata and NVRAM), then remove the files domain-define created in
 * storage_path (<name>.qcow2, <name>-seed.iso).  Absent is success (destroy is
 * idempotent; the files are removed even when the domain is already gone).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "act.h"

static int remove_files(struct act_ctx *c, const char *name)
{
	const char *suffix[] = { ".qcow2", "-seed.iso" };
	for (int i = 0; i < 2; i++) {
		char *p;
		if (asprintf(&p, "%s/%s%s", c->conf.storage_path, name, suffix[i]) < 0)
			return -ENOMEM;
		if (unlink(p) < 0 && errno != ENOENT) {
			int r = bh_negerrno();
			bh_msg_set(&c->msg, "remove %s: %s", p, strerror(-r));
			free(p);
			return r;
		}
		free(p);
	}
	return 0;
}

static int undefine(struct act_ctx *c)
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
		return remove_files(c, name);
	}
	if (virDomainIsActive(d) == 1 && virDomainDestroy(d) < 0) {
		bh_msg_set(&c->msg, "destroy '%s': %s", name, act_virt_error());
		r = BH_ERR_PEER;
	} else if (virDomainUndefineFlags(d, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
					     VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
					     VIR_DOMAIN_UNDEFINE_NVRAM) < 0 &&
		   virDomainUndefine(d) < 0) {
		bh_msg_set(&c->msg, "undefine '%s': %s", name, act_virt_error());
		r = BH_ERR_PEER;
	}
	virDomainFree(d);
	return r < 0 ? r : remove_files(c, name);
}

int main(void)
{
	return act_main("domain-undefine", undefine);
}

/* SPDX-License-Identifier: MIT */
/*
 * bridge-port-isolate (upstream networking.py, §4): isolate a VM's bridge port
 * so VMs cannot reach each other at L2 (kernel >= 5.2).
 *   params: dev — a VM tap: tapNiM (Proxmox) or vnetN (libvirt)
 *   runs:   bridge link set dev DEV isolated on
 */
#include <stdio.h>

#include "common.h"

int main(void)
{
	json_t *p = act_params();
	const char *dev = act_str(p, "dev", NULL);
	char err[400];

	if (!dev || !act_match("^(tap[0-9]{1,6}i[0-9]{1,3}|vnet[0-9]{1,6})$", dev))
		act_fail("param 'dev': must be a VM tap device (tapNiM or vnetN)");
	const char *argv[] = { "/usr/sbin/bridge", "link", "set", "dev", dev, "isolated", "on", NULL };
	int rc = act_run(argv, 30000, err, sizeof(err));
	if (rc != 0)
		act_fail("bridge link set failed (exit %d): %s", rc, err);
	json_decref(p);
	act_ok(NULL);
}

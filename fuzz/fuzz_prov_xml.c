/* SPDX-License-Identifier: MIT */
/* Fuzz the provisioner's reader of libvirt domain XML (agent channel state, disk and
 * interface targets), which comes over the libvirt socket. */
#include <stdlib.h>
#include <string.h>

#include "../src/prov/prov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prov_xml_info i;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (prov_xml_parse_info(s, size, &i, NULL) == 0) {
		if (i.n_disks > 4 || i.n_ifaces > 4)
			abort();
		for (unsigned k = 0; k < i.n_disks; k++)
			if (strnlen(i.disk_targets[k], 16) >= 16 || !i.disk_targets[k][0])
				abort();
		for (unsigned k = 0; k < i.n_ifaces; k++)
			if (strnlen(i.iface_targets[k], 16) >= 16 || strchr(i.iface_targets[k], '\''))
				abort();
		if (i.agent_connected && !i.has_agent_channel)
			abort();
	}
	free(s);
	return 0;
}

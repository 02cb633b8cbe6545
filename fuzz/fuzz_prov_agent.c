/* SPDX-License-Identifier: MIT */
/* Fuzz what the provisioner reads from the root agent (a reply frame payload, checked by
 * prov_agent_check_reply) and from libvirt.json (prov_conf_from_json). The first byte
 * picks the parser. */
#include <stdlib.h>
#include <string.h>

#include "core/frame.h"
#include "../src/prov/prov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_msg m = { "" };
	json_t *j = NULL;

	if (size < 1)
		return 0;
	if (bh_frame_decode_json(data + 1, size - 1, &j) < 0)
		return 0;
	if (data[0] & 1) {
		struct prov_conf c;
		if (prov_conf_from_json(j, "fuzz.json", &c, &m) == 0) {
			if (!c.uri || !c.domain_type || !c.storage_path || !c.agent_socket)
				abort();
			prov_conf_done(&c);
		}
	} else {
		int r = prov_agent_check_reply(j, "domain-start", &m);
		if (r == 0 && !json_is_true(json_object_get(j, "ok")))
			abort();
		if (r < 0 && !m.text[0])
			abort();
	}
	json_decref(j);
	return 0;
}

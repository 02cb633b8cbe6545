/* SPDX-License-Identifier: MIT */
/* Fuzz the signed-plugin manifest parser (docs/PROTOCOL.plugin section 2) and the
 * signature / key line parsers on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "../src/agent/plugin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_plugin_manifest *m = NULL;
	struct bh_msg msg;
	uint8_t kid[BH_PLUGIN_KEYID_LEN], sig[64], pk[32], sk[64];

	if (bh_plugin_manifest_parse(data, size, &m, &msg) == 0) {
		/* invariants of an accepted manifest */
		if (!bh_name_valid(m->action, BH_NAME_ACTION) || m->version == 0 || m->timeout_ms == 0 ||
		    m->timeout_ms > BH_PLUGIN_TIMEOUT_MAX || m->output_max > BH_PLUGIN_OUTPUT_MAX ||
		    m->n_params > BH_PLUGIN_PARAMS_MAX)
			abort();
		bh_plugin_manifest_free(m);
	}
	/* the line parsers must only not crash; a success must have consumed the exact length */
	if (bh_plugin_sig_parse(data, size, kid, sig) == 0 && size != strlen(BH_PLUGIN_SIG_MAGIC) + 147)
		abort();
	if (bh_plugin_pub_parse(data, size, pk) == 0 && size != strlen(BH_PLUGIN_PUB_MAGIC) + 66)
		abort();
	if (bh_plugin_sec_parse(data, size, sk) == 0 && size != strlen(BH_PLUGIN_SEC_MAGIC) + 130)
		abort();
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Fuzz manifest parsing and validation as each kind, then the accessors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "host/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int k = 0; k < _BH_MANIFEST_KIND_MAX; k++) {
		struct bh_manifest *m = NULL;
		struct bh_msg msg;
		const char *s;

		if (bh_manifest_parse((enum bh_manifest_kind)k, data, size, &m, &msg) < 0)
			continue;
		if (!bh_manifest_name(m) || !*bh_manifest_name(m))
			abort();
		static const char *const verbs[] = { "create", "destroy", "status", "gc" };
		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (bh_manifest_command(m, verbs[i], &s) == 0 && !bh_manifest_exe_valid(s))
				abort(); /* every command that validated must satisfy the rule */
		(void)bh_manifest_setup_string(m, "first_boot_hook", &s);
		(void)bh_manifest_constraint(m, "native_token", &s);
		int r = bh_manifest_match(m, "address_pattern",
					  "0x52908400098527886E0F7030069857D2E4169EE7");
		if (r != 0 && r != BH_ERR_MISMATCH && r != BH_ERR_NOT_FOUND)
			abort();
		bh_manifest_free(m);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Fuzz the policy file parser (policy/<service>.policy): generic INI layer + sandbox sections. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "sandbox/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_msg m = { "" };
	struct bh_ini *ini = NULL;
	struct bh_policy *p = NULL;

	if (bh_ini_parse(data, size, "fuzz.policy", &ini, &m) == 0) {
		/* walk everything a component would read */
		for (size_t i = 0; i < ini->n_sections; i++) {
			const struct bh_ini_section *s = &ini->sections[i];
			if (bh_ini_section(ini, s->name) != s)
				abort(); /* section names are unique */
			for (size_t j = 0; j < s->n_entries; j++) {
				const char *v;
				int r = bh_ini_get(ini, s, s->entries[j].key, &v, &m);
				if (r != 0 && r != BH_ERR_DUPLICATE)
					abort();
				if (strlen(s->entries[j].value) > 1024)
					abort();
			}
		}
		bh_ini_free(ini);
	}
	if (bh_policy_parse(data, size, "fuzz.policy", "fuzz-svc", &p, &m) == 0) {
		if (!p->no_new_privs || !p->ini)
			abort();
		for (int c = 0; c < 64; c++)
			if ((p->caps >> c & 1) && !bh_cap_name(c))
				abort();
		for (int l = 0; l < BH_POLICY_NLIMITS; l++)
			if (p->limits[l].set && p->limits[l].soft > p->limits[l].hard)
				abort();
		bh_policy_free(p);
	}
	if (strlen(m.text) >= sizeof(m.text))
		abort();
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Fuzz the metrics sample cache reader (/var/lib/blockhost/metrics/<vm>.json) and the
 * metrics JSON built from two samples; a parsed sample must re-serialise to itself. */
#include <stdlib.h>
#include <string.h>

#include "../src/prov/prov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prov_sample a, b;
	json_t *j, *m;
	char *t;

	if (prov_sample_from_json((const char *)data, size, &a, NULL) < 0)
		return 0;
	if (!(j = prov_sample_to_json(&a)) || !(t = json_dumps(j, JSON_COMPACT)))
		abort();
	if (prov_sample_from_json(t, strlen(t), &b, NULL) != 0 || b.t_ms != a.t_ms ||
	    b.cpu_time_ns != a.cpu_time_ns || b.state != a.state || b.agent != a.agent)
		abort();
	b.t_ms += 1500;
	b.cpu_time_ns += 7;
	if (!(m = prov_metrics_json(&b, &a)) || json_object_size(m) != 16)
		abort();
	json_decref(m);
	if (!(m = prov_metrics_json(&a, &b)))
		abort();
	json_decref(m);
	free(t);
	json_decref(j);
	return 0;
}

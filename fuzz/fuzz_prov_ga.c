/* SPDX-License-Identifier: MIT */
/* Fuzz the QEMU guest-agent reply parsers used by the domain-guest-exec plugin
 * (guest-exec pid, guest-exec-status with base64 output and the output cap). */
#include <stdlib.h>
#include <string.h>

#include "../src/prov/prov.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prov_ga_status st;
	int64_t pid;
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (prov_ga_exec_pid(s, &pid, NULL) == 0 && pid < 0)
		abort();
	if (prov_ga_exec_status(s, 64, &st, NULL) == 0) {
		if (st.out_len > 64 + 3 || st.err_len > 64 + 3)
			abort();
		if ((st.out && st.out[st.out_len] != '\0') || (st.err && st.err[st.err_len] != '\0'))
			abort();
		prov_ga_status_done(&st);
	}
	free(s);
	return 0;
}

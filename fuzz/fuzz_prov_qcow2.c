/* SPDX-License-Identifier: MIT */
/* Fuzz the qcow2 header check the domain-define/-start plugins run on a VM disk written
 * by the unprivileged provisioner (backing file, backing format, external data file). */
#include <stdlib.h>
#include <string.h>

#include "../src/prov/prov.h"

#define TEMPLATE "/t/base.qcow2"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size > PROV_QCOW2_HDR_MAX)
		return 0;
	if (!(copy = malloc(size ? size : 1)))
		return 0;
	memcpy(copy, data, size);  /* exact-size heap copy: ASan sees any over-read */
	if (prov_qcow2_check(copy, size, TEMPLATE, NULL) == 0 &&
	    (size < 72 || !memmem(copy, size, TEMPLATE, strlen(TEMPLATE))))
		abort(); /* accepted without naming the template */
	free(copy);
	return 0;
}

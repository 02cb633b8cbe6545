/* SPDX-License-Identifier: MIT */
/* Fuzz the BLOCKHOST_RESULT line parser on arbitrary CLI stdout. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/spawn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	int r = bh_result_parse((const char *)data, size, &j);

	if (r == 0) {
		if (!json_is_object(j) && !(json_is_integer(j) && json_integer_value(j) >= 0))
			abort();
		json_decref(j);
	} else if (r == BH_ERR_NOT_FOUND) {
		/* no result line: then there is no sentinel anywhere at a line start */
		if (size >= 17 && memcmp(data, "BLOCKHOST_RESULT:", 17) == 0)
			abort();
	}
	return 0;
}

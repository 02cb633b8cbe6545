/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the BLOCKHOST_RESULT reader (host/result.h) on arbitrary CLI stdout, and the
 * writer on what it accepted: a value read back from the writer's line is the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "host/result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf b;
	struct bh_msg m = { "" };
	json_t *j = NULL, *back = NULL;
	char *line = NULL;

	bh_buf_view(&b, data, size);
	int r = bh_result_parse(&b, &j, &m);
	if (bh_buf_len(&b) != size)
		abort(); /* the reader does not consume */
	if (r < 0) {
		if (j || !m.text[0])
			abort(); /* ret untouched, and a message on every error */
		if (r == BH_ERR_NOT_FOUND && size >= 17 && memcmp(data, "BLOCKHOST_RESULT:", 17) == 0)
			abort(); /* a sentinel at the start is always found */
		return 0;
	}
	if (!json_is_object(j) && !(json_is_integer(j) && json_integer_value(j) >= 0))
		abort();
	/* round trip: writer → reader gives the same value (unless it is over the line cap) */
	r = bh_result_format(j, &line, NULL);
	if (r == 0) {
		struct bh_buf lb;
		bh_buf_view(&lb, line, strlen(line));
		if (bh_result_parse(&lb, &back, NULL) != 0 || !json_equal(j, back))
			abort();
	} else if (r != BH_ERR_LIMIT) {
		abort();
	}
	json_decref(back);
	json_decref(j);
	free(line);
	return 0;
}

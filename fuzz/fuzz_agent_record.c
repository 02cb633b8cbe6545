/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the root side of the root agent's privilege separation: the input is the
 * reader->monitor record (src/agent/request.h) as a compromised request reader could
 * send it, decoded by bh_agent_record_decode exactly as the monitor does.  Checks:
 * what it accepts is well-formed (a valid action name and an object of params, or a
 * printable unknown name / error text), and re-encoding an accepted request gives the
 * same bytes (the encoding is canonical: one record per request).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "../src/agent/plugin.h"
#include "../src/agent/request.h"

static void printable_or_abort(const char *s)
{
	for (size_t i = 0; s[i]; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_agent_request q;
	struct bh_msg msg = { "" };
	struct bh_buf again;

	if (size > BH_AGENT_RECORD_MAX + 1)
		return 0;
	if (bh_agent_record_decode(data, size, &q, &msg) < 0)
		return 0;
	if (q.error) {
		printable_or_abort(q.error_text);
		if (q.params || q.unknown)
			abort();
		return 0;
	}
	printable_or_abort(q.action);
	printable_or_abort(q.ignored);
	if (q.unknown) {
		if (q.params)
			abort();
		return 0;
	}
	if (!bh_name_valid(q.action, BH_NAME_ACTION) || !json_is_object(q.params))
		abort();
	/* canonical: the reader's encoder gives back the same bytes, unless the ceilings
	 * (which only the reader applies) refuse it */
	bh_buf_init(&again, BH_AGENT_RECORD_MAX);
	if (bh_agent_record_put_request(&again, &q, &msg) == 0 &&
	    (bh_buf_len(&again) != size || memcmp(bh_buf_ptr(&again), data, size)))
		abort();
	bh_buf_done(&again);
	bh_agent_request_done(&q);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the root agent's connection-handler records (src/agent/request.h): the run
 * record the unfiltered launcher reads from its filtered checker (as a compromised
 * checker could send it) and the done record the checker reads back.  Each input is
 * tried as both.  Checks: an accepted run record has a valid action name and a params
 * text inside the input; an accepted done record has a printable text; and re-encoding
 * either gives exactly the input bytes (both encodings are canonical).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/spawn.h"
#include "core/strutil.h"
#include "../src/agent/plugin.h"
#include "../src/agent/request.h"

static void same_or_abort(const struct bh_buf *b, const uint8_t *data, size_t size)
{
	if (bh_buf_len(b) != size || memcmp(bh_buf_ptr(b), data, size) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char action[BH_PLUGIN_NAME_MAX + 1];
	const uint8_t *in;
	size_t n;
	struct bh_agent_done d;
	struct bh_buf again;

	if (size > BH_AGENT_RUN_MAX + 1)
		return 0;
	if (bh_agent_run_get(data, size, action, &in, &n) == 0) {
		if (!bh_name_valid(action, BH_NAME_ACTION) || in < data || in + n > data + size)
			abort();
		bh_buf_init(&again, BH_AGENT_RUN_MAX);
		if (bh_agent_run_put(&again, action, (const char *)in, n) < 0)
			abort();
		same_or_abort(&again, data, size);
		bh_buf_done(&again);
	}
	if (bh_agent_done_get(data, size, &d) == 0) {
		struct bh_spawn_result sr = { .exit_code = d.exit_code, .term_signal = d.term_signal,
					      .timed_out = d.flags & 1, .stdout_truncated = d.flags & 2 };
		for (size_t i = 0; d.text[i]; i++)
			if (d.text[i] < 0x20 || d.text[i] > 0x7e)
				abort();
		bh_buf_view(&sr.out, d.out, d.n_out);
		bh_buf_view(&sr.err, d.err, d.n_err);
		bh_buf_init(&again, BH_AGENT_DONE_MAX);
		if (bh_agent_done_put(&again, d.r, &sr, d.version, d.run_uid, d.text) < 0)
			abort();
		/* canonical only when the text was printable already (sanitizing changes it) */
		const uint8_t *t = data + size - strlen(d.text);
		if (!memcmp(t, d.text, strlen(d.text)))
			same_or_abort(&again, data, size);
		bh_buf_done(&again);
	}
	return 0;
}

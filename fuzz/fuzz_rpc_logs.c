/* SPDX-License-Identifier: MIT */
/*
 * Fuzz eth_getLogs replies: envelope (id 1) then bh_rpc_parse_logs, then each log through
 * the typed event decoder (eth/events.h) as the engine does.  Properties: the count and
 * topic bounds hold, data views match their owned copies, clearing is idempotent.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "eth/events.h"
#include "eth/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf b;
	struct bh_msg m = { "" };
	struct bh_rpc_logs logs = { NULL, 0 };
	json_t *res = NULL;

	bh_buf_view(&b, data, size);
	if (bh_rpc_parse_reply(&b, 1u << 20, 1, &res, NULL, NULL) < 0)
		return 0;
	int r = bh_rpc_parse_logs(res, &logs, &m);
	if (r < 0) {
		if (logs.v || logs.n || !m.text[0])
			abort();
	} else {
		if (logs.n != json_array_size(res))
			abort();
		for (size_t i = 0; i < logs.n; i++) {
			struct bh_event ev;
			if (logs.v[i].log.ntopics > BH_LOG_MAX_TOPICS)
				abort();
			if (bh_buf_len(&logs.v[i].log.data) && bh_buf_ptr(&logs.v[i].log.data) != logs.v[i].data)
				abort();
			if (bh_event_decode(&logs.v[i].log, &ev, NULL) == 0)
				bh_event_clear(&ev);
		}
	}
	bh_rpc_logs_clear(&logs);
	bh_rpc_logs_clear(&logs);
	json_decref(res);
	return 0;
}

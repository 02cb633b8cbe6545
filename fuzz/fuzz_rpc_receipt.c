/* SPDX-License-Identifier: MIT */
/*
 * Fuzz eth_getTransactionReceipt replies: envelope (id 1) then bh_rpc_parse_receipt and
 * the CredentialMinted lookup the mint path does on its logs.  Properties: *ret untouched
 * on error, a message on every error, clearing twice is safe.
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
	struct bh_rpc_receipt rc;
	json_t *res = NULL;

	memset(&rc, 0, sizeof(rc));
	bh_buf_view(&b, data, size);
	if (bh_rpc_parse_reply(&b, 1u << 20, 1, &res, NULL, NULL) < 0)
		return 0;
	int r = bh_rpc_parse_receipt(res, &rc, &m);
	if (r < 0) {
		if (rc.logs.v || rc.logs.n || !m.text[0])
			abort();
	} else {
		for (size_t i = 0; i < rc.logs.n; i++) {
			struct bh_event ev;
			if (bh_event_decode(&rc.logs.v[i].log, &ev, NULL) == 0)
				bh_event_clear(&ev);
		}
	}
	bh_rpc_receipt_clear(&rc);
	bh_rpc_receipt_clear(&rc);
	json_decref(res);
	return 0;
}

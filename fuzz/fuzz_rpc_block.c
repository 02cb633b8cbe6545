/* SPDX-License-Identifier: MIT */
/*
 * Fuzz eth_getBlockByNumber replies: envelope (id 1) then bh_rpc_parse_block.
 * Properties: *ret untouched on error, a message on every error.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "eth/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf b;
	struct bh_msg m = { "" };
	struct bh_rpc_block blk, zero;
	json_t *res = NULL;

	memset(&blk, 0, sizeof(blk));
	memset(&zero, 0, sizeof(zero));
	bh_buf_view(&b, data, size);
	if (bh_rpc_parse_reply(&b, 1u << 20, 1, &res, NULL, NULL) < 0)
		return 0;
	int r = bh_rpc_parse_block(res, &blk, &m);
	if (r < 0 && (memcmp(&blk, &zero, sizeof(blk)) != 0 || !m.text[0]))
		abort();
	json_decref(res);
	return 0;
}

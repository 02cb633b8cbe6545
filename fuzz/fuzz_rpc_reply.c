/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the JSON-RPC reply envelope (eth/rpc.h bh_rpc_parse_reply, id 1) and the scalar
 * result parsers (quantity, 256-bit quantity, fixed data, variable data) on its result.
 * Properties: result and error are exclusive; the body is not consumed; a message on
 * every error; a parsed quantity prints back to the same text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "eth/rpc.h"
#include "eth/u256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf b, out;
	struct bh_msg m = { "" };
	struct bh_rpc_error e;
	json_t *res = NULL;
	uint64_t q;
	uint8_t q256[32], fixed[32];

	memset(&e, 0, sizeof(e));
	bh_buf_view(&b, data, size);
	int r = bh_rpc_parse_reply(&b, 1u << 20, 1, &res, &e, &m);
	if (bh_buf_len(&b) != size)
		abort();
	if (r < 0) {
		if (res || !m.text[0])
			abort();
		if (r == BH_ERR_RPC && !e.has_code)
			abort();
		free(e.data);
		return 0;
	}
	if (!res || e.has_code)
		abort();
	if (bh_rpc_parse_quantity(res, &q, &m) == 0) {
		char s[24];
		snprintf(s, sizeof(s), "0x%llx", (unsigned long long)q);
		if (strcasecmp(s, json_string_value(res)) != 0)
			abort();
		if (bh_rpc_parse_quantity256(res, q256, NULL) != 0)
			abort();
		uint64_t back;
		if (bh_u256_to_u64(q256, &back) != 0 || back != q)
			abort();
	}
	if (bh_rpc_parse_quantity256(res, q256, NULL) == 0 && !json_is_string(res))
		abort();
	if (bh_rpc_parse_fixed(res, fixed, 32, NULL) == 0 && json_string_length(res) != 66)
		abort();
	bh_buf_init(&out, 4096);
	if (bh_rpc_parse_data(res, 4096, &out, NULL) == 0 && json_is_string(res) &&
	    bh_buf_len(&out) * 2 + 2 != json_string_length(res))
		abort();
	bh_buf_done(&out);
	json_decref(res);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the root agent's request path as the daemon runs it: the input is the
 * raw bytes a client sends on the socket (4-byte BE length + JSON), read with
 * bh_frame_read from a pipe under the agent's cap, decoded strictly, then split
 * into action + params by bh_agent_request_parse.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/frame.h"
#include "../src/agent/plugin.h"
#include "../src/agent/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_buf b;
	struct bh_msg msg;
	struct bh_agent_request q;
	json_t *req = NULL;
	int fds[2];

	if (size > 60000) /* stays within one pipe buffer: no writer thread needed */
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return 0;
	if (size && write(fds[1], data, size) != (ssize_t)size)
		abort();
	close(fds[1]);
	bh_buf_init(&b, BH_FRAME_MAX_REQUEST);
	if (bh_frame_read(fds[0], BH_FRAME_MAX_REQUEST, 1000, &b) == 0 &&
	    bh_frame_decode_json(bh_buf_ptr(&b), bh_buf_len(&b), &req) == 0) {
		int r = bh_agent_request_parse(req, &q, &msg);
		if (r == 0 && !q.unknown) {
			if (!bh_name_valid(q.action, BH_NAME_ACTION) || !json_is_object(q.params))
				abort();
			bh_agent_request_done(&q);
		} else if (r == 0) {
			if (q.params)
				abort();
			for (size_t i = 0; q.action[i]; i++)
				if (q.action[i] < 0x20 || q.action[i] > 0x7e)
					abort();
		}
		json_t *e = bh_agent_error_reply("x");
		json_decref(e);
		json_decref(req);
	}
	bh_buf_done(&b);
	close(fds[0]);
	return 0;
}

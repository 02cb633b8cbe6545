/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the socket frame reader and the JSON request step: the input is the byte
 * stream a peer would send, served from a memfd; frames are read until the
 * stream fails, and each payload is decoded as a request would be.  The raw
 * input is also decoded directly as a payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/frame.h"

static void request_step(const uint8_t *p, size_t n)
{
	json_t *j = NULL;

	if (bh_frame_decode_json(p, n, &j) < 0)
		return;
	if (!json_is_object(j))
		abort();
	/* what the agent does next: {"action": str, "params": object} */
	json_t *a = json_object_get(j, "action"), *pr = json_object_get(j, "params");
	if (json_is_string(a) && (!pr || json_is_object(pr))) {
		char *s = json_dumps(j, JSON_COMPACT);
		json_t *k = NULL;
		/* our own serialization must decode to the same value */
		if (!s || bh_frame_decode_json(s, strlen(s), &k) < 0 || !json_equal(j, k))
			abort();
		json_decref(k);
		free(s);
	}
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct bh_buf b;

	if (fd < 0 && (fd = memfd_create("fuzz_frame", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();

	for (int i = 0; i < 16; i++) {
		bh_buf_init(&b, 1u << 20);
		int r = bh_frame_read(fd, 1u << 20, 1000, &b);
		if (r < 0) {
			if (bh_buf_len(&b) != 0) /* failure leaves the buffer as it was */
				abort();
			bh_buf_done(&b);
			break;
		}
		if (bh_buf_len(&b) == 0)
			abort();
		request_step(bh_buf_ptr(&b), bh_buf_len(&b));
		bh_buf_done(&b);
	}
	request_step(data, size);
	return 0;
}

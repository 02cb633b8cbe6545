/* SPDX-License-Identifier: MIT */
/*
 * Differential oracle helper (tests/js/oracle-rlp.js): for each file, prints
 * "<file> ok <hex of the decoded tree as nested JSON arrays>" or "<file> reject".
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "eth/rlp.h"

static void dump(const struct bh_rlp_item *it)
{
	if (it->is_list) {
		putchar('[');
		for (size_t i = 0; i < it->n; i++) {
			if (i)
				putchar(',');
			dump(&it->items[i]);
		}
		putchar(']');
		return;
	}
	printf("\"0x");
	for (size_t i = 0; i < it->len; i++)
		printf("%02x", it->data[i]);
	putchar('"');
}

int main(int argc, char **argv)
{
	static unsigned char buf[BH_RLP_MAX_INPUT + 1];
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f)
			return 1;
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		struct bh_rlp_item *it = NULL;
		printf("%s ", argv[i]);
		if (bh_rlp_decode(buf, n, &it, NULL) < 0) {
			printf("reject\n");
			continue;
		}
		printf("ok ");
		dump(it);
		putchar('\n');
		bh_rlp_item_free(it);
	}
	return 0;
}

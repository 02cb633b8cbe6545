/* SPDX-License-Identifier: MIT */
/*
 * Differential oracle helper (tests/js/oracle-tx.js) over fuzz/corpus/tx: per raw
 * (non-JSON) file, "<file>\treject" or "<file>\tok\t<JSON>" with the decoded fields, the
 * transaction hash and the recovered sender (bh_tx_to_json's layout).
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "core/err.h"
#include "eth/tx.h"

int main(int argc, char **argv)
{
	static uint8_t buf[BH_TX_MAX_RAW + 65536];
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f)
			return 1;
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (n && buf[0] == '{')
			continue;  /* the JSON signing requests: not a raw transaction */
		struct bh_tx tx;
		printf("%s\t", argv[i]);
		if (bh_tx_decode(buf, n, &tx, NULL) < 0) {
			printf("reject\n");
			continue;
		}
		json_t *j = bh_tx_to_json(&tx);
		char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		printf("ok\t%s\n", s ? s : "null");
		free(s);
		json_decref(j);
		bh_tx_clear(&tx);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Differential oracle helper (tests/js/oracle-abi.js) over fuzz/corpus/abi, with the
 * fuzz target's own type table (fuzz/fuzz_abi.c is included).  Per file, tab-separated:
 *   <file> dec <type> ok <decoded value as JSON>    (mode 0: strict decoding)
 *   <file> dec <type> reject
 *   <file> enc <type> <value as JSON> <0x encoding>  (JSON mode: a value we read and encode)
 * Other modes print nothing.
 */
#define LLVMFuzzerTestOneInput fuzz_abi_one
#include "fuzz_abi.c"
#undef LLVMFuzzerTestOneInput

#include <stdio.h>

#include "core/hex.h"

static void put_json(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	printf("%s", s ? s : "null");
	free(s);
}

static void put_hex(const uint8_t *p, size_t n)
{
	printf("0x");
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
}

int main(int argc, char **argv)
{
	static uint8_t buf[BH_ABI_MAX_DATA + 65536];
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f)
			return 1;
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (n < 1)
			continue;
		uint8_t sel = buf[0];
		const char *ts = types[sel % N(types)];
		struct bh_abi_type *t = NULL;
		struct bh_abi_value *v = NULL, jv;
		if (bh_abi_type_parse(ts, &t, NULL) < 0)
			return 1;
		if (sel >> 6 == 0) {
			printf("%s\tdec\t%s\t", argv[i], ts);
			if (bh_abi_decode(t, buf + 1, n - 1, &v, NULL) == 0) {
				json_t *j = bh_abi_value_to_json(v);
				printf("ok\t");
				put_json(j);
				json_decref(j);
				bh_abi_value_free(v);
			} else {
				printf("reject");
			}
			putchar('\n');
		} else if (sel >> 5 == 5) {
			json_error_t je;
			json_t *j = json_loadb((const char *)buf + 1, n - 1, JSON_DECODE_ANY, &je);
			struct bh_buf out;
			bh_buf_init(&out, BH_ABI_MAX_DATA + 64);
			if (j && bh_abi_value_from_json(t, j, &jv, NULL) == 0) {
				if (bh_abi_encode(t, &jv, &out, NULL) == 0) {
					json_t *norm = bh_abi_value_to_json(&jv);
					printf("%s\tenc\t%s\t", argv[i], ts);
					put_json(norm);
					putchar('\t');
					put_hex(bh_buf_ptr(&out), bh_buf_len(&out));
					putchar('\n');
					json_decref(norm);
				}
				bh_abi_value_clear(&jv);
			}
			bh_buf_done(&out);
			json_decref(j);
		}
		bh_abi_type_free(t);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the seccomp file parser (seccomp/<service>) — parse only, never load.
 * Input: the main file, optionally followed by "\n---\n" and the text every
 * `include` resolves to (so include handling, loops and depth are exercised).
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "sandbox/sandbox.h"

struct inc {
	const uint8_t *data;
	size_t len;
};

static int fuzz_include(void *ctx, const char *name, struct bh_buf *out)
{
	const struct inc *in = ctx;
	if (!in->data || strcmp(name, "missing.inc") == 0)
		return -ENOENT;
	return bh_buf_put(out, in->data, in->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inc in = { NULL, 0 };
	size_t main_len = size;
	char line[512];

	for (size_t i = 0; i + 5 <= size; i++)
		if (memcmp(data + i, "\n---\n", 5) == 0) {
			main_len = i + 1;
			in.data = data + i + 5;
			in.len = size - i - 5;
			break;
		}
	for (unsigned flags = 0; flags <= BH_SECCOMP_SANITIZER; flags += BH_SECCOMP_SANITIZER) {
		struct bh_msg m = { "" };
		struct bh_seccomp *sc = NULL;
		if (bh_seccomp_parse(data, main_len, "fuzz.sc", flags, fuzz_include, &in, &sc, &m) < 0)
			continue;
		if (sc->n_rules > BH_SECCOMP_MAX_RULES)
			abort();
		for (size_t i = 0; i < sc->n_rules; i++) {
			const struct bh_seccomp_rule *r = &sc->rules[i];
			if (r->nr < 0 || r->n_conds > 6 || !r->file)
				abort();
			if (!flags && (r->sanitizer || r->dropped))
				abort(); /* production view never contains sanitizer rules */
			bh_seccomp_rule_format(r, line, sizeof(line));
		}
		bh_seccomp_free(sc);
	}
	return 0;
}

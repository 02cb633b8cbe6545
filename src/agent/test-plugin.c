/* SPDX-License-Identifier: MIT */
/*
 * Test-only action plugin (never installed).  Reads the params object on
 * stdin and acts on params.mode:
 *   "echo"  (default)  {"ok":true,"tag":TAG,"params":{...},"uid":N,"gid":N,
 *                       "capeff"/"capprm"/"capamb"/"capbnd":"<hex>","secbits":N}
 *   "sleep"            sleeps 60 s (timeout tests)
 *   "linger"           closes stdout and stderr, then sleeps 60 s
 *   "spew"             writes 4 MiB to stdout (output cap tests)
 *   "fail"             prints to stderr, exits 3
 *   "badjson"          prints non-JSON, exits 0
 * TAG is a string in .rodata that tests patch in the binary ("good" -> "evil")
 * to make a differently-behaving but otherwise identical executable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <jansson.h>

static volatile const char tag[] = "BHTAG:good";

/* the value of "Cap???:" line `key` (e.g. "CapEff") of /proc/self/status */
static void capline(const char *key, char *out, size_t n)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	snprintf(out, n, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, 6) && line[6] == ':' && line[7] == '\t') {
			line[strcspn(line, "\n")] = 0;
			snprintf(out, n, "%.32s", line + 8);
		}
	fclose(f);
}

static int other(const char *mode)
{
	if (!strcmp(mode, "sleep")) {
		sleep(60);
		return 0;
	}
	if (!strcmp(mode, "linger")) {
		/* closes stdout/stderr, then keeps running: the timeout must still apply */
		fclose(stdout);
		fclose(stderr);
		sleep(60);
		return 0;
	}
	if (!strcmp(mode, "spew")) {
		static char blk[65536];
		memset(blk, 'x', sizeof(blk));
		for (int i = 0; i < 64; i++)
			if (fwrite(blk, 1, sizeof(blk), stdout) != sizeof(blk))
				return 1;
		return 0;
	}
	if (!strcmp(mode, "fail")) {
		fprintf(stderr, "test plugin failing on purpose\n");
		return 3;
	}
	if (!strcmp(mode, "badjson")) {
		printf("this is not json\n");
		return 0;
	}
	printf("{\"ok\":false,\"error\":\"unknown mode\"}\n");
	return 0;
}

int main(void)
{
	json_error_t e;
	json_t *in = json_loadf(stdin, 0, &e), *out;
	const char *mode = in ? json_string_value(json_object_get(in, "mode")) : NULL;
	char t[sizeof(tag)], ce[64], cp[64], ca[64], cb[64];

	if (!in) {
		fprintf(stderr, "bad input: %s\n", e.text);
		return 2;
	}
	if (!mode)
		mode = "echo";
	if (strcmp(mode, "echo")) {
		/* not needed any more; freed so leak checkers (ASan builds) stay quiet */
		char m[16];
		snprintf(m, sizeof(m), "%.15s", mode);
		json_decref(in);
		return other(m);
	}
	for (size_t i = 0; i < sizeof(tag); i++)
		t[i] = tag[i];
	capline("CapEff", ce, sizeof(ce));
	capline("CapPrm", cp, sizeof(cp));
	capline("CapAmb", ca, sizeof(ca));
	capline("CapBnd", cb, sizeof(cb));
	out = json_pack("{s:b, s:s, s:O, s:i, s:i, s:s, s:s, s:s, s:s, s:i}", "ok", 1, "tag", t + 6,
			"params", in, "uid", (int)getuid(), "gid", (int)getgid(), "capeff", ce,
			"capprm", cp, "capamb", ca, "capbnd", cb, "secbits",
			prctl(PR_GET_SECUREBITS));
	if (!out)
		return 1;
	json_dumpf(out, stdout, JSON_COMPACT);
	json_decref(out);
	json_decref(in);
	return 0;
}

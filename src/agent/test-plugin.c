/* SPDX-License-Identifier: MIT */
/*
 * Test-only action plugin (never installed).  Reads the params object on
 * stdin and acts on params.mode:
 *   "echo"  (default)  {"ok":true,"tag":TAG,"params":{...},"uid":N,"gid":N,
 *                       "capeff"/"capprm"/"capamb"/"capbnd":"<hex>","secbits":N,
 *                       "groups":[supplementary gids]}
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

/* the CapEff, CapPrm, CapAmb and CapBnd values of /proc/self/status, read once */
static void caplines(char out[4][64])
{
	static const char *const keys[4] = { "CapEff", "CapPrm", "CapAmb", "CapBnd" };
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	for (int k = 0; k < 4; k++)
		snprintf(out[k], 64, "?");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		for (int k = 0; k < 4; k++)
			if (!strncmp(line, keys[k], 6) && line[6] == ':' && line[7] == '\t') {
				line[strcspn(line, "\n")] = 0;
				snprintf(out[k], 64, "%.32s", line + 8);
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
	char t[sizeof(tag)], cl[4][64];

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
	caplines(cl);
	out = json_pack("{s:b, s:s, s:O, s:i, s:i, s:s, s:s, s:s, s:s, s:i}", "ok", 1, "tag", t + 6,
			"params", in, "uid", (int)getuid(), "gid", (int)getgid(), "capeff", cl[0],
			"capprm", cl[1], "capamb", cl[2], "capbnd", cl[3], "secbits",
			prctl(PR_GET_SECUREBITS));
	if (!out)
		return 1;
	gid_t gs[64];
	int ng = getgroups(64, gs);
	json_t *ga = json_array();
	for (int i = 0; ga && i < ng; i++)
		json_array_append_new(ga, json_integer(gs[i]));
	if (ga)
		json_object_set_new(out, "groups", ga);
	json_dumpf(out, stdout, JSON_COMPACT);
	json_decref(out);
	json_decref(in);
	return 0;
}

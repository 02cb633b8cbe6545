/* SPDX-License-Identifier: MIT */
/*
 * Fuzz web3-auth-svc's request handling without sockets: byte 0 picks the method,
 * bytes up to the first '\n' are the URL, the rest is the body.  A real pending dir
 * holds one session; a POST that succeeds writes its .sig, which is removed again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/err.h"
#include "pw3.h"

#define SID "0123456789abcdef0123456789abcdef"
static int dfd = -1;
static char dirpath[64];

static void teardown(void)
{
	unlinkat(dfd, SID ".json", 0);
	unlinkat(dfd, SID ".sig", 0);
	rmdir(dirpath);
}

static void setup(void)
{
	char dir[] = "/tmp/pw3fuzzsvc.XXXXXX", p[256];
	if (!mkdtemp(dir))
		abort();
	snprintf(p, sizeof(p), "%s/" SID ".json", dir);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	fputs("{\"otp\":\"123456\",\"machine_id\":\"m\",\"session_id\":\"" SID "\"}", f);
	fclose(f);
	if (pw3_pending_open(dir, &dfd) < 0)
		abort();
	snprintf(dirpath, sizeof(dirpath), "%s", dir);
	atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "POST", "HEAD", "PUT" };
	struct pw3_http_resp resp;
	struct bh_msg why = { { 0 } };
	if (dfd < 0)
		setup();
	if (size < 1)
		return 0;
	const char *method = methods[data[0] % 4];
	const uint8_t *nl = memchr(data + 1, '\n', size - 1);
	size_t ulen = nl ? (size_t)(nl - data - 1) : size - 1;
	char *url = malloc(ulen + 1);
	if (!url)
		return 0;
	memcpy(url, data + 1, ulen);
	url[ulen] = '\0';
	const uint8_t *body = nl ? nl + 1 : NULL;
	size_t blen = nl ? size - (size_t)(nl + 1 - data) : 0;
	unsigned flags = (data[0] & 0x80) ? PW3_REQ_TIMEOUT : 0;
	if (blen > PW3_EVM_BODY_MAX)
		flags |= PW3_REQ_TOO_LARGE;
	struct pw3_http_ctx ctx = { .pending_fd = dfd, .index_html = "<html>", .index_len = 6,
	                            .engine_js = "js", .engine_len = 2 };
	(void)pw3_http_handle(&ctx, method, url, body, blen, flags, &resp, &why);
	if (resp.status < 200 || resp.status > 599 || !resp.content_type)
		abort();
	if (resp.status == 200 && !strcmp(method, "POST")) {
		/* only a well-formed signature for the one known session is accepted */
		if (strncmp(url, "/auth/callback/" SID, 15 + 32) || blen < 130)
			abort();
		unlinkat(dfd, SID ".sig", 0);
	}
	pw3_http_resp_done(&resp);
	free(url);
	return 0;
}

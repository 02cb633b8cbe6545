/* SPDX-License-Identifier: MIT */
/*
 * Fuzz web3-auth-svc's request handling without sockets: byte 0 picks the method,
 * bytes up to the first '\n' are the URL (NUL bytes included: the handler gets its
 * length), the rest is the body.  A real pending dir holds one session in the new
 * format (message with nonce and expiry, wallet of the key 0x11..11); a POST that
 * succeeds writes its .sig, which is removed again.  Only a real signature of the
 * session's message by that wallet may be stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hex.h"
#include "eth/eth.h"
#include "eth/secp.h"
#include "pw3.h"

#define SID "0123456789abcdef0123456789abcdef"
#define MSG "Authenticate to m with code: 123456 nonce: 00112233445566778899aabbccddeeff " \
            "expires: 2100-01-01T00:00:00Z"
#define NOW 1796400000ull  /* 2026: the session is live */
static uint8_t wallet[20];
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
	uint8_t priv[32];
	char wh[41];
	memset(priv, 0x11, 32);
	if (bh_eth_address_from_priv(priv, wallet) < 0)
		abort();
	bh_hex_encode(wallet, 20, wh);
	fprintf(f, "{\"otp\":\"123456\",\"machine_id\":\"m\",\"session_id\":\"" SID "\","
	        "\"nonce\":\"00112233445566778899aabbccddeeff\",\"expires\":\"2100-01-01T00:00:00Z\","
	        "\"wallet\":\"0x%s\",\"message\":\"" MSG "\"}", wh);
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
	(void)pw3_http_handle(&ctx, method, url, ulen, body, blen, flags, NOW, &resp, &why);
	if (resp.status < 200 || resp.status > 599 || !resp.content_type)
		abort();
	/* a NUL or an escape in the path (before any '?') is never routed */
	const char *qm = memchr(url, '?', ulen);
	size_t plen = qm ? (size_t)(qm - url) : ulen;
	if (resp.status == 200 && (memchr(url, '\0', plen) || memchr(url, '%', plen)))
		abort();
	if (resp.status == 200 && !strcmp(method, "POST")) {
		/* only the session's wallet signing the session's message is stored */
		uint8_t sig[65];
		if (strncmp(url, "/auth/callback/" SID, 15 + 32) || blen < 130 ||
		    bh_sig_parse_hex((const char *)body, blen, sig) < 0 ||
		    bh_eth_verify_personal(MSG, strlen(MSG), sig, wallet) < 0)
			abort();
		unlinkat(dfd, SID ".sig", 0);
	}
	pw3_http_resp_done(&resp);
	free(url);
	return 0;
}

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
#define SID2 "00000000000000000000000000000002"
#define MSG2 "Authenticate to m with code: 123456 nonce: 00112233445566778899aabbccddeeff " \
             "expires: 2000-01-01T00:00:00Z"
#define SID3 "00000000000000000000000000000003"
#define SID4 "00000000000000000000000000000004"
#define FP "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
static uint8_t wallet[20];
static int dfd = -1;
static char dirpath[64];

static void teardown(void)
{
	static const char *const n[] = { SID ".json", SID ".sig", SID ".sig.tmp", SID2 ".json",
		SID2 ".sig", SID3 ".json", SID3 ".sig", SID4 ".json", SID4 ".sig" };
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		unlinkat(dfd, n[i], 0);
	rmdir(dirpath);
}

static void session_file(const char *dir, const char *sid, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s.json", dir, sid);
	FILE *f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
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
	char doc[1024];
	snprintf(doc, sizeof(doc), "{\"otp\":\"123456\",\"machine_id\":\"m\",\"session_id\":\"" SID2 "\","
	         "\"nonce\":\"00112233445566778899aabbccddeeff\",\"expires\":\"2000-01-01T00:00:00Z\","
	         "\"wallet\":\"0x%s\",\"message\":\"" MSG2 "\"}", wh);
	session_file(dir, SID2, doc);
	session_file(dir, SID3, "{\"otp\":\"12\"}");
	snprintf(doc, sizeof(doc), "{\"otp\":\"123456\",\"machine_id\":\"m\",\"session_id\":\"" SID "\","
	         "\"nonce\":\"00112233445566778899aabbccddeeff\",\"expires\":\"2100-01-01T00:00:00Z\","
	         "\"wallet\":\"0x%s\",\"message\":\"" MSG "\"}", wh);
	session_file(dir, SID4, doc);
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
	bool stale_tmp = data[0] & 0x40;
	if (stale_tmp) {
		ctx.tls_fp = FP;
		int t = openat(dfd, SID ".sig.tmp", O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
		if (t < 0)
			abort();
		close(t);
	}
	(void)pw3_http_handle(&ctx, method, url, ulen, body, blen, flags, NOW, &resp, &why);
	if (stale_tmp && unlinkat(dfd, SID ".sig.tmp", 0) < 0)
		abort();  /* a failed write never removes what it did not create... */
	if (resp.status == 200 && ulen == 21 && !memcmp(url, "/auth/tls-fingerprint", 21) &&
	    (!ctx.tls_fp || resp.body_len != strlen(FP) || memcmp(resp.body, FP, resp.body_len)))
		abort();
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
		if (stale_tmp)
			abort();  /* the no-replace write cannot have stored through the stale tmp */
		/* the same POST again: 409, and the stored signature stays */
		char *before = NULL, *after = NULL;
		struct pw3_http_resp again;
		if (pw3_read_small_file(dfd, SID ".sig", 256, &before) < 0)
			abort();
		(void)pw3_http_handle(&ctx, method, url, ulen, body, blen, flags, NOW, &again, &why);
		if (again.status != 409 || pw3_read_small_file(dfd, SID ".sig", 256, &after) < 0 ||
		    strcmp(before, after))
			abort();
		pw3_http_resp_done(&again);
		free(before);
		free(after);
		unlinkat(dfd, SID ".sig", 0);
	}
	if (resp.status == 409 && !strcmp(method, "POST") && !stale_tmp)
		abort();  /* nothing else leaves a .sig behind */
	pw3_http_resp_done(&resp);
	free(url);
	return 0;
}

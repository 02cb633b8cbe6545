/* SPDX-License-Identifier: MIT */
/* libpw3: web3-auth-svc request handling without sockets (see pw3.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"
#include "core/hex.h"
#include "core/strutil.h"
#include "eth/eth.h"
#include "eth/secp.h"
#include "pw3.h"

static void set(struct pw3_http_resp *r, unsigned status, const char *ctype, const char *body)
{
	r->status = status;
	r->content_type = ctype;
	r->body = body;
	r->body_len = strlen(body);
	r->body_owned = false;
}

void pw3_http_resp_done(struct pw3_http_resp *r)
{
	if (r && r->body_owned)
		free((void *)r->body);
	if (r) {
		r->body = NULL;
		r->body_owned = false;
	}
}

/* upstream's plain-text answers: Content-Type "text/plain", these bodies (upstream.md §5.6) */
#define TEXT "text/plain"

/* Read <sid>.json from the pending dir: regular file, one link, small. */
static int read_session(int dfd, const char *sid, char **ret, size_t *ret_len)
{
	/* written by the module as root; one link (none planted elsewhere), at most 1 KiB */
	const struct bh_file_rules rules = { .type = S_IFREG, .max_size = 1024, .single_link = true };
	struct bh_buf b;
	char name[64];
	char *s = NULL;
	int fd = -1, r;

	bh_buf_init(&b, 0);
	snprintf(name, sizeof(name), "%s.json", sid);
	if (!ret) {
		/* existence and shape only: the O_NONBLOCK open keeps a planted FIFO harmless */
		if ((r = bh_file_open(dfd, name, O_RDONLY | O_NONBLOCK, &rules, &fd, NULL, NULL)) < 0)
			goto out;
		r = 0;
		goto out;
	}
	if ((r = bh_file_read(dfd, name, &rules, 1024, &b, NULL)) < 0 ||
	    (r = bh_buf_steal_cstr(&b, &s)) < 0)
		goto out;
	*ret_len = strlen(s);
	*ret = s;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	bh_buf_done(&b);
	return r;
}

/* Write <sid>.sig via <sid>.sig.tmp and a no-replace rename (a second POST loses: 409). */
static int write_sig(int dfd, const char *sid, const char *sig, size_t len)
{
	char tmp[64], name[64];
	int fd, r;

	snprintf(tmp, sizeof(tmp), "%s.sig.tmp", sid);
	snprintf(name, sizeof(name), "%s.sig", sid);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return errno == EEXIST ? BH_ERR_EXISTS : bh_negerrno();
	if (fchmod(fd, 0640) < 0 || write(fd, sig, len) != (ssize_t)len || fsync(fd) < 0) {
		r = bh_negerrno();
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		r = bh_negerrno();
		goto fail;
	}
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) < 0) {
		r = errno == EEXIST ? BH_ERR_EXISTS : bh_negerrno();
		goto fail;
	}
	(void)fsync(dfd);
	return 0;
fail:
	(void)unlinkat(dfd, tmp, 0);
	return r;
}

static int callback(const struct pw3_http_ctx *ctx, const char *sid, const uint8_t *body,
                    size_t len, unsigned flags, uint64_t now, struct pw3_http_resp *resp,
                    struct bh_msg *why)
{
	struct pw3_session_info si;
	char name[64], norm[PW3_SIG_TEXT_LEN + 1], *js = NULL;
	const char *a = body ? (const char *)body : "", *e = a + (body ? len : 0);
	uint8_t raw[65], sig[65];
	size_t jl = 0;
	int r;

	memset(&si, 0, sizeof(si));
	/* upstream's order: the body limits (enforced while the body streams in) come
	 * before the session checks, then 404 no session, 409 .sig exists, 400 format;
	 * ours after that: 404 unreadable session, 410 expired, 403 not the session's
	 * message signed by the session's wallet */
	if (flags & PW3_REQ_TIMEOUT) {
		bh_msg_set(why, "callback: request timed out");
		set(resp, 408, TEXT, "Request Timeout");
		r = 0;
		goto out;
	}
	if ((flags & PW3_REQ_TOO_LARGE) || len > PW3_EVM_BODY_MAX) {
		bh_msg_set(why, "callback: body larger than %u bytes", PW3_EVM_BODY_MAX);
		set(resp, 413, TEXT, "body too large");
		r = 0;
		goto out;
	}
	if ((r = read_session(ctx->pending_fd, sid, &js, &jl)) < 0) {
		bh_msg_set(why, "callback for unknown session: %s", bh_strerror(r));
		set(resp, 404, TEXT, "Not Found");
		r = 0;
		goto out;
	}
	snprintf(name, sizeof(name), "%s.sig", sid);
	if (faccessat(ctx->pending_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		bh_msg_set(why, "callback: signature already submitted");
		set(resp, 409, TEXT, "Conflict");
		r = 0;
		goto out;
	}
	{
		size_t off, n = bh_str_trim(a, (size_t)(e - a), &off);
		a += off;
		e = a + n;
	}
	if (e - a >= 2 && a[0] == '0' && a[1] == 'x')
		a += 2;
	if (e - a != 130 || bh_hex_decode_ct(a, 130, raw, 65) < 0) {
		bh_msg_set(why, "callback: body is not a 65-byte hex signature");
		set(resp, 400, TEXT, "invalid signature format");
		r = 0;
		goto out;
	}
	/* issue 11 item 4: a body that is not the session's wallet signing the session's
	 * message is never stored, so an observer of the sid cannot block the real one */
	if ((r = pw3_session_json_parse(js, jl, &si)) < 0 || strcmp(si.sid, sid)) {
		bh_msg_set(why, "callback: session file unreadable: %s",
		           r < 0 ? bh_strerror(r) : "session id differs");
		set(resp, 404, TEXT, "Not Found");
		r = 0;
		goto out;
	}
	if (now > si.parts.expires_at) {
		bh_msg_set(why, "callback: session expired");
		set(resp, 410, TEXT, "session expired");
		r = 0;
		goto out;
	}
	if ((r = bh_sig_normalize(raw, sig)) < 0 ||
	    (r = bh_eth_verify_personal(si.message, si.message_len, sig, si.wallet)) < 0) {
		bh_msg_set(why, "callback: signature rejected: %s",
		           r == BH_ERR_MISMATCH ? "not the session's wallet and message" : bh_strerror(r));
		set(resp, 403, TEXT, "signature does not match the session");
		r = 0;
		goto out;
	}
	norm[0] = '0';
	norm[1] = 'x';
	bh_hex_encode(raw, 65, norm + 2);
	if ((r = write_sig(ctx->pending_fd, sid, norm, PW3_SIG_TEXT_LEN)) < 0) {
		if (r == BH_ERR_EXISTS) {
			bh_msg_set(why, "callback: signature already submitted");
			set(resp, 409, TEXT, "Conflict");
			r = 0;
			goto out;
		}
		bh_msg_set(why, "callback: writing the signature failed: %s", bh_strerror(r));
		set(resp, 500, TEXT, "Internal Server Error");
		goto out;
	}
	bh_msg_set(why, "callback: signature stored");
	set(resp, 200, TEXT, "OK");
	r = 0;
out:
	free(js);
	explicit_bzero(&si, sizeof(si));
	return r;
}

/* a path we route: no NUL, no percent escape (the service does not decode), printable */
static bool url_plain(const char *url, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f || url[i] == '%')
			return false;
	return true;
}

int pw3_http_handle(const struct pw3_http_ctx *ctx, const char *method, const char *url,
                    size_t url_len, const uint8_t *body, size_t body_len, unsigned flags,
                    uint64_t now, struct pw3_http_resp *resp, struct bh_msg *why)
{
	const char *qm = memchr(url, '?', url_len);
	size_t ulen = qm ? (size_t)(qm - url) : url_len;
	static const char pend[] = "/auth/pending/", cb[] = "/auth/callback/";
	/* as upstream: a route is its method and path; anything else (HEAD, the wrong method
	 * on an API route) is 404 */
	bool get = !strcmp(method, "GET");
	bool post = !strcmp(method, "POST");

	memset(resp, 0, sizeof(*resp));
	/* issue 11 item 6: "/auth/pending/<sid>%00" must not be served as <sid> */
	if (!url_plain(url, ulen)) {
		bh_msg_set(why, "malformed path (NUL, escape or control character)");
		set(resp, 404, TEXT, "Not Found");
		return 0;
	}
	if (get && ((ulen == 1 && url[0] == '/') || (ulen == 11 && !memcmp(url, "/index.html", 11)))) {
		resp->status = 200;
		resp->content_type = "text/html; charset=utf-8";
		resp->body = ctx->index_html;
		resp->body_len = ctx->index_len;
		return 0;
	}
	if (get && ulen == 10 && !memcmp(url, "/engine.js", 10)) {
		resp->status = 200;
		resp->content_type = "application/javascript; charset=utf-8";
		resp->body = ctx->engine_js;
		resp->body_len = ctx->engine_len;
		return 0;
	}
	/* the certificate fingerprint the page shows next to the SSH prompt's (issue 18) */
	if (get && ulen == 21 && !memcmp(url, "/auth/tls-fingerprint", 21)) {
		if (ctx->tls_fp)
			set(resp, 200, TEXT, ctx->tls_fp);
		else
			set(resp, 404, TEXT, "Not Found");
		return 0;
	}
	if (get && ulen > sizeof(pend) - 1 && !memcmp(url, pend, sizeof(pend) - 1)) {
		const char *sid = url + sizeof(pend) - 1;
		size_t sl = ulen - (sizeof(pend) - 1);
		char sidz[PW3_SID_HEX + 1], *s = NULL;
		size_t n = 0;
		if (!pw3_sid_valid(sid, sl)) {
			bh_msg_set(why, "pending: malformed session id");
			set(resp, 404, TEXT, "Not Found");
			return 0;
		}
		memcpy(sidz, sid, PW3_SID_HEX);
		sidz[PW3_SID_HEX] = '\0';
		int r = read_session(ctx->pending_fd, sidz, &s, &n);
		if (r < 0) {
			bh_msg_set(why, "pending: %s", bh_strerror(r));
			set(resp, 404, TEXT, "Not Found");
			return 0;
		}
		resp->status = 200;
		resp->content_type = "application/json";
		resp->body = s;
		resp->body_len = n;
		resp->body_owned = true;
		return 0;
	}
	if (post && ulen > sizeof(cb) - 1 && !memcmp(url, cb, sizeof(cb) - 1)) {
		const char *sid = url + sizeof(cb) - 1;
		size_t sl = ulen - (sizeof(cb) - 1);
		char sidz[PW3_SID_HEX + 1];
		if (!pw3_sid_valid(sid, sl)) {
			bh_msg_set(why, "callback: malformed session id");
			set(resp, 404, TEXT, "Not Found");
			return 0;
		}
		memcpy(sidz, sid, PW3_SID_HEX);
		sidz[PW3_SID_HEX] = '\0';
		return callback(ctx, sidz, body, body_len, flags, now, resp, why);
	}
	set(resp, 404, TEXT, "Not Found");
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * web3-auth-svc's network handler: the libmicrohttpd daemon with every limit and callback
 * of the service (accept policy and per-group connection counting, the request callback
 * that collects a body and hands it to pw3_http_handle, the identity unescape, completion
 * and connection notifications, the rate-limited loggers).  Split from auth-svc.c (which
 * keeps option handling, the TLS key/certificate bootstrap, the sandbox and main) so the
 * part a client reaches is its own file: fuzz/fuzz_authsvc_mhd.c includes it and its
 * coverage is measured alone (docs/fuzzing.md).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "core/err.h"
#include "core/log.h"
#include "auth-handler.h"

#define REQUEST_TIMEOUT_S 5
/*
 * Stalled clients (issue 11 item 3).  A new connection must show activity (TLS handshake,
 * request line, headers) at least every HANDSHAKE_TIMEOUT_S or it is closed; once its
 * first request's headers are in, the idle limit is IDLE_TIMEOUT_S (the 408 of a slow body
 * comes from REQUEST_TIMEOUT_S).  Connections are counted per IPv4 address / IPv6 /64
 * (pw3_conn_*: PW3_CONN_PER_GROUP each, PW3_CONN_MAX in all, PW3_CONN_RESERVED kept for
 * clients with none open).  Repeated log lines of one kind: LOG_BURST per LOG_INTERVAL_S.
 */
#define HANDSHAKE_TIMEOUT_S 5
#define IDLE_TIMEOUT_S 10
#define LOG_BURST 5
#define LOG_INTERVAL_S 60

struct req {
	struct timespec start;
	uint8_t body[PW3_EVM_BODY_MAX];
	size_t len;
	bool too_large;
};

struct pw3_http_ctx g_ctx;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER; /* g_conns, g_rl */
static struct pw3_conn_table g_conns;
static struct pw3_ratelimit g_rl = { .burst = LOG_BURST, .interval = LOG_INTERVAL_S };

/* A log line that a client can cause: at most LOG_BURST of its kind per LOG_INTERVAL_S. */
static void rl_log(const void *kind, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void rl_log(const void *kind, int prio, const char *fmt, ...)
{
	char line[256];
	unsigned dropped = 0;
	va_list ap;
	bool go;

	pthread_mutex_lock(&g_lock);
	go = pw3_ratelimit(&g_rl, kind, (uint64_t)time(NULL), &dropped);
	pthread_mutex_unlock(&g_lock);
	if (!go)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	line[strcspn(line, "\r\n")] = '\0';
	if (dropped)
		bh_log(prio, "suppressed %u similar lines (at most %u per %u s)", dropped, LOG_BURST,
		       LOG_INTERVAL_S);
	bh_log(prio, "%s", line);
}

/* libmicrohttpd's own messages (a failed TLS handshake, a malformed request...) */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	unsigned dropped = 0;
	bool go;
	(void)cls;
	pthread_mutex_lock(&g_lock);
	go = pw3_ratelimit(&g_rl, fmt, (uint64_t)time(NULL), &dropped);
	pthread_mutex_unlock(&g_lock);
	if (!go)
		return;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vsnprintf(line, sizeof(line), fmt, ap);
#pragma GCC diagnostic pop
	line[strcspn(line, "\r\n")] = '\0';
	if (dropped)
		log_warn("suppressed %u similar lines (at most %u per %u s)", dropped, LOG_BURST,
		         LOG_INTERVAL_S);
	log_warn("%s", line);
}

static void group_text(const struct pw3_conn_key *k, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];
	uint8_t b[16] = { 0 };
	if (k->b[0] == 4) {
		inet_ntop(AF_INET, k->b + 1, a, sizeof(a));
		snprintf(out, outlen, "%s", a);
	} else {
		memcpy(b, k->b + 1, 8);
		inet_ntop(AF_INET6, b, a, sizeof(a));
		snprintf(out, outlen, "%s/64", a);
	}
}

/* Accept policy: the group's share and the reserve for new clients (pw3_conn_admit). */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	struct pw3_conn_key k;
	char g[INET6_ADDRSTRLEN + 4];
	unsigned n;
	bool ok;
	(void)cls;
	if (pw3_conn_key(addr, len, &k) < 0)
		return MHD_NO;
	pthread_mutex_lock(&g_lock);
	ok = pw3_conn_admit(&g_conns, &k);
	n = pw3_conn_count(&g_conns, &k);
	pthread_mutex_unlock(&g_lock);
	if (!ok) {
		group_text(&k, g, sizeof(g));
		rl_log(accept_policy, LOG_NOTICE, "connection from %s refused: %u open (limit %u per "
		       "IPv4 address or IPv6 /64, %u in all)", g, n, PW3_CONN_PER_GROUP, PW3_CONN_MAX);
	}
	return ok ? MHD_YES : MHD_NO;
}

/* Count a connection from its start to its close; its group rides in the socket context. */
static void notify_conn(void *cls, struct MHD_Connection *conn, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
	struct pw3_conn_key *k = *socket_context;
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		struct pw3_conn_key key;
		if (!ci || !ci->client_addr ||
		    pw3_conn_key(ci->client_addr, sizeof(struct sockaddr_in6), &key) < 0 ||
		    !(k = malloc(sizeof(*k))))
			return;
		*k = key;
		pthread_mutex_lock(&g_lock);
		int r = pw3_conn_add(&g_conns, k);
		pthread_mutex_unlock(&g_lock);
		if (r < 0) {
			free(k);
			return;
		}
		*socket_context = k;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && k) {
		pthread_mutex_lock(&g_lock);
		pw3_conn_remove(&g_conns, k);
		pthread_mutex_unlock(&g_lock);
		free(k);
		*socket_context = NULL;
	}
}

static double elapsed_s(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* What we print of a URL: the route, with anything odd replaced. */
static void safe_url(const char *url, char *out, size_t outlen)
{
	size_t i = 0;
	for (; url[i] && i + 1 < outlen && i < 80; i++) {
		char c = url[i];
		out[i] = (c >= 0x21 && c < 0x7f && c != '%') ? c : '?';
	}
	out[i] = '\0';
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
	struct req *rq = *con_cls;
	struct pw3_http_resp resp;
	struct bh_msg why = { { 0 } };
	unsigned flags = 0;
	char u[96];
	(void)cls;
	(void)version;

	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &rq->start);
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > PW3_EVM_BODY_MAX)
			rq->too_large = true;
		*con_cls = rq;
		/* past the handshake and the headers: the longer idle limit */
		(void)MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
		                                (unsigned)IDLE_TIMEOUT_S);
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_large && *upload_size <= sizeof(rq->body) - rq->len) {
			memcpy(rq->body + rq->len, upload, *upload_size);
			rq->len += *upload_size;
		} else {
			rq->too_large = true;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_large)
		flags |= PW3_REQ_TOO_LARGE;
	if (elapsed_s(&rq->start) > REQUEST_TIMEOUT_S)
		flags |= PW3_REQ_TIMEOUT;
	(void)pw3_http_handle(&g_ctx, method, url, strlen(url), rq->body, rq->len, flags,
	                      (uint64_t)time(NULL), &resp, &why);
	safe_url(url, u, sizeof(u));
	if (why.text[0] || resp.status >= 400)
		rl_log((const void *)(uintptr_t)resp.status, LOG_INFO, "%s %s -> %u%s%s",
		       strcmp(method, "POST") ? "GET" : "POST", u, resp.status,
		       why.text[0] ? ": " : "", why.text);
	struct MHD_Response *r = MHD_create_response_from_buffer(resp.body_len, (void *)resp.body,
	                                                         MHD_RESPMEM_MUST_COPY);
	pw3_http_resp_done(&resp);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy",
	                        "default-src 'self'; script-src 'self'; connect-src 'self'; "
	                        "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
	if (resp.status == 413 || resp.status == 408)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(conn, resp.status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * The path is routed as received: no percent-decoding, so "/auth/pending/<sid>%00"
 * stays 35 characters after the prefix (404) instead of becoming "<sid>" + NUL
 * (issue 11 item 6).  Query arguments, which we never read, are left alone too.
 */
static size_t no_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return strlen(s);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	if (*con_cls) {
		explicit_bzero(*con_cls, sizeof(struct req));
		free(*con_cls);
		*con_cls = NULL;
	}
}

/*
 * The daemon with every limit and callback of the service; main() and the fuzz target
 * fuzz/fuzz_authsvc_mhd.c (MHD_USE_NO_LISTEN_SOCKET, connections added over a
 * socketpair) start it the same way.  key and cert are NULL for plain HTTP.
 */
struct MHD_Daemon *svc_start(unsigned mflags, uint16_t port, const struct sockaddr *sa,
                             const char *key, const char *cert)
{
	if (!key)
		return MHD_start_daemon(mflags, port, accept_policy, NULL, handler, NULL,
		                        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,  /* first: all messages */
		                        MHD_OPTION_SOCK_ADDR, sa,
		                        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
		                        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		                        MHD_OPTION_NOTIFY_CONNECTION, notify_conn, NULL,
		                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HANDSHAKE_TIMEOUT_S,
		                        MHD_OPTION_CONNECTION_LIMIT, (unsigned)PW3_CONN_MAX,
		                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
		                        MHD_OPTION_END);
	return MHD_start_daemon(mflags, port, accept_policy, NULL, handler, NULL,
	                        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,  /* first: all messages */
	                        MHD_OPTION_SOCK_ADDR, sa,
	                        MHD_OPTION_HTTPS_MEM_KEY, key,
	                        MHD_OPTION_HTTPS_MEM_CERT, cert,
	                        MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
	                        MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
	                        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	                        MHD_OPTION_NOTIFY_CONNECTION, notify_conn, NULL,
	                        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HANDSHAKE_TIMEOUT_S,
	                        MHD_OPTION_CONNECTION_LIMIT, (unsigned)PW3_CONN_MAX,
	                        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
	                        MHD_OPTION_END);
}

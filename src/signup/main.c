/* SPDX-License-Identifier: MIT */
/*
 * blockhost-signup: the buyer's HTTPS server (issue 15).  Serves the signup page's static
 * files, GET /config.json, and POST /rpc, a read-only JSON-RPC relay to the host's
 * provider (relay.c's rules, a per-client budget), over TLS whose private key stays in the
 * keystore (tls.c).  libmicrohttpd glue, the command line and start-up; docs/signup.md.
 *
 * usage: blockhost-signup --config FILE
 *        blockhost-signup make-cert --hostname H --out FILE [--days N] [--ca-cert F --ca-key F]
 *                         [--config FILE | --socket PATH]
 *        blockhost-signup public-config --config FILE
 *        blockhost-signup --help | --version
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/cli.h"
#include "core/err.h"
#include "core/hex.h"
#include "core/log.h"
#include "eth/rpc.h"
#include "host/keystore_client.h"
#include "sandbox/sandbox.h"
#include "signup.h"
#include "tls.h"

#define PROG "blockhost-signup"
#define THREADS 4
#define CONN_MAX 256
#define CONN_PER_IP 16
#define CONN_TIMEOUT_S 15
#define LOG_EVERY_S 10   /* a client-caused log line of one kind at most this often */

static const char usage_text[] =
	"usage: blockhost-signup --config FILE\n"
	"       blockhost-signup make-cert --hostname NAME --out FILE [--days 1..3650]\n"
	"                        [--ca-cert FILE --ca-key FILE] [--config FILE | --socket PATH]\n"
	"       blockhost-signup public-config --config FILE\n"
	"       blockhost-signup --help | --version\n"
	"  The buyer's signup server: serves the page (GET /, /assets/NAME), its configuration\n"
	"  (GET /config.json) and a read-only chain relay (POST /rpc: eth_chainId,\n"
	"  eth_blockNumber, eth_call and eth_getLogs to the host's contracts,\n"
	"  eth_getTransactionReceipt; size-capped, rate-limited per client) over HTTPS, with the\n"
	"  TLS private key in blockhost-keystore: every handshake signature is its tls_sign.\n"
	"  Listens on the config's listen/port (default [::]:443), or on the socket passed by\n"
	"  socket activation (LISTEN_FDS).  Runs as its policy's user (refuses any other).\n"
	"  make-cert   writes a certificate for the keystore's TLS key to --out (never\n"
	"              replaces a file): self-signed through the keystore, or issued by\n"
	"              --ca-cert/--ca-key; --days default 365; the keystore socket from\n"
	"              --socket, the config's keystore_socket, or the default.\n"
	"  public-config  prints what GET /config.json serves (one JSON document).\n"
	"  Exit: 0 stopped by a signal / done, 1 failed, 2 usage.  See docs/signup.md.\n";

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), __noreturn__));
static void usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see " PROG " --help)\n", stderr);
	exit(BH_EXIT_USAGE);
}

/* ------------------------------------------------------------------ state */

static struct su_config g_cfg;
static struct su_www g_www;
static char *g_public;            /* GET /config.json */
static size_t g_public_len;
static struct su_relay_rules g_rules;
static uint8_t g_contracts[SU_MAX_CONTRACTS][20];
static struct bh_keystore_client g_ks;
/* One provider client (a CURL handle, its kept-alive connection) per polling thread, so a
 * slow answer holds up one thread's relaying, not every client's. */
static struct {
	pthread_mutex_t lock;
	struct bh_rpc *c;
} g_rpc[THREADS];
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;   /* g_limit, g_logged */
static struct su_limit g_limit;
static time_t g_logged[8];

enum { LOG_REFUSED, LOG_RATE, LOG_PROVIDER, LOG_MHD, LOG_TLS };

/* A line a client can cause: one of its kind per LOG_EVERY_S. */
static void rl_log(int kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rl_log(int kind, const char *fmt, ...)
{
	time_t now = time(NULL);
	char line[300];
	va_list ap;
	bool go;

	pthread_mutex_lock(&g_lock);
	go = now - g_logged[kind] >= LOG_EVERY_S;
	if (go)
		g_logged[kind] = now;
	pthread_mutex_unlock(&g_lock);
	if (!go)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_info("%s", line);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	(void)cls;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vsnprintf(line, sizeof(line), fmt, ap);
#pragma GCC diagnostic pop
	line[strcspn(line, "\r\n")] = '\0';
	rl_log(LOG_MHD, "libmicrohttpd: %s", line);
}

/* ------------------------------------------------------------------ responses */

struct req {
	uint8_t body[SU_RELAY_BODY_MAX];
	size_t len;
	bool too_large;
	bool started;
};

static enum MHD_Result send_buf(struct MHD_Connection *conn, unsigned status, const char *type,
				const char *cache, const void *data, size_t len,
				enum MHD_ResponseMemoryMode mode, const char *retry_after)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, mode);
	enum MHD_Result ret;
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "Content-Security-Policy",
				"default-src 'none'; script-src 'self'; style-src 'self'; "
				"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
				"base-uri 'none'; form-action 'none'");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
	if (retry_after)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry_after);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	return send_buf(conn, status, "text/plain; charset=utf-8", "no-store", text, strlen(text),
			MHD_RESPMEM_PERSISTENT, NULL);
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, char *s,
				 size_t len, const char *retry_after)
{
	/* s is ours (malloc): MHD frees it */
	return send_buf(conn, status, "application/json", "no-store", s, len, MHD_RESPMEM_MUST_FREE,
			retry_after);
}

static enum MHD_Result send_rpc_error(struct MHD_Connection *conn, unsigned status, int code,
				      const char *message, const char *retry_after)
{
	json_t *e = su_relay_error(NULL, code, message, NULL);
	char *s = e ? json_dumps(e, JSON_COMPACT) : NULL;
	json_decref(e);
	if (!s)
		return MHD_NO;
	return send_json(conn, status, s, strlen(s), retry_after);
}

/* ------------------------------------------------------------------ the relay */

static json_t *forward(const struct su_relay_call *c)
{
	struct bh_msg m = { { 0 } };
	json_t *result = NULL;
	char text[300];
	int r;

	/* a free client, else wait for this thread's own */
	size_t k = (size_t)(pthread_self() >> 12) % THREADS, i;
	for (i = 0; i < THREADS; i++)
		if (pthread_mutex_trylock(&g_rpc[(k + i) % THREADS].lock) == 0)
			break;
	if (i == THREADS)
		pthread_mutex_lock(&g_rpc[k].lock);
	else
		k = (k + i) % THREADS;
	struct bh_rpc *rpc = g_rpc[k].c;
	pthread_mutex_t *lock = &g_rpc[k].lock;
	r = bh_rpc_call(rpc, c->method, c->params, &result, &m);
	if (r == 0) {
		pthread_mutex_unlock(lock);
		return su_relay_result(c->id, result);
	}
	const struct bh_rpc_error *e = bh_rpc_last_error(rpc);
	if ((r == BH_ERR_RPC || r == BH_ERR_REVERT) && e->has_code) {
		/* the provider's answer, revert data included: the page decodes custom errors */
		json_t *data = NULL;
		if (e->data_len) {
			char *hx = bh_hex_encode_alloc(e->data, e->data_len, true);
			data = hx ? json_string(hx) : NULL;
			free(hx);
		}
		int code = e->code >= INT32_MIN && e->code <= INT32_MAX ? (int)e->code : SU_RPC_PROVIDER;
		json_t *resp = su_relay_error(c->id, code, e->message, data);
		json_decref(data);
		pthread_mutex_unlock(lock);
		return resp;
	}
	pthread_mutex_unlock(lock);
	if (r == BH_ERR_LIMIT) {
		snprintf(text, sizeof(text), "%s: the provider's answer is over the relay's limit of "
			 "%zu bytes: ask for less (a shorter block range)", c->method,
			 g_cfg.max_answer);
		return su_relay_error(c->id, SU_RPC_LIMIT, text, NULL);
	}
	rl_log(LOG_PROVIDER, "relay: %s failed: %s", c->method, m.text[0] ? m.text : bh_strerror(r));
	/* never the provider's URL or transport detail: the page learns only that it failed */
	snprintf(text, sizeof(text), "%s: the host's chain provider did not answer (%s); try again "
		 "later", c->method, r == BH_ERR_TIMEOUT ? "timed out" : "unreachable or failed");
	return su_relay_error(c->id, SU_RPC_PROVIDER, text, NULL);
}

static bool client_key(struct MHD_Connection *conn, struct su_limit_key *k)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;
	socklen_t len = sa && sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
						       : sizeof(struct sockaddr_in6);
	return sa && su_limit_key(sa, len, k) == 0;
}

static enum MHD_Result relay(struct MHD_Connection *conn, struct req *rq)
{
	struct su_relay_req q;
	struct su_limit_key k = { { 0 } };
	char *out = NULL, g[64] = "a client without an address", msg[200];
	size_t outlen = 0;

	if (rq->too_large) {
		snprintf(msg, sizeof(msg), "request over the relay's limit of %u bytes",
			 SU_RELAY_BODY_MAX);
		rl_log(LOG_REFUSED, "relay: %s", msg);
		return send_rpc_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, SU_RPC_LIMIT, msg, NULL);
	}
	if (su_relay_parse(&g_rules, rq->body, rq->len, &q) < 0)
		return MHD_NO;
	/* the budget: every call counts, refused ones too (a flood of refusals is a flood) */
	unsigned cost = q.n ? (unsigned)q.n : 1;
	bool ok = false;
	if (client_key(conn, &k)) {
		pthread_mutex_lock(&g_lock);
		ok = su_limit_take(&g_limit, &k, cost, (double)time(NULL));
		pthread_mutex_unlock(&g_lock);
	}
	if (!ok) {
		su_relay_req_done(&q);
		if (k.b[0])
			su_limit_key_text(&k, g, sizeof(g));
		rl_log(LOG_RATE, "relay: %s over its budget (%u calls per minute, burst %u): 429", g,
		       g_cfg.rate_per_minute, g_cfg.rate_burst);
		snprintf(msg, sizeof(msg), "rate limit: at most %u relayed calls per minute from one "
			 "address (bursts of %u); try again in a few seconds", g_cfg.rate_per_minute,
			 g_cfg.rate_burst);
		return send_rpc_error(conn, MHD_HTTP_TOO_MANY_REQUESTS, SU_RPC_LIMIT, msg, "5");
	}
	for (size_t i = 0; i < q.n; i++) {
		if (q.calls[i].response) {
			json_t *e = json_object_get(q.calls[i].response, "error");
			rl_log(LOG_REFUSED, "relay: refused: %s",
			       json_string_value(json_object_get(e, "message")));
			continue;
		}
		q.calls[i].response = forward(&q.calls[i]);
	}
	if (q.whole_error)
		rl_log(LOG_REFUSED, "relay: refused: %s", json_string_value(json_object_get(
			json_object_get(q.whole_error, "error"), "message")));
	int r = su_relay_answer(&q, &out, &outlen);
	su_relay_req_done(&q);
	if (r < 0)
		return MHD_NO;
	return send_json(conn, MHD_HTTP_OK, out, outlen, NULL);
}

/* ------------------------------------------------------------------ the handler */

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct req *rq = *con_cls;
	(void)cls;
	(void)version;

	if (!rq) {
		if (!(rq = calloc(1, sizeof(*rq))))
			return MHD_NO;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > SU_RELAY_BODY_MAX)
			rq->too_large = true;
		*con_cls = rq;
		/* a declared oversize body: answered now, never read (MHD closes the connection) */
		if (rq->too_large && !strcmp(url, "/rpc") && !strcmp(method, MHD_HTTP_METHOD_POST))
			return relay(conn, rq);
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
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	size_t ulen = strlen(url);
	if (!strcmp(url, "/rpc")) {
		if (strcmp(method, MHD_HTTP_METHOD_POST))
			return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					 "/rpc takes POST with a JSON-RPC request\n");
		return relay(conn, rq);
	}
	if (!get)
		return send_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
				 "only GET, and POST to /rpc\n");
	if (!strcmp(url, "/config.json"))
		return send_buf(conn, MHD_HTTP_OK, "application/json", "no-cache", g_public,
				g_public_len, MHD_RESPMEM_PERSISTENT, NULL);
	const struct su_file *f = su_www_lookup(&g_www, url, ulen);
	if (!f)
		return send_text(conn, MHD_HTTP_NOT_FOUND,
				 "not found: this server has /, /assets/NAME, /config.json and /rpc\n");
	return send_buf(conn, MHD_HTTP_OK, f->content_type,
			strcmp(f->name, "index.html") ? "public, max-age=3600" : "no-cache", f->data,
			f->len, MHD_RESPMEM_PERSISTENT, NULL);
}

/* The path as received: "%2e%2e" stays that (www.c refuses every '%'). */
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
	free(*con_cls);
	*con_cls = NULL;
}

/* ------------------------------------------------------------------ start-up */

static const char *g_config_path;

static void load_config(const char *path)
{
	struct bh_msg m = { { 0 } };
	int r;
	if ((r = su_config_load(path, &g_cfg, &m)) < 0)
		bh_fatal("%s", m.text[0] ? m.text : bh_strerror(r));
}

/* A socket from socket activation (LISTEN_PID = us, LISTEN_FDS >= 1: fd 3), or -1. */
static int activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	if (!pid || !fds || strtol(pid, NULL, 10) != (long)getpid() || strtol(fds, NULL, 10) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 3;
}

static int serve(void)
{
	struct bh_msg m = { { 0 } };
	struct bh_rpc_opts ro = { .connect_timeout_ms = 3000, .timeout_ms = 10000, .retries = 1,
				  .backoff_ms = 200, .backoff_max_ms = 1000 };
	int r;

	load_config(g_config_path);
	ro.max_response = g_cfg.max_answer;
	prctl(PR_SET_DUMPABLE, 0);
	if ((r = bh_keystore_client_init(&g_ks, g_cfg.keystore_socket)) < 0)
		fatal_r(r, "keystore client");
	g_ks.timeout_ms = 5000;
	if ((r = su_tls_init(g_cfg.cert, &g_ks, &m)) < 0)
		bh_fatal("refusing to start: %s", m.text[0] ? m.text : bh_strerror(r));
	if ((r = su_www_load(g_cfg.www, &g_www, &m)) < 0)
		bh_fatal("page files: %s", m.text[0] ? m.text : bh_strerror(r));
	if ((r = su_config_public_json(&g_cfg, &g_public, &m)) < 0)
		bh_fatal("config.json: %s", m.text[0] ? m.text : bh_strerror(r));
	g_public_len = strlen(g_public);
	for (size_t i = 0; i < THREADS; i++) {
		pthread_mutex_init(&g_rpc[i].lock, NULL);
		if ((r = bh_rpc_new(g_cfg.rpc_url, &ro, &g_rpc[i].c, &m)) < 0)
			bh_fatal("%s: key 'rpc_url': %s", g_config_path,
				 m.text[0] ? m.text : bh_strerror(r));
	}
	/* the provider must serve the configured chain: the page would switch the wallet to
	 * one chain and read another */
	uint64_t cid = 0;
	struct bh_msg cm = { { 0 } };
	if ((r = bh_rpc_chain_id(g_rpc[0].c, &cid, &cm)) < 0)
		log_warn("the provider did not answer eth_chainId at start (%s): serving anyway, "
			 "the relay answers -32000 until it does", cm.text[0] ? cm.text : bh_strerror(r));
	else if (cid != g_cfg.chain_id)
		bh_fatal("%s: key 'chain_id' is %llu but the provider (rpc_url) serves chain %llu",
			 g_config_path, (unsigned long long)g_cfg.chain_id, (unsigned long long)cid);
	size_t n = 0;
	memcpy(g_contracts[n++], g_cfg.subscriptions, 20);
	memcpy(g_contracts[n++], g_cfg.nft, 20);
	for (size_t i = 0; i < g_cfg.ntokens; i++)
		memcpy(g_contracts[n++], g_cfg.tokens[i].address, 20);
	g_rules = (struct su_relay_rules){ .chain_id = g_cfg.chain_id, .contracts = g_contracts,
					   .ncontracts = n, .max_log_blocks = g_cfg.max_log_blocks };
	su_limit_init(&g_limit, g_cfg.rate_per_minute, g_cfg.rate_burst);

	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)g_cfg.port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g_cfg.port) };
	const struct sockaddr *sa;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TLS;
	int lfd = activated_socket();
	if (inet_pton(AF_INET, g_cfg.listen, &s4.sin_addr) == 1) {
		sa = (const struct sockaddr *)&s4;
	} else if (inet_pton(AF_INET6, g_cfg.listen, &s6.sin6_addr) == 1) {
		sa = (const struct sockaddr *)&s6;
		flags |= MHD_USE_IPv6;
		if (!strcmp(g_cfg.listen, "::"))
			flags |= MHD_USE_DUAL_STACK;
	} else {
		bh_fatal("%s: key 'listen': expected an IPv4 or IPv6 address", g_config_path);
	}

	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct MHD_Daemon *d = MHD_start_daemon(
		flags, lfd >= 0 ? 0 : (uint16_t)g_cfg.port, NULL, NULL, handler, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		lfd >= 0 ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_SOCK_ADDR,
		lfd >= 0 ? (void *)(intptr_t)lfd : (void *)sa,
		MHD_OPTION_HTTPS_CERT_CALLBACK, su_tls_retrieve,
		MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_MAX,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CONN_PER_IP,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(SU_RELAY_BODY_MAX + 16384),
		MHD_OPTION_END);
	if (!d) {
		if (lfd >= 0)
			bh_fatal("cannot serve on the socket from socket activation (fd 3)");
		bh_fatal("cannot listen on [%s]:%u (in use, or a port below 1024 without "
			 "CAP_NET_BIND_SERVICE: use socket activation)", g_cfg.listen, g_cfg.port);
	}

	struct bh_sandbox_info si;
	char sis[700];
	if ((r = bh_sandbox_apply_info(PROG, BH_SANDBOX_ALLOW_DEBUG_ENV | BH_SANDBOX_CHECK_IDENTITY,
				       &si, &m)) < 0)
		bh_fatal("sandbox: %s%s%s", m.text, m.text[0] ? ": " : "", bh_strerror(r));
	log_info("sandbox: %s", bh_sandbox_info_format(&si, sis, sizeof(sis)));
#ifdef BH_TEST_HOOKS
	if (bh_test_forbidden_syscall_wanted()) {
		log_info("test: calling mount(2) under the filter");
		long x = bh_test_forbidden_syscall();
		bh_fatal("test: mount(2) returned %ld: the filter did not kill us", x);
	}
#endif
	if (lfd >= 0)
		log_info("serving https on the activated socket (sandboxed; TLS key in the keystore)");
	else
		log_info("serving https on [%s]:%u (sandboxed; TLS key in the keystore)", g_cfg.listen,
			 g_cfg.port);

	int sig = 0;
	sigwait(&ss, &sig);
	log_info("signal %d, stopping (%lu keystore signatures, %lu failed)", sig, su_tls_signs(),
		 su_tls_sign_failures());
	MHD_stop_daemon(d);
	fflush(stderr);
	_exit(0);
}

/* ------------------------------------------------------------------ verbs */

static int make_cert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hostname", required_argument, NULL, 'H' }, { "out", required_argument, NULL, 'o' },
		{ "days", required_argument, NULL, 'd' }, { "ca-cert", required_argument, NULL, 'c' },
		{ "ca-key", required_argument, NULL, 'k' }, { "config", required_argument, NULL, 'C' },
		{ "socket", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct su_make_cert mc = { .days = 365 };
	const char *sock = NULL, *config = NULL;
	struct bh_msg um = { { 0 } }, m = { { 0 } };
	int o, r;

	optind = 1;
	while ((r = bh_cli_getopt(argc, argv, "", opts, &o, &um)) == 0 && o != -1) {
		switch (o) {
		case 'H': mc.hostname = optarg; break;
		case 'o': mc.out = optarg; break;
		case 'c': mc.ca_cert = optarg; break;
		case 'k': mc.ca_key = optarg; break;
		case 'C': config = optarg; break;
		case 's': sock = optarg; break;
		case 'd': {
			char *e;
			errno = 0;
			unsigned long v = strtoul(optarg, &e, 10);
			if (errno || e == optarg || *e || optarg[0] == '-' || v < 1 || v > 3650)
				usage_error("make-cert: --days: expected 1..3650");
			mc.days = (unsigned)v;
			break;
		}
		default: usage_error("make-cert: unexpected option");
		}
	}
	if (r < 0)
		usage_error("make-cert: %s", um.text);
	if (optind != argc)
		usage_error("make-cert: unexpected argument '%s'", argv[optind]);
	if (!mc.hostname)
		usage_error("make-cert: --hostname is required");
	if (!mc.out)
		usage_error("make-cert: --out is required");
	if (!!mc.ca_cert != !!mc.ca_key)
		usage_error("make-cert: --ca-cert and --ca-key go together");
	if (sock && config)
		usage_error("make-cert: --socket or --config, not both");
	size_t hl = strlen(mc.hostname);
	bool hok = hl >= 1 && hl <= 253;
	for (size_t i = 0; hok && i < hl; i++) {
		char c = mc.hostname[i];
		hok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':';
	}
	if (!hok)
		usage_error("make-cert: --hostname: expected a DNS name or an IP address");
	bh_log_init(PROG, BH_LOG_STDERR, LOG_DAEMON);
	if (config) {
		load_config(config);
		sock = g_cfg.keystore_socket;
	}
	if ((r = bh_keystore_client_init(&g_ks, sock)) < 0)
		fatal_r(r, "keystore client");
	if ((r = su_make_cert(&mc, &g_ks, &m)) < 0) {
		fprintf(stderr, PROG " make-cert: %s\n", m.text[0] ? m.text : bh_strerror(r));
		return BH_EXIT_ERROR;
	}
	fprintf(stderr, PROG " make-cert: wrote %s (%s, %u days)\n", mc.out,
		mc.ca_cert ? "issued by --ca-cert" : "self-signed through the keystore", mc.days);
	return 0;
}

static int public_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_msg um = { { 0 } }, m = { { 0 } };
	const char *config = NULL;
	char *s = NULL;
	int o, r;

	optind = 1;
	while ((r = bh_cli_getopt(argc, argv, "", opts, &o, &um)) == 0 && o != -1) {
		if (o == 'C')
			config = optarg;
		else
			usage_error("public-config: unexpected option");
	}
	if (r < 0)
		usage_error("public-config: %s", um.text);
	if (optind != argc)
		usage_error("public-config: unexpected argument '%s'", argv[optind]);
	if (!config)
		usage_error("public-config: --config is required");
	bh_log_init(PROG, BH_LOG_STDERR, LOG_DAEMON);
	load_config(config);
	if ((r = su_config_public_json(&g_cfg, &s, &m)) < 0) {
		fprintf(stderr, PROG " public-config: %s\n", m.text[0] ? m.text : bh_strerror(r));
		return BH_EXIT_ERROR;
	}
	printf("%s\n", s);
	free(s);
	su_config_done(&g_cfg);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'C' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 },
	};
	struct bh_msg um = { { 0 } };
	int o, r;

	if (bh_cli_has_flag(argc, argv, "--help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (bh_cli_has_flag(argc, argv, "--version")) {
		printf(PROG " (BlockHost) %s\n", BH_VERSION);
		return 0;
	}
	if (argc > 1 && argv[1][0] != '-') {
		if (!strcmp(argv[1], "make-cert"))
			return make_cert(argc - 1, argv + 1);
		if (!strcmp(argv[1], "public-config"))
			return public_config(argc - 1, argv + 1);
		usage_error("unknown verb '%.64s' (verbs: make-cert, public-config)", argv[1]);
	}
	optind = 1;
	while ((r = bh_cli_getopt(argc, argv, "", opts, &o, &um)) == 0 && o != -1) {
		if (o == 'C')
			g_config_path = optarg;
		else
			usage_error("unexpected option");
	}
	if (r < 0)
		usage_error("%s", um.text);
	if (optind != argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (!g_config_path)
		usage_error("--config is required");
	bh_log_init(PROG, BH_LOG_STDERR, LOG_DAEMON);
	return serve();
}

/* SPDX-License-Identifier: MIT */
/*
 * web3-auth-svc: the in-VM signing service (upstream.md §5.6).  Serves the
 * signing page and moves a wallet signature from the browser into
 * /run/libpam-web3/pending/<sid>.sig for pam_web3.  It logs nobody in; it stores a
 * signature only if it is the session's wallet signing the session's message (so a
 * stranger with the session id cannot block it), normalises and transports it.  Request handling lives in
 * libpw3 (pw3_http_handle, fuzzed without sockets); this file is the
 * libmicrohttpd glue, the TLS key/cert bootstrap and startup.
 *
 * usage: web3-auth-svc [--port N] [--bind ADDR] [--pending DIR] [--pages DIR]
 *                      [--tls-dir DIR] [--config FILE] [--plain-http] | --help | --version
 * Defaults: port = 1024 + crc32("evm") % 64511 = 63108, bind "::" (dual stack),
 * pending = /run/libpam-web3/pending, pages = /usr/share/blockhost/signing-pages/evm,
 * tls-dir = /etc/libpam-web3/tls, config = /etc/pam_web3/config.toml (use_tls).
 * Runs unprivileged; refuses to run with any capability in its effective set.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdnoreturn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/buf.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/log.h"
#include "core/path.h"
#include "eth/secp.h"
#include "pw3.h"
#include "sandbox/sandbox.h"

#define REQUEST_TIMEOUT_S 5
#define PAGE_MAX (1024u * 1024u)
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

static struct pw3_http_ctx g_ctx;
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

static int load_page(const char *dir, const char *name, char **ret, size_t *ret_len)
{
	struct bh_buf b;
	char path[4096];
	char *s = NULL;
	int r;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	bh_buf_init(&b, PAGE_MAX);
	if ((r = bh_buf_load_file(&b, path)) < 0 || (r = bh_buf_steal_cstr(&b, &s)) < 0) {
		bh_buf_done(&b);
		log_error_r(r, "cannot load page %s", path);
		return r;
	}
	*ret_len = strlen(s);
	*ret = s;
	return 0;
}

/* Write data to dir/name atomically with the given mode; refuses to replace. */
static int write_new_file(const char *dir, const char *name, const void *data, size_t len,
                          mode_t mode)
{
	char tmp[4096], dst[4096];
	int fd;
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return bh_negerrno();
	if (fchmod(fd, mode) < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) < 0 ||
	    close(fd) < 0) {
		int r = bh_negerrno();
		unlink(tmp);
		return r;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) < 0) {
		int r = bh_negerrno();
		unlink(tmp);
		return r;
	}
	return 0;
}

/* A self-signed EC P-256 certificate for the signing host, 3650 days. */
static int make_cert(const char *dir)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	BIO *kb = NULL, *cb = NULL;
	X509_EXTENSION *ext = NULL;
	char host[256] = "localhost", san[600], *kp = NULL, *cp = NULL;
	long kl, cl;
	int r = BH_ERR_CRYPTO;

	char *hp = NULL, *hs = NULL;
	if (bh_path(BH_DIR_PAM_RUN, "signing_host", &hp) == 0 &&
	    pw3_read_small_file(AT_FDCWD, hp, 256, &hs) == 0) {
		size_t n = strcspn(hs, " \t\r\n");
		if (pw3_host_valid(hs, n) && n < sizeof(host)) {
			memcpy(host, hs, n);
			host[n] = '\0';
		}
	} else if (gethostname(host, sizeof(host)) < 0 || !pw3_host_valid(host, strlen(host))) {
		snprintf(host, sizeof(host), "localhost");
	}
	free(hp);
	free(hs);
	snprintf(san, sizeof(san), "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1", host);

	if (!(key = EVP_EC_gen("P-256")) || !(x = X509_new()))
		goto out;
	uint8_t serial[16];
	if (getentropy(serial, sizeof(serial)) < 0)
		goto out;
	serial[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) {
		BN_free(bn);
		goto out;
	}
	BN_free(bn);
	X509_NAME *nm = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) || !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 3650L * 86400) || !X509_set_pubkey(x, key) ||
	    !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)host, -1, -1, 0) ||
	    !X509_set_issuer_name(x, nm))
		goto out;
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if (!(ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san)) ||
	    !X509_add_ext(x, ext, -1) || !X509_sign(x, key, EVP_sha256()))
		goto out;
	if (!(kb = BIO_new(BIO_s_mem())) || !(cb = BIO_new(BIO_s_mem())) ||
	    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cb, x))
		goto out;
	kl = BIO_get_mem_data(kb, &kp);
	cl = BIO_get_mem_data(cb, &cp);
	if ((r = write_new_file(dir, "key.pem", kp, (size_t)kl, 0600)) < 0 ||
	    (r = write_new_file(dir, "cert.pem", cp, (size_t)cl, 0644)) < 0)
		goto out;
	log_info("generated a self-signed P-256 certificate for %s in %s", host, dir);
	r = 0;
out:
	if (r == BH_ERR_CRYPTO)
		log_error("certificate generation failed (OpenSSL)");
	X509_EXTENSION_free(ext);
	BIO_free(kb);  /* BIO_free of a mem BIO does not wipe; the key bytes are ephemeral here */
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(key);
	return r;
}

static int load_tls(const char *dir, char **ret_key, char **ret_cert)
{
	struct bh_buf b;
	char path[4096], *k = NULL, *c = NULL;
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "%s/key.pem", dir);
	if (lstat(path, &st) < 0 && errno == ENOENT) {
		char cp[4096];
		snprintf(cp, sizeof(cp), "%s/cert.pem", dir);
		if (lstat(cp, &st) == 0) {
			log_error("%s exists without key.pem; refusing to replace it", cp);
			return BH_ERR_STATE;
		}
		if ((r = make_cert(dir)) < 0) {
			log_error_r(r, "cannot create a TLS key/certificate in %s", dir);
			return r;
		}
	}
	bh_buf_init(&b, 64 * 1024);
	if ((r = bh_buf_load_file(&b, path)) < 0 || (r = bh_buf_steal_cstr(&b, &k)) < 0) {
		log_error_r(r, "cannot read %s", path);
		bh_buf_done(&b);
		return r;
	}
	bh_buf_done(&b);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	bh_buf_init(&b, 64 * 1024);
	if ((r = bh_buf_load_file(&b, path)) < 0 || (r = bh_buf_steal_cstr(&b, &c)) < 0) {
		log_error_r(r, "cannot read %s", path);
		bh_buf_done(&b);
		explicit_bzero(k, strlen(k));
		free(k);
		return r;
	}
	bh_buf_done(&b);
	*ret_key = k;
	*ret_cert = c;
	return 0;
}

/* SHA-256 of the (first) certificate in cert.pem, as pw3_tls_fp_format writes it (issue 18) */
static int cert_fingerprint(const char *pem, char out[static PW3_TLS_FP_LEN + 1])
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	int r = BH_ERR_CRYPTO;

	if (x && X509_digest(x, EVP_sha256(), md, &n) && n == 32) {
		pw3_tls_fp_format(md, out);
		r = 0;
	}
	X509_free(x);
	BIO_free(b);
	return r;
}

/*
 * The daemon with every limit and callback of the service; main() and the fuzz target
 * fuzz/fuzz_authsvc_mhd.c (MHD_USE_NO_LISTEN_SOCKET, connections added over a
 * socketpair) start it the same way.  key and cert are NULL for plain HTTP.
 */
static struct MHD_Daemon *svc_start(unsigned mflags, uint16_t port, const struct sockaddr *sa,
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

static const char usage_text[] =
	"usage: web3-auth-svc [--port 1..65535] [--bind ADDR] [--pending DIR] [--pages DIR]\n"
	"                     [--tls-dir DIR] [--config FILE] [--plain-http]\n"
	"       web3-auth-svc --help | --version\n"
	"  The in-VM signing service: serves the signing page and stores the wallet's\n"
	"  signature for pam_web3.  Defaults: --port 63108 (1024 + crc32(\"evm\") % 64511),\n"
	"  --bind :: (dual stack), --pending /run/libpam-web3/pending,\n"
	"  --pages /usr/share/blockhost/signing-pages/evm, --tls-dir /etc/libpam-web3/tls,\n"
	"  --config /etc/pam_web3/config.toml (its use_tls; --plain-http serves HTTP).\n"
	"  Runs unprivileged (refuses root).  Exit: 0 stopped by a signal, 1 failed, 2 usage.\n";

/* A usage error: the option named, never its value; exit 2. */
static noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("web3-auth-svc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see web3-auth-svc --help)\n", stderr);
	exit(BH_EXIT_USAGE);
}

struct svc_args {
	unsigned port;
	const char *bind_addr;
	char *pending, *pages, *tls, *config; /* NULL: the default path */
	bool plain;
};

/*
 * The command line: --help and --version answer (exit 0) before anything else; a bad
 * option or value exits 2 naming the option (usage_error).  Returns only when it is fine.
 */
static void parse_args(int argc, char **argv, struct svc_args *a)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "pending", required_argument, NULL, 'd' },
		{ "pages", required_argument, NULL, 'g' },
		{ "tls-dir", required_argument, NULL, 't' },
		{ "config", required_argument, NULL, 'c' },
		{ "plain-http", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_msg um = { { 0 } };
	struct in_addr a4;
	struct in6_addr a6;
	int o, r;

	if (bh_cli_has_flag(argc, argv, "--help")) {
		fputs(usage_text, stdout);
		exit(0);
	}
	if (bh_cli_has_flag(argc, argv, "--version")) {
		printf("web3-auth-svc (BlockHost) %s\n", BH_VERSION);
		exit(0);
	}
	optind = 0;
	while ((r = bh_cli_getopt(argc, argv, "", opts, &o, &um)) == 0 && o != -1) {
		switch (o) {
		case 'p': {
			char *e;
			errno = 0;
			unsigned long v = strtoul(optarg, &e, 10);
			if (errno || e == optarg || *e || optarg[0] == '-' || v == 0 || v > 65535)
				usage_error("--port: expected a port number 1..65535");
			a->port = (unsigned)v;
			break;
		}
		case 'b': a->bind_addr = optarg; break;
		case 'd': a->pending = strdup(optarg); break;
		case 'g': a->pages = strdup(optarg); break;
		case 't': a->tls = strdup(optarg); break;
		case 'c': a->config = strdup(optarg); break;
		case 'H': a->plain = true; break;
		default: usage_error("unexpected option"); /* help/version answered above */
		}
	}
	if (r < 0)
		usage_error("%s", um.text);
	if (optind != argc)
		usage_error("unexpected argument '%s': options only", argv[optind]);
	if (inet_pton(AF_INET, a->bind_addr, &a4) != 1 &&
	    inet_pton(AF_INET6, a->bind_addr, &a6) != 1)
		usage_error("--bind: expected an IPv4 or IPv6 address (:: for all)");
}

int main(int argc, char **argv)
{
	struct svc_args args = { .port = pw3_chain_port("evm"), .bind_addr = "::" };
	int r;

	parse_args(argc, argv, &args);
	bh_log_init("web3-auth-svc", BH_LOG_STDERR, LOG_AUTH);
	unsigned port = args.port;
	const char *bind_addr = args.bind_addr;
	char *pending = args.pending, *pages = args.pages, *tls = args.tls, *config = args.config;
	bool plain = args.plain;

	if ((!pending && bh_path(BH_DIR_PAM_RUN, "pending", &pending) < 0) ||
	    (!pages && bh_path(BH_DIR_SHARE, "signing-pages/evm", &pages) < 0) ||
	    (!tls && bh_path(BH_DIR_PAM_TLS, NULL, &tls) < 0) ||
	    (!config && bh_path(BH_DIR_PAM_ETC, "config.toml", &config) < 0))
		bh_fatal("cannot resolve default paths");

	if (geteuid() == 0)
		bh_fatal("refusing to run as root: start it as its own unprivileged user");
	prctl(PR_SET_DUMPABLE, 0);

	/* use_tls from the PAM config when we can read it (upstream behaviour) */
	if (!plain) {
		struct pw3_config cfg;
		struct bh_msg m = { { 0 } };
		if ((r = pw3_config_load(config, &cfg, &m)) == 0) {
			plain = !cfg.use_tls;
			pw3_config_wipe(&cfg);
		} else if (r != -ENOENT && r != -EACCES) {
			log_warn("%s; serving HTTPS", m.text);
		}
	}

	char *key = NULL, *cert = NULL;
	if (!plain && load_tls(tls, &key, &cert) < 0)
		return 1;
	if ((r = pw3_pending_open(pending, &g_ctx.pending_fd)) < 0)
		fatal_r(r, "pending directory %s", pending);
	/* the fingerprint pam_web3 shows in the prompt and the page at /auth/tls-fingerprint */
	static char fp[PW3_TLS_FP_LEN + 1];
	if (cert && cert_fingerprint(cert, fp) == 0) {
		g_ctx.tls_fp = fp;
		if ((r = pw3_tls_fp_write(g_ctx.pending_fd, fp)) < 0)
			log_warn("cannot write %s/%s: %s (the prompt will not show the fingerprint)",
			         pending, PW3_TLS_FP_FILE, bh_strerror(r));
		else
			log_info("certificate SHA-256 %s", fp);
	} else if (cert) {
		log_warn("cannot compute the certificate's SHA-256 fingerprint");
	} else {
		(void)unlinkat(g_ctx.pending_fd, PW3_TLS_FP_FILE, 0); /* plain HTTP: none */
	}
	char *ih = NULL, *ej = NULL;
	if (load_page(pages, "index.html", &ih, &g_ctx.index_len) < 0 ||
	    load_page(pages, "engine.js", &ej, &g_ctx.engine_len) < 0)
		return 1;
	g_ctx.index_html = ih;
	g_ctx.engine_js = ej;

	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	const struct sockaddr *sa;
	unsigned mflags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (inet_pton(AF_INET, bind_addr, &s4.sin_addr) == 1) {
		sa = (const struct sockaddr *)&s4;
	} else if (inet_pton(AF_INET6, bind_addr, &s6.sin6_addr) == 1) {
		sa = (const struct sockaddr *)&s6;
		mflags |= MHD_USE_IPv6;
		if (!strcmp(bind_addr, "::"))
			mflags |= MHD_USE_DUAL_STACK;
	} else {
		bh_fatal("--bind: expected an IPv4 or IPv6 address"); /* checked at parse time */
	}
	if (!plain)
		mflags |= MHD_USE_TLS;

	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct MHD_Daemon *d = svc_start(mflags, (uint16_t)port, sa, key, cert);
	if (!d)
		bh_fatal("cannot listen on [%s]:%u (in use, or bad TLS key/certificate)", bind_addr, port);
	if (key) {
		explicit_bzero(key, strlen(key));  /* MHD keeps its own copy in GnuTLS */
		free(key);
	}
	free(cert);
	/* the callback verifies signatures: create the secp256k1 context (random blinding
	 * seed) now rather than on the first request */
	if (!bh_secp_context())
		bh_fatal("cannot create the secp256k1 context");
	/* everything is open: drop to policy/web3-auth-svc.policy + seccomp/web3-auth-svc */
	struct bh_msg sm = { { 0 } };
	struct bh_sandbox_info si;
	char sis[700];
	if ((r = bh_sandbox_apply_info("web3-auth-svc",
				       BH_SANDBOX_ALLOW_DEBUG_ENV | BH_SANDBOX_CHECK_IDENTITY, &si,
				       &sm)) < 0) {
		/* the errno once: most messages end with it already */
		const char *e = bh_strerror(r);
		size_t n = strlen(sm.text), k = strlen(e);
		bool said = n >= k && !strcmp(sm.text + n - k, e);
		bh_fatal("sandbox: %s%s%s", sm.text, said || !n ? "" : ": ", said ? "" : e);
	}
	log_info("sandbox: %s", bh_sandbox_info_format(&si, sis, sizeof(sis)));
#ifdef BH_TEST_HOOKS
	if (bh_test_forbidden_syscall_wanted()) {
		log_info("test: calling mount(2) under the filter");
		long x = bh_test_forbidden_syscall();
		bh_fatal("test: mount(2) returned %ld: the filter did not kill us", x);
	}
#endif
	log_info("listening on %s://[%s]:%u, pending %s (sandboxed)", plain ? "http" : "https",
	         bind_addr, port, pending);

	int sig = 0;
	sigwait(&ss, &sig);
	log_info("signal %d, stopping", sig);
	MHD_stop_daemon(d);
	close(g_ctx.pending_fd);
	free(ih);
	free(ej);
	free(pending);
	free(pages);
	free(tls);
	free(config);
	/* no atexit/destructor work under the filter (library teardown may open files) */
	fflush(stderr);
	_exit(0);
}

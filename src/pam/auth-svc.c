/* SPDX-License-Identifier: MIT */
/*
 * web3-auth-svc: the in-VM signing service (upstream.md §5.6).  Serves the
 * signing page and moves a wallet signature from the browser into
 * /run/libpam-web3/pending/<sid>.sig for pam_web3.  It logs nobody in; it stores a
 * signature only if it is the session's wallet signing the session's message (so a
 * stranger with the session id cannot block it), normalises and transports it.  Request handling lives in
 * libpw3 (pw3_http_handle, fuzzed without sockets), the libmicrohttpd glue in
 * auth-handler.c (fuzzed over socketpairs); this file is the TLS key/cert bootstrap and
 * startup.
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
#include "auth-handler.h"

#define PAGE_MAX (1024u * 1024u)

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

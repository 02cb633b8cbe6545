/* SPDX-License-Identifier: MIT */
/*
 * Fuzz web3-auth-svc's network handler: the service's own libmicrohttpd daemon
 * (svc_start: the accept policy, per-group counting, request callback, identity
 * unescape, completion and connection notifications, rate-limited MHD logger) with
 * MHD_USE_NO_LISTEN_SOCKET; each input is one client connection added with
 * MHD_add_connection over a socketpair (no network).  Byte 0 picks the client's address
 * (IPv4 or an IPv6 /64, so the group accounting runs); the rest is the byte stream the
 * client sends (several pipelined requests, chunked bodies, anything), then it half-closes.
 * auth-handler.c (split from auth-svc.c) is included: its callbacks are static.  Plain HTTP:
 * the TLS layer is GnuTLS's, not ours.
 *
 * Byte 0 values 0x7f and 0xff first open PW3_CONN_PER_GROUP idle connections from the
 * same group (an IPv4 address, an IPv6 /64), so the client's own connection meets the
 * accept policy's refusal; 0x7e connects over a plain AF_INET address, 0x7d over an
 * AF_UNIX one (no group: refused); 0x7c moves the log rate limiter's windows back an
 * interval (its "suppressed" summary line); 0x7b makes time fly (clock_gettime is
 * interposed: a request outlasts its timeout).
 *
 * Invariants: every answer starts with an HTTP/1.x status line; after the connection is
 * closed the group table is empty again (counting balanced); a stored <sid>.sig is a
 * signature of the session's message by the session's wallet; a connection over the
 * group's limit, or without an address, is refused; a TLS daemon with an unusable key and
 * certificate does not start.
 */
#include "../src/pam/auth-handler.c"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/hex.h"
#include "eth/eth.h"

#define SID "0123456789abcdef0123456789abcdef"
#define MSG "Authenticate to m with code: 123456 nonce: 00112233445566778899aabbccddeeff " \
            "expires: 2100-01-01T00:00:00Z"

/* clock_gettime interposed: with time_flies (byte 0 = 0x7b) every monotonic reading is 6 s
 * later than the one before, so a request outlasts REQUEST_TIMEOUT_S (the 408 and
 * its Connection: close) or libmicrohttpd's own timeouts close the connection first */
static bool time_flies;
static long flown;
int clock_gettime(clockid_t id, struct timespec *ts)
{
	int r = (int)syscall(SYS_clock_gettime, id, ts);
	if (r == 0 && time_flies && id != CLOCK_REALTIME)
		ts->tv_sec += (flown += 6);
	return r;
}

static struct MHD_Daemon *daemon_;
static uint8_t wallet[20];
static char dirpath[64];

static void teardown(void)
{
	if (daemon_)
		MHD_stop_daemon(daemon_);
	unlinkat(g_ctx.pending_fd, SID ".json", 0);
	unlinkat(g_ctx.pending_fd, SID ".sig", 0);
	rmdir(dirpath);
}

static void setup(void)
{
	char dir[] = "/tmp/pw3fuzzmhd.XXXXXX", p[256], wh[41];
	uint8_t priv[32];
	if (!mkdtemp(dir))
		abort();
	snprintf(p, sizeof(p), "%s/" SID ".json", dir);
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	memset(priv, 0x11, 32);
	if (bh_eth_address_from_priv(priv, wallet) < 0)
		abort();
	bh_hex_encode(wallet, 20, wh);
	fprintf(f, "{\"otp\":\"123456\",\"machine_id\":\"m\",\"session_id\":\"" SID "\","
	        "\"nonce\":\"00112233445566778899aabbccddeeff\",\"expires\":\"2100-01-01T00:00:00Z\","
	        "\"wallet\":\"0x%s\",\"message\":\"" MSG "\"}", wh);
	fclose(f);
	if (pw3_pending_open(dir, &g_ctx.pending_fd) < 0)
		abort();
	snprintf(dirpath, sizeof(dirpath), "%s", dir);
	g_ctx.index_html = "<html>";
	g_ctx.index_len = 6;
	g_ctx.engine_js = "js";
	g_ctx.engine_len = 2;
	bh_log_init("fuzz_authsvc_mhd", BH_LOG_STDERR, LOG_AUTH);
	if (!getenv("PW3_FUZZ_VERBOSE"))
		bh_log_set_level(LOG_CRIT);  /* the rate limiter still runs */
	signal(SIGPIPE, SIG_IGN);
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	daemon_ = svc_start(MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG, 0,
	                    (const struct sockaddr *)&s4, NULL, NULL);
	if (!daemon_)
		abort();
	/* the TLS variant of the same daemon refuses a key and certificate it cannot use */
	struct MHD_Daemon *t = svc_start(MHD_USE_NO_LISTEN_SOCKET | MHD_USE_TLS, 0,
	                                 (const struct sockaddr *)&s4, "not a key", "not a cert");
	if (t)
		abort();
	atexit(teardown);
}

static void run_until_idle(void)
{
	for (int it = 0; it < 100; it++) {
		const union MHD_DaemonInfo *di =
			MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (di && di->num_connections == 0)
			break;
		MHD_run(daemon_);
	}
}

static void client_addr(uint8_t b, struct sockaddr_in6 *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->sin6_family = AF_INET6;
	ret->sin6_port = htons(40000);
	if (b & 0x80) {      /* 2001:db8:0:<b>::<b> */
		ret->sin6_addr.s6_addr[0] = 0x20;
		ret->sin6_addr.s6_addr[1] = 0x01;
		ret->sin6_addr.s6_addr[2] = 0x0d;
		ret->sin6_addr.s6_addr[3] = 0xb8;
		ret->sin6_addr.s6_addr[7] = b & 0x0f;
		ret->sin6_addr.s6_addr[15] = b;
	} else {             /* ::ffff:127.0.0.<b> */
		ret->sin6_addr.s6_addr[10] = 0xff;
		ret->sin6_addr.s6_addr[11] = 0xff;
		ret->sin6_addr.s6_addr[12] = 127;
		ret->sin6_addr.s6_addr[15] = b;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[1 << 16];
	struct sockaddr_in6 sa;
	size_t got = 0, sent = 0;
	int sv[2];

	if (!daemon_)
		setup();
	if (size < 1)
		return 0;
	/* 0x7c: every rate-limit window started an interval ago, so the next line of each
	 * kind reports what was suppressed (the limiter's summary line) */
	if (data[0] == 0x7c) {
		pthread_mutex_lock(&g_lock);
		for (size_t k = 0; k < sizeof(g_rl.k) / sizeof(g_rl.k[0]); k++) {
			if (!g_rl.k[k].kind)
				continue;
			g_rl.k[k].start -= g_rl.interval + 1;
			if (!g_rl.k[k].suppressed)
				g_rl.k[k].suppressed = 1;  /* as if a line had been dropped then */
		}
		pthread_mutex_unlock(&g_lock);
	}
	time_flies = data[0] == 0x7b;
	client_addr(data[0], &sa);
	const struct sockaddr *addr = (const struct sockaddr *)&sa;
	socklen_t alen = sizeof(sa);
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(40000),
	                          .sin_addr.s_addr = htonl(0x7f000042) };
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	if (data[0] == 0x7e) {
		addr = (const struct sockaddr *)&s4;
		alen = sizeof(s4);
	} else if (data[0] == 0x7d) {
		addr = (const struct sockaddr *)&su;
		alen = sizeof(su);
	}
	int idle[PW3_CONN_PER_GROUP], nidle = 0;
	if (data[0] == 0x7f || data[0] == 0xff) {
		for (; nidle < PW3_CONN_PER_GROUP; nidle++) {
			if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
				abort();
			if (MHD_add_connection(daemon_, sv[1], addr, alen) != MHD_YES)
				abort();  /* within the group's share */
			idle[nidle] = sv[0];
		}
		MHD_run(daemon_);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (MHD_add_connection(daemon_, sv[1], addr, alen) != MHD_YES) {
		close(sv[0]);  /* MHD closed sv[1] */
		for (int k = 0; k < nidle; k++)
			close(idle[k]);
		run_until_idle();
		if (g_conns.total != 0)
			abort();
		return 0;
	}
	if (nidle || data[0] == 0x7d)
		abort();  /* over the group's limit, or no address: must have been refused */
	const uint8_t *req = data + 1;
	size_t rlen = size - 1;
	bool half_closed = false;
	for (int it = 0; it < 2000; it++) {
		if (sent < rlen) {
			ssize_t n = send(sv[0], req + sent, rlen - sent, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				sent = rlen;  /* MHD closed its end */
		}
		if (sent == rlen && !half_closed) {
			shutdown(sv[0], SHUT_WR);
			half_closed = true;
		}
		MHD_run(daemon_);
		ssize_t n;
		for (;;) {
			/* the first 64 KiB are kept (the first answer's start is checked); the rest
			 * is drained */
			static char sink[4096];
			bool full = got == sizeof(out) - 1;
			n = recv(sv[0], full ? sink : out + got, full ? sizeof(sink) : sizeof(out) - 1 - got, 0);
			if (n <= 0)
				break;
			if (!full)
				got += (size_t)n;
		}
		const union MHD_DaemonInfo *di =
			MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (half_closed && (n == 0 || (di && di->num_connections == 0)))
			break;
	}
	close(sv[0]);
	/* let MHD notice the closed peer and clean up */
	run_until_idle();
	time_flies = false;
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	if (di && di->num_connections == 0 && g_conns.total != 0)
		abort();  /* a connection closed but still counted */
	if (got >= 12 && strncmp(out, "HTTP/1.", 7) != 0) {
		fprintf(stderr, "answer starts: %.64s (got %zu)\n", out, got);
		abort();
	}
	if (getenv("PW3_FUZZ_VERBOSE")) {  /* seeds: what each one reached */
		out[got] = '\0';
		for (char *l = out; (l = strstr(l, "HTTP/1.")); l += 7)
			fprintf(stderr, "answer: %.12s\n", l);
		fprintf(stderr, ".sig stored: %s\n",
		        faccessat(g_ctx.pending_fd, SID ".sig", F_OK, AT_SYMLINK_NOFOLLOW) ? "no" : "yes");
	}
	/* only the session's wallet signing the session's message is ever stored */
	char *sig = NULL;
	if (pw3_read_small_file(g_ctx.pending_fd, SID ".sig", 256, &sig) == 0) {
		uint8_t s65[65];
		if (bh_sig_parse_hex(sig, strlen(sig), s65) < 0 ||
		    bh_eth_verify_personal(MSG, strlen(MSG), s65, wallet) < 0)
			abort();
		free(sig);
		unlinkat(g_ctx.pending_fd, SID ".sig", 0);
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the keystore client's reply handling (src/common/host/keystore_client.c): the
 * input is what a hostile or broken daemon answers.  A fake daemon thread listens
 * on a unix socket in a private temp dir, reads each request frame and answers with
 * the fuzz bytes; the real client calls (bh_keystore_address, _pubkeys, _sign_tx,
 * _personal_sign, _ecies_decrypt, _tls_sign) connect to it, so the whole path runs:
 * bh_frame_call's frame reader and strict JSON step, call_ok's ok/error/rule/message
 * mapping, and each call's field parsing.  No entry point is added to the library.
 *
 * Input: byte 0 selects the call (low 3 bits, mod 6) and, with bit 0x80, sends the
 * rest raw (no frame header: hostile length prefixes); otherwise the rest is one
 * frame payload (an empty rest is sent as a 0-length header).
 *
 * Invariants: every call returns 0 or a negative code; out-params keep their
 * sentinel on failure (assigned only on success); appended buffers grow only on
 * success; an accepted signature is normalized; a refusal fills msg.
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/frame.h"
#include "host/keystore_client.h"
#include "eth/secp.h"

#define TIMEOUT_MS 5000

static char sock_path[108];
static const uint8_t *reply;   /* set by the fuzzer before each call */
static size_t reply_len;
static bool reply_raw;
/* posted by the daemon once a connection is fully answered and closed: the fuzzer's
 * input (reply) must outlive the daemon's last send */
static sem_t served;

static void send_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n > 0) {
		ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
		if (k <= 0)
			return;
		c += k;
		n -= (size_t)k;
	}
}

static void *daemon_thread(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		struct bh_buf req;

		if (fd < 0)
			continue;
		bh_buf_init(&req, BH_FRAME_MAX_REQUEST);
		/* the request must be a well-formed frame: the client's side is not fuzzed */
		if (bh_frame_read(fd, BH_FRAME_MAX_REQUEST, TIMEOUT_MS, &req) < 0)
			abort();
		bh_buf_done(&req);
		if (reply_raw || reply_len == 0 || reply_len > BH_FRAME_MAX_REQUEST) {
			if (!reply_raw) {
				uint8_t hdr[4] = { 0 };   /* a 0-length frame */
				send_all(fd, hdr, sizeof(hdr));
			}
			send_all(fd, reply, reply_len);
		} else {
			(void)bh_frame_write(fd, reply, reply_len, TIMEOUT_MS);
		}
		shutdown(fd, SHUT_WR);
		close(fd);
		sem_post(&served);
	}
	return NULL;
}

static char sock_dir[64];

static void remove_socket(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

static void start_daemon(void)
{
	static bool started;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pthread_t t;
	int lfd;

	if (started)
		return;
	started = true;
	signal(SIGPIPE, SIG_IGN);
	if (sem_init(&served, 0, 0) != 0)
		abort();
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/fuzz_ksclient.XXXXXX");
	if (!mkdtemp(sock_dir))
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/keystore.sock", sock_dir);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 8) < 0)
		abort();
	atexit(remove_socket);
	if (pthread_create(&t, NULL, daemon_thread, (void *)(intptr_t)lfd) != 0)
		abort();
	pthread_detach(t);
}

static void check_rc(int r, const struct bh_msg *m)
{
#ifdef FUZZ_KSCLIENT_TRACE
	fprintf(stderr, "rc %d (%s) msg '%s'\n", r, r ? bh_strerror(r) : "ok", m->text);
#endif
	if (r > 0)
		abort();
	/* a refusal or a malformed reply always says why */
	if ((r == BH_ERR_DENIED || r == BH_ERR_DECRYPT || r == BH_ERR_PEER) && !m->text[0])
		abort();
}

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_keystore_client c;
	struct bh_msg m = { "" };
	uint8_t a[20], e[65], t[65], h[32], sig[65], der[72];
	size_t dlen = 12345;
	struct bh_buf out;
	int r;

	if (size < 1)
		return 0;
	start_daemon();
	reply = data + 1;
	reply_len = size - 1;
	reply_raw = (data[0] & 0x80) != 0;
	if (bh_keystore_client_init(&c, sock_path) < 0)
		abort();
	c.timeout_ms = TIMEOUT_MS;
	memset(a, 0xa5, sizeof(a));
	memset(e, 0xa5, sizeof(e));
	memset(t, 0xa5, sizeof(t));
	memset(h, 0xa5, sizeof(h));
	memset(sig, 0xa5, sizeof(sig));
	memset(der, 0xa5, sizeof(der));

	switch ((data[0] & 7) % 6) {
	case 0:
		r = bh_keystore_address(&c, a, &m);
		check_rc(r, &m);
		if (r < 0 && !all(a, 20, 0xa5))
			abort();
		break;
	case 1:
		r = bh_keystore_pubkeys(&c, a, e, t, &m);
		check_rc(r, &m);
		if (r < 0 && (!all(a, 20, 0xa5) || !all(e, 65, 0xa5) || !all(t, 65, 0xa5)))
			abort();
		break;
	case 2: {
		static const uint8_t calldata[4] = { 0xb5, 0x10, 0x39, 0x1f };
		struct bh_keystore_tx tx = {
			.chain_id = 31337, .nonce = 1, .gas_limit = 21000, .has_to = 1,
			.data = calldata, .data_len = sizeof(calldata),
		};
		tx.max_fee[31] = 1;
		bh_buf_init(&out, 1 << 20);
		if (bh_buf_put(&out, "pre", 3) < 0)
			abort();
		r = bh_keystore_sign_tx(&c, &tx, &out, h, &m);
		check_rc(r, &m);
		if (r < 0 && (bh_buf_len(&out) != 3 || !all(h, 32, 0xa5)))
			abort();
		bh_buf_done(&out);
		break;
	}
	case 3:
		r = bh_keystore_personal_sign(&c, "hello", 5, sig, &m);
		check_rc(r, &m);
		if (r < 0 && !all(sig, 65, 0xa5))
			abort();
		if (r == 0 && (sig[64] > 1 || bh_secp_sig_check(sig) != 0))
			abort();
		break;
	case 4:
		bh_buf_init(&out, 1 << 20);
		r = bh_keystore_ecies_decrypt(&c, (const uint8_t *)"ciphertext", 10, &out, &m);
		check_rc(r, &m);
		if (r < 0 && bh_buf_len(&out) != 0)
			abort();
		bh_buf_done(&out);
		break;
	default:
		memset(h, 0x11, sizeof(h));
		r = bh_keystore_tls_sign(&c, h, 32, der, &dlen, &m);
		check_rc(r, &m);
		if (r < 0 && (dlen != 12345 || !all(der, 72, 0xa5)))
			abort();
		if (r == 0 && (dlen < 8 || dlen > 72))
			abort();
		break;
	}
	/* every call connects (the socket exists), so the daemon serves exactly once */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2 * TIMEOUT_MS / 1000;
	while (sem_timedwait(&served, &ts) != 0)
		if (errno != EINTR)
			abort();
	bh_keystore_client_done(&c);
	return 0;
}

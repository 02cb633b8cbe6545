/* SPDX-License-Identifier: MIT */
/* Unit tests: socket framing (frame.h) and unix-socket server helpers (usock.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/frame.h"
#include "core/usock.h"

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void put_raw(int fd, const void *p, size_t n)
{
	assert_int_equal(write(fd, p, n), (ssize_t)n);
}

static void put_hdr(int fd, uint32_t n)
{
	uint8_t h[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
	put_raw(fd, h, 4);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_roundtrip(void **state)
{
	(void)state;
	int sv[2];
	struct bh_buf b;
	json_t *j = NULL;

	pair(sv);
	/* exact bytes on the wire: BE length + payload */
	assert_int_equal(bh_frame_write(sv[0], "{\"a\":1}", 7, 1000), 0);
	uint8_t raw[11];
	assert_int_equal(read(sv[1], raw, sizeof(raw)), 11);
	assert_memory_equal(raw, "\0\0\0\x07{\"a\":1}", 11);

	bh_buf_init(&b, 1024);
	assert_int_equal(bh_frame_write(sv[0], "{\"x\":\"y\"}", 9, 1000), 0);
	assert_int_equal(bh_frame_read(sv[1], 1024, 1000, &b), 0);
	assert_int_equal(bh_buf_len(&b), 9);
	assert_memory_equal(bh_buf_ptr(&b), "{\"x\":\"y\"}", 9);
	bh_buf_done(&b);

	/* JSON helpers, UTF-8 payload */
	json_t *o = json_pack("{s:s, s:{s:i}}", "action", "ip6-route-add", "params", "n", 5);
	json_object_set_new(o, "u", json_string("\xc3\xa9t\xc3\xa9"));
	assert_int_equal(bh_frame_write_json(sv[0], o, 1000), 0);
	assert_int_equal(bh_frame_read_json(sv[1], BH_FRAME_MAX_REQUEST, 1000, &j), 0);
	assert_true(json_equal(o, j));
	json_decref(j);
	json_decref(o);
	/* not an object */
	json_t *arr = json_array();
	assert_int_equal(bh_frame_write_json(sv[0], arr, 1000), -EINVAL);
	json_decref(arr);
	close(sv[0]);
	close(sv[1]);
}

/* A large frame crosses many socket buffers: short reads and writes on both sides. */
static void test_large_frame(void **state)
{
	(void)state;
	int sv[2];
	size_t n = 3u * 1024u * 1024u + 17;
	uint8_t *p = malloc(n);
	struct bh_buf b;

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + 7);
	pair(sv);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[1]);
		_exit(bh_frame_write(sv[0], p, n, 10000) == 0 ? 0 : 1);
	}
	close(sv[0]);
	bh_buf_init(&b, n);
	assert_int_equal(bh_frame_read(sv[1], n, 10000, &b), 0);
	assert_int_equal(bh_buf_len(&b), n);
	assert_memory_equal(bh_buf_ptr(&b), p, n);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	bh_buf_done(&b);
	free(p);
	close(sv[1]);
}

/*
 * A header claiming 4 GiB - 1 is refused before allocating: run the reader with
 * an address-space limit far below that (in a child, so the limit is contained).
 */
static void test_oversize_before_alloc(void **state)
{
	(void)state;
	int sv[2];
	struct bh_buf b;

	pair(sv);
	put_hdr(sv[0], 0xffffffffu);
	bh_buf_init(&b, BH_BUF_SIZE_MAX);
	assert_int_equal(bh_frame_read(sv[1], BH_FRAME_MAX_REQUEST, 1000, &b), BH_ERR_LIMIT);
	assert_int_equal(bh_buf_len(&b), 0);
	bh_buf_done(&b);

	/* cap = exactly N accepted, N+1 refused */
	put_hdr(sv[0], 5);
	put_raw(sv[0], "{\"\":0", 5);
	bh_buf_init(&b, 100);
	assert_int_equal(bh_frame_read(sv[1], 5, 1000, &b), 0);
	bh_buf_reset(&b);
	put_hdr(sv[0], 6);
	assert_int_equal(bh_frame_read(sv[1], 5, 1000, &b), BH_ERR_LIMIT);
	/* the buffer's own cap counts too */
	bh_buf_done(&b);
	bh_buf_init(&b, 4);
	put_hdr(sv[0], 5);
	assert_int_equal(bh_frame_read(sv[1], 100, 1000, &b), BH_ERR_LIMIT);
	bh_buf_done(&b);
	close(sv[0]);
	close(sv[1]);

#ifndef __SANITIZE_ADDRESS__ /* ASan reserves terabytes of address space */
	pair(sv);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 64u << 20, 64u << 20 };
		struct bh_buf cb;
		/* a reader that would allocate the claimed size could not under this limit */
		if (setrlimit(RLIMIT_AS, &rl) < 0)
			_exit(2);
		void *probe = malloc(256u << 20);
		if (probe)
			_exit(3); /* the limit does not bite: the test would prove nothing */
		bh_buf_init(&cb, BH_BUF_SIZE_MAX);
		put_hdr(sv[0], 0xffffffffu);
		int r = bh_frame_read(sv[1], UINT32_MAX, 1000, &cb);
		_exit(r == BH_ERR_LIMIT ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(sv[0]);
	close(sv[1]);
#endif
}

/* A peer announcing a large frame but sending little costs only what arrived. */
static void test_alloc_follows_data(void **state)
{
	(void)state;
	int sv[2];
	struct bh_buf b;

	pair(sv);
	put_hdr(sv[0], BH_FRAME_MAX_REQUEST);
	put_raw(sv[0], "{", 1);
	close(sv[0]);
	bh_buf_init(&b, BH_FRAME_MAX_REQUEST);
	assert_int_equal(bh_frame_read(sv[1], BH_FRAME_MAX_REQUEST, 1000, &b), BH_ERR_INCOMPLETE);
	assert_true(b.alloc <= 128u * 1024u); /* white-box: one chunk, not 10 MiB */
	assert_int_equal(bh_buf_len(&b), 0);   /* left unchanged */
	bh_buf_done(&b);
	close(sv[1]);
}

static void test_short_and_zero(void **state)
{
	(void)state;
	int sv[2];
	struct bh_buf b;

	bh_buf_init(&b, 1024);
	/* EOF inside the header */
	pair(sv);
	put_raw(sv[0], "\0\0", 2);
	close(sv[0]);
	assert_int_equal(bh_frame_read(sv[1], 1024, 1000, &b), BH_ERR_INCOMPLETE);
	close(sv[1]);
	/* EOF before anything */
	pair(sv);
	close(sv[0]);
	assert_int_equal(bh_frame_read(sv[1], 1024, 1000, &b), BH_ERR_INCOMPLETE);
	close(sv[1]);
	/* EOF inside the payload; previous contents of the buffer are kept */
	assert_int_equal(bh_buf_put(&b, "keep", 4), 0);
	pair(sv);
	put_hdr(sv[0], 10);
	put_raw(sv[0], "{\"a\":", 5);
	close(sv[0]);
	assert_int_equal(bh_frame_read(sv[1], 1024, 1000, &b), BH_ERR_INCOMPLETE);
	assert_int_equal(bh_buf_len(&b), 4);
	close(sv[1]);
	/* zero length */
	pair(sv);
	put_hdr(sv[0], 0);
	assert_int_equal(bh_frame_read(sv[1], 1024, 1000, &b), BH_ERR_FORMAT);
	assert_int_equal(bh_frame_write(sv[0], "", 0, 1000), BH_ERR_FORMAT);
	close(sv[0]);
	close(sv[1]);
	bh_buf_done(&b);
	/* bad fd */
	bh_buf_init(&b, 16);
	assert_true(bh_frame_read(-1, 16, 100, &b) < 0);
	bh_buf_done(&b);
}

static void test_timeout(void **state)
{
	(void)state;
	int sv[2];
	struct bh_buf b;

	pair(sv);
	bh_buf_init(&b, 1024);
	int64_t t0 = mono_ms();
	assert_int_equal(bh_frame_read(sv[1], 1024, 200, &b), BH_ERR_TIMEOUT);
	int64_t dt = mono_ms() - t0;
	assert_true(dt >= 190 && dt < 2000);
	/* a trickle of bytes does not extend a total deadline */
	put_hdr(sv[0], 100);
	t0 = mono_ms();
	assert_int_equal(bh_frame_read(sv[1], 1024, 150, &b), BH_ERR_TIMEOUT);
	assert_true(mono_ms() - t0 < 2000);
	bh_buf_done(&b);

	/* write timeout: nobody reads, the socket buffer fills */
	int sz = 4096;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	size_t n = 8u * 1024u * 1024u;
	uint8_t *p = calloc(1, n);
	assert_non_null(p);
	t0 = mono_ms();
	assert_int_equal(bh_frame_write(sv[0], p, n, 200), BH_ERR_TIMEOUT);
	assert_true(mono_ms() - t0 < 3000);
	assert_int_equal(bh_frame_write(sv[0], p, BH_FRAME_MAX_REQUEST + 1, 200), BH_ERR_LIMIT);
	free(p);
	close(sv[0]);
	close(sv[1]);
}

static void test_write_peer_gone(void **state)
{
	(void)state;
	int sv[2];

	pair(sv);
	close(sv[1]);
	/* no SIGPIPE (it would kill the test) */
	assert_int_equal(bh_frame_write(sv[0], "{}", 2, 1000), -EPIPE);
	close(sv[0]);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void test_eintr(void **state)
{
	(void)state;
	int sv[2];
	struct bh_buf b;
	struct sigaction sa = { .sa_handler = on_usr1 }, old;

	/* a handler without SA_RESTART makes poll fail with EINTR */
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	pair(sv);
	pid_t parent = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		for (int i = 0; i < 4; i++) {
			nanosleep(&ts, NULL);
			kill(parent, SIGUSR1);
		}
		put_hdr(sv[0], 2);
		put_raw(sv[0], "{}", 2);
		_exit(0);
	}
	bh_buf_init(&b, 64);
	assert_int_equal(bh_frame_read(sv[1], 64, 5000, &b), 0);
	assert_memory_equal(bh_buf_ptr(&b), "{}", 2);
	bh_buf_done(&b);
	waitpid(pid, NULL, 0);
	sigaction(SIGUSR1, &old, NULL);
	close(sv[0]);
	close(sv[1]);
}

static void test_decode_json(void **state)
{
	(void)state;
	json_t *j = NULL;
#define DEC(s) bh_frame_decode_json(s, sizeof(s) - 1, &j)
	assert_int_equal(DEC("{\"action\":\"x\",\"params\":{}}"), 0);
	json_decref(j);
	assert_int_equal(DEC(" {\"a\":1} \n"), 0); /* surrounding whitespace is fine */
	json_decref(j);
	assert_int_equal(DEC("{\"a\":1} x"), BH_ERR_TRAILING);
	assert_int_equal(DEC("{\"a\":1}{\"b\":2}"), BH_ERR_TRAILING);
	assert_int_equal(DEC("{\"a\":1,\"a\":2}"), BH_ERR_DUPLICATE);
	assert_int_equal(DEC("{\"p\":{\"k\":1,\"k\":1}}"), BH_ERR_DUPLICATE);
	assert_int_equal(DEC("[1,2]"), BH_ERR_WRONG_TYPE);
	assert_int_equal(DEC("\"str\""), BH_ERR_WRONG_TYPE);
	assert_int_equal(DEC("{\"a\":"), BH_ERR_INCOMPLETE);
	assert_int_equal(DEC("{\"a\":1\0}"), BH_ERR_NUL);
	assert_int_equal(DEC("{\"a\":\"\\u0000\"}"), BH_ERR_NUL);
	assert_int_equal(DEC("{\"a\":\"\xff\"}"), BH_ERR_UTF8);
	assert_int_equal(DEC("{\"a\":1e999999}"), BH_ERR_RANGE);
	assert_int_equal(DEC("{'a':1}"), BH_ERR_FORMAT);
	assert_int_equal(bh_frame_decode_json("", 0, &j), BH_ERR_FORMAT);
	/* deep nesting is refused, not recursed into without bound */
	size_t depth = 5000;
	char *deep = malloc(2 * depth + 8);
	size_t k = 0;
	deep[k++] = '{';
	deep[k++] = '"';
	deep[k++] = 'a';
	deep[k++] = '"';
	deep[k++] = ':';
	for (size_t i = 0; i < depth; i++)
		deep[k++] = '[';
	for (size_t i = 0; i < depth; i++)
		deep[k++] = ']';
	deep[k++] = '}';
	assert_int_equal(bh_frame_decode_json(deep, k, &j), BH_ERR_LIMIT);
	free(deep);
#undef DEC
}

/* read_json over a socket rejects what decode_json rejects */
static void test_read_json_errors(void **state)
{
	(void)state;
	int sv[2];
	json_t *j = NULL;

	pair(sv);
	put_hdr(sv[0], 9);
	put_raw(sv[0], "{\"a\":1}xx", 9);
	assert_int_equal(bh_frame_read_json(sv[1], 64, 1000, &j), BH_ERR_TRAILING);
	put_hdr(sv[0], 13);
	put_raw(sv[0], "{\"a\":1,\"a\":2}", 13);
	assert_int_equal(bh_frame_read_json(sv[1], 64, 1000, &j), BH_ERR_DUPLICATE);
	put_hdr(sv[0], 100);
	assert_int_equal(bh_frame_read_json(sv[1], 64, 1000, &j), BH_ERR_LIMIT);
	assert_null(j);
	close(sv[0]);
	close(sv[1]);
}

static char tmpdir[64];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bhframeXXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	(void)state;
	char p[128];
	snprintf(p, sizeof(p), "%s/s.sock", tmpdir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/file", tmpdir);
	unlink(p);
	rmdir(tmpdir);
	return 0;
}

/* A tiny one-shot server in a child: accept, check peer, echo {"ok":true,"req":...}. */
static pid_t serve_once(int lfd, int reply_mode)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid)
		return pid;
	int c, rc = 1;
	json_t *req = NULL;
	struct bh_peer peer;
	if (bh_usock_accept(lfd, 5000, &c) < 0)
		_exit(10);
	if (bh_usock_peer(c, &peer) < 0 || peer.uid != getuid() || peer.gid != getgid() ||
	    peer.pid != getppid())
		_exit(11);
	if (reply_mode == 3) {
		/* answer and close without reading the request (a refusal at accept) */
		json_t *resp = json_pack("{s:b, s:s}", "ok", 0, "error", "denied");
		rc = bh_frame_write_json(c, resp, 5000) < 0 ? 15 : 0;
		json_decref(resp);
		close(c);
		_exit(rc);
	}
	if (bh_frame_read_json(c, BH_FRAME_MAX_REQUEST, BH_FRAME_SERVER_TIMEOUT_MS, &req) < 0)
		_exit(12);
	if (reply_mode == 0) {
		json_t *resp = json_pack("{s:b, s:O}", "ok", 1, "req", req);
		rc = bh_frame_write_json(c, resp, 5000) < 0 ? 13 : 0;
		json_decref(resp);
	} else if (reply_mode == 1) {
		/* oversize reply header */
		uint8_t h[4] = { 0, 0x20, 0, 0 };
		rc = write(c, h, 4) == 4 ? 0 : 14;
	} else {
		/* close without replying */
		rc = 0;
	}
	json_decref(req);
	close(c);
	_exit(rc);
}

static void test_server_client(void **state)
{
	(void)state;
	char path[128];
	int lfd = -1, st;
	struct stat sb;
	json_t *resp = NULL;

	snprintf(path, sizeof(path), "%s/s.sock", tmpdir);
	/* a stale socket from a previous run is replaced */
	assert_int_equal(bh_usock_listen(path, 0660, BH_USOCK_KEEP_ID, BH_USOCK_KEEP_ID, 4, &lfd), 0);
	close(lfd);
	assert_int_equal(bh_usock_listen(path, 0660, getuid(), getgid(), 4, &lfd), 0);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISSOCK(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0660);
	assert_int_equal(sb.st_uid, getuid());
	assert_int_equal(fcntl(lfd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

	json_t *req = json_pack("{s:s, s:{s:s}}", "action", "virsh-start", "params", "domain", "vm1");
	pid_t pid = serve_once(lfd, 0);
	assert_int_equal(bh_frame_call(path, req, BH_FRAME_MAX_RESPONSE, 5000, &resp), 0);
	assert_true(json_is_true(json_object_get(resp, "ok")));
	assert_true(json_equal(json_object_get(resp, "req"), req));
	json_decref(resp);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	/* the client caps the response */
	pid = serve_once(lfd, 1);
	resp = NULL;
	assert_int_equal(bh_frame_call(path, req, BH_FRAME_MAX_RESPONSE, 5000, &resp), BH_ERR_LIMIT);
	assert_null(resp);
	waitpid(pid, &st, 0);
	assert_int_equal(WEXITSTATUS(st), 0);
	/* server hangs up */
	pid = serve_once(lfd, 2);
	assert_int_equal(bh_frame_call(path, req, BH_FRAME_MAX_RESPONSE, 5000, &resp),
			 BH_ERR_INCOMPLETE);
	waitpid(pid, &st, 0);
	/* the server answers and closes before reading: the client's write fails (a
	 * request larger than the socket buffer, so it is still being written), the
	 * answer is returned all the same */
	{
		char *big = malloc(2u * 1024u * 1024u);
		assert_non_null(big);
		memset(big, 'a', 2u * 1024u * 1024u - 1);
		big[2u * 1024u * 1024u - 1] = '\0';
		json_t *bigreq = json_pack("{s:s}", "pad", big);
		free(big);
		pid = serve_once(lfd, 3);
		assert_int_equal(bh_frame_call(path, bigreq, BH_FRAME_MAX_RESPONSE, 5000, &resp), 0);
		assert_string_equal(json_string_value(json_object_get(resp, "error")), "denied");
		json_decref(resp);
		resp = NULL;
		json_decref(bigreq);
		waitpid(pid, &st, 0);
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	/* nobody accepts: the client's deadline holds */
	int64_t t0 = mono_ms();
	assert_int_equal(bh_frame_call(path, req, BH_FRAME_MAX_RESPONSE, 200, &resp), BH_ERR_TIMEOUT);
	assert_true(mono_ms() - t0 < 3000);
	/* accept timeout on the server side (the connection above is pending: take it first) */
	int c;
	assert_int_equal(bh_usock_accept(lfd, 1000, &c), 0);
	close(c);
	assert_int_equal(bh_usock_accept(lfd, 100, &c), BH_ERR_TIMEOUT);
	close(lfd);
	/* no server */
	unlink(path);
	assert_int_equal(bh_frame_call(path, req, 1024, 1000, &resp), -ENOENT);
	/* a path that does not fit sun_path */
	char longp[200];
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	assert_int_equal(bh_frame_call(longp, req, 1024, 1000, &resp), -ENAMETOOLONG);
	assert_int_equal(bh_usock_listen(longp, 0600, BH_USOCK_KEEP_ID, BH_USOCK_KEEP_ID, 1, &lfd),
			 -ENAMETOOLONG);
	json_decref(req);

	/* a regular file at the socket path is never unlinked */
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(bh_usock_listen(path, 0600, BH_USOCK_KEEP_ID, BH_USOCK_KEEP_ID, 1, &lfd),
			 BH_ERR_EXISTS);
	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));

	/* the mode comes from bind (no chmod by name that a swapped-in symlink could
	 * redirect): exact whatever the caller's umask, which is restored afterwards */
	char sp[300];
	snprintf(sp, sizeof(sp), "%s/m.sock", tmpdir);
	static const mode_t modes[] = { 0600, 0640, 0660, 0666 };
	mode_t saved = umask(0077);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(bh_usock_listen(sp, modes[i], getuid(), getgid(), 1, &lfd), 0);
		assert_int_equal(lstat(sp, &sb), 0);
		assert_true(S_ISSOCK(sb.st_mode));
		assert_int_equal(sb.st_mode & 0777, modes[i]);
		close(lfd);
		assert_int_equal(umask(0077), 0077);
	}
	umask(saved);
	unlink(sp);
	/* a symlink at the socket path (to a file we own) is neither followed nor
	 * removed, and its target's mode is untouched */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(symlink(path, sp), 0);
	assert_int_equal(bh_usock_listen(sp, 0666, BH_USOCK_KEEP_ID, BH_USOCK_KEEP_ID, 1, &lfd),
			 BH_ERR_EXISTS);
	assert_int_equal(lstat(sp, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	unlink(sp);
}

static void test_peer_socketpair(void **state)
{
	(void)state;
	int sv[2];
	struct bh_peer p;

	pair(sv);
	assert_int_equal(bh_usock_peer(sv[0], &p), 0);
	assert_int_equal(p.pid, getpid());
	assert_int_equal(p.uid, getuid());
	assert_int_equal(p.gid, getgid());

	/* the peer's groups as the kernel recorded them: ours */
	bool in = false;
	assert_int_equal(bh_usock_peer_in_group(sv[0], getegid(), &in), 0);
	assert_true(in);
	gid_t gs[512];
	int ng = getgroups(512, gs);
	assert_true(ng >= 0);
	for (int i = 0; i < ng; i++) {
		in = false;
		assert_int_equal(bh_usock_peer_in_group(sv[0], gs[i], &in), 0);
		assert_true(in);
	}
	in = true;
	assert_int_equal(bh_usock_peer_in_group(sv[0], (gid_t)0x7ffffff0, &in), 0);
	assert_false(in);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(bh_usock_peer(0x7fff, &p), -EBADF);
	assert_int_equal(bh_usock_peer_in_group(0x7fff, 0, &in), -EBADF);
}

/* A peer with different groups than ours: a child drops to uid/gid 65534 (needs root). */
static void test_peer_other_ids(void **state)
{
	(void)state;
	int sv[2];
	struct bh_peer p;
	bool in = true;

	if (geteuid() != 0)
		skip();
	pair(sv);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[1]);
		gid_t g = 65534;
		if (setgroups(1, &g) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(1);
		int c[2];
		/* connect-time credentials: a fresh socket pair made after dropping */
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c) < 0)
			_exit(2);
		/* hand one end to the parent over the original pair */
		char byte = 0;
		struct iovec iov = { &byte, 1 };
		union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				     .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &c[0], sizeof(int));
		if (sendmsg(sv[0], &mh, 0) != 1)
			_exit(3);
		char done;
		if (read(sv[0], &done, 1) < 0)
			_exit(4);
		_exit(0);
	}
	close(sv[0]);
	char byte;
	struct iovec iov = { &byte, 1 };
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	assert_int_equal(recvmsg(sv[1], &mh, 0), 1);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	assert_non_null(cm);
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	/* fd's peer is the child's other end, created by uid/gid 65534 */
	assert_int_equal(bh_usock_peer(fd, &p), 0);
	assert_int_equal(p.uid, 65534);
	assert_int_equal(p.gid, 65534);
	assert_int_equal(p.pid, pid);
	assert_int_equal(bh_usock_peer_in_group(fd, 0, &in), 0);
	assert_false(in);
	assert_int_equal(bh_usock_peer_in_group(fd, 65534, &in), 0);
	assert_true(in);
	close(fd);
	close(sv[1]); /* lets the child exit */
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_groups(void **state)
{
	(void)state;
	bool in = false;
	gid_t g;
	struct passwd *pw = getpwuid(getuid());

	assert_non_null(pw);
	assert_int_equal(bh_uid_in_group(getuid(), pw->pw_gid, &in), 0);
	assert_true(in);
	/* every supplementary group of the account (from the database) */
	int ng = 256;
	gid_t groups[256];
	assert_true(getgrouplist(pw->pw_name, pw->pw_gid, groups, &ng) >= 0);
	for (int i = 0; i < ng; i++) {
		in = false;
		assert_int_equal(bh_uid_in_group(getuid(), groups[i], &in), 0);
		assert_true(in);
	}
	/* a gid nobody has */
	in = true;
	assert_int_equal(bh_uid_in_group(getuid(), (gid_t)0x7ffffff0, &in), 0);
	assert_false(in);
	/* an unknown uid */
	assert_int_equal(bh_uid_in_group((uid_t)0x7ffffff0, 0, &in), BH_ERR_NOT_FOUND);
	/* root is in group root (gid 0) on every Linux */
	assert_int_equal(bh_group_lookup("root", &g), 0);
	assert_int_equal(g, 0);
	assert_int_equal(bh_group_lookup("no-such-group-bh", &g), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_group_lookup("", &g), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_large_frame),
		cmocka_unit_test(test_oversize_before_alloc),
		cmocka_unit_test(test_alloc_follows_data),
		cmocka_unit_test(test_short_and_zero),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_write_peer_gone),
		cmocka_unit_test(test_eintr),
		cmocka_unit_test(test_decode_json),
		cmocka_unit_test(test_read_json_errors),
		cmocka_unit_test_setup_teardown(test_server_client, setup_dir, teardown_dir),
		cmocka_unit_test(test_peer_socketpair),
		cmocka_unit_test(test_peer_other_ids),
		cmocka_unit_test(test_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

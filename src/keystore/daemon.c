/* SPDX-License-Identifier: MIT */
/*
 * blockhost-keystore serve: the keystore daemon (docs/PROTOCOL.keystore).
 *
 * Start-up order (each step before the next; any failure exits non-zero):
 *  1. PR_SET_DUMPABLE 0 and RLIMIT_CORE 0 at once, before any secret exists;
 *  2. policy/blockhost-keystore.policy: sandbox sections + [socket] + [transactions]
 *     (user and group names resolved now: NSS is unusable under the filter);
 *  3. TPM: open, unseal the three keys into libsodium guarded memory (mlock'd,
 *     guard pages, excluded from core dumps), close the TPM again — the daemon
 *     never talks to the TPM after start, so its filter allows no TPM access;
 *     the key pages are PROT_NONE (sodium_mprotect_noaccess) between requests;
 *  4. the daily value counter, the unix socket;
 *  5. bh_sandbox_apply: rlimits, identity (when root), no capabilities,
 *     no_new_privs, non-dumpable, the seccomp filter seccomp/blockhost-keystore;
 *  6. serve: one request per connection, peer checked by SO_PEERCRED.
 */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "blob.h"
#include "core/buf.h"
#include "cli.h"
#include "core/deadline.h"
#include "eth/eth.h"
#include "core/frame.h"
#include "core/log.h"
#include "ops.h"
#include "core/path.h"
#include "sandbox/policy.h"
#include "sandbox/sandbox.h"
#include "core/usock.h"

#define KS_REQUEST_MAX (512u * 1024u)
#define KS_READ_TIMEOUT_MS 2000
#define KS_STRANGER_MAX 4096
#define KS_STRANGER_TIMEOUT_MS 250

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Per-connection I/O of the serve loop.  Same frames and limits as frame.h's
 * bh_frame_read/bh_frame_write_json, in fewer system calls (measured with strace -c
 * during `make bench-keystore`: 14.3 calls per request before, see the git log):
 *  - accept: accept4 on the non-blocking listening socket first, poll only when the
 *    backlog is empty, so queued clients are drained without a wake-up each;
 *  - read: the connection is non-blocking; a read is tried before any poll (the request
 *    has normally arrived by the time the connection is accepted), and header and
 *    payload come in one read when they fit the first chunk.  The length cap is
 *    checked before the request buffer grows; the deadline still bounds the whole
 *    frame;
 *  - write: header and JSON in one send (MSG_NOSIGNAL|MSG_DONTWAIT), poll only when
 *    the socket buffer is full.
 */
#define KS_FIRST_READ 4096

static int ks_accept(int lfd, int timeout_ms, int *ret_fd)
{
	int64_t deadline = bh_deadline_from_ms(timeout_ms);

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			*ret_fd = fd;
			return 0;
		}
		if (errno == EINTR)
			return -EINTR;
		/* a client that gave up while queued: take the next one */
		if (errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return bh_negerrno();
		int r = bh_fd_wait(lfd, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

/* read what is there (at most n bytes), waiting until the deadline for the first byte */
static int ks_read_some(int fd, uint8_t *p, size_t n, int64_t deadline, size_t *got)
{
	for (;;) {
		ssize_t k = read(fd, p, n);
		if (k > 0) {
			*got = (size_t)k;
			return 0;
		}
		if (k == 0)
			return BH_ERR_INCOMPLETE;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return bh_negerrno();
		int r = bh_fd_wait(fd, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

/* One frame (4-byte big-endian length, 1..max bytes) appended to out; bytes after the
 * frame are ignored (one request per connection). */
static int ks_read_frame(int fd, size_t max, int timeout_ms, struct bh_buf *out,
			 size_t *declared)
{
	int64_t deadline = bh_deadline_from_ms(timeout_ms);
	uint8_t first[KS_FIRST_READ];
	size_t have = 0, got;
	int r;

	while (have < 4) {
		if ((r = ks_read_some(fd, first + have, sizeof(first) - have, deadline, &got)) < 0)
			goto out;
		have += got;
	}
	uint32_t n = (uint32_t)first[0] << 24 | (uint32_t)first[1] << 16 |
		     (uint32_t)first[2] << 8 | first[3];
	r = BH_ERR_FORMAT;
	if (n == 0)
		goto out;
	/* the cap is checked before any allocation */
	r = BH_ERR_LIMIT;
	if (n > max || n > bh_buf_avail(out))
		goto out;
	if (n > *declared)
		*declared = n;
	size_t start = bh_buf_len(out), in_first = have - 4 < n ? have - 4 : n;
	if ((r = bh_buf_put(out, first + 4, in_first)) < 0)
		goto out;
	size_t left = n - in_first;
	while (left > 0) {
		size_t chunk = left < 64u * 1024u ? left : 64u * 1024u;
		uint8_t *p;
		if ((r = bh_buf_reserve(out, chunk, &p)) < 0)
			break;
		size_t done = 0;
		while (done < chunk && (r = ks_read_some(fd, p + done, chunk - done, deadline,
							 &got)) == 0)
			done += got;
		if (r < 0)
			break;
		left -= chunk;
	}
	if (r < 0)
		(void)bh_buf_truncate(out, start);
out:
	explicit_bzero(first, sizeof(first));
	return r;
}

/* Wipe the request buffer for the next connection.  bh_buf_reset wipes the whole
 * allocation, which never shrinks: after one request near the 512 KiB cap every later
 * request would pay for a memset that size (twice).  A buffer that grew past
 * KS_REQ_KEEP is therefore freed (bh_buf_done wipes it first) and started afresh. */
#define KS_REQ_KEEP (16u * 1024u)
static void ks_req_clear(struct bh_buf *req, size_t *declared)
{
	if (*declared > KS_REQ_KEEP) {
		bh_buf_done(req);
		bh_buf_init(req, KS_REQUEST_MAX);
	} else {
		bh_buf_reset(req);
	}
	*declared = 0;
}

/* The reply as one frame in one send when the socket buffer takes it (it does for
 * every reply of this protocol); the buffer is wiped (a decrypted plaintext). */
static int ks_write_json(int fd, const json_t *obj, int timeout_ms)
{
	int64_t deadline = bh_deadline_from_ms(timeout_ms);
	char small[2048], *buf = small;
	size_t cap = sizeof(small), n;
	int r = 0;

	if (!json_is_object(obj))
		return -EINVAL;
	n = json_dumpb(obj, buf + 4, cap - 4, JSON_COMPACT);
	if (n == 0)
		return -ENOMEM;
	if (n > BH_FRAME_MAX_RESPONSE)
		return BH_ERR_LIMIT;
	if (n > cap - 4) {
		cap = n + 4;
		if (!(buf = malloc(cap)))
			return -ENOMEM;
		if (json_dumpb(obj, buf + 4, n, JSON_COMPACT) != n) {
			r = BH_ERR_INTERNAL;
			goto out;
		}
	}
	buf[0] = (char)(n >> 24);
	buf[1] = (char)(n >> 16);
	buf[2] = (char)(n >> 8);
	buf[3] = (char)n;
	const char *p = buf;
	size_t left = n + 4;
	while (left > 0) {
		ssize_t k = send(fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k >= 0) {
			p += k;
			left -= (size_t)k;
			continue;
		}
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
			r = bh_negerrno();
			break;
		}
		if ((r = bh_fd_wait(fd, POLLOUT, deadline)) < 0)
			break;
	}
out:
	explicit_bzero(buf, cap);
	if (buf != small)
		free(buf);
	return r;
}

static const char serve_usage[] =
	"usage: blockhost-keystore [--config F] [--tcti T] serve [--socket PATH] [--no-setid]"
#ifdef KS_TEST_HOOKS
	" [--test-forbidden-syscall]"
#endif
	"\n"
	"Run the keystore daemon: unseal the keys into locked memory, sandbox itself\n"
	"(policy/blockhost-keystore.policy, seccomp/blockhost-keystore) and answer requests\n"
	"on the unix socket (default <run>/keystore.sock; docs/PROTOCOL.keystore).\n"
	"[socket] and [transactions] in <etc>/keystore.policy replace the shipped ones.\n"
	"When started as root it switches to the policy's [identity] user unless --no-setid\n"
	"(for a service manager that already did, or tests).  Exit 3 when the PCR policy is\n"
	"not satisfied (the message names the PCR), 4 without a TPM, 5 on TPM lockout,\n"
	"6 when a sealed key is missing.\n";

int ks_cmd_serve(struct ks_global *g, int argc, char **argv)
{
	static const struct option o[] = {
		{ "socket", 1, NULL, 's' },
		{ "no-setid", 0, NULL, 'n' }, { "help", 0, NULL, 'h' },
#ifdef KS_TEST_HOOKS
		{ "test-forbidden-syscall", 0, NULL, 'X' },
#endif
		{ 0 } };
	const char *sock = g->cfg.socket;
	char *sitepath = NULL;
	struct bh_ini *site = NULL;
	bool setid = true, forbidden = false;
	int c, r, lfd = -1, kdfd = -1;
	struct bh_msg m = { "" };
	struct bh_policy *pol = NULL;
	struct ks_policy kp;
	struct bh_tpm *t = NULL;
	struct bh_ks_keys *keys = NULL;
	struct ks_server srv = { 0 };
	char *counter = NULL, *flag = NULL, *flagdir = NULL, *rundir = NULL;
	struct rlimit nocore = { 0, 0 };
	struct timespec t0;
	uint8_t a[20];
	char addr[BH_ADDR_STR_LEN + 1];

	memset(&kp, 0, sizeof(kp));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'n': setid = false; break;
		case 'X': forbidden = true; break;
		case 'h': fputs(serve_usage, stdout); return 0;
		default: fputs(serve_usage, stderr); return KS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(serve_usage, stderr);
		return KS_EXIT_USAGE;
	}
	/* 1. no core dumps, no ptrace by the same uid, before any secret exists */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || setrlimit(RLIMIT_CORE, &nocore) < 0) {
		r = bh_negerrno();
		log_error_r(r, "PR_SET_DUMPABLE / RLIMIT_CORE");
		goto out;
	}
	/* 2. policy */
	if ((r = bh_path(BH_DIR_ETC, "keystore.policy", &sitepath)) < 0)
		goto out;
	r = ks_site_policy_load(sitepath, &site, &m);
	if (r < 0 && r != -ENOENT) {
		log_error("site policy: %s (%s)", m.text, bh_strerror(r));
		goto out;
	}
	if ((r = bh_policy_load(NULL, "blockhost-keystore", &pol, &m)) < 0 ||
	    (r = ks_policy_from_ini(pol, site, &kp, &m)) < 0) {
		log_error("policy: %s (%s)", m.text, bh_strerror(r));
		goto out;
	}
	/* 3. keys */
	if ((r = ks_tpm_open(g, &t)) < 0)
		goto out;
	if (!(keys = bh_ks_keys_new())) {
		r = -ENOMEM;
		log_error("cannot allocate guarded memory (RLIMIT_MEMLOCK?)");
		goto out;
	}
	/* the keystore directory: no symlink, owned by root, us or the [identity] user, 0700;
	 * blobs and the counter only through this fd */
	{
		struct passwd *pw = pol->user[0] ? getpwnam(pol->user) : NULL;
		if ((r = bh_ks_dir_open(g->cfg.dir, false, pw ? pw->pw_uid : (uid_t)-1, &kdfd,
					&m)) < 0) {
			log_error("refusing to start: %s", m.text);
			goto out;
		}
	}
	if ((r = bh_ks_unseal_all(t, kdfd, g->cfg.dir, keys, &m)) < 0) {
		log_error("refusing to start: %s (%s)", m.text, bh_strerror(r));
		goto out;
	}
	bh_tpm_close(t);
	t = NULL;
	if ((r = bh_ks_wallet_address(keys, a)) < 0)
		goto out;
	bh_ks_keys_lock(keys);
	bh_eth_addr_checksum(a, addr);

	/* 4. counter, deployment flag, socket */
	if (asprintf(&counter, "%s/%s", g->cfg.dir, KS_COUNTER_FILE) < 0 ||
	    (r = bh_path(BH_DIR_ETC, NULL, &flagdir)) < 0 ||
	    (r = bh_path(BH_DIR_ETC, "finalization-open", &flag)) < 0 ||
	    (r = bh_path(BH_DIR_RUN, NULL, &rundir)) < 0) {
		r = -ENOMEM;
		goto out;
	}
	srv.keys = keys;
	srv.policy = &kp;
	srv.counter_path = counter;
	srv.counter_dirfd = kdfd;
	srv.deploy_flag_path = flag;
	/* the deployment gate's directory, opened now (as root, before the sandbox) and
	 * checked again with the flag on every deployment request */
	if (kp.allow_deploy) {
		r = ks_deploy_dir_open(flagdir, &srv.deploy_dirfd, &m);
		if (r == 0)
			srv.has_deploy_dir = true;
		else
			log_warn("deployment gate shut for this run: %s", m.text);
	}
	if ((r = ks_counter_load(&srv, &m)) < 0) {
		log_error("daily value counter: %s", m.text);
		goto out;
	}
	if (sock == g->cfg.socket && mkdir(rundir, 0755) < 0 && errno != EEXIST) {
		r = bh_negerrno();
		log_error_r(r, "%s", rundir);
		goto out;
	}
	if ((r = bh_usock_listen(sock, kp.sock_mode, BH_USOCK_KEEP_ID,
				 kp.has_sock_group ? kp.sock_group : BH_USOCK_KEEP_ID, 64, &lfd)) < 0) {
		log_error_r(r, "listen on %s", sock);
		goto out;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* 5. sandbox: nothing is opened by name through NSS or dlopen after this */
	if ((r = bh_sandbox_apply("blockhost-keystore",
				  (setid && getuid() == 0) ? BH_SANDBOX_SETID : 0, &m)) < 0) {
		log_error("sandbox: %s (%s)", m.text, bh_strerror(r));
		goto out;
	}
#ifdef KS_TEST_HOOKS
	if (forbidden) {
		/* test build only: an IP socket is outside the filter -> SIGSYS */
		log_info("test: calling socket(AF_INET) under the filter");
		int s = socket(AF_INET, SOCK_STREAM, 0);
		log_error("test: socket(AF_INET) returned %d: the filter did not kill us", s);
		r = BH_ERR_INTERNAL;
		goto out;
	}
#else
	(void)forbidden;
#endif
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("serving %s on %s (wallet %s; started in %.1f ms)", "wallet, server-ecies, tls",
		 sock, addr, (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		 (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);

	/* 6. serve */
	struct bh_buf req;
	size_t declared = 0; /* largest frame length announced since the last ks_req_clear */
	bh_buf_init(&req, KS_REQUEST_MAX);
	while (!stop) {
		int cfd = -1;
		struct bh_peer bp;
		json_t *resp = NULL;
		r = ks_accept(lfd, 500, &cfd);
		if (r == BH_ERR_TIMEOUT || r == -EINTR)
			continue;
		if (r < 0) {
			log_error_r(r, "accept");
			break;
		}
		if (bh_usock_peer(cfd, &bp) < 0) {
			close(cfd);
			continue;
		}
		struct ks_peer peer = { .pid = bp.pid, .uid = bp.uid, .gid = bp.gid };
		if (!ks_peer_known(&kp, &peer)) {
			/* refuse without interpreting anything from a stranger; its request is
			 * only drained (small cap, short deadline) so that its write does not
			 * fail with EPIPE before it can read the refusal */
			ks_req_clear(&req, &declared);
			/* the refusal is sent whether the drain worked or not */
			(void)ks_read_frame(cfd, KS_STRANGER_MAX, KS_STRANGER_TIMEOUT_MS, &req,
					    &declared);
			ks_req_clear(&req, &declared);
			log_warn("pid %d uid %u gid %u: not allowed by [socket]", (int)peer.pid,
				 (unsigned)peer.uid, (unsigned)peer.gid);
			if ((resp = ks_denied_peer(&peer))) {
				(void)ks_write_json(cfd, resp, KS_READ_TIMEOUT_MS);
				json_decref(resp);
			}
			close(cfd);
			continue;
		}
		ks_req_clear(&req, &declared);
		r = ks_read_frame(cfd, KS_REQUEST_MAX, KS_READ_TIMEOUT_MS, &req, &declared);
		if (r < 0) {
			log_warn_r(r, "pid %d uid %u: bad frame", (int)peer.pid, (unsigned)peer.uid);
			close(cfd);
			continue;
		}
		if (ks_handle(&srv, &peer, bh_buf_ptr(&req), bh_buf_len(&req), &resp) < 0) {
			close(cfd);
			continue;
		}
		ks_req_clear(&req, &declared);
		if (!json_is_true(json_object_get(resp, "ok")))
			log_warn("pid %d uid %u: %s refused: %s", (int)peer.pid, (unsigned)peer.uid,
				 json_string_value(json_object_get(resp, "op")) ?: "request",
				 json_string_value(json_object_get(resp, "message")) ?: "");
		(void)ks_write_json(cfd, resp, KS_READ_TIMEOUT_MS);
		ks_resp_wipe(resp); /* a decrypted plaintext: not left in freed heap */
		json_decref(resp);
		close(cfd);
	}
	bh_buf_done(&req);
	log_info("stopping");
	unlinkat(AT_FDCWD, sock, 0); /* (unlinkat: the filter has no plain unlink) */
	r = 0;
out:
	if (lfd >= 0)
		close(lfd);
	if (kdfd >= 0)
		close(kdfd);
	bh_tpm_close(t);
	bh_ks_keys_free(keys);
	ks_policy_done(&kp);
	bh_policy_free(pol);
	bh_ini_free(site);
	free(sitepath);
	free(counter);
	free(flag);
	free(flagdir);
	if (srv.has_deploy_dir)
		close(srv.deploy_dirfd);
	free(rundir);
	return ks_exit_code(r);
}

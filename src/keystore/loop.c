/* SPDX-License-Identifier: MIT */
/*
 * The keystore daemon's connection loop (loop.h, docs/PROTOCOL.keystore).
 *
 * Single-threaded on purpose: an operation takes microseconds (a secp256k1 or P-256
 * signature, an ECIES decryption, at worst the daily counter's fsync), so nothing is
 * gained by running two at once; what must not happen is that one peer's slowness
 * (a request arriving byte by byte, a response it does not read) holds up the others.
 * So no read or write ever blocks:
 *  - the listening socket and every connection are non-blocking; one ppoll waits for
 *    any of them, with the earliest connection deadline as its timeout;
 *  - the caller's credentials (SO_PEERCRED) are checked at accept, before a byte is
 *    read: a caller outside [socket] gets its refusal and is closed at once, and so is
 *    a connection over the caps (KS_CONN_PER_UID open from its uid, KS_CONN_MAX in all,
 *    the last KS_CONN_RESERVED slots only for a uid with nothing open);
 *  - each connection reads into its own buffer whatever has arrived: the 4-byte length
 *    first, checked against KS_REQUEST_MAX before anything is allocated, then the
 *    payload, which grows the buffer only as bytes arrive; a request is handled as soon
 *    as its frame is complete, so answers go out in completion order;
 *  - each connection has a deadline (KS_FRAME_TIMEOUT_MS from accept to a complete
 *    request, then KS_WRITE_TIMEOUT_MS for the response); at the deadline it is closed
 *    without a response while the others are served;
 *  - a response the socket buffer does not take at once (a sign_tx with 128 KiB of data)
 *    is kept and sent as the peer reads.
 * Request bytes and responses (a decrypted plaintext) are wiped when a connection is
 * freed.  The fast path of a well-behaved client costs what it did before this loop:
 * accept4, getsockopt(SO_PEERCRED), one read, the operation, one send, close; the next
 * accept4 (EAGAIN) and a ppoll are shared by all the clients accepted in one wake-up.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/deadline.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/usock.h"
#include "loop.h"

#define KS_FIRST_READ 4096      /* header and, normally, the whole request in one read */
#define KS_READ_CHUNK (16u * 1024u)
#define KS_ACCEPT_BATCH 32      /* accepts per wake-up before the open connections' turn */
#define KS_ACCEPT_PAUSE_MS 100  /* after EMFILE/ENFILE/ENOMEM: do not spin on accept */

struct ks_conn {
	int fd;                 /* -1: free slot */
	struct ks_peer peer;
	int64_t deadline;       /* CLOCK_MONOTONIC ms */
	bool writing;           /* the response is being sent */
	uint8_t hdr[4];
	size_t hdr_have;
	uint32_t len;           /* announced payload length, once hdr_have == 4 */
	struct bh_buf req;      /* the payload so far (cap KS_REQUEST_MAX) */
	uint8_t *out;           /* the response frame (header + JSON), wiped when freed */
	size_t out_len, out_off;
};

struct ks_loop {
	struct ks_server *srv;
	int lfd;
	int64_t accept_pause_until;
	size_t n_open;
	struct ks_conn conn[KS_CONN_MAX];
};

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

static void conn_free(struct ks_loop *l, struct ks_conn *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	bh_buf_done(&c->req);
	if (c->out) {
		explicit_bzero(c->out, c->out_len);
		free(c->out);
	}
	explicit_bzero(c, sizeof(*c));
	c->fd = -1;
	l->n_open--;
}

/* The response as one frame in a new heap buffer (header + compact JSON). */
static int frame_encode(const json_t *obj, uint8_t **ret, size_t *ret_len)
{
	size_t n = json_dumpb(obj, NULL, 0, JSON_COMPACT);
	uint8_t *b;

	if (n == 0)
		return -ENOMEM;
	if (n > BH_FRAME_MAX_RESPONSE)
		return BH_ERR_LIMIT;
	if (!(b = malloc(n + 4)))
		return -ENOMEM;
	if (json_dumpb(obj, (char *)b + 4, n, JSON_COMPACT) != n) {
		explicit_bzero(b, n + 4);
		free(b);
		return BH_ERR_INTERNAL;
	}
	b[0] = (uint8_t)(n >> 24);
	b[1] = (uint8_t)(n >> 16);
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	*ret = b;
	*ret_len = n + 4;
	return 0;
}

/* Send what the socket takes: 1 all sent, 0 the rest later (EAGAIN), < 0 error. */
static int conn_send(struct ks_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0) {
			c->out_off += (size_t)k;
			continue;
		}
		if (k == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return bh_negerrno();
	}
	return 1;
}

/* A refusal at accept: one send (a fresh socket buffer takes it) and close, nothing
 * read.  The client library still reads it when its own write fails (frame.h). */
static void refuse_now(int fd, json_t *resp)
{
	uint8_t *b = NULL;
	size_t n = 0;

	if (resp && frame_encode(resp, &b, &n) == 0) {
		(void)!send(fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(b);
	}
	json_decref(resp);
	close(fd);
}

/*
 * Read what has arrived: 1 the request frame is complete, 0 more is to come, < 0 the
 * connection is to be closed without a response (BH_ERR_INCOMPLETE at EOF,
 * BH_ERR_FORMAT for a 0 length, BH_ERR_LIMIT over the cap, -errno).  Bytes after the
 * frame are never stored (one request per connection).
 */
static int conn_read(struct ks_conn *c)
{
	uint8_t chunk[KS_READ_CHUNK];
	size_t dirty = 0;
	int r;

	for (;;) {
		size_t want = c->hdr_have < 4 ? KS_FIRST_READ
			      : min_sz(c->len - bh_buf_len(&c->req), sizeof(chunk));
		ssize_t k = read(c->fd, chunk, want);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : bh_negerrno();
			break;
		}
		if (k == 0) {
			r = BH_ERR_INCOMPLETE;
			break;
		}
		size_t got = (size_t)k, used = 0;
		if (got > dirty)
			dirty = got;
		if (c->hdr_have < 4) {
			used = min_sz(4 - c->hdr_have, got);
			memcpy(c->hdr + c->hdr_have, chunk, used);
			c->hdr_have += used;
			if (c->hdr_have < 4)
				continue;
			c->len = (uint32_t)c->hdr[0] << 24 | (uint32_t)c->hdr[1] << 16 |
				 (uint32_t)c->hdr[2] << 8 | c->hdr[3];
			r = BH_ERR_FORMAT;
			if (c->len == 0)
				break;
			/* the cap, before anything is allocated */
			r = BH_ERR_LIMIT;
			if (c->len > KS_REQUEST_MAX)
				break;
		}
		size_t take = min_sz(got - used, c->len - bh_buf_len(&c->req));
		if (take && (r = bh_buf_put(&c->req, chunk + used, take)) < 0)
			break;
		if (bh_buf_len(&c->req) == c->len) {
			r = 1;
			break;
		}
	}
	explicit_bzero(chunk, dirty);
	return r;
}

/* The request is complete: handle it, wipe it, start sending the response. */
static void conn_answer(struct ks_loop *l, struct ks_conn *c)
{
	json_t *resp = NULL;
	int r;

	r = ks_handle(l->srv, &c->peer, bh_buf_ptr(&c->req), bh_buf_len(&c->req), &resp);
	bh_buf_done(&c->req);
	if (r < 0) {
		log_warn_r(r, "pid %d uid %u: no response", (int)c->peer.pid, (unsigned)c->peer.uid);
		conn_free(l, c);
		return;
	}
	if (!json_is_true(json_object_get(resp, "ok")))
		log_warn("pid %d uid %u: %s refused: %s", (int)c->peer.pid, (unsigned)c->peer.uid,
			 json_string_value(json_object_get(resp, "op")) ?: "request",
			 json_string_value(json_object_get(resp, "message")) ?: "");
	r = frame_encode(resp, &c->out, &c->out_len);
	ks_resp_wipe(resp); /* a decrypted plaintext: not left in freed heap */
	json_decref(resp);
	if (r < 0) {
		log_warn_r(r, "pid %d uid %u: response", (int)c->peer.pid, (unsigned)c->peer.uid);
		conn_free(l, c);
		return;
	}
	c->writing = true;
	c->out_off = 0;
	c->deadline = bh_deadline_from_ms(KS_WRITE_TIMEOUT_MS);
	if (conn_send(c) != 0) /* all sent, or the peer has gone */
		conn_free(l, c);
}

static void conn_ready(struct ks_loop *l, struct ks_conn *c)
{
	int r;

	if (c->writing) {
		if (conn_send(c) != 0)
			conn_free(l, c);
		return;
	}
	r = conn_read(c);
	if (r == 1) {
		conn_answer(l, c);
	} else if (r < 0) {
		log_warn_r(r, "pid %d uid %u: bad frame (%zu of %u bytes)", (int)c->peer.pid,
			   (unsigned)c->peer.uid, bh_buf_len(&c->req), (unsigned)c->len);
		conn_free(l, c);
	}
}

static void conn_expired(struct ks_loop *l, struct ks_conn *c)
{
	if (c->writing)
		log_warn("pid %d uid %u: response not taken within %d ms: closed", (int)c->peer.pid,
			 (unsigned)c->peer.uid, KS_WRITE_TIMEOUT_MS);
	else
		log_warn("pid %d uid %u: request frame not complete within %d ms (%zu of %u "
			 "bytes%s): closed", (int)c->peer.pid, (unsigned)c->peer.uid,
			 KS_FRAME_TIMEOUT_MS, bh_buf_len(&c->req), (unsigned)c->len,
			 c->hdr_have < 4 ? ", no length yet" : "");
	conn_free(l, c);
}

/* The caps: NULL when a connection from uid may be opened, else the refusal. */
static json_t *over_cap(const struct ks_loop *l, uid_t uid)
{
	char text[256];
	unsigned mine = 0;

	for (size_t i = 0; i < KS_CONN_MAX; i++)
		if (l->conn[i].fd >= 0 && l->conn[i].peer.uid == uid)
			mine++;
	if (mine >= KS_CONN_PER_UID)
		snprintf(text, sizeof(text), "uid %u already has %u connections open (at most %u "
			 "per uid): refused; try again when they are answered", (unsigned)uid, mine,
			 KS_CONN_PER_UID);
	else if (l->n_open >= KS_CONN_MAX ||
		 (mine > 0 && l->n_open >= KS_CONN_MAX - KS_CONN_RESERVED))
		snprintf(text, sizeof(text), "the keystore has %zu connections open (at most %u, "
			 "the last %u only for a uid with none open): refused; try again", l->n_open,
			 KS_CONN_MAX, KS_CONN_RESERVED);
	else
		return NULL;
	return json_pack("{s:b,s:s,s:s}", "ok", 0, "error", "busy", "message", text);
}

/* A new connection: credentials first, then the caps, then whatever has arrived. */
static void conn_open(struct ks_loop *l, int fd)
{
	struct bh_peer bp;
	struct ks_conn *c = NULL;
	json_t *busy;

	if (bh_usock_peer(fd, &bp) < 0) {
		close(fd);
		return;
	}
	struct ks_peer peer = { .pid = bp.pid, .uid = bp.uid, .gid = bp.gid };
	int gr = bh_usock_peer_groups(fd, peer.groups, KS_PEER_GROUPS_MAX, &peer.n_groups);
	if (gr < 0) {
		/* fail closed: more groups than we look at, or no SO_PEERGROUPS */
		log_warn("pid %d uid %u: cannot read its groups (%s): refused", (int)bp.pid,
			 (unsigned)bp.uid, bh_strerror(gr));
		refuse_now(fd, ks_denied_peer(&peer));
		return;
	}
	if (!ks_peer_known(l->srv->policy, &peer)) {
		/* nothing read from a stranger: it learns why and is closed at once */
		log_warn("pid %d uid %u gid %u: not allowed by [socket]", (int)peer.pid,
			 (unsigned)peer.uid, (unsigned)peer.gid);
		refuse_now(fd, ks_denied_peer(&peer));
		return;
	}
	if ((busy = over_cap(l, peer.uid))) {
		log_warn("pid %d uid %u: %s", (int)peer.pid, (unsigned)peer.uid,
			 json_string_value(json_object_get(busy, "message")) ?: "busy");
		refuse_now(fd, busy);
		return;
	}
	for (size_t i = 0; i < KS_CONN_MAX && !c; i++)
		if (l->conn[i].fd < 0)
			c = &l->conn[i];
	if (!c) { /* (over_cap leaves a free slot: not reached) */
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->peer = peer;
	c->deadline = bh_deadline_from_ms(KS_FRAME_TIMEOUT_MS);
	bh_buf_init(&c->req, KS_REQUEST_MAX);
	l->n_open++;
	/* the request has normally arrived by now: no wake-up for it */
	conn_ready(l, c);
}

/* Take what is queued on the listening socket (at most KS_ACCEPT_BATCH). */
static int accept_some(struct ks_loop *l)
{
	for (int i = 0; i < KS_ACCEPT_BATCH; i++) {
		int fd = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			conn_open(l, fd);
			continue;
		}
		switch (errno) {
		case EAGAIN:
#if EAGAIN != EWOULDBLOCK
		case EWOULDBLOCK:
#endif
		case EINTR:
			return 0;
		case ECONNABORTED: /* a client that gave up while queued: take the next one */
		case EPROTO:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			/* the connection stays queued; let the open ones finish first */
			log_warn("accept: %s: pausing %d ms", strerror(errno), KS_ACCEPT_PAUSE_MS);
			l->accept_pause_until = bh_deadline_from_ms(KS_ACCEPT_PAUSE_MS);
			return 0;
		default:
			return bh_negerrno();
		}
	}
	return 0;
}

int ks_loop_run(int lfd, struct ks_server *srv, volatile sig_atomic_t *stop)
{
	struct ks_loop *l = calloc(1, sizeof(*l));
	struct pollfd pfd[1 + KS_CONN_MAX];
	struct ks_conn *at[1 + KS_CONN_MAX];
	sigset_t block, orig, waitmask;
	int r = 0;

	if (!l)
		return -ENOMEM;
	l->srv = srv;
	l->lfd = lfd;
	for (size_t i = 0; i < KS_CONN_MAX; i++)
		l->conn[i].fd = -1;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	waitmask = orig;
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);

	while (!*stop) {
		int64_t now = bh_deadline_from_ms(0), next = -1;
		nfds_t n = 0;

		for (size_t i = 0; i < KS_CONN_MAX; i++) {
			struct ks_conn *c = &l->conn[i];
			if (c->fd < 0)
				continue;
			if (c->deadline <= now) {
				conn_expired(l, c);
				continue;
			}
			pfd[n] = (struct pollfd){ c->fd, c->writing ? POLLOUT : POLLIN, 0 };
			at[n++] = c;
			if (next < 0 || c->deadline < next)
				next = c->deadline;
		}
		bool listening = now >= l->accept_pause_until;
		if (listening) {
			pfd[n] = (struct pollfd){ lfd, POLLIN, 0 };
			at[n++] = NULL;
		} else if (next < 0 || l->accept_pause_until < next) {
			next = l->accept_pause_until;
		}
		struct timespec ts, *tsp = NULL;
		if (next >= 0) {
			int64_t left = next > now ? next - now : 0;
			ts.tv_sec = (time_t)(left / 1000);
			ts.tv_nsec = (long)(left % 1000) * 1000000L;
			tsp = &ts;
		}
		int k = ppoll(pfd, n, tsp, &waitmask);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			r = bh_negerrno();
			log_error_r(r, "ppoll");
			break;
		}
		/* the open connections first (each slot appears once), then new ones */
		bool accept_ready = false;
		for (nfds_t i = 0; i < n && k > 0; i++) {
			if (!pfd[i].revents)
				continue;
			k--;
			if (!at[i])
				accept_ready = true;
			else
				conn_ready(l, at[i]);
		}
		if (accept_ready && (r = accept_some(l)) < 0) {
			log_error_r(r, "accept");
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	for (size_t i = 0; i < KS_CONN_MAX; i++)
		conn_free(l, &l->conn[i]);
	free(l);
	return r;
}

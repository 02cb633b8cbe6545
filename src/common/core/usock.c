/* SPDX-License-Identifier: MIT */
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/err.h"
#include "core/deadline.h"
#include "core/usock.h"

#define MAX_GROUPS 65536

int bh_usock_listen(const char *path, mode_t mode, uid_t uid, gid_t gid, int backlog,
		    int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	size_t plen;
	int fd = -1, r = BH_ERR_INTERNAL;
	bool bound = false;

	if (!path || !*path || (mode & ~(mode_t)0777))
		return -EINVAL;
	plen = strlen(path);
	if (plen >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, plen + 1);

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return BH_ERR_EXISTS;
		if (unlink(path) < 0 && errno != ENOENT)
			return bh_negerrno();
	} else if (errno != ENOENT) {
		return bh_negerrno();
	}

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return bh_negerrno();
	/* The mode is set by bind itself (a socket node gets 0777 & ~umask): there is no
	 * chmod by name afterwards, which would follow a symlink swapped in by anyone who
	 * can write the directory.  Until listen() below nobody can connect (ECONNREFUSED),
	 * so the moment between bind and lchown with the final mode and the old group
	 * exposes nothing. */
	mode_t old = umask(~mode & 0777);
	int br = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int berr = errno;
	umask(old);
	if (br < 0) {
		r = -berr;
		goto out;
	}
	bound = true;
	/* lchown: never follows a symlink */
	if ((uid != (uid_t)BH_USOCK_KEEP_ID || gid != (gid_t)BH_USOCK_KEEP_ID) &&
	    lchown(path, uid, gid) < 0) {
		r = bh_negerrno();
		goto out;
	}
	/* verify the name is still our socket with the mode and owner asked for */
	if (lstat(path, &st) < 0) {
		r = bh_negerrno();
		goto out;
	}
	if (!S_ISSOCK(st.st_mode)) {
		r = BH_ERR_UNSAFE_FILE;
		bound = false; /* not ours any more: do not unlink it */
		goto out;
	}
	if ((st.st_mode & 0777) != mode ||
	    (uid != (uid_t)BH_USOCK_KEEP_ID && st.st_uid != uid) ||
	    (gid != (gid_t)BH_USOCK_KEEP_ID && st.st_gid != gid)) {
		r = BH_ERR_UNSAFE_FILE;
		goto out;
	}
	if (listen(fd, backlog > 0 ? backlog : SOMAXCONN) < 0) {
		r = bh_negerrno();
		goto out;
	}
	*ret_fd = fd;
	fd = -1;
	r = 0;
out:
	if (fd >= 0) {
		close(fd);
		if (bound)
			unlink(path);
	}
	return r;
}

int bh_usock_accept(int listen_fd, int timeout_ms, int *ret_fd)
{
	int64_t deadline = bh_deadline_from_ms(timeout_ms);

	for (;;) {
		int r = bh_fd_wait(listen_fd, POLLIN, deadline);
		if (r < 0)
			return r;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			*ret_fd = fd;
			return 0;
		}
		/* another process took it, or the client gave up: wait again */
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == ECONNABORTED || errno == EPROTO)
			continue;
		return bh_negerrno();
	}
}

int bh_usock_peer(int fd, struct bh_peer *ret)
{
	struct ucred uc;
	socklen_t l = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0)
		return bh_negerrno();
	if (l != sizeof(uc))
		return -EIO;
	ret->pid = uc.pid;
	ret->uid = uc.uid;
	ret->gid = uc.gid;
	return 0;
}

int bh_usock_peer_in_group(int fd, gid_t gid, bool *ret)
{
	struct bh_peer peer;
	gid_t *groups = NULL;
	socklen_t len = 64 * sizeof(gid_t);
	int r;

	if ((r = bh_usock_peer(fd, &peer)) < 0)
		return r;
	if (peer.gid == gid) {
		*ret = true;
		return 0;
	}
	for (;;) {
		socklen_t want = len;
		gid_t *ng = realloc(groups, len ? len : sizeof(gid_t));
		if (!ng) {
			r = -ENOMEM;
			goto out;
		}
		groups = ng;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0)
			break;
		/* ERANGE: len now holds the size needed */
		if (errno != ERANGE) {
			r = bh_negerrno();
			goto out;
		}
		if (len <= want)
			len = want * 2;
		if (len > MAX_GROUPS * sizeof(gid_t)) {
			r = BH_ERR_LIMIT;
			goto out;
		}
	}
	bool found = false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			found = true;
	*ret = found;
	r = 0;
out:
	free(groups);
	return r;
}

int bh_usock_peer_groups(int fd, gid_t *ret_groups, size_t cap, size_t *ret_n)
{
	socklen_t len = (socklen_t)(cap * sizeof(gid_t));
	int r;

	if (cap == 0 || cap > MAX_GROUPS)
		return -EINVAL;
	gid_t *groups = calloc(cap, sizeof(gid_t));
	if (!groups)
		return -ENOMEM;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0) {
		/* ERANGE: more than cap groups */
		r = errno == ERANGE ? BH_ERR_LIMIT : bh_negerrno();
		goto out;
	}
	memcpy(ret_groups, groups, len);
	*ret_n = len / sizeof(gid_t);
	r = 0;
out:
	free(groups);
	return r;
}

static size_t nss_bufsize(int which)
{
	long n = sysconf(which);
	return n > 0 && n < 1024 * 1024 ? (size_t)n : 4096;
}

int bh_uid_in_group(uid_t uid, gid_t gid, bool *ret)
{
	struct passwd pw, *res = NULL;
	size_t bl = nss_bufsize(_SC_GETPW_R_SIZE_MAX);
	char *buf = NULL;
	gid_t *groups = NULL;
	int r = BH_ERR_INTERNAL, e;

	for (;;) {
		char *nb = realloc(buf, bl);
		if (!nb) {
			r = -ENOMEM;
			goto out;
		}
		buf = nb;
		e = getpwuid_r(uid, &pw, buf, bl, &res);
		if (e != ERANGE)
			break;
		if (bl > 1024 * 1024) {
			r = BH_ERR_LIMIT;
			goto out;
		}
		bl *= 2;
	}
	if (e) {
		r = -e;
		goto out;
	}
	if (!res) {
		r = BH_ERR_NOT_FOUND;
		goto out;
	}
	if (pw.pw_gid == gid) {
		*ret = true;
		r = 0;
		goto out;
	}
	int ng = 64;
	for (;;) {
		int want = ng;
		gid_t *ngp = realloc(groups, (size_t)ng * sizeof(*groups));
		if (!ngp) {
			r = -ENOMEM;
			goto out;
		}
		groups = ngp;
		if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &ng) >= 0)
			break;
		/* ng now holds the number needed (or is unchanged on some libcs) */
		if (ng <= want)
			ng = want * 2;
		if (ng > MAX_GROUPS) {
			r = BH_ERR_LIMIT;
			goto out;
		}
	}
	bool found = false;
	for (int i = 0; i < ng; i++)
		if (groups[i] == gid)
			found = true;
	*ret = found;
	r = 0;
out:
	free(groups);
	free(buf);
	return r;
}

int bh_group_lookup(const char *name, gid_t *ret)
{
	struct group gr, *res = NULL;
	size_t bl = nss_bufsize(_SC_GETGR_R_SIZE_MAX);
	char *buf = NULL;
	int r = BH_ERR_INTERNAL, e;

	if (!name || !*name)
		return -EINVAL;
	for (;;) {
		char *nb = realloc(buf, bl);
		if (!nb) {
			r = -ENOMEM;
			goto out;
		}
		buf = nb;
		e = getgrnam_r(name, &gr, buf, bl, &res);
		if (e != ERANGE)
			break;
		if (bl > 4 * 1024 * 1024) {
			r = BH_ERR_LIMIT;
			goto out;
		}
		bl *= 2;
	}
	if (e) {
		r = -e;
		goto out;
	}
	if (!res) {
		r = BH_ERR_NOT_FOUND;
		goto out;
	}
	*ret = gr.gr_gid;
	r = 0;
out:
	free(buf);
	return r;
}

int bh_usock_send_fd(int sock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			     .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *cm;
	ssize_t n;

	memset(&cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return bh_negerrno();
	return n == 1 ? 0 : -EIO;
}

/* Close every descriptor an SCM_RIGHTS message carried. */
static void close_passed(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
		    cm->cmsg_len < CMSG_LEN(0))
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

int bh_usock_recv_fd(int sock, int *ret_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
			     .msg_controllen = sizeof(cbuf.buf) };
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return bh_negerrno();
	cm = n == 1 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (!cm || (mh.msg_flags & MSG_CTRUNC) || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)) ||
	    CMSG_NXTHDR(&mh, cm)) {
		close_passed(&mh);
		return BH_ERR_INCOMPLETE;
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	*ret_fd = fd;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* The domain-* plugin skeleton (act.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/file.h"
#include "act.h"
#include "core/buf.h"
#include "core/frame.h"

#define PARAMS_MAX (64u * 1024u)

static void quiet_virt(void *ud, virErrorPtr e)
{
	(void)ud;
	(void)e;
}

const char *act_virt_error(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown libvirt error";
}

const char *act_str(struct act_ctx *c, const char *key)
{
	return json_string_value(json_object_get(c->params, key));
}

int64_t act_int(struct act_ctx *c, const char *key, int64_t dflt)
{
	const json_t *v = json_object_get(c->params, key);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

virDomainPtr act_domain(struct act_ctx *c)
{
	const char *name = act_str(c, "name");
	virDomainPtr d;

	if (!prov_valid_name(name)) {
		bh_msg_set(&c->msg, "param 'name': not a valid VM name");
		return NULL;
	}
	if (!(d = virDomainLookupByName(c->conn, name)))
		bh_msg_set(&c->msg, "domain '%s' not found: %s", name, act_virt_error());
	return d;
}

int act_path_under(struct act_ctx *c, const char *what, const char *path, const char *dir)
{
	char rp[PATH_MAX], rd[PATH_MAX];
	size_t n;

	if (!path || !realpath(path, rp)) {
		bh_msg_set(&c->msg, "param '%s': cannot resolve the path", what);
		return BH_ERR_DENIED;
	}
	if (!realpath(dir, rd)) {
		bh_msg_set(&c->msg, "%s: configured directory %s does not exist", what, dir);
		return BH_ERR_CONFIG;
	}
	n = strlen(rd);
	if (strncmp(rp, rd, n) != 0 || rp[n] != '/') {
		bh_msg_set(&c->msg, "param '%s': not inside %s", what, dir);
		return BH_ERR_DENIED;
	}
	return 0;
}

/* core/file.h: a regular file (O_NOFOLLOW|O_NONBLOCK, checked on the fd); returns the fd */
static int open_regular(struct act_ctx *c, const char *what, const char *path, struct stat *st)
{
	static const struct bh_file_rules rules = { .type = S_IFREG };
	struct bh_msg m = { "" };
	int fd, r;

	if ((r = bh_file_open(AT_FDCWD, path, O_RDONLY, &rules, &fd, st, &m)) < 0) {
		bh_msg_set(&c->msg, "%s %s", what, m.text);
		return r;
	}
	return fd;
}

int act_check_storage(struct act_ctx *c, const char *name, char **ret_disk, char **ret_seed)
{
	char *disk = NULL, *seed = NULL;
	uint8_t *hdr = NULL;
	struct stat st;
	ssize_t n;
	int fd = -1, r = -ENOMEM;

	if (asprintf(&disk, "%s/%s.qcow2", c->conf.storage_path, name) < 0 ||
	    asprintf(&seed, "%s/%s-seed.iso", c->conf.storage_path, name) < 0 ||
	    !(hdr = malloc(PROV_QCOW2_HDR_MAX)))
		goto out;
	/* the template: not replaceable by the unprivileged provisioner */
	if ((fd = open_regular(c, "template", c->conf.template_path, &st)) < 0) {
		r = fd;
		goto out;
	}
	close(fd);
	if ((st.st_mode & 022) ||
	    (st.st_uid != 0 && !(c->conf.has_session_user && st.st_uid == c->conf.session_uid))) {
		bh_msg_set(&c->msg, "template %s: must be owned by root (or the session user) and "
			   "not group/world-writable", c->conf.template_path);
		r = BH_ERR_UNSAFE_FILE;
		goto out;
	}
	if ((fd = open_regular(c, "disk", disk, &st)) < 0) {
		r = fd;
		goto out;
	}
	n = pread(fd, hdr, PROV_QCOW2_HDR_MAX, 0);
	close(fd);
	if (n < 0) {
		r = bh_negerrno();
		bh_msg_set(&c->msg, "disk %s: %s", disk, strerror(-r));
		goto out;
	}
	if ((r = prov_qcow2_check(hdr, (size_t)n, c->conf.template_path, &c->msg)) < 0)
		goto out;
	if ((fd = open_regular(c, "seed", seed, &st)) >= 0) {
		close(fd);
	} else if (fd != -ENOENT) {
		r = fd;
		goto out;
	} else {
		c->msg.text[0] = '\0';
		free(seed);
		seed = NULL;
	}
	if (ret_disk) {
		*ret_disk = disk;
		disk = NULL;
	}
	if (ret_seed) {
		*ret_seed = seed;
		seed = NULL;
	}
	r = 0;
out:
	free(disk);
	free(seed);
	free(hdr);
	return r;
}

static int read_params(json_t **ret, struct bh_msg *msg)
{
	struct bh_buf b;
	uint8_t chunk[4096];
	ssize_t n;
	int r;

	bh_buf_init(&b, PARAMS_MAX);
	for (;;) {
		n = read(STDIN_FILENO, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = bh_negerrno();
			goto out;
		}
		if (n == 0)
			break;
		if ((r = bh_buf_put(&b, chunk, (size_t)n)) < 0) {
			bh_msg_set(msg, "params larger than %u bytes", PARAMS_MAX);
			goto out;
		}
	}
	if (bh_buf_len(&b) == 0) {
		r = bh_frame_decode_json("{}", 2, ret);
		goto out;
	}
	if ((r = bh_frame_decode_json(bh_buf_ptr(&b), bh_buf_len(&b), ret)) < 0)
		bh_msg_set(msg, "params: %s", bh_strerror(r));
out:
	bh_buf_done(&b);
	return r;
}

/*
 * The agent runs these plugins as its libvirt user ("run_as": "libvirt", [libvirt] of its
 * policy), with no capabilities: the owner of qemu:///session, or for qemu:///system a
 * member of libvirt's socket group.  They never change identity; they refuse uid 0 (the
 * agent started without its libvirt user, or the plugin run by hand as root) and, for
 * qemu:///session, any uid but the session's owner (libvirt.json session_user), whose
 * HOME/XDG_RUNTIME_DIR locate the session daemon's socket.
 */
static int check_identity(struct act_ctx *c)
{
	const struct prov_conf *k = &c->conf;
	uid_t ru, eu, su;

	if (getresuid(&ru, &eu, &su) < 0)
		return bh_negerrno();
	if (ru == 0 || eu == 0 || su == 0) {
		bh_msg_set(&c->msg, "running as uid 0: the domain-* actions run as the root agent's "
			   "libvirt user (\"run_as\": \"libvirt\"), never as root");
		return BH_ERR_DENIED;
	}
	if (!k->has_session_user)
		return 0;
	if (ru != k->session_uid || eu != k->session_uid || su != k->session_uid) {
		bh_msg_set(&c->msg, "running as uid %u, but libvirt.json session_user (the owner of "
			   "%s) is uid %u: the root agent's [libvirt] user must be that user",
			   (unsigned)eu, k->uri, (unsigned)k->session_uid);
		return BH_ERR_DENIED;
	}
	if (setenv("HOME", k->session_home, 1) < 0 ||
	    setenv("XDG_RUNTIME_DIR", k->session_runtime_dir, 1) < 0)
		return -ENOMEM;
	return 0;
}

static void reply_and_exit(json_t *reply)
{
	char *s = json_dumps(reply, JSON_COMPACT);
	if (!s)
		_exit(70);
	printf("%s\n", s);
	free(s);
	fflush(stdout);
	exit(0);
}

int act_main(const char *action, int (*fn)(struct act_ctx *ctx))
{
	struct act_ctx c = { .action = action };
	int r;

	virSetErrorFunc(NULL, quiet_virt);
	if (!(c.reply = json_object()))
		return 70;
	if ((r = read_params(&c.params, &c.msg)) < 0)
		goto fail;
	if ((r = prov_conf_load(NULL, &c.conf, &c.msg)) < 0)
		goto fail;
	if ((r = check_identity(&c)) < 0)
		goto fail;
	if (virInitialize() < 0 || !(c.conn = virConnectOpen(c.conf.uri))) {
		bh_msg_set(&c.msg, "cannot connect to %s: %s", c.conf.uri, act_virt_error());
		r = BH_ERR_PEER;
		goto fail;
	}
	if ((r = fn(&c)) < 0)
		goto fail;
	virConnectClose(c.conn);
	json_object_set_new(c.reply, "ok", json_true());
	reply_and_exit(c.reply);
	return 0;
fail:
	if (c.conn)
		virConnectClose(c.conn);
	json_object_clear(c.reply);
	json_object_set_new(c.reply, "ok", json_false());
	json_object_set_new(c.reply, "error",
			    json_string(c.msg.text[0] ? c.msg.text : bh_strerror(r)));
	reply_and_exit(c.reply);
	return 1;
}

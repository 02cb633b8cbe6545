/* SPDX-License-Identifier: MIT */
/*
 * domain-define: create the VM's disk and define (not start) its domain from validated
 * fields.  The XML is built here (prov_domain_xml); the caller never supplies XML.
 *
 * The files libvirt opens live in storage_path, which the provisioner cannot write
 * (owned by the root agent's libvirt user, as which this plugin runs: policy/README.md
 * "Who owns what"): this plugin creates the qcow2 overlay on the template itself
 * (qemu-img) and copies the caller's NoCloud seed in (O_NOFOLLOW, read by group), so
 * the provisioner cannot rewrite them between these checks and qemu opening them.  A domain of the same name must not exist
 * (virDomainDefineXML would silently redefine it).  On any failure the files created
 * here are removed again.
 *
 * With "user_net_ssh" in libvirt.json (demo and test hosts), the NIC is QEMU user-mode
 * networking with 127.0.0.1:<port> forwarded to the guest's SSH port; the port is the
 * first one from port_min..port_max (starting at an offset from the VM name) that can be
 * bound on 127.0.0.1 now, and is returned in the reply as "ssh_port".  With its
 * "signing_port" also 127.0.0.1:<signing_port> → the guest's signing page (63108); that
 * port must be free now, or the define is refused naming it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "act.h"
#include "core/spawn.h"

#define SEED_MAX (16u * 1024u * 1024u)

/* Read the caller's seed ISO (the libvirt user reads cloud_init_dir by group, see
 * policy/README.md "Who owns what") and write our copy (0600). */
static int copy_seed(struct act_ctx *c, const char *src, const char *dst)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n = 0;
	int in = -1, out = -1, r;

	/* core/file.h: a regular file of at most SEED_MAX bytes (and not empty, below) */
	static const struct bh_file_rules rules = { .type = S_IFREG, .max_size = SEED_MAX };
	struct bh_msg m = { "" };
	r = bh_file_open(AT_FDCWD, src, O_RDONLY, &rules, &in, &st, &m);
	if (r < 0) {
		bh_msg_set(&c->msg, "seed %s", m.text);
		return r;
	}
	if (st.st_size <= 0) {
		close(in);
		bh_msg_set(&c->msg, "seed %s: not a regular file of 1..%u bytes", src, SEED_MAX);
		return BH_ERR_UNSAFE_FILE;
	}
	if (!(buf = malloc((size_t)st.st_size)) ||
	    (n = pread(in, buf, (size_t)st.st_size, 0)) != st.st_size) {
		close(in);
		free(buf);
		bh_msg_set(&c->msg, "seed %s: short read", src);
		return n < 0 ? bh_negerrno() : BH_ERR_INCOMPLETE;
	}
	close(in);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	r = out < 0 ? bh_negerrno() : 0;
	for (ssize_t done = 0; r == 0 && done < n;) {
		ssize_t w = write(out, buf + done, (size_t)(n - done));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			r = w < 0 ? bh_negerrno() : -ENOSPC;
		else
			done += w;
	}
	if (r == 0 && fsync(out) < 0)
		r = bh_negerrno();
	if (r < 0) {
		bh_msg_set(&c->msg, "seed copy %s: %s", dst, strerror(-r));
		if (out >= 0) {
			close(out);
			unlink(dst);
		}
		explicit_bzero(buf, (size_t)st.st_size);
		free(buf);
		return r;
	}
	close(out);
	explicit_bzero(buf, (size_t)st.st_size); /* user-data inside carries the VM's secret */
	free(buf);
	return 0;
}

static int make_disk(struct act_ctx *c, const char *disk, long long gb)
{
	char size[32];
	struct bh_spawn_opts o = { .search_path = true, .timeout_ms = 120000,
				   .stdout_max = 65536, .stderr_max = 65536, .allow_truncate = true };
	struct bh_spawn_result res;
	int r;

	snprintf(size, sizeof size, "%lldG", gb);
	const char *av[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
			     c->conf.template_path, disk, size, NULL };
	o.argv = av;
	if ((r = bh_spawn_run(&o, &res)) < 0) {
		bh_msg_set(&c->msg, "disk: cannot run qemu-img: %s", bh_strerror(r));
		return r;
	}
	if (res.exit_code != 0) {
		size_t n = bh_buf_len(&res.err);
		const char *t = (const char *)bh_buf_ptr(&res.err);
		while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
			n--;
		bh_msg_set(&c->msg, "disk: qemu-img failed: %.*s", (int)(n > 300 ? 300 : n), t ? t : "");
		r = BH_ERR_CHILD;
	}
	bh_spawn_result_done(&res);
	return r;
}

/* Is 127.0.0.1:port free now?  (The forward is made by qemu at start: checked once here.) */
static bool loopback_port_free(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

static int pick_ssh_port(struct act_ctx *c, const char *name, unsigned *ret)
{
	unsigned lo = c->conf.ssh_port_min, span = c->conf.ssh_port_max - lo + 1, h = 0;

	for (const char *p = name; *p; p++)
		h = h * 31u + (unsigned char)*p;
	for (unsigned i = 0; i < span; i++) {
		unsigned port = lo + (h + i) % span;
		if (loopback_port_free(port)) {
			*ret = port;
			return 0;
		}
	}
	bh_msg_set(&c->msg, "user_net_ssh: no free port on 127.0.0.1 in %u..%u",
		   c->conf.ssh_port_min, c->conf.ssh_port_max);
	return BH_ERR_LIMIT;
}

static int define(struct act_ctx *c)
{
	const char *name = act_str(c, "name"), *seed_param = act_str(c, "seed");
	long long gb = act_int(c, "disk_gb", 20);
	struct prov_domain_spec s = {
		.name = name,
		.type = c->conf.domain_type,
		.vcpus = (unsigned)act_int(c, "vcpus", 1),
		.memory_mb = (unsigned long)act_int(c, "memory_mb", 2048),
		.bridge = c->conf.bridge,
		.network = c->conf.bridge ? NULL : c->conf.network,
		.emulator = c->conf.emulator,
	};
	char *disk = NULL, *seed = NULL, *want_seed = NULL, *xml = NULL;
	char rp[PATH_MAX], re[PATH_MAX];
	bool made_disk = false, made_seed = false;
	struct stat st;
	virDomainPtr d;
	int r;

	if (!prov_valid_name(name)) {
		bh_msg_set(&c->msg, "param 'name': not a valid VM name");
		return BH_ERR_FORMAT;
	}
	if (gb < 1 || gb > 65536) {
		bh_msg_set(&c->msg, "param 'disk_gb': 1..65536");
		return BH_ERR_RANGE;
	}
	if ((d = virDomainLookupByName(c->conn, name))) {
		virDomainFree(d);
		bh_msg_set(&c->msg, "domain '%s' already exists", name);
		return BH_ERR_EXISTS;
	}
	r = -ENOMEM;
	if (asprintf(&disk, "%s/%s.qcow2", c->conf.storage_path, name) < 0 ||
	    asprintf(&seed, "%s/%s-seed.iso", c->conf.storage_path, name) < 0 ||
	    asprintf(&want_seed, "%s/%s/cidata.iso", c->conf.cloud_init_dir, name) < 0)
		goto out;
	if (!seed_param || !realpath(seed_param, rp) || !realpath(want_seed, re) || strcmp(rp, re)) {
		bh_msg_set(&c->msg, "param 'seed': must be %s", want_seed);
		r = BH_ERR_DENIED;
		goto out;
	}
	if (lstat(disk, &st) == 0 || lstat(seed, &st) == 0) {
		bh_msg_set(&c->msg, "%s or its seed already exists", disk);
		r = BH_ERR_EXISTS;
		goto out;
	}
	if ((r = copy_seed(c, rp, seed)) < 0)
		goto out;
	made_seed = true;
	made_disk = true; /* qemu-img may leave a partial file behind on failure */
	if ((r = make_disk(c, disk, gb)) < 0)
		goto out;
	if ((r = act_check_storage(c, name, NULL, NULL)) < 0)
		goto out;
	s.disk_path = disk;
	s.seed_path = seed;
	if (c->conf.has_user_net_ssh && (r = pick_ssh_port(c, name, &s.user_net_ssh_port)) < 0)
		goto out;
	if (c->conf.has_user_net_ssh && c->conf.signing_port) {
		if (!loopback_port_free(c->conf.signing_port)) {
			bh_msg_set(&c->msg, "user_net_ssh: signing_port 127.0.0.1:%u is in use (stop "
				   "what listens there, or change signing_port in libvirt.json)",
				   c->conf.signing_port);
			r = BH_ERR_EXISTS;
			goto out;
		}
		s.user_net_signing_port = c->conf.signing_port;
	}
	if ((r = prov_domain_xml(&s, &xml, &c->msg)) < 0)
		goto out;
	d = virDomainDefineXML(c->conn, xml);
	free(xml);
	if (!d) {
		bh_msg_set(&c->msg, "define '%s': %s", name, act_virt_error());
		r = BH_ERR_PEER;
		goto out;
	}
	virDomainFree(d);
	json_object_set_new(c->reply, "disk", json_string(disk));
	if (s.user_net_ssh_port)
		json_object_set_new(c->reply, "ssh_port", json_integer(s.user_net_ssh_port));
	r = 0;
out:
	if (r < 0 && made_disk)
		unlink(disk);
	if (r < 0 && made_seed)
		unlink(seed);
	free(disk);
	free(seed);
	free(want_seed);
	return r;
}

int main(void)
{
	return act_main("domain-define", define);
}

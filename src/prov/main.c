/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm: the libvirt provisioner's verbs (upstream.md §1.2), one binary
 * dispatching on the basename it is called by (blockhost-vm-create, ...) or on its
 * first argument (blockhost-vm create ...).  docs/provisioner.md is the manual.
 *
 * Reads: libvirt READ-ONLY connection (libvirt.json "uri") and vms.json.
 * Changes: root-agent actions domain-* (src/prov/actions/), vms.json, and the files
 * this user owns (VM disks, cloud-init seeds, metrics cache).
 *
 * Environment: BLOCKHOST_ROOT (path prefix), BLOCKHOST_NOW=<unix seconds> (gc/resume
 * clock for tests).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "core/atomicio.h"
#include "core/buf.h"
#include "host/config.h"
#include "core/hex.h"
#include "core/path.h"
#include "sandbox/policy.h"
#include "prov.h"
#include "sandbox/sandbox.h"
#include "core/spawn.h"
#include "host/vmdb.h"

#define AGENT_TIMEOUT_MS 300000
#define LOCK_WAIT_MS 60000

static const char *verb_name = "blockhost-vm";

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "[%s] ", verb_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void quiet_virt(void *ud, virErrorPtr e)
{
	(void)ud;
	(void)e;
}

static const char *virt_err(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown libvirt error";
}

static int64_t clock_now(void)
{
	const char *s = secure_getenv("BLOCKHOST_NOW");
	char *end;
	long long v;

	if (s && *s) {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (!errno && !*end && v > 0 && v < 253402300799LL)
			return v;
	}
	return (int64_t)time(NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool parse_int(const char *s, long long lo, long long hi, long long *ret)
{
	char *end;
	long long v;
	if (!s || !*s)
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*ret = v;
	return true;
}

/* ------------------------------------------------------------ context */

struct ctx {
	struct prov_conf conf;
	struct bh_db_config dbc;
	struct bh_vmdb *db;
	virConnectPtr ro;
	bool have_conf, have_dbc;
};

static void ctx_done(struct ctx *c)
{
	if (c->ro)
		virConnectClose(c->ro);
	bh_vmdb_free(c->db);
	if (c->have_dbc)
		bh_db_config_done(&c->dbc);
	if (c->have_conf)
		prov_conf_done(&c->conf);
}

static int ctx_init(struct ctx *c, bool need_db)
{
	struct bh_msg m = { "" };
	int r;

	memset(c, 0, sizeof *c);
	if ((r = prov_conf_load(NULL, &c->conf, &m)) < 0) {
		say("config: %s", m.text[0] ? m.text : bh_strerror(r));
		return r;
	}
	c->have_conf = true;
	if (!need_db)
		return 0;
	r = bh_db_config_load(NULL, &c->dbc, &m);
	if (r == -ENOENT)
		r = bh_db_config_default(&c->dbc);
	if (r < 0) {
		say("db config: %s", m.text[0] ? m.text : bh_strerror(r));
		return r;
	}
	c->have_dbc = true;
	if ((r = bh_vmdb_open(&c->dbc, NULL, &c->db)) < 0) {
		say("cannot open the VM database: %s", bh_strerror(r));
		return r;
	}
	bh_vmdb_set_now(c->db, clock_now());
	return 0;
}

/* The read-only libvirt connection (lazily opened). */
static virConnectPtr ro_conn(struct ctx *c)
{
	if (!c->ro && !(c->ro = virConnectOpenReadOnly(c->conf.uri)))
		say("cannot connect to %s (read-only): %s", c->conf.uri, virt_err());
	return c->ro;
}

/* 0 + *state, BH_ERR_NOT_FOUND (no such domain), BH_ERR_PEER (libvirt unreachable). */
static int dom_state(struct ctx *c, const char *name, int *state)
{
	virDomainPtr d;
	int st, reason, r = 0;

	if (!ro_conn(c))
		return BH_ERR_PEER;
	if (!(d = virDomainLookupByName(c->ro, name))) {
		virErrorPtr e = virGetLastError();
		return e && e->code == VIR_ERR_NO_DOMAIN ? BH_ERR_NOT_FOUND : BH_ERR_PEER;
	}
	if (virDomainGetState(d, &st, &reason, 0) < 0)
		r = BH_ERR_PEER;
	else
		*state = st;
	virDomainFree(d);
	return r;
}

static int agent(struct ctx *c, const char *action, const char *name, json_t *extra,
		 json_t **ret_reply)
{
	struct bh_msg m = { "" };
	json_t *p = extra ? extra : json_object();
	int r;

	if (!p)
		return -ENOMEM;
	json_object_set_new(p, "name", json_string(name));
	r = prov_agent_call(c->conf.agent_socket, action, p, AGENT_TIMEOUT_MS, ret_reply, &m);
	json_decref(p);
	if (r < 0)
		say("%s", m.text);
	return r;
}

/* An agent action that does not take "name" (the networking plugins). */
static int agent_raw(struct ctx *c, const char *action, json_t *params)
{
	struct bh_msg m = { "" };
	int r;

	if (!params)
		return -ENOMEM;
	r = prov_agent_call(c->conf.agent_socket, action, params, AGENT_TIMEOUT_MS, NULL, &m);
	json_decref(params);
	if (r < 0)
		say("%s", m.text);
	return r;
}

/*
 * With a bridge configured: isolate the VM's bridge ports (no L2 between VMs; upstream
 * re-applies this on every start) and route its IPv6 /128 to the bridge (create only).
 * The tap names come from the live XML (read-only).  Nothing to do without a bridge.
 */
static int net_attach(struct ctx *c, const char *name, const char *ipv6)
{
	virDomainPtr d;
	struct prov_xml_info xi;
	char *xml = NULL, addr[64];
	int r = 0;

	if (!c->conf.bridge)
		return 0;
	if (!ro_conn(c) || !(d = virDomainLookupByName(c->ro, name)))
		return BH_ERR_PEER;
	xml = virDomainGetXMLDesc(d, 0);
	virDomainFree(d);
	if (!xml || prov_xml_parse_info(xml, strlen(xml), &xi, NULL) < 0) {
		free(xml);
		say("cannot read the interfaces of %s", name);
		return BH_ERR_PEER;
	}
	free(xml);
	for (unsigned i = 0; r == 0 && i < xi.n_ifaces; i++)
		r = agent_raw(c, "bridge-port-isolate", json_pack("{s:s}", "dev", xi.iface_targets[i]));
	if (r == 0 && ipv6 && *ipv6) {
		snprintf(addr, sizeof addr, "%s/128", ipv6);
		r = agent_raw(c, "ip6-route-add", json_pack("{s:s,s:s}", "address", addr, "dev",
							     c->conf.bridge));
	}
	return r;
}

static void net_detach(struct ctx *c, const char *ipv6)
{
	char addr[64];
	if (!c->conf.bridge || !ipv6 || !*ipv6)
		return;
	snprintf(addr, sizeof addr, "%s/128", ipv6);
	if (agent_raw(c, "ip6-route-del", json_pack("{s:s,s:s}", "address", addr, "dev",
						      c->conf.bridge)) < 0)
		say("IPv6 route %s may be left on %s", addr, c->conf.bridge);
}

static int file_path(const char *dir, const char *name, const char *suffix, char **ret)
{
	return asprintf(ret, "%s/%s%s", dir, name, suffix) < 0 ? -ENOMEM : 0;
}

/* rm -r of a seed directory we created: only regular files one level deep. */
static int remove_seed_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return errno == ENOENT ? 0 : bh_negerrno();
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return rmdir(dir) < 0 && errno != ENOENT ? bh_negerrno() : 0;
}

static int run_tool(const char *const *argv, const char *what)
{
	struct bh_spawn_opts o = { .argv = argv, .search_path = true, .timeout_ms = 300000,
				   .stdout_max = 65536, .stderr_max = 65536, .allow_truncate = true };
	struct bh_spawn_result res;
	int r;

	if ((r = bh_spawn_run(&o, &res)) < 0) {
		say("%s: cannot run %s: %s", what, argv[0], bh_strerror(r));
		return r;
	}
	if (res.exit_code != 0) {
		size_t n = bh_buf_len(&res.err);
		const char *t = (const char *)bh_buf_ptr(&res.err);
		while (n && (t[n - 1] == '\n' || t[n - 1] == '\r'))
			n--;
		say("%s: %s failed (exit %d): %.*s", what, argv[0], res.exit_code,
		    (int)(n > 300 ? 300 : n), t ? t : "");
		r = BH_ERR_CHILD;
	}
	bh_spawn_result_done(&res);
	return r;
}

/* ------------------------------------------------------------ provisioning lock */

static char *lock_path;
static bool lock_held;

static pid_t read_pid(const char *path)
{
	char b[32];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	ssize_t n;
	long long v;

	if (fd < 0)
		return -1;
	n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0)
		return 0;
	b[n] = '\0';
	b[strcspn(b, "\n")] = '\0';
	return parse_int(b, 1, INT32_MAX, &v) ? (pid_t)v : 0;
}

/*
 * /run/blockhost/provisioning.lock holds the PID of the running create.  A lock whose
 * PID is gone (or unreadable garbage) is stale and removed; the check-remove-create
 * sequence runs under a flock on provisioning.lock.guard so two creates never both
 * "recover" the same stale file.
 */
static int prov_lock(void)
{
	int64_t deadline = now_ms() + LOCK_WAIT_MS;
	char *guard = NULL;
	int r;

	if ((r = bh_path(BH_DIR_RUN, "provisioning.lock", &lock_path)) < 0 ||
	    asprintf(&guard, "%s.guard", lock_path) < 0)
		return r < 0 ? r : -ENOMEM;
	for (;;) {
		struct bh_lock g = BH_LOCK_INIT;
		pid_t other = 0;
		if ((r = bh_lock_acquire(guard, true, 5000, &g)) < 0) {
			say("provisioning lock %s: %s", guard, bh_strerror(r));
			break;
		}
		int fd = open(lock_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0) {
			char b[24];
			int n = snprintf(b, sizeof b, "%d\n", (int)getpid());
			r = write(fd, b, (size_t)n) == n ? 0 : bh_negerrno();
			close(fd);
			bh_lock_release(&g);
			if (r == 0)
				lock_held = true;
			else
				unlink(lock_path);
			break;
		}
		if (errno != EEXIST) {
			r = bh_negerrno();
			bh_lock_release(&g);
			say("provisioning lock %s: %s", lock_path, strerror(-r));
			break;
		}
		other = read_pid(lock_path);
		if (other <= 0 || (kill(other, 0) < 0 && errno == ESRCH)) {
			say("removing stale provisioning lock (PID %d)", (int)other);
			unlink(lock_path);
			bh_lock_release(&g);
			continue;
		}
		bh_lock_release(&g);
		if (now_ms() > deadline) {
			say("another create is running (PID %d); gave up after %d s", (int)other,
			    LOCK_WAIT_MS / 1000);
			r = BH_ERR_TIMEOUT;
			break;
		}
		usleep(200000);
	}
	free(guard);
	return r;
}

static void prov_unlock(void)
{
	if (lock_held && read_pid(lock_path) == getpid())
		unlink(lock_path);
	lock_held = false;
	free(lock_path);
	lock_path = NULL;
}

/* ------------------------------------------------------------ create */

enum undo_kind { U_IP, U_SEEDDIR, U_DOMAIN, U_ROUTE6 };
struct undo {
	enum undo_kind kind;
	char *arg;
};
struct undo_stack {
	struct undo u[8];
	int n;
};

static int undo_push(struct undo_stack *s, enum undo_kind k, const char *arg)
{
	if (s->n >= 8 || !(s->u[s->n].arg = strdup(arg)))
		return -ENOMEM;
	s->u[s->n++].kind = k;
	return 0;
}

/* Undo in reverse order; every step is attempted and reported, none stops the rest. */
static void undo_run(struct ctx *c, struct undo_stack *s)
{
	struct bh_msg m = { "" };
	while (s->n > 0) {
		struct undo *u = &s->u[--s->n];
		int r = 0;
		switch (u->kind) {
		case U_IP:
			if ((r = bh_vmdb_release_ip(c->db, u->arg, &m)) < 0)
				say("undo: release %s: %s", u->arg, m.text);
			break;
		case U_SEEDDIR:
			if ((r = remove_seed_dir(u->arg)) < 0)
				say("undo: remove %s: %s", u->arg, bh_strerror(r));
			break;
		case U_DOMAIN:
			if (agent(c, "domain-undefine", u->arg, NULL, NULL) < 0)
				say("undo: domain %s may be left defined", u->arg);
			break;
		case U_ROUTE6:
			net_detach(c, u->arg);
			break;
		}
		free(u->arg);
	}
}

static void undo_forget(struct undo_stack *s)
{
	while (s->n > 0)
		free(s->u[--s->n].arg);
}

static char *read_text(enum bh_dir dir, const char *name)
{
	struct bh_buf b;
	char *p = NULL, *s = NULL;

	if (bh_path(dir, name, &p) < 0)
		return NULL;
	bh_buf_init(&b, 65536);
	if (bh_file_load_safe(&b, p) == 0 && (s = malloc(bh_buf_len(&b) + 1))) {
		memcpy(s, bh_buf_ptr(&b), bh_buf_len(&b));
		s[bh_buf_len(&b)] = '\0';
		if (strlen(s) != bh_buf_len(&b)) { /* embedded NUL */
			free(s);
			s = NULL;
		}
	}
	bh_buf_done(&b);
	free(p);
	return s;
}

static char *network_mode(void)
{
	char *s = read_text(BH_DIR_ETC, "network-mode");
	if (s) {
		s[strcspn(s, " \t\r\n")] = '\0';
		for (char *p = s; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-", *p))
				*s = '\0';
		if (*s && strlen(s) <= 32)
			return s;
		free(s);
	}
	return strdup("none");
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	return bh_atomic_write(path, text, strlen(text), mode);
}

/* Wait until the guest agent channel reports connected (read-only XML, every 3 s). */
static int wait_guest_agent(struct ctx *c, const char *name, int timeout_s)
{
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	for (;;) {
		virDomainPtr d = ro_conn(c) ? virDomainLookupByName(c->ro, name) : NULL;
		struct prov_xml_info info;
		char *xml;
		bool up = false;
		if (d && (xml = virDomainGetXMLDesc(d, 0))) {
			up = prov_xml_parse_info(xml, strlen(xml), &info, NULL) == 0 &&
			     info.agent_connected;
			free(xml);
		}
		if (d)
			virDomainFree(d);
		if (up)
			return 0;
		if (now_ms() >= deadline)
			return BH_ERR_TIMEOUT;
		sleep(now_ms() + 3000 > deadline ? 1 : 3);
	}
}

static void create_error(const char *text)
{
	json_t *o = json_pack("{s:s,s:s}", "status", "error", "error", text);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(o);
}

static int cmd_create(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "owner-wallet", required_argument, NULL, 'w' },
		{ "nft-token-id", required_argument, NULL, 'n' },
		{ "expiry-days", required_argument, NULL, 'e' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "disk", required_argument, NULL, 'd' },
		{ "apply", no_argument, NULL, 'a' },
		{ "cloud-init-content", required_argument, NULL, 'C' },
		{ "username", required_argument, NULL, 'u' },
		{ "mock", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	const char *wallet = NULL, *username = "admin", *name;
	long long cpu = 1, mem = 2048, disk = 20, days = 30, v;
	bool apply = false, mock = false;
	struct ctx c;
	struct undo_stack us = { .n = 0 };
	struct bh_msg m = { "" };
	char *ip = NULL, *ip6 = NULL, *seed_dir = NULL, *ud_path = NULL;
	char *md_path = NULL, *nc_path = NULL, *seed_path = NULL, *ud = NULL, *md = NULL;
	char *nc = NULL, *pam = NULL, *dropin = NULL, *mode = NULL, *line = NULL;
	char gw[INET_ADDRSTRLEN] = "", gw6[INET6_ADDRSTRLEN] = "", secret[65];
	uint8_t key[32];
	json_t *rec = NULL;
	int o, r = BH_ERR_INTERNAL, exitc = 1;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'w': wallet = optarg; break;
		case 'n': if (!parse_int(optarg, 0, INT64_MAX, &v)) goto usage; break;
		case 'e': if (!parse_int(optarg, 1, 36500, &days)) goto usage; break;
		case 'c': if (!parse_int(optarg, 1, 64, &cpu)) goto usage; break;
		case 'm': if (!parse_int(optarg, 128, 1048576, &mem)) goto usage; break;
		case 'd': if (!parse_int(optarg, 1, 65536, &disk)) goto usage; break;
		case 'a': apply = true; break;
		case 'C':
			create_error("--cloud-init-content is not supported: the seed is built "
				     "from validated fields only");
			return 2;
		case 'u': username = optarg; break;
		case 'M': mock = true; break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	name = argv[optind];
	if (!prov_valid_name(name)) {
		create_error("invalid VM name: must match ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$");
		return 1;
	}
	if (!prov_valid_wallet(wallet)) {
		create_error("--owner-wallet: must match ^0x[0-9a-fA-F]{40}$");
		return 1;
	}
	if (!prov_valid_username(username)) {
		create_error("--username: must match ^[a-z_][a-z0-9_-]{0,31}$");
		return 1;
	}
	if (ctx_init(&c, true) < 0) {
		create_error("configuration error (see stderr)");
		ctx_done(&c);
		return 1;
	}
#define FAIL(...) do { bh_msg_set(&m, __VA_ARGS__); goto fail; } while (0)
	if ((r = prov_lock()) < 0)
		FAIL("provisioning lock: %s", bh_strerror(r));
	if ((r = bh_vmdb_get(c.db, name, &rec, NULL)) == 0)
		FAIL("VM '%s' already exists in the database", name);
	if (r != BH_ERR_NOT_FOUND)
		FAIL("VM database: %s", bh_strerror(r));
	if (!mock) {
		int st;
		r = dom_state(&c, name, &st);
		if (r == 0)
			FAIL("a libvirt domain named '%s' already exists", name);
		if (r != BH_ERR_NOT_FOUND)
			FAIL("libvirt at %s: %s", c.conf.uri, virt_err());
	}
	/* addresses from the pools (released on any failure) */
	if (c.dbc.has_ip_pool) {
		if ((r = bh_vmdb_allocate_ip(c.db, AF_INET, &ip, &m)) < 0 ||
		    (r = undo_push(&us, U_IP, ip)) < 0)
			goto fail;
		if (c.dbc.ip_pool.has_gateway)
			inet_ntop(AF_INET, &c.dbc.ip_pool.gateway, gw, sizeof gw);
	}
	if (c.dbc.has_ipv6_pool) {
		if ((r = bh_vmdb_allocate_ip(c.db, AF_INET6, &ip6, &m)) < 0 ||
		    (r = undo_push(&us, U_IP, ip6)) < 0)
			goto fail;
		/* the bridge's gateway is prefix+1 (never allocated; upstream.md §5.9): the
		 * guest's IPv6 default route (ifupdown adds it "onlink" from the /128) */
		struct in6_addr g6 = c.dbc.ipv6_pool.prefix;
		g6.s6_addr[15] |= 1; /* host bits are clear: prefix_len <= 126 */
		inet_ntop(AF_INET6, &g6, gw6, sizeof gw6);
	}
	/* the pam_web3 secret: 32 fresh random bytes, only ever in the 0600 user-data */
	if (getrandom(key, sizeof key, 0) != (ssize_t)sizeof key)
		FAIL("getrandom: %s", strerror(errno));
	bh_hex_encode(key, sizeof key, secret);
	explicit_bzero(key, sizeof key);
	pam = read_text(BH_DIR_SHARE, "vm/pam.d-sshd");
	dropin = read_text(BH_DIR_SHARE, "vm/50-blockhost.conf");
	{
		struct prov_seed_spec ss = {
			.vm_name = name, .username = username, .wallet = wallet,
			.secret_hex = secret, .ip = ip, .ipv6 = ip6, .gateway = gw[0] ? gw : NULL,
			.ipv6_gateway = gw6[0] ? gw6 : NULL,
			.pam_sshd = pam, .sshd_dropin = dropin,
		};
		if ((r = prov_render_user_data(&ss, &ud, &m)) < 0 ||
		    (r = prov_render_meta_data(&ss, &md)) < 0 ||
		    (r = prov_render_network_config(&ss, &nc)) < 0)
			FAIL("cloud-init: %s", m.text[0] ? m.text : bh_strerror(r));
	}
	explicit_bzero(secret, sizeof secret);
	if (!apply) {
		fprintf(stderr, "[%s] dry run: would create %s (ip %s, ipv6 %s, %lld vCPU, %lld MiB, "
			"%lld GiB); nothing was changed (use --apply)\n", verb_name, name,
			ip ? ip : "-", ip6 ? ip6 : "-", cpu, mem, disk);
		undo_run(&c, &us);
		printf("{\"status\":\"dry-run\",\"vm_name\":\"%s\"}\n", name);
		exitc = 0;
		goto out;
	}
	if (!mock) {
		/* the template must exist; domain-define creates the overlay on it */
		if (access(c.conf.template_path, F_OK) < 0)
			FAIL("template %s: %s", c.conf.template_path, strerror(errno));
		/* seed: cloud-init/<name>/{user-data (0600), meta-data, network-config, cidata.iso} */
		if ((r = file_path(c.conf.cloud_init_dir, name, "", &seed_dir)) < 0)
			goto fail;
		/* 0711: the agent resolves paths inside without read access to the listing */
		if (mkdir(seed_dir, 0711) < 0)
			FAIL("seed directory %s: %s", seed_dir, strerror(errno));
		if ((r = undo_push(&us, U_SEEDDIR, seed_dir)) < 0 ||
		    (r = file_path(seed_dir, "user-data", "", &ud_path)) < 0 ||
		    (r = file_path(seed_dir, "meta-data", "", &md_path)) < 0 ||
		    (r = file_path(seed_dir, "network-config", "", &nc_path)) < 0 ||
		    (r = file_path(seed_dir, "cidata.iso", "", &seed_path)) < 0)
			goto fail;
		if ((r = write_file(ud_path, ud, 0600)) < 0 || (r = write_file(md_path, md, 0640)) < 0 ||
		    (r = write_file(nc_path, nc, 0640)) < 0)
			FAIL("writing the seed files in %s: %s", seed_dir, bh_strerror(r));
		{
			const char *av[] = { "cloud-localds", "-N", nc_path, seed_path, ud_path, md_path,
					     NULL };
			const char *xo[] = { "xorriso", "-as", "mkisofs", "-quiet", "-o", seed_path,
					     "-V", "cidata", "-J", "-r", ud_path, md_path, nc_path,
					     NULL };
			char *which = NULL;
			bool have_localds = bh_spawn_which("cloud-localds", BH_SPAWN_DEFAULT_PATH,
							   &which) == 0;
			free(which);
			if ((r = run_tool(have_localds ? av : xo, "seed")) < 0)
				FAIL("building the NoCloud seed failed");
		}
		/* the ISO is read by qemu; user-data inside it carries the secret */
		chmod(seed_path, 0640);
		{
			json_t *p = json_pack("{s:I,s:I,s:I,s:s}", "vcpus", (json_int_t)cpu, "memory_mb",
					      (json_int_t)mem, "disk_gb", (json_int_t)disk, "seed",
					      seed_path);
			if ((r = agent(&c, "domain-define", name, p, NULL)) < 0)
				FAIL("defining the domain failed");
		}
		if ((r = undo_push(&us, U_DOMAIN, name)) < 0)
			goto fail;
		if ((r = agent(&c, "domain-start", name, NULL, NULL)) < 0)
			FAIL("starting the domain failed");
		if (c.conf.bridge && ip6 && (r = undo_push(&us, U_ROUTE6, ip6)) < 0)
			goto fail;
		if ((r = net_attach(&c, name, ip6)) < 0)
			FAIL("bridge port isolation / IPv6 route failed");
		if (c.conf.guest_agent_timeout > 0) {
			say("waiting up to %d s for the guest agent", c.conf.guest_agent_timeout);
			if ((r = wait_guest_agent(&c, name, c.conf.guest_agent_timeout)) < 0)
				FAIL("guest agent did not answer within %d s",
				     c.conf.guest_agent_timeout);
		}
	}
	mode = network_mode();
	{
		struct bh_vm_spec vs = {
			.name = name, .owner_wallet = wallet, .network_mode = mode ? mode : "none",
			.ip_address = ip, .ipv6_address = ip6, .vmid = 0, .expiry_days = (int)days,
			.purpose = "subscription", .username = username,
		};
		if ((r = bh_vmdb_register(c.db, &vs, NULL, &m)) < 0)
			FAIL("registering in the VM database: %s", m.text[0] ? m.text : bh_strerror(r));
	}
	undo_forget(&us);
	if ((r = prov_result_line(name, ip, ip6, username, &line)) < 0)
		goto fail;
	fputs(line, stdout);
	say("created %s (ip %s)", name, ip ? ip : "-");
	exitc = 0;
	goto out;
fail:
	say("create %s failed: %s", name, m.text[0] ? m.text : bh_strerror(r));
	undo_run(&c, &us);
	create_error(m.text[0] ? m.text : bh_strerror(r));
	exitc = 1;
out:
#undef FAIL
	prov_unlock();
	if (ud)
		explicit_bzero(ud, strlen(ud));
	explicit_bzero(secret, sizeof secret);
	free(ud); free(md); free(nc); free(pam); free(dropin); free(mode); free(line);
	free(ip); free(ip6); free(seed_dir); free(ud_path); free(md_path);
	free(nc_path); free(seed_path);
	json_decref(rec);
	ctx_done(&c);
	return exitc;
usage:
	fprintf(stderr, "usage: blockhost-vm-create <name> --owner-wallet <0x..> [--nft-token-id N] "
		"[--expiry-days N] [--cpu N] [--memory MB] [--disk GB] [--username U] [--apply] "
		"[--mock]\n");
	return 2;
}

/* ------------------------------------------------------------ destroy and power */

static int destroy_vm(struct ctx *c, const char *name)
{
	struct bh_msg m = { "" };
	char *p = NULL;
	int r;

	json_t *rec = NULL;

	if ((r = agent(c, "domain-undefine", name, NULL, NULL)) < 0)
		return r;
	/* the agent removed the disk and its seed copy (storage_path is not ours) */
	if (c->conf.bridge && bh_vmdb_get(c->db, name, &rec, NULL) == 0)
		net_detach(c, json_string_value(json_object_get(rec, "ipv6_address")));
	json_decref(rec);
	if (file_path(c->conf.cloud_init_dir, name, "", &p) == 0) {
		remove_seed_dir(p);
		free(p);
	}
	r = bh_vmdb_mark_destroyed(c->db, name, &m);
	if (r < 0 && r != BH_ERR_NOT_FOUND) {
		say("VM database: %s", m.text);
		return r;
	}
	return 0;
}

static int one_name(int argc, char **argv, const char *usage, const char **name)
{
	if (argc != 2 || !prov_valid_name(argv[1])) {
		if (argc == 2)
			say("invalid VM name '%s'", argv[1]);
		else
			fprintf(stderr, "usage: %s\n", usage);
		return -1;
	}
	*name = argv[1];
	return 0;
}

static int cmd_destroy(int argc, char **argv)
{
	const char *name;
	struct ctx c;
	int r;

	if (one_name(argc, argv, "blockhost-vm-destroy <name>", &name) < 0)
		return 1;
	if ((r = ctx_init(&c, true)) == 0)
		r = destroy_vm(&c, name);
	if (r == 0)
		say("destroyed %s", name);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
}

static int simple_action(int argc, char **argv, const char *action, const char *usage)
{
	const char *name;
	struct ctx c;
	int r;

	if (one_name(argc, argv, usage, &name) < 0)
		return 1;
	if ((r = ctx_init(&c, false)) == 0)
		r = agent(&c, action, name, NULL, NULL);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
}

/* Start, then re-isolate the bridge ports; a VM that cannot be isolated is powered off. */
static int start_vm(struct ctx *c, const char *name)
{
	int r;
	if ((r = agent(c, "domain-start", name, NULL, NULL)) < 0)
		return r;
	if ((r = net_attach(c, name, NULL)) < 0) {
		say("%s could not be isolated on %s: powering it off", name, c->conf.bridge);
		(void)agent(c, "domain-destroy", name, NULL, NULL);
	}
	return r;
}

static int cmd_start(int argc, char **argv)
{
	const char *name;
	struct ctx c;
	int r;

	if (one_name(argc, argv, "blockhost-vm-start <name>", &name) < 0)
		return 1;
	if ((r = ctx_init(&c, false)) == 0)
		r = start_vm(&c, name);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
}

static int cmd_kill(int argc, char **argv)
{
	return simple_action(argc, argv, "domain-destroy", "blockhost-vm-kill <name>");
}

/* Graceful shutdown; wait up to timeout_s for shut-off; then force if asked. */
static int stop_vm(struct ctx *c, const char *name, int timeout_s, bool force)
{
	int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
	int r, st;

	if ((r = agent(c, "domain-shutdown", name, NULL, NULL)) < 0)
		return r;
	while (timeout_s > 0) {
		if (dom_state(c, name, &st) == 0 && strcmp(prov_status_from_state(st), "active") != 0)
			return 0;
		if (now_ms() >= deadline)
			break;
		usleep(250000);
	}
	if (timeout_s > 0 && force) {
		say("%s did not shut down within %d s; forcing power-off", name, timeout_s);
		return agent(c, "domain-destroy", name, NULL, NULL);
	}
	if (timeout_s > 0) {
		say("%s did not shut down within %d s", name, timeout_s);
		return BH_ERR_TIMEOUT;
	}
	return 0;
}

static int cmd_stop(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	long long t = 0;
	bool force = false;
	struct ctx c;
	int o, r;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == 't' && parse_int(optarg, 0, 3600, &t))
			continue;
		if (o == 'f') {
			force = true;
			continue;
		}
		goto usage;
	}
	if (optind + 1 != argc || !prov_valid_name(argv[optind]))
		goto usage;
	if ((r = ctx_init(&c, false)) == 0)
		r = stop_vm(&c, argv[optind], (int)t, force);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: blockhost-vm-stop <name> [--timeout S [--force]]\n");
	return 1;
}

/* ------------------------------------------------------------ status, list, metrics */

static int cmd_status(int argc, char **argv)
{
	struct ctx c;
	int st = 0, r;
	const char *out = "unknown";

	if (argc == 2 && prov_valid_name(argv[1]) && ctx_init(&c, false) == 0) {
		r = dom_state(&c, argv[1], &st);
		if (r == 0)
			out = prov_status_from_state(st);
		else if (r == BH_ERR_NOT_FOUND)
			out = "destroyed";
		ctx_done(&c);
	} else if (argc != 2) {
		fprintf(stderr, "usage: blockhost-vm-status <name>\n");
	}
	printf("%s\n", out);
	return 0;
}

static json_t *live_states(struct ctx *c)
{
	virDomainPtr *doms = NULL;
	json_t *o;
	int n;

	if (!ro_conn(c) || (n = virConnectListAllDomains(c->ro, &doms, 0)) < 0)
		return NULL;
	o = json_object();
	for (int i = 0; i < n; i++) {
		int st, reason;
		const char *nm = virDomainGetName(doms[i]);
		if (o && nm && virDomainGetState(doms[i], &st, &reason, 0) == 0)
			json_object_set_new(o, nm, json_string(prov_status_from_state(st)));
		virDomainFree(doms[i]);
	}
	free(doms);
	return o;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option lo[] = { { "format", required_argument, NULL, 'f' },
					    { NULL, 0, NULL, 0 } };
	bool json = false;
	struct ctx c;
	json_t *recs = NULL, *live = NULL;
	char *out = NULL;
	struct bh_msg m = { "" };
	int o;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == 'f' && (!strcmp(optarg, "json") || !strcmp(optarg, "tsv"))) {
			json = !strcmp(optarg, "json");
			continue;
		}
		fprintf(stderr, "usage: blockhost-vm-list [--format json]\n");
		return 2;
	}
	if (ctx_init(&c, true) == 0 && bh_vmdb_list(c.db, &recs, &m) == 0) {
		live = live_states(&c);
	} else {
		if (m.text[0])
			say("VM database: %s", m.text);
		json_decref(recs);
		recs = json_array();
	}
	if (prov_format_list(recs, live, json, &out) == 0)
		fputs(out, stdout);
	else
		fputs(json ? "[]\n" : "NAME\tSTATUS\tIP\tCREATED\n", stdout);
	free(out);
	json_decref(recs);
	json_decref(live);
	ctx_done(&c);
	return 0;
}

static void sample_domain(virDomainPtr d, struct prov_sample *s)
{
	virDomainInfo info;
	virDomainMemoryStatStruct ms[VIR_DOMAIN_MEMORY_STAT_NR];
	struct prov_xml_info xi;
	char *xml;
	int n;

	memset(s, 0, sizeof *s);
	s->t_ms = now_ms();
	s->uptime_s = -1;
	if (virDomainGetInfo(d, &info) == 0) {
		s->state = info.state;
		s->vcpus = info.nrVirtCpu;
		s->cpu_time_ns = info.cpuTime;
		s->mem_total_kb = info.maxMem;
	}
	if (s->state == VIR_DOMAIN_RUNNING &&
	    (n = virDomainMemoryStats(d, ms, VIR_DOMAIN_MEMORY_STAT_NR, 0)) > 0) {
		uint64_t avail = 0, unused = 0, rss = 0;
		for (int i = 0; i < n; i++) {
			if (ms[i].tag == VIR_DOMAIN_MEMORY_STAT_AVAILABLE) avail = ms[i].val;
			if (ms[i].tag == VIR_DOMAIN_MEMORY_STAT_UNUSED) unused = ms[i].val;
			if (ms[i].tag == VIR_DOMAIN_MEMORY_STAT_RSS) rss = ms[i].val;
		}
		/* guest view (balloon driver) when present, else host RSS of qemu */
		s->mem_used_kb = avail && unused <= avail ? avail - unused : rss;
		if (s->mem_used_kb > s->mem_total_kb)
			s->mem_used_kb = s->mem_total_kb;
	}
	if (!(xml = virDomainGetXMLDesc(d, 0)))
		return;
	if (prov_xml_parse_info(xml, strlen(xml), &xi, NULL) == 0) {
		s->agent = xi.agent_connected;
		for (unsigned i = 0; i < xi.n_disks; i++) {
			virDomainBlockInfo bi;
			virDomainBlockStatsStruct bs;
			if (virDomainGetBlockInfo(d, xi.disk_targets[i], &bi, 0) == 0)
				s->disk_total_bytes += bi.capacity;
			if (s->state == VIR_DOMAIN_RUNNING &&
			    virDomainBlockStats(d, xi.disk_targets[i], &bs, sizeof bs) == 0) {
				s->rd_reqs += bs.rd_req > 0 ? (uint64_t)bs.rd_req : 0;
				s->wr_reqs += bs.wr_req > 0 ? (uint64_t)bs.wr_req : 0;
				s->rd_bytes += bs.rd_bytes > 0 ? (uint64_t)bs.rd_bytes : 0;
				s->wr_bytes += bs.wr_bytes > 0 ? (uint64_t)bs.wr_bytes : 0;
			}
		}
		for (unsigned i = 0; s->state == VIR_DOMAIN_RUNNING && i < xi.n_ifaces; i++) {
			virDomainInterfaceStatsStruct is;
			if (virDomainInterfaceStats(d, xi.iface_targets[i], &is, sizeof is) == 0) {
				s->rx_bytes += is.rx_bytes > 0 ? (uint64_t)is.rx_bytes : 0;
				s->tx_bytes += is.tx_bytes > 0 ? (uint64_t)is.tx_bytes : 0;
			}
		}
	}
	free(xml);
}

static int cmd_metrics(int argc, char **argv)
{
	const char *name;
	struct ctx c;
	virDomainPtr d = NULL;
	struct prov_sample cur, prev;
	bool have_prev = false;
	char *dir = NULL, *cache = NULL, *s = NULL;
	json_t *out = NULL, *js = NULL;
	int exitc = 1;

	if (one_name(argc, argv, "blockhost-vm-metrics <name>", &name) < 0)
		return 1;
	if (ctx_init(&c, false) < 0 || !ro_conn(&c))
		goto out;
	if (!(d = virDomainLookupByName(c.ro, name))) {
		say("VM %s not found", name);
		goto out;
	}
	sample_domain(d, &cur);
	/* delta samples: the previous call's counters, cached per VM */
	if (bh_path(BH_DIR_STATE, "metrics", &dir) == 0 &&
	    asprintf(&cache, "%s/%s.json", dir, name) >= 0) {
		struct bh_buf b;
		bh_buf_init(&b, 8192);
		if (bh_file_load_safe(&b, cache) == 0 &&
		    prov_sample_from_json((const char *)bh_buf_ptr(&b), bh_buf_len(&b), &prev,
					  NULL) == 0)
			have_prev = true;
		bh_buf_done(&b);
		/* uptime: first time seen running by this cache (libvirt has no read-only API) */
		if (cur.state == VIR_DOMAIN_RUNNING) {
			int64_t since = cur.t_ms;
			if (have_prev && prev.state == VIR_DOMAIN_RUNNING && prev.uptime_s >= 0 &&
			    cur.cpu_time_ns >= prev.cpu_time_ns)
				since = prev.t_ms - prev.uptime_s * 1000;
			cur.uptime_s = (cur.t_ms - since) / 1000;
		}
		mkdir(dir, 0750);
		if ((js = prov_sample_to_json(&cur)))
			bh_atomic_write_json(cache, js, 0640);
	}
	if (!(out = prov_metrics_json(&cur, have_prev ? &prev : NULL)) ||
	    !(s = json_dumps(out, JSON_COMPACT)))
		goto out;
	printf("%s\n", s);
	exitc = 0;
out:
	if (d)
		virDomainFree(d);
	free(s); free(dir); free(cache);
	json_decref(out);
	json_decref(js);
	ctx_done(&c);
	return exitc;
}

/* ------------------------------------------------------------ gc, resume */

static int cmd_gc(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "execute", no_argument, NULL, 'x' },
		{ "suspend-only", no_argument, NULL, 's' },
		{ "destroy-only", no_argument, NULL, 'd' },
		{ "grace-days", required_argument, NULL, 'g' },
		{ "shutdown-timeout", required_argument, NULL, 't' },
		{ "mock", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	bool exec = false, sonly = false, donly = false, mock = false;
	long long grace = -1, tmo = 60;
	struct ctx c;
	struct bh_msg m = { "" };
	json_t *sus = NULL, *des = NULL, *v;
	int64_t now = clock_now();
	size_t i;
	int o, fails = 0;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'x': exec = true; break;
		case 's': sonly = true; break;
		case 'd': donly = true; break;
		case 'M': mock = true; break;
		case 'g': if (parse_int(optarg, 0, 36500, &grace)) break; goto usage;
		case 't': if (parse_int(optarg, 1, 3600, &tmo)) break; goto usage;
		default: goto usage;
		}
	}
	if (optind != argc || (sonly && donly))
		goto usage;
	if (ctx_init(&c, true) < 0) {
		ctx_done(&c);
		return 1;
	}
	if (grace < 0)
		grace = c.dbc.gc_grace_days;
	if (!donly) {
		if (bh_vmdb_vms_to_suspend(c.db, now, &sus, &m) < 0) {
			say("VM database: %s", m.text);
			fails++;
		}
		printf("Suspend: %zu candidates\n", json_array_size(sus));
		json_array_foreach(sus, i, v) {
			const char *n = json_string_value(json_object_get(v, "vm_name"));
			printf("  %s %s\n", exec ? "suspending" : "would suspend", n);
			if (!exec)
				continue;
			if ((!mock && stop_vm(&c, n, (int)tmo, true) < 0) ||
			    bh_vmdb_mark_suspended(c.db, n, &m) < 0) {
				say("suspend %s failed%s%s", n, m.text[0] ? ": " : "", m.text);
				fails++;
			}
		}
	}
	if (!sonly) {
		if (bh_vmdb_vms_to_destroy(c.db, now, (int)grace, &des, &m) < 0) {
			say("VM database: %s", m.text);
			fails++;
		}
		printf("Destroy: %zu candidates (grace %lld days)\n", json_array_size(des), grace);
		json_array_foreach(des, i, v) {
			const char *n = json_string_value(json_object_get(v, "vm_name"));
			printf("  %s %s\n", exec ? "destroying" : "would destroy", n);
			if (!exec)
				continue;
			if (mock ? bh_vmdb_mark_destroyed(c.db, n, &m) < 0 : destroy_vm(&c, n) < 0) {
				say("destroy %s failed", n);
				fails++;
			}
		}
	}
	if (!exec)
		printf("Dry run: nothing changed (use --execute)\n");
	json_decref(sus);
	json_decref(des);
	ctx_done(&c);
	return fails ? 1 : 0;
usage:
	fprintf(stderr, "usage: blockhost-vm-gc [--execute] [--suspend-only|--destroy-only] "
		"[--grace-days N] [--shutdown-timeout S] [--mock]\n");
	return 2;
}

static int cmd_resume(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "extend-days", required_argument, NULL, 'e' },
		{ "mock", no_argument, NULL, 'M' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	long long days = 0;
	bool mock = false, dry = false;
	struct ctx c;
	struct bh_msg m = { "" };
	json_t *rec = NULL;
	const char *name;
	int o, r;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'e': if (parse_int(optarg, 1, 36500, &days)) break; goto usage;
		case 'M': mock = true; break;
		case 'n': dry = true; break;
		default: goto usage;
		}
	}
	if (optind + 1 != argc || !prov_valid_name(argv[optind]))
		goto usage;
	name = argv[optind];
	if ((r = ctx_init(&c, true)) < 0)
		goto out;
	if ((r = bh_vmdb_get(c.db, name, &rec, &m)) < 0) {
		say("VM database: %s", m.text);
		goto out;
	}
	if (dry) {
		say("dry run: would start %s%s", name, days ? " and extend its expiry" : "");
		goto out;
	}
	if (!mock && (r = start_vm(&c, name)) < 0)
		goto out;
	if ((r = bh_vmdb_mark_active(c.db, name, days ? clock_now() + days * 86400 : 0, &m)) < 0)
		say("VM database: %s", m.text);
	else
		say("resumed %s", name);
out:
	json_decref(rec);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: blockhost-vm-resume <name> [--extend-days N] [--mock] [--dry-run]\n");
	return 1;
}

/* ------------------------------------------------------------ guest side */

static int cmd_update_gecos(int argc, char **argv)
{
	static const struct option lo[] = { { "nft-id", required_argument, NULL, 'n' },
					    { "username", required_argument, NULL, 'u' },
					    { NULL, 0, NULL, 0 } };
	long long nft = -1;
	const char *user = NULL;
	char gecos[80];
	struct ctx c;
	struct bh_msg m = { "" };
	json_t *rec = NULL, *f;
	int o, r;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (o == 'n' && parse_int(optarg, 0, INT64_MAX, &nft))
			continue;
		if (o == 'u') {
			user = optarg;
			continue;
		}
		goto usage;
	}
	if (optind + 2 != argc || nft < 0 || !prov_valid_name(argv[optind]) ||
	    !prov_valid_wallet(argv[optind + 1]))
		goto usage;
	snprintf(gecos, sizeof gecos, "wallet=%s,nft=%lld", argv[optind + 1], nft);
	if ((r = ctx_init(&c, true)) < 0)
		goto out;
	if (!user && bh_vmdb_get(c.db, argv[optind], &rec, NULL) == 0)
		user = json_string_value(json_object_get(rec, "username"));
	if (!user || !prov_valid_username(user))
		user = "admin";
	r = agent(&c, "domain-update-gecos", argv[optind],
		  json_pack("{s:s,s:s}", "username", user, "gecos", gecos), NULL);
	if (r == 0 && (f = json_pack("{s:b}", "gecos_synced", 1))) {
		if (bh_vmdb_update_fields(c.db, argv[optind], f, &m) < 0 && m.text[0])
			say("VM database: %s", m.text);
		json_decref(f);
	}
	if (r == 0)
		say("GECOS of %s on %s set to %s", user, argv[optind], gecos);
out:
	json_decref(rec);
	ctx_done(&c);
	return r < 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: blockhost-vm-update-gecos <name> <wallet> --nft-id <int> "
		"[--username U]\n");
	return 1;
}

static int cmd_guest_exec(int argc, char **argv)
{
	char cmd[PROV_GUEST_EXEC_MAX + 1];
	size_t len = 0;
	struct ctx c;
	json_t *rep = NULL;
	int r, code = 1;

	if (argc < 3 || !prov_valid_name(argv[1])) {
		fprintf(stderr, "usage: blockhost-vm-guest-exec <name> <command...>\n");
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (len + n + (i > 2) > PROV_GUEST_EXEC_MAX) {
			say("command longer than %d bytes", PROV_GUEST_EXEC_MAX);
			return 1;
		}
		if (i > 2)
			cmd[len++] = ' ';
		memcpy(cmd + len, argv[i], n);
		len += n;
	}
	cmd[len] = '\0';
	if ((r = ctx_init(&c, false)) == 0 &&
	    (r = agent(&c, "domain-guest-exec", argv[1], json_pack("{s:s}", "command", cmd),
		       &rep)) == 0) {
		const char *o = json_string_value(json_object_get(rep, "stdout"));
		const char *e = json_string_value(json_object_get(rep, "stderr"));
		json_t *x = json_object_get(rep, "exitcode");
		if (o)
			fputs(o, stdout);
		if (e)
			fputs(e, stderr);
		code = json_is_integer(x) ? (int)(json_integer_value(x) & 0xff) : 1;
	}
	json_decref(rep);
	ctx_done(&c);
	return code;
}

static int cmd_detect(int argc, char **argv)
{
	struct ctx c;
	int ok;

	(void)argc;
	(void)argv;
	ok = ctx_init(&c, false) == 0 && (c.ro = virConnectOpenReadOnly(c.conf.uri)) != NULL;
	ctx_done(&c);
	return ok ? 0 : 1;
}

int prov_build_template(int argc, char **argv);
int prov_throttle(int argc, char **argv, const char *agent_socket);

static int cmd_throttle(int argc, char **argv)
{
	struct ctx c;
	int r;

	if (ctx_init(&c, false) < 0) {
		ctx_done(&c);
		return 1;
	}
	r = prov_throttle(argc, argv, c.conf.agent_socket);
	ctx_done(&c);
	return r;
}

/* ------------------------------------------------------------ sandbox */

#define PROV_SERVICE "blockhost-provisioner"

/*
 * policy/blockhost-provisioner.policy + seccomp/blockhost-provisioner at the start of a
 * verb.  create gets the policy only: a seccomp filter is inherited across execve, and
 * qemu-img / cloud-localds are not ours to list.  build-template (root, debootstrap)
 * applies neither.  NSS is loaded first so no module is dlopen'ed under the filter.
 */
static int sandbox(const char *verb)
{
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	int r;

	if (strcmp(verb, "build-template") == 0)
		return 0;
	(void)getpwuid(getuid());
	if (strcmp(verb, "create") == 0) {
		if ((r = bh_policy_load(NULL, PROV_SERVICE, &p, &m)) == 0)
			r = bh_sandbox_apply_policy(p, 0, &m);
		bh_policy_free(p);
	} else {
		r = bh_sandbox_apply(PROV_SERVICE, BH_SANDBOX_ALLOW_DEBUG_ENV, &m);
	}
	if (r < 0)
		say("sandbox: %s: %s", m.text[0] ? m.text : "", bh_strerror(r));
	return r;
}

/* ------------------------------------------------------------ dispatch */

static const struct {
	const char *verb;
	int (*fn)(int, char **);
} verbs[] = {
	{ "create", cmd_create }, { "destroy", cmd_destroy }, { "start", cmd_start },
	{ "stop", cmd_stop }, { "kill", cmd_kill }, { "status", cmd_status },
	{ "list", cmd_list }, { "metrics", cmd_metrics }, { "throttle", cmd_throttle },
	{ "gc", cmd_gc }, { "resume", cmd_resume }, { "update-gecos", cmd_update_gecos },
	{ "guest-exec", cmd_guest_exec }, { "detect", cmd_detect },
	{ "build-template", prov_build_template },
};

int main(int argc, char **argv)
{
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	const char *verb = NULL;
	static char namebuf[64];

	base = base ? base + 1 : (argc > 0 ? argv[0] : "blockhost-vm");
	virSetErrorFunc(NULL, quiet_virt);
	if (strncmp(base, "blockhost-vm-", 13) == 0)
		verb = base + 13;
	else if (strcmp(base, "blockhost-provisioner-detect") == 0)
		verb = "detect";
	else if (strcmp(base, "blockhost-build-template") == 0)
		verb = "build-template";
	else if (argc >= 2) {
		verb = argv[1];
		argc--;
		argv++;
	}
	for (size_t i = 0; verb && i < sizeof verbs / sizeof verbs[0]; i++) {
		if (strcmp(verb, verbs[i].verb) != 0)
			continue;
		snprintf(namebuf, sizeof namebuf, "vm-%s", verb);
		verb_name = namebuf;
		if (virInitialize() < 0) {
			say("libvirt initialisation failed");
			return 1;
		}
		if (sandbox(verb) < 0) {
			if (strcmp(verb, "status") == 0) {
				printf("unknown\n"); /* the contract: one word, exit 0 */
				return 0;
			}
			if (strcmp(verb, "list") == 0) { /* the contract: empty list, exit 0 */
				bool json = false;
				for (int k = 1; k + 1 < argc; k++)
					json |= !strcmp(argv[k], "--format") && !strcmp(argv[k + 1], "json");
				fputs(json ? "[]\n" : "NAME\tSTATUS\tIP\tCREATED\n", stdout);
				return 0;
			}
			return 1;
		}
		return verbs[i].fn(argc, argv);
	}
	fprintf(stderr, "usage: blockhost-vm <verb> ... (verbs: create destroy start stop kill "
		"status list metrics throttle gc resume update-gecos guest-exec detect "
		"build-template), or call it as blockhost-vm-<verb>\n");
	return 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-create NAME --owner-wallet 0x.. [...] (docs/provisioner.md, "create"):
 * validate, lock, allocate the addresses, render the NoCloud seed with a fresh pam_web3
 * secret, write and build it, domain-define + domain-start through the root agent,
 * isolate the bridge ports, wait for the guest agent, register in vms.json, print the
 * BLOCKHOST_RESULT line.
 *
 * Each step is a function that fills msg and pushes what it made onto the undo list;
 * on any failure the list is run in reverse (every entry attempted and reported) and
 * the error is printed as {"status":"error","error":...} on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "cli.h"
#include "core/atomicio.h"
#include "core/hex.h"
#include "core/spawn.h"
#include "core/strutil.h"
#include "lock.h"
#include "sandbox/sandbox.h"
#include "subcommands.h"

static const struct option create_options[] = {
	{ "owner-wallet", required_argument, NULL, 'w' },
	{ "nft-id", required_argument, NULL, 'n' },
	{ "nft-token-id", required_argument, NULL, 'N' }, /* upstream's name (§1.2) */
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

/* ------------------------------------------------------------ the undo list */

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

/* Success: what was made stays. */
static void undo_forget(struct undo_stack *s)
{
	while (s->n > 0)
		free(s->u[--s->n].arg);
}

/* ------------------------------------------------------------ the request and its state */

struct create_req {
	const char *name, *wallet, *username;
	long long cpu, mem, disk, days;
	bool apply, mock;
};

struct create {
	struct create_req q;
	struct ctx c;
	struct undo_stack us;
	char *ip, *ip6;                        /* allocated from the pools, or NULL */
	char gw[INET_ADDRSTRLEN], gw6[INET6_ADDRSTRLEN];
	char *ud, *md, *nc;                    /* user-data (holds the secret), meta-data, network-config */
	char *seed_path;                       /* <cloud-init>/NAME/cidata.iso */
	unsigned ssh_port;                     /* user_net_ssh: the forward domain-define picked, or 0 */
};

static void create_done(struct create *cr)
{
	if (cr->ud)
		explicit_bzero(cr->ud, strlen(cr->ud));
	free(cr->ud); free(cr->md); free(cr->nc);
	free(cr->ip); free(cr->ip6); free(cr->seed_path);
	ctx_done(&cr->c);
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

/* A number option within lo..hi, else a usage error naming the option and its range. */
static int num_opt(const char *opt, long long lo, long long hi, long long *ret,
		   struct bh_msg *msg)
{
	if (parse_int(optarg, lo, hi, ret))
		return 0;
	bh_msg_set(msg, "%s: expected %lld..%lld", opt, lo, hi);
	return -EINVAL;
}

/*
 * The command line.  0; -EINVAL for a usage error (exit 2; msg names the option or the
 * missing operand, or is empty when it was printed already: by prov_getopt, or the usage
 * for a missing name); BH_ERR_UNSUPPORTED for --cloud-init-content (exit 2);
 * BH_ERR_FORMAT for an invalid name, wallet or user name (exit 1, the contract's JSON
 * error).  --nft-id (upstream: --nft-token-id) is checked
 * and not used: the GECOS is nft= until update-gecos (upstream §12.14).
 */
static int create_parse(int argc, char **argv, struct create_req *ret, struct bh_msg *msg)
{
	struct create_req q = { .username = "admin", .cpu = 1, .mem = 2048, .disk = 20,
				.days = 30 };
	long long nft_unused;
	int o, r = 0;

	while (r == 0 && (o = prov_getopt(&prov_cmd_create, argc, argv)) != -1) {
		switch (o) {
		case 'w': q.wallet = optarg; break;
		case 'n':
		case 'N':
			if (!parse_int(optarg, 0, INT64_MAX, &nft_unused)) {
				bh_msg_set(msg, "%s: expected an integer >= 0",
					   o == 'n' ? "--nft-id" : "--nft-token-id");
				r = -EINVAL;
			}
			break;
		case 'e': r = num_opt("--expiry-days", 1, 36500, &q.days, msg); break;
		case 'c': r = num_opt("--cpu", 1, 64, &q.cpu, msg); break;
		case 'm': r = num_opt("--memory", 128, 1048576, &q.mem, msg); break;
		case 'd': r = num_opt("--disk", 1, 65536, &q.disk, msg); break;
		case 'a': q.apply = true; break;
		case 'C':
			bh_msg_set(msg, "--cloud-init-content is not supported: the seed is built "
				   "from validated fields only");
			return BH_ERR_UNSUPPORTED;
		case 'u': q.username = optarg; break;
		case 'M': q.mock = true; break;
		default: return -EINVAL; /* printed by prov_getopt */
		}
	}
	if (r < 0)
		return r;
	if (optind == argc) { /* the synopsis is the help here */
		say("a VM name is required");
		prov_usage(&prov_cmd_create);
		return -EINVAL;
	}
	if (optind + 1 != argc) {
		bh_msg_set(msg, "unexpected argument '%s': one VM name only", argv[optind + 1]);
		return -EINVAL;
	}
	if (!q.wallet) {
		bh_msg_set(msg, "--owner-wallet is required");
		return -EINVAL;
	}
	q.name = argv[optind];
	if (!prov_valid_name(q.name)) {
		bh_msg_set(msg, "invalid VM name: must match ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$");
		return BH_ERR_FORMAT;
	}
	if (!prov_valid_wallet(q.wallet)) {
		bh_msg_set(msg, "--owner-wallet: must match ^0x[0-9a-fA-F]{40}$");
		return BH_ERR_FORMAT;
	}
	if (!prov_valid_username(q.username)) {
		bh_msg_set(msg, "--username: must match ^[a-z_][a-z0-9_-]{0,31}$");
		return BH_ERR_FORMAT;
	}
	*ret = q;
	return 0;
}

/* ------------------------------------------------------------ the steps */

/* Neither a record nor a libvirt domain of that name (the domain not checked with --mock). */
static int create_check_free(struct create *cr, struct bh_msg *m)
{
	json_t *rec = NULL;
	int r, st;

	if ((r = bh_vmdb_get(cr->c.db, cr->q.name, &rec, NULL)) == 0) {
		json_decref(rec);
		bh_msg_set(m, "VM '%s' already exists in the database", cr->q.name);
		return BH_ERR_EXISTS;
	}
	if (r != BH_ERR_NOT_FOUND) {
		bh_msg_set(m, "VM database: %s", bh_strerror(r));
		return r;
	}
	if (cr->q.mock)
		return 0;
	r = dom_state(&cr->c, cr->q.name, &st);
	if (r == 0) {
		bh_msg_set(m, "a libvirt domain named '%s' already exists", cr->q.name);
		return BH_ERR_EXISTS;
	}
	if (r != BH_ERR_NOT_FOUND) {
		bh_msg_set(m, "libvirt at %s: %s", cr->c.conf.uri, virt_err());
		return r;
	}
	return 0;
}

/* IPv4/IPv6 from the pools (undo: release) and the gateways the seed names. */
static int create_addresses(struct create *cr, struct bh_msg *m)
{
	const struct bh_db_config *d = &cr->c.dbc;
	int r;

	if (d->has_ip_pool) {
		if ((r = bh_vmdb_allocate_ip(cr->c.db, AF_INET, &cr->ip, m)) < 0 ||
		    (r = undo_push(&cr->us, U_IP, cr->ip)) < 0)
			return r;
		if (d->ip_pool.has_gateway)
			inet_ntop(AF_INET, &d->ip_pool.gateway, cr->gw, sizeof cr->gw);
	}
	if (d->has_ipv6_pool) {
		if ((r = bh_vmdb_allocate_ip(cr->c.db, AF_INET6, &cr->ip6, m)) < 0 ||
		    (r = undo_push(&cr->us, U_IP, cr->ip6)) < 0)
			return r;
		/* the bridge's gateway is prefix+1 (never allocated; upstream.md §5.9): the
		 * guest's IPv6 default route (ifupdown adds it "onlink" from the /128) */
		struct in6_addr g6 = d->ipv6_pool.prefix;
		g6.s6_addr[15] |= 1; /* host bits are clear: prefix_len <= 126 */
		inet_ntop(AF_INET6, &g6, cr->gw6, sizeof cr->gw6);
	}
	return 0;
}

/* user-data, meta-data, network-config in memory; the pam_web3 secret: 32 fresh random
 * bytes, only ever in user-data (wiped at the end) and the 0600 / 0640 files. */
static int create_render(struct create *cr, struct bh_msg *m)
{
	uint8_t key[32];
	char secret[65];
	char *pam = NULL, *dropin = NULL;
	int r;

	if (getrandom(key, sizeof key, 0) != (ssize_t)sizeof key) {
		r = bh_negerrno();
		bh_msg_set(m, "getrandom: %s", strerror(-r));
		return r;
	}
	bh_hex_encode(key, sizeof key, secret);
	explicit_bzero(key, sizeof key);
	pam = read_text(BH_DIR_SHARE, "vm/pam.d-sshd");
	dropin = read_text(BH_DIR_SHARE, "vm/50-blockhost.conf");
	struct prov_seed_spec ss = {
		.vm_name = cr->q.name, .username = cr->q.username, .wallet = cr->q.wallet,
		.secret_hex = secret, .ip = cr->ip, .ipv6 = cr->ip6,
		.gateway = cr->gw[0] ? cr->gw : NULL, .ipv6_gateway = cr->gw6[0] ? cr->gw6 : NULL,
		.pam_sshd = pam, .sshd_dropin = dropin,
	};
	if ((r = prov_render_user_data(&ss, &cr->ud, m)) < 0 ||
	    (r = prov_render_meta_data(&ss, &cr->md)) < 0 ||
	    (r = prov_render_network_config(&ss, &cr->nc)) < 0) {
		char detail[sizeof m->text];
		snprintf(detail, sizeof detail, "%s", m->text[0] ? m->text : bh_strerror(r));
		bh_msg_set(m, "cloud-init: %s", detail);
	}
	explicit_bzero(secret, sizeof secret);
	free(pam);
	free(dropin);
	return r;
}

/*
 * The ISO carries user-data, so the VM's secret: 0640 (qemu reads it through the
 * group), set on the file we opened (not a name that could be swapped), then verified.
 */
static int seed_iso_mode(const char *path, struct bh_msg *m)
{
	struct stat st;
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0) {
		r = bh_negerrno();
		bh_msg_set(m, "seed %s: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = bh_negerrno();
		bh_msg_set(m, "seed %s: %s", path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		r = BH_ERR_UNSAFE_FILE;
		bh_msg_set(m, "seed %s: not a regular file owned by uid %u", path,
			   (unsigned)geteuid());
		goto out;
	}
	if (fchmod(fd, 0640) < 0) {
		r = bh_negerrno();
		bh_msg_set(m, "seed %s: chmod 0640: %s", path, strerror(-r));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = bh_negerrno();
		bh_msg_set(m, "seed %s: %s", path, strerror(-r));
		goto out;
	}
	if ((st.st_mode & 07777) != 0640) {
		r = BH_ERR_UNSAFE_FILE;
		bh_msg_set(m, "seed %s: mode is %04o after chmod 0640", path,
			   (unsigned)(st.st_mode & 07777));
		goto out;
	}
	r = 0;
out:
	close(fd);
	return r;
}

/*
 * The seed helper.  create runs under seccomp/blockhost-provisioner like every verb, which
 * starts no process and maps no executable memory (cloud-localds, a shell script running
 * several tools, and xorriso could not even start under it: a filter is inherited across
 * execve).  So before the filter (prov_cmd.before_sandbox) create forks one helper, the gc
 * verb's and the engine's spawner pattern: the verb's policy and identity, no filter, the
 * configuration read before the fork.  It reads one VM name per line ("NAME\n",
 * prov_valid_name) on a socketpair, builds <cloud_init_dir>/NAME/cidata.iso from the fixed
 * file names there (cloud-localds -N, else xorriso; argv, never a shell) and answers
 * "EXIT TEXT\n" (the tool's exit code, -errno if it could not run; TEXT says which tool
 * failed how, with the first 300 bytes of its stderr, sanitised).  It never sees the seed's contents.  EOF: it exits.
 */
static int seed_fd = -1;

static void seed_helper_loop(int fd, const char *cidir)
{
	char req[128], resp[448], text[400];

	for (;;) {
		ssize_t n = read(fd, req, sizeof(req) - 1);
		char *dir = NULL, *ud = NULL, *md = NULL, *nc = NULL, *iso = NULL, *which = NULL;
		int ec = -EINVAL;
		if (n <= 0)
			return;
		req[n] = '\0';
		text[0] = '\0';
		char *nl = strchr(req, '\n');
		if (nl && nl[1] == '\0') {
			*nl = '\0';
			if (prov_valid_name(req) && file_path(cidir, req, "", &dir) == 0 &&
			    file_path(dir, "user-data", "", &ud) == 0 &&
			    file_path(dir, "meta-data", "", &md) == 0 &&
			    file_path(dir, "network-config", "", &nc) == 0 &&
			    file_path(dir, "cidata.iso", "", &iso) == 0) {
				const char *av[] = { "cloud-localds", "-N", nc, iso, ud, md, NULL };
				const char *xo[] = { "xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-V",
						     "cidata", "-J", "-r", ud, md, nc, NULL };
				bool have = bh_spawn_which("cloud-localds", BH_SPAWN_DEFAULT_PATH, &which) == 0;
				struct bh_spawn_opts o = { .argv = have ? av : xo, .search_path = true,
							   .timeout_ms = 300000, .stdout_max = 65536,
							   .stderr_max = 65536, .allow_truncate = true };
				struct bh_spawn_result res;
				if ((ec = bh_spawn_run(&o, &res)) == 0) {
					char err[304];
					size_t k = bh_buf_len(&res.err);
					const char *t = (const char *)bh_buf_ptr(&res.err);
					while (k && (t[k - 1] == '\n' || t[k - 1] == '\r'))
						k--;
					bh_str_sanitize(t ? t : "", k > 300 ? 300 : k, err, sizeof(err));
					ec = res.exit_code;
					if (ec)
						snprintf(text, sizeof(text), "%s failed (exit %d): %s",
							 o.argv[0], ec, err);
					bh_spawn_result_done(&res);
				} else {
					snprintf(text, sizeof(text), "cannot run %s: %s", o.argv[0],
						 bh_strerror(ec));
				}
			}
		}
		free(dir); free(ud); free(md); free(nc); free(iso); free(which);
		int m = snprintf(resp, sizeof(resp), "%d %s\n", ec, text);
		if (m < 0 || write(fd, resp, (size_t)m) != m)
			return;
	}
}

static int create_before_sandbox(int argc, char **argv)
{
	struct prov_conf conf;
	struct bh_msg m = { "" };
	int sv[2];
	pid_t pid;

	(void)argc;
	(void)argv;
	if (prov_conf_load(NULL, &conf, &m) < 0)
		return 0; /* create reports the configuration error itself */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		say("seed helper: socketpair: %s", strerror(errno));
		prov_conf_done(&conf);
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		say("seed helper: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		prov_conf_done(&conf);
		return -1;
	}
	if (pid == 0) {
		struct bh_policy *p = NULL;
		close(sv[0]);
		/* the verb's policy (limits, no_new_privs, identity), not its filter */
		if (bh_policy_load(NULL, "blockhost-provisioner", &p, &m) == 0 &&
		    bh_sandbox_apply_policy(p, BH_SANDBOX_CHECK_IDENTITY, &m) == 0)
			seed_helper_loop(sv[1], conf.cloud_init_dir);
		else
			say("seed helper: sandbox: %s", m.text);
		_exit(0);
	}
	close(sv[1]);
	prov_conf_done(&conf);
	seed_fd = sv[0];
	return 0;
}

/* Ask the seed helper to build NAME's ISO; 0 or an error with msg. */
static int seed_build(const char *name, struct bh_msg *m)
{
	char req[128], resp[448];
	size_t got = 0;
	int len, ec;

	if (seed_fd < 0) {
		bh_msg_set(m, "the seed helper was not started");
		return BH_ERR_INTERNAL;
	}
	len = snprintf(req, sizeof(req), "%s\n", name);
	if (len < 0 || (size_t)len >= sizeof(req) || write(seed_fd, req, (size_t)len) != len) {
		bh_msg_set(m, "the seed helper is gone");
		return BH_ERR_CHILD;
	}
	while (got < sizeof(resp) - 1) {
		ssize_t n = read(seed_fd, resp + got, sizeof(resp) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (resp[got - 1] == '\n')
			break;
	}
	resp[got] = '\0';
	char *sp = strchr(resp, ' '), *nl = strchr(resp, '\n');
	if (!got || !sp || !nl) {
		bh_msg_set(m, "the seed helper is gone");
		return BH_ERR_CHILD;
	}
	*sp = *nl = '\0';
	ec = atoi(resp);
	if (ec == 0)
		return 0;
	say("seed: %s", sp[1] ? sp + 1 : "invalid request");
	return ec < 0 ? ec : BH_ERR_CHILD;
}

/* <cloud-init>/NAME/ (0711; undo: remove) with user-data (0600), meta-data,
 * network-config and cidata.iso (built by the seed helper: cloud-localds -N, else xorriso). */
static int create_seed(struct create *cr, struct bh_msg *m)
{
	char *dir = NULL, *ud = NULL, *md = NULL, *nc = NULL, *iso = NULL;
	int r;

	if ((r = file_path(cr->c.conf.cloud_init_dir, cr->q.name, "", &dir)) < 0)
		goto out;
	/* 0711: the agent resolves paths inside without read access to the listing */
	if (mkdir(dir, 0711) < 0) {
		r = bh_negerrno();
		bh_msg_set(m, "seed directory %s: %s", dir, strerror(-r));
		goto out;
	}
	if ((r = undo_push(&cr->us, U_SEEDDIR, dir)) < 0 ||
	    (r = file_path(dir, "user-data", "", &ud)) < 0 ||
	    (r = file_path(dir, "meta-data", "", &md)) < 0 ||
	    (r = file_path(dir, "network-config", "", &nc)) < 0 ||
	    (r = file_path(dir, "cidata.iso", "", &iso)) < 0)
		goto out;
	if ((r = bh_atomic_write(ud, cr->ud, strlen(cr->ud), 0600)) < 0 ||
	    (r = bh_atomic_write(md, cr->md, strlen(cr->md), 0640)) < 0 ||
	    (r = bh_atomic_write(nc, cr->nc, strlen(cr->nc), 0640)) < 0) {
		bh_msg_set(m, "writing the seed files in %s: %s", dir, bh_strerror(r));
		goto out;
	}
	if ((r = seed_build(cr->q.name, m)) < 0) {
		bh_msg_set(m, "building the NoCloud seed failed");
		goto out;
	}
	if ((r = seed_iso_mode(iso, m)) < 0)
		goto out;
	cr->seed_path = iso;
	iso = NULL;
	r = 0;
out:
	free(dir); free(ud); free(md); free(nc); free(iso);
	return r;
}

/* domain-define (undo: domain-undefine; its reply's "ssh_port" kept when user_net_ssh is
 * configured), domain-start, bridge isolation + IPv6 route (undo: the route). */
static int create_domain(struct create *cr, struct bh_msg *m)
{
	const struct prov_conf *conf = &cr->c.conf;
	const char *name = cr->q.name;
	struct bh_msg am = { "" };
	json_t *p, *reply = NULL;
	json_int_t port;
	int r;

	p = json_pack("{s:I,s:I,s:I,s:s}", "vcpus", (json_int_t)cr->q.cpu, "memory_mb",
		      (json_int_t)cr->q.mem, "disk_gb", (json_int_t)cr->q.disk, "seed",
		      cr->seed_path);
	if ((r = agent_call(&cr->c, "domain-define", name, p, &reply, &am)) < 0) {
		json_decref(reply);
		bh_msg_set(m, "defining the domain failed: %s", am.text);
		return r;
	}
	port = json_integer_value(json_object_get(reply, "ssh_port"));
	json_decref(reply);
	if ((r = undo_push(&cr->us, U_DOMAIN, name)) < 0)
		return r;
	if (conf->has_user_net_ssh) {
		/* the plugin picked it inside port_min..port_max; anything else is not ours */
		if (port < conf->ssh_port_min || port > conf->ssh_port_max) {
			bh_msg_set(m, "domain-define: reply has no ssh_port in %u..%u (user_net_ssh)",
				   conf->ssh_port_min, conf->ssh_port_max);
			return BH_ERR_FORMAT;
		}
		cr->ssh_port = (unsigned)port;
	}
	if ((r = agent_call(&cr->c, "domain-start", name, NULL, NULL, &am)) < 0) {
		bh_msg_set(m, "starting the domain failed: %s", am.text);
		return r;
	}
	if (conf->bridge && cr->ip6 && (r = undo_push(&cr->us, U_ROUTE6, cr->ip6)) < 0)
		return r;
	if ((r = net_attach(&cr->c, name, cr->ip6)) < 0) {
		bh_msg_set(m, "bridge port isolation / IPv6 route failed");
		return r;
	}
	return 0;
}

/* Until the guest agent channel reports connected (read-only XML, every 3 s). */
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

/* /etc/blockhost/network-mode: one word of [a-z0-9_-], at most 32; default "none". */
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

/* The record in vms.json (status active, the allocated addresses, the network mode; with a
 * user_net_ssh forward also "ssh_port", where the engine finds it after a restart).  A
 * record whose ssh_port could not be added is removed again: no half record stays. */
static int create_register(struct create *cr, struct bh_msg *m)
{
	char *mode = network_mode();
	struct bh_vm_spec vs = {
		.name = cr->q.name, .owner_wallet = cr->q.wallet,
		.network_mode = mode ? mode : "none", .ip_address = cr->ip,
		.ipv6_address = cr->ip6, .vmid = 0, .expiry_days = (int)cr->q.days,
		.purpose = "subscription", .username = cr->q.username,
	};
	int r = bh_vmdb_register(cr->c.db, &vs, NULL, m);

	if (r == 0 && cr->ssh_port) {
		json_t *f = json_pack("{s:I}", "ssh_port", (json_int_t)cr->ssh_port);
		struct bh_msg dm = { "" };
		r = f ? bh_vmdb_update_fields(cr->c.db, cr->q.name, f, m) : -ENOMEM;
		json_decref(f);
		if (r < 0 && bh_vmdb_delete(cr->c.db, cr->q.name, &dm) < 0)
			say("undo: the record of %s stays in the VM database: %s", cr->q.name, dm.text);
	}
	if (r < 0) {
		char detail[sizeof m->text];
		snprintf(detail, sizeof detail, "%s", m->text[0] ? m->text : bh_strerror(r));
		bh_msg_set(m, "registering in the VM database: %s", detail);
	}
	free(mode);
	return r;
}

/* Everything after the lock: the steps in order; the caller undoes on failure. */
static int create_run(struct create *cr, struct bh_msg *m)
{
	const struct create_req *q = &cr->q;
	char *line = NULL;
	int r;

	if ((r = create_check_free(cr, m)) < 0 || (r = create_addresses(cr, m)) < 0 ||
	    (r = create_render(cr, m)) < 0)
		return r;
	if (!q->apply) {
		fprintf(stderr, "[%s] dry run: would create %s (ip %s, ipv6 %s, %lld vCPU, "
			"%lld MiB, %lld GiB); nothing was changed (use --apply)\n", verb_name,
			q->name, cr->ip ? cr->ip : "-", cr->ip6 ? cr->ip6 : "-", q->cpu, q->mem,
			q->disk);
		undo_run(&cr->c, &cr->us);
		printf("{\"status\":\"dry-run\",\"vm_name\":\"%s\"}\n", q->name);
		return 0;
	}
	if (!q->mock) {
		/* the template must exist; domain-define creates the overlay on it */
		if (access(cr->c.conf.template_path, F_OK) < 0) {
			r = bh_negerrno();
			bh_msg_set(m, "template %s: %s", cr->c.conf.template_path, strerror(-r));
			return r;
		}
		if ((r = create_seed(cr, m)) < 0 || (r = create_domain(cr, m)) < 0)
			return r;
		if (cr->c.conf.guest_agent_timeout > 0) {
			say("waiting up to %d s for the guest agent", cr->c.conf.guest_agent_timeout);
			if ((r = wait_guest_agent(&cr->c, q->name, cr->c.conf.guest_agent_timeout)) < 0) {
				bh_msg_set(m, "guest agent did not answer within %d s",
					   cr->c.conf.guest_agent_timeout);
				return r;
			}
		}
	}
	if ((r = create_register(cr, m)) < 0)
		return r;
	undo_forget(&cr->us);
	if ((r = prov_result_line(q->name, cr->ip, cr->ip6, q->username, cr->ssh_port, &line)) < 0)
		return r;
	fputs(line, stdout);
	free(line);
	if (cr->ssh_port)
		say("created %s (ip %s, ssh 127.0.0.1:%u)", q->name, cr->ip ? cr->ip : "-", cr->ssh_port);
	else
		say("created %s (ip %s)", q->name, cr->ip ? cr->ip : "-");
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	struct create cr = { .us = { .n = 0 } };
	struct bh_msg m = { "" };
	int r;

	if ((r = create_parse(argc, argv, &cr.q, &m)) < 0) {
		if (r == -EINVAL)
			return m.text[0] ? prov_usage_error(&prov_cmd_create, "%s", m.text)
					 : BH_EXIT_USAGE;
		create_error(m.text);
		return r == BH_ERR_UNSUPPORTED ? 2 : 1;
	}
	if (ctx_init(&cr.c, true) < 0) {
		create_error("configuration error (see stderr)");
		create_done(&cr);
		return 1;
	}
	if ((r = prov_lock(&m)) == 0)
		r = create_run(&cr, &m);
	if (r < 0) {
		const char *why = m.text[0] ? m.text : bh_strerror(r);
		say("create %s failed: %s", cr.q.name, why);
		undo_run(&cr.c, &cr.us);
		create_error(why);
	}
	prov_unlock();
	create_done(&cr);
	return r < 0 ? 1 : 0;
}

const struct prov_cmd prov_cmd_create = {
	.name = "create", .run = cmd_create, .options = create_options,
	.usage = "blockhost-vm-create <name> --owner-wallet <0x + 40 hex> [--nft-id N] "
		 "[--expiry-days 1..36500] [--cpu 1..64] [--memory 128..1048576] [--disk 1..65536] "
		 "[--username U] [--apply] [--mock]\n"
		 "  --memory in MiB (2048), --disk in GiB (20), --expiry-days 30, --cpu 1, --username "
		 "admin.\n"
		 "  --nft-token-id N is upstream's name for --nft-id (checked, not used at create: "
		 "the GECOS gets nft= from update-gecos).\n"
		 "  Without --apply a dry run: nothing is changed.  Prints BLOCKHOST_RESULT: {...}; "
		 "a failure {\"status\":\"error\",...} on stdout, exit 1.",
	.sandbox = PROV_SANDBOX_FULL,
	.before_sandbox = create_before_sandbox,
};

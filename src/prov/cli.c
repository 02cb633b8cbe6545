/* SPDX-License-Identifier: MIT */
/* The verbs' shared context and helpers (cli.h): config, VM database, read-only libvirt,
 * root-agent calls, and the destroy/start/stop operations more than one verb runs. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "cli.h"
#include "core/atomicio.h"
#include "core/buf.h"
#include "core/spawn.h"
#include "subcommands.h"

const char *verb_name = "blockhost-vm";

void say(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "[%s] ", verb_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *virt_err(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown libvirt error";
}

int64_t clock_now(void)
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

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool parse_int(const char *s, long long lo, long long hi, long long *ret)
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

void ctx_done(struct ctx *c)
{
	if (c->ro)
		virConnectClose(c->ro);
	bh_vmdb_free(c->db);
	if (c->have_dbc)
		bh_db_config_done(&c->dbc);
	if (c->have_conf)
		prov_conf_done(&c->conf);
}

int ctx_init(struct ctx *c, bool need_db)
{
	struct bh_msg m = { "" };
	int r;

	memset(c, 0, sizeof *c);
	if ((r = prov_conf_load(NULL, &c->conf, &m)) < 0) {
		say("config: %s", m.text[0] ? m.text : bh_strerror(r));
		return r;
	}
	c->have_conf = true;
	/* qemu:///session: the client finds the daemon through HOME / XDG_RUNTIME_DIR, which a
	 * caller like the engine does not pass (it gives its children PATH, LANG and
	 * BLOCKHOST_ROOT only); the session owner's are in libvirt.json.  Set before libvirt
	 * starts any thread. */
	if (c->conf.has_session_user && getuid() == c->conf.session_uid &&
	    (setenv("HOME", c->conf.session_home, 1) < 0 ||
	     setenv("XDG_RUNTIME_DIR", c->conf.session_runtime_dir, 1) < 0)) {
		r = bh_negerrno();
		say("session_user: setenv: %s", bh_strerror(r));
		return r;
	}
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
virConnectPtr ro_conn(struct ctx *c)
{
	if (!c->ro && !(c->ro = virConnectOpenReadOnly(c->conf.uri)))
		say("cannot connect to %s (read-only): %s", c->conf.uri, virt_err());
	return c->ro;
}

/* 0 + *state, BH_ERR_NOT_FOUND (no such domain), BH_ERR_PEER (libvirt unreachable). */
int dom_state(struct ctx *c, const char *name, int *state)
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

int agent_call(struct ctx *c, const char *action, const char *name, json_t *extra,
	       json_t **ret_reply, struct bh_msg *msg)
{
	json_t *p = extra ? extra : json_object();
	int r;

	if (!p) {
		bh_msg_set(msg, "root agent %s: out of memory", action);
		return -ENOMEM;
	}
	json_object_set_new(p, "name", json_string(name));
	r = prov_agent_call(c->conf.agent_socket, action, p, AGENT_TIMEOUT_MS, ret_reply, msg);
	json_decref(p);
	return r;
}

int agent(struct ctx *c, const char *action, const char *name, json_t *extra,
	  json_t **ret_reply)
{
	struct bh_msg m = { "" };
	int r = agent_call(c, action, name, extra, ret_reply, &m);

	if (r < 0)
		say("%s", m.text);
	return r;
}

/* An agent action that does not take "name" (the networking plugins). */
int agent_raw(struct ctx *c, const char *action, json_t *params)
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
int net_attach(struct ctx *c, const char *name, const char *ipv6)
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

void net_detach(struct ctx *c, const char *ipv6)
{
	char addr[64];
	if (!c->conf.bridge || !ipv6 || !*ipv6)
		return;
	snprintf(addr, sizeof addr, "%s/128", ipv6);
	if (agent_raw(c, "ip6-route-del", json_pack("{s:s,s:s}", "address", addr, "dev",
						      c->conf.bridge)) < 0)
		say("IPv6 route %s may be left on %s", addr, c->conf.bridge);
}

int file_path(const char *dir, const char *name, const char *suffix, char **ret)
{
	return asprintf(ret, "%s/%s%s", dir, name, suffix) < 0 ? -ENOMEM : 0;
}

/* rm -r of a seed directory we created: only regular files one level deep. */
int remove_seed_dir(const char *dir)
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

int run_tool(const char *const *argv, const char *what)
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

char *read_text(enum bh_dir dir, const char *name)
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

/* ------------------------------------------------------------ destroy, start, stop */

int destroy_vm(struct ctx *c, const char *name)
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

int one_name(const struct prov_cmd *cmd, int argc, char **argv, const char **name)
{
	if (argc < 2) {
		say("a VM name is required");
		prov_usage(cmd);
		return BH_EXIT_USAGE;
	}
	if (argc > 2)
		return prov_usage_error(cmd, "unexpected argument '%s': one VM name only", argv[2]);
	if (!prov_valid_name(argv[1])) {
		say("invalid VM name '%s' (expected ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$)", argv[1]);
		return BH_EXIT_ERROR;
	}
	*name = argv[1];
	return 0;
}

/* Start, then re-isolate the bridge ports; a VM that cannot be isolated is powered off. */
int start_vm(struct ctx *c, const char *name)
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

/* Graceful shutdown; wait up to timeout_s for shut-off; then force if asked. */
int stop_vm(struct ctx *c, const char *name, int timeout_s, bool force)
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

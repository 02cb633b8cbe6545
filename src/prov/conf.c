/* SPDX-License-Identifier: MIT */
/* libvirt.json loading and the small validators (prov.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/config.h"
#include "core/path.h"
#include "core/strutil.h"
#include "prov.h"

#define FAIL(code, ...) do { bh_msg_set(msg, __VA_ARGS__); r = (code); goto out; } while (0)

static const struct bh_cfg_key conf_schema[] = {
	{ "uri", BH_CFG_STRING, false, 0, 0, 1024 },
	{ "domain_type", BH_CFG_STRING, false, 0, 0, 8 },
	{ "template", BH_CFG_PATH, false, 0, 0, 1024 },
	{ "storage_path", BH_CFG_PATH, false, 0, 0, 1024 },
	{ "cloud_init_dir", BH_CFG_PATH, false, 0, 0, 1024 },
	{ "bridge", BH_CFG_STRING | BH_CFG_NULL_OK, false, 0, 0, 15 },
	{ "network", BH_CFG_STRING | BH_CFG_NULL_OK, false, 0, 0, 64 },
	{ "agent_socket", BH_CFG_PATH, false, 0, 0, 1024 },
	{ "emulator", BH_CFG_PATH | BH_CFG_NULL_OK, false, 0, 0, 1024 },
	{ "guest_agent_timeout", BH_CFG_INT, false, 0, 3600, 0 },
	{ "session_user", BH_CFG_OBJECT | BH_CFG_NULL_OK, false, 0, 0, 0 },
	{ "session_user.uid", BH_CFG_INT, true, 1, 4294967294, 0 },
	{ "session_user.gid", BH_CFG_INT, true, 1, 4294967294, 0 },
	{ "session_user.home", BH_CFG_PATH, true, 0, 0, 1024 },
	{ "session_user.runtime_dir", BH_CFG_PATH, true, 0, 0, 1024 },
	{ "user_net_ssh", BH_CFG_OBJECT | BH_CFG_NULL_OK, false, 0, 0, 0 },
	{ "user_net_ssh.port_min", BH_CFG_INT, true, 1024, 65535, 0 },
	{ "user_net_ssh.port_max", BH_CFG_INT, true, 1024, 65535, 0 },
	{ "user_net_ssh.signing_port", BH_CFG_INT, false, 1024, 65535, 0 },
};

static bool match_set(const char *s, size_t min, size_t max, const char *first, const char *rest)
{
	size_t n = s ? strlen(s) : 0;
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		const char *set = i == 0 && first ? first : rest;
		if (!strchr(set, s[i]))
			return false;
	}
	return true;
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define HEXD "0123456789abcdefABCDEF"

bool prov_valid_name(const char *s)
{
	return bh_name_valid(s, BH_NAME_VM);
}

bool prov_valid_wallet(const char *s)
{
	return s && strncmp(s, "0x", 2) == 0 && match_set(s + 2, 40, 40, NULL, HEXD);
}

bool prov_valid_username(const char *s)
{
	return bh_name_valid(s, BH_NAME_USER);
}

static int dup_str(const char *v, char **dst)
{
	char *s = strdup(v);
	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int rooted(const char *p, char **dst)
{
	char *s;
	if (asprintf(&s, "%s%s", bh_root_prefix(), p) < 0)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int prov_conf_default(struct prov_conf *ret)
{
	struct prov_conf c = { .guest_agent_timeout = 180 };
	int r = -ENOMEM;

	if (dup_str("qemu:///system", &c.uri) < 0 || dup_str("kvm", &c.domain_type) < 0 ||
	    bh_path(BH_DIR_STATE, "templates/blockhost-base.qcow2", &c.template_path) < 0 ||
	    bh_path(BH_DIR_STATE, "vms", &c.storage_path) < 0 ||
	    bh_path(BH_DIR_STATE, "cloud-init", &c.cloud_init_dir) < 0 ||
	    bh_path(BH_DIR_RUN, "root-agent.sock", &c.agent_socket) < 0)
		goto out;
	*ret = c;
	return 0;
out:
	prov_conf_done(&c);
	return r;
}

static bool valid_ifname(const char *s, size_t max)
{
	return match_set(s, 1, max, NULL, ALNUM "_.-");
}

int prov_conf_from_json(const json_t *root, const char *name, struct prov_conf *ret,
			struct bh_msg *msg)
{
	struct prov_conf c;
	const json_t *v;
	int r;

	if ((r = bh_config_check(root, conf_schema, sizeof conf_schema / sizeof conf_schema[0],
				 name, msg)) < 0)
		return r;
	if ((r = prov_conf_default(&c)) < 0)
		return r;
	r = -ENOMEM;
	if ((v = bh_config_get(root, "uri"))) {
		const char *u = json_string_value(v);
		if (!strstr(u, "://") || strpbrk(u, " \t\r\n'\"<>"))
			FAIL(BH_ERR_FORMAT, "%s: key 'uri': not a libvirt URI", name);
		if (dup_str(u, &c.uri) < 0)
			goto out;
	}
	if ((v = bh_config_get(root, "domain_type"))) {
		const char *t = json_string_value(v);
		if (strcmp(t, "kvm") != 0 && strcmp(t, "qemu") != 0)
			FAIL(BH_ERR_FORMAT, "%s: key 'domain_type': expected \"kvm\" or \"qemu\"",
			     name);
		if (dup_str(t, &c.domain_type) < 0)
			goto out;
	}
	if ((v = bh_config_get(root, "bridge"))) {
		if (!valid_ifname(json_string_value(v), 15))
			FAIL(BH_ERR_FORMAT, "%s: key 'bridge': not an interface name", name);
		if (dup_str(json_string_value(v), &c.bridge) < 0)
			goto out;
	}
	if ((v = bh_config_get(root, "network"))) {
		if (!valid_ifname(json_string_value(v), 64))
			FAIL(BH_ERR_FORMAT, "%s: key 'network': not a network name", name);
		if (dup_str(json_string_value(v), &c.network) < 0)
			goto out;
	}
	if ((v = bh_config_get(root, "template")) && rooted(json_string_value(v), &c.template_path) < 0)
		goto out;
	if ((v = bh_config_get(root, "storage_path")) &&
	    rooted(json_string_value(v), &c.storage_path) < 0)
		goto out;
	if ((v = bh_config_get(root, "cloud_init_dir")) &&
	    rooted(json_string_value(v), &c.cloud_init_dir) < 0)
		goto out;
	if ((v = bh_config_get(root, "agent_socket")) &&
	    rooted(json_string_value(v), &c.agent_socket) < 0)
		goto out;
	/* the emulator is a host binary, not state: not relocated */
	if ((v = bh_config_get(root, "emulator")) && dup_str(json_string_value(v), &c.emulator) < 0)
		goto out;
	if ((v = bh_config_get(root, "guest_agent_timeout")))
		c.guest_agent_timeout = (int)json_integer_value(v);
	if (bh_config_get(root, "session_user")) {
		c.has_session_user = true;
		c.session_uid = (uid_t)json_integer_value(bh_config_get(root, "session_user.uid"));
		c.session_gid = (gid_t)json_integer_value(bh_config_get(root, "session_user.gid"));
		/* the session user's own directories: host paths, not relocated */
		if (dup_str(json_string_value(bh_config_get(root, "session_user.home")),
			    &c.session_home) < 0 ||
		    dup_str(json_string_value(bh_config_get(root, "session_user.runtime_dir")),
			    &c.session_runtime_dir) < 0)
			goto out;
	}
	if (bh_config_get(root, "user_net_ssh")) {
		c.ssh_port_min = (unsigned)json_integer_value(bh_config_get(root, "user_net_ssh.port_min"));
		c.ssh_port_max = (unsigned)json_integer_value(bh_config_get(root, "user_net_ssh.port_max"));
		if (bh_config_get(root, "user_net_ssh.signing_port"))
			c.signing_port = (unsigned)json_integer_value(
				bh_config_get(root, "user_net_ssh.signing_port"));
		if (c.ssh_port_min > c.ssh_port_max)
			FAIL(BH_ERR_RANGE, "%s: key 'user_net_ssh': port_min %u is above port_max %u",
			     name, c.ssh_port_min, c.ssh_port_max);
		if (c.bridge || c.network)
			FAIL(BH_ERR_FORMAT, "%s: key 'user_net_ssh': not together with '%s'", name,
			     c.bridge ? "bridge" : "network");
		if (c.signing_port && c.signing_port >= c.ssh_port_min &&
		    c.signing_port <= c.ssh_port_max)
			FAIL(BH_ERR_RANGE, "%s: key 'user_net_ssh': signing_port %u is inside "
			     "port_min..port_max", name, c.signing_port);
		c.has_user_net_ssh = true;
	}
	*ret = c;
	return 0;
out:
	prov_conf_done(&c);
	return r;
}

int prov_conf_load(const char *path, struct prov_conf *ret, struct bh_msg *msg)
{
	char *p = NULL;
	json_t *root = NULL;
	int r;

	if (!path) {
		if ((r = bh_path(BH_DIR_ETC, PROV_CONF_NAME, &p)) < 0)
			return r;
		path = p;
	}
	r = bh_config_load(path, &root, msg);
	if (r == -ENOENT)
		r = prov_conf_default(ret);
	else if (r == 0)
		r = prov_conf_from_json(root, path, ret, msg);
	else if (msg && !msg->text[0])
		bh_msg_set(msg, "%s: %s", path, bh_strerror(r));
	json_decref(root);
	free(p);
	return r;
}

void prov_conf_done(struct prov_conf *c)
{
	if (!c)
		return;
	free(c->uri);
	free(c->domain_type);
	free(c->template_path);
	free(c->storage_path);
	free(c->cloud_init_dir);
	free(c->bridge);
	free(c->network);
	free(c->agent_socket);
	free(c->emulator);
	free(c->session_home);
	free(c->session_runtime_dir);
	memset(c, 0, sizeof *c);
}

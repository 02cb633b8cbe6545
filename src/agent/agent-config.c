/* SPDX-License-Identifier: MIT */
/* The root agent's configuration: usage, its policy's [socket] and [reader] sections, the plugin user. */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include "core/cli.h"
#include "core/err.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/path.h"
#include "plugin.h"
#include "sandbox/policy.h"
#include "request.h"
#include "sandbox/sandbox.h"
#include "core/usock.h"
#include "agent-int.h"

void agent_usage(FILE *f)
{
	fprintf(f,
		"usage: blockhost-root-agent [--socket PATH]\n"
		"                            [--actions-dir D] [--keys-dir D] [--state-dir D]\n"
		"                            [--max-children N] [--plugin-user NAME]\n"
		"                            [--syslog] [--debug]\n"
		"       blockhost-root-agent --help | --version\n"
		"  the host's only root process: runs signed action plugins for the callers\n"
		"  policy/blockhost-root-agent.policy names (docs/root-agent.md).\n"
		"  --max-children N: 1..1024 requests at once (default 32).\n"
		"Exit: 0 stopped cleanly, 1 error, 2 usage error.\n");
}

/* [socket] group and mode of the agent's policy into o. */
int agent_socket_policy(const struct bh_policy *pol, struct opts *o, struct bh_msg *msg)
{
	const struct bh_ini_section *sec = bh_policy_section(pol, "socket");
	const char *g, *m;
	char *end = NULL;
	unsigned long mode;
	int r;

	if (!sec) {
		bh_msg_set(msg, "%s: no [socket] section (group, mode)", pol->ini->file);
		return BH_ERR_MISSING_KEY;
	}
	for (size_t i = 0; i < sec->n_entries; i++)
		if (strcmp(sec->entries[i].key, "group") && strcmp(sec->entries[i].key, "mode")) {
			bh_msg_set(msg, "%s:%u: [socket] unknown key '%s' (group, mode)", pol->ini->file,
				   sec->entries[i].line, sec->entries[i].key);
			return BH_ERR_CONFIG;
		}
	if ((r = bh_ini_get(pol->ini, sec, "group", &g, msg)) < 0 ||
	    (r = bh_ini_get(pol->ini, sec, "mode", &m, msg)) < 0) {
		if (r == BH_ERR_MISSING_KEY)
			bh_msg_set(msg, "%s: [socket] needs group and mode", pol->ini->file);
		return r;
	}
	errno = 0;
	mode = strtoul(m, &end, 8);
	if (errno || !*m || *end || m[0] != '0' || mode > 0777 || (mode & 0111) || !(mode & 0600)) {
		bh_msg_set(msg, "%s: [socket] mode '%s': an octal mode like 0660 without x bits",
			   pol->ini->file, m);
		return BH_ERR_CONFIG;
	}
	if (!bh_name_valid(g, BH_NAME_USER)) {
		bh_msg_set(msg, "%s: [socket] group '%s' is not a group name", pol->ini->file, g);
		return BH_ERR_CONFIG;
	}
	snprintf(o->group, sizeof(o->group), "%s", g);
	o->socket_mode = (mode_t)mode;
	return 0;
}

/* "N", "NK", "NM", "NG" (powers of 1024) into *ret; false if malformed. */
static bool parse_size(const char *s, rlim_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || v == 0)
		return false;
	switch (*end) {
	case 'K': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end)
		return false;
	*ret = (rlim_t)v;
	return true;
}

/* [reader] of the agent's policy into o (names resolved now, before any sandbox). */
int agent_reader_policy(const struct bh_policy *pol, struct opts *o, struct bh_msg *msg)
{
	static const char *const keys[] = { "user", "group", "cpu", "as" };
	const struct bh_ini_section *sec = bh_policy_section(pol, "reader");
	const char *v[4];
	struct passwd *pw;
	struct group *gr;
	int r;

	if (!sec) {
		bh_msg_set(msg, "%s: no [reader] section (user, group, cpu, as)", pol->ini->file);
		return BH_ERR_MISSING_KEY;
	}
	for (size_t i = 0; i < sec->n_entries; i++) {
		bool known = false;
		for (size_t k = 0; k < 4; k++)
			known |= strcmp(sec->entries[i].key, keys[k]) == 0;
		if (!known) {
			bh_msg_set(msg, "%s:%u: [reader] unknown key '%s' (user, group, cpu, as)",
				   pol->ini->file, sec->entries[i].line, sec->entries[i].key);
			return BH_ERR_CONFIG;
		}
	}
	for (size_t k = 0; k < 4; k++)
		if ((r = bh_ini_get(pol->ini, sec, keys[k], &v[k], msg)) < 0) {
			if (r == BH_ERR_MISSING_KEY)
				bh_msg_set(msg, "%s: [reader] needs %s", pol->ini->file, keys[k]);
			return r;
		}
	if (!bh_name_valid(v[0], BH_NAME_USER) || !bh_name_valid(v[1], BH_NAME_USER) ||
	    !(pw = getpwnam(v[0])) || !(gr = getgrnam(v[1]))) {
		bh_msg_set(msg, "%s: [reader] user '%s' / group '%s': no such user or group",
			   pol->ini->file, v[0], v[1]);
		return BH_ERR_CONFIG;
	}
	if (pw->pw_uid == 0 || gr->gr_gid == 0) {
		bh_msg_set(msg, "%s: [reader] must not be root", pol->ini->file);
		return BH_ERR_CONFIG;
	}
	if (!parse_size(v[2], &o->reader_cpu) || !parse_size(v[3], &o->reader_as)) {
		bh_msg_set(msg, "%s: [reader] cpu (seconds) and as (bytes, K/M/G) must be positive "
			   "numbers", pol->ini->file);
		return BH_ERR_CONFIG;
	}
	snprintf(o->reader_user, sizeof(o->reader_user), "%s", v[0]);
	snprintf(o->reader_group, sizeof(o->reader_group), "%s", v[1]);
	o->reader_uid = pw->pw_uid;
	o->reader_gid = gr->gr_gid;
	return 0;
}

/* Plugins run as this user unless their signed manifest says "run_as": "root". */
void agent_resolve_plugin_user(struct opts *o)
{
	const char *want = o->plugin_user ? o->plugin_user : PLUGIN_USER_DEFAULT;
	struct passwd *pw = getpwnam(want);
	if (pw) {
		o->plugin_uid = pw->pw_uid;
		o->plugin_gid = pw->pw_gid;
	} else if (o->plugin_user) {
		bh_fatal("plugin user %s does not exist", o->plugin_user);
	} else {
		log_warn("plugin user %s does not exist: plugins run as nobody (%u) instead; "
			 "create a dedicated system user (docs/root-agent.md)", want, NOBODY);
		o->plugin_uid = NOBODY;
		o->plugin_gid = NOBODY;
	}
	if (o->plugin_uid == 0 || o->plugin_gid == 0)
		bh_fatal("plugin user %s: must not be uid/gid 0", want);
	o->plugin_user = want;
}

/*
 * [libvirt] of the agent's policy: the user "run_as": "libvirt" plugins (the provisioner's
 * domain-*) run as, no capabilities: the owner of qemu:///session, or for qemu:///system a
 * member of libvirt's socket group.  A missing user is not fatal (the agent serves its
 * other actions); such plugins are then refused, naming it.
 */
int agent_libvirt_policy(const struct bh_policy *pol, struct opts *o, struct bh_msg *msg)
{
	static const char *const keys[] = { "user", "group", "supplementary_groups" };
	const struct bh_ini_section *sec = bh_policy_section(pol, "libvirt");
	const char *v[3];
	struct passwd *pw;
	struct group *gr;
	int r;

	if (!sec) {
		bh_msg_set(msg, "%s: no [libvirt] section (user, group, supplementary_groups)",
			   pol->ini->file);
		return BH_ERR_MISSING_KEY;
	}
	for (size_t i = 0; i < sec->n_entries; i++) {
		bool known = false;
		for (size_t k = 0; k < 3; k++)
			known |= strcmp(sec->entries[i].key, keys[k]) == 0;
		if (!known) {
			bh_msg_set(msg, "%s:%u: [libvirt] unknown key '%s' (user, group, "
				   "supplementary_groups)", pol->ini->file, sec->entries[i].line,
				   sec->entries[i].key);
			return BH_ERR_CONFIG;
		}
	}
	for (size_t k = 0; k < 3; k++)
		if ((r = bh_ini_get(pol->ini, sec, keys[k], &v[k], msg)) < 0) {
			if (r == BH_ERR_MISSING_KEY)
				bh_msg_set(msg, "%s: [libvirt] needs %s", pol->ini->file, keys[k]);
			return r;
		}
	if (!bh_name_valid(v[0], BH_NAME_USER) || !bh_name_valid(v[1], BH_NAME_USER)) {
		bh_msg_set(msg, "%s: [libvirt] user '%s' / group '%s': not valid names",
			   pol->ini->file, v[0], v[1]);
		return BH_ERR_CONFIG;
	}
	snprintf(o->libvirt_user, sizeof(o->libvirt_user), "%s", v[0]);
	o->libvirt_uid = 0;
	if (!(pw = getpwnam(v[0])) || !(gr = getgrnam(v[1]))) {
		log_warn("policy: %s: [libvirt] user %s / group %s does not exist: actions signed "
			 "\"run_as\": \"libvirt\" (domain-*) are refused", pol->ini->file, v[0], v[1]);
		return 0;
	}
	if (pw->pw_uid == 0 || gr->gr_gid == 0) {
		bh_msg_set(msg, "%s: [libvirt] must not be root", pol->ini->file);
		return BH_ERR_CONFIG;
	}
	/* getpwnam/getgrnam return static storage: keep the ids before the next lookup */
	uid_t uid = pw->pw_uid;
	gid_t gid = gr->gr_gid;
	o->n_libvirt_groups = 0;
	for (const char *p = v[2]; *p;) {
		char name[BH_POLICY_USER_MAX + 1];
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		p += n + (p[n] == ',');
		if (s == e)
			continue;
		if ((size_t)(e - s) > BH_POLICY_USER_MAX ||
		    o->n_libvirt_groups >= BH_PLUGIN_GROUPS_MAX) {
			bh_msg_set(msg, "%s: [libvirt] supplementary_groups: a name longer than %u or "
				   "more than %d groups", pol->ini->file, BH_POLICY_USER_MAX,
				   BH_PLUGIN_GROUPS_MAX);
			return BH_ERR_CONFIG;
		}
		memcpy(name, s, (size_t)(e - s));
		name[e - s] = '\0';
		struct group *sg = getgrnam(name);
		if (!sg || sg->gr_gid == 0) {
			bh_msg_set(msg, "%s: [libvirt] supplementary group %s: %s", pol->ini->file,
				   name, sg ? "must not be root" : "no such group");
			return BH_ERR_CONFIG;
		}
		o->libvirt_groups[o->n_libvirt_groups++] = sg->gr_gid;
	}
	o->libvirt_uid = uid;
	o->libvirt_gid = gid;
	return 0;
}

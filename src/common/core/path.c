/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/path.h"

static const struct {
	const char *path;
	const char *env; /* per-directory override, or NULL */
} dirs[_BH_DIR_MAX] = {
	[BH_DIR_ETC]     = { "/etc/blockhost", NULL },
	[BH_DIR_STATE]   = { "/var/lib/blockhost", NULL },
	[BH_DIR_RUN]     = { "/run/blockhost", NULL },
	[BH_DIR_SHARE]   = { "/usr/share/blockhost", NULL },
	[BH_DIR_PAM_ETC] = { "/etc/pam_web3", NULL },
	[BH_DIR_PAM_RUN] = { "/run/libpam-web3", NULL },
	[BH_DIR_PAM_TLS] = { "/etc/libpam-web3/tls", NULL },
	[BH_DIR_POLICY]  = { "/usr/share/blockhost/policy", "BLOCKHOST_POLICY_DIR" },
	[BH_DIR_SECCOMP] = { "/usr/share/blockhost/seccomp", "BLOCKHOST_SECCOMP_DIR" },
	[BH_DIR_LIBEXEC] = { "/usr/libexec/blockhost", NULL },
};

const char *bh_dir_default(enum bh_dir d)
{
	if ((unsigned)d >= _BH_DIR_MAX)
		return NULL;
	return dirs[d].path;
}

const char *bh_root_prefix(void)
{
	const char *p = secure_getenv("BLOCKHOST_ROOT");
	return p ? p : "";
}

static int name_ok(const char *name)
{
	if (name[0] == '/' || name[0] == '\0')
		return 0;
	for (const char *p = name; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		p += n;
		if (*p == '/')
			p++;
	}
	return 1;
}

int bh_path(enum bh_dir d, const char *name, char **ret)
{
	const char *env = NULL, *root, *base;
	char *s;
	int n;

	if ((unsigned)d >= _BH_DIR_MAX || (name && !name_ok(name)))
		return -EINVAL;
	if (dirs[d].env)
		env = secure_getenv(dirs[d].env);
	if (env && *env) {
		root = "";
		base = env;
	} else {
		root = bh_root_prefix();
		base = dirs[d].path;
	}
	n = name ? asprintf(&s, "%s%s/%s", root, base, name) : asprintf(&s, "%s%s", root, base);
	if (n < 0)
		return -ENOMEM;
	if (n >= PATH_MAX) {
		free(s);
		return -ENAMETOOLONG;
	}
	*ret = s;
	return 0;
}

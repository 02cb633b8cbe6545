/* SPDX-License-Identifier: MIT */
/*
 * Every fixed path BlockHost touches is resolved here, so that a root prefix
 * (environment BLOCKHOST_ROOT, read with secure_getenv) moves the whole tree:
 * tests set BLOCKHOST_ROOT to a temp dir and never touch /etc or /var.
 *
 *   BH_DIR_ETC       /etc/blockhost
 *   BH_DIR_STATE     /var/lib/blockhost
 *   BH_DIR_RUN       /run/blockhost
 *   BH_DIR_SHARE     /usr/share/blockhost
 *   BH_DIR_PAM_ETC   /etc/pam_web3
 *   BH_DIR_PAM_RUN   /run/libpam-web3
 *   BH_DIR_PAM_TLS   /etc/libpam-web3/tls
 *   BH_DIR_POLICY    /usr/share/blockhost/policy     (installed policy/)
 *   BH_DIR_SECCOMP   /usr/share/blockhost/seccomp    (installed seccomp/)
 *   BH_DIR_LIBEXEC   /usr/libexec/blockhost
 *
 * Each directory may also be overridden on its own by an environment variable
 * (BLOCKHOST_POLICY_DIR, BLOCKHOST_SECCOMP_DIR) — used by `make check` so the
 * tree's policy/ and seccomp/ are read directly.
 */
#ifndef BH_PATH_H
#define BH_PATH_H

enum bh_dir {
	BH_DIR_ETC,
	BH_DIR_STATE,
	BH_DIR_RUN,
	BH_DIR_SHARE,
	BH_DIR_PAM_ETC,
	BH_DIR_PAM_RUN,
	BH_DIR_PAM_TLS,
	BH_DIR_POLICY,
	BH_DIR_SECCOMP,
	BH_DIR_LIBEXEC,
	_BH_DIR_MAX,
};

/* The unprefixed default of d, e.g. "/etc/blockhost". */
const char *bh_dir_default(enum bh_dir d);

/*
 * *ret = <root prefix><dir>[/<name>] as a new heap string (caller frees).
 * name may be NULL.  name must be relative and must not contain ".." components
 * (-EINVAL).  Returns 0, -EINVAL or -ENOMEM; -ENAMETOOLONG past PATH_MAX.
 */
int bh_path(enum bh_dir d, const char *name, char **ret);

/* The root prefix in force ("" when unset).  Never NULL. */
const char *bh_root_prefix(void);

#endif

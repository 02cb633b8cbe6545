/* SPDX-License-Identifier: MIT */
/*
 * What the keystore's commands share (cli.h): exit codes, error reporting, the TPM,
 * the keystore directory and its owner.  Both the operator commands (main.c,
 * seal_cmds.c) and the daemon (daemon.c) use these; neither depends on the other.
 */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "cli.h"
#include "core/cli.h"
#include "core/log.h"
#include "eth/eth.h"

int ks_exit_code(int r)
{
	switch (r) {
	case 0: return KS_EXIT_OK;
	case BH_ERR_PCR_MISMATCH: return KS_EXIT_PCR;
	case BH_ERR_NO_TPM: return KS_EXIT_NO_TPM;
	case BH_ERR_TPM_LOCKOUT: return KS_EXIT_LOCKOUT;
	case BH_ERR_NOT_FOUND: return KS_EXIT_NOT_FOUND;
	default: return KS_EXIT_ERROR;
	}
}

int ks_usage_error(const char *usage, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_error("%s", line);
	fputs(usage, stderr);
	return KS_EXIT_USAGE;
}

int ks_next_opt(int argc, char **argv, const struct option *o, const char *usage)
{
	struct bh_msg m = { "" };
	int c;

	if (bh_cli_getopt(argc, argv, "h", o, &c, &m) < 0) {
		ks_usage_error(usage, "%s %s", argv[0], m.text);
		return '?';
	}
	return c;
}

int ks_fail(int r, const struct bh_msg *m, const char *what)
{
	if (m && m->text[0])
		log_error("%s: %s (%s)", what, m->text, bh_strerror(r));
	else
		log_error_r(r, "%s", what);
	return ks_exit_code(r);
}

int ks_tpm_open(struct ks_global *g, struct bh_tpm **ret)
{
	struct bh_msg m = { "" };
	int r = bh_tpm_open(g->cfg.tcti, ret, &m);
	if (r < 0)
		ks_fail(r, &m, "TPM");
	return r;
}

/*
 * The keystore directory and blobs belong to the keystore's own user: --owner USER,
 * else (when run as root) the policy's default "blockhost-keystore" if that account
 * exists, else they stay with the caller (tests, development).
 */
#define KS_DEFAULT_OWNER "blockhost-keystore"

int ks_resolve_owner(const char *owner, struct ks_owner *ret)
{
	struct passwd *pw;
	ret->name = NULL;
	ret->uid = (uid_t)-1;
	ret->gid = (gid_t)-1;
	if (!owner) {
		if (geteuid() != 0 || !(pw = getpwnam(KS_DEFAULT_OWNER)))
			return 0;
		owner = KS_DEFAULT_OWNER;
	} else if (!(pw = getpwnam(owner))) {
		log_error("--owner: no such user (create the keystore's system user first: "
			  "docs/operator.md)");
		return BH_ERR_CONFIG; /* exit 1: not 6, which is "no sealed key" */
	}
	ret->name = owner;
	ret->uid = pw->pw_uid;
	ret->gid = pw->pw_gid;
	return 0;
}

/*
 * Open the keystore directory (bh_ks_dir_open: no symlink, owner root, us or the
 * keystore user, mode 0700); every later access goes through the returned fd.
 */
int ks_open_store(struct ks_global *g, bool create, const struct ks_owner *o, int *ret_fd)
{
	struct bh_msg m = { "" };
	int r = bh_ks_dir_open(g->cfg.dir, create, o->uid, ret_fd, &m);
	if (r < 0)
		ks_fail(r, &m, "keystore directory");
	return r;
}

int ks_parse_owner_opt(const char *arg, const char **ret)
{
	if (!arg || !*arg || strlen(arg) > 32)
		return BH_ERR_CONFIG;
	*ret = arg;
	return 0;
}

/* Seal k to the PCRs in mask into the keystore directory dfd, owned by o. */
int ks_seal_store(struct ks_global *g, struct bh_tpm *t, int dfd, uint32_t mask,
		      const struct bh_ks_keys *k, const struct ks_owner *o)
{
	struct bh_msg m = { "" };
	int r;

	if ((r = bh_ks_seal_all(t, dfd, g->cfg.dir, mask, k, o->uid, o->gid, &m)) < 0) {
		ks_fail(r, &m, "seal");
		return r;
	}
	if (!o->name)
		return 0;
	/* the directory through its fd: never a chown by name */
	if (fchown(dfd, o->uid, o->gid) < 0) {
		r = bh_negerrno();
		log_error_r(r, "%s: cannot give the keystore to %s", g->cfg.dir, o->name);
		return r;
	}
	log_info("%s: owned by %s", g->cfg.dir, o->name);
	return 0;
}

/* The wallet address as checksummed 0x text. */
int ks_wallet_address_str(const struct bh_ks_keys *k, char out[static BH_ADDR_STR_LEN + 1])
{
	uint8_t a[20];
	int r;

	if ((r = bh_ks_wallet_address(k, a)) < 0)
		return r;
	bh_eth_addr_checksum(a, out);
	return 0;
}

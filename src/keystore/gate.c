/* SPDX-License-Identifier: MIT */
/*
 * Files the keystore trusts only when root owns them (ops.h, docs/keystore.md "Site
 * policy", "Deployment gate"): the site policy <etc>/keystore.policy, read once at
 * start, and the finalization flag that opens the deployment gate, checked through a
 * directory fd with every deployment request.  Library code.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"
#include "ops.h"
#include "sandbox/policy.h"

int ks_site_policy_load(const char *path, struct bh_ini **ret, struct bh_msg *msg)
{
	/* core/file.h: a regular file owned by root, not group/world-writable, <= 64 KiB */
	static const struct bh_file_rules rules = {
		.type = S_IFREG, .owner = BH_FILE_OWNER_ROOT, .forbid_mode = 022,
	};
	struct bh_msg m = { "" };
	struct bh_buf b;
	int r;

	if ((r = bh_file_read(AT_FDCWD, path, &rules, BH_POLICY_FILE_MAX, &b, &m)) < 0) {
		if (r == BH_ERR_UNSAFE_FILE)
			bh_msg_set(msg, "%s: refused: the site policy must be a regular file owned by "
				   "root and not group- or world-writable (%s)", path, m.text);
		else if (r != -ENOENT)
			bh_msg_set(msg, "%s", r == BH_ERR_LIMIT ? "too large" : m.text);
		return r;
	}
	r = bh_ini_parse(bh_buf_ptr(&b), bh_buf_len(&b), path, ret, msg);
	bh_buf_done(&b);
	return r;
}


/* ------------------------------------------------------------------ deployment gate */

#define KS_DEPLOY_FLAG "finalization-open"

/* Trusted: owned by root, no write for group or others (and the expected type). */
static const char *untrusted_why(const struct stat *st, mode_t type)
{
	if ((st->st_mode & S_IFMT) != type)
		return type == S_IFDIR ? "not a directory" : "not a regular file";
	if (st->st_uid != 0)
		return "not owned by root";
	if (st->st_mode & 022)
		return "group- or world-writable";
	return NULL;
}

int ks_deploy_dir_open(const char *dir, int *ret_fd, struct bh_msg *msg)
{
	/* core/file.h: a directory owned by root, not group/world-writable */
	static const struct bh_file_rules rules = {
		.type = S_IFDIR, .owner = BH_FILE_OWNER_ROOT, .forbid_mode = 022,
	};
	return bh_file_open(AT_FDCWD, dir, O_RDONLY, &rules, ret_fd, NULL, msg);
}

bool ks_deploy_gate_open(const struct ks_server *s, char *why, size_t why_len)
{
	struct stat st;
	const char *name = s->deploy_flag_path ? s->deploy_flag_path : KS_DEPLOY_FLAG;
	const char *bad = NULL;

	if (!s->has_deploy_dir) {
		snprintf(why, why_len, "no trusted directory for %s", name);
		return false;
	}
	/* the directory again: its owner or mode may have changed since start */
	if (fstat(s->deploy_dirfd, &st) < 0) {
		snprintf(why, why_len, "the directory of %s: %s", name, strerror(errno));
		return false;
	}
	if ((bad = untrusted_why(&st, S_IFDIR))) {
		snprintf(why, why_len, "the directory of %s is %s", name, bad);
		return false;
	}
	if (fstatat(s->deploy_dirfd, KS_DEPLOY_FLAG, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		snprintf(why, why_len, "%s %s", name, errno == ENOENT ? "absent" : strerror(errno));
		return false;
	}
	if ((bad = untrusted_why(&st, S_IFREG))) {
		snprintf(why, why_len, "%s ignored: %s", name, bad);
		return false;
	}
	return true;
}

/* SPDX-License-Identifier: MIT */
/*
 * Signed action plugins, part 4: the files on disk.  Checked reads (owner, mode,
 * size, no symlinks), the rollback state under its lock, and bh_plugin_load: the
 * manifest verified against a trusted key, the executable copied into a sealed
 * memfd whose hash must match (docs/PROTOCOL.plugin sections 1, 4, 5).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/deadline.h"
#include "core/err.h"
#include "core/frame.h"
#include "core/file.h"
#include "core/hex.h"
#include "plugin.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* The section-1 recipe (core/file.h): a regular file owned by `owner`, not group- or
 * world-writable, at most cap bytes; opened O_NOFOLLOW|O_NONBLOCK, checked on the fd,
 * returned blocking.  Returns the fd. */
static int open_checked(int dirfd, const char *name, uid_t owner, size_t cap, struct stat *ret_st,
			struct bh_msg *msg)
{
	const struct bh_file_rules rules = {
		.type = S_IFREG, .owner = BH_FILE_OWNER_UID, .uid = owner, .forbid_mode = 022,
		.max_size = (off_t)cap,
	};
	int fd, r;

	if ((r = bh_file_open(dirfd, name, O_RDONLY, &rules, &fd, ret_st, msg)) < 0)
		return r;
	return fd;
}

int bh_plugin_read_file(int dirfd, const char *name, uid_t owner, size_t cap, uint8_t **ret,
			size_t *ret_len, struct bh_msg *msg)
{
	struct stat st;
	struct bh_buf b;
	uint8_t *out;
	int fd, r;

	if ((fd = open_checked(dirfd, name, owner, cap, &st, msg)) < 0)
		return fd;
	bh_buf_init(&b, cap);
	if ((r = bh_buf_read_fd_all(&b, fd)) < 0) {
		bh_msg_set(msg, "%s: %s", name, bh_strerror(r));
		goto out;
	}
	if (!(out = malloc(bh_buf_len(&b) + 1))) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(out, bh_buf_ptr(&b), bh_buf_len(&b));
	out[bh_buf_len(&b)] = 0;
	*ret_len = bh_buf_len(&b);
	*ret = out;
	r = 0;
out:
	bh_buf_done(&b);
	close(fd);
	return r;
}

/*
 * Rollback state (docs/PROTOCOL.plugin section 4): state_dir/versions
 * {"name": version}, under state_dir/versions.lock.  state_dir must sit in a
 * root-owned parent (/var/lib/blockhost-root-agent, not under the blockhost
 * user's /var/lib/blockhost); it is opened O_DIRECTORY|O_NOFOLLOW and checked
 * on the descriptor (owned by `owner`, no group/world write), and every file
 * in it is reached relative to that descriptor with O_NOFOLLOW|O_NONBLOCK, so
 * a directory or file planted or swapped by someone else is refused (and a
 * FIFO cannot block the handler).
 */
static int state_dir_open(const char *state_dir, uid_t owner, struct bh_msg *msg)
{
	const struct bh_file_rules rules = {
		.type = S_IFDIR, .owner = BH_FILE_OWNER_UID, .uid = owner, .forbid_mode = 022,
	};
	struct bh_msg m = { "" };
	int dfd, r;

	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		r = bh_negerrno();
		bh_msg_set(msg, "state dir %s: %s", state_dir, bh_strerror(r));
		return r;
	}
	if ((r = bh_file_open(AT_FDCWD, state_dir, O_RDONLY, &rules, &dfd, NULL, &m)) < 0) {
		bh_msg_set(msg, "state dir %s; refusing to trust its rollback state", m.text);
		return r;
	}
	return dfd;
}

/* Exclusive flock on dfd/versions.lock (a regular file owned by `owner`), waiting up to 10 s. */
static int state_lock(int dfd, uid_t owner, struct bh_msg *msg)
{
	int fd, r;

	fd = openat(dfd, "versions.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
		    O_NOCTTY, 0600);
	if (fd < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "versions.lock: %s", r == -ELOOP ? "is a symlink" : bh_strerror(r));
		return r == -ELOOP ? BH_ERR_UNSAFE_FILE : r;
	}
	const struct bh_file_rules rules = {
		.type = S_IFREG, .owner = BH_FILE_OWNER_UID, .uid = owner, .forbid_mode = 022,
	};
	if ((r = bh_file_check(fd, "versions.lock", &rules, NULL, msg)) < 0) {
		close(fd);
		return r;
	}
	int64_t deadline = bh_deadline_from_ms(10000);
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || bh_deadline_left(deadline) == 0) {
			r = errno == EWOULDBLOCK ? BH_ERR_TIMEOUT : bh_negerrno();
			bh_msg_set(msg, "versions.lock: %s", bh_strerror(r));
			close(fd);
			return r;
		}
		usleep(5000);
	}
	return fd;
}

/* Replace dfd/versions atomically: temp file + fsync + renameat + fsync(dir). */
static int state_write(int dfd, const json_t *j, struct bh_msg *msg)
{
	static const char tmp[] = "versions.tmp";
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
	size_t len, off = 0;
	int fd, r;

	if (!s)
		return -ENOMEM;
	len = strlen(s);
	/* stale temp from a crash (we hold the lock): unlink, never follow */
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT) {
		r = bh_negerrno();
		goto out;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		r = bh_negerrno();
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, s + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? bh_negerrno() : -EIO;
			close(fd);
			goto out_unlink;
		}
		off += (size_t)n;
	}
	if (write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		r = bh_negerrno();
		close(fd);
		goto out_unlink;
	}
	if (close(fd) < 0 || renameat(dfd, tmp, dfd, "versions") < 0) {
		r = bh_negerrno();
		goto out_unlink;
	}
	r = fsync(dfd) < 0 ? bh_negerrno() : 0;
	goto out;
out_unlink:
	unlinkat(dfd, tmp, 0);
out:
	if (r < 0)
		bh_msg_set(msg, "writing versions: %s", bh_strerror(r));
	free(s);
	return r;
}

static int rollback_check(const char *state_dir, uid_t owner, const char *name, uint64_t version,
			  struct bh_msg *msg)
{
	uint8_t *data = NULL;
	size_t len = 0;
	json_t *j = NULL;
	int dfd, lfd = -1, r;

	if ((dfd = state_dir_open(state_dir, owner, msg)) < 0)
		return dfd;
	if ((lfd = r = state_lock(dfd, owner, msg)) < 0)
		goto out;
	/* regular, owned by `owner`, no group/world write, <= 1 MiB; opened O_NONBLOCK */
	struct bh_msg why = { "" };
	r = bh_plugin_read_file(dfd, "versions", owner, 1024 * 1024, &data, &len, &why);
	if (r == -ENOENT) {
		if (!(j = json_object())) {
			r = -ENOMEM;
			goto out;
		}
	} else if (r < 0) {
		bh_msg_set(msg, "state dir %s: %s; refusing to run plugins", state_dir, why.text);
		goto out;
	} else if ((r = bh_frame_decode_json(data, len, &j)) < 0) {
		bh_msg_set(msg, "%s/versions: corrupt (%s); refusing to run plugins", state_dir,
			   bh_strerror(r));
		goto out;
	}
	json_t *cur = json_object_get(j, name);
	if (cur && (!json_is_integer(cur) || json_integer_value(cur) < 0)) {
		bh_msg_set(msg, "%s/versions: entry for %s is not a version", state_dir, name);
		r = BH_ERR_FORMAT;
		goto out;
	}
	uint64_t seen = cur ? (uint64_t)json_integer_value(cur) : 0;
	if (version < seen) {
		bh_msg_set(msg, "version %" PRIu64 " is older than version %" PRIu64
			   " already accepted (rollback refused)", version, seen);
		r = BH_ERR_DENIED;
		goto out;
	}
	if (version > seen) {
		if (json_object_set_new(j, name, json_integer((json_int_t)version)) < 0) {
			r = -ENOMEM;
			goto out;
		}
		if ((r = state_write(dfd, j, msg)) < 0)
			goto out;
	}
	r = 0;
out:
	if (lfd >= 0)
		close(lfd); /* releases the flock */
	close(dfd);
	json_decref(j);
	free(data);
	return r;
}

/* Copy fd (size bytes by fstat) into a sealed memfd; return the memfd. */
static int seal_copy(int fd, const char *name, off_t size, struct bh_msg *msg)
{
	char mname[96], buf[65536];
	off_t done = 0;
	int mfd, r;

	snprintf(mname, sizeof(mname), "bh-plugin:%s", name);
	mfd = memfd_create(mname, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL) /* kernel before 6.3: no MFD_EXEC, memfds are executable */
		mfd = memfd_create(mname, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "memfd_create: %s (vm.memfd_noexec=2?)", bh_strerror(r));
		return r;
	}
	while (done < size) {
		size_t want = sizeof(buf);
		if ((off_t)want > size - done)
			want = (size_t)(size - done);
		ssize_t n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? bh_negerrno() : BH_ERR_MISMATCH;
			bh_msg_set(msg, "%s: changed while being read", name);
			goto fail;
		}
		for (ssize_t w = 0; w < n;) {
			ssize_t k = write(mfd, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				r = bh_negerrno();
				goto fail;
			}
			w += k;
		}
		done += n;
	}
	/* a file that grew after fstat is being modified: refuse */
	if (read(fd, buf, 1) != 0) {
		bh_msg_set(msg, "%s: changed while being read", name);
		r = BH_ERR_MISMATCH;
		goto fail;
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "sealing memfd: %s", bh_strerror(r));
		goto fail;
	}
	return mfd;
fail:
	close(mfd);
	return r;
}

/* SHA-256 of the sealed memfd's bytes (read back through the memfd) + ELF magic. */
static int hash_memfd(int mfd, uint8_t out[static 32], bool *ret_elf)
{
	crypto_hash_sha256_state st;
	uint8_t buf[65536];
	off_t off = 0;
	bool elf = false;

	crypto_hash_sha256_init(&st);
	for (;;) {
		ssize_t n = pread(mfd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return bh_negerrno();
		if (n == 0)
			break;
		if (off == 0)
			elf = n >= 4 && !memcmp(buf, "\177ELF", 4);
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
		off += n;
	}
	crypto_hash_sha256_final(&st, out);
	*ret_elf = elf;
	return 0;
}

void bh_plugin_free(struct bh_plugin *p)
{
	if (!p)
		return;
	if (p->memfd >= 0)
		close(p->memfd);
	bh_plugin_manifest_free(p->m);
	free(p);
}

/* A directory we read plugin files or keys from: owned by env->owner, not group/world writable. */
static int check_dir(int dfd, const char *what, const char *path, uid_t owner, struct bh_msg *msg)
{
	struct stat st;

	if (fstat(dfd, &st) < 0)
		return bh_negerrno();
	if (st.st_uid != owner || (st.st_mode & 022)) {
		bh_msg_set(msg, "%s %s: must be owned by uid %u and not group/world-writable "
			   "(owner %u, mode %04o)", what, path, (unsigned)owner, (unsigned)st.st_uid,
			   (unsigned)(st.st_mode & 07777));
		return BH_ERR_UNSAFE_FILE;
	}
	return 0;
}

/*
 * Steps 1-2: read NAME.manifest and NAME.sig from dfd, find the trusted key the
 * signature names in env->keys_dir and verify the signature.  *ret_man (malloc'd,
 * NUL-terminated) holds the authentic manifest bytes, not yet interpreted.
 */
static int load_signed_manifest(const struct bh_plugin_env *env, int dfd, const char *name,
				uint8_t **ret_man, size_t *ret_len,
				uint8_t ret_keyid[static BH_PLUGIN_KEYID_LEN], struct bh_msg *msg)
{
	uint8_t *man = NULL, *sigf = NULL, *pubf = NULL;
	size_t man_len = 0, sig_len = 0, pub_len = 0;
	uint8_t keyid[BH_PLUGIN_KEYID_LEN], sig[64], pk[32], kid2[BH_PLUGIN_KEYID_LEN];
	char fname[BH_PLUGIN_NAME_MAX + 32], kname[40], kidhex[2 * BH_PLUGIN_KEYID_LEN + 1];
	int kfd = -1, r = BH_ERR_INTERNAL;

	/* 1. manifest and signature */
	snprintf(fname, sizeof(fname), "%s.manifest", name);
	if ((r = bh_plugin_read_file(dfd, fname, env->owner, BH_PLUGIN_MANIFEST_MAX, &man, &man_len,
				     msg)) < 0) {
		if (r == -ENOENT)
			r = BH_ERR_NOT_FOUND;
		goto out;
	}
	snprintf(fname, sizeof(fname), "%s.sig", name);
	if ((r = bh_plugin_read_file(dfd, fname, env->owner, BH_PLUGIN_SIG_FILE_MAX, &sigf, &sig_len,
				     msg)) < 0) {
		if (r == -ENOENT) {
			bh_msg_set(msg, "unsigned (no %s)", fname);
			r = BH_ERR_SIGNATURE;
		}
		goto out;
	}
	if ((r = bh_plugin_sig_parse(sigf, sig_len, keyid, sig)) < 0) {
		bh_msg_set(msg, "%s: malformed signature file (%s)", fname, bh_strerror(r));
		r = BH_ERR_SIGNATURE;
		goto out;
	}
	/* 2. the trusted key the signature names */
	bh_hex_encode(keyid, sizeof(keyid), kidhex);
	snprintf(kname, sizeof(kname), "%s.pub", kidhex);
	kfd = open(env->keys_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (kfd < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "trusted keys dir %s: %s", env->keys_dir, bh_strerror(r));
		goto out;
	}
	if ((r = check_dir(kfd, "trusted keys dir", env->keys_dir, env->owner, msg)) < 0)
		goto out;
	if ((r = bh_plugin_read_file(kfd, kname, env->owner, 256, &pubf, &pub_len, msg)) < 0) {
		if (r == -ENOENT) {
			bh_msg_set(msg, "signed by untrusted key %s", kidhex);
			r = BH_ERR_DENIED;
		}
		goto out;
	}
	if ((r = bh_plugin_pub_parse(pubf, pub_len, pk)) < 0) {
		bh_msg_set(msg, "trusted key %s: malformed (%s)", kname, bh_strerror(r));
		goto out;
	}
	bh_plugin_keyid(pk, kid2);
	if (memcmp(kid2, keyid, sizeof(keyid))) {
		bh_msg_set(msg, "trusted key file %s holds a different key", kname);
		r = BH_ERR_MISMATCH;
		goto out;
	}
	if ((r = bh_plugin_verify(pk, sig, man, man_len)) < 0) {
		bh_msg_set(msg, "bad signature on %s.manifest (key %s)", name, kidhex);
		goto out;
	}
	memcpy(ret_keyid, keyid, sizeof(keyid));
	*ret_man = man;
	*ret_len = man_len;
	man = NULL;
	r = 0;
out:
	if (kfd >= 0)
		close(kfd);
	free(man);
	free(sigf);
	free(pubf);
	return r;
}

/* Step 4: the executable NAME → sealed memfd whose bytes hash to the signed sha256. */
static int load_executable(const struct bh_plugin_env *env, int dfd, const char *name,
			   const uint8_t sha256[static 32], int *ret_memfd, struct bh_msg *msg)
{
	struct stat st;
	uint8_t h[32];
	bool elf;
	int efd, mfd = -1, r;

	if ((efd = open_checked(dfd, name, env->owner, BH_PLUGIN_EXE_MAX, &st, msg)) < 0)
		return efd;
	if ((mfd = r = seal_copy(efd, name, st.st_size, msg)) < 0)
		goto out;
	if ((r = hash_memfd(mfd, h, &elf)) < 0) {
		bh_msg_set(msg, "reading memfd: %s", bh_strerror(r));
		goto out;
	}
	if (sodium_memcmp(h, sha256, 32) != 0) {
		bh_msg_set(msg, "executable %s does not match the signed sha256 (tampered)", name);
		r = BH_ERR_MISMATCH;
		goto out;
	}
	if (!elf) {
		bh_msg_set(msg, "executable %s is not an ELF binary (scripts are refused)", name);
		r = BH_ERR_FORMAT;
		goto out;
	}
	*ret_memfd = mfd;
	mfd = -1;
	r = 0;
out:
	if (mfd >= 0)
		close(mfd);
	close(efd);
	return r;
}

int bh_plugin_load(const struct bh_plugin_env *env, const char *name, struct bh_plugin **ret,
		   struct bh_msg *msg)
{
	struct bh_plugin *p = NULL;
	uint8_t *man = NULL;
	size_t man_len = 0;
	uint8_t keyid[BH_PLUGIN_KEYID_LEN];
	int dfd = -1, r = BH_ERR_INTERNAL;

	if (sodium_init() < 0)
		return BH_ERR_CRYPTO;
	if (!bh_name_valid(name, BH_NAME_ACTION)) {
		bh_msg_set(msg, "not a valid action name");
		return BH_ERR_NOT_FOUND;
	}
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	p->memfd = -1;
	dfd = open(env->actions_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "actions dir %s: %s", env->actions_dir, bh_strerror(r));
		goto out;
	}
	if ((r = check_dir(dfd, "actions dir", env->actions_dir, env->owner, msg)) < 0)
		goto out;
	/* 1-2. the manifest, authentic under a trusted key */
	if ((r = load_signed_manifest(env, dfd, name, &man, &man_len, keyid, msg)) < 0)
		goto out;
	/* 3. only now interpret the (authentic) manifest */
	if ((r = bh_plugin_manifest_parse(man, man_len, &p->m, msg)) < 0)
		goto out;
	if (strcmp(p->m->action, name)) {
		bh_msg_set(msg, "manifest is for action \"%s\", not \"%s\"", p->m->action, name);
		r = BH_ERR_MISMATCH;
		goto out;
	}
	if (p->m->expires && (int64_t)time(NULL) > p->m->expires) {
		bh_msg_set(msg, "signed manifest expired at %" PRId64 " (unix time)", p->m->expires);
		r = BH_ERR_EXPIRED;
		goto out;
	}
	/* 4. executable → sealed memfd → hash of what will actually run */
	if ((r = load_executable(env, dfd, name, p->m->sha256, &p->memfd, msg)) < 0)
		goto out;
	/* 5. rollback last: only a fully verified plugin (signature, manifest, executable
	 * hash, ELF) may raise the stored version; a signed manifest with a high version
	 * next to a wrong executable must not lock the real plugin out */
	if (env->state_dir &&
	    (r = rollback_check(env->state_dir, env->owner, name, p->m->version, msg)) < 0)
		goto out;
	memcpy(p->keyid, keyid, sizeof(keyid));
	if (p->m->run_as == BH_PLUGIN_RUN_ROOT) {
		p->run_uid = 0;
		p->run_gid = 0;
	} else if (p->m->run_as == BH_PLUGIN_RUN_LIBVIRT) {
		p->run_uid = env->libvirt_uid;
		p->run_gid = env->libvirt_gid;
		p->n_groups = env->n_libvirt_groups;
		memcpy(p->groups, env->libvirt_groups, sizeof(p->groups));
	} else {
		p->run_uid = env->plugin_uid;
		p->run_gid = env->plugin_gid;
	}
	*ret = p;
	p = NULL;
	r = 0;
out:
	if (dfd >= 0)
		close(dfd);
	free(man);
	bh_plugin_free(p);
	return r;
}

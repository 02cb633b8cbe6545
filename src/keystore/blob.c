/* SPDX-License-Identifier: MIT */
/* Sealed-key blob encoder/parser (docs/PROTOCOL.keystore-blob). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/file.h"
#include "core/strutil.h"
#include "blob.h"

int bh_ks_name_valid(const char *name)
{
	_Static_assert(BH_KS_NAME_MAX == BH_NAME_KEY_MAX, "key name length");
	return bh_name_valid(name, BH_NAME_KEY);
}

int bh_ks_blob_encode(const struct bh_ks_blob *b, struct bh_buf *out)
{
	int r;
	size_t n = strlen(b->name);
	const struct bh_tpm_sealed *s = &b->sealed;

	if (!bh_ks_name_valid(b->name) || s->pcr_mask == 0 || (s->pcr_mask >> BH_TPM_PCR_COUNT) ||
	    s->pub_len == 0 || s->pub_len > sizeof(s->pub) || s->priv_len == 0 ||
	    s->priv_len > sizeof(s->priv))
		return BH_ERR_RANGE;
	if ((r = bh_buf_put(out, BH_KS_BLOB_MAGIC, 8)) < 0 ||
	    (r = bh_buf_put_u8(out, BH_KS_BLOB_VERSION)) < 0 ||
	    (r = bh_buf_put_u8(out, (uint8_t)n)) < 0 || (r = bh_buf_put(out, b->name, n)) < 0 ||
	    (r = bh_buf_put_u8(out, b->key_type)) < 0 || (r = bh_buf_put_u16(out, 0x000b)) < 0 ||
	    (r = bh_buf_put_u32(out, s->pcr_mask)) < 0)
		return r;
	for (unsigned i = 0; i < BH_TPM_PCR_COUNT; i++)
		if ((s->pcr_mask & (1u << i)) &&
		    (r = bh_buf_put(out, s->pcr_values[i], BH_TPM_DIGEST_LEN)) < 0)
			return r;
	if ((r = bh_buf_put(out, s->policy, BH_TPM_DIGEST_LEN)) < 0 ||
	    (r = bh_buf_put_u16(out, (uint16_t)s->pub_len)) < 0 ||
	    (r = bh_buf_put(out, s->pub, s->pub_len)) < 0 ||
	    (r = bh_buf_put_u16(out, (uint16_t)s->priv_len)) < 0 ||
	    (r = bh_buf_put(out, s->priv, s->priv_len)) < 0)
		return r;
	return 0;
}

int bh_ks_blob_parse(const uint8_t *data, size_t len, struct bh_ks_blob *ret)
{
	int r;
	struct bh_buf v;
	struct bh_ks_blob *b = NULL;
	const uint8_t *p;
	uint8_t ver, nlen;
	uint16_t alg, l16;

	if (len > BH_KS_BLOB_MAX)
		return BH_ERR_LIMIT;
	bh_buf_view(&v, data, len);
	if ((r = bh_buf_get_direct(&v, 8, &p)) < 0)
		return r;
	if (memcmp(p, BH_KS_BLOB_MAGIC, 8) != 0)
		return BH_ERR_FORMAT;
	if ((r = bh_buf_get_u8(&v, &ver)) < 0)
		return r;
	if (ver > BH_KS_BLOB_VERSION)
		return BH_ERR_UNSUPPORTED;
	if (ver != BH_KS_BLOB_VERSION)
		return BH_ERR_FORMAT;
	if (!(b = calloc(1, sizeof(*b))))
		return -ENOMEM;
	if ((r = bh_buf_get_u8(&v, &nlen)) < 0)
		goto out;
	r = BH_ERR_FORMAT;
	if (nlen == 0 || nlen > BH_KS_NAME_MAX)
		goto out;
	if ((r = bh_buf_get_bytes(&v, b->name, nlen)) < 0)
		goto out;
	b->name[nlen] = '\0';
	r = BH_ERR_FORMAT;
	if (strlen(b->name) != nlen || !bh_ks_name_valid(b->name))
		goto out;
	if ((r = bh_buf_get_u8(&v, &b->key_type)) < 0)
		goto out;
	r = BH_ERR_UNSUPPORTED;
	if (b->key_type != BH_KS_SECP256K1 && b->key_type != BH_KS_P256)
		goto out;
	if ((r = bh_buf_get_u16(&v, &alg)) < 0)
		goto out;
	r = BH_ERR_UNSUPPORTED;
	if (alg != 0x000b)
		goto out;
	if ((r = bh_buf_get_u32(&v, &b->sealed.pcr_mask)) < 0)
		goto out;
	r = BH_ERR_RANGE;
	if (b->sealed.pcr_mask == 0 || (b->sealed.pcr_mask >> BH_TPM_PCR_COUNT))
		goto out;
	for (unsigned i = 0; i < BH_TPM_PCR_COUNT; i++)
		if ((b->sealed.pcr_mask & (1u << i)) &&
		    (r = bh_buf_get_bytes(&v, b->sealed.pcr_values[i], BH_TPM_DIGEST_LEN)) < 0)
			goto out;
	if ((r = bh_buf_get_bytes(&v, b->sealed.policy, BH_TPM_DIGEST_LEN)) < 0 ||
	    (r = bh_buf_get_u16(&v, &l16)) < 0)
		goto out;
	r = BH_ERR_LENGTH;
	if (l16 == 0 || l16 > sizeof(b->sealed.pub))
		goto out;
	b->sealed.pub_len = l16;
	if ((r = bh_buf_get_bytes(&v, b->sealed.pub, l16)) < 0 ||
	    (r = bh_buf_get_u16(&v, &l16)) < 0)
		goto out;
	r = BH_ERR_LENGTH;
	if (l16 == 0 || l16 > sizeof(b->sealed.priv))
		goto out;
	b->sealed.priv_len = l16;
	if ((r = bh_buf_get_bytes(&v, b->sealed.priv, l16)) < 0 || (r = bh_buf_expect_end(&v)) < 0)
		goto out;
	if ((r = bh_tpm_sealed_check(&b->sealed)) < 0)
		goto out;
	*ret = *b;
	r = 0;
out:
	free(b);
	return r;
}

int bh_ks_dir_open(const char *dir, bool create, uid_t also, int *ret_fd, struct bh_msg *msg)
{
	/* core/file.h: a directory owned by root, this process or `also`, mode 0700 */
	const struct bh_file_rules rules = {
		.type = S_IFDIR,
		.owner = BH_FILE_OWNER_ROOT | BH_FILE_OWNER_SELF |
			 (also != (uid_t)-1 ? BH_FILE_OWNER_UID : 0),
		.uid = also, .forbid_mode = 077,
	};
	struct bh_msg m = { "" };
	int r;

	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		r = bh_negerrno();
		bh_msg_set(msg, "%s: %s", dir, strerror(-r));
		return r;
	}
	if ((r = bh_file_open(AT_FDCWD, dir, O_RDONLY, &rules, ret_fd, NULL, &m)) < 0) {
		if (r == -ENOENT) {
			bh_msg_set(msg, "keystore directory %s not found (run 'blockhost-keystore "
				   "init' or 'recover')", dir);
			return BH_ERR_NOT_FOUND;
		}
		if (r == BH_ERR_UNSAFE_FILE)
			bh_msg_set(msg, "%s; the keystore directory must be a directory owned by root "
				   "or the keystore user, mode 0700: refused", m.text);
		else
			bh_msg_set(msg, "%s", m.text);
		return r;
	}
	return 0;
}

int bh_ks_write_at(int dfd, const char *name, const void *data, size_t len, mode_t mode,
		   uid_t uid, gid_t gid)
{
	char tmp[NAME_MAX + 1];
	uint8_t rnd[8];
	const uint8_t *p = data;
	int r, fd = -1;

	if (strchr(name, '/') || strlen(name) + 24 > NAME_MAX)
		return -EINVAL;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return bh_negerrno();
	snprintf(tmp, sizeof(tmp), ".%s.tmp.%02x%02x%02x%02x%02x%02x%02x%02x", name, rnd[0], rnd[1],
		 rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return bh_negerrno();
	if (fchmod(fd, mode) < 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0))
		goto fail;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			goto fail;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, name) < 0)
		goto fail;
	if (fsync(dfd) < 0)
		return bh_negerrno();
	return 0;
fail:
	r = bh_negerrno();
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	return r;
}

static int blob_name(const char *name, char ret[static NAME_MAX + 1])
{
	if (!bh_ks_name_valid(name))
		return -EINVAL;
	snprintf(ret, NAME_MAX + 1, "%s.blob", name);
	return 0;
}

int bh_ks_blob_load(int dfd, const char *dir, const char *name, struct bh_ks_blob *ret,
		    struct bh_msg *msg)
{
	int r, fd = -1;
	char fname[NAME_MAX + 1];
	struct stat st;
	struct bh_buf b;
	struct bh_ks_blob *tmp = NULL;

	bh_buf_init(&b, BH_KS_BLOB_MAX);
	if ((r = blob_name(name, fname)) < 0)
		goto out;
	/* core/file.h: a regular file, mode 0600 (no group/other bits), at most
	 * BH_KS_BLOB_MAX; owner ourselves or root; root (the daemon before it drops to its
	 * user, the operator CLI) also reads blobs owned by the keystore user */
	const struct bh_file_rules rules = {
		.type = S_IFREG, .owner = geteuid() == 0 ? 0 : BH_FILE_OWNER_ROOT | BH_FILE_OWNER_SELF,
		.forbid_mode = 077, .max_size = BH_KS_BLOB_MAX,
	};
	struct bh_msg m = { "" };
	if ((r = bh_file_open(dfd, fname, O_RDONLY, &rules, &fd, &st, &m)) < 0) {
		if (r == -ENOENT) {
			bh_msg_set(msg, "sealed key '%s' not found: %s/%s (run 'blockhost-keystore "
				   "init' or 'recover')", name, dir, fname);
			r = BH_ERR_NOT_FOUND;
		} else if (r == BH_ERR_UNSAFE_FILE) {
			bh_msg_set(msg, "%s/%s; it must be a regular file owned by uid %u (or root) "
				   "with mode 0600: refused", dir, m.text, (unsigned)geteuid());
		} else {
			bh_msg_set(msg, "%s/%s", dir, m.text);
		}
		fd = -1;
		goto out;
	}
	if ((r = bh_buf_read_fd_all(&b, fd)) < 0) {
		bh_msg_set(msg, "%s/%s: %s", dir, fname, bh_strerror(r));
		goto out;
	}
	if (!(tmp = malloc(sizeof(*tmp)))) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = bh_ks_blob_parse(bh_buf_ptr(&b), bh_buf_len(&b), tmp)) < 0) {
		bh_msg_set(msg, "%s/%s: not a valid keystore blob (%s)", dir, fname, bh_strerror(r));
		goto out;
	}
	if (strcmp(tmp->name, name) != 0) {
		bh_msg_set(msg, "%s/%s: holds key '%s', not '%s'", dir, fname, tmp->name, name);
		r = BH_ERR_MISMATCH;
		goto out;
	}
	*ret = *tmp;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	bh_buf_done(&b);
	return r;
}

int bh_ks_blob_store(int dfd, const char *dir, const struct bh_ks_blob *blob, uid_t uid, gid_t gid,
		     struct bh_msg *msg)
{
	int r;
	char fname[NAME_MAX + 1];
	struct bh_buf b;

	bh_buf_init(&b, BH_KS_BLOB_MAX);
	if ((r = blob_name(blob->name, fname)) < 0)
		goto out;
	if ((r = bh_ks_blob_encode(blob, &b)) < 0) {
		bh_msg_set(msg, "%s/%s: cannot encode blob (%s)", dir, fname, bh_strerror(r));
		goto out;
	}
	if ((r = bh_ks_write_at(dfd, fname, bh_buf_ptr(&b), bh_buf_len(&b), 0600, uid, gid)) < 0) {
		bh_msg_set(msg, "%s/%s: %s", dir, fname, bh_strerror(r));
		goto out;
	}
	r = 0;
out:
	bh_buf_done(&b);
	return r;
}

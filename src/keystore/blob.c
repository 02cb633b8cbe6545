/* SPDX-License-Identifier: MIT */
/* Sealed-key blob encoder/parser (docs/PROTOCOL.keystore-blob). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicio.h"
#include "blob.h"

int bh_ks_name_valid(const char *name)
{
	size_t n = 0;
	if (!name)
		return 0;
	for (; name[n]; n++) {
		char c = name[n];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return n >= 1 && n <= BH_KS_NAME_MAX;
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

static int blob_path(const char *dir, const char *name, char **ret)
{
	if (!bh_ks_name_valid(name))
		return -EINVAL;
	if (asprintf(ret, "%s/%s.blob", dir, name) < 0)
		return -ENOMEM;
	return 0;
}

int bh_ks_blob_load(const char *dir, const char *name, struct bh_ks_blob *ret, struct bh_msg *msg)
{
	int r, fd = -1;
	char *path = NULL;
	struct stat st;
	struct bh_buf b;
	struct bh_ks_blob *tmp = NULL;

	bh_buf_init(&b, BH_KS_BLOB_MAX);
	if ((r = blob_path(dir, name, &path)) < 0)
		goto out;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = bh_negerrno();
		if (r == -ENOENT) {
			bh_msg_set(msg, "sealed key '%s' not found: %s (run 'blockhost-keystore "
				   "init' or 'recover')", name, path);
			r = BH_ERR_NOT_FOUND;
		} else
			bh_msg_set(msg, "%s: %s", path, strerror(-r));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = bh_negerrno();
		goto out;
	}
	/* owner: ourselves or root; root (the daemon before it drops to its user, the
	 * operator CLI) also reads blobs owned by the keystore user */
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) ||
	    !(st.st_uid == geteuid() || st.st_uid == 0 || geteuid() == 0)) {
		bh_msg_set(msg, "%s: must be a regular file owned by uid %u (or root) with mode 0600",
			   path, (unsigned)geteuid());
		r = BH_ERR_UNSAFE_FILE;
		goto out;
	}
	if (st.st_size > BH_KS_BLOB_MAX) {
		bh_msg_set(msg, "%s: larger than %d bytes", path, BH_KS_BLOB_MAX);
		r = BH_ERR_LIMIT;
		goto out;
	}
	if ((r = bh_buf_read_fd_all(&b, fd)) < 0) {
		bh_msg_set(msg, "%s: %s", path, bh_strerror(r));
		goto out;
	}
	if (!(tmp = malloc(sizeof(*tmp)))) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = bh_ks_blob_parse(bh_buf_ptr(&b), bh_buf_len(&b), tmp)) < 0) {
		bh_msg_set(msg, "%s: not a valid keystore blob (%s)", path, bh_strerror(r));
		goto out;
	}
	if (strcmp(tmp->name, name) != 0) {
		bh_msg_set(msg, "%s: holds key '%s', not '%s'", path, tmp->name, name);
		r = BH_ERR_MISMATCH;
		goto out;
	}
	*ret = *tmp;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	free(path);
	bh_buf_done(&b);
	return r;
}

int bh_ks_blob_store(const char *dir, const struct bh_ks_blob *blob, struct bh_msg *msg)
{
	int r;
	char *path = NULL;
	struct bh_buf b;

	bh_buf_init(&b, BH_KS_BLOB_MAX);
	if ((r = blob_path(dir, blob->name, &path)) < 0)
		goto out;
	if ((r = bh_ks_blob_encode(blob, &b)) < 0) {
		bh_msg_set(msg, "%s: cannot encode blob (%s)", path, bh_strerror(r));
		goto out;
	}
	if ((r = bh_atomic_write(path, bh_buf_ptr(&b), bh_buf_len(&b), 0600)) < 0) {
		bh_msg_set(msg, "%s: %s", path, bh_strerror(r));
		goto out;
	}
	r = 0;
out:
	free(path);
	bh_buf_done(&b);
	return r;
}

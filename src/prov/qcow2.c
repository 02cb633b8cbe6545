/* SPDX-License-Identifier: MIT */
/*
 * The qcow2 header check the domain-define/-start plugins run on a VM disk before
 * libvirt opens it (prov.h).  The disk file is written by the unprivileged provisioner,
 * so its header is untrusted: a crafted backing file (/dev/sda, /etc/shadow as raw) or
 * an external data file would make libvirt label and hand that host file to the guest.
 * Accepted: qcow2 v2/v3, no encryption, no external data file, and a backing file that is
 * exactly the configured template, in qcow2 format when the format is recorded.
 */
#include <string.h>

#include "core/buf.h"
#include "prov.h"

#define QCOW2_MAGIC 0x514649fbu            /* "QFI\xfb" */
#define EXT_END           0x00000000u
#define EXT_BACKING_FMT   0xe2792acau
#define EXT_DATA_FILE     0x44415441u
#define INCOMPAT_DATA_FILE (1ull << 2)

#define FAIL(code, ...) do { bh_msg_set(msg, __VA_ARGS__); return (code); } while (0)

int prov_qcow2_check(const void *hdr, size_t len, const char *template_path, struct bh_msg *msg)
{
	struct bh_buf b;
	uint32_t magic, version, bsize, crypt, hlen = 72, ext, elen;
	uint64_t boff, incompat = 0;
	char backing[1024], fmt[32] = "";

	bh_buf_view(&b, hdr, len);
	if (bh_buf_get_u32(&b, &magic) < 0 || magic != QCOW2_MAGIC)
		FAIL(BH_ERR_FORMAT, "disk: not a qcow2 image");
	if (bh_buf_get_u32(&b, &version) < 0 || (version != 2 && version != 3))
		FAIL(BH_ERR_UNSUPPORTED, "disk: qcow2 version %u", version);
	if (bh_buf_get_u64(&b, &boff) < 0 || bh_buf_get_u32(&b, &bsize) < 0)
		FAIL(BH_ERR_INCOMPLETE, "disk: truncated qcow2 header");
	/* cluster_bits(4) size(8) crypt_method(4) */
	if (bh_buf_consume(&b, 12) < 0 || bh_buf_get_u32(&b, &crypt) < 0)
		FAIL(BH_ERR_INCOMPLETE, "disk: truncated qcow2 header");
	if (crypt != 0)
		FAIL(BH_ERR_UNSUPPORTED, "disk: encrypted qcow2 images are not accepted");
	if (version == 3) {
		/* l1_size .. snapshots_offset: 4+8+8+4+4+8 = 36 bytes to incompatible_features */
		if (bh_buf_consume(&b, 36) < 0 || bh_buf_get_u64(&b, &incompat) < 0 ||
		    bh_buf_consume(&b, 16) < 0 || bh_buf_consume(&b, 4) < 0 ||
		    bh_buf_get_u32(&b, &hlen) < 0)
			FAIL(BH_ERR_INCOMPLETE, "disk: truncated qcow2 v3 header");
		if (incompat & INCOMPAT_DATA_FILE)
			FAIL(BH_ERR_DENIED, "disk: qcow2 with an external data file is not accepted");
		if (hlen < 104 || hlen > len)
			FAIL(BH_ERR_FORMAT, "disk: qcow2 header length %u", hlen);
	}
	/* header extensions follow the header (v2: at 72) until END */
	bh_buf_view(&b, hdr, len);
	if (bh_buf_consume(&b, hlen) < 0)
		FAIL(BH_ERR_INCOMPLETE, "disk: truncated qcow2 header");
	for (int n = 0;; n++) {
		const uint8_t *d;
		if (n > 64)
			FAIL(BH_ERR_LIMIT, "disk: too many qcow2 header extensions");
		if (bh_buf_get_u32(&b, &ext) < 0 || bh_buf_get_u32(&b, &elen) < 0)
			FAIL(BH_ERR_INCOMPLETE, "disk: truncated qcow2 header extension");
		if (ext == EXT_END)
			break;
		if (elen > bh_buf_len(&b) || !(d = bh_buf_ptr(&b)))
			FAIL(BH_ERR_INCOMPLETE, "disk: truncated qcow2 header extension");
		if (ext == EXT_DATA_FILE)
			FAIL(BH_ERR_DENIED, "disk: qcow2 with an external data file is not accepted");
		if (ext == EXT_BACKING_FMT) {
			if (elen == 0 || elen >= sizeof fmt || memchr(d, 0, elen))
				FAIL(BH_ERR_FORMAT, "disk: bad backing format extension");
			memcpy(fmt, d, elen);
			fmt[elen] = '\0';
		}
		if (bh_buf_consume(&b, (elen + 7u) & ~7u) < 0)
			FAIL(BH_ERR_INCOMPLETE, "disk: truncated qcow2 header extension");
	}
	if (boff == 0 || bsize == 0)
		FAIL(BH_ERR_MISMATCH, "disk: no backing file (expected the template overlay)");
	if (bsize >= sizeof backing || boff > len || bsize > len - boff)
		FAIL(BH_ERR_FORMAT, "disk: backing file name outside the header");
	memcpy(backing, (const uint8_t *)hdr + boff, bsize);
	backing[bsize] = '\0';
	if (strlen(backing) != bsize || !template_path || strcmp(backing, template_path) != 0)
		FAIL(BH_ERR_MISMATCH, "disk: backing file is not the configured template");
	if (fmt[0] && strcmp(fmt, "qcow2") != 0)
		FAIL(BH_ERR_MISMATCH, "disk: backing format '%s' (expected qcow2)", fmt);
	return 0;
}

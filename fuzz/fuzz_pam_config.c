/* SPDX-License-Identifier: MIT */
/*
 * Fuzz pw3_config_parse (/etc/pam_web3/config.toml subset) on arbitrary bytes, and the
 * loader pw3_config_load on the same bytes written to a real file whose mode the input's
 * length picks (0600, 0640, 0620 group-writable, 0606 world-writable) or, one time in
 * five, a symlink to it.
 * Invariants: an accepted config is within its ranges and its text is what TOML accepts
 * at the byte level (valid UTF-8; no control character but tab and line feed; a carriage
 * return only before a line feed); every rejection explains itself; the loader agrees
 * with the parser on a safe file and refuses an unsafe one (group/world-writable, a
 * symlink) with a message naming the path; out-params are untouched on failure.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "pw3.h"

static char dir[64], file[96], link_[96];

static void teardown(void)
{
	unlink(file);
	unlink(link_);
	rmdir(dir);
}

/* TOML's byte-level rules, written independently of the parser's own check */
static bool toml_text_ok(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f ||
			    (c == '\r' && (i + 1 >= n || p[i + 1] != '\n')))
				return false;
			i++;
			continue;
		}
		size_t k = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (!k || i + k > n)
			return false;
		uint32_t cp = c & (0x7f >> k);
		for (size_t j = 1; j < k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw3_config c, c2;
	struct bh_msg m = { { 0 } };
	memset(&c2, 0x5a, sizeof(c2));
	int r = pw3_config_parse((const char *)data, size, &c, &m);
	if (r == 0) {
		/* invariants of an accepted config */
		if (c.otp_length < PW3_OTP_MIN_LEN || c.otp_length > PW3_OTP_MAX_LEN ||
		    c.secret_len < PW3_SECRET_MIN || c.secret_len > PW3_SECRET_MAX ||
		    !c.machine_id[0] || strlen(c.machine_id) > PW3_MACHINE_ID_MAX ||
		    c.otp_ttl < 1 || c.callback_grace < 1 || c.callback_grace > 60 ||
		    !toml_text_ok(data, size))
			abort();
	} else if (!m.text[0]) {
		abort(); /* every rejection explains itself */
	}

	/* the loader on a real file */
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/pw3fuzzcfg.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(file, sizeof(file), "%s/config.toml", dir);
		snprintf(link_, sizeof(link_), "%s/link.toml", dir);
		atexit(teardown);
	}
	static const mode_t modes[] = { 0600, 0640, 0620, 0606 };
	mode_t mode = modes[size % 4];
	bool via_link = size % 5 == 4;
	unlink(file);
	unlink(link_);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || fchmod(fd, mode) < 0)
		abort();
	close(fd);
	if (via_link && symlink(file, link_) < 0)
		abort();
	struct bh_msg m2 = { { 0 } };
	int r2 = pw3_config_load(via_link ? link_ : file, &c2, &m2);
	bool unsafe = via_link || (mode & 022);
	if (unsafe ? r2 == 0 : (r2 == 0) != (r == 0))
		abort();
	if (r2 == 0) {
		if (memcmp(&c, &c2, sizeof(c)))
			abort();  /* the same config either way */
		pw3_config_wipe(&c2);
	} else {
		if (!strstr(m2.text, via_link ? link_ : file))
			abort();  /* the message names the file */
		const uint8_t *b = (const uint8_t *)&c2;
		for (size_t i = 0; i < sizeof(c2); i++)
			if (b[i] != 0x5a)
				abort();  /* untouched on failure */
	}
	if (r == 0)
		pw3_config_wipe(&c);
	return 0;
}

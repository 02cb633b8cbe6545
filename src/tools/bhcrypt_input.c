/* SPDX-License-Identifier: MIT */
/*
 * bhcrypt's inputs (bhcrypt_int.h): private keys, signatures and plaintexts from a file,
 * standard input ("-") or argv, and hex blobs.  Secrets belong in a file or on stdin:
 * the argv forms exist for upstream compatibility, warn (argv is visible to every user
 * in the process list) and are wiped once parsed.  Key and signature files must not be
 * group/world-writable; a world-readable private key file is used with a warning.  What
 * is read is wiped when its buffer is released (core/buf.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bhcrypt_int.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"
#include "core/hex.h"
#include "eth/eth.h"
#include "eth/secp.h"

static int parse_privkey_text(const struct bhcrypt_cmd *self, const char *what, const char *s,
                              size_t len, uint8_t priv[static 32])
{
	int r = bh_eth_hex_text_decode(s, len, priv, 32);

	if (r == BH_ERR_LENGTH)
		return bhcrypt_error(self, "%s: a private key is 64 hex digits (optional 0x)", what);
	if (r < 0)
		return bhcrypt_error(self, "%s: invalid hex", what);
	if (bh_secp_privkey_check(priv) < 0) {
		explicit_bzero(priv, 32);
		return bhcrypt_error(self, "%s: not a valid secp256k1 private key (zero or >= n)", what);
	}
	return 0;
}

/*
 * Read an input file whole into b (capped by b): "-" is stdin.  Key and signature files
 * (`secret`) must not be group/world-writable (bh_file_open's rules); a world-readable
 * private key (`warn_readable`) is accepted with a warning.  Errors are printed, naming
 * the option and the file; returns 0 or 1.
 */
static int load_input(const struct bhcrypt_cmd *self, const char *what, const char *path,
                      bool secret, bool warn_readable, struct bh_buf *b)
{
	const mode_t forbidden = secret ? (S_IWGRP | S_IWOTH) : 0;
	int r;

	if (!strcmp(path, "-")) {
		r = bh_buf_read_fd_all(b, STDIN_FILENO);
		if (r == BH_ERR_LIMIT)
			return bhcrypt_error(self, "%s: standard input is longer than %zu bytes", what,
			                     bh_buf_avail(b) + bh_buf_len(b));
		if (r < 0)
			return bhcrypt_error(self, "%s: cannot read standard input: %s", what,
			                     bh_strerror(r));
		return 0;
	}
	/* one open, checked on the descriptor (core/file.h); the warning reads the same fstat */
	const struct bh_file_rules rules = { .type = S_IFREG, .forbid_mode = forbidden };
	struct bh_msg m = { "" };
	struct stat st;
	int fd;

	if ((r = bh_file_open(AT_FDCWD, path, O_RDONLY, &rules, &fd, &st, &m)) < 0)
		return bhcrypt_error(self, "cannot read %s %s%s", what, m.text,
		                     r == BH_ERR_UNSAFE_FILE && strstr(m.text, "writable") ?
		                     " (chmod go-w)" : "");
	if (warn_readable && (st.st_mode & S_IROTH))
		dprintf(STDERR_FILENO, "bhcrypt %s: warning: %s %s is readable by every user "
		        "(chmod 600 it)\n", self->name, what, path);
	if ((uint64_t)st.st_size > bh_buf_avail(b))
		r = BH_ERR_LIMIT;
	else
		r = bh_buf_read_fd_all(b, fd);
	close(fd);
	if (r == BH_ERR_LIMIT)
		return bhcrypt_error(self, "cannot read %s %s: larger than %zu bytes", what, path,
		                     bh_buf_avail(b) + bh_buf_len(b));
	if (r < 0)
		return bhcrypt_error(self, "cannot read %s %s: %s", what, path, bh_strerror(r));
	return 0;
}

static int load_privkey(const struct bhcrypt_cmd *self, const char *fileopt, const char *path,
                        uint8_t priv[static 32])
{
	struct bh_buf b;
	int r;

	bh_buf_init(&b, KEYFILE_MAX);
	if (load_input(self, fileopt, path, true, true, &b)) {
		bh_buf_done(&b);
		return 1;
	}
	char what[300];
	snprintf(what, sizeof(what), "%s %s", fileopt, strcmp(path, "-") ? path : "(stdin)");
	r = parse_privkey_text(self, what, (const char *)bh_buf_ptr(&b), bh_buf_len(&b), priv);
	bh_buf_done(&b); /* wipes the file contents */
	return r;
}

/* --private-key-file wins; --private-key (argv) works but warns. */
int bhcrypt_get_privkey(const struct bhcrypt_cmd *self, const char *file, const char *hex,
                       const char *hexopt, uint8_t priv[static 32])
{
	if (file && hex)
		return bhcrypt_usage_error(self, "give either %s or a key file, not both", hexopt);
	if (file) {
		char fileopt[32];

		snprintf(fileopt, sizeof(fileopt), "%s-file", hexopt);
		return load_privkey(self, fileopt, file, priv);
	}
	if (hex) {
		dprintf(STDERR_FILENO, "bhcrypt %s: warning: %s puts the key in argv, visible in the "
		        "process list; prefer %s-file\n", self->name, hexopt, hexopt);
		size_t n = strlen(hex);
		int r = parse_privkey_text(self, hexopt, hex, n, priv);
		/* shorten the exposure in /proc/<pid>/cmdline (argv strings are writable) */
		explicit_bzero((char *)hex, n);
		return r;
	}
	return bhcrypt_usage_error(self, "a private key is required (%s-file <path>)", hexopt);
}

/* Decode a 0x-optional hex argument of any length up to BLOB_MAX into a heap buffer. */
int bhcrypt_get_blob(const struct bhcrypt_cmd *self, const char *what, const char *s,
                    uint8_t **ret, size_t *ret_len)
{
	int r = bh_hex_decode_alloc(s, BLOB_MAX, ret, ret_len);

	if (r == BH_ERR_LIMIT)
		return bhcrypt_error(self, "%s: longer than %u bytes", what, BLOB_MAX);
	if (r == BH_ERR_LENGTH)
		return bhcrypt_error(self, "%s: odd number of hex digits", what);
	if (r < 0)
		return bhcrypt_error(self, "%s: invalid hex: %s", what, bh_strerror(r));
	return 0;
}

static int get_wallet_sig(const struct bhcrypt_cmd *self, const char *s, size_t len,
                          uint8_t sig[static 65])
{
	int r = bh_eth_hex_text_decode(s, len, sig, 65);

	if (r == BH_ERR_LENGTH)
		return bhcrypt_error(self, "--signature: expected 65 bytes (130 hex digits, optional 0x)");
	if (r < 0)
		return bhcrypt_error(self, "--signature: invalid hex");
	return 0;
}

/*
 * The text of --signature: from --signature-file (path or "-") into b, or from argv.
 * `secret`: the signature is key material (the symmetric key is keccak256 of it), so the
 * argv form warns like --private-key and the argv string is wiped once copied into b.
 */
int bhcrypt_get_sig_text(const struct bhcrypt_cmd *self, const char *file, const char *arg,
                        bool secret, struct bh_buf *b)
{
	if (file && arg)
		return bhcrypt_usage_error(self, "give either --signature or --signature-file, not both");
	if (file)
		return load_input(self, "--signature-file", file, true, false, b);
	if (!arg)
		return bhcrypt_usage_error(self, "--signature-file <path|-> (or --signature) is required");
	if (secret)
		dprintf(STDERR_FILENO, "bhcrypt %s: warning: --signature puts the key material in argv, "
		        "visible in the process list; prefer --signature-file\n", self->name);
	if (bh_buf_put_cstr(b, arg) < 0)
		return bhcrypt_error(self, "--signature: longer than %zu bytes", bh_buf_avail(b));
	if (secret) /* shorten the exposure in /proc/<pid>/cmdline (argv strings are writable) */
		explicit_bzero((char *)arg, strlen(arg));
	return 0;
}

/* The symmetric-key signature (65 bytes) from --signature-file or --signature. */
int bhcrypt_get_secret_sig(const struct bhcrypt_cmd *self, const char *file, const char *arg,
                          uint8_t sig[static 65])
{
	struct bh_buf b;
	int r;

	bh_buf_init(&b, KEYFILE_MAX);
	r = bhcrypt_get_sig_text(self, file, arg, true, &b);
	if (r == 0)
		r = get_wallet_sig(self, (const char *)bh_buf_ptr(&b), bh_buf_len(&b), sig);
	bh_buf_done(&b);
	return r;
}

/*
 * The plaintext: --plaintext-file (path or "-", bytes exactly as read) or --plaintext
 * (argv: warns, and the argv string is wiped once copied).  b is capped at BLOB_MAX.
 */
int bhcrypt_get_plaintext(const struct bhcrypt_cmd *self, const char *file, const char *arg,
                         struct bh_buf *b)
{
	if (file && arg)
		return bhcrypt_usage_error(self, "give either --plaintext or --plaintext-file, not both");
	if (file)
		return load_input(self, "--plaintext-file", file, false, false, b);
	if (!arg)
		return bhcrypt_usage_error(self, "--plaintext-file <path|-> (or --plaintext) is required");
	dprintf(STDERR_FILENO, "bhcrypt %s: warning: --plaintext puts the secret in argv, visible in "
	        "the process list; prefer --plaintext-file\n", self->name);
	size_t n = strlen(arg);
	if (bh_buf_put(b, arg, n) < 0)
		return bhcrypt_error(self, "--plaintext: longer than %u bytes", BLOB_MAX);
	explicit_bzero((char *)arg, n);
	return 0;
}

int bhcrypt_both_stdin(const struct bhcrypt_cmd *self, const char *a, const char *b)
{
	if (a && b && !strcmp(a, "-") && !strcmp(b, "-"))
		return bhcrypt_usage_error(self, "only one input can be read from standard input ('-')");
	return 0;
}

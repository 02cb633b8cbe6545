/* SPDX-License-Identifier: MIT */
/*
 * bhcrypt — the engine's crypto CLI (upstream-compatible subcommands, upstream.md
 * §1.3), plus encrypt / keccak / recover / sign / verify / checksum.
 *
 * Secrets: private keys, symmetric-key signatures and plaintexts should come from a
 * file or stdin (--private-key-file / --key-file / --signature-file / --plaintext-file,
 * "-" = stdin); the --private-key / --key / --signature / --plaintext forms exist for
 * upstream compatibility and warn, because argv is visible to every user in the process
 * list, and their argv strings are wiped once parsed.  Key and signature files must not
 * be group/world-writable; a world-readable private key file is used with a warning.
 * Key material read into memory is wiped before exit; plaintext buffers are wiped on
 * release.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bhcrypt.h"
#include "core/buf.h"
#include "core/cli.h"
#include "eth/ecies.h"
#include "core/err.h"
#include "core/file.h"
#include "eth/eth.h"
#include "core/hex.h"
#include "eth/keccak.h"
#include "eth/secp.h"

#define KEYFILE_MAX 4096
#define BLOB_MAX (1u << 20)     /* decoded ciphertext cap; argv caps it far lower anyway */

/* ------------------------------------------------------------------ helpers */

int bhcrypt_write(const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t k = write(STDOUT_FILENO, c, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return bh_negerrno();
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static int write_str(const char *s)
{
	return bhcrypt_write(s, strlen(s));
}

void bhcrypt_help(const struct bhcrypt_cmd *self)
{
	(void)write_str(self->usage);
}

static void verr(const struct bhcrypt_cmd *self, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	dprintf(STDERR_FILENO, "bhcrypt %s: %s\n", self->name, line);
}

int bhcrypt_error(const struct bhcrypt_cmd *self, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(self, fmt, ap);
	va_end(ap);
	return 1;
}

/* Set by bhcrypt_usage_error: the command's failure exits 2 (BH_EXIT_USAGE), not 1. */
static bool usage_failed;

int bhcrypt_usage_error(const struct bhcrypt_cmd *self, const char *fmt, ...)
{
	va_list ap;

	usage_failed = true;
	va_start(ap, fmt);
	verr(self, fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "Try 'bhcrypt %s --help'.\n", self->name);
	return 1;
}

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
static int get_privkey(const struct bhcrypt_cmd *self, const char *file, const char *hex,
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
static int get_blob(const struct bhcrypt_cmd *self, const char *what, const char *s,
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
static int get_sig_text(const struct bhcrypt_cmd *self, const char *file, const char *arg,
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
static int get_secret_sig(const struct bhcrypt_cmd *self, const char *file, const char *arg,
                          uint8_t sig[static 65])
{
	struct bh_buf b;
	int r;

	bh_buf_init(&b, KEYFILE_MAX);
	r = get_sig_text(self, file, arg, true, &b);
	if (r == 0)
		r = get_wallet_sig(self, (const char *)bh_buf_ptr(&b), bh_buf_len(&b), sig);
	bh_buf_done(&b);
	return r;
}

/*
 * The plaintext: --plaintext-file (path or "-", bytes exactly as read) or --plaintext
 * (argv: warns, and the argv string is wiped once copied).  b is capped at BLOB_MAX.
 */
static int get_plaintext(const struct bhcrypt_cmd *self, const char *file, const char *arg,
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

static int both_stdin(const struct bhcrypt_cmd *self, const char *a, const char *b)
{
	if (a && b && !strcmp(a, "-") && !strcmp(b, "-"))
		return bhcrypt_usage_error(self, "only one input can be read from standard input ('-')");
	return 0;
}

static int write_line(const char *s)
{
	int r = write_str(s);

	return r < 0 ? r : write_str("\n");
}

/* An address as EIP-55 text on its own line. */
static int write_addr(const uint8_t addr[static 20])
{
	char s[BH_ADDR_STR_LEN + 1];

	bh_eth_addr_checksum(addr, s);
	return write_line(s);
}

static int out_hex(const uint8_t *p, size_t n, bool prefix, const char *suffix)
{
	char *h = bh_hex_encode_alloc(p, n, prefix);
	int r;

	if (!h)
		return -ENOMEM;
	r = write_str(h);
	if (r == 0 && suffix)
		r = write_str(suffix);
	free(h);
	return r;
}

static int finish(const struct bhcrypt_cmd *self, int r)
{
	if (r < 0)
		return bhcrypt_error(self, "writing output: %s", bh_strerror(r));
	return 0;
}

/* Options shared by the table-driven parser below. */
enum {
	O_HELP = 'h', O_SHOW_PUBKEY = 256, O_PRIVATE_KEY, O_PRIVATE_KEY_FILE, O_KEY, O_KEY_FILE,
	O_SIGNATURE, O_PLAINTEXT, O_CIPHERTEXT, O_PUBKEY, O_MESSAGE, O_HEX, O_ADDRESS,
	O_SIGNATURE_FILE, O_PLAINTEXT_FILE,
};

struct opts {
	bool show_pubkey;
	const char *private_key, *private_key_file, *key, *key_file, *signature, *plaintext;
	const char *ciphertext, *pubkey, *message, *hex, *address;
	const char *signature_file, *plaintext_file;
	int nargs;
	char **args;
};

static const struct option all_options[] = {
	{ "help", no_argument, NULL, O_HELP },
	{ "show-pubkey", no_argument, NULL, O_SHOW_PUBKEY },
	{ "private-key", required_argument, NULL, O_PRIVATE_KEY },
	{ "private-key-file", required_argument, NULL, O_PRIVATE_KEY_FILE },
	{ "key", required_argument, NULL, O_KEY },
	{ "key-file", required_argument, NULL, O_KEY_FILE },
	{ "signature", required_argument, NULL, O_SIGNATURE },
	{ "plaintext", required_argument, NULL, O_PLAINTEXT },
	{ "ciphertext", required_argument, NULL, O_CIPHERTEXT },
	{ "pubkey", required_argument, NULL, O_PUBKEY },
	{ "message", required_argument, NULL, O_MESSAGE },
	{ "hex", required_argument, NULL, O_HEX },
	{ "address", required_argument, NULL, O_ADDRESS },
	{ "signature-file", required_argument, NULL, O_SIGNATURE_FILE },
	{ "plaintext-file", required_argument, NULL, O_PLAINTEXT_FILE },
	{ NULL, 0, NULL, 0 },
};

/*
 * Parse argv against the options `allowed` (a string of O_* codes as chars is
 * awkward, so: a 0-terminated int list).  Long options only in full (core/cli.h).
 * Returns 0, 1 on a usage error (already printed) or 2 if --help was printed.
 */
static int parse_opts(const struct bhcrypt_cmd *self, int argc, char **argv, const int *allowed,
                      int max_args, struct opts *o)
{
	struct bh_msg m = { "" };
	int c;

	memset(o, 0, sizeof(*o));
	optind = 0;
	while (bh_cli_getopt(argc, argv, "+h", all_options, &c, &m) == 0 && c != -1) {
		bool ok = false;
		for (const int *a = allowed; *a; a++)
			ok |= *a == c;
		if (c == O_HELP) {
			bhcrypt_help(self);
			return 2;
		}
		if (!ok) {
			const char *name = "?";
			for (const struct option *l = all_options; l->name; l++)
				if (l->val == c)
					name = l->name;
			return bhcrypt_usage_error(self, "option '--%s' does not apply to %s", name,
			                           self->name);
		}
		switch (c) {
		case O_SHOW_PUBKEY: o->show_pubkey = true; break;
		case O_PRIVATE_KEY: o->private_key = optarg; break;
		case O_PRIVATE_KEY_FILE: o->private_key_file = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_KEY_FILE: o->key_file = optarg; break;
		case O_SIGNATURE: o->signature = optarg; break;
		case O_PLAINTEXT: o->plaintext = optarg; break;
		case O_CIPHERTEXT: o->ciphertext = optarg; break;
		case O_PUBKEY: o->pubkey = optarg; break;
		case O_MESSAGE: o->message = optarg; break;
		case O_HEX: o->hex = optarg; break;
		case O_ADDRESS: o->address = optarg; break;
		case O_SIGNATURE_FILE: o->signature_file = optarg; break;
		case O_PLAINTEXT_FILE: o->plaintext_file = optarg; break;
		default: return bhcrypt_usage_error(self, "unexpected option");
		}
	}
	if (m.text[0])
		return bhcrypt_usage_error(self, "%s", m.text);
	o->nargs = argc - optind;
	o->args = argv + optind;
	if (o->nargs > max_args)
		return bhcrypt_usage_error(self, "unexpected argument '%s'", o->args[max_args]);
	return 0;
}

#define PARSE(...)                                                                         \
	do {                                                                               \
		static const int allowed_[] = { __VA_ARGS__, 0 };                          \
		int pr_ = parse_opts(self, argc, argv, allowed_, max_args_, &o);           \
		if (pr_)                                                                   \
			return pr_ == 2 ? 0 : 1;                                           \
	} while (0)

#define REQUIRE(field, optname)                                                            \
	do {                                                                               \
		if (!o.field)                                                              \
			return bhcrypt_usage_error(self, "%s is required", optname);       \
	} while (0)

/* ------------------------------------------------------------------ commands */

static int cmd_generate_keypair(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t priv[32], pub[65];
	char h[131];
	int r;

	PARSE(O_SHOW_PUBKEY);
	if ((r = bh_secp_keygen(priv)) < 0 || (r = bh_secp_pubkey(priv, pub)) < 0) {
		explicit_bzero(priv, sizeof(priv));
		return bhcrypt_error(self, "key generation failed: %s", bh_strerror(r));
	}
	bh_hex_encode(priv, 32, h);
	r = bhcrypt_write(h, 64);
	explicit_bzero(h, sizeof(h));
	explicit_bzero(priv, sizeof(priv));
	if (r == 0 && o.show_pubkey) {
		bh_hex_encode(pub, 65, h);
		if ((r = bhcrypt_write("\n", 1)) == 0)
			r = bhcrypt_write(h, 130);
	}
	return finish(self, r);
}

static int cmd_derive_pubkey(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t priv[32], pub[65];
	char h[131];
	int r;

	PARSE(O_PRIVATE_KEY, O_PRIVATE_KEY_FILE);
	if (get_privkey(self, o.private_key_file, o.private_key, "--private-key", priv))
		return 1;
	r = bh_secp_pubkey(priv, pub);
	explicit_bzero(priv, sizeof(priv));
	if (r < 0)
		return bhcrypt_error(self, "%s", bh_strerror(r));
	bh_hex_encode(pub, 65, h);
	return finish(self, bhcrypt_write(h, 130));
}

static int cmd_key_to_address(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t priv[32], addr[20];
	int r;

	PARSE(O_KEY, O_KEY_FILE);
	if (get_privkey(self, o.key_file, o.key, "--key", priv))
		return 1;
	r = bh_eth_address_from_priv(priv, addr);
	explicit_bzero(priv, sizeof(priv));
	if (r < 0)
		return bhcrypt_error(self, "%s", bh_strerror(r));
	r = write_addr(addr);
	return finish(self, r);
}

static int cmd_encrypt_symmetric(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t sig[65];
	struct bh_buf pt, out;
	int r;

	PARSE(O_SIGNATURE, O_SIGNATURE_FILE, O_PLAINTEXT, O_PLAINTEXT_FILE);
	if (both_stdin(self, o.signature_file, o.plaintext_file))
		return 1;
	if (get_secret_sig(self, o.signature_file, o.signature, sig))
		return 1;
	bh_buf_init(&pt, BLOB_MAX);
	if (get_plaintext(self, o.plaintext_file, o.plaintext, &pt)) {
		explicit_bzero(sig, sizeof(sig));
		bh_buf_done(&pt);
		return 1;
	}
	bh_buf_init(&out, BLOB_MAX + BH_SYM_OVERHEAD);
	r = bh_sym_encrypt(sig, bh_buf_ptr(&pt), bh_buf_len(&pt), &out);
	explicit_bzero(sig, sizeof(sig));
	bh_buf_done(&pt);
	if (r < 0) {
		bh_buf_done(&out);
		return bhcrypt_error(self, "encryption failed: %s", bh_strerror(r));
	}
	r = out_hex(bh_buf_ptr(&out), bh_buf_len(&out), true, NULL);
	bh_buf_done(&out);
	return finish(self, r);
}

static int cmd_decrypt_symmetric(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t sig[65], *blob = NULL;
	size_t blen = 0;
	struct bh_buf out;
	int r;

	PARSE(O_SIGNATURE, O_SIGNATURE_FILE, O_CIPHERTEXT);
	REQUIRE(ciphertext, "--ciphertext");
	if (get_secret_sig(self, o.signature_file, o.signature, sig))
		return 1;
	if (get_blob(self, "--ciphertext", o.ciphertext, &blob, &blen)) {
		explicit_bzero(sig, sizeof(sig));
		return 1;
	}
	bh_buf_init(&out, BLOB_MAX);
	r = bh_sym_decrypt(sig, blob, blen, &out);
	explicit_bzero(sig, sizeof(sig));
	free(blob);
	if (r == BH_ERR_LENGTH) {
		r = bhcrypt_error(self, "decryption failed: ciphertext shorter than %d bytes",
		                  BH_SYM_OVERHEAD);
	} else if (r < 0) {
		r = bhcrypt_error(self, "decryption failed: %s", bh_strerror(r));
	} else {
		r = finish(self, bhcrypt_write(bh_buf_ptr(&out), bh_buf_len(&out)));
	}
	bh_buf_done(&out);
	return r;
}

static int cmd_decrypt(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t priv[32], *blob = NULL;
	size_t blen = 0;
	struct bh_buf out;
	int r;

	PARSE(O_PRIVATE_KEY, O_PRIVATE_KEY_FILE, O_CIPHERTEXT);
	REQUIRE(ciphertext, "--ciphertext");
	if (get_blob(self, "--ciphertext", o.ciphertext, &blob, &blen))
		return 1;
	if (get_privkey(self, o.private_key_file, o.private_key, "--private-key", priv)) {
		free(blob);
		return 1;
	}
	bh_buf_init(&out, BLOB_MAX);
	r = bh_ecies_decrypt(priv, blob, blen, &out);
	explicit_bzero(priv, sizeof(priv));
	free(blob);
	if (r == BH_ERR_LENGTH)
		r = bhcrypt_error(self, "decryption failed: ciphertext shorter than %d bytes",
		                  BH_ECIES_OVERHEAD);
	else if (r == BH_ERR_FORMAT)
		r = bhcrypt_error(self, "decryption failed: ephemeral key is not a curve point");
	else if (r < 0)
		r = bhcrypt_error(self, "decryption failed: %s", bh_strerror(r));
	else
		r = finish(self, bhcrypt_write(bh_buf_ptr(&out), bh_buf_len(&out)));
	bh_buf_done(&out);
	return r;
}

static int cmd_encrypt(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t *pub = NULL;
	size_t plen = 0;
	struct bh_buf pt, out;
	int r;

	PARSE(O_PUBKEY, O_PLAINTEXT, O_PLAINTEXT_FILE);
	REQUIRE(pubkey, "--pubkey");
	if (get_blob(self, "--pubkey", o.pubkey, &pub, &plen))
		return 1;
	bh_buf_init(&pt, BLOB_MAX);
	if (get_plaintext(self, o.plaintext_file, o.plaintext, &pt)) {
		free(pub);
		bh_buf_done(&pt);
		return 1;
	}
	bh_buf_init(&out, BLOB_MAX + BH_ECIES_OVERHEAD);
	r = bh_ecies_encrypt(pub, plen, bh_buf_ptr(&pt), bh_buf_len(&pt), &out);
	free(pub);
	bh_buf_done(&pt);
	if (r == BH_ERR_LENGTH || r == BH_ERR_FORMAT)
		r = bhcrypt_error(self, "--pubkey: not a secp256k1 public key (65 bytes 04||X||Y or "
		                  "33 bytes compressed): %s", bh_strerror(r));
	else if (r < 0)
		r = bhcrypt_error(self, "encryption failed: %s", bh_strerror(r));
	else
		r = finish(self, out_hex(bh_buf_ptr(&out), bh_buf_len(&out), true, NULL));
	bh_buf_done(&out);
	return r;
}

static int cmd_keccak(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 1;
	struct opts o;
	uint8_t d[32], *data = NULL;
	size_t len = 0;

	PARSE(O_HEX);
	if ((o.hex != NULL) == (o.nargs == 1))
		return bhcrypt_usage_error(self, "give either <text> or --hex <0x...>");
	if (o.hex) {
		if (get_blob(self, "--hex", o.hex, &data, &len))
			return 1;
		bh_keccak256(data, len, d);
		free(data);
	} else {
		bh_keccak256(o.args[0], strlen(o.args[0]), d);
	}
	return finish(self, out_hex(d, 32, true, "\n"));
}

static int parse_sig_text(const struct bhcrypt_cmd *self, const char *s, size_t len,
                          uint8_t sig[static 65])
{
	int r = bh_sig_parse_hex(s, len, sig);

	switch (r) {
	case 0: return 0;
	case BH_ERR_LENGTH:
		return bhcrypt_error(self, "--signature: expected 0x + 130 hex digits");
	case BH_ERR_HEX: return bhcrypt_error(self, "--signature: invalid hex");
	case BH_ERR_RECOVERY_ID:
		return bhcrypt_error(self, "--signature: v must be 0, 1, 27, 28 or >= 35");
	case BH_ERR_HIGH_S:
		return bhcrypt_error(self, "--signature: s is in the upper half (non-canonical, EIP-2)");
	default: return bhcrypt_error(self, "--signature: %s", bh_strerror(r));
	}
}

/* A personal_sign signature (public, no warning) from --signature-file or --signature. */
static int parse_sig_arg(const struct bhcrypt_cmd *self, const char *file, const char *arg,
                         uint8_t sig[static 65])
{
	struct bh_buf b;
	int r;

	bh_buf_init(&b, KEYFILE_MAX);
	r = get_sig_text(self, file, arg, false, &b);
	if (r == 0)
		r = parse_sig_text(self, (const char *)bh_buf_ptr(&b), bh_buf_len(&b), sig);
	bh_buf_done(&b);
	return r;
}

static int cmd_recover(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t sig[65], d[32], addr[20];
	int r;

	PARSE(O_MESSAGE, O_SIGNATURE, O_SIGNATURE_FILE);
	REQUIRE(message, "--message");
	if (parse_sig_arg(self, o.signature_file, o.signature, sig))
		return 1;
	bh_eth_personal_digest(o.message, strlen(o.message), d);
	if ((r = bh_secp_recover_address(d, sig, addr)) < 0)
		return bhcrypt_error(self, "no public key recovers from this signature: %s",
		                     bh_strerror(r));
	r = write_addr(addr);
	return finish(self, r);
}

static int cmd_verify(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t sig[65], addr[20];
	int r;

	PARSE(O_MESSAGE, O_SIGNATURE, O_SIGNATURE_FILE, O_ADDRESS);
	REQUIRE(message, "--message");
	REQUIRE(address, "--address");
	if ((r = bh_eth_addr_parse(o.address, strlen(o.address), addr)) < 0)
		return bhcrypt_error(self, "--address: %s", bh_strerror(r));
	if (parse_sig_arg(self, o.signature_file, o.signature, sig))
		return 1;
	r = bh_eth_verify_personal(o.message, strlen(o.message), sig, addr);
	if (r == BH_ERR_MISMATCH)
		return bhcrypt_error(self, "signature is not by %s", o.address);
	if (r < 0)
		return bhcrypt_error(self, "%s", bh_strerror(r));
	return 0;
}

static int cmd_sign(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 0;
	struct opts o;
	uint8_t priv[32], sig[65];
	char s[BH_SIG_STR_LEN + 1];
	int r;

	PARSE(O_PRIVATE_KEY, O_PRIVATE_KEY_FILE, O_MESSAGE);
	REQUIRE(message, "--message");
	if (get_privkey(self, o.private_key_file, o.private_key, "--private-key", priv))
		return 1;
	r = bh_eth_sign_personal(priv, o.message, strlen(o.message), sig);
	explicit_bzero(priv, sizeof(priv));
	if (r < 0 || (r = bh_sig_format_hex(sig, s)) < 0)
		return bhcrypt_error(self, "signing failed: %s", bh_strerror(r));
	r = write_line(s);
	return finish(self, r);
}

static int cmd_checksum(const struct bhcrypt_cmd *self, int argc, char **argv)
{
	const int max_args_ = 1;
	struct opts o;
	uint8_t addr[20];
	int r;

	PARSE(O_HELP);
	if (o.nargs != 1)
		return bhcrypt_usage_error(self, "an address is required");
	r = bh_eth_addr_parse(o.args[0], strlen(o.args[0]), addr);
	if (r == BH_ERR_CHECKSUM)
		return bhcrypt_error(self, "'%s' has mixed case that fails the EIP-55 checksum", o.args[0]);
	if (r < 0)
		return bhcrypt_error(self, "'%s' is not 0x + 40 hex digits: %s", o.args[0], bh_strerror(r));
	r = write_addr(addr);
	return finish(self, r);
}

/* ------------------------------------------------------------------ table */

static const struct bhcrypt_cmd cmds[] = {
	{ "generate-keypair", "new secp256k1 private key (64 hex, no newline)",
	  "usage: bhcrypt generate-keypair [--show-pubkey]\n"
	  "  Print a new private key as 64 hex digits (no 0x, no newline); with --show-pubkey\n"
	  "  also a newline and the uncompressed public key (04 + 128 hex, no newline).\n",
	  cmd_generate_keypair },
	{ "derive-pubkey", "uncompressed public key of a private key",
	  "usage: bhcrypt derive-pubkey (--private-key-file <path> | --private-key <hex>)\n"
	  "  Print the uncompressed public key 04||X||Y as 130 hex digits (no newline).\n"
	  "  --private-key puts the key in argv (visible to other users): prefer the file.\n",
	  cmd_derive_pubkey },
	{ "key-to-address", "EIP-55 address of a private key",
	  "usage: bhcrypt key-to-address (--key-file <path> | --key <hex>)\n"
	  "  Print the EIP-55 checksummed address (0x + 40 hex) and a newline.\n",
	  cmd_key_to_address },
	{ "encrypt-symmetric", "AES-GCM with key = keccak256(signature)",
	  "usage: bhcrypt encrypt-symmetric (--signature-file <path|-> | --signature <hex>)\n"
	  "                                 (--plaintext-file <path|-> | --plaintext <text>)\n"
	  "  key = keccak256(the 65 signature bytes as given), AES-256-GCM, random 12-byte nonce.\n"
	  "  Print 0x + hex(nonce || ciphertext || tag) (no newline).  The signature is key\n"
	  "  material: --signature and --plaintext put secrets in argv (visible to other users)\n"
	  "  and warn; prefer the -file forms ('-' = standard input; the plaintext file is\n"
	  "  taken byte for byte; the signature file must not be group/world-writable).\n",
	  cmd_encrypt_symmetric },
	{ "decrypt-symmetric", "inverse of encrypt-symmetric",
	  "usage: bhcrypt decrypt-symmetric (--signature-file <path|-> | --signature <hex>)\n"
	  "                                 --ciphertext <hex>\n"
	  "  Print the plaintext exactly (no newline added).  Exit 1 \"decryption failed\" if\n"
	  "  the tag does not verify or the ciphertext is shorter than 28 bytes.\n",
	  cmd_decrypt_symmetric },
	{ "encrypt", "ECIES (Noble layout) to a secp256k1 public key",
	  "usage: bhcrypt encrypt --pubkey <04... or 02/03...>\n"
	  "                       (--plaintext-file <path|-> | --plaintext <text>)\n"
	  "  Print 0x + hex(E(65) || IV(12) || ciphertext || tag(16)) (no newline);\n"
	  "  key = HKDF-SHA256(X of e*Pub, no salt, no info), AES-256-GCM.\n",
	  cmd_encrypt },
	{ "decrypt", "ECIES (Noble layout) decryption with the server key",
	  "usage: bhcrypt decrypt (--private-key-file <path> | --private-key <hex>) --ciphertext <hex>\n"
	  "  Print the plaintext exactly (no newline added).  Exit 1 if the blob is shorter\n"
	  "  than 93 bytes, E is not a curve point, or the tag does not verify.\n",
	  cmd_decrypt },
	{ "keccak", "keccak256 of text or hex bytes",
	  "usage: bhcrypt keccak [--] <text> | bhcrypt keccak --hex <0x...>\n"
	  "  Print 0x + 64 hex digits and a newline.\n",
	  cmd_keccak },
	{ "sign", "EIP-191 personal_sign of a message",
	  "usage: bhcrypt sign (--private-key-file <path> | --private-key <hex>) --message <text>\n"
	  "  Print the RFC 6979 signature as 0x + 130 lower-case hex (v = 27/28) and a newline;\n"
	  "  byte-identical to ethers signMessage / anvil personal_sign.\n",
	  cmd_sign },
	{ "recover", "signer address of an EIP-191 personal_sign signature",
	  "usage: bhcrypt recover --message <text> (--signature <hex> | --signature-file <path|->)\n"
	  "  Print the EIP-55 address that signed keccak256(\"\\x19Ethereum Signed Message:\\n\"\n"
	  "  || len || message), and a newline.  v may be 0/1, 27/28 or EIP-155 (>= 35);\n"
	  "  high-S, zero or out-of-range r/s are rejected.\n",
	  cmd_recover },
	{ "verify", "check an EIP-191 signature against an address",
	  "usage: bhcrypt verify --message <text> (--signature <hex> | --signature-file <path|->)\n"
	  "                      --address <0x...>\n"
	  "  Exit 0 if the signature recovers to the address, 1 otherwise (no output).\n",
	  cmd_verify },
	{ "checksum", "EIP-55 form of an address",
	  "usage: bhcrypt checksum <0x + 40 hex>\n"
	  "  Print the EIP-55 checksummed address and a newline.  Mixed-case input must\n"
	  "  already carry a valid checksum.\n",
	  cmd_checksum },
};

/* Commands defined in other files: weak, so bhcrypt links without them. */
extern const struct bhcrypt_cmd bhcrypt_cmd_abi_decode_log __attribute__((weak));

static const struct bhcrypt_cmd *const hooks[] = {
	&bhcrypt_cmd_abi_decode_log,
};

static void list(FILE *f)
{
	fprintf(f, "usage: bhcrypt <command> [options]   (bhcrypt <command> --help for details)\n"
	           "       bhcrypt --help | --version\n\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-18s %s\n", cmds[i].name, cmds[i].summary);
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (hooks[i])
			fprintf(f, "  %-18s %s\n", hooks[i]->name, hooks[i]->summary);
	fprintf(f, "\nExit: 0 ok, 1 failed (the message says why), 2 usage error.\n");
}

int main(int argc, char **argv)
{
	const struct bhcrypt_cmd *c = NULL;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "bhcrypt: a command is required\n");
		list(stderr);
		return BH_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		list(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("bhcrypt (BlockHost) %s\n", BH_VERSION);
		return 0;
	}
	for (size_t i = 0; !c && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			c = &cmds[i];
	for (size_t i = 0; !c && i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (hooks[i] && hooks[i]->name && !strcmp(argv[1], hooks[i]->name))
			c = hooks[i];
	if (!c) {
		fprintf(stderr, "bhcrypt: unknown %s '%.*s' (bhcrypt --help lists the commands)\n",
		        argv[1][0] == '-' ? "option" : "command", (int)strcspn(argv[1], "="), argv[1]);
		return BH_EXIT_USAGE;
	}
	optind = 0;
	rc = c->run(c, argc - 1, argv + 1);
	return rc == 0 ? 0 : usage_failed ? BH_EXIT_USAGE : BH_EXIT_ERROR;
}

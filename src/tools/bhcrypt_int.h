/* SPDX-License-Identifier: MIT */
/*
 * What bhcrypt's command files (bhcrypt_keys.c, bhcrypt_sym.c, bhcrypt_ecies.c,
 * bhcrypt_sig.c) share: the option table's codes and parsed values, the input readers
 * (bhcrypt_input.c: key, signature and plaintext files or argv, hex blobs) and the output
 * helpers (bhcrypt.c).  Program code: the readers print their own errors ("bhcrypt NAME:
 * ...") and return 1 for the command to pass on; the output helpers return 0 or -errno
 * for bhcrypt_finish.
 */
#ifndef BH_BHCRYPT_INT_H
#define BH_BHCRYPT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bhcrypt.h"
#include "core/buf.h"

#define KEYFILE_MAX 4096
#define BLOB_MAX (1u << 20)     /* decoded ciphertext cap; argv caps it far lower anyway */

/* ------------------------------------------------------------------ options */

/* The options of every command, one table (bhcrypt.c); each command allows a subset. */
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

/*
 * Parse argv against the options `allowed` (a 0-terminated list of O_* codes).  Long
 * options only in full (core/cli.h).  Returns 0, 1 on a usage error (already printed) or
 * 2 if --help was printed.
 */
int bhcrypt_parse_opts(const struct bhcrypt_cmd *self, int argc, char **argv,
		       const int *allowed, int max_args, struct opts *o);

/* In a command (self, argc, argv, max_args_ and struct opts o in scope): parse the
 * options listed, returning from the command on --help (0) or a usage error (1); and
 * a required option, a usage error when absent. */
#define PARSE(...)                                                                         \
	do {                                                                               \
		static const int allowed_[] = { __VA_ARGS__, 0 };                          \
		int pr_ = bhcrypt_parse_opts(self, argc, argv, allowed_, max_args_, &o);   \
		if (pr_)                                                                   \
			return pr_ == 2 ? 0 : 1;                                           \
	} while (0)

#define REQUIRE(field, optname)                                                            \
	do {                                                                               \
		if (!o.field)                                                              \
			return bhcrypt_usage_error(self, "%s is required", optname);       \
	} while (0)

/* ------------------------------------------------------------------ inputs (bhcrypt_input.c) */

/* The private key from the key file (path or "-"; --<hexopt>-file) or, with a warning and
 * the argv string wiped, from --<hexopt> <hex>.  0, or 1 after the error was printed. */
int bhcrypt_get_privkey(const struct bhcrypt_cmd *self, const char *file, const char *hex,
			const char *hexopt, uint8_t priv[static 32]);
/* A 0x-optional hex argument of any length up to BLOB_MAX into a heap buffer; 0 or 1. */
int bhcrypt_get_blob(const struct bhcrypt_cmd *self, const char *what, const char *s,
		     uint8_t **ret, size_t *ret_len);
/* The text of --signature from --signature-file or argv into b (secret: warns and wipes
 * the argv form, the symmetric key is made from it); 0 or 1. */
int bhcrypt_get_sig_text(const struct bhcrypt_cmd *self, const char *file, const char *arg,
			 bool secret, struct bh_buf *b);
/* The symmetric-key signature (65 bytes) from --signature-file or --signature; 0 or 1. */
int bhcrypt_get_secret_sig(const struct bhcrypt_cmd *self, const char *file, const char *arg,
			   uint8_t sig[static 65]);
/* The plaintext from --plaintext-file (bytes as read) or --plaintext (warns, wiped); 0 or 1. */
int bhcrypt_get_plaintext(const struct bhcrypt_cmd *self, const char *file, const char *arg,
			  struct bh_buf *b);
/* 1 (a usage error, printed) when both inputs are "-" (standard input), else 0. */
int bhcrypt_both_stdin(const struct bhcrypt_cmd *self, const char *a, const char *b);

/* ------------------------------------------------------------------ output (bhcrypt.c) */

/* s and a newline on stdout; 0 or -errno. */
int bhcrypt_write_line(const char *s);
/* An address as EIP-55 text on its own line; 0 or -errno. */
int bhcrypt_write_addr(const uint8_t addr[static 20]);
/* hex of p[0..n) (0x-prefixed with prefix) then suffix (may be NULL); 0 or -errno. */
int bhcrypt_out_hex(const uint8_t *p, size_t n, bool prefix, const char *suffix);
/* The command's result: 0, or 1 after "writing output: ..." when r < 0. */
int bhcrypt_finish(const struct bhcrypt_cmd *self, int r);

#endif

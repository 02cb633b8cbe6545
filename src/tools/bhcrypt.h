/* SPDX-License-Identifier: MIT */
/*
 * bhcrypt subcommands.  bhcrypt.c holds the dispatch table; each subcommand lives in
 * a file of its concern (bhcrypt_keys.c, bhcrypt_sym.c, bhcrypt_ecies.c, bhcrypt_sig.c,
 * bhcrypt_abi.c), which defines
 *
 *	const struct bhcrypt_cmd bhcrypt_cmd_abi_decode_log = { "abi-decode-log", ... };
 *
 * declared below and listed in bhcrypt.c's table; the object is a prerequisite of
 * $(BUILD)/bin/bhcrypt in src/tools/module.mk (the link rule links every .o
 * prerequisite).  What the command files share beyond this header is in bhcrypt_int.h.
 *
 * Conventions for every subcommand: results on stdout exactly as upstream
 * (raw, no trailing newline unless the command documents one); errors on
 * stderr naming what was wrong; `--help` prints `usage` to stdout and exits 0;
 * return 0 on success, 1 on any failure; a failure reported through
 * bhcrypt_usage_error makes bhcrypt exit 2 (HACKING.md "Command-line programs").
 */
#ifndef BH_BHCRYPT_H
#define BH_BHCRYPT_H

#include <stddef.h>

struct bhcrypt_cmd {
	const char *name;     /* "abi-decode-log" */
	const char *summary;  /* one line for `bhcrypt help` */
	const char *usage;    /* full help text, printed by --help */
	/* argv[0] is the subcommand name; getopt state is reset before the call */
	int (*run)(const struct bhcrypt_cmd *self, int argc, char **argv);
};

/* The subcommands, in `bhcrypt --help` order (one file per concern, see above). */
extern const struct bhcrypt_cmd bhcrypt_cmd_generate_keypair, bhcrypt_cmd_derive_pubkey,
	bhcrypt_cmd_key_to_address, bhcrypt_cmd_keccak, bhcrypt_cmd_checksum; /* bhcrypt_keys.c */
extern const struct bhcrypt_cmd bhcrypt_cmd_encrypt_symmetric,
	bhcrypt_cmd_decrypt_symmetric;                                     /* bhcrypt_sym.c */
extern const struct bhcrypt_cmd bhcrypt_cmd_encrypt, bhcrypt_cmd_decrypt; /* bhcrypt_ecies.c */
extern const struct bhcrypt_cmd bhcrypt_cmd_sign, bhcrypt_cmd_recover,
	bhcrypt_cmd_verify;                                                /* bhcrypt_sig.c */
extern const struct bhcrypt_cmd bhcrypt_cmd_abi_decode_log;               /* bhcrypt_abi.c */

/* Write all of p to stdout; 0 or -errno. */
int bhcrypt_write(const void *p, size_t n);
/* Print self->usage to stdout (for --help). */
void bhcrypt_help(const struct bhcrypt_cmd *self);
/* "bhcrypt NAME: <message>" + a hint to --help on stderr; returns 1, and bhcrypt
 * exits 2 (a usage error). */
int bhcrypt_usage_error(const struct bhcrypt_cmd *self, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "bhcrypt NAME: <message>" on stderr; returns 1. */
int bhcrypt_error(const struct bhcrypt_cmd *self, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif

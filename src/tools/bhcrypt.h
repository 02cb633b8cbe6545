/* SPDX-License-Identifier: MIT */
/*
 * bhcrypt subcommands.  bhcrypt.c holds the dispatch table and most commands;
 * a subcommand may live in its own .c file: define
 *
 *	const struct bhcrypt_cmd bhcrypt_cmd_abi_decode_log = { "abi-decode-log", ... };
 *
 * and add the object as an extra prerequisite of $(BUILD)/bin/bhcrypt in your own
 * make fragment (the link rule links every .o prerequisite):
 *
 *	$(BUILD)/bin/bhcrypt: $(BUILD)/obj/common/tools/bhcrypt_abi.o
 *
 * Hook symbols are declared weak in bhcrypt.c, so bhcrypt links and runs (the
 * command is simply absent) until the file exists.
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

/* Hooks implemented in other files (weak: may be absent). */
extern const struct bhcrypt_cmd bhcrypt_cmd_abi_decode_log;

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

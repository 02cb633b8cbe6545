/* SPDX-License-Identifier: MIT */
/*
 * bhcrypt — the engine's crypto CLI (upstream-compatible subcommands, upstream.md
 * §1.3), plus encrypt / keccak / recover / sign / verify / checksum.
 *
 * This file: the dispatch (the command table, `bhcrypt --help`, --version), the one
 * option table and its parser, messages and output.  The commands live by concern:
 * bhcrypt_keys.c (generate-keypair, derive-pubkey, key-to-address, keccak, checksum),
 * bhcrypt_sym.c (encrypt-symmetric, decrypt-symmetric), bhcrypt_ecies.c (encrypt,
 * decrypt), bhcrypt_sig.c (sign, recover, verify), bhcrypt_abi.c (abi-decode-log); their
 * inputs in bhcrypt_input.c (secrets from a file or stdin; the argv forms warn and are
 * wiped).  Key material read into memory is wiped before exit; plaintext buffers are
 * wiped on release.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bhcrypt_int.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/hex.h"
#include "eth/eth.h"

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

int bhcrypt_write_line(const char *s)
{
	int r = write_str(s);

	return r < 0 ? r : write_str("\n");
}

/* An address as EIP-55 text on its own line. */
int bhcrypt_write_addr(const uint8_t addr[static 20])
{
	char s[BH_ADDR_STR_LEN + 1];

	bh_eth_addr_checksum(addr, s);
	return bhcrypt_write_line(s);
}

int bhcrypt_out_hex(const uint8_t *p, size_t n, bool prefix, const char *suffix)
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

int bhcrypt_finish(const struct bhcrypt_cmd *self, int r)
{
	if (r < 0)
		return bhcrypt_error(self, "writing output: %s", bh_strerror(r));
	return 0;
}

/* ------------------------------------------------------------------ options */

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
int bhcrypt_parse_opts(const struct bhcrypt_cmd *self, int argc, char **argv, const int *allowed,
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

/* ------------------------------------------------------------------ table */

/* In `bhcrypt --help` order; each command is defined in its own file (bhcrypt_int.h). */
static const struct bhcrypt_cmd *const cmds[] = {
	&bhcrypt_cmd_generate_keypair, &bhcrypt_cmd_derive_pubkey, &bhcrypt_cmd_key_to_address,
	&bhcrypt_cmd_encrypt_symmetric, &bhcrypt_cmd_decrypt_symmetric, &bhcrypt_cmd_encrypt,
	&bhcrypt_cmd_decrypt, &bhcrypt_cmd_keccak, &bhcrypt_cmd_sign, &bhcrypt_cmd_recover,
	&bhcrypt_cmd_verify, &bhcrypt_cmd_checksum, &bhcrypt_cmd_abi_decode_log,
};

static void list(FILE *f)
{
	fprintf(f, "usage: bhcrypt <command> [options]   (bhcrypt <command> --help for details)\n"
	           "       bhcrypt --help | --version\n\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-18s %s\n", cmds[i]->name, cmds[i]->summary);
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
		if (!strcmp(argv[1], cmds[i]->name))
			c = cmds[i];
	if (!c) {
		fprintf(stderr, "bhcrypt: unknown %s '%.*s' (bhcrypt --help lists the commands)\n",
		        argv[1][0] == '-' ? "option" : "command", (int)strcspn(argv[1], "="), argv[1]);
		return BH_EXIT_USAGE;
	}
	optind = 0;
	rc = c->run(c, argc - 1, argv + 1);
	return rc == 0 ? 0 : usage_failed ? BH_EXIT_USAGE : BH_EXIT_ERROR;
}

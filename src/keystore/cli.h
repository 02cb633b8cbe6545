/* SPDX-License-Identifier: MIT */
/*
 * The keystore program's commands and what they share (cli.c).  Program code: these
 * log.  main.c (main(): dispatch; address, export-pubkey, request), seal_cmds.c (init,
 * status, recover, reseal) and daemon.c (serve) each use cli.c and none uses another,
 * except that main() calls the ks_cmd_* entry points declared here.
 */
#ifndef BH_KS_CLI_H
#define BH_KS_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/err.h"
#include "eth/eth.h"
#include "keys.h"

/* Common options: parsed before the command name. */
struct ks_global {
	const char *config;  /* --config FILE */
	const char *tcti;    /* --tcti TCTI (overrides the config file) */
	struct bh_ks_config cfg;
};

/* Exit codes (documented in --help). */
#define KS_EXIT_OK 0
#define KS_EXIT_ERROR 1
#define KS_EXIT_USAGE 2
#define KS_EXIT_PCR 3        /* PCR policy not satisfied */
#define KS_EXIT_NO_TPM 4
#define KS_EXIT_LOCKOUT 5
#define KS_EXIT_NOT_FOUND 6

int ks_exit_code(int r);
/* The command's next option (core/cli.h: full names only, "-h" = --help); -1 after the
 * last; '?' once a usage problem has been logged, naming the option, with the usage. */
int ks_next_opt(int argc, char **argv, const struct option *o, const char *usage);
/* Log a usage problem and print the usage; returns KS_EXIT_USAGE. */
int ks_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log what failed (m's text when it has one) and return the exit code for r. */
int ks_fail(int r, const struct bh_msg *m, const char *what);
/* Open the TPM named by the config; logs the reason on failure. */
int ks_tpm_open(struct ks_global *g, struct bh_tpm **ret);

/* The keystore user owning the directory and blobs (--owner, else the default). */
struct ks_owner {
	const char *name;  /* NULL: keep the caller's */
	uid_t uid;
	gid_t gid;
};
/* owner NULL: "blockhost-keystore" when run as root and that account exists. */
int ks_resolve_owner(const char *owner, struct ks_owner *ret);
int ks_parse_owner_opt(const char *arg, const char **ret);
/* The keystore directory (blob.h bh_ks_dir_open); logs why it was refused. */
int ks_open_store(struct ks_global *g, bool create, const struct ks_owner *o, int *ret_fd);
/* Seal k to the PCRs in mask into the directory dfd, owned by o; logs failures. */
int ks_seal_store(struct ks_global *g, struct bh_tpm *t, int dfd, uint32_t mask,
		  const struct bh_ks_keys *k, const struct ks_owner *o);
int ks_wallet_address_str(const struct bh_ks_keys *k, char out[static BH_ADDR_STR_LEN + 1]);

/* Commands: each parses its own options from argv[0..argc) and returns an exit code. */
int ks_cmd_init(struct ks_global *g, int argc, char **argv);           /* seal_cmds.c */
int ks_cmd_status(struct ks_global *g, int argc, char **argv);         /* seal_cmds.c */
int ks_cmd_reseal(struct ks_global *g, int argc, char **argv, bool recover); /* seal_cmds.c */
int ks_cmd_serve(struct ks_global *g, int argc, char **argv);          /* daemon.c */

#endif

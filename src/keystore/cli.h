/* SPDX-License-Identifier: MIT */
/* Shared between the keystore CLI (main.c) and the daemon (daemon.c). */
#ifndef BH_KS_CLI_H
#define BH_KS_CLI_H

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
/* Open the TPM named by the config; logs the reason on failure. */
int ks_tpm_open(struct ks_global *g, struct bh_tpm **ret);

int ks_cmd_serve(struct ks_global *g, int argc, char **argv);

#endif

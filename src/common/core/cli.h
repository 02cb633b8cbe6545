/* SPDX-License-Identifier: MIT */
/*
 * The command-line convention every BlockHost program follows (HACKING.md "Command-line
 * programs"): exit codes, the version string, and getopt_long without its surprises.
 *
 * getopt_long accepts any unambiguous prefix of a long option (`--own` for `--owner`),
 * so a script written against today's options silently changes meaning when an option
 * is added tomorrow; and with opterr set it prints its own messages, which name neither
 * the program's way to get help nor the fix.  bh_cli_getopt is getopt_long with the
 * prefix matching refused and every problem described in a struct bh_msg (naming the
 * option as typed, never its value) for the program to print once.
 */
#ifndef BH_CLI_H
#define BH_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "core/err.h"

#define BH_EXIT_OK    0 /* done */
#define BH_EXIT_ERROR 1 /* it did not work: the message says why */
#define BH_EXIT_USAGE 2 /* the command line is wrong: the message names the option */

/* What `--version` prints after the program's name (one version for the tree; a
 * package build may pass -DBH_VERSION=...). */
#ifndef BH_VERSION
#define BH_VERSION "0.1.0"
#endif

/*
 * getopt_long(argc, argv, shortopts, longopts) with opterr off and a leading '+' in
 * shortopts kept (stop at the first operand).  0 and *ret_opt = the option's value (a
 * short option's character or the long option's `val`; optarg and optind as getopt sets
 * them), or *ret_opt = -1 after the last option.  BH_ERR_FORMAT, *ret_opt untouched, on
 * an unknown option, an abbreviated long option, a missing value, or a value given to a
 * flag (`--json=1`); msg names the option as typed and the fix.
 * Reset optind to 0 before the first call for a new argv (glibc: full re-initialisation).
 */
int bh_cli_getopt(int argc, char *const argv[], const char *shortopts,
		  const struct option *longopts, int *ret_opt, struct bh_msg *msg);

/*
 * true when one of argv[1..argc) is exactly `flag` ("--help"), looking no further than
 * a "--".  For answering --help before loading anything (config, sandbox), where the
 * options are parsed later by code that needs that state.
 */
bool bh_cli_has_flag(int argc, char *const argv[], const char *flag);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Shared by the core action plugins (src/agent/actions/<name>.c).  A plugin
 * reads its params — already checked by the agent against the signed schema —
 * as one JSON object on stdin, re-checks what the schema cannot express
 * (address syntax, allowlists), does its one job through argv-only spawns,
 * and prints one reply object {"ok": ...} on stdout.
 */
#ifndef BH_ACTIONS_COMMON_H
#define BH_ACTIONS_COMMON_H

#include <stdbool.h>
#include <stdnoreturn.h>

#include <jansson.h>

/* Read and strictly decode the params object (stdin, at most 10 MiB). Fails the action on error. */
json_t *act_params(void);

/* Print {"ok":true, ...extra members} and exit 0; extra (may be NULL) is consumed. */
noreturn void act_ok(json_t *extra);
/* Print {"ok":false,"error":...} and exit 1. */
noreturn void act_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* params[name] as a string / int / bool; missing → def (strings: NULL). */
const char *act_str(const json_t *p, const char *name, const char *def);
long long act_int(const json_t *p, const char *name, long long def);
bool act_bool(const json_t *p, const char *name, bool def);

/*
 * Run argv (absolute argv[0], never a shell) with timeout_ms; returns the exit
 * code (0..255) or -1 if it could not run / was killed.  On failure *err (if not
 * NULL) gets the first line of stderr, bounded, for the reply.
 */
int act_run(const char *const argv[], int timeout_ms, char *err, size_t errlen);

/* Regex full match (POSIX ERE, anchored by the caller). */
bool act_match(const char *re, const char *s);

#endif

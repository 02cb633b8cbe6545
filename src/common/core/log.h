/* SPDX-License-Identifier: MIT */
/*
 * Logging for programs and daemons only.  Library code (everything in
 * src/common except this file) never logs and never exits: it returns a code and
 * optionally fills a struct bh_msg, and the program logs once at the boundary.
 *
 * Messages go to stderr (default) or syslog (bh_log_init(ident, BH_LOG_SYSLOG)).
 * Never pass secrets (keys, OTPs, signatures of secrets) to these functions.
 */
#ifndef BH_LOG_H
#define BH_LOG_H

#include <stdnoreturn.h>
#include <syslog.h>

enum bh_log_target {
	BH_LOG_STDERR = 0,
	BH_LOG_SYSLOG = 1,
};

void bh_log_init(const char *ident, enum bh_log_target target, int facility);
void bh_log_set_level(int level); /* LOG_ERR .. LOG_DEBUG; default LOG_INFO */
void bh_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
noreturn void bh_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...)   bh_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)    bh_log(LOG_WARNING, __VA_ARGS__)
#define log_info(...)    bh_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   bh_log(LOG_DEBUG, __VA_ARGS__)
/* _r variants append ": <bh_strerror(r)>" */
#define log_error_r(r, fmt, ...) bh_log(LOG_ERR, fmt ": %s", ##__VA_ARGS__, bh_strerror(r))
#define log_warn_r(r, fmt, ...)  bh_log(LOG_WARNING, fmt ": %s", ##__VA_ARGS__, bh_strerror(r))
#define fatal_r(r, fmt, ...)     bh_fatal(fmt ": %s", ##__VA_ARGS__, bh_strerror(r))

#endif

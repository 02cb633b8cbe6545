/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

static const char *log_ident = "blockhost";
static enum bh_log_target log_target = BH_LOG_STDERR;
static int log_level = LOG_INFO;

void bh_log_init(const char *ident, enum bh_log_target target, int facility)
{
	log_ident = ident ? ident : "blockhost";
	log_target = target;
	if (target == BH_LOG_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
}

void bh_log_set_level(int level)
{
	log_level = level;
}

static void vlog(int level, const char *fmt, va_list ap)
{
	char line[2048];

	if (level > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/*
	 * Messages embed untrusted text (names from requests, file contents quoted in
	 * a bh_msg): control characters become '?', so nobody can forge a log line.
	 */
	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (log_target == BH_LOG_SYSLOG) {
		syslog(level, "%s", line);
		return;
	}
	/* one write so lines from concurrent processes do not interleave */
	dprintf(STDERR_FILENO, "%s: %s\n", log_ident, line);
}

void bh_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

void bh_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

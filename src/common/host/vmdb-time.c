/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "core/atomicio.h"
#include "core/buf.h"
#include "host/config.h"
#include "core/err.h"
#include "core/file.h"
#include "core/strutil.h"
#include "host/vmdb.h"
#include "host/vmdb-int.h"

/* ------------------------------------------------------------------ time */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return true;
}

int bh_time_parse_iso(const char *s, int64_t *ret)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int Y, M, D, h, m, sec, oh = 0, om = 0, sign = 0;
	const char *p;

	if (!s || strnlen(s, 20) < 19)
		return BH_ERR_FORMAT;
	if (!digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
	    !digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != ' ') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &m) || s[16] != ':' || !digits(s + 17, 2, &sec))
		return BH_ERR_FORMAT;
	if (Y < 1 || M < 1 || M > 12 || D < 1 || h > 23 || m > 59 || sec > 59)
		return BH_ERR_FORMAT;
	bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
	if (D > mdays[M - 1] + (M == 2 && leap))
		return BH_ERR_FORMAT;
	p = s + 19;
	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			n++;
		if (n < 1 || n > 9)
			return BH_ERR_FORMAT;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 ||
		    om > 59)
			return BH_ERR_FORMAT;
		p += 6;
	}
	if (*p)
		return BH_ERR_FORMAT;
	int64_t t = days_from_civil(Y, (unsigned)M, (unsigned)D) * DAY + h * 3600 + m * 60 + sec;
	t -= sign * (oh * 3600 + om * 60);
	*ret = t;
	return 0;
}

int bh_time_format_iso(int64_t t, char *out, size_t outlen)
{
	struct tm tm;
	time_t tt = (time_t)t;

	/* 0001-01-01 .. 9999-12-31 (what Python's datetime can hold) */
	if (t < -62135596800LL || t > 253402300799LL || !gmtime_r(&tt, &tm))
		return BH_ERR_RANGE;
	int n = snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d+00:00", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= outlen)
		return -ENOBUFS;
	return 0;
}

int bh_vm_time(const json_t *rec, const char *field, int64_t *ret)
{
	const json_t *v = json_object_get(rec, field);

	if (!v || json_is_null(v))
		return BH_ERR_NOT_FOUND;
	if (!json_is_string(v))
		return BH_ERR_WRONG_TYPE;
	return bh_time_parse_iso(json_string_value(v), ret);
}

const char *bh_vm_owner(const json_t *rec)
{
	const char *s = json_string_value(json_object_get(rec, "owner_wallet"));

	if (s && *s)
		return s;
	s = json_string_value(json_object_get(rec, "wallet_address"));
	return s && *s ? s : NULL;
}

int bh_vmdb__set_time(json_t *rec, const char *key, int64_t t)
{
	char buf[40];
	int r;

	if ((r = bh_time_format_iso(t, buf, sizeof(buf))) < 0)
		return r;
	return json_object_set_new(rec, key, json_string(buf)) < 0 ? -ENOMEM : 0;
}

int bh_vmdb__set_new(json_t *obj, const char *key, json_t *v)
{
	/* json_object_set_new steals v even on failure */
	return !v || json_object_set_new(obj, key, v) < 0 ? -ENOMEM : 0;
}

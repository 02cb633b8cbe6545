/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "core/strutil.h"

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGIT "0123456789"

/* One row per enum bh_name_class, in its order (strutil.h documents each). */
static const struct {
	const char *first, *rest;
	size_t max;
} name_rules[] = {
	[BH_NAME_ACTION]  = { LOWER DIGIT, LOWER DIGIT "-", BH_NAME_ACTION_MAX },
	[BH_NAME_SERVICE] = { LOWER DIGIT, LOWER DIGIT "-", BH_NAME_ACTION_MAX },
	[BH_NAME_PARAM]   = { LOWER, LOWER DIGIT "_", BH_NAME_PARAM_MAX },
	[BH_NAME_INI]     = { LOWER DIGIT "_-", LOWER DIGIT "_-", BH_NAME_INI_MAX },
	[BH_NAME_USER]    = { LOWER "_", LOWER DIGIT "_-", BH_NAME_USER_MAX },
	[BH_NAME_VM]      = { LOWER UPPER DIGIT, LOWER UPPER DIGIT "._-", BH_NAME_VM_MAX },
	[BH_NAME_FILE]    = { LOWER UPPER DIGIT "._-", LOWER UPPER DIGIT "._-", BH_NAME_FILE_MAX },
	[BH_NAME_SYSCALL] = { LOWER DIGIT "_", LOWER DIGIT "_", BH_NAME_SYSCALL_MAX },
	[BH_NAME_IDENT]   = { LOWER UPPER DIGIT "_", LOWER UPPER DIGIT "._-", BH_NAME_IDENT_MAX },
	[BH_NAME_KEY]     = { LOWER DIGIT "-", LOWER DIGIT "-", BH_NAME_KEY_MAX },
	[BH_NAME_MACHINE] = { LOWER UPPER DIGIT "._-", LOWER UPPER DIGIT "._-", BH_NAME_MACHINE_MAX },
	[BH_NAME_CAP]     = { LOWER "_", LOWER "_", BH_NAME_CAP_MAX },
};

bool bh_name_valid_len(const char *s, size_t n, enum bh_name_class cls)
{
	if (!s || (size_t)cls >= sizeof(name_rules) / sizeof(name_rules[0]))
		return false;
	if (n == 0 || n > name_rules[cls].max)
		return false;
	for (size_t i = 0; i < n; i++) {
		/* strchr would find the terminator of the set for a NUL byte */
		if (s[i] == '\0' || !strchr(i == 0 ? name_rules[cls].first : name_rules[cls].rest, s[i]))
			return false;
	}
	if (cls == BH_NAME_FILE && ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')))
		return false;
	return true;
}

bool bh_name_valid(const char *s, enum bh_name_class cls)
{
	return s && bh_name_valid_len(s, strlen(s), cls);
}

static bool keep_byte(unsigned char c, enum bh_str_keep keep)
{
	if (keep == BH_STR_KEEP_NAME)
		return c && strchr(LOWER UPPER DIGIT "._@-", c);
	return c >= 0x20 && c <= 0x7e;
}

char *bh_str_sanitize_as(const char *in, size_t len, char *out, size_t out_size,
			 enum bh_str_keep keep)
{
	size_t n = 0;

	if (!out_size)
		return out;
	if (!in)
		len = 0;
	else if (len == BH_STR_CSTR)
		len = strnlen(in, out_size); /* == out_size: longer than fits, marked below */
	for (; n < len && n + 1 < out_size; n++) {
		unsigned char c = (unsigned char)in[n];
		out[n] = keep_byte(c, keep) ? (char)c : '?';
	}
	if (n < len && out_size >= 4) {
		/* truncated: mark it */
		n = out_size - 1;
		memcpy(out + n - 3, "...", 3);
	}
	out[n] = '\0';
	return out;
}

char *bh_str_sanitize(const char *in, size_t len, char *out, size_t out_size)
{
	return bh_str_sanitize_as(in, len, out, out_size, BH_STR_KEEP_PRINTABLE);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t bh_str_trim(const char *s, size_t len, size_t *ret_start)
{
	size_t a = 0, e = len;

	while (a < e && is_blank(s[a]))
		a++;
	while (e > a && is_blank(s[e - 1]))
		e--;
	*ret_start = a;
	return e - a;
}

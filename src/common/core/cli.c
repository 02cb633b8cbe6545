/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "core/cli.h"

/* The length of the option's name part: "--owner=0x.." -> "--owner". */
static int name_len(const char *typed)
{
	return (int)strcspn(typed, "=");
}

static const struct option *find_long(const struct option *longopts, const char *name, size_t n)
{
	for (const struct option *o = longopts; o && o->name; o++)
		if (strlen(o->name) == n && !strncmp(o->name, name, n))
			return o;
	return NULL;
}

/* The first long option that starts with the typed prefix (for "write it in full"). */
static const struct option *find_prefix(const struct option *longopts, const char *name,
					size_t n)
{
	for (const struct option *o = longopts; o && o->name; o++)
		if (n > 0 && !strncmp(o->name, name, n))
			return o;
	return NULL;
}

int bh_cli_getopt(int argc, char *const argv[], const char *shortopts,
		  const struct option *longopts, int *ret_opt, struct bh_msg *msg)
{
	char so[128];
	const char *typed;
	int c, idx = -1;

	/* ':' first (after a '+'): a missing value is ':' rather than '?' */
	if (snprintf(so, sizeof(so), "%s:%s", shortopts[0] == '+' ? "+" : "",
		     shortopts + (shortopts[0] == '+')) >= (int)sizeof(so))
		return BH_ERR_INTERNAL;
	opterr = 0;
	c = getopt_long(argc, argv, so, longopts, &idx);
	if (c == -1) {
		*ret_opt = -1;
		return 0;
	}
	/* the element just consumed: the option itself, or its separate value after it */
	typed = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	if (c != '?' && c != ':' && idx >= 0 && optarg && optarg == argv[optind - 1] &&
	    optind >= 2)
		typed = argv[optind - 2];
	if (c != '?' && c != ':') {
		if (idx < 0) { /* a short option */
			*ret_opt = c;
			return 0;
		}
		size_t n = (size_t)name_len(typed + 2);
		if (strncmp(typed, "--", 2) == 0 && strlen(longopts[idx].name) == n &&
		    !strncmp(typed + 2, longopts[idx].name, n)) {
			*ret_opt = c;
			return 0;
		}
		bh_msg_set(msg, "option '%.*s' is abbreviated: write it in full, '--%s'",
			   name_len(typed), typed, longopts[idx].name);
		return BH_ERR_FORMAT;
	}
	if (strncmp(typed, "--", 2) == 0 && typed[2]) {
		const char *name = typed + 2;
		size_t n = (size_t)name_len(name);
		const struct option *o = find_long(longopts, name, n);

		if (c == ':')
			bh_msg_set(msg, "option '%.*s' needs a value", name_len(typed), typed);
		else if (o && o->has_arg == no_argument && name[n] == '=')
			bh_msg_set(msg, "option '--%s' takes no value", o->name);
		else if (!o && (o = find_prefix(longopts, name, n)))
			bh_msg_set(msg, "unknown option '%.*s' (options are never abbreviated: "
				   "did you mean '--%s'?)", name_len(typed), typed, o->name);
		else
			bh_msg_set(msg, "unknown option '%.*s'", name_len(typed), typed);
	} else if (c == ':') {
		bh_msg_set(msg, "option '-%c' needs a value", optopt);
	} else if (optopt > 0 && optopt < 128) {
		bh_msg_set(msg, "unknown option '-%c'", optopt);
	} else {
		bh_msg_set(msg, "unknown option '%.*s'", name_len(typed), typed);
	}
	return BH_ERR_FORMAT;
}

bool bh_cli_has_flag(int argc, char *const argv[], const char *flag)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], flag))
			return true;
	}
	return false;
}

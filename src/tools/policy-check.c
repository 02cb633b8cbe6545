/* SPDX-License-Identifier: MIT */
/*
 * blockhost-policy-check: validate policy/ and seccomp/ (run by `make check`).
 *
 *   blockhost-policy-check --policy-dir policy --seccomp-dir seccomp [--dump SERVICE] [-q]
 *
 * For every service in <policy-dir>/services: policy/<service>.policy parses and has the
 * four sandbox sections; seccomp/<service> parses, every syscall resolves for x86_64,
 * includes resolve, both as a production filter and with the sanitizer include.  Every
 * *.policy and seccomp file must belong to a listed service; every *.inc must parse.
 * Exits 1 after reporting every problem found.
 */
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"
#include "core/log.h"
#include "sandbox/policy.h"
#include "sandbox/sandbox.h"

#define MAX_SERVICES 64

static int errors;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_error("%s", line);
	errors++;
}

static int read_services(const char *pdir, char names[][BH_POLICY_NAME_MAX + 1], size_t *ret_n)
{
	struct bh_msg m = { "" };
	struct bh_buf b;
	char *path = NULL;
	size_t n = 0;
	unsigned lineno = 0;
	int r;

	if (asprintf(&path, "%s/services", pdir) < 0)
		return -ENOMEM;
	bh_buf_init(&b, BH_POLICY_FILE_MAX);
	if ((r = bh_file_read(AT_FDCWD, path, NULL, BH_POLICY_FILE_MAX, &b, &m)) < 0) {
		problem("%s", m.text);
		goto out;
	}
	while (bh_buf_len(&b) > 0) {
		const uint8_t *p = bh_buf_ptr(&b), *nl = memchr(p, '\n', bh_buf_len(&b));
		size_t len = nl ? (size_t)(nl - p) : bh_buf_len(&b);
		char line[256];

		lineno++;
		if (len >= sizeof(line)) {
			problem("%s:%u: line too long", path, lineno);
			r = BH_ERR_LIMIT;
			goto out;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		(void)bh_buf_consume(&b, nl ? len + 1 : len);
		char *h = strchr(line, '#');
		if (h)
			*h = '\0';
		char *s = line + strspn(line, " \t\r");
		size_t sl = strlen(s);
		while (sl && strchr(" \t\r", s[sl - 1]))
			s[--sl] = '\0';
		if (!sl)
			continue;
		if (!bh_policy_service_name_ok(s)) {
			problem("%s:%u: invalid service name '%s' (a-z 0-9 -)", path, lineno, s);
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			dup |= strcmp(names[i], s) == 0;
		if (dup) {
			problem("%s:%u: %s listed twice", path, lineno, s);
			continue;
		}
		if (n == MAX_SERVICES) {
			problem("%s:%u: more than %d services", path, lineno, MAX_SERVICES);
			break;
		}
		strcpy(names[n++], s);
	}
	if (n == 0)
		problem("%s: lists no services", path);
	*ret_n = n;
	r = 0;
out:
	bh_buf_done(&b);
	free(path);
	return r;
}

static bool listed(char names[][BH_POLICY_NAME_MAX + 1], size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return true;
	return false;
}

static bool allows(const struct bh_seccomp *sc, const char *name)
{
	for (size_t i = 0; i < sc->n_rules; i++)
		if (!sc->rules[i].dropped && sc->rules[i].action == BH_SECCOMP_ALLOW &&
		    sc->rules[i].n_conds == 0 && strcmp(sc->rules[i].name, name) == 0)
			return true;
	return false;
}

static void check_service(const char *pdir, const char *sdir, const char *svc, bool quiet)
{
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	struct bh_seccomp *sc = NULL, *san = NULL;
	int r;

	if ((r = bh_policy_load(pdir, svc, &p, &m)) < 0)
		problem("%s", m.text);
	if ((r = bh_seccomp_load(sdir, svc, 0, &sc, &m)) < 0) {
		problem("%s", m.text);
	} else {
		/* a process that cannot exit or return from a signal handler is a broken filter */
		static const char *const essential[] = { "exit_group", "exit", "rt_sigreturn" };
		for (size_t i = 0; i < sizeof(essential) / sizeof(essential[0]); i++)
			if (!allows(sc, essential[i]))
				problem("%s/%s: does not allow %s (include base.inc)", sdir, svc,
					essential[i]);
		if ((r = bh_seccomp_load(sdir, svc, BH_SECCOMP_SANITIZER, &san, &m)) < 0)
			problem("%s (with the sanitizer include)", m.text);
	}
	if (p && sc && !quiet) {
		char caps[512] = "";
		size_t off = 0;
		for (int c = 0; c < 64; c++)
			if (p->caps & (UINT64_C(1) << c)) {
				int n = snprintf(caps + off, sizeof(caps) - off, "%s%s", off ? "," : "",
						 bh_cap_name(c));
				if (n > 0 && (size_t)n < sizeof(caps) - off)
					off += (size_t)n;
			}
		printf("ok  %-24s user=%s caps=%s syscall-rules=%zu\n", svc, p->user,
		       off ? caps : "none", sc->n_rules);
	}
	bh_seccomp_free(san);
	bh_seccomp_free(sc);
	bh_policy_free(p);
}

static void check_orphans(const char *pdir, const char *sdir,
			  char names[][BH_POLICY_NAME_MAX + 1], size_t n)
{
	struct dirent *de;
	DIR *d;

	if (!(d = opendir(pdir))) {
		problem("%s: cannot list: %m", pdir);
	} else {
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);
			if (l > 7 && strcmp(de->d_name + l - 7, ".policy") == 0 &&
			    !listed(names, n, de->d_name, l - 7))
				problem("%s/%s: not listed in %s/services", pdir, de->d_name, pdir);
		}
		closedir(d);
	}
	if (!(d = opendir(sdir))) {
		problem("%s: cannot list: %m", sdir);
		return;
	}
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		size_t l = strlen(nm);
		if (nm[0] == '.' || strcmp(nm, "README.md") == 0)
			continue;
		if (l > 4 && strcmp(nm + l - 4, ".inc") == 0) {
			/* shared include: must parse on its own (in both views) */
			struct bh_msg m = { "" };
			struct bh_seccomp *sc = NULL;
			if (bh_seccomp_load(sdir, nm, BH_SECCOMP_SANITIZER, &sc, &m) < 0)
				problem("%s", m.text);
			bh_seccomp_free(sc);
			continue;
		}
		if (!listed(names, n, nm, l))
			problem("%s/%s: not a service listed in %s/services (shared files end in "
				".inc)", sdir, nm, pdir);
	}
	closedir(d);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: blockhost-policy-check --policy-dir DIR --seccomp-dir DIR "
		   "[--dump SERVICE] [-q]\n"
		   "  validates every policy/<service>.policy and seccomp/<service> listed in\n"
		   "  DIR/services; --dump prints the expanded syscall rules of one service.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy-dir", required_argument, NULL, 'p' },
		{ "seccomp-dir", required_argument, NULL, 's' },
		{ "dump", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pdir = NULL, *sdir = NULL, *dump = NULL;
	char names[MAX_SERVICES][BH_POLICY_NAME_MAX + 1];
	size_t n = 0;
	bool quiet = false;
	int c;

	bh_log_init("blockhost-policy-check", BH_LOG_STDERR, 0);
	while ((c = getopt_long(argc, argv, "p:s:d:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pdir = optarg; break;
		case 's': sdir = optarg; break;
		case 'd': dump = optarg; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!pdir || !sdir || optind != argc) {
		usage(stderr);
		return 2;
	}
	if (dump) {
		struct bh_msg m = { "" };
		struct bh_seccomp *sc = NULL;
		char line[512];
		if (bh_seccomp_load(sdir, dump, 0, &sc, &m) < 0) {
			log_error("%s", m.text);
			return 1;
		}
		printf("# %s: %zu rules; default action: kill process; non-x86_64 ABIs: kill\n",
		       dump, sc->n_rules);
		for (size_t i = 0; i < sc->n_rules; i++) {
			bh_seccomp_rule_format(&sc->rules[i], line, sizeof(line));
			printf("%s\n", line);
		}
		bh_seccomp_free(sc);
		return 0;
	}
	if (read_services(pdir, names, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			check_service(pdir, sdir, names[i], quiet);
		check_orphans(pdir, sdir, names, n);
	}
	if (errors) {
		log_error("%d problem%s in %s/ and %s/", errors, errors == 1 ? "" : "s", pdir, sdir);
		return 1;
	}
	if (!quiet)
		printf("policy-check: %zu services OK (%s/, %s/)\n", n, pdir, sdir);
	return 0;
}

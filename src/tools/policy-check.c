/* SPDX-License-Identifier: MIT */
/*
 * blockhost-policy-check: validate policy/ and seccomp/ (run by `make check`).
 *
 *   blockhost-policy-check --policy-dir policy --seccomp-dir seccomp [--dump SERVICE] [-q]
 *                          [--actions-dir policy/actions --action-source FILE.c ...]
 *
 * For every service in <policy-dir>/services: policy/<service>.policy parses and has the
 * four sandbox sections; seccomp/<service> parses, every syscall resolves for x86_64,
 * includes resolve, both as a production filter and with the sanitizer include.  Every
 * *.policy and seccomp file must belong to a listed service; every *.inc must parse.
 *
 * With --actions-dir: every root-agent action manifest (<name>.manifest.in) must be a
 * strict JSON object whose "action" is <name>, and must have exactly one source among the
 * --action-source files (<dir>/<name>.c), and every source must have a manifest.  Then a
 * table of every action: who it runs as, the capabilities it is granted, whether those
 * include setuid/setgid (it can become any user), its source.  "run_as" is required (no
 * implicit rule), and a manifest that runs as uid 0 or is granted a root-equivalent
 * capability (sandbox/policy.h bh_caps_root_equivalent) must give its "root_equivalent"
 * reason, which the table prints; the agent's parser applies the same rules.
 * The agent's own parser (src/agent/plugin-manifest.c) validates each manifest in full
 * when the build signs it; this is the auditor's view, not the enforcement.
 *
 * --json: one JSON object on stdout instead of the text: {"ok", "problems": [text...],
 * "services": [{service, user, capabilities, syscall_rules}], "actions": [{action, run_as,
 * setid, capabilities, source}]} (the problems are also logged on stderr).
 *
 * Exits 1 after reporting every problem found, 2 on a usage error.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/file.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/strutil.h"
#include "sandbox/policy.h"
#include "sandbox/sandbox.h"

#define MAX_SERVICES 64
#define MAX_ACTIONS 128
#define MANIFEST_MAX 65536

static int errors;
/* --json: what the text output would say, printed once at the end */
static json_t *report;

/* "a,b,c" -> ["a","b","c"] ("" -> []) */
static json_t *split_list(const char *s)
{
	json_t *a = json_array();

	while (a && *s) {
		size_t k = strcspn(s, ",");
		json_array_append_new(a, json_stringn(s, k));
		s += k + (s[k] == ',');
	}
	return a;
}

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
	if (report)
		json_array_append_new(json_object_get(report, "problems"), json_string(line));
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
		if (!bh_name_valid(s, BH_NAME_SERVICE)) {
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

/* Syscalls an auditor looks at first: allowed at all (any condition) = listed. */
static const char *const dangerous[] = {
	"execve", "execveat", "fork", "vfork", "clone", "clone3", "ptrace", "process_vm_writev",
	"process_vm_readv", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
	"capset", "kill", "tkill", "tgkill", "socket", "connect", "bind", "listen",
	"memfd_create", "bpf", "init_module", "finit_module", "delete_module", "kexec_load",
	"keyctl", "add_key", "perf_event_open", "chmod", "fchmod", "fchmodat", "chown", "fchown",
	"fchownat", "lchown", "link", "linkat", "symlink", "symlinkat", "mknod", "mknodat",
	"open", "creat", "unlink", "unlinkat", "rename", "renameat", "renameat2",
};

struct service_row {
	char name[BH_POLICY_NAME_MAX + 1];
	char user[BH_POLICY_USER_MAX + 1], group[BH_POLICY_USER_MAX + 1];
	char groups[256], caps[512], danger[1024];
	size_t n_rules;
};
static struct service_row svc_rows[MAX_SERVICES];
static size_t n_svc_rows;

static void append(char *buf, size_t len, const char *sep, const char *s)
{
	size_t off = strlen(buf);
	if (off < len)
		snprintf(buf + off, len - off, "%s%s", off ? sep : "", s);
}

static void service_row(const char *svc, const struct bh_policy *p, const struct bh_seccomp *sc)
{
	struct service_row *row;

	if (n_svc_rows == MAX_SERVICES)
		return;
	row = &svc_rows[n_svc_rows++];
	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%.64s", svc);
	snprintf(row->user, sizeof(row->user), "%s", p->user);
	snprintf(row->group, sizeof(row->group), "%s", p->group);
	for (size_t i = 0; i < p->n_groups; i++)
		append(row->groups, sizeof(row->groups), ", ", p->groups[i]);
	for (int c = 0; c < 64; c++)
		if (p->caps & (UINT64_C(1) << c))
			append(row->caps, sizeof(row->caps), ", ", bh_cap_name(c));
	row->n_rules = sc->n_rules;
	for (size_t d = 0; d < sizeof(dangerous) / sizeof(dangerous[0]); d++) {
		bool any = false, cond = false;
		for (size_t i = 0; i < sc->n_rules; i++) {
			const struct bh_seccomp_rule *r = &sc->rules[i];
			if (r->dropped || r->action != BH_SECCOMP_ALLOW || strcmp(r->name, dangerous[d]))
				continue;
			any = true;
			cond |= r->n_conds > 0;
		}
		if (any) {
			char item[80];
			snprintf(item, sizeof(item), "%s%s", dangerous[d], cond ? " (cond.)" : "");
			append(row->danger, sizeof(row->danger), ", ", item);
		}
	}
}

static void check_service(const char *pdir, const char *sdir, const char *svc, bool quiet)
{
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	struct bh_seccomp *sc = NULL, *san = NULL;
	int r;

	if ((r = bh_policy_load_flags(pdir, svc, BH_SECCOMP_ANY_OWNER, &p, &m)) < 0)
		problem("%s", m.text);
	if ((r = bh_seccomp_load(sdir, svc, BH_SECCOMP_ANY_OWNER | BH_SECCOMP_PRODUCTION, &sc, &m)) < 0) {
		problem("%s", m.text);
	} else {
		/* a process that cannot exit or return from a signal handler is a broken filter */
		static const char *const essential[] = { "exit_group", "exit", "rt_sigreturn" };
		for (size_t i = 0; i < sizeof(essential) / sizeof(essential[0]); i++)
			if (!allows(sc, essential[i]))
				problem("%s/%s: does not allow %s (include base.inc)", sdir, svc,
					essential[i]);
		if ((r = bh_seccomp_load(sdir, svc, BH_SECCOMP_SANITIZER | BH_SECCOMP_ANY_OWNER, &san, &m)) < 0)
			problem("%s (with the sanitizer include)", m.text);
	}
	if (p && sc)
		service_row(svc, p, sc);
	if (p && sc && (!quiet || report)) {
		char caps[512] = "";
		size_t off = 0;
		for (int c = 0; c < 64; c++)
			if (p->caps & (UINT64_C(1) << c)) {
				int n = snprintf(caps + off, sizeof(caps) - off, "%s%s", off ? "," : "",
						 bh_cap_name(c));
				if (n > 0 && (size_t)n < sizeof(caps) - off)
					off += (size_t)n;
			}
		if (report)
			json_array_append_new(json_object_get(report, "services"),
				json_pack("{s:s, s:s, s:o, s:I}", "service", svc, "user", p->user,
					  "capabilities", split_list(caps), "syscall_rules",
					  (json_int_t)sc->n_rules));
		else
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
			if (bh_seccomp_load(sdir, nm, BH_SECCOMP_SANITIZER | BH_SECCOMP_ANY_OWNER, &sc, &m) < 0)
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

/* ------------------------------------------------------------------ actions */

struct action_row {
	char name[65];
	char run_as[8];
	char caps[256];
	uint64_t capbits;
	bool setid;
	bool root_eq;
	char reason[512];
	const char *source;
};

static const char *base_of(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

/* The source named <name>.c among srcs, or NULL; a second one is a problem. */
static const char *source_of(const char *name, const char *const *srcs, size_t n_srcs)
{
	const char *found = NULL;
	size_t nl = strlen(name);

	for (size_t i = 0; i < n_srcs; i++) {
		const char *b = base_of(srcs[i]);
		if (strncmp(b, name, nl) || strcmp(b + nl, ".c"))
			continue;
		if (found)
			problem("action %s: two sources, %s and %s", name, found, srcs[i]);
		else
			found = srcs[i];
	}
	return found;
}

/* Read adir/fname (a manifest template) into row; false (and a problem) if malformed. */
static bool read_action(const char *adir, const char *fname, struct action_row *row)
{
	struct bh_buf b;
	json_t *j = NULL, *v, *c;
	char *path = NULL;
	bool ok = false;
	size_t i, off = 0;
	int r;

	if (asprintf(&path, "%s/%s", adir, fname) < 0)
		return false;
	bh_buf_init(&b, MANIFEST_MAX);
	if ((r = bh_buf_load_file(&b, path)) < 0) {
		problem("%s: cannot read: %s", path, bh_strerror(r));
		goto out;
	}
	if ((r = bh_frame_decode_json(bh_buf_ptr(&b), bh_buf_len(&b), &j)) < 0) {
		problem("%s: not a strict JSON object: %s", path, bh_strerror(r));
		goto out;
	}
	v = json_object_get(j, "action");
	if (!json_is_string(v) || strcmp(json_string_value(v), row->name)) {
		problem("%s: \"action\" must be \"%s\" (the file name)", path, row->name);
		goto out;
	}
	v = json_object_get(j, "capabilities");
	if (!json_is_array(v)) {
		problem("%s: \"capabilities\" must be an array", path);
		goto out;
	}
	json_array_foreach(v, i, c) {
		const char *s = json_string_value(c);
		if (!s) {
			problem("%s: capabilities[%zu] is not a string", path, i);
			goto out;
		}
		row->setid |= strcmp(s, "setuid") == 0 || strcmp(s, "setgid") == 0;
		char capname[64];
		snprintf(capname, sizeof(capname), "CAP_%s", s);
		for (char *q = capname; *q; q++)
			*q = (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);
		int cn = bh_cap_from_name(capname);
		if (cn < 0) {
			problem("%s: unknown capability \"%s\"", path, s);
			goto out;
		}
		row->capbits |= UINT64_C(1) << cn;
		int n = snprintf(row->caps + off, sizeof(row->caps) - off, "%s%s", off ? "," : "", s);
		if (n < 0 || (size_t)n >= sizeof(row->caps) - off) {
			problem("%s: capability list too long to report", path);
			goto out;
		}
		off += (size_t)n;
	}
	v = json_object_get(j, "run_as");
	if (!v) {
		problem("%s: \"run_as\" missing (required: \"plugin\", \"libvirt\" or \"root\"; "
			"there is no implicit rule)", path);
		goto out;
	}
	if (!json_is_string(v) || (strcmp(json_string_value(v), "root") &&
				   strcmp(json_string_value(v), "plugin") &&
				   strcmp(json_string_value(v), "libvirt"))) {
		problem("%s: run_as must be \"plugin\", \"libvirt\" or \"root\"", path);
		goto out;
	}
	snprintf(row->run_as, sizeof(row->run_as), "%s", json_string_value(v));
	row->root_eq = bh_caps_root_equivalent(row->capbits, strcmp(row->run_as, "root") == 0);
	v = json_object_get(j, "root_equivalent");
	if (v && !json_is_string(v)) {
		problem("%s: root_equivalent must be a string (the reason)", path);
		goto out;
	}
	if (row->root_eq && !v) {
		problem("%s: root-equivalent (run_as %s, capabilities %s) but no \"root_equivalent\" "
			"reason", path, row->run_as, row->caps[0] ? row->caps : "none");
		goto out;
	}
	if (!row->root_eq && v) {
		problem("%s: \"root_equivalent\" given, but it is not root-equivalent", path);
		goto out;
	}
	if (v)
		snprintf(row->reason, sizeof(row->reason), "%s", json_string_value(v));
	ok = true;
out:
	json_decref(j);
	bh_buf_done(&b);
	free(path);
	return ok;
}

static int cmp_rows(const void *a, const void *b)
{
	return strcmp(((const struct action_row *)a)->name, ((const struct action_row *)b)->name);
}

static struct action_row rows[MAX_ACTIONS];
static size_t n_rows;

static void check_actions(const char *adir, const char *const *srcs, size_t n_srcs, bool quiet)
{
	struct dirent *de;
	size_t n = 0, n_root = 0, n_setid = 0;
	DIR *d;

	if (!(d = opendir(adir))) {
		problem("%s: cannot list: %m", adir);
		return;
	}
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		size_t l = strlen(nm);
		if (nm[0] == '.' || strcmp(nm, "README.md") == 0)
			continue;
		if (l <= 12 || strcmp(nm + l - 12, ".manifest.in") || l - 12 > 64) {
			problem("%s/%s: not an action manifest (<name>.manifest.in)", adir, nm);
			continue;
		}
		if (n == MAX_ACTIONS) {
			problem("%s: more than %d actions", adir, MAX_ACTIONS);
			break;
		}
		struct action_row *row = &rows[n];
		memset(row, 0, sizeof(*row));
		memcpy(row->name, nm, l - 12);
		if (!(row->source = source_of(row->name, srcs, n_srcs)))
			problem("%s/%s: no source for action %s among the action sources", adir, nm,
				row->name);
		if (read_action(adir, nm, row))
			n++;
	}
	closedir(d);
	for (size_t i = 0; i < n_srcs; i++) {
		char name[80];
		const char *b = base_of(srcs[i]);
		size_t l = strlen(b);
		bool have = false;
		if (l < 3 || l - 2 >= sizeof(name) || strcmp(b + l - 2, ".c")) {
			problem("%s: an action source must be <name>.c", srcs[i]);
			continue;
		}
		memcpy(name, b, l - 2);
		name[l - 2] = '\0';
		for (size_t k = 0; k < n; k++)
			have |= strcmp(rows[k].name, name) == 0;
		if (!have && access(srcs[i], F_OK) == 0)
			problem("%s: action %s has no manifest %s/%s.manifest.in", srcs[i], name, adir,
				name);
		else if (!have)
			problem("%s: no such action source", srcs[i]);
	}
	qsort(rows, n, sizeof(rows[0]), cmp_rows);
	n_rows = n;
	for (size_t i = 0; report && i < n; i++)
		json_array_append_new(json_object_get(report, "actions"),
			json_pack("{s:s, s:s, s:b, s:b, s:o, s:s?}", "action", rows[i].name, "run_as",
				  rows[i].run_as, "setid", rows[i].setid, "root_equivalent",
				  rows[i].root_eq, "capabilities", split_list(rows[i].caps), "source",
				  rows[i].source));
	if (quiet || report)
		return;
	printf("%-22s %-7s %-5s %-7s %-36s %s\n", "action", "run_as", "setid", "root-eq",
	       "capabilities", "source");
	size_t n_req = 0;
	for (size_t i = 0; i < n; i++) {
		printf("%-22s %-7s %-5s %-7s %-36s %s\n", rows[i].name, rows[i].run_as,
		       rows[i].setid ? "YES" : "-", rows[i].root_eq ? "YES" : "-",
		       rows[i].caps[0] ? rows[i].caps : "none",
		       rows[i].source ? rows[i].source : "(none)");
		n_root += strcmp(rows[i].run_as, "root") == 0;
		n_setid += rows[i].setid;
		n_req += rows[i].root_eq;
	}
	printf("policy-check: %zu actions in %s/: %zu run as root, %zu may change uid/gid "
	       "(setuid/setgid), %zu root-equivalent\n", n, adir, n_root, n_setid, n_req);
}

/* The root agent's [callers] and its [libvirt] user (read from its policy; names not
 * resolved). */
static struct bh_callers *read_callers(const char *pdir, char *libvirt_user, size_t n)
{
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	struct bh_callers *cs = NULL;
	const char *u = NULL;

	snprintf(libvirt_user, n, "?");
	if (bh_policy_load_flags(pdir, "blockhost-root-agent", BH_SECCOMP_ANY_OWNER, &p, &m) < 0) {
		problem("%s", m.text);
		return NULL;
	}
	if (bh_callers_parse(p->ini, bh_policy_section(p, "callers"), false, &cs, &m) < 0)
		problem("%s", m.text);
	if (bh_ini_get(p->ini, bh_policy_section(p, "libvirt"), "user", &u, &m) == 0)
		snprintf(libvirt_user, n, "%s", u);
	bh_policy_free(p);
	return cs;
}

/*
 * --table: the auditor's tables as markdown, the ones policy/README.md shows (a unit
 * test compares them): every service and every action.
 */
static void print_tables(const char *pdir, bool have_actions)
{
	printf("| service | user | group | supplementary groups | capabilities | syscall rules "
	       "| dangerous syscalls allowed |\n|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < n_svc_rows; i++) {
		const struct service_row *r = &svc_rows[i];
		printf("| %s | %s | %s | %s | %s | %zu | %s |\n", r->name, r->user, r->group,
		       r->groups[0] ? r->groups : "-", r->caps[0] ? r->caps : "none", r->n_rules,
		       r->danger[0] ? r->danger : "none");
	}
	if (!have_actions)
		return;
	char lvu[64];
	struct bh_callers *cs = read_callers(pdir, lvu, sizeof(lvu));
	printf("\n| action | run_as | capabilities | callers | root-equivalent | source |\n"
	       "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < n_rows; i++) {
		const struct action_row *r = &rows[i];
		char who[256], ra[96];
		const struct bh_callers_rule *cr = bh_callers_find(cs, r->name);
		if (!strcmp(r->run_as, "libvirt"))
			snprintf(ra, sizeof(ra), "libvirt (user %s)", lvu);
		else
			snprintf(ra, sizeof(ra), "%s", r->run_as);
		printf("| %s | %s | %s | %s | %s | %s |\n", r->name, ra,
		       r->caps[0] ? r->caps : "none",
		       cr ? bh_callers_format(cr, who, sizeof(who)) : "nobody (no [callers] rule)",
		       r->root_eq ? "**yes**" : "no", r->source ? r->source : "(none)");
	}
	printf("\nRoot-equivalent actions, with the reason signed in their manifests:\n\n");
	for (size_t i = 0; i < n_rows; i++)
		if (rows[i].root_eq)
			printf("- `%s`: %s\n", rows[i].name, rows[i].reason);
	free(cs);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: blockhost-policy-check --policy-dir DIR --seccomp-dir DIR "
		   "[--dump SERVICE] [-q] [--json] [--table]\n"
		   "       [--actions-dir DIR --action-source FILE.c ...]\n"
		   "       blockhost-policy-check --help | --version\n"
		   "  validates every policy/<service>.policy and seccomp/<service> listed in\n"
		   "  DIR/services; --dump prints the expanded syscall rules of one service;\n"
		   "  --actions-dir checks that every action has a manifest and a source and\n"
		   "  prints every action with its run_as and capabilities (-q: problems only;\n"
		   "  --json: one object {ok, problems, services, actions} on stdout); --table\n"
		   "  prints the service and action tables of policy/README.md (markdown).\n"
		   "  `make policy-check` runs it on this tree.\n"
		   "Exit: 0 all valid, 1 problems found (each one named), 2 usage error.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy-dir", required_argument, NULL, 'p' },
		{ "seccomp-dir", required_argument, NULL, 's' },
		{ "dump", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "actions-dir", required_argument, NULL, 'a' },
		{ "action-source", required_argument, NULL, 'A' },
		{ "table", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_msg m = { "" };
	bool json = false;
	const char *pdir = NULL, *sdir = NULL, *dump = NULL, *adir = NULL;
	static const char *srcs[MAX_ACTIONS];
	size_t n_srcs = 0;
	char names[MAX_SERVICES][BH_POLICY_NAME_MAX + 1];
	size_t n = 0;
	bool quiet = false, table = false;
	int c;

	bh_log_init("blockhost-policy-check", BH_LOG_STDERR, 0);
	while (bh_cli_getopt(argc, argv, "p:s:d:qhta:A:", opts, &c, &m) == 0 && c != -1) {
		switch (c) {
		case 'p': pdir = optarg; break;
		case 's': sdir = optarg; break;
		case 'd': dump = optarg; break;
		case 'q': quiet = true; break;
		case 't': table = true; quiet = true; break;
		case 'a': adir = optarg; break;
		case 'A':
			if (n_srcs == MAX_ACTIONS) {
				log_error("more than %d --action-source", MAX_ACTIONS);
				return 2;
			}
			srcs[n_srcs++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("blockhost-policy-check (BlockHost) %s\n", BH_VERSION); return 0;
		case 'j': json = true; break;
		}
	}
	if (!m.text[0] && optind != argc)
		bh_msg_set(&m, "unexpected argument '%s'", argv[optind]);
	if (!m.text[0] && (!pdir || !sdir))
		bh_msg_set(&m, "%s is required", !pdir ? "--policy-dir" : "--seccomp-dir");
	if (m.text[0]) {
		log_error("%s (see blockhost-policy-check --help)", m.text);
		return BH_EXIT_USAGE;
	}
	if (dump) {
		struct bh_seccomp *sc = NULL;
		char line[512];
		if (bh_seccomp_load(sdir, dump, BH_SECCOMP_ANY_OWNER, &sc, &m) < 0) {
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
	if (json && !dump &&
	    !(report = json_pack("{s:[], s:[], s:[]}", "problems", "services", "actions"))) {
		log_error("out of memory");
		return 1;
	}
	if (read_services(pdir, names, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			check_service(pdir, sdir, names[i], quiet);
		check_orphans(pdir, sdir, names, n);
	}
	if (adir)
		check_actions(adir, srcs, n_srcs, quiet);
	if (report) {
		json_object_set_new(report, "ok", json_boolean(errors == 0));
		char *t = json_dumps(report, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (t)
			printf("%s\n", t);
		free(t);
		json_decref(report);
	}
	if (table && !errors)
		print_tables(pdir, adir != NULL);
	if (errors) {
		log_error("%d problem%s in %s/ and %s/", errors, errors == 1 ? "" : "s", pdir, sdir);
		return 1;
	}
	if (json)
		return 0;
	if (!quiet && !table)
		printf("policy-check: %zu services OK (%s/, %s/)\n", n, pdir, sdir);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vmdb — command-line access to the VM database (vms.json).
 *
 * Upstream-compatible verbs (upstream.md §1.4): mark-nft-minted, extend-expiry, get-vm,
 * update-fields; plus the verbs the C host uses.  Exit status: 0 ok, 1 VM (or address)
 * not found, 2 a usage or any other error (upstream: "Exit 1 on not-found, 2 on
 * exception", so 1 keeps its one meaning; HACKING.md "Command-line programs").
 *
 * Environment: BLOCKHOST_ROOT (path prefix), BLOCKHOST_NOW=<unix seconds> (test clock).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/stat.h>

#include "core/cli.h"
#include "core/err.h"
#include "core/log.h"
#include "eth/eth.h"
#include "host/config.h"
#include "host/vmdb.h"

#define EXIT_NOTFOUND 1
#define EXIT_ERR      2
/* 9999-12-31T23:59:59Z: the last second ISO 8601 can write with four year digits */
#define MAX_UNIX_S    253402300799LL

static const char *opt_config;
static const char *opt_db;

static void usage_main(FILE *f)
{
	fprintf(f,
		"usage: blockhost-vmdb [--config DB_JSON] [--db VMS_JSON] <verb> [args]\n"
		"       blockhost-vmdb --help | --version\n"
		"\n"
		"verbs:\n"
		"  init                                   create an empty database if none exists\n"
		"  register <vm> --owner-wallet ADDR --network-mode MODE [--days N | --expires T]\n"
		"           [--ip IP|auto] [--ipv6 IP|auto] [--vmid N] [--purpose S] [--username U]\n"
		"  get-vm <vm>                            print the record as JSON\n"
		"  list [--json] [--status S]             list VMs\n"
		"  mark-active <vm> [--expires T]         status active (clears suspended_at)\n"
		"  mark-suspended <vm>                    status suspended\n"
		"  mark-destroyed <vm>                    status destroyed, addresses released\n"
		"  delete <vm>                            remove the record\n"
		"  set-expiry <vm> <T> [--json]           set expires_at (unix seconds or ISO 8601)\n"
		"  extend-expiry <vm> <days> [--json]     add 1..36500 days to expires_at (upstream)\n"
		"  mark-nft-minted <vm> <token_id>        record the access NFT\n"
		"  update-fields <vm> --fields JSON       merge non-reserved fields (reserved: skipped)\n"
		"  allocate-ip [--ipv6]                   reserve the next free pool address\n"
		"  release-ip <ip>                        return an address to the pool\n"
		"  to-suspend [--json]                    VMs past expiry (active)\n"
		"  to-destroy [--json] [--grace-days N]   suspended VMs past the grace period\n"
		"\n"
		"Each verb takes --help.  Defaults: --config <root>/etc/blockhost/db.json,\n"
		"--db from the config's db_file (else <root>/var/lib/blockhost/vms.json).\n"
		"Options are never abbreviated; --owner is an alias of --owner-wallet.\n"
		"Exit: 0 ok, 1 not found (upstream's contract), 2 usage or other error.\n");
}

static int exit_for(int r)
{
	return r == BH_ERR_NOT_FOUND ? EXIT_NOTFOUND : EXIT_ERR;
}

static int fail(int r, const struct bh_msg *m)
{
	if (m->text[0])
		log_error("%s", m->text);
	else
		log_error("%s", bh_strerror(r));
	return exit_for(r);
}

static bool parse_i64(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	char *end;
	long long v;

	if (!s || !*s || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

/* unix seconds or ISO 8601 */
static bool parse_when(const char *s, int64_t *ret)
{
	return parse_i64(s, 1, MAX_UNIX_S, ret) || bh_time_parse_iso(s, ret) == 0;
}

/* The test clock: 1 and *ret when BLOCKHOST_NOW is set and valid, 0 when unset or
 * empty, BH_ERR_FORMAT when it is not unix seconds. */
static int env_now(int64_t *ret)
{
	const char *s = secure_getenv("BLOCKHOST_NOW");

	if (!s || !*s)
		return 0;
	if (!parse_i64(s, 1, MAX_UNIX_S, ret))
		return BH_ERR_FORMAT;
	return 1;
}

static int open_db(struct bh_vmdb **ret)
{
	struct bh_db_config cfg;
	struct bh_msg m = { "" };
	int64_t now;
	int r;

	r = bh_db_config_load(opt_config, &cfg, &m);
	if (r == -ENOENT && !opt_config) {
		/* no db.json: defaults (no pools) */
		if ((r = bh_db_config_default(&cfg)) < 0)
			return fail(r, &m);
	} else if (r < 0) {
		return fail(r == BH_ERR_NOT_FOUND ? BH_ERR_CONFIG : r, &m);
	}
	r = bh_vmdb_open(&cfg, opt_db, ret);
	bh_db_config_done(&cfg);
	if (r < 0) {
		log_error_r(r, "cannot open the VM database");
		return EXIT_ERR;
	}
	if ((r = env_now(&now)) < 0) {
		log_error("BLOCKHOST_NOW: expected unix seconds");
		*ret = bh_vmdb_free(*ret);
		return EXIT_ERR;
	}
	if (r > 0)
		bh_vmdb_set_now(*ret, now);
	return 0;
}

static int64_t clock_now(void)
{
	int64_t now;

	return env_now(&now) > 0 ? now : (int64_t)time(NULL);
}

/* The directory of the database file (for "does it exist?"); false if it cannot tell. */
static bool db_dir_missing(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat st;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return false;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return dir[0] && stat(dir, &st) < 0 && errno == ENOENT;
}

/* Every verb ends the same way: close the database, report r (with m's text) if it failed.
 * A database whose directory does not exist is named, with the fix, instead of the
 * library's lock-file path. */
static int close_db(struct bh_vmdb *db, int r, const struct bh_msg *m)
{
	if (r == -ENOENT && db_dir_missing(bh_vmdb_path(db))) {
		log_error("no VM database at %s: run 'blockhost-vmdb init' (or give --db or "
			  "--config)", bh_vmdb_path(db));
		bh_vmdb_free(db);
		return EXIT_ERR;
	}
	bh_vmdb_free(db);
	return r < 0 ? fail(r, m) : 0;
}

static void print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));
	if (s) {
		puts(s);
		free(s);
	}
}

/* ---- verbs: each parses its own options; h is its usage line */

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv, const char *usage);
	const char *usage;
};

/* --help (or -h) among the verb's arguments, before a "--". */
static bool want_help(int argc, char **argv)
{
	return bh_cli_has_flag(argc, argv, "--help") || bh_cli_has_flag(argc, argv, "-h");
}

static int bad_usage(const char *usage, const char *what)
{
	if (what && *what)
		log_error("%s", what);
	fprintf(stderr, "usage: blockhost-vmdb %s\n", usage);
	return EXIT_ERR;
}

/* The verb's next option (core/cli.h: full names only); -1 at the end; '?' after a
 * usage problem has been printed (the caller returns EXIT_ERR). */
static int next_opt(int argc, char **argv, const struct option *lo, const char *usage)
{
	struct bh_msg m = { "" };
	int c;

	if (bh_cli_getopt(argc, argv, "", lo, &c, &m) < 0) {
		bad_usage(usage, m.text);
		return '?';
	}
	return c;
}

/* No operands beyond `want` (after the options): else name the first extra one. */
static int extra_operand(int argc, char **argv, int want, const char *usage)
{
	char what[300];

	if (argc - optind <= want)
		return 0;
	snprintf(what, sizeof(what), "%s: unexpected argument '%.200s'", argv[0],
		 argv[optind + want]);
	return bad_usage(usage, what);
}

/*
 * A verb of operands only (plus --json where json is not NULL): exactly n operands after
 * the options, at argv[optind..]; 0, or EXIT_ERR after printing what was wrong.
 */
static int operands(int argc, char **argv, int n, const char *what, bool *json,
		    const char *usage)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	static const struct option js[] = { { "json", no_argument, NULL, 'j' },
					    { NULL, 0, NULL, 0 } };
	char text[300];
	int c;

	while ((c = next_opt(argc, argv, json ? js : none, usage)) != -1) {
		if (c == '?')
			return EXIT_ERR;
		*json = true;
	}
	if (argc - optind < n) {
		snprintf(text, sizeof(text), "%s: expected %s", argv[0], what);
		return bad_usage(usage, text);
	}
	return extra_operand(argc, argv, n, usage);
}

static int v_init(int argc, char **argv, const char *usage)
{
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	int r;

	(void)argv;
	if (argc != 1)
		return bad_usage(usage, "init takes no arguments");
	if ((r = open_db(&db)))
		return r;
	/* the one directory level the database lives in (the package creates it on a host;
	 * a fresh BLOCKHOST_ROOT or --db elsewhere may lack it) */
	if (db_dir_missing(bh_vmdb_path(db))) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", bh_vmdb_path(db));
		*strrchr(dir, '/') = '\0';
		/* mkdir -p, each missing level 0755 */
		for (char *p = dir + 1;; p++) {
			if (*p && *p != '/')
				continue;
			char save = *p;
			*p = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
				r = bh_negerrno();
				log_error_r(r, "cannot create %s", dir);
				bh_vmdb_free(db);
				return EXIT_ERR;
			}
			if (!(*p = save))
				break;
		}
	}
	r = bh_vmdb_init(db, &m);
	if (r == 0)
		printf("%s\n", bh_vmdb_path(db));
	return close_db(db, r, &m);
}

static int v_register(int argc, char **argv, const char *usage)
{
	static const struct option lo[] = {
		{ "owner-wallet", required_argument, NULL, 'o' },
		{ "owner", required_argument, NULL, 'o' }, /* the older name, kept */
		{ "network-mode", required_argument, NULL, 'n' },
		{ "days", required_argument, NULL, 'd' },
		{ "expires", required_argument, NULL, 'e' },
		{ "ip", required_argument, NULL, 'i' },
		{ "ipv6", required_argument, NULL, '6' },
		{ "vmid", required_argument, NULL, 'v' },
		{ "purpose", required_argument, NULL, 'p' },
		{ "username", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_vm_spec s = { .vmid = -1 };
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	json_t *rec = NULL;
	int64_t v;
	uint8_t addr[20];
	int c, r;

	while ((c = next_opt(argc, argv, lo, usage)) != -1) {
		switch (c) {
		case 'o':
			if (bh_eth_addr_parse(optarg, strlen(optarg), addr) < 0)
				return bad_usage(usage, "--owner-wallet: expected 0x + 40 hex digits "
						 "(EIP-55 or one case)");
			s.owner_wallet = optarg;
			break;
		case 'n': s.network_mode = optarg; break;
		case 'd':
			if (!parse_i64(optarg, 1, 36500, &v))
				return bad_usage(usage, "--days: expected 1..36500");
			s.expiry_days = (int)v;
			break;
		case 'e':
			if (!parse_when(optarg, &s.expires_at))
				return bad_usage(usage, "--expires: expected unix seconds or ISO 8601");
			break;
		case 'i': s.ip_address = optarg; break;
		case '6': s.ipv6_address = optarg; break;
		case 'v':
			if (!parse_i64(optarg, 0, INT32_MAX, &s.vmid))
				return bad_usage(usage, "--vmid: expected integer >= 0");
			break;
		case 'p': s.purpose = optarg; break;
		case 'u': s.username = optarg; break;
		default: return EXIT_ERR;
		}
	}
	if (argc - optind != 1)
		return bad_usage(usage, argc - optind ? "register: expected exactly one VM name"
						      : "register: the VM name is missing");
	if (!s.owner_wallet || !s.network_mode)
		return bad_usage(usage, !s.owner_wallet ? "register: --owner-wallet is required"
							: "register: --network-mode is required");
	s.name = argv[optind];
	if ((r = open_db(&db)))
		return r;
	r = bh_vmdb_register(db, &s, &rec, &m);
	if ((r = close_db(db, r, &m)))
		return r;
	print_json(rec);
	json_decref(rec);
	return 0;
}

static int v_get(int argc, char **argv, const char *usage)
{
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	json_t *rec = NULL;
	int r;

	if ((r = operands(argc, argv, 1, "a VM name", NULL, usage)))
		return r;
	if ((r = open_db(&db)))
		return r;
	r = bh_vmdb_get(db, argv[optind], &rec, &m);
	if ((r = close_db(db, r, &m)))
		return r;
	print_json(rec);
	json_decref(rec);
	return 0;
}

static void print_table(const json_t *arr)
{
	size_t i;
	json_t *rec;

	printf("%-24s %-10s %-25s %-15s %s\n", "NAME", "STATUS", "EXPIRES", "IP", "OWNER");
	json_array_foreach(arr, i, rec) {
		const char *ip = json_string_value(json_object_get(rec, "ip_address"));
		const char *own = bh_vm_owner(rec);
		printf("%-24s %-10s %-25s %-15s %s\n",
		       json_string_value(json_object_get(rec, "vm_name")) ?: "?",
		       json_string_value(json_object_get(rec, "status")) ?: "?",
		       json_string_value(json_object_get(rec, "expires_at")) ?: "?",
		       ip && *ip ? ip : "-", own ? own : "-");
	}
}

static int v_list_common(int argc, char **argv, const char *usage, int which)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "status", required_argument, NULL, 's' },
		{ "grace-days", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	const char *status = NULL;
	json_t *arr = NULL;
	bool js = false, grace_set = false;
	int64_t grace = 7;
	int c, r;

	while ((c = next_opt(argc, argv, lo, usage)) != -1) {
		switch (c) {
		case 'j': js = true; break;
		case 's':
			if (which != 0)
				return bad_usage(usage, "--status: only for list");
			if ((strcmp(optarg, "active") && strcmp(optarg, "suspended") &&
					   strcmp(optarg, "destroyed")))
				return bad_usage(usage, "--status: active, suspended or destroyed");
			status = optarg;
			break;
		case 'g':
			if (which != 2)
				return bad_usage(usage, "--grace-days: only for to-destroy");
			if (!parse_i64(optarg, 0, 36500, &grace))
				return bad_usage(usage, "--grace-days: expected 0..36500");
			grace_set = true;
			break;
		default: return EXIT_ERR;
		}
	}
	if (extra_operand(argc, argv, 0, usage))
		return EXIT_ERR;
	if ((r = open_db(&db)))
		return r;
	if (which == 0) {
		r = bh_vmdb_list(db, &arr, &m);
	} else if (which == 1) {
		r = bh_vmdb_vms_to_suspend(db, clock_now(), &arr, &m);
	} else {
		if (!grace_set) {
			/* the configured gc_grace_days */
			struct bh_db_config cfg;
			struct bh_msg m2 = { "" };
			if (bh_db_config_load(opt_config, &cfg, &m2) == 0) {
				grace = cfg.gc_grace_days;
				bh_db_config_done(&cfg);
			}
		}
		r = bh_vmdb_vms_to_destroy(db, clock_now(), (int)grace, &arr, &m);
	}
	if ((r = close_db(db, r, &m)))
		return r;
	if (status) {
		for (size_t i = 0; i < json_array_size(arr);) {
			const char *st = json_string_value(
				json_object_get(json_array_get(arr, i), "status"));
			if (st && strcmp(st, status) == 0)
				i++;
			else
				json_array_remove(arr, i);
		}
	}
	if (js)
		print_json(arr);
	else if (which == 0)
		print_table(arr);
	else
		for (size_t i = 0; i < json_array_size(arr); i++)
			puts(json_string_value(json_object_get(json_array_get(arr, i), "vm_name"))
				     ?: "?");
	json_decref(arr);
	return 0;
}

static int v_list(int argc, char **argv, const char *usage)
{
	return v_list_common(argc, argv, usage, 0);
}

static int v_to_suspend(int argc, char **argv, const char *usage)
{
	return v_list_common(argc, argv, usage, 1);
}

static int v_to_destroy(int argc, char **argv, const char *usage)
{
	return v_list_common(argc, argv, usage, 2);
}

/* mark-active / mark-suspended / mark-destroyed / delete */
static int v_mark(int argc, char **argv, const char *usage)
{
	static const struct option lo[] = {
		{ "expires", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *verb = argv[0];
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	int64_t exp = 0;
	int c, r;

	while ((c = next_opt(argc, argv, lo, usage)) != -1) {
		if (c == '?')
			return EXIT_ERR;
		if (strcmp(verb, "mark-active") != 0)
			return bad_usage(usage, "--expires: only for mark-active");
		if (!parse_when(optarg, &exp))
			return bad_usage(usage, "--expires: expected unix seconds or ISO 8601");
	}
	if (argc - optind != 1)
		return bad_usage(usage, "expected exactly one VM name");
	const char *vm = argv[optind];
	if ((r = open_db(&db)))
		return r;
	if (strcmp(verb, "mark-active") == 0)
		r = bh_vmdb_mark_active(db, vm, exp, &m);
	else if (strcmp(verb, "mark-suspended") == 0)
		r = bh_vmdb_mark_suspended(db, vm, &m);
	else if (strcmp(verb, "mark-destroyed") == 0)
		r = bh_vmdb_mark_destroyed(db, vm, &m);
	else
		r = bh_vmdb_delete(db, vm, &m);
	return close_db(db, r, &m);
}

/* After an expiry change: tell the caller a suspended VM must be resumed (upstream's
 * NEEDS_RESUME line, or with --json the record, whose status says it); drops rec. */
static int report_resume(json_t *rec, bool json)
{
	const char *st = json_string_value(json_object_get(rec, "status"));

	if (json)
		print_json(rec);
	else if (st && strcmp(st, "suspended") == 0)
		puts("NEEDS_RESUME");
	json_decref(rec);
	return 0;
}

static int v_set_expiry(int argc, char **argv, const char *usage)
{
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	json_t *rec = NULL;
	bool json = false;
	int64_t t;
	int r;

	if ((r = operands(argc, argv, 2, "<vm> <time>", &json, usage)))
		return r;
	const char *vm = argv[optind];
	if (!parse_when(argv[optind + 1], &t))
		return bad_usage(usage, "set-expiry: the time must be unix seconds or ISO 8601 "
				 "(2026-03-01T00:00:00Z)");
	if ((r = open_db(&db)))
		return r;
	r = bh_vmdb_set_expiry(db, vm, t, &rec, &m);
	if ((r = close_db(db, r, &m)))
		return r;
	if (!json)
		printf("Set %s expiry to %s\n", vm,
		       json_string_value(json_object_get(rec, "expires_at")) ?: "?");
	return report_resume(rec, json);
}

static int v_extend(int argc, char **argv, const char *usage)
{
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	json_t *rec = NULL;
	bool json = false;
	int64_t days;
	int r;

	if ((r = operands(argc, argv, 2, "<vm> <days>", &json, usage)))
		return r;
	const char *vm = argv[optind];
	if (!parse_i64(argv[optind + 1], 1, 36500, &days))
		return bad_usage(usage, "extend-expiry: days must be 1..36500");
	if ((r = open_db(&db)))
		return r;
	r = bh_vmdb_extend_expiry(db, vm, (int)days, &rec, &m);
	if ((r = close_db(db, r, &m)))
		return r;
	if (!json)
		printf("Extended %s expiry by %lld days\n", vm, (long long)days);
	return report_resume(rec, json);
}

static int v_nft(int argc, char **argv, const char *usage)
{
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	int64_t id;
	int r;

	if ((r = operands(argc, argv, 2, "<vm> <token_id>", NULL, usage)))
		return r;
	const char *vm = argv[optind];
	if (!parse_i64(argv[optind + 1], 0, INT64_MAX, &id))
		return bad_usage(usage, "mark-nft-minted: the token id is an integer >= 0");
	if ((r = open_db(&db)))
		return r;
	r = bh_vmdb_set_nft_minted(db, vm, id, &m);
	if ((r = close_db(db, r, &m)))
		return r;
	printf("Marked %s NFT %lld as minted\n", vm, (long long)id);
	return 0;
}

/*
 * Upstream's update_fields merges the non-reserved keys and leaves the reserved ones
 * alone (upstream.md §1.4 "merge non-reserved keys", §3.5), so an upstream caller that
 * passes e.g. {"status": ..., "gecos_synced": true} gets gecos_synced written and exit 0.
 * The CLI keeps that: reserved keys are dropped here, named on stderr, and the rest goes
 * to bh_vmdb_update_fields, which itself stays strict (BH_ERR_DENIED) for C callers.
 * The reserved list is the library's (bh_vmdb_field_reserved).
 */

static int v_update(int argc, char **argv, const char *usage)
{
	static const struct option lo[] = {
		{ "fields", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	const char *fs = NULL;
	json_t *fields = NULL;
	char skipped[512] = "";
	int c, r;

	while ((c = next_opt(argc, argv, lo, usage)) != -1) {
		if (c == '?')
			return EXIT_ERR;
		fs = optarg;
	}
	if (argc - optind != 1 || !fs)
		return bad_usage(usage, "update-fields: expected <vm> --fields '<json object>'");
	if (strlen(fs) > 65536)
		return bad_usage(usage, "--fields: longer than 64 KiB");
	/* the strict JSON step every other reader uses (duplicate keys rejected) */
	if ((r = bh_config_json_load(fs, strlen(fs), "--fields", &fields, &m)) < 0)
		return fail(r, &m);
	if (!json_is_object(fields)) {
		m = (struct bh_msg){ "" };
		bh_msg_set(&m, "--fields: expected a JSON object, got %s", bh_json_type_name(fields));
		json_decref(fields);
		return fail(BH_ERR_WRONG_TYPE, &m);
	}
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(fields, tmp, k, v) {
		if (!bh_vmdb_field_reserved(k))
			continue;
		size_t n = strlen(skipped);
		snprintf(skipped + n, sizeof(skipped) - n, "%s%s", n ? ", " : "", k);
		json_object_del(fields, k); /* k is freed here: used above first */
	}
	if ((r = open_db(&db))) {
		json_decref(fields);
		return r;
	}
	r = bh_vmdb_update_fields(db, argv[optind], fields, &m);
	json_decref(fields);
	if ((r = close_db(db, r, &m)))
		return r;
	if (skipped[0])
		fprintf(stderr, "blockhost-vmdb: update-fields: reserved field(s) skipped (not "
		        "writable through update-fields): %s\n", skipped);
	printf("Updated %s\n", argv[optind]);
	return 0;
}

static int v_alloc(int argc, char **argv, const char *usage)
{
	static const struct option lo[] = {
		{ "ipv6", no_argument, NULL, '6' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	char *ip = NULL;
	int af = AF_INET, c, r;

	while ((c = next_opt(argc, argv, lo, usage)) != -1) {
		if (c == '?')
			return EXIT_ERR;
		af = AF_INET6;
	}
	if (extra_operand(argc, argv, 0, usage))
		return EXIT_ERR;
	if ((r = open_db(&db)))
		return r;
	r = bh_vmdb_allocate_ip(db, af, &ip, &m);
	if ((r = close_db(db, r, &m)))
		return r;
	puts(ip);
	free(ip);
	return 0;
}

static int v_release(int argc, char **argv, const char *usage)
{
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	int r;

	if ((r = operands(argc, argv, 1, "one address", NULL, usage)))
		return r;
	if ((r = open_db(&db)))
		return r;
	r = bh_vmdb_release_ip(db, argv[optind], &m);
	return close_db(db, r, &m);
}

static const struct verb verbs[] = {
	{ "init", v_init, "init" },
	{ "register", v_register,
	  "register <vm> --owner-wallet 0xADDR --network-mode MODE\n"
	  "       [--days 1..36500 | --expires T] [--ip IP|auto] [--ipv6 IP|auto] [--vmid N]\n"
	  "       [--purpose S] [--username U]   (--owner: an alias of --owner-wallet)" },
	{ "get-vm", v_get, "get-vm <vm>" },
	{ "list", v_list, "list [--json] [--status active|suspended|destroyed]" },
	{ "mark-active", v_mark, "mark-active <vm> [--expires unix|iso]" },
	{ "mark-suspended", v_mark, "mark-suspended <vm>" },
	{ "mark-destroyed", v_mark, "mark-destroyed <vm>" },
	{ "delete", v_mark, "delete <vm>" },
	{ "set-expiry", v_set_expiry, "set-expiry <vm> <unix-seconds|ISO-8601> [--json]" },
	{ "extend-expiry", v_extend, "extend-expiry <vm> <days 1..36500> [--json]" },
	{ "mark-nft-minted", v_nft, "mark-nft-minted <vm> <token_id>" },
	{ "update-fields", v_update, "update-fields <vm> --fields '<json object>'" },
	{ "allocate-ip", v_alloc, "allocate-ip [--ipv6]" },
	{ "release-ip", v_release, "release-ip <ip>" },
	{ "to-suspend", v_to_suspend, "to-suspend [--json]" },
	{ "to-destroy", v_to_destroy, "to-destroy [--json] [--grace-days 0..36500]" },
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_msg m = { "" };
	int c;

	bh_log_init("blockhost-vmdb", BH_LOG_STDERR, 0);
	/* "+": stop at the verb; its options are parsed by the verb */
	while (bh_cli_getopt(argc, argv, "+h", lo, &c, &m) == 0 && c != -1) {
		switch (c) {
		case 'c': opt_config = optarg; break;
		case 'd': opt_db = optarg; break;
		case 'h': usage_main(stdout); return 0;
		case 'V': printf("blockhost-vmdb (BlockHost) %s\n", BH_VERSION); return 0;
		}
	}
	if (m.text[0]) {
		log_error("%s (see blockhost-vmdb --help)", m.text);
		return EXIT_ERR;
	}
	if (optind >= argc) {
		log_error("a verb is required (see blockhost-vmdb --help)");
		return EXIT_ERR;
	}
	const char *verb = argv[optind];
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verb, verbs[i].name) != 0)
			continue;
		int vargc = argc - optind;
		char **vargv = argv + optind;
		if (want_help(vargc, vargv)) {
			printf("usage: blockhost-vmdb %s\n", verbs[i].usage);
			return 0;
		}
		optind = 0; /* glibc: full re-initialisation for the verb's own options */
		return verbs[i].fn(vargc, vargv, verbs[i].usage);
	}
	log_error("unknown verb '%s' (see --help)", verb);
	return EXIT_ERR;
}

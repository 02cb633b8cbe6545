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

#define DAY 86400

struct bh_vmdb {
	char *path;
	char *lock_path;
	struct bh_db_config cfg; /* plain members only; string members are NULL */
	int64_t now;
};

static const char *const reserved_fields[] = {
	"vm_name",     "vmid",          "status",       "created_at",   "expires_at",
	"suspended_at", "destroyed_at", "ip_address",   "ipv6_address", "nft_token_id",
	"nft_minted",  "nft_minted_at", "network_mode",
};

bool bh_vmdb_field_reserved(const char *key)
{
	for (size_t i = 0; i < sizeof(reserved_fields) / sizeof(reserved_fields[0]); i++)
		if (strcmp(key, reserved_fields[i]) == 0)
			return true;
	return false;
}

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

static int set_time(json_t *rec, const char *key, int64_t t)
{
	char buf[40];
	int r;

	if ((r = bh_time_format_iso(t, buf, sizeof(buf))) < 0)
		return r;
	return json_object_set_new(rec, key, json_string(buf)) < 0 ? -ENOMEM : 0;
}

static int set_new(json_t *obj, const char *key, json_t *v)
{
	/* json_object_set_new steals v even on failure */
	return !v || json_object_set_new(obj, key, v) < 0 ? -ENOMEM : 0;
}

/* ------------------------------------------------------------------ validation */

static bool str_is_ip(const char *s, int af)
{
	uint8_t a[16];
	return s && inet_pton(af, s, a) == 1;
}

static bool is_network_mode(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 32)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

static bool is_field_key(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

#define FAIL(code, ...)                                                                   \
	do {                                                                              \
		bh_msg_set(msg, __VA_ARGS__);                                             \
		return (code);                                                            \
	} while (0)

#define PURPOSE_MAX 256

/* The fields register checks (username, purpose) get the same checks when they are set
 * later through update_fields, so no path writes what register would refuse (a
 * username the provisioner would then pass to the guest). Other types: validate_record. */
static int check_spec_field(const char *k, const json_t *v, struct bh_msg *msg)
{
	const char *s = json_string_value(v);

	if (!s)
		return 0;
	if (!strcmp(k, "username") && *s && !bh_name_valid(s, BH_NAME_USER))
		FAIL(BH_ERR_FORMAT, "username: expected ^[a-z_][a-z0-9_-]{0,31}$");
	if (!strcmp(k, "purpose") && json_string_length(v) > PURPOSE_MAX)
		FAIL(BH_ERR_LIMIT, "purpose: longer than %d bytes", PURPOSE_MAX);
	return 0;
}

static int validate_record(const char *file, const char *name, const json_t *rec,
			   struct bh_msg *msg)
{
	static const char *const times[] = { "created_at", "suspended_at", "destroyed_at",
					     "nft_minted_at" };
	static const char *const bools[] = { "nft_minted", "gecos_synced",
					     "network_config_synced" };
	static const char *const strs[] = { "wallet_address", "owner", "purpose", "username" };
	const json_t *v;
	int64_t t;

	if (!json_is_object(rec))
		FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s: expected object, got %s", file, name,
		     bh_json_type_name(rec));
	if ((v = json_object_get(rec, "vm_name")) &&
	    (!json_is_string(v) || strcmp(json_string_value(v), name) != 0))
		FAIL(BH_ERR_MISMATCH, "%s: vms.%s.vm_name: does not match the record's key", file,
		     name);
	v = json_object_get(rec, "status");
	if (!v)
		FAIL(BH_ERR_MISSING_KEY, "%s: vms.%s.status: required key missing", file, name);
	const char *st = json_string_value(v);
	if (!st || (strcmp(st, "active") && strcmp(st, "suspended") && strcmp(st, "destroyed")))
		FAIL(BH_ERR_FORMAT, "%s: vms.%s.status: expected active, suspended or destroyed",
		     file, name);
	v = json_object_get(rec, "expires_at");
	if (!v)
		FAIL(BH_ERR_MISSING_KEY, "%s: vms.%s.expires_at: required key missing", file,
		     name);
	if (!json_is_string(v) || bh_time_parse_iso(json_string_value(v), &t) < 0)
		FAIL(BH_ERR_FORMAT, "%s: vms.%s.expires_at: expected ISO 8601 timestamp", file,
		     name);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		v = json_object_get(rec, times[i]);
		if (v && !json_is_null(v) &&
		    (!json_is_string(v) || bh_time_parse_iso(json_string_value(v), &t) < 0))
			FAIL(BH_ERR_FORMAT, "%s: vms.%s.%s: expected ISO 8601 timestamp or null",
			     file, name, times[i]);
	}
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		v = json_object_get(rec, bools[i]);
		if (v && !json_is_boolean(v))
			FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s.%s: expected boolean, got %s", file,
			     name, bools[i], bh_json_type_name(v));
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		v = json_object_get(rec, strs[i]);
		if (v && !json_is_null(v) && !json_is_string(v))
			FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s.%s: expected string, got %s", file,
			     name, strs[i], bh_json_type_name(v));
	}
	v = json_object_get(rec, "ip_address");
	if (v && !json_is_null(v) &&
	    (!json_is_string(v) ||
	     (json_string_length(v) && !str_is_ip(json_string_value(v), AF_INET))))
		FAIL(BH_ERR_FORMAT, "%s: vms.%s.ip_address: expected IPv4 address or null", file,
		     name);
	v = json_object_get(rec, "ipv6_address");
	if (v && !json_is_null(v) &&
	    (!json_is_string(v) ||
	     (json_string_length(v) && !str_is_ip(json_string_value(v), AF_INET6))))
		FAIL(BH_ERR_FORMAT, "%s: vms.%s.ipv6_address: expected IPv6 address or null", file,
		     name);
	v = json_object_get(rec, "vmid");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
		FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s.vmid: expected integer >= 0", file, name);
	v = json_object_get(rec, "nft_token_id");
	if (v && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 0))
		FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s.nft_token_id: expected integer >= 0 or null",
		     file, name);
	v = json_object_get(rec, "owner_wallet");
	if (v && !json_is_null(v) &&
	    (!json_is_string(v) ||
	     (json_string_length(v) && !bh_is_evm_address(json_string_value(v)))))
		FAIL(BH_ERR_FORMAT, "%s: vms.%s.owner_wallet: expected 0x + 40 hex digits", file,
		     name);
	v = json_object_get(rec, "network_mode");
	if (v && !json_is_null(v) && !json_is_string(v))
		FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s.network_mode: expected string, got %s", file,
		     name, bh_json_type_name(v));
	return 0;
}

static int validate_ip_list(const char *file, const json_t *root, const char *key, int af,
			    struct bh_msg *msg)
{
	const json_t *a = json_object_get(root, key), *v;
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a))
		FAIL(BH_ERR_WRONG_TYPE, "%s: %s: expected array, got %s", file, key,
		     bh_json_type_name(a));
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || !str_is_ip(json_string_value(v), af))
			FAIL(BH_ERR_FORMAT, "%s: %s[%zu]: expected %s address", file, key, i,
			     af == AF_INET ? "IPv4" : "IPv6");
	}
	return 0;
}

int bh_vmdb_validate(const json_t *root, const char *name, struct bh_msg *msg)
{
	const json_t *vms, *v, *rec;
	const char *k;
	int r;

	if (!name)
		name = "vms.json";
	if (!json_is_object(root))
		FAIL(BH_ERR_FORMAT, "%s: top level must be an object, got %s", name,
		     bh_json_type_name(root));
	vms = json_object_get(root, "vms");
	if (vms && !json_is_object(vms))
		FAIL(BH_ERR_WRONG_TYPE, "%s: vms: expected object, got %s", name,
		     bh_json_type_name(vms));
	v = json_object_get(root, "next_vmid");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
		FAIL(BH_ERR_WRONG_TYPE, "%s: next_vmid: expected integer >= 0", name);
	if ((r = validate_ip_list(name, root, "allocated_ips", AF_INET, msg)) < 0 ||
	    (r = validate_ip_list(name, root, "allocated_ipv6", AF_INET6, msg)) < 0)
		return r;
	json_object_foreach((json_t *)(uintptr_t)vms, k, rec) {
		if (strlen(k) != strnlen(k, 65) || !bh_name_valid(k, BH_NAME_VM))
			FAIL(BH_ERR_FORMAT, "%s: vms: a record key is not a valid VM name", name);
		if ((r = validate_record(name, k, rec, msg)) < 0)
			return r;
	}
	return 0;
}

int bh_vmdb_parse(const void *data, size_t len, const char *name, json_t **ret,
		  struct bh_msg *msg)
{
	json_t *root;
	int r;

	if (!name)
		name = "vms.json";
	if (len > BH_VMDB_MAX_SIZE)
		FAIL(BH_ERR_LIMIT, "%s: larger than %u bytes", name, BH_VMDB_MAX_SIZE);
	if ((r = bh_config_json_load(data, len, name, &root, msg)) < 0)
		return r;
	if ((r = bh_vmdb_validate(root, name, msg)) < 0) {
		json_decref(root);
		return r;
	}
	*ret = root;
	return 0;
}

/* ------------------------------------------------------------------ handle */

int bh_vmdb_open(const struct bh_db_config *cfg, const char *path, struct bh_vmdb **ret)
{
	struct bh_vmdb *db;
	struct bh_db_config def = { 0 };
	int r = -ENOMEM;

	if (!cfg) {
		if ((r = bh_db_config_default(&def)) < 0)
			return r;
		cfg = &def;
	}
	if (!path)
		path = cfg->db_file;
	if (!path || !*path) {
		r = -EINVAL;
		goto out;
	}
	if (!(db = calloc(1, sizeof(*db))))
		goto out;
	db->cfg = *cfg;
	db->cfg.db_file = db->cfg.bridge = db->cfg.storage_pool = NULL;
	db->cfg.storage_path = db->cfg.terraform_dir = NULL;
	if (!(db->path = strdup(path)) || asprintf(&db->lock_path, "%s.lock", path) < 0) {
		db->lock_path = NULL;
		bh_vmdb_free(db);
		goto out;
	}
	*ret = db;
	r = 0;
out:
	bh_db_config_done(&def);
	return r;
}

struct bh_vmdb *bh_vmdb_free(struct bh_vmdb *db)
{
	if (db) {
		free(db->path);
		free(db->lock_path);
		free(db);
	}
	return NULL;
}

void bh_vmdb_set_now(struct bh_vmdb *db, int64_t now)
{
	db->now = now;
}

const char *bh_vmdb_path(const struct bh_vmdb *db)
{
	return db->path;
}

static int64_t db_now(const struct bh_vmdb *db)
{
	return db->now > 0 ? db->now : (int64_t)time(NULL);
}

static json_t *empty_doc(const struct bh_vmdb *db)
{
	json_t *root = json_object();

	if (!root || json_object_set_new(root, "vms", json_object()) < 0 ||
	    json_object_set_new(root, "next_vmid",
				json_integer(db->cfg.has_vmid_range ? db->cfg.vmid_range.start
								    : 0)) < 0 ||
	    json_object_set_new(root, "allocated_ips", json_array()) < 0 ||
	    json_object_set_new(root, "allocated_ipv6", json_array()) < 0) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Add the keys a mutation relies on to a legacy document that lacks them. */
static int ensure_shape(const struct bh_vmdb *db, json_t *root)
{
	if (!json_object_get(root, "vms") && set_new(root, "vms", json_object()) < 0)
		return -ENOMEM;
	if (!json_object_get(root, "next_vmid") &&
	    set_new(root, "next_vmid",
		    json_integer(db->cfg.has_vmid_range ? db->cfg.vmid_range.start : 0)) < 0)
		return -ENOMEM;
	if (!json_object_get(root, "allocated_ips") &&
	    set_new(root, "allocated_ips", json_array()) < 0)
		return -ENOMEM;
	if (!json_object_get(root, "allocated_ipv6") &&
	    set_new(root, "allocated_ipv6", json_array()) < 0)
		return -ENOMEM;
	return 0;
}

/* The database: regular, not world-writable (it could have been planted), core/file.h. */
static const struct bh_file_rules vmdb_file_rules = { .type = S_IFREG, .forbid_mode = S_IWOTH };

static int load(struct bh_vmdb *db, json_t **ret, struct bh_msg *msg)
{
	struct bh_msg fmsg = { "" };
	struct bh_buf b;
	json_t *root = NULL;
	int r;

	bh_buf_init(&b, BH_VMDB_MAX_SIZE);
	/* a missing database is an empty one: its message is not passed on */
	r = bh_file_read(AT_FDCWD, db->path, &vmdb_file_rules, BH_VMDB_MAX_SIZE, &b, &fmsg);
	if (r == -ENOENT) {
		if (!(root = empty_doc(db))) {
			r = -ENOMEM;
			goto out;
		}
	} else if (r < 0) {
		bh_msg_set(msg, "%s", fmsg.text);
		goto out;
	} else if ((r = bh_vmdb_parse(bh_buf_ptr(&b), bh_buf_len(&b), db->path, &root, msg)) < 0) {
		goto out;
	}
	*ret = root;
	r = 0;
out:
	bh_buf_done(&b);
	return r;
}

/* An operation on the loaded document; returns 1 to write it back, 0 for no change. */
typedef int (*op_fn)(struct bh_vmdb *db, json_t *root, void *arg, struct bh_msg *msg);

/*
 * After a failed atomic write: is the new document in place anyway?  The rename can
 * succeed and the fsync of the directory after it fail (EIO): every reader then sees
 * the new document, and "not written" would make a caller undo work whose record
 * stays, e.g. delete a VM's disk while its record keeps the address (leaked).  Such a
 * write counts as done here; bh_atomic_write itself stays strict for callers that must
 * fail closed (the keystore's spending counter).  We still hold the writers' lock.
 */
static bool written(struct bh_vmdb *db, const json_t *root)
{
	json_t *now = NULL;
	bool same = load(db, &now, NULL) == 0 && json_equal(now, root);

	json_decref(now);
	return same;
}

static int run(struct bh_vmdb *db, bool write, op_fn fn, void *arg, struct bh_msg *msg)
{
	struct bh_lock lk = BH_LOCK_INIT;
	json_t *root = NULL;
	int r;

	if ((r = bh_lock_acquire(db->lock_path, write, BH_VMDB_LOCK_TIMEOUT_MS, &lk)) < 0) {
		bh_msg_set(msg, "%s: cannot lock: %s", db->lock_path, bh_strerror(r));
		goto out;
	}
	if ((r = load(db, &root, msg)) < 0)
		goto out;
	if (write && (r = ensure_shape(db, root)) < 0)
		goto out;
	if ((r = fn(db, root, arg, msg)) < 0)
		goto out;
	if (r > 0 && write) {
		/* never write a document we would refuse to read */
		if ((r = bh_vmdb_validate(root, db->path, msg)) < 0) {
			r = r == -ENOMEM ? r : BH_ERR_INTERNAL;
			goto out;
		}
		(void)bh_atomic_cleanup_stale(db->path); /* we hold the writers' lock */
		if ((r = bh_atomic_write_json(db->path, root, BH_VMDB_FILE_MODE)) < 0 &&
		    !written(db, root)) {
			bh_msg_set(msg, "%s: write failed: %s", db->path, bh_strerror(r));
			goto out;
		}
	}
	r = 0;
out:
	json_decref(root);
	bh_lock_release(&lk);
	return r;
}

/* ------------------------------------------------------------------ helpers */

static int check_name(const char *name, struct bh_msg *msg)
{
	if (!bh_name_valid(name, BH_NAME_VM))
		FAIL(BH_ERR_FORMAT, "invalid VM name (expected ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$)");
	return 0;
}

static json_t *find_vm(json_t *root, const char *name, struct bh_msg *msg)
{
	json_t *rec = json_object_get(json_object_get(root, "vms"), name);

	if (!rec)
		bh_msg_set(msg, "VM '%s' not found", name);
	return rec;
}

static const char *status_of(const json_t *rec)
{
	return json_string_value(json_object_get(rec, "status"));
}

static bool is_live(const json_t *rec)
{
	const char *s = status_of(rec);
	return s && strcmp(s, "destroyed") != 0;
}

static bool addr_eq(const char *a, const char *b, int af)
{
	uint8_t x[16], y[16];

	if (!a || !b || inet_pton(af, a, x) != 1 || inet_pton(af, b, y) != 1)
		return false;
	return memcmp(x, y, af == AF_INET ? 4 : 16) == 0;
}

static int normalize_ip(const char *in, int af, char *out, size_t outlen)
{
	uint8_t a[16];

	if (inet_pton(af, in, a) != 1 || !inet_ntop(af, a, out, (socklen_t)outlen))
		return BH_ERR_FORMAT;
	return 0;
}

static const char *field_for(int af)
{
	return af == AF_INET ? "ip_address" : "ipv6_address";
}

static const char *list_for(int af)
{
	return af == AF_INET ? "allocated_ips" : "allocated_ipv6";
}

/* The live VM (other than `except`) using ip, or NULL. */
static const char *ip_user(json_t *root, const char *ip, int af, const char *except)
{
	const char *k;
	json_t *rec;

	json_object_foreach(json_object_get(root, "vms"), k, rec) {
		if (except && strcmp(k, except) == 0)
			continue;
		if (is_live(rec) &&
		    addr_eq(json_string_value(json_object_get(rec, field_for(af))), ip, af))
			return k;
	}
	return NULL;
}

static bool in_list(json_t *root, const char *ip, int af)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(root, list_for(af)), i, v) {
		if (addr_eq(json_string_value(v), ip, af))
			return true;
	}
	return false;
}

static int list_add(json_t *root, const char *ip, int af)
{
	if (in_list(root, ip, af))
		return 0;
	return json_array_append_new(json_object_get(root, list_for(af)), json_string(ip)) < 0
		       ? -ENOMEM
		       : 0;
}

/* Remove every entry equal to ip; returns the number removed. */
static int list_remove(json_t *root, const char *ip, int af)
{
	json_t *a = json_object_get(root, list_for(af));
	int n = 0;

	for (size_t i = 0; i < json_array_size(a);) {
		if (addr_eq(json_string_value(json_array_get(a, i)), ip, af)) {
			json_array_remove(a, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

static void release_record_ips(json_t *root, const char *name, json_t *rec)
{
	for (int k = 0; k < 2; k++) {
		int af = k ? AF_INET6 : AF_INET;
		const char *ip = json_string_value(json_object_get(rec, field_for(af)));
		/* keep it reserved if (against the rules) another live VM shares it */
		if (ip && *ip && !ip_user(root, ip, af, name))
			list_remove(root, ip, af);
	}
}

/* First free pool address into out (normalized text). */
static int pick_ip(struct bh_vmdb *db, json_t *root, int af, char *out, size_t outlen,
		   struct bh_msg *msg)
{
	const char *k;
	json_t *rec, *v;
	size_t i;
	int r = BH_ERR_EXHAUSTED;

	if (af == AF_INET) {
		bool used[256] = { false };
		uint32_t net = ntohl(db->cfg.ip_pool.network.s_addr);
		struct in_addr a;

		if (!db->cfg.has_ip_pool)
			FAIL(BH_ERR_CONFIG, "no ip_pool configured in the db config");
		used[0] = used[255] = true;
		if (db->cfg.ip_pool.has_gateway &&
		    (ntohl(db->cfg.ip_pool.gateway.s_addr) & 0xffffff00u) == net)
			used[ntohl(db->cfg.ip_pool.gateway.s_addr) & 0xff] = true;
		json_array_foreach(json_object_get(root, "allocated_ips"), i, v) {
			if (inet_pton(AF_INET, json_string_value(v), &a) == 1 &&
			    (ntohl(a.s_addr) & 0xffffff00u) == net)
				used[ntohl(a.s_addr) & 0xff] = true;
		}
		json_object_foreach(json_object_get(root, "vms"), k, rec) {
			const char *ip = json_string_value(json_object_get(rec, "ip_address"));
			if (is_live(rec) && ip && inet_pton(AF_INET, ip, &a) == 1 &&
			    (ntohl(a.s_addr) & 0xffffff00u) == net)
				used[ntohl(a.s_addr) & 0xff] = true;
		}
		for (int o = db->cfg.ip_pool.start; o <= db->cfg.ip_pool.end; o++) {
			if (used[o])
				continue;
			a.s_addr = htonl(net | (uint32_t)o);
			if (!inet_ntop(AF_INET, &a, out, (socklen_t)outlen))
				return -ENOBUFS;
			return 0;
		}
		FAIL(BH_ERR_EXHAUSTED, "ip_pool exhausted: no free address in .%d-.%d",
		     db->cfg.ip_pool.start, db->cfg.ip_pool.end);
	}

	if (!db->cfg.has_ipv6_pool)
		FAIL(BH_ERR_CONFIG, "no ipv6_pool.prefix configured in the db config");
	int start = db->cfg.ipv6_pool.start, end = db->cfg.ipv6_pool.end;
	uint8_t *used = calloc((size_t)end + 1, 1);
	const uint8_t *pre = db->cfg.ipv6_pool.prefix.s6_addr;
	if (!used)
		return -ENOMEM;
	used[0] = 1;
	if (end >= 1)
		used[1] = 1; /* host bridge gateway */
	if (end >= 2)
		used[2] = 1; /* host dummy0 */
	/* mark offsets of every reserved address that lies in prefix+[0, end] */
	for (int pass = 0; pass < 2; pass++) {
		json_t *src = pass ? json_object_get(root, "vms")
				   : json_object_get(root, "allocated_ipv6");
		size_t n = pass ? json_object_size(src) : json_array_size(src);
		void *it = pass ? json_object_iter(src) : NULL;
		for (i = 0; i < n; i++) {
			const char *ip;
			struct in6_addr a;
			if (pass) {
				rec = json_object_iter_value(it);
				it = json_object_iter_next(src, it);
				if (!is_live(rec))
					continue;
				ip = json_string_value(json_object_get(rec, "ipv6_address"));
			} else {
				ip = json_string_value(json_array_get(src, i));
			}
			if (!ip || inet_pton(AF_INET6, ip, &a) != 1 ||
			    memcmp(a.s6_addr, pre, 14) != 0)
				continue;
			int off = ((a.s6_addr[14] << 8) | a.s6_addr[15]) - ((pre[14] << 8) | pre[15]);
			if (off >= 0 && off <= end)
				used[off] = 1;
		}
	}
	for (int o = start; o <= end; o++) {
		if (used[o])
			continue;
		struct in6_addr a;
		memcpy(&a, pre, 16);
		int low = ((pre[14] << 8) | pre[15]) + o; /* no carry: checked at config load */
		a.s6_addr[14] = (uint8_t)(low >> 8);
		a.s6_addr[15] = (uint8_t)low;
		r = inet_ntop(AF_INET6, &a, out, (socklen_t)outlen) ? 0 : -ENOBUFS;
		free(used);
		return r;
	}
	free(used);
	FAIL(BH_ERR_EXHAUSTED, "ipv6_pool exhausted: no free address in +%d..+%d", start, end);
}

/* Copy records matching pred into a new array sorted by name. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

typedef bool (*pred_fn)(const json_t *rec, const void *arg);

static int collect(json_t *root, pred_fn pred, const void *arg, json_t **ret)
{
	json_t *vms = json_object_get(root, "vms"), *rec, *out = NULL;
	size_t n = json_object_size(vms), i = 0;
	const char **names = NULL, *k;
	int r = -ENOMEM;

	if (n && !(names = calloc(n, sizeof(*names))))
		return -ENOMEM;
	json_object_foreach(vms, k, rec) {
		if (!pred || pred(rec, arg))
			names[i++] = k;
	}
	if (i)
		qsort(names, i, sizeof(*names), cmp_str);
	if (!(out = json_array()))
		goto out;
	for (size_t j = 0; j < i; j++)
		if (json_array_append_new(out, json_deep_copy(json_object_get(vms, names[j]))) < 0)
			goto out;
	*ret = out;
	out = NULL;
	r = 0;
out:
	json_decref(out);
	free(names);
	return r;
}

/* ------------------------------------------------------------------ operations */

static int op_init(struct bh_vmdb *db, json_t *root, void *arg, struct bh_msg *msg)
{
	(void)root;
	(void)arg;
	(void)msg;
	struct stat st;

	/* write only if the file does not exist yet (lstat: newfstatat, in every filter) */
	return lstat(db->path, &st) == 0 ? 0 : 1;
}

int bh_vmdb_init(struct bh_vmdb *db, struct bh_msg *msg)
{
	return run(db, true, op_init, NULL, msg);
}

struct reg_arg {
	const struct bh_vm_spec *spec;
	json_t *rec_out;
};

static int op_register(struct bh_vmdb *db, json_t *root, void *arg, struct bh_msg *msg)
{
	struct reg_arg *ra = arg;
	const struct bh_vm_spec *s = ra->spec;
	json_t *vms = json_object_get(root, "vms"), *rec = NULL;
	char ip[INET6_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN];
	int64_t now = db_now(db), vmid = s->vmid, exp;
	int r;

	if (json_object_get(vms, s->name))
		FAIL(BH_ERR_EXISTS, "VM '%s' already exists", s->name);
	ip[0] = ip6[0] = '\0';
	for (int k = 0; k < 2; k++) {
		int af = k ? AF_INET6 : AF_INET;
		const char *want = k ? s->ipv6_address : s->ip_address;
		char *dst = k ? ip6 : ip;
		const char *user;
		if (!want || !*want)
			continue;
		if (strcmp(want, "auto") == 0) {
			if ((r = pick_ip(db, root, af, dst, INET6_ADDRSTRLEN, msg)) < 0)
				return r;
		} else if (normalize_ip(want, af, dst, INET6_ADDRSTRLEN) < 0) {
			FAIL(BH_ERR_FORMAT, "%s: not an %s address", field_for(af),
			     k ? "IPv6" : "IPv4");
		} else if ((user = ip_user(root, dst, af, NULL))) {
			FAIL(BH_ERR_EXISTS, "%s %s is already used by VM '%s'", field_for(af), dst,
			     user);
		}
	}
	if (vmid < 0) {
		if (db->cfg.has_vmid_range) {
			json_int_t next = json_integer_value(json_object_get(root, "next_vmid"));
			vmid = next < db->cfg.vmid_range.start ? db->cfg.vmid_range.start : next;
			if (vmid > db->cfg.vmid_range.end)
				FAIL(BH_ERR_EXHAUSTED, "vmid_range exhausted (next %lld > end %lld)",
				     (long long)vmid, (long long)db->cfg.vmid_range.end);
		} else {
			vmid = 0; /* libvirt: no numeric ids */
		}
	}
	if (vmid > 0) {
		const char *k;
		json_t *o;
		json_object_foreach(vms, k, o) {
			if (is_live(o) && json_integer_value(json_object_get(o, "vmid")) == vmid)
				FAIL(BH_ERR_EXISTS, "vmid %lld is already used by VM '%s'",
				     (long long)vmid, k);
		}
	}
	if (s->expires_at > 0) {
		exp = s->expires_at;
	} else {
		int days = s->expiry_days > 0 ? s->expiry_days : db->cfg.default_expiry_days;
		if (days <= 0)
			days = 30;
		exp = now + (int64_t)days * DAY;
	}

	if (!(rec = json_object()))
		return -ENOMEM;
	r = -ENOMEM;
	if (set_new(rec, "vm_name", json_string(s->name)) < 0 ||
	    set_new(rec, "vmid", json_integer(vmid)) < 0 ||
	    set_new(rec, "ip_address", ip[0] ? json_string(ip) : json_null()) < 0 ||
	    set_new(rec, "ipv6_address", ip6[0] ? json_string(ip6) : json_null()) < 0)
		goto fail;
	if ((r = set_time(rec, "expires_at", exp)) < 0 ||
	    (r = set_time(rec, "created_at", now)) < 0) {
		bh_msg_set(msg, "expiry/creation time out of range");
		goto fail;
	}
	r = -ENOMEM;
	if (set_new(rec, "status", json_string("active")) < 0 ||
	    set_new(rec, "owner_wallet", json_string(s->owner_wallet)) < 0 ||
	    set_new(rec, "purpose", json_string(s->purpose ? s->purpose : "")) < 0 ||
	    set_new(rec, "username", json_string(s->username ? s->username : "")) < 0 ||
	    set_new(rec, "network_mode", json_string(s->network_mode)) < 0 ||
	    set_new(rec, "suspended_at", json_null()) < 0 ||
	    set_new(rec, "destroyed_at", json_null()) < 0 ||
	    set_new(rec, "nft_token_id", json_null()) < 0 ||
	    set_new(rec, "nft_minted", json_false()) < 0 ||
	    set_new(rec, "gecos_synced", json_false()) < 0 ||
	    set_new(rec, "network_config_synced", json_false()) < 0)
		goto fail;
	if ((ip[0] && list_add(root, ip, AF_INET) < 0) ||
	    (ip6[0] && list_add(root, ip6, AF_INET6) < 0))
		goto fail;
	if (db->cfg.has_vmid_range && s->vmid < 0 &&
	    json_object_set_new(root, "next_vmid", json_integer(vmid + 1)) < 0)
		goto fail;
	if (json_object_set(vms, s->name, rec) < 0)
		goto fail;
	ra->rec_out = rec;
	return 1;
fail:
	json_decref(rec);
	return r;
}

int bh_vmdb_register(struct bh_vmdb *db, const struct bh_vm_spec *spec, json_t **ret_record,
		     struct bh_msg *msg)
{
	struct reg_arg ra = { spec, NULL };
	int r;

	if (!spec || (r = check_name(spec->name, msg)) < 0)
		return spec ? r : -EINVAL;
	if (!bh_is_evm_address(spec->owner_wallet))
		FAIL(BH_ERR_FORMAT, "owner wallet: expected 0x + 40 hex digits");
	if (!is_network_mode(spec->network_mode))
		FAIL(BH_ERR_FORMAT, "network mode: expected ^[a-z0-9_-]{1,32}$");
	if (spec->username && *spec->username && !bh_name_valid(spec->username, BH_NAME_USER))
		FAIL(BH_ERR_FORMAT, "username: expected ^[a-z_][a-z0-9_-]{0,31}$");
	if (spec->purpose && strlen(spec->purpose) > PURPOSE_MAX)
		FAIL(BH_ERR_LIMIT, "purpose: longer than %d bytes", PURPOSE_MAX);
	if (spec->expiry_days < 0 || spec->expiry_days > 36500)
		FAIL(BH_ERR_RANGE, "expiry days: expected 1..36500");
	r = run(db, true, op_register, &ra, msg);
	if (r == 0 && ret_record) {
		/* *ret_record is assigned only on success (not NULLed on -ENOMEM) */
		json_t *copy = json_deep_copy(ra.rec_out);
		if (copy)
			*ret_record = copy;
		else
			r = -ENOMEM;
	}
	json_decref(ra.rec_out);
	return r;
}

struct get_arg {
	const char *name;
	json_t *out;
};

static int op_get(struct bh_vmdb *db, json_t *root, void *arg, struct bh_msg *msg)
{
	struct get_arg *ga = arg;
	json_t *rec = find_vm(root, ga->name, msg);

	(void)db;
	if (!rec)
		return BH_ERR_NOT_FOUND;
	if (!(ga->out = json_deep_copy(rec)))
		return -ENOMEM;
	return 0;
}

int bh_vmdb_get(struct bh_vmdb *db, const char *name, json_t **ret_record, struct bh_msg *msg)
{
	struct get_arg ga = { name, NULL };
	int r;

	if ((r = check_name(name, msg)) < 0 || (r = run(db, false, op_get, &ga, msg)) < 0)
		return r;
	*ret_record = ga.out;
	return 0;
}

struct sel_arg {
	pred_fn pred;
	const void *parg;
	json_t *out;
};

static int op_select(struct bh_vmdb *db, json_t *root, void *arg, struct bh_msg *msg)
{
	struct sel_arg *sa = arg;

	(void)db;
	(void)msg;
	return collect(root, sa->pred, sa->parg, &sa->out);
}

int bh_vmdb_list(struct bh_vmdb *db, json_t **ret_array, struct bh_msg *msg)
{
	struct sel_arg sa = { NULL, NULL, NULL };
	int r;

	if ((r = run(db, false, op_select, &sa, msg)) < 0)
		return r;
	*ret_array = sa.out;
	return 0;
}

struct gc_arg {
	int64_t now;
	int64_t grace;
};

static bool pred_suspend(const json_t *rec, const void *arg)
{
	const struct gc_arg *g = arg;
	const char *st = status_of(rec);
	int64_t exp;

	return st && strcmp(st, "active") == 0 && bh_vm_time(rec, "expires_at", &exp) == 0 &&
	       g->now > exp;
}

static bool pred_destroy(const json_t *rec, const void *arg)
{
	const struct gc_arg *g = arg;
	const char *st = status_of(rec);
	int64_t t;

	if (!st || strcmp(st, "suspended") != 0)
		return false;
	/* legacy records without suspended_at: count the grace from the expiry */
	if (bh_vm_time(rec, "suspended_at", &t) < 0 && bh_vm_time(rec, "expires_at", &t) < 0)
		return false;
	return g->now > t + g->grace;
}

int bh_vmdb_vms_to_suspend(struct bh_vmdb *db, int64_t now, json_t **ret_array,
			   struct bh_msg *msg)
{
	struct gc_arg g = { now, 0 };
	struct sel_arg sa = { pred_suspend, &g, NULL };
	int r;

	if ((r = run(db, false, op_select, &sa, msg)) < 0)
		return r;
	*ret_array = sa.out;
	return 0;
}

int bh_vmdb_vms_to_destroy(struct bh_vmdb *db, int64_t now, int grace_days, json_t **ret_array,
			   struct bh_msg *msg)
{
	struct gc_arg g = { now, (int64_t)grace_days * DAY };
	struct sel_arg sa = { pred_destroy, &g, NULL };
	int r;

	if (grace_days < 0 || grace_days > 36500)
		FAIL(BH_ERR_RANGE, "grace days: expected 0..36500");
	if ((r = run(db, false, op_select, &sa, msg)) < 0)
		return r;
	*ret_array = sa.out;
	return 0;
}

/* One generic record mutation: the kinds below share find + state checks. */
enum mut_kind {
	MUT_ACTIVE,
	MUT_SUSPENDED,
	MUT_DESTROYED,
	MUT_DELETE,
	MUT_SET_EXPIRY,
	MUT_EXTEND,
	MUT_NFT,
	MUT_FIELDS,
};

struct mut_arg {
	enum mut_kind kind;
	const char *name;
	int64_t value;        /* expiry / days / token id */
	const json_t *fields; /* MUT_FIELDS */
	json_t *out;          /* copy of the record afterwards, when wanted */
	bool want_out;
};

static int op_mutate(struct bh_vmdb *db, json_t *root, void *arg, struct bh_msg *msg)
{
	struct mut_arg *m = arg;
	json_t *rec = find_vm(root, m->name, msg);
	int64_t now = db_now(db), t;
	const char *st;
	int r = -ENOMEM;

	if (!rec)
		return BH_ERR_NOT_FOUND;
	st = status_of(rec);
	bool destroyed = st && strcmp(st, "destroyed") == 0;

	switch (m->kind) {
	case MUT_ACTIVE:
		if (destroyed)
			FAIL(BH_ERR_STATE, "VM '%s' is destroyed and cannot be re-activated",
			     m->name);
		if (m->value > 0 && (r = set_time(rec, "expires_at", m->value)) < 0)
			FAIL(r, "expiry time out of range");
		if (set_new(rec, "status", json_string("active")) < 0 ||
		    set_new(rec, "suspended_at", json_null()) < 0)
			return -ENOMEM;
		break;
	case MUT_SUSPENDED:
		if (destroyed)
			FAIL(BH_ERR_STATE, "VM '%s' is destroyed and cannot be suspended", m->name);
		if (set_new(rec, "status", json_string("suspended")) < 0 ||
		    (r = set_time(rec, "suspended_at", now)) < 0)
			return r;
		break;
	case MUT_DESTROYED:
		if (destroyed)
			break; /* idempotent; keep the first destroyed_at */
		if (set_new(rec, "status", json_string("destroyed")) < 0 ||
		    (r = set_time(rec, "destroyed_at", now)) < 0)
			return r;
		release_record_ips(root, m->name, rec);
		break;
	case MUT_DELETE:
		if (!destroyed)
			release_record_ips(root, m->name, rec);
		json_object_del(json_object_get(root, "vms"), m->name);
		return 1;
	case MUT_SET_EXPIRY:
		if (destroyed)
			FAIL(BH_ERR_STATE, "VM '%s' is destroyed", m->name);
		if ((r = set_time(rec, "expires_at", m->value)) < 0)
			FAIL(r, "expiry time out of range");
		break;
	case MUT_EXTEND:
		if (destroyed)
			FAIL(BH_ERR_STATE, "VM '%s' is destroyed", m->name);
		if ((r = bh_vm_time(rec, "expires_at", &t)) < 0)
			FAIL(BH_ERR_FORMAT, "VM '%s': expires_at unreadable", m->name);
		if ((r = set_time(rec, "expires_at", t + m->value * DAY)) < 0)
			FAIL(r, "expiry time out of range");
		break;
	case MUT_NFT:
		if (set_new(rec, "nft_token_id", json_integer(m->value)) < 0 ||
		    set_new(rec, "nft_minted", json_true()) < 0 ||
		    (r = set_time(rec, "nft_minted_at", now)) < 0)
			return r;
		break;
	case MUT_FIELDS: {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)(uintptr_t)m->fields, k, v) {
			if (!is_field_key(k))
				FAIL(BH_ERR_FORMAT, "field name must match ^[A-Za-z0-9_]{1,64}$");
			if (bh_vmdb_field_reserved(k))
				FAIL(BH_ERR_DENIED, "field '%s' is reserved and cannot be updated", k);
			if ((r = check_spec_field(k, v, msg)) < 0)
				return r;
		}
		/* all keys checked before any change: the merge is all or nothing */
		json_t *copy = json_deep_copy(rec);
		if (!copy || json_object_update(copy, (json_t *)(uintptr_t)m->fields) < 0) {
			json_decref(copy);
			return -ENOMEM;
		}
		if ((r = validate_record(db->path, m->name, copy, msg)) < 0) {
			json_decref(copy);
			return r;
		}
		if (json_object_set_new(json_object_get(root, "vms"), m->name, copy) < 0)
			return -ENOMEM;
		rec = copy;
		break;
	}
	}
	if (m->want_out && !(m->out = json_deep_copy(rec)))
		return -ENOMEM;
	return 1;
}

static int mutate(struct bh_vmdb *db, struct mut_arg *m, json_t **ret_record,
		  struct bh_msg *msg)
{
	int r;

	if ((r = check_name(m->name, msg)) < 0)
		return r;
	m->want_out = ret_record != NULL;
	if ((r = run(db, true, op_mutate, m, msg)) < 0) {
		json_decref(m->out);
		return r;
	}
	if (ret_record)
		*ret_record = m->out;
	return 0;
}

int bh_vmdb_mark_active(struct bh_vmdb *db, const char *name, int64_t new_expiry,
			struct bh_msg *msg)
{
	struct mut_arg m = { .kind = MUT_ACTIVE, .name = name, .value = new_expiry };
	return mutate(db, &m, NULL, msg);
}

int bh_vmdb_mark_suspended(struct bh_vmdb *db, const char *name, struct bh_msg *msg)
{
	struct mut_arg m = { .kind = MUT_SUSPENDED, .name = name };
	return mutate(db, &m, NULL, msg);
}

int bh_vmdb_mark_destroyed(struct bh_vmdb *db, const char *name, struct bh_msg *msg)
{
	struct mut_arg m = { .kind = MUT_DESTROYED, .name = name };
	return mutate(db, &m, NULL, msg);
}

int bh_vmdb_delete(struct bh_vmdb *db, const char *name, struct bh_msg *msg)
{
	struct mut_arg m = { .kind = MUT_DELETE, .name = name };
	return mutate(db, &m, NULL, msg);
}

int bh_vmdb_set_expiry(struct bh_vmdb *db, const char *name, int64_t expires_at,
		       json_t **ret_record, struct bh_msg *msg)
{
	struct mut_arg m = { .kind = MUT_SET_EXPIRY, .name = name, .value = expires_at };
	char tmp[40];

	if (expires_at <= 0 || bh_time_format_iso(expires_at, tmp, sizeof(tmp)) < 0)
		FAIL(BH_ERR_RANGE, "expiry time out of range");
	return mutate(db, &m, ret_record, msg);
}

int bh_vmdb_extend_expiry(struct bh_vmdb *db, const char *name, int days, json_t **ret_record,
			  struct bh_msg *msg)
{
	struct mut_arg m = { .kind = MUT_EXTEND, .name = name, .value = days };

	if (days < 1 || days > 36500)
		FAIL(BH_ERR_RANGE, "days: expected 1..36500");
	return mutate(db, &m, ret_record, msg);
}

int bh_vmdb_set_nft_minted(struct bh_vmdb *db, const char *name, int64_t token_id,
			   struct bh_msg *msg)
{
	struct mut_arg m = { .kind = MUT_NFT, .name = name, .value = token_id };

	if (token_id < 0)
		FAIL(BH_ERR_RANGE, "token id: expected integer >= 0");
	return mutate(db, &m, NULL, msg);
}

int bh_vmdb_update_fields(struct bh_vmdb *db, const char *name, const json_t *fields,
			  struct bh_msg *msg)
{
	struct mut_arg m = { .kind = MUT_FIELDS, .name = name, .fields = fields };

	if (!json_is_object(fields))
		FAIL(BH_ERR_WRONG_TYPE, "fields: expected a JSON object, got %s",
		     bh_json_type_name(fields));
	return mutate(db, &m, NULL, msg);
}

struct alloc_arg {
	int af;
	char ip[INET6_ADDRSTRLEN];
};

static int op_alloc(struct bh_vmdb *db, json_t *root, void *arg, struct bh_msg *msg)
{
	struct alloc_arg *a = arg;
	int r;

	if ((r = pick_ip(db, root, a->af, a->ip, sizeof(a->ip), msg)) < 0)
		return r;
	if ((r = list_add(root, a->ip, a->af)) < 0)
		return r;
	return 1;
}

int bh_vmdb_allocate_ip(struct bh_vmdb *db, int family, char **ret_ip, struct bh_msg *msg)
{
	struct alloc_arg a = { .af = family };
	char *s;
	int r;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if ((r = run(db, true, op_alloc, &a, msg)) < 0)
		return r;
	if (!(s = strdup(a.ip)))
		return -ENOMEM;
	*ret_ip = s;
	return 0;
}

static int op_release(struct bh_vmdb *db, json_t *root, void *arg, struct bh_msg *msg)
{
	const char *ip = arg, *user;
	int af = str_is_ip(ip, AF_INET) ? AF_INET : AF_INET6;

	(void)db;
	if ((user = ip_user(root, ip, af, NULL)))
		FAIL(BH_ERR_STATE, "%s is in use by VM '%s'", ip, user);
	if (list_remove(root, ip, af) == 0)
		FAIL(BH_ERR_NOT_FOUND, "%s is not allocated", ip);
	return 1;
}

int bh_vmdb_release_ip(struct bh_vmdb *db, const char *ip, struct bh_msg *msg)
{
	if (!str_is_ip(ip, AF_INET) && !str_is_ip(ip, AF_INET6))
		FAIL(BH_ERR_FORMAT, "not an IPv4 or IPv6 address");
	return run(db, true, op_release, (void *)(uintptr_t)ip, msg);
}

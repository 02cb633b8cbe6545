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
#include "host/vmdb-int.h"

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
	if (!json_object_get(root, "vms") && bh_vmdb__set_new(root, "vms", json_object()) < 0)
		return -ENOMEM;
	if (!json_object_get(root, "next_vmid") &&
	    bh_vmdb__set_new(root, "next_vmid",
		    json_integer(db->cfg.has_vmid_range ? db->cfg.vmid_range.start : 0)) < 0)
		return -ENOMEM;
	if (!json_object_get(root, "allocated_ips") &&
	    bh_vmdb__set_new(root, "allocated_ips", json_array()) < 0)
		return -ENOMEM;
	if (!json_object_get(root, "allocated_ipv6") &&
	    bh_vmdb__set_new(root, "allocated_ipv6", json_array()) < 0)
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

bool bh_vmdb__is_live(const json_t *rec)
{
	const char *s = status_of(rec);
	return s && strcmp(s, "destroyed") != 0;
}

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
			if ((r = bh_vmdb__pick_ip(db, root, af, dst, INET6_ADDRSTRLEN, msg)) < 0)
				return r;
		} else if (bh_vmdb__normalize_ip(want, af, dst, INET6_ADDRSTRLEN) < 0) {
			FAIL(BH_ERR_FORMAT, "%s: not an %s address", bh_vmdb__field_for(af),
			     k ? "IPv6" : "IPv4");
		} else if ((user = bh_vmdb__ip_user(root, dst, af, NULL))) {
			FAIL(BH_ERR_EXISTS, "%s %s is already used by VM '%s'", bh_vmdb__field_for(af), dst,
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
			if (bh_vmdb__is_live(o) && json_integer_value(json_object_get(o, "vmid")) == vmid)
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
	if (bh_vmdb__set_new(rec, "vm_name", json_string(s->name)) < 0 ||
	    bh_vmdb__set_new(rec, "vmid", json_integer(vmid)) < 0 ||
	    bh_vmdb__set_new(rec, "ip_address", ip[0] ? json_string(ip) : json_null()) < 0 ||
	    bh_vmdb__set_new(rec, "ipv6_address", ip6[0] ? json_string(ip6) : json_null()) < 0)
		goto fail;
	if ((r = bh_vmdb__set_time(rec, "expires_at", exp)) < 0 ||
	    (r = bh_vmdb__set_time(rec, "created_at", now)) < 0) {
		bh_msg_set(msg, "expiry/creation time out of range");
		goto fail;
	}
	r = -ENOMEM;
	if (bh_vmdb__set_new(rec, "status", json_string("active")) < 0 ||
	    bh_vmdb__set_new(rec, "owner_wallet", json_string(s->owner_wallet)) < 0 ||
	    bh_vmdb__set_new(rec, "purpose", json_string(s->purpose ? s->purpose : "")) < 0 ||
	    bh_vmdb__set_new(rec, "username", json_string(s->username ? s->username : "")) < 0 ||
	    bh_vmdb__set_new(rec, "network_mode", json_string(s->network_mode)) < 0 ||
	    bh_vmdb__set_new(rec, "suspended_at", json_null()) < 0 ||
	    bh_vmdb__set_new(rec, "destroyed_at", json_null()) < 0 ||
	    bh_vmdb__set_new(rec, "nft_token_id", json_null()) < 0 ||
	    bh_vmdb__set_new(rec, "nft_minted", json_false()) < 0 ||
	    bh_vmdb__set_new(rec, "gecos_synced", json_false()) < 0 ||
	    bh_vmdb__set_new(rec, "network_config_synced", json_false()) < 0)
		goto fail;
	if ((ip[0] && bh_vmdb__list_add(root, ip, AF_INET) < 0) ||
	    (ip6[0] && bh_vmdb__list_add(root, ip6, AF_INET6) < 0))
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
	if (!bh_vmdb__is_network_mode(spec->network_mode))
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
		if (m->value > 0 && (r = bh_vmdb__set_time(rec, "expires_at", m->value)) < 0)
			FAIL(r, "expiry time out of range");
		if (bh_vmdb__set_new(rec, "status", json_string("active")) < 0 ||
		    bh_vmdb__set_new(rec, "suspended_at", json_null()) < 0)
			return -ENOMEM;
		break;
	case MUT_SUSPENDED:
		if (destroyed)
			FAIL(BH_ERR_STATE, "VM '%s' is destroyed and cannot be suspended", m->name);
		if (bh_vmdb__set_new(rec, "status", json_string("suspended")) < 0 ||
		    (r = bh_vmdb__set_time(rec, "suspended_at", now)) < 0)
			return r;
		break;
	case MUT_DESTROYED:
		if (destroyed)
			break; /* idempotent; keep the first destroyed_at */
		if (bh_vmdb__set_new(rec, "status", json_string("destroyed")) < 0 ||
		    (r = bh_vmdb__set_time(rec, "destroyed_at", now)) < 0)
			return r;
		bh_vmdb__release_record_ips(root, m->name, rec);
		break;
	case MUT_DELETE:
		if (!destroyed)
			bh_vmdb__release_record_ips(root, m->name, rec);
		json_object_del(json_object_get(root, "vms"), m->name);
		return 1;
	case MUT_SET_EXPIRY:
		if (destroyed)
			FAIL(BH_ERR_STATE, "VM '%s' is destroyed", m->name);
		if ((r = bh_vmdb__set_time(rec, "expires_at", m->value)) < 0)
			FAIL(r, "expiry time out of range");
		break;
	case MUT_EXTEND:
		if (destroyed)
			FAIL(BH_ERR_STATE, "VM '%s' is destroyed", m->name);
		if ((r = bh_vm_time(rec, "expires_at", &t)) < 0)
			FAIL(BH_ERR_FORMAT, "VM '%s': expires_at unreadable", m->name);
		if ((r = bh_vmdb__set_time(rec, "expires_at", t + m->value * DAY)) < 0)
			FAIL(r, "expiry time out of range");
		break;
	case MUT_NFT:
		if (bh_vmdb__set_new(rec, "nft_token_id", json_integer(m->value)) < 0 ||
		    bh_vmdb__set_new(rec, "nft_minted", json_true()) < 0 ||
		    (r = bh_vmdb__set_time(rec, "nft_minted_at", now)) < 0)
			return r;
		break;
	case MUT_FIELDS: {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)(uintptr_t)m->fields, k, v) {
			if (!bh_vmdb__is_field_key(k))
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
		if ((r = bh_vmdb__validate_record(db->path, m->name, copy, msg)) < 0) {
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

	if ((r = bh_vmdb__pick_ip(db, root, a->af, a->ip, sizeof(a->ip), msg)) < 0)
		return r;
	if ((r = bh_vmdb__list_add(root, a->ip, a->af)) < 0)
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
	int af = bh_vmdb__str_is_ip(ip, AF_INET) ? AF_INET : AF_INET6;

	(void)db;
	if ((user = bh_vmdb__ip_user(root, ip, af, NULL)))
		FAIL(BH_ERR_STATE, "%s is in use by VM '%s'", ip, user);
	if (bh_vmdb__list_remove(root, ip, af) == 0)
		FAIL(BH_ERR_NOT_FOUND, "%s is not allocated", ip);
	return 1;
}

int bh_vmdb_release_ip(struct bh_vmdb *db, const char *ip, struct bh_msg *msg)
{
	if (!bh_vmdb__str_is_ip(ip, AF_INET) && !bh_vmdb__str_is_ip(ip, AF_INET6))
		FAIL(BH_ERR_FORMAT, "not an IPv4 or IPv6 address");
	return run(db, true, op_release, (void *)(uintptr_t)ip, msg);
}

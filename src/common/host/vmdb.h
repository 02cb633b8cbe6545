/* SPDX-License-Identifier: MIT */
/*
 * The VM database, vms.json — upstream-compatible format (upstream.md §3.5):
 *
 *   { "vms": { "<vm_name>": {record}, ... },
 *     "next_vmid": int, "allocated_ips": ["a.b.c.d", ...], "allocated_ipv6": ["...", ...],
 *     ...unknown/legacy top-level keys (e.g. "reserved_nft_tokens") kept untouched }
 *
 * Record fields written by this code: vm_name, vmid, ip_address, ipv6_address (string or
 * null), expires_at, created_at, status ("active"|"suspended"|"destroyed"), owner_wallet,
 * purpose, username, network_mode, suspended_at, destroyed_at, nft_token_id, nft_minted,
 * nft_minted_at, gecos_synced, network_config_synced.  Unknown record fields are kept.
 *
 * Decisions (ARCHITECTURE.md, upstream.md §12):
 *  - one owner field, `owner_wallet`; legacy records with only `wallet_address`/`owner`
 *    are read through bh_vm_owner().
 *  - extension sets the expiry to the on-chain absolute time (bh_vmdb_set_expiry);
 *    bh_vmdb_extend_expiry (adds days) exists only for the upstream CLI verb.
 *
 * Timestamps are written like Python's datetime.isoformat() in UTC:
 * "2026-03-01T12:00:00+00:00" (with ".ffffff" when there is a fraction).  Readers accept
 * a fraction of 1..9 digits, "Z", any "+HH:MM"/"-HH:MM" offset, or none (UTC).
 * All times in this API are Unix seconds (fractions are truncated on read).
 *
 * Concurrency: every mutation takes an exclusive flock on "<db>.lock", reads and
 * validates the file, mutates, validates again, writes it atomically (mode 0640) and
 * unlocks; reads take a shared lock.  A missing file reads as an empty database.  The
 * whole file is validated on every load (bh_vmdb_validate) and refused if any record is
 * malformed: the database fails closed with a message naming the key.
 *
 * Returns: 0 or negative (err.h).  BH_ERR_NOT_FOUND for an unknown VM, BH_ERR_EXISTS for
 * a duplicate name, BH_ERR_EXHAUSTED for a full pool, BH_ERR_DENIED for a reserved field,
 * BH_ERR_STATE for an invalid transition, BH_ERR_FORMAT/… for a corrupt file,
 * BH_ERR_TIMEOUT if the lock stayed busy for BH_VMDB_LOCK_TIMEOUT_MS.  `msg` (may be
 * NULL) says what was wrong.  json_t results are new references owned by the caller.
 */
#ifndef BH_VMDB_H
#define BH_VMDB_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "host/config.h"
#include "core/err.h"

#define BH_VMDB_MAX_SIZE        (32u * 1024u * 1024u) /* ~50k VMs; refuse larger files */
#define BH_VMDB_LOCK_TIMEOUT_MS 30000                 /* a writer holds it for milliseconds */
#define BH_VMDB_FILE_MODE       0640
#define BH_VMDB_FIELD_MAX       4096                  /* longest string we write in a record */

struct bh_vmdb;

/*
 * Open a handle (no I/O yet).  path: the database file, or NULL for cfg->db_file.
 * cfg supplies pools, vmid_range and default_expiry_days; it is copied, may be
 * freed afterwards.  cfg may be NULL (defaults, no pools).
 */
int bh_vmdb_open(const struct bh_db_config *cfg, const char *path, struct bh_vmdb **ret);
/* NULL-safe; returns NULL. */
struct bh_vmdb *bh_vmdb_free(struct bh_vmdb *db);
/* The clock for mutations (created_at, suspended_at, ...): now > 0 fixes it, 0 = real time. */
void bh_vmdb_set_now(struct bh_vmdb *db, int64_t now);
const char *bh_vmdb_path(const struct bh_vmdb *db);

/* Create an empty database file if none exists (0 if it already exists and is valid). */
int bh_vmdb_init(struct bh_vmdb *db, struct bh_msg *msg);

/* What bh_vmdb_register stores. */
struct bh_vm_spec {
	const char *name;         /* required; ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$ */
	const char *owner_wallet; /* required; ^0x[0-9a-fA-F]{40}$ */
	const char *network_mode; /* required; ^[a-z0-9_-]{1,32}$ (immutable afterwards) */
	const char *ip_address;   /* NULL: none; "auto": allocate from ip_pool; else IPv4 */
	const char *ipv6_address; /* NULL: none; "auto": allocate from ipv6_pool; else IPv6 */
	int64_t vmid;             /* >= 0 as given; < 0: next_vmid from vmid_range, else 0 */
	int64_t expires_at;       /* > 0: absolute expiry (Unix s); else now + expiry_days */
	int expiry_days;          /* 0: cfg default_expiry_days */
	const char *purpose;      /* optional free text (<= 256 bytes) */
	const char *username;     /* optional; ^[a-z_][a-z0-9_-]{0,31}$ */
};

/*
 * Register a new VM (status active).  The given/allocated addresses are added to
 * allocated_ips / allocated_ipv6; an address already used by another live VM is
 * refused (BH_ERR_EXISTS).  *ret_record (may be NULL) receives a copy of the record.
 */
int bh_vmdb_register(struct bh_vmdb *db, const struct bh_vm_spec *spec, json_t **ret_record,
		     struct bh_msg *msg);

int bh_vmdb_get(struct bh_vmdb *db, const char *name, json_t **ret_record, struct bh_msg *msg);
/* All records, as an array sorted by name. */
int bh_vmdb_list(struct bh_vmdb *db, json_t **ret_array, struct bh_msg *msg);

/* status active, suspended_at cleared; new_expiry > 0 also sets expires_at.
 * A destroyed VM cannot be re-activated (BH_ERR_STATE). */
int bh_vmdb_mark_active(struct bh_vmdb *db, const char *name, int64_t new_expiry,
			struct bh_msg *msg);
/* status suspended, suspended_at = now.  Destroyed: BH_ERR_STATE. */
int bh_vmdb_mark_suspended(struct bh_vmdb *db, const char *name, struct bh_msg *msg);
/* status destroyed, destroyed_at = now, its ip/ipv6 released.  Idempotent. */
int bh_vmdb_mark_destroyed(struct bh_vmdb *db, const char *name, struct bh_msg *msg);
/* Remove the record (and release its addresses). */
int bh_vmdb_delete(struct bh_vmdb *db, const char *name, struct bh_msg *msg);

/* expires_at = expires_at (absolute; the on-chain newExpiresAt).  *ret_record: copy after. */
int bh_vmdb_set_expiry(struct bh_vmdb *db, const char *name, int64_t expires_at,
		       json_t **ret_record, struct bh_msg *msg);
/* Upstream compatibility: expires_at += days (1..36500). */
int bh_vmdb_extend_expiry(struct bh_vmdb *db, const char *name, int days, json_t **ret_record,
			  struct bh_msg *msg);
/* nft_token_id = token_id (>= 0), nft_minted = true, nft_minted_at = now. */
int bh_vmdb_set_nft_minted(struct bh_vmdb *db, const char *name, int64_t token_id,
			   struct bh_msg *msg);
/*
 * Merge `fields` (an object) into the record.  Reserved fields (vm_name, vmid, status,
 * created_at, expires_at, suspended_at, destroyed_at, ip_address, ipv6_address,
 * nft_token_id, nft_minted, nft_minted_at, network_mode) are refused with BH_ERR_DENIED
 * naming the key; keys must match ^[A-Za-z0-9_]{1,64}$.  Nothing is written on error.
 */
/* True if key is one of the record fields update_fields may not write (upstream.md §3.5). */
bool bh_vmdb_field_reserved(const char *key);

int bh_vmdb_update_fields(struct bh_vmdb *db, const char *name, const json_t *fields,
			  struct bh_msg *msg);

/* Records with status active and now > expires_at (array, sorted by name). */
int bh_vmdb_vms_to_suspend(struct bh_vmdb *db, int64_t now, json_t **ret_array,
			   struct bh_msg *msg);
/* Records with status suspended and now > suspended_at + grace_days (array). */
int bh_vmdb_vms_to_destroy(struct bh_vmdb *db, int64_t now, int grace_days, json_t **ret_array,
			   struct bh_msg *msg);

/*
 * Reserve the first free address of the pool and record it in allocated_ips
 * (family AF_INET: <network>.<i>, i in ip_pool start..end, gateway skipped) or
 * allocated_ipv6 (AF_INET6: prefix + i, i in ipv6_pool start..end, +1 and +2 skipped:
 * the host's bridge gateway and dummy0).  *ret_ip: heap string, caller frees.
 * BH_ERR_CONFIG if the pool is not configured, BH_ERR_EXHAUSTED if full.
 */
int bh_vmdb_allocate_ip(struct bh_vmdb *db, int family, char **ret_ip, struct bh_msg *msg);
/* Drop ip from the allocated lists.  BH_ERR_STATE if a live VM uses it; NOT_FOUND if absent. */
int bh_vmdb_release_ip(struct bh_vmdb *db, const char *ip, struct bh_msg *msg);

/* ---- pure functions (no I/O), also the fuzzing entry points ---- */

/* Parse (duplicate keys rejected) and validate a vms.json document; *ret new reference. */
int bh_vmdb_parse(const void *data, size_t len, const char *name, json_t **ret,
		  struct bh_msg *msg);
/* Validate a whole document (see above); 0 or BH_ERR_FORMAT/_WRONG_TYPE/_MISSING_KEY. */
int bh_vmdb_validate(const json_t *root, const char *name, struct bh_msg *msg);

/* The owner of a record: owner_wallet, else legacy wallet_address.  Borrowed, or NULL. */
const char *bh_vm_owner(const json_t *rec);
/* Read a timestamp field of a record; BH_ERR_NOT_FOUND if absent/null. */
int bh_vm_time(const json_t *rec, const char *field, int64_t *ret);

/* ISO 8601 as described above -> Unix seconds.  BH_ERR_FORMAT on anything else. */
int bh_time_parse_iso(const char *s, int64_t *ret);
/* Unix seconds -> "YYYY-MM-DDTHH:MM:SS+00:00" (out: >= 32 bytes).  BH_ERR_RANGE past 9999. */
int bh_time_format_iso(int64_t t, char *out, size_t outlen);

#endif

/* SPDX-License-Identifier: MIT */
/* Unit tests: the vms.json VM database (operations, pools, GC selection, error paths). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/atomicio.h"
#include "core/buf.h"
#include "host/config.h"
#include "core/err.h"
#include "host/vmdb.h"

#define OWNER  "0x00000000000000000000000000000000000000aa"
#define OWNER2 "0xBBbbBBbbBBbbBBbbBBbbBBbbBBbbBBbbBBbbBBbb"
#define T0     1772366400 /* 2026-03-01T12:00:00Z */
#define DAY    86400

struct ctx {
	char dir[64];
	char path[128];
	struct bh_vmdb *db;
};

static const char *db_json =
	"{\"ip_pool\":{\"network\":\"10.0.0.0/24\",\"start\":1,\"end\":4,\"gateway\":\"10.0.0.1\"},"
	"\"ipv6_pool\":{\"prefix\":\"2001:db8::/64\",\"start\":1,\"end\":4},"
	"\"vmid_range\":{\"start\":100,\"end\":101},\"default_expiry_days\":30}";

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct bh_db_config cfg;
	struct bh_msg m;
	json_t *j = NULL;

	strcpy(c->dir, "/tmp/bhvmdbXXXXXX");
	if (!mkdtemp(c->dir))
		return -1;
	snprintf(c->path, sizeof(c->path), "%s/vms.json", c->dir);
	if (bh_config_parse(db_json, strlen(db_json), "db.json", &j, &m) < 0 ||
	    bh_db_config_from_json(j, "db.json", &cfg, &m) < 0)
		return -1;
	json_decref(j);
	if (bh_vmdb_open(&cfg, c->path, &c->db) < 0)
		return -1;
	bh_db_config_done(&cfg);
	bh_vmdb_set_now(c->db, T0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	char cmd[128];

	bh_vmdb_free(c->db);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
	int r = system(cmd);
	free(c);
	return r == 0 ? 0 : -1;
}

static void reg(struct ctx *c, const char *name, const char *ip, const char *ip6)
{
	struct bh_vm_spec s = { .name = name, .owner_wallet = OWNER, .network_mode = "broker",
				.ip_address = ip, .ipv6_address = ip6, .vmid = -1 };
	struct bh_msg m = { "" };
	int r = bh_vmdb_register(c->db, &s, NULL, &m);
	if (r < 0)
		fail_msg("register %s: %s", name, m.text);
}

static json_t *get(struct ctx *c, const char *name)
{
	struct bh_msg m = { "" };
	json_t *rec = NULL;
	if (bh_vmdb_get(c->db, name, &rec, &m) < 0)
		fail_msg("get %s: %s", name, m.text);
	return rec;
}

static const char *S(json_t *rec, const char *k)
{
	return json_string_value(json_object_get(rec, k));
}

static void write_db(struct ctx *c, const char *text)
{
	assert_int_equal(bh_atomic_write(c->path, text, strlen(text), 0640), 0);
}

static void test_time(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int64_t t;
	} ok[] = {
		{ "2026-03-01T12:00:00.123456+00:00", T0 },
		{ "2026-03-01T12:00:00+00:00", T0 },
		{ "2026-03-01T12:00:00Z", T0 },
		{ "2026-03-01T12:00:00.5Z", T0 },
		{ "2026-03-01T12:00:00", T0 },
		{ "2026-03-01 12:00:00", T0 },
		{ "2026-03-01T14:30:00+02:30", T0 },
		{ "2026-03-01T07:00:00-05:00", T0 },
		{ "1970-01-01T00:00:00+00:00", 0 },
		{ "2024-02-29T00:00:00Z", 1709164800 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "9999-12-31T23:59:59Z", 253402300799LL },
	};
	static const char *bad[] = {
		"", "2026-03-01", "2026-03-01T12:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
		"2026-03-01T24:00:00Z", "2026-03-01T12:60:00Z", "2026-03-01T12:00:60Z",
		"2026-03-01T12:00:00.Z", "2026-03-01T12:00:00.1234567890Z", "2026-03-01T12:00:00+0000",
		"2026-03-01T12:00:00Zjunk", "2026-03-01T12:00:00+24:00", "0000-01-01T00:00:00Z",
		"2026/03/01T12:00:00Z", "+026-03-01T12:00:00Z", "2026-03-01T12:00:00 ",
	};
	int64_t t;
	char buf[40];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (bh_time_parse_iso(ok[i].s, &t) != 0 || t != ok[i].t)
			fail_msg("%s: parsed as %lld", ok[i].s, (long long)t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bh_time_parse_iso(bad[i], &t) != BH_ERR_FORMAT)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(bh_time_parse_iso(NULL, &t), BH_ERR_FORMAT);
	assert_int_equal(bh_time_format_iso(T0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-03-01T12:00:00+00:00");
	assert_int_equal(bh_time_format_iso(253402300800LL, buf, sizeof(buf)), BH_ERR_RANGE);
	assert_int_equal(bh_time_format_iso(T0, buf, 10), -ENOBUFS);
	/* round trip */
	for (int64_t x = -86400 * 400; x < 4102444800LL; x += 7777777) {
		assert_int_equal(bh_time_format_iso(x, buf, sizeof(buf)), 0);
		assert_int_equal(bh_time_parse_iso(buf, &t), 0);
		assert_true(t == x);
	}
}

static void test_register_get_list(void **state)
{
	struct ctx *c = *state;
	struct bh_msg m = { "" };
	json_t *rec, *arr = NULL;

	/* missing file reads as empty */
	assert_int_equal(bh_vmdb_list(c->db, &arr, &m), 0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	assert_int_equal(bh_vmdb_get(c->db, "nope", &rec, &m), BH_ERR_NOT_FOUND);
	assert_string_equal(m.text, "VM 'nope' not found");

	assert_int_equal(bh_vmdb_init(c->db, &m), 0);
	assert_int_equal(bh_vmdb_init(c->db, &m), 0);
	struct stat st;
	assert_int_equal(stat(c->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);

	reg(c, "blockhost-002", "auto", "auto");
	reg(c, "blockhost-001", NULL, NULL);
	rec = get(c, "blockhost-002");
	assert_string_equal(S(rec, "vm_name"), "blockhost-002");
	assert_string_equal(S(rec, "status"), "active");
	assert_string_equal(S(rec, "ip_address"), "10.0.0.2");     /* .1 is the gateway */
	assert_string_equal(S(rec, "ipv6_address"), "2001:db8::3"); /* +1, +2 reserved */
	assert_string_equal(S(rec, "created_at"), "2026-03-01T12:00:00+00:00");
	assert_string_equal(S(rec, "expires_at"), "2026-03-31T12:00:00+00:00");
	assert_string_equal(S(rec, "owner_wallet"), OWNER);
	assert_string_equal(S(rec, "network_mode"), "broker");
	assert_string_equal(bh_vm_owner(rec), OWNER);
	assert_int_equal(json_integer_value(json_object_get(rec, "vmid")), 100);
	assert_true(json_is_false(json_object_get(rec, "nft_minted")));
	assert_true(json_is_null(json_object_get(rec, "suspended_at")));
	json_decref(rec);
	rec = get(c, "blockhost-001");
	assert_true(json_is_null(json_object_get(rec, "ip_address")));
	assert_int_equal(json_integer_value(json_object_get(rec, "vmid")), 101);
	json_decref(rec);

	/* list is sorted by name */
	assert_int_equal(bh_vmdb_list(c->db, &arr, &m), 0);
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(S(json_array_get(arr, 0), "vm_name"), "blockhost-001");
	json_decref(arr);

	/* duplicates, vmid range exhausted, bad input */
	struct bh_vm_spec s = { .name = "blockhost-001", .owner_wallet = OWNER,
				.network_mode = "broker", .vmid = -1 };
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), BH_ERR_EXISTS);
	assert_string_equal(m.text, "VM 'blockhost-001' already exists");
	s.name = "blockhost-003";
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), BH_ERR_EXHAUSTED);
	assert_non_null(strstr(m.text, "vmid_range exhausted"));
	s.vmid = 100;
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), BH_ERR_EXISTS);
	assert_non_null(strstr(m.text, "vmid 100 is already used by VM 'blockhost-002'"));
	s.vmid = 7;
	s.ip_address = "10.0.0.2";
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), BH_ERR_EXISTS);
	assert_string_equal(m.text, "ip_address 10.0.0.2 is already used by VM 'blockhost-002'");
	s.ip_address = "10.0.0.300";
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), BH_ERR_FORMAT);
	s.ip_address = NULL;
	s.ipv6_address = "2001:DB8:0::3"; /* same address, other spelling */
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), BH_ERR_EXISTS);
	s.ipv6_address = NULL;
	s.name = "../etc";
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), BH_ERR_FORMAT);
	s.name = "ok";
	s.owner_wallet = "0x123";
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), BH_ERR_FORMAT);
	s.owner_wallet = OWNER;
	s.network_mode = "";
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), BH_ERR_FORMAT);
	s.network_mode = "none";
	s.username = "Root";
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), BH_ERR_FORMAT);
	s.username = "user_1";
	s.expires_at = T0 + 5;
	json_t *out = NULL;
	assert_int_equal(bh_vmdb_register(c->db, &s, &out, &m), 0);
	assert_string_equal(S(out, "expires_at"), "2026-03-01T12:00:05+00:00");
	assert_int_equal(json_integer_value(json_object_get(out, "vmid")), 7);
	json_decref(out);
}

static void test_pools(void **state)
{
	struct ctx *c = *state;
	struct bh_msg m = { "" };
	char *ip = NULL;

	/* IPv4 pool .1-.4 with gateway .1: .2 .3 .4 */
	assert_int_equal(bh_vmdb_allocate_ip(c->db, AF_INET, &ip, &m), 0);
	assert_string_equal(ip, "10.0.0.2");
	free(ip);
	reg(c, "a", "auto", NULL);
	assert_int_equal(bh_vmdb_allocate_ip(c->db, AF_INET, &ip, &m), 0);
	assert_string_equal(ip, "10.0.0.4");
	free(ip);
	assert_int_equal(bh_vmdb_allocate_ip(c->db, AF_INET, &ip, &m), BH_ERR_EXHAUSTED);
	assert_string_equal(m.text, "ip_pool exhausted: no free address in .1-.4");
	/* release: in use, unknown, bad */
	assert_int_equal(bh_vmdb_release_ip(c->db, "10.0.0.3", &m), BH_ERR_STATE);
	assert_string_equal(m.text, "10.0.0.3 is in use by VM 'a'");
	assert_int_equal(bh_vmdb_release_ip(c->db, "10.0.0.9", &m), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_vmdb_release_ip(c->db, "nope", &m), BH_ERR_FORMAT);
	assert_int_equal(bh_vmdb_release_ip(c->db, "10.0.0.2", &m), 0);
	assert_int_equal(bh_vmdb_allocate_ip(c->db, AF_INET, &ip, &m), 0);
	assert_string_equal(ip, "10.0.0.2");
	free(ip);
	/* destroying a VM frees its address */
	assert_int_equal(bh_vmdb_mark_destroyed(c->db, "a", &m), 0);
	assert_int_equal(bh_vmdb_allocate_ip(c->db, AF_INET, &ip, &m), 0);
	assert_string_equal(ip, "10.0.0.3");
	free(ip);

	/* IPv6 pool +1..+4 with +1/+2 reserved: +3 +4 */
	assert_int_equal(bh_vmdb_allocate_ip(c->db, AF_INET6, &ip, &m), 0);
	assert_string_equal(ip, "2001:db8::3");
	free(ip);
	assert_int_equal(bh_vmdb_allocate_ip(c->db, AF_INET6, &ip, &m), 0);
	assert_string_equal(ip, "2001:db8::4");
	free(ip);
	assert_int_equal(bh_vmdb_allocate_ip(c->db, AF_INET6, &ip, &m), BH_ERR_EXHAUSTED);
	assert_int_equal(bh_vmdb_release_ip(c->db, "2001:db8:0:0::3", &m), 0);
	assert_int_equal(bh_vmdb_allocate_ip(c->db, AF_INET6, &ip, &m), 0);
	assert_string_equal(ip, "2001:db8::3");
	free(ip);
	assert_int_equal(bh_vmdb_allocate_ip(c->db, AF_UNIX, &ip, &m), -EAFNOSUPPORT);

	/* without pools */
	struct bh_vmdb *bare = NULL;
	assert_int_equal(bh_vmdb_open(NULL, c->path, &bare), 0);
	assert_int_equal(bh_vmdb_allocate_ip(bare, AF_INET, &ip, &m), BH_ERR_CONFIG);
	assert_string_equal(m.text, "no ip_pool configured in the db config");
	assert_int_equal(bh_vmdb_allocate_ip(bare, AF_INET6, &ip, &m), BH_ERR_CONFIG);
	bh_vmdb_free(bare);
}

static void test_lifecycle_and_gc(void **state)
{
	struct ctx *c = *state;
	struct bh_msg m = { "" };
	json_t *rec = NULL, *arr = NULL;

	reg(c, "v1", "auto", NULL);
	reg(c, "v2", NULL, NULL);
	/* nothing due before expiry; v1 due after */
	assert_int_equal(bh_vmdb_vms_to_suspend(c->db, T0 + 30 * DAY, &arr, &m), 0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	assert_int_equal(bh_vmdb_set_expiry(c->db, "v2", T0 + 90 * DAY, &rec, &m), 0);
	assert_string_equal(S(rec, "expires_at"), "2026-05-30T12:00:00+00:00");
	json_decref(rec);
	assert_int_equal(bh_vmdb_vms_to_suspend(c->db, T0 + 30 * DAY + 1, &arr, &m), 0);
	assert_int_equal(json_array_size(arr), 1);
	assert_string_equal(S(json_array_get(arr, 0), "vm_name"), "v1");
	json_decref(arr);

	bh_vmdb_set_now(c->db, T0 + 31 * DAY);
	assert_int_equal(bh_vmdb_mark_suspended(c->db, "v1", &m), 0);
	rec = get(c, "v1");
	assert_string_equal(S(rec, "status"), "suspended");
	assert_string_equal(S(rec, "suspended_at"), "2026-04-01T12:00:00+00:00");
	json_decref(rec);
	assert_int_equal(bh_vmdb_vms_to_suspend(c->db, T0 + 40 * DAY, &arr, &m), 0);
	assert_int_equal(json_array_size(arr), 0); /* suspended ones are not re-listed */
	json_decref(arr);
	assert_int_equal(bh_vmdb_vms_to_destroy(c->db, T0 + 38 * DAY, 7, &arr, &m), 0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
	assert_int_equal(bh_vmdb_vms_to_destroy(c->db, T0 + 38 * DAY + 1, 7, &arr, &m), 0);
	assert_int_equal(json_array_size(arr), 1);
	json_decref(arr);
	assert_int_equal(bh_vmdb_vms_to_destroy(c->db, 0, -1, &arr, &m), BH_ERR_RANGE);

	/* extension: absolute; upstream extend adds days */
	assert_int_equal(bh_vmdb_extend_expiry(c->db, "v1", 2, &rec, &m), 0);
	assert_string_equal(S(rec, "expires_at"), "2026-04-02T12:00:00+00:00");
	assert_string_equal(S(rec, "status"), "suspended"); /* caller resumes */
	json_decref(rec);
	assert_int_equal(bh_vmdb_extend_expiry(c->db, "v1", 0, &rec, &m), BH_ERR_RANGE);
	assert_int_equal(bh_vmdb_mark_active(c->db, "v1", T0 + 60 * DAY, &m), 0);
	rec = get(c, "v1");
	assert_string_equal(S(rec, "status"), "active");
	assert_true(json_is_null(json_object_get(rec, "suspended_at")));
	assert_string_equal(S(rec, "expires_at"), "2026-04-30T12:00:00+00:00");
	json_decref(rec);
	assert_int_equal(bh_vmdb_set_expiry(c->db, "v1", 0, &rec, &m), BH_ERR_RANGE);

	/* NFT */
	assert_int_equal(bh_vmdb_set_nft_minted(c->db, "v1", 42, &m), 0);
	rec = get(c, "v1");
	assert_int_equal(json_integer_value(json_object_get(rec, "nft_token_id")), 42);
	assert_true(json_is_true(json_object_get(rec, "nft_minted")));
	assert_string_equal(S(rec, "nft_minted_at"), "2026-04-01T12:00:00+00:00");
	json_decref(rec);
	assert_int_equal(bh_vmdb_set_nft_minted(c->db, "v1", -1, &m), BH_ERR_RANGE);

	/* destroy: idempotent, keeps first destroyed_at, no way back */
	assert_int_equal(bh_vmdb_mark_destroyed(c->db, "v1", &m), 0);
	bh_vmdb_set_now(c->db, T0 + 50 * DAY);
	assert_int_equal(bh_vmdb_mark_destroyed(c->db, "v1", &m), 0);
	rec = get(c, "v1");
	assert_string_equal(S(rec, "destroyed_at"), "2026-04-01T12:00:00+00:00");
	json_decref(rec);
	assert_int_equal(bh_vmdb_mark_active(c->db, "v1", 0, &m), BH_ERR_STATE);
	assert_string_equal(m.text, "VM 'v1' is destroyed and cannot be re-activated");
	assert_int_equal(bh_vmdb_mark_suspended(c->db, "v1", &m), BH_ERR_STATE);
	assert_int_equal(bh_vmdb_set_expiry(c->db, "v1", T0, NULL, &m), BH_ERR_STATE);
	assert_int_equal(bh_vmdb_extend_expiry(c->db, "v1", 1, NULL, &m), BH_ERR_STATE);

	/* delete */
	assert_int_equal(bh_vmdb_delete(c->db, "v2", &m), 0);
	assert_int_equal(bh_vmdb_get(c->db, "v2", &rec, &m), BH_ERR_NOT_FOUND);
	/* unknown VM everywhere */
	assert_int_equal(bh_vmdb_mark_active(c->db, "zz", 0, &m), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_vmdb_mark_suspended(c->db, "zz", &m), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_vmdb_mark_destroyed(c->db, "zz", &m), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_vmdb_delete(c->db, "zz", &m), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_vmdb_set_nft_minted(c->db, "zz", 1, &m), BH_ERR_NOT_FOUND);
	assert_string_equal(m.text, "VM 'zz' not found");
	assert_int_equal(bh_vmdb_get(c->db, "bad/name", &rec, &m), BH_ERR_FORMAT);
}

static void test_update_fields(void **state)
{
	struct ctx *c = *state;
	struct bh_msg m = { "" };
	json_t *rec, *f;
	char before[8192];
	struct bh_buf b;

	reg(c, "u", NULL, NULL);
	f = json_pack("{s:b,s:s,s:{s:i}}", "gecos_synced", 1, "owner_wallet", OWNER2, "extra",
		      "k", 1);
	assert_int_equal(bh_vmdb_update_fields(c->db, "u", f, &m), 0);
	json_decref(f);
	rec = get(c, "u");
	assert_true(json_is_true(json_object_get(rec, "gecos_synced")));
	assert_string_equal(bh_vm_owner(rec), OWNER2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rec, "extra"), "k")), 1);
	json_decref(rec);

	/* snapshot the file: refused updates must not change a byte */
	bh_buf_init(&b, sizeof(before));
	assert_int_equal(bh_buf_load_file(&b, c->path), 0);
	size_t blen = bh_buf_len(&b);
	memcpy(before, bh_buf_ptr(&b), blen);
	bh_buf_done(&b);

	/* the library stays strict (BH_ERR_DENIED) for every key upstream.md §3.5 reserves;
	 * the CLI skips these keys instead (blockhost-vmdb.c, docs/vmdb.md) */
	static const char *reserved[] = { "vm_name", "vmid", "status", "created_at",
					  "expires_at", "suspended_at", "destroyed_at",
					  "ip_address", "ipv6_address", "nft_token_id",
					  "nft_minted", "nft_minted_at", "network_mode" };
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		f = json_pack("{s:i,s:s}", "fine", 1, reserved[i], "x");
		assert_int_equal(bh_vmdb_update_fields(c->db, "u", f, &m), BH_ERR_DENIED);
		char want[128];
		snprintf(want, sizeof(want), "field '%s' is reserved and cannot be updated",
			 reserved[i]);
		assert_string_equal(m.text, want);
		json_decref(f);
	}
	f = json_pack("{s:i}", "bad key", 1);
	assert_int_equal(bh_vmdb_update_fields(c->db, "u", f, &m), BH_ERR_FORMAT);
	json_decref(f);
	f = json_pack("{s:s}", "owner_wallet", "not-an-address");
	assert_int_equal(bh_vmdb_update_fields(c->db, "u", f, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "vms.u.owner_wallet"));
	json_decref(f);
	f = json_pack("{s:i}", "gecos_synced", 3);
	assert_int_equal(bh_vmdb_update_fields(c->db, "u", f, &m), BH_ERR_WRONG_TYPE);
	json_decref(f);
	/* register's checks hold through update_fields too (tests/hostile_vmdb.tsv) */
	f = json_pack("{s:i,s:s}", "fine", 1, "username", "Root");
	assert_int_equal(bh_vmdb_update_fields(c->db, "u", f, &m), BH_ERR_FORMAT);
	assert_string_equal(m.text, "username: expected ^[a-z_][a-z0-9_-]{0,31}$");
	json_decref(f);
	char longp[258];
	memset(longp, 'p', 257);
	longp[257] = 0;
	f = json_pack("{s:s}", "purpose", longp);
	assert_int_equal(bh_vmdb_update_fields(c->db, "u", f, &m), BH_ERR_LIMIT);
	assert_string_equal(m.text, "purpose: longer than 256 bytes");
	json_decref(f);
	f = json_pack("[i]", 1);
	assert_int_equal(bh_vmdb_update_fields(c->db, "u", f, &m), BH_ERR_WRONG_TYPE);
	json_decref(f);
	f = json_object();
	assert_int_equal(bh_vmdb_update_fields(c->db, "nope", f, &m), BH_ERR_NOT_FOUND);
	json_decref(f);

	bh_buf_init(&b, sizeof(before));
	assert_int_equal(bh_buf_load_file(&b, c->path), 0);
	assert_int_equal(bh_buf_len(&b), blen);
	assert_memory_equal(bh_buf_ptr(&b), before, blen);
	bh_buf_done(&b);
}

static void test_legacy_file_kept(void **state)
{
	struct ctx *c = *state;
	struct bh_msg m = { "" };
	json_t *rec;

	/* an upstream-written file: Z and fractional timestamps, wallet_address, extra keys */
	write_db(c, "{\"vms\":{\"blockhost-001\":{\"vm_name\":\"blockhost-001\",\"vmid\":0,"
		    "\"ip_address\":\"10.0.0.2\",\"ipv6_address\":\"\",\"expires_at\":"
		    "\"2026-03-01T12:00:00.123456+00:00\",\"owner\":\"admin\",\"status\":\"active\","
		    "\"created_at\":\"2026-02-01T12:00:00Z\",\"purpose\":\"\",\"wallet_address\":"
		    "\"" OWNER2 "\",\"username\":\"u\",\"network_mode\":\"broker\",\"custom\":[1]}},"
		    "\"next_vmid\":0,\"allocated_ips\":[\"10.0.0.2\"],\"allocated_ipv6\":[],"
		    "\"reserved_nft_tokens\":{\"5\":{\"x\":1}}}");
	rec = get(c, "blockhost-001");
	assert_string_equal(bh_vm_owner(rec), OWNER2);
	int64_t t;
	assert_int_equal(bh_vm_time(rec, "expires_at", &t), 0);
	assert_true(t == T0);
	assert_int_equal(bh_vm_time(rec, "suspended_at", &t), BH_ERR_NOT_FOUND);
	json_decref(rec);
	assert_int_equal(bh_vmdb_mark_suspended(c->db, "blockhost-001", &m), 0);

	json_t *root = json_load_file(c->path, 0, NULL);
	assert_non_null(root);
	assert_non_null(json_object_get(json_object_get(root, "reserved_nft_tokens"), "5"));
	rec = json_object_get(json_object_get(root, "vms"), "blockhost-001");
	assert_string_equal(S(rec, "expires_at"), "2026-03-01T12:00:00.123456+00:00");
	assert_non_null(json_object_get(rec, "custom"));
	assert_string_equal(S(rec, "owner"), "admin");
	/* the next free address skips the legacy allocation */
	json_decref(root);
	char *ip = NULL;
	assert_int_equal(bh_vmdb_allocate_ip(c->db, AF_INET, &ip, &m), 0);
	assert_string_equal(ip, "10.0.0.3");
	free(ip);
}

static void expect_corrupt(struct ctx *c, const char *text, int code, const char *needle)
{
	struct bh_msg m = { "" };
	json_t *arr = NULL;

	write_db(c, text);
	int r = bh_vmdb_list(c->db, &arr, &m);
	if (r != code)
		fail_msg("%s: got %d (%s), want %d", text, r, m.text, code);
	if (needle && !strstr(m.text, needle))
		fail_msg("%s: message '%s' lacks '%s'", text, m.text, needle);
	/* writers refuse too, and leave the file as it was */
	struct bh_vm_spec s = { .name = "x", .owner_wallet = OWNER, .network_mode = "none" };
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), code);
	json_decref(arr);
}

static void test_corrupt_files(void **state)
{
	struct ctx *c = *state;

	expect_corrupt(c, "", BH_ERR_FORMAT, "vms.json: line");
	expect_corrupt(c, "{\"vms\":{", BH_ERR_FORMAT, NULL);
	expect_corrupt(c, "[]", BH_ERR_FORMAT, "top level must be an object");
	expect_corrupt(c, "{\"vms\":{},\"vms\":{}}", BH_ERR_DUPLICATE, "duplicate");
	expect_corrupt(c, "{\"vms\":[]}", BH_ERR_WRONG_TYPE, "vms: expected object, got array");
	expect_corrupt(c, "{\"vms\":{},\"next_vmid\":\"1\"}", BH_ERR_WRONG_TYPE, "next_vmid");
	expect_corrupt(c, "{\"vms\":{},\"allocated_ips\":[\"::1\"]}", BH_ERR_FORMAT,
		       "allocated_ips[0]: expected IPv4 address");
	expect_corrupt(c, "{\"vms\":{},\"allocated_ipv6\":{}}", BH_ERR_WRONG_TYPE, NULL);
	expect_corrupt(c, "{\"vms\":{\"a b\":{}}}", BH_ERR_FORMAT, "not a valid VM name");
	expect_corrupt(c, "{\"vms\":{\"a\":[]}}", BH_ERR_WRONG_TYPE, "vms.a: expected object");
	expect_corrupt(c, "{\"vms\":{\"a\":{\"expires_at\":\"2026-03-01T12:00:00Z\"}}}",
		       BH_ERR_MISSING_KEY, "vms.a.status: required key missing");
	expect_corrupt(c, "{\"vms\":{\"a\":{\"status\":\"gone\",\"expires_at\":"
			  "\"2026-03-01T12:00:00Z\"}}}", BH_ERR_FORMAT, "vms.a.status");
	expect_corrupt(c, "{\"vms\":{\"a\":{\"status\":\"active\",\"expires_at\":5}}}",
		       BH_ERR_FORMAT, "vms.a.expires_at: expected ISO 8601 timestamp");
	expect_corrupt(c, "{\"vms\":{\"a\":{\"status\":\"active\"}}}", BH_ERR_MISSING_KEY,
		       "vms.a.expires_at");
	expect_corrupt(c, "{\"vms\":{\"a\":{\"status\":\"active\",\"expires_at\":"
			  "\"2026-03-01T12:00:00Z\",\"vm_name\":\"b\"}}}", BH_ERR_MISMATCH,
		       "vms.a.vm_name");
	expect_corrupt(c, "{\"vms\":{\"a\":{\"status\":\"active\",\"expires_at\":"
			  "\"2026-03-01T12:00:00Z\",\"ip_address\":\"300.1.1.1\"}}}", BH_ERR_FORMAT,
		       "vms.a.ip_address");
	expect_corrupt(c, "{\"vms\":{\"a\":{\"status\":\"active\",\"expires_at\":"
			  "\"2026-03-01T12:00:00Z\",\"nft_minted\":\"yes\"}}}", BH_ERR_WRONG_TYPE,
		       "vms.a.nft_minted: expected boolean, got string");
	expect_corrupt(c, "{\"vms\":{\"a\":{\"status\":\"active\",\"expires_at\":"
			  "\"2026-03-01T12:00:00Z\",\"suspended_at\":\"yesterday\"}}}", BH_ERR_FORMAT,
		       "vms.a.suspended_at");
	expect_corrupt(c, "{\"vms\":{\"a\":{\"status\":\"active\",\"expires_at\":"
			  "\"2026-03-01T12:00:00Z\",\"nft_token_id\":-1}}}", BH_ERR_WRONG_TYPE,
		       "vms.a.nft_token_id");
	expect_corrupt(c, "{\"vms\":{\"a\":{\"status\":\"active\",\"expires_at\":"
			  "\"2026-03-01T12:00:00Z\",\"owner_wallet\":\"0x12\"}}}", BH_ERR_FORMAT,
		       "vms.a.owner_wallet");
}

static void test_unsafe_files(void **state)
{
	struct ctx *c = *state;
	struct bh_msg m = { "" };
	json_t *arr = NULL;
	char target[160], lock[160];

	/* symlinked vms.json: refused for reading and writing; the target is untouched */
	snprintf(target, sizeof(target), "%s/elsewhere.json", c->dir);
	assert_int_equal(bh_atomic_write(target, "{\"vms\":{}}", 10, 0600), 0);
	assert_int_equal(symlink(target, c->path), 0);
	assert_int_equal(bh_vmdb_list(c->db, &arr, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "vms.json: is a symbolic link"));
	struct bh_vm_spec s = { .name = "x", .owner_wallet = OWNER, .network_mode = "none" };
	assert_int_equal(bh_vmdb_register(c->db, &s, NULL, &m), BH_ERR_UNSAFE_FILE);
	struct bh_buf b;
	bh_buf_init(&b, 64);
	assert_int_equal(bh_buf_load_file(&b, target), 0);
	assert_int_equal(bh_buf_len(&b), 10);
	bh_buf_done(&b);
	unlink(c->path);

	/* world-writable */
	assert_int_equal(bh_atomic_write(c->path, "{\"vms\":{}}", 10, 0646), 0);
	assert_int_equal(bh_vmdb_list(c->db, &arr, &m), BH_ERR_UNSAFE_FILE);
	assert_int_equal(chmod(c->path, 0640), 0);
	assert_int_equal(bh_vmdb_list(c->db, &arr, &m), 0);
	json_decref(arr);
	unlink(c->path);

	/* a directory in its place */
	assert_int_equal(mkdir(c->path, 0700), 0);
	assert_int_equal(bh_vmdb_list(c->db, &arr, &m), BH_ERR_UNSAFE_FILE);
	rmdir(c->path);

	/* symlinked lock file */
	snprintf(lock, sizeof(lock), "%s.lock", c->path);
	unlink(lock); /* created by the calls above */
	assert_int_equal(symlink(target, lock), 0);
	assert_int_equal(bh_vmdb_list(c->db, &arr, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "cannot lock"));
	unlink(lock);

	/* too large */
	size_t n = BH_VMDB_MAX_SIZE + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	assert_int_equal(bh_atomic_write(c->path, big, n, 0640), 0);
	free(big);
	assert_int_equal(bh_vmdb_list(c->db, &arr, &m), BH_ERR_LIMIT);
	assert_non_null(strstr(m.text, "too large"));
	assert_int_equal(bh_vmdb_parse("{}", BH_VMDB_MAX_SIZE + 1, NULL, &arr, &m), BH_ERR_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test_setup_teardown(test_register_get_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pools, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle_and_gc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_file_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsafe_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

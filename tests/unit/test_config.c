/* SPDX-License-Identifier: MIT */
/* Unit tests: JSON config parsing, the schema checker, db.json loading. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/atomicio.h"
#include "host/config.h"
#include "core/err.h"
#include "core/strutil.h"

static json_t *P(const char *s)
{
	json_t *j = NULL;
	struct bh_msg m = { "" };
	int r = bh_config_parse(s, strlen(s), "t.json", &j, &m);
	if (r < 0)
		fail_msg("parse failed: %s", m.text);
	return j;
}

static void test_parse_errors(void **state)
{
	(void)state;
	struct bh_msg m = { "" };
	json_t *j = NULL;

	assert_int_equal(bh_config_parse("{\"a\":1,\"a\":2}", 13, "d.json", &j, &m),
			 BH_ERR_DUPLICATE);
	assert_non_null(strstr(m.text, "d.json"));
	assert_non_null(strstr(m.text, "duplicate"));
	/* duplicate in a nested object too */
	const char *nd = "{\"x\":{\"k\":1,\"k\":1}}";
	assert_int_equal(bh_config_parse(nd, strlen(nd), "d.json", &j, &m), BH_ERR_DUPLICATE);
	assert_int_equal(bh_config_parse("[1,2]", 5, "a.json", &j, &m), BH_ERR_FORMAT);
	assert_string_equal(m.text, "a.json: top level must be an object, got array");
	assert_int_equal(bh_config_parse("{\"a\":", 5, "c.json", &j, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "c.json: line 1"));
	assert_int_equal(bh_config_parse("", 0, "e.json", &j, &m), BH_ERR_FORMAT);
	assert_int_equal(bh_config_parse("{} x", 4, "e.json", &j, &m), BH_ERR_FORMAT);
	/* NUL inside a string is refused by jansson's default */
	assert_int_equal(bh_config_parse("{\"a\":\"\\u0000\"}", 14, "n.json", &j, &m),
			 BH_ERR_FORMAT);
	/* integer overflow */
	const char *big = "{\"a\": 99999999999999999999999}";
	assert_int_equal(bh_config_parse(big, strlen(big), "b.json", &j, &m), BH_ERR_FORMAT);
	assert_int_equal(bh_config_parse("{}", BH_CONFIG_MAX_SIZE + 1, "big.json", &j, &m),
			 BH_ERR_LIMIT);
	assert_null(j);
}

static const struct bh_cfg_key schema[] = {
	{ "name", BH_CFG_STRING, true, 0, 0, 8 },
	{ "port", BH_CFG_INT, false, 1, 65535, 0 },
	{ "on", BH_CFG_BOOL, false, 0, 0, 0 },
	{ "pool", BH_CFG_OBJECT, false, 0, 0, 0 },
	{ "pool.start", BH_CFG_INT, true, 0, 0, 0 },
	{ "list", BH_CFG_ARRAY | BH_CFG_NULL_OK, false, 0, 0, 0 },
	{ "wallet", BH_CFG_EVM_ADDRESS, false, 0, 0, 0 },
	{ "ip", BH_CFG_IP, false, 0, 0, 0 },
	{ "net", BH_CFG_CIDR, false, 0, 0, 0 },
	{ "dir", BH_CFG_PATH, false, 0, 0, 0 },
	{ "either", BH_CFG_INT | BH_CFG_IP, false, 0, 0, 0 },
};
#define NS (sizeof(schema) / sizeof(schema[0]))

static void expect(const char *doc, int code, const char *text)
{
	struct bh_msg m = { "" };
	json_t *j = P(doc);
	int r = bh_config_check(j, schema, NS, "/etc/blockhost/x.json", &m);
	json_decref(j);
	if (r != code)
		fail_msg("doc %s: got %d (%s), want %d", doc, r, m.text, code);
	if (text && strcmp(m.text, text) != 0)
		fail_msg("doc %s: message '%s', want '%s'", doc, m.text, text);
}

static void test_schema(void **state)
{
	(void)state;
	expect("{\"name\":\"a\",\"pool\":{\"start\":1}}", 0, NULL);
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"port\":22,\"on\":true,\"list\":null,"
	       "\"wallet\":\"0x00000000000000000000000000000000000000aA\",\"ip\":\"::1\","
	       "\"net\":\"10.0.0.0/8\",\"dir\":\"/var/lib/x\",\"either\":\"10.0.0.1\"}",
	       0, NULL);
	expect("{\"pool\":{\"start\":1}}", BH_ERR_MISSING_KEY,
	       "/etc/blockhost/x.json: key 'name': required key missing");
	expect("{\"name\":\"a\",\"pool\":{}}", BH_ERR_MISSING_KEY,
	       "/etc/blockhost/x.json: key 'pool.start': required key missing");
	/* a missing optional parent: its required children are not demanded */
	expect("{\"name\":\"a\"}", 0, NULL);
	expect("{\"name\":\"a\",\"pool\":{\"start\":\"5\"}}", BH_ERR_WRONG_TYPE,
	       "/etc/blockhost/x.json: key 'pool.start': expected integer, got string");
	expect("{\"name\":5,\"pool\":{\"start\":1}}", BH_ERR_WRONG_TYPE,
	       "/etc/blockhost/x.json: key 'name': expected string, got integer");
	expect("{\"name\":\"a\",\"pool\":[],\"x\":1}", BH_ERR_WRONG_TYPE,
	       "/etc/blockhost/x.json: key 'pool': expected object, got array");
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"port\":0}", BH_ERR_RANGE,
	       "/etc/blockhost/x.json: key 'port': 0 is out of range 1..65535");
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"port\":1.5}", BH_ERR_WRONG_TYPE,
	       "/etc/blockhost/x.json: key 'port': expected integer, got number");
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"on\":\"yes\"}", BH_ERR_WRONG_TYPE,
	       "/etc/blockhost/x.json: key 'on': expected boolean, got string");
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"port\":null}", BH_ERR_WRONG_TYPE,
	       "/etc/blockhost/x.json: key 'port': expected integer, got null");
	expect("{\"name\":\"toolongname\",\"pool\":{\"start\":1}}", BH_ERR_LIMIT,
	       "/etc/blockhost/x.json: key 'name': string longer than 8 bytes");
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"wallet\":\"0x1234\"}", BH_ERR_FORMAT,
	       "/etc/blockhost/x.json: key 'wallet': expected EVM address (0x + 40 hex), got an "
	       "invalid string");
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"ip\":\"1.2.3\"}", BH_ERR_FORMAT, NULL);
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"net\":\"10.0.0.0/33\"}", BH_ERR_FORMAT, NULL);
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"net\":\"10.0.0.0\"}", BH_ERR_FORMAT, NULL);
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"net\":\"::/129\"}", BH_ERR_FORMAT, NULL);
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"net\":\"::/-1\"}", BH_ERR_FORMAT, NULL);
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"dir\":\"rel/x\"}", BH_ERR_FORMAT, NULL);
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"dir\":\"/a/../etc\"}", BH_ERR_FORMAT, NULL);
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"either\":true}", BH_ERR_WRONG_TYPE,
	       "/etc/blockhost/x.json: key 'either': expected integer or IP address, got boolean");
	expect("{\"name\":\"a\",\"pool\":{\"start\":1},\"either\":\"x\"}", BH_ERR_FORMAT,
	       "/etc/blockhost/x.json: key 'either': expected integer or IP address, got an "
	       "invalid string");
}

static void test_get(void **state)
{
	(void)state;
	json_t *j = P("{\"a\":{\"b\":{\"c\":3},\"n\":null},\"s\":\"x\"}");

	assert_int_equal(json_integer_value(bh_config_get(j, "a.b.c")), 3);
	assert_null(bh_config_get(j, "a.b.d"));
	assert_null(bh_config_get(j, "a.n"));        /* null reads as absent */
	assert_null(bh_config_get(j, "s.x"));        /* through a non-object */
	assert_null(bh_config_get(j, "a..b"));
	assert_null(bh_config_get(NULL, "a"));
	assert_string_equal(json_string_value(bh_config_get(j, "s")), "x");
	json_decref(j);
}

static void test_validators(void **state)
{
	(void)state;
	assert_true(bh_name_valid("blockhost-001", BH_NAME_VM));
	assert_true(bh_name_valid("a", BH_NAME_VM));
	assert_true(bh_name_valid("A1._-", BH_NAME_VM));
	assert_false(bh_name_valid("", BH_NAME_VM));
	assert_false(bh_name_valid("-a", BH_NAME_VM));
	assert_false(bh_name_valid(".a", BH_NAME_VM));
	assert_false(bh_name_valid("a/b", BH_NAME_VM));
	assert_false(bh_name_valid("a b", BH_NAME_VM));
	assert_false(bh_name_valid(NULL, BH_NAME_VM));
	char n[80];
	memset(n, 'a', sizeof(n));
	n[64] = '\0';
	assert_true(bh_name_valid(n, BH_NAME_VM));
	n[64] = 'a';
	n[65] = '\0';
	assert_false(bh_name_valid(n, BH_NAME_VM));
	assert_true(bh_is_evm_address("0xdeadbeefdeadbeefdeadbeefdeadbeefDEADBEEF"));
	assert_false(bh_is_evm_address("0xdeadbeefdeadbeefdeadbeefdeadbeefDEADBEE"));
	assert_false(bh_is_evm_address("0xdeadbeefdeadbeefdeadbeefdeadbeefDEADBEEF0"));
	assert_false(bh_is_evm_address("0Xdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef"));
	assert_false(bh_is_evm_address("0xgeadbeefdeadbeefdeadbeefdeadbeefdeadbeef"));
	assert_false(bh_is_evm_address(NULL));
}

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(bh_atomic_write(p, text, strlen(text), 0640), 0);
}

static int load_db(const char *name, struct bh_db_config *c, struct bh_msg *m)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return bh_db_config_load(p, c, m);
}

static void test_db_config(void **state)
{
	(void)state;
	struct bh_db_config c;
	struct bh_msg m = { "" };
	char buf[64], want[128];

	strcpy(dir, "/tmp/bhcfgXXXXXX");
	assert_non_null(mkdtemp(dir));
	setenv("BLOCKHOST_ROOT", "/tmp/rootprefix", 1);

	write_file("db.json",
		   "{\"db_file\":\"/var/lib/blockhost/vms.json\",\"bridge\":\"br0\","
		   "\"ip_pool\":{\"network\":\"192.168.122.0/24\",\"start\":200,"
		   "\"end\":\"192.168.122.250\",\"gateway\":\"192.168.122.1\"},"
		   "\"ipv6_pool\":{\"prefix\":\"2001:db8:0:1::77/64\",\"start\":3,\"end\":100},"
		   "\"default_expiry_days\":30,\"gc_grace_days\":3,\"storage_path\":\"/var/lib/x\","
		   "\"vmid_pool\":{\"start\":100,\"end\":999},\"fields\":{},\"unknown\":[1]}");
	if (load_db("db.json", &c, &m) < 0)
		fail_msg("%s", m.text);
	assert_string_equal(c.db_file, "/tmp/rootprefix/var/lib/blockhost/vms.json");
	assert_string_equal(c.storage_path, "/tmp/rootprefix/var/lib/x");
	assert_string_equal(c.bridge, "br0");
	assert_null(c.terraform_dir);
	assert_true(c.has_ip_pool);
	assert_string_equal(inet_ntop(AF_INET, &c.ip_pool.network, buf, sizeof(buf)),
			    "192.168.122.0");
	assert_int_equal(c.ip_pool.start, 200);
	assert_int_equal(c.ip_pool.end, 250);
	assert_true(c.ip_pool.has_gateway);
	assert_true(c.has_ipv6_pool);
	assert_string_equal(inet_ntop(AF_INET6, &c.ipv6_pool.prefix, buf, sizeof(buf)),
			    "2001:db8:0:1::");
	assert_int_equal(c.ipv6_pool.prefix_len, 64);
	assert_int_equal(c.ipv6_pool.start, 3);
	assert_int_equal(c.ipv6_pool.end, 100);
	assert_int_equal(c.gc_grace_days, 3);
	assert_true(c.has_vmid_range);
	assert_int_equal(c.vmid_range.start, 100);
	assert_int_equal(c.vmid_range.end, 999);
	bh_db_config_done(&c);
	bh_db_config_done(&c); /* idempotent */
	bh_db_config_done(NULL);

	/* defaults from an empty object */
	write_file("empty.json", "{}");
	assert_int_equal(load_db("empty.json", &c, &m), 0);
	assert_string_equal(c.db_file, "/tmp/rootprefix/var/lib/blockhost/vms.json");
	assert_int_equal(c.default_expiry_days, 30);
	assert_int_equal(c.gc_grace_days, 7);
	assert_false(c.has_ip_pool);
	assert_false(c.has_ipv6_pool);
	assert_false(c.has_vmid_range);
	bh_db_config_done(&c);

	/* upstream's rewritten ipv6_pool without a prefix: start/end defaults, no pool */
	write_file("v6.json", "{\"ipv6_pool\":{\"start\":2,\"end\":254}}");
	assert_int_equal(load_db("v6.json", &c, &m), 0);
	assert_false(c.has_ipv6_pool);
	bh_db_config_done(&c);

	static const struct {
		const char *doc;
		int code;
		const char *msg_tail;
	} bad[] = {
		{ "{\"ip_pool\":{\"network\":\"10.0.0.0/24\",\"start\":\"x\",\"end\":9}}",
		  BH_ERR_FORMAT, "key 'ip_pool.start': expected integer or IP address, got an "
				 "invalid string" },
		{ "{\"ip_pool\":{\"network\":\"10.0.0.0/24\",\"start\":true,\"end\":9}}",
		  BH_ERR_WRONG_TYPE, "key 'ip_pool.start': expected integer or IP address, got "
				     "boolean" },
		{ "{\"ip_pool\":{\"network\":\"10.0.0.0/24\",\"end\":9}}", BH_ERR_MISSING_KEY,
		  "key 'ip_pool.start': required key missing" },
		{ "{\"ip_pool\":{\"network\":\"10.0.0.0/16\",\"start\":2,\"end\":9}}",
		  BH_ERR_CONFIG, "key 'ip_pool.network': must be an IPv4 /24 network (a.b.c.0/24)" },
		{ "{\"ip_pool\":{\"network\":\"fd00::/24\",\"start\":2,\"end\":9}}",
		  BH_ERR_CONFIG, "key 'ip_pool.network': must be an IPv4 /24 network (a.b.c.0/24)" },
		{ "{\"ip_pool\":{\"network\":\"10.0.0.0/24\",\"start\":0,\"end\":9}}",
		  BH_ERR_RANGE, "key 'ip_pool.start': 0 is out of range 1..254" },
		{ "{\"ip_pool\":{\"network\":\"10.0.0.0/24\",\"start\":9,\"end\":2}}",
		  BH_ERR_RANGE, "key 'ip_pool.start': 9 is after ip_pool.end 2" },
		{ "{\"ip_pool\":{\"network\":\"10.0.0.0/24\",\"start\":\"10.0.1.5\",\"end\":9}}",
		  BH_ERR_RANGE, "key 'ip_pool.start': address is not a host inside ip_pool.network" },
		{ "{\"ip_pool\":{\"network\":\"10.0.0.0/24\",\"start\":2,\"end\":9,\"gateway\":"
		  "\"::1\"}}",
		  BH_ERR_FORMAT, "key 'ip_pool.gateway': expected IPv4 address" },
		{ "{\"ipv6_pool\":{\"prefix\":\"10.0.0.0/8\"}}", BH_ERR_CONFIG,
		  "key 'ipv6_pool.prefix': must be an IPv6 network (e.g. 2001:db8::/64), prefix "
		  "length <= 126" },
		{ "{\"ipv6_pool\":{\"prefix\":\"fd00::/120\",\"end\":300}}", BH_ERR_RANGE,
		  "key 'ipv6_pool.end': 300 does not fit in a /120" },
		{ "{\"default_expiry_days\":0}", BH_ERR_RANGE,
		  "key 'default_expiry_days': 0 is out of range 1..36500" },
		{ "{\"db_file\":\"vms.json\"}", BH_ERR_FORMAT,
		  "key 'db_file': expected absolute path, got an invalid string" },
		{ "{\"bridge\":\"a-very-long-bridge-name\"}", BH_ERR_LIMIT,
		  "key 'bridge': string longer than 15 bytes" },
		{ "{\"vmid_range\":{\"start\":5}}", BH_ERR_MISSING_KEY,
		  "key 'vmid_range.end': required key missing" },
		{ "{\"vmid_range\":{\"start\":5,\"end\":1}}", BH_ERR_RANGE,
		  "key 'vmid_range': start is after end" },
		{ "{\"gc_grace_days\":\"7\"}", BH_ERR_WRONG_TYPE,
		  "key 'gc_grace_days': expected integer, got string" },
		{ "{\"a\":1,\"a\":1}", BH_ERR_DUPLICATE, NULL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file("bad.json", bad[i].doc);
		m.text[0] = '\0';
		int r = load_db("bad.json", &c, &m);
		if (r != bad[i].code)
			fail_msg("%s: got %d (%s), want %d", bad[i].doc, r, m.text, bad[i].code);
		snprintf(want, sizeof(want), "%s/bad.json: ", dir);
		assert_memory_equal(m.text, want, strlen(want)); /* the file is named */
		if (bad[i].msg_tail && strcmp(m.text + strlen(want), bad[i].msg_tail) != 0)
			fail_msg("%s: message '%s', want '%s'", bad[i].doc, m.text, bad[i].msg_tail);
	}

	/* files: symlink refused, missing passes -ENOENT, too large refused */
	char p[256], l[256];
	snprintf(p, sizeof(p), "%s/db.json", dir);
	snprintf(l, sizeof(l), "%s/link.json", dir);
	assert_int_equal(symlink(p, l), 0);
	assert_int_equal(load_db("link.json", &c, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "link.json"));
	assert_int_equal(load_db("nope.json", &c, &m), -ENOENT);
	write_file("ww.json", "{}");
	snprintf(p, sizeof(p), "%s/ww.json", dir);
	assert_int_equal(chmod(p, 0602), 0);
	assert_int_equal(load_db("ww.json", &c, &m), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(m.text, "ww.json: mode 0602 is world-writable"));
	char *big = malloc(BH_CONFIG_MAX_SIZE + 2);
	memset(big, ' ', BH_CONFIG_MAX_SIZE + 1);
	big[0] = '{';
	big[BH_CONFIG_MAX_SIZE] = '}';
	big[BH_CONFIG_MAX_SIZE + 1] = '\0';
	write_file("big.json", big);
	free(big);
	assert_int_equal(load_db("big.json", &c, &m), BH_ERR_LIMIT);
	assert_non_null(strstr(m.text, "too large"));

	/* NULL path: <root>/etc/blockhost/db.json */
	assert_int_equal(bh_db_config_load(NULL, &c, &m), -ENOENT);
	assert_non_null(strstr(m.text, "/tmp/rootprefix/etc/blockhost/db.json"));

	unsetenv("BLOCKHOST_ROOT");
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_db_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

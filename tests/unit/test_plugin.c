/* SPDX-License-Identifier: MIT */
/* Unit tests: plugin manifest parser, schema validator, signatures, sealed load/run. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hex.h"
#include "../../src/agent/plugin.h"
#include "../../src/agent/request.h"

#define T_NULL_FOR_TEST 0x01 /* the record's null tag (request.h) */
#define SHA "0000000000000000000000000000000000000000000000000000000000000000"
#define HEAD0 "{\"format\":1,\"namespace\":\"blockhost-plugin-v1\",\"action\":\"t\",\"version\":1," \
	     "\"sha256\":\"" SHA "\",\"capabilities\":[],\"timeout_ms\":1000,\"output_max\":100," \
	     "\"input\":\"stdin-json\","
#define HEAD HEAD0 "\"run_as\":\"plugin\","
#define GOOD HEAD "\"params\":{\"port\":{\"type\":\"int\",\"required\":true,\"min\":1,\"max\":65535}," \
	"\"proto\":{\"type\":\"string\",\"pattern\":\"^(tcp|udp)$\"},\"on\":{\"type\":\"bool\"}," \
	"\"list\":{\"type\":\"string-array\",\"max_items\":2,\"max_len\":3}," \
	"\"path\":{\"type\":\"string\",\"path_prefix\":\"/var/lib/blockhost/\"}}}"

static int parse(const char *s, struct bh_plugin_manifest **m, struct bh_msg *msg)
{
	return bh_plugin_manifest_parse((const uint8_t *)s, strlen(s), m, msg);
}

static void test_manifest_good(void **state)
{
	(void)state;
	struct bh_plugin_manifest *m = NULL;
	struct bh_msg msg = { "" };

	assert_int_equal(parse(GOOD, &m, &msg), 0);
	assert_string_equal(m->action, "t");
	assert_int_equal(m->version, 1);
	assert_int_equal(m->n_params, 5);
	assert_int_equal(m->timeout_ms, 1000);
	assert_int_equal(m->caps, 0);
	assert_int_equal(m->run_as, BH_PLUGIN_RUN_USER);
	assert_string_equal(m->root_equivalent, "");
	bh_plugin_manifest_free(m);
	bh_plugin_manifest_free(NULL);
	/* run_as is required (no implicit rule); uid 0 or a root-equivalent capability
	 * needs a signed "root_equivalent" reason, and a reason needs one of them */
#define RE "\"root_equivalent\":\"test: needs root\","
	static const struct { const char *extra, *caps; int r; enum bh_plugin_run_as want; } ra[] = {
		{ "\"run_as\":\"root\"," RE, "[]", 0, BH_PLUGIN_RUN_ROOT },
		{ "\"run_as\":\"plugin\",", "[\"net_admin\"]", 0, BH_PLUGIN_RUN_USER },
		{ "", "[\"setuid\"]", BH_ERR_MISSING_KEY, 0 },
		{ "", "[]", BH_ERR_MISSING_KEY, 0 },
		{ "\"run_as\":\"plugin\",", "[\"setuid\"]", BH_ERR_CONFIG, 0 },
		{ "\"run_as\":\"plugin\"," RE, "[\"setuid\"]", 0, BH_PLUGIN_RUN_USER },
		{ "\"run_as\":\"plugin\"," RE, "[\"chown\",\"net_admin\"]", 0, BH_PLUGIN_RUN_USER },
		{ "\"run_as\":\"root\",", "[]", BH_ERR_CONFIG, 0 },
		{ "\"run_as\":\"plugin\"," RE, "[\"net_admin\"]", BH_ERR_CONFIG, 0 },
		{ "\"run_as\":\"root\",\"root_equivalent\":\"short\",", "[]", BH_ERR_FORMAT, 0 },
		{ "\"run_as\":\"root\",\"root_equivalent\":\"bad\\nnewline\",", "[]", BH_ERR_FORMAT, 0 },
		/* the agent's libvirt user: like the plugin user, not root-equivalent */
		{ "\"run_as\":\"libvirt\",", "[]", 0, BH_PLUGIN_RUN_LIBVIRT },
		{ "\"run_as\":\"libvirt\"," RE, "[]", BH_ERR_CONFIG, 0 },
		{ "\"run_as\":\"libvirt\",", "[\"setuid\",\"setgid\"]", BH_ERR_CONFIG, 0 },
	};
	for (size_t i = 0; i < sizeof(ra) / sizeof(ra[0]); i++) {
		char man[1024];
		snprintf(man, sizeof(man), "{\"format\":1,\"namespace\":\"blockhost-plugin-v1\","
			 "\"action\":\"t\",\"version\":1,\"sha256\":\"" SHA "\",%s\"capabilities\":%s,"
			 "\"timeout_ms\":1000,\"output_max\":100,\"input\":\"stdin-json\",\"params\":{}}",
			 ra[i].extra, ra[i].caps);
		int r = parse(man, &m, &msg);
		if (r != ra[i].r)
			fail_msg("row %zu: got %d (%s) for %s", i, r, msg.text, man);
		if (r == 0) {
			assert_int_equal(m->run_as, ra[i].want);
			assert_string_equal(m->root_equivalent, ra[i].extra[0] && strstr(ra[i].extra,
					    "root_equivalent") ? "test: needs root" : "");
		}
		bh_plugin_manifest_free(m);
		m = NULL;
	}
#undef RE
}

static void expect_bad(const char *s, int code, const char *needle)
{
	struct bh_plugin_manifest *m = NULL;
	struct bh_msg msg = { "" };
	int r = parse(s, &m, &msg);

	if (r != code || !strstr(msg.text, needle))
		fail_msg("got %d (%s) '%s' for %s", r, bh_strerror(r), msg.text, s);
	assert_null(m);
}

static void test_patterns_ok(void **state)
{
	(void)state;
	static const char *const ok[] = { "^[a-z0-9-]{1,64}$", "^(tcp|udp)$", "^([0-9a-fA-F:]+)/128$",
		"^tap[0-9]+i[0-9]+$", "^0x[0-9a-fA-F]{40,128}$", "^[a-z][a-z0-9_]{0,9}1[02-9ac-hj-np-z]{39,98}$",
		"^(a*)*b?$", "^[]a+]+\\+$" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char buf[1024];
		struct bh_plugin_manifest *m = NULL;
		struct bh_msg msg = { "" };
		json_t *j = json_pack("{s:{s:s, s:s}}", "a", "type", "string", "pattern", ok[i]);
		char *ps = json_dumps(j, JSON_COMPACT);
		snprintf(buf, sizeof(buf), HEAD "\"params\":%s}", ps);
		if (parse(buf, &m, &msg) != 0)
			fail_msg("pattern %s refused: %s", ok[i], msg.text);
		bh_plugin_manifest_free(m);
		free(ps);
		json_decref(j);
	}
}

static void test_manifest_bad(void **state)
{
	(void)state;
	expect_bad("{\"format\":2}", BH_ERR_UNSUPPORTED, "format 2 is not supported");
	expect_bad(HEAD0 "\"run_as\":\"admin\",\"params\":{}}", BH_ERR_FORMAT, "run_as must be");
	expect_bad(HEAD0 "\"run_as\":0,\"params\":{}}", BH_ERR_FORMAT, "run_as must be");
	expect_bad(HEAD0 "\"params\":{}}", BH_ERR_MISSING_KEY, "\"run_as\" missing");
	expect_bad("{\"format\":\"1\"}", BH_ERR_WRONG_TYPE, "format");
	expect_bad("{}", BH_ERR_MISSING_KEY, "format");
	expect_bad("[1]", BH_ERR_WRONG_TYPE, "");
	expect_bad(GOOD " x", BH_ERR_TRAILING, "");
	expect_bad(HEAD "\"params\":{}, \"extra\":1}", BH_ERR_FORMAT, "unknown key \"extra\"");
	expect_bad(HEAD "\"params\":{}, \"input\":\"x\"}", BH_ERR_DUPLICATE, "");
	expect_bad("{\"format\":1,\"namespace\":\"other\"}", BH_ERR_UNSUPPORTED, "namespace");
	expect_bad(HEAD "\"params\":{\"a\":{\"type\":\"int\",\"pattern\":\"^a$\"}}}", BH_ERR_CONFIG,
		   "inapplicable key \"pattern\"");
	expect_bad(HEAD "\"params\":{\"a\":{\"type\":\"string\",\"pattern\":\"a\"}}}", BH_ERR_CONFIG,
		   "params.a.pattern");
	expect_bad(HEAD "\"params\":{\"a\":{\"type\":\"string\",\"pattern\":\"^(a$\"}}}", BH_ERR_CONFIG,
		   "not a valid POSIX ERE");
	expect_bad(HEAD "\"params\":{\"a\":{\"type\":\"string\",\"pattern\":\"^a++$\"}}}", BH_ERR_CONFIG,
		   "stacked quantifiers");
	expect_bad(HEAD "\"params\":{\"a\":{\"type\":\"string\",\"pattern\":\"^(a)+$\"}}}", BH_ERR_CONFIG,
		   "stacked quantifiers");
	expect_bad(HEAD "\"params\":{\"a\":{\"type\":\"string\",\"pattern\":\"^a{1,256}$\"}}}",
		   BH_ERR_CONFIG, "stacked quantifiers");
	expect_bad(HEAD "\"params\":{\"a\":{\"type\":\"int\",\"min\":5,\"max\":1}}}", BH_ERR_CONFIG,
		   "min > max");
	expect_bad(HEAD "\"params\":{\"a\":{\"type\":\"float\"}}}", BH_ERR_CONFIG, "unknown type");
	expect_bad(HEAD "\"params\":{\"A\":{\"type\":\"int\"}}}", BH_ERR_CONFIG, "invalid param name");
	expect_bad(HEAD "\"params\":{\"a\":{\"type\":\"string\",\"path_prefix\":\"/x/../\"}}}",
		   BH_ERR_CONFIG, "path_prefix");
	expect_bad("{\"format\":1,\"namespace\":\"blockhost-plugin-v1\",\"action\":\"t\",\"version\":0}",
		   BH_ERR_RANGE, "version");
	expect_bad("{\"format\":1,\"sha256\":\"zz\"}", BH_ERR_FORMAT, "sha256");
	expect_bad("{\"format\":1,\"capabilities\":[\"net_admin\",\"net_admin\"]}", BH_ERR_DUPLICATE,
		   "listed twice");
	expect_bad("{\"format\":1,\"capabilities\":[\"CAP_NET_ADMIN\"]}", BH_ERR_FORMAT,
		   "capabilities[0]");
	expect_bad("{\"format\":1,\"action\":\"../x\"}", BH_ERR_FORMAT, "action");
	expect_bad("{\"format\":1,\"timeout_ms\":0}", BH_ERR_RANGE, "timeout_ms");
	expect_bad("{\"format\":1,\"input\":\"argv\"}", BH_ERR_UNSUPPORTED, "input");
	expect_bad("{\"format\":1,\"action\":\"a\\u0000b\"}", BH_ERR_NUL, "");
	expect_bad("{\"format\":1,\"namespace\":\"blockhost-plugin-v1\",\"action\":\"t\",\"version\":1,"
		   "\"sha256\":\"" SHA "\",\"capabilities\":[],\"timeout_ms\":1000,\"output_max\":100,"
		   "\"params\":{}}", BH_ERR_MISSING_KEY, "\"input\" missing");
	expect_bad("{\"format\":1,\"namespace\":\"blockhost-plugin-v1\"}", BH_ERR_MISSING_KEY,
		   "\"action\" missing");

	char *big = malloc(BH_PLUGIN_MANIFEST_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', BH_PLUGIN_MANIFEST_MAX + 1);
	big[BH_PLUGIN_MANIFEST_MAX + 1] = 0;
	expect_bad(big, BH_ERR_LIMIT, "larger than");
	free(big);
}

static int validate(struct bh_plugin_manifest *m, const char *params, json_t **out, struct bh_msg *msg)
{
	json_error_t e;
	json_t *p = json_loads(params, JSON_ALLOW_NUL, &e);
	int r;

	assert_non_null(p);
	r = bh_params_validate(m, p, out, msg);
	json_decref(p);
	return r;
}

static void expect_param_err(struct bh_plugin_manifest *m, const char *params, int code, const char *needle)
{
	struct bh_msg msg = { "" };
	json_t *out = NULL;
	int r = validate(m, params, &out, &msg);

	if (r != code || !strstr(msg.text, needle)) {
		fprintf(stderr, "got %d [%s] for %s\n", r, msg.text, params);
		fail();
	}
	assert_null(out);
}

static void test_params(void **state)
{
	(void)state;
	struct bh_plugin_manifest *m = NULL;
	struct bh_msg msg = { "" };
	json_t *out = NULL;
	char tmpl[] = "/tmp/bhplugin.XXXXXX", *root, path[512];

	assert_int_equal(parse(GOOD, &m, &msg), 0);
	assert_int_equal(validate(m, "{\"port\":22,\"proto\":\"tcp\",\"on\":false,\"list\":[\"a\",\"bc\"]}",
				  &out, &msg), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "port")), 22);
	json_decref(out);
	out = NULL;
	expect_param_err(m, "{}", BH_ERR_MISSING_KEY, "param 'port': required");
	expect_param_err(m, "{\"port\":0}", BH_ERR_RANGE, "param 'port'");
	expect_param_err(m, "{\"port\":1.5}", BH_ERR_WRONG_TYPE, "param 'port'");
	expect_param_err(m, "{\"port\":true}", BH_ERR_WRONG_TYPE, "param 'port'");
	expect_param_err(m, "{\"port\":1,\"proto\":\"icmp\"}", BH_ERR_FORMAT, "param 'proto'");
	expect_param_err(m, "{\"port\":1,\"proto\":\"tcp\\n\"}", BH_ERR_FORMAT, "param 'proto'");
	expect_param_err(m, "{\"port\":1,\"proto\":\"tc\\u0000p\"}", BH_ERR_NUL, "param 'proto'");
	expect_param_err(m, "{\"port\":1,\"on\":\"yes\"}", BH_ERR_WRONG_TYPE, "param 'on'");
	expect_param_err(m, "{\"port\":1,\"list\":\"a\"}", BH_ERR_WRONG_TYPE, "param 'list'");
	expect_param_err(m, "{\"port\":1,\"list\":[1]}", BH_ERR_WRONG_TYPE, "param 'list'");
	expect_param_err(m, "{\"port\":1,\"list\":[\"a\",\"b\",\"c\"]}", BH_ERR_LIMIT, "param 'list'");
	expect_param_err(m, "{\"port\":1,\"list\":[\"abcd\"]}", BH_ERR_LIMIT, "param 'list'");
	expect_param_err(m, "{\"port\":1,\"bogus\":1}", BH_ERR_DENIED, "param 'bogus'");
	expect_param_err(m, "{\"port\":1,\"b\\nFORGED\\u001b\":1}", BH_ERR_DENIED, "param 'b?FORGED?'");
	expect_param_err(m, "{\"port\":1,\"path\":\"relative\"}", BH_ERR_FORMAT, "param 'path'");
	expect_param_err(m, "{\"port\":1,\"path\":\"/nonexistent/x\"}", BH_ERR_FORMAT, "param 'path'");

	/* path_prefix: realpath first, then the prefix under BLOCKHOST_ROOT */
	assert_non_null(root = mkdtemp(tmpl));
	setenv("BLOCKHOST_ROOT", root, 1);
	snprintf(path, sizeof(path), "mkdir -p %s/var/lib/blockhost/vms %s/etc && "
		 "ln -s %s/etc %s/var/lib/blockhost/evil", root, root, root, root);
	assert_int_equal(system(path), 0);
	char p1[600], p2[600];
	snprintf(p1, sizeof(p1), "{\"port\":1,\"path\":\"%s/var/lib/blockhost/vms/../vms\"}", root);
	assert_int_equal(validate(m, p1, &out, &msg), 0);
	snprintf(path, sizeof(path), "%s/var/lib/blockhost/vms", root);
	assert_string_equal(json_string_value(json_object_get(out, "path")), path);
	json_decref(out);
	out = NULL;
	snprintf(p2, sizeof(p2), "{\"port\":1,\"path\":\"%s/var/lib/blockhost/evil\"}", root);
	expect_param_err(m, p2, BH_ERR_DENIED, "param 'path': path is not under");
	snprintf(path, sizeof(path), "rm -rf %s", root);
	assert_int_equal(system(path), 0);
	unsetenv("BLOCKHOST_ROOT");
	bh_plugin_manifest_free(m);
}

static void test_signatures(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64], sig[64], kid[8], kid2[8], sig2[64], pk2[32], sk2[64];
	const uint8_t man[] = "{\"x\":1}";
	char line[256], hex[129], khex[17];

	assert_true(sodium_init() >= 0);
	crypto_sign_keypair(pk, sk);
	assert_int_equal(bh_plugin_sign(sk, man, sizeof(man) - 1, sig), 0);
	assert_int_equal(bh_plugin_verify(pk, sig, man, sizeof(man) - 1), 0);
	/* one flipped manifest byte */
	uint8_t man2[sizeof(man)];
	memcpy(man2, man, sizeof(man));
	man2[2] ^= 1;
	assert_int_equal(bh_plugin_verify(pk, sig, man2, sizeof(man) - 1), BH_ERR_SIGNATURE);
	/* domain separation: a plain signature over the manifest does not verify */
	crypto_sign_detached(sig2, NULL, man, sizeof(man) - 1, sk);
	assert_int_equal(bh_plugin_verify(pk, sig2, man, sizeof(man) - 1), BH_ERR_SIGNATURE);

	/* sig file round trip */
	bh_plugin_keyid(pk, kid);
	bh_hex_encode(kid, 8, khex);
	bh_hex_encode(sig, 64, hex);
	snprintf(line, sizeof(line), "%s %s %s\n", BH_PLUGIN_SIG_MAGIC, khex, hex);
	assert_int_equal(bh_plugin_sig_parse((uint8_t *)line, strlen(line), kid2, sig2), 0);
	assert_memory_equal(kid, kid2, 8);
	assert_memory_equal(sig, sig2, 64);
	assert_int_equal(bh_plugin_sig_parse((uint8_t *)line, strlen(line) - 1, kid2, sig2),
			 BH_ERR_LENGTH);
	line[5] = 'X';
	assert_int_equal(bh_plugin_sig_parse((uint8_t *)line, strlen(line), kid2, sig2), BH_ERR_FORMAT);
	snprintf(line, sizeof(line), "%s %s %s\n", BH_PLUGIN_SIG_MAGIC, khex, hex);
	line[strlen(BH_PLUGIN_SIG_MAGIC) + 3] = 'g';
	assert_int_equal(bh_plugin_sig_parse((uint8_t *)line, strlen(line), kid2, sig2), BH_ERR_HEX);

	bh_hex_encode(pk, 32, hex);
	snprintf(line, sizeof(line), "%s %s\n", BH_PLUGIN_PUB_MAGIC, hex);
	assert_int_equal(bh_plugin_pub_parse((uint8_t *)line, strlen(line), pk2), 0);
	assert_memory_equal(pk, pk2, 32);
	bh_hex_encode(sk, 64, hex);
	snprintf(line, sizeof(line), "%s %s\n", BH_PLUGIN_SEC_MAGIC, hex);
	assert_int_equal(bh_plugin_sec_parse((uint8_t *)line, strlen(line), sk2), 0);
	assert_memory_equal(sk, sk2, 64);
	assert_int_equal(bh_plugin_pub_parse((uint8_t *)line, strlen(line), pk2), BH_ERR_LENGTH);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sk2, sizeof(sk2));
	sodium_memzero(line, sizeof(line));
}

static void test_names_and_requests(void **state)
{
	(void)state;
	struct bh_agent_request q;
	json_t *req;
	json_error_t e;
	struct bh_msg msg = { "" };

	assert_true(bh_name_valid("iptables-open", BH_NAME_ACTION));
	assert_true(bh_name_valid("0a", BH_NAME_ACTION));
	assert_false(bh_name_valid("-a", BH_NAME_ACTION));
	assert_false(bh_name_valid("A", BH_NAME_ACTION));
	assert_false(bh_name_valid("a/b", BH_NAME_ACTION));
	assert_false(bh_name_valid("..", BH_NAME_ACTION));
	assert_false(bh_name_valid("", BH_NAME_ACTION));
	assert_int_equal(bh_plugin_cap_from_name("net_admin"), 12);
	assert_int_equal(bh_plugin_cap_from_name("nope"), -1);

	req = json_loads("{\"action\":\"x-y\"}", 0, &e);
	assert_int_equal(bh_agent_request_parse(req, &q, &msg), 0);
	assert_false(q.unknown);
	assert_string_equal(q.action, "x-y");
	assert_true(json_is_object(q.params) && json_object_size(q.params) == 0);
	bh_agent_request_done(&q);
	json_decref(req);
	req = json_loads("{\"action\":\"../etc\\u0001\"}", JSON_ALLOW_NUL, &e);
	assert_int_equal(bh_agent_request_parse(req, &q, &msg), 0);
	assert_true(q.unknown);
	assert_null(q.params);
	assert_string_equal(q.action, "../etc?");
	json_decref(req);
	/* log injection: a newline in a key, a param name or the action never survives */
	req = json_loads("{\"action\":\"a\",\"x\\nFORGED: y\":1}", 0, &e);
	assert_int_equal(bh_agent_request_parse(req, &q, &msg), 0);
	assert_int_equal(q.n_ignored, 1);
	assert_string_equal(q.ignored, "x?FORGED: y");
	bh_agent_request_done(&q);
	json_decref(req);
	req = json_loads("{\"action\":\"a\\nb\"}", 0, &e);
	assert_int_equal(bh_agent_request_parse(req, &q, &msg), 0);
	assert_true(q.unknown);
	assert_string_equal(q.action, "a?b");
	json_decref(req);
	char pr[8];
	assert_string_equal(bh_str_sanitize("ab\x1b\r\n\xc3\xa9", BH_STR_CSTR, pr, sizeof(pr)), "ab?????");
	assert_string_equal(bh_str_sanitize("abcdefghij", BH_STR_CSTR, pr, sizeof(pr)), "abcd...");
	assert_string_equal(bh_str_sanitize("abcdefg", BH_STR_CSTR, pr, sizeof(pr)), "abcdefg");
	assert_string_equal(bh_str_sanitize(NULL, BH_STR_CSTR, pr, sizeof(pr)), "");
	req = json_loads("{\"action\":1}", 0, &e);
	assert_int_equal(bh_agent_request_parse(req, &q, &msg), BH_ERR_WRONG_TYPE);
	json_decref(req);
	req = json_loads("{\"action\":\"a\",\"params\":[]}", 0, &e);
	assert_int_equal(bh_agent_request_parse(req, &q, &msg), BH_ERR_WRONG_TYPE);
	json_decref(req);
	/* unknown top-level keys are ignored, as upstream (docs/PROTOCOL.socket section 6) */
	req = json_loads("{\"action\":\"a\",\"x\":1,\"y\":2,\"params\":{\"p\":1}}", 0, &e);
	assert_int_equal(bh_agent_request_parse(req, &q, &msg), 0);
	assert_int_equal(q.n_ignored, 2);
	assert_int_equal(json_integer_value(json_object_get(q.params, "p")), 1);
	bh_agent_request_done(&q);
	json_decref(req);
	req = json_loads("{}", 0, &e);
	assert_int_equal(bh_agent_request_parse(req, &q, &msg), BH_ERR_MISSING_KEY);
	json_decref(req);
}

/* ---- load/run against the real test plugin, owner = our own uid ---- */

static char dir[64], keys[80];

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void setup_plugin_extra(uint8_t sk[static 64], int version, const char *extra)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char man[2048], hex[65], path[256], line[256], khex[17], sighex[129];
	uint8_t h[32], sig[64], kid[8];
	struct bh_buf b;

	sh("install -m 0755 %s/agent-test-plugins/bh-test-plugin %s/t", build, dir);
	snprintf(path, sizeof(path), "%s/t", dir);
	bh_buf_init(&b, BH_PLUGIN_EXE_MAX);
	assert_int_equal(bh_buf_load_file(&b, path), 0);
	crypto_hash_sha256(h, bh_buf_ptr(&b), bh_buf_len(&b));
	bh_buf_done(&b);
	bh_hex_encode(h, 32, hex);
	snprintf(man, sizeof(man), "{\"format\":1,\"namespace\":\"blockhost-plugin-v1\",\"action\":\"t\","
		 "\"version\":%d,\"sha256\":\"%s\",\"capabilities\":[],\"timeout_ms\":5000,"
		 "\"output_max\":4096,\"input\":\"stdin-json\",\"run_as\":\"plugin\","
		 "\"params\":{\"mode\":{\"type\":\"string\"}}%s}",
		 version, hex, extra);
	snprintf(path, sizeof(path), "%s/t.manifest", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(man, f);
	fclose(f);
	assert_int_equal(bh_plugin_sign(sk, (uint8_t *)man, strlen(man), sig), 0);
	bh_plugin_keyid(sk + 32, kid);
	bh_hex_encode(kid, 8, khex);
	bh_hex_encode(sig, 64, sighex);
	snprintf(line, sizeof(line), "%s %s %s\n", BH_PLUGIN_SIG_MAGIC, khex, sighex);
	snprintf(path, sizeof(path), "%s/t.sig", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(line, f);
	fclose(f);
	sh("chmod 0644 %s/t.manifest %s/t.sig", dir, dir);
}

static void setup_plugin(uint8_t sk[static 64], int version)
{
	setup_plugin_extra(sk, version, "");
}

static void test_load_swap_run(void **state)
{
	(void)state;
	uint8_t pk[32], sk[64];
	char hex[65], line[128], path[256], state_dir[128];
	struct bh_plugin *p = NULL, *p2 = NULL;
	struct bh_msg msg = { "" };
	json_t *reply = NULL;

	assert_true(sodium_init() >= 0);
	snprintf(dir, sizeof(dir), "/tmp/bhplugin-load.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	assert_int_equal(mkdir(keys, 0755), 0);
	crypto_sign_keypair(pk, sk);
	uint8_t kid[8];
	char khex[17];
	bh_plugin_keyid(pk, kid);
	bh_hex_encode(kid, 8, khex);
	bh_hex_encode(pk, 32, hex);
	snprintf(line, sizeof(line), "%s %s\n", BH_PLUGIN_PUB_MAGIC, hex);
	snprintf(path, sizeof(path), "%s/%s.pub", keys, khex);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(line, f);
	fclose(f);
	chmod(path, 0644);
	setup_plugin(sk, 5);

	struct bh_plugin_env env = { .actions_dir = dir, .keys_dir = keys, .state_dir = state_dir,
				     .owner = geteuid(), .plugin_uid = 65534, .plugin_gid = 65534 };
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), 0);
	assert_int_equal(p->m->version, 5);

	/* deterministic verify→exec gap: after verification, replace the file on
	 * disk with a different valid ELF (rename over it) and also rewrite the
	 * old inode in place — the run must execute the verified bytes */
	sh("cp %s/t %s/t.old && perl -0777 -pe 's/BHTAG:good/BHTAG:evil/' %s/t > %s/t.new && "
	   "chmod 0755 %s/t.new && cp %s/t.new %s/t.old && mv -f %s/t.new %s/t",
	   dir, dir, dir, dir, dir, dir, dir, dir, dir);
	json_t *params = json_pack("{s:s}", "mode", "echo");
	assert_int_equal(bh_plugin_run(p, "t", params, &reply, &msg), 0);
	assert_string_equal(json_string_value(json_object_get(reply, "tag")), "good");
	if (geteuid() == 0) { /* root runs it as the plugin user, with locked securebits */
		assert_int_equal(json_integer_value(json_object_get(reply, "uid")), 65534);
		assert_int_equal(json_integer_value(json_object_get(reply, "secbits")), 0x2f);
		/* no plugin user configured: refused rather than run as uid 0 */
		p->run_uid = 0;
		json_decref(reply);
		reply = NULL;
		assert_int_equal(bh_plugin_run(p, "t", params, &reply, &msg), BH_ERR_CONFIG);
		assert_non_null(strstr(msg.text, "no plugin user"));
		p->run_uid = 65534;
	}
	json_decref(reply);
	reply = NULL;
	/* a fresh verification of the swapped file refuses it */
	assert_int_equal(bh_plugin_load(&env, "t", &p2, &msg), BH_ERR_MISMATCH);
	assert_non_null(strstr(msg.text, "does not match the signed sha256"));

	/* params refused before anything runs */
	json_t *bad = json_pack("{s:i}", "mode", 1);
	assert_int_equal(bh_plugin_run(p, "t", bad, &reply, &msg), BH_ERR_WRONG_TYPE);
	assert_non_null(strstr(msg.text, "param 'mode'"));
	json_decref(bad);
	bh_plugin_free(p);
	p = NULL;

	/* rollback: version 4 after 5 is refused; 6 accepted */
	setup_plugin(sk, 4);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_DENIED);
	assert_non_null(strstr(msg.text, "rollback"));
	setup_plugin(sk, 6);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), 0);
	/* timeout and output cap */
	json_decref(params);
	params = json_pack("{s:s}", "mode", "spew");
	assert_int_equal(bh_plugin_run(p, "t", params, &reply, &msg), BH_ERR_LIMIT);
	bh_plugin_free(p);
	p = NULL;

	/* expiry: an expired signed manifest is refused, a future one runs */
	setup_plugin_extra(sk, 7, ",\"expires\":1000");
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_EXPIRED);
	assert_non_null(strstr(msg.text, "expired"));
	setup_plugin_extra(sk, 7, ",\"expires\":4102444800");
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), 0);
	assert_int_equal(p->m->expires, 4102444800);
	bh_plugin_free(p);
	p = NULL;

	/* rollback state that someone else could control is refused, never trusted:
	 * a state dir with group/world write or another owner, a symlinked state dir,
	 * a versions file that is a FIFO (must not hang), a symlink, or writable */
	alarm(30); /* a hang on the FIFO kills the test instead of blocking it */
	sh("chmod 0770 %s", state_dir);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(msg.text, "state dir"));
	sh("chmod 0755 %s", state_dir); /* 0755 without group/world write is accepted */
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), 0);
	bh_plugin_free(p);
	p = NULL;
	if (geteuid() == 0) { /* a state dir the blockhost user (here: nobody) owns */
		sh("chown 65534 %s", state_dir);
		assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_UNSAFE_FILE);
		assert_non_null(strstr(msg.text, "owned by uid"));
		sh("chown 0 %s", state_dir);
	}
	sh("mv %s %s.real && ln -s %s.real %s", state_dir, state_dir, state_dir, state_dir);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(msg.text, "symbolic link"));
	sh("rm %s && mv %s.real %s", state_dir, state_dir, state_dir);
	sh("mv %s/versions %s/versions.good && mkfifo -m 0600 %s/versions", state_dir, state_dir,
	   state_dir);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(msg.text, "not a regular file"));
	sh("rm %s/versions && ln -s versions.good %s/versions", state_dir, state_dir);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(msg.text, "symbolic link"));
	sh("rm %s/versions && mv %s/versions.good %s/versions && chmod 0666 %s/versions", state_dir,
	   state_dir, state_dir, state_dir);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_UNSAFE_FILE);
	assert_non_null(strstr(msg.text, "writable"));
	sh("chmod 0600 %s/versions", state_dir);
	sh("rm %s/versions.lock && mkfifo -m 0600 %s/versions.lock", state_dir, state_dir);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_UNSAFE_FILE);
	sh("rm %s/versions.lock", state_dir);
	alarm(0);
	/* the state survived all that: 7 is still the floor */
	setup_plugin(sk, 6);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_DENIED);
	assert_non_null(strstr(msg.text, "rollback"));
	setup_plugin(sk, 7);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), 0);
	bh_plugin_free(p);
	p = NULL;

	/* the version is raised only after the executable verified: a signed manifest
	 * for version 9 next to a tampered executable is refused AND leaves 7 stored,
	 * so the genuine version 8 still loads */
	setup_plugin(sk, 9);
	sh("printf 'X' | dd of=%s/t bs=1 seek=100 conv=notrunc status=none", dir);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_MISMATCH);
	setup_plugin(sk, 8);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), 0);
	bh_plugin_free(p);
	p = NULL;

	/* unknown action, missing signature */
	assert_int_equal(bh_plugin_load(&env, "nope", &p, &msg), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_plugin_load(&env, "../t", &p, &msg), BH_ERR_NOT_FOUND);
	sh("rm %s/t.sig", dir);
	assert_int_equal(bh_plugin_load(&env, "t", &p, &msg), BH_ERR_SIGNATURE);
	assert_non_null(strstr(msg.text, "unsigned"));

	json_decref(params);
	sodium_memzero(sk, sizeof(sk));
	sh("rm -rf %s", dir);
}

/* encode a request given as JSON text the way the reader does; returns the record */
static void rec_of(const char *req_json, struct bh_buf *out)
{
	struct bh_agent_request q;
	struct bh_msg msg = { "" };
	json_t *j = json_loads(req_json, 0, NULL);

	assert_non_null(j);
	bh_buf_init(out, BH_AGENT_RECORD_MAX);
	assert_int_equal(bh_agent_request_parse(j, &q, &msg), 0);
	assert_int_equal(bh_agent_record_put_request(out, &q, &msg), 0);
	bh_agent_request_done(&q);
	json_decref(j);
}

static int dec(const uint8_t *d, size_t n, struct bh_agent_request *q)
{
	struct bh_msg msg = { "" };
	return bh_agent_record_decode(d, n, q, &msg);
}

static void test_record(void **state)
{
	struct bh_agent_request q;
	struct bh_msg msg = { "" };
	struct bh_buf b;
	json_t *want;
	(void)state;

	/* round trip: every node type, order kept, ignored keys carried */
	const char *req = "{\"action\":\"firewall-open\",\"x\":1,\"params\":{\"port\":22,\"big\":"
			  "-9223372036854775808,\"s\":\"caf\xc3\xa9\",\"on\":true,\"off\":false,\"n\":null,"
			  "\"r\":1.5,\"list\":[\"a\",\"\"],\"o\":{\"k\":[[{}]],\"l\":\"" ;
	char buf[1200];
	char longs[301];
	memset(longs, 'y', 300);
	longs[300] = 0;
	snprintf(buf, sizeof(buf), "%s%s\"}}}", req, longs);
	rec_of(buf, &b);
	assert_int_equal(dec(bh_buf_ptr(&b), bh_buf_len(&b), &q), 0);
	assert_false(q.unknown);
	assert_false(q.error);
	assert_string_equal(q.action, "firewall-open");
	assert_int_equal(q.n_ignored, 1);
	assert_string_equal(q.ignored, "x");
	json_t *whole = json_loads(buf, 0, NULL);
	assert_non_null(whole);
	want = json_object_get(whole, "params");
	assert_true(json_equal(q.params, want));
	{
		char *a = json_dumps(q.params, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
		assert_string_equal(a, w); /* member order too */
		free(a);
		free(w);
	}
	json_decref(whole);
	bh_agent_request_done(&q);

	/* every proper prefix is refused, as is one trailing byte */
	for (size_t n = 0; n < bh_buf_len(&b); n++)
		assert_true(dec(bh_buf_ptr(&b), n, &q) < 0);
	{
		uint8_t *t = malloc(bh_buf_len(&b) + 1);
		memcpy(t, bh_buf_ptr(&b), bh_buf_len(&b));
		t[bh_buf_len(&b)] = T_NULL_FOR_TEST;
		assert_int_equal(dec(t, bh_buf_len(&b) + 1, &q), BH_ERR_TRAILING);
		free(t);
	}
	bh_buf_done(&b);

	/* unknown and error records; texts must be printable */
	{
		struct bh_agent_request u = { .unknown = true };
		snprintf(u.action, sizeof(u.action), "../bin/sh");
		bh_buf_init(&b, BH_AGENT_RECORD_MAX);
		assert_int_equal(bh_agent_record_put_request(&b, &u, &msg), 0);
		assert_int_equal(dec(bh_buf_ptr(&b), bh_buf_len(&b), &q), 0);
		assert_true(q.unknown);
		assert_null(q.params);
		assert_string_equal(q.action, "../bin/sh");
		bh_buf_done(&b);
		bh_buf_init(&b, BH_AGENT_RECORD_MAX);
		assert_int_equal(bh_agent_record_put_error(&b, "bad request: x\ny"), 0);
		assert_int_equal(dec(bh_buf_ptr(&b), bh_buf_len(&b), &q), 0);
		assert_true(q.error);
		assert_string_equal(q.error_text, "bad request: x?y");
		bh_buf_done(&b);
	}

	/* hand-made hostile records (what a compromised reader could send) */
	static const struct { const char *what; const char *hex; } bad[] = {
		{ "bad magic", "42484152ff0300" },
		{ "version 2", "424841520203" "00" },
		{ "kind 9", "4248415201" "09" },
		{ "action not a name", "4248415201" "03" "022e2e" "00000000" "00" "0a00000000" },
		{ "empty action", "4248415201" "03" "00" "00000000" "00" "0a00000000" },
		{ "params not an object", "4248415201" "03" "0161" "00000000" "00" "01" },
		{ "ignored without count", "4248415201" "03" "0161" "00000000" "0178" "0a00000000" },
		{ "error text with ESC", "4248415201" "01" "0002" "1b41" },
		{ "unknown with a newline", "4248415201" "02" "010a" },
		{ "NUL in a string", "4248415201" "03" "0161" "00000000" "00" "0a00000001" "00000001" "6b" "070100" },
		{ "bad UTF-8 in a string", "4248415201" "03" "0161" "00000000" "00" "0a00000001" "00000001" "6b" "0701c0" },
		{ "bad UTF-8 in a key", "4248415201" "03" "0161" "00000000" "00" "0a00000001" "00000001" "ff" "01" },
		{ "duplicate key", "4248415201" "03" "0161" "00000000" "00" "0a00000002" "000000016b01" "000000016b01" },
		{ "int64 that fits int8", "4248415201" "03" "0161" "00000000" "00" "0a00000001" "000000016b" "050000000000000001" },
		{ "str32 that fits str8", "4248415201" "03" "0161" "00000000" "00" "0a00000001" "000000016b" "080000000161" },
		{ "NaN", "4248415201" "03" "0161" "00000000" "00" "0a00000001" "000000016b" "067ff8000000000000" },
		{ "array count beyond the data", "4248415201" "03" "0161" "00000000" "00" "0a00000001" "000000016b" "09ffffffff" },
		{ "object count beyond the data", "4248415201" "03" "0161" "00000000" "00" "0affffffff" },
		{ "unknown tag", "4248415201" "03" "0161" "00000000" "00" "0a00000001" "000000016b" "ee" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t raw[256];
		size_t n = strlen(bad[i].hex) / 2;
		for (size_t k = 0; k < n; k++)
			sscanf(bad[i].hex + 2 * k, "%2hhx", &raw[k]);
		int r = dec(raw, n, &q);
		if (r >= 0)
			fail_msg("record '%s' accepted", bad[i].what);
	}

	/* nesting over the cap is refused by both sides */
	{
		size_t depth = BH_AGENT_RECORD_DEPTH_MAX + 2, n = 0;
		uint8_t *raw = malloc(16 + 5 * depth + 8);
		memcpy(raw, "BHAR\x01\x03\x01" "a" "\0\0\0\0" "\0", 13);
		n = 13;
		memcpy(raw + n, "\x0a\0\0\0\x01\0\0\0\x01k", 10);
		n += 10;
		for (size_t k = 0; k < depth; k++) {
			memcpy(raw + n, "\x09\0\0\0\x01", 5);
			n += 5;
		}
		raw[n++] = 0x01;
		assert_int_equal(dec(raw, n, &q), BH_ERR_LIMIT);
		free(raw);
	}

	/* the reader's ceilings: no manifest allows a longer string or more items */
	{
		struct bh_agent_request r2;
		size_t big = BH_PLUGIN_STRING_MAX + 1;
		char *s = malloc(big + 64);
		json_t *j;
		memcpy(s, "{\"action\":\"a\",\"params\":{\"mode\":\"", 32);
		memset(s + 32, 'a', big);
		memcpy(s + 32 + big, "\"}}", 4);
		assert_non_null(j = json_loads(s, 0, NULL));
		assert_int_equal(bh_agent_request_parse(j, &r2, &msg), 0);
		bh_buf_init(&b, BH_AGENT_RECORD_MAX);
		assert_int_equal(bh_agent_record_put_request(&b, &r2, &msg), BH_ERR_LIMIT);
		assert_non_null(strstr(msg.text, "param 'mode'"));
		bh_buf_done(&b);
		bh_agent_request_done(&r2);
		json_decref(j);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_good),
		cmocka_unit_test(test_manifest_bad),
		cmocka_unit_test(test_patterns_ok),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_names_and_requests),
		cmocka_unit_test(test_load_swap_run),
		cmocka_unit_test(test_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/* Unit tests: manifest discovery and validation (manifest.h), upstream shapes §2.1-2.3. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "core/err.h"
#include "host/manifest.h"

static const char provisioner_libvirt[] =
	"{\"name\":\"libvirt\",\"version\":\"0.3.0\",\"display_name\":\"libvirt/KVM + cloud-init\","
	"\"accent_color\":\"#2E7D32\",\"commands\":{"
	"\"create\":\"blockhost-vm-create\",\"destroy\":\"blockhost-vm-destroy\","
	"\"start\":\"blockhost-vm-start\",\"stop\":\"blockhost-vm-stop\",\"kill\":\"blockhost-vm-kill\","
	"\"status\":\"blockhost-vm-status\",\"list\":\"blockhost-vm-list\","
	"\"metrics\":\"blockhost-vm-metrics\",\"throttle\":\"blockhost-vm-throttle\","
	"\"build-template\":\"blockhost-build-template\",\"gc\":\"blockhost-vm-gc\","
	"\"resume\":\"blockhost-vm-resume\",\"update-gecos\":\"blockhost-vm-update-gecos\","
	"\"guest-exec\":\"/usr/bin/blockhost-vm-guest-exec\"},"
	"\"setup\":{\"first_boot_hook\":\"/usr/share/blockhost/provisioner-hooks/first-boot.sh\","
	"\"detect\":\"blockhost-provisioner-detect\","
	"\"wizard_module\":\"blockhost.provisioner_libvirt.wizard\","
	"\"finalization_steps\":[\"storage\",\"network\",\"db_config\",\"template\"]},"
	"\"root_agent_actions\":\"/usr/share/blockhost/root-agent-actions/virsh.py\","
	"\"config_keys\":{\"session_key\":\"libvirt\",\"provisioner_config\":[\"db_file\",\"bridge\"]}}";

static const char engine_evm[] =
	"{\"name\":\"evm\",\"version\":\"0.2.0\",\"display_name\":\"EVM (Ethereum/Polygon)\","
	"\"accent_color\":\"#627EEA\",\"setup\":{"
	"\"first_boot_hook\":\"/usr/share/blockhost/engine-hooks/first-boot.sh\","
	"\"wizard_module\":\"blockhost.engine_evm.wizard\","
	"\"finalization_steps\":[\"wallet\",\"contracts\",\"chain_config\"],"
	"\"post_finalization_steps\":[\"mint_nft\",\"plan\",\"revenue_share\"]},"
	"\"config_keys\":{\"session_key\":\"blockchain\"},"
	"\"constraints\":{\"address_pattern\":\"^0x[0-9a-fA-F]{40}$\","
	"\"signature_pattern\":\"^0x[0-9a-fA-F]{130}$\",\"native_token\":\"eth\","
	"\"native_token_label\":\"ETH\",\"token_pattern\":\"^0x[0-9a-fA-F]{40}$\","
	"\"address_placeholder\":\"0x...\"}}";

static const char broker[] =
	"{\"name\":\"broker\",\"display_name\":\"IPv6 Tunnel Broker\",\"description\":\"d\","
	"\"excludes\":[\"manual\"],\"setup\":{\"wizard_module\":\"blockhost.broker.wizard_hook\"},"
	"\"chains\":{\"evm\":{\"wallet_pattern\":\"^0x[0-9a-fA-F]{40}$\","
	"\"contract_validation\":\"^0x[0-9a-fA-F]{40}$\",\"fields\":[{\"name\":\"broker_registry\","
	"\"type\":\"text\",\"has_auto_fetch\":true}]}}}";

static int parse(enum bh_manifest_kind k, const char *s, struct bh_msg *msg,
		 struct bh_manifest **m)
{
	return bh_manifest_parse(k, s, strlen(s), m, msg);
}

static void test_upstream_shapes(void **state)
{
	(void)state;
	struct bh_manifest *m = NULL;
	struct bh_msg msg;
	const char *s;

	assert_int_equal(parse(BH_MANIFEST_PROVISIONER, provisioner_libvirt, &msg, &m), 0);
	assert_int_equal(bh_manifest_kind(m), BH_MANIFEST_PROVISIONER);
	assert_string_equal(bh_manifest_name(m), "libvirt");
	assert_string_equal(bh_manifest_version(m), "0.3.0");
	assert_string_equal(bh_manifest_display_name(m), "libvirt/KVM + cloud-init");
	assert_int_equal(bh_manifest_command(m, "create", &s), 0);
	assert_string_equal(s, "blockhost-vm-create");
	assert_int_equal(bh_manifest_command(m, "guest-exec", &s), 0);
	assert_string_equal(s, "/usr/bin/blockhost-vm-guest-exec");
	assert_int_equal(bh_manifest_command(m, "fly", &s), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_manifest_setup_string(m, "detect", &s), 0);
	assert_string_equal(s, "blockhost-provisioner-detect");
	/* arrays are not strings */
	assert_int_equal(bh_manifest_setup_string(m, "finalization_steps", &s), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_manifest_constraint(m, "address_pattern", &s), BH_ERR_NOT_FOUND);
	const json_t *root = bh_manifest_json(m);
	assert_string_equal(json_string_value(json_object_get(json_object_get(root, "config_keys"),
							      "session_key")), "libvirt");
	m = bh_manifest_free(m);
	assert_null(m);

	assert_int_equal(parse(BH_MANIFEST_ENGINE, engine_evm, &msg, &m), 0);
	assert_string_equal(bh_manifest_name(m), "evm");
	assert_int_equal(bh_manifest_constraint(m, "native_token", &s), 0);
	assert_string_equal(s, "eth");
	assert_int_equal(bh_manifest_command(m, "create", &s), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_manifest_match(m, "address_pattern",
					   "0x52908400098527886E0F7030069857D2E4169EE7"), 0);
	assert_int_equal(bh_manifest_match(m, "address_pattern",
					   "0x52908400098527886E0F7030069857D2E4169EE"), BH_ERR_MISMATCH);
	assert_int_equal(bh_manifest_match(m, "address_pattern",
					   "x0x52908400098527886E0F7030069857D2E4169EE7"),
			 BH_ERR_MISMATCH);
	assert_int_equal(bh_manifest_match(m, "no_pattern", "x"), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_manifest_match(m, "native_token", "eth"), -EINVAL);
	bh_manifest_free(m);

	assert_int_equal(parse(BH_MANIFEST_BROKER, broker, &msg, &m), 0);
	assert_string_equal(bh_manifest_name(m), "broker");
	assert_null(bh_manifest_version(m));
	bh_manifest_free(m);
	bh_manifest_free(NULL);
}

static void test_exe_rule(void **state)
{
	(void)state;
	static const char *const good[] = {
		"blockhost-vm-create", "bw", "python3.11", "g++", "/usr/bin/blockhost-vm-create",
		"/opt/x_y/bin/a.b",
	};
	static const char *const bad[] = {
		"", "bin/create", "./create", "../create", "create me", "a;b", "a|b", "$(id)",
		"`id`", "a&b", "a>b", "-rf", ".hidden", "/usr/bin/", "/usr//bin/x", "/usr/./bin",
		"/usr/../bin/x", "/usr/bin/x y", "a\nb", "a\tb", "x*", "~/x", "a'b", "a\"b",
		"a\\b", "\xc3\xa9", "/", "a:b", "a=b",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(bh_manifest_exe_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bh_manifest_exe_valid(bad[i]))
			fail_msg("accepted executable \"%s\"", bad[i]);
	}
	assert_false(bh_manifest_exe_valid(NULL));
}

static void expect_bad(enum bh_manifest_kind k, const char *s, int code, const char *needle)
{
	struct bh_manifest *m = NULL;
	struct bh_msg msg;

	msg.text[0] = 0;
	int r = parse(k, s, &msg, &m);
	if (r != code)
		fail_msg("%s: got %d (%s), want %d (%s); msg: %s", s, r, bh_strerror(r), code,
			 bh_strerror(code), msg.text);
	assert_null(m);
	if (needle && !strstr(msg.text, needle))
		fail_msg("%s: message \"%s\" does not name \"%s\"", s, msg.text, needle);
}

static void test_malformed(void **state)
{
	(void)state;
	const enum bh_manifest_kind P = BH_MANIFEST_PROVISIONER, E = BH_MANIFEST_ENGINE,
				    B = BH_MANIFEST_BROKER;

	expect_bad(P, "", BH_ERR_INCOMPLETE, "JSON");
	expect_bad(P, "[1]", BH_ERR_WRONG_TYPE, "object");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{}} x", BH_ERR_TRAILING, NULL);
	expect_bad(P, "{\"name\":\"x\",\"name\":\"y\",\"version\":\"1\",\"commands\":{}}",
		   BH_ERR_DUPLICATE, "line 1");
	expect_bad(P, "{\"version\":\"1\",\"commands\":{}}", BH_ERR_MISSING_KEY, "name");
	expect_bad(P, "{\"name\":\"x\",\"commands\":{}}", BH_ERR_MISSING_KEY, "version");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\"}", BH_ERR_MISSING_KEY, "commands");
	expect_bad(P, "{\"name\":7,\"version\":\"1\",\"commands\":{}}", BH_ERR_WRONG_TYPE, "name");
	expect_bad(P, "{\"name\":\"a b\",\"version\":\"1\",\"commands\":{}}", BH_ERR_FORMAT, "name");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"\",\"commands\":{}}", BH_ERR_FORMAT, "version");
	expect_bad(P, "{\"name\":\"x\\u0000\",\"version\":\"1\",\"commands\":{}}", BH_ERR_NUL, NULL);
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":[]}", BH_ERR_WRONG_TYPE,
		   "commands");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{\"create\":1}}",
		   BH_ERR_WRONG_TYPE, "commands.create");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{\"create\":\"sh -c id\"}}",
		   BH_ERR_FORMAT, "commands.create");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{\"create\":\"bin/x\"}}",
		   BH_ERR_FORMAT, "commands.create");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{\"cre ate\":\"x\"}}",
		   BH_ERR_FORMAT, "verb");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{},\"accent_color\":\"red\"}",
		   BH_ERR_FORMAT, "accent_color");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{},\"display_name\":\"a\\nb\"}",
		   BH_ERR_FORMAT, "display_name");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{},\"setup\":"
		      "{\"first_boot_hook\":\"hooks/x.sh\"}}", BH_ERR_FORMAT, "first_boot_hook");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{},\"setup\":"
		      "{\"detect\":\"a;b\"}}", BH_ERR_FORMAT, "detect");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{},\"setup\":"
		      "{\"finalization_steps\":\"storage\"}}", BH_ERR_WRONG_TYPE, "finalization_steps");
	expect_bad(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{},\"setup\":"
		      "{\"finalization_steps\":[\"a\",2]}}", BH_ERR_WRONG_TYPE, "finalization_steps[1]");
	expect_bad(E, "{\"name\":\"evm\",\"version\":\"1\",\"constraints\":"
		      "{\"address_pattern\":\"0x[0-9a-f]{40}\"}}", BH_ERR_FORMAT, "address_pattern");
	expect_bad(E, "{\"name\":\"evm\",\"version\":\"1\",\"constraints\":"
		      "{\"address_pattern\":\"^0x|[0-9a-f]{40}$\"}}", BH_ERR_FORMAT, "anchored");
	expect_bad(E, "{\"name\":\"evm\",\"version\":\"1\",\"constraints\":"
		      "{\"address_pattern\":\"^0x[0-9$\"}}", BH_ERR_FORMAT, "address_pattern");
	expect_bad(E, "{\"name\":\"evm\",\"version\":\"1\",\"constraints\":"
		      "{\"address_pattern\":\"^a\\\\$\"}}", BH_ERR_FORMAT, "anchored");
	expect_bad(E, "{\"name\":\"evm\",\"version\":\"1\",\"constraints\":[]}", BH_ERR_WRONG_TYPE,
		   "constraints");
	expect_bad(E, "{\"name\":\"evm\",\"version\":\"1\",\"constraints\":{\"native_token\":1}}",
		   BH_ERR_WRONG_TYPE, "native_token");
	expect_bad(B, "{\"name\":\"broker\",\"chains\":{\"evm\":{\"wallet_pattern\":\"0x\"}}}",
		   BH_ERR_FORMAT, "wallet_pattern");
	expect_bad(B, "{\"name\":\"broker\",\"chains\":{\"evm\":[]}}", BH_ERR_WRONG_TYPE, "evm");
	expect_bad(B, "{\"name\":\"broker\",\"chains\":{\"evm\":{\"fields\":{}}}}",
		   BH_ERR_WRONG_TYPE, "fields");

	/* grouped alternation inside anchors is fine */
	struct bh_manifest *m = NULL;
	assert_int_equal(parse(E, "{\"name\":\"evm\",\"version\":\"1\",\"constraints\":"
				  "{\"address_pattern\":\"^(0x|0X)[0-9a-f|]{40}$\"}}", NULL, &m), 0);
	assert_int_equal(bh_manifest_match(m, "address_pattern", "0X"
					   "0123456789012345678901234567890123456789"), 0);
	bh_manifest_free(m);
	/* unknown keys are ignored (forward compatibility) */
	assert_int_equal(parse(P, "{\"name\":\"x\",\"version\":\"1\",\"commands\":{},"
				  "\"future\":{\"a\":[1,2]}}", NULL, &m), 0);
	bh_manifest_free(m);
	/* size cap */
	size_t n = BH_MANIFEST_MAX_SIZE + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	assert_int_equal(bh_manifest_parse(P, big, n, &m, NULL), BH_ERR_LIMIT);
	free(big);
	assert_int_equal(bh_manifest_parse(_BH_MANIFEST_KIND_MAX, "{}", 2, &m, NULL), -EINVAL);
}

static char root[64];

static void write_file(const char *rel, const char *content, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void test_discovery(void **state)
{
	(void)state;
	char p[256], link[256];
	struct bh_manifest *m = NULL;
	struct bh_msg msg;

	snprintf(root, sizeof(root), "/tmp/bhmanXXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/usr", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/usr/share", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/usr/share/blockhost", root);
	assert_int_equal(mkdir(p, 0755), 0);
	setenv("BLOCKHOST_ROOT", root, 1);

	/* nothing installed: not found, distinct from malformed */
	assert_int_equal(bh_manifest_load(BH_MANIFEST_PROVISIONER, &m, &msg), BH_ERR_NOT_FOUND);
	assert_non_null(strstr(msg.text, "provisioner.json: not installed"));
	assert_int_equal(bh_manifest_load(BH_MANIFEST_BROKER, &m, NULL), BH_ERR_NOT_FOUND);

	write_file("usr/share/blockhost/provisioner.json", provisioner_libvirt, 0644);
	write_file("usr/share/blockhost/engine.json", "{\"name\":\"evm\"}", 0644);
	assert_int_equal(bh_manifest_load(BH_MANIFEST_PROVISIONER, &m, &msg), 0);
	assert_string_equal(bh_manifest_name(m), "libvirt");
	m = bh_manifest_free(m);
	assert_int_equal(bh_manifest_load(BH_MANIFEST_ENGINE, &m, &msg), BH_ERR_MISSING_KEY);
	/* the message names the file and the key */
	assert_non_null(strstr(msg.text, "engine.json: missing required key \"version\""));
	write_file("usr/share/blockhost/engine.json", engine_evm, 0644);
	assert_int_equal(bh_manifest_load(BH_MANIFEST_ENGINE, &m, &msg), 0);
	m = bh_manifest_free(m);

	/* a symlinked or non-regular manifest is refused */
	snprintf(p, sizeof(p), "%s/usr/share/blockhost/real.json", root);
	snprintf(link, sizeof(link), "%s/usr/share/blockhost/broker.json", root);
	write_file("usr/share/blockhost/real.json", broker, 0644);
	assert_int_equal(symlink(p, link), 0);
	assert_int_equal(bh_manifest_load(BH_MANIFEST_BROKER, &m, &msg), BH_ERR_UNSAFE_FILE);
	unlink(link);
	assert_int_equal(mkdir(link, 0755), 0);
	assert_int_equal(bh_manifest_load(BH_MANIFEST_BROKER, &m, &msg), BH_ERR_UNSAFE_FILE);
	rmdir(link);
	assert_int_equal(rename(p, link), 0);
	assert_int_equal(bh_manifest_load(BH_MANIFEST_BROKER, &m, &msg), 0);
	bh_manifest_free(m);
	assert_int_equal(bh_manifest_load(_BH_MANIFEST_KIND_MAX, &m, &msg), -EINVAL);
	assert_string_equal(bh_manifest_file(BH_MANIFEST_ENGINE), "engine.json");
	assert_null(bh_manifest_file(_BH_MANIFEST_KIND_MAX));

	unsetenv("BLOCKHOST_ROOT");
	static const char *const files[] = { "provisioner.json", "engine.json", "broker.json" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/usr/share/blockhost/%s", root, files[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/usr/share/blockhost", root);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/usr/share", root);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/usr", root);
	rmdir(p);
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upstream_shapes),
		cmocka_unit_test(test_exe_rule),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_discovery),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the engine's RPC endpoint configuration (blockchain.rpc_urls / rpc_quorum in
 * web3-defaults.json, the command-line list, the quorum's rules) and the logsBloom test
 * the ingest uses to skip blocks (against a bloom anvil computed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/hex.h"
#include "../../src/engine/chain.h"
#include "../../src/engine/quorum.h"

static int load(const char *json, struct eng_chain_cfg *ret, struct bh_msg *m)
{
	char path[] = "/tmp/bh-eng-q-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	int r = eng_chain_cfg_load(path, ret, m);
	unlink(path);
	return r;
}

static void test_config(void **state)
{
	(void)state;
	struct eng_chain_cfg c;
	struct bh_msg m = { "" };

	/* one URL: the single endpoint, quorum 1 (as before) */
	assert_int_equal(load("{\"blockchain\": {\"rpc_url\": \"http://a:1\"}}", &c, &m), 0);
	assert_int_equal(c.nrpc, 1);
	assert_string_equal(c.rpc_urls[0], "http://a:1");
	assert_int_equal(eng_chain_cfg_check_quorum(&c, &m), 0);
	eng_chain_cfg_done(&c);
	/* a list and a quorum; rpc_url, if given, one of them; the first is rpc_url */
	assert_int_equal(load("{\"blockchain\": {\"rpc_url\": \"http://b:1\", \"rpc_urls\": "
			      "[\"http://a:1\", \"http://b:1\", \"http://c:1\"], \"rpc_quorum\": 2}}", &c, &m), 0);
	assert_int_equal(c.nrpc, 3);
	assert_int_equal(c.rpc_quorum, 2);
	assert_string_equal(c.rpc_url, "http://a:1");
	assert_int_equal(eng_chain_cfg_check_quorum(&c, &m), 0);
	/* the command line's list replaces the file's (and its quorum, unless given) */
	const char *two[] = { "http://x:1", "http://y:1" };
	assert_int_equal(eng_chain_cfg_set_endpoints(&c, two, 2, 0, &m), 0);
	assert_int_equal(c.nrpc, 2);
	assert_int_equal(c.rpc_quorum, 0);
	assert_string_equal(c.rpc_url, "http://x:1");
	assert_int_equal(eng_chain_cfg_set_endpoints(&c, NULL, 0, 3, &m), 0);
	assert_int_equal(eng_chain_cfg_check_quorum(&c, &m), BH_ERR_CONFIG);
	assert_non_null(strstr(m.text, "quorum 3 with 2 RPC endpoints"));
	const char *dup[] = { "http://x:1/", "HTTP://X:1" };
	assert_int_equal(eng_chain_cfg_set_endpoints(&c, dup, 2, 2, &m), 0);
	assert_int_equal(eng_chain_cfg_check_quorum(&c, &m), BH_ERR_CONFIG);
	assert_non_null(strstr(m.text, "RPC endpoints 1 and 2 are the same URL"));
	/* one --rpc-url through the shared override: one endpoint, quorum 1 */
	assert_int_equal(eng_chain_cfg_override(&c, "http://z:1", 0, NULL), 0);
	assert_int_equal(c.nrpc, 1);
	assert_int_equal(c.rpc_quorum, 1);
	assert_string_equal(c.rpc_urls[0], "http://z:1");
	eng_chain_cfg_done(&c);
	/* refusals, each naming the key */
	assert_true(load("{\"blockchain\": {\"rpc_url\": \"http://q:1\", \"rpc_urls\": [\"http://a:1\"]}}",
			 &c, &m) < 0);
	assert_non_null(strstr(m.text, "\"blockchain.rpc_url\" is not one of \"blockchain.rpc_urls\""));
	assert_true(load("{\"blockchain\": {\"rpc_urls\": []}}", &c, &m) < 0);
	assert_non_null(strstr(m.text, "expected 1..16 URLs, got 0"));
	assert_true(load("{\"blockchain\": {\"rpc_urls\": [\"http://a:1\", 7]}}", &c, &m) < 0);
	assert_non_null(strstr(m.text, "\"blockchain.rpc_urls\"[1]: expected a URL string"));
	assert_true(load("{\"blockchain\": {\"rpc_urls\": [\"http://a:1\"], \"rpc_quorum\": 0}}", &c, &m) < 0);
	/* nothing configured: the check says where to put a URL */
	memset(&c, 0, sizeof(c));
	assert_int_equal(eng_chain_cfg_check_quorum(&c, &m), BH_ERR_CONFIG);
	assert_non_null(strstr(m.text, "no RPC URL"));
}

/* Block 2 of the chain tests/js/gen-engine-quorum-seeds.js makes (anvil's bloom): one
 * contract emitting LOG1(topic) and LOG2(topic, topic). */
static const char bloom_hex[] =
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000100000000000000000000000000000000000000000"
	"0000000000000000000020000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000010000001000000000000"
	"0000000000000000000000000000000000000000000000000000000000000000"
	"0000000000000000000000000000000000000000000000000000010000000000"
	"0000000000000000000000000000000000000000000000010000000000000000";

static void test_bloom(void **state)
{
	(void)state;
	uint8_t bloom[256], addr[20], topic[32], zero[256] = { 0 };
	assert_int_equal(strlen(bloom_hex), 512);
	assert_int_equal(bh_hex_decode_exact(bloom_hex, bloom, 256), 0);
	assert_int_equal(bh_hex_decode_exact("bcf26943c0197d2ee0e5d05c716be60cc2761508", addr, 20), 0);
	assert_int_equal(bh_hex_decode_exact("85219747d41d036146236159d068dade1133cf470638a9bd822663b665a24c66",
					     topic, 32), 0);
	assert_true(eng_bloom_may_have(bloom, addr, 20));
	assert_true(eng_bloom_may_have(bloom, topic, 32));
	assert_false(eng_bloom_may_have(zero, addr, 20));
	addr[0] ^= 1;   /* another contract: not in this sparse bloom */
	assert_false(eng_bloom_may_have(bloom, addr, 20));
	topic[31] ^= 1;
	assert_false(eng_bloom_may_have(bloom, topic, 32));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_bloom),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

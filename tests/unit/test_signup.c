/* SPDX-License-Identifier: MIT */
/*
 * blockhost-signup's pure parts (src/signup/signup.h): the per-client budget (IPv4 address /
 * IPv6 /64 groups, refill, reuse of the idlest bucket), the HTTP path parser, the relay's
 * validator on chosen cases, and configuration errors naming the key.  The server itself:
 * tests/integration/test_signup_*.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "core/err.h"
#include "signup.h"

static struct su_limit_key key_of(const char *addr)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct su_limit_key k;
	if (inet_pton(AF_INET, addr, &s4.sin_addr) == 1) {
		assert_int_equal(su_limit_key((struct sockaddr *)&s4, sizeof(s4), &k), 0);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &s6.sin6_addr), 1);
		assert_int_equal(su_limit_key((struct sockaddr *)&s6, sizeof(s6), &k), 0);
	}
	return k;
}

static void test_limit_groups(void **state)
{
	(void)state;
	struct su_limit_key a = key_of("2001:db8:1:2::1"), b = key_of("2001:db8:1:2:ffff::9"),
			    c = key_of("2001:db8:1:3::1"), d = key_of("::ffff:192.0.2.7"),
			    e = key_of("192.0.2.7");
	char t[64];
	assert_memory_equal(&a, &b, sizeof(a));     /* one /64 */
	assert_memory_not_equal(&a, &c, sizeof(a));
	assert_memory_equal(&d, &e, sizeof(d));     /* v4-mapped is the IPv4 address */
	su_limit_key_text(&a, t, sizeof(t));
	assert_string_equal(t, "2001:db8:1:2::/64");
	su_limit_key_text(&e, t, sizeof(t));
	assert_string_equal(t, "192.0.2.7");
	assert_int_equal(su_limit_key(NULL, 0, &a), BH_ERR_FORMAT);
}

static void test_limit_bucket(void **state)
{
	(void)state;
	static struct su_limit l;
	struct su_limit_key a = key_of("192.0.2.1"), b = key_of("192.0.2.2");
	su_limit_init(&l, 60, 5);                   /* one per second, bursts of 5 */
	for (int i = 0; i < 5; i++)
		assert_true(su_limit_take(&l, &a, 1, 100.0));
	assert_false(su_limit_take(&l, &a, 1, 100.0));
	assert_true(su_limit_take(&l, &b, 5, 100.0)); /* another client: its own budget */
	assert_false(su_limit_take(&l, &a, 2, 101.0)); /* one second: one token */
	assert_true(su_limit_take(&l, &a, 1, 101.0));
	assert_true(su_limit_take(&l, &a, 5, 1000.0)); /* refilled, capped at the burst */
	assert_false(su_limit_take(&l, &a, 1, 1000.0));
	/* a flood from many addresses reuses the idlest buckets, never blocks a new one */
	for (unsigned i = 0; i < 3 * SU_LIMIT_GROUPS; i++) {
		struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x0a000000u + i) };
		struct su_limit_key k;
		assert_int_equal(su_limit_key((struct sockaddr *)&s4, sizeof(s4), &k), 0);
		assert_true(su_limit_take(&l, &k, 1, 2000.0 + i));
	}
}

static void test_paths(void **state)
{
	(void)state;
	static const char *const good[] = { "/", "/assets/app.js", "/assets/a-b_c.1.css" };
	static const char *const bad[] = {
		"", "//", "/index.html", "/assets/", "/assets", "/assets/.x", "/assets/../x",
		"/assets/%2e%2e", "/assets/a%00", "/assets/a/b", "/ASSETS/a", "/assets/a b",
		"/assets//a", "/x/../assets/a", "/assets/a\\b",
	};
	char name[SU_WWW_NAME_MAX + 1], longp[200];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(su_www_path(good[i], strlen(good[i]), name));
	assert_true(su_www_path("/assets/app.js", 14, name));
	assert_string_equal(name, "assets/app.js");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(su_www_path(bad[i], strlen(bad[i]), name));
	assert_false(su_www_path("/assets/a\0b", 11, name));  /* NUL inside */
	memcpy(longp, "/assets/", 8);
	memset(longp + 8, 'a', sizeof(longp) - 8);
	assert_false(su_www_path(longp, sizeof(longp), name));
	assert_true(su_www_path(longp, 8 + SU_WWW_NAME_MAX - 7, name));
	assert_false(su_www_path(longp, 8 + SU_WWW_NAME_MAX - 6, name));
	assert_string_equal(su_www_content_type("assets/x.js"), "text/javascript; charset=utf-8");
	assert_string_equal(su_www_content_type("assets/x"), "application/octet-stream");
}

static const uint8_t contracts[1][20] = { { [19] = 0xaa } };
static const struct su_relay_rules rules = { .chain_id = 1, .contracts = contracts,
					     .ncontracts = 1, .max_log_blocks = 100 };

/* Parse body; the single call's error message (or "" when it is to forward). */
static const char *one(const char *body, struct su_relay_req *q)
{
	assert_int_equal(su_relay_parse(&rules, (const uint8_t *)body, strlen(body), q), 0);
	json_t *r = q->whole_error ? q->whole_error : q->calls[0].response;
	return r ? json_string_value(json_object_get(json_object_get(r, "error"), "message")) : "";
}

static void test_relay(void **state)
{
	(void)state;
	struct su_relay_req q;
	const char *ours = "0x00000000000000000000000000000000000000AA";
	char body[600];

	snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_call\",\"params\":"
		 "[{\"to\":\"%s\",\"input\":\"0x01\"}]}", ours);
	assert_string_equal(one(body, &q), "");
	/* rebuilt: to lower-cased, input as data, the block made explicit */
	char *p = json_dumps(q.calls[0].params, JSON_COMPACT);
	assert_string_equal(p, "[{\"to\":\"0x00000000000000000000000000000000000000aa\","
			       "\"data\":\"0x01\"},\"latest\"]");
	free(p);
	su_relay_req_done(&q);
	assert_non_null(strstr(one("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_sendTransaction\"}", &q),
			       "through your wallet"));
	su_relay_req_done(&q);
	snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getLogs\",\"params\":"
		 "[{\"address\":\"%s\",\"fromBlock\":\"0x1\",\"toBlock\":\"0x64\"}]}", ours);
	assert_string_equal(one(body, &q), "");  /* 100 blocks: the limit */
	su_relay_req_done(&q);
	snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getLogs\",\"params\":"
		 "[{\"address\":\"%s\",\"fromBlock\":\"0x1\",\"toBlock\":\"0x65\"}]}", ours);
	assert_non_null(strstr(one(body, &q), "over 101 blocks"));
	su_relay_req_done(&q);
	snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getLogs\",\"params\":"
		 "[{\"address\":\"%s\",\"fromBlock\":\"0x01\",\"toBlock\":\"0x2\"}]}", ours);
	assert_non_null(strstr(one(body, &q), "must be block numbers")); /* not minimal hex */
	su_relay_req_done(&q);
	assert_non_null(strstr(one("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"eth_chainId\"}", &q),
			       "'id' must be"));
	assert_true(json_is_null(q.calls[0].id));
	su_relay_req_done(&q);
	/* the oversize body is refused before parsing */
	char *big = calloc(1, SU_RELAY_BODY_MAX + 2);
	memset(big, ' ', SU_RELAY_BODY_MAX + 1);
	assert_non_null(strstr(one(big, &q), "over the relay's limit"));
	su_relay_req_done(&q);
	free(big);
	/* answers: a batch keeps order and ids */
	static const char batch[] = "[{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"eth_chainId\"},"
				    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}]";
	assert_int_equal(su_relay_parse(&rules, (const uint8_t *)batch, strlen(batch), &q), 0);
	assert_int_equal(q.n, 2);
	q.calls[0].response = su_relay_result(q.calls[0].id, json_string("0x1"));
	char *out = NULL;
	size_t len = 0;
	assert_int_equal(su_relay_answer(&q, &out, &len), 0);
	assert_non_null(strstr(out, "[{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":\"0x1\"},"
				    "{\"jsonrpc\":\"2.0\",\"id\":2,\"error\":{\"code\":-32601,"));
	free(out);
	su_relay_req_done(&q);
}

static void test_config(void **state)
{
	(void)state;
	static const char base[] = "{\"rpc_url\":\"http://127.0.0.1:8545\",\"chain_id\":5,"
				   "\"contracts\":{\"subscriptions\":\"0x00000000000000000000000000000000000000AA\","
				   "\"nft\":\"0x00000000000000000000000000000000000000bb\"},\"www\":\"/w\","
				   "\"cert\":\"/c.pem\"%s}";
	struct su_config c;
	struct bh_msg m = { { 0 } };
	char doc[800], *pub = NULL;

	snprintf(doc, sizeof(doc), base, "");
	assert_int_equal(su_config_parse(doc, strlen(doc), "t.json", &c, &m), 0);
	assert_int_equal(c.port, 443);
	assert_string_equal(c.listen, "::");
	assert_string_equal(c.public_secret, "blockhost-access:5:0x00000000000000000000000000000000000000aa");
	assert_int_equal(su_config_public_json(&c, &pub, &m), 0);
	assert_null(strstr(pub, "8545"));
	assert_non_null(strstr(pub, "\"rpcPath\":\"/rpc\""));
	free(pub);
	su_config_done(&c);
	static const struct { const char *extra, *want; } bad[] = {
		{ ",\"rpcurl\":1", "unknown key 'rpcurl'" },
		{ ",\"port\":0", "'port'" },
		{ ",\"explorer_url\":\"javascript:x\"", "'explorer_url'" },
		{ ",\"payment_tokens\":[{\"address\":\"0x1\"}]", "'payment_tokens[0].address'" },
		{ ",\"payment_tokens\":[{\"address\":\"0x00000000000000000000000000000000000000cc\",\"decimals\":99}]",
		  "'payment_tokens[0].decimals': expected 0..36" },
		{ ",\"public_secret\":\"\"", "'public_secret': must not be empty" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc), base, bad[i].extra);
		memset(&m, 0, sizeof(m));
		assert_true(su_config_parse(doc, strlen(doc), "t.json", &c, &m) < 0);
		if (!strstr(m.text, bad[i].want))
			fail_msg("%s: message '%s' lacks '%s'", bad[i].extra, m.text, bad[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_groups), cmocka_unit_test(test_limit_bucket),
		cmocka_unit_test(test_paths), cmocka_unit_test(test_relay),
		cmocka_unit_test(test_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

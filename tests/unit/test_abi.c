/* SPDX-License-Identifier: MIT */
/* Unit tests: ABI signatures, encoding, strict decoding, logs, reverts, JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "eth/abi.h"
#include "core/err.h"
#include "core/hex.h"

static struct bh_abi_sig *sig_or_die(const char *s)
{
	struct bh_abi_sig *sig = NULL;
	struct bh_msg m = { "" };
	int r = bh_abi_sig_parse(s, &sig, &m);
	if (r < 0)
		fail_msg("parse %s: %s", s, m.text);
	return sig;
}

static struct bh_abi_type *type_or_die(const char *s)
{
	struct bh_abi_type *t = NULL;
	struct bh_msg m = { "" };
	if (bh_abi_type_parse(s, &t, &m) < 0)
		fail_msg("parse %s: %s", s, m.text);
	return t;
}

/* Word helpers for building encodings by hand. */
static void put_word_u64(uint8_t *p, uint64_t x)
{
	bh_u256_from_u64(x, p);
}

/* ---------------------------------------------------------------- selectors and topics */

static void test_selectors(void **state)
{
	(void)state;
	static const struct { const char *sig, *sel; } v[] = {
		{ "setPrimaryStablecoin(address)", "60d2c9d1" },
		{ "createPlan(string,uint256)", "4e09bf46" },
		{ "updatePlan(uint256,string,uint256,bool)", "f8fd9cb8" },
		{ "cancelSubscription(uint256)", "21235083" },
		{ "addPaymentMethod(address token,address pair,address stable)", "1f40d996" },
		{ "updatePaymentMethod(uint256,bool)", "efd843e5" },
		{ "withdrawFunds(address,address)", "000fa9fb" },
		{ "setSlippageBps(uint256)", "1a3ce4e6" },
		{ "setMinLiquidity(uint256)", "5c4c4749" },
		{ "buySubscription(uint256 planId, uint256 days, uint256 paymentMethodId, bytes userEncrypted)",
		  "d4e69225" },
		{ "extendSubscription(uint256,uint256,uint256)", "526e1442" },
		{ "daysRemaining(uint256)", "17c9769c" },
		{ "getSubscription(uint256)", "dc311dd3" },
		{ "getPlan(uint256)", "26cd5274" },
		{ "getPrimaryStablecoin()", "70fd351d" },
		{ "getPaymentMethodIds()", "12a82fc8" },
		{ "getPaymentMethod(uint256)", "1c944100" },
		{ "calculatePayment(uint256,uint256,uint256)", "2f49b868" },
		{ "getTokenPriceUsdCents(uint256)", "5bd1854e" },
		{ "getTotalSubscriptionCount()", "1a9fefd1" },
		{ "getTotalPlanCount()", "d7dd2c99" },
		{ "getSubscriptionsBySubscriber(address)", "812ed898" },
		{ "isSubscriptionActive(uint256)", "57e2c0f5" },
		{ "nextPlanId()", "5f8d26b2" },
		{ "nextSubscriptionId()", "da58935f" },
		{ "owner()", "8da5cb5b" },
		{ "mint(address to, bytes userEncrypted)", "b510391f" },
		{ "updateUserEncrypted(uint256,bytes)", "804a083e" },
		{ "getUserEncrypted(uint256)", "191803d1" },
		{ "ownerOf(uint256)", "6352211e" },
		{ "balanceOf(address)", "70a08231" },
		{ "totalSupply()", "18160ddd" },
		{ "tokenOfOwnerByIndex(address,uint256)", "2f745c59" },
		{ "submitRequest(address,bytes)", "0f9dd2c8" },
		{ "getRequest(uint256)", "c58343ef" },
		{ "getRequestCount()", "3fad1834" },
		{ "Error(string)", "08c379a0" },
		{ "Panic(uint256)", "4e487b71" },
		/* aliases are expanded before hashing */
		{ "transfer(address,uint)", "a9059cbb" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct bh_abi_sig *sig = sig_or_die(v[i].sig);
		char h[9];
		bh_hex_encode(sig->selector, 4, h);
		if (strcmp(h, v[i].sel))
			fail_msg("%s: selector %s, expected %s", v[i].sig, h, v[i].sel);
		bh_abi_sig_free(sig);
	}
}

static void test_topics(void **state)
{
	(void)state;
	static const struct { const char *sig, *topic; } v[] = {
		{ "SubscriptionCreated(uint256 indexed subscriptionId, uint256 indexed planId, address indexed subscriber, uint256 expiresAt, uint256 paidAmount, address paymentToken, bytes userEncrypted)",
		  "f8d0042297eb90d4c0e69b16b80a93bdee5b71f0a963a1961a4de8c551958b55" },
		{ "SubscriptionExtended(uint256 indexed,uint256 indexed,address indexed,uint256,uint256,address)",
		  "80f867aeffc74b04b4f387cfc5572b2a3537d8705579fb696da4019cc8069e09" },
		{ "SubscriptionCancelled(uint256 indexed,uint256 indexed,address indexed)",
		  "66f43ba68b89239cf7af6921b9dcdaf6ce93c7223af7a53e343dbedcc082a104" },
		{ "PlanCreated(uint256 indexed planId, string name, uint256 pricePerDayUsdCents)",
		  "135a65e1936006594178a9666e5ddf1d2099f18e72674253a206ed70ade01cc9" },
		{ "PlanUpdated(uint256 indexed,string,uint256,bool)",
		  "98d9b93420109e31b5f297c50e34a5907d18ec99519b549841a4e2e44ed603eb" },
		{ "PrimaryStablecoinSet(address indexed,uint8)",
		  "049f622fd06ba905bb91b8ea6b416f19b5dfdbf4b20b93b4f7e59c66dff6a402" },
		{ "PaymentMethodAdded(uint256 indexed,address,address,address)",
		  "c74a90c669f762a266204078fc166e66430490a15b90872be19f28828342ae3c" },
		{ "PaymentMethodUpdated(uint256 indexed,bool)",
		  "062a43f31b40fa5f8ad6a2d7177d4536a7896a80ed53b18955c2e6b2cda8cdc1" },
		{ "FundsWithdrawn(address indexed,address indexed,uint256)",
		  "a92ff919b850e4909ab2261d907ef955f11bc1716733a6cbece38d163a69af8a" },
		{ "CredentialMinted(uint256 indexed tokenId, address indexed recipient)",
		  "cde916bd9d7a22898d8fc86b92ef660fa8dddb29c63944348dd33e5d9f1e3f98" },
		{ "CredentialUpdated(uint256 indexed tokenId)",
		  "af546e6879a109130d587e5ae972d905c080f1395212533857157316489f2c34" },
		{ "Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
		  "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct bh_abi_sig *sig = sig_or_die(v[i].sig);
		char h[65];
		bh_hex_encode(sig->topic, 32, h);
		if (strcmp(h, v[i].topic))
			fail_msg("%s: topic %s, expected %s", v[i].sig, h, v[i].topic);
		bh_abi_sig_free(sig);
	}
}

static void test_sig_parse(void **state)
{
	(void)state;
	static const struct { const char *in, *canon; } ok[] = {
		{ "f((uint256,bytes)[],string[2],int,bytes32)", "f((uint256,bytes)[],string[2],int256,bytes32)" },
		{ " f ( tuple(uint8 a, bool b) s , uint[][3] x ) ", "f((uint8,bool),uint256[][3])" },
		{ "g()", "g()" },
		{ "h(())", "h(())" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct bh_abi_sig *sig = sig_or_die(ok[i].in);
		assert_string_equal(sig->canonical, ok[i].canon);
		bh_abi_sig_free(sig);
	}
	static const char *bad[] = {
		"", "f", "f(", "f(uint7)", "f(uint264)", "f(uint0)", "f(bytes33)", "f(bytes0)",
		"f(uint256[0])", "f(uint256[)", "f(uint256,)", "f(,)", "1f()", "f(foo)", "f(uint256) x",
		"f(()[])", "f(uint08)", "f(uint256[01])", "f(address indexed a b)",
		"f(uint256[][][][][][][][][][][][][][][][][])",
		"f((((((((((((((((((uint8))))))))))))))))))",
		"f(uint256[99999999])",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bh_abi_sig *sig = NULL;
		struct bh_msg m = { "" };
		if (bh_abi_sig_parse(bad[i], &sig, &m) >= 0)
			fail_msg("accepted bad signature '%s'", bad[i]);
		assert_true(m.text[0] != '\0');
	}
	/* limits on the string itself */
	char *big = malloc(BH_ABI_MAX_SIG + 10);
	memset(big, 'a', BH_ABI_MAX_SIG + 9);
	big[BH_ABI_MAX_SIG + 9] = 0;
	struct bh_abi_sig *sig = NULL;
	assert_int_equal(bh_abi_sig_parse(big, &sig, NULL), BH_ERR_LIMIT);
	free(big);
}

/*
 * Aliases expand ("uint" -> "uint256", "int" -> "int256"), so a signature under the
 * BH_ABI_MAX_SIG cap could have a canonical form over it, which then did not parse again
 * (3,872 characters of "uint" in tuples gave 6,752).  The cap applies to the canonical
 * form at parse time: right at the cap it parses and re-parses, one over is BH_ERR_LIMIT.
 */
static char *alias_sig(size_t nt, size_t extra)
{
	/* "f(" + nt tuples of 64 "uint" (513 canonical characters each) + ... */
	struct bh_buf b;
	char *s = NULL;
	bh_buf_init(&b, 1 << 20);
	assert_int_equal(bh_buf_put_cstr(&b, "f("), 0);
	for (size_t i = 0; i < nt; i++) {
		assert_int_equal(bh_buf_put_cstr(&b, i ? ",(" : "("), 0);
		for (size_t k = 0; k < 64; k++)
			assert_int_equal(bh_buf_put_cstr(&b, k ? ",uint" : "uint"), 0);
		assert_int_equal(bh_buf_put_cstr(&b, ")"), 0);
	}
	/* then a tuple of `extra` more "uint" (8 canonical characters each) */
	for (size_t i = 0; i < extra; i++)
		assert_int_equal(bh_buf_put_cstr(&b, i ? ",uint" : ",(uint"), 0);
	if (extra)
		assert_int_equal(bh_buf_put_cstr(&b, ")"), 0);
	assert_int_equal(bh_buf_put_cstr(&b, ")"), 0);
	assert_int_equal(bh_buf_steal_cstr(&b, &s), 0);
	bh_buf_done(&b);
	return s;
}

static void test_sig_canonical_cap(void **state)
{
	(void)state;
	struct bh_abi_sig *sig = NULL, *again = NULL;
	struct bh_abi_type *t = NULL;
	struct bh_msg m = { "" };

	/* 12 tuples: 3,866 characters in, 6,170 canonical: refused, with a message */
	char *s = alias_sig(12, 0);
	assert_true(strlen(s) <= BH_ABI_MAX_SIG);
	assert_int_equal(bh_abi_sig_parse(s, &sig, &m), BH_ERR_LIMIT);
	assert_non_null(strstr(m.text, "canonical"));
	assert_int_equal(bh_abi_type_parse(s + 1, &t, NULL), BH_ERR_LIMIT);
	free(s);
	/* 7 tuples: 3,606 canonical characters; grow a last tuple by one "uint" (8 more)
	 * until refused: the largest accepted one re-parses to itself */
	size_t extra = 0;
	for (;; extra++) {
		s = alias_sig(7, extra + 1);
		int r = bh_abi_sig_parse(s, &sig, NULL);
		free(s);
		if (r < 0) {
			assert_int_equal(r, BH_ERR_LIMIT);
			break;
		}
		bh_abi_sig_free(sig);
		sig = NULL;
	}
	s = alias_sig(7, extra);
	assert_int_equal(bh_abi_sig_parse(s, &sig, NULL), 0);
	assert_true(strlen(sig->canonical) <= BH_ABI_MAX_SIG);
	assert_true(strlen(sig->canonical) + 8 > BH_ABI_MAX_SIG);
	assert_int_equal(bh_abi_sig_parse(sig->canonical, &again, NULL), 0);
	assert_string_equal(again->canonical, sig->canonical);
	assert_memory_equal(again->topic, sig->topic, 32);
	/* the same for a lone type: its canonical text re-parses */
	assert_int_equal(bh_abi_type_parse(s + 1, &t, NULL), 0);
	char *c = bh_abi_type_canonical(t);
	assert_non_null(c);
	assert_true(strlen(c) <= BH_ABI_MAX_SIG);
	bh_abi_type_free(t);
	t = NULL;
	assert_int_equal(bh_abi_type_parse(c, &t, NULL), 0);
	free(c);
	bh_abi_type_free(t);
	bh_abi_sig_free(again);
	bh_abi_sig_free(sig);
	free(s);
}

/* ---------------------------------------------------------------- known encodings */

static void test_encode_mint(void **state)
{
	(void)state;
	struct bh_abi_sig *sig = sig_or_die("mint(address,bytes)");
	struct bh_abi_value args = { 0 };
	uint8_t addr[20], expect[4 + 5 * 32] = { 0 };
	struct bh_buf out;

	for (int i = 0; i < 20; i++)
		addr[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(bh_abi_value_list(&args, BH_ABI_TUPLE, 2), 0);
	bh_abi_value_address(&args.u.list.items[0], addr);
	assert_int_equal(bh_abi_value_bytes(&args.u.list.items[1], "0123456789abcdef0123456789abcdefXYZ", 35), 0);
	bh_buf_init(&out, 4096);
	assert_int_equal(bh_abi_encode_call(sig, &args, &out, NULL), 0);
	memcpy(expect, "\xb5\x10\x39\x1f", 4);
	memcpy(expect + 4 + 12, addr, 20);
	put_word_u64(expect + 4 + 32, 0x40);
	put_word_u64(expect + 4 + 64, 35);
	memcpy(expect + 4 + 96, "0123456789abcdef0123456789abcdefXYZ", 35);
	assert_int_equal(bh_buf_len(&out), sizeof(expect));
	assert_memory_equal(bh_buf_ptr(&out), expect, sizeof(expect));

	/* and back */
	struct bh_abi_value *dec = NULL;
	assert_int_equal(bh_abi_decode_call(sig, expect, sizeof(expect), &dec, NULL), 0);
	assert_int_equal(dec->u.list.n, 2);
	assert_memory_equal(dec->u.list.items[0].u.word + 12, addr, 20);
	assert_int_equal(dec->u.list.items[1].u.bytes.len, 35);
	bh_abi_value_free(dec);
	/* wrong selector */
	expect[0] ^= 1;
	assert_int_equal(bh_abi_decode_call(sig, expect, sizeof(expect), &dec, NULL), BH_ERR_MISMATCH);

	bh_buf_done(&out);
	bh_abi_value_clear(&args);
	bh_abi_sig_free(sig);
}

static void test_encode_create_plan_and_buy(void **state)
{
	(void)state;
	struct bh_abi_sig *cp = sig_or_die("createPlan(string,uint256)");
	struct bh_abi_sig *buy = sig_or_die("buySubscription(uint256,uint256,uint256,bytes)");
	struct bh_abi_value a = { 0 };
	struct bh_buf out;
	uint8_t exp[4 + 4 * 32] = { 0 };

	bh_buf_init(&out, 4096);
	assert_int_equal(bh_abi_value_list(&a, BH_ABI_TUPLE, 2), 0);
	assert_int_equal(bh_abi_value_string(&a.u.list.items[0], "Basic VM"), 0);
	bh_abi_value_uint(&a.u.list.items[1], 50);
	assert_int_equal(bh_abi_encode_call(cp, &a, &out, NULL), 0);
	memcpy(exp, "\x4e\x09\xbf\x46", 4);
	put_word_u64(exp + 4, 0x40);
	put_word_u64(exp + 36, 50);
	put_word_u64(exp + 68, 8);
	memcpy(exp + 100, "Basic VM", 8);
	assert_int_equal(bh_buf_len(&out), sizeof(exp));
	assert_memory_equal(bh_buf_ptr(&out), exp, sizeof(exp));
	bh_abi_value_clear(&a);

	/* buySubscription(1, 30, 1, 0x) : empty bytes = offset + zero length */
	bh_buf_reset(&out);
	assert_int_equal(bh_abi_value_list(&a, BH_ABI_TUPLE, 4), 0);
	bh_abi_value_uint(&a.u.list.items[0], 1);
	bh_abi_value_uint(&a.u.list.items[1], 30);
	bh_abi_value_uint(&a.u.list.items[2], 1);
	assert_int_equal(bh_abi_value_bytes(&a.u.list.items[3], NULL, 0), 0);
	assert_int_equal(bh_abi_encode_call(buy, &a, &out, NULL), 0);
	assert_int_equal(bh_buf_len(&out), 4 + 5 * 32);
	assert_memory_equal(bh_buf_ptr(&out), "\xd4\xe6\x92\x25", 4);
	assert_int_equal(bh_buf_ptr(&out)[4 + 3 * 32 + 31], 0x80);

	/* type errors are reported with the parameter */
	struct bh_msg m = { "" };
	bh_abi_value_bool(&a.u.list.items[0], true);
	assert_int_equal(bh_abi_encode_call(buy, &a, &out, &m), BH_ERR_WRONG_TYPE);
	assert_non_null(strstr(m.text, "param 0 (uint256)"));
	bh_abi_value_clear(&a);

	/* a string that is not UTF-8 is refused by the encoder */
	assert_int_equal(bh_abi_value_list(&a, BH_ABI_TUPLE, 2), 0);
	assert_int_equal(bh_abi_value_string(&a.u.list.items[0], "\xff\xfe"), 0);
	bh_abi_value_uint(&a.u.list.items[1], 1);
	assert_int_equal(bh_abi_encode_call(cp, &a, &out, NULL), BH_ERR_UTF8);
	bh_abi_value_clear(&a);

	/* uint8 range on encode */
	struct bh_abi_type *t = type_or_die("(uint8)");
	assert_int_equal(bh_abi_value_list(&a, BH_ABI_TUPLE, 1), 0);
	bh_abi_value_uint(&a.u.list.items[0], 256);
	assert_int_equal(bh_abi_encode(t, &a, &out, NULL), BH_ERR_RANGE);
	bh_abi_value_clear(&a);
	bh_abi_type_free(t);

	bh_buf_done(&out);
	bh_abi_sig_free(cp);
	bh_abi_sig_free(buy);
}

/* SubscriptionCreated as described in upstream §6.1, built word by word. */
static size_t build_sub_created(uint8_t *data, uint8_t topics[4][32], const uint8_t *payload,
                                size_t plen)
{
	struct bh_abi_sig *sig = sig_or_die(
		"SubscriptionCreated(uint256 indexed,uint256 indexed,address indexed,uint256,uint256,address,bytes)");
	memcpy(topics[0], sig->topic, 32);
	bh_abi_sig_free(sig);
	put_word_u64(topics[1], 42);
	put_word_u64(topics[2], 1);
	memset(topics[3], 0, 32);
	memset(topics[3] + 12, 0x11, 20);
	memset(data, 0, 4 * 32 + 32 + ((plen + 31) / 32) * 32);
	put_word_u64(data, 1700000000);
	put_word_u64(data + 32, 15000000);
	memset(data + 64 + 12, 0x22, 20);
	put_word_u64(data + 96, 0x80);
	put_word_u64(data + 128, plen);
	memcpy(data + 160, payload, plen);
	return 160 + ((plen + 31) / 32) * 32;
}

static void test_decode_log_subscription_created(void **state)
{
	(void)state;
	struct bh_abi_sig *sig = sig_or_die(
		"SubscriptionCreated(uint256 indexed subscriptionId, uint256 indexed planId, address indexed subscriber, uint256 expiresAt, uint256 paidAmount, address paymentToken, bytes userEncrypted)");
	uint8_t topics[4][32], data[512];
	const uint8_t payload[] = "ECIES-ciphertext-bytes-that-are-longer-than-32";
	size_t n = build_sub_created(data, topics, payload, sizeof(payload) - 1);
	struct bh_abi_value *v = NULL;
	struct bh_msg m = { "" };
	uint64_t x;

	assert_int_equal(bh_abi_decode_log(sig, (const uint8_t(*)[32])topics, 4, data, n, &v, &m), 0);
	assert_int_equal(v->u.list.n, 7);
	assert_int_equal(bh_u256_to_u64(v->u.list.items[0].u.word, &x), 0);
	assert_int_equal(x, 42);
	assert_int_equal(bh_u256_to_u64(v->u.list.items[1].u.word, &x), 0);
	assert_int_equal(x, 1);
	assert_int_equal(v->u.list.items[2].kind, BH_ABI_ADDRESS);
	assert_int_equal(v->u.list.items[2].u.word[31], 0x11);
	assert_int_equal(bh_u256_to_u64(v->u.list.items[3].u.word, &x), 0);
	assert_int_equal(x, 1700000000);
	assert_int_equal(bh_u256_to_u64(v->u.list.items[4].u.word, &x), 0);
	assert_int_equal(x, 15000000);
	assert_int_equal(v->u.list.items[5].u.word[12], 0x22);
	assert_int_equal(v->u.list.items[6].u.bytes.len, sizeof(payload) - 1);
	assert_memory_equal(v->u.list.items[6].u.bytes.data, payload, sizeof(payload) - 1);

	json_t *j = bh_abi_value_to_json(v);
	char *s = json_dumps(j, JSON_COMPACT);
	assert_non_null(strstr(s, "[\"42\",\"1\",\"0x1111111111111111111111111111111111111111\",\"1700000000\""));
	free(s);
	json_decref(j);
	v = bh_abi_value_free(v);

	/* wrong topic count, wrong topic0, non-canonical indexed address */
	assert_int_equal(bh_abi_decode_log(sig, (const uint8_t(*)[32])topics, 3, data, n, &v, &m),
			 BH_ERR_MISMATCH);
	topics[3][0] = 1;
	assert_int_equal(bh_abi_decode_log(sig, (const uint8_t(*)[32])topics, 4, data, n, &v, &m),
			 BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "param 2 (address"));
	topics[3][0] = 0;
	topics[0][5] ^= 1;
	assert_int_equal(bh_abi_decode_log(sig, (const uint8_t(*)[32])topics, 4, data, n, &v, &m),
			 BH_ERR_MISMATCH);
	topics[0][5] ^= 1;
	/* offset of the bytes beyond the data */
	put_word_u64(data + 96, 0x1e0);
	assert_int_equal(bh_abi_decode_log(sig, (const uint8_t(*)[32])topics, 4, data, n, &v, &m),
			 BH_ERR_INCOMPLETE);
	assert_non_null(strstr(m.text, "param 6 (bytes): offset 0x1e0 beyond data"));
	put_word_u64(data + 96, 0x80);
	/* trailing word */
	memset(data + n, 0, 32);
	assert_int_equal(bh_abi_decode_log(sig, (const uint8_t(*)[32])topics, 4, data, n + 32, &v, &m),
			 BH_ERR_TRAILING);
	assert_null(v);
	bh_abi_sig_free(sig);
}

static void test_indexed_dynamic_is_hash(void **state)
{
	(void)state;
	struct bh_abi_sig *sig = sig_or_die("E(string indexed s, bytes b)");
	uint8_t topics[2][32], data[96] = { 0 };
	struct bh_abi_value *v = NULL;

	memcpy(topics[0], sig->topic, 32);
	memset(topics[1], 0xab, 32);
	put_word_u64(data, 32);
	put_word_u64(data + 32, 1);
	data[64] = 0x7f;
	assert_int_equal(bh_abi_decode_log(sig, (const uint8_t(*)[32])topics, 2, data, 96, &v, NULL), 0);
	assert_int_equal(v->u.list.items[0].kind, BH_ABI_FIXED_BYTES);
	assert_int_equal(v->u.list.items[0].u.word[31], 0xab);
	assert_int_equal(v->u.list.items[1].u.bytes.len, 1);
	bh_abi_value_free(v);
	bh_abi_sig_free(sig);
}

static void test_decode_returns(void **state)
{
	(void)state;
	struct bh_abi_type *t = type_or_die("(uint256,address,uint256,bool,bool)");
	uint8_t d[5 * 32] = { 0 };
	struct bh_abi_value *v = NULL;
	struct bh_msg m = { "" };

	put_word_u64(d, 3);
	memset(d + 32 + 12, 0x33, 20);
	put_word_u64(d + 64, 1800000000);
	d[3 * 32 + 31] = 1;
	assert_int_equal(bh_abi_decode(t, d, sizeof(d), &v, &m), 0);
	assert_int_equal(v->u.list.items[3].u.word[31], 1);
	assert_int_equal(v->u.list.items[4].u.word[31], 0);
	v = bh_abi_value_free(v);
	/* bool 2 */
	d[4 * 32 + 31] = 2;
	assert_int_equal(bh_abi_decode(t, d, sizeof(d), &v, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "param 4 (bool): bool is not 0 or 1"));
	d[4 * 32 + 31] = 0;
	/* dirty address */
	d[32 + 11] = 1;
	assert_int_equal(bh_abi_decode(t, d, sizeof(d), &v, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "param 1 (address)"));
	d[32 + 11] = 0;
	/* short */
	assert_int_equal(bh_abi_decode(t, d, sizeof(d) - 1, &v, &m), BH_ERR_INCOMPLETE);
	bh_abi_type_free(t);

	/* uint256[] */
	t = type_or_die("(uint256[])");
	uint8_t a[5 * 32] = { 0 };
	put_word_u64(a, 32);
	put_word_u64(a + 32, 3);
	put_word_u64(a + 64, 1);
	put_word_u64(a + 96, 2);
	put_word_u64(a + 128, 7);
	assert_int_equal(bh_abi_decode(t, a, sizeof(a), &v, &m), 0);
	assert_int_equal(v->u.list.items[0].u.list.n, 3);
	assert_int_equal(v->u.list.items[0].u.list.items[2].u.word[31], 7);
	v = bh_abi_value_free(v);
	/* the length claims more items than the data holds: rejected before allocating */
	put_word_u64(a + 32, 1000000);
	assert_int_equal(bh_abi_decode(t, a, sizeof(a), &v, &m), BH_ERR_INCOMPLETE);
	memset(a + 32, 0xff, 32);
	assert_int_equal(bh_abi_decode(t, a, sizeof(a), &v, &m), BH_ERR_RANGE);
	put_word_u64(a + 32, 2);
	assert_int_equal(bh_abi_decode(t, a, sizeof(a), &v, &m), BH_ERR_TRAILING);
	/* offset that is in bounds but not canonical */
	put_word_u64(a + 32, 3);
	put_word_u64(a, 64);
	assert_int_equal(bh_abi_decode(t, a, sizeof(a), &v, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "not canonical"));
	/* offset with high bits set (overflow attempt) */
	memset(a, 0xff, 32);
	assert_int_equal(bh_abi_decode(t, a, sizeof(a), &v, &m), BH_ERR_RANGE);
	bh_abi_type_free(t);

	/* a top-level dynamic non-tuple type is a 1-tuple */
	t = type_or_die("bytes");
	uint8_t b[96] = { 0 };
	put_word_u64(b, 32);
	put_word_u64(b + 32, 3);
	memcpy(b + 64, "abc", 3);
	assert_int_equal(bh_abi_decode(t, b, sizeof(b), &v, &m), 0);
	assert_int_equal(v->kind, BH_ABI_BYTES);
	assert_int_equal(v->u.bytes.len, 3);
	{
		/* and it encodes back the same way (as the 1-tuple) */
		struct bh_buf o;
		bh_buf_init(&o, 1024);
		assert_int_equal(bh_abi_encode(t, v, &o, NULL), 0);
		assert_int_equal(bh_buf_len(&o), sizeof(b));
		assert_memory_equal(bh_buf_ptr(&o), b, sizeof(b));
		bh_buf_done(&o);
	}
	v = bh_abi_value_free(v);
	b[95] = 1; /* nonzero padding */
	assert_int_equal(bh_abi_decode(t, b, sizeof(b), &v, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "padding"));
	b[95] = 0;
	put_word_u64(b + 32, 33); /* length beyond data */
	assert_int_equal(bh_abi_decode(t, b, sizeof(b), &v, &m), BH_ERR_INCOMPLETE);
	bh_abi_type_free(t);
}

static void test_scalar_canonical(void **state)
{
	(void)state;
	static const struct { const char *type; int byte; uint8_t val; int want; } c[] = {
		{ "uint8", 30, 1, BH_ERR_FORMAT },     /* 256 */
		{ "uint8", 31, 0xff, 0 },
		{ "uint16", 29, 1, BH_ERR_FORMAT },
		{ "int8", 31, 0x80, BH_ERR_FORMAT },   /* 128 without sign extension */
		{ "bool", 31, 2, BH_ERR_FORMAT },
		{ "bool", 0, 1, BH_ERR_FORMAT },
		{ "address", 0, 1, BH_ERR_FORMAT },
		{ "address", 12, 1, 0 },
		{ "bytes4", 4, 1, BH_ERR_FORMAT },
		{ "bytes4", 3, 1, 0 },
		{ "bytes32", 31, 1, 0 },
		{ "uint256", 0, 0xff, 0 },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct bh_abi_type *t = type_or_die(c[i].type);
		uint8_t w[32] = { 0 };
		struct bh_abi_value *v = NULL;
		w[c[i].byte] = c[i].val;
		int r = bh_abi_decode(t, w, 32, &v, NULL);
		if (r != c[i].want)
			fail_msg("%s byte %d=%02x: got %d want %d", c[i].type, c[i].byte, c[i].val, r, c[i].want);
		bh_abi_value_free(v);
		bh_abi_type_free(t);
	}
	/* int8 -1 is sign-extended ff..ff */
	struct bh_abi_type *t = type_or_die("int8");
	uint8_t w[32];
	struct bh_abi_value *v = NULL;
	memset(w, 0xff, 32);
	assert_int_equal(bh_abi_decode(t, w, 32, &v, NULL), 0);
	json_t *j = bh_abi_value_to_json(v);
	assert_string_equal(json_string_value(j), "-1");
	json_decref(j);
	bh_abi_value_free(v);
	w[0] = 0x7f;
	assert_int_equal(bh_abi_decode(t, w, 32, &v, NULL), BH_ERR_FORMAT);
	bh_abi_type_free(t);
}

static void test_strings(void **state)
{
	(void)state;
	struct bh_abi_type *t = type_or_die("(string)");
	uint8_t d[96] = { 0 };
	struct bh_abi_value *v = NULL;
	put_word_u64(d, 32);
	put_word_u64(d + 32, 2);
	memcpy(d + 64, "\xc3\xa9", 2);
	assert_int_equal(bh_abi_decode(t, d, sizeof(d), &v, NULL), 0);
	assert_string_equal((char *)v->u.list.items[0].u.bytes.data, "\xc3\xa9");
	v = bh_abi_value_free(v);
	memcpy(d + 64, "\xc0\xa9", 2); /* overlong */
	assert_int_equal(bh_abi_decode(t, d, sizeof(d), &v, NULL), BH_ERR_UTF8);
	memcpy(d + 64, "a\0", 2);
	assert_int_equal(bh_abi_decode(t, d, sizeof(d), &v, NULL), BH_ERR_NUL);
	memcpy(d + 64, "\xed\xa0", 2); /* truncated surrogate */
	assert_int_equal(bh_abi_decode(t, d, sizeof(d), &v, NULL), BH_ERR_UTF8);
	bh_abi_type_free(t);
}

static void test_data_cap(void **state)
{
	(void)state;
	struct bh_abi_type *t = type_or_die("(bytes)");
	size_t n = BH_ABI_MAX_DATA + 32;
	uint8_t *d = calloc(1, n);
	struct bh_abi_value *v = NULL;
	assert_int_equal(bh_abi_decode(t, d, n, &v, NULL), BH_ERR_LIMIT);
	free(d);
	bh_abi_type_free(t);
}

/* ---------------------------------------------------------------- revert */

static void test_revert(void **state)
{
	(void)state;
	struct bh_abi_sig *errs[3];
	errs[0] = sig_or_die("PlanNotFound(uint256)");
	errs[1] = sig_or_die("InvalidAddress()");
	errs[2] = sig_or_die("SubscriptionAlreadyCancelled(uint256)");
	struct bh_abi_revert rv;
	uint8_t d[4 + 96] = { 0 };

	assert_int_equal(bh_abi_decode_revert(d, 0, (const struct bh_abi_sig *const *)errs, 3, &rv, NULL), 0);
	assert_int_equal(rv.kind, BH_ABI_REVERT_EMPTY);
	bh_abi_revert_clear(&rv);
	assert_int_equal(bh_abi_decode_revert(d, 3, NULL, 0, &rv, NULL), BH_ERR_INCOMPLETE);

	memcpy(d, "\x08\xc3\x79\xa0", 4);
	put_word_u64(d + 4, 32);
	put_word_u64(d + 36, 20);
	memcpy(d + 68, "Token does not exist", 20);
	assert_int_equal(bh_abi_decode_revert(d, sizeof(d), NULL, 0, &rv, NULL), 0);
	assert_int_equal(rv.kind, BH_ABI_REVERT_ERROR);
	assert_string_equal(rv.text, "Error: Token does not exist");
	bh_abi_revert_clear(&rv);
	/* a malformed Error(string) is an error, not a silent unknown */
	assert_int_equal(bh_abi_decode_revert(d, sizeof(d) - 1, NULL, 0, &rv, NULL), BH_ERR_INCOMPLETE);

	memcpy(d, "\x4e\x48\x7b\x71", 4);
	put_word_u64(d + 4, 0x11);
	assert_int_equal(bh_abi_decode_revert(d, 36, NULL, 0, &rv, NULL), 0);
	assert_int_equal(rv.kind, BH_ABI_REVERT_PANIC);
	assert_string_equal(rv.text, "Panic 0x11 (arithmetic overflow or underflow)");
	bh_abi_revert_clear(&rv);

	memcpy(d, errs[0]->selector, 4);
	put_word_u64(d + 4, 7);
	assert_int_equal(bh_abi_decode_revert(d, 36, (const struct bh_abi_sig *const *)errs, 3, &rv, NULL), 0);
	assert_int_equal(rv.kind, BH_ABI_REVERT_CUSTOM);
	assert_ptr_equal(rv.error, errs[0]);
	assert_string_equal(rv.text, "PlanNotFound(7)");
	bh_abi_revert_clear(&rv);

	memcpy(d, errs[1]->selector, 4);
	assert_int_equal(bh_abi_decode_revert(d, 4, (const struct bh_abi_sig *const *)errs, 3, &rv, NULL), 0);
	assert_string_equal(rv.text, "InvalidAddress()");
	bh_abi_revert_clear(&rv);
	/* InvalidAddress() with trailing data */
	assert_int_equal(bh_abi_decode_revert(d, 36, (const struct bh_abi_sig *const *)errs, 3, &rv, NULL),
			 BH_ERR_TRAILING);

	memcpy(d, "\xde\xad\xbe\xef", 4);
	assert_int_equal(bh_abi_decode_revert(d, 36, (const struct bh_abi_sig *const *)errs, 3, &rv, NULL), 0);
	assert_int_equal(rv.kind, BH_ABI_REVERT_UNKNOWN);
	assert_non_null(strstr(rv.text, "0xdeadbeef"));
	bh_abi_revert_clear(&rv);
	for (int i = 0; i < 3; i++)
		bh_abi_sig_free(errs[i]);
}

/* ---------------------------------------------------------------- u256 + JSON */

static void test_u256(void **state)
{
	(void)state;
	uint8_t w[32];
	char dec[79];
	uint64_t x;

	bh_u256_from_u64(UINT64_MAX, w);
	assert_int_equal(bh_u256_to_u64(w, &x), 0);
	assert_true(x == UINT64_MAX);
	w[23] = 1;
	assert_int_equal(bh_u256_to_u64(w, &x), BH_ERR_RANGE);
	assert_int_equal(bh_u256_from_dec(
		"115792089237316195423570985008687907853269984665640564039457584007913129639935", w), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(w[i], 0xff);
	bh_u256_to_dec(w, dec);
	assert_string_equal(dec, "115792089237316195423570985008687907853269984665640564039457584007913129639935");
	assert_int_equal(bh_u256_from_dec(
		"115792089237316195423570985008687907853269984665640564039457584007913129639936", w), BH_ERR_RANGE);
	assert_int_equal(bh_u256_from_dec("012", w), BH_ERR_FORMAT);
	assert_int_equal(bh_u256_from_dec("", w), BH_ERR_FORMAT);
	assert_int_equal(bh_u256_from_dec("1a", w), BH_ERR_FORMAT);
	assert_int_equal(bh_u256_from_str("0x0", w), 0);
	bh_u256_to_dec(w, dec);
	assert_string_equal(dec, "0");
	assert_int_equal(bh_u256_from_str("0xabc", w), 0);
	assert_int_equal(bh_u256_to_u64(w, &x), 0);
	assert_int_equal(x, 0xabc);
	assert_int_equal(bh_u256_from_str("0x", w), BH_ERR_FORMAT);
	assert_int_equal(bh_u256_from_str("0xg", w), BH_ERR_HEX);
}

static void test_json(void **state)
{
	(void)state;
	struct bh_abi_type *t = type_or_die("(uint8,int16,bool,address,bytes2,bytes,string,uint256[],(uint256,string)[2])");
	const char *in = "[255,\"-300\",true,\"0x00000000000000000000000000000000000000aa\",\"0xbeef\","
			 "\"0x0102\",\"h\\u00e9\",[\"0x10\",\"7\"],[[1,\"a\"],[2,\"b\"]]]";
	json_error_t je;
	json_t *j = json_loads(in, 0, &je);
	struct bh_abi_value v = { 0 }, *back = NULL;
	struct bh_buf out;
	struct bh_msg m = { "" };

	assert_non_null(j);
	assert_int_equal(bh_abi_value_from_json(t, j, &v, &m), 0);
	bh_buf_init(&out, 1 << 16);
	assert_int_equal(bh_abi_encode(t, &v, &out, &m), 0);
	assert_int_equal(bh_abi_decode(t, bh_buf_ptr(&out), bh_buf_len(&out), &back, &m), 0);
	json_t *j2 = bh_abi_value_to_json(back);
	char *s = json_dumps(j2, JSON_COMPACT | JSON_ENSURE_ASCII);
	assert_string_equal(s, "[\"255\",\"-300\",true,\"0x00000000000000000000000000000000000000aa\","
			       "\"0xbeef\",\"0x0102\",\"h\\u00E9\",[\"16\",\"7\"],[[\"1\",\"a\"],[\"2\",\"b\"]]]");
	free(s);
	json_decref(j2);
	bh_abi_value_free(back);
	bh_abi_value_clear(&v);
	json_decref(j);

	static const char *bad[] = {
		"[256,0,true,\"0x00000000000000000000000000000000000000aa\",\"0xbeef\",\"0x\",\"\",[],[[1,\"a\"],[2,\"b\"]]]",
		"[1,\"-32769\",true,\"0x00000000000000000000000000000000000000aa\",\"0xbeef\",\"0x\",\"\",[],[[1,\"a\"],[2,\"b\"]]]",
		"[1,0,1,\"0x00000000000000000000000000000000000000aa\",\"0xbeef\",\"0x\",\"\",[],[[1,\"a\"],[2,\"b\"]]]",
		"[1,0,true,\"0x00aa\",\"0xbeef\",\"0x\",\"\",[],[[1,\"a\"],[2,\"b\"]]]",
		"[1,0,true,\"0x00000000000000000000000000000000000000aa\",\"0xbeef\",\"0x\",\"\",[],[[1,\"a\"]]]",
		"[1,0,true,\"0x00000000000000000000000000000000000000aa\",\"0xbeef\",\"0x\",\"\",[-1],[[1,\"a\"],[2,\"b\"]]]",
		"[1,0,true]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_loads(bad[i], 0, &je);
		assert_non_null(j);
		memset(&v, 0, sizeof(v));
		if (bh_abi_value_from_json(t, j, &v, &m) == 0) {
			bh_abi_value_clear(&v);
			fail_msg("accepted bad JSON %zu", i);
		}
		json_decref(j);
	}
	bh_buf_done(&out);
	bh_abi_type_free(t);
}

/* ---------------------------------------------------------------- random round trips */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void rand_type(struct bh_buf *b, int depth)
{
	static const char *scalars[] = { "uint256", "uint8", "uint64", "int256", "int8", "int32",
					 "bool", "address", "bytes32", "bytes1", "bytes7", "bytes",
					 "string" };
	unsigned k = (unsigned)(rnd() % (depth > 2 ? 13 : 17));
	if (k < 13) {
		(void)bh_buf_put_cstr(b, scalars[k]);
	} else if (k < 15) {
		unsigned n = 1 + (unsigned)(rnd() % 4);
		(void)bh_buf_put_u8(b, '(');
		for (unsigned i = 0; i < n; i++) {
			if (i)
				(void)bh_buf_put_u8(b, ',');
			rand_type(b, depth + 1);
		}
		(void)bh_buf_put_u8(b, ')');
	} else {
		rand_type(b, depth + 1);
		if (k == 15)
			(void)bh_buf_put_cstr(b, "[]");
		else
			(void)bh_buf_putf(b, "[%u]", 1 + (unsigned)(rnd() % 3));
	}
}

static void rand_value(const struct bh_abi_type *t, struct bh_abi_value *v)
{
	uint8_t w[32];
	for (int i = 0; i < 32; i += 8) {
		uint64_t x = rnd();
		memcpy(w + i, &x, 8);
	}
	switch (t->kind) {
	case BH_ABI_UINT:
		memset(w, 0, 32 - t->size / 8);
		bh_abi_value_u256(v, w);
		break;
	case BH_ABI_INT:
		memset(w, (w[32 - t->size / 8] & 0x80) ? 0xff : 0, 32 - t->size / 8);
		bh_abi_value_u256(v, w);
		v->kind = BH_ABI_INT;
		break;
	case BH_ABI_BOOL: bh_abi_value_bool(v, w[0] & 1); break;
	case BH_ABI_ADDRESS: bh_abi_value_address(v, w); break;
	case BH_ABI_FIXED_BYTES: bh_abi_value_fixed_bytes(v, w, t->size); break;
	case BH_ABI_BYTES: {
		uint8_t buf[100];
		size_t n = rnd() % sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		assert_int_equal(bh_abi_value_bytes(v, buf, n), 0);
		break;
	}
	case BH_ABI_STRING: {
		char buf[80];
		size_t n = rnd() % 70;
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)('a' + rnd() % 26);
		buf[n] = 0;
		assert_int_equal(bh_abi_value_string(v, buf), 0);
		break;
	}
	default: {
		size_t n = t->kind == BH_ABI_ARRAY ? rnd() % 4 : t->len;
		assert_int_equal(bh_abi_value_list(v, t->kind, n), 0);
		for (size_t i = 0; i < n; i++)
			rand_value(t->kind == BH_ABI_TUPLE ? t->members[i] : t->elem, &v->u.list.items[i]);
	}
	}
}

static bool value_eq(const struct bh_abi_value *a, const struct bh_abi_value *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case BH_ABI_BYTES:
	case BH_ABI_STRING:
		return a->u.bytes.len == b->u.bytes.len &&
		       !memcmp(a->u.bytes.data, b->u.bytes.data, a->u.bytes.len);
	case BH_ABI_ARRAY:
	case BH_ABI_FIXED_ARRAY:
	case BH_ABI_TUPLE:
		if (a->u.list.n != b->u.list.n)
			return false;
		for (size_t i = 0; i < a->u.list.n; i++)
			if (!value_eq(&a->u.list.items[i], &b->u.list.items[i]))
				return false;
		return true;
	default:
		return !memcmp(a->u.word, b->u.word, 32);
	}
}

static void test_roundtrip_random(void **state)
{
	(void)state;
	for (int iter = 0; iter < 2000; iter++) {
		struct bh_buf sb, out;
		char *sig = NULL;
		struct bh_abi_type *t = NULL;
		struct bh_abi_value v = { 0 }, *back = NULL;
		struct bh_msg m = { "" };

		bh_buf_init(&sb, 4096);
		(void)bh_buf_put_u8(&sb, '(');
		unsigned n = (unsigned)(rnd() % 5);
		for (unsigned i = 0; i < n; i++) {
			if (i)
				(void)bh_buf_put_u8(&sb, ',');
			rand_type(&sb, 0);
		}
		(void)bh_buf_put_u8(&sb, ')');
		assert_int_equal(bh_buf_steal_cstr(&sb, &sig), 0);
		if (bh_abi_type_parse(sig, &t, &m) < 0)
			fail_msg("%s: %s", sig, m.text);
		rand_value(t, &v);
		bh_buf_init(&out, BH_ABI_MAX_DATA);
		if (bh_abi_encode(t, &v, &out, &m) < 0)
			fail_msg("encode %s: %s", sig, m.text);
		if (bh_abi_decode(t, bh_buf_ptr(&out), bh_buf_len(&out), &back, &m) < 0)
			fail_msg("decode %s: %s", sig, m.text);
		if (!value_eq(&v, back))
			fail_msg("round trip of %s differs", sig);
		/* every strict prefix is rejected, and so is one extra byte */
		if (bh_buf_len(&out) > 0) {
			struct bh_abi_value *x = NULL;
			size_t cut = rnd() % bh_buf_len(&out);
			assert_true(bh_abi_decode(t, bh_buf_ptr(&out), cut, &x, NULL) < 0);
			assert_null(x);
		}
		(void)bh_buf_put_u8(&out, 0);
		struct bh_abi_value *y = NULL;
		assert_true(bh_abi_decode(t, bh_buf_ptr(&out), bh_buf_len(&out), &y, NULL) < 0);
		bh_abi_value_free(back);
		bh_abi_value_clear(&v);
		bh_abi_type_free(t);
		bh_buf_done(&out);
		bh_buf_done(&sb);
		free(sig);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_topics),
		cmocka_unit_test(test_sig_parse),
		cmocka_unit_test(test_encode_mint),
		cmocka_unit_test(test_encode_create_plan_and_buy),
		cmocka_unit_test(test_decode_log_subscription_created),
		cmocka_unit_test(test_indexed_dynamic_is_hash),
		cmocka_unit_test(test_decode_returns),
		cmocka_unit_test(test_scalar_canonical),
		cmocka_unit_test(test_sig_canonical_cap),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_data_cap),
		cmocka_unit_test(test_revert),
		cmocka_unit_test(test_u256),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_roundtrip_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: typed event decoding (eth/events.h) — topic0 constants against keccak256 of
 * the canonical signatures (and the hex in upstream.md §6), every event decoded by field
 * name from logs encoded with the ABI encoder, and the refusals: unknown topic0, ERC-20
 * Transfer (3 topics), dirty topic words, trailing data, ids over 64 bits, userEncrypted
 * over its cap; *ret untouched on failure, bh_event_clear NULL-safe and idempotent.
 * Interop with ethers: tests/integration/test_eth_abi_interop.sh (abi_tool batch-events).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/hex.h"
#include "eth/abi.h"
#include "eth/events.h"
#include "eth/keccak.h"

static const struct {
	enum bh_event_kind kind;
	const char *name, *canonical, *topic_hex;
} known[] = {
	{ BH_EV_SUBSCRIPTION_CREATED, "SubscriptionCreated",
	  "SubscriptionCreated(uint256,uint256,address,uint256,uint256,address,bytes)",
	  "f8d0042297eb90d4c0e69b16b80a93bdee5b71f0a963a1961a4de8c551958b55" },
	{ BH_EV_SUBSCRIPTION_EXTENDED, "SubscriptionExtended",
	  "SubscriptionExtended(uint256,uint256,address,uint256,uint256,address)",
	  "80f867aeffc74b04b4f387cfc5572b2a3537d8705579fb696da4019cc8069e09" },
	{ BH_EV_SUBSCRIPTION_CANCELLED, "SubscriptionCancelled",
	  "SubscriptionCancelled(uint256,uint256,address)",
	  "66f43ba68b89239cf7af6921b9dcdaf6ce93c7223af7a53e343dbedcc082a104" },
	{ BH_EV_CREDENTIAL_MINTED, "CredentialMinted", "CredentialMinted(uint256,address)",
	  "cde916bd9d7a22898d8fc86b92ef660fa8dddb29c63944348dd33e5d9f1e3f98" },
	{ BH_EV_TRANSFER, "Transfer", "Transfer(address,address,uint256)",
	  "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef" },
};

static void test_topics(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		uint8_t h[32], want[32];
		struct bh_abi_sig *sig = NULL;
		bh_keccak256(known[i].canonical, strlen(known[i].canonical), h);
		assert_int_equal(bh_hex_decode_ct(known[i].topic_hex, 64, want, 32), 0);
		assert_memory_equal(h, want, 32);
		assert_memory_equal(bh_event_topic(known[i].kind), h, 32);
		assert_string_equal(bh_event_name(known[i].kind), known[i].name);
		/* the named signature's canonical form is the one hashed */
		assert_int_equal(bh_abi_sig_parse(bh_event_signature(known[i].kind), &sig, NULL), 0);
		assert_string_equal(sig->canonical, known[i].canonical);
		bh_abi_sig_free(sig);
	}
	assert_null(bh_event_topic(0));
	assert_null(bh_event_topic(_BH_EV_KIND_MAX));
	assert_null(bh_event_signature(99));
	assert_string_equal(bh_event_name(99), "?");
}

/* ---- building logs with our encoder ---- */

static void word_u64(uint8_t w[32], uint64_t x)
{
	bh_u256_from_u64(x, w);
}

static void word_addr(uint8_t w[32], const uint8_t a[20])
{
	memset(w, 0, 12);
	memcpy(w + 12, a, 20);
}

/* data = encode(type, values) into storage; log->data views it. */
static void set_data(struct bh_log *log, struct bh_buf *storage, const char *type,
                     struct bh_abi_value *tuple)
{
	struct bh_abi_type *t = NULL;
	assert_int_equal(bh_abi_type_parse(type, &t, NULL), 0);
	bh_buf_init(storage, BH_ABI_MAX_DATA);
	assert_int_equal(bh_abi_encode(t, tuple, storage, NULL), 0);
	bh_buf_view(&log->data, bh_buf_ptr(storage), bh_buf_len(storage));
	bh_abi_type_free(t);
}

static const uint8_t ADDR_A[20] = { 0xf3, 0x9f, 0xd6, 0xe5, 0x1a, 0xad, 0x88, 0xf6, 0xf4, 0xce,
				    0x6a, 0xb8, 0x82, 0x72, 0x79, 0xcf, 0xff, 0xb9, 0x22, 0x66 };
static const uint8_t ADDR_B[20] = { 0x1c, 0x7d, 0x4b, 0x19, 0x6c, 0xb0, 0xc7, 0xb0, 0x1d, 0x74,
				    0x3f, 0xbc, 0x61, 0x16, 0xa9, 0x02, 0x37, 0x9c, 0x72, 0x38 };
static const uint8_t CONTRACT[20] = { 0xaa, 0xbb, 0xcc, [19] = 0x01 };

/* SubscriptionCreated(7, 1, A) data (expires, paid, B, user) */
static void created_log(struct bh_log *log, struct bh_buf *storage, const uint8_t *user,
                        size_t ulen)
{
	struct bh_abi_value v = { 0 };
	uint8_t big[32];

	memset(log, 0, sizeof(*log));
	memcpy(log->address, CONTRACT, 20);
	log->ntopics = 4;
	memcpy(log->topics[0], bh_event_topic(BH_EV_SUBSCRIPTION_CREATED), 32);
	word_u64(log->topics[1], 7);
	word_u64(log->topics[2], 1);
	word_addr(log->topics[3], ADDR_A);
	assert_int_equal(bh_abi_value_list(&v, BH_ABI_TUPLE, 4), 0);
	bh_abi_value_uint(&v.u.list.items[0], 1767225600);
	assert_int_equal(bh_u256_from_dec("123456789012345678901234567890", big), 0);
	bh_abi_value_u256(&v.u.list.items[1], big);
	bh_abi_value_address(&v.u.list.items[2], ADDR_B);
	assert_int_equal(bh_abi_value_bytes(&v.u.list.items[3], user, ulen), 0);
	set_data(log, storage, "(uint256,uint256,address,bytes)", &v);
	bh_abi_value_clear(&v);
}

static void test_created(void **state)
{
	(void)state;
	struct bh_log log;
	struct bh_buf st;
	struct bh_event ev;
	struct bh_msg m = { "" };
	uint8_t user[100];
	char dec[BH_U256_DEC_MAX];
	uint64_t x;

	for (size_t i = 0; i < sizeof(user); i++)
		user[i] = (uint8_t)(i * 7);
	created_log(&log, &st, user, sizeof(user));
	assert_int_equal(bh_event_decode(&log, &ev, &m), 0);
	assert_int_equal(ev.kind, BH_EV_SUBSCRIPTION_CREATED);
	assert_memory_equal(ev.address, CONTRACT, 20);
	const struct bh_ev_subscription_created *c = &ev.subscription_created;
	assert_true(c->subscription_id == 7);
	assert_true(c->plan_id == 1);
	assert_memory_equal(c->subscriber, ADDR_A, 20);
	assert_int_equal(bh_u256_to_u64(c->expires_at.be, &x), 0);
	assert_true(x == 1767225600);
	bh_u256_to_dec(c->paid_amount.be, dec);
	assert_string_equal(dec, "123456789012345678901234567890");
	assert_memory_equal(c->payment_token, ADDR_B, 20);
	assert_int_equal(bh_buf_len(&c->user_encrypted), sizeof(user));
	assert_memory_equal(bh_buf_ptr(&c->user_encrypted), user, sizeof(user));
	bh_event_clear(&ev);
	assert_int_equal(ev.kind, 0);
	bh_event_clear(&ev);
	bh_event_clear(NULL);
	bh_buf_done(&st);

	/* empty userEncrypted */
	created_log(&log, &st, NULL, 0);
	assert_int_equal(bh_event_decode(&log, &ev, &m), 0);
	assert_int_equal(bh_buf_len(&ev.subscription_created.user_encrypted), 0);
	bh_event_clear(&ev);
	bh_buf_done(&st);
}

static void test_created_refusals(void **state)
{
	(void)state;
	struct bh_log log;
	struct bh_buf st, more;
	struct bh_event ev, keep;
	struct bh_msg m = { "" };
	uint8_t *user = calloc(1, BH_EVENT_MAX_BYTES + 1);

	assert_non_null(user);
	memset(&keep, 0x5a, sizeof(keep));
	/* userEncrypted at the cap is fine, one over is BH_ERR_LIMIT */
	created_log(&log, &st, user, BH_EVENT_MAX_BYTES);
	assert_int_equal(bh_event_decode(&log, &ev, NULL), 0);
	bh_event_clear(&ev);
	bh_buf_done(&st);
	created_log(&log, &st, user, BH_EVENT_MAX_BYTES + 1);
	memcpy(&ev, &keep, sizeof(ev));
	assert_int_equal(bh_event_decode(&log, &ev, &m), BH_ERR_LIMIT);
	assert_memory_equal(&ev, &keep, sizeof(ev));
	assert_non_null(strstr(m.text, "SubscriptionCreated.userEncrypted"));
	bh_buf_done(&st);
	free(user);

	/* subscription id of 2^64: BH_ERR_RANGE naming the field */
	created_log(&log, &st, NULL, 0);
	memset(log.topics[1], 0, 32);
	log.topics[1][23] = 1;
	assert_int_equal(bh_event_decode(&log, &ev, &m), BH_ERR_RANGE);
	assert_non_null(strstr(m.text, "SubscriptionCreated.subscriptionId: 18446744073709551616"));
	word_u64(log.topics[1], UINT64_MAX);
	assert_int_equal(bh_event_decode(&log, &ev, &m), 0);
	assert_true(ev.subscription_created.subscription_id == UINT64_MAX);
	bh_event_clear(&ev);

	/* a dirty subscriber topic (nonzero high bytes) */
	log.topics[3][0] = 1;
	assert_int_equal(bh_event_decode(&log, &ev, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "SubscriptionCreated: param 2"));
	log.topics[3][0] = 0;

	/* wrong topic count */
	log.ntopics = 3;
	assert_int_equal(bh_event_decode(&log, &ev, &m), BH_ERR_MISMATCH);
	log.ntopics = 5;
	assert_int_equal(bh_event_decode(&log, &ev, &m), -EINVAL);
	log.ntopics = 0;
	assert_int_equal(bh_event_decode(&log, &ev, &m), BH_ERR_NOT_FOUND);
	log.ntopics = 4;

	/* trailing data */
	bh_buf_init(&more, BH_ABI_MAX_DATA);
	assert_int_equal(bh_buf_put(&more, bh_buf_ptr(&st), bh_buf_len(&st)), 0);
	assert_int_equal(bh_buf_put_u8(&more, 0), 0);
	bh_buf_view(&log.data, bh_buf_ptr(&more), bh_buf_len(&more));
	assert_int_equal(bh_event_decode(&log, &ev, &m), BH_ERR_TRAILING);
	/* truncated data */
	bh_buf_view(&log.data, bh_buf_ptr(&st), bh_buf_len(&st) - 32);
	assert_int_equal(bh_event_decode(&log, &ev, &m), BH_ERR_INCOMPLETE);
	bh_buf_done(&more);

	/* an unknown topic0 (PlanCreated) */
	uint8_t plan[32];
	assert_int_equal(bh_hex_decode_ct("135a65e1936006594178a9666e5ddf1d2099f18e72674253a206ed70ade01cc9",
					  64, plan, 32), 0);
	memcpy(log.topics[0], plan, 32);
	assert_int_equal(bh_event_decode(&log, &ev, &m), BH_ERR_NOT_FOUND);
	bh_buf_done(&st);
}

static void test_other_events(void **state)
{
	(void)state;
	struct bh_log log;
	struct bh_buf st;
	struct bh_event ev;
	struct bh_msg m = { "" };
	struct bh_abi_value v = { 0 };
	uint8_t big[32];
	char dec[BH_U256_DEC_MAX];

	/* SubscriptionExtended(9, 2, B; newExpiresAt 2^200, paid 5, token A) */
	memset(&log, 0, sizeof(log));
	log.ntopics = 4;
	memcpy(log.topics[0], bh_event_topic(BH_EV_SUBSCRIPTION_EXTENDED), 32);
	word_u64(log.topics[1], 9);
	word_u64(log.topics[2], 2);
	word_addr(log.topics[3], ADDR_B);
	assert_int_equal(bh_abi_value_list(&v, BH_ABI_TUPLE, 3), 0);
	memset(big, 0, 32);
	big[6] = 1;
	bh_abi_value_u256(&v.u.list.items[0], big);
	bh_abi_value_uint(&v.u.list.items[1], 5);
	bh_abi_value_address(&v.u.list.items[2], ADDR_A);
	set_data(&log, &st, "(uint256,uint256,address)", &v);
	bh_abi_value_clear(&v);
	assert_int_equal(bh_event_decode(&log, &ev, &m), 0);
	assert_int_equal(ev.kind, BH_EV_SUBSCRIPTION_EXTENDED);
	assert_true(ev.subscription_extended.subscription_id == 9);
	assert_true(ev.subscription_extended.plan_id == 2);
	assert_memory_equal(ev.subscription_extended.extended_by, ADDR_B, 20);
	bh_u256_to_dec(ev.subscription_extended.new_expires_at.be, dec);
	assert_string_equal(dec, "1606938044258990275541962092341162602522202993782792835301376");
	bh_u256_to_dec(ev.subscription_extended.paid_amount.be, dec);
	assert_string_equal(dec, "5");
	assert_memory_equal(ev.subscription_extended.payment_token, ADDR_A, 20);
	bh_event_clear(&ev);
	bh_buf_done(&st);

	/* SubscriptionCancelled(3, 1, A): no data */
	memset(&log, 0, sizeof(log));
	log.ntopics = 4;
	memcpy(log.topics[0], bh_event_topic(BH_EV_SUBSCRIPTION_CANCELLED), 32);
	word_u64(log.topics[1], 3);
	word_u64(log.topics[2], 1);
	word_addr(log.topics[3], ADDR_A);
	bh_buf_view(&log.data, NULL, 0);
	assert_int_equal(bh_event_decode(&log, &ev, &m), 0);
	assert_int_equal(ev.kind, BH_EV_SUBSCRIPTION_CANCELLED);
	assert_true(ev.subscription_cancelled.subscription_id == 3);
	assert_true(ev.subscription_cancelled.plan_id == 1);
	assert_memory_equal(ev.subscription_cancelled.subscriber, ADDR_A, 20);
	bh_event_clear(&ev);
	/* data where there must be none */
	uint8_t zero[32] = { 0 };
	bh_buf_view(&log.data, zero, 32);
	assert_int_equal(bh_event_decode(&log, &ev, &m), BH_ERR_TRAILING);

	/* CredentialMinted(0, B): token 0 is the admin credential */
	memset(&log, 0, sizeof(log));
	log.ntopics = 3;
	memcpy(log.topics[0], bh_event_topic(BH_EV_CREDENTIAL_MINTED), 32);
	word_u64(log.topics[1], 0);
	word_addr(log.topics[2], ADDR_B);
	bh_buf_view(&log.data, NULL, 0);
	assert_int_equal(bh_event_decode(&log, &ev, &m), 0);
	assert_int_equal(ev.kind, BH_EV_CREDENTIAL_MINTED);
	assert_true(ev.credential_minted.token_id == 0);
	assert_memory_equal(ev.credential_minted.recipient, ADDR_B, 20);
	bh_event_clear(&ev);

	/* ERC-721 Transfer(0 -> A, 42) */
	memset(&log, 0, sizeof(log));
	log.ntopics = 4;
	memcpy(log.topics[0], bh_event_topic(BH_EV_TRANSFER), 32);
	word_addr(log.topics[2], ADDR_A);
	word_u64(log.topics[3], 42);
	bh_buf_view(&log.data, NULL, 0);
	assert_int_equal(bh_event_decode(&log, &ev, &m), 0);
	assert_int_equal(ev.kind, BH_EV_TRANSFER);
	assert_memory_equal(ev.transfer.from, zero, 20);
	assert_memory_equal(ev.transfer.to, ADDR_A, 20);
	assert_true(ev.transfer.token_id == 42);
	bh_event_clear(&ev);
	/* ERC-20 Transfer: same topic0, 2 indexed + value in data: refused */
	log.ntopics = 3;
	bh_buf_view(&log.data, zero, 32);
	assert_int_equal(bh_event_decode(&log, &ev, &m), BH_ERR_MISMATCH);
	assert_non_null(strstr(m.text, "Transfer"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topics),
		cmocka_unit_test(test_created),
		cmocka_unit_test(test_created_refusals),
		cmocka_unit_test(test_other_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

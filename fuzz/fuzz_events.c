/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the typed event decoder (eth/events.h).
 * Input: byte 0 = topic count (low 3 bits, 0..7: above 4 must be -EINVAL) and, when bit 7
 * is set, "replace topic0 by the topic of event (bits 4..6) % 5" so decoding proceeds;
 * then the topics (32 bytes each), then the log data.
 * Invariant: a decoded event is canonical — encoding its fields again gives back exactly
 * the input topics and data — and a failed decode leaves *ret untouched.
 */
#include <stdlib.h>
#include <string.h>

#include "eth/abi.h"
#include "eth/events.h"

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void w_u64(uint8_t w[32], uint64_t x)
{
	bh_u256_from_u64(x, w);
}

static void w_addr(uint8_t w[32], const uint8_t a[20])
{
	memset(w, 0, 12);
	memcpy(w + 12, a, 20);
}

/* The log ev came from: topics and data rebuilt from the fields. */
static void rebuild(const struct bh_event *ev, uint8_t topics[4][32], size_t *nt,
                    struct bh_buf *data)
{
	struct bh_abi_type *t = NULL;
	struct bh_abi_value v = { 0 };
	const char *type = NULL;

	memcpy(topics[0], bh_event_topic(ev->kind), 32);
	switch (ev->kind) {
	case BH_EV_SUBSCRIPTION_CREATED: {
		const struct bh_ev_subscription_created *e = &ev->subscription_created;
		*nt = 4;
		w_u64(topics[1], e->subscription_id);
		w_u64(topics[2], e->plan_id);
		w_addr(topics[3], e->subscriber);
		type = "(uint256,uint256,address,bytes)";
		check(bh_abi_value_list(&v, BH_ABI_TUPLE, 4) == 0);
		bh_abi_value_u256(&v.u.list.items[0], e->expires_at.be);
		bh_abi_value_u256(&v.u.list.items[1], e->paid_amount.be);
		bh_abi_value_address(&v.u.list.items[2], e->payment_token);
		check(bh_abi_value_bytes(&v.u.list.items[3], bh_buf_ptr(&e->user_encrypted),
					 bh_buf_len(&e->user_encrypted)) == 0);
		break;
	}
	case BH_EV_SUBSCRIPTION_EXTENDED: {
		const struct bh_ev_subscription_extended *e = &ev->subscription_extended;
		*nt = 4;
		w_u64(topics[1], e->subscription_id);
		w_u64(topics[2], e->plan_id);
		w_addr(topics[3], e->extended_by);
		type = "(uint256,uint256,address)";
		check(bh_abi_value_list(&v, BH_ABI_TUPLE, 3) == 0);
		bh_abi_value_u256(&v.u.list.items[0], e->new_expires_at.be);
		bh_abi_value_u256(&v.u.list.items[1], e->paid_amount.be);
		bh_abi_value_address(&v.u.list.items[2], e->payment_token);
		break;
	}
	case BH_EV_SUBSCRIPTION_CANCELLED:
		*nt = 4;
		w_u64(topics[1], ev->subscription_cancelled.subscription_id);
		w_u64(topics[2], ev->subscription_cancelled.plan_id);
		w_addr(topics[3], ev->subscription_cancelled.subscriber);
		break;
	case BH_EV_CREDENTIAL_MINTED:
		*nt = 3;
		w_u64(topics[1], ev->credential_minted.token_id);
		w_addr(topics[2], ev->credential_minted.recipient);
		break;
	case BH_EV_TRANSFER:
		*nt = 4;
		w_addr(topics[1], ev->transfer.from);
		w_addr(topics[2], ev->transfer.to);
		w_u64(topics[3], ev->transfer.token_id);
		break;
	default:
		abort();
	}
	if (type) {
		check(bh_abi_type_parse(type, &t, NULL) == 0);
		check(bh_abi_encode(t, &v, data, NULL) == 0);
		bh_abi_type_free(t);
		bh_abi_value_clear(&v);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_log log;
	struct bh_event ev, keep;
	struct bh_msg m;

	if (size < 1)
		return 0;
	memset(&log, 0, sizeof(log));
	log.address[0] = 0xaa;
	size_t nt = data[0] & 7, have = nt > 4 ? 4 : nt;
	if (size - 1 < have * 32)
		return 0;
	memcpy(log.topics, data + 1, have * 32);
	log.ntopics = nt;
	if (have && (data[0] & 0x80))
		memcpy(log.topics[0], bh_event_topic(1 + ((data[0] >> 4) & 7) % 5), 32);
	const uint8_t *d = data + 1 + have * 32;
	size_t dlen = size - 1 - have * 32;
	bh_buf_view(&log.data, d, dlen);

	memset(&keep, 0x5a, sizeof(keep));
	memcpy(&ev, &keep, sizeof(ev));
	int r = bh_event_decode(&log, &ev, &m);
	if (r < 0) {
		check(memcmp(&ev, &keep, sizeof(ev)) == 0);
		check(nt <= 4 || r == -EINVAL);
		return 0;
	}
	check(nt <= 4);
	check(!memcmp(ev.address, log.address, 20));

	uint8_t topics[4][32];
	size_t rn = 0;
	struct bh_buf out;
	bh_buf_init(&out, BH_ABI_MAX_DATA);
	rebuild(&ev, topics, &rn, &out);
	check(rn == nt && !memcmp(topics, log.topics, rn * 32));
	check(bh_buf_len(&out) == dlen && (!dlen || !memcmp(bh_buf_ptr(&out), d, dlen)));
	bh_buf_done(&out);
	bh_event_clear(&ev);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* Typed decoding of BlockHost's chain events (see events.h). */
#include <stdio.h>
#include <string.h>

#include "eth/abi.h"
#include "eth/events.h"

struct event_def {
	const char *name;
	const char *sig;
	uint8_t topic[32];      /* upstream.md §6; test_events checks them against keccak */
};

#define T(...) { __VA_ARGS__ }
static const struct event_def defs[_BH_EV_KIND_MAX] = {
	[BH_EV_SUBSCRIPTION_CREATED] = { "SubscriptionCreated",
		"SubscriptionCreated(uint256 indexed subscriptionId, uint256 indexed planId, "
		"address indexed subscriber, uint256 expiresAt, uint256 paidAmount, "
		"address paymentToken, bytes userEncrypted)",
		T(0xf8, 0xd0, 0x04, 0x22, 0x97, 0xeb, 0x90, 0xd4, 0xc0, 0xe6, 0x9b, 0x16, 0xb8, 0x0a,
		  0x93, 0xbd, 0xee, 0x5b, 0x71, 0xf0, 0xa9, 0x63, 0xa1, 0x96, 0x1a, 0x4d, 0xe8, 0xc5,
		  0x51, 0x95, 0x8b, 0x55) },
	[BH_EV_SUBSCRIPTION_EXTENDED] = { "SubscriptionExtended",
		"SubscriptionExtended(uint256 indexed subscriptionId, uint256 indexed planId, "
		"address indexed extendedBy, uint256 newExpiresAt, uint256 paidAmount, "
		"address paymentToken)",
		T(0x80, 0xf8, 0x67, 0xae, 0xff, 0xc7, 0x4b, 0x04, 0xb4, 0xf3, 0x87, 0xcf, 0xc5, 0x57,
		  0x2b, 0x2a, 0x35, 0x37, 0xd8, 0x70, 0x55, 0x79, 0xfb, 0x69, 0x6d, 0xa4, 0x01, 0x9c,
		  0xc8, 0x06, 0x9e, 0x09) },
	[BH_EV_SUBSCRIPTION_CANCELLED] = { "SubscriptionCancelled",
		"SubscriptionCancelled(uint256 indexed subscriptionId, uint256 indexed planId, "
		"address indexed subscriber)",
		T(0x66, 0xf4, 0x3b, 0xa6, 0x8b, 0x89, 0x23, 0x9c, 0xf7, 0xaf, 0x69, 0x21, 0xb9, 0xdc,
		  0xda, 0xf6, 0xce, 0x93, 0xc7, 0x22, 0x3a, 0xf7, 0xa5, 0x3e, 0x34, 0x3d, 0xbe, 0xdc,
		  0xc0, 0x82, 0xa1, 0x04) },
	[BH_EV_CREDENTIAL_MINTED] = { "CredentialMinted",
		"CredentialMinted(uint256 indexed tokenId, address indexed recipient)",
		T(0xcd, 0xe9, 0x16, 0xbd, 0x9d, 0x7a, 0x22, 0x89, 0x8d, 0x8f, 0xc8, 0x6b, 0x92, 0xef,
		  0x66, 0x0f, 0xa8, 0xdd, 0xdb, 0x29, 0xc6, 0x39, 0x44, 0x34, 0x8d, 0xd3, 0x3e, 0x5d,
		  0x9f, 0x1e, 0x3f, 0x98) },
	[BH_EV_TRANSFER] = { "Transfer",
		"Transfer(address indexed from, address indexed to, uint256 indexed tokenId)",
		T(0xdd, 0xf2, 0x52, 0xad, 0x1b, 0xe2, 0xc8, 0x9b, 0x69, 0xc2, 0xb0, 0x68, 0xfc, 0x37,
		  0x8d, 0xaa, 0x95, 0x2b, 0xa7, 0xf1, 0x63, 0xc4, 0xa1, 0x16, 0x28, 0xf5, 0x5a, 0x4d,
		  0xf5, 0x23, 0xb3, 0xef) },
};
#undef T

static const struct event_def *def_of(enum bh_event_kind kind)
{
	if ((unsigned)kind >= _BH_EV_KIND_MAX || !defs[kind].name)
		return NULL;
	return &defs[kind];
}

const char *bh_event_name(enum bh_event_kind kind)
{
	const struct event_def *d = def_of(kind);
	return d ? d->name : "?";
}

const char *bh_event_signature(enum bh_event_kind kind)
{
	const struct event_def *d = def_of(kind);
	return d ? d->sig : NULL;
}

const uint8_t *bh_event_topic(enum bh_event_kind kind)
{
	const struct event_def *d = def_of(kind);
	return d ? d->topic : NULL;
}

void bh_event_clear(struct bh_event *ev)
{
	if (!ev)
		return;
	if (ev->kind == BH_EV_SUBSCRIPTION_CREATED)
		bh_buf_done(&ev->subscription_created.user_encrypted);
	memset(ev, 0, sizeof(*ev));
}

/* ---- fields by parameter name ---- */

struct fields {
	const struct event_def *def;
	const struct bh_abi_sig *sig;
	const struct bh_abi_value *v;   /* the decoded TUPLE, declaration order */
	struct bh_msg *msg;
};

/* The decoded parameter called name; BH_ERR_INTERNAL if the signature has none. */
static int field(const struct fields *f, const char *name, enum bh_abi_kind kind,
                 const struct bh_abi_value **ret)
{
	const struct bh_abi_type *params = f->sig->params;

	for (size_t i = 0; i < params->len && i < f->v->u.list.n; i++) {
		const struct bh_abi_type *m = params->members[i];
		if (!m->name || strcmp(m->name, name))
			continue;
		if (m->kind != kind || f->v->u.list.items[i].kind != kind)
			break;
		*ret = &f->v->u.list.items[i];
		return 0;
	}
	bh_msg_set(f->msg, "%s.%s: no such parameter of that type", f->def->name, name);
	return BH_ERR_INTERNAL;
}

static int get_id(const struct fields *f, const char *name, uint64_t *ret)
{
	const struct bh_abi_value *x;
	char dec[BH_U256_DEC_MAX];
	int r;

	if ((r = field(f, name, BH_ABI_UINT, &x)) < 0)
		return r;
	if (bh_u256_to_u64(x->u.word, ret) < 0) {
		bh_u256_to_dec(x->u.word, dec);
		bh_msg_set(f->msg, "%s.%s: %s does not fit 64 bits", f->def->name, name, dec);
		return BH_ERR_RANGE;
	}
	return 0;
}

static int get_u256(const struct fields *f, const char *name, struct bh_u256 *ret)
{
	const struct bh_abi_value *x;
	int r;

	if ((r = field(f, name, BH_ABI_UINT, &x)) < 0)
		return r;
	memcpy(ret->be, x->u.word, 32);
	return 0;
}

static int get_address(const struct fields *f, const char *name, uint8_t ret[static 20])
{
	const struct bh_abi_value *x;
	int r;

	if ((r = field(f, name, BH_ABI_ADDRESS, &x)) < 0)
		return r;
	memcpy(ret, x->u.word + 12, 20);
	return 0;
}

/* ret: an initialised owned buffer with the cap as its max_size. */
static int get_bytes(const struct fields *f, const char *name, struct bh_buf *ret)
{
	const struct bh_abi_value *x;
	int r;

	if ((r = field(f, name, BH_ABI_BYTES, &x)) < 0)
		return r;
	if (x->u.bytes.len > bh_buf_avail(ret)) {
		bh_msg_set(f->msg, "%s.%s: %zu bytes, more than %zu", f->def->name, name,
			   x->u.bytes.len, bh_buf_avail(ret));
		return BH_ERR_LIMIT;
	}
	return bh_buf_put(ret, x->u.bytes.data, x->u.bytes.len);
}

static int fill(const struct fields *f, enum bh_event_kind kind, struct bh_event *ev)
{
	int r = BH_ERR_INTERNAL;

	switch (kind) {
	case BH_EV_SUBSCRIPTION_CREATED: {
		struct bh_ev_subscription_created *e = &ev->subscription_created;
		bh_buf_init(&e->user_encrypted, BH_EVENT_MAX_BYTES);
		if ((r = get_id(f, "subscriptionId", &e->subscription_id)) < 0 ||
		    (r = get_id(f, "planId", &e->plan_id)) < 0 ||
		    (r = get_address(f, "subscriber", e->subscriber)) < 0 ||
		    (r = get_u256(f, "expiresAt", &e->expires_at)) < 0 ||
		    (r = get_u256(f, "paidAmount", &e->paid_amount)) < 0 ||
		    (r = get_address(f, "paymentToken", e->payment_token)) < 0 ||
		    (r = get_bytes(f, "userEncrypted", &e->user_encrypted)) < 0)
			return r;
		return 0;
	}
	case BH_EV_SUBSCRIPTION_EXTENDED: {
		struct bh_ev_subscription_extended *e = &ev->subscription_extended;
		if ((r = get_id(f, "subscriptionId", &e->subscription_id)) < 0 ||
		    (r = get_id(f, "planId", &e->plan_id)) < 0 ||
		    (r = get_address(f, "extendedBy", e->extended_by)) < 0 ||
		    (r = get_u256(f, "newExpiresAt", &e->new_expires_at)) < 0 ||
		    (r = get_u256(f, "paidAmount", &e->paid_amount)) < 0 ||
		    (r = get_address(f, "paymentToken", e->payment_token)) < 0)
			return r;
		return 0;
	}
	case BH_EV_SUBSCRIPTION_CANCELLED: {
		struct bh_ev_subscription_cancelled *e = &ev->subscription_cancelled;
		if ((r = get_id(f, "subscriptionId", &e->subscription_id)) < 0 ||
		    (r = get_id(f, "planId", &e->plan_id)) < 0 ||
		    (r = get_address(f, "subscriber", e->subscriber)) < 0)
			return r;
		return 0;
	}
	case BH_EV_CREDENTIAL_MINTED: {
		struct bh_ev_credential_minted *e = &ev->credential_minted;
		if ((r = get_id(f, "tokenId", &e->token_id)) < 0 ||
		    (r = get_address(f, "recipient", e->recipient)) < 0)
			return r;
		return 0;
	}
	case BH_EV_TRANSFER: {
		struct bh_ev_transfer *e = &ev->transfer;
		if ((r = get_address(f, "from", e->from)) < 0 ||
		    (r = get_address(f, "to", e->to)) < 0 ||
		    (r = get_id(f, "tokenId", &e->token_id)) < 0)
			return r;
		return 0;
	}
	default:
		return BH_ERR_INTERNAL;
	}
}

int bh_event_decode(const struct bh_log *log, struct bh_event *ret, struct bh_msg *msg)
{
	struct bh_abi_sig *sig = NULL;
	struct bh_abi_value *v = NULL;
	struct bh_event ev;
	enum bh_event_kind kind = 0;
	int r = BH_ERR_INTERNAL;

	memset(&ev, 0, sizeof(ev));
	if (!log || !ret || log->ntopics > BH_LOG_MAX_TOPICS)
		return -EINVAL;
	if (log->ntopics == 0) {
		bh_msg_set(msg, "log without topics (an anonymous event)");
		return BH_ERR_NOT_FOUND;
	}
	for (int k = 1; k < _BH_EV_KIND_MAX; k++)
		if (!memcmp(log->topics[0], defs[k].topic, 32))
			kind = (enum bh_event_kind)k;
	if (!kind) {
		bh_msg_set(msg, "topic0 %02x%02x%02x%02x... is not an event decoded here",
			   log->topics[0][0], log->topics[0][1], log->topics[0][2], log->topics[0][3]);
		return BH_ERR_NOT_FOUND;
	}
	const struct event_def *d = &defs[kind];
	if ((r = bh_abi_sig_parse(d->sig, &sig, msg)) < 0)
		goto out;
	/* bh_abi_decode_log checks topic0 once more, the topic count and every word */
	if ((r = bh_abi_decode_log(sig, (const uint8_t(*)[32])log->topics, log->ntopics,
				   bh_buf_ptr(&log->data), bh_buf_len(&log->data), &v, msg)) < 0) {
		/* prefix the event's name to the decoder's detail */
		if (msg) {
			char detail[sizeof(msg->text)];
			snprintf(detail, sizeof(detail), "%s", msg->text);
			bh_msg_set(msg, "%s: %s", d->name, detail);
		}
		goto out;
	}
	struct fields f = { .def = d, .sig = sig, .v = v, .msg = msg };
	ev.kind = kind;
	memcpy(ev.address, log->address, 20);
	if ((r = fill(&f, kind, &ev)) < 0)
		goto out;
	*ret = ev;
	memset(&ev, 0, sizeof(ev));   /* ownership moved to *ret */
	r = 0;
out:
	bh_event_clear(&ev);
	bh_abi_value_free(v);
	bh_abi_sig_free(sig);
	return r;
}

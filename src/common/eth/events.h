/* SPDX-License-Identifier: MIT */
/*
 * Typed decoding of the chain events BlockHost acts on (upstream.md §6):
 *
 *   BlockhostSubscriptions
 *     SubscriptionCreated(uint256 indexed subscriptionId, uint256 indexed planId,
 *                         address indexed subscriber, uint256 expiresAt, uint256 paidAmount,
 *                         address paymentToken, bytes userEncrypted)
 *     SubscriptionExtended(uint256 indexed subscriptionId, uint256 indexed planId,
 *                          address indexed extendedBy, uint256 newExpiresAt,
 *                          uint256 paidAmount, address paymentToken)
 *     SubscriptionCancelled(uint256 indexed subscriptionId, uint256 indexed planId,
 *                           address indexed subscriber)
 *   AccessCredentialNFT (ERC-721)
 *     CredentialMinted(uint256 indexed tokenId, address indexed recipient)
 *     Transfer(address indexed from, address indexed to, uint256 indexed tokenId)
 *
 * A log (topics + data) becomes a struct with one named field per event parameter, so no
 * consumer picks tuple items by position.  Decoding goes through the strict ABI log decoder
 * (abi.h: canonical offsets, zero padding, no trailing data) and then maps parameters by
 * their names in the signatures above.
 *
 * Field types:
 *  - ids the contracts count up from 0 or 1 (subscriptionId, planId, tokenId) are uint64_t;
 *    an id above 2^64-1 cannot come from these contracts and is refused (BH_ERR_RANGE);
 *  - times and amounts (expiresAt, newExpiresAt, paidAmount) are struct bh_u256: they come
 *    from user-chosen days and token amounts and may exceed 64 bits;
 *  - addresses are 20 bytes;
 *  - userEncrypted is an owned struct bh_buf capped at BH_EVENT_MAX_BYTES (BH_ERR_LIMIT
 *    above), wiped by bh_event_clear.
 *
 * The emitting contract's address is copied from the log into the event, unjudged: the
 * caller checks that it is the contract it watches (a Transfer looks the same from any
 * ERC-721).  An ERC-20 Transfer has the same topic0 but 3 topics; it is refused
 * (BH_ERR_MISMATCH), as is any other topic count.
 */
#ifndef BH_EVENTS_H
#define BH_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "eth/u256.h"

#define BH_LOG_MAX_TOPICS   4                  /* LOG0..LOG4 */
#define BH_EVENT_MAX_BYTES  (64u * 1024u)      /* userEncrypted (an ECIES ciphertext) */

/* One log as eth_getLogs returns it, hex already decoded. */
struct bh_log {
	uint8_t address[20];                       /* emitting contract */
	uint8_t topics[BH_LOG_MAX_TOPICS][32];
	size_t ntopics;
	struct bh_buf data;                        /* usually a view (bh_buf_view); not consumed */
};

enum bh_event_kind {
	BH_EV_SUBSCRIPTION_CREATED = 1,
	BH_EV_SUBSCRIPTION_EXTENDED,
	BH_EV_SUBSCRIPTION_CANCELLED,
	BH_EV_CREDENTIAL_MINTED,
	BH_EV_TRANSFER,
	_BH_EV_KIND_MAX,
};

struct bh_ev_subscription_created {
	uint64_t subscription_id;
	uint64_t plan_id;
	uint8_t subscriber[20];
	struct bh_u256 expires_at;                 /* unix seconds */
	struct bh_u256 paid_amount;                /* in paymentToken's smallest unit */
	uint8_t payment_token[20];
	struct bh_buf user_encrypted;              /* owned, may be empty */
};

struct bh_ev_subscription_extended {
	uint64_t subscription_id;
	uint64_t plan_id;
	uint8_t extended_by[20];
	struct bh_u256 new_expires_at;             /* unix seconds */
	struct bh_u256 paid_amount;
	uint8_t payment_token[20];
};

struct bh_ev_subscription_cancelled {
	uint64_t subscription_id;
	uint64_t plan_id;
	uint8_t subscriber[20];
};

struct bh_ev_credential_minted {
	uint64_t token_id;
	uint8_t recipient[20];
};

struct bh_ev_transfer {
	uint8_t from[20];                          /* all zero for a mint */
	uint8_t to[20];
	uint64_t token_id;
};

struct bh_event {
	enum bh_event_kind kind;
	uint8_t address[20];                       /* copied from the log */
	union {
		struct bh_ev_subscription_created subscription_created;
		struct bh_ev_subscription_extended subscription_extended;
		struct bh_ev_subscription_cancelled subscription_cancelled;
		struct bh_ev_credential_minted credential_minted;
		struct bh_ev_transfer transfer;
	};
};

/*
 * Decode log into *ret (set only on success; release with bh_event_clear).
 * Errors: BH_ERR_NOT_FOUND (no topics, or topic0 is none of the events above — e.g.
 * PlanCreated, which callers only log), BH_ERR_MISMATCH (wrong topic count),
 * BH_ERR_FORMAT / BH_ERR_INCOMPLETE / BH_ERR_TRAILING / BH_ERR_LIMIT (data or topics not
 * the canonical encoding), BH_ERR_RANGE (an id above 2^64-1), BH_ERR_LIMIT
 * (userEncrypted over BH_EVENT_MAX_BYTES), -ENOMEM, -EINVAL (ntopics > 4).
 * msg names the event and the field, e.g. "SubscriptionCreated.subscriptionId: ...".
 */
int bh_event_decode(const struct bh_log *log, struct bh_event *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));

/* Release what ev owns (wiping userEncrypted) and zero it.  NULL-safe, idempotent. */
void bh_event_clear(struct bh_event *ev);

/* "SubscriptionCreated", ...; "?" for an unknown kind. */
const char *bh_event_name(enum bh_event_kind kind);
/* The full signature with names and "indexed", as above; NULL for an unknown kind. */
const char *bh_event_signature(enum bh_event_kind kind);
/* topic0 = keccak256(canonical signature); NULL for an unknown kind. */
const uint8_t *bh_event_topic(enum bh_event_kind kind);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the keystore daemon's request handling (ops.c: JSON decode, policy checks,
 * every operation's field parsing, transaction building) with fixed in-memory keys.
 * Input: byte 0 picks the peer (uid 1000: every operation; uid 0: pubkeys only;
 * other: unknown), the rest is the frame payload.  Invariants: a response is always
 * produced, it has a boolean "ok", and it never contains a private key in hex unless
 * the request itself did.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../src/keystore/keys.h"
#include "../src/keystore/ops.h"
#include "core/hex.h"

static const char policy_text[] =
	"[socket]\n"
	"allow = uid:1000 address, pubkeys, sign_tx, personal_sign, ecies_decrypt, tls_sign\n"
	"allow = uid:0 pubkeys\n"
	"[transactions]\n"
	"chain_id = 31337\n"
	"allow_to = 0x000000000000000000000000000000000000dEaD\n"
	"max_value_per_tx = 1000000\n"
	"max_value_per_day = 1500000\n"
	"allow_deploy = yes\n";

static struct ks_policy policy;
static struct bh_ks_keys *keys;
static char key_hex[BH_KS_NKEYS][65];

static uint64_t fixed_now(void) { return 20000ull * 86400; }

static void init(void)
{
	if (keys)
		return;
	if (ks_policy_parse(policy_text, sizeof(policy_text) - 1, &policy, NULL) < 0 ||
	    !(keys = bh_ks_keys_new()))
		abort();
	for (int i = 0; i < BH_KS_NKEYS; i++) {
		memset(keys->k[i], 0x11 * (i + 1), 32);
		bh_hex_encode(keys->k[i], 32, key_hex[i]);
	}
	if (bh_ks_keys_check(keys) < 0)
		abort();
	bh_ks_keys_lock(keys);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_server s = { 0 };
	struct ks_peer peer = { .pid = 1, .gid = 100 };
	json_t *resp = NULL;

	init();
	if (size < 1)
		return 0;
	peer.uid = data[0] == 0 ? 1000 : data[0] == 1 ? 0 : 4242;
	s.keys = keys;
	s.policy = &policy;
	s.now = fixed_now;
	s.deploy_flag_path = NULL;
	s.day = fixed_now() / 86400;
	if (ks_handle(&s, &peer, data + 1, size - 1, &resp) < 0)
		return 0; /* out of memory */
	if (!json_is_boolean(json_object_get(resp, "ok")))
		abort();
	/* (a request may itself carry the hex, e.g. as a field name echoed in an error) */
	char *dump = json_dumps(resp, 0);
	for (int i = 0; dump && i < BH_KS_NKEYS; i++)
		if (strstr(dump, key_hex[i]) && !memmem(data, size, key_hex[i], 64))
			abort();
	free(dump);
	json_decref(resp);
	return 0;
}

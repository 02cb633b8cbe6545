/* SPDX-License-Identifier: MIT */
/*
 * Fuzz blockhost-signup's relay request validator (src/signup/relay.c): any body becomes
 * either a whole-request refusal or calls that are each refused (a complete JSON-RPC error
 * response) or rebuilt for forwarding from accepted fields only; then the answer builder
 * on it.  Invariants checked: every forwarded call is one of the five methods, its params
 * an array; an eth_call's "to" and every eth_getLogs address is one of the host's
 * contracts; the answer is JSON and at most the caps.
 */
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "signup.h"

static const uint8_t contracts[3][20] = {
	{ 0x5f, 0xbd, 0xb2, 0x31, 0x56, 0x78, 0xaf, 0xec, 0xb3, 0x67, 0xf0, 0x32, 0xd9, 0x3f,
	  0x64, 0x2f, 0x64, 0x18, 0x0a, 0xa3 },
	{ [19] = 0xb1 },
	{ [19] = 0xc1 },
};

static bool ours(const json_t *v)
{
	uint8_t a[20];
	if (!json_is_string(v) || json_string_length(v) != 42 ||
	    bh_hex_decode_exact(json_string_value(v), a, 20) < 0)
		return false;
	for (int i = 0; i < 3; i++)
		if (!memcmp(a, contracts[i], 20))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct su_relay_rules rules = { .chain_id = 31337, .contracts = contracts,
					      .ncontracts = 3, .max_log_blocks = 1000 };
	struct su_relay_req q;
	char *out = NULL;
	size_t len = 0;

	if (su_relay_parse(&rules, data, size, &q) < 0)
		return 0;
	if (!q.whole_error == !q.n)
		abort(); /* exactly one of the two */
	for (size_t i = 0; i < q.n; i++) {
		struct su_relay_call *c = &q.calls[i];
		if (!c->id || (!c->response == !c->method) || (!c->params != !c->method))
			abort();
		if (!c->method)
			continue;
		if (!json_is_array(c->params))
			abort();
		if (!strcmp(c->method, "eth_call")) {
			if (!ours(json_object_get(json_array_get(c->params, 0), "to")))
				abort();
		} else if (!strcmp(c->method, "eth_getLogs")) {
			const json_t *a = json_object_get(json_array_get(c->params, 0), "address");
			size_t j;
			json_t *v;
			if (!json_is_array(a) || !json_array_size(a))
				abort();
			json_array_foreach(a, j, v)
				if (!ours(v))
					abort();
		} else if (strcmp(c->method, "eth_chainId") && strcmp(c->method, "eth_blockNumber") &&
			   strcmp(c->method, "eth_getTransactionReceipt")) {
			abort();
		}
		/* stand-in for the provider's answer */
		c->response = su_relay_result(c->id, json_string("0x1"));
		if (!c->response) {
			su_relay_req_done(&q);
			return 0;
		}
	}
	if (su_relay_answer(&q, &out, &len) == 0) {
		json_error_t e;
		json_t *j = json_loadb(out, len, 0, &e);
		if (!j || len > SU_RELAY_TOTAL_MAX + 4096)
			abort();
		json_decref(j);
		free(out);
	}
	su_relay_req_done(&q);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz blockhost-signup's configuration parser (src/signup/config.c) and the public
 * document built from it: a refused file has a message; an accepted one has the required
 * keys set, a non-empty public secret, and its /config.json is JSON without the RPC URL.
 */
#include <stdlib.h>
#include <string.h>

#include "signup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct su_config c;
	struct bh_msg m = { { 0 } };
	char *pub = NULL;

	if (su_config_parse(data, size, "fuzz.json", &c, &m) < 0) {
		return 0;
	}
	if (!c.rpc_url || !c.www || !c.cert || !c.public_secret || !c.public_secret[0] ||
	    !c.chain_id || !c.port || c.port > 65535 || c.ntokens > SU_MAX_TOKENS)
		abort();
	if (su_config_public_json(&c, &pub, &m) == 0) {
		json_error_t e;
		json_t *j = json_loads(pub, 0, &e);
		/* the provider URL is never published (unless the file repeats it elsewhere) */
		bool elsewhere = strstr(c.public_secret, c.rpc_url) || strstr(c.chain_name, c.rpc_url) ||
				 (c.explorer_url && strstr(c.explorer_url, c.rpc_url));
		if (!j || (strlen(c.rpc_url) > 8 && !elsewhere && strstr(pub, c.rpc_url)))
			abort();
		json_decref(j);
		free(pub);
	}
	su_config_done(&c);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The root agent's request object (docs/PROTOCOL.plugin section 7, upstream
 * compatible): {"action": NAME, "params": {...}} with "params" optional.
 */
#ifndef BH_AGENT_REQUEST_H
#define BH_AGENT_REQUEST_H

#include <stdbool.h>

#include <jansson.h>

#include "core/err.h"
#include "plugin.h"

struct bh_agent_request {
	/* "action" is a string but not an action name: action holds a printable,
	 * truncated copy for the "Unknown action: NAME" reply, params is NULL */
	bool unknown;
	char action[BH_PLUGIN_NAME_MAX + 1]; /* else NAME, bh_name_valid(BH_NAME_ACTION) */
	json_t *params;                      /* a new reference; {} when absent */
	size_t n_ignored;                    /* unknown top-level keys (ignored, as upstream) */
	char ignored[68];                    /* the first of them, printable (for the log) */
};

/*
 * Split a decoded request into *ret (filled only on success; an unknown action is a
 * successful parse with ret->unknown).  Unknown top-level keys are ignored (upstream's
 * rule) and counted in ret->n_ignored.  Errors: BH_ERR_WRONG_TYPE / BH_ERR_MISSING_KEY,
 * with msg; -ENOMEM.
 */
int bh_agent_request_parse(const json_t *req, struct bh_agent_request *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* Drop the params reference; NULL-safe. */
void bh_agent_request_done(struct bh_agent_request *r);

/* {"ok": false, "error": text}; NULL on allocation failure. */
json_t *bh_agent_error_reply(const char *text);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The root agent's request object (docs/PROTOCOL.plugin section 7, upstream
 * compatible): {"action": NAME, "params": {...}} with "params" optional.
 */
#ifndef BH_AGENT_REQUEST_H
#define BH_AGENT_REQUEST_H

#include <jansson.h>

#include "core/err.h"
#include "plugin.h"

/*
 * Split a decoded request.  On success ret_action holds NAME (valid per
 * bh_name_valid(BH_NAME_ACTION)) and *ret_params a new reference to the params object
 * ({} when absent).  Errors: BH_ERR_WRONG_TYPE / BH_ERR_MISSING_KEY /
 * BH_ERR_FORMAT (unknown top-level key), with msg; BH_ERR_NOT_FOUND when the
 * action is a string but not a valid name — ret_action then holds a printable,
 * truncated copy for the "Unknown action: NAME" reply.
 */
int bh_agent_request_parse(const json_t *req, char ret_action[static BH_PLUGIN_NAME_MAX + 1],
			   json_t **ret_params, struct bh_msg *msg) __attribute__((warn_unused_result));

/* {"ok": false, "error": text}; NULL on allocation failure. */
json_t *bh_agent_error_reply(const char *text);

#endif

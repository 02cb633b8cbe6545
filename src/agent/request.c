/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include "request.h"

int bh_agent_request_parse(const json_t *req, struct bh_agent_request *ret, struct bh_msg *msg)
{
	struct bh_agent_request q = { .unknown = false };
	const char *key, *action;
	json_t *v, *params;

	if (!json_is_object(req)) {
		bh_msg_set(msg, "request is not a JSON object");
		return BH_ERR_WRONG_TYPE;
	}
	/* unknown top-level keys are ignored (upstream's rule, docs/PROTOCOL.socket section
	 * 6); the first is kept, printable, so the agent can log that it was ignored */
	json_object_foreach((json_t *)req, key, v) {
		if (strcmp(key, "action") && strcmp(key, "params")) {
			q.n_ignored++;
			if (q.n_ignored == 1)
				bh_str_sanitize(key, BH_STR_CSTR, q.ignored, sizeof(q.ignored));
		}
	}
	v = json_object_get(req, "action");
	if (!v) {
		bh_msg_set(msg, "request: \"action\" missing");
		return BH_ERR_MISSING_KEY;
	}
	if (!(action = json_string_value(v))) {
		bh_msg_set(msg, "request: \"action\" is not a string");
		return BH_ERR_WRONG_TYPE;
	}
	params = json_object_get(req, "params");
	if (params && !json_is_object(params)) {
		bh_msg_set(msg, "request: \"params\" is not an object");
		return BH_ERR_WRONG_TYPE;
	}
	if (!bh_name_valid(action, BH_NAME_ACTION) || json_string_length(v) != strlen(action)) {
		/* a printable, bounded echo of the name for the reply */
		bh_str_sanitize(action, BH_STR_CSTR, q.action, sizeof(q.action));
		q.unknown = true;
		*ret = q;
		return 0;
	}
	if (params)
		json_incref(params);
	else if (!(params = json_object()))
		return -ENOMEM;
	snprintf(q.action, sizeof(q.action), "%s", action);
	q.params = params;
	*ret = q;
	return 0;
}

void bh_agent_request_done(struct bh_agent_request *r)
{
	if (!r)
		return;
	json_decref(r->params);
	r->params = NULL;
}

json_t *bh_agent_error_reply(const char *text)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", text);
}

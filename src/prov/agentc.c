/* SPDX-License-Identifier: MIT */
/* Root-agent client calls and QEMU guest-agent reply parsing (prov.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/frame.h"
#include "prov.h"

int prov_agent_check_reply(const json_t *reply, const char *action, struct bh_msg *msg)
{
	const json_t *ok = json_object_get(reply, "ok");
	const char *err;

	if (!json_is_object(reply) || !json_is_boolean(ok)) {
		bh_msg_set(msg, "root agent %s: reply without a boolean \"ok\"", action);
		return BH_ERR_FORMAT;
	}
	if (json_is_true(ok))
		return 0;
	err = json_string_value(json_object_get(reply, "error"));
	bh_msg_set(msg, "root agent %s: %.400s", action, err ? err : "failed (no error text)");
	return BH_ERR_DENIED;
}

int prov_agent_call(const char *socket_path, const char *action, json_t *params,
		    int timeout_ms, json_t **ret_reply, struct bh_msg *msg)
{
	json_t *req = json_pack("{s:s,s:O}", "action", action, "params", params);
	json_t *rep = NULL;
	int r;

	if (!req)
		return -ENOMEM;
	r = bh_frame_call(socket_path, req, BH_FRAME_MAX_RESPONSE, timeout_ms, &rep);
	json_decref(req);
	if (r == -ENOENT || r == -ECONNREFUSED) { /* no socket, or nobody listening on it */
		bh_msg_set(msg, "root agent %s: not reachable: is "
			   "blockhost-root-agent running? (systemctl status blockhost-root-agent)",
			   action);
		return r;
	}
	if (r == -EACCES || r == -EPERM) {
		bh_msg_set(msg, "root agent %s: its socket refused this user: run as a member of "
			   "the group 'blockhost' (docs/root-agent.md)", action);
		return r;
	}
	if (r < 0) {
		bh_msg_set(msg, "root agent at %s (%s): %s", socket_path, action, bh_strerror(r));
		return r;
	}
	if ((r = prov_agent_check_reply(rep, action, msg)) < 0) {
		json_decref(rep);
		return r;
	}
	if (ret_reply)
		*ret_reply = rep;
	else
		json_decref(rep);
	return 0;
}

/* ------------------------------------------------------------ QEMU guest agent */

static int ga_return(const char *reply, json_t **root, const json_t **ret, struct bh_msg *msg)
{
	int r;
	if (!reply || (r = bh_frame_decode_json(reply, strlen(reply), root)) < 0) {
		bh_msg_set(msg, "guest agent: reply is not a JSON object");
		return BH_ERR_FORMAT;
	}
	*ret = json_object_get(*root, "return");
	if (!json_is_object(*ret)) {
		const char *e = json_string_value(
			json_object_get(json_object_get(*root, "error"), "desc"));
		bh_msg_set(msg, "guest agent: %.300s", e ? e : "reply without \"return\"");
		json_decref(*root);
		*root = NULL;
		return BH_ERR_FORMAT;
	}
	return 0;
}

int prov_ga_exec_pid(const char *reply, int64_t *ret_pid, struct bh_msg *msg)
{
	json_t *root = NULL;
	const json_t *ret, *pid;
	int r;

	if ((r = ga_return(reply, &root, &ret, msg)) < 0)
		return r;
	pid = json_object_get(ret, "pid");
	if (!json_is_integer(pid) || json_integer_value(pid) < 0) {
		bh_msg_set(msg, "guest agent: guest-exec reply without a pid");
		json_decref(root);
		return BH_ERR_FORMAT;
	}
	*ret_pid = json_integer_value(pid);
	json_decref(root);
	return 0;
}

static int b64(const json_t *v, size_t cap, char **out, size_t *out_len, struct bh_msg *msg)
{
	const char *s = json_string_value(v);
	size_t n, bin_len = 0;
	unsigned char *bin;

	*out = NULL;
	*out_len = 0;
	if (!v)
		return 0;
	if (!s) {
		bh_msg_set(msg, "guest agent: output data is not a string");
		return BH_ERR_FORMAT;
	}
	n = strlen(s);
	if (n / 4 * 3 > cap + 3) {
		bh_msg_set(msg, "guest agent: output larger than %zu bytes", cap);
		return BH_ERR_LIMIT;
	}
	if (!(bin = malloc(n / 4 * 3 + 4)))
		return -ENOMEM;
	if (sodium_base642bin(bin, n / 4 * 3 + 3, s, n, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0) {
		free(bin);
		bh_msg_set(msg, "guest agent: output is not valid base64");
		return BH_ERR_FORMAT;
	}
	bin[bin_len] = '\0';
	*out = (char *)bin;
	*out_len = bin_len;
	return 0;
}

int prov_ga_exec_status(const char *reply, size_t cap, struct prov_ga_status *ret,
			struct bh_msg *msg)
{
	struct prov_ga_status s = { 0 };
	json_t *root = NULL;
	const json_t *rv, *ex, *code;
	int r;

	if ((r = ga_return(reply, &root, &rv, msg)) < 0)
		return r;
	ex = json_object_get(rv, "exited");
	if (!json_is_boolean(ex)) {
		bh_msg_set(msg, "guest agent: guest-exec-status without \"exited\"");
		r = BH_ERR_FORMAT;
		goto out;
	}
	s.exited = json_is_true(ex);
	code = json_object_get(rv, "exitcode");
	if (code && (!json_is_integer(code) || json_integer_value(code) < -1024 ||
		     json_integer_value(code) > 1024)) {
		bh_msg_set(msg, "guest agent: bad exitcode");
		r = BH_ERR_FORMAT;
		goto out;
	}
	s.exitcode = code ? (int)json_integer_value(code) : (json_object_get(rv, "signal") ? 128 : 0);
	if ((r = b64(json_object_get(rv, "out-data"), cap, &s.out, &s.out_len, msg)) < 0 ||
	    (r = b64(json_object_get(rv, "err-data"), cap, &s.err, &s.err_len, msg)) < 0)
		goto out;
	*ret = s;
	memset(&s, 0, sizeof s);
	r = 0;
out:
	prov_ga_status_done(&s);
	json_decref(root);
	return r;
}

void prov_ga_status_done(struct prov_ga_status *s)
{
	if (!s)
		return;
	free(s->out);
	free(s->err);
	memset(s, 0, sizeof *s);
}

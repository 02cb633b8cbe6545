/* SPDX-License-Identifier: MIT */
/*
 * blockhost-root-agent: the connection handler, forked by the monitor (agent.c) for each
 * connection: the launcher (root, unfiltered: it starts the plugin) and the checker (root
 * without capabilities, seccomp/blockhost-root-agent-handler) that interprets every byte the
 * reader hands over.  See agent.c for the process layout, docs/root-agent.md for why.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "core/cli.h"
#include "core/err.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/path.h"
#include "core/spawn.h"
#include "core/strutil.h"
#include "plugin.h"
#include "sandbox/policy.h"
#include "request.h"
#include "sandbox/sandbox.h"
#include "core/usock.h"

#include "agent-int.h"

#define PEER_GROUPS_MAX 256

/* uid 0, or group gid as egid or supplementary group at connect() time (usock.h). */
static int peer_allowed(int fd, gid_t gid, struct bh_peer *ret_peer)
{
	bool member = false;
	int r;

	if ((r = bh_usock_peer(fd, ret_peer)) < 0)
		return r;
	if (ret_peer->uid == 0)
		return 0;
	if ((r = bh_usock_peer_in_group(fd, gid, &member)) < 0)
		return BH_ERR_PEER; /* no SO_PEERGROUPS or too many groups: refuse */
	return member ? 0 : BH_ERR_PEER;
}

static void reply(int fd, json_t *j)
{
	int r;

	if (!j)
		return;
	if ((r = bh_frame_write_json(fd, j, BH_FRAME_SERVER_TIMEOUT_MS)) < 0)
		log_warn_r(r, "writing reply");
	json_decref(j);
}

/*
 * Monitor side: hand the client to the spare reader, take its one frame and decode it
 * as the reader->monitor record (bh_agent_record_decode: binary, bounded, through
 * struct bh_buf; the client's JSON is never parsed here).  The reader may have been
 * compromised by what it parsed: the record is checked strictly, and the params are
 * checked against the signed manifest again by bh_plugin_run.  Returns 0 with *ret (an
 * unknown action is a request too: ret->unknown), or an error with text.
 */
static int read_request(int ctl, int client, struct bh_agent_request *ret, char *text,
			size_t textlen)
{
	struct bh_agent_request q = { .unknown = false };
	struct bh_msg msg = { "" };
	struct bh_buf b;
	int r;

	snprintf(text, textlen, "bad request");
	if (ctl < 0)
		return BH_ERR_INTERNAL;
	if ((r = bh_usock_send_fd(ctl, client)) < 0)
		return r;
	bh_buf_init(&b, BH_AGENT_RECORD_MAX);
	r = bh_frame_read(ctl, BH_AGENT_RECORD_MAX, BH_FRAME_SERVER_TIMEOUT_MS + 2000, &b);
	if (r < 0) {
		/* the reader died (e.g. out of its address space) or sent garbage */
		snprintf(text, textlen, "bad request: no answer from the request reader (%s)",
			 bh_strerror(r));
		goto out;
	}
	if ((r = bh_agent_record_decode(bh_buf_ptr(&b), bh_buf_len(&b), &q, &msg)) < 0) {
		char lt[BH_AGENT_LOG_TEXT_MAX];
		log_warn("request reader sent a malformed record (compromised?): %s",
			 bh_str_sanitize(msg.text, BH_STR_CSTR, lt, sizeof(lt)));
		snprintf(text, textlen, "bad request: malformed answer from the request reader");
		goto out;
	}
	if (q.error) {
		snprintf(text, textlen, "%s", q.error_text);
		r = BH_ERR_FORMAT;
		goto out;
	}
	*ret = q;
	r = 0;
out:
	bh_buf_done(&b);
	return r;
}

/* Whether dir/name exists (no symlink followed; only to tell "unknown" from "denied"). */
static bool file_in_dir(const char *dir, const char *name)
{
	struct stat st;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	bool found;

	if (dfd < 0)
		return false;
	found = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	close(dfd);
	return found;
}

/*
 * The connection handler is split in two (docs/root-agent.md "The handler's split"):
 *
 *  - the checker, a child forked per connection: the handler policy
 *    (policy/blockhost-root-agent-handler.policy: root, no capabilities, no_new_privs,
 *    not dumpable) and seccomp/blockhost-root-agent-handler.  It does everything that
 *    interprets bytes: decodes the reader's record, applies [callers], verifies the plugin
 *    (signature, manifest, sealed memfd), validates the params against the signed schema,
 *    and, after the run, turns the plugin's output into the reply and writes it;
 *  - the launcher (this process: root, the monitor's capability ceiling, no filter,
 *    because a filter would bind the plugin it starts).  It reads from the checker one
 *    fixed-shape "run" record (below), re-applies [callers] to its action name,
 *    verifies the plugin itself (with the rollback state), runs it with the checker's
 *    params text on stdin without parsing it, and hands back the raw outcome in a
 *    fixed-shape "done" record.  It never parses client bytes or plugin output.
 *
 * The two fixed-shape records between them (run, done) are in request.h.
 */
static void fill_env(const struct opts *o, struct bh_plugin_env *env, bool with_state)
{
	*env = (struct bh_plugin_env){
		.actions_dir = o->actions_dir, .keys_dir = o->keys_dir,
		.state_dir = with_state ? o->state_dir : NULL, .owner = 0,
		.plugin_uid = o->plugin_uid, .plugin_gid = o->plugin_gid,
		.libvirt_uid = o->libvirt_uid, .libvirt_gid = o->libvirt_gid,
		.n_libvirt_groups = o->n_libvirt_groups,
	};
	memcpy(env->libvirt_groups, o->libvirt_groups, sizeof(env->libvirt_groups));
}

/* The checker (see above): never returns. */
static noreturn void checker(const struct opts *o, int fd, int ctl, int lch, const struct bh_peer *cred,
			     const struct bh_caller *who)
{
	struct bh_plugin_env env;
	struct bh_plugin *p = NULL;
	struct bh_msg msg = { "" };
	struct bh_agent_request req = { .unknown = false };
	const char *action = req.action;
	struct bh_buf b;
	struct bh_agent_done d;
	char text[600], *input = NULL;
	json_t *res = NULL, *vp = NULL;
	int r;

	fill_env(o, &env, false);
	bh_buf_init(&b, BH_AGENT_DONE_MAX);
	/* the handler policy and filter, before any byte of the request is looked at */
	if (o->handler_policy &&
	    (r = bh_sandbox_apply_policy(o->handler_policy, BH_SANDBOX_CHECK_IDENTITY, &msg)) < 0) {
		log_error("connection handler: sandbox policy: %s", msg.text[0] ? msg.text : bh_strerror(r));
		_exit(3);
	}
	if (o->handler_filter && (r = bh_seccomp_install(o->handler_filter, 0, &msg)) < 0) {
		log_error("connection handler: seccomp: %s", msg.text[0] ? msg.text : bh_strerror(r));
		_exit(3);
	}
#ifdef BH_TEST_HOOKS
	if (getenv("BH_TEST_HANDLER_FORBIDDEN_SYSCALL")) {
		log_info("test: connection handler calling mount(2) under the filter");
		long x = bh_test_forbidden_syscall();
		log_error("test: mount(2) returned %ld: the filter did not kill the handler", x);
		_exit(5);
	}
#endif
	r = read_request(ctl, fd, &req, text, sizeof(text));
	if (ctl >= 0)
		close(ctl);
	if (r < 0)
		goto fail;
	if (req.unknown) {
		snprintf(text, sizeof(text), "Unknown action: %s", action);
		goto fail;
	}
	if (req.n_ignored)
		log_info("uid %u pid %d: %s: ignored %zu unknown top-level key%s (first \"%s\"), as "
			 "upstream does", (unsigned)cred->uid, (int)cred->pid, action, req.n_ignored,
			 req.n_ignored == 1 ? "" : "s", req.ignored);
	/* [callers]: may this peer call this action?  Before anything about the plugin is
	 * opened; an action with no rule that is not installed either is just unknown */
	if (!bh_callers_allowed(o->callers, action, who, &msg)) {
		char mf[BH_PLUGIN_NAME_MAX + 16];
		snprintf(mf, sizeof(mf), "%s.manifest", action);
		if (!bh_callers_find(o->callers, action) &&
		    faccessat(AT_FDCWD, o->actions_dir, X_OK, 0) == 0 && !file_in_dir(o->actions_dir, mf)) {
			snprintf(text, sizeof(text), "Unknown action: %s", action);
			goto fail;
		}
		snprintf(text, sizeof(text), "permission denied: %s", msg.text);
		r = BH_ERR_DENIED;
		goto fail;
	}
	msg.text[0] = '\0';
	r = bh_plugin_load(&env, action, &p, &msg);
	if (r == BH_ERR_NOT_FOUND) {
		snprintf(text, sizeof(text), "Unknown action: %s", action);
		goto fail;
	} else if (r < 0) {
		snprintf(text, sizeof(text), "plugin %s refused: %s", action, msg.text);
		goto fail;
	}
	if ((r = bh_params_validate(p->m, req.params, &vp, &msg)) < 0) {
		snprintf(text, sizeof(text), "%s", msg.text[0] ? msg.text : bh_strerror(r));
		goto fail;
	}
	if (!(input = json_dumps(vp, JSON_COMPACT)) || bh_agent_run_put(&b, action, input, strlen(input)) < 0 ||
	    (r = bh_frame_write(lch, bh_buf_ptr(&b), bh_buf_len(&b), BH_FRAME_SERVER_TIMEOUT_MS)) < 0) {
		snprintf(text, sizeof(text), "internal error: cannot hand the request to the launcher");
		goto fail;
	}
	explicit_bzero(input, strlen(input));
	bh_buf_reset(&b);
	if ((r = bh_frame_read(lch, BH_AGENT_DONE_MAX, BH_FRAME_NO_TIMEOUT, &b)) < 0 || (r = bh_agent_done_get(bh_buf_ptr(&b), bh_buf_len(&b), &d)) < 0) {
		snprintf(text, sizeof(text), "internal error: no answer from the plugin launcher");
		goto fail;
	}
	if (d.r < 0) {
		snprintf(text, sizeof(text), "%s", d.text[0] ? d.text : bh_strerror(d.r));
		r = d.r;
		goto fail;
	}
	{
		struct bh_spawn_result sr = { .exit_code = d.exit_code, .term_signal = d.term_signal,
					      .timed_out = d.flags & 1, .stdout_truncated = d.flags & 2 };
		bh_buf_view(&sr.out, d.out, d.n_out);
		bh_buf_view(&sr.err, d.err, d.n_err);
		if ((r = bh_plugin_outcome(p, action, &sr, &res, &msg)) < 0) {
			snprintf(text, sizeof(text), "%s", msg.text[0] ? msg.text : bh_strerror(r));
			goto fail;
		}
	}
	log_info("uid %u pid %d: %s (version %" PRIu64 ", ran as uid %u): ok=%s", (unsigned)cred->uid,
		 (int)cred->pid, action, d.version, (unsigned)d.run_uid,
		 json_is_true(json_object_get(res, "ok")) ? "true" : "false");
	reply(fd, res);
	_exit(0);
fail: {
	/* everything here may derive from the request (or the reader, or a plugin's
	 * stderr): one printable, bounded line, so a client cannot forge log lines */
	char la[BH_PLUGIN_NAME_MAX + 1], lt[BH_AGENT_LOG_TEXT_MAX];
	log_warn("uid %u pid %d: %s: %s", (unsigned)cred->uid, (int)cred->pid,
		 bh_str_sanitize(action, BH_STR_CSTR, la, sizeof(la)),
		 bh_str_sanitize(text, BH_STR_CSTR, lt, sizeof(lt)));
	}
	reply(fd, bh_agent_error_reply(text));
	_exit(1);
}

/* The launcher's answer to a run record it refuses or could not run. */
static void launcher_refuse(int lch, int r, const char *text)
{
	struct bh_spawn_result none = { 0 };
	struct bh_buf b;
	bh_buf_init(&b, 4096);
	if (bh_agent_done_put(&b, r, &none, 0, 0, text) == 0)
		(void)!bh_frame_write(lch, bh_buf_ptr(&b), bh_buf_len(&b), BH_FRAME_SERVER_TIMEOUT_MS);
	bh_buf_done(&b);
}

noreturn void agent_serve(const struct opts *o, int fd, int ctl)
{
	struct bh_plugin_env env;
	struct bh_plugin *p = NULL;
	struct bh_msg msg = { "" };
	struct bh_peer cred = { 0 };
	gid_t groups[PEER_GROUPS_MAX];
	struct bh_caller who = { .groups = groups };
	char action[BH_PLUGIN_NAME_MAX + 1];
	const uint8_t *input;
	size_t in_len;
	struct bh_buf b;
	struct bh_spawn_result res = { 0 };
	int sv[2], r, st = 0;
	pid_t c;

	fill_env(o, &env, true);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if ((r = peer_allowed(fd, o->gid, &cred)) < 0) {
		log_warn("refused connection from uid %u gid %u pid %d: not root and not in group %s",
			 (unsigned)cred.uid, (unsigned)cred.gid, (int)cred.pid, o->group);
		reply(fd, bh_agent_error_reply("permission denied"));
		_exit(1);
	}
	who.uid = cred.uid;
	who.gid = cred.gid;
	if ((r = bh_usock_peer_groups(fd, groups, PEER_GROUPS_MAX, &who.n_groups)) < 0) {
		char t[160];
		snprintf(t, sizeof(t), "permission denied: cannot read the caller's groups (%s)",
			 bh_strerror(r));
		reply(fd, bh_agent_error_reply(t));
		_exit(1);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || (c = fork()) < 0) {
		reply(fd, bh_agent_error_reply("internal error: cannot start the connection handler"));
		_exit(1);
	}
	if (c == 0) {
		close(sv[0]);
		checker(o, fd, ctl, sv[1], &cred, &who);
	}
	close(sv[1]);
	if (ctl >= 0)
		close(ctl);
	bh_buf_init(&b, BH_AGENT_RUN_MAX);
	/* one run record, or EOF when the checker answered the client itself (a refusal) */
	if ((r = bh_frame_read(sv[0], BH_AGENT_RUN_MAX, BH_FRAME_NO_TIMEOUT, &b)) < 0)
		goto wait;
	if (bh_agent_run_get(bh_buf_ptr(&b), bh_buf_len(&b), action, &input, &in_len) < 0) {
		log_warn("connection handler sent a malformed run record (compromised?)");
		launcher_refuse(sv[0], BH_ERR_FORMAT, "internal error: malformed run record");
		goto wait;
	}
	/* the checker applied [callers]; the launcher does not take its word for it */
	if (!bh_callers_allowed(o->callers, action, &who, &msg)) {
		char t[600];
		snprintf(t, sizeof(t), "permission denied: %s", msg.text);
		launcher_refuse(sv[0], BH_ERR_DENIED, t);
		goto wait;
	}
	msg.text[0] = '\0';
	if ((r = bh_plugin_load(&env, action, &p, &msg)) < 0) {
		char t[600];
		snprintf(t, sizeof(t), "plugin %s refused: %s", action, msg.text);
		launcher_refuse(sv[0], r, t);
		goto wait;
	}
	r = bh_plugin_exec(p, action, (const char *)input, in_len, &res, &msg);
	{
		struct bh_buf d;
		bh_buf_init(&d, BH_AGENT_DONE_MAX);
		if (bh_agent_done_put(&d, r, &res, p->m->version, (uint32_t)p->run_uid, r < 0 ? msg.text : "") == 0)
			(void)!bh_frame_write(sv[0], bh_buf_ptr(&d), bh_buf_len(&d), BH_FRAME_SERVER_TIMEOUT_MS);
		bh_buf_done(&d);
	}
	bh_spawn_result_done(&res);
wait:
	close(sv[0]);
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st)) {
		log_error("connection handler (pid %d) killed by signal %d%s", (int)c, WTERMSIG(st),
			  WTERMSIG(st) == SIGSYS ? " (killed by SIGSYS: a system call outside "
						   "seccomp/blockhost-root-agent-handler)" : "");
		reply(fd, bh_agent_error_reply("internal error"));
	}
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

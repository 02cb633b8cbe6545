/* SPDX-License-Identifier: MIT */
/*
 * The unfiltered child-process runner of the engine (src/engine/spawner.h).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/frame.h"
#include "core/hex.h"
#include "core/log.h"
#include "eth/abi.h"
#include "sandbox/sandbox.h"
#include "spawner.h"

#define MAX_ARGS 32
#define FRAME_MAX (1024u * 1024u)

static json_t *hexbuf(const struct bh_buf *b)
{
	return bh_json_hex(bh_buf_len(b) ? bh_buf_ptr(b) : (const uint8_t *)"", bh_buf_len(b));
}

/* Strings of a JSON array into v[0..n) (borrowed), NULL-terminated. */
static int strings(const json_t *a, const char **v, size_t max)
{
	if (!json_is_array(a) || json_array_size(a) + 1 > max)
		return -EINVAL;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *s = json_array_get(a, i);
		if (!json_is_string(s))
			return -EINVAL;
		v[i] = json_string_value(s);
	}
	v[json_array_size(a)] = NULL;
	return 0;
}

static void serve(int fd)
{
	for (;;) {
		json_t *req = NULL, *rep;
		const char *argv[MAX_ARGS + 1], *envp[MAX_ARGS + 1];
		struct bh_spawn_result res;
		int r;
		if (bh_frame_read_json(fd, FRAME_MAX, BH_FRAME_NO_TIMEOUT, &req) < 0)
			_exit(0);   /* EOF: the engine is gone or stopping */
		memset(&res, 0, sizeof(res));
		json_t *to = json_object_get(req, "timeout_ms");
		struct bh_spawn_opts o = {
			.argv = argv, .envp = envp,
			.search_path = json_is_true(json_object_get(req, "search_path")),
			.stdout_max = 64 * 1024, .stderr_max = 64 * 1024, .allow_truncate = true,
			.timeout_ms = json_is_integer(to) && json_integer_value(to) > 0
					      ? (int)json_integer_value(to) : 60000,
		};
		if (strings(json_object_get(req, "argv"), argv, MAX_ARGS + 1) < 0 || !argv[0] ||
		    strings(json_object_get(req, "env"), envp, MAX_ARGS + 1) < 0)
			r = -EINVAL;
		else
			r = bh_spawn_run(&o, &res);
		if (r == 0)
			rep = json_pack("{s:i, s:i, s:i, s:b, s:o, s:o}", "rc", 0, "exit_code", res.exit_code,
					"term_signal", res.term_signal, "timed_out", res.timed_out,
					"out", hexbuf(&res.out), "err", hexbuf(&res.err));
		else
			rep = json_pack("{s:i}", "rc", r);
		if (r == 0)
			bh_spawn_result_done(&res);
		json_decref(req);
		if (!rep || bh_frame_write_json(fd, rep, 30000) < 0)
			_exit(1);
		json_decref(rep);
	}
}

int eng_spawner_start(const struct bh_policy *pol, struct eng_spawner *ret, struct bh_msg *msg)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		int r = bh_negerrno();
		bh_msg_set(msg, "socketpair: %s", bh_strerror(r));
		return r;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int r = bh_negerrno();
		close(sv[0]);
		close(sv[1]);
		bh_msg_set(msg, "fork: %s", bh_strerror(r));
		return r;
	}
	if (pid == 0) {
		struct bh_msg m = { "" };
		/* only stdio and our end: the other spawners' sockets must not stay open here
		 * (each sees EOF when the engine closes its end or dies) */
		if (dup2(sv[1], 3) < 0 || close_range(4, ~0u, 0) < 0)
			_exit(2);
		signal(SIGTERM, SIG_IGN);   /* stops at EOF, after the child it runs */
		signal(SIGINT, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		/* the provisioner's policy: started as root, the spawner takes its identity
		 * (blockhost-prov), so the CLIs it runs pass their identity check */
		if (pol && bh_sandbox_apply_policy(pol, BH_SANDBOX_SETID | BH_SANDBOX_CHECK_IDENTITY,
						   &m) < 0) {
			bh_log(LOG_ERR, "spawner: sandbox: %s", m.text);
			_exit(2);
		}
		serve(3);
		_exit(0);
	}
	close(sv[1]);
	ret->pid = pid;
	ret->fd = sv[0];
	return 0;
}

int eng_spawner_run(struct eng_spawner *s, const struct bh_spawn_opts *o, struct bh_spawn_result *ret,
		    struct bh_msg *msg)
{
	json_t *req = json_pack("{s:[], s:[], s:b, s:i}", "argv", "env", "search_path", o->search_path,
				"timeout_ms", o->timeout_ms);
	json_t *rep = NULL;
	struct bh_spawn_result res;
	int r = -ENOMEM;

	memset(&res, 0, sizeof(res));
	if (!req)
		return r;
	for (size_t i = 0; o->argv[i]; i++)
		json_array_append_new(json_object_get(req, "argv"), json_string(o->argv[i]));
	for (size_t i = 0; o->envp && o->envp[i]; i++)
		json_array_append_new(json_object_get(req, "env"), json_string(o->envp[i]));
	if ((r = bh_frame_write_json(s->fd, req, 30000)) < 0 ||
	    (r = bh_frame_read_json(s->fd, FRAME_MAX, o->timeout_ms + 60000, &rep)) < 0) {
		bh_msg_set(msg, "spawner: %s", bh_strerror(r));
		goto out;
	}
	json_t *rc = json_object_get(rep, "rc");
	if (!json_is_integer(rc)) {
		r = BH_ERR_PEER;
		bh_msg_set(msg, "spawner: malformed reply");
		goto out;
	}
	if ((r = (int)json_integer_value(rc)) < 0) {
		bh_msg_set(msg, "%s: %s", o->argv[0], bh_strerror(r));
		goto out;
	}
	bh_buf_init(&res.out, 64 * 1024);
	bh_buf_init(&res.err, 64 * 1024);
	uint8_t *p = NULL;
	size_t n = 0;
	const char *hs;
	if ((hs = json_string_value(json_object_get(rep, "out"))) &&
	    bh_hex_decode_alloc(hs, 64 * 1024, &p, &n) == 0) {
		(void)bh_buf_put(&res.out, p, n);
		free(p);
		p = NULL;
	}
	if ((hs = json_string_value(json_object_get(rep, "err"))) &&
	    bh_hex_decode_alloc(hs, 64 * 1024, &p, &n) == 0) {
		(void)bh_buf_put(&res.err, p, n);
		free(p);
	}
	res.exit_code = (int)json_integer_value(json_object_get(rep, "exit_code"));
	res.term_signal = (int)json_integer_value(json_object_get(rep, "term_signal"));
	res.timed_out = json_is_true(json_object_get(rep, "timed_out"));
	*ret = res;
	r = 0;
out:
	json_decref(req);
	json_decref(rep);
	return r;
}

void eng_spawner_stop(struct eng_spawner *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->pid > 0)
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
	s->pid = 0;
}

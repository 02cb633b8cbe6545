/* SPDX-License-Identifier: MIT */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/frame.h"
#include "core/spawn.h"
#include "common.h"

json_t *act_params(void)
{
	struct bh_buf b;
	json_t *j = NULL;
	int r;

	bh_buf_init(&b, BH_FRAME_MAX_REQUEST);
	if ((r = bh_buf_read_fd_all(&b, 0)) < 0)
		act_fail("reading params: %s", bh_strerror(r));
	if (bh_buf_len(&b) == 0) {
		bh_buf_done(&b);
		return json_object();
	}
	if ((r = bh_frame_decode_json(bh_buf_ptr(&b), bh_buf_len(&b), &j)) < 0)
		act_fail("params: %s", bh_strerror(r));
	bh_buf_done(&b);
	return j;
}

static noreturn void emit(json_t *j, int code)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (!s) {
		fputs("{\"ok\":false,\"error\":\"out of memory\"}\n", stdout);
		code = 1;
	} else {
		puts(s);
		free(s);
	}
	json_decref(j);
	fflush(stdout);
	exit(code);
}

noreturn void act_ok(json_t *extra)
{
	json_t *j = json_pack("{s:b}", "ok", 1);

	if (j && extra)
		json_object_update(j, extra);
	json_decref(extra);
	emit(j, 0);
}

noreturn void act_fail(const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	emit(json_pack("{s:b, s:s}", "ok", 0, "error", text), 1);
}

const char *act_str(const json_t *p, const char *name, const char *def)
{
	const char *s = json_string_value(json_object_get(p, name));
	return s ? s : def;
}

long long act_int(const json_t *p, const char *name, long long def)
{
	json_t *v = json_object_get(p, name);
	return json_is_integer(v) ? json_integer_value(v) : def;
}

bool act_bool(const json_t *p, const char *name, bool def)
{
	json_t *v = json_object_get(p, name);
	return json_is_boolean(v) ? json_is_true(v) : def;
}

int act_run(const char *const argv[], int timeout_ms, char *err, size_t errlen)
{
	static const char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL };
	struct bh_spawn_opts o = {
		.argv = argv, .envp = envp, .timeout_ms = timeout_ms,
		.stdout_max = 65536, .stderr_max = 4096, .allow_truncate = true,
	};
	struct bh_spawn_result res;
	int r;

	if (err && errlen)
		err[0] = 0;
	if ((r = bh_spawn_run(&o, &res)) < 0) {
		if (err)
			snprintf(err, errlen, "%s: %s", argv[0], bh_strerror(r));
		return -1;
	}
	r = res.exit_code;
	if (r != 0 && err && errlen) {
		size_t n = 0, len = bh_buf_len(&res.err);
		const uint8_t *d = bh_buf_ptr(&res.err);
		for (size_t i = 0; i < len && d[i] != '\n' && n + 1 < errlen && n < 300; i++)
			err[n++] = d[i] >= 0x20 && d[i] < 0x7f ? (char)d[i] : '?';
		err[n] = 0;
	}
	bh_spawn_result_done(&res);
	return r;
}

bool act_match(const char *re, const char *s)
{
	regex_t rx;
	bool ok;

	if (!s || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	ok = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok;
}

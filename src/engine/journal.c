/* SPDX-License-Identifier: MIT */
/*
 * The engine's cursor and subscription journal (src/engine/journal.h).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/atomicio.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/hex.h"
#include "core/json.h"
#include "core/strutil.h"
#include "eth/abi.h"
#include "eth/eth.h"
#include "journal.h"

static int hex_field(const json_t *v, uint8_t *out, size_t n)
{
	const char *s = json_string_value(v);
	if (!s || json_string_length(v) != 2 + 2 * n || s[0] != '0' || s[1] != 'x')
		return BH_ERR_FORMAT;
	return bh_hex_decode_ct(s + 2, 2 * n, out, n);
}

static bool uint_ok(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

/* ------------------------------------------------------------------ cursor */

int eng_cursor_parse(const void *data, size_t len, struct eng_cursor *ret, struct bh_msg *msg)
{
	struct eng_cursor c;
	json_t *j = NULL, *hs;
	int r;

	memset(&c, 0, sizeof(c));
	if ((r = bh_json_load(data, len, ENG_STATE_MAX, BH_JSON_OBJECT, &j, msg)) < 0)
		return r;
	r = BH_ERR_FORMAT;
	if (!uint_ok(json_object_get(j, "chain_id")) || !uint_ok(json_object_get(j, "block"))) {
		bh_msg_set(msg, "cursor: chain_id and block must be non-negative integers");
		goto out;
	}
	c.chain_id = (uint64_t)json_integer_value(json_object_get(j, "chain_id"));
	c.block = (uint64_t)json_integer_value(json_object_get(j, "block"));
	if (hex_field(json_object_get(j, "contract"), c.contract, 20) < 0) {
		bh_msg_set(msg, "cursor: contract must be 0x + 40 hex digits");
		goto out;
	}
	hs = json_object_get(j, "hashes");
	if (!json_is_array(hs) || json_array_size(hs) > ENG_CURSOR_HASHES) {
		bh_msg_set(msg, "cursor: hashes must be an array of at most %d", ENG_CURSOR_HASHES);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(hs); i++) {
		const json_t *e = json_array_get(hs, i);
		const json_t *n = json_object_get(e, "n");
		if (!json_is_object(e) || json_object_size(e) != 2 || !uint_ok(n) ||
		    hex_field(json_object_get(e, "hash"), c.hashes[i].hash, 32) < 0) {
			bh_msg_set(msg, "cursor: hashes[%zu] must be {\"n\": block, \"hash\": 0x..64}", i);
			goto out;
		}
		c.hashes[i].n = (uint64_t)json_integer_value(n);
		if ((i && c.hashes[i].n <= c.hashes[i - 1].n) || c.hashes[i].n > c.block) {
			bh_msg_set(msg, "cursor: hashes must ascend and not pass block");
			goto out;
		}
	}
	c.nhashes = json_array_size(hs);
	*ret = c;
	r = 0;
out:
	json_decref(j);
	return r;
}

int eng_cursor_load(const char *path, struct eng_cursor *ret, struct bh_msg *msg)
{
	struct bh_buf b;
	int r;
	bh_buf_init(&b, ENG_STATE_MAX);
	if ((r = bh_file_load_safe(&b, path)) == 0)
		r = eng_cursor_parse(bh_buf_ptr(&b), bh_buf_len(&b), ret, msg);
	else if (r != -ENOENT)
		bh_msg_set(msg, "%s: %s", path, bh_strerror(r));
	bh_buf_done(&b);
	return r;
}

int eng_cursor_save(const char *path, const struct eng_cursor *c, struct bh_msg *msg)
{
	json_t *j = json_pack("{s:i, s:I, s:o, s:I, s:[]}", "version", 1, "chain_id",
			      (json_int_t)c->chain_id, "contract", bh_json_hex(c->contract, 20),
			      "block", (json_int_t)c->block, "hashes");
	int r = -ENOMEM;
	if (!j)
		return r;
	json_t *hs = json_object_get(j, "hashes");
	for (size_t i = 0; i < c->nhashes; i++)
		json_array_append_new(hs, json_pack("{s:I, s:o}", "n", (json_int_t)c->hashes[i].n,
						    "hash", bh_json_hex(c->hashes[i].hash, 32)));
	if ((r = bh_atomic_write_json(path, j, 0640)) < 0)
		bh_msg_set(msg, "%s: %s", path, bh_strerror(r));
	json_decref(j);
	return r;
}

void eng_cursor_rewind(struct eng_cursor *c, uint64_t n)
{
	while (c->nhashes && c->hashes[c->nhashes - 1].n > n)
		c->nhashes--;
	c->block = n;
}

void eng_cursor_push(struct eng_cursor *c, uint64_t n, const uint8_t hash[static 32])
{
	while (c->nhashes && c->hashes[c->nhashes - 1].n >= n)
		c->nhashes--;
	if (c->nhashes == ENG_CURSOR_HASHES) {
		memmove(&c->hashes[0], &c->hashes[1], sizeof(c->hashes[0]) * (ENG_CURSOR_HASHES - 1));
		c->nhashes--;
	}
	c->hashes[c->nhashes].n = n;
	memcpy(c->hashes[c->nhashes].hash, hash, 32);
	c->nhashes++;
}

const uint8_t *eng_cursor_hash(const struct eng_cursor *c, uint64_t n)
{
	for (size_t i = 0; i < c->nhashes; i++)
		if (c->hashes[i].n == n)
			return c->hashes[i].hash;
	return NULL;
}

/* ------------------------------------------------------------------ states */

static const char *const state_names[] = {
	[ENG_SEEN] = "seen", [ENG_DECRYPTED] = "decrypted", [ENG_CREATED] = "created",
	[ENG_MINTING] = "minting", [ENG_MINTED] = "minted", [ENG_GECOS] = "gecos",
	[ENG_DONE] = "done", [ENG_REFUSED] = "refused", [ENG_CANCELLED] = "cancelled",
	[ENG_EXTERNAL] = "external", [ENG_REVERTED] = "reverted",
};

const char *eng_state_name(enum eng_state s)
{
	if ((size_t)s < sizeof(state_names) / sizeof(state_names[0]) && state_names[s])
		return state_names[s];
	return "?";
}

int eng_state_parse(const char *s, enum eng_state *ret)
{
	for (size_t i = 1; i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (state_names[i] && strcmp(s, state_names[i]) == 0) {
			*ret = (enum eng_state)i;
			return 0;
		}
	return BH_ERR_FORMAT;
}

bool eng_state_terminal(enum eng_state s)
{
	return s == ENG_REFUSED || s == ENG_CANCELLED || s == ENG_REVERTED;
}

/* ------------------------------------------------------------------ records */

/* optional keys: type checks */
enum kt { K_UINT, K_STR, K_ADDR, K_H32, K_HEX, K_OBJ, K_ARR, K_BOOL };
static const struct { const char *key; enum kt t; bool req; } sub_keys[] = {
	{ "id", K_UINT, true }, { "state", K_STR, true }, { "vm", K_STR, true },
	{ "event", K_OBJ, false }, { "subscriber", K_ADDR, false }, { "plan_id", K_UINT, false },
	{ "expires_at", K_UINT, false }, { "user_encrypted", K_HEX, false },
	{ "create", K_OBJ, false }, { "mint", K_OBJ, false }, { "token_id", K_UINT, false },
	{ "ops", K_ARR, true }, { "attempts", K_UINT, true }, { "last_error", K_STR, false },
	{ "next_retry", K_UINT, false }, { "refusal", K_STR, false }, { "tx", K_H32, false },
};

static bool type_ok(const json_t *v, enum kt t)
{
	uint8_t tmp[32];
	switch (t) {
	case K_UINT: return uint_ok(v);
	case K_STR: return json_is_string(v) && json_string_length(v) <= 1024 &&
			   strlen(json_string_value(v)) == json_string_length(v);
	case K_ADDR: return hex_field(v, tmp, 20) == 0;
	case K_H32: return hex_field(v, tmp, 32) == 0;
	case K_HEX: {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		if (!s || n < 2 || s[0] != '0' || s[1] != 'x' || n % 2 || n > 2 + 2 * 65536)
			return false;
		for (size_t i = 2; i < n; i++)
			if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
			      (s[i] >= 'A' && s[i] <= 'F')))
				return false;
		return true;
	}
	case K_OBJ: return json_is_object(v);
	case K_ARR: return json_is_array(v);
	case K_BOOL: return json_is_boolean(v);
	}
	return false;
}

int eng_sub_validate(const json_t *rec, struct bh_msg *msg)
{
	enum eng_state st;
	const char *key;
	json_t *v;

	if (!json_is_object(rec)) {
		bh_msg_set(msg, "record must be an object");
		return BH_ERR_FORMAT;
	}
	json_object_foreach((json_t *)rec, key, v) {
		size_t i;
		for (i = 0; i < sizeof(sub_keys) / sizeof(sub_keys[0]); i++)
			if (strcmp(key, sub_keys[i].key) == 0)
				break;
		if (i == sizeof(sub_keys) / sizeof(sub_keys[0])) {
			bh_msg_set(msg, "unknown key \"%.40s\"", key);
			return BH_ERR_FORMAT;
		}
		if (!type_ok(v, sub_keys[i].t)) {
			bh_msg_set(msg, "\"%s\": wrong type or format", key);
			return BH_ERR_WRONG_TYPE;
		}
	}
	for (size_t i = 0; i < sizeof(sub_keys) / sizeof(sub_keys[0]); i++)
		if (sub_keys[i].req && !json_object_get(rec, sub_keys[i].key)) {
			bh_msg_set(msg, "missing \"%s\"", sub_keys[i].key);
			return BH_ERR_MISSING_KEY;
		}
	if (eng_state_parse(json_string_value(json_object_get(rec, "state")), &st) < 0) {
		bh_msg_set(msg, "\"state\": unknown");
		return BH_ERR_FORMAT;
	}
	if (!bh_name_valid(json_string_value(json_object_get(rec, "vm")), BH_NAME_VM)) {
		bh_msg_set(msg, "\"vm\": not a VM name");
		return BH_ERR_FORMAT;
	}
	if (json_integer_value(json_object_get(rec, "id")) < 1) {
		bh_msg_set(msg, "\"id\": must be >= 1");
		return BH_ERR_RANGE;
	}
	/* a created VM's details, a purchase's payload and owner */
	if (st != ENG_EXTERNAL && (!json_object_get(rec, "subscriber") ||
				   !json_object_get(rec, "event") ||
				   !json_object_get(rec, "expires_at"))) {
		bh_msg_set(msg, "state %s needs subscriber, event, expires_at", eng_state_name(st));
		return BH_ERR_MISSING_KEY;
	}
	if ((v = json_object_get(rec, "event"))) {
		if (!type_ok(json_object_get(v, "block"), K_UINT) ||
		    !type_ok(json_object_get(v, "block_hash"), K_H32) ||
		    !type_ok(json_object_get(v, "tx"), K_H32) ||
		    !type_ok(json_object_get(v, "log_index"), K_UINT) || json_object_size(v) != 4) {
			bh_msg_set(msg, "\"event\": must be {block, block_hash, tx, log_index}");
			return BH_ERR_FORMAT;
		}
	}
	if (st >= ENG_CREATED && st <= ENG_DONE) {
		v = json_object_get(rec, "create");
		const json_t *port = json_object_get(v, "port");
		if (!v || !type_ok(json_object_get(v, "host"), K_STR) ||
		    !type_ok(json_object_get(v, "username"), K_STR) || !uint_ok(port) ||
		    json_integer_value(port) < 1 || json_integer_value(port) > 65535) {
			bh_msg_set(msg, "state %s needs create {host, port, username}", eng_state_name(st));
			return BH_ERR_MISSING_KEY;
		}
	}
	if ((v = json_object_get(rec, "mint"))) {
		const json_t *raws = json_object_get(v, "raws");
		if (!uint_ok(json_object_get(v, "nonce")) || !json_is_array(raws) ||
		    json_array_size(raws) == 0 || json_array_size(raws) > ENG_MAX_RAWS) {
			bh_msg_set(msg, "\"mint\": must be {nonce, raws: [1..%d hex]}", ENG_MAX_RAWS);
			return BH_ERR_FORMAT;
		}
		for (size_t i = 0; i < json_array_size(raws); i++)
			if (!type_ok(json_array_get(raws, i), K_HEX)) {
				bh_msg_set(msg, "\"mint.raws[%zu]\": not hex", i);
				return BH_ERR_FORMAT;
			}
	}
	if ((st == ENG_MINTED || st == ENG_GECOS || st == ENG_DONE) && !json_object_get(rec, "token_id")) {
		bh_msg_set(msg, "state %s needs token_id", eng_state_name(st));
		return BH_ERR_MISSING_KEY;
	}
	v = json_object_get(rec, "ops");
	if (json_array_size(v) > ENG_MAX_OPS) {
		bh_msg_set(msg, "\"ops\": more than %d", ENG_MAX_OPS);
		return BH_ERR_LIMIT;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *op = json_array_get(v, i);
		const char *kind = json_string_value(json_object_get(op, "kind"));
		if (!json_is_object(op) || !kind || !type_ok(json_object_get(op, "key"), K_STR) ||
		    !json_is_boolean(json_object_get(op, "done")) ||
		    (strcmp(kind, "extend") && strcmp(kind, "cancel")) ||
		    (!strcmp(kind, "extend") && !uint_ok(json_object_get(op, "expires_at")))) {
			bh_msg_set(msg, "\"ops[%zu]\": must be {key, kind: extend|cancel, done, "
				   "expires_at (extend)}", i);
			return BH_ERR_FORMAT;
		}
	}
	return 0;
}

int eng_sub_parse(const void *data, size_t len, json_t **ret, struct bh_msg *msg)
{
	json_t *j = NULL;
	int r;
	if ((r = bh_json_load(data, len, ENG_STATE_MAX, BH_JSON_OBJECT, &j, msg)) < 0)
		return r;
	if ((r = eng_sub_validate(j, msg)) < 0) {
		json_decref(j);
		return r;
	}
	*ret = j;
	return 0;
}

static int sub_path(const char *dir, uint64_t id, char **ret)
{
	return asprintf(ret, "%s/%llu.json", dir, (unsigned long long)id) < 0 ? -ENOMEM : 0;
}

int eng_sub_load(const char *dir, uint64_t id, json_t **ret, struct bh_msg *msg)
{
	struct bh_buf b;
	char *p = NULL;
	int r;
	if ((r = sub_path(dir, id, &p)) < 0)
		return r;
	bh_buf_init(&b, ENG_STATE_MAX);
	if ((r = bh_file_load_safe(&b, p)) == 0) {
		struct bh_msg m = { "" };
		if ((r = eng_sub_parse(bh_buf_ptr(&b), bh_buf_len(&b), ret, &m)) < 0)
			bh_msg_set(msg, "%s: %s", p, m.text);
	} else if (r != -ENOENT) {
		bh_msg_set(msg, "%s: %s", p, bh_strerror(r));
	}
	bh_buf_done(&b);
	free(p);
	return r;
}

int eng_sub_save(const char *dir, const json_t *rec, struct bh_msg *msg)
{
	char *p = NULL;
	int r;
	if ((r = eng_sub_validate(rec, msg)) < 0)
		return BH_ERR_INTERNAL;   /* we never write what we would refuse to read */
	if ((r = sub_path(dir, eng_sub_id(rec), &p)) < 0)
		return r;
	if ((r = bh_atomic_write_json(p, rec, 0640)) < 0)
		bh_msg_set(msg, "%s: %s", p, bh_strerror(r));
	free(p);
	return r;
}

/* ------------------------------------------------------------------ batches */
struct eng_batch_ent {
	char tmp[64], name[32];
	int fd;
};

int eng_batch_begin(struct eng_batch *b, const char *dir, struct bh_msg *msg)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int r = bh_negerrno();
		bh_msg_set(msg, "%s: %s", dir, bh_strerror(r));
		return r;
	}
	b->dfd = fd;
	b->n = 0;
	b->open_fds = true;
	return 0;
}

static int write_full(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return bh_negerrno();
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void close_fds(struct eng_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].fd >= 0) {
			close(b->v[i].fd);
			b->v[i].fd = -1;
		}
	b->open_fds = false;
}

int eng_batch_add(struct eng_batch *b, const json_t *rec, struct bh_msg *msg)
{
	struct eng_batch_ent *e;
	char *s = NULL;
	int fd = -1, r;

	if (b->dfd < 0)
		return BH_ERR_INTERNAL;
	if ((r = eng_sub_validate(rec, msg)) < 0)
		return BH_ERR_INTERNAL;   /* we never write what we would refuse to read */
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 64;
		struct eng_batch_ent *nv = realloc(b->v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		b->v = nv;
		b->cap = nc;
	}
	e = &b->v[b->n];
	snprintf(e->name, sizeof(e->name), "%llu.json", (unsigned long long)eng_sub_id(rec));
	for (int tries = 0; fd < 0; tries++) {
		uint64_t rnd;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return bh_negerrno();
		snprintf(e->tmp, sizeof(e->tmp), ".%s.tmp.%016llx", e->name, (unsigned long long)rnd);
		fd = openat(b->dfd, e->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW |
			    O_NOCTTY, 0640);
		if (fd < 0 && (errno != EEXIST || tries > 16)) {
			r = bh_negerrno();
			bh_msg_set(msg, "%s: %s", e->tmp, bh_strerror(r));
			return r;
		}
	}
	/* the layout bh_atomic_write_json writes: 2-space indent, insertion order, newline */
	if (fchmod(fd, 0640) < 0) {
		r = bh_negerrno();
		goto fail;
	}
	if (!(s = json_dumps(rec, JSON_INDENT(2)))) {
		r = -ENOMEM;
		goto fail;
	}
	size_t len = strlen(s);
	s[len] = '\n';   /* over the terminator: written by length */
	r = write_full(fd, s, len + 1);
	free(s);
	if (r < 0)
		goto fail;
	e->fd = fd;
	b->n++;
	if (b->open_fds && b->n > ENG_BATCH_FSYNC_EACH)
		close_fds(b);   /* one syncfs at the commit instead */
	else if (!b->open_fds)
		close(fd), e->fd = -1;
	return 0;
fail:
	bh_msg_set(msg, "%s: %s", e->tmp, bh_strerror(r));
	close(fd);
	(void)unlinkat(b->dfd, e->tmp, 0);
	return r;
}

void eng_batch_abort(struct eng_batch *b)
{
	if (b->dfd < 0)
		return;
	close_fds(b);
	for (size_t i = 0; i < b->n; i++)
		(void)unlinkat(b->dfd, b->v[i].tmp, 0);
	close(b->dfd);
	b->dfd = -1;
	b->n = 0;
	free(b->v);
	b->v = NULL;
	b->cap = 0;
}

int eng_batch_commit(struct eng_batch *b, struct bh_msg *msg)
{
	size_t i;
	int r = 0;

	if (b->dfd < 0)
		return BH_ERR_INTERNAL;
	if (b->n == 0)
		goto out;
	/* the barrier: every temp's bytes on disk before any rename makes it the record */
	if (b->open_fds) {
		for (i = 0; i < b->n && r == 0; i++)
			if (fsync(b->v[i].fd) < 0)
				r = bh_negerrno();
	} else if (syncfs(b->dfd) < 0) {
		r = bh_negerrno();
	}
	if (r < 0) {
		bh_msg_set(msg, "journal barrier: %s", bh_strerror(r));
		goto out;
	}
	close_fds(b);
	for (i = 0; i < b->n; i++)
		if (renameat(b->dfd, b->v[i].tmp, b->dfd, b->v[i].name) < 0) {
			r = bh_negerrno();
			bh_msg_set(msg, "%s: %s", b->v[i].name, bh_strerror(r));
			goto out;
		}
	/* the renames themselves */
	if (fsync(b->dfd) < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "journal directory: %s", bh_strerror(r));
	}
out:
	if (r < 0) {
		/* unrenamed temps go; renamed ones are whole records (the barrier passed) */
		eng_batch_abort(b);
		return r;
	}
	b->n = 0;
	eng_batch_abort(b);
	return 0;
}

int eng_journal_cleanup_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!d)
		return bh_negerrno();
	while ((de = readdir(d)))
		if (de->d_name[0] == '.' && strstr(de->d_name, ".json.tmp.") &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	closedir(d);
	return n;
}

uint64_t eng_sub_id(const json_t *rec)
{
	return (uint64_t)json_integer_value(json_object_get(rec, "id"));
}

enum eng_state eng_sub_state(const json_t *rec)
{
	enum eng_state s = ENG_SEEN;
	const char *v = json_string_value(json_object_get(rec, "state"));
	if (v)
		(void)eng_state_parse(v, &s);
	return s;
}

int eng_sub_set_state(json_t *rec, enum eng_state s)
{
	return json_object_set_new(rec, "state", json_string(eng_state_name(s))) < 0 ? -ENOMEM : 0;
}

void eng_log_key(const uint8_t block_hash[static 32], const uint8_t tx_hash[static 32],
		 uint64_t log_index, char out[static 160])
{
	char b[65], t[65];
	bh_hex_encode(block_hash, 32, b);
	bh_hex_encode(tx_hash, 32, t);
	snprintf(out, 160, "0x%s:0x%s:%llu", b, t, (unsigned long long)log_index);
}

bool eng_sub_has_key(const json_t *rec, const char *key)
{
	const json_t *ev = json_object_get(rec, "event"), *ops = json_object_get(rec, "ops");
	if (ev) {
		uint8_t bh[32], th[32];
		char k[160];
		if (hex_field(json_object_get(ev, "block_hash"), bh, 32) == 0 &&
		    hex_field(json_object_get(ev, "tx"), th, 32) == 0) {
			eng_log_key(bh, th, (uint64_t)json_integer_value(json_object_get(ev, "log_index")), k);
			if (strcmp(k, key) == 0)
				return true;
		}
	}
	for (size_t i = 0; i < json_array_size(ops); i++) {
		const char *k = json_string_value(json_object_get(json_array_get(ops, i), "key"));
		if (k && strcmp(k, key) == 0)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ chunking */
void eng_chunk_init(struct eng_chunker *c, uint64_t max)
{
	c->max = max ? max : 1;
	c->cur = c->max;
	c->streak = 0;
}

bool eng_chunk_refused(struct eng_chunker *c)
{
	c->streak = 0;
	if (c->cur <= 1)
		return false;
	c->cur /= 2;
	return true;
}

void eng_chunk_ok(struct eng_chunker *c)
{
	if (++c->streak < ENG_CHUNK_GROW_AFTER || c->cur >= c->max)
		return;
	c->cur = c->cur > c->max / 2 ? c->max : c->cur * 2;
	c->streak = 0;
}

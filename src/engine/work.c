/* SPDX-License-Identifier: MIT */
/*
 * The per-subscription steps (docs/engine.md, "Steps"):
 *
 *   seen      -> decrypted   the payload decrypts (keystore ECIES) to a wallet signature;
 *                            empty or undecryptable: refused (no VM, logged)
 *   decrypted -> created     provisioner create (or the VM record it already made)
 *   created   -> minting     connection details encrypted with keccak256(signature); the
 *                            signed mint transaction journaled before it is broadcast
 *   minting   -> minted      token id from the receipt's CredentialMinted log (after a
 *                            restart: the journaled transactions' receipts, or proof that
 *                            none will ever be mined -> created again)
 *   minted    -> gecos       vms.json nft_token_id
 *   gecos     -> done        provisioner update-gecos <vm> <wallet> --nft-id <id>
 *   done / external          pending ops: extend (expiry := newExpiresAt, resume if
 *                            suspended), cancel (destroy)
 *
 * Each transition is written to the journal before the next step starts.  A failed step
 * keeps its state, counts an attempt, records the error and waits (exponential backoff)
 * before the next try.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/spawn.h"
#include "core/strutil.h"
#include "eth/ecies.h"
#include "eth/eth.h"
#include "host/result.h"
#include "engine.h"
#include "payload.h"
#include "spawner.h"

/* the worker thread's spawner (NULL without the sandbox: children started here) */
static __thread struct eng_spawner *tls_spawner;

void eng_work_set_spawner(struct eng_spawner *sp)
{
	tls_spawner = sp;
}

int64_t eng_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void eng_note_wallet_retries(struct eng *e)
{
	unsigned long n = bh_rpc_retries(e->wallet.rpc);
	if (n != e->wallet_retries_seen)
		bh_log(LOG_NOTICE, "rpc: retried %lu times (%s)", n - e->wallet_retries_seen,
		       bh_rpc_retry_note(e->wallet.rpc));
	e->wallet_retries_seen = n;
}

json_t *eng_new_record(uint64_t id, enum eng_state st)
{
	char vm[32];
	snprintf(vm, sizeof(vm), "blockhost-%03llu", (unsigned long long)id);
	return json_pack("{s:I, s:s, s:s, s:[], s:i}", "id", (json_int_t)id, "state",
			 eng_state_name(st), "vm", vm, "ops", "attempts", 0);
}

static bool pending_op(const json_t *rec, const char *kind)
{
	const json_t *ops = json_object_get(rec, "ops");
	for (size_t i = 0; i < json_array_size(ops); i++) {
		const json_t *op = json_array_get(ops, i);
		if (!json_is_true(json_object_get(op, "done")) &&
		    (!kind || !strcmp(json_string_value(json_object_get(op, "kind")), kind)))
			return true;
	}
	return false;
}

bool eng_needs_work(const json_t *rec)
{
	enum eng_state s = eng_sub_state(rec);
	if (eng_state_terminal(s))
		return false;
	if (s == ENG_DONE || s == ENG_EXTERNAL)
		return pending_op(rec, NULL);
	return true;
}

/* ---- children ---- */
static int run(struct eng *e, const char *const *argv, struct bh_spawn_result *ret,
	       struct bh_msg *msg)
{
	const char *root = getenv("BLOCKHOST_ROOT");
	char rootenv[4096];
	const char *envp[4] = { "PATH=" BH_SPAWN_DEFAULT_PATH, "LANG=C.UTF-8", NULL, NULL };
	if (root) {
		snprintf(rootenv, sizeof(rootenv), "BLOCKHOST_ROOT=%s", root);
		envp[2] = rootenv;
	}
	struct bh_spawn_opts o = {
		.argv = argv, .envp = envp, .search_path = argv[0][0] != '/',
		.stdout_max = 64 * 1024, .stderr_max = 64 * 1024, .allow_truncate = true,
		.timeout_ms = e->cfg.prov_timeout_ms,
	};
	int r;
	if (tls_spawner)
		return eng_spawner_run(tls_spawner, &o, ret, msg);
	if ((r = bh_spawn_run(&o, ret)) < 0)
		bh_msg_set(msg, "%s: %s", argv[0], bh_strerror(r));
	return r;
}

/* The last line of a child's stderr, sanitized, for messages. */
static void tail_of(const struct bh_buf *b, char *out, size_t n)
{
	size_t len = bh_buf_len(b);
	const uint8_t *p = bh_buf_ptr(b);
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	size_t start = len;
	while (start && p[start - 1] != '\n')
		start--;
	bh_str_sanitize((const char *)p + start, len - start, out, n);
}

static int prov_cmd(struct eng *e, const char *verb, const char **ret, struct bh_msg *msg)
{
	if (bh_manifest_command(e->prov, verb, ret) < 0) {
		bh_msg_set(msg, "provisioner.json has no '%s' command", verb);
		return BH_ERR_CONFIG;
	}
	return 0;
}

/* Run provisioner verb; exit 0 required. */
int eng_prov_run(struct eng *e, const char *verb, const char *const *args, size_t nargs,
		 struct bh_spawn_result *ret, struct bh_msg *msg)
{
	const char *exe, *argv[16];
	struct bh_spawn_result res;
	int r;
	if (nargs + 2 > sizeof(argv) / sizeof(argv[0]))
		return -EINVAL;
	if ((r = prov_cmd(e, verb, &exe, msg)) < 0)
		return r;
	argv[0] = exe;
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = args[i];
	argv[nargs + 1] = NULL;
	if ((r = run(e, argv, &res, msg)) < 0)
		return r;
	if (res.exit_code != 0) {
		char t[200];
		tail_of(&res.err, t, sizeof(t));
		if (!t[0])
			tail_of(&res.out, t, sizeof(t));
		if (res.exit_code < 0)
			bh_msg_set(msg, "provisioner %s killed by signal %d%s: %s", verb, res.term_signal,
				   res.timed_out ? " (timed out)" : "", t);
		else
			bh_msg_set(msg, "provisioner %s exited %d: %s", verb, res.exit_code, t);
		bh_spawn_result_done(&res);
		return BH_ERR_CHILD;
	}
	if (ret)
		*ret = res;
	else
		bh_spawn_result_done(&res);
	return 0;
}

static void fail_step(struct eng_item *it, json_t *rec, struct eng *e, int r, const char *text)
{
	int attempts = (int)json_integer_value(json_object_get(rec, "attempts")) + 1;
	int64_t delay = e->cfg.retry_base_ms;
	for (int i = 1; i < attempts && delay < e->cfg.retry_max_ms; i++)
		delay *= 2;
	if (delay > e->cfg.retry_max_ms)
		delay = e->cfg.retry_max_ms;
	json_object_set_new(rec, "attempts", json_integer(attempts));
	json_object_set_new(rec, "last_error", json_string(text));
	json_object_set_new(rec, "next_retry", json_integer((json_int_t)(time(NULL) + delay / 1000)));
	it->next_ms = eng_now_ms() + delay;
	bh_log(LOG_WARNING, "subscription %llu: %s failed (attempt %d, retry in %lld ms): %s [%s]",
	       (unsigned long long)it->id, eng_state_name(eng_sub_state(rec)), attempts,
	       (long long)delay, text, bh_strerror(r));
}

/* Save rec under the lock (the main thread may have appended ops to it meanwhile: they
 * are in the same object, which is what we save). */
static int save(struct eng *e, json_t *rec)
{
	struct bh_msg m = { "" };
	int r = eng_sub_save(e->subs_dir, rec, &m);
	if (r < 0)
		bh_log(LOG_ERR, "journal: %s", m.text);
	return r;
}

static int advance(struct eng *e, json_t *rec, enum eng_state s)
{
	int r;
	pthread_mutex_lock(&e->lock);
	eng_sub_set_state(rec, s);
	json_object_set_new(rec, "attempts", json_integer(0));
	json_object_del(rec, "last_error");
	json_object_del(rec, "next_retry");
	r = save(e, rec);
	pthread_mutex_unlock(&e->lock);
	return r;
}

/* The wallet signature inside the payload (raw 65 bytes as the wallet made them). */
static int payload_signature(struct eng *e, const json_t *rec, uint8_t ret_raw[static 65],
			     struct bh_msg *msg)
{
	struct bh_buf plain;
	uint8_t *ct = NULL;
	size_t ctlen = 0;
	int r;

	bh_buf_init(&plain, 4096);
	const char *hex = json_string_value(json_object_get(rec, "user_encrypted"));
	if (!hex || bh_hex_decode_alloc(hex, BH_EVENT_MAX_BYTES, &ct, &ctlen) < 0 || ctlen == 0) {
		bh_msg_set(msg, "the purchase carries no payload (userEncrypted is empty)");
		r = BH_ERR_FORMAT;
		goto out;
	}
	if ((r = bh_keystore_ecies_decrypt(&e->wallet.ks, ct, ctlen, &plain, msg)) < 0)
		goto out;
	if ((r = eng_payload_signature(bh_buf_ptr(&plain), bh_buf_len(&plain), ret_raw, msg)) < 0)
		goto out;
	r = 0;
out:
	bh_buf_done(&plain);
	free(ct);
	return r;
}

static int step_decrypt(struct eng *e, struct eng_item *it, json_t *rec, struct bh_msg *msg)
{
	uint8_t sig[65];
	int r = payload_signature(e, rec, sig, msg);
	explicit_bzero(sig, sizeof(sig));
	if (r == BH_ERR_FORMAT || r == BH_ERR_DECRYPT) {
		/* never a VM, never a garbage NFT */
		bh_log(LOG_WARNING, "subscription %llu: refused, no VM: %s", (unsigned long long)it->id,
		       msg->text);
		pthread_mutex_lock(&e->lock);
		json_object_set_new(rec, "refusal", json_string(msg->text));
		pthread_mutex_unlock(&e->lock);
		return advance(e, rec, ENG_REFUSED);
	}
	if (r < 0)
		return r;
	return advance(e, rec, ENG_DECRYPTED);
}

/* host, port, username of a VM record (vms.json) */
int eng_details_from_record(const json_t *vm, json_t **ret)
{
	const char *user = json_string_value(json_object_get(vm, "username"));
	const char *ip = json_string_value(json_object_get(vm, "ipv6_address"));
	json_int_t port = json_integer_value(json_object_get(vm, "ssh_port"));
	if (!ip || !*ip)
		ip = json_string_value(json_object_get(vm, "ip_address"));
	if (port > 0)
		ip = "127.0.0.1";   /* user-mode NIC: forwarded on the host (docs/provisioner.md) */
	if (!ip || !*ip || !user)
		return BH_ERR_NOT_FOUND;
	*ret = json_pack("{s:s, s:I, s:s}", "host", ip, "port", port > 0 ? port : 22, "username", user);
	return *ret ? 0 : -ENOMEM;
}

static int public_address(struct eng *e, const char *vm, char *out, size_t n)
{
	char *hook = NULL;
	struct bh_spawn_result res;
	struct bh_msg m = { "" };
	int r;
	if (e->cfg.network_hook)
		hook = strdup(e->cfg.network_hook);
	else if (bh_spawn_which("blockhost-network-hook", BH_SPAWN_DEFAULT_PATH, &hook) < 0)
		return BH_ERR_NOT_FOUND;
	if (!hook)
		return -ENOMEM;
	const char *argv[] = { hook, "public-address", vm, NULL };
	r = run(e, argv, &res, &m);
	free(hook);
	if (r < 0)
		return r;
	if (res.exit_code != 0) {
		bh_spawn_result_done(&res);
		return BH_ERR_CHILD;
	}
	tail_of(&res.out, out, n);
	bh_spawn_result_done(&res);
	return out[0] ? 0 : BH_ERR_NOT_FOUND;
}

static int step_create(struct eng *e, struct eng_item *it, json_t *rec, struct bh_msg *msg)
{
	const char *vm = json_string_value(json_object_get(rec, "vm"));
	json_t *vmrec = NULL, *details = NULL, *res = NULL;
	struct bh_spawn_result sr;
	char owner[BH_ADDR_STR_LEN + 1], days[16], host[256];
	uint8_t sub[20];
	int r;

	if (pending_op(rec, "cancel")) {
		bh_log(LOG_NOTICE, "subscription %llu: cancelled before its VM was created",
		       (unsigned long long)it->id);
		return advance(e, rec, ENG_CANCELLED);
	}
	/* made by an earlier run that died before recording it? (the name is ours) */
	pthread_mutex_lock(&e->db_lock);
	r = bh_vmdb_get(e->db, vm, &vmrec, NULL);
	pthread_mutex_unlock(&e->db_lock);
	if (r == 0) {
		const char *st = json_string_value(json_object_get(vmrec, "status"));
		if (st && !strcmp(st, "destroyed")) {
			bh_msg_set(msg, "VM %s exists in vms.json as destroyed", vm);
			r = BH_ERR_STATE;
			goto out;
		}
		if ((r = eng_details_from_record(vmrec, &details)) < 0) {
			bh_msg_set(msg, "VM %s exists but its record lacks username/address", vm);
			goto out;
		}
		bh_log(LOG_NOTICE, "subscription %llu: VM %s already exists (an earlier run), kept",
		       (unsigned long long)it->id, vm);
	} else {
		int64_t exp = (int64_t)json_integer_value(json_object_get(rec, "expires_at"));
		int64_t left = exp - (int64_t)time(NULL);
		int64_t d = left <= 0 ? 1 : (left + 86399) / 86400;
		if (d < 1)
			d = 1;
		snprintf(days, sizeof(days), "%lld", (long long)d);
		(void)eng_parse_address(json_string_value(json_object_get(rec, "subscriber")), sub, NULL);
		bh_eth_addr_checksum(sub, owner);
		const char *args[] = { vm, "--owner-wallet", owner, "--expiry-days", days, "--apply" };
		bh_log(LOG_INFO, "subscription %llu: provisioner create %s --owner-wallet %s --expiry-days %s",
		       (unsigned long long)it->id, vm, owner, days);
		if ((r = eng_prov_run(e, "create", args, 6, &sr, msg)) < 0)
			goto out;
		struct bh_msg m = { "" };
		r = bh_result_parse(&sr.out, &res, &m);
		bh_spawn_result_done(&sr);
		if (r < 0 || !json_is_object(res)) {
			bh_msg_set(msg, "provisioner create: no BLOCKHOST_RESULT object: %s", m.text);
			r = r < 0 ? r : BH_ERR_FORMAT;
			goto out;
		}
		const char *user = json_string_value(json_object_get(res, "username"));
		const char *ip6 = json_string_value(json_object_get(res, "ipv6"));
		const char *ip = json_string_value(json_object_get(res, "ip"));
		json_int_t port = json_integer_value(json_object_get(res, "ssh_port"));
		if (!user || !bh_name_valid(user, BH_NAME_USER)) {
			bh_msg_set(msg, "provisioner create: result lacks a valid username");
			r = BH_ERR_FORMAT;
			goto out;
		}
		/* the public address: the network hook (upstream.md §9.3), else the forwarded
		 * port on 127.0.0.1 (user-mode NIC), else the result's addresses */
		if (public_address(e, vm, host, sizeof(host)) == 0) {
		} else if (port > 0) {
			snprintf(host, sizeof(host), "127.0.0.1");
		} else if (ip6 && *ip6) {
			snprintf(host, sizeof(host), "%s", ip6);
		} else if (ip && *ip) {
			snprintf(host, sizeof(host), "%s", ip);
		} else {
			bh_msg_set(msg, "no public address for %s (no network hook, no address in the result)", vm);
			r = BH_ERR_NOT_FOUND;
			goto out;
		}
		details = json_pack("{s:s, s:I, s:s}", "host", host, "port",
				    port > 0 && port < 65536 ? port : 22, "username", user);
	}
	if (!details) {
		r = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&e->lock);
	json_object_set(rec, "create", details);
	pthread_mutex_unlock(&e->lock);
	r = advance(e, rec, ENG_CREATED);
out:
	json_decref(vmrec);
	json_decref(details);
	json_decref(res);
	return r;
}

/* on_signed: journal each signed mint transaction before it is broadcast */
struct mint_ctx {
	struct eng *e;
	json_t *rec;
};

static int journal_signed(void *ud, uint64_t nonce, const uint8_t *raw, size_t len,
			  const uint8_t hash[static 32])
{
	struct mint_ctx *c = ud;
	int r;
	(void)hash;
	pthread_mutex_lock(&c->e->lock);
	json_t *mint = json_object_get(c->rec, "mint");
	if (!mint || (uint64_t)json_integer_value(json_object_get(mint, "nonce")) != nonce) {
		json_object_set_new(c->rec, "mint", json_pack("{s:I, s:[]}", "nonce", (json_int_t)nonce,
							       "raws"));
		mint = json_object_get(c->rec, "mint");
	}
	json_t *raws = json_object_get(mint, "raws");
	if (json_array_size(raws) >= ENG_MAX_RAWS) {
		pthread_mutex_unlock(&c->e->lock);
		return BH_ERR_LIMIT;
	}
	json_array_append_new(raws, bh_json_hex(raw, len));
	eng_sub_set_state(c->rec, ENG_MINTING);
	r = save(c->e, c->rec);
	pthread_mutex_unlock(&c->e->lock);
	return r;
}

static int minted(struct eng *e, struct eng_item *it, json_t *rec, const struct bh_rpc_receipt *rc,
		  struct bh_msg *msg)
{
	uint8_t owner[20];
	uint64_t token;
	int r;
	(void)eng_parse_address(json_string_value(json_object_get(rec, "subscriber")), owner, NULL);
	if ((r = eng_token_from_receipt(rc, e->cfg.chain.nft, owner, &token, msg)) < 0)
		return r;
	bh_log(LOG_INFO, "subscription %llu: minted token %llu", (unsigned long long)it->id,
	       (unsigned long long)token);
	pthread_mutex_lock(&e->lock);
	json_object_set_new(rec, "token_id", json_integer((json_int_t)token));
	json_object_set_new(rec, "tx", bh_json_hex(rc->tx_hash, 32));
	pthread_mutex_unlock(&e->lock);
	return advance(e, rec, ENG_MINTED);
}

static int step_mint(struct eng *e, struct eng_item *it, json_t *rec, struct bh_msg *msg)
{
	uint8_t sig[65], owner[20];
	struct bh_buf ue, data;
	struct bh_rpc_receipt rc;
	struct mint_ctx ctx = { e, rec };
	int r;

	memset(&rc, 0, sizeof(rc));
	bh_buf_init(&ue, 4096);
	bh_buf_init(&data, 8192);
	if ((r = payload_signature(e, rec, sig, msg)) < 0)
		goto out;
	pthread_mutex_lock(&e->lock);
	json_t *c = json_deep_copy(json_object_get(rec, "create"));
	pthread_mutex_unlock(&e->lock);
	r = c ? eng_payload_details(sig, json_string_value(json_object_get(c, "host")),
				    json_integer_value(json_object_get(c, "port")),
				    json_string_value(json_object_get(c, "username")), &ue, msg)
	      : -ENOMEM;
	json_decref(c);
	if (r < 0)
		goto out;
	(void)eng_parse_address(json_string_value(json_object_get(rec, "subscriber")), owner, NULL);
	if ((r = eng_mint_calldata(owner, bh_buf_ptr(&ue), bh_buf_len(&ue), &data, msg)) < 0)
		goto out;
	pthread_mutex_lock(&e->mint_lock);
	e->wallet.tx.on_signed = journal_signed;
	e->wallet.tx.on_signed_ud = &ctx;
	r = bh_txsend_send(&e->wallet.tx, "mint", e->cfg.chain.nft, NULL, bh_buf_ptr(&data),
			   bh_buf_len(&data), &rc, msg);
	e->wallet.tx.on_signed = NULL;
	eng_note_wallet_retries(e);
	pthread_mutex_unlock(&e->mint_lock);
	if (r < 0)
		goto out;
	r = minted(e, it, rec, &rc, msg);
out:
	explicit_bzero(sig, sizeof(sig));
	bh_rpc_receipt_clear(&rc);
	bh_buf_done(&ue);
	bh_buf_done(&data);
	return r;
}

static int step_resume_mint(struct eng *e, struct eng_item *it, json_t *rec, struct bh_msg *msg)
{
	const uint8_t *raws[ENG_MAX_RAWS];
	size_t lens[ENG_MAX_RAWS], n = 0;
	uint8_t *bufs[ENG_MAX_RAWS] = { 0 };
	struct bh_rpc_receipt rc;
	uint64_t nonce;
	int r;

	memset(&rc, 0, sizeof(rc));
	pthread_mutex_lock(&e->lock);
	json_t *mint = json_object_get(rec, "mint");
	json_t *arr = json_object_get(mint, "raws");
	nonce = (uint64_t)json_integer_value(json_object_get(mint, "nonce"));
	for (size_t i = 0; i < json_array_size(arr) && n < ENG_MAX_RAWS; i++)
		if (bh_hex_decode_alloc(json_string_value(json_array_get(arr, i)), 256 * 1024,
					&bufs[n], &lens[n]) == 0) {
			raws[n] = bufs[n];
			n++;
		}
	pthread_mutex_unlock(&e->lock);
	if (n == 0) {
		r = advance(e, rec, ENG_CREATED);
		goto out;
	}
	pthread_mutex_lock(&e->mint_lock);
	r = bh_txsend_resume(&e->wallet.tx, "mint", nonce, raws, lens, n, &rc, msg);
	eng_note_wallet_retries(e);
	pthread_mutex_unlock(&e->mint_lock);
	if (r == BH_ERR_NOT_FOUND) {
		/* provably never mined: mint again */
		bh_log(LOG_NOTICE, "subscription %llu: %s; minting again", (unsigned long long)it->id,
		       msg->text);
		pthread_mutex_lock(&e->lock);
		json_object_del(rec, "mint");
		pthread_mutex_unlock(&e->lock);
		r = advance(e, rec, ENG_CREATED);
		goto out;
	}
	if (r < 0)
		goto out;
	bh_log(LOG_NOTICE, "subscription %llu: the journaled mint transaction was mined",
	       (unsigned long long)it->id);
	r = minted(e, it, rec, &rc, msg);
out:
	bh_rpc_receipt_clear(&rc);
	for (size_t i = 0; i < n; i++)
		free(bufs[i]);
	return r;
}

static int step_record_nft(struct eng *e, json_t *rec, struct bh_msg *msg)
{
	const char *vm = json_string_value(json_object_get(rec, "vm"));
	int64_t token = json_integer_value(json_object_get(rec, "token_id"));
	pthread_mutex_lock(&e->db_lock);
	int r = bh_vmdb_set_nft_minted(e->db, vm, token, msg);
	pthread_mutex_unlock(&e->db_lock);
	if (r < 0)
		return r;
	return advance(e, rec, ENG_GECOS);
}

static int step_gecos(struct eng *e, json_t *rec, struct bh_msg *msg)
{
	char owner[BH_ADDR_STR_LEN + 1], id[24];
	uint8_t sub[20];
	(void)eng_parse_address(json_string_value(json_object_get(rec, "subscriber")), sub, NULL);
	bh_eth_addr_checksum(sub, owner);
	snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(rec, "token_id")));
	const char *args[] = { json_string_value(json_object_get(rec, "vm")), owner, "--nft-id", id };
	int r = eng_prov_run(e, "update-gecos", args, 4, NULL, msg);
	if (r < 0)
		return r;
	return advance(e, rec, ENG_DONE);
}

/* The first pending op. */
static int step_op(struct eng *e, struct eng_item *it, json_t *rec, struct bh_msg *msg)
{
	const char *vm = json_string_value(json_object_get(rec, "vm"));
	json_t *op = NULL, *vmrec = NULL;
	int r;

	pthread_mutex_lock(&e->lock);
	json_t *ops = json_object_get(rec, "ops");
	for (size_t i = 0; i < json_array_size(ops) && !op; i++)
		if (!json_is_true(json_object_get(json_array_get(ops, i), "done")))
			op = json_incref(json_array_get(ops, i));
	pthread_mutex_unlock(&e->lock);
	if (!op)
		return 0;
	const char *kind = json_string_value(json_object_get(op, "kind"));
	pthread_mutex_lock(&e->db_lock);
	r = bh_vmdb_get(e->db, vm, &vmrec, NULL);
	pthread_mutex_unlock(&e->db_lock);
	if (r == BH_ERR_NOT_FOUND) {
		bh_log(LOG_NOTICE, "subscription %llu: %s for %s, which this host does not have",
		       (unsigned long long)it->id, kind, vm);
		r = 0;
	} else if (r < 0) {
		bh_msg_set(msg, "vms.json: %s", bh_strerror(r));
		goto out;
	} else if (!strcmp(kind, "extend")) {
		int64_t t = json_integer_value(json_object_get(op, "expires_at"));
		pthread_mutex_lock(&e->db_lock);
		r = bh_vmdb_set_expiry(e->db, vm, t, NULL, msg);
		pthread_mutex_unlock(&e->db_lock);
		if (r < 0)
			goto out;
		bh_log(LOG_INFO, "subscription %llu: %s expires at %lld (on-chain newExpiresAt)",
		       (unsigned long long)it->id, vm, (long long)t);
		const char *st = json_string_value(json_object_get(vmrec, "status"));
		if (st && !strcmp(st, "suspended")) {
			const char *args[] = { vm };
			if ((r = eng_prov_run(e, "resume", args, 1, NULL, msg)) < 0)
				goto out;
			bh_log(LOG_INFO, "subscription %llu: %s resumed", (unsigned long long)it->id, vm);
		}
	} else {
		const char *st = json_string_value(json_object_get(vmrec, "status"));
		if (!st || strcmp(st, "destroyed")) {
			const char *args[] = { vm };
			if ((r = eng_prov_run(e, "destroy", args, 1, NULL, msg)) < 0)
				goto out;
		}
		bh_log(LOG_INFO, "subscription %llu: cancelled, %s destroyed", (unsigned long long)it->id, vm);
	}
	pthread_mutex_lock(&e->lock);
	json_object_set_new(op, "done", json_true());
	json_object_set_new(rec, "attempts", json_integer(0));
	json_object_del(rec, "last_error");
	json_object_del(rec, "next_retry");
	r = save(e, rec);
	pthread_mutex_unlock(&e->lock);
out:
	json_decref(op);
	json_decref(vmrec);
	return r;
}

void eng_work(struct eng *e, struct eng_item *it)
{
	json_t *rec = it->rec;
	for (int guard = 0; guard < 64 && !*e->stop; guard++) {
		struct bh_msg m = { "" };
		int r;
		pthread_mutex_lock(&e->lock);
		enum eng_state s = eng_sub_state(rec);
		bool more = eng_needs_work(rec);
		pthread_mutex_unlock(&e->lock);
		if (!more)
			return;
		switch (s) {
		case ENG_SEEN: r = step_decrypt(e, it, rec, &m); break;
		case ENG_DECRYPTED: r = step_create(e, it, rec, &m); break;
		case ENG_CREATED: r = step_mint(e, it, rec, &m); break;
		case ENG_MINTING: r = step_resume_mint(e, it, rec, &m); break;
		case ENG_MINTED: r = step_record_nft(e, rec, &m); break;
		case ENG_GECOS: r = step_gecos(e, rec, &m); break;
		case ENG_DONE:
		case ENG_EXTERNAL: r = step_op(e, it, rec, &m); break;
		default: return;
		}
		if (r < 0) {
			pthread_mutex_lock(&e->lock);
			fail_step(it, rec, e, r, m.text[0] ? m.text : bh_strerror(r));
			(void)save(e, rec);
			pthread_mutex_unlock(&e->lock);
			return;
		}
	}
}

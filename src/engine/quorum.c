/* SPDX-License-Identifier: MIT */
/*
 * Several RPC endpoints, a quorum on block hashes, proofs of every log (quorum.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/strutil.h"
#include "eth/abi.h"
#include "eth/keccak.h"
#include "eth/proof.h"
#include "quorum.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "#i host[:port]" from a URL: no user info, path or query (they may hold an API key). */
static void endpoint_name(const char *url, size_t i, char out[static 96])
{
	const char *h = strstr(url, "://");
	h = h ? h + 3 : url;
	size_t n = strcspn(h, "/?#");
	const char *at = memchr(h, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - h);
		h = at + 1;
	}
	char safe[80];
	bh_str_sanitize(h, n < 79 ? n : 79, safe, sizeof(safe));
	snprintf(out, 96, "#%u %s", (unsigned)(unsigned char)(i + 1), safe);   /* i < ENG_MAX_RPC */
}

static void hash_short(const uint8_t h[static 32], char out[static 16])
{
	static const char x[] = "0123456789abcdef";
	out[0] = '0';
	out[1] = 'x';
	for (int i = 0; i < 4; i++) {
		out[2 + 2 * i] = x[h[i] >> 4];
		out[3 + 2 * i] = x[h[i] & 15];
	}
	memcpy(out + 10, "..", 3);
}

int eng_quorum_init(struct eng_quorum *q, const struct eng_chain_cfg *cfg, struct bh_msg *msg)
{
	int r;
	int to = cfg->rpc_timeout_ms > 0 && cfg->rpc_timeout_ms < ENG_QUORUM_TIMEOUT_MS
			 ? cfg->rpc_timeout_ms : ENG_QUORUM_TIMEOUT_MS;
	struct bh_rpc_opts ro = { .timeout_ms = cfg->rpc_timeout_ms, .retries = -1 };
	struct bh_rpc_opts qo = { .timeout_ms = to, .connect_timeout_ms = to < 2000 ? to : 2000,
				  .retries = 0 };

	memset(q, 0, sizeof(*q));
	if ((r = eng_chain_cfg_check_quorum(cfg, msg)) < 0)
		return r;
	q->k = cfg->rpc_quorum ? cfg->rpc_quorum : 1;
	for (size_t i = 0; i < cfg->nrpc; i++) {
		struct eng_endpoint *ep = &q->ep[i];
		struct bh_msg m = { "" };
		endpoint_name(cfg->rpc_urls[i], i, ep->name);
		q->n = i + 1;
		/* one endpoint: its questions go through its ordinary client, retried as every
		 * other call (as before issue 13) */
		if ((r = bh_rpc_new(cfg->rpc_urls[i], &ro, &ep->rpc, &m)) < 0 ||
		    (cfg->nrpc > 1 && (r = bh_rpc_new(cfg->rpc_urls[i], &qo, &ep->qrpc, &m)) < 0)) {
			bh_msg_set(msg, "RPC endpoint %s: %s", ep->name, m.text);
			eng_quorum_done(q);
			return r;
		}
		if (cfg->nrpc == 1)
			ep->qrpc = ep->rpc;
	}
	pthread_mutex_init(&q->lock, NULL);
	return 0;
}

void eng_quorum_done(struct eng_quorum *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++) {
		if (q->ep[i].qrpc != q->ep[i].rpc)
			bh_rpc_free(q->ep[i].qrpc);
		bh_rpc_free(q->ep[i].rpc);
	}
	json_decref(q->alarm_answers);
	memset(q->ep, 0, sizeof(q->ep));
	q->n = 0;
	q->alarm_answers = NULL;
}

void eng_quorum_note_retries(struct eng_quorum *q)
{
	for (size_t i = 0; i < q->n; i++) {
		struct eng_endpoint *ep = &q->ep[i];
		unsigned long n = bh_rpc_retries(ep->rpc);
		if (n != ep->retries_seen)
			bh_log(LOG_NOTICE, "rpc: retried %lu times (%s)%s%s", n - ep->retries_seen,
			       bh_rpc_retry_note(ep->rpc), q->n > 1 ? " on " : "", q->n > 1 ? ep->name : "");
		ep->retries_seen = n;
	}
}

/* ---------------------------------------------------------------- asking everyone */
enum { ALARM_HEAD = 1, ALARM_NO_QUORUM, ALARM_DISSENT };
struct ask {
	struct eng_endpoint *ep;
	bool head;
	uint64_t height;
};

static void *ask_one(void *ud)
{
	struct ask *a = ud;
	struct eng_endpoint *ep = a->ep;
	struct bh_msg m = { "" };
	struct bh_rpc_block b;

	ep->qerr[0] = 0;
	if (a->head) {
		ep->qr = bh_rpc_block_number(ep->qrpc, &ep->qnum, &m);
	} else {
		ep->qr = bh_rpc_get_block(ep->qrpc, a->height, NULL, &b, &m);
		if (ep->qr == BH_ERR_NOT_FOUND)
			snprintf(m.text, sizeof(m.text), "has no block %llu", (unsigned long long)a->height);
		else if (ep->qr == 0 && b.number != a->height) {
			snprintf(m.text, sizeof(m.text), "answered block %llu for %llu",
				 (unsigned long long)b.number, (unsigned long long)a->height);
			ep->qr = BH_ERR_MISMATCH;
		} else if (ep->qr == 0)
			memcpy(ep->qhash, b.hash, 32);
	}
	if (ep->qr < 0)
		bh_str_sanitize(m.text, strlen(m.text), ep->qerr, sizeof(ep->qerr));
	return NULL;
}

/* Every endpoint at once: the slowest costs its (short) timeout, not the sum. */
static void ask_all(struct eng_quorum *q, bool head, uint64_t height)
{
	pthread_t th[ENG_MAX_RPC];
	struct ask a[ENG_MAX_RPC];
	bool started[ENG_MAX_RPC] = { false };

	for (size_t i = 0; i < q->n; i++) {
		a[i] = (struct ask){ &q->ep[i], head, height };
		if (q->n > 1)
			started[i] = pthread_create(&th[i], NULL, ask_one, &a[i]) == 0;
		if (!started[i])
			ask_one(&a[i]);
	}
	for (size_t i = 0; i < q->n; i++)
		if (started[i])
			pthread_join(th[i], NULL);
}

/*
 * The alarm: set, with one log line when it appears or changes (its kind, or which
 * endpoints it names: mask), not once per height; or cleared (one line).
 */
static void set_alarm(struct eng_quorum *q, int kind, uint32_t mask, uint64_t height,
		      const char *text, json_t *answers)
{
	bool changed = !q->alarm[0] || kind != q->alarm_kind || mask != q->alarm_mask;
	snprintf(q->alarm, sizeof(q->alarm), "%s", text);
	q->alarm_height = height;
	q->alarm_kind = kind;
	q->alarm_mask = mask;
	json_decref(q->alarm_answers);
	q->alarm_answers = answers;
	if (changed)
		bh_log(kind == ALARM_DISSENT ? LOG_WARNING : LOG_ERR, "rpc quorum: %s", text);
}

/* The endpoints that did not answer or not with hash (NULL: did not answer). */
static uint32_t odd_mask(const struct eng_quorum *q, const uint8_t *hash)
{
	uint32_t m = 0;
	for (size_t i = 0; i < q->n; i++)
		if (q->ep[i].qr < 0 || (hash && memcmp(q->ep[i].qhash, hash, 32)))
			m |= 1u << i;
	return m;
}

static void clear_alarm(struct eng_quorum *q, uint64_t height)
{
	if (!q->alarm[0])
		return;
	bh_log(LOG_NOTICE, "rpc quorum: all %zu endpoints agree again at block %llu (alarm cleared)",
	       q->n, (unsigned long long)height);
	q->alarm[0] = 0;
	q->alarm_kind = 0;
	q->alarm_mask = 0;
	json_decref(q->alarm_answers);
	q->alarm_answers = NULL;
}

static json_t *answers_json(struct eng_quorum *q, bool head, const uint8_t *agreed)
{
	json_t *a = json_array();
	for (size_t i = 0; i < q->n && a; i++) {
		struct eng_endpoint *ep = &q->ep[i];
		json_t *o;
		if (ep->qr < 0)
			o = json_pack("{s:s, s:s}", "endpoint", ep->name, "error", ep->qerr);
		else if (head)
			o = json_pack("{s:s, s:I}", "endpoint", ep->name, "head", (json_int_t)ep->qnum);
		else
			o = json_pack("{s:s, s:o, s:b}", "endpoint", ep->name, "hash",
				      bh_json_hex(ep->qhash, 32), "agrees",
				      agreed && !memcmp(agreed, ep->qhash, 32));
		json_array_append_new(a, o);
	}
	return a;
}

static int cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

int eng_quorum_head(struct eng_quorum *q, uint64_t *ret, struct bh_msg *msg)
{
	uint64_t v[ENG_MAX_RPC];
	size_t n = 0;

	ask_all(q, true, 0);
	for (size_t i = 0; i < q->n; i++)
		if (q->ep[i].qr == 0)
			v[n++] = q->ep[i].qnum;
	if (n < q->k && q->n == 1) {
		/* one endpoint: its fault, as before issue 13 (no quorum alarm) */
		bh_msg_set(msg, "%s", q->ep[0].qerr);
		return q->ep[0].qr;
	}
	if (n < q->k) {
		char t[512];
		size_t off = (size_t)snprintf(t, sizeof(t), "no quorum on the head: %zu of %zu "
					      "endpoints answered eth_blockNumber (quorum %u):", n, q->n, q->k);
		for (size_t i = 0; i < q->n && off < sizeof(t); i++)
			if (q->ep[i].qr < 0)
				off += (size_t)snprintf(t + off, sizeof(t) - off, " %s: %s;", q->ep[i].name,
							q->ep[i].qerr);
		set_alarm(q, ALARM_HEAD, odd_mask(q, NULL), 0, t, answers_json(q, true, NULL));
		bh_msg_set(msg, "%s", t);
		return BH_ERR_TIMEOUT;
	}
	qsort(v, n, sizeof(v[0]), cmp_desc);
	*ret = v[q->k - 1];
	return 0;
}

int eng_quorum_agree(struct eng_quorum *q, uint64_t height, uint8_t ret_hash[static 32],
		     size_t *ret_source, struct bh_msg *msg)
{
	size_t count[ENG_MAX_RPC] = { 0 }, best = SIZE_MAX, groups_k = 0, groups = 0;
	char t[512];
	size_t off;

	ask_all(q, false, height);
	for (size_t i = 0; i < q->n; i++) {
		if (q->ep[i].qr < 0)
			continue;
		for (size_t j = 0; j <= i; j++)
			if (q->ep[j].qr == 0 && !memcmp(q->ep[j].qhash, q->ep[i].qhash, 32)) {
				count[j]++;   /* counted at the group's first member */
				break;
			}
	}
	for (size_t j = 0; j < q->n; j++)
		groups += count[j] > 0;
	for (size_t j = 0; j < q->n; j++)
		if (count[j] >= q->k) {
			groups_k++;
			if (best == SIZE_MAX)
				best = j;
		}
	if (groups_k != 1 && q->n == 1) {
		bh_msg_set(msg, "%s", q->ep[0].qerr);
		return q->ep[0].qr;
	}
	if (groups_k != 1) {
		bool disagree = groups > 1;
		off = (size_t)snprintf(t, sizeof(t), "no quorum at block %llu (%u of %zu must agree): ",
				       (unsigned long long)height, q->k, q->n);
		for (size_t i = 0; i < q->n && off < sizeof(t); i++) {
			char hs[16];
			if (q->ep[i].qr < 0)
				off += (size_t)snprintf(t + off, sizeof(t) - off, "%s no answer (%s); ",
							q->ep[i].name, q->ep[i].qerr);
			else {
				hash_short(q->ep[i].qhash, hs);
				off += (size_t)snprintf(t + off, sizeof(t) - off, "%s says %s; ",
							q->ep[i].name, hs);
			}
		}
		set_alarm(q, ALARM_NO_QUORUM, odd_mask(q, NULL), height, t,
			  answers_json(q, false, NULL));
		bh_msg_set(msg, "%s", t);
		return disagree ? BH_ERR_MISMATCH : BH_ERR_TIMEOUT;
	}
	const uint8_t *agreed = q->ep[best].qhash;
	/* the source: the first agreeing endpoint not caught lying lately */
	int64_t now = mono_ms();
	size_t src = SIZE_MAX;
	for (size_t i = 0; i < q->n && src == SIZE_MAX; i++)
		if (q->ep[i].qr == 0 && !memcmp(q->ep[i].qhash, agreed, 32) &&
		    q->ep[i].suspect_until_ms <= now)
			src = i;
	for (size_t i = 0; i < q->n && src == SIZE_MAX; i++)
		if (q->ep[i].qr == 0 && !memcmp(q->ep[i].qhash, agreed, 32))
			src = i;
	/* dissenters or silent endpoints: a (non-blocking) alarm naming them */
	if (count[best] < q->n) {
		char hs[16];
		hash_short(agreed, hs);
		off = (size_t)snprintf(t, sizeof(t), "quorum at block %llu on %s (%zu of %zu), but ",
				       (unsigned long long)height, hs, count[best], q->n);
		for (size_t i = 0; i < q->n && off < sizeof(t); i++) {
			if (q->ep[i].qr < 0)
				off += (size_t)snprintf(t + off, sizeof(t) - off, "%s did not answer (%s); ",
							q->ep[i].name, q->ep[i].qerr);
			else if (memcmp(q->ep[i].qhash, agreed, 32)) {
				char ds[16];
				hash_short(q->ep[i].qhash, ds);
				off += (size_t)snprintf(t + off, sizeof(t) - off, "%s says %s (disagrees); ",
							q->ep[i].name, ds);
			}
		}
		set_alarm(q, ALARM_DISSENT, odd_mask(q, agreed), height, t,
			  answers_json(q, false, agreed));
	} else {
		clear_alarm(q, height);
	}
	memcpy(ret_hash, agreed, 32);
	*ret_source = src;
	q->source = src;
	return 0;
}

void eng_quorum_liar(struct eng_quorum *q, size_t src, const char *why)
{
	if (src >= q->n)
		return;
	struct eng_endpoint *ep = &q->ep[src];
	char was[sizeof(q->lie)];
	int64_t now = (int64_t)time(NULL), last = q->lie_time;
	memcpy(was, q->lie, sizeof(was));
	snprintf(q->lie, sizeof(q->lie), "endpoint %s: %s", ep->name, why);
	q->lie_time = now;
	q->lies++;
	if (q->n > 1)
		ep->suspect_until_ms = mono_ms() + ENG_SUSPECT_MS;
	if (!strcmp(was, q->lie) && now - last < 60)
		return;   /* the same lie again (one endpoint, retried): one line a minute */
	bh_log(LOG_ERR, "rpc: endpoint %s served data that does not prove against the agreed "
	       "block hash: %s; refused%s", ep->name, why,
	       q->n > 1 ? ", another endpoint is the source for a while" : " (retrying)");
}

/* ---------------------------------------------------------------- bloom, blocks, receipts */
bool eng_bloom_may_have(const uint8_t bloom[static 256], const uint8_t *item, size_t len)
{
	uint8_t h[32];
	bh_keccak256(item, len, h);
	for (int i = 0; i < 3; i++) {
		unsigned bit = (((unsigned)h[2 * i] << 8) | h[2 * i + 1]) & 2047u;
		if (!(bloom[255 - bit / 8] & (1u << (bit % 8))))
			return false;
	}
	return true;
}

static int get_block_json(struct eng_endpoint *ep, uint64_t n, json_t **ret, struct bh_msg *msg)
{
	char num[24];
	json_t *res = NULL;
	int r;

	snprintf(num, sizeof(num), "0x%llx", (unsigned long long)n);
	json_t *params = json_pack("[s, b]", num, 0);
	if (!params)
		return -ENOMEM;
	r = bh_rpc_call(ep->rpc, "eth_getBlockByNumber", params, &res, msg);
	json_decref(params);
	if (r < 0)
		return r;
	if (!json_is_object(res)) {
		json_decref(res);
		bh_msg_set(msg, "eth_getBlockByNumber: %s has no block %llu", ep->name,
			   (unsigned long long)n);
		return BH_ERR_NOT_FOUND;
	}
	*ret = res;
	return 0;
}

static bool is_method_missing(struct bh_rpc *rpc)
{
	const struct bh_rpc_error *e = bh_rpc_last_error(rpc);
	return e && e->has_code && e->code == -32601;
}

/* The receipts of blk in block order: eth_getBlockReceipts, or one eth_getTransactionReceipt
 * per transaction where the endpoint lacks it (-32601, remembered). */
static int get_receipts_json(struct eng_endpoint *ep, const json_t *blk, json_t **ret,
			     struct bh_msg *msg)
{
	const json_t *num = json_object_get(blk, "number");
	json_t *res = NULL, *params;
	int r;

	if (!json_is_string(num)) {
		bh_msg_set(msg, "block object without \"number\"");
		return BH_ERR_FORMAT;
	}
	if (!ep->no_block_receipts) {
		if (!(params = json_pack("[O]", num)))
			return -ENOMEM;
		r = bh_rpc_call(ep->rpc, "eth_getBlockReceipts", params, &res, msg);
		json_decref(params);
		if (r == 0 && json_is_array(res)) {
			*ret = res;
			return 0;
		}
		if (r == 0) {
			json_decref(res);
			bh_msg_set(msg, "eth_getBlockReceipts: %s answered %s, not an array", ep->name,
				   json_is_null(res) ? "null" : "a non-array");
			return BH_ERR_FORMAT;
		}
		if (r != BH_ERR_RPC || !is_method_missing(ep->rpc))
			return r;
		ep->no_block_receipts = true;
		bh_log(LOG_NOTICE, "rpc: endpoint %s has no eth_getBlockReceipts (-32601): one "
		       "eth_getTransactionReceipt per transaction from now on", ep->name);
	}
	const json_t *txs = json_object_get(blk, "transactions");
	if (!json_is_array(txs)) {
		bh_msg_set(msg, "block %s: no \"transactions\" list", json_string_value(num));
		return BH_ERR_FORMAT;
	}
	json_t *all = json_array();
	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(txs); i++) {
		const json_t *tx = json_array_get(txs, i);
		if (json_is_object(tx))
			tx = json_object_get(tx, "hash");
		if (!json_is_string(tx)) {
			bh_msg_set(msg, "block %s: transaction %zu is not a hash", json_string_value(num), i);
			json_decref(all);
			return BH_ERR_FORMAT;
		}
		if (!(params = json_pack("[O]", tx))) {
			json_decref(all);
			return -ENOMEM;
		}
		r = bh_rpc_call(ep->rpc, "eth_getTransactionReceipt", params, &res, msg);
		json_decref(params);
		if (r == 0 && !json_is_object(res)) {
			json_decref(res);
			bh_msg_set(msg, "eth_getTransactionReceipt: %s has no receipt for transaction %zu "
				   "of block %s", ep->name, i, json_string_value(num));
			r = BH_ERR_NOT_FOUND;
		}
		if (r < 0) {
			json_decref(all);
			return r;
		}
		json_array_append_new(all, res);
	}
	*ret = all;
	return 0;
}

static bool addr_in(const uint8_t a[static 20], const uint8_t (*addrs)[20], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(a, addrs[i], 20))
			return true;
	return false;
}

/* Append every log of addrs from the receipts of blk (proven by bh_proof_check_block just
 * before; each log located by bh_proof_find_log as well) to out. */
static int take_logs(const json_t *blk, const json_t *receipts, const uint8_t hash[static 32],
		     const uint8_t (*addrs)[20], size_t naddrs, struct bh_rpc_logs *out,
		     struct bh_msg *msg)
{
	int r = 0;
	for (size_t i = 0; i < json_array_size(receipts); i++) {
		struct bh_rpc_receipt rc;
		if ((r = bh_rpc_parse_receipt(json_array_get(receipts, i), &rc, msg)) < 0)
			return r;
		for (size_t j = 0; j < rc.logs.n && r == 0; j++) {
			struct bh_rpc_log *l = &rc.logs.v[j];
			if (!addr_in(l->log.address, addrs, naddrs))
				continue;
			if ((r = bh_proof_find_log(blk, receipts, hash, l, msg)) < 0)
				break;
			struct bh_rpc_log *nv = realloc(out->v, (out->n + 1) * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			out->v = nv;
			out->v[out->n++] = *l;   /* the data moves with it */
			memset(l, 0, sizeof(*l));
		}
		bh_rpc_receipt_clear(&rc);
		if (r < 0)
			return r;
	}
	return 0;
}

int eng_quorum_receipts_logs(const json_t *blk, uint64_t number, const uint8_t hash[static 32],
			     const json_t *rcs, const uint8_t (*addrs)[20], size_t naddrs,
			     struct bh_rpc_logs *ret, struct bh_msg *msg)
{
	struct bh_rpc_logs out = { NULL, 0 };
	struct bh_msg m = { "" };
	int r;

	if (!json_is_array(rcs)) {
		bh_msg_set(msg, "block %llu: receipts: not an array", (unsigned long long)number);
		return BH_ERR_FORMAT;
	}
	/* once per block: header hash, receipts root (and transactions root with full objects) */
	if ((r = bh_proof_check_block(blk, rcs, hash, &m)) < 0) {
		if (!strncmp(m.text, "block ", 6))
			bh_msg_set(msg, "%s", m.text);   /* it names the block already */
		else
			bh_msg_set(msg, "block %llu: %s", (unsigned long long)number,
				   m.text[0] ? m.text : bh_strerror(r));
		return r == -ENOMEM ? r : BH_ERR_MISMATCH;
	}
	if ((r = take_logs(blk, rcs, hash, addrs, naddrs, &out, &m)) < 0) {
		bh_msg_set(msg, "block %llu: %s", (unsigned long long)number, m.text);
		bh_rpc_logs_clear(&out);
		return r == -ENOMEM ? r : BH_ERR_MISMATCH;
	}
	*ret = out;
	return 0;
}

/* Receipts of blk from ep, their root equal to the header's receiptsRoot, then its logs. */
static int block_logs(struct eng_endpoint *ep, const json_t *blk, uint64_t number,
		      const uint8_t hash[static 32], const uint8_t (*addrs)[20], size_t naddrs,
		      struct bh_rpc_logs *out, struct bh_msg *msg)
{
	json_t *rcs = NULL;
	struct bh_rpc_logs got = { NULL, 0 };
	int r;

	if ((r = get_receipts_json(ep, blk, &rcs, msg)) < 0)
		return r;
	r = eng_quorum_receipts_logs(blk, number, hash, rcs, addrs, naddrs, &got, msg);
	json_decref(rcs);
	if (r < 0)
		return r;
	/* append */
	if (got.n) {
		struct bh_rpc_log *nv = realloc(out->v, (out->n + got.n) * sizeof(*nv));
		if (!nv) {
			bh_rpc_logs_clear(&got);
			return -ENOMEM;
		}
		out->v = nv;
		memcpy(out->v + out->n, got.v, got.n * sizeof(*nv));
		out->n += got.n;
	}
	free(got.v);
	return 0;
}

/* "logsBloom": 0x + 256 bytes (bh_rpc_parse_fixed is for hashes and addresses) */
static int parse_bloom(const json_t *v, uint8_t ret[static 256], struct bh_msg *msg)
{
	struct bh_buf b;
	int r;
	bh_buf_init(&b, 256);
	if ((r = bh_rpc_parse_data(v, 256, &b, msg)) == 0 && bh_buf_len(&b) != 256) {
		bh_msg_set(msg, "\"logsBloom\": expected 256 bytes, got %zu", bh_buf_len(&b));
		r = BH_ERR_LENGTH;
	}
	if (r == 0)
		memcpy(ret, bh_buf_ptr(&b), 256);
	bh_buf_done(&b);
	return r;
}

int eng_quorum_check_header(const json_t *blk, uint64_t number, const uint8_t want[static 32],
			    const char *what, uint8_t ret_parent[static 32],
			    uint8_t ret_bloom[static 256], struct bh_msg *msg)
{
	struct bh_rpc_block b;
	struct bh_msg m = { "" };
	uint8_t hh[32], bloom[256];
	int r;

	if ((r = bh_rpc_parse_block(blk, &b, &m)) < 0 ||
	    (r = bh_block_header_hash(blk, hh, &m)) < 0 ||
	    (r = parse_bloom(json_object_get(blk, "logsBloom"), bloom, &m)) < 0) {
		bh_msg_set(msg, "block %llu: %s", (unsigned long long)number,
			   m.text[0] ? m.text : bh_strerror(r));
		return BH_ERR_MISMATCH;
	}
	if (b.number != number || memcmp(hh, want, 32)) {
		char a[16], w[16];
		hash_short(hh, a);
		hash_short(want, w);
		if (b.number != number)
			bh_msg_set(msg, "block %llu: the endpoint sent block %llu", (unsigned long long)number,
				   (unsigned long long)b.number);
		else
			bh_msg_set(msg, "block %llu: its header hashes to %s, the %s is %s",
				   (unsigned long long)number, a, what, w);
		return BH_ERR_MISMATCH;
	}
	memcpy(ret_parent, b.parent_hash, 32);
	memcpy(ret_bloom, bloom, 256);
	return 0;
}

int eng_quorum_proven_logs(struct eng_quorum *q, size_t src, uint64_t from, uint64_t to,
			   const uint8_t to_hash[static 32], const uint8_t (*addrs)[20], size_t naddrs,
			   const uint8_t (*topics)[32], size_t ntopics, struct bh_rpc_logs *ret,
			   uint8_t ret_parent[static 32], struct bh_msg *msg)
{
	struct eng_endpoint *ep = &q->ep[src];
	struct kept {
		json_t *blk;
		uint64_t number;
		uint8_t hash[32];
	} *kept = NULL;
	size_t nkept = 0;
	struct bh_rpc_logs out = { NULL, 0 };
	uint8_t want[32];
	int r = 0;

	memcpy(want, to_hash, 32);
	/* down from the agreed block: each header must hash to its child's parentHash */
	for (uint64_t h = to + 1; h-- > from;) {
		json_t *blk = NULL;
		uint8_t hh[32], bloom[256], parent[32];
		if ((r = get_block_json(ep, h, &blk, msg)) < 0)
			goto out;
		if ((r = eng_quorum_check_header(blk, h, want, h == to ? "agreed hash"
							       : "child's parentHash", parent, bloom,
						 msg)) < 0) {
			json_decref(blk);
			goto out;
		}
		memcpy(hh, want, 32);
		memcpy(want, parent, 32);
		bool may = false, mayt = ntopics == 0;
		for (size_t i = 0; i < naddrs && !may; i++)
			may = eng_bloom_may_have(bloom, addrs[i], 20);
		for (size_t i = 0; i < ntopics && may && !mayt; i++)
			mayt = eng_bloom_may_have(bloom, topics[i], 32);
		if (!may || !mayt) {
			json_decref(blk);
			continue;
		}
		struct kept *nk = realloc(kept, (nkept + 1) * sizeof(*nk));
		if (!nk) {
			json_decref(blk);
			r = -ENOMEM;
			goto out;
		}
		kept = nk;
		kept[nkept].blk = blk;
		kept[nkept].number = h;
		memcpy(kept[nkept].hash, hh, 32);
		nkept++;
	}
	/* up again, the blocks that may hold our logs: their proven receipts */
	for (size_t i = nkept; i-- > 0;)
		if ((r = block_logs(ep, kept[i].blk, kept[i].number, kept[i].hash, addrs, naddrs, &out, msg)) < 0)
			goto out;
	*ret = out;
	memset(&out, 0, sizeof(out));
	memcpy(ret_parent, want, 32);
	r = 0;
out:
	for (size_t i = 0; i < nkept; i++)
		json_decref(kept[i].blk);
	free(kept);
	bh_rpc_logs_clear(&out);
	return r;
}

/* ---------------------------------------------------------------- one log, one transaction */
static int prove_at(struct eng_quorum *q, uint64_t height, const struct bh_rpc_log *log,
		    const uint8_t *tx_hash, struct bh_msg *msg)
{
	uint8_t hash[32];
	size_t src;
	json_t *blk = NULL, *rcs = NULL;
	struct bh_msg m = { "" };
	int r;

	pthread_mutex_lock(&q->lock);
	if ((r = eng_quorum_agree(q, height, hash, &src, msg)) < 0)
		goto out;
	if ((r = get_block_json(&q->ep[src], height, &blk, msg)) < 0 ||
	    (r = get_receipts_json(&q->ep[src], blk, &rcs, msg)) < 0)
		goto out;
	r = log ? bh_proof_check_log(blk, rcs, hash, log, &m)
		: bh_proof_check_tx(blk, rcs, hash, tx_hash, NULL, &m);
	if (r < 0) {
		bh_msg_set(msg, "block %llu from %s: %s", (unsigned long long)height, q->ep[src].name,
			   m.text);
		if (r == BH_ERR_MISMATCH || r == BH_ERR_NOT_FOUND)
			eng_quorum_liar(q, src, m.text);
	}
out:
	pthread_mutex_unlock(&q->lock);
	json_decref(blk);
	json_decref(rcs);
	return r;
}

int eng_quorum_prove_log(struct eng_quorum *q, const struct bh_rpc_log *log, struct bh_msg *msg)
{
	return prove_at(q, log->block_number, log, NULL, msg);
}

int eng_quorum_prove_tx(struct eng_quorum *q, uint64_t height, const uint8_t tx_hash[static 32],
			struct bh_msg *msg)
{
	return prove_at(q, height, NULL, tx_hash, msg);
}

/* ---------------------------------------------------------------- status */
json_t *eng_quorum_status(struct eng_quorum *q)
{
	json_t *st, *eps;
	int64_t now = mono_ms();

	pthread_mutex_lock(&q->lock);
	eps = json_array();
	for (size_t i = 0; i < q->n && eps; i++) {
		struct eng_endpoint *ep = &q->ep[i];
		json_array_append_new(eps, json_pack("{s:s, s:b, s:b, s:b}", "endpoint", ep->name,
			"source", i == q->source, "suspect", ep->suspect_until_ms > now,
			"no_block_receipts", ep->no_block_receipts));
	}
	st = json_pack("{s:o, s:I, s:s?, s:I, s:O?, s:s?, s:I, s:I}", "endpoints", eps, "quorum",
		       (json_int_t)q->k, "alarm", q->alarm[0] ? q->alarm : NULL, "alarm_height",
		       (json_int_t)q->alarm_height, "answers", q->alarm_answers, "lie",
		       q->lie[0] ? q->lie : NULL, "lie_time", (json_int_t)q->lie_time, "lies",
		       (json_int_t)q->lies);
	pthread_mutex_unlock(&q->lock);
	return st;
}

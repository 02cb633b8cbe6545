/* SPDX-License-Identifier: MIT */
/*
 * blockhost-engine run [options]      the chain monitor (docs/engine.md)
 * blockhost-engine status [--json]    what the running (or last) engine reported
 * blockhost-engine gc-check VM        the GC's on-chain check (gccheck.c)
 *
 * Ingest (this thread): eth_blockNumber; blocks up to head - confirmations; the next
 * block's parentHash checked against the stored hash of the cursor block (a mismatch is a
 * reorg: walk back through the stored hashes to the common ancestor and rewind); logs of
 * the subscription contract in chunks (halved on provider limits, doubled back after
 * successes); each log journaled once by its (block hash, tx hash, log index) key and its
 * subscription id; then the cursor.  Work (a pool of threads, each running provisioner
 * CLIs as child processes): every record that has a step to take (work.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/atomicio.h"
#include "core/cli.h"
#include "core/file.h"
#include "core/hex.h"
#include "core/log.h"
#include "core/path.h"
#include "core/strutil.h"
#include "eth/eth.h"
#include "eth/events.h"
#include "host/config.h"
#include "sandbox/sandbox.h"
#include "engine.h"
#include "spawner.h"
#include "quorum.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void sleep_ms(int ms)
{
	for (int left = ms; left > 0 && !stop_flag; left -= 50) {
		struct timespec ts = { 0, (long)(left < 50 ? left : 50) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* ---------------------------------------------------------------- items */
/* The index: linear probing over a power-of-two table kept at most half full (items are
 * never removed while the engine runs), so a lookup during a 10,000-log catch-up is one
 * or two probes instead of a scan of every record. */
static size_t slot_of(uint64_t id, size_t n)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)id & (n - 1);
}

struct eng_item *eng_find_item(struct eng *e, uint64_t id)
{
	if (!e->aindex)
		return NULL;
	for (size_t i = slot_of(id, e->aindex);; i = (i + 1) & (e->aindex - 1)) {
		if (!e->index[i])
			return NULL;
		if (e->index[i]->id == id)
			return e->index[i];
	}
}

static void index_put(struct eng_item **tab, size_t n, struct eng_item *it)
{
	size_t i = slot_of(it->id, n);
	while (tab[i])
		i = (i + 1) & (n - 1);
	tab[i] = it;
}

struct eng_item *eng_add_item(struct eng *e, uint64_t id, json_t *rec)
{
	/* items are separate allocations: workers keep their pointer while the array grows */
	if (e->nitems == e->aitems) {
		size_t na = e->aitems ? e->aitems * 2 : 64;
		struct eng_item **n = realloc(e->items, na * sizeof(*n));
		if (!n)
			return NULL;
		e->items = n;
		e->aitems = na;
	}
	if ((e->nitems + 1) * 2 > e->aindex) {
		size_t ni = e->aindex ? e->aindex * 2 : 128;
		struct eng_item **t = calloc(ni, sizeof(*t));
		if (!t)
			return NULL;
		for (size_t i = 0; i < e->nitems; i++)
			index_put(t, ni, e->items[i]);
		free(e->index);
		e->index = t;
		e->aindex = ni;
	}
	struct eng_item *it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	e->items[e->nitems++] = it;
	it->id = id;
	it->rec = rec;
	index_put(e->index, e->aindex, it);
	return it;
}

/* ---------------------------------------------------------------- workers */
struct worker_arg {
	struct eng *e;
	struct eng_spawner *sp;
};

static void *worker(void *ud)
{
	struct worker_arg *wa = ud;
	struct eng *e = wa->e;
	eng_work_set_spawner(wa->sp);
	pthread_mutex_lock(&e->lock);
	while (!stop_flag) {
		struct eng_item *pick = NULL;
		int64_t now = eng_now_ms();
		for (size_t i = 0; i < e->nitems && !pick; i++) {
			struct eng_item *it = e->items[i];
			if (it->busy || it->next_ms > now || (it->quiet && it->quiet_rec == it->rec))
				continue;
			if (eng_needs_work(it->rec))
				pick = it;
			else
				it->quiet = true, it->quiet_rec = it->rec;
		}
		if (!pick) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&e->cond, &e->lock, &ts);
			continue;
		}
		pick->busy = true;
		e->running++;
		uint64_t id = pick->id;
		pthread_mutex_unlock(&e->lock);
		eng_work(e, pick);
		pthread_mutex_lock(&e->lock);
		(void)id;
		pick->busy = false;
		e->running--;
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

static void *recon_thread(void *ud)
{
	struct worker_arg *wa = ud;
	eng_work_set_spawner(wa->sp);
	eng_recon_loop(wa->e);
	return NULL;
}

/* ---------------------------------------------------------------- status */
static void write_status(struct eng *e, const struct ingest *in)
{
	json_t *st, *fail, *q;
	unsigned counts[ENG_REVERTED + 1] = { 0 };

	st = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "pid", (json_int_t)getpid(),
		       "updated", (json_int_t)time(NULL), "head", (json_int_t)e->head,
		       "safe", (json_int_t)e->safe, "cursor", (json_int_t)in->cur.block,
		       "confirmations", (json_int_t)e->cfg.confirmations, "chunk",
		       (json_int_t)in->chunk.cur, "ingest_error", e->ingest_error);
	if (!st)
		return;
	fail = json_array();
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->nitems; i++) {
		json_t *rec = e->items[i]->rec;
		enum eng_state s = eng_sub_state(rec);
		if ((size_t)s <= ENG_REVERTED)
			counts[s]++;
		if (json_object_get(rec, "last_error"))
			json_array_append_new(fail, json_pack("{s:I, s:s, s:O, s:O, s:O}", "subscription",
				(json_int_t)e->items[i]->id, "state", eng_state_name(s), "attempts",
				json_object_get(rec, "attempts"), "last_error",
				json_object_get(rec, "last_error"), "next_retry",
				json_object_get(rec, "next_retry") ? json_object_get(rec, "next_retry")
								   : json_null()));
	}
	q = json_pack("{s:I, s:I}", "subscriptions", (json_int_t)e->nitems, "running",
		      (json_int_t)e->running);
	pthread_mutex_unlock(&e->lock);
	for (int s = ENG_SEEN; s <= ENG_REVERTED; s++)
		json_object_set_new(q, eng_state_name((enum eng_state)s), json_integer(counts[s]));
	json_object_set_new(st, "finalized", e->cfg.finalized && e->finalized >= 0
					     ? json_integer((json_int_t)e->finalized) : json_null());
	json_object_set_new(st, "queue", q);
	if (e->quorum)
		json_object_set_new(st, "rpc", eng_quorum_status(e->quorum));
	json_object_set_new(st, "failing", fail);
	(void)bh_atomic_write_json(e->status_path, st, 0644);
	json_decref(st);
}

/* ---------------------------------------------------------------- set-up */
static int mkdir_p(const char *p)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", p);
	for (char *s = buf + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(buf, 0750) < 0 && errno != EEXIST)
				return bh_negerrno();
			*s = '/';
		}
	if (mkdir(buf, 0750) < 0 && errno != EEXIST)
		return bh_negerrno();
	return 0;
}

#include <dirent.h>

/* Load every subscription record (resume unfinished work). */
static int load_records(struct eng *e)
{
	/* temps of a batch killed before its renames (journal.h; we hold engine.lock) */
	int stale = eng_journal_cleanup_stale(e->subs_dir);
	if (stale > 0)
		bh_log(LOG_INFO, "journal: removed %d temp files of an interrupted write", stale);
	DIR *d = opendir(e->subs_dir);
	struct dirent *de;
	if (!d)
		return bh_negerrno();
	while ((de = readdir(d))) {
		char *end;
		unsigned long long id = strtoull(de->d_name, &end, 10);
		if (!id || strcmp(end, ".json") != 0)
			continue;
		json_t *rec = NULL;
		struct bh_msg m = { "" };
		if (eng_sub_load(e->subs_dir, id, &rec, &m) < 0) {
			bh_log(LOG_ERR, "journal: %s (skipped; fix or remove it)", m.text);
			continue;
		}
		if (!eng_add_item(e, id, rec)) {
			json_decref(rec);
			closedir(d);
			return -ENOMEM;
		}
		if (eng_needs_work(rec))
			bh_log(LOG_INFO, "subscription %llu: resuming at %s", id,
			       eng_state_name(eng_sub_state(rec)));
	}
	closedir(d);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: blockhost-engine run [--rpc-url URL]... [--quorum K] [--subscriptions ADDR]\n"
		"         [--nft ADDR] [--chain-id N] [--confirmations N] [--finalized] [--poll-ms N]\n"
		"         [--start-block N] [--workers N] [--chunk N] [--retry-ms N] [--state-dir DIR]\n"
		"         [--provisioner-manifest FILE] [--network-hook PATH] [--config FILE]\n"
		"         [--keystore-socket PATH] [--rpc-timeout-ms N] [--reconcile-ms N]\n"
		"         [--no-sandbox]\n"
		"       blockhost-engine status [--json] [--state-dir DIR]\n"
		"       blockhost-engine gc-check VM [--now T] [--rpc-url URL] [--subscriptions ADDR]\n"
		"         [--config FILE]   (the GC's question; see gc-check --help)\n"
		"  --rpc-url URL   a JSON-RPC endpoint; repeat it for several independent providers\n"
		"                  (at most 16; default blockchain.rpc_urls or blockchain.rpc_url of\n"
		"                  web3-defaults.json)\n"
		"  --quorum K      1..number of endpoints (default 1, or blockchain.rpc_quorum when the\n"
		"                  endpoints come from the file): K endpoints must report the same block\n"
		"                  hash before the engine acts on a block; logs and receipts come from\n"
		"                  one of them and are proved against that hash (docs/operator.md)\n"
		"  status          shows an \"rpc alarm\" line while the endpoints disagree or too few\n"
		"                  answer, and the last endpoint whose data failed its proof\n"
		"       blockhost-engine --help | --version | VERB --help\n"
		"  run: the chain monitor (docs/engine.md).  Numbers are 0..2147483647; --workers\n"
		"  1..64 (default 4), --confirmations (3), --poll-ms (2000), --chunk (2000 blocks),\n"
		"  --retry-ms (2000), --reconcile-ms (300000), --start-block (0, first run only).\n"
		"  status: what the running (or last) engine reported.\n"
		"  Exit 0; 1 it failed; 2 usage.\n");
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || !*s || *s == '-')
		return -EINVAL;
	*ret = v;
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	const char *dir = NULL;
	bool json_out = false;
	char *path = NULL, *def = NULL;
	struct bh_buf b;
	json_t *st = NULL;
	struct bh_msg m = { "" };
	int rc = 1;

	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	if (bh_cli_has_flag(argc, argv, "--help")) {
		printf("usage: blockhost-engine status [--json] [--state-dir DIR]\n"
		       "  head, safe head, cursor, confirmations, queue and every failing item with its\n"
		       "  last error and next retry, as the running (or last) engine wrote them\n"
		       "  (<state-dir>/status.json).  Exit 0; 1 no status to read; 2 usage.\n");
		return BH_EXIT_OK;
	}
	optind = 0;
	while (bh_cli_getopt(argc, argv, "", lo, &c, &m) == 0 && c != -1) {
		if (c == 'j')
			json_out = true;
		else if (c == 'd')
			dir = optarg;
	}
	if (m.text[0] || optind != argc) {
		bh_log(LOG_ERR, "status: %s (see blockhost-engine status --help)",
		       m.text[0] ? m.text : "unexpected operand");
		return BH_EXIT_USAGE;
	}
	if (!dir && bh_path(BH_DIR_STATE, "engine", &def) == 0)
		dir = def;
	if (!dir || asprintf(&path, "%s/status.json", dir) < 0)
		return 1;
	bh_buf_init(&b, ENG_STATE_MAX);
	int r = bh_file_load_safe(&b, path);
	if (r < 0 || bh_json_load_buf(&b, ENG_STATE_MAX, BH_JSON_OBJECT, &st, &m) < 0) {
		bh_log(LOG_ERR, "%s: %s", path, r < 0 ? bh_strerror(r) : m.text);
		goto out;
	}
	if (json_out) {
		char *s = json_dumps(st, JSON_COMPACT);
		if (s)
			printf("%s\n", s);
		free(s);
	} else {
		json_t *q = json_object_get(st, "queue"), *f = json_object_get(st, "failing");
		json_t *fin = json_object_get(st, "finalized");
		char fs[48] = "";
		if (json_is_integer(fin))
			snprintf(fs, sizeof(fs), ", finalized %lld", (long long)json_integer_value(fin));
		printf("head %lld, safe %lld (confirmations %lld%s), cursor %lld, chunk %lld blocks\n",
		       (long long)json_integer_value(json_object_get(st, "head")),
		       (long long)json_integer_value(json_object_get(st, "safe")),
		       (long long)json_integer_value(json_object_get(st, "confirmations")), fs,
		       (long long)json_integer_value(json_object_get(st, "cursor")),
		       (long long)json_integer_value(json_object_get(st, "chunk")));
		const char *k;
		json_t *v;
		printf("queue:");
		json_object_foreach(q, k, v)
			if (json_integer_value(v))
				printf(" %s %lld", k, (long long)json_integer_value(v));
		printf("\n");
		for (size_t i = 0; i < json_array_size(f); i++) {
			json_t *x = json_array_get(f, i);
			char safe[300];
			const char *le = json_string_value(json_object_get(x, "last_error"));
			bh_str_sanitize(le ? le : "", le ? strlen(le) : 0, safe, sizeof(safe));
			printf("failing: subscription %lld at %s, attempt %lld, next retry %lld: %s\n",
			       (long long)json_integer_value(json_object_get(x, "subscription")),
			       json_string_value(json_object_get(x, "state")),
			       (long long)json_integer_value(json_object_get(x, "attempts")),
			       (long long)json_integer_value(json_object_get(x, "next_retry")), safe);
		}
		json_t *rq = json_object_get(st, "rpc");
		if (json_is_object(rq)) {
			json_t *eps = json_object_get(rq, "endpoints");
			printf("rpc: %zu endpoint%s, quorum %lld:", json_array_size(eps),
			       json_array_size(eps) == 1 ? "" : "s",
			       (long long)json_integer_value(json_object_get(rq, "quorum")));
			for (size_t i = 0; i < json_array_size(eps); i++) {
				json_t *x = json_array_get(eps, i);
				const char *nm = json_string_value(json_object_get(x, "endpoint"));
				printf(" %s%s%s%s", nm ? nm : "?",
				       json_is_true(json_object_get(x, "source")) ? " (source)" : "",
				       json_is_true(json_object_get(x, "suspect")) ? " (suspect)" : "",
				       json_is_true(json_object_get(x, "no_block_receipts"))
					       ? " (per-transaction receipts)" : "");
				printf("%s", i + 1 < json_array_size(eps) ? "," : "");
			}
			printf("\n");
			const char *al = json_string_value(json_object_get(rq, "alarm"));
			if (al) {
				char safe[600];
				bh_str_sanitize(al, strlen(al), safe, sizeof(safe));
				printf("rpc alarm: %s\n", safe);
			}
			const char *lie = json_string_value(json_object_get(rq, "lie"));
			if (lie) {
				char safe[600], when[32] = "";
				time_t t = (time_t)json_integer_value(json_object_get(rq, "lie_time"));
				struct tm tm;
				if (gmtime_r(&t, &tm))
					strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
				bh_str_sanitize(lie, strlen(lie), safe, sizeof(safe));
				printf("rpc lie (%lld refused, last %s): %s\n",
				       (long long)json_integer_value(json_object_get(rq, "lies")), when, safe);
			}
		}
		const char *ie = json_string_value(json_object_get(st, "ingest_error"));
		if (ie && *ie)
			printf("ingest: %s\n", ie);
	}
	rc = 0;
out:
	json_decref(st);
	bh_buf_done(&b);
	free(path);
	free(def);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rpc-url", required_argument, NULL, 'r' },
		{ "subscriptions", required_argument, NULL, 'S' },
		{ "nft", required_argument, NULL, 'N' },
		{ "chain-id", required_argument, NULL, 'c' },
		{ "confirmations", required_argument, NULL, 'C' },
		{ "poll-ms", required_argument, NULL, 'p' },
		{ "start-block", required_argument, NULL, 'b' },
		{ "workers", required_argument, NULL, 'w' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "retry-ms", required_argument, NULL, 'R' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "provisioner-manifest", required_argument, NULL, 'm' },
		{ "network-hook", required_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'f' },
		{ "keystore-socket", required_argument, NULL, 's' },
		{ "no-sandbox", no_argument, NULL, 'n' },
		{ "rpc-timeout-ms", required_argument, NULL, 'T' },
		{ "reconcile-ms", required_argument, NULL, 'P' },
		{ "finalized", no_argument, NULL, 'F' },
		{ "quorum", required_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct eng e;
	struct eng_quorum quorum;
	bool have_quorum = false;
	const char *urls[ENG_MAX_RPC];
	size_t nurls = 0;
	unsigned cli_quorum = 0;
	struct ingest in;
	struct bh_msg m = { "" };
	struct bh_lock lock = BH_LOCK_INIT;
	struct bh_db_config dbc;
	const char *config = NULL, *rpc_url = NULL, *subs = NULL, *nft = NULL, *sock = NULL;
	char *lock_path = NULL;
	pthread_t th[64], rth;
	struct worker_arg wa[64], rwa;
	struct eng_spawner sp[65];
	bool have_recon = false;
	struct bh_policy *pol = NULL;
	unsigned nth = 0, nsp = 0;
	uint64_t v;
	int c, r, rc = 1;

	bh_log_init("blockhost-engine", BH_LOG_STDERR, 0);
	if (argc < 2) {
		bh_log(LOG_ERR, "a verb is required: run, status or gc-check (see blockhost-engine --help)");
		return BH_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help")) {
		usage(stdout);
		return BH_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("blockhost-engine (BlockHost) %s\n", BH_VERSION);
		return BH_EXIT_OK;
	}
	if (!strcmp(argv[1], "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(argv[1], "gc-check"))
		return eng_gc_check_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "run") != 0) {
		if (argv[1][0] == '-')
			bh_log(LOG_ERR, "a verb comes first: run, status or gc-check (see "
			       "blockhost-engine --help)");
		else
			bh_log(LOG_ERR, "unknown verb '%s': expected run, status or gc-check (see "
			       "blockhost-engine --help)", argv[1]);
		return BH_EXIT_USAGE;
	}
	argc--;
	argv++;
	if (bh_cli_has_flag(argc, argv, "--help")) {
		usage(stdout);
		return BH_EXIT_OK;
	}
	memset(&e, 0, sizeof(e));
	memset(&in, 0, sizeof(in));
	memset(&dbc, 0, sizeof(dbc));
	e.stop = &stop_flag;
	e.finalized = -1;
	e.jbatch.dfd = -1;
	e.cfg.confirmations = 3;
	e.cfg.poll_ms = 2000;
	e.cfg.workers = 4;
	e.cfg.chunk_max = 2000;
	e.cfg.retry_base_ms = 2000;
	e.cfg.retry_max_ms = 300000;
	e.cfg.prov_timeout_ms = 600000;
	e.cfg.reconcile_ms = 300000;
	e.cfg.sandbox = true;
	optind = 0;
	while (bh_cli_getopt(argc, argv, "", opts, &c, &m) == 0 && c != -1) {
		switch (c) {
		case 'r':
			if (nurls == ENG_MAX_RPC) {
				bh_log(LOG_ERR, "--rpc-url: at most %d endpoints", ENG_MAX_RPC);
				return 2;
			}
			urls[nurls++] = optarg;
			break;
		case 'Q':
			if (parse_u64(optarg, &v) < 0 || v < 1 || v > ENG_MAX_RPC) {
				bh_log(LOG_ERR, "--quorum: expected a number 1..%d (at most the number of "
				       "--rpc-url endpoints)", ENG_MAX_RPC);
				return 2;
			}
			cli_quorum = (unsigned)v;
			break;
		case 'S': subs = optarg; break;
		case 'N': nft = optarg; break;
		case 'f': config = optarg; break;
		case 's': sock = optarg; break;
		case 'd': e.cfg.state_dir = strdup(optarg); break;
		case 'm': e.cfg.manifest_path = strdup(optarg); break;
		case 'H': e.cfg.network_hook = strdup(optarg); break;
		case 'n': e.cfg.sandbox = false; break;
		case 'F': e.cfg.finalized = true; break;
		case 'c': case 'C': case 'p': case 'b': case 'w': case 'k': case 'R': case 'T': case 'P':
			if (parse_u64(optarg, &v) < 0 || v > INT32_MAX || (c == 'w' && (v < 1 || v > 64))) {
				const char *name = "?";
				for (const struct option *o = opts; o->name; o++)
					if (o->val == c)
						name = o->name;
				bh_log(LOG_ERR, "run: --%s: expected a number, %s (see blockhost-engine "
				       "--help)", name, c == 'w' ? "1..64" : "0..2147483647");
				return BH_EXIT_USAGE;
			}
			if (c == 'c') e.cfg.chain.chain_id = v;
			if (c == 'C') e.cfg.confirmations = (unsigned)v;
			if (c == 'p') e.cfg.poll_ms = (int)(v ? v : 1);
			if (c == 'b') e.cfg.start_block = v;
			if (c == 'w') e.cfg.workers = (unsigned)(v < 1 ? 1 : v > 64 ? 64 : v);
			if (c == 'k') e.cfg.chunk_max = v ? v : 1;
			if (c == 'R') e.cfg.retry_base_ms = (int)(v ? v : 1);
			if (c == 'T') e.cfg.chain.rpc_timeout_ms = (int)v;
			if (c == 'P') e.cfg.reconcile_ms = (int)(v ? v : 1);
			break;
		}
	}
	if (m.text[0]) {
		bh_log(LOG_ERR, "run: %s (see blockhost-engine --help)", m.text);
		return BH_EXIT_USAGE;
	}
	if (optind != argc) {
		bh_log(LOG_ERR, "run: unexpected operand (see blockhost-engine --help)");
		return BH_EXIT_USAGE;
	}
	uint64_t cli_chain = e.cfg.chain.chain_id;
	int cli_timeout = e.cfg.chain.rpc_timeout_ms;
	if (eng_chain_cfg_load(config, &e.cfg.chain, &m) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		return 1;
	}
	e.cfg.chain.rpc_timeout_ms = cli_timeout;
	if (eng_chain_cfg_override(&e.cfg.chain, rpc_url, cli_chain, sock) < 0 ||
	    eng_chain_cfg_set_endpoints(&e.cfg.chain, urls, nurls, cli_quorum, &m) < 0) {
		bh_log(LOG_ERR, "%s", m.text[0] ? m.text : "out of memory");
		goto out;
	}
	if (eng_chain_cfg_check_quorum(&e.cfg.chain, &m) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	if (subs) {
		if (eng_parse_address(subs, e.cfg.chain.subs, &m) < 0) {
			bh_log(LOG_ERR, "--subscriptions: %s", m.text);
			goto out;
		}
		e.cfg.chain.has_subs = true;
	}
	if (nft) {
		if (eng_parse_address(nft, e.cfg.chain.nft, &m) < 0) {
			bh_log(LOG_ERR, "--nft: %s", m.text);
			goto out;
		}
		e.cfg.chain.has_nft = true;
	}
	if (!e.cfg.chain.has_subs || !e.cfg.chain.has_nft) {
		bh_log(LOG_ERR, "the subscription and NFT contracts are needed (--subscriptions, --nft, "
		       "or web3-defaults.json)");
		goto out;
	}
	if (!memcmp(e.cfg.chain.subs, e.cfg.chain.nft, 20)) {
		/* the ingest tells their logs apart by address */
		bh_log(LOG_ERR, "the subscription and NFT contracts have the same address: check "
		       "--subscriptions, --nft (or web3-defaults.json)");
		goto out;
	}
	if (!e.cfg.state_dir && bh_path(BH_DIR_STATE, "engine", &e.cfg.state_dir) < 0)
		goto out;
	if (asprintf(&e.subs_dir, "%s/subs", e.cfg.state_dir) < 0 ||
	    asprintf(&e.cursor_path, "%s/cursor.json", e.cfg.state_dir) < 0 ||
	    asprintf(&e.status_path, "%s/status.json", e.cfg.state_dir) < 0 ||
	    asprintf(&lock_path, "%s/engine.lock", e.cfg.state_dir) < 0)
		goto out;
	if ((r = mkdir_p(e.subs_dir)) < 0) {
		bh_log(LOG_ERR, "%s: %s", e.subs_dir, bh_strerror(r));
		goto out;
	}
	if ((r = bh_lock_acquire(lock_path, true, 0, &lock)) < 0) {
		bh_log(LOG_ERR, "%s: %s", lock_path,
		       r == BH_ERR_TIMEOUT ? "another blockhost-engine is running" : bh_strerror(r));
		goto out;
	}
	r = e.cfg.manifest_path ? bh_manifest_load_path(BH_MANIFEST_PROVISIONER, e.cfg.manifest_path,
							 &e.prov, &m)
				: bh_manifest_load(BH_MANIFEST_PROVISIONER, &e.prov, &m);
	if (r < 0) {
		bh_log(LOG_ERR, "provisioner manifest: %s", m.text);
		goto out;
	}
	r = bh_db_config_load(NULL, &dbc, &m);
	if (r == -ENOENT)
		r = bh_db_config_default(&dbc);
	if (r < 0 || (r = bh_vmdb_open(&dbc, NULL, &e.db)) < 0) {
		bh_log(LOG_ERR, "VM database: %s", m.text[0] ? m.text : bh_strerror(r));
		goto out;
	}
	if ((r = eng_wallet_open(&e.cfg.chain, &e.wallet, &m)) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	e.wallet.tx.poll_ms = 100;
	if ((r = eng_quorum_init(&quorum, &e.cfg.chain, &m)) < 0) {
		bh_log(LOG_ERR, "%s", m.text);
		goto out;
	}
	have_quorum = true;
	e.quorum = &quorum;
	r = eng_cursor_load(e.cursor_path, &in.cur, &m);
	if (r == -ENOENT) {
		memset(&in.cur, 0, sizeof(in.cur));
		in.cur.chain_id = e.wallet.tx.chain_id;
		memcpy(in.cur.contract, e.cfg.chain.subs, 20);
		in.cur.block = e.cfg.start_block;
	} else if (r < 0) {
		bh_log(LOG_ERR, "cursor: %s", m.text);
		goto out;
	} else if (in.cur.chain_id != e.wallet.tx.chain_id || memcmp(in.cur.contract, e.cfg.chain.subs, 20)) {
		bh_log(LOG_ERR, "%s belongs to another chain or contract: move it away to start over",
		       e.cursor_path);
		goto out;
	}
	eng_chunk_init(&in.chunk, e.cfg.chunk_max);
	e.chunk = in.chunk.cur;
	if ((r = load_records(&e)) < 0) {
		bh_log(LOG_ERR, "journal: %s", bh_strerror(r));
		goto out;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (e.cfg.sandbox) {
		/* the spawners first: unfiltered (the filter is inherited across execve and
		 * forbids executable memory), under the provisioner's policy and identity,
		 * which the CLIs they run check (spawner.h; policy/README.md "Users") */
		if ((r = bh_policy_load(NULL, "blockhost-provisioner", &pol, &m)) < 0) {
			bh_log(LOG_ERR, "sandbox: %s", m.text);
			goto out;
		}
		for (nsp = 0; nsp < e.cfg.workers + 1; nsp++)   /* + the reconciler's */
			if ((r = eng_spawner_start(pol, &sp[nsp], &m)) < 0) {
				bh_log(LOG_ERR, "%s", m.text);
				goto out;
			}
		/* started as root: becomes its own [identity] (blockhost-engine) here; either
		 * way it refuses to run under any other identity */
		if ((r = bh_sandbox_apply("blockhost-engine", BH_SANDBOX_ALLOW_DEBUG_ENV | BH_SANDBOX_SETID |
					  BH_SANDBOX_CHECK_IDENTITY, &m)) < 0) {
			bh_log(LOG_ERR, "sandbox: %s", m.text);
			goto out;
		}
	}
	pthread_mutex_init(&e.lock, NULL);
	pthread_mutex_init(&e.db_lock, NULL);
	pthread_mutex_init(&e.mint_lock, NULL);
	pthread_cond_init(&e.cond, NULL);
	for (nth = 0; nth < e.cfg.workers; nth++) {
		wa[nth] = (struct worker_arg){ &e, e.cfg.sandbox ? &sp[nth] : NULL };
		if (pthread_create(&th[nth], NULL, worker, &wa[nth]) != 0)
			break;
	}
	rwa = (struct worker_arg){ &e, e.cfg.sandbox ? &sp[e.cfg.workers] : NULL };
	have_recon = pthread_create(&rth, NULL, recon_thread, &rwa) == 0;
	bh_log(LOG_INFO, "started: chain %llu, subscriptions %s.., cursor %llu, confirmations %u%s, "
	       "%u workers, %zu RPC endpoint%s (quorum %u)", (unsigned long long)e.wallet.tx.chain_id,
	       subs ? subs : "", (unsigned long long)in.cur.block, e.cfg.confirmations,
	       e.cfg.finalized ? " and finalized" : "", nth, quorum.n, quorum.n == 1 ? "" : "s",
	       quorum.k);
	while (!stop_flag) {
		m.text[0] = 0;
		r = eng_ingest_round(&e, &in, &m);
		if (r < 0) {
			snprintf(e.ingest_error, sizeof(e.ingest_error), "%.*s", (int)sizeof(e.ingest_error) - 1, m.text);
			bh_log(LOG_WARNING, "ingest: %s (retrying)", m.text);
		} else {
			e.ingest_error[0] = 0;
		}
		write_status(&e, &in);
		if (r != 1)
			sleep_ms(r < 0 ? e.cfg.poll_ms * 2 : e.cfg.poll_ms);
	}
	bh_log(LOG_INFO, "stopping: finishing the steps in progress");
	pthread_mutex_lock(&e.lock);
	pthread_cond_broadcast(&e.cond);
	pthread_mutex_unlock(&e.lock);
	for (unsigned i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (have_recon)
		pthread_join(rth, NULL);
	write_status(&e, &in);
	bh_log(LOG_INFO, "stopped");
	rc = 0;
out:
	for (unsigned i = 0; i < nsp; i++)
		eng_spawner_stop(&sp[i]);
	bh_policy_free(pol);
	for (size_t i = 0; i < e.nitems; i++) {
		json_decref(e.items[i]->rec);
		free(e.items[i]);
	}
	free(e.items);
	if (have_quorum)
		eng_quorum_done(&quorum);
	free(e.index);
	eng_wallet_close(&e.wallet);
	bh_vmdb_free(e.db);
	bh_db_config_done(&dbc);
	bh_manifest_free(e.prov);
	bh_lock_release(&lock);
	eng_chain_cfg_done(&e.cfg.chain);
	free(e.cfg.state_dir);
	free(e.cfg.manifest_path);
	free(e.cfg.network_hook);
	free(e.subs_dir);
	free(e.cursor_path);
	free(e.status_path);
	free(lock_path);
	return rc;
}

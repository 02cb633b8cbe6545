/* SPDX-License-Identifier: MIT */
/*
 * Several writers SIGKILLed at once (tests/integration/test_vmdb_faults.sh).
 *
 *   vmdb_faults <dir> <writers> <iterations> <seed>
 *
 * vms.json in <dir> gets an IPv4 pool of 8 and an IPv6 pool of 8 addresses.  Each
 * iteration forks <writers> processes in one process group; writer w loops:
 *     "R<seq>"  register w<w>-<seq> with ip auto + ipv6 auto   "r<seq>"
 *     "X<seq>"  delete it (its addresses go back to the pools)  "x<seq>"
 * announcing each step on its own pipe.  After a random 0..4 ms the whole group is
 * SIGKILLed at once (kill(-pgid)), and the parent checks vms.json:
 *   - it parses and validates (bh_vmdb_list; python reads it again in the test);
 *   - per writer, the record the announcements say must exist exists ("r" was the last
 *     word), must not exist ("x"), or may exist (a step in flight), and no other
 *     record of that writer is there (nothing lost, nothing resurrected);
 *   - no two records share an address, allocated_ips / allocated_ipv6 are exactly the
 *     records' addresses (no address leaked, none handed out twice).
 * Then it deletes the survivors (as a restarted caller would) and goes on.
 * The pools are small so that a leaked address would exhaust them within a few rounds.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/err.h"
#include "host/config.h"
#include "host/vmdb.h"

#define OWNER "0x00000000000000000000000000000000000000aa"
#define MAX_WRITERS 16

static int die(const char *what, int r, const struct bh_msg *m)
{
	fprintf(stderr, "vmdb_faults: %s: %s (%s)\n", what, bh_strerror(r), m ? m->text : "");
	exit(1);
}

static void say(int fd, char c, long seq)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "%c%ld\n", c, seq);
	if (write(fd, line, (size_t)n) != n)
		_exit(3);
}

static void writer(struct bh_vmdb *db, int w, long seq, int fd)
{
	struct bh_msg m = { "" };
	char name[32];
	int r;

	for (;; seq++) {
		snprintf(name, sizeof(name), "w%d-%ld", w, seq);
		struct bh_vm_spec s = { .name = name, .owner_wallet = OWNER,
					.network_mode = "none", .ip_address = "auto",
					.ipv6_address = "auto", .vmid = -1, .expiry_days = 30 };
		say(fd, 'R', seq);
		if ((r = bh_vmdb_register(db, &s, NULL, &m)) < 0) {
			fprintf(stderr, "writer %d: register %s: %s\n", w, name, m.text);
			_exit(2);
		}
		say(fd, 'r', seq);
		say(fd, 'X', seq);
		if ((r = bh_vmdb_delete(db, name, &m)) < 0) {
			fprintf(stderr, "writer %d: delete %s: %s\n", w, name, m.text);
			_exit(2);
		}
		say(fd, 'x', seq);
	}
}

/* The writer's last word: its last step letter and seq. */
static void last_word(int fd, char *ret_c, long *ret_seq)
{
	static char buf[1 << 20];
	size_t have = 0;
	ssize_t n;

	while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)n;
		if (have >= sizeof(buf) - 1) {
			memmove(buf, buf + have / 2, have - have / 2);
			have -= have / 2;
		}
	}
	buf[have] = '\0';
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		if (strchr("RrXx", l[0]) && l[1]) {
			*ret_c = l[0];
			*ret_seq = atol(l + 1);
		}
	}
}

static bool in_array(const json_t *a, const char *ip, int af)
{
	uint8_t x[16], y[16];
	size_t i;
	json_t *v;

	if (inet_pton(af, ip, x) != 1)
		return false;
	json_array_foreach(a, i, v) {
		if (inet_pton(af, json_string_value(v), y) == 1 &&
		    !memcmp(x, y, af == AF_INET ? 4 : 16))
			return true;
	}
	return false;
}

static int check_addresses(const char *path)
{
	json_error_t e;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &e), *rec;
	const char *k;
	int bad = 0;

	if (!root) {
		fprintf(stderr, "vmdb_faults: %s: %s\n", path, e.text);
		return 1;
	}
	json_t *vms = json_object_get(root, "vms");
	json_t *seen4 = json_array(), *seen6 = json_array();
	static const struct { const char *field, *list; int af; } fam[] = {
		{ "ip_address", "allocated_ips", AF_INET },
		{ "ipv6_address", "allocated_ipv6", AF_INET6 },
	};
	json_object_foreach(vms, k, rec) {
		for (int f = 0; f < 2; f++) {
			const char *ip = json_string_value(json_object_get(rec, fam[f].field));
			json_t *seen = f ? seen6 : seen4;
			if (!ip || !*ip) {
				fprintf(stderr, "vmdb_faults: %s has no %s\n", k, fam[f].field);
				bad = 1;
				continue;
			}
			if (in_array(seen, ip, fam[f].af)) {
				fprintf(stderr, "vmdb_faults: %s %s is used twice\n", fam[f].field, ip);
				bad = 1;
			}
			json_array_append_new(seen, json_string(ip));
			if (!in_array(json_object_get(root, fam[f].list), ip, fam[f].af)) {
				fprintf(stderr, "vmdb_faults: %s of %s not in %s\n", ip, k,
					fam[f].list);
				bad = 1;
			}
		}
	}
	for (int f = 0; f < 2; f++) {
		json_t *list = json_object_get(root, fam[f].list), *v;
		size_t i;
		json_array_foreach(list, i, v) {
			if (!in_array(f ? seen6 : seen4, json_string_value(v), fam[f].af)) {
				fprintf(stderr, "vmdb_faults: %s leaked in %s (no record holds it)\n",
					json_string_value(v), fam[f].list);
				bad = 1;
			}
		}
	}
	json_decref(seen4);
	json_decref(seen6);
	json_decref(root);
	return bad;
}

int main(int argc, char **argv)
{
	struct bh_vmdb *db = NULL;
	struct bh_msg m = { "" };
	char path[4096], cfgpath[4096];
	int r, nw, iters, inflight = 0;
	long seq[MAX_WRITERS] = { 0 };

	if (argc != 5) {
		fprintf(stderr, "usage: vmdb_faults <dir> <writers> <iterations> <seed>\n");
		return 2;
	}
	nw = atoi(argv[2]);
	iters = atoi(argv[3]);
	if (nw < 1 || nw > MAX_WRITERS || iters < 1) {
		fprintf(stderr, "vmdb_faults: 1..%d writers, >= 1 iterations\n", MAX_WRITERS);
		return 2;
	}
	srand((unsigned)atoi(argv[4]));
	snprintf(path, sizeof(path), "%s/vms.json", argv[1]);
	snprintf(cfgpath, sizeof(cfgpath), "%s/db.json", argv[1]);
	FILE *cf = fopen(cfgpath, "w");
	if (!cf)
		die("db.json", bh_negerrno(), NULL);
	fprintf(cf, "{ \"ip_pool\": { \"network\": \"10.9.8.0/24\", \"start\": 10, \"end\": %d, "
		    "\"gateway\": \"10.9.8.1\" },\n  \"ipv6_pool\": { \"prefix\": \"2001:db8:9::/64\", "
		    "\"start\": 10, \"end\": %d } }\n", 10 + nw + 3, 10 + nw + 3);
	fclose(cf);
	struct bh_db_config cfg;
	if ((r = bh_db_config_load(cfgpath, &cfg, &m)) < 0)
		die("db.json", r, &m);
	r = bh_vmdb_open(&cfg, path, &db);
	bh_db_config_done(&cfg);
	if (r < 0)
		die("open", r, NULL);
	if ((r = bh_vmdb_init(db, &m)) < 0)
		die("init", r, &m);

	for (int it = 0; it < iters; it++) {
		int p[MAX_WRITERS][2];
		pid_t pid[MAX_WRITERS], pgid = 0;
		for (int w = 0; w < nw; w++) {
			if (pipe(p[w]) < 0)
				die("pipe", bh_negerrno(), NULL);
			if ((pid[w] = fork()) < 0)
				die("fork", bh_negerrno(), NULL);
			if (pid[w] == 0) {
				(void)setpgid(0, pgid);
				for (int j = 0; j <= w; j++)
					close(p[j][0]);
				writer(db, w, seq[w] + 1, p[w][1]);
			}
			(void)setpgid(pid[w], pgid); /* both sides: no race on who runs first */
			if (!pgid)
				pgid = pid[w];
			close(p[w][1]);
		}
		struct timespec ts = { 0, (long)(rand() % 4000) * 1000 };
		nanosleep(&ts, NULL);
		kill(-pgid, SIGKILL); /* every writer at once */
		for (int w = 0; w < nw; w++) {
			int st;
			waitpid(pid[w], &st, 0);
			if (!WIFSIGNALED(st)) {
				fprintf(stderr, "vmdb_faults: writer %d exited (status %d)\n", w, st);
				return 1;
			}
		}
		json_t *list = NULL;
		if ((r = bh_vmdb_list(db, &list, &m)) < 0)
			die("reading vms.json after the kill", r, &m);
		json_decref(list);
		if (check_addresses(path)) /* the file exactly as the kill left it */
			return 1;
		for (int w = 0; w < nw; w++) {
			char c = 'x', name[32];
			long s = seq[w];
			last_word(p[w][0], &c, &s);
			close(p[w][0]);
			/* every record of this writer other than w<w>-<s> must be gone */
			json_t *all = NULL, *rec;
			size_t i;
			char prefix[16];
			snprintf(prefix, sizeof(prefix), "w%d-", w);
			snprintf(name, sizeof(name), "w%d-%ld", w, s);
			if ((r = bh_vmdb_list(db, &all, &m)) < 0)
				die("list", r, &m);
			bool found = false;
			json_array_foreach(all, i, rec) {
				const char *n = json_string_value(json_object_get(rec, "vm_name"));
				if (!n || strncmp(n, prefix, strlen(prefix)))
					continue;
				if (strcmp(n, name)) {
					fprintf(stderr, "vmdb_faults: %s present, writer %d's last "
						"word was %c%ld\n", n, w, c, s);
					return 1;
				}
				found = true;
			}
			json_decref(all);
			if ((c == 'r' && !found) || (c == 'x' && found)) {
				fprintf(stderr, "vmdb_faults: %s %s after writer %d said %c%ld\n",
					name, found ? "present" : "lost", w, c, s);
				return 1;
			}
			if (c == 'R' || c == 'X')
				inflight++;
			if (found && (r = bh_vmdb_delete(db, name, &m)) < 0)
				die("cleanup delete", r, &m);
			seq[w] = s;
		}
		if (check_addresses(path)) /* and after the survivors were deleted */
			return 1;
	}
	long total = 0;
	for (int w = 0; w < nw; w++)
		total += seq[w];
	printf("vmdb_faults: %d rounds of %d writers killed at once; %d kills in the middle of "
	       "a step; %ld registrations in all; addresses never leaked or doubled\n",
	       iters, nw, inflight, total);
	bh_vmdb_free(db);
	return 0;
}

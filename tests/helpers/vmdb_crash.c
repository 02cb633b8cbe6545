/* SPDX-License-Identifier: MIT */
/*
 * Crash-safety driver for vms.json (tests/integration/test_vmdb_crash.sh).
 *
 *   vmdb_crash <dir> <iterations> <seed>
 *
 * Each iteration forks a writer that updates one record in a loop through the real
 * library path (flock -> read -> validate -> atomic write), announcing "B<seq>" on a
 * pipe before each update and "D<seq>" after it.  The parent SIGKILLs the writer after
 * a random 0..4 ms, then loads vms.json: it must parse and validate, and the record must
 * hold exactly the last completed update (D) or the one in flight (B) — never a mix,
 * never an older state.  The padding field's length and letter are derived from seq,
 * so a torn write would also be caught.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/err.h"
#include "host/vmdb.h"

#define OWNER "0x00000000000000000000000000000000000000aa"

static int die(const char *what, int r, const struct bh_msg *m)
{
	fprintf(stderr, "vmdb_crash: %s: %s (%s)\n", what, bh_strerror(r), m ? m->text : "");
	exit(1);
}

static json_t *fields_for(long seq)
{
	size_t n = (size_t)(seq % 7 + 1) * 3000;
	char *pad = malloc(n + 1);
	if (!pad)
		abort();
	memset(pad, 'a' + (int)(seq % 26), n);
	pad[n] = '\0';
	json_t *f = json_pack("{s:I,s:s}", "seq", (json_int_t)seq, "pad", pad);
	free(pad);
	return f;
}

static void writer(struct bh_vmdb *db, long seq, int fd)
{
	struct bh_msg m;
	char line[32];

	for (;; seq++) {
		json_t *f = fields_for(seq);
		int n = snprintf(line, sizeof(line), "B%ld\n", seq);
		if (write(fd, line, (size_t)n) != n)
			_exit(3);
		int r = bh_vmdb_update_fields(db, "crash", f, &m);
		json_decref(f);
		if (r < 0) {
			fprintf(stderr, "writer: %s\n", m.text);
			_exit(2);
		}
		n = snprintf(line, sizeof(line), "D%ld\n", seq);
		if (write(fd, line, (size_t)n) != n)
			_exit(3);
	}
}

static long check(struct bh_vmdb *db, long lastB, long lastD)
{
	struct bh_msg m;
	json_t *rec = NULL;
	int r;

	if ((r = bh_vmdb_get(db, "crash", &rec, &m)) < 0)
		die("reading vms.json after the kill", r, &m);
	long seq = (long)json_integer_value(json_object_get(rec, "seq"));
	const char *pad = json_string_value(json_object_get(rec, "pad"));
	if (seq != lastD && seq != lastB) {
		fprintf(stderr, "vmdb_crash: seq %ld is neither the committed %ld "
			"nor the in-flight %ld\n", seq, lastD, lastB);
		exit(1);
	}
	size_t want = (size_t)(seq % 7 + 1) * 3000;
	if (!pad || strlen(pad) != want || pad[0] != 'a' + seq % 26 || pad[want - 1] != pad[0]) {
		fprintf(stderr, "vmdb_crash: padding of seq %ld is inconsistent\n", seq);
		exit(1);
	}
	json_decref(rec);
	return seq;
}

int main(int argc, char **argv)
{
	struct bh_vmdb *db = NULL;
	struct bh_msg m;
	char path[4096];
	int r, iters, torn = 0, fresh = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: vmdb_crash <dir> <iterations> <seed>\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/vms.json", argv[1]);
	iters = atoi(argv[2]);
	srand((unsigned)atoi(argv[3]));
	if ((r = bh_vmdb_open(NULL, path, &db)) < 0)
		die("open", r, NULL);
	struct bh_vm_spec s = { .name = "crash", .owner_wallet = OWNER, .network_mode = "none",
				.vmid = -1, .expiry_days = 30 };
	if ((r = bh_vmdb_register(db, &s, NULL, &m)) < 0)
		die("register", r, &m);
	json_t *f = fields_for(0);
	if ((r = bh_vmdb_update_fields(db, "crash", f, &m)) < 0)
		die("first update", r, &m);
	json_decref(f);

	long seq = 0;
	for (int it = 0; it < iters; it++) {
		int p[2];
		if (pipe(p) < 0)
			die("pipe", bh_negerrno(), NULL);
		pid_t pid = fork();
		if (pid < 0)
			die("fork", bh_negerrno(), NULL);
		if (pid == 0) {
			close(p[0]);
			writer(db, seq + 1, p[1]);
		}
		close(p[1]);
		struct timespec ts = { 0, (long)(rand() % 4000) * 1000 };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int st;
		waitpid(pid, &st, 0);
		if (!WIFSIGNALED(st)) {
			fprintf(stderr, "vmdb_crash: writer exited early (status %d)\n", st);
			return 1;
		}
		/* what the writer announced */
		long lastB = seq, lastD = seq;
		char buf[65536];
		size_t have = 0;
		ssize_t n;
		while ((n = read(p[0], buf + have, sizeof(buf) - 1 - have)) > 0) {
			have += (size_t)n;
			if (have >= sizeof(buf) - 1) {
				/* keep only the tail */
				memmove(buf, buf + have / 2, have - have / 2);
				have -= have / 2;
			}
		}
		close(p[0]);
		buf[have] = '\0';
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
			if (l[0] == 'B')
				lastB = atol(l + 1);
			else if (l[0] == 'D')
				lastD = atol(l + 1);
		}
		if (lastD > lastB)
			lastB = lastD;
		long got = check(db, lastB, lastD);
		if (lastB != lastD)
			torn++;
		if (got != seq)
			fresh++;
		seq = got;
	}
	printf("vmdb_crash: %d kills, %d during an update, %d advanced the state, final seq %ld\n",
	       iters, torn, fresh, seq);
	bh_vmdb_free(db);
	return 0;
}

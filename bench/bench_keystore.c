/* SPDX-License-Identifier: MIT */
/*
 * Keystore throughput and start-up time (run by `make bench-keystore`, which starts a
 * swtpm and seals keys first: tests/helpers/keystore_bench.sh):
 *
 *   socket      personal_sign requests to the daemon over its unix socket, one
 *               connection per request (the protocol), from C concurrent client
 *               threads (default 4: the single-threaded daemon then never waits
 *               for a client round trip), wall time
 *   in-process  bh_secp_sign (libsecp256k1, RFC 6979) over precomputed EIP-191
 *               digests — the same signature without the socket, JSON and policy
 *   start       time from spawning `blockhost-keystore serve` to the first answered
 *               request (TPM open, primary key, three unseals, policy, sandbox)
 *
 * Targets: socket >= 10,000 signatures/s and >= 0.5x in-process.  Every socket
 * signature's shape is checked (exit 1 on a wrong answer); missing a target only
 * reports.
 *
 *   bench_keystore KEYSTORE_BINARY [--seconds S] [--clients C]
 */
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "eth/eth.h"
#include "host/keystore_client.h"
#include "eth/secp.h"

extern char **environ;

struct worker {
	pthread_t th;
	const struct bh_keystore_client *kc;
	const uint8_t *addr;
	double until;
	unsigned id;
	unsigned long n;
	int failed;
};

static double wall(void);

static void *work(void *arg)
{
	struct worker *w = arg;
	struct bh_msg m = { "" };
	uint8_t sig[65];
	char msg[64];
	int r;
	while (wall() < w->until) {
		int len = snprintf(msg, sizeof(msg), "bench message %u/%lu", w->id, w->n);
		if ((r = bh_keystore_personal_sign(w->kc, msg, (size_t)len, sig, &m)) < 0) {
			fprintf(stderr, "bench_keystore: personal_sign: %s (%s)\n", m.text,
				bh_strerror(r));
			w->failed = 1;
			break;
		}
		if (w->n % 1024 == 0 && bh_eth_verify_personal(msg, (size_t)len, sig, w->addr) != 0) {
			fprintf(stderr, "bench_keystore: signature does not verify\n");
			w->failed = 1;
			break;
		}
		w->n++;
	}
	return NULL;
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = 3.0;
	struct bh_keystore_client kc;
	struct bh_msg m = { "" };
	uint8_t addr[20], sig[65], priv[32], digest[32];
	pid_t pid;
	int r, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_keystore KEYSTORE_BINARY [--seconds S]\n");
		return 2;
	}
	unsigned clients = 4;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			secs = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--clients"))
			clients = (unsigned)atoi(argv[i + 1]);
	}
	if (clients < 1 || clients > 64 || !(secs > 0)) {
		fprintf(stderr, "bench_keystore: --clients 1..64, --seconds > 0\n");
		return 2;
	}
	if (bh_keystore_client_init(&kc, NULL) < 0)
		return 1;

	/* start to serving */
	char a_serve[] = "serve", a_nosetid[] = "--no-setid";
	char *args[] = { argv[1], a_serve, a_nosetid, NULL };
	double t0 = wall();
	if (posix_spawn(&pid, argv[1], NULL, NULL, args, environ) != 0) {
		perror("posix_spawn");
		return 1;
	}
	for (;;) {
		if ((r = bh_keystore_address(&kc, addr, &m)) == 0)
			break;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			fprintf(stderr, "bench_keystore: daemon exited: %s\n", m.text);
			return 1;
		}
		if (wall() - t0 > 30) {
			fprintf(stderr, "bench_keystore: daemon not serving after 30 s\n");
			kill(pid, SIGTERM);
			return 1;
		}
		usleep(200);
	}
	double t_start = wall() - t0;

	/* socket signatures */
	struct worker w[64];
	unsigned long n = 0;
	double t1 = wall();
	for (unsigned i = 0; i < clients; i++) {
		w[i] = (struct worker){ .kc = &kc, .addr = addr, .until = t1 + secs, .id = i };
		if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0)
			return 1;
	}
	for (unsigned i = 0; i < clients; i++) {
		pthread_join(w[i].th, NULL);
		n += w[i].n;
		rc |= w[i].failed;
	}
	double sock_rate = (double)n / (wall() - t1);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);

	/* in-process ceiling */
	if (bh_secp_keygen(priv) < 0)
		return 1;
	unsigned long k = 0;
	char msg[64];
	double t2 = wall();
	while (wall() - t2 < secs) {
		int len = snprintf(msg, sizeof(msg), "bench message %lu", k);
		bh_eth_personal_digest(msg, (size_t)len, digest);
		if (bh_secp_sign(priv, digest, sig) < 0)
			return 1;
		k++;
	}
	double proc_rate = (double)k / (wall() - t2);
	explicit_bzero(priv, sizeof(priv));

	double ratio = sock_rate / proc_rate;
	printf("keystore start to serving (TPM open + 3 unseals + sandbox): %.1f ms\n",
	       t_start * 1e3);
	printf("personal_sign over the socket: %10.0f /s   (%u clients; target >= 10000/s: %s)\n",
	       sock_rate, clients, sock_rate >= 10000 ? "met" : "MISSED");
	printf("in-process libsecp256k1 sign:  %10.0f /s\n", proc_rate);
	printf("ratio socket / in-process:     %10.2fx (target >= 0.5x: %s)\n", ratio,
	       ratio >= 0.5 ? "met" : "MISSED");
	bh_keystore_client_done(&kc);
	return rc;
}

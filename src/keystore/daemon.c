/* SPDX-License-Identifier: MIT */
/*
 * blockhost-keystore serve: the keystore daemon (docs/PROTOCOL.keystore).
 *
 * Start-up order (each step before the next; any failure exits non-zero):
 *  1. PR_SET_DUMPABLE 0 and RLIMIT_CORE 0 at once, before any secret exists;
 *  2. policy/blockhost-keystore.policy: sandbox sections + [socket] + [transactions]
 *     (user and group names resolved now: NSS is unusable under the filter);
 *  3. TPM: open, unseal the three keys into libsodium guarded memory (mlock'd,
 *     guard pages, excluded from core dumps), close the TPM again — the daemon
 *     never talks to the TPM after start, so its filter allows no TPM access;
 *     the key pages are PROT_NONE (sodium_mprotect_noaccess) between requests;
 *  4. the daily value counter, the unix socket;
 *  5. bh_sandbox_apply: rlimits, identity (when root), no capabilities,
 *     no_new_privs, non-dumpable, the seccomp filter seccomp/blockhost-keystore;
 *  6. serve (loop.c): one request per connection, many connections at once, each
 *     peer checked by SO_PEERCRED at accept.
 */
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "blob.h"
#include "core/buf.h"
#include "cli.h"
#include "eth/eth.h"
#include "core/log.h"
#include "loop.h"
#include "ops.h"
#include "core/path.h"
#include "sandbox/policy.h"
#include "sandbox/sandbox.h"
#include "core/usock.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char serve_usage[] =
	"usage: blockhost-keystore [--config F] [--tcti T] serve [--socket PATH] [--no-setid]"
#ifdef KS_TEST_HOOKS
	" [--test-forbidden-syscall]"
#endif
	"\n"
	"Run the keystore daemon: unseal the keys into locked memory, sandbox itself\n"
	"(policy/blockhost-keystore.policy, seccomp/blockhost-keystore) and answer requests\n"
	"on the unix socket (default <run>/keystore.sock; docs/PROTOCOL.keystore).\n"
	"[socket] and [transactions] in <etc>/keystore.policy replace the shipped ones.\n"
	"When started as root it switches to the policy's [identity] user unless --no-setid\n"
	"(for a service manager that already did, or tests).  Exit 3 when the PCR policy is\n"
	"not satisfied (the message names the PCR), 4 without a TPM, 5 on TPM lockout,\n"
	"6 when a sealed key is missing.\n";

/* What the daemon holds from start-up to exit. */
struct serve {
	char *sitepath, *counter, *flag, *flagdir, *rundir;
	struct bh_ini *site;
	struct bh_policy *pol;
	struct ks_policy kp;
	struct bh_tpm *t;
	struct bh_ks_keys *keys;
	struct ks_server srv;
	int lfd, kdfd;
	char addr[BH_ADDR_STR_LEN + 1];
};

/* 2. the policy: shipped sections, [socket]/[transactions] replaced by the site file's */
static int serve_policy(struct serve *d)
{
	struct bh_msg m = { "" };
	int r;

	if ((r = bh_path(BH_DIR_ETC, "keystore.policy", &d->sitepath)) < 0)
		return r;
	r = ks_site_policy_load(d->sitepath, &d->site, &m);
	if (r < 0 && r != -ENOENT) {
		log_error("site policy: %s (%s)", m.text, bh_strerror(r));
		return r;
	}
	if ((r = bh_policy_load(NULL, "blockhost-keystore", &d->pol, &m)) < 0 ||
	    (r = ks_policy_from_ini(d->pol, d->site, &d->kp, &m)) < 0) {
		log_error("policy: %s (%s)", m.text, bh_strerror(r));
		return r;
	}
	return 0;
}

/* 3. the keys, unsealed into guarded memory; the TPM closed again */
static int serve_keys(struct ks_global *g, struct serve *d)
{
	struct bh_msg m = { "" };
	uint8_t a[20];
	int r;

	if ((r = ks_tpm_open(g, &d->t)) < 0)
		return r;
	if (!(d->keys = bh_ks_keys_new())) {
		log_error("cannot allocate guarded memory (RLIMIT_MEMLOCK?)");
		return -ENOMEM;
	}
	/* the keystore directory: no symlink, owned by root, us or the [identity] user, 0700;
	 * blobs and the counter only through this fd */
	struct passwd *pw = d->pol->user[0] ? getpwnam(d->pol->user) : NULL;
	if ((r = bh_ks_dir_open(g->cfg.dir, false, pw ? pw->pw_uid : (uid_t)-1, &d->kdfd,
				&m)) < 0) {
		log_error("refusing to start: %s", m.text);
		return r;
	}
	if ((r = bh_ks_unseal_all(d->t, d->kdfd, g->cfg.dir, d->keys, &m)) < 0) {
		log_error("refusing to start: %s (%s)", m.text, bh_strerror(r));
		return r;
	}
	bh_tpm_close(d->t);
	d->t = NULL;
	if ((r = bh_ks_wallet_address(d->keys, a)) < 0)
		return r;
	bh_ks_keys_lock(d->keys);
	bh_eth_addr_checksum(a, d->addr);
	return 0;
}

/* 4. the daily counter, the deployment gate's directory, the socket */
static int serve_state(struct ks_global *g, struct serve *d, const char *sock)
{
	struct bh_msg m = { "" };
	int r;

	if (asprintf(&d->counter, "%s/%s", g->cfg.dir, KS_COUNTER_FILE) < 0 ||
	    bh_path(BH_DIR_ETC, NULL, &d->flagdir) < 0 ||
	    bh_path(BH_DIR_ETC, "finalization-open", &d->flag) < 0 ||
	    bh_path(BH_DIR_RUN, NULL, &d->rundir) < 0)
		return -ENOMEM;
	d->srv.keys = d->keys;
	d->srv.policy = &d->kp;
	d->srv.counter_path = d->counter;
	d->srv.counter_dirfd = d->kdfd;
	d->srv.deploy_flag_path = d->flag;
	/* the deployment gate's directory, opened now (as root, before the sandbox) and
	 * checked again with the flag on every deployment request */
	if (d->kp.allow_deploy) {
		r = ks_deploy_dir_open(d->flagdir, &d->srv.deploy_dirfd, &m);
		if (r == 0)
			d->srv.has_deploy_dir = true;
		else
			log_warn("deployment gate shut for this run: %s", m.text);
	}
	if ((r = ks_counter_load(&d->srv, &m)) < 0) {
		log_error("daily value counter: %s", m.text);
		return r;
	}
	if (sock == g->cfg.socket && mkdir(d->rundir, 0755) < 0 && errno != EEXIST) {
		r = bh_negerrno();
		log_error_r(r, "%s", d->rundir);
		return r;
	}
	if ((r = bh_usock_listen(sock, d->kp.sock_mode, BH_USOCK_KEEP_ID,
				 d->kp.has_sock_group ? d->kp.sock_group : BH_USOCK_KEEP_ID,
				 0 /* SOMAXCONN: a burst waits in the kernel's queue instead of
				    * failing with EAGAIN; the loop's per-uid caps apply once
				    * accepted (docs/PROTOCOL.keystore) */,
				 &d->lfd)) < 0) {
		log_error_r(r, "listen on %s", sock);
		return r;
	}
	return 0;
}

static void serve_done(struct serve *d)
{
	if (d->lfd >= 0)
		close(d->lfd);
	if (d->kdfd >= 0)
		close(d->kdfd);
	bh_tpm_close(d->t);
	bh_ks_keys_free(d->keys);
	ks_policy_done(&d->kp);
	bh_policy_free(d->pol);
	bh_ini_free(d->site);
	free(d->sitepath);
	free(d->counter);
	free(d->flag);
	free(d->flagdir);
	if (d->srv.has_deploy_dir)
		close(d->srv.deploy_dirfd);
	free(d->rundir);
}

int ks_cmd_serve(struct ks_global *g, int argc, char **argv)
{
	static const struct option o[] = {
		{ "socket", 1, NULL, 's' },
		{ "no-setid", 0, NULL, 'n' }, { "help", 0, NULL, 'h' },
#ifdef KS_TEST_HOOKS
		{ "test-forbidden-syscall", 0, NULL, 'X' },
#endif
		{ 0 } };
	const char *sock = g->cfg.socket;
	bool setid = true, forbidden = false;
	int c, r;
	struct bh_msg m = { "" };
	struct serve d = { .lfd = -1, .kdfd = -1 };
	struct rlimit nocore = { 0, 0 };
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'n': setid = false; break;
		case 'X': forbidden = true; break;
		case 'h': fputs(serve_usage, stdout); return 0;
		default: fputs(serve_usage, stderr); return KS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(serve_usage, stderr);
		return KS_EXIT_USAGE;
	}
	/* 1. no core dumps, no ptrace by the same uid, before any secret exists */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || setrlimit(RLIMIT_CORE, &nocore) < 0) {
		r = bh_negerrno();
		log_error_r(r, "PR_SET_DUMPABLE / RLIMIT_CORE");
		goto out;
	}
	/* 2.-4. */
	if ((r = serve_policy(&d)) < 0 || (r = serve_keys(g, &d)) < 0 ||
	    (r = serve_state(g, &d, sock)) < 0)
		goto out;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* 5. sandbox: nothing is opened by name through NSS or dlopen after this */
	struct bh_sandbox_info si;
	char sis[700];
	if ((r = bh_sandbox_apply_info("blockhost-keystore",
				       BH_SANDBOX_CHECK_IDENTITY |
				       ((setid && getuid() == 0) ? BH_SANDBOX_SETID : 0), &si, &m)) < 0) {
		log_error("sandbox: %s (%s)", m.text, bh_strerror(r));
		goto out;
	}
	log_info("sandbox: %s", bh_sandbox_info_format(&si, sis, sizeof(sis)));
#ifdef KS_TEST_HOOKS
	if (forbidden) {
		/* test build only: an IP socket is outside the filter -> SIGSYS */
		log_info("test: calling socket(AF_INET) under the filter");
		int s = socket(AF_INET, SOCK_STREAM, 0);
		log_error("test: socket(AF_INET) returned %d: the filter did not kill us", s);
		r = BH_ERR_INTERNAL;
		goto out;
	}
#else
	(void)forbidden;
#endif
	clock_gettime(CLOCK_MONOTONIC, &t1);
	log_info("serving %s on %s (wallet %s; started in %.1f ms)", "wallet, server-ecies, tls",
		 sock, d.addr, (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		 (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);

	/* 6. serve (loop.c): many connections at once, each peer checked by SO_PEERCRED */
	r = ks_loop_run(d.lfd, &d.srv, &stop);
	log_info("stopping");
	unlinkat(AT_FDCWD, sock, 0); /* (unlinkat: the filter has no plain unlink) */
out:
	serve_done(&d);
	return ks_exit_code(r);
}

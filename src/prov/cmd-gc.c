/* SPDX-License-Identifier: MIT */
/*
 * blockhost-vm-gc [--execute] [--suspend-only|--destroy-only] [--grace-days N]
 * [--shutdown-timeout S] [--mock] [--no-chain-check]: dry run by default.  Phase 1: active
 * and past expires_at → ACPI shutdown, wait, force, mark_suspended only once the domain is
 * off.  Phase 2: suspended longer than the grace (db.json gc_grace_days) → destroy.
 * BLOCKHOST_NOW fixes the clock.
 *
 * Before either, the chain is asked (upstream's GC is not: upstream-engine.md §1g):
 * `blockhost-engine gc-check <vm> --now <now>` (the engine's program, found on PATH; not
 * installed: the local state decides, said once).  "paid": the engine has set the local
 * expiry to the on-chain expiresAt and the VM is kept (a suspended one is resumed);
 * "expired" / "cancelled" / "not-on-chain": the GC goes ahead; the check failing: the VM
 * is left alone this run and counted as a failure (never suspended on an unreadable chain).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/spawn.h"
#include "sandbox/sandbox.h"
#include "core/strutil.h"
#include "cli.h"
#include "subcommands.h"

static const struct option gc_options[] = {
	{ "execute", no_argument, NULL, 'x' },
	{ "suspend-only", no_argument, NULL, 's' },
	{ "destroy-only", no_argument, NULL, 'd' },
	{ "grace-days", required_argument, NULL, 'g' },
	{ "shutdown-timeout", required_argument, NULL, 't' },
	{ "mock", no_argument, NULL, 'M' },
	{ "no-chain-check", no_argument, NULL, 'C' },
	{ NULL, 0, NULL, 0 },
};

enum chain_verdict { CHAIN_GO, CHAIN_PAID, CHAIN_FAILED };

/*
 * The chain-check helper.  The GC runs under seccomp/blockhost-provisioner, which forbids
 * starting processes, so before the filter (prov_cmd.before_sandbox) it forks one helper
 * (policy limits, no filter), the engine's spawner pattern: it reads "VM NOW\n" on a
 * socketpair, runs `blockhost-engine gc-check VM --now NOW` (argv, no shell; the name
 * checked) and answers "EXIT WORD\n"; the check's stderr goes to ours.  EOF: it exits.
 * chain_fd < 0: not consulting the chain (--no-chain-check, or no blockhost-engine).
 */
static int chain_fd = -1;
static const char *chain_off_reason;
static bool chain_dry;   /* a dry run: gc-check --dry-run (nothing corrected) */

static void helper_loop(int fd, const char *engine)
{
	char req[256], word[32], resp[64];
	const char *path = getenv("PATH"), *root = getenv("BLOCKHOST_ROOT");
	char pathenv[4096], rootenv[4096];
	const char *envp[4] = { "LANG=C.UTF-8", NULL, NULL, NULL };
	size_t k = 1;

	snprintf(pathenv, sizeof(pathenv), "PATH=%s", path ? path : BH_SPAWN_DEFAULT_PATH);
	envp[k++] = pathenv;
	if (root) {
		snprintf(rootenv, sizeof(rootenv), "BLOCKHOST_ROOT=%s", root);
		envp[k++] = rootenv;
	}
	for (;;) {
		ssize_t n = read(fd, req, sizeof(req) - 1);
		if (n <= 0)
			return;
		req[n] = '\0';
		char *nl = strchr(req, '\n'), *sp = strchr(req, ' ');
		int ec = -1;
		word[0] = '\0';
		if (nl && sp && sp < nl) {
			*nl = *sp = '\0';
			const char *now = sp + 1;
			bool num = *now != '\0';
			for (const char *q = now; *q; q++)
				num = num && *q >= '0' && *q <= '9';
			if (prov_valid_name(req) && num) {
				const char *argv[] = { engine, "gc-check", req, "--now", now, chain_dry ? "--dry-run" : NULL, NULL };
				struct bh_spawn_opts o = {
					.argv = argv, .envp = envp, .stdout_max = 4096, .stderr_max = 16384,
					.allow_truncate = true, .timeout_ms = 60000,
				};
				struct bh_spawn_result res;
				if (bh_spawn_run(&o, &res) == 0) {
					size_t len = bh_buf_len(&res.out);
					while (len && ((const char *)bh_buf_ptr(&res.out))[len - 1] == '\n')
						len--;
					bh_str_sanitize((const char *)bh_buf_ptr(&res.out), len, word, sizeof(word));
					for (char *q = word; *q; q++)
						if (*q == ' ')
							*q = '_';
					if (bh_buf_len(&res.err))
						(void)!write(2, bh_buf_ptr(&res.err), bh_buf_len(&res.err));
					ec = res.exit_code;
					bh_spawn_result_done(&res);
				}
			}
		}
		int m = snprintf(resp, sizeof(resp), "%d %s\n", ec, word);
		if (write(fd, resp, (size_t)m) != m)
			return;
	}
}

static int gc_before_sandbox(int argc, char **argv)
{
	char *engine = NULL;
	int sv[2];
	pid_t pid;

	chain_dry = !bh_cli_has_flag(argc, argv, "--execute");
	if (bh_cli_has_flag(argc, argv, "--no-chain-check")) {
		chain_off_reason = "--no-chain-check";
		return 0;
	}
	if (bh_spawn_which("blockhost-engine", getenv("PATH") ? getenv("PATH") : BH_SPAWN_DEFAULT_PATH,
			   &engine) < 0) {
		chain_off_reason = "blockhost-engine is not installed";
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		say("chain check: socketpair: %s", strerror(errno));
		free(engine);
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		say("chain check: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(engine);
		return -1;
	}
	if (pid == 0) {
		struct bh_policy *p = NULL;
		struct bh_msg m = { "" };
		close(sv[0]);
		/* the verb's policy (limits, no_new_privs, identity), not its filter */
		if (bh_policy_load(NULL, "blockhost-provisioner", &p, &m) == 0 &&
		    bh_sandbox_apply_policy(p, BH_SANDBOX_CHECK_IDENTITY, &m) == 0)
			helper_loop(sv[1], engine);
		_exit(0);
	}
	close(sv[1]);
	free(engine);
	chain_fd = sv[0];
	return 0;
}

/* Ask the engine about VM n (see the top of the file). */
static enum chain_verdict chain_check(const char *n, int64_t now)
{
	char req[160], resp[64], word[40];
	int ec;

	if (chain_fd < 0)
		return CHAIN_GO;
	int len = snprintf(req, sizeof(req), "%s %lld\n", n, (long long)now);
	ssize_t got;
	if (len >= (int)sizeof(req) || write(chain_fd, req, (size_t)len) != len ||
	    (got = read(chain_fd, resp, sizeof(resp) - 1)) <= 0) {
		say("%s: the chain check helper is gone: left alone", n);
		return CHAIN_FAILED;
	}
	resp[got] = '\0';
	word[0] = '\0';
	if (sscanf(resp, "%d %39s", &ec, word) < 1)
		ec = -1;
	if (ec == 0 && !strcmp(word, "paid"))
		return CHAIN_PAID;
	if (ec == 0 && (!strcmp(word, "expired") || !strcmp(word, "cancelled") ||
			!strcmp(word, "not-on-chain")))
		return CHAIN_GO;
	say("%s: the chain could not be asked (gc-check exit %d%s%s): left alone", n, ec,
	    word[0] ? ", " : "", word);
	return CHAIN_FAILED;
}

/*
 * Phase 1: active past expires_at → shutdown (forced after timeout_s), mark_suspended.
 * The number of failures; a database that cannot be read is one, and no candidate count
 * is printed for it (0 would claim there is nothing to do).
 */
static int gc_suspend(struct ctx *c, int64_t now, bool exec, bool mock, int timeout_s)
{
	struct bh_msg m = { "" };
	json_t *sus = NULL, *v;
	size_t i;
	int fails = 0;

	if (bh_vmdb_vms_to_suspend(c->db, now, &sus, &m) < 0) {
		say("VM database: %s; suspend candidates unknown", m.text[0] ? m.text : "unreadable");
		return 1;
	}
	printf("Suspend: %zu candidates\n", json_array_size(sus));
	json_array_foreach(sus, i, v) {
		const char *n = json_string_value(json_object_get(v, "vm_name"));
		enum chain_verdict cv = chain_check(n, now);
		if (cv == CHAIN_FAILED) {
			printf("  %s: chain check failed, left alone\n", n);
			fails++;
			continue;
		}
		if (cv == CHAIN_PAID) {
			printf("  %s: paid on chain, kept%s\n", n, exec ? " (local expiry corrected)" : "");
			continue;
		}
		printf("  %s %s\n", exec ? "suspending" : "would suspend", n);
		if (!exec)
			continue;
		if (!mock) {
			int st, dr;
			if (stop_vm(c, n, timeout_s, true) < 0) {
				say("suspend %s failed: it could not be stopped", n);
				fails++;
				continue;
			}
			/* a suspension is recorded only when the domain is really off */
			dr = dom_state(c, n, &st);
			if (dr != BH_ERR_NOT_FOUND &&
			    (dr < 0 || !strcmp(prov_status_from_state(st), "active"))) {
				say("suspend %s failed: %s", n, dr < 0 ? "its domain state is unknown"
								       : "the domain is still running");
				fails++;
				continue;
			}
		}
		if (bh_vmdb_mark_suspended(c->db, n, &m) < 0) {
			say("suspend %s failed%s%s", n, m.text[0] ? ": " : "", m.text);
			fails++;
		}
	}
	json_decref(sus);
	return fails;
}

/* Phase 2: suspended longer than grace_days → destroy.  Failures counted as above. */
static int gc_destroy(struct ctx *c, int64_t now, int grace_days, bool exec, bool mock)
{
	struct bh_msg m = { "" };
	json_t *des = NULL, *v;
	size_t i;
	int fails = 0;

	if (bh_vmdb_vms_to_destroy(c->db, now, grace_days, &des, &m) < 0) {
		say("VM database: %s; destroy candidates unknown", m.text[0] ? m.text : "unreadable");
		return 1;
	}
	printf("Destroy: %zu candidates (grace %d days)\n", json_array_size(des), grace_days);
	json_array_foreach(des, i, v) {
		const char *n = json_string_value(json_object_get(v, "vm_name"));
		enum chain_verdict cv = chain_check(n, now);
		if (cv == CHAIN_FAILED) {
			printf("  %s: chain check failed, left alone\n", n);
			fails++;
			continue;
		}
		if (cv == CHAIN_PAID) {
			/* paid: never destroyed; it is resumed (the local expiry is corrected) */
			printf("  %s: paid on chain, kept%s\n", n, exec ? " and resumed" : "");
			if (exec && ((!mock && start_vm(c, n) < 0) ||
				     bh_vmdb_mark_active(c->db, n, 0, &m) < 0)) {
				say("resume %s failed%s%s", n, m.text[0] ? ": " : "", m.text);
				fails++;
			}
			continue;
		}
		printf("  %s %s\n", exec ? "destroying" : "would destroy", n);
		if (!exec)
			continue;
		if (mock ? bh_vmdb_mark_destroyed(c->db, n, &m) < 0 : destroy_vm(c, n) < 0) {
			say("destroy %s failed", n);
			fails++;
		}
	}
	json_decref(des);
	return fails;
}

static int cmd_gc(int argc, char **argv)
{
	bool exec = false, sonly = false, donly = false, mock = false, nochain = false;
	long long grace = -1, tmo = 60;
	struct ctx c;
	int64_t now = clock_now();
	int o, fails = 0;

	while ((o = prov_getopt(&prov_cmd_gc, argc, argv)) != -1) {
		switch (o) {
		case 'x': exec = true; break;
		case 's': sonly = true; break;
		case 'd': donly = true; break;
		case 'M': mock = true; break;
		case 'C': nochain = true; break;
		case 'g':
			if (!parse_int(optarg, 0, 36500, &grace))
				return prov_usage_error(&prov_cmd_gc, "--grace-days: expected 0..36500");
			break;
		case 't':
			if (!parse_int(optarg, 1, 3600, &tmo))
				return prov_usage_error(&prov_cmd_gc,
							"--shutdown-timeout: expected 1..3600 seconds");
			break;
		default: return BH_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return prov_usage_error(&prov_cmd_gc, "unexpected argument '%s'", argv[optind]);
	if (sonly && donly)
		return prov_usage_error(&prov_cmd_gc, "--suspend-only or --destroy-only, not both");
	if (ctx_init(&c, true) < 0) {
		ctx_done(&c);
		return 1;
	}
	if (grace < 0)
		grace = c.dbc.gc_grace_days;
	(void)nochain;   /* gc_before_sandbox read it */
	if (chain_off_reason)
		printf("Not consulting the chain: %s\n", chain_off_reason);
	if (!donly)
		fails += gc_suspend(&c, now, exec, mock, (int)tmo);
	if (!sonly)
		fails += gc_destroy(&c, now, (int)grace, exec, mock);
	if (!exec)
		printf("Dry run: nothing changed (use --execute)\n");
	ctx_done(&c);
	if (chain_fd >= 0)
		close(chain_fd);   /* the helper exits at EOF */
	return fails ? 1 : 0;
}

const struct prov_cmd prov_cmd_gc = {
	.name = "gc", .run = cmd_gc, .options = gc_options, .before_sandbox = gc_before_sandbox,
	.usage = "blockhost-vm-gc [--execute] [--suspend-only|--destroy-only] "
		  "[--grace-days 0..36500] [--shutdown-timeout 1..3600 (60)] [--mock] [--no-chain-check]\n"
		  "  before suspending or destroying, asks 'blockhost-engine gc-check VM' (on PATH)\n"
		  "  whether the subscription is still paid on chain: a paid VM is kept, its expiry\n"
		  "  corrected; a failed check leaves the VM alone (exit 1)",
};

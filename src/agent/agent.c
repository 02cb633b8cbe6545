/* SPDX-License-Identifier: MIT */
/*
 * blockhost-root-agent: the only root process.  Serves upstream's protocol on
 * /run/blockhost/root-agent.sock (4-byte BE length + JSON {action, params})
 * and answers each request by running the *signed* plugin for that action
 * (docs/PROTOCOL.plugin), verified from scratch on every request.
 *
 * One request per connection, each handled in a forked child (forked ahead of
 * time with its reader, so the fork is off the request path; so a slow
 * action — virsh shutdown waits minutes — does not block others); at most
 * --max-children at once.  Callers: the socket's group and mode, and which
 * uid/group may call which action, come from policy/blockhost-root-agent.policy
 * ([socket], [callers]); checked with SO_PEERCRED + SO_PEERGROUPS.
 *
 * Privilege separation (docs/root-agent.md): the client's bytes are read and
 * parsed by a spare "reader" child that is already nobody, capability-less and
 * under seccomp/blockhost-root-agent; the monitor keeps the capabilities of
 * policy/blockhost-root-agent.policy (the ceiling for every plugin) with
 * no_new_privs, and each plugin keeps only its signed manifest's capabilities.  Each
 * connection handler is a launcher (root, unfiltered: it starts the plugin) and a checker
 * (root without capabilities, seccomp/blockhost-root-agent-handler) that interprets every
 * byte: see checker() in agent-handler.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "core/cli.h"
#include "core/err.h"
#include "core/frame.h"
#include "core/log.h"
#include "core/path.h"
#include "core/spawn.h"
#include "core/strutil.h"
#include "plugin.h"
#include "sandbox/policy.h"
#include "request.h"
#include "sandbox/sandbox.h"
#include "core/usock.h"

#include "agent-int.h"

#define QUEUE_MAX 256
#define RESERVED_SLOTS 1
#define PER_UID_MAX(max) ((max) > 2 ? (max) / 2 : 1)
#define LISTEN_BACKLOG 512

struct queued {
	int fd;
	uid_t uid;
};
static struct queued queue[QUEUE_MAX];
static size_t n_queue;

/* in a child just forked by the monitor: drop every queued connection */
static void close_queued(void)
{
	for (size_t i = 0; i < n_queue; i++)
		close(queue[i].fd);
	n_queue = 0;
}

static volatile sig_atomic_t quit;

static void on_term(int sig)
{
	(void)sig;
	quit = 1;
}

static void on_chld(int sig)
{
	(void)sig;
}


/*
 * The request reader (privilege separation, OpenSSH-monitor style).  The main
 * process keeps one spare reader ready: a child that has already become nobody
 * with no capabilities, a CPU limit and seccomp/blockhost-root-agent, and waits
 * on its control socket for a client fd (SCM_RIGHTS).  Sandboxing ahead of time
 * keeps the filter's set-up cost off the request path.  Only then does it read
 * and parse the client's bytes, and it answers the monitor with one frame holding the
 * reader->monitor record (request.h, docs/root-agent.md): a request (action name,
 * params as typed binary nodes), an unknown action or an error text.  The monitor
 * decodes only that record, never the client's JSON.
 */
static noreturn void reader(const struct opts *o, int ctl)
{
	struct bh_agent_request q = { .unknown = false };
	char text[600];
	struct bh_msg msg = { "" };
	struct bh_buf rec;
	json_t *req = NULL;
	struct rlimit cpu = { o->reader_cpu, o->reader_cpu + 1 },
		      as = { o->reader_as, o->reader_as };
	gid_t g = o->reader_gid, gl[2];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int client = -1, r, ng;

	if (setgroups(1, &g) < 0 || setresgid(g, g, g) < 0 ||
	    setresuid(o->reader_uid, o->reader_uid, o->reader_uid) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0) < 0 || setrlimit(RLIMIT_CPU, &cpu) < 0)
		_exit(2);
	/* [reader] identity, exactly (policy/blockhost-root-agent.policy) */
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    (ng = getgroups(2, gl)) < 0 || ru != o->reader_uid || eu != ru || su != ru ||
	    rg != g || eg != g || sg != g || ng != 1 || gl[0] != g || ru == 0) {
		log_error("request reader: not running as [reader] %s:%s (%u:%u) after the switch: "
			  "refusing to read requests", o->reader_user, o->reader_group,
			  (unsigned)o->reader_uid, (unsigned)o->reader_gid);
		_exit(4);
	}
	/* before any client byte is read or parsed.  Not under ASan/UBSan builds: ASan
	 * reserves terabytes of shadow address space up front, so any RLIMIT_AS kills it */
	if (!bh_sandbox_built_with_sanitizer() && setrlimit(RLIMIT_AS, &as) < 0)
		_exit(2);
	if (o->reader_filter && bh_seccomp_install(o->reader_filter, 0, &msg) < 0)
		_exit(3);
	/* wait for the connection; EOF = the agent is going away */
	if (bh_usock_recv_fd(ctl, &client) < 0)
		_exit(0);
#ifdef BH_TEST_HOOKS
	if (bh_test_forbidden_syscall_wanted()) {
		log_info("test: request reader calling mount(2) under the filter");
		long x = bh_test_forbidden_syscall();
		log_error("test: mount(2) returned %ld: the filter did not kill the reader", x);
		_exit(5);
	}
#endif

	bh_buf_init(&rec, BH_AGENT_RECORD_MAX);
	if ((r = bh_frame_read_json(client, BH_FRAME_MAX_REQUEST, BH_FRAME_SERVER_TIMEOUT_MS, &req)) < 0) {
		snprintf(text, sizeof(text), "bad request: %s", bh_strerror(r));
		r = bh_agent_record_put_error(&rec, text);
	} else if ((r = bh_agent_request_parse(req, &q, &msg)) < 0) {
		snprintf(text, sizeof(text), "bad request: %s", msg.text);
		r = bh_agent_record_put_error(&rec, text);
	} else if ((r = bh_agent_record_put_request(&rec, &q, &msg)) < 0) {
		snprintf(text, sizeof(text), "bad request: %s", msg.text);
		bh_buf_reset(&rec);
		r = bh_agent_record_put_error(&rec, text);
	}
	bh_agent_request_done(&q);
	json_decref(req);
	/* the one frame the monitor reads: the fixed-shape record (request.h), never JSON */
	if (r == 0)
		r = bh_frame_write(ctl, bh_buf_ptr(&rec), bh_buf_len(&rec), BH_FRAME_SERVER_TIMEOUT_MS);
	bh_buf_done(&rec);
	_exit(r < 0 ? 1 : 0);
}

/* Fork a sandboxed spare reader (a child of the main process).  Returns its pid. */
static pid_t spawn_reader(const struct opts *o, int lfd, int *ret_ctl)
{
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		close(lfd);
		close_queued();
		close(sp[0]);
		reader(o, sp[1]);
	}
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		return -1;
	}
	*ret_ctl = sp[0];
	return pid;
}

/*
 * Fork a spare connection handler, paired with the spare reader `rctl`: it waits on
 * its control socket for the accepted client fd (SCM_RIGHTS) and then serves it
 * exactly as a handler forked after accept() would.  Forking it ahead of time keeps
 * the fork off the request path.  EOF on the control socket (the monitor is going
 * away, or its reader died) = exit.  Returns its pid.
 */
static pid_t spawn_handler(const struct opts *o, int lfd, int rctl, int *ret_ctl)
{
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		int fd;

		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		close(lfd);
		close_queued();
		close(sp[0]);
		if (bh_usock_recv_fd(sp[1], &fd) < 0)
			_exit(0);
		close(sp[1]);
		agent_serve(o, fd, rctl);
	}
	close(sp[1]);
	if (pid < 0) {
		close(sp[0]);
		return -1;
	}
	*ret_ctl = sp[0];
	return pid;
}

/* Verify every installed plugin once at start (logged; requests verify again). */
static int scan_plugins(const struct opts *o)
{
	struct bh_plugin_env env = { .actions_dir = o->actions_dir, .keys_dir = o->keys_dir,
				     .state_dir = NULL, .owner = 0 };
	struct dirent **ents = NULL;
	int n = scandir(o->actions_dir, &ents, NULL, alphasort), ok = 0;

	if (n < 0)
		log_warn("actions dir %s: %m", o->actions_dir);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(ents[i]->d_name);
		if (l > 9 && !strcmp(ents[i]->d_name + l - 9, ".manifest")) {
			struct bh_plugin *p = NULL;
			struct bh_msg msg = { "" };
			ents[i]->d_name[l - 9] = 0;
			if (bh_plugin_load(&env, ents[i]->d_name, &p, &msg) == 0) {
				ok++;
				log_info("action %s: version %" PRIu64 " verified", ents[i]->d_name,
					 p->m->version);
			} else {
				char ln[BH_PLUGIN_NAME_MAX + 1], lt[BH_AGENT_LOG_TEXT_MAX];
				log_warn("action %s: refused: %s",
					 bh_str_sanitize(ents[i]->d_name, BH_STR_CSTR, ln, sizeof(ln)),
					 bh_str_sanitize(msg.text, BH_STR_CSTR, lt, sizeof(lt)));
			}
			bh_plugin_free(p);
		}
		free(ents[i]);
	}
	free(ents);
	return ok;
}

static int make_socket(const struct opts *o)
{
	int fd, r;

	/* non-blocking (bh_usock_listen): the loop polls it and accepts what is waiting */
	if ((r = bh_usock_listen(o->socket_path, o->socket_mode, 0, o->gid, LISTEN_BACKLOG, &fd)) < 0)
		return r;
	return fd;
}

/*
 * Fairness (issue 11): connections are accepted as they come (a 512-deep listen backlog,
 * then a queue of at most QUEUE_MAX accepted connections in the monitor) and given a
 * handler slot (at most --max-children at once) in this order:
 *  - a uid other than 0 holds at most PER_UID_MAX(max) slots at once, so one caller's
 *    stalled or slow requests cannot take every slot;
 *  - the last RESERVED_SLOTS slots go only to a uid that holds none (a new client);
 *  - among the eligible, the uid holding the fewest slots first, then arrival order.
 * A queued connection costs one descriptor and nothing is read from it until it has a
 * slot; no caller is refused for being busy (the client's own deadline still applies).
 * Queued descriptors are closed in every child right after fork (a reader must never
 * hold another client's connection).
 */
struct slot {
	pid_t pid;
	uid_t uid;
};


static size_t slots_of(const struct slot *slots, int max, uid_t uid)
{
	size_t n = 0;
	for (int i = 0; i < max; i++)
		n += slots[i].pid > 0 && slots[i].uid == uid;
	return n;
}

/* The queued connection to serve next, or -1 (none eligible now). */
static int pick(const struct slot *slots, int max, int active)
{
	int best = -1;
	size_t best_n = SIZE_MAX;

	for (size_t i = 0; i < n_queue; i++) {
		uid_t u = queue[i].uid;
		size_t n = slots_of(slots, max, u);
		if (u != 0 && n >= (size_t)PER_UID_MAX(max))
			continue;
		if (active >= max - RESERVED_SLOTS && n > 0 && max > RESERVED_SLOTS)
			continue;
		if (n < best_n) {
			best = (int)i;
			best_n = n;
		}
	}
	return best;
}

/*
 * Accept connections until SIGTERM/SIGINT: each goes to a spare handler (or a handler
 * forked after accept), at most --max-children at once, in the order above.
 */
static void accept_loop(const struct opts *o, int lfd)
{
	int children = 0, active = 0, max = o->max_children;
	struct slot *slots = calloc((size_t)max, sizeof(*slots));

	/*
	 * children = connection handlers + readers (the spares and those handed off).
	 * Spares: a reader (spare, spare_ctl) and, once forked, a handler paired with it
	 * (spare_h, spare_hctl) that took over the reader's control socket.  A connection
	 * goes to the spare handler; if there is none (fork failed), a handler is forked
	 * with the spare reader, as before.
	 */
	pid_t spare = -1, spare_h = -1;
	int spare_ctl = -1, spare_hctl = -1;
	if (!slots)
		bh_fatal("out of memory");
	while (!quit) {
		pid_t pid;
		int status;
		/* reap */
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			children--;
			/* a reader or handler killed by its seccomp filter: worth an audit line */
			if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
				log_warn("child %d killed by SIGSYS: a system call outside its seccomp "
					 "filter (dmesg: type=1326)", (int)pid);
			for (int i = 0; i < max; i++)
				if (slots[i].pid == pid) {
					slots[i].pid = 0;
					active--;
				}
			if (pid == spare || pid == spare_h) { /* died before use: replace the pair */
				log_warn("spare request %s exited (status %d)",
					 pid == spare ? "reader" : "handler", status);
				if (spare_ctl >= 0)
					close(spare_ctl);
				if (spare_hctl >= 0)
					close(spare_hctl); /* EOF: a paired handler exits */
				spare = spare_h = -1;
				spare_ctl = spare_hctl = -1;
			}
		}
		bool room = children < 2 * max + 2;
		if (room && spare < 0) {
			if ((spare = spawn_reader(o, lfd, &spare_ctl)) < 0)
				log_warn("fork (request reader): %m");
			else
				children++;
		}
		if (room && spare >= 0 && spare_h < 0 && children < 2 * max + 2) {
			if ((spare_h = spawn_handler(o, lfd, spare_ctl, &spare_hctl)) < 0) {
				log_warn("fork (connection handler): %m");
			} else {
				children++;
				close(spare_ctl); /* the handler holds the reader's socket now */
				spare_ctl = -1;
			}
		}
		/* one queued connection to a slot per round (the spares are renewed above) */
		int k = active < max && (spare_h >= 0 || spare >= 0) ? pick(slots, max, active) : -1;
		if (k >= 0) {
			struct queued c = queue[k];
			memmove(&queue[k], &queue[k + 1], (n_queue - (size_t)k - 1) * sizeof(queue[0]));
			n_queue--;
			pid = -1;
			if (spare_h >= 0) {
				int r2 = bh_usock_send_fd(spare_hctl, c.fd);
				/* either way this pair is used up: EOF makes an unused handler exit */
				close(spare_hctl);
				spare_hctl = -1;
				if (r2 == 0)
					pid = spare_h;
				else
					log_warn_r(r2, "handing a connection to the spare handler");
				spare = spare_h = -1;
			} else if ((pid = fork()) == 0) {
				close(lfd);
				close_queued();
				agent_serve(o, c.fd, spare_ctl);
			} else if (pid < 0) {
				log_warn("fork: %m");
			} else {
				children++;
				/* the spare reader now belongs to that connection */
				close(spare_ctl);
				spare = -1;
				spare_ctl = -1;
			}
			if (pid > 0) {
				for (int i = 0; i < max; i++)
					if (slots[i].pid <= 0) {
						slots[i] = (struct slot){ .pid = pid, .uid = c.uid };
						active++;
						break;
					}
			}
			close(c.fd);
			continue;
		}
		/* accept what is waiting (up to the queue's room), else wait for a child or a
		 * client; 100 ms bounds a SIGCHLD that lands just before poll */
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };
		if (poll(&pfd, n_queue < QUEUE_MAX ? 1 : 0, 100) <= 0)
			continue;
		for (int n = 0; n < 64 && n_queue < QUEUE_MAX; n++) {
			struct bh_peer peer;
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0) {
				if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
					log_warn("accept: %m");
				break;
			}
			if (bh_usock_peer(fd, &peer) < 0) {
				close(fd);
				continue;
			}
			queue[n_queue++] = (struct queued){ .fd = fd, .uid = peer.uid };
		}
	}
	if (spare_hctl >= 0)
		close(spare_hctl); /* EOF: the spare handler exits, and its reader with it */
	if (spare_ctl >= 0)
		close(spare_ctl); /* EOF: the spare exits */
	close_queued();
	free(slots);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 'S' },
		{ "actions-dir", required_argument, NULL, 'a' },
		{ "keys-dir", required_argument, NULL, 'k' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "max-children", required_argument, NULL, 'n' },
		{ "plugin-user", required_argument, NULL, 'u' },
		{ "syslog", no_argument, NULL, 'L' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .max_children = 32 };
	enum bh_log_target target = BH_LOG_STDERR;
	struct sigaction sa = { 0 };
	struct group *gr;
	struct bh_policy *pol = NULL;
	struct bh_msg msg = { "" };
	int c, lfd, r, nplugins = 0;

	bh_log_init("blockhost-root-agent", BH_LOG_STDERR, LOG_DAEMON);
	while (bh_cli_getopt(argc, argv, "", lopts, &c, &msg) == 0 && c != -1) {
		char *end = NULL;
		long v;
		switch (c) {
		case 'S': o.socket_path = strdup(optarg); break;
		case 'a': o.actions_dir = strdup(optarg); break;
		case 'k': o.keys_dir = strdup(optarg); break;
		case 's': o.state_dir = strdup(optarg); break;
		case 'n':
			v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 1 || v > 1024)
				bh_msg_set(&msg, "--max-children: expected 1..1024");
			else
				o.max_children = (int)v;
			break;
		case 'u': o.plugin_user = optarg; break;
		case 'L': target = BH_LOG_SYSLOG; break;
		case 'd': bh_log_set_level(LOG_DEBUG); break;
		case 'h': agent_usage(stdout); return 0;
		case 'V': printf("blockhost-root-agent (BlockHost) %s\n", BH_VERSION); return 0;
		}
		if (msg.text[0])
			break;
	}
	if (!msg.text[0] && optind != argc)
		bh_msg_set(&msg, "unexpected argument '%s'", argv[optind]);
	if (msg.text[0]) {
		log_error("%s (see blockhost-root-agent --help)", msg.text);
		return BH_EXIT_USAGE;
	}
	bh_log_init("blockhost-root-agent", target, LOG_DAEMON);
	if (geteuid() != 0)
		bh_fatal("must run as root (it is the host's only root process)");
	agent_resolve_plugin_user(&o);
	if ((!o.socket_path && bh_path(BH_DIR_RUN, "root-agent.sock", &o.socket_path) < 0) ||
	    (!o.actions_dir && bh_path(BH_DIR_SHARE, "root-agent-actions", &o.actions_dir) < 0) ||
	    (!o.keys_dir && bh_path(BH_DIR_POLICY, "plugin-keys", &o.keys_dir) < 0) ||
	    /* rollback state: NOT under BH_DIR_STATE (/var/lib/blockhost belongs to the
	     * blockhost user, who could swap the directory); path.h has no root-only state
	     * dir, so it is built from the same root prefix bh_path() uses */
	    (!o.state_dir && asprintf(&o.state_dir, "%s" STATE_DIR_DEFAULT, bh_root_prefix()) < 0))
		bh_fatal("out of memory resolving paths");

	/* read the sandbox files first: a broken policy stops the agent before it listens */
	if ((r = bh_policy_load(NULL, SERVICE, &pol, &msg)) < 0)
		bh_fatal("policy: %s", msg.text[0] ? msg.text : bh_strerror(r));
	if ((r = bh_seccomp_load(NULL, SERVICE, 0, &o.reader_filter, &msg)) < 0)
		bh_fatal("seccomp: %s", msg.text[0] ? msg.text : bh_strerror(r));
	/* the connection handlers' checker: its own policy and filter (agent.c, checker()) */
	if ((r = bh_policy_load(NULL, HANDLER_SERVICE, &o.handler_policy, &msg)) < 0)
		bh_fatal("policy: %s", msg.text[0] ? msg.text : bh_strerror(r));
	if ((r = bh_seccomp_load(NULL, HANDLER_SERVICE, 0, &o.handler_filter, &msg)) < 0)
		bh_fatal("seccomp: %s", msg.text[0] ? msg.text : bh_strerror(r));
	if ((r = agent_socket_policy(pol, &o, &msg)) < 0 || (r = agent_reader_policy(pol, &o, &msg)) < 0 ||
	    (r = agent_libvirt_policy(pol, &o, &msg)) < 0)
		bh_fatal("policy: %s", msg.text);
	if (!(gr = getgrnam(o.group)))
		bh_fatal("policy: %s: [socket] group %s does not exist", pol->ini->file, o.group);
	o.gid = gr->gr_gid;
	if ((r = bh_callers_parse(pol->ini, bh_policy_section(pol, "callers"), true, &o.callers,
				  &msg)) < 0)
		bh_fatal("policy: %s", msg.text);

	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((lfd = make_socket(&o)) < 0)
		fatal_r(lfd, "socket %s", o.socket_path);
	nplugins = scan_plugins(&o);
	/* capabilities down to the policy's ceiling, no_new_privs, not dumpable */
	if ((r = bh_sandbox_apply_policy(pol, BH_SANDBOX_CHECK_IDENTITY, &msg)) < 0)
		bh_fatal("sandbox policy: %s", msg.text[0] ? msg.text : bh_strerror(r));
	{
		char *sdir = NULL;
		if (bh_path(BH_DIR_SECCOMP, NULL, &sdir) < 0)
			sdir = NULL;
		log_info("sandbox: policy %s applied to the monitor (capability ceiling, "
			 "no_new_privs, not dumpable; no seccomp filter: docs/root-agent.md); request "
			 "readers: [reader] %s:%s, seccomp %s/%s (%zu rules%s), enforcing: any other "
			 "system call kills the reader; connection handlers: policy %s, seccomp %s/%s "
			 "(%zu rules), enforcing", pol->ini->file, o.reader_user, o.reader_group,
			 sdir ? sdir : "?", SERVICE, o.reader_filter->n_rules,
			 bh_sandbox_built_with_sanitizer() ? ", with the sanitizer runtime's rules" : "",
			 o.handler_policy->ini->file, sdir ? sdir : "?", HANDLER_SERVICE,
			 o.handler_filter->n_rules);
		free(sdir);
	}
	log_info("listening on %s (group %s, mode %04o, %zu [callers] rules); plugins run as "
		 "%s (%u:%u), those signed \"run_as\": \"libvirt\" as %s (%u:%u, %zu "
		 "supplementary groups), \"run_as\": \"root\" as root; %d actions verified",
		 o.socket_path, o.group, (unsigned)o.socket_mode, o.callers->n, o.plugin_user,
		 (unsigned)o.plugin_uid, (unsigned)o.plugin_gid, o.libvirt_user,
		 (unsigned)o.libvirt_uid, (unsigned)o.libvirt_gid, o.n_libvirt_groups, nplugins);
	pol = bh_policy_free(pol);

	accept_loop(&o, lfd);
	log_info("terminating");
	unlink(o.socket_path);
	close(lfd);
	free(o.socket_path);
	free(o.actions_dir);
	free(o.keys_dir);
	free(o.state_dir);
	bh_seccomp_free(o.reader_filter);
	bh_seccomp_free(o.handler_filter);
	bh_policy_free(o.handler_policy);
	free(o.callers);
	return 0;
}

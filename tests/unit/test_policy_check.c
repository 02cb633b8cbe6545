/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: blockhost-policy-check --actions-dir (the root agent's whole privileged
 * surface in policy/actions/): every action needs a manifest and a source, and the
 * table shows each action's run_as and capabilities.  Runs the built program on small
 * trees made here and on the real tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

static char bin[256], tmp[64];

static int setup(void **state)
{
	(void)state;
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	snprintf(bin, sizeof(bin), "%s/bin/blockhost-policy-check", build);
	snprintf(tmp, sizeof(tmp), "/tmp/bh-pca.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *name, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", tmp, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Run the check with argv (after the program name); output in out. */
static int run(const char *const *args, char *out, size_t outlen)
{
	char tmpl[] = "/tmp/bh-pco.XXXXXX";
	int fd = mkstemp(tmpl), st;
	const char *argv[64] = { bin };
	size_t n = 1;

	assert_true(fd >= 0);
	unlink(tmpl);
	for (; args[n - 1] && n < 63; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	ssize_t k = pread(fd, out, outlen - 1, 0);
	out[k > 0 ? k : 0] = '\0';
	close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define MANIFEST(name, extra) \
	"{\"format\":1,\"action\":\"" name "\",\"run_as\":\"plugin\",\"capabilities\":[" extra "]," \
	"\"params\":{}}\n"
#define MANIFEST_ROOT(name, extra) \
	"{\"format\":1,\"action\":\"" name "\",\"run_as\":\"root\",\"root_equivalent\":\"test: " \
	"changes uid\",\"capabilities\":[" extra "],\"params\":{}}\n"

static void test_actions_tree(void **state)
{
	(void)state;
	char out[8192], a[256], s1[256], s2[256], s3[256];

	if (access(bin, X_OK) != 0) {
		print_message("skipping: %s not built\n", bin);
		skip();
	}
	assert_int_equal(mkdir(strcat(strcpy(a, tmp), "/actions"), 0755), 0);
	assert_int_equal(mkdir(strcat(strcpy(s1, tmp), "/src"), 0755), 0);
	put("actions/net.manifest.in", MANIFEST("net", "\"net_admin\""));
	put("actions/vm.manifest.in", MANIFEST_ROOT("vm", "\"setuid\",\"setgid\""));
	put("src/net.c", "");
	put("src/vm.c", "");
	snprintf(s1, sizeof(s1), "%s/src/net.c", tmp);
	snprintf(s2, sizeof(s2), "%s/src/vm.c", tmp);
	snprintf(s3, sizeof(s3), "%s/src/orphan.c", tmp);

	const char *ok[] = { "--policy-dir", "policy", "--seccomp-dir", "seccomp", "-q",
			     "--actions-dir", a, "--action-source", s1, "--action-source", s2, NULL };
	assert_int_equal(run(ok, out, sizeof(out)), 0);
	/* -q: no table; without it, one row per action with run_as, setid and caps */
	const char *table[] = { "--policy-dir", "policy", "--seccomp-dir", "seccomp",
				"--actions-dir", a, "--action-source", s1, "--action-source", s2,
				NULL };
	assert_int_equal(run(table, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "net                    plugin  -     -       net_admin"));
	assert_non_null(strstr(out, "vm                     root    YES   YES     setuid,setgid"));
	assert_non_null(strstr(out, "2 actions in"));
	assert_non_null(strstr(out, "1 run as root, 1 may change uid/gid (setuid/setgid), 1 root-equivalent"));

	/* no hidden root: run_as is required; root-equivalent needs its reason, and only it */
	put("actions/vm.manifest.in", "{\"format\":1,\"action\":\"vm\",\"capabilities\":[\"setuid\"]}");
	assert_int_equal(run(ok, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "\"run_as\" missing (required"));
	put("actions/vm.manifest.in", MANIFEST("vm", "\"setuid\",\"setgid\""));
	assert_int_equal(run(ok, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "root-equivalent (run_as plugin, capabilities setuid,setgid) but no"));
	put("actions/vm.manifest.in", "{\"format\":1,\"action\":\"vm\",\"run_as\":\"root\",\"capabilities\":[]}");
	assert_int_equal(run(ok, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "root-equivalent (run_as root, capabilities none) but no"));
	put("actions/vm.manifest.in", "{\"format\":1,\"action\":\"vm\",\"run_as\":\"plugin\","
	    "\"root_equivalent\":\"no reason\",\"capabilities\":[\"net_admin\"]}");
	assert_int_equal(run(ok, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "\"root_equivalent\" given, but it is not root-equivalent"));
	put("actions/vm.manifest.in", MANIFEST_ROOT("vm", "\"setuid\",\"setgid\""));

	/* a source without a manifest */
	put("src/orphan.c", "");
	const char *orphan[] = { "--policy-dir", "policy", "--seccomp-dir", "seccomp", "-q",
				 "--actions-dir", a, "--action-source", s1, "--action-source", s2,
				 "--action-source", s3, NULL };
	assert_int_equal(run(orphan, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "action orphan has no manifest"));

	/* a manifest without a source */
	const char *nosrc[] = { "--policy-dir", "policy", "--seccomp-dir", "seccomp", "-q",
				"--actions-dir", a, "--action-source", s1, NULL };
	assert_int_equal(run(nosrc, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "vm.manifest.in: no source for action vm"));

	/* a manifest for another action than its file name, and one that is not JSON */
	put("actions/vm.manifest.in", MANIFEST("other", ""));
	assert_int_equal(run(ok, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "\"action\" must be \"vm\""));
	put("actions/vm.manifest.in", "{\"action\":\"vm\",\"action\":\"vm\"}");
	assert_int_equal(run(ok, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "not a strict JSON object"));
}

/* The real tree: every action of every component, manifests in policy/actions/. */
static void test_real_tree(void **state)
{
	(void)state;
	char out[16384];
	const char *args[64] = { "--policy-dir", "policy", "--seccomp-dir", "seccomp",
				 "--actions-dir", "policy/actions" };
	size_t n = 6;
	glob_t g;

	if (access(bin, X_OK) != 0)
		skip();
	assert_int_equal(glob("src/agent/actions/*.c", 0, NULL, &g), 0);
	assert_int_equal(glob("src/prov/actions/*.c", GLOB_APPEND, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc && n < 61; i++) {
		const char *b = strrchr(g.gl_pathv[i], '/') + 1;
		/* helpers linked into the plugins, not actions (the module.mk lists) */
		if (!strcmp(b, "common.c") || !strcmp(b, "act.c") || !strcmp(b, "ga.c"))
			continue;
		args[n++] = "--action-source";
		args[n++] = g.gl_pathv[i];
	}
	args[n] = NULL;
	int rc = run(args, out, sizeof(out));
	if (rc != 0)
		fail_msg("policy-check on the real tree: exit %d\n%s", rc, out);
	assert_non_null(strstr(out, "addressbook-save       root"));
	/* the libvirt actions run as the agent's [libvirt] user, with nothing root-equivalent */
	assert_non_null(strstr(out, "domain-define          libvirt -     -       none"));
	assert_non_null(strstr(out, "1 run as root, 0 may change uid/gid (setuid/setgid), 1 root-equivalent"));
	assert_non_null(strstr(out, "src/prov/actions/domain-define.c"));

	/* policy/README.md's tables are --table's output, between its two markers */
	static char tab[65536], readme[131072];
	args[n++] = "--table";
	args[n] = NULL;
	rc = run(args, tab, sizeof(tab));
	globfree(&g);
	if (rc != 0)
		fail_msg("policy-check --table: exit %d\n%s", rc, tab);
	FILE *f = fopen("policy/README.md", "r");
	assert_non_null(f);
	size_t k = fread(readme, 1, sizeof(readme) - 1, f);
	fclose(f);
	readme[k] = '\0';
	static const char begin[] = "<!-- begin: blockhost-policy-check --table (make policy-table) -->\n",
			  end[] = "<!-- end: blockhost-policy-check --table -->";
	char *b = strstr(readme, begin), *e = b ? strstr(b, end) : NULL;
	if (!b || !e)
		fail_msg("policy/README.md has no '%s' ... '%s' block", begin, end);
	b += strlen(begin);
	*e = '\0';
	if (strcmp(b, tab) != 0)
		fail_msg("policy/README.md's tables differ from blockhost-policy-check --table; "
			 "run `make policy-table` and commit the result.\n--- README:\n%s\n--- "
			 "--table:\n%s", b, tab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_actions_tree),
		cmocka_unit_test(test_real_tree),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

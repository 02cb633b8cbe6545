/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: policy and seccomp parsers (error paths name file:line), the real
 * policy/ and seccomp/ trees, blockhost-policy-check on broken fixtures, and real
 * behaviour in forked children: a call left out of the filter kills with SIGSYS,
 * argument filters hold, debug mode logs instead of killing, dropped capabilities
 * cannot be used (root only), identity switch keeps only the policy's caps (root only).
 *
 * Run from the top of the tree (make check does); BUILD names the build dir.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strutil.h"
#include "sandbox/policy.h"
#include "sandbox/sandbox.h"

#define TREE_POLICY "policy"
#define TREE_SECCOMP "seccomp"

/* ---------------------------------------------------------------- helpers */
static int parse_policy_str(const char *s, struct bh_policy **ret, struct bh_msg *m)
{
	return bh_policy_parse(s, strlen(s), "t.policy", "test-svc", ret, m);
}

/* include callback: files from the tree's seccomp/ */
static int tree_include(void *ctx, const char *name, struct bh_buf *out)
{
	char path[256];
	(void)ctx;
	snprintf(path, sizeof(path), "%s/%s", TREE_SECCOMP, name);
	return bh_buf_load_file(out, path);
}

/* include callback: in-memory files given as a NULL-terminated name/content array */
static int mem_include(void *ctx, const char *name, struct bh_buf *out)
{
	const char *const *files = ctx;
	for (size_t i = 0; files[i]; i += 2)
		if (strcmp(files[i], name) == 0)
			return bh_buf_put(out, files[i + 1], strlen(files[i + 1]));
	return -ENOENT;
}

static int parse_sc(const char *s, unsigned flags, const char *const *files, struct bh_seccomp **ret,
		    struct bh_msg *m)
{
	return bh_seccomp_parse(s, strlen(s), "t.sc", flags, files ? mem_include : NULL,
				(void *)(uintptr_t)files, ret, m);
}

static void expect_policy_err(const char *text, int code, const char *needle)
{
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	int r = parse_policy_str(text, &p, &m);
	if (r != code || !strstr(m.text, needle))
		fail_msg("policy: got %d '%s', wanted %d containing '%s'", r, m.text, code, needle);
	assert_null(p);
}

static void expect_sc_err(const char *text, const char *const *files, const char *needle)
{
	struct bh_msg m = { "" };
	struct bh_seccomp *sc = NULL;
	int r = parse_sc(text, 0, files, &sc, &m);
	if (r >= 0 || !strstr(m.text, needle))
		fail_msg("seccomp: got %d '%s', wanted an error containing '%s'", r, m.text, needle);
	assert_null(sc);
}

static const char good_policy[] =
	"# test\n"
	"[identity]\n"
	"user = blockhost\n"
	"group = blockhost\n"
	"supplementary_groups = tss, kvm   # two\n"
	"\n"
	"[capabilities]\n"
	"keep = CAP_NET_ADMIN,CAP_NET_BIND_SERVICE\n"
	"[limits]\n"
	"core = 0\n"
	"nofile = 256:1024\n"
	"memlock = 16M\n"
	"fsize = unlimited\n"
	"[process]\n"
	"no_new_privs = yes\n"
	"dumpable = no\n"
	"[socket]\n"
	"allow = sign uid=1000\n"
	"allow = decrypt gid=blockhost\n";

/* ---------------------------------------------------------------- INI / policy */
static void test_policy_good(void **state)
{
	(void)state;
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	const struct bh_ini_section *sec;
	const char *v;

	assert_int_equal(parse_policy_str(good_policy, &p, &m), 0);
	assert_string_equal(p->service, "test-svc");
	assert_string_equal(p->user, "blockhost");
	assert_string_equal(p->group, "blockhost");
	assert_int_equal(p->n_groups, 2);
	assert_string_equal(p->groups[0], "tss");
	assert_string_equal(p->groups[1], "kvm");
	assert_true(p->caps == ((UINT64_C(1) << CAP_NET_ADMIN) | (UINT64_C(1) << CAP_NET_BIND_SERVICE)));
	assert_true(p->limits[RLIMIT_CORE].set && p->limits[RLIMIT_CORE].hard == 0);
	assert_true(p->limits[RLIMIT_NOFILE].soft == 256 && p->limits[RLIMIT_NOFILE].hard == 1024);
	assert_true(p->limits[RLIMIT_MEMLOCK].soft == 16u * 1024 * 1024);
	assert_true(p->limits[RLIMIT_FSIZE].hard == RLIM_INFINITY);
	assert_false(p->limits[RLIMIT_NPROC].set);
	assert_true(p->no_new_privs);
	assert_false(p->dumpable);
	/* a component's own section is preserved, repeated keys included */
	assert_non_null(sec = bh_policy_section(p, "socket"));
	assert_int_equal(sec->n_entries, 2);
	assert_string_equal(sec->entries[1].value, "decrypt gid=blockhost");
	assert_int_equal(sec->entries[1].line, 19);
	assert_int_equal(bh_ini_get(p->ini, sec, "allow", &v, &m), BH_ERR_DUPLICATE);
	assert_non_null(strstr(m.text, "t.policy:19:"));
	assert_int_equal(bh_ini_get(p->ini, sec, "deny", &v, &m), BH_ERR_MISSING_KEY);
	assert_null(bh_policy_section(p, "transactions"));
	bh_policy_free(p);
	bh_policy_free(NULL);
	bh_ini_free(NULL);
}

static void test_ini_errors(void **state)
{
	(void)state;
	struct bh_msg m = { "" };
	struct bh_ini *ini = NULL;
	char big[BH_POLICY_FILE_MAX + 2];

	expect_policy_err("key = v\n", BH_ERR_FORMAT, "t.policy:1: 'key = value' before any");
	expect_policy_err("\n\n[identity\n", BH_ERR_FORMAT, "t.policy:3: malformed section");
	expect_policy_err("[Identity]\n", BH_ERR_FORMAT, "t.policy:1: malformed section");
	expect_policy_err("[a]\n[b]\n[a]\n", BH_ERR_DUPLICATE, "t.policy:3: section [a] already started at line 1");
	expect_policy_err("[a]\njust words\n", BH_ERR_FORMAT, "t.policy:2: expected 'key = value'");
	expect_policy_err("[a]\nKey = 1\n", BH_ERR_FORMAT, "t.policy:2: invalid key");
	expect_policy_err("[a]\n = 1\n", BH_ERR_FORMAT, "t.policy:2: invalid key");
	expect_policy_err("[a]\nk = caf\xc3\xa9\n", BH_ERR_FORMAT, "t.policy:2: non-ASCII");
	expect_policy_err("[a]\nk = a\x01" "b\n", BH_ERR_FORMAT, "t.policy:2: control character");
	/* NUL byte */
	assert_int_equal(bh_ini_parse("[a]\nk = \0x\n", 11, "n.policy", &ini, &m), BH_ERR_NUL);
	assert_non_null(strstr(m.text, "n.policy:2: NUL"));
	/* long line */
	memset(big, 'a', sizeof(big));
	memcpy(big, "[a]\nk = ", 8);
	assert_int_equal(bh_ini_parse(big, 2000, "l.policy", &ini, &m), BH_ERR_LIMIT);
	assert_non_null(strstr(m.text, "l.policy:2: line longer"));
	/* file cap */
	assert_int_equal(bh_ini_parse(big, sizeof(big), "b.policy", &ini, &m), BH_ERR_LIMIT);
	assert_null(ini);
	/* empty file and comments only: valid INI with no sections */
	assert_int_equal(bh_ini_parse("# only\n\n   \n", 12, "e", &ini, &m), 0);
	assert_int_equal(ini->n_sections, 0);
	ini = bh_ini_free(ini);
	/* sections without entries (fuzz regression: no NULL+offset) */
	assert_int_equal(bh_ini_parse("[a]\n[b]\n", 8, "s", &ini, &m), 0);
	assert_int_equal(ini->n_sections, 2);
	assert_int_equal(ini->sections[1].n_entries, 0);
	ini = bh_ini_free(ini);
	/* no trailing newline, CRLF tolerated */
	assert_int_equal(bh_ini_parse("[a]\r\nk = v\r\nz=1", 15, "c", &ini, &m), 0);
	assert_string_equal(ini->sections[0].entries[0].value, "v");
	assert_string_equal(ini->sections[0].entries[1].value, "1");
	ini = bh_ini_free(ini);
}

static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	assert_non_null(at);
	char *out = malloc(strlen(text) + strlen(to) + 1);
	assert_non_null(out);
	size_t pre = (size_t)(at - text);
	memcpy(out, text, pre);
	strcpy(out + pre, to);
	strcat(out, at + strlen(from));
	return out;
}

static void expect_variant(const char *from, const char *to, int code, const char *needle)
{
	char *t = replace(good_policy, from, to);
	expect_policy_err(t, code, needle);
	free(t);
}

static void test_policy_errors(void **state)
{
	(void)state;
	expect_variant("[process]\nno_new_privs = yes\ndumpable = no\n", "", BH_ERR_CONFIG,
		       "missing section [process]");
	expect_variant("[identity]\n", "[identiti]\n", BH_ERR_CONFIG, "missing section [identity]");
	expect_variant("user = blockhost\n", "", BH_ERR_MISSING_KEY, "t.policy:2: [identity] has no 'user'");
	expect_variant("user = blockhost\n", "user = Block Host\n", BH_ERR_FORMAT, "t.policy:3: user: invalid name");
	expect_variant("group = blockhost\n", "group = blockhost\nshell = /bin/sh\n", BH_ERR_CONFIG,
		       "t.policy:5: unknown key 'shell' in [identity]");
	expect_variant("user = blockhost\n", "user = a\nuser = b\n", BH_ERR_DUPLICATE,
		       "t.policy:4: 'user' already set in [identity] at line 3");
	expect_variant("tss, kvm", "tss,,kvm", BH_ERR_FORMAT, "t.policy:5: empty item in supplementary_groups");
	expect_variant("tss, kvm", "tss, tss", BH_ERR_DUPLICATE, "t.policy:5: group 'tss' listed twice");
	expect_variant("tss, kvm", "tss, 9x", BH_ERR_FORMAT, "t.policy:5: invalid group name '9x'");
	expect_variant("CAP_NET_ADMIN,", "CAP_NET_ADMINS,", BH_ERR_FORMAT,
		       "t.policy:8: unknown capability 'CAP_NET_ADMINS'");
	expect_variant("CAP_NET_ADMIN,", "cap_net_admin,", BH_ERR_FORMAT, "unknown capability 'cap_net_admin'");
	expect_variant("CAP_NET_ADMIN,", "CAP_NET_BIND_SERVICE,", BH_ERR_DUPLICATE,
		       "t.policy:8: CAP_NET_BIND_SERVICE listed twice");
	expect_variant("CAP_NET_ADMIN,CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN,", BH_ERR_FORMAT,
		       "t.policy:8: empty item in keep");
	expect_variant("keep = CAP_NET_ADMIN,CAP_NET_BIND_SERVICE\n", "", BH_ERR_MISSING_KEY,
		       "[capabilities] has no 'keep'");
	expect_variant("core = 0\n", "cores = 0\n", BH_ERR_CONFIG, "t.policy:10: unknown limit 'cores'");
	expect_variant("core = 0\n", "core = 0\ncore = 1\n", BH_ERR_DUPLICATE,
		       "t.policy:11: 'core' already set in [limits] at line 10");
	expect_variant("256:1024", "1024:256", BH_ERR_RANGE, "t.policy:11: nofile: soft limit above hard");
	expect_variant("16M", "16T", BH_ERR_FORMAT, "t.policy:12: memlock: expected N");
	expect_variant("16M", "-1", BH_ERR_FORMAT, "t.policy:12: memlock: expected N");
	expect_variant("16M", "", BH_ERR_FORMAT, "t.policy:12: memlock: expected N");
	expect_variant("16M", "99999999999999999999", BH_ERR_FORMAT, "memlock: expected N");
	expect_variant("16M", "17179869184G", BH_ERR_RANGE, "memlock: expected N");
	expect_variant("no_new_privs = yes", "no_new_privs = no", BH_ERR_CONFIG,
		       "t.policy:15: no_new_privs must be yes");
	expect_variant("no_new_privs = yes\n", "", BH_ERR_MISSING_KEY, "[process] has no 'no_new_privs'");
	expect_variant("dumpable = no", "dumpable = maybe", BH_ERR_FORMAT,
		       "t.policy:16: dumpable: expected yes, no, true or false, got 'maybe'");
	expect_variant("dumpable = no", "dumpable = no\ncoredump = no", BH_ERR_CONFIG,
		       "t.policy:17: unknown key 'coredump' in [process]");

	/* invalid service names never reach the file system */
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	assert_int_equal(bh_policy_load(TREE_POLICY, "../etc/passwd", &p, &m), -EINVAL);
	assert_int_equal(bh_policy_load(TREE_POLICY, "Engine", &p, &m), -EINVAL);
	assert_int_equal(bh_policy_load(TREE_POLICY, "no-such-service", &p, &m), -ENOENT);
	assert_non_null(strstr(m.text, "no-such-service.policy: cannot read"));
	assert_false(bh_name_valid("", BH_NAME_SERVICE));
	assert_false(bh_name_valid("-x", BH_NAME_SERVICE));
	assert_true(bh_name_valid("web3-auth-svc", BH_NAME_SERVICE));
}

/* The one boolean of the INI format: yes/no/true/false, lower case, nothing else. */
static void test_ini_bool(void **state)
{
	static const char *const bad[] = { "", "Yes", "YES", "TRUE", "True", "1", "0", "on", "off",
					   "y", "n", "yes ", " no", "yess", "truefalse", NULL };
	struct bh_msg m = { "" };
	bool v;

	(void)state;
	v = false;
	assert_int_equal(bh_ini_bool("yes", &v, &m), 0);
	assert_true(v);
	v = false;
	assert_int_equal(bh_ini_bool("true", &v, &m), 0);
	assert_true(v);
	v = true;
	assert_int_equal(bh_ini_bool("no", &v, &m), 0);
	assert_false(v);
	v = true;
	assert_int_equal(bh_ini_bool("false", &v, NULL), 0);
	assert_false(v);
	for (size_t i = 0; bad[i]; i++) {
		/* *ret untouched on failure, in both directions */
		v = true;
		m.text[0] = '\0';
		assert_int_equal(bh_ini_bool(bad[i], &v, &m), BH_ERR_FORMAT);
		assert_true(v);
		assert_non_null(strstr(m.text, "expected yes, no, true or false"));
		v = false;
		assert_int_equal(bh_ini_bool(bad[i], &v, NULL), BH_ERR_FORMAT);
		assert_false(v);
	}
	assert_int_equal(bh_ini_bool(NULL, &v, &m), BH_ERR_FORMAT);
	/* a policy file accepts the same words */
	char *t = replace(good_policy, "dumpable = no", "dumpable = false");
	struct bh_policy *p = NULL;
	assert_int_equal(bh_policy_parse(t, strlen(t), "t.policy", NULL, &p, &m), 0);
	assert_false(p->dumpable);
	p = bh_policy_free(p);
	free(t);
	t = replace(good_policy, "no_new_privs = yes", "no_new_privs = true");
	assert_int_equal(bh_policy_parse(t, strlen(t), "t.policy", NULL, &p, &m), 0);
	assert_true(p->no_new_privs);
	p = bh_policy_free(p);
	free(t);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(bh_cap_from_name("CAP_CHOWN"), CAP_CHOWN);
	assert_int_equal(bh_cap_from_name("CAP_NET_BIND_SERVICE"), CAP_NET_BIND_SERVICE);
	assert_int_equal(bh_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(bh_cap_from_name("CAP_NOPE"), -1);
	assert_string_equal(bh_cap_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
	assert_null(bh_cap_name(64));
	assert_null(bh_cap_name(-1));
	assert_int_equal(bh_rlimit_from_name("nofile"), RLIMIT_NOFILE);
	assert_int_equal(bh_rlimit_from_name("files"), -1);
	assert_string_equal(bh_rlimit_name(RLIMIT_CORE), "core");
}

/* Every file in the tree's policy/ and seccomp/ parses (both filter views). */
static void test_tree_files(void **state)
{
	(void)state;
	static const char *const services[] = {
		"blockhost-root-agent", "blockhost-keystore", "blockhost-engine",
		"blockhost-provisioner", "web3-auth-svc", "blockhost-wizard",
	};
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		struct bh_msg m = { "" };
		struct bh_policy *p = NULL;
		struct bh_seccomp *sc = NULL;
		if (bh_policy_load(TREE_POLICY, services[i], &p, &m) < 0)
			fail_msg("%s", m.text);
		assert_true(p->no_new_privs);
		assert_true(p->limits[RLIMIT_CORE].set && p->limits[RLIMIT_CORE].hard == 0);
		bh_policy_free(p);
		for (unsigned f = 0; f < 2; f++) {
			if (bh_seccomp_load(TREE_SECCOMP, services[i], f ? BH_SECCOMP_SANITIZER : 0, &sc,
					    &m) < 0)
				fail_msg("%s", m.text);
			assert_true(sc->n_rules > 30);
			sc = bh_seccomp_free(sc);
		}
	}
	/* only the wizard may bind low ports, only the root agent administers the network */
	struct bh_policy *p = NULL;
	assert_int_equal(bh_policy_load(TREE_POLICY, "blockhost-wizard", &p, NULL), 0);
	assert_true(p->caps == (UINT64_C(1) << CAP_NET_BIND_SERVICE));
	p = bh_policy_free(p);
	assert_int_equal(bh_policy_load(TREE_POLICY, "blockhost-keystore", &p, NULL), 0);
	assert_true(p->caps == 0);
	assert_false(p->dumpable);
	p = bh_policy_free(p);
}

/* ---------------------------------------------------------------- seccomp parser */
static void test_seccomp_parse(void **state)
{
	(void)state;
	struct bh_msg m = { "" };
	struct bh_seccomp *sc = NULL;
	const char *text =
		"# comment\n"
		"allow read   # why\n"
		"errno ioctl ENOTTY request=TCGETS\n"
		"allow ioctl request=FIONREAD|FIONBIO\n"
		"allow socket domain=AF_UNIX|AF_INET type&0xf=SOCK_STREAM|SOCK_DGRAM\n"
		"allow mmap prot&PROT_EXEC=0\n"
		"allow kill arg1!=SIGKILL\n"
		"allow prctl option<=0x10 arg1>=1\n"
		"allow madvise advice=MADV_DONTDUMP+0\n";
	char line[256];

	assert_int_equal(parse_sc(text, 0, NULL, &sc, &m), 0);
	assert_int_equal(sc->n_rules, 1 + 1 + 2 + 4 + 1 + 1 + 1 + 1);
	assert_string_equal(sc->rules[0].name, "read");
	assert_int_equal(sc->rules[0].nr, 0);
	assert_int_equal(sc->rules[0].line, 2);
	assert_int_equal(sc->rules[1].action, BH_SECCOMP_ERRNO);
	assert_int_equal(sc->rules[1].err, ENOTTY);
	assert_int_equal(sc->rules[1].conds[0].arg, 1);
	/* socket: 2 x 2 expansion, both conditions on each rule */
	const struct bh_seccomp_rule *s0 = &sc->rules[4];
	assert_string_equal(s0->name, "socket");
	assert_int_equal(s0->n_conds, 2);
	assert_true(s0->conds[0].a == AF_UNIX);
	assert_true(s0->conds[1].a == 0xf && s0->conds[1].b == SOCK_STREAM);
	assert_true(sc->rules[7].conds[0].a == AF_INET && sc->rules[7].conds[1].b == SOCK_DGRAM);
	assert_true(sc->rules[8].conds[0].a == PROT_EXEC && sc->rules[8].conds[0].b == 0);
	assert_string_equal(sc->rules[8].file, "t.sc");
	bh_seccomp_rule_format(&sc->rules[8], line, sizeof(line));
	assert_string_equal(line, "allow mmap prot&0x4=0x0    # t.sc:6");
	bh_seccomp_rule_format(&sc->rules[1], line, sizeof(line));
	assert_string_equal(line, "errno ioctl ENOTTY request=0x5401    # t.sc:3");
	bh_seccomp_rule_format(&sc->rules[9], line, 10); /* truncation is safe */
	assert_int_equal(strlen(line), 9);
	sc = bh_seccomp_free(sc);
	bh_seccomp_free(NULL);
}

static void test_seccomp_errors(void **state)
{
	(void)state;
	expect_sc_err("allow read\nallow frobnicate\n", NULL, "t.sc:2: unknown syscall 'frobnicate'");
	expect_sc_err("allow READ\n", NULL, "t.sc:1: unknown syscall 'READ'");
	expect_sc_err("allow socketcall\n", NULL, "t.sc:1: unknown syscall 'socketcall'"); /* i386 only */
	expect_sc_err("\npermit read\n", NULL, "t.sc:2: unknown directive 'permit'");
	expect_sc_err("allow\n", NULL, "t.sc:1: expected 'allow <syscall>");
	expect_sc_err("errno read\n", NULL, "t.sc:1: expected 'errno <syscall> <ERRNAME>");
	expect_sc_err("errno read EWHAT\n", NULL, "t.sc:1: unknown errno name 'EWHAT'");
	expect_sc_err("allow socket family=AF_UNIX\n", NULL, "t.sc:1: socket has no argument named 'family'");
	expect_sc_err("allow read prot=1\n", NULL, "t.sc:1: read has no argument named 'prot'");
	expect_sc_err("allow read arg6=1\n", NULL, "has no argument named 'arg6'");
	expect_sc_err("allow socket domain=AF_UNICORN\n", NULL, "t.sc:1: 'domain=AF_UNICORN': unknown constant");
	expect_sc_err("allow socket domain=0x\n", NULL, "malformed value");
	expect_sc_err("allow socket domain=0x10000000000000000\n", NULL, "number out of range");
	expect_sc_err("allow socket domain=99999999999999999999\n", NULL, "number out of range");
	expect_sc_err("allow socket domain=\n", NULL, "malformed value");
	expect_sc_err("allow socket domain=1|\n", NULL, "malformed value");
	expect_sc_err("allow socket domain\n", NULL, "malformed condition");
	expect_sc_err("allow socket domain~1\n", NULL, "unknown operator");
	expect_sc_err("allow socket domain!=1|2\n", NULL, "only allowed with = and &MASK=");
	expect_sc_err("allow mmap prot&PROT_EXEC\n", NULL, "expected ARG&MASK=VALUE");
	expect_sc_err("allow mmap prot&PROT_EXEC=PROT_READ\n", NULL, "bits outside the mask");
	expect_sc_err("allow socket domain=1 domain=2\n", NULL, "t.sc:1: argument 0 is tested twice");
	expect_sc_err("allow socket arg0=1 arg1=1 arg2=1 arg3=1 arg4=1 arg5=1 arg0=2\n", NULL,
		      "more than 6 conditions");
	expect_sc_err("allow socket domain=1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16|17\n", NULL,
		      "more than 16 alternatives");
	expect_sc_err("allow a b c d e f g h i j k\n", NULL, "too many words");
	/* libseccomp would silently resolve these; the parser refuses */
	expect_sc_err("allow read\nallow read\n", NULL, "t.sc:2: duplicate rule for read (first at t.sc:1)");
	expect_sc_err("allow read arg0=1\nallow read\n", NULL, "t.sc:2: read already has a rule at t.sc:1");
	expect_sc_err("allow read\nerrno read EPERM arg0=1\n", NULL, "t.sc:2: read already has a rule at t.sc:1");
	expect_sc_err("allow read\nerrno read EPERM\n", NULL, "already has a rule");
	expect_sc_err("allow read arg0=1\nallow read arg0=1\n", NULL, "t.sc:2: duplicate rule for read");
	/* conditional alternatives with different actions are fine */
	struct bh_seccomp *sc = NULL;
	assert_int_equal(parse_sc("allow socket domain=AF_UNIX\nerrno socket EAFNOSUPPORT domain=AF_INET6\n",
				  0, NULL, &sc, NULL), 0);
	sc = bh_seccomp_free(sc);
	/* NUL and long lines */
	struct bh_msg m = { "" };
	assert_int_equal(bh_seccomp_parse("allow read\n\0", 12, "n.sc", 0, NULL, NULL, &sc, &m), BH_ERR_NUL);
	assert_non_null(strstr(m.text, "n.sc:2: NUL"));
	char big[2048];
	memset(big, ' ', sizeof(big));
	assert_int_equal(bh_seccomp_parse(big, sizeof(big), "l.sc", 0, NULL, NULL, &sc, &m), BH_ERR_LIMIT);
	assert_non_null(strstr(m.text, "l.sc:1: line longer"));
	assert_null(sc);
	/* rule cap after expansion */
	char *many = malloc(64 * 1024);
	assert_non_null(many);
	size_t off = 0;
	for (int i = 0; i < 300; i++)
		off += (size_t)sprintf(many + off, "allow socket domain=1|2|3|4 type=%d|2|3|4\n", i + 100);
	assert_int_equal(bh_seccomp_parse(many, off, "m.sc", 0, NULL, NULL, &sc, &m), BH_ERR_LIMIT);
	assert_non_null(strstr(m.text, "more than 4096 rules"));
	free(many);
}

static void test_seccomp_include(void **state)
{
	(void)state;
	struct bh_msg m = { "" };
	struct bh_seccomp *sc = NULL;
	static const char *const files[] = {
		"base.inc", "allow read\nallow write\ninclude-sanitizer san.inc\n",
		"san.inc", "allow openat\nallow madvise\n",
		"loop.inc", "include loop2.inc\n",
		"loop2.inc", "include loop.inc\n",
		"bad.inc", "allow read\n\nallow nosuchcall\n",
		"d1", "include d2\n", "d2", "include d3\n", "d3", "include d4\n",
		"d4", "include d5\n", "d5", "allow read\n",
		NULL,
	};

	/* production view: the sanitizer include is skipped (but its name checked) */
	assert_int_equal(parse_sc("include base.inc\nallow openat flags=0\n", 0, files, &sc, &m), 0);
	assert_int_equal(sc->n_rules, 3);
	assert_string_equal(sc->rules[0].file, "base.inc");
	assert_int_equal(sc->rules[1].line, 2);
	sc = bh_seccomp_free(sc);
	/* sanitizer view: the unconditional sanitizer openat replaces the narrower rule */
	assert_int_equal(parse_sc("include base.inc\nallow openat flags=0\n", BH_SECCOMP_SANITIZER, files,
				  &sc, &m), 0);
	assert_int_equal(sc->n_rules, 5);
	for (size_t i = 0; i < sc->n_rules; i++) {
		if (strcmp(sc->rules[i].name, "openat") == 0)
			assert_true(sc->rules[i].sanitizer != sc->rules[i].dropped);
		else
			assert_false(sc->rules[i].dropped);
	}
	sc = bh_seccomp_free(sc);
	/* ... and a sanitizer rule already covered by a production allow is dropped */
	assert_int_equal(parse_sc("include base.inc\nallow openat\n", BH_SECCOMP_SANITIZER, files, &sc, &m), 0);
	for (size_t i = 0; i < sc->n_rules; i++)
		if (strcmp(sc->rules[i].name, "openat") == 0)
			assert_true(sc->rules[i].sanitizer == sc->rules[i].dropped);
	sc = bh_seccomp_free(sc);

	expect_sc_err("include base.inc\nallow read\n", files, "t.sc:2: duplicate rule for read (first at base.inc:1)");
	expect_sc_err("\ninclude bad.inc\n", files, "bad.inc:3: unknown syscall 'nosuchcall'");
	expect_sc_err("include missing.inc\n", files, "t.sc:1: include missing.inc: No such file");
	expect_sc_err("include loop.inc\n", files, "loop2.inc:1: include loop.inc: includes itself");
	expect_sc_err("include t.sc\n", files, "t.sc:1: include t.sc: includes itself");
	expect_sc_err("include d1\n", files, "nested more than 4 deep");
	expect_sc_err("include ../base.inc\n", files, "t.sc:1: include '../base.inc': file names are");
	expect_sc_err("include /etc/passwd\n", files, "file names are");
	expect_sc_err("include ..\n", files, "file names are");
	expect_sc_err("include-sanitizer a/b\n", files, "file names are");
	expect_sc_err("include\n", files, "t.sc:1: expected 'include <file>'");
	expect_sc_err("include base.inc\n", NULL, "includes are not available");
}

/* ---------------------------------------------------------------- behaviour (forked children) */
static struct bh_seccomp *tree_filter(const char *text, unsigned flags)
{
	struct bh_msg m = { "" };
	struct bh_seccomp *sc = NULL;
	if (bh_sandbox_built_with_sanitizer())
		flags |= BH_SECCOMP_SANITIZER;
	if (bh_seccomp_parse(text, strlen(text), "test-filter", flags, tree_include, NULL, &sc, &m) < 0)
		fail_msg("%s", m.text);
	return sc;
}

/* Run fn in a child under sc (installed with flags); returns the wait status. */
static int run_filtered(const struct bh_seccomp *sc, unsigned flags, int (*fn)(void), int errfd)
{
	pid_t pid = fork();
	int st = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60); /* a child stuck under a filter must not hang the suite */
		struct bh_msg m = { "" };
		if (errfd >= 0)
			dup2(errfd, STDERR_FILENO);
		if (bh_seccomp_install(sc, flags, &m) < 0) {
			dprintf(STDERR_FILENO, "install: %s\n", m.text);
			_exit(100);
		}
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static int call_getpid(void) { return syscall(SYS_getpid) > 0 ? 0 : 1; }
/* getpgrp: in no filter (getppid would do, but the sanitizer runtime needs it) */
static int call_getpgrp(void) { return syscall(SYS_getpgrp) > 0 ? 0 : 1; }
static int call_getpgrp_enosys(void)
{
	long r = syscall(SYS_getpgrp);
	return r == -1 && errno == ENOSYS ? 0 : 3;
}
static int call_mkdir(void) { (void)mkdir("/nonexistent-bh/x", 0700); return 0; }
/* base.inc's tgkill: SIGABRT to itself only (arg0=SELF) */
static pid_t victim;
static int call_abort_other(void) { (void)syscall(SYS_tgkill, victim, victim, SIGABRT); return 0; }
static int call_abort_self(void) { (void)syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGABRT); return 3; }
static int call_unix_socket(void) { return socket(AF_UNIX, SOCK_STREAM, 0) >= 0 ? 0 : 2; }
static int call_inet_socket(void) { (void)socket(AF_INET, SOCK_STREAM, 0); return 0; }
static int call_mmap_rw(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p != MAP_FAILED ? 0 : 2;
}
static int call_mprotect_exec(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 2;
	(void)mprotect(p, 4096, PROT_READ | PROT_EXEC);
	return 0;
}
static int call_mmap_exec(void)
{
	(void)mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 0;
}
static int call_errno_rule(void)
{
	/* base.inc: `errno ioctl ENOTTY request=TCGETS` -> isatty() says no, no kill */
	return !isatty(STDIN_FILENO) && errno == ENOTTY ? 0 : 4;
}

/* other ABIs: x32 numbering and the i386 int 0x80 entry both end in a kill */
static int call_x32_getpid(void) { (void)syscall(0x40000000 | SYS_getpid); return 0; }
static int call_i386_getpid(void)
{
	long ret = 20; /* __NR_getpid on i386 */
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	return 0;
}

static void expect_sigsys(int st)
{
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
		fail_msg("expected death by SIGSYS, got %s %d", WIFSIGNALED(st) ? "signal" : "exit",
			 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

static void expect_exit0(int st)
{
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("expected exit 0, got %s %d", WIFSIGNALED(st) ? "signal" : "exit",
			 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

static void test_filter_kills(void **state)
{
	(void)state;
	struct bh_seccomp *sc = tree_filter("include base.inc\n", 0);

	expect_exit0(run_filtered(sc, 0, call_getpid, -1));       /* control: allowed call */
	expect_sigsys(run_filtered(sc, 0, call_getpgrp, -1));     /* getpgrp: not in base.inc */
	expect_sigsys(run_filtered(sc, 0, call_mkdir, -1));       /* mkdir: not in base.inc */
	expect_sigsys(run_filtered(sc, 0, call_unix_socket, -1)); /* no socket at all */
	expect_exit0(run_filtered(sc, 0, call_mmap_rw, -1));
	expect_sigsys(run_filtered(sc, 0, call_mprotect_exec, -1));
	expect_sigsys(run_filtered(sc, 0, call_mmap_exec, -1));
	expect_exit0(run_filtered(sc, 0, call_errno_rule, -1));
	expect_sigsys(run_filtered(sc, 0, call_x32_getpid, -1));
	expect_sigsys(run_filtered(sc, 0, call_i386_getpid, -1));
	bh_seccomp_free(sc);

	/* socket domain allowlist */
	sc = tree_filter("include base.inc\nallow socket domain=AF_UNIX\n", 0);
	expect_exit0(run_filtered(sc, 0, call_unix_socket, -1));
	expect_sigsys(run_filtered(sc, 0, call_inet_socket, -1));
	bh_seccomp_free(sc);
	/* signals only to itself: abort() works, SIGABRT to another process kills the sender */
	sc = tree_filter("include base.inc\n", 0);
	int vst;
	if ((victim = fork()) == 0) {
		alarm(20);
		pause();
		_exit(0);
	}
	assert_true(victim > 0);
	expect_sigsys(run_filtered(sc, 0, call_abort_other, -1));
	int st = run_filtered(sc, 0, call_abort_self, -1);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT)
		fail_msg("abort on itself: expected SIGABRT, got %d", st);
	assert_int_equal(kill(victim, 0), 0); /* the victim was not aborted */
	kill(victim, SIGKILL);
	assert_int_equal(waitpid(victim, &vst, 0), victim);
	assert_true(WIFSIGNALED(vst) && WTERMSIG(vst) == SIGKILL);
	bh_seccomp_free(sc);
}

/* BH_SANDBOX_DEBUG outside a debug build: install refuses, nothing is loaded */
static void st_debug_refused(const struct bh_seccomp *sc, struct bh_msg *m)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(99);
		int r = bh_seccomp_install(sc, BH_SANDBOX_DEBUG, m);
		if (r != BH_ERR_UNSUPPORTED || !strstr(m->text, "not a debug build"))
			_exit(1);
		/* and no filter is in place: getpgrp still works */
		_exit(getpgrp() > 0 ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	expect_exit0(st);
}

static void test_filter_debug(void **state)
{
	(void)state;
	struct bh_seccomp *sc = tree_filter("include base.inc\n", 0);
	char tmpl[] = "/tmp/bh-sandbox-dbg.XXXXXX", out[512] = "";
	int fd = mkstemp(tmpl);

	assert_true(fd >= 0);
	unlink(tmpl);
	if (!bh_sandbox_debug_build()) {
		/* not a debug build (make SECCOMP_DEBUG=1): the flag is refused, never honoured
		 * (run_filtered's child exits 100 when the install fails) */
		struct bh_msg m = { "" };
		st_debug_refused(sc, &m);
		close(fd);
		bh_seccomp_free(sc);
		return;
	}
	/* debug build: the call fails with ENOSYS, the child lives, and the name is printed */
	expect_exit0(run_filtered(sc, BH_SANDBOX_DEBUG, call_getpgrp_enosys, fd));
	assert_true(pread(fd, out, sizeof(out) - 1, 0) > 0);
	if (!strstr(out, "disallowed syscall getpgrp (111)"))
		fail_msg("debug output: '%s'", out);
	close(fd);
	bh_seccomp_free(sc);
}

/* bh_sandbox_apply end to end from a temp policy/seccomp dir, incl. the debug env switch */
static char tmpdir[64];

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void copy_tree_file(const char *name)
{
	struct bh_buf b;
	char path[256], *s = NULL;
	bh_buf_init(&b, BH_SECCOMP_FILE_MAX);
	snprintf(path, sizeof(path), "%s/%s", TREE_SECCOMP, name);
	assert_int_equal(bh_buf_load_file(&b, path), 0);
	assert_int_equal(bh_buf_steal_cstr(&b, &s), 0);
	write_file(tmpdir, name, s);
	free(s);
	bh_buf_done(&b);
}

static int setup_tmpdir(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/bh-sandbox.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	copy_tree_file("base.inc");
	copy_tree_file("sanitizer.inc");
	write_file(tmpdir, "test-svc", "include base.inc\n");
	write_file(tmpdir, "test-svc.policy",
		   "[identity]\nuser = nobody\ngroup = nogroup\n[capabilities]\nkeep =\n"
		   "[limits]\ncore = 0\nnofile = 64\n[process]\nno_new_privs = yes\ndumpable = no\n");
	setenv("BLOCKHOST_POLICY_DIR", tmpdir, 1);
	setenv("BLOCKHOST_SECCOMP_DIR", tmpdir, 1);
	return 0;
}

static int teardown_tmpdir(void **state)
{
	(void)state;
	static const char *const names[] = { "base.inc", "sanitizer.inc", "test-svc",
					     "test-svc.policy", "chown-target" };
	char path[256];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	unsetenv("BLOCKHOST_POLICY_DIR");
	unsetenv("BLOCKHOST_SECCOMP_DIR");
	return 0;
}

static int apply_and_getpgrp(unsigned flags)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60); /* a child stuck under a filter must not hang the suite */
		struct bh_msg m = { "" };
		int dn = open("/dev/null", O_WRONLY);
		if (dn >= 0)
			dup2(dn, STDERR_FILENO);
		if (bh_sandbox_apply("test-svc", flags, &m) < 0)
			_exit(100);
		/* only getpgrp from here: prlimit64 and prctl are not in base.inc either */
		_exit(call_getpgrp_enosys());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_apply_debug_env(void **state)
{
	(void)state;
	struct bh_msg m = { "" };

	unsetenv("BLOCKHOST_SECCOMP_DEBUG");
	expect_sigsys(apply_and_getpgrp(0));
	setenv("BLOCKHOST_SECCOMP_DEBUG", "1", 1);
	/* the env var is ignored unless the program allows it */
	expect_sigsys(apply_and_getpgrp(0));
	/* ... and unless this is a debug build (make SECCOMP_DEBUG=1): elsewhere it enforces */
	if (bh_sandbox_debug_build())
		expect_exit0(apply_and_getpgrp(BH_SANDBOX_ALLOW_DEBUG_ENV));
	else
		expect_sigsys(apply_and_getpgrp(BH_SANDBOX_ALLOW_DEBUG_ENV));
	setenv("BLOCKHOST_SECCOMP_DEBUG", "yes", 1); /* only "1" switches it on */
	expect_sigsys(apply_and_getpgrp(BH_SANDBOX_ALLOW_DEBUG_ENV));
	unsetenv("BLOCKHOST_SECCOMP_DEBUG");

	/* parse errors are reported before anything changes (in this process, safely) */
	write_file(tmpdir, "test-svc", "include base.inc\nallow nosuchcall\n");
	assert_int_equal(bh_sandbox_apply("test-svc", 0, &m), BH_ERR_FORMAT);
	assert_non_null(strstr(m.text, "test-svc:2: unknown syscall 'nosuchcall'"));
	assert_int_equal(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	write_file(tmpdir, "test-svc", "include base.inc\n");
	assert_int_equal(bh_sandbox_apply("no-such-svc", 0, &m), -ENOENT);
	assert_non_null(strstr(m.text, "no-such-svc.policy: cannot read"));
}

/* Policy and filter files must be root-owned and not group/world-writable when loaded */
static void test_file_trust(void **state)
{
	(void)state;
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	struct bh_seccomp *sc = NULL;
	char pp[128], sp[128], ip[128];

	if (geteuid() != 0) {
		print_message("skipping: needs root (chown)\n");
		skip();
	}
	snprintf(pp, sizeof(pp), "%s/test-svc.policy", tmpdir);
	snprintf(sp, sizeof(sp), "%s/test-svc", tmpdir);
	snprintf(ip, sizeof(ip), "%s/base.inc", tmpdir);
	assert_int_equal(bh_policy_load(NULL, "test-svc", &p, &m), 0);
	p = bh_policy_free(p);
	assert_int_equal(bh_seccomp_load(NULL, "test-svc", 0, &sc, &m), 0);
	bh_seccomp_free(sc);
	sc = NULL;
	const struct { const char *path; mode_t mode; uid_t uid; } bad[] = {
		{ pp, 0664, 0 }, { pp, 0646, 0 }, { pp, 0644, 65534 },
		{ sp, 0664, 0 }, { sp, 0644, 65534 }, { ip, 0666, 0 }, { ip, 0644, 65534 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(bad[i].path, bad[i].mode), 0);
		assert_int_equal(chown(bad[i].path, bad[i].uid, 0), 0);
		int r = bad[i].path == pp ? bh_policy_load(NULL, "test-svc", &p, &m)
					  : bh_seccomp_load(NULL, "test-svc", 0, &sc, &m);
		if (bad[i].path == ip ? r >= 0 : r != BH_ERR_UNSAFE_FILE)
			fail_msg("%s mode %o uid %u: got %d '%s'", bad[i].path, (unsigned)bad[i].mode,
				 (unsigned)bad[i].uid, r, m.text);
		assert_null(p);
		assert_null(sc);
		/* the checker's view (BH_SECCOMP_ANY_OWNER): another owner is fine, g/o-w never */
		r = bad[i].path == pp ? bh_policy_load_flags(NULL, "test-svc", BH_SECCOMP_ANY_OWNER, &p, &m)
				      : bh_seccomp_load(NULL, "test-svc", BH_SECCOMP_ANY_OWNER, &sc, &m);
		assert_int_equal(r == 0, bad[i].uid != 0);
		p = bh_policy_free(p);
		bh_seccomp_free(sc);
		sc = NULL;
		assert_int_equal(chmod(bad[i].path, 0644), 0);
		assert_int_equal(chown(bad[i].path, 0, 0), 0);
	}
}

/* rlimits, dumpable and no_new_privs from a policy (no seccomp, so they can be read back) */
static void test_apply_policy_effects(void **state)
{
	(void)state;
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	pid_t pid;
	int st;

	assert_int_equal(bh_policy_load(NULL, "test-svc", &p, &m), 0); /* BLOCKHOST_POLICY_DIR */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60); /* a child stuck under a filter must not hang the suite */
		struct rlimit rl;
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
			_exit(99); /* precondition */
		if (bh_sandbox_apply_policy(p, 0, &m) < 0)
			_exit(100);
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur != 64 || rl.rlim_max != 64)
			_exit(101);
		if (getrlimit(RLIMIT_CORE, &rl) < 0 || rl.rlim_cur != 0 || rl.rlim_max != 0)
			_exit(102);
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			_exit(103);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	expect_exit0(st);
	bh_policy_free(p);
}

/* The real filters: a child under each service's policy + filter can still do ordinary
 * work (stdio, malloc, exit through libc, including LSan's exit-time scan in SANITIZE=1). */
static void test_real_services(void **state)
{
	(void)state;
	static const char *const services[] = {
		"blockhost-root-agent", "blockhost-keystore", "blockhost-engine",
		"blockhost-provisioner", "web3-auth-svc", "blockhost-wizard",
	};
	setenv("BLOCKHOST_POLICY_DIR", TREE_POLICY, 1);
	setenv("BLOCKHOST_SECCOMP_DIR", TREE_SECCOMP, 1);
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		int pfd[2], st;
		assert_int_equal(pipe(pfd), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
		alarm(60); /* a child stuck under a filter must not hang the suite */
			struct bh_msg m = { "" };
			close(pfd[0]);
			if (bh_sandbox_apply(services[i], 0, &m) < 0) {
				dprintf(STDERR_FILENO, "%s: %s\n", services[i], m.text);
				_exit(100);
			}
			char *p = malloc(1 << 20); /* large: mmap path */
			if (!p)
				_exit(101);
			memset(p, 1, 1 << 20);
			free(p);
			FILE *f = fdopen(pfd[1], "w");
			if (!f)
				_exit(102);
			fprintf(f, "%s alive\n", services[i]);
			fclose(f);
			exit(0); /* through libc: atexit, stdio, sanitizer exit hooks */
		}
		close(pfd[1]);
		char buf[128] = "";
		ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
		close(pfd[0]);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || n <= 0)
			fail_msg("%s: child %s %d", services[i], WIFSIGNALED(st) ? "killed by signal" : "exit",
				 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		assert_non_null(strstr(buf, "alive"));
	}
	/* back to the group's temp dir (setup_tmpdir) */
	setenv("BLOCKHOST_POLICY_DIR", tmpdir, 1);
	setenv("BLOCKHOST_SECCOMP_DIR", tmpdir, 1);
}

/* ---------------------------------------------------------------- capabilities (root) */
static bool have_root_caps(void)
{
	capng_get_caps_process();
	return geteuid() == 0 && capng_have_capability(CAPNG_EFFECTIVE, CAP_CHOWN) &&
	       capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) &&
	       capng_have_capability(CAPNG_EFFECTIVE, CAP_SETUID);
}

static struct bh_policy *policy_with(const char *keep, const char *user)
{
	char text[512];
	struct bh_msg m = { "" };
	struct bh_policy *p = NULL;
	snprintf(text, sizeof(text),
		 "[identity]\nuser = %s\ngroup = %s\n[capabilities]\nkeep = %s\n[limits]\ncore = 0\n"
		 "[process]\nno_new_privs = yes\ndumpable = yes\n",
		 user, strcmp(user, "nobody") == 0 ? "nogroup" : user, keep);
	if (parse_policy_str(text, &p, &m) < 0)
		fail_msg("%s", m.text);
	return p;
}

/* child: apply p, then try chown on path; exit 0 = chown worked, 1 = EPERM, 2+ = other */
static int chown_after(const struct bh_policy *p, unsigned flags, const char *path)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60); /* a child stuck under a filter must not hang the suite */
		struct bh_msg m = { "" };
		if (bh_sandbox_apply_policy(p, flags, &m) < 0) {
			dprintf(STDERR_FILENO, "apply: %s\n", m.text);
			_exit(100);
		}
		/* bounding set: nothing outside the policy can come back */
		if (prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0)
			_exit(101);
		if (chown(path, 12345, 12345) == 0)
			_exit(0);
		_exit(errno == EPERM ? 1 : 2);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_caps_dropped(void **state)
{
	(void)state;
	char path[256];

	if (!have_root_caps()) {
		/* not an error: dropping capabilities needs them first (CI runs as root) */
		print_message("skipping capability tests: not root with CAP_CHOWN/CAP_SETPCAP/CAP_SETUID\n");
		skip();
	}
	snprintf(path, sizeof(path), "%s/chown-target", tmpdir);
	write_file(tmpdir, "chown-target", "x");

	struct bh_policy *none = policy_with("", "root");
	struct bh_policy *chown_only = policy_with("CAP_CHOWN", "root");
	struct bh_policy *bind_only = policy_with("CAP_NET_BIND_SERVICE", "root");
	assert_int_equal(chown_after(none, 0, path), 1);        /* no caps: EPERM even as uid 0 */
	assert_int_equal(chown_after(bind_only, 0, path), 1);   /* the wrong cap does not help */
	assert_int_equal(chown_after(chown_only, 0, path), 0);  /* control: the kept cap works */
	bh_policy_free(none);
	bh_policy_free(chown_only);
	bh_policy_free(bind_only);
}

static bool getpwnam_exists(const char *user)
{
	return getpwnam(user) != NULL && getgrnam("nogroup") != NULL;
}

static void test_caps_setid(void **state)
{
	(void)state;
	if (!have_root_caps() || !getpwnam_exists("nobody")) {
		print_message("skipping identity switch test: needs root and user nobody/group nogroup\n");
		skip();
	}
	struct bh_policy *p = policy_with("CAP_NET_BIND_SERVICE", "nobody");
	pid_t pid = fork();
	int st;
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60); /* a child stuck under a filter must not hang the suite */
		struct bh_msg m = { "" };
		uid_t r, e, s;
		if (bh_sandbox_apply_policy(p, BH_SANDBOX_SETID | BH_SANDBOX_STRICT_CAPS, &m) < 0) {
			dprintf(STDERR_FILENO, "apply: %s\n", m.text);
			_exit(100);
		}
		if (getresuid(&r, &e, &s) < 0 || r == 0 || e == 0 || s == 0)
			_exit(101);
		if (setuid(0) == 0)
			_exit(102); /* must not be able to return to root */
		capng_clear(CAPNG_SELECT_BOTH);
		capng_get_caps_process();
		if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_NET_BIND_SERVICE) ||
		    capng_have_capability(CAPNG_EFFECTIVE, CAP_SETUID) ||
		    capng_have_capability(CAPNG_PERMITTED, CAP_CHOWN))
			_exit(103);
		/* the kept cap is usable: bind a port below 1024 as nobody */
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int ok = 0;
		for (int port = 1023; port > 900 && !ok; port--) {
			a.sin_port = htons((uint16_t)port);
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
				ok = 1;
			else if (errno == EACCES)
				_exit(104);
		}
		_exit(ok ? 0 : 105);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	expect_exit0(st);
	bh_policy_free(p);

	/* without the cap, the same bind fails with EACCES */
	p = policy_with("", "nobody");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60); /* a child stuck under a filter must not hang the suite */
		if (bh_sandbox_apply_policy(p, BH_SANDBOX_SETID, NULL) < 0)
			_exit(100);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(1000),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		_exit(bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == EACCES ? 0 : 106);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	expect_exit0(st);
	bh_policy_free(p);
}

static void test_strict_caps(void **state)
{
	(void)state;
	/* a child that first drops everything cannot then be given a cap back */
	struct bh_policy *none = policy_with("", "root");
	struct bh_policy *want = policy_with("CAP_NET_ADMIN", "root");
	pid_t pid = fork();
	int st;
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60); /* a child stuck under a filter must not hang the suite */
		struct bh_msg m = { "" };
		if (bh_sandbox_apply_policy(none, 0, &m) < 0)
			_exit(100);
		/* default: intersection (nothing), no error */
		if (bh_sandbox_apply_policy(want, 0, &m) < 0)
			_exit(101);
		if (bh_sandbox_apply_policy(want, BH_SANDBOX_STRICT_CAPS, &m) != BH_ERR_DENIED ||
		    !strstr(m.text, "CAP_NET_ADMIN"))
			_exit(102);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	expect_exit0(st);
	bh_policy_free(none);
	bh_policy_free(want);
}

/* ---------------------------------------------------------------- policy-check on fixtures */
static int run_check(const char *dir, char *out, size_t outlen)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char bin[256], pd[256], sd[256];
	char tmpl[] = "/tmp/bh-pc.XXXXXX";
	int fd = mkstemp(tmpl), st;

	snprintf(bin, sizeof(bin), "%s/bin/blockhost-policy-check", build);
	snprintf(pd, sizeof(pd), "%s/policy", dir);
	snprintf(sd, sizeof(sd), "%s/seccomp", dir);
	assert_true(fd >= 0);
	unlink(tmpl);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60); /* a child stuck under a filter must not hang the suite */
		dup2(fd, STDERR_FILENO);
		dup2(fd, STDOUT_FILENO);
		execl(bin, bin, "--policy-dir", pd, "--seccomp-dir", sd, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	ssize_t n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_policy_check_fixtures(void **state)
{
	(void)state;
	static const struct {
		const char *dir, *needle;
	} cases[] = {
		{ "unknown-syscall", "seccomp/svc:5: unknown syscall 'frobnicate'" },
		{ "missing-seccomp", "seccomp/svc: cannot read" },
		{ "bad-capability", "svc.policy:9: unknown capability 'CAP_FOO'" },
		{ "missing-section", "svc.policy: missing section [process]" },
		{ "unlisted", "other.policy: not listed in" },
		{ "conflict", "seccomp/svc:5: read already has a rule at" },
		{ "nnp-off", "svc.policy:16: no_new_privs must be yes" },
		{ "bad-include", "seccomp/svc:5: include '../etc/passwd'" },
	};
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char bin[256], out[4096], dir[256];

	snprintf(bin, sizeof(bin), "%s/bin/blockhost-policy-check", build);
	if (access(bin, X_OK) != 0) {
		print_message("skipping: %s not built (make builds it before unit tests)\n", bin);
		skip();
	}
	assert_int_equal(run_check("tests/fixtures/policy-bad/ok", out, sizeof(out)), 0);
	assert_int_equal(run_check(".", out, sizeof(out)), 0); /* the real tree */
	assert_non_null(strstr(out, "9 services OK"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(dir, sizeof(dir), "tests/fixtures/policy-bad/%s", cases[i].dir);
		int rc = run_check(dir, out, sizeof(out));
		if (rc != 1 || !strstr(out, cases[i].needle))
			fail_msg("%s: exit %d, output:\n%s\n(wanted '%s')", cases[i].dir, rc, out,
				 cases[i].needle);
	}
}

/* BH_SANDBOX_CHECK_IDENTITY: the running ids must be the policy's [identity], exactly */
static int identity_child(const struct bh_policy *p, unsigned flags, const char *want_msg)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		struct bh_msg m = { "" };
		gid_t none = 0;
		if (setgroups(0, &none) < 0)
			_exit(98);
		int r = bh_sandbox_apply_policy(p, flags, &m);
		if (r == 0)
			_exit(0);
		if (r != BH_ERR_DENIED || (want_msg && !strstr(m.text, want_msg))) {
			dprintf(STDERR_FILENO, "apply: %d %s\n", r, m.text);
			_exit(2);
		}
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_check_identity(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("skipping: needs root\n");
		skip();
	}
	struct bh_policy *root = policy_with("", "root"), *nob = policy_with("", "nobody");
	/* root as root: fine; nobody's policy while root, no switch: refused, naming both */
	assert_int_equal(identity_child(root, BH_SANDBOX_CHECK_IDENTITY, NULL), 0);
	assert_int_equal(identity_child(nob, BH_SANDBOX_CHECK_IDENTITY,
					"identity: running as uid 0 gid 0 groups [], but"), 1);
	assert_int_equal(identity_child(nob, BH_SANDBOX_CHECK_IDENTITY, "says user nobody (65534), "
					"group nogroup (65534)"), 1);
	/* ... but switching to it first (SETID) satisfies the check */
	assert_int_equal(identity_child(nob, BH_SANDBOX_CHECK_IDENTITY | BH_SANDBOX_SETID, NULL), 0);
	/* without the flag nothing is checked (the library's old behaviour) */
	assert_int_equal(identity_child(nob, 0, NULL), 0);
	bh_policy_free(root);
	bh_policy_free(nob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_good),
		cmocka_unit_test(test_ini_errors),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_ini_bool),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_tree_files),
		cmocka_unit_test(test_seccomp_parse),
		cmocka_unit_test(test_seccomp_errors),
		cmocka_unit_test(test_seccomp_include),
		cmocka_unit_test(test_filter_kills),
		cmocka_unit_test(test_filter_debug),
		cmocka_unit_test(test_apply_debug_env),
		cmocka_unit_test(test_file_trust),
		cmocka_unit_test(test_apply_policy_effects),
		cmocka_unit_test(test_real_services),
		cmocka_unit_test(test_caps_dropped),
		cmocka_unit_test(test_caps_setid),
		cmocka_unit_test(test_strict_caps),
		cmocka_unit_test(test_check_identity),
		cmocka_unit_test(test_policy_check_fixtures),
	};
	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}

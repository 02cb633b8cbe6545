/* SPDX-License-Identifier: MIT */
/*
 * blockhost-build-template: the VM base image, built from the Debian mirror apt already
 * uses (no other downloads): a raw disk with one MBR partition (written here), ext4 on a
 * loop device, debootstrap bookworm with the kernel, openssh-server, cloud-init,
 * qemu-guest-agent and extlinux, our VM-side .debs from template-packages/, the sshd
 * drop-in, a NoCloud datasource, extlinux + the syslinux MBR, then qemu-img convert to
 * qcow2.  Runs as root (loop devices, mount, chroot); slow (minutes): `make template`.
 * Split in two (below, "The privilege split"): an unfiltered runner does the mounts and
 * runs the tools; this process, under seccomp/blockhost-build-template, drives the steps.
 * Every mount and loop device is released on any failure.  No shell, on the host or in
 * the chroot: every tool runs from an argv (core/spawn.h), and the file edits that were
 * sed/rm/touch are done here (prov_sshd_config_fix, glob + unlink).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/file.h"
#include "cli.h"
#include "core/atomicio.h"
#include "core/buf.h"
#include "core/path.h"
#include "prov.h"
#include "core/spawn.h"
#include "subcommands.h"

#define STEPS 9
#define PART_START_SECTOR 2048u

/* debootstrap does not resolve virtual packages (cloud-init → python3-cryptography →
 * python3-cffi-backend-api-*), so it installs the base and apt in the chroot the rest */
static const char *include_pkgs =
	"linux-image-amd64,initramfs-tools,systemd-sysv,udev,extlinux,syslinux-common,"
	"ca-certificates,netbase,iproute2";
static const char *const apt_pkgs[] = {
	"openssh-server", "cloud-init", "qemu-guest-agent", "sudo", "ifupdown", "isc-dhcp-client",
	"locales",
};

static void step(int n, const char *what)
{
	printf("[%d/%d] %s\n", n, STEPS, what);
	fflush(stdout);
}

/* Run a tool, its output passed through (progress); 0 or BH_ERR_CHILD with a message. */
static int run(const char *const *argv, int timeout_s, char **out)
{
	struct bh_spawn_opts o = {
		.argv = argv, .search_path = true, .timeout_ms = timeout_s * 1000,
		.stdout_max = 8u << 20, .stderr_max = 1u << 20, .allow_truncate = true,
	};
	const char *env[] = { "PATH=" BH_SPAWN_DEFAULT_PATH, "LANG=C.UTF-8",
			      "DEBIAN_FRONTEND=noninteractive", NULL };
	struct bh_spawn_result res;
	int r;

	o.envp = env;
	if ((r = bh_spawn_run(&o, &res)) < 0) {
		fprintf(stderr, "[build-template] cannot run %s: %s\n", argv[0], bh_strerror(r));
		return r;
	}
	if (res.exit_code != 0) {
		size_t n = bh_buf_len(&res.err), m = bh_buf_len(&res.out);
		const char *t = (const char *)bh_buf_ptr(&res.err);
		const char *u = (const char *)bh_buf_ptr(&res.out);
		fprintf(stderr, "[build-template] %s failed (exit %d): %.*s%.*s\n", argv[0],
			res.exit_code, (int)(m > 1500 ? 1500 : m), m > 1500 ? u + m - 1500 : u ? u : "",
			(int)(n > 2000 ? 2000 : n), n > 2000 ? t + n - 2000 : t ? t : "");
		r = BH_ERR_CHILD;
	} else if (out) {
		size_t n = bh_buf_len(&res.out);
		if ((*out = malloc(n + 1))) {
			memcpy(*out, bh_buf_ptr(&res.out), n);
			(*out)[n] = '\0';
			(*out)[strcspn(*out, "\n")] = '\0';
		}
	}
	bh_spawn_result_done(&res);
	return r;
}

/* The first http(s) URI of a deb822 or one-line apt source for the main archive. */
static char *apt_mirror(void)
{
	const char *files[] = { "/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list" };
	char line[1024];

	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "re");
		if (!f)
			continue;
		while (fgets(line, sizeof line, f)) {
			char *u = NULL;
			if (!strncmp(line, "URIs:", 5))
				u = line + 5;
			else if (!strncmp(line, "deb ", 4))
				u = line + 4;
			if (!u)
				continue;
			u += strspn(u, " \t");
			if (*u == '[')    /* deb [signed-by=...] uri */
				u = strchr(u, ']') ? strchr(u, ']') + 1 : u;
			u += strspn(u, " \t");
			u[strcspn(u, " \t\r\n")] = '\0';
			if ((!strncmp(u, "http://", 7) || !strncmp(u, "https://", 8)) &&
			    !strstr(u, "security")) {
				fclose(f);
				return strdup(u);
			}
		}
		fclose(f);
	}
	return NULL;
}

/* One bootable primary partition from 1 MiB to the end (LBA only; CHS fields saturated). */
static int write_mbr(int fd, uint64_t bytes)
{
	uint8_t mbr[512] = { 0 };
	uint64_t sectors = bytes / 512;
	uint32_t start = PART_START_SECTOR, count;
	uint8_t *p = mbr + 446;

	if (sectors <= start + 2048 || sectors - start > 0xffffffffu)
		return BH_ERR_RANGE;
	count = (uint32_t)(sectors - start);
	if (getrandom(mbr + 440, 4, 0) != 4)      /* disk signature */
		return bh_negerrno();
	p[0] = 0x80;                                /* active: the syslinux MBR boots it */
	p[1] = 0xfe; p[2] = 0xff; p[3] = 0xff;
	p[4] = 0x83;                                /* Linux */
	p[5] = 0xfe; p[6] = 0xff; p[7] = 0xff;
	for (int i = 0; i < 4; i++) {
		p[8 + i] = (uint8_t)(start >> (8 * i));
		p[12 + i] = (uint8_t)(count >> (8 * i));
	}
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	return pwrite(fd, mbr, sizeof mbr, 0) == (ssize_t)sizeof mbr ? 0 : bh_negerrno();
}

static int copy_boot_code(int disk_fd, const char *mbr_bin)
{
	/* core/file.h: syslinux's mbr.bin, a root-owned regular file, not group/world-
	 * writable, at most the 440 bytes of MBR boot code (build-template runs as root) */
	static const struct bh_file_rules rules = {
		.type = S_IFREG, .owner = BH_FILE_OWNER_ROOT, .forbid_mode = 022, .max_size = 440,
	};
	uint8_t code[440];
	ssize_t n;
	int fd, r;

	if ((r = bh_file_open(AT_FDCWD, mbr_bin, O_RDONLY, &rules, &fd, NULL, NULL)) < 0)
		return r;
	n = read(fd, code, sizeof code);
	close(fd);
	if (n <= 0 || n > 440)
		return BH_ERR_FORMAT;
	return pwrite(disk_fd, code, (size_t)n, 0) == n ? 0 : bh_negerrno();
}

static int put(const char *root, const char *rel, const char *text, mode_t mode)
{
	char *p;
	int r;
	if (asprintf(&p, "%s%s", root, rel) < 0)
		return -ENOMEM;
	r = bh_atomic_write(p, text, strlen(text), mode);
	if (r < 0)
		fprintf(stderr, "[build-template] write %s: %s\n", p, bh_strerror(r));
	free(p);
	return r;
}

static char *newest(const char *root, const char *pattern)
{
	glob_t g;
	char *pat, *res = NULL;
	if (asprintf(&pat, "%s%s", root, pattern) < 0)
		return NULL;
	if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc > 0)
		res = strdup(g.gl_pathv[g.gl_pathc - 1] + strlen(root));
	globfree(&g);
	free(pat);
	return res;
}

struct tctx {
	char *work, *raw, *root, *loop_part;
	const char *binds[3];
	bool bound[3], mounted;
	int fd;                 /* the raw disk */
};

static void release(struct tctx *t, bool keep)
{
	char *p;
	for (int i = 2; i >= 0; i--) {
		if (t->bound[i] && asprintf(&p, "%s%s", t->root, t->binds[i]) >= 0) {
			if (umount2(p, MNT_DETACH) < 0)
				fprintf(stderr, "[build-template] umount %s: %s\n", p, strerror(errno));
			free(p);
		}
		t->bound[i] = false;
	}
	if (t->mounted && umount(t->root) < 0 && umount2(t->root, MNT_DETACH) < 0)
		fprintf(stderr, "[build-template] umount %s: %s\n", t->root, strerror(errno));
	t->mounted = false;
	if (t->loop_part) {
		const char *av[] = { "losetup", "-d", t->loop_part, NULL };
		(void)run(av, 60, NULL);
		free(t->loop_part);
		t->loop_part = NULL;
	}
	if (!keep && t->work) {
		if (t->raw)
			unlink(t->raw);
		if (t->root)
			rmdir(t->root);
		rmdir(t->work);
	}
}

static const char sshd_dropin[] =
	"ChallengeResponseAuthentication yes\nKbdInteractiveAuthentication yes\nUsePAM yes\n"
	"PasswordAuthentication no\nPermitRootLogin no\nMaxAuthTries 6\nLoginGraceTime 120\n";

/* A failed system call: its message, its -errno. */
static int sys_fail(const char *what, const char *path)
{
	int r = bh_negerrno();
	fprintf(stderr, "[build-template] %s %s: %s\n", what, path ? path : "", strerror(-r));
	return r;
}

/* Run argv[0..] inside the chroot: chroot ROOT argv... (no shell). */
static int run_in(struct tctx *t, const char *const *argv, int timeout_s)
{
	const char *av[32];
	size_t n = 0;

	av[n++] = "chroot";
	av[n++] = t->root;
	for (; *argv && n < sizeof av / sizeof av[0] - 1; argv++)
		av[n++] = *argv;
	if (*argv)
		return -E2BIG;
	av[n] = NULL;
	return run(av, timeout_s, NULL);
}

/*
 * The privilege split (seccomp/README.md "blockhost-build-template").  The tools this
 * program runs (losetup, mkfs.ext4, debootstrap, apt-get and dpkg's maintainer scripts in
 * the chroot, extlinux, qemu-img) and its mounts need all of root: a filter they inherited
 * would have to allow everything.  So, before the filter, the program forks one RUNNER:
 * root, unfiltered, holding its own copy of the paths parsed from the command line.  It
 * reads one request byte at a time on a socketpair (an enum bt_op, nothing else: no path,
 * no argument, no text), performs that fixed step with the paths it already has, and
 * answers the step's result as an int.  The BUILDER (this process) then applies
 * policy/blockhost-build-template.policy + seccomp/blockhost-build-template (uid 0 with no
 * capability, no exec, no mount, no socket, no ptrace, no identity change) and does
 * everything that reads what the chroot's packages wrote (sshd_config, /boot, the
 * syslinux MBR) and every file edit.  EOF on the socket (the builder finished, failed or
 * was killed): the runner unmounts, detaches the loop device, removes the work directory
 * and exits.
 */
enum bt_op {
	BT_OP_FS = 1,           /* 2: losetup, mkfs.ext4, mount at root */
	BT_OP_DEBOOTSTRAP,      /* 3: debootstrap, /dev /proc /sys bound in */
	BT_OP_PACKAGES,         /* 4: apt-get update + install, the local .debs */
	BT_OP_APT_CLEAN,        /* 5: apt-get clean in the chroot */
	BT_OP_EXTLINUX,         /* 6: extlinux --install /boot/extlinux in the chroot */
	BT_OP_RELEASE,          /* 7: unmount, loop device detached (work files kept) */
	BT_OP_CONVERT,          /* 8: qemu-img convert to OUTPUT.tmp, 0644, renamed to OUTPUT */
};

static struct {
	struct tctx t;
	char *output, *pkgdir, *mirror, *tmp_out, *dropin;
	const char *suite;
	long size_gb;
	int fd;                 /* the builder's end of the socketpair */
	pid_t runner;
} bt = { .t = { .binds = { "/dev", "/proc", "/sys" }, .fd = -1 }, .fd = -1, .runner = -1 };

/* 2: a loop device on the partition, ext4, mounted at root. */
static int runner_fs(struct tctx *t)
{
	char off[32];
	int r;

	snprintf(off, sizeof off, "%u", PART_START_SECTOR * 512u);
	const char *av[] = { "losetup", "--find", "--show", "-o", off, t->raw, NULL };
	if ((r = run(av, 60, &t->loop_part)) < 0)
		return r;
	if (!t->loop_part)
		return -ENOMEM;
	const char *mk[] = { "mkfs.ext4", "-q", "-L", "blockhost-root", t->loop_part, NULL };
	if ((r = run(mk, 300, NULL)) < 0)
		return r;
	if (mount(t->loop_part, t->root, "ext4", 0, NULL) < 0)
		return sys_fail("mount", t->root);
	t->mounted = true;
	return 0;
}

/* The last 3000 bytes of debootstrap's log, when it failed. */
static void debootstrap_log_tail(const struct tctx *t)
{
	char *lp = NULL, tb[3000];
	ssize_t tn;
	int lf;

	if (asprintf(&lp, "%s/debootstrap/debootstrap.log", t->root) < 0)
		return;
	/* core/file.h: written by debootstrap as root inside the new root: a root-owned
	 * regular file, not group/world-writable (O_NONBLOCK: a FIFO there cannot hang us) */
	static const struct bh_file_rules rules = {
		.type = S_IFREG, .owner = BH_FILE_OWNER_ROOT, .forbid_mode = 022,
	};
	if (bh_file_open(AT_FDCWD, lp, O_RDONLY, &rules, &lf, NULL, NULL) == 0) {
		off_t end = lseek(lf, 0, SEEK_END);
		tn = pread(lf, tb, sizeof tb, end > 3000 ? end - 3000 : 0);
		fprintf(stderr, "[build-template] tail of %s:\n%.*s\n", lp, (int)(tn > 0 ? tn : 0), tb);
		close(lf);
	}
	free(lp);
}

/* 3: debootstrap, then /dev /proc /sys bound into the chroot. */
static int runner_debootstrap(struct tctx *t, const char *suite, const char *mirror)
{
	char *p;
	int r;

	printf("      mirror %s, suite %s\n", mirror, suite);
	fflush(stdout);
	const char *av[] = { "debootstrap", "--variant=minbase", "--include", include_pkgs,
			     suite, t->root, mirror, NULL };
	if ((r = run(av, 3600, NULL)) < 0) {
		debootstrap_log_tail(t);
		return r;
	}
	for (int i = 0; i < 3; i++) {
		if (asprintf(&p, "%s%s", t->root, t->binds[i]) < 0)
			return -ENOMEM;
		if (mount(t->binds[i], p, NULL, MS_BIND | MS_REC, NULL) < 0) {
			r = sys_fail("bind mount", p);
			free(p);
			return r;
		}
		t->bound[i] = true;
		free(p);
	}
	return 0;
}

/* The .debs of pkgdir copied to /tmp/blockhost-debs in the chroot, installed by their
 * paths (argv, so no glob or quoting), and removed again. */
static int install_local_debs(struct tctx *t, const char *pkgdir)
{
	const char *av[28] = { "apt-get", "install", "-y" };
	char *pat = NULL, *dst = NULL, *inroot[24] = { NULL };
	size_t n = 0;
	glob_t g;
	int r = 0;

	if (asprintf(&pat, "%s/*.deb", pkgdir) < 0)
		return -ENOMEM;
	if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		printf("      none in %s\n", pkgdir);
		goto out;
	}
	if (g.gl_pathc > sizeof inroot / sizeof inroot[0]) {
		fprintf(stderr, "[build-template] more than %zu packages in %s\n",
			sizeof inroot / sizeof inroot[0], pkgdir);
		r = BH_ERR_LIMIT;
		goto out;
	}
	if (asprintf(&dst, "%s/tmp/blockhost-debs", t->root) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (mkdir(dst, 0755) < 0) {
		r = sys_fail("mkdir", dst);
		goto out;
	}
	for (n = 0; n < g.gl_pathc; n++) {
		const char *base = strrchr(g.gl_pathv[n], '/');
		const char *cp[] = { "cp", g.gl_pathv[n], dst, NULL };
		if ((r = run(cp, 60, NULL)) < 0)
			break;
		if (asprintf(&inroot[n], "/tmp/blockhost-debs/%s", base ? base + 1 : g.gl_pathv[n]) < 0) {
			r = -ENOMEM;
			break;
		}
		av[3 + n] = inroot[n];
	}
	if (r >= 0)
		r = run_in(t, av, 1800);
	/* rm -rf /tmp/blockhost-debs: the files we copied, then the directory */
	for (size_t i = 0; i < n && inroot[i]; i++) {
		char *hp = NULL;
		if (asprintf(&hp, "%s%s", t->root, inroot[i]) >= 0)
			unlink(hp);
		free(hp);
	}
	if (rmdir(dst) < 0 && r >= 0)
		r = sys_fail("rmdir", dst);
	if (r >= 0)
		printf("      %zu package(s)\n", g.gl_pathc);
out:
	for (size_t i = 0; i < sizeof inroot / sizeof inroot[0]; i++)
		free(inroot[i]);
	globfree(&g);
	free(pat);
	free(dst);
	return r;
}

/* 4: apt-get update + install of the packages debootstrap cannot resolve, our .debs. */
static int runner_packages(struct tctx *t, const char *pkgdir)
{
	const char *upd[] = { "apt-get", "update", "-q", NULL };
	const char *av[8 + sizeof apt_pkgs / sizeof apt_pkgs[0]] = {
		"apt-get", "install", "-y", "-q", "--no-install-recommends",
	};
	int r;

	for (size_t i = 0; i < sizeof apt_pkgs / sizeof apt_pkgs[0]; i++)
		av[5 + i] = apt_pkgs[i];
	if ((r = run_in(t, upd, 3600)) < 0 || (r = run_in(t, av, 3600)) < 0)
		return r;
	return install_local_debs(t, pkgdir);
}

/* 8: qemu-img convert to tmp_out, 0644, renamed to output (tmp_out removed on failure). */
static int runner_convert(struct tctx *t, const char *output, const char *tmp_out)
{
	char *dir = strdup(output), *slash = dir ? strrchr(dir, '/') : NULL;
	int r;

	if (slash) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
	free(dir);
	const char *av[] = { "qemu-img", "convert", "-q", "-c", "-f", "raw", "-O", "qcow2",
			     t->raw, tmp_out, NULL };
	if ((r = run(av, 3600, NULL)) < 0)
		goto out;
	if (chmod(tmp_out, 0644) < 0) {
		r = sys_fail("chmod", tmp_out);
		goto out;
	}
	if (rename(tmp_out, output) < 0)
		r = sys_fail("rename", output);
out:
	if (r < 0)
		unlink(tmp_out);
	return r;
}

/* The runner: one fixed step per request byte, its result as an int; EOF: clean up. */
static void runner_loop(int fd)
{
	struct tctx *t = &bt.t;
	uint8_t op;

	while (read(fd, &op, 1) == 1) {
		int r;
		switch (op) {
		case BT_OP_FS: r = runner_fs(t); break;
		case BT_OP_DEBOOTSTRAP: r = runner_debootstrap(t, bt.suite, bt.mirror); break;
		case BT_OP_PACKAGES: r = runner_packages(t, bt.pkgdir); break;
		case BT_OP_APT_CLEAN: {
			const char *clean[] = { "apt-get", "clean", NULL };
			r = run_in(t, clean, 300);
			break;
		}
		case BT_OP_EXTLINUX: {
			const char *av[] = { "extlinux", "--install", "/boot/extlinux", NULL };
			r = run_in(t, av, 120);
			break;
		}
		case BT_OP_RELEASE: release(t, true); r = 0; break;
		case BT_OP_CONVERT: r = runner_convert(t, bt.output, bt.tmp_out); break;
		default:
			fprintf(stderr, "[build-template] runner: unknown request %u: stopping\n", op);
			goto out;
		}
		fflush(NULL);
		/* MSG_NOSIGNAL: a builder that died during the step must not kill the runner
		 * with SIGPIPE before it has cleaned up */
		if (send(fd, &r, sizeof r, MSG_NOSIGNAL) != (ssize_t)sizeof r)
			break;
	}
out:
	release(t, false);
}

/* The builder's side: one step done by the runner; its result (< 0: it said why). */
static int runner_call(enum bt_op op)
{
	uint8_t b = (uint8_t)op;
	int res;
	ssize_t n;

	fflush(NULL);
	if (write(bt.fd, &b, 1) != 1)
		return sys_fail("runner", "request");
	do
		n = read(bt.fd, &res, sizeof res);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof res) {
		fprintf(stderr, "[build-template] the runner stopped without an answer\n");
		return BH_ERR_CHILD;
	}
	return res;
}

/* 1: the raw disk with one partition. */
static int step_disk(struct tctx *t, long size_gb)
{
	int r;

	step(1, "raw disk and partition table");
	if ((t->fd = open(t->raw, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    ftruncate(t->fd, (off_t)size_gb << 30) < 0)
		return sys_fail("disk", t->raw);
	if ((r = write_mbr(t->fd, (uint64_t)size_gb << 30)) < 0)
		fprintf(stderr, "[build-template] partition table: %s\n", bh_strerror(r));
	return r;
}

/* The template's sshd_config: prov_sshd_config_fix (keyboard-interactive on, the
 * drop-in directory included), written back with its mode. */
static int fix_sshd_config(struct tctx *t)
{
	struct bh_buf b;
	struct stat st;
	char *path = NULL, *out = NULL;
	int r;

	if (asprintf(&path, "%s/etc/ssh/sshd_config", t->root) < 0)
		return -ENOMEM;
	bh_buf_init(&b, 1u << 20);
	if ((r = bh_file_load_safe(&b, path)) < 0 || lstat(path, &st) < 0) {
		r = r < 0 ? r : bh_negerrno();
		fprintf(stderr, "[build-template] %s: %s\n", path, bh_strerror(r));
		goto out;
	}
	if ((r = prov_sshd_config_fix((const char *)bh_buf_ptr(&b), bh_buf_len(&b), &out)) < 0 ||
	    (r = bh_atomic_write(path, out, strlen(out), st.st_mode & 07777)) < 0)
		fprintf(stderr, "[build-template] %s: %s\n", path, bh_strerror(r));
out:
	bh_buf_done(&b);
	free(path);
	free(out);
	return r;
}

/* rm -f <root>/etc/ssh/ssh_host_*key* (each image gets its own at first boot). */
static int remove_host_keys(struct tctx *t)
{
	char *pat = NULL;
	glob_t g;
	int r = 0;

	if (asprintf(&pat, "%s/etc/ssh/ssh_host_*key*", t->root) < 0)
		return -ENOMEM;
	if (glob(pat, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && r == 0; i++)
			if (unlink(g.gl_pathv[i]) < 0 && errno != ENOENT)
				r = sys_fail("unlink", g.gl_pathv[i]);
		globfree(&g);
	}
	free(pat);
	return r;
}

/* 5: the sshd drop-in, NoCloud, fstab, hostname; sshd_config fixed, no host keys, an
 * empty machine-id, apt's cache cleaned (by the runner). */
static int step_config(struct tctx *t)
{
	int r;

	step(5, "sshd drop-in, cloud-init NoCloud, fstab, hostname");
	if ((r = put(t->root, "/etc/ssh/sshd_config.d/50-blockhost.conf",
		     bt.dropin ? bt.dropin : sshd_dropin, 0644)) < 0 ||
	    (r = put(t->root, "/etc/cloud/cloud.cfg.d/90-blockhost.cfg",
		     "datasource_list: [ NoCloud, None ]\n", 0644)) < 0 ||
	    (r = put(t->root, "/etc/fstab", "LABEL=blockhost-root / ext4 errors=remount-ro 0 1\n",
		     0644)) < 0 ||
	    (r = put(t->root, "/etc/hostname", "blockhost-template\n", 0644)) < 0 ||
	    (r = fix_sshd_config(t)) < 0 || (r = remove_host_keys(t)) < 0 ||
	    (r = put(t->root, "/etc/machine-id", "", 0644)) < 0)
		return r;
	return runner_call(BT_OP_APT_CLEAN);
}

/* 6: extlinux on the newest kernel/initrd, the syslinux MBR boot code; *ret_kernel. */
static int step_boot(struct tctx *t, char **ret_kernel)
{
	char *kernel = NULL, *initrd = NULL, *cfg = NULL, *d = NULL, *mbr = NULL;
	int r = -ENOMEM;

	step(6, "extlinux boot loader");
	if (!(kernel = newest(t->root, "/boot/vmlinuz-*")) ||
	    !(initrd = newest(t->root, "/boot/initrd.img-*"))) {
		fprintf(stderr, "[build-template] no kernel/initrd in /boot\n");
		r = BH_ERR_NOT_FOUND;
		goto out;
	}
	if (asprintf(&cfg, "DEFAULT linux\nTIMEOUT 1\nPROMPT 0\nLABEL linux\n  KERNEL %s\n"
			   "  INITRD %s\n  APPEND root=LABEL=blockhost-root ro console=ttyS0 "
			   "console=tty0\n", kernel, initrd) < 0 ||
	    asprintf(&d, "%s/boot/extlinux", t->root) < 0 ||
	    asprintf(&mbr, "%s/usr/lib/syslinux/mbr/mbr.bin", t->root) < 0)
		goto out;
	if (mkdir(d, 0755) < 0 && errno != EEXIST) {
		r = sys_fail("mkdir", d);
		goto out;
	}
	if ((r = put(t->root, "/boot/extlinux/extlinux.conf", cfg, 0644)) < 0 ||
	    (r = runner_call(BT_OP_EXTLINUX)) < 0)
		goto out;
	if ((r = copy_boot_code(t->fd, mbr)) < 0) {
		fprintf(stderr, "[build-template] MBR boot code %s: %s\n", mbr, bh_strerror(r));
		goto out;
	}
	*ret_kernel = kernel;
	kernel = NULL;
	r = 0;
out:
	free(kernel); free(initrd); free(cfg); free(d); free(mbr);
	return r;
}

static const struct option template_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "size", required_argument, NULL, 's' },
	{ "mirror", required_argument, NULL, 'm' },
	{ "suite", required_argument, NULL, 'S' },
	{ "packages-dir", required_argument, NULL, 'p' },
	{ "work-dir", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 },
};

/* The steps in order (the builder, under its filter). */
static int build(struct tctx *t)
{
	char *kernel = NULL;
	int r;

	if ((r = step_disk(t, bt.size_gb)) < 0)
		goto out;
	step(2, "loop device and ext4 file system");
	if ((r = runner_call(BT_OP_FS)) < 0)
		goto out;
	step(3, "debootstrap (this takes minutes)");
	if ((r = runner_call(BT_OP_DEBOOTSTRAP)) < 0)
		goto out;
	step(4, "openssh-server, cloud-init, qemu-guest-agent; VM-side packages from template-packages/");
	if ((r = runner_call(BT_OP_PACKAGES)) < 0 || (r = step_config(t)) < 0 ||
	    (r = step_boot(t, &kernel)) < 0)
		goto out;
	step(7, "unmount");
	if ((r = runner_call(BT_OP_RELEASE)) < 0)
		goto out;
	if (fsync(t->fd) < 0) {
		r = sys_fail("fsync", t->raw);
		goto out;
	}
	close(t->fd);
	t->fd = -1;
	step(8, "convert to qcow2");
	if ((r = runner_call(BT_OP_CONVERT)) < 0)
		goto out;
	step(9, "done");
	printf("      %s (%ld GiB virtual, kernel %s)\n", bt.output, bt.size_gb, kernel);
out:
	free(kernel);
	return r;
}

/*
 * Before the sandbox (main.c: after --help/--version): the options, the root check, the
 * paths, the mirror, the drop-in text, the work directory; then the runner is forked.
 * 0, BH_EXIT_USAGE after a usage error, or -1 after a message.
 */
static int template_before_sandbox(int argc, char **argv)
{
	const char *workbase = "/var/tmp";
	int o, sv[2];

	bt.suite = "bookworm";
	bt.size_gb = 4;
	while ((o = getopt_long(argc, argv, "", template_options, NULL)) != -1) {
		switch (o) {
		case 'o': free(bt.output); bt.output = strdup(optarg); break;
		case 's': bt.size_gb = strtol(optarg, NULL, 10); break;
		case 'm': free(bt.mirror); bt.mirror = strdup(optarg); break;
		case 'S': bt.suite = optarg; break;
		case 'p': free(bt.pkgdir); bt.pkgdir = strdup(optarg); break;
		case 'w': workbase = optarg; break;
		default: prov_usage(&prov_cmd_build_template); return BH_EXIT_USAGE;
		}
	}
	if (optind != argc || bt.size_gb < 2 || bt.size_gb > 256) {
		prov_usage(&prov_cmd_build_template);
		return BH_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "[build-template] must run as root (loop devices, mount, chroot)\n");
		return -1;
	}
	if ((!bt.output && bh_path(BH_DIR_STATE, "templates/blockhost-base.qcow2", &bt.output) < 0) ||
	    (!bt.pkgdir && bh_path(BH_DIR_STATE, "template-packages", &bt.pkgdir) < 0)) {
		fprintf(stderr, "[build-template] out of memory\n");
		return -1;
	}
	if (!bt.mirror && !(bt.mirror = apt_mirror())) {
		fprintf(stderr, "[build-template] no Debian mirror found in the apt sources; "
			"pass --mirror URL\n");
		return -1;
	}
	bt.dropin = read_text(BH_DIR_SHARE, "vm/50-blockhost.conf");
	if (asprintf(&bt.t.work, "%s/bh-template.XXXXXX", workbase) < 0 || !mkdtemp(bt.t.work)) {
		free(bt.t.work);
		bt.t.work = NULL;
		sys_fail("work directory under", workbase);
		return -1;
	}
	if (asprintf(&bt.t.raw, "%s/disk.raw", bt.t.work) < 0 ||
	    asprintf(&bt.t.root, "%s/root", bt.t.work) < 0 ||
	    asprintf(&bt.tmp_out, "%s.tmp", bt.output) < 0 || mkdir(bt.t.root, 0755) < 0) {
		sys_fail("work directory", bt.t.work);
		release(&bt.t, false);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		sys_fail("runner", "socketpair");
		release(&bt.t, false);
		return -1;
	}
	fflush(NULL);
	if ((bt.runner = fork()) < 0) {
		sys_fail("runner", "fork");
		close(sv[0]);
		close(sv[1]);
		release(&bt.t, false);
		return -1;
	}
	if (bt.runner == 0) {
		close(sv[0]);
		/* a closed stdout (| head) must not kill it before it has cleaned up; the
		 * tools it runs get every signal back at their default (core/spawn.h) */
		signal(SIGPIPE, SIG_IGN);
		runner_loop(sv[1]);
		fflush(NULL);
		_exit(0);
	}
	close(sv[1]);
	bt.fd = sv[0];
	/* the builder's [identity] is root:root with no supplementary group; a root shell
	 * may carry some (su, a container's root): dropped here, the runner keeps them */
	if (setgroups(0, NULL) < 0) {
		sys_fail("setgroups", "");
		return -1;
	}
	/* a runner that died: write() fails with EPIPE and the step says so (the builder
	 * executes nothing, so no program inherits the ignored signal) */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int cmd_build_template(int argc, char **argv)
{
	int r, st;

	(void)argc;
	(void)argv;   /* template_before_sandbox parsed them */
	r = build(&bt.t);
	if (bt.t.fd >= 0)
		close(bt.t.fd);
	/* EOF: the runner releases the mounts and the loop device, removes the work
	 * directory and exits; wait for it so nothing is left when this program returns */
	close(bt.fd);
	while (waitpid(bt.runner, &st, 0) < 0 && errno == EINTR)
		;
	free(bt.t.work); free(bt.t.raw); free(bt.t.root);
	free(bt.output); free(bt.pkgdir); free(bt.mirror); free(bt.tmp_out); free(bt.dropin);
	return r < 0 ? 1 : 0;
}

const struct prov_cmd prov_cmd_build_template = {
	.name = "build-template", .run = cmd_build_template, .options = template_options,
	.usage = "blockhost-build-template [--output PATH] [--size GB (4)] [--mirror URL] "
		 "[--suite bookworm] [--packages-dir DIR] [--work-dir DIR]",
	.sandbox = PROV_SANDBOX_FULL, .service = "blockhost-build-template",
	.before_sandbox = template_before_sandbox,
};

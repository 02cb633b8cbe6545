/* SPDX-License-Identifier: MIT */
/*
 * blockhost-build-template: the VM base image, built from the Debian mirror apt already
 * uses (no other downloads): a raw disk with one MBR partition (written here), ext4 on a
 * loop device, debootstrap bookworm with the kernel, openssh-server, cloud-init,
 * qemu-guest-agent and extlinux, our VM-side .debs from template-packages/, the sshd
 * drop-in, a NoCloud datasource, extlinux + the syslinux MBR, then qemu-img convert to
 * qcow2.  Runs as root (loop devices, mount, chroot); slow (minutes): `make template`.
 * Every mount and loop device is released on any failure.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/atomicio.h"
#include "core/path.h"
#include "prov.h"
#include "core/spawn.h"

int prov_build_template(int argc, char **argv);

#define STEPS 9
#define PART_START_SECTOR 2048u

/* debootstrap does not resolve virtual packages (cloud-init → python3-cryptography →
 * python3-cffi-backend-api-*), so it installs the base and apt in the chroot the rest */
static const char *include_pkgs =
	"linux-image-amd64,initramfs-tools,systemd-sysv,udev,extlinux,syslinux-common,"
	"ca-certificates,netbase,iproute2";
static const char *apt_pkgs =
	"openssh-server cloud-init qemu-guest-agent sudo ifupdown isc-dhcp-client locales";

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
	uint8_t code[440];
	int fd = open(mbr_bin, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return bh_negerrno();
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

int prov_build_template(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "size", required_argument, NULL, 's' },
		{ "mirror", required_argument, NULL, 'm' },
		{ "suite", required_argument, NULL, 'S' },
		{ "packages-dir", required_argument, NULL, 'p' },
		{ "work-dir", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct tctx t = { .binds = { "/dev", "/proc", "/sys" } };
	char *output = NULL, *pkgdir = NULL, *mirror = NULL, *tmp_out = NULL, *kernel = NULL;
	char *initrd = NULL, *cfg = NULL, *dropin = NULL, *mbr = NULL, *p = NULL;
	const char *suite = "bookworm", *workbase = "/var/tmp";
	long size_gb = 4;
	int o, r = BH_ERR_INTERNAL, fd = -1;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'o': free(output); output = strdup(optarg); break;
		case 's': size_gb = strtol(optarg, NULL, 10); break;
		case 'm': free(mirror); mirror = strdup(optarg); break;
		case 'S': suite = optarg; break;
		case 'p': free(pkgdir); pkgdir = strdup(optarg); break;
		case 'w': workbase = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc || size_gb < 2 || size_gb > 256)
		goto usage;
	if (geteuid() != 0) {
		fprintf(stderr, "[build-template] must run as root (loop devices, mount, chroot)\n");
		r = -EPERM;
		goto out;
	}
	if ((!output && bh_path(BH_DIR_STATE, "templates/blockhost-base.qcow2", &output) < 0) ||
	    (!pkgdir && bh_path(BH_DIR_STATE, "template-packages", &pkgdir) < 0))
		goto out;
	if (!mirror && !(mirror = apt_mirror())) {
		fprintf(stderr, "[build-template] no Debian mirror found in the apt sources; "
			"pass --mirror URL\n");
		r = BH_ERR_CONFIG;
		goto out;
	}
	if (asprintf(&t.work, "%s/bh-template.XXXXXX", workbase) < 0 || !mkdtemp(t.work) ||
	    asprintf(&t.raw, "%s/disk.raw", t.work) < 0 || asprintf(&t.root, "%s/root", t.work) < 0 ||
	    asprintf(&tmp_out, "%s.tmp", output) < 0 || mkdir(t.root, 0755) < 0) {
		r = bh_negerrno();
		fprintf(stderr, "[build-template] work directory under %s: %s\n", workbase,
			strerror(-r));
		goto out;
	}

	step(1, "raw disk and partition table");
	if ((fd = open(t.raw, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    ftruncate(fd, (off_t)size_gb << 30) < 0 || (r = write_mbr(fd, (uint64_t)size_gb << 30)) < 0)
		goto fail_errno;

	step(2, "loop device and ext4 file system");
	{
		char off[32];
		snprintf(off, sizeof off, "%u", PART_START_SECTOR * 512u);
		const char *av[] = { "losetup", "--find", "--show", "-o", off, t.raw, NULL };
		if ((r = run(av, 60, &t.loop_part)) < 0 || !t.loop_part)
			goto fail;
		const char *mk[] = { "mkfs.ext4", "-q", "-L", "blockhost-root", t.loop_part, NULL };
		if ((r = run(mk, 300, NULL)) < 0)
			goto fail;
		if (mount(t.loop_part, t.root, "ext4", 0, NULL) < 0)
			goto fail_errno;
		t.mounted = true;
	}

	step(3, "debootstrap (this takes minutes)");
	printf("      mirror %s, suite %s\n", mirror, suite);
	fflush(stdout);
	{
		const char *av[] = { "debootstrap", "--variant=minbase", "--include", include_pkgs,
				     suite, t.root, mirror, NULL };
		if ((r = run(av, 3600, NULL)) < 0) {
			char *lp = NULL;
			if (asprintf(&lp, "%s/debootstrap/debootstrap.log", t.root) >= 0) {
				int lf = open(lp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
				char tb[3000];
				ssize_t tn;
				if (lf >= 0) {
					off_t end = lseek(lf, 0, SEEK_END);
					tn = pread(lf, tb, sizeof tb, end > 3000 ? end - 3000 : 0);
					fprintf(stderr, "[build-template] tail of %s:\n%.*s\n", lp,
						(int)(tn > 0 ? tn : 0), tb);
					close(lf);
				}
				free(lp);
			}
			goto fail;
		}
	}
	for (int i = 0; i < 3; i++) {
		if (asprintf(&p, "%s%s", t.root, t.binds[i]) < 0)
			goto fail_errno;
		if (mount(t.binds[i], p, NULL, MS_BIND | MS_REC, NULL) < 0) {
			free(p);
			p = NULL;
			goto fail_errno;
		}
		t.bound[i] = true;
		free(p);
		p = NULL;
	}

	step(4, "openssh-server, cloud-init, qemu-guest-agent; VM-side packages from template-packages/");
	{
		char *cmd;
		if (asprintf(&cmd, "apt-get update -q && apt-get install -y -q --no-install-recommends %s",
			     apt_pkgs) < 0)
			goto fail_errno;
		const char *sh[] = { "chroot", t.root, "/bin/sh", "-c", cmd, NULL };
		r = run(sh, 3600, NULL);
		free(cmd);
		if (r < 0)
			goto fail;
	}
	{
		glob_t g;
		char *pat;
		if (asprintf(&pat, "%s/*.deb", pkgdir) < 0)
			goto fail_errno;
		if (glob(pat, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
			char *dst;
			if (asprintf(&dst, "%s/tmp/blockhost-debs", t.root) < 0 || mkdir(dst, 0755) < 0) {
				globfree(&g);
				free(pat);
				goto fail_errno;
			}
			for (size_t i = 0; i < g.gl_pathc; i++) {
				const char *cp[] = { "cp", g.gl_pathv[i], dst, NULL };
				if ((r = run(cp, 60, NULL)) < 0)
					break;
			}
			free(dst);
			if (r >= 0) {
				const char *sh[] = { "chroot", t.root, "/bin/sh", "-c",
						     "apt-get install -y /tmp/blockhost-debs/*.deb && "
						     "rm -rf /tmp/blockhost-debs", NULL };
				r = run(sh, 1800, NULL);
			}
			printf("      %zu package(s)\n", g.gl_pathc);
		} else {
			printf("      none in %s\n", pkgdir);
		}
		globfree(&g);
		free(pat);
		if (r < 0)
			goto fail;
	}

	step(5, "sshd drop-in, cloud-init NoCloud, fstab, hostname");
	dropin = NULL;
	{
		char *sp = NULL;
		struct bh_buf b;
		bh_buf_init(&b, 65536);
		if (bh_path(BH_DIR_SHARE, "vm/50-blockhost.conf", &sp) == 0 &&
		    bh_file_load_safe(&b, sp) == 0 && (dropin = malloc(bh_buf_len(&b) + 1))) {
			memcpy(dropin, bh_buf_ptr(&b), bh_buf_len(&b));
			dropin[bh_buf_len(&b)] = '\0';
		}
		bh_buf_done(&b);
		free(sp);
	}
	if ((r = put(t.root, "/etc/ssh/sshd_config.d/50-blockhost.conf",
		     dropin ? dropin : sshd_dropin, 0644)) < 0 ||
	    (r = put(t.root, "/etc/cloud/cloud.cfg.d/90-blockhost.cfg",
		     "datasource_list: [ NoCloud, None ]\n", 0644)) < 0 ||
	    (r = put(t.root, "/etc/fstab", "LABEL=blockhost-root / ext4 errors=remount-ro 0 1\n",
		     0644)) < 0 ||
	    (r = put(t.root, "/etc/hostname", "blockhost-template\n", 0644)) < 0)
		goto fail;
	{
		const char *sh[] = { "chroot", t.root, "/bin/sh", "-c",
				     "sed -i 's/^KbdInteractiveAuthentication no/#&/' "
				     "/etc/ssh/sshd_config && "
				     "(grep -q '^Include /etc/ssh/sshd_config.d/' /etc/ssh/sshd_config || "
				     "sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config) && "
				     "rm -f /etc/ssh/ssh_host_*key* /etc/machine-id && touch /etc/machine-id && "
				     "apt-get clean", NULL };
		if ((r = run(sh, 300, NULL)) < 0)
			goto fail;
	}

	step(6, "extlinux boot loader");
	if (!(kernel = newest(t.root, "/boot/vmlinuz-*")) ||
	    !(initrd = newest(t.root, "/boot/initrd.img-*"))) {
		fprintf(stderr, "[build-template] no kernel/initrd in /boot\n");
		r = BH_ERR_NOT_FOUND;
		goto fail;
	}
	if (asprintf(&cfg, "DEFAULT linux\nTIMEOUT 1\nPROMPT 0\nLABEL linux\n  KERNEL %s\n"
			   "  INITRD %s\n  APPEND root=LABEL=blockhost-root ro console=ttyS0 "
			   "console=tty0\n", kernel, initrd) < 0)
		goto fail_errno;
	{
		char *d;
		if (asprintf(&d, "%s/boot/extlinux", t.root) < 0 || (mkdir(d, 0755) < 0 && errno != EEXIST)) {
			free(d);
			goto fail_errno;
		}
		free(d);
	}
	if ((r = put(t.root, "/boot/extlinux/extlinux.conf", cfg, 0644)) < 0)
		goto fail;
	{
		const char *av[] = { "chroot", t.root, "extlinux", "--install", "/boot/extlinux", NULL };
		if ((r = run(av, 120, NULL)) < 0)
			goto fail;
	}
	if (asprintf(&mbr, "%s/usr/lib/syslinux/mbr/mbr.bin", t.root) < 0)
		goto fail_errno;
	if ((r = copy_boot_code(fd, mbr)) < 0) {
		fprintf(stderr, "[build-template] MBR boot code %s: %s\n", mbr, bh_strerror(r));
		goto fail;
	}

	step(7, "unmount");
	release(&t, true);
	if (fsync(fd) < 0)
		goto fail_errno;
	close(fd);
	fd = -1;

	step(8, "convert to qcow2");
	{
		char *dir = strdup(output), *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash) {
			*slash = '\0';
			mkdir(dir, 0755);
		}
		free(dir);
		const char *av[] = { "qemu-img", "convert", "-q", "-c", "-f", "raw", "-O", "qcow2",
				     t.raw, tmp_out, NULL };
		if ((r = run(av, 3600, NULL)) < 0)
			goto fail;
		if (chmod(tmp_out, 0644) < 0 || rename(tmp_out, output) < 0)
			goto fail_errno;
	}

	step(9, "done");
	printf("      %s (%ld GiB virtual, kernel %s)\n", output, size_gb, kernel);
	r = 0;
	goto out;
fail_errno:
	if (r >= 0 || r == BH_ERR_INTERNAL)
		r = bh_negerrno();
	fprintf(stderr, "[build-template] %s\n", strerror(-r > 0 && -r < 4096 ? -r : EIO));
fail:
	if (tmp_out)
		unlink(tmp_out);
out:
	if (fd >= 0)
		close(fd);
	release(&t, false);
	free(t.work); free(t.raw); free(t.root);
	free(output); free(pkgdir); free(mirror); free(tmp_out); free(kernel); free(initrd);
	free(cfg); free(dropin); free(mbr); free(p);
	return r < 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: blockhost-build-template [--output PATH] [--size GB (4)] "
		"[--mirror URL] [--suite bookworm] [--packages-dir DIR] [--work-dir DIR]\n");
	free(output); free(pkgdir); free(mirror);
	return 2;
}

/* SPDX-License-Identifier: MIT */
/*
 * NoCloud seed texts (upstream.md §5.9): user-data creates the user with GECOS
 * "wallet=<addr>,nft=", writes /etc/pam_web3/config.toml with a fresh secret, the
 * sshd drop-in and the PAM stack.  Every substituted value is validated first, so
 * nothing a caller passes can break out of its YAML scalar.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "host/gecos.h"
#include "prov.h"

/* Built-ins, used when /usr/share/blockhost/vm/{pam.d-sshd,50-blockhost.conf} are absent. */
static const char default_sshd_dropin[] =
	"ChallengeResponseAuthentication yes\n"
	"KbdInteractiveAuthentication yes\n"
	"UsePAM yes\n"
	"PasswordAuthentication no\n"
	"PubkeyAuthentication no\n"
	"AuthenticationMethods keyboard-interactive\n"
	"PermitRootLogin no\n"
	"MaxAuthTries 6\n"
	"LoginGraceTime 120\n";  /* > pam_web3 otp_ttl_seconds 90 + callback grace 10 (docs/pam_web3.md) */

/* Only the provisioned user may log in, and only through pam_web3. */
static const char default_pam_sshd[] =
	"# BlockHost: wallet-signature login for @USERNAME@ only\n"
	"auth [success=ok default=die] pam_succeed_if.so quiet user = @USERNAME@\n"
	"auth [success=done default=die] pam_web3.so\n"
	"account required pam_nologin.so\n"
	"@include common-account\n"
	"session [success=ok ignore=ignore module_unknown=ignore default=bad] pam_selinux.so close\n"
	"session required pam_loginuid.so\n"
	"session optional pam_keyinit.so force revoke\n"
	"@include common-session\n"
	"session optional pam_motd.so motd=/run/motd.dynamic\n"
	"session optional pam_motd.so noupdate\n"
	"session optional pam_mail.so standard noenv\n"
	"session required pam_limits.so\n"
	"session required pam_env.so\n"
	"session required pam_env.so user_readenv=1 envfile=/etc/default/locale\n"
	"session [success=ok ignore=ignore module_unknown=ignore default=bad] pam_selinux.so open\n"
	"@include common-password\n";

static bool is_hex64(const char *s)
{
	if (!s || strlen(s) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

static bool is_ip(const char *s, int af)
{
	unsigned char b[16];
	return s && *s && inet_pton(af, s, b) == 1;
}

/* Write text as a YAML literal block indented by `ind` spaces; @USERNAME@ substituted. */
static int put_block(FILE *f, const char *text, int ind, const char *username)
{
	const char *p = text;
	bool bol = true;

	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c != '\n' && c != '\t' && (c < 0x20 || c == 0x7f))
			return BH_ERR_FORMAT;
		if (bol) {
			fprintf(f, "%*s", ind, "");
			bol = false;
		}
		if (strncmp(p, "@USERNAME@", 10) == 0) {
			fputs(username, f);
			p += 9;
			continue;
		}
		fputc(*p, f);
		if (c == '\n')
			bol = true;
	}
	if (!bol)
		fputc('\n', f);
	return 0;
}

int prov_render_user_data(const struct prov_seed_spec *s, char **ret, struct bh_msg *msg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (!prov_valid_name(s->vm_name)) {
		bh_msg_set(msg, "vm name: invalid");
		return BH_ERR_FORMAT;
	}
	if (!prov_valid_username(s->username)) {
		bh_msg_set(msg, "username '%s': must match ^[a-z_][a-z0-9_-]{0,31}$", s->username);
		return BH_ERR_FORMAT;
	}
	struct bh_gecos g = { .has_nft = false }; /* nft= stays empty until update-gecos */
	char gecos[BH_GECOS_STR_MAX];
	if (!prov_valid_wallet(s->wallet) || bh_hex_decode_ct(s->wallet + 2, 40, g.wallet, 20) < 0) {
		bh_msg_set(msg, "owner wallet: must match ^0x[0-9a-fA-F]{40}$");
		return BH_ERR_FORMAT;
	}
	bh_gecos_format(&g, gecos);
	if (!is_hex64(s->secret_hex)) {
		bh_msg_set(msg, "secret: expected 64 lower-case hex digits");
		return BH_ERR_FORMAT;
	}
	if (!(f = open_memstream(&buf, &len)))
		return -ENOMEM;
	fprintf(f,
		"#cloud-config\n"
		"hostname: %s\n"
		"manage_etc_hosts: true\n"
		"disable_root: true\n"
		"ssh_pwauth: false\n"
		"users:\n"
		"  - name: %s\n"
		"    gecos: \"%s\"\n"
		"    groups: [sudo]\n"
		"    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n"
		"    shell: /bin/bash\n"
		"    lock_passwd: true\n"
		"write_files:\n"
		"  - path: /etc/pam_web3/config.toml\n"
		"    owner: root:root\n"
		"    permissions: '0640'\n"
		"    content: |\n"
		"      [machine]\n"
		"      id = \"%s\"\n"
		"      secret_key = \"%s\"\n"
		"      [auth]\n"
		"      otp_length = 6\n"
		"      otp_ttl_seconds = 90\n"
		"  - path: /etc/ssh/sshd_config.d/50-blockhost.conf\n"
		"    owner: root:root\n"
		"    permissions: '0644'\n"
		"    content: |\n",
		s->vm_name, s->username, gecos, s->vm_name, s->secret_hex);
	if ((r = put_block(f, s->sshd_dropin ? s->sshd_dropin : default_sshd_dropin, 6,
			   s->username)) < 0)
		goto bad;
	fputs("  - path: /etc/pam.d/sshd\n"
	      "    owner: root:root\n"
	      "    permissions: '0644'\n"
	      "    content: |\n", f);
	if ((r = put_block(f, s->pam_sshd ? s->pam_sshd : default_pam_sshd, 6, s->username)) < 0)
		goto bad;
	fputs("runcmd:\n"
	      "  - [sed, -i, 's/^KbdInteractiveAuthentication no/#&/', /etc/ssh/sshd_config]\n"
	      "  - [systemctl, enable, --now, qemu-guest-agent]\n"
	      "  - [systemctl, restart, ssh]\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
bad:
	fclose(f);
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
	bh_msg_set(msg, "sshd/PAM template: control characters are not allowed");
	return r;
}

int prov_render_meta_data(const struct prov_seed_spec *s, char **ret)
{
	if (!prov_valid_name(s->vm_name))
		return BH_ERR_FORMAT;
	return asprintf(ret, "instance-id: %s\nlocal-hostname: %s\n", s->vm_name, s->vm_name) < 0
		? -ENOMEM : 0;
}

int prov_render_network_config(const struct prov_seed_spec *s, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	bool v4 = is_ip(s->ip, AF_INET), v6 = is_ip(s->ipv6, AF_INET6);
	FILE *f;

	if ((s->ip && *s->ip && !v4) || (s->ipv6 && *s->ipv6 && !v6) ||
	    (s->gateway && !is_ip(s->gateway, AF_INET)) ||
	    (s->ipv6_gateway && !is_ip(s->ipv6_gateway, AF_INET6)))
		return BH_ERR_FORMAT;
	if (!(f = open_memstream(&buf, &len)))
		return -ENOMEM;
	/* The key is the interface name: the template's ENI renderer has no "match:" (it
	 * would configure an interface named after the key), so it is the predictable name
	 * of the NIC at our fixed PCI slot (prov.h). */
	fputs("version: 2\nethernets:\n  " PROV_NIC_NAME ":\n", f);
	if (!v4 && !v6) {
		fputs("    dhcp4: true\n", f);
	} else {
		fputs("    addresses:\n", f);
		if (v4)
			fprintf(f, "      - %s/24\n", s->ip);
		if (v6)
			fprintf(f, "      - %s/128\n", s->ipv6);
		/* gateway4/gateway6, not "routes: - to: default": cloud-init 22.4 (the template's)
		 * refuses "default" as a route destination and then configures nothing, and its
		 * ENI renderer turns routes into net-tools "route add" lines the template lacks.
		 * A subnet gateway becomes ifupdown's own "gateway" option, which adds the
		 * default route with "onlink" — so the IPv6 gateway (prefix+1) is reachable
		 * from a /128 address without an extra on-link route. */
		if (v4 && s->gateway)
			fprintf(f, "    gateway4: %s\n", s->gateway);
		if (v6 && s->ipv6_gateway)
			fprintf(f, "    gateway6: %s\n", s->ipv6_gateway);
		if (v4 && s->gateway)
			fprintf(f, "    nameservers:\n      addresses: [%s]\n", s->gateway);
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

/* ------------------------------------------------------------ the template's sshd_config */

static bool starts_with(const char *p, size_t n, const char *pre)
{
	size_t l = strlen(pre);
	return n >= l && memcmp(p, pre, l) == 0;
}

int prov_sshd_config_fix(const char *text, size_t len, char **ret)
{
	static const char kbd[] = "KbdInteractiveAuthentication no";
	static const char inc[] = "Include /etc/ssh/sshd_config.d/";
	char *buf = NULL;
	size_t blen = 0;
	bool has_include = false;
	FILE *f;

	if (len > (1u << 20))
		return BH_ERR_LIMIT;
	if (len && memchr(text, 0, len))
		return BH_ERR_NUL;
	for (size_t pos = 0; pos < len;) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos;
		has_include |= starts_with(l, ll, inc);
		pos += ll + (nl ? 1 : 0);
	}
	if (!(f = open_memstream(&buf, &blen)))
		return -ENOMEM;
	if (!has_include)
		fputs("Include /etc/ssh/sshd_config.d/*.conf\n", f);
	for (size_t pos = 0; pos < len;) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) + 1 : len - pos;
		if (starts_with(l, ll, kbd))
			fputc('#', f);
		fwrite(l, 1, ll, f);
		pos += ll;
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

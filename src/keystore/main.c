/* SPDX-License-Identifier: MIT */
/*
 * blockhost-keystore: operator CLI for the TPM-sealed host keys (init, status,
 * address, export-pubkey, recover, reseal) and the daemon (serve).
 * See docs/keystore.md.
 */
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "blob.h"
#include "core/buf.h"
#include "cli.h"
#include "eth/eth.h"
#include "core/frame.h"
#include "host/keystore_client.h"
#include "core/hex.h"
#include "keys.h"
#include "core/log.h"
#include "eth/secp.h"

int ks_exit_code(int r)
{
	switch (r) {
	case 0: return KS_EXIT_OK;
	case BH_ERR_PCR_MISMATCH: return KS_EXIT_PCR;
	case BH_ERR_NO_TPM: return KS_EXIT_NO_TPM;
	case BH_ERR_TPM_LOCKOUT: return KS_EXIT_LOCKOUT;
	case BH_ERR_NOT_FOUND: return KS_EXIT_NOT_FOUND;
	default: return KS_EXIT_ERROR;
	}
}

static int fail(int r, const struct bh_msg *m, const char *what)
{
	if (m && m->text[0])
		log_error("%s: %s (%s)", what, m->text, bh_strerror(r));
	else
		log_error_r(r, "%s", what);
	return ks_exit_code(r);
}

int ks_tpm_open(struct ks_global *g, struct bh_tpm **ret)
{
	struct bh_msg m = { "" };
	int r = bh_tpm_open(g->cfg.tcti, ret, &m);
	if (r < 0)
		fail(r, &m, "TPM");
	return r;
}

/* ------------------------------------------------------------------ passphrase */

/* Read one line (without the newline) from fd into a sodium_malloc'd buffer. */
static int read_pass_fd(int fd, char **ret, size_t *ret_len)
{
	char *p = sodium_malloc(BH_KS_PASSPHRASE_MAX + 1);
	size_t n = 0;
	if (!p)
		return -ENOMEM;
	for (;;) {
		char c;
		ssize_t k = read(fd, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int r = bh_negerrno();
			sodium_free(p);
			return r;
		}
		if (k == 0 || c == '\n')
			break;
		if (n == BH_KS_PASSPHRASE_MAX) {
			sodium_free(p);
			return BH_ERR_LENGTH;
		}
		p[n++] = c;
	}
	if (n && p[n - 1] == '\r')
		n--;
	p[n] = '\0';
	if (memchr(p, '\0', n)) {
		sodium_free(p);
		return BH_ERR_NUL;
	}
	*ret = p;
	*ret_len = n;
	return 0;
}

static int read_pass_tty(const char *prompt, char **ret, size_t *ret_len)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios old, raw;
	int r;
	if (fd < 0) {
		log_error("no terminal to read the passphrase from: use --passphrase-fd N");
		return BH_ERR_CONFIG;
	}
	if (tcgetattr(fd, &old) < 0) {
		r = bh_negerrno();
		close(fd);
		return r;
	}
	raw = old;
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	raw.c_lflag |= ICANON;
	(void)!write(fd, prompt, strlen(prompt));
	tcsetattr(fd, TCSAFLUSH, &raw);
	r = read_pass_fd(fd, ret, ret_len);
	tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	return r;
}

/* Passphrase from --passphrase-fd or the terminal (asked twice when confirm). */
static int get_passphrase(int fd, bool confirm, char **ret, size_t *ret_len)
{
	int r;
	char *a = NULL, *b = NULL;
	size_t al = 0, bl = 0;
	if (fd >= 0)
		r = read_pass_fd(fd, &a, &al);
	else {
		r = read_pass_tty("Recovery passphrase: ", &a, &al);
		if (r == 0 && confirm) {
			if ((r = read_pass_tty("Repeat passphrase: ", &b, &bl)) == 0 &&
			    (al != bl || sodium_memcmp(a, b, al) != 0)) {
				log_error("passphrases do not match");
				r = BH_ERR_MISMATCH;
			}
			sodium_free(b);
		}
	}
	if (r < 0) {
		sodium_free(a);
		return r;
	}
	*ret = a;
	*ret_len = al;
	return 0;
}

static int parse_fd(const char *s, int *ret)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 65535)
		return BH_ERR_RANGE;
	*ret = (int)v;
	return 0;
}

/* --pcrs and --passphrase-fd, shared by init, recover and reseal: log what was wrong. */
static int opt_pcrs(const char *arg, uint32_t *mask)
{
	if (bh_tpm_pcr_mask_parse(arg, mask) < 0) {
		log_error("--pcrs '%s': expected PCR numbers 0..23 separated by commas", arg);
		return BH_ERR_CONFIG;
	}
	return 0;
}

static int opt_passphrase_fd(const char *arg, int *fd)
{
	if (parse_fd(arg, fd) < 0) {
		log_error("--passphrase-fd '%s': expected a descriptor number", arg);
		return BH_ERR_CONFIG;
	}
	return 0;
}

static int parse_kdf(const char *s, enum bh_ks_kdf_level *ret)
{
	if (!strcmp(s, "interactive"))
		*ret = BH_KS_KDF_INTERACTIVE;
	else if (!strcmp(s, "moderate"))
		*ret = BH_KS_KDF_MODERATE;
	else if (!strcmp(s, "sensitive"))
		*ret = BH_KS_KDF_SENSITIVE;
	else
		return BH_ERR_CONFIG;
	return 0;
}

static bool blobs_exist(int dfd)
{
	for (int i = 0; i < BH_KS_NKEYS; i++) {
		char name[64];
		struct stat st;
		snprintf(name, sizeof(name), "%s.blob", bh_ks_key_name(i));
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			return true;
	}
	return false;
}

/*
 * The keystore directory and blobs belong to the keystore's own user: --owner USER,
 * else (when run as root) the policy's default "blockhost-keystore" if that account
 * exists, else they stay with the caller (tests, development).
 */
#define KS_DEFAULT_OWNER "blockhost-keystore"

struct ks_owner {
	const char *name;  /* NULL: keep the caller's */
	uid_t uid;
	gid_t gid;
};

static int resolve_owner(const char *owner, struct ks_owner *ret)
{
	struct passwd *pw;
	ret->name = NULL;
	ret->uid = (uid_t)-1;
	ret->gid = (gid_t)-1;
	if (!owner) {
		if (geteuid() != 0 || !(pw = getpwnam(KS_DEFAULT_OWNER)))
			return 0;
		owner = KS_DEFAULT_OWNER;
	} else if (!(pw = getpwnam(owner))) {
		log_error("--owner '%s': no such user", owner);
		return BH_ERR_NOT_FOUND;
	}
	ret->name = owner;
	ret->uid = pw->pw_uid;
	ret->gid = pw->pw_gid;
	return 0;
}

/*
 * Open the keystore directory (bh_ks_dir_open: no symlink, owner root, us or the
 * keystore user, mode 0700); every later access goes through the returned fd.
 */
static int open_store(struct ks_global *g, bool create, const struct ks_owner *o, int *ret_fd)
{
	struct bh_msg m = { "" };
	int r = bh_ks_dir_open(g->cfg.dir, create, o->uid, ret_fd, &m);
	if (r < 0)
		fail(r, &m, "keystore directory");
	return r;
}

static int parse_owner_opt(const char *arg, const char **ret)
{
	if (!arg || !*arg || strlen(arg) > 32)
		return BH_ERR_CONFIG;
	*ret = arg;
	return 0;
}

/* Seal k to the PCRs in mask into the keystore directory dfd, owned by o. */
static int seal_store(struct ks_global *g, struct bh_tpm *t, int dfd, uint32_t mask,
		      const struct bh_ks_keys *k, const struct ks_owner *o)
{
	struct bh_msg m = { "" };
	int r;

	if ((r = bh_ks_seal_all(t, dfd, g->cfg.dir, mask, k, o->uid, o->gid, &m)) < 0) {
		fail(r, &m, "seal");
		return r;
	}
	if (!o->name)
		return 0;
	/* the directory through its fd: never a chown by name */
	if (fchown(dfd, o->uid, o->gid) < 0) {
		r = bh_negerrno();
		log_error_r(r, "%s: cannot give the keystore to %s", g->cfg.dir, o->name);
		return r;
	}
	log_info("%s: owned by %s", g->cfg.dir, o->name);
	return 0;
}

/* The wallet address as checksummed 0x text. */
static int wallet_address_str(const struct bh_ks_keys *k, char out[static BH_ADDR_STR_LEN + 1])
{
	uint8_t a[20];
	int r;

	if ((r = bh_ks_wallet_address(k, a)) < 0)
		return r;
	bh_eth_addr_checksum(a, out);
	return 0;
}

/* ------------------------------------------------------------------ init */

static const char init_usage[] =
	"usage: blockhost-keystore [--config F] [--tcti T] init [--pcrs LIST] [--owner USER]\n"
	"           [--recovery FILE [--passphrase-fd N] [--kdf interactive|moderate|sensitive]]\n"
	"Generate the host wallet key, the server ECIES key (secp256k1) and the TLS key\n"
	"(P-256), seal each to the TPM bound to the current values of the PCRs (LIST, e.g.\n"
	"\"7\" or \"7,14\"; default from keystore.json, else 7) and write the blobs 0600 to\n"
	"<state>/keystore/.  Refuses if any blob exists.  --recovery writes the keys once,\n"
	"encrypted with a passphrase (argon2id + XChaCha20-Poly1305 secretstream), to FILE;\n"
	"the passphrase is read from file descriptor N, else from the terminal (twice);\n"
	"never from argv or the environment.  Prints the wallet address.  --owner: the\n"
	"keystore user owning the blobs (default when root: blockhost-keystore if it exists).\n";

static int cmd_init(struct ks_global *g, int argc, char **argv)
{
	static const struct option o[] = {
		{ "pcrs", 1, NULL, 'p' }, { "recovery", 1, NULL, 'r' },
		{ "passphrase-fd", 1, NULL, 'f' }, { "kdf", 1, NULL, 'k' },
		{ "owner", 1, NULL, 'o' }, { "help", 0, NULL, 'h' }, { 0 } };
	uint32_t mask = g->cfg.pcr_mask;
	const char *recovery = NULL, *owner = NULL;
	int pfd = -1, c, r, dfd = -1;
	struct ks_owner own;
	enum bh_ks_kdf_level kdf = BH_KS_KDF_MODERATE;
	struct bh_msg m = { "" };
	struct bh_tpm *t = NULL;
	struct bh_ks_keys *k = NULL;
	char *pass = NULL;
	size_t plen = 0;
	struct bh_buf rec;
	char addr[BH_ADDR_STR_LEN + 1];

	bh_buf_init(&rec, BH_KS_RECOVERY_MAX);
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (opt_pcrs(optarg, &mask) < 0)
				return KS_EXIT_USAGE;
			break;
		case 'r': recovery = optarg; break;
		case 'o':
			if (parse_owner_opt(optarg, &owner) < 0)
				return KS_EXIT_USAGE;
			break;
		case 'f':
			if (opt_passphrase_fd(optarg, &pfd) < 0)
				return KS_EXIT_USAGE;
			break;
		case 'k':
			if (parse_kdf(optarg, &kdf) < 0) {
				log_error("--kdf '%s': expected interactive, moderate or sensitive", optarg);
				return KS_EXIT_USAGE;
			}
			break;
		case 'h': fputs(init_usage, stdout); return 0;
		default: fputs(init_usage, stderr); return KS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(init_usage, stderr);
		return KS_EXIT_USAGE;
	}
	if (recovery) {
		struct stat st;
		if (lstat(recovery, &st) == 0) {
			log_error("%s: a recovery file already exists; it is written once and never "
				  "overwritten", recovery);
			r = BH_ERR_EXISTS;
			goto out;
		}
	}
	if ((r = resolve_owner(owner, &own)) < 0 || (r = open_store(g, true, &own, &dfd)) < 0)
		goto out;
	if (blobs_exist(dfd)) {
		log_error("%s: sealed keys already exist; init never replaces a wallet key "
			  "(use 'reseal' or 'recover', or remove the blobs deliberately)", g->cfg.dir);
		r = BH_ERR_EXISTS;
		goto out;
	}
	if (recovery) {
		if ((r = get_passphrase(pfd, true, &pass, &plen)) < 0) {
			log_error_r(r, "recovery passphrase");
			goto out;
		}
		if (plen < BH_KS_PASSPHRASE_MIN) {
			log_error("recovery passphrase: at least %d characters", BH_KS_PASSPHRASE_MIN);
			r = BH_ERR_LENGTH;
			goto out;
		}
	}
	if ((r = ks_tpm_open(g, &t)) < 0)
		goto out;
	if (!(k = bh_ks_keys_new())) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = bh_ks_keys_generate(k)) < 0) {
		log_error_r(r, "key generation");
		goto out;
	}
	if (recovery) {
		if ((r = bh_ks_recovery_encode(k, pass, plen, kdf, &rec)) < 0) {
			log_error_r(r, "recovery file");
			goto out;
		}
	}
	if ((r = seal_store(g, t, dfd, mask, k, &own)) < 0)
		goto out;
	if (recovery && (r = bh_ks_recovery_write_once(recovery, &rec, &m)) < 0) {
		fail(r, &m, "recovery file");
		goto out;
	}
	if ((r = wallet_address_str(k, addr)) < 0)
		goto out;
	char pcrs[64];
	bh_tpm_pcr_mask_str(mask, pcrs, sizeof(pcrs));
	log_info("sealed wallet, server-ecies and tls keys to PCR %s in %s", pcrs, g->cfg.dir);
	if (recovery)
		log_info("recovery file written: %s (store it off this host)", recovery);
	printf("%s\n", addr);
	r = 0;
out:
	if (dfd >= 0)
		close(dfd);
	bh_ks_keys_free(k);
	bh_tpm_close(t);
	if (pass)
		sodium_free(pass);
	bh_buf_done(&rec);
	return ks_exit_code(r);
}

/* ------------------------------------------------------------------ status */

static const char status_usage[] =
	"usage: blockhost-keystore [--config F] [--tcti T] status [--json]\n"
	"Show, for each sealed key, which PCRs its policy binds and whether their current\n"
	"values still equal the values sealed; names every PCR that changed.  Does not\n"
	"unseal.  Exit 0 all match, 3 a PCR changed, 6 a blob is missing.\n";

static int cmd_status(struct ks_global *g, int argc, char **argv)
{
	static const struct option o[] = { { "json", 0, NULL, 'j' }, { "help", 0, NULL, 'h' },
					   { 0 } };
	bool json = false;
	int c, r, worst = 0, dfd = -1;
	struct ks_owner own;
	struct bh_tpm *t = NULL;
	struct bh_ks_blob *b = NULL;
	uint8_t (*cur)[32] = NULL;
	json_t *out = NULL, *keys = NULL, *pcrobj = NULL;
	uint32_t all_changed = 0;

	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(status_usage, stdout); return 0;
		default: fputs(status_usage, stderr); return KS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(status_usage, stderr);
		return KS_EXIT_USAGE;
	}
	if ((r = resolve_owner(NULL, &own)) < 0 || (r = open_store(g, false, &own, &dfd)) < 0)
		return ks_exit_code(r);
	if ((r = ks_tpm_open(g, &t)) < 0) {
		close(dfd);
		return ks_exit_code(r);
	}
	b = calloc(1, sizeof(*b));
	cur = calloc(BH_TPM_PCR_COUNT, 32);
	out = json_object();
	keys = json_array();
	pcrobj = json_object();
	if (!b || !cur || !out || !keys || !pcrobj) {
		r = -ENOMEM;
		goto out;
	}
	json_object_set_new(out, "keystore", json_string(g->cfg.dir));
	json_object_set_new(out, "pcr_bank", json_string("sha256"));
	if (!json)
		printf("keystore: %s\npcr bank: sha256\n", g->cfg.dir);
	for (int i = 0; i < BH_KS_NKEYS; i++) {
		struct bh_msg m = { "" };
		json_t *kj = json_object(), *pl = json_array(), *cl = json_array();
		char pcrs[64] = "", changed[64] = "";
		uint32_t ch = 0;
		json_object_set_new(kj, "name", json_string(bh_ks_key_name(i)));
		r = bh_ks_blob_load(dfd, g->cfg.dir, bh_ks_key_name(i), b, &m);
		if (r < 0) {
			json_object_set_new(kj, "error", json_string(m.text));
			json_object_set_new(kj, "ok", json_false());
			json_decref(pl);
			json_decref(cl);
			json_array_append_new(keys, kj);
			if (!json)
				printf("key %-13s %s\n", bh_ks_key_name(i), m.text);
			if (!worst || r == BH_ERR_NOT_FOUND)
				worst = r;
			continue;
		}
		struct bh_msg m2 = { "" };
		if ((r = bh_tpm_pcr_read(t, b->sealed.pcr_mask, cur, &m2)) < 0) {
			fail(r, &m2, "PCR read");
			json_decref(kj);
			json_decref(pl);
			json_decref(cl);
			goto out;
		}
		for (unsigned p = 0; p < BH_TPM_PCR_COUNT; p++) {
			if (!(b->sealed.pcr_mask & (1u << p)))
				continue;
			char key[8], sh[65], chx[65];
			snprintf(key, sizeof(key), "%u", p);
			json_array_append_new(pl, json_integer(p));
			bh_hex_encode(b->sealed.pcr_values[p], 32, sh);
			bh_hex_encode(cur[p], 32, chx);
			bool diff = memcmp(cur[p], b->sealed.pcr_values[p], 32) != 0;
			if (diff) {
				ch |= 1u << p;
				json_array_append_new(cl, json_integer(p));
			}
			if (!json_object_get(pcrobj, key) || diff) {
				json_t *pj = json_object();
				json_object_set_new(pj, "sealed", json_string(sh));
				json_object_set_new(pj, "current", json_string(chx));
				json_object_set_new(pj, "changed", json_boolean(diff));
				json_object_set_new(pcrobj, key, pj);
			}
		}
		bh_tpm_pcr_mask_str(b->sealed.pcr_mask, pcrs, sizeof(pcrs));
		bh_tpm_pcr_mask_str(ch, changed, sizeof(changed));
		json_object_set_new(kj, "pcrs", pl);
		json_object_set_new(kj, "changed", cl);
		json_object_set_new(kj, "ok", json_boolean(ch == 0));
		json_array_append_new(keys, kj);
		all_changed |= ch;
		if (ch && !worst)
			worst = BH_ERR_PCR_MISMATCH;
		if (!json)
			printf("key %-13s bound to PCR %s: %s%s\n", bh_ks_key_name(i), pcrs,
			       ch ? "PCR CHANGED: " : "ok", ch ? changed : "");
	}
	json_object_set_new(out, "keys", keys);
	keys = NULL;
	json_object_set_new(out, "pcrs", pcrobj);
	pcrobj = NULL;
	json_t *cl = json_array();
	for (unsigned p = 0; p < BH_TPM_PCR_COUNT; p++)
		if (all_changed & (1u << p))
			json_array_append_new(cl, json_integer(p));
	json_object_set_new(out, "changed", cl);
	json_object_set_new(out, "ok", json_boolean(worst == 0));
	if (json) {
		char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			printf("%s\n", s);
		free(s);
	} else {
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(out, "pcrs"), k, v) {
			printf("PCR %s: sealed %s\n", k, json_string_value(json_object_get(v, "sealed")));
			printf("PCR %s: current %s%s\n", k, json_string_value(json_object_get(v, "current")),
			       json_is_true(json_object_get(v, "changed")) ? "  CHANGED" : "");
		}
		if (all_changed) {
			char list[64];
			bh_tpm_pcr_mask_str(all_changed, list, sizeof(list));
			printf("status: PCR %s changed since sealing: unseal will fail; after a "
			       "legitimate change run 'blockhost-keystore recover'\n", list);
		} else if (!worst)
			printf("status: ok\n");
	}
	r = worst;
out:
	json_decref(out);
	json_decref(keys);
	json_decref(pcrobj);
	free(cur);
	free(b);
	bh_tpm_close(t);
	close(dfd);
	return ks_exit_code(r);
}

/* ------------------------------------------------------------------ address / pubkey */

static int unseal_keys(struct ks_global *g, struct bh_ks_keys **ret)
{
	struct bh_tpm *t = NULL;
	struct bh_msg m = { "" };
	struct bh_ks_keys *k = NULL;
	struct ks_owner own;
	int r, dfd = -1;
	if ((r = resolve_owner(NULL, &own)) < 0 || (r = open_store(g, false, &own, &dfd)) < 0)
		return r;
	if ((r = ks_tpm_open(g, &t)) < 0)
		goto out;
	if (!(k = bh_ks_keys_new())) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = bh_ks_unseal_all(t, dfd, g->cfg.dir, k, &m)) < 0) {
		fail(r, &m, "unseal");
		goto out;
	}
	*ret = k;
	k = NULL;
out:
	close(dfd);
	bh_ks_keys_free(k);
	bh_tpm_close(t);
	return r;
}

static const char address_usage[] =
	"usage: blockhost-keystore [--config F] [--tcti T] address\n"
	"Unseal the wallet key and print the host wallet address (EIP-55).\n";

static const char pubkey_usage[] =
	"usage: blockhost-keystore [--config F] [--tcti T] export-pubkey [--tls]\n"
	"Print the server ECIES public key (uncompressed, 04 + X + Y in hex), or with\n"
	"--tls the TLS P-256 public key in the same form.\n";

static int cmd_address(struct ks_global *g, int argc, char **argv, bool pubkey)
{
	static const struct option o[] = { { "tls", 0, NULL, 't' }, { "help", 0, NULL, 'h' },
					   { 0 } };
	const char *usage = pubkey ? pubkey_usage : address_usage;
	bool tls = false;
	int c, r;
	struct bh_ks_keys *k = NULL;
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!pubkey)
				goto usage;
			tls = true;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((r = unseal_keys(g, &k)) < 0)
		return ks_exit_code(r);
	if (!pubkey) {
		char s[BH_ADDR_STR_LEN + 1];
		if ((r = wallet_address_str(k, s)) == 0)
			printf("%s\n", s);
	} else {
		uint8_t pub[65];
		char s[131];
		r = tls ? bh_ks_p256_pubkey(k->k[BH_KS_TLS], pub) : bh_ks_ecies_pubkey(k, pub);
		if (r == 0) {
			bh_hex_encode(pub, 65, s);
			printf("%s\n", s);
		}
	}
	bh_ks_keys_free(k);
	if (r < 0)
		log_error_r(r, "public key");
	return ks_exit_code(r);
usage:
	fputs(usage, stderr);
	return KS_EXIT_USAGE;
}

/* ------------------------------------------------------------------ recover / reseal */

static const char recover_usage[] =
	"usage: blockhost-keystore [--config F] [--tcti T] recover --recovery FILE\n"
	"           [--passphrase-fd N] [--pcrs LIST] [--owner USER]\n"
	"Decrypt the recovery file written by 'init --recovery' (passphrase from fd N or\n"
	"the terminal) and seal the keys again to the CURRENT values of the PCRs (LIST,\n"
	"default: the config's set), replacing the blobs atomically.  The keys never touch\n"
	"the disk in clear.  Use after a legitimate PCR change (firmware update).\n";

static const char reseal_usage[] =
	"usage: blockhost-keystore [--config F] [--tcti T] reseal [--pcrs LIST] [--owner USER]\n"
	"Unseal the keys (the PCR policy must still be satisfied) and seal them again to the\n"
	"current values of the PCRs in LIST (default: the config's set), replacing the blobs.\n"
	"Use to change the PCR set, or after 'recover' to re-bind once more.\n";

static int cmd_reseal(struct ks_global *g, int argc, char **argv, bool recover)
{
	static const struct option o[] = {
		{ "pcrs", 1, NULL, 'p' }, { "recovery", 1, NULL, 'r' },
		{ "passphrase-fd", 1, NULL, 'f' }, { "owner", 1, NULL, 'o' },
		{ "help", 0, NULL, 'h' }, { 0 } };
	const char *usage = recover ? recover_usage : reseal_usage;
	uint32_t mask = g->cfg.pcr_mask;
	const char *recovery = NULL, *owner = NULL;
	int pfd = -1, c, r, dfd = -1;
	struct ks_owner own;
	struct bh_tpm *t = NULL;
	struct bh_ks_keys *k = NULL;
	struct bh_msg m = { "" };
	char *pass = NULL;
	size_t plen = 0;
	struct bh_buf file;
	char addr[BH_ADDR_STR_LEN + 1];

	bh_buf_init(&file, BH_KS_RECOVERY_MAX);
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (opt_pcrs(optarg, &mask) < 0)
				return KS_EXIT_USAGE;
			break;
		case 'r':
			if (!recover)
				goto usage;
			recovery = optarg;
			break;
		case 'o':
			if (parse_owner_opt(optarg, &owner) < 0)
				goto usage;
			break;
		case 'f':
			if (!recover)
				goto usage;
			if (opt_passphrase_fd(optarg, &pfd) < 0)
				return KS_EXIT_USAGE;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: goto usage;
		}
	}
	if (optind != argc || (recover && !recovery))
		goto usage;
	/* recover may have to re-create a lost directory; reseal needs the blobs in it */
	if ((r = resolve_owner(owner, &own)) < 0 || (r = open_store(g, recover, &own, &dfd)) < 0)
		goto out;
	if (recover) {
		if ((r = bh_buf_load_file(&file, recovery)) < 0) {
			log_error_r(r, "%s", recovery);
			goto out;
		}
		if ((r = get_passphrase(pfd, false, &pass, &plen)) < 0) {
			log_error_r(r, "recovery passphrase");
			goto out;
		}
		if (!(k = bh_ks_keys_new())) {
			r = -ENOMEM;
			goto out;
		}
		r = bh_ks_recovery_decode(bh_buf_ptr(&file), bh_buf_len(&file), pass, plen, k);
		if (r < 0) {
			if (r == BH_ERR_DECRYPT)
				log_error("%s: wrong passphrase or the file was modified", recovery);
			else
				log_error_r(r, "%s: not a valid recovery file", recovery);
			goto out;
		}
		if ((r = ks_tpm_open(g, &t)) < 0)
			goto out;
	} else {
		if ((r = ks_tpm_open(g, &t)) < 0)
			goto out;
		if (!(k = bh_ks_keys_new())) {
			r = -ENOMEM;
			goto out;
		}
		if ((r = bh_ks_unseal_all(t, dfd, g->cfg.dir, k, &m)) < 0) {
			fail(r, &m, "unseal");
			goto out;
		}
	}
	if ((r = seal_store(g, t, dfd, mask, k, &own)) < 0)
		goto out;
	if ((r = wallet_address_str(k, addr)) < 0)
		goto out;
	char pcrs[64];
	bh_tpm_pcr_mask_str(mask, pcrs, sizeof(pcrs));
	log_info("%s: keys sealed to the current values of PCR %s", recover ? "recover" : "reseal",
		 pcrs);
	printf("%s\n", addr);
	r = 0;
out:
	if (dfd >= 0)
		close(dfd);
	bh_ks_keys_free(k);
	bh_tpm_close(t);
	if (pass)
		sodium_free(pass);
	bh_buf_done(&file);
	return ks_exit_code(r);
usage:
	fputs(usage, stderr);
	return KS_EXIT_USAGE;
}

/* ------------------------------------------------------------------ request */

static const char request_usage[] =
	"usage: blockhost-keystore [--config F] request [--socket PATH] JSON|-\n"
	"Send one request object (docs/PROTOCOL.keystore; '-' reads it from stdin) to the\n"
	"daemon and print the response.  Exit 0 if it says ok, 7 if the policy refused\n"
	"it (the response names the rule), 1 otherwise.\n";

static int cmd_request(struct ks_global *g, int argc, char **argv)
{
	static const struct option o[] = { { "socket", 1, NULL, 's' }, { "help", 0, NULL, 'h' },
					   { 0 } };
	const char *sock = g->cfg.socket;
	int c, r;
	struct bh_keystore_client kc;
	json_t *req = NULL, *resp = NULL;
	struct bh_buf in;

	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'h': fputs(request_usage, stdout); return 0;
		default: fputs(request_usage, stderr); return KS_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fputs(request_usage, stderr);
		return KS_EXIT_USAGE;
	}
	bh_buf_init(&in, 1024 * 1024);
	if (!strcmp(argv[optind], "-"))
		r = bh_buf_read_fd_all(&in, 0);
	else
		r = bh_buf_put_cstr(&in, argv[optind]);
	if (r < 0 || (r = bh_frame_decode_json(bh_buf_ptr(&in), bh_buf_len(&in), &req)) < 0) {
		bh_buf_done(&in);
		log_error_r(r, "request: not a JSON object");
		return KS_EXIT_USAGE;
	}
	bh_buf_done(&in);
	if ((r = bh_keystore_client_init(&kc, sock)) < 0) {
		json_decref(req);
		return KS_EXIT_ERROR;
	}
	r = bh_keystore_call(&kc, req, &resp);
	json_decref(req);
	bh_keystore_client_done(&kc);
	if (r < 0) {
		log_error_r(r, "keystore %s", sock);
		return KS_EXIT_ERROR;
	}
	char *s = json_dumps(resp, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s)
		printf("%s\n", s);
	free(s);
	const char *e = json_string_value(json_object_get(resp, "error"));
	r = json_is_true(json_object_get(resp, "ok")) ? 0 : (e && !strcmp(e, "denied")) ? 7 : 1;
	json_decref(resp);
	return r;
}

/* ------------------------------------------------------------------ main */

static const char main_usage[] =
	"usage: blockhost-keystore [--config FILE] [--tcti TCTI] COMMAND [options]\n"
	"The host wallet, server ECIES and TLS keys, sealed to the TPM.\n"
	"Commands (each takes --help):\n"
	"  init           generate and seal the keys (optionally write a recovery file)\n"
	"  status         PCRs bound, current vs sealed values, which one changed\n"
	"  address        print the host wallet address\n"
	"  export-pubkey  print the server ECIES (or --tls) public key\n"
	"  recover        restore the keys from the recovery file and reseal them\n"
	"  reseal         re-bind the keys to the current PCR values\n"
	"  serve          run the keystore daemon\n"
	"  request        send one JSON request to the daemon (testing, diagnosis)\n"
	"Options:\n"
	"  --config FILE  default <etc>/keystore.json: {\"tcti\": ..., \"pcrs\": [7]}\n"
	"  --tcti TCTI    e.g. device:/dev/tpmrm0, swtpm:host=127.0.0.1,port=2321\n"
	"Exit: 0 ok, 1 error, 2 usage, 3 PCR policy not satisfied, 4 no TPM,\n"
	"      5 TPM lockout, 6 sealed key not found, 7 refused by the daemon's policy.\n";

int main(int argc, char **argv)
{
	static const struct option o[] = { { "config", 1, NULL, 'c' }, { "tcti", 1, NULL, 't' },
					   { "help", 0, NULL, 'h' }, { 0 } };
	struct ks_global g = { 0 };
	struct bh_msg m = { "" };
	int c, r;

	bh_log_init("blockhost-keystore", BH_LOG_STDERR, LOG_DAEMON);
	/* the TSS prints its own error lines to stderr; ours name the cause */
	setenv("TSS2_LOG", "all+NONE", 0);
	if (sodium_init() < 0) {
		log_error("libsodium initialisation failed");
		return KS_EXIT_ERROR;
	}
	while ((c = getopt_long(argc, argv, "+h", o, NULL)) != -1) {
		switch (c) {
		case 'c': g.config = optarg; break;
		case 't': g.tcti = optarg; break;
		case 'h': fputs(main_usage, stdout); return 0;
		default: fputs(main_usage, stderr); return KS_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(main_usage, stderr);
		return KS_EXIT_USAGE;
	}
	const char *cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 1;
	if ((r = bh_ks_config_load(g.config, &g.cfg, &m)) < 0)
		return fail(r, &m, "config");
	if (g.tcti) {
		if ((r = bh_ks_tcti_check(g.tcti, &m)) < 0) {
			bh_ks_config_done(&g.cfg);
			return fail(r, &m, "--tcti");
		}
		free(g.cfg.tcti);
		if (!(g.cfg.tcti = strdup(g.tcti)))
			return KS_EXIT_ERROR;
	}
	if (!strcmp(cmd, "init"))
		r = cmd_init(&g, argc, argv);
	else if (!strcmp(cmd, "status"))
		r = cmd_status(&g, argc, argv);
	else if (!strcmp(cmd, "address"))
		r = cmd_address(&g, argc, argv, false);
	else if (!strcmp(cmd, "export-pubkey"))
		r = cmd_address(&g, argc, argv, true);
	else if (!strcmp(cmd, "recover"))
		r = cmd_reseal(&g, argc, argv, true);
	else if (!strcmp(cmd, "reseal"))
		r = cmd_reseal(&g, argc, argv, false);
	else if (!strcmp(cmd, "request"))
		r = cmd_request(&g, argc, argv);
	else if (!strcmp(cmd, "serve"))
		r = ks_cmd_serve(&g, argc, argv);
	else {
		log_error("unknown command '%s'", cmd);
		fputs(main_usage, stderr);
		r = KS_EXIT_USAGE;
	}
	bh_ks_config_done(&g.cfg);
	return r;
}

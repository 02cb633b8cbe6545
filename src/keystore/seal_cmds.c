/* SPDX-License-Identifier: MIT */
/*
 * blockhost-keystore init, status, recover and reseal: the commands that seal the keys
 * to the TPM or inspect the sealed blobs (docs/keystore.md "Operator commands",
 * "Recovery workflow").  The passphrase of the recovery file is read from a descriptor
 * or the terminal, never argv or the environment.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "blob.h"
#include "cli.h"
#include "core/buf.h"
#include "core/hex.h"
#include "core/log.h"
#include "eth/eth.h"
#include "keys.h"

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
		log_error("--pcrs: expected PCR numbers 0..23 separated by commas (e.g. 7 or 7,14)");
		return BH_ERR_CONFIG;
	}
	return 0;
}

static int opt_passphrase_fd(const char *arg, int *fd)
{
	if (parse_fd(arg, fd) < 0) {
		log_error("--passphrase-fd: expected an open file descriptor number 0..65535");
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

int ks_cmd_init(struct ks_global *g, int argc, char **argv)
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
	const char *usage = init_usage;

	bh_buf_init(&rec, BH_KS_RECOVERY_MAX);
	while ((c = ks_next_opt(argc, argv, o, usage)) != -1) {
		switch (c) {
		case 'p':
			if (opt_pcrs(optarg, &mask) < 0)
				return KS_EXIT_USAGE;
			break;
		case 'r': recovery = optarg; break;
		case 'o':
			if (ks_parse_owner_opt(optarg, &owner) < 0)
				return ks_usage_error(usage, "--owner: expected a user name");
			break;
		case 'f':
			if (opt_passphrase_fd(optarg, &pfd) < 0)
				return KS_EXIT_USAGE;
			break;
		case 'k':
			if (parse_kdf(optarg, &kdf) < 0) {
				log_error("--kdf: expected interactive, moderate or sensitive");
				return KS_EXIT_USAGE;
			}
			break;
		case 'h': fputs(init_usage, stdout); return 0;
		default: return KS_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return ks_usage_error(usage, "init: unexpected argument '%s'", argv[optind]);
	if (pfd >= 0 && !recovery)
		return ks_usage_error(usage, "init: --passphrase-fd is only read with --recovery");
	if (recovery) {
		struct stat st;
		if (lstat(recovery, &st) == 0) {
			log_error("%s: a recovery file already exists; it is written once and never "
				  "overwritten", recovery);
			r = BH_ERR_EXISTS;
			goto out;
		}
	}
	if ((r = ks_resolve_owner(owner, &own)) < 0 || (r = ks_open_store(g, true, &own, &dfd)) < 0)
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
	if ((r = ks_seal_store(g, t, dfd, mask, k, &own)) < 0)
		goto out;
	if (recovery && (r = bh_ks_recovery_write_once(recovery, &rec, &m)) < 0) {
		ks_fail(r, &m, "recovery file");
		goto out;
	}
	if ((r = ks_wallet_address_str(k, addr)) < 0)
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

int ks_cmd_status(struct ks_global *g, int argc, char **argv)
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
	const char *usage = status_usage;

	while ((c = ks_next_opt(argc, argv, o, usage)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(status_usage, stdout); return 0;
		default: return KS_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return ks_usage_error(usage, "status: unexpected argument '%s'", argv[optind]);
	if ((r = ks_resolve_owner(NULL, &own)) < 0 || (r = ks_open_store(g, false, &own, &dfd)) < 0)
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
			ks_fail(r, &m2, "PCR read");
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

int ks_cmd_reseal(struct ks_global *g, int argc, char **argv, bool recover)
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
	while ((c = ks_next_opt(argc, argv, o, usage)) != -1) {
		switch (c) {
		case 'p':
			if (opt_pcrs(optarg, &mask) < 0)
				return KS_EXIT_USAGE;
			break;
		case 'r':
			if (!recover)
				return ks_usage_error(usage, "reseal: --recovery is for 'recover'");
			recovery = optarg;
			break;
		case 'o':
			if (ks_parse_owner_opt(optarg, &owner) < 0)
				return ks_usage_error(usage, "--owner: expected a user name");
			break;
		case 'f':
			if (!recover)
				return ks_usage_error(usage, "reseal: --passphrase-fd is for 'recover'");
			if (opt_passphrase_fd(optarg, &pfd) < 0)
				return KS_EXIT_USAGE;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: return KS_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return ks_usage_error(usage, "%s: unexpected argument '%s'", argv[0], argv[optind]);
	if (recover && !recovery)
		return ks_usage_error(usage, "recover: --recovery FILE is required (the file "
				      "'init --recovery' wrote)");
	/* recover may have to re-create a lost directory; reseal needs the blobs in it */
	if ((r = ks_resolve_owner(owner, &own)) < 0 || (r = ks_open_store(g, recover, &own, &dfd)) < 0)
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
			ks_fail(r, &m, "unseal");
			goto out;
		}
	}
	if ((r = ks_seal_store(g, t, dfd, mask, k, &own)) < 0)
		goto out;
	if ((r = ks_wallet_address_str(k, addr)) < 0)
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
}


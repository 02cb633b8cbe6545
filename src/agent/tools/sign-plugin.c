/* SPDX-License-Identifier: MIT */
/*
 * blockhost-sign-plugin: key generation and manifest signing for root-agent
 * action plugins (docs/PROTOCOL.plugin).
 *
 *   blockhost-sign-plugin keygen [--json] SECKEY_FILE PUBKEY_DIR
 *   blockhost-sign-plugin sign SECKEY_FILE NAME.manifest   (writes NAME.sig)
 *   blockhost-sign-plugin hash EXECUTABLE                  (prints its sha256)
 *
 * Exit 0 ok, 1 failed (the message names the file and why), 2 usage error.
 *
 * The secret key is read only from a file named on the command line (never from
 * argv itself or the environment) and is wiped after use.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "core/atomicio.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/hex.h"
#include "core/log.h"
#include "../plugin.h"

static int write_new(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	int r = 0;

	if (fd < 0)
		return bh_negerrno();
	if (fchmod(fd, mode) < 0 || write(fd, data, len) != (ssize_t)len || fsync(fd) < 0)
		r = bh_negerrno();
	close(fd);
	if (r < 0)
		unlink(path);
	return r;
}

static int keygen(const char *skpath, const char *pubdir, bool json)
{
	uint8_t pk[32], sk[64], kid[BH_PLUGIN_KEYID_LEN];
	char skline[200], pkline[200], kidhex[17], hex[129], *pubpath = NULL;
	int r;

	crypto_sign_keypair(pk, sk);
	bh_plugin_keyid(pk, kid);
	bh_hex_encode(kid, sizeof(kid), kidhex);
	bh_hex_encode(sk, 64, hex);
	snprintf(skline, sizeof(skline), "%s %s\n", BH_PLUGIN_SEC_MAGIC, hex);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(hex, sizeof(hex));
	if ((r = write_new(skpath, skline, strlen(skline), 0600)) < 0) {
		sodium_memzero(skline, sizeof(skline));
		log_error_r(r, "%s", skpath);
		return 1;
	}
	sodium_memzero(skline, sizeof(skline));
	bh_hex_encode(pk, 32, hex);
	snprintf(pkline, sizeof(pkline), "%s %s\n", BH_PLUGIN_PUB_MAGIC, hex);
	if (asprintf(&pubpath, "%s/%s.pub", pubdir, kidhex) < 0)
		return 1;
	if ((r = bh_atomic_write(pubpath, pkline, strlen(pkline), 0644)) < 0) {
		log_error_r(r, "%s", pubpath);
		free(pubpath);
		return 1;
	}
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "key_id", kidhex, "secret_key", skpath,
				      "public_key", pubpath);
		char *t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (t)
			printf("%s\n", t);
		free(t);
		json_decref(o);
	} else {
		printf("key id %s\nsecret key %s\npublic key %s\n", kidhex, skpath, pubpath);
	}
	free(pubpath);
	return 0;
}

static int sign(const char *skpath, const char *manpath)
{
	struct bh_buf skb, mb;
	struct bh_plugin_manifest *m = NULL;
	struct bh_msg msg = { "" };
	uint8_t sk[64], sig[64], kid[BH_PLUGIN_KEYID_LEN];
	char line[200], sighex[129], kidhex[17], *sigpath = NULL;
	size_t n = strlen(manpath);
	int r, rc = 1;

	bh_buf_init(&skb, 1024);
	bh_buf_init(&mb, BH_PLUGIN_MANIFEST_MAX);
	if (n <= 9 || strcmp(manpath + n - 9, ".manifest")) {
		log_error("%s: the manifest file name must end in .manifest", manpath);
		goto out;
	}
	if ((r = bh_buf_load_file(&skb, skpath)) < 0) {
		log_error_r(r, "secret key %s", skpath);
		goto out;
	}
	if ((r = bh_plugin_sec_parse(bh_buf_ptr(&skb), bh_buf_len(&skb), sk)) < 0) {
		log_error_r(r, "secret key %s: malformed", skpath);
		goto out;
	}
	if ((r = bh_buf_load_file(&mb, manpath)) < 0) {
		log_error_r(r, "%s", manpath);
		goto out;
	}
	/* never sign something the agent would refuse */
	if ((r = bh_plugin_manifest_parse(bh_buf_ptr(&mb), bh_buf_len(&mb), &m, &msg)) < 0) {
		log_error("%s: %s", manpath, msg.text);
		goto out;
	}
	if ((r = bh_plugin_sign(sk, bh_buf_ptr(&mb), bh_buf_len(&mb), sig)) < 0) {
		log_error_r(r, "signing");
		goto out;
	}
	bh_plugin_keyid(sk + 32, kid); /* libsodium sk = seed || pk */
	bh_hex_encode(kid, sizeof(kid), kidhex);
	bh_hex_encode(sig, 64, sighex);
	snprintf(line, sizeof(line), "%s %s %s\n", BH_PLUGIN_SIG_MAGIC, kidhex, sighex);
	if (asprintf(&sigpath, "%.*s.sig", (int)(n - 9), manpath) < 0)
		goto out;
	if ((r = bh_atomic_write(sigpath, line, strlen(line), 0644)) < 0) {
		log_error_r(r, "%s", sigpath);
		goto out;
	}
	printf("%s: signed %s version %" PRIu64 " with key %s\n", sigpath, m->action, m->version,
	       kidhex);
	rc = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	bh_plugin_manifest_free(m);
	bh_buf_done(&skb);
	bh_buf_done(&mb);
	free(sigpath);
	return rc;
}

static int hash(const char *path)
{
	struct bh_buf b;
	uint8_t h[32];
	char hex[65];
	int r;

	bh_buf_init(&b, BH_PLUGIN_EXE_MAX);
	if ((r = bh_buf_load_file(&b, path)) < 0) {
		log_error_r(r, "%s", path);
		bh_buf_done(&b);
		return 1;
	}
	crypto_hash_sha256(h, bh_buf_ptr(&b), bh_buf_len(&b));
	bh_hex_encode(h, 32, hex);
	printf("%s\n", hex);
	bh_buf_done(&b);
	return 0;
}

static const char usage_text[] =
	"usage: blockhost-sign-plugin keygen [--json] SECKEY_FILE PUBKEY_DIR\n"
	"       blockhost-sign-plugin sign SECKEY_FILE NAME.manifest\n"
	"       blockhost-sign-plugin hash EXECUTABLE\n"
	"       blockhost-sign-plugin --help | --version\n"
	"  keygen  a new Ed25519 key: the secret to SECKEY_FILE (0600, never overwritten),\n"
	"          the public key to PUBKEY_DIR/<key id>.pub (the agent's trusted keys are\n"
	"          <policy>/plugin-keys/); --json prints {key_id, secret_key, public_key}\n"
	"  sign    check NAME.manifest as the agent would, then write NAME.sig beside it\n"
	"  hash    the sha256 of an executable, for a manifest's \"sha256\"\n"
	"See docs/root-agent.md.  Exit: 0 ok, 1 failed, 2 usage error.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_error("%s (see blockhost-sign-plugin --help)", line);
	return BH_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option none[] = { { NULL, 0, NULL, 0 } };
	static const struct option keygen_opts[] = { { "json", no_argument, NULL, 'j' },
						     { NULL, 0, NULL, 0 } };
	static const struct { const char *name; int nargs; const char *what; } verbs[] = {
		{ "keygen", 2, "SECKEY_FILE PUBKEY_DIR" },
		{ "sign", 2, "SECKEY_FILE NAME.manifest" },
		{ "hash", 1, "EXECUTABLE" },
	};
	struct bh_msg m = { "" };
	bool json = false;
	int v = -1, c;

	bh_log_init("blockhost-sign-plugin", BH_LOG_STDERR, 0);
	if (argc < 2)
		return usage_error("a command is required: keygen, sign or hash");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    bh_cli_has_flag(argc - 1, argv + 1, "--help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("blockhost-sign-plugin (BlockHost) %s\n", BH_VERSION);
		return 0;
	}
	for (int i = 0; i < (int)(sizeof(verbs) / sizeof(verbs[0])); i++)
		if (!strcmp(argv[1], verbs[i].name))
			v = i;
	if (v < 0)
		return argv[1][0] == '-' ? usage_error("unknown option '%.*s'",
								 (int)strcspn(argv[1], "="), argv[1]) :
			usage_error("unknown command '%s': keygen, sign or hash", argv[1]);
	argc--;
	argv++;
	optind = 0;
	while (bh_cli_getopt(argc, argv, "", v == 0 ? keygen_opts : none, &c, &m) == 0 && c != -1)
		json = true;
	if (m.text[0])
		return usage_error("%s", m.text);
	if (argc - optind != verbs[v].nargs) {
		char what[128];
		snprintf(what, sizeof(what), "%s: expected %s", verbs[v].name, verbs[v].what);
		return usage_error("%s", what);
	}
	if (sodium_init() < 0) {
		log_error("libsodium init failed");
		return 1;
	}
	if (v == 0)
		return keygen(argv[optind], argv[optind + 1], json);
	if (v == 1)
		return sign(argv[optind], argv[optind + 1]);
	return hash(argv[optind]);
}

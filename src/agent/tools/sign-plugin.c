/* SPDX-License-Identifier: MIT */
/*
 * blockhost-sign-plugin: key generation and manifest signing for root-agent
 * action plugins (docs/PROTOCOL.plugin).
 *
 *   blockhost-sign-plugin keygen SECKEY_FILE PUBKEY_DIR
 *   blockhost-sign-plugin sign SECKEY_FILE NAME.manifest   (writes NAME.sig)
 *   blockhost-sign-plugin hash EXECUTABLE                  (prints its sha256)
 *
 * The secret key is read only from a file named on the command line (never from
 * argv itself or the environment) and is wiped after use.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/atomicio.h"
#include "core/buf.h"
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

static int keygen(const char *skpath, const char *pubdir)
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
	printf("key id %s\nsecret key %s\npublic key %s\n", kidhex, skpath, pubpath);
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

static void usage(void)
{
	fprintf(stderr, "usage: blockhost-sign-plugin keygen SECKEY_FILE PUBKEY_DIR\n"
			"       blockhost-sign-plugin sign SECKEY_FILE NAME.manifest\n"
			"       blockhost-sign-plugin hash EXECUTABLE\n");
}

int main(int argc, char **argv)
{
	bh_log_init("blockhost-sign-plugin", BH_LOG_STDERR, 0);
	if (sodium_init() < 0) {
		log_error("libsodium init failed");
		return 1;
	}
	if (argc == 4 && !strcmp(argv[1], "keygen"))
		return keygen(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "sign"))
		return sign(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "hash"))
		return hash(argv[2]);
	usage();
	return 2;
}

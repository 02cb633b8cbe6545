/* SPDX-License-Identifier: MIT */
/*
 * TEST HELPER ONLY (never installed): unseal the keystore's keys from <dir> through
 * TCTI and print each private scalar in hex, one per line, so an integration test
 * can search the test tree for leaked key bytes.  The keystore itself has no way to
 * export a private key.
 *   usage: keystore_dumpkeys TCTI DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "blob.h"
#include "core/hex.h"
#include "keys.h"
#include "tpm.h"

int main(int argc, char **argv)
{
	struct bh_tpm *t = NULL;
	struct bh_msg m = { "" };
	struct bh_ks_keys *k;
	char hex[65];
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: keystore_dumpkeys TCTI DIR\n");
		return 2;
	}
	if (!(k = bh_ks_keys_new()))
		return 1;
	int dfd = -1;
	if ((r = bh_ks_dir_open(argv[2], false, (uid_t)-1, &dfd, &m)) < 0 ||
	    (r = bh_tpm_open(argv[1], &t, &m)) < 0 || (r = bh_ks_unseal_all(t, dfd, argv[2], k, &m)) < 0) {
		fprintf(stderr, "keystore_dumpkeys: %s (%s)\n", m.text, bh_strerror(r));
		if (dfd >= 0)
			close(dfd);
		bh_tpm_close(t);
		bh_ks_keys_free(k);
		return 1;
	}
	close(dfd);
	for (int i = 0; i < BH_KS_NKEYS; i++) {
		bh_hex_encode(k->k[i], 32, hex);
		printf("%s\n", hex);
	}
	bh_tpm_close(t);
	bh_ks_keys_free(k);
	return 0;
}

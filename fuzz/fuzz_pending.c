/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the callback path of pam_web3: the bytes become <sid>.sig in a real pending
 * dir, are read back through pw3_session_read_sig (fd checks, cap, trim, NUL) and,
 * if accepted, go through the whole EVM verification against a fixed challenge (code,
 * nonce, expiry).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/err.h"
#include "pw3.h"

static struct pw3_config cfg;
static struct pw3_otp otp;
static struct pw3_session sess = { .dfd = -1 };
static const uint8_t wallet[20] = { 1, 2, 3 };
static char sigpath[512], dirpath[64];

static void teardown(void)
{
	pw3_session_destroy(&sess);
	rmdir(dirpath);
}

static void setup(void)
{
	static const char doc[] = "[machine]\nid = \"fuzz-vm\"\nsecret_key = "
		"\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"\n";
	char dir[] = "/tmp/pw3fuzz.XXXXXX";
	int dfd;
	if (pw3_config_parse(doc, sizeof(doc) - 1, &cfg, NULL) < 0 || !mkdtemp(dir) ||
	    pw3_pending_open(dir, &dfd) < 0 || pw3_otp_new(&cfg, 1000, &otp) < 0 ||
	    pw3_session_create(dfd, &otp, wallet, &sess) < 0)
		abort();
	snprintf(sigpath, sizeof(sigpath), "%s/%s.sig", dir, sess.sid);
	snprintf(dirpath, sizeof(dirpath), "%s", dir);
	atexit(teardown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *sig = NULL;
	if (sess.dfd < 0)
		setup();
	int fd = open(sigpath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	int r = pw3_session_read_sig(&sess, &sig);
	if (r == 0) {
		if (!sig[0] || strlen(sig) > PW3_SIGFILE_MAX)
			abort();
		/* a random wallet never verifies; a copy, so the challenge is never consumed */
		struct pw3_otp o = otp;
		if (pw3_verify_evm(&cfg, &o, sig, strlen(sig), wallet, 1000) == 0)
			abort();
		free(sig);
	}
	unlink(sigpath);
	return 0;
}

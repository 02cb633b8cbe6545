/* SPDX-License-Identifier: MIT */
/*
 * Differential oracle helper (tests/run-fuzz-oracle.sh, against python3's tomllib) over
 * fuzz/corpus/pam_config: per file "<file>\treject" or "<file>\tok\t<JSON>" with what
 * pw3_config_parse read (the secret as hex; signing_url as given).
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "core/err.h"
#include "core/hex.h"
#include "pw3.h"

int main(int argc, char **argv)
{
	static char buf[PW3_CONFIG_MAX_SIZE + 16];
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f)
			return 1;
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		struct pw3_config c;
		printf("%s\t", argv[i]);
		if (pw3_config_parse(buf, n, &c, NULL) < 0) {
			printf("reject\n");
			continue;
		}
		char sk[2 * PW3_SECRET_MAX + 1];
		bh_hex_encode(c.secret, c.secret_len, sk);
		json_t *j = json_pack("{s:s,s:s,s:i,s:i,s:b,s:b,s:i,s:s}", "id", c.machine_id,
		                      "secret_key", sk, "otp_length", (int)c.otp_length,
		                      "otp_ttl_seconds", (int)c.otp_ttl, "use_tls", c.use_tls,
		                      "callback_enabled", c.callback_enabled,
		                      "callback_grace_seconds", (int)c.callback_grace,
		                      "signing_url", c.signing_url);
		char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		printf("ok\t%s\n", s ? s : "null");
		free(s);
		json_decref(j);
		pw3_config_wipe(&c);
	}
	return 0;
}

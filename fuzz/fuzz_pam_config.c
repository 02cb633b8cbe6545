/* SPDX-License-Identifier: MIT */
/* Fuzz pw3_config_parse (/etc/pam_web3/config.toml subset) on arbitrary bytes. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pw3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw3_config c;
	struct bh_msg m = { { 0 } };
	if (pw3_config_parse((const char *)data, size, &c, &m) == 0) {
		/* invariants of an accepted config */
		if (c.otp_length < PW3_OTP_MIN_LEN || c.otp_length > PW3_OTP_MAX_LEN ||
		    c.secret_len < PW3_SECRET_MIN || c.secret_len > PW3_SECRET_MAX ||
		    !c.machine_id[0] || strlen(c.machine_id) > PW3_MACHINE_ID_MAX ||
		    c.otp_ttl < 1 || c.callback_grace < 1 || c.callback_grace > 60)
			abort();
		pw3_config_wipe(&c);
	} else if (!m.text[0]) {
		abort(); /* every rejection explains itself */
	}
	return 0;
}

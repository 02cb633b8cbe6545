/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the strict parsers of the new login challenge (docs/pam_web3.md "What the
 * message binds"): byte 0 picks the parser, the rest is its input.
 *   0: pw3_message_parse   ("Authenticate to <m> with code: <c> nonce: <hex> expires: <ISO>")
 *   1: pw3_session_json_parse (<sid>.json as web3-auth-svc reads it)
 *   2: pw3_time_parse_iso
 *   3: pw3_backoff_parse   (the module's per-user failure record)
 * Invariant for every accepted input: formatting the parsed value again gives back
 * exactly the input (one canonical text per value, so nothing else can be signed or
 * stored for it).
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pw3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	switch (data[0] % 4) {
	case 0: {
		struct pw3_message_parts mp;
		char back[PW3_MESSAGE_MAX];
		if (pw3_message_parse(s, n, &mp) == 0) {
			int k = pw3_message_fmt(mp.machine_id, mp.code, mp.nonce_hex, mp.expires_at, back,
			                        sizeof(back));
			if (k < 0 || (size_t)k != n || memcmp(back, s, n))
				abort();
		}
		break;
	}
	case 1: {
		struct pw3_session_info si;
		if (pw3_session_json_parse(s, n, &si) == 0) {
			struct pw3_message_parts mp;
			if (!pw3_sid_valid(si.sid, strlen(si.sid)) ||
			    pw3_message_parse(si.message, si.message_len, &mp) != 0 ||
			    strcmp(mp.code, si.parts.code) || strcmp(mp.nonce_hex, si.parts.nonce_hex) ||
			    mp.expires_at != si.parts.expires_at)
				abort();
		}
		break;
	}
	case 2: {
		uint64_t t;
		char back[PW3_ISO_LEN + 1];
		if (pw3_time_parse_iso(s, n, &t) == 0 &&
		    (pw3_time_iso(t, back) != 0 || n != PW3_ISO_LEN || memcmp(back, s, n)))
			abort();
		break;
	}
	case 3: {
		struct pw3_backoff b;
		char back[64];
		if (pw3_backoff_parse(s, n, &b) == 0) {
			int k = pw3_backoff_format(&b, back, sizeof(back));
			if (k < 0 || (size_t)k != n || memcmp(back, s, n))
				abort();
			(void)pw3_backoff_wait(&b, b.last + 1);
		}
		break;
	}
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/* libpw3: config, OTP, signature text, port (see pw3.h); GECOS: host/gecos.h. */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"
#include "eth/eth.h"
#include "core/hex.h"
#include "core/strutil.h"
#include "eth/keccak.h"
#include "pw3.h"
#include "eth/secp.h"

/* ---------------------------------------------------------------- small files */

int pw3_read_small_file(int dirfd, const char *path, size_t max, char **ret)
{
	/* root's or ours, not group/world-writable, a regular file no larger than max */
	const struct bh_file_rules rules = {
		.type = S_IFREG,
		.owner = BH_FILE_OWNER_ROOT | BH_FILE_OWNER_SELF,
		.forbid_mode = S_IWGRP | S_IWOTH,
	};
	struct bh_buf b;
	char *s = NULL;
	int r;

	bh_buf_init(&b, 0);
	if ((r = bh_file_read(dirfd, path, &rules, max, &b, NULL)) < 0 ||
	    (r = bh_buf_steal_cstr(&b, &s)) < 0)
		goto out;
	*ret = s;
	r = 0;
out:
	bh_buf_done(&b);
	return r;
}

/* ---------------------------------------------------------------- config */

void pw3_config_wipe(struct pw3_config *c)
{
	if (c)
		explicit_bzero(c, sizeof(*c));
}

enum val_type { V_STRING, V_INT, V_BOOL };

struct tval {
	enum val_type t;
	char s[PW3_URL_MAX + 1 > 2 * PW3_SECRET_MAX + 3 ? PW3_URL_MAX + 1 : 2 * PW3_SECRET_MAX + 3];
	int64_t i;
	bool b;
};

/*
 * The config is untrusted bytes read through struct bh_buf views: a view per line, and
 * the value parser reads from the line's view, so no pointer walks past what was read.
 */
static int peekc(const struct bh_buf *b)
{
	const uint8_t *p;

	return bh_buf_peek(b, 1, &p) < 0 ? -1 : *p;
}

static int getch(struct bh_buf *b)
{
	uint8_t c;

	return bh_buf_get_bytes(b, &c, 1) < 0 ? -1 : c;
}

static void skip_blanks(struct bh_buf *b)
{
	int c;

	while ((c = peekc(b)) == ' ' || c == '\t')
		(void)bh_buf_consume(b, 1);
}

static bool starts_with(const struct bh_buf *b, const char *word)
{
	size_t n = strlen(word);
	const uint8_t *p;

	return bh_buf_peek(b, n, &p) == 0 && memcmp(p, word, n) == 0;
}

/* Take the next line off all (without its newline) as a view, trailing CR and blanks cut. */
static void next_line(struct bh_buf *all, struct bh_buf *ret)
{
	const uint8_t *p = bh_buf_ptr(all);
	size_t avail = bh_buf_len(all);
	const uint8_t *nl = memchr(p, '\n', avail);
	size_t n = nl ? (size_t)(nl - p) : avail;

	(void)bh_buf_consume(all, nl ? n + 1 : n);
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	bh_buf_view(ret, p, n);
}

/* Parse the value at the start of b (already past "= " and blanks) up to the line's end. */
static int parse_value(struct bh_buf *b, struct tval *v, const char **why)
{
	size_t n = 0;
	int c = peekc(b);

	if (c < 0) {
		*why = "missing value";
		return BH_ERR_FORMAT;
	}
	if (c == '"' || c == '\'') {
		int q = getch(b);
		for (;;) {
			if ((c = getch(b)) < 0) {
				*why = "unterminated string";
				return BH_ERR_FORMAT;
			}
			if (c == q)
				break;
			if (c < 0x20 || c == 0x7f) {
				*why = "control character in string";
				return BH_ERR_FORMAT;
			}
			if (c == '\\' && q == '"') {
				if ((c = getch(b)) < 0) {
					*why = "unterminated string";
					return BH_ERR_FORMAT;
				}
				switch (c) {
				case '\\': case '"': break;
				case 'n': c = '\n'; break;
				case 't': c = '\t'; break;
				default:
					*why = "unsupported escape in string";
					return BH_ERR_FORMAT;
				}
			}
			if (n + 1 >= sizeof(v->s)) {
				*why = "string too long";
				return BH_ERR_LIMIT;
			}
			v->s[n++] = (char)c;
		}
		v->s[n] = '\0';
		v->t = V_STRING;
	} else if (starts_with(b, "true")) {
		v->t = V_BOOL;
		v->b = true;
		(void)bh_buf_consume(b, 4);
	} else if (starts_with(b, "false")) {
		v->t = V_BOOL;
		v->b = false;
		(void)bh_buf_consume(b, 5);
	} else if (c >= '0' && c <= '9') {
		const uint8_t *two;
		int64_t x = 0;
		if (c == '0' && bh_buf_peek(b, 2, &two) == 0 && two[1] >= '0' && two[1] <= '9') {
			*why = "leading zero in integer";
			return BH_ERR_FORMAT;
		}
		while ((c = peekc(b)) >= '0' && c <= '9') {
			if (x > (INT64_MAX - 9) / 10) {
				*why = "integer too large";
				return BH_ERR_RANGE;
			}
			x = x * 10 + (c - '0');
			(void)bh_buf_consume(b, 1);
		}
		v->t = V_INT;
		v->i = x;
	} else {
		*why = "unsupported value (expected \"string\", integer, true or false)";
		return BH_ERR_WRONG_TYPE;
	}
	/* only whitespace and a comment may follow */
	skip_blanks(b);
	if ((c = peekc(b)) >= 0 && c != '#') {
		*why = "unexpected characters after the value";
		return BH_ERR_TRAILING;
	}
	return 0;
}

enum { K_ID, K_SECRET, K_OTPLEN, K_TTL, K_TLS, K_URL, K_CB, K_GRACE, K_MAX };
static const struct {
	const char *section, *key;
	enum val_type t;
	int64_t min, max;
} keys[K_MAX] = {
	[K_ID]     = { "machine", "id", V_STRING, 0, 0 },
	[K_SECRET] = { "machine", "secret_key", V_STRING, 0, 0 },
	[K_OTPLEN] = { "auth", "otp_length", V_INT, PW3_OTP_MIN_LEN, PW3_OTP_MAX_LEN },
	[K_TTL]    = { "auth", "otp_ttl_seconds", V_INT, 1, 86400 },
	[K_TLS]    = { "auth", "use_tls", V_BOOL, 0, 0 },
	[K_URL]    = { "auth", "signing_url", V_STRING, 0, 0 },
	[K_CB]     = { "auth", "callback_enabled", V_BOOL, 0, 0 },
	[K_GRACE]  = { "auth", "callback_grace_seconds", V_INT, 1, 60 },
};

static bool machine_id_valid(const char *s)
{
	_Static_assert(PW3_MACHINE_ID_MAX == BH_NAME_MACHINE_MAX, "machine id length");
	return bh_name_valid(s, BH_NAME_MACHINE);
}

/*
 * What TOML refuses anywhere in a document, we refuse before parsing (docs/fuzzing.md
 * "PAM config against TOML"): invalid UTF-8 (overlong forms, surrogates, past U+10FFFF,
 * truncated sequences), control characters other than tab and line feed, DEL, and a
 * carriage return not followed by a line feed.  Returns 0 or the error with msg set,
 * naming the line.
 */
static int config_text_check(const uint8_t *p, size_t len, struct bh_msg *msg)
{
	unsigned line = 1;
	for (size_t i = 0; i < len;) {
		uint8_t c = p[i];
		if (c < 0x80) {
			if (c == '\n') {
				line++;
			} else if (c == '\r' ? i + 1 >= len || p[i + 1] != '\n' :
			           (c < 0x20 && c != '\t') || c == 0x7f) {
				bh_msg_set(msg, "line %u: control character 0x%02x (%s)", line, c,
				           c == '\r' ? "a carriage return must end a line" :
				           "TOML allows only tab and line feed");
				return BH_ERR_FORMAT;
			}
			i++;
			continue;
		}
		/* sequence length and the smallest code point it may encode */
		size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
		uint32_t cp = n == 4 ? c & 0x07u : n == 3 ? c & 0x0fu : c & 0x1fu;
		static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		bool ok = n && c < 0xf8 && i + n <= len;
		for (size_t k = 1; ok && k < n; k++) {
			ok = (p[i + k] & 0xc0) == 0x80;
			cp = (cp << 6) | (p[i + k] & 0x3fu);
		}
		if (!ok || cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			bh_msg_set(msg, "line %u: invalid UTF-8", line);
			return BH_ERR_UTF8;
		}
		i += n;
	}
	return 0;
}

int pw3_config_parse(const char *data, size_t len, struct pw3_config *ret, struct bh_msg *msg)
{
	struct pw3_config c;
	struct tval v;
	bool seen[K_MAX] = { false }, seen_machine = false, seen_auth = false;
	const char *section = NULL, *why = NULL;
	struct bh_buf all;
	unsigned line = 0;
	int r = BH_ERR_INTERNAL;

	memset(&c, 0, sizeof(c));
	memset(&v, 0, sizeof(v));
	c.otp_length = 6;
	c.otp_ttl = PW3_DEFAULT_TTL;
	c.use_tls = true;
	c.callback_enabled = true;
	c.callback_grace = 10;

	if (len > PW3_CONFIG_MAX_SIZE) {
		bh_msg_set(msg, "config larger than %u bytes", PW3_CONFIG_MAX_SIZE);
		r = BH_ERR_LIMIT;
		goto out;
	}
	if (memchr(data, '\0', len)) {
		bh_msg_set(msg, "config contains a NUL byte");
		r = BH_ERR_NUL;
		goto out;
	}
	if ((r = config_text_check((const uint8_t *)data, len, msg)) < 0)
		goto out;
	bh_buf_view(&all, data, len);
	while (bh_buf_len(&all) > 0) {
		struct bh_buf ln;
		int ch;

		next_line(&all, &ln);
		line++;
		skip_blanks(&ln);
		if ((ch = peekc(&ln)) < 0 || ch == '#')
			continue;
		if (ch == '[') {
			const char *h = (const char *)bh_buf_ptr(&ln);
			const char *q = memchr(h, ']', bh_buf_len(&ln));
			if (q) {
				(void)bh_buf_consume(&ln, (size_t)(q - h) + 1);
				skip_blanks(&ln);
			}
			if (!q || ((ch = peekc(&ln)) >= 0 && ch != '#')) {
				bh_msg_set(msg, "line %u: malformed section header", line);
				r = BH_ERR_FORMAT;
				goto out;
			}
			size_t n = (size_t)(q - h - 1);
			bool *seenp;
			if (n == 7 && !memcmp(h + 1, "machine", 7)) {
				section = "machine";
				seenp = &seen_machine;
			} else if (n == 4 && !memcmp(h + 1, "auth", 4)) {
				section = "auth";
				seenp = &seen_auth;
			} else {
				bh_msg_set(msg, "line %u: unknown section [%.*s]", line,
				           (int)(n > 40 ? 40 : n), h + 1);
				r = BH_ERR_CONFIG;
				goto out;
			}
			if (*seenp) {
				bh_msg_set(msg, "line %u: duplicate section [%s]", line, section);
				r = BH_ERR_DUPLICATE;
				goto out;
			}
			*seenp = true;
			continue;
		}
		/* key = value */
		const char *k = (const char *)bh_buf_ptr(&ln);
		size_t klen = 0;
		while (((ch = peekc(&ln)) >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') {
			(void)bh_buf_consume(&ln, 1);
			klen++;
		}
		skip_blanks(&ln);
		if (klen == 0 || peekc(&ln) != '=') {
			bh_msg_set(msg, "line %u: expected key = value", line);
			r = BH_ERR_FORMAT;
			goto out;
		}
		(void)bh_buf_consume(&ln, 1);
		skip_blanks(&ln);
		if (!section) {
			bh_msg_set(msg, "line %u: key outside of a section", line);
			r = BH_ERR_CONFIG;
			goto out;
		}
		int ki = -1;
		for (int i = 0; i < K_MAX; i++)
			if (!strcmp(keys[i].section, section) && strlen(keys[i].key) == klen &&
			    !memcmp(keys[i].key, k, klen))
				ki = i;
		if (ki < 0) {
			bh_msg_set(msg, "line %u: unknown key '%s.%.*s'", line, section,
			           (int)(klen > 40 ? 40 : klen), k);
			r = BH_ERR_CONFIG;
			goto out;
		}
		if (seen[ki]) {
			bh_msg_set(msg, "line %u: duplicate key '%s.%s'", line, section, keys[ki].key);
			r = BH_ERR_DUPLICATE;
			goto out;
		}
		seen[ki] = true;
		if ((r = parse_value(&ln, &v, &why)) < 0) {
			bh_msg_set(msg, "line %u: key '%s.%s': %s", line, section, keys[ki].key, why);
			goto out;
		}
		if (v.t != keys[ki].t) {
			static const char *const tn[] = { "string", "integer", "boolean" };
			bh_msg_set(msg, "line %u: key '%s.%s': expected %s, got %s", line, section,
			           keys[ki].key, tn[keys[ki].t], tn[v.t]);
			r = BH_ERR_WRONG_TYPE;
			goto out;
		}
		if (v.t == V_INT && (v.i < keys[ki].min || v.i > keys[ki].max)) {
			bh_msg_set(msg, "line %u: key '%s.%s': %" PRId64 " not in %" PRId64 "..%" PRId64,
			           line, section, keys[ki].key, v.i, keys[ki].min, keys[ki].max);
			r = BH_ERR_RANGE;
			goto out;
		}
		switch (ki) {
		case K_ID:
			if (!machine_id_valid(v.s)) {
				bh_msg_set(msg, "line %u: machine.id must be 1..%d of [A-Za-z0-9._-]",
				           line, PW3_MACHINE_ID_MAX);
				r = BH_ERR_FORMAT;
				goto out;
			}
			memcpy(c.machine_id, v.s, strlen(v.s) + 1);
			break;
		case K_SECRET: {
			const char *h = bh_hex_skip_prefix(v.s);
			size_t hl = strlen(h);
			if (hl % 2 || hl / 2 < PW3_SECRET_MIN || hl / 2 > PW3_SECRET_MAX ||
			    bh_hex_decode_ct(h, hl, c.secret, hl / 2) < 0) {
				bh_msg_set(msg, "line %u: machine.secret_key must be %d..%d bytes of hex",
				           line, PW3_SECRET_MIN, PW3_SECRET_MAX);
				r = BH_ERR_FORMAT;
				goto out;
			}
			c.secret_len = hl / 2;
			break;
		}
		case K_OTPLEN: c.otp_length = (unsigned)v.i; break;
		case K_TTL:    c.otp_ttl = (unsigned)v.i; break;
		case K_TLS:    c.use_tls = v.b; break;
		case K_URL:    memcpy(c.signing_url, v.s, sizeof(c.signing_url)); break;
		case K_CB:     c.callback_enabled = v.b; break;
		case K_GRACE:  c.callback_grace = (unsigned)v.i; break;
		}
		explicit_bzero(&v, sizeof(v));
	}
	if (!seen[K_ID]) {
		bh_msg_set(msg, "missing key 'machine.id'");
		r = BH_ERR_MISSING_KEY;
		goto out;
	}
	if (!seen[K_SECRET]) {
		bh_msg_set(msg, "missing key 'machine.secret_key'");
		r = BH_ERR_MISSING_KEY;
		goto out;
	}
	*ret = c;
	r = 0;
out:
	explicit_bzero(&v, sizeof(v));
	explicit_bzero(&c, sizeof(c));
	return r;
}

int pw3_config_load(const char *path, struct pw3_config *ret, struct bh_msg *msg)
{
	char *s = NULL;
	int r = pw3_read_small_file(AT_FDCWD, path, PW3_CONFIG_MAX_SIZE, &s);
	if (r == BH_ERR_NUL) {
		bh_msg_set(msg, "%s: contains a NUL byte", path);
		return r;
	}
	if (r < 0) {
		bh_msg_set(msg, "%s: %s%s", path, bh_strerror(r),
		           r == BH_ERR_UNSAFE_FILE ? " (must be a regular file, not a symlink, "
		           "owned by root, not group/world-writable)" : "");
		return r;
	}
	struct bh_msg m2 = { { 0 } };
	r = pw3_config_parse(s, strlen(s), ret, &m2);
	if (r < 0)
		bh_msg_set(msg, "%s: %s", path, m2.text);
	explicit_bzero(s, strlen(s));
	free(s);
	return r;
}

/* ---------------------------------------------------------------- OTP */

void pw3_otp_wipe(struct pw3_otp *o)
{
	if (o)
		explicit_bzero(o, sizeof(*o));
}

static void u64le(uint64_t v, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

static void otp_tag(const struct pw3_config *c, const struct pw3_otp *o, uint8_t out[static 32])
{
	struct bh_keccak k;
	uint8_t le[8];
	bh_sha3_256_init(&k);
	bh_keccak_update(&k, c->secret, c->secret_len);
	bh_keccak_update(&k, o->code, strlen(o->code));
	u64le(o->created_at, le);
	bh_keccak_update(&k, le, 8);
	bh_keccak_update(&k, o->machine_id, strlen(o->machine_id));
	bh_keccak_update(&k, o->nonce, PW3_NONCE_BYTES);
	u64le(o->expires_at, le);
	bh_keccak_update(&k, le, 8);
	bh_keccak_final(&k, out);
}

int pw3_otp_new(const struct pw3_config *c, uint64_t now, struct pw3_otp *ret)
{
	struct pw3_otp o;
	uint64_t mod = 1, limit, v;
	int r = BH_ERR_INTERNAL;

	memset(&o, 0, sizeof(o));
	if (c->otp_length < PW3_OTP_MIN_LEN || c->otp_length > PW3_OTP_MAX_LEN ||
	    c->secret_len < PW3_SECRET_MIN || !machine_id_valid(c->machine_id) ||
	    c->otp_ttl < 1 || now > UINT64_MAX - c->otp_ttl) {
		r = BH_ERR_CONFIG;
		goto out;
	}
	for (unsigned i = 0; i < c->otp_length; i++)
		mod *= 10;
	limit = UINT64_MAX - (UINT64_MAX % mod + 1) % mod; /* largest multiple of mod, minus 1 */
	do {
		if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
			r = bh_negerrno();
			goto out;
		}
	} while (v > limit);
	v %= mod;
	for (unsigned i = c->otp_length; i-- > 0;) {
		o.code[i] = (char)('0' + v % 10);
		v /= 10;
	}
	if (getrandom(o.nonce, sizeof(o.nonce), 0) != (ssize_t)sizeof(o.nonce)) {
		r = bh_negerrno();
		goto out;
	}
	bh_hex_encode(o.nonce, sizeof(o.nonce), o.nonce_hex);
	o.created_at = now;
	o.expires_at = now + c->otp_ttl;
	{
		char iso[PW3_ISO_LEN + 1];
		if ((r = pw3_time_iso(o.expires_at, iso)) < 0)
			goto out;
	}
	memcpy(o.machine_id, c->machine_id, sizeof(o.machine_id));
	otp_tag(c, &o, o.tag);
	*ret = o;
	r = 0;
out:
	explicit_bzero(&o, sizeof(o));
	return r;
}

static bool ct_streq(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n != strlen(b))
		return false;
	return CRYPTO_memcmp(a, b, n) == 0;
}

int pw3_otp_verify(const struct pw3_config *c, const struct pw3_otp *otp, const char *code,
                   const char *machine_id, uint64_t now)
{
	uint8_t tag[32];
	int r;

	if (now > otp->expires_at)
		return BH_ERR_EXPIRED;
	if (!ct_streq(code, otp->code) || !ct_streq(machine_id, otp->machine_id))
		return BH_ERR_MISMATCH;
	otp_tag(c, otp, tag);
	r = CRYPTO_memcmp(tag, otp->tag, 32) == 0 ? 0 : BH_ERR_MISMATCH;
	explicit_bzero(tag, sizeof(tag));
	return r;
}

/* ---------------------------------------------------------------- time, message */

#define MAX_ISO_TIME 253402300799ull   /* 9999-12-31T23:59:59Z */

int pw3_time_iso(uint64_t t, char out[static PW3_ISO_LEN + 1])
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t > MAX_ISO_TIME || !gmtime_r(&tt, &tm))
		return BH_ERR_RANGE;
	if (strftime(out, PW3_ISO_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != PW3_ISO_LEN)
		return BH_ERR_RANGE;
	return 0;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static unsigned num(const char *s, size_t n)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	return v;
}

int pw3_time_parse_iso(const char *s, size_t len, uint64_t *ret)
{
	struct tm tm;
	char back[PW3_ISO_LEN + 1];
	time_t t;

	/* YYYY-MM-DDTHH:MM:SSZ */
	if (len != PW3_ISO_LEN || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) ||
	    s[7] != '-' || !digits(s + 8, 2) || s[10] != 'T' || !digits(s + 11, 2) ||
	    s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2) ||
	    s[19] != 'Z')
		return BH_ERR_FORMAT;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)num(s, 4) - 1900;
	tm.tm_mon = (int)num(s + 5, 2) - 1;
	tm.tm_mday = (int)num(s + 8, 2);
	tm.tm_hour = (int)num(s + 11, 2);
	tm.tm_min = (int)num(s + 14, 2);
	tm.tm_sec = (int)num(s + 17, 2);
	if (tm.tm_year < 70 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 59)
		return BH_ERR_FORMAT;
	t = timegm(&tm);
	/* canonical: formatting it again gives the same text (no Feb 30, no leap second) */
	if (t < 0 || pw3_time_iso((uint64_t)t, back) < 0 || memcmp(back, s, PW3_ISO_LEN))
		return BH_ERR_FORMAT;
	*ret = (uint64_t)t;
	return 0;
}

int pw3_message_fmt(const char *machine_id, const char *code, const char *nonce_hex,
                    uint64_t expires_at, char *out, size_t outlen)
{
	char iso[PW3_ISO_LEN + 1];
	int r, n;
	if ((r = pw3_time_iso(expires_at, iso)) < 0)
		return r;
	n = snprintf(out, outlen, "Authenticate to %s with code: %s nonce: %s expires: %s",
	             machine_id, code, nonce_hex, iso);
	if (n < 0 || (size_t)n >= outlen)
		return BH_ERR_LIMIT;
	return n;
}

int pw3_message(const struct pw3_otp *otp, char *out, size_t outlen)
{
	return pw3_message_fmt(otp->machine_id, otp->code, otp->nonce_hex, otp->expires_at, out,
	                       outlen);
}

/* take the literal lit at *p (advancing), false if it is not there */
static bool lit(const char **p, const char *end, const char *l)
{
	size_t n = strlen(l);
	if ((size_t)(end - *p) < n || memcmp(*p, l, n))
		return false;
	*p += n;
	return true;
}

int pw3_message_parse(const char *s, size_t len, struct pw3_message_parts *ret)
{
	struct pw3_message_parts m;
	const char *p = s, *end = s + len, *q;
	size_t n;

	memset(&m, 0, sizeof(m));
	if (len >= PW3_MESSAGE_MAX || !lit(&p, end, "Authenticate to "))
		return BH_ERR_FORMAT;
	for (q = p; q < end && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
	                        (*q >= '0' && *q <= '9') || *q == '-' || *q == '_' || *q == '.'); q++)
		;
	n = (size_t)(q - p);
	if (n < 1 || n > PW3_MACHINE_ID_MAX)
		return BH_ERR_FORMAT;
	memcpy(m.machine_id, p, n);
	p = q;
	if (!lit(&p, end, " with code: "))
		return BH_ERR_FORMAT;
	for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
		;
	n = (size_t)(q - p);
	if (n < PW3_OTP_MIN_LEN || n > PW3_OTP_MAX_LEN)
		return BH_ERR_FORMAT;
	memcpy(m.code, p, n);
	p = q;
	if (!lit(&p, end, " nonce: ") || (size_t)(end - p) < PW3_NONCE_HEX)
		return BH_ERR_FORMAT;
	if (!pw3_sid_valid(p, PW3_NONCE_HEX))  /* the same shape: 32 lower-case hex */
		return BH_ERR_FORMAT;
	memcpy(m.nonce_hex, p, PW3_NONCE_HEX);
	p += PW3_NONCE_HEX;
	if (!lit(&p, end, " expires: ") || pw3_time_parse_iso(p, (size_t)(end - p), &m.expires_at) < 0)
		return BH_ERR_FORMAT;
	*ret = m;
	return 0;
}

/* ---------------------------------------------------------------- signatures */

int pw3_sig_parse(const char *s, size_t len, uint8_t ret_sig[static 65])
{
	/* the cap first (PAM replies are attacker-sized), then src/common's strict parser:
	 * trim, optional 0x, 130 hex (constant-time), v rules, 0 < r,s < n, low-S */
	if (len > PW3_REPLY_MAX)
		return BH_ERR_LIMIT;
	return bh_sig_parse_hex(s, len, ret_sig);
}

void pw3_eip191_digest(const char *msg, size_t len, uint8_t out[static 32])
{
	bh_eth_personal_digest(msg, len, out);
}

int pw3_verify_evm(const struct pw3_config *c, struct pw3_otp *otp, const char *sigtext,
                   size_t len, const uint8_t wallet[static 20], uint64_t now)
{
	uint8_t sig[65];
	char m[PW3_MESSAGE_MAX];
	int r, n;

	memset(m, 0, sizeof(m));
	if (otp->consumed) {
		r = BH_ERR_STATE;
		goto out;
	}
	if ((r = pw3_otp_verify(c, otp, otp->code, otp->machine_id, now)) < 0)
		goto out;
	if ((r = pw3_sig_parse(sigtext, len, sig)) < 0)
		goto out;
	if ((n = pw3_message(otp, m, sizeof(m))) < 0) {
		r = n;
		goto out;
	}
	/* EIP-191 digest, recovery, constant-time compare with the GECOS address */
	if ((r = bh_eth_verify_personal(m, (size_t)n, sig, wallet)) < 0)
		goto out;
	otp->consumed = true;
	r = 0;
out:
	explicit_bzero(m, sizeof(m));
	explicit_bzero(sig, sizeof(sig));
	return r;
}

int pw3_recover_signer(const char *msg, size_t msglen, const char *sigtext, size_t len,
                       uint8_t ret_addr[static 20])
{
	uint8_t sig[65], d[32], a[20];
	int r;
	if ((r = pw3_sig_parse(sigtext, len, sig)) < 0)
		goto out;
	bh_eth_personal_digest(msg, msglen, d);
	if ((r = bh_secp_recover_address(d, sig, a)) < 0)
		goto out;
	memcpy(ret_addr, a, 20);
	r = 0;
out:
	explicit_bzero(sig, sizeof(sig));
	return r;
}

/* ---------------------------------------------------------------- failure backoff */

int pw3_backoff_parse(const char *s, size_t len, struct pw3_backoff *ret)
{
	struct pw3_backoff b = { 0, 0 };
	const char *p = s, *end = s + len, *q;
	if (!lit(&p, end, "pw3-fail v1 "))
		return BH_ERR_FORMAT;
	for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (q == p || q - p > 6 || (*p == '0' && q - p > 1))
		return BH_ERR_FORMAT;
	b.failures = num(p, (size_t)(q - p));
	p = q;
	if (!lit(&p, end, " "))
		return BH_ERR_FORMAT;
	for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (q == p || q - p > 12 || (*p == '0' && q - p > 1))
		return BH_ERR_FORMAT;
	for (; p < q; p++)
		b.last = b.last * 10 + (uint64_t)(*p - '0');
	if (!lit(&p, end, "\n") || p != end)
		return BH_ERR_FORMAT;
	*ret = b;
	return 0;
}

int pw3_backoff_format(const struct pw3_backoff *b, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "pw3-fail v1 %u %" PRIu64 "\n", b->failures, b->last);
	if (n < 0 || (size_t)n >= outlen)
		return BH_ERR_LIMIT;
	return n;
}

static bool backoff_stale(const struct pw3_backoff *b, uint64_t now)
{
	return b->last > now + 60 /* clock stepped back */ || now - b->last > PW3_FAIL_MAX;
}

uint64_t pw3_backoff_wait(const struct pw3_backoff *b, uint64_t now)
{
	uint64_t d;
	if (b->failures < PW3_FAIL_FREE || backoff_stale(b, now))
		return 0;
	unsigned sh = b->failures - PW3_FAIL_FREE;
	d = sh >= 10 ? PW3_FAIL_MAX : (uint64_t)PW3_FAIL_BASE << sh;
	if (d > PW3_FAIL_MAX)
		d = PW3_FAIL_MAX;
	return now >= b->last + d ? 0 : b->last + d - now;
}

void pw3_backoff_fail(struct pw3_backoff *b, uint64_t now)
{
	if (backoff_stale(b, now))
		b->failures = 0;
	if (b->failures < 999999)
		b->failures++;
	b->last = now;
}

void pw3_backoff_name(const char *user, char out[static 40])
{
	uint8_t h[32];
	bh_sha3_256(user, strlen(user), h);
	out[0] = 'f';
	out[1] = '-';
	bh_hex_encode(h, 16, out + 2);
}

/* ---------------------------------------------------------------- URL / port */

uint32_t pw3_crc32(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return crc ^ 0xffffffffu;
}

uint16_t pw3_chain_port(const char *chain)
{
	return (uint16_t)(1024u + pw3_crc32(chain, strlen(chain)) % 64511u);
}

bool pw3_host_valid(const char *h, size_t len)
{
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == ':' || c == '_'))
			return false;
	}
	return true;
}

bool pw3_sid_valid(const char *s, size_t len)
{
	if (len != PW3_SID_HEX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

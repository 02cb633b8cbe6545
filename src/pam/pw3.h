/* SPDX-License-Identifier: MIT */
/*
 * libpw3: the parts of pam_web3 and web3-auth-svc that handle untrusted bytes,
 * kept free of PAM and sockets so that unit tests and fuzzers call them directly.
 * Nothing here logs or exits; errors are BH_ERR_* codes plus an optional bh_msg.
 * Interop facts: shared/reference/upstream.md §5.2-5.7, §13.  Design and the
 * decisions that differ from upstream: docs/pam_web3.md.
 */
#ifndef BH_PW3_H
#define BH_PW3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "core/err.h"

#define PW3_CONFIG_MAX_SIZE   (64u * 1024u)
#define PW3_MACHINE_ID_MAX    64
#define PW3_SECRET_MIN        16
#define PW3_SECRET_MAX        64
#define PW3_OTP_MIN_LEN       4
#define PW3_OTP_MAX_LEN       19
#define PW3_URL_MAX           512
#define PW3_SID_HEX           32
#define PW3_SIG_TEXT_LEN      132     /* "0x" + 130 hex */
#define PW3_REPLY_MAX         512     /* longest PAM reply / .sig content we look at */
#define PW3_SIGFILE_MAX       1024
#define PW3_EVM_BODY_MAX      256     /* auth-svc POST body limit (EVM) */
#define PW3_NONCE_BYTES       16      /* 128-bit challenge nonce */
#define PW3_NONCE_HEX         32
#define PW3_ISO_LEN           20      /* "YYYY-MM-DDTHH:MM:SSZ" */
#define PW3_MESSAGE_MAX       (sizeof("Authenticate to  with code:  nonce:  expires: ") + \
                               PW3_MACHINE_ID_MAX + PW3_OTP_MAX_LEN + PW3_NONCE_HEX + PW3_ISO_LEN)
#define PW3_DEFAULT_TTL       90      /* < LoginGraceTime 120 in src/pam/vm/50-blockhost.conf */
#define PW3_FAIL_DELAY_US     2000000u /* pam_fail_delay requested by every authentication */

/* ---------------------------------------------------------------- config.toml */
struct pw3_config {
	char machine_id[PW3_MACHINE_ID_MAX + 1];
	uint8_t secret[PW3_SECRET_MAX];
	size_t secret_len;
	unsigned otp_length;          /* 4..19, default 6 */
	unsigned otp_ttl;             /* seconds, 1..86400, default PW3_DEFAULT_TTL (90) */
	bool use_tls;                 /* default true */
	bool callback_enabled;        /* parsed; callback mode follows the pending dir */
	unsigned callback_grace;      /* seconds to poll for .sig, 1..60, default 10 */
	char signing_url[PW3_URL_MAX + 1]; /* vestigial upstream key, parsed and ignored */
};

/*
 * Parse the TOML subset of /etc/pam_web3/config.toml (see docs/pam_web3.md):
 * `[machine]`/`[auth]` sections, `key = value` with "basic" or 'literal'
 * strings, decimal integers, true/false, `#` comments.  Strict: unknown sections
 * and keys, duplicate keys or sections, wrong types, out-of-range numbers, NUL
 * bytes, what TOML refuses anywhere (invalid UTF-8, control characters but tab and
 * line feed, a carriage return not ending a line), a missing machine.id or
 * machine.secret_key all fail (BH_ERR_CONFIG, BH_ERR_DUPLICATE, BH_ERR_WRONG_TYPE,
 * BH_ERR_RANGE, BH_ERR_MISSING_KEY, BH_ERR_NUL, BH_ERR_UTF8, BH_ERR_FORMAT,
 * BH_ERR_LIMIT) with a message naming the line.
 * ret is written only on success; wipe it with pw3_config_wipe.
 */
int pw3_config_parse(const char *data, size_t len, struct pw3_config *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));

/*
 * Load with the untrusted-file recipe: O_NOFOLLOW|O_CLOEXEC|O_NOCTTY, fstat the
 * fd: regular file, owner root (or the caller's euid), no group/other write,
 * size <= PW3_CONFIG_MAX_SIZE; then pw3_config_parse.
 */
int pw3_config_load(const char *path, struct pw3_config *ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));

void pw3_config_wipe(struct pw3_config *c);

/*
 * Read a small trusted-owner file (same recipe, size cap `max`) into a
 * NUL-terminated heap string; NUL bytes inside are BH_ERR_NUL.
 */
int pw3_read_small_file(int dirfd, const char *path, size_t max, char **ret);

/* ---------------------------------------------------------------- OTP / challenge */
/*
 * One login challenge (decision, docs/pam_web3.md "What the message binds"): the
 * short code for the human, a 128-bit random nonce and an absolute expiry, all in
 * the signed text, so no signature ever verifies for a second challenge.  It lives
 * in the PAM process's memory; `consumed` makes it single-use there, and the module
 * also records its nonce in the root-only state dir (pw3_used_record).
 */
struct pw3_otp {
	char code[PW3_OTP_MAX_LEN + 1];
	uint64_t created_at;
	uint64_t expires_at;          /* created_at + otp_ttl: the last second it is valid */
	char machine_id[PW3_MACHINE_ID_MAX + 1];
	uint8_t nonce[PW3_NONCE_BYTES];
	char nonce_hex[PW3_NONCE_HEX + 1];
	uint8_t tag[32];
	bool consumed;                /* a signature was accepted for it */
};

/*
 * A new challenge: code uniform in [0, 10^len) (getrandom, rejection sampling),
 * zero-padded to otp_length digits; nonce = 16 getrandom bytes; expires_at =
 * now + otp_ttl; tag = SHA3-256(secret || code || created_at (u64 LE) ||
 * machine_id || nonce || expires_at (u64 LE)).
 */
int pw3_otp_new(const struct pw3_config *c, uint64_t now, struct pw3_otp *ret)
	__attribute__((warn_unused_result));

/*
 * 0 if now <= expires_at (BH_ERR_EXPIRED), code and machine_id equal the
 * OTP's (BH_ERR_MISMATCH) and the tag recomputes (BH_ERR_MISMATCH); constant-time
 * compares.
 */
int pw3_otp_verify(const struct pw3_config *c, const struct pw3_otp *otp, const char *code,
                   const char *machine_id, uint64_t now) __attribute__((warn_unused_result));

void pw3_otp_wipe(struct pw3_otp *o);

/* "YYYY-MM-DDTHH:MM:SSZ" (UTC) of t into out; BH_ERR_RANGE past year 9999. */
int pw3_time_iso(uint64_t t, char out[static PW3_ISO_LEN + 1]);
/* Strict inverse of pw3_time_iso: exactly that shape, a real date; *ret on success. */
int pw3_time_parse_iso(const char *s, size_t len, uint64_t *ret)
	__attribute__((warn_unused_result));

/*
 * The signed text (one line):
 *   "Authenticate to <machine_id> with code: <code> nonce: <32 hex> expires: <ISO 8601 UTC>"
 * Upstream signs only the part before " nonce:".  Returns its length or <0.
 */
int pw3_message_fmt(const char *machine_id, const char *code, const char *nonce_hex,
                    uint64_t expires_at, char *out, size_t outlen);
/* pw3_message_fmt of the challenge's fields. */
int pw3_message(const struct pw3_otp *otp, char *out, size_t outlen);

struct pw3_message_parts {
	char machine_id[PW3_MACHINE_ID_MAX + 1];
	char code[PW3_OTP_MAX_LEN + 1];
	char nonce_hex[PW3_NONCE_HEX + 1];
	uint64_t expires_at;
};
/*
 * Strict parse of a message: exactly the layout above, machine id 1..64 of
 * [A-Za-z0-9._-], code 4..19 digits, nonce 32 lower-case hex, a canonical ISO time,
 * nothing before or after (no whitespace, no NUL).  BH_ERR_FORMAT otherwise.
 */
int pw3_message_parse(const char *s, size_t len, struct pw3_message_parts *ret)
	__attribute__((warn_unused_result));

/* ---------------------------------------------------------------- signatures */
/*
 * A wallet signature as text: surrounding ASCII whitespace trimmed, optional
 * 0x/0X, exactly 130 hex digits = r(32) s(32) v(1).  v 0/27 -> recid 0, 1/28 ->
 * 1, >= 35 -> (v-35) mod 2 (EIP-155); any other v is BH_ERR_RECOVERY_ID.
 * ret_sig = r || s || recid.  len > PW3_REPLY_MAX is BH_ERR_LIMIT.
 */
int pw3_sig_parse(const char *s, size_t len, uint8_t ret_sig[static 65])
	__attribute__((warn_unused_result));

/* EIP-191 digest of msg. */
void pw3_eip191_digest(const char *msg, size_t len, uint8_t out[static 32]);

/*
 * The whole EVM check: the challenge not yet consumed (BH_ERR_STATE), valid at
 * `now` (BH_ERR_EXPIRED), then recover the signer of the EIP-191 digest of
 * pw3_message(otp) from sigtext and compare the address with `wallet` in constant
 * time (BH_ERR_MISMATCH).  On success (only) the challenge is marked consumed, so
 * the same challenge never accepts a second signature.
 */
int pw3_verify_evm(const struct pw3_config *c, struct pw3_otp *otp, const char *sigtext,
                   size_t len, const uint8_t wallet[static 20], uint64_t now)
	__attribute__((warn_unused_result));

/*
 * The address that signature text `sigtext` recovers to for the EIP-191 digest of
 * msg (to tell a user which wallet signed).  Parse errors as pw3_sig_parse.
 */
int pw3_recover_signer(const char *msg, size_t msglen, const char *sigtext, size_t len,
                       uint8_t ret_addr[static 20]) __attribute__((warn_unused_result));

/* ---------------------------------------------------------------- state dir */
/*
 * <run_dir>/state: root-only (0700) directory of the module.  Holds
 *   u-<nonce hex>   one file per accepted challenge (created O_EXCL: single use)
 *   f-<32 hex>      the failure record of one user (name = SHA3-256(user) prefix)
 *   .lock           flock serialising failure-record updates
 * pw3_state_open creates it if missing (mode 0700) and opens it O_DIRECTORY|
 * O_NOFOLLOW; it must be owned by euid with no group/other access.
 */
int pw3_state_open(const char *path, int *ret_fd) __attribute__((warn_unused_result));

/*
 * Record the challenge as used: create u-<nonce hex> with O_CREAT|O_EXCL|O_NOFOLLOW,
 * fsync it and the directory.  BH_ERR_EXISTS if it was already recorded (a replay, or
 * a second process given the same challenge): the caller must refuse the login.
 * Called before a login is reported successful; a crash after it costs the user a new
 * challenge, never a second use.
 */
int pw3_used_record(int state_fd, const struct pw3_otp *otp) __attribute__((warn_unused_result));

/* Remove u-* older than used_max_age and f-* older than fail_max_age (regular files,
 * never followed, at most PW3_SWEEP_MAX entries).  Returns the number removed or <0. */
int pw3_state_sweep(int state_fd, uint64_t now, uint64_t used_max_age, uint64_t fail_max_age);

/*
 * Per-user failure backoff (docs/pam_web3.md "Failure delay").  Every authentication
 * asks libpam for a PW3_FAIL_DELAY_US delay on failure (pam_fail_delay).  On top, the
 * module keeps a record per user: consecutive failures and the time of the last one.
 * After PW3_FAIL_FREE consecutive failures the next attempt must wait
 * PW3_FAIL_BASE << (failures - PW3_FAIL_FREE) seconds (at most PW3_FAIL_MAX) after the
 * last failure; a success removes the record; a record older than PW3_FAIL_MAX is void.
 * File content: "pw3-fail v1 <failures> <last unix s>\n".
 */
#define PW3_FAIL_FREE 5
#define PW3_FAIL_BASE 30
#define PW3_FAIL_MAX  900
struct pw3_backoff {
	unsigned failures;
	uint64_t last;
};
int pw3_backoff_parse(const char *s, size_t len, struct pw3_backoff *ret)
	__attribute__((warn_unused_result));
int pw3_backoff_format(const struct pw3_backoff *b, char *out, size_t outlen);
/* Seconds the user must still wait at `now` (0: may try). */
uint64_t pw3_backoff_wait(const struct pw3_backoff *b, uint64_t now);
/* Count one more failure at `now` (a stale record starts again from 1). */
void pw3_backoff_fail(struct pw3_backoff *b, uint64_t now);
/* "f-" + 32 hex of SHA3-256(user) into out. */
void pw3_backoff_name(const char *user, char out[static 40]);

/* ---------------------------------------------------------------- URL / port */
uint32_t pw3_crc32(const void *data, size_t len);
/* 1024 + crc32(chain) % 64511; "evm" -> 63108. */
uint16_t pw3_chain_port(const char *chain);
/* Host names we put in a URL: [A-Za-z0-9.:_-], 1..253 chars. */
bool pw3_host_valid(const char *h, size_t len);

/* ---------------------------------------------------------------- pending sessions */
/* true if s[0..len) is exactly 32 lower-case hex digits. */
bool pw3_sid_valid(const char *s, size_t len);

/*
 * Open the pending directory safely: O_DIRECTORY|O_NOFOLLOW, fstat: a directory
 * owned by root (or euid), not world-writable.  -ENOENT if missing (manual mode),
 * BH_ERR_UNSAFE_FILE for a symlink or bad owner/mode.  *ret_fd on success.
 */
int pw3_pending_open(const char *path, int *ret_fd) __attribute__((warn_unused_result));

struct pw3_session {
	int dfd;                 /* pending dir (owned by the session) */
	char sid[PW3_SID_HEX + 1];
	gid_t dir_gid;
};

/*
 * Create a session in the open pending dir `dfd` (ownership passes to the
 * session): random sid; <sid>.json =
 *   {"otp":..,"machine_id":..,"session_id":..,"nonce":..,"expires":"<ISO>",
 *    "wallet":"0x<40 hex>","message":"<pw3_message>"}
 * (upstream's three keys first, ours after) written via <sid>.tmp (O_EXCL|O_NOFOLLOW,
 * 0640, group = the dir's group) + fsync + rename + dir fsync.  On failure dfd is
 * closed and nothing is left.
 */
int pw3_session_create(int dfd, const struct pw3_otp *otp, const uint8_t wallet[static 20],
                       struct pw3_session *ret) __attribute__((warn_unused_result));

/* A session file as web3-auth-svc reads it. */
struct pw3_session_info {
	char sid[PW3_SID_HEX + 1];
	struct pw3_message_parts parts;
	uint8_t wallet[20];
	char message[PW3_MESSAGE_MAX];
	size_t message_len;
};
/*
 * Strict parse of a <sid>.json in exactly the layout pw3_session_create writes (key
 * order, no whitespace, no escapes); the fields must agree with each other (message =
 * pw3_message_fmt of the others, nonce and expires equal the message's).
 * BH_ERR_FORMAT / BH_ERR_MISMATCH otherwise.
 */
int pw3_session_json_parse(const char *s, size_t len, struct pw3_session_info *ret)
	__attribute__((warn_unused_result));

/*
 * One look for <sid>.sig: -ENOENT / -EAGAIN (empty) if not (yet) there; else
 * opened O_NOFOLLOW|O_NONBLOCK and checked on the fd (regular, one link, owner
 * root/euid or group = dir's group, not world-writable, <= PW3_SIGFILE_MAX) and
 * its trimmed content returned as a heap string.  A symlink or unsafe file is
 * BH_ERR_UNSAFE_FILE.
 */
int pw3_session_read_sig(const struct pw3_session *s, char **ret);

/* Poll read_sig every interval_ms up to total_ms; BH_ERR_TIMEOUT if nothing came. */
int pw3_session_poll(const struct pw3_session *s, unsigned interval_ms, unsigned total_ms,
                     char **ret);

/* Remove <sid>.{json,sig,tmp,sig.tmp} and close the dir; NULL-safe, idempotent. */
void pw3_session_destroy(struct pw3_session *s);

/*
 * Remove stale session files left behind by a module process that was killed
 * (sshd's LoginGraceTime ends the PAM process before the session is dropped).
 * Looks at the entries of the open pending dir `dfd` (read through a fresh fd for
 * "." opened relative to dfd; dfd itself is left open and unmoved) and removes,
 * with unlinkat(dfd, name, 0), only entries that
 *   - are named "<32 lower-case hex>" + ".json" | ".sig" | ".tmp" | ".sig.tmp",
 *   - are regular files according to fstatat(AT_SYMLINK_NOFOLLOW) (never followed),
 *   - have st_mtime <= now - max_age.
 * Symlinks, directories and anything else are left alone (neither followed nor
 * unlinked; systemd-tmpfiles' age cleans them).  An entry swapped for a symlink
 * between the fstatat and the unlinkat loses the link itself (unlinkat never follows).
 * The module passes max_age = otp_ttl + callback_grace + PW3_SWEEP_MARGIN: such a
 * file cannot belong to a login that could still succeed (its OTP has expired).  At most PW3_SWEEP_MAX entries are
 * looked at per call, so a directory filled by a hostile writer cannot stall a login.
 * Returns the number of files removed, or <0 if the directory cannot be read.
 */
#define PW3_SWEEP_MAX 4096
#define PW3_SWEEP_MARGIN 60   /* seconds added to ttl + grace by the module */
int pw3_pending_sweep(int dfd, uint64_t now, uint64_t max_age);

/*
 * The signing page's certificate fingerprint (issue 18): web3-auth-svc writes the SHA-256
 * of its certificate as 32 upper-case hex pairs joined by ':' (95 characters, as browsers'
 * certificate viewers show it) plus '\n' to PW3_TLS_FP_FILE in the pending dir at start;
 * pam_web3 shows it in the prompt.  It is display data for the user to compare, nothing
 * trusts it.  The name is not a session file's, so the sweep leaves it alone.
 */
#define PW3_TLS_FP_LEN 95
#define PW3_TLS_FP_FILE "tls-fingerprint"
void pw3_tls_fp_format(const uint8_t sha256[static 32], char out[static PW3_TLS_FP_LEN + 1]);
bool pw3_tls_fp_valid(const char *s, size_t len);
/* write it (replacing an older one) through the pending dir fd: tmp O_EXCL 0640 + rename */
int pw3_tls_fp_write(int dfd, const char *fp) __attribute__((warn_unused_result));
/* read it through the session's dir fd with the .sig rules; -EINVAL if malformed */
int pw3_tls_fp_read(const struct pw3_session *s, char out[static PW3_TLS_FP_LEN + 1])
	__attribute__((warn_unused_result));

/* ---------------------------------------------------------------- auth-svc request handling */
struct pw3_http_ctx {
	int pending_fd;           /* the pending dir, opened by the service */
	const char *index_html;  size_t index_len;
	const char *engine_js;   size_t engine_len;
	const char *tls_fp;       /* its certificate's SHA-256 (pw3_tls_fp_format), or NULL */
};

struct pw3_http_resp {
	unsigned status;
	const char *content_type;
	const char *body;         /* static or owned (free if body_owned) */
	size_t body_len;
	bool body_owned;
};

enum {
	PW3_REQ_TOO_LARGE = 1 << 0, /* the body exceeded PW3_EVM_BODY_MAX (rest discarded) */
	PW3_REQ_TIMEOUT   = 1 << 1, /* the request took longer than the per-request limit */
};

/*
 * Route one request (no sockets): GET / /index.html /engine.js
 * /auth/pending/<sid>, POST /auth/callback/<sid>.  url is url_len bytes, as
 * received (not percent-decoded; the service installs an identity unescape
 * callback); a NUL or '%' anywhere in it is 404, and a sid is exactly 32
 * lower-case hex digits.  A callback body is stored only if it is a signature
 * of the session's message by the session's wallet, at a time the session has
 * not expired (403 / 410 otherwise; a stored one is never replaced: 409).
 * Fills *resp (always) and returns 0, or <0 for an internal failure (resp is
 * then a 500).  `why` (may be NULL) receives a short reason for the log.
 */
int pw3_http_handle(const struct pw3_http_ctx *ctx, const char *method, const char *url,
                    size_t url_len, const uint8_t *body, size_t body_len, unsigned flags,
                    uint64_t now, struct pw3_http_resp *resp, struct bh_msg *why);

void pw3_http_resp_done(struct pw3_http_resp *r);

/* ---------------------------------------------------------------- auth-svc connection limits
 * (issue 11 item 3; svclimit.c).  A client is its group: an IPv4 address (an IPv4-mapped
 * IPv6 address counts as that IPv4 address), or an IPv6 /64 (one subscriber's usual
 * allocation, so a host cannot multiply itself by its 2^64 addresses).  A group holds at
 * most PW3_CONN_PER_GROUP connections; all groups together hold at most
 * PW3_CONN_MAX - PW3_CONN_RESERVED, and the last PW3_CONN_RESERVED slots go only to a
 * group with no connection open (a new client gets in while others hold their share;
 * filling the reserve takes PW3_CONN_RESERVED more groups).  No allocation, no logging;
 * the caller serialises the calls (the service: one MHD thread, plus a mutex).
 */
#define PW3_CONN_MAX        256
#define PW3_CONN_PER_GROUP  8
#define PW3_CONN_RESERVED   32

struct pw3_conn_key {
	uint8_t b[17];            /* b[0]: 4 or 6; then the IPv4 address or the /64 prefix */
};

struct pw3_conn_table {
	struct {
		struct pw3_conn_key key;
		unsigned n;       /* 0: a free entry */
	} g[PW3_CONN_MAX];
	unsigned total;
};

/* The group of a peer address (AF_INET or AF_INET6); BH_ERR_FORMAT for anything else. */
int pw3_conn_key(const struct sockaddr *sa, socklen_t len, struct pw3_conn_key *ret);

/* May a new connection of this group be accepted now? */
bool pw3_conn_admit(const struct pw3_conn_table *t, const struct pw3_conn_key *k);

/* Count an accepted connection (BH_ERR_LIMIT if the table is full: refuse it). */
int pw3_conn_add(struct pw3_conn_table *t, const struct pw3_conn_key *k);

/* Uncount a connection counted by pw3_conn_add (a key never added is ignored). */
void pw3_conn_remove(struct pw3_conn_table *t, const struct pw3_conn_key *k);

/* Connections the group holds now. */
unsigned pw3_conn_count(const struct pw3_conn_table *t, const struct pw3_conn_key *k);

/*
 * Repeated log lines: at most `burst` lines of one kind (any pointer identifying it, e.g.
 * a format string) per `interval` seconds; the rest are counted.  pw3_ratelimit returns
 * true when the line may be printed, and then sets *ret_suppressed to the number of lines of
 * that kind dropped since the last printed one (print "suppressed K similar lines" first
 * when it is > 0).  Up to PW3_RL_KINDS kinds; later kinds share the last entry.
 */
#define PW3_RL_KINDS 32
struct pw3_ratelimit {
	unsigned burst, interval;
	struct {
		const void *kind;
		uint64_t start;
		unsigned n, suppressed;
	} k[PW3_RL_KINDS];
};
bool pw3_ratelimit(struct pw3_ratelimit *rl, const void *kind, uint64_t now,
                   unsigned *ret_suppressed);

#endif

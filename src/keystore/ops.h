/* SPDX-License-Identifier: MIT */
/*
 * The keystore daemon's request handling (docs/PROTOCOL.keystore): the socket and
 * transaction policy ([socket] and [transactions] of policy/blockhost-keystore.policy),
 * and one function that turns request bytes from a peer into a response object.
 * Library code: no logging, no exits; fuzzed by fuzz/fuzz_keystore_req.c.
 */
#ifndef BH_KS_OPS_H
#define BH_KS_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/err.h"
#include "sandbox/callers.h"
#include "keys.h"
#include "sandbox/policy.h"

/* Operations; a [socket] allow line grants a set of them. */
enum ks_op {
	KS_OP_ADDRESS = 0,
	KS_OP_PUBKEYS,
	KS_OP_SIGN_TX,
	KS_OP_PERSONAL_SIGN,
	KS_OP_ECIES_DECRYPT,
	KS_OP_TLS_SIGN,
	KS_OP__MAX,
};
const char *ks_op_name(enum ks_op op);

/* One [socket] allow line: a principal (sandbox/callers.h, the root agent's [callers] use
 * the same parser and matcher) and the operations it is granted. */
struct ks_grant {
	struct bh_principal who;
	uint32_t ops;           /* bit per enum ks_op */
	unsigned line;
};

#define KS_MAX_GRANTS 64
#define KS_MAX_ALLOW_TO 256

struct ks_policy {
	/* [socket] */
	mode_t sock_mode;       /* default 0660 */
	bool has_sock_group;
	gid_t sock_group;
	size_t n_grants;
	struct ks_grant grants[KS_MAX_GRANTS];
	/* [transactions] */
	bool has_tx;            /* section present: sign_tx impossible without it */
	uint64_t chain_id;
	size_t n_allow_to;
	uint8_t allow_to[KS_MAX_ALLOW_TO][20];
	uint8_t max_value_per_tx[32];   /* big-endian wei */
	uint8_t max_value_per_day[32];
	bool has_max_fee_per_gas;       /* optional cap on maxFeePerGas */
	uint8_t max_fee_per_gas[32];
	bool allow_deploy;
};

/*
 * Read [socket] and [transactions] from the shipped policy p, each section replaced
 * by the site file's (site may be NULL: <etc>/keystore.policy holds the host's chain
 * id, allowlist and caps, written at finalization).  Names are resolved through NSS:
 * call before the sandbox.  Errors name file:line.
 */
int ks_policy_from_ini(const struct bh_policy *p, const struct bh_ini *site,
		       struct ks_policy *ret, struct bh_msg *msg);
/*
 * Load the site policy (<etc>/keystore.policy): opened O_NOFOLLOW, and refused unless
 * it is a regular file owned by root (uid 0) and not group- or world-writable (the
 * keystore user may read it through its group).  -ENOENT when absent (no site
 * policy); BH_ERR_UNSAFE_FILE / BH_ERR_CONFIG / -errno with msg naming the file.
 */
int ks_site_policy_load(const char *path, struct bh_ini **ret, struct bh_msg *msg);
/* The same from text (tests and the fuzzer; names "user:x"/"group:x" are resolved). */
int ks_policy_parse(const char *text, size_t len, struct ks_policy *ret, struct bh_msg *msg);
void ks_policy_done(struct ks_policy *p);

#define KS_PEER_GROUPS_MAX 64

/* A caller as the kernel recorded it at connect(): SO_PEERCRED + SO_PEERGROUPS.  A
 * group: grant matches gid or any of groups (as the root agent's [callers] do), never the
 * account database. */
struct ks_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	size_t n_groups;
	gid_t groups[KS_PEER_GROUPS_MAX];
};

#define KS_COUNTER_FILE "daily-value.json"

struct ks_server {
	struct bh_ks_keys *keys;       /* guarded; noaccess between requests */
	struct ks_policy *policy;
	/* the daily value counter: UTC day number and wei spent that day */
	uint64_t day;
	uint8_t spent[32];
	const char *counter_path;      /* NULL: in memory only (fuzzing); else the full
					* name (messages) of KS_COUNTER_FILE in counter_dirfd,
					* the keystore directory (blob.h bh_ks_dir_open) */
	int counter_dirfd;
	/* The deployment gate: the flag file deploy_flag_name in the directory deploy_dirfd
	 * (opened by ks_deploy_dir_open before the sandbox); has_deploy_dir false: never
	 * open.  deploy_flag_path is the full name, for messages only. */
	bool has_deploy_dir;
	int deploy_dirfd;
	const char *deploy_flag_path;
	uint64_t (*now)(void);         /* seconds since the epoch (tests override) */
};

/* grants.c: the [socket] rules.  Whether peer is granted op by a line of p; one allow
 * line's value ("<user:|uid:|group:|gid:>who op[, op...]", msg names file:line); a
 * group by name with its member uids (NSS: before the sandbox). */
bool ks_granted(const struct ks_policy *p, const struct ks_peer *peer, enum ks_op op);
int ks_grant_parse(const char *v, struct ks_grant *g, struct bh_msg *msg, const char *file,
		   unsigned line);
int ks_group_lookup(const char *name, gid_t *ret);
/* An operation by name (n bytes, not NUL-terminated); -1 when there is none. */
int ks_op_from_name(const char *s, size_t n);

/* Whether any [socket] line grants peer anything (checked before reading a request,
 * so an unknown peer cannot even hold the single-threaded daemon for the read
 * timeout); the refusal response for one that is not. */
bool ks_peer_known(const struct ks_policy *p, const struct ks_peer *peer);
json_t *ks_denied_peer(const struct ks_peer *peer);

/*
 * The deployment gate's directory (docs/keystore.md "Deployment gate"): open dir
 * O_DIRECTORY|O_NOFOLLOW and check it (owner root, not group/world-writable); *ret_fd
 * for ks_server.deploy_dirfd.  -ENOENT when it does not exist (the gate stays shut),
 * BH_ERR_UNSAFE_FILE with msg when it is not trustworthy.
 */
int ks_deploy_dir_open(const char *dir, int *ret_fd, struct bh_msg *msg);
/*
 * Whether the gate is open now: the flag is a regular file (not a symlink: fstatat
 * AT_SYMLINK_NOFOLLOW), owned by root and not group/world-writable, in a directory
 * that (still) is root-owned and not group/world-writable.  When shut, why says why.
 */
bool ks_deploy_gate_open(const struct ks_server *s, char *why, size_t why_len);

/* Load the daily counter (absent file = nothing spent).  BH_ERR_FORMAT if corrupt. */
int ks_counter_load(struct ks_server *s, struct bh_msg *msg);

/*
 * Handle one request (the frame payload, untrusted) from peer.  Always produces a
 * response object in *ret (new reference): {"ok": true, ...} or {"ok": false,
 * "error": <code>, "rule": <rule>, "message": <text>}.  Returns 0, or -ENOMEM when
 * no response could be built.
 */
int ks_handle(struct ks_server *s, const struct ks_peer *peer, const uint8_t *req, size_t len,
	      json_t **ret);

/*
 * Wipe the secret text a response may carry (ecies_decrypt's "plaintext") inside the
 * jansson string itself, before the last json_decref: jansson frees without wiping.
 * The string's bytes are overwritten in place through a cast of json_string_value
 * (jansson keeps string values in their own heap copy and never hashes them, so this
 * only changes what gets freed).  NULL-safe; call after the response was sent.
 */
void ks_resp_wipe(json_t *resp);

/* Quantities (exposed for the unit tests); arithmetic and text: eth/u256.h. */
int ks_u256_parse(const json_t *v, uint8_t ret[static 32]);
int ks_u256_from_dec(const char *s, uint8_t ret[static 32]);

#endif

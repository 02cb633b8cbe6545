/* SPDX-License-Identifier: MIT */
/*
 * Signed root-agent action plugins (docs/PROTOCOL.plugin).
 *
 * Layers, each usable on its own (and fuzzable from bytes), one file each:
 *   - bh_plugin_manifest_parse  strict manifest parser (bounded, no I/O)   plugin-manifest.c
 *   - bh_params_validate    request params vs the manifest's schema        plugin-params.c
 *   - bh_plugin_sig_*       detached Ed25519 signature over
 *                           namespace||0||manifest                         plugin-sig.c
 *   - bh_plugin_load        files → verified manifest + the executable's
 *                           bytes copied into a sealed memfd whose hash
 *                           matched; rollback state                        plugin-store.c
 *   - bh_plugin_run         validated params → child running the memfd →
 *                           reply (pipes and deadline: bh_spawn_pump)      plugin-exec.c
 *
 * Library code: nothing here logs or exits; details go to struct bh_msg.
 */
#ifndef BH_AGENT_PLUGIN_H
#define BH_AGENT_PLUGIN_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/err.h"
#include "core/strutil.h"

#define BH_PLUGIN_NAMESPACE      "blockhost-plugin-v1"
#define BH_PLUGIN_FORMAT         1
#define BH_PLUGIN_SIG_MAGIC      "blockhost-plugin-sig-v1"
#define BH_PLUGIN_PUB_MAGIC      "blockhost-plugin-pubkey-v1"
#define BH_PLUGIN_SEC_MAGIC      "blockhost-plugin-seckey-v1"

#define BH_PLUGIN_NAME_MAX       64
#define BH_PLUGIN_MANIFEST_MAX   65536u
#define BH_PLUGIN_SIG_FILE_MAX   1024u
#define BH_PLUGIN_EXE_MAX        (64u * 1024u * 1024u)
#define BH_PLUGIN_PARAMS_MAX     32
#define BH_PLUGIN_PARAM_NAME_MAX 32
#define BH_PLUGIN_CAPS_MAX       16
#define BH_PLUGIN_TIMEOUT_MAX    600000u
#define BH_PLUGIN_OUTPUT_MAX     (1024u * 1024u)
#define BH_PLUGIN_STRING_MAX     65536u
#define BH_PLUGIN_ITEMS_MAX      1024u
#define BH_PLUGIN_PATTERN_MAX    512u
#define BH_PLUGIN_KEYID_LEN      8
#define BH_PLUGIN_VERSION_MAX    ((1ull << 53) - 1)

enum bh_param_type {
	BH_PARAM_STRING = 1,
	BH_PARAM_INT,
	BH_PARAM_BOOL,
	BH_PARAM_STRING_ARRAY,
	BH_PARAM_OBJECT,          /* shape only (member count); the plugin checks members */
};

struct bh_param_schema {
	char name[BH_PLUGIN_PARAM_NAME_MAX + 1];
	enum bh_param_type type;
	bool required;
	bool has_pattern;
	regex_t re;               /* valid iff has_pattern */
	size_t max_len;           /* string / element bytes */
	size_t max_items;         /* string-array */
	int64_t min, max;         /* int */
	char *path_prefix;        /* string; NULL = not a path */
};

#define BH_PLUGIN_ROOT_EQ_MAX 400 /* bytes of a "root_equivalent" reason */
#define BH_PLUGIN_GROUPS_MAX 16   /* supplementary groups of a run_as user (policy.h's max) */

enum bh_plugin_run_as {
	BH_PLUGIN_RUN_DEFAULT = 0, /* parsing only: "run_as" not seen yet (it is required) */
	BH_PLUGIN_RUN_USER,        /* the agent's plugin user, caps ambient, SECBIT_NOROOT */
	BH_PLUGIN_RUN_ROOT,        /* uid 0, caps reduced (bounding set included) */
	BH_PLUGIN_RUN_LIBVIRT,     /* the agent's libvirt user ([libvirt] of its policy), as USER */
};

/* "plugin", "root" or "libvirt": the manifest's spelling of run_as */
const char *bh_plugin_run_as_name(enum bh_plugin_run_as r);

struct bh_plugin_manifest {
	char action[BH_PLUGIN_NAME_MAX + 1];
	enum bh_plugin_run_as run_as; /* after parsing: USER, ROOT or LIBVIRT (section 6) */
	/* "root_equivalent": why it needs uid 0 or a root-equivalent capability; required
	 * exactly when bh_caps_root_equivalent(caps, run_as == ROOT), else "" */
	char root_equivalent[BH_PLUGIN_ROOT_EQ_MAX + 1];
	uint64_t version;
	int64_t expires;          /* unix seconds; 0 = no expiry */
	uint8_t sha256[32];
	uint64_t caps;            /* bit n = capability number n */
	unsigned timeout_ms;
	size_t output_max;
	size_t n_params;
	struct bh_param_schema params[BH_PLUGIN_PARAMS_MAX];
};

/* Action names are bh_name_valid(name, BH_NAME_ACTION) (core/strutil.h), which also
 * guards every path built from them; param names BH_NAME_PARAM. */
_Static_assert(BH_PLUGIN_NAME_MAX == BH_NAME_ACTION_MAX, "action name length");
_Static_assert(BH_PLUGIN_PARAM_NAME_MAX == BH_NAME_PARAM_MAX, "param name length");

/*
 * Parse a manifest from exactly [data, data+len).  Strict (section 2 of
 * docs/PROTOCOL.plugin).  Returns 0 and *ret (free with bh_plugin_manifest_free), or
 * BH_ERR_LIMIT, BH_ERR_FORMAT, BH_ERR_UNSUPPORTED (newer format / other namespace),
 * BH_ERR_WRONG_TYPE, BH_ERR_MISSING_KEY, BH_ERR_RANGE, BH_ERR_CONFIG (bad schema),
 * -ENOMEM, ... with msg naming the offending key.
 */
int bh_plugin_manifest_parse(const uint8_t *data, size_t len, struct bh_plugin_manifest **ret,
		      struct bh_msg *msg) __attribute__((warn_unused_result));
void bh_plugin_manifest_free(struct bh_plugin_manifest *m);

/*
 * Check params (a JSON object, or NULL = {}) against m's schema.  On success
 * *ret is a new object holding the params as the plugin will see them (paths
 * replaced by their realpath).  Errors name the param in msg ("param 'port':
 * ...") and return BH_ERR_DENIED (unknown param), BH_ERR_MISSING_KEY,
 * BH_ERR_WRONG_TYPE, BH_ERR_RANGE, BH_ERR_LIMIT, BH_ERR_FORMAT (pattern / path).
 */
int bh_params_validate(const struct bh_plugin_manifest *m, const json_t *params, json_t **ret,
		       struct bh_msg *msg) __attribute__((warn_unused_result));

/* ---- keys and signatures ---- */

/* First 8 bytes of SHA-256(pk). */
void bh_plugin_keyid(const uint8_t pk[static 32], uint8_t ret[static BH_PLUGIN_KEYID_LEN]);

/* Parse "<magic> <keyid hex16> <sig hex128>\n". */
int bh_plugin_sig_parse(const uint8_t *data, size_t len,
			uint8_t ret_keyid[static BH_PLUGIN_KEYID_LEN], uint8_t ret_sig[static 64])
	__attribute__((warn_unused_result));
/* Parse "<magic> <hex64>\n" / "<magic> <hex128>\n" (constant-time hex). */
int bh_plugin_pub_parse(const uint8_t *data, size_t len, uint8_t ret_pk[static 32])
	__attribute__((warn_unused_result));
int bh_plugin_sec_parse(const uint8_t *data, size_t len, uint8_t ret_sk[static 64])
	__attribute__((warn_unused_result));

/* Sign / verify namespace||0x00||manifest.  verify: 0 or BH_ERR_SIGNATURE. */
int bh_plugin_sign(const uint8_t sk[static 64], const uint8_t *manifest, size_t len,
		   uint8_t ret_sig[static 64]);
int bh_plugin_verify(const uint8_t pk[static 32], const uint8_t sig[static 64],
		     const uint8_t *manifest, size_t len) __attribute__((warn_unused_result));

/* ---- loading and running ---- */

struct bh_plugin_env {
	const char *actions_dir;  /* .../usr/share/blockhost/root-agent-actions */
	const char *keys_dir;     /* .../policy/plugin-keys */
	const char *state_dir;    /* .../var/lib/blockhost-root-agent (root-owned parent); NULL = no rollback */
	uid_t owner;              /* required owner of every file (0 in production) */
	/* who runs plugins whose manifest does not say "run_as": "root"; must not be 0
	 * when the agent is root (bh_plugin_run refuses) */
	uid_t plugin_uid;
	gid_t plugin_gid;
	/* who runs "run_as": "libvirt" plugins ([libvirt] of the agent's policy); uid 0 =
	 * not configured (such a plugin is refused when the agent is root) */
	uid_t libvirt_uid;
	gid_t libvirt_gid;
	size_t n_libvirt_groups;  /* supplementary groups, e.g. libvirt's socket group */
	gid_t libvirt_groups[BH_PLUGIN_GROUPS_MAX];
};

struct bh_plugin {
	struct bh_plugin_manifest *m;
	int memfd;                /* sealed copy of the verified executable */
	uid_t run_uid;            /* from env (plugin or libvirt user) or 0 for run_as root */
	gid_t run_gid;
	size_t n_groups;          /* supplementary groups besides run_gid (libvirt user) */
	gid_t groups[BH_PLUGIN_GROUPS_MAX];
	uint8_t keyid[BH_PLUGIN_KEYID_LEN];
};

/*
 * Verify action `name` from scratch (docs/PROTOCOL.plugin sections 1-5):
 * manifest + signature files, trusted key, action name, rollback state (and
 * raise it), then open the executable, copy it into a sealed memfd and check
 * the memfd's hash and ELF magic.  Returns 0 and *ret (bh_plugin_free), or
 * BH_ERR_NOT_FOUND (no such action), BH_ERR_UNSAFE_FILE, BH_ERR_SIGNATURE,
 * BH_ERR_DENIED (untrusted key / rollback), BH_ERR_MISMATCH (hash),
 * BH_ERR_FORMAT (not ELF) etc., msg saying which.
 */
int bh_plugin_load(const struct bh_plugin_env *env, const char *name, struct bh_plugin **ret,
		   struct bh_msg *msg) __attribute__((warn_unused_result));
void bh_plugin_free(struct bh_plugin *p);

/*
 * Validate params and run the plugin: child with the manifest's capabilities
 * only, params as JSON on stdin, stdout capped at output_max, killed at
 * timeout_ms.  *ret is the plugin's reply object (containing "ok") on success.
 * Returns BH_ERR_TIMEOUT, BH_ERR_CHILD (exit status / signal), BH_ERR_LIMIT
 * (output), BH_ERR_FORMAT (reply not a JSON object with boolean "ok"), or a
 * params error from bh_params_validate.
 */
int bh_plugin_run(const struct bh_plugin *p, const char *name, const json_t *params,
		  json_t **ret, struct bh_msg *msg) __attribute__((warn_unused_result));

/*
 * bh_plugin_run in two halves, for the agent's split handler (docs/root-agent.md): exec
 * runs the plugin with `input` (already validated params, JSON text) on stdin and fills
 * *res (always: release with bh_spawn_result_done) without parsing anything it printed;
 * outcome turns *res into the reply object or an error (timeout, output cap, signal,
 * reply not a JSON object with boolean "ok"), with the first stderr line appended.
 */
struct bh_spawn_result;
int bh_plugin_exec(const struct bh_plugin *p, const char *name, const char *input, size_t in_len,
		   struct bh_spawn_result *res, struct bh_msg *msg) __attribute__((warn_unused_result));
int bh_plugin_outcome(const struct bh_plugin *p, const char *name, const struct bh_spawn_result *res,
		      json_t **ret, struct bh_msg *msg) __attribute__((warn_unused_result));

/*
 * Everything derived from a request (JSON keys, names, error texts) goes to logs and
 * replies through bh_str_sanitize (core/strutil.h: printable ASCII, bounded, "..."
 * when cut) so a client cannot forge log lines; this is the size of a logged text.
 */
#define BH_AGENT_LOG_TEXT_MAX 400

/* Capability name ("net_admin") → number, or -1. */
int bh_plugin_cap_from_name(const char *name);

/* Read a whole file with the section-1 recipe (owner, no g/o write, size cap). */
int bh_plugin_read_file(int dirfd, const char *name, uid_t owner, size_t cap, uint8_t **ret,
			size_t *ret_len, struct bh_msg *msg) __attribute__((warn_unused_result));

#endif

/* SPDX-License-Identifier: MIT */
/*
 * JSON configuration files with a small table-driven schema.
 *
 * Decision: upstream BlockHost keeps its configuration in YAML (db.yaml,
 * blockhost.yaml, web3-defaults.yaml).  This C version uses JSON with the same
 * keys (db.json, blockhost.json, ...): one strict parser (jansson) that we
 * already need for every wire format, no YAML type coercion surprises
 * ("no" -> false, "0750" -> octal), and duplicate keys are an error instead of
 * "last one wins".  A migration tool converts upstream YAML once.
 *
 * Loading: the file is read through bh_file_read (core/file.h: O_NOFOLLOW,
 * regular file, not world-writable, size cap checked before reading), parsed by the
 * strict decoder (core/json.h: duplicate keys, NUL and trailing data refused), and must be
 * a JSON object.  Then a schema (array of struct bh_cfg_key) is
 * checked: missing required keys and wrong types fail with a bh_msg that names
 * the file and the dotted key, e.g.
 *   /etc/blockhost/db.json: key 'ip_pool.start': expected integer, got string
 * Keys not in the schema are allowed (upstream files carry many).
 */
#ifndef BH_CONFIG_H
#define BH_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "core/json.h"   /* bh_json_type_name */

/* Config files are small; anything bigger is a mistake or an attack. */
#define BH_CONFIG_MAX_SIZE (1024u * 1024u)
/* Longest string value the schema accepts unless the key sets max_len. */
#define BH_CONFIG_STRING_MAX 4096

/* Value types; a key may allow several (bitwise or), e.g. BH_CFG_INT | BH_CFG_STRING. */
enum bh_cfg_type {
	BH_CFG_STRING  = 1 << 0,
	BH_CFG_INT     = 1 << 1,
	BH_CFG_BOOL    = 1 << 2,
	BH_CFG_OBJECT  = 1 << 3,
	BH_CFG_ARRAY   = 1 << 4,
	BH_CFG_EVM_ADDRESS = 1 << 5, /* string ^0x[0-9a-fA-F]{40}$ */
	BH_CFG_IP      = 1 << 6,     /* string: IPv4 or IPv6 address (inet_pton) */
	BH_CFG_CIDR    = 1 << 7,     /* string: address/prefixlen, IPv4 or IPv6 */
	BH_CFG_PATH    = 1 << 8,     /* string: absolute path, no ".." component */
	BH_CFG_NULL_OK = 1 << 15,    /* modifier: JSON null is accepted (treated as absent) */
};

struct bh_cfg_key {
	/* dotted path, "ip_pool.start"; a required "a.b" is required only when "a" is present */
	const char *key;
	unsigned types;    /* enum bh_cfg_type bits */
	bool required;
	/* BH_CFG_INT: inclusive range, checked when min < max. */
	int64_t min, max;
	/* strings: maximum length in bytes (0 = BH_CONFIG_STRING_MAX). */
	size_t max_len;
};

/*
 * Parse a config document from memory (the fuzzing entry point).  `name` is used
 * in messages (the file name).  *ret is a new reference (caller json_decref) to
 * the root object.  Returns 0, BH_ERR_FORMAT (not JSON / not an object),
 * BH_ERR_DUPLICATE, BH_ERR_LIMIT (len > BH_CONFIG_MAX_SIZE), -ENOMEM.
 */
int bh_config_parse(const void *data, size_t len, const char *name, json_t **ret,
		    struct bh_msg *msg);

/* Read path (see above) and bh_config_parse it.  -ENOENT etc. pass through. */
int bh_config_load(const char *path, json_t **ret, struct bh_msg *msg);

/*
 * Check root against schema[0..n).  Returns 0, BH_ERR_MISSING_KEY,
 * BH_ERR_WRONG_TYPE, BH_ERR_RANGE or BH_ERR_FORMAT (bad address/path/CIDR text),
 * with msg naming name and the key.
 */
int bh_config_check(const json_t *root, const struct bh_cfg_key *schema, size_t n,
		    const char *name, struct bh_msg *msg);

/*
 * Look up a dotted path ("a.b.c") through nested objects.  Borrowed reference or
 * NULL (absent, or an intermediate is not an object).  JSON null counts as absent.
 */
json_t *bh_config_get(const json_t *root, const char *dotted);

/*
 * The JSON step shared by the config and vms.json parsers: bh_json_load (core/json.h:
 * duplicate keys, NUL, trailing data refused) with an object or array at the top (no
 * size check here).  On failure msg gets "<name>: line L column C: <jansson text>" (or
 * bh_json_load's other detail) and the result is BH_ERR_DUPLICATE, -ENOMEM or
 * BH_ERR_FORMAT (every other failure).  *ret: new reference.
 */
int bh_config_json_load(const void *data, size_t len, const char *name, json_t **ret,
			struct bh_msg *msg);


/* Validators shared with other modules (whole string must match). */
bool bh_is_evm_address(const char *s);                     /* ^0x[0-9a-fA-F]{40}$ */
/* VM names: bh_name_valid(s, BH_NAME_VM) (core/strutil.h) */

/* ------------------------------------------------------------------ db.json */

/*
 * The database/provisioner config (upstream db.yaml keys, upstream.md §3.2).
 * Paths in the file are absolute system paths; the loader resolves them under
 * the BLOCKHOST_ROOT prefix (bh_root_prefix()), like every other fixed path.
 * String members are heap-owned (NULL when absent); free with bh_db_config_done.
 */
struct bh_db_config {
	char *db_file;            /* resolved; default <root>/var/lib/blockhost/vms.json */
	char *bridge;
	char *storage_pool;
	char *storage_path;       /* resolved */
	char *terraform_dir;      /* resolved */
	int default_expiry_days;  /* default 30 */
	int gc_grace_days;        /* default 7 */

	bool has_ip_pool;
	struct {
		struct in_addr network; /* a.b.c.0; only /24 is supported */
		int start, end;         /* last octets, 1 <= start <= end <= 254 */
		bool has_gateway;
		struct in_addr gateway;
	} ip_pool;

	bool has_ipv6_pool;       /* true when ipv6_pool.prefix is set */
	struct {
		struct in6_addr prefix; /* network address (host bits cleared) */
		int prefix_len;         /* 0..126 */
		int start, end;         /* offsets added to prefix; default 2..254; +1/+2 skipped */
	} ipv6_pool;

	bool has_vmid_range;      /* vmid_range (alias vmid_pool) */
	struct {
		int64_t start, end;
	} vmid_range;
};

/* Defaults only (no file): db_file resolved via bh_path(BH_DIR_STATE, "vms.json"). */
int bh_db_config_default(struct bh_db_config *ret);

/* Convert a parsed document (checked against the db schema) into *ret. */
int bh_db_config_from_json(const json_t *root, const char *name, struct bh_db_config *ret,
			   struct bh_msg *msg);

/*
 * Load path (NULL: bh_path(BH_DIR_ETC, "db.json")).  *ret is filled only on
 * success.  Errors carry a message naming the file and key.
 */
int bh_db_config_load(const char *path, struct bh_db_config *ret, struct bh_msg *msg);

/* Free the strings of c and zero it; NULL-safe. */
void bh_db_config_done(struct bh_db_config *c);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Component manifests (upstream.md §2.1-2.3): presence is discovery.
 *
 *	provisioner  <share>/provisioner.json   required by the engine
 *	engine       <share>/engine.json
 *	broker       <share>/broker.json        optional
 *
 * <share> is bh_path(BH_DIR_SHARE) (/usr/share/blockhost, relocated by
 * BLOCKHOST_ROOT).  An absent file means "not installed" (BH_ERR_NOT_FOUND) and is
 * distinct from a file that is present but malformed (BH_ERR_FORMAT, _WRONG_TYPE,
 * _MISSING_KEY, _DUPLICATE, _UNSAFE_FILE, ...; msg names the offending key).
 *
 * Validation (keys not listed are ignored, for forward compatibility):
 *   name          required, [A-Za-z0-9._-]{1,64}, no leading '.' or '-'
 *   version       required for provisioner and engine, printable, <= 64 bytes
 *   display_name, description, accent_color (#rgb / #rrggbb)   optional strings
 *   commands      provisioner: required object {verb -> executable}; others: optional
 *   setup         optional object; first_boot_hook an absolute path, detect an
 *                 executable, *_steps arrays of strings, other values strings
 *   constraints   engine: optional object of strings; every "*_pattern" must be an
 *                 anchored (^...$) POSIX extended regex that compiles
 *   chains        broker: optional object {chain -> object}; wallet_pattern and
 *                 contract_validation anchored regexes
 * An executable is either a plain name looked up on PATH ([A-Za-z0-9._+-], not
 * starting with '-' or '.') or an absolute path of [A-Za-z0-9._+/-] without "."
 * or ".." components; relative paths with '/', spaces and shell metacharacters
 * are rejected — commands are run with bh_spawn_run, never a shell, but a name
 * that needs quoting is a sign of tampering.
 */
#ifndef BH_MANIFEST_H
#define BH_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "core/err.h"

#define BH_MANIFEST_MAX_SIZE (256u * 1024u)

enum bh_manifest_kind {
	BH_MANIFEST_PROVISIONER,
	BH_MANIFEST_ENGINE,
	BH_MANIFEST_BROKER,
	_BH_MANIFEST_KIND_MAX,
};

struct bh_manifest;

/* "provisioner.json", "engine.json", "broker.json"; NULL for an invalid kind. */
const char *bh_manifest_file(enum bh_manifest_kind kind);

/* Load the installed manifest of kind from bh_path(BH_DIR_SHARE, ...). */
int bh_manifest_load(enum bh_manifest_kind kind, struct bh_manifest **ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));
/* The same from an explicit path (-ENOENT → BH_ERR_NOT_FOUND). */
int bh_manifest_load_path(enum bh_manifest_kind kind, const char *path, struct bh_manifest **ret,
			  struct bh_msg *msg) __attribute__((warn_unused_result));
/* Parse and validate bytes (the fuzz entry point). */
int bh_manifest_parse(enum bh_manifest_kind kind, const void *data, size_t len,
		      struct bh_manifest **ret, struct bh_msg *msg)
	__attribute__((warn_unused_result));

/* Release; NULL-safe, returns NULL. */
struct bh_manifest *bh_manifest_free(struct bh_manifest *m);

enum bh_manifest_kind bh_manifest_kind(const struct bh_manifest *m);
/* Validated fields; the strings live as long as m.  Optional ones may be NULL. */
const char *bh_manifest_name(const struct bh_manifest *m);
const char *bh_manifest_version(const struct bh_manifest *m);
const char *bh_manifest_display_name(const struct bh_manifest *m);

/*
 * The executable for verb ("create", "destroy", ...): a plain name (search PATH,
 * bh_spawn_opts.search_path) or an absolute path.  Returns 0 or BH_ERR_NOT_FOUND.
 */
int bh_manifest_command(const struct bh_manifest *m, const char *verb, const char **ret_exe);
/* A string under "setup" (e.g. "first_boot_hook", "wizard_module"); 0 or BH_ERR_NOT_FOUND. */
int bh_manifest_setup_string(const struct bh_manifest *m, const char *key, const char **ret);
/* A string under "constraints" (engine: "address_pattern", "native_token"...). */
int bh_manifest_constraint(const struct bh_manifest *m, const char *key, const char **ret);
/*
 * Match value against the regex constraint key (e.g. "address_pattern").
 * Returns 0 on a match, BH_ERR_MISMATCH, BH_ERR_NOT_FOUND (no such constraint).
 */
int bh_manifest_match(const struct bh_manifest *m, const char *key, const char *value)
	__attribute__((warn_unused_result));
/* The whole validated document (borrowed) for fields without an accessor. */
const json_t *bh_manifest_json(const struct bh_manifest *m);

/* True if s is an acceptable executable value (see above). */
bool bh_manifest_exe_valid(const char *s);

#endif

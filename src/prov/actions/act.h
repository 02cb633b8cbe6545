/* SPDX-License-Identifier: MIT */
/*
 * Shared skeleton of the domain-* root-agent plugins (docs/PROTOCOL.plugin):
 * read the validated params from stdin, load libvirt.json, check that it runs as the
 * root agent's libvirt user (never uid 0; for qemu:///session the configured session
 * user, whose HOME/XDG_RUNTIME_DIR it takes), open a read-write libvirt
 * connection, run the action, print one JSON reply.  Every plugin re-checks its
 * params itself: the agent's schema is the first fence, not the only one.
 */
#ifndef BH_PROV_ACT_H
#define BH_PROV_ACT_H

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <jansson.h>

#include "../prov.h"

struct act_ctx {
	const char *action;
	struct prov_conf conf;
	json_t *params;
	json_t *reply;            /* "ok": true is added by act_main; add more fields here */
	virConnectPtr conn;
	struct bh_msg msg;        /* the error text when fn fails */
};

/* fn returns 0 or negative with ctx->msg set. */
int act_main(const char *action, int (*fn)(struct act_ctx *ctx));

/* params helpers: the string/int or NULL/-1 when absent */
const char *act_str(struct act_ctx *c, const char *key);
int64_t act_int(struct act_ctx *c, const char *key, int64_t dflt);
/* look the domain up by the "name" param (validated); NULL with msg set */
virDomainPtr act_domain(struct act_ctx *c);
/* the last libvirt error text */
const char *act_virt_error(void);
/* path must be (after realpath) inside dir; 0 or BH_ERR_DENIED with msg */
int act_path_under(struct act_ctx *c, const char *what, const char *path, const char *dir);

/*
 * The files of VM `name` before libvirt opens them: <storage_path>/<name>.qcow2 (no
 * symlink, a regular file whose qcow2 header passes prov_qcow2_check against the
 * configured template) and, if present, <storage_path>/<name>-seed.iso (no symlink,
 * regular); the template itself must not be writable by group/others and be owned by
 * root or the session user.  *ret_disk / *ret_seed (may be NULL): the paths (heap).
 */
int act_check_storage(struct act_ctx *c, const char *name, char **ret_disk, char **ret_seed);

/*
 * Run path with args in the guest through the QEMU guest agent (guest-exec with
 * captured output), polling guest-exec-status every 300 ms for up to timeout_s.
 * Output beyond cap bytes per stream is an error.  *ret filled on success.
 */
int act_guest_exec(struct act_ctx *c, virDomainPtr d, const char *path,
		   const char *const *args, int timeout_s, size_t cap, struct prov_ga_status *ret);

#endif

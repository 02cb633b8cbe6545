/* SPDX-License-Identifier: MIT */
/*
 * What the blockhost-vm-* verbs (cmd-*.c) share: the verb's context (configs, the VM
 * database, the read-only libvirt connection), messages, the root-agent call and the
 * VM operations more than one verb runs (destroy, start, stop).  Program code: these
 * print to stderr (say), unlike the library in prov.h.  Not for the action plugins.
 */
#ifndef BH_PROV_CLI_H
#define BH_PROV_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <libvirt/libvirt.h>
#include <jansson.h>

#include "core/err.h"
#include "core/path.h"
#include "host/config.h"
#include "host/vmdb.h"
#include "prov.h"

#define AGENT_TIMEOUT_MS 300000

/* "vm-<verb>", the prefix of every message (set by main before the verb runs). */
extern const char *verb_name;

/* "[vm-<verb>] <text>\n" on stderr. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *virt_err(void);

/* Unix seconds; BLOCKHOST_NOW=<unix seconds> fixes it (tests). */
int64_t clock_now(void);
int64_t now_ms(void);
bool parse_int(const char *s, long long lo, long long hi, long long *ret);

struct ctx {
	struct prov_conf conf;
	struct bh_db_config dbc;
	struct bh_vmdb *db;
	virConnectPtr ro;
	bool have_conf, have_dbc;
};

/* libvirt.json, and with need_db db.json + vms.json; failures are reported (say). */
int ctx_init(struct ctx *c, bool need_db);
void ctx_done(struct ctx *c);
/* The read-only libvirt connection (lazily opened; NULL reported). */
virConnectPtr ro_conn(struct ctx *c);
/* 0 + *state, BH_ERR_NOT_FOUND (no such domain), BH_ERR_PEER (libvirt unreachable). */
int dom_state(struct ctx *c, const char *name, int *state);

/* A root-agent action with "name" added to extra (consumed; NULL = {}); errors reported. */
int agent(struct ctx *c, const char *action, const char *name, json_t *extra,
	  json_t **ret_reply);
/* The same with the error in msg instead of on stderr (create's JSON error carries it). */
int agent_call(struct ctx *c, const char *action, const char *name, json_t *extra,
	       json_t **ret_reply, struct bh_msg *msg);
/* An agent action that does not take "name" (the networking plugins); params consumed. */
int agent_raw(struct ctx *c, const char *action, json_t *params);
/* Bridge port isolation (+ the IPv6 /128 route when ipv6 is given); no-op without a bridge. */
int net_attach(struct ctx *c, const char *name, const char *ipv6);
void net_detach(struct ctx *c, const char *ipv6);

int file_path(const char *dir, const char *name, const char *suffix, char **ret);
/* rm -r of a seed directory we created: only regular files one level deep. */
int remove_seed_dir(const char *dir);
/* Run a tool (argv, PATH search, 300 s); a failure is reported with its stderr. */
int run_tool(const char *const *argv, const char *what);
/* A small text file under dir (NULL if absent, unreadable or holding a NUL). */
char *read_text(enum bh_dir dir, const char *name);
/*
 * argv = { verb, NAME }: 0 and *name; else the verb's exit code after the message:
 * BH_EXIT_USAGE (no name: the usage; more than one word) or BH_EXIT_ERROR (a name that is
 * not ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$).
 */
struct prov_cmd;
int one_name(const struct prov_cmd *cmd, int argc, char **argv, const char **name);

/* The operations more than one verb runs (destroy + gc, start + resume, stop + gc). */
int destroy_vm(struct ctx *c, const char *name);
int start_vm(struct ctx *c, const char *name);
int stop_vm(struct ctx *c, const char *name, int timeout_s, bool force);

#endif

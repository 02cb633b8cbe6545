/* SPDX-License-Identifier: MIT */
/*
 * Who may call what: principals and the root agent's [callers] section
 * (policy/README.md "Callers").  A principal is one of
 *
 *	user:NAME   uid:N   group:NAME   gid:N
 *
 * and a [callers] line names an action and the principals that may call it:
 *
 *	[callers]
 *	iptables-open = user:root, group:blockhost
 *
 * A peer matches a uid principal by its uid (SO_PEERCRED) and a gid principal by its
 * egid or any of its supplementary groups (SO_PEERGROUPS), both as the kernel recorded
 * them at connect(), never from the account database.  An action without a line may be
 * called by nobody.  Names are resolved through NSS when parsed (before a sandbox).
 * Nothing here logs.
 */
#ifndef BH_SANDBOX_CALLERS_H
#define BH_SANDBOX_CALLERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"
#include "sandbox/ini.h"

#define BH_PRINCIPAL_TEXT_MAX 48   /* "group:" + a 32-byte name, with room */
#define BH_CALLERS_PER_ACTION 16
#define BH_CALLERS_MAX_ACTIONS 128

enum bh_principal_kind { BH_PRINCIPAL_UID, BH_PRINCIPAL_GID };

struct bh_principal {
	enum bh_principal_kind kind;
	uint32_t id;
	char text[BH_PRINCIPAL_TEXT_MAX + 1]; /* as written, for messages and tables */
};

/* The credentials of a connected peer (usock.h bh_usock_peer + bh_usock_peer_groups). */
struct bh_caller {
	uid_t uid;
	gid_t gid;
	size_t n_groups;
	const gid_t *groups;
};

/*
 * Parse one principal from s[0..n).  resolve: look names up (NSS); otherwise a
 * user:/group: principal gets id UINT32_MAX and matches nobody (blockhost-policy-check,
 * which only reports).  Errors: BH_ERR_CONFIG with msg (which names the principal).
 */
int bh_principal_parse(const char *s, size_t n, bool resolve, struct bh_principal *ret,
		       struct bh_msg *msg);
bool bh_principal_match(const struct bh_principal *p, const struct bh_caller *c);

struct bh_callers_rule {
	char action[64 + 1];
	unsigned line;
	size_t n;
	struct bh_principal who[BH_CALLERS_PER_ACTION];
};

struct bh_callers {
	char file[256];
	size_t n;
	struct bh_callers_rule rules[BH_CALLERS_MAX_ACTIONS];
};

/*
 * Parse the [callers] section sec of ini (NULL section: no rules, nobody may call
 * anything).  Keys are action names (bh_name_valid BH_NAME_ACTION), each once; values
 * comma lists of principals.  *ret is allocated (free()) on success.
 */
int bh_callers_parse(const struct bh_ini *ini, const struct bh_ini_section *sec, bool resolve,
		     struct bh_callers **ret, struct bh_msg *msg);
/* The rule for action, or NULL. */
const struct bh_callers_rule *bh_callers_find(const struct bh_callers *cs, const char *action);
/* Whether c may call action; msg (may be NULL) names the rule that refused. */
bool bh_callers_allowed(const struct bh_callers *cs, const char *action,
			const struct bh_caller *c, struct bh_msg *msg);
/* Whether c matches at least one principal of any rule (may call something). */
bool bh_callers_any(const struct bh_callers *cs, const struct bh_caller *c);
/* "user:root, group:blockhost" into buf (truncated); "" for NULL. */
const char *bh_callers_format(const struct bh_callers_rule *r, char *buf, size_t len);

#endif

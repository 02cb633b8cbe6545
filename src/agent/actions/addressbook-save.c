/* SPDX-License-Identifier: MIT */
/*
 * addressbook-save (upstream system.py, §3.6): replace /etc/blockhost/addressbook.json.
 *
 *   params: entries { "<role>": {"address": "0x..." | bech32, "keyfile"?: "/etc/blockhost/<x>"} }
 *   role    ^[a-z0-9-]{1,32}$ (at most 64 roles)
 *   address ^0x[0-9a-fA-F]{40,128}$ or bech32 ^[a-z][a-z0-9_]{0,9}1[02-9ac-hj-np-z]{39,98}$
 *   keyfile under /etc/blockhost/, one plain file name (no "/", no "..")
 * Unknown members are refused.  Written atomically (temp + fsync + rename),
 * mode 0640, group blockhost when that group exists.
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/atomicio.h"
#include "core/err.h"
#include "core/path.h"
#include "common.h"

int main(void)
{
	json_t *p = act_params();
	json_t *entries = json_object_get(p, "entries"), *v, *out;
	const char *role;
	char *path = NULL;
	int r;

	if (!json_is_object(entries))
		act_fail("param 'entries': must be an object");
	if (json_object_size(entries) > 64)
		act_fail("param 'entries': more than 64 roles");
	if (!(out = json_object()))
		act_fail("out of memory");
	json_object_foreach(entries, role, v) {
		const char *k;
		json_t *f;
		if (!act_match("^[a-z0-9-]{1,32}$", role))
			act_fail("param 'entries': role name \"%.40s\" must match ^[a-z0-9-]{1,32}$", role);
		if (!json_is_object(v))
			act_fail("param 'entries': %s must be an object", role);
		json_object_foreach(v, k, f) {
			if (strcmp(k, "address") && strcmp(k, "keyfile"))
				act_fail("param 'entries': %s: unknown member \"%.40s\"", role, k);
		}
		const char *addr = json_string_value(json_object_get(v, "address"));
		if (!addr || !(act_match("^0x[0-9a-fA-F]{40,128}$", addr) ||
			       act_match("^[a-z][a-z0-9_]{0,9}1[02-9ac-hj-np-z]{39,98}$", addr)))
			act_fail("param 'entries': %s: address is not a valid address", role);
		json_t *e = json_pack("{s:s}", "address", addr);
		json_t *kf = json_object_get(v, "keyfile");
		if (kf) {
			const char *s = json_string_value(kf);
			if (!s || !act_match("^/etc/blockhost/[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$", s) ||
			    strstr(s, ".."))
				act_fail("param 'entries': %s: keyfile must be a file directly under "
					 "/etc/blockhost/", role);
			json_object_set_new(e, "keyfile", json_string(s));
		}
		if (!e || json_object_set_new(out, role, e) < 0)
			act_fail("out of memory");
	}
	if ((r = bh_path(BH_DIR_ETC, "addressbook.json", &path)) < 0)
		act_fail("path: %s", bh_strerror(r));
	if ((r = bh_atomic_write_json(path, out, 0640)) < 0)
		act_fail("writing %s: %s", path, bh_strerror(r));
	struct group *g = getgrnam("blockhost");
	bool grouped = false;
	if (g) {
		if (chown(path, 0, g->gr_gid) < 0)
			act_fail("chown %s: %s", path, bh_strerror(bh_negerrno()));
		grouped = true;
	}
	json_t *res = json_pack("{s:i, s:b}", "entries", (int)json_object_size(out), "group_blockhost",
				grouped);
	json_decref(out);
	json_decref(p);
	free(path);
	act_ok(res);
}

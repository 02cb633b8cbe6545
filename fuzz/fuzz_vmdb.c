/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the vms.json parser/validator and the ISO-8601 timestamp codec.
 * Invariants: a document we accept still validates after our own serialisation, and
 * parse(format(t)) == t for every timestamp we accept.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "host/vmdb.h"

static void check_time(const char *s)
{
	int64_t t, t2;
	char buf[40];

	if (bh_time_parse_iso(s, &t) < 0)
		return;
	if (bh_time_format_iso(t, buf, sizeof(buf)) == 0 &&
	    (bh_time_parse_iso(buf, &t2) != 0 || t2 != t))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_msg m;
	json_t *root = NULL, *again = NULL, *rec;
	const char *k;

	/* the raw bytes as a timestamp */
	if (size < 64) {
		char s[64];
		memcpy(s, data, size);
		s[size] = '\0';
		check_time(s);
	}
	if (bh_vmdb_parse(data, size, "fuzz.json", &root, &m) < 0)
		return 0;
	json_object_foreach(json_object_get(root, "vms"), k, rec) {
		int64_t t;
		(void)bh_vm_owner(rec);
		if (bh_vm_time(rec, "expires_at", &t) != 0)
			abort(); /* validated: must be readable */
		(void)bh_vm_time(rec, "suspended_at", &t);
		check_time(json_string_value(json_object_get(rec, "expires_at")));
	}
	char *s = json_dumps(root, JSON_INDENT(2));
	if (s) {
		if (bh_vmdb_parse(s, strlen(s), "again.json", &again, &m) != 0)
			abort();
		json_decref(again);
		free(s);
	}
	json_decref(root);
	return 0;
}

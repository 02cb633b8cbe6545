/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "core/atomicio.h"
#include "core/buf.h"
#include "host/config.h"
#include "core/err.h"
#include "core/file.h"
#include "core/strutil.h"
#include "host/vmdb.h"
#include "host/vmdb-int.h"

/* ------------------------------------------------------------------ validation */

bool bh_vmdb__str_is_ip(const char *s, int af)
{
	uint8_t a[16];
	return s && inet_pton(af, s, a) == 1;
}

bool bh_vmdb__is_network_mode(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 32)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n;
}

bool bh_vmdb__is_field_key(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}


int bh_vmdb__validate_record(const char *file, const char *name, const json_t *rec,
			   struct bh_msg *msg)
{
	static const char *const times[] = { "created_at", "suspended_at", "destroyed_at",
					     "nft_minted_at" };
	static const char *const bools[] = { "nft_minted", "gecos_synced",
					     "network_config_synced" };
	static const char *const strs[] = { "wallet_address", "owner", "purpose", "username" };
	const json_t *v;
	int64_t t;

	if (!json_is_object(rec))
		FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s: expected object, got %s", file, name,
		     bh_json_type_name(rec));
	if ((v = json_object_get(rec, "vm_name")) &&
	    (!json_is_string(v) || strcmp(json_string_value(v), name) != 0))
		FAIL(BH_ERR_MISMATCH, "%s: vms.%s.vm_name: does not match the record's key", file,
		     name);
	v = json_object_get(rec, "status");
	if (!v)
		FAIL(BH_ERR_MISSING_KEY, "%s: vms.%s.status: required key missing", file, name);
	const char *st = json_string_value(v);
	if (!st || (strcmp(st, "active") && strcmp(st, "suspended") && strcmp(st, "destroyed")))
		FAIL(BH_ERR_FORMAT, "%s: vms.%s.status: expected active, suspended or destroyed",
		     file, name);
	v = json_object_get(rec, "expires_at");
	if (!v)
		FAIL(BH_ERR_MISSING_KEY, "%s: vms.%s.expires_at: required key missing", file,
		     name);
	if (!json_is_string(v) || bh_time_parse_iso(json_string_value(v), &t) < 0)
		FAIL(BH_ERR_FORMAT, "%s: vms.%s.expires_at: expected ISO 8601 timestamp", file,
		     name);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		v = json_object_get(rec, times[i]);
		if (v && !json_is_null(v) &&
		    (!json_is_string(v) || bh_time_parse_iso(json_string_value(v), &t) < 0))
			FAIL(BH_ERR_FORMAT, "%s: vms.%s.%s: expected ISO 8601 timestamp or null",
			     file, name, times[i]);
	}
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		v = json_object_get(rec, bools[i]);
		if (v && !json_is_boolean(v))
			FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s.%s: expected boolean, got %s", file,
			     name, bools[i], bh_json_type_name(v));
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		v = json_object_get(rec, strs[i]);
		if (v && !json_is_null(v) && !json_is_string(v))
			FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s.%s: expected string, got %s", file,
			     name, strs[i], bh_json_type_name(v));
	}
	v = json_object_get(rec, "ip_address");
	if (v && !json_is_null(v) &&
	    (!json_is_string(v) ||
	     (json_string_length(v) && !bh_vmdb__str_is_ip(json_string_value(v), AF_INET))))
		FAIL(BH_ERR_FORMAT, "%s: vms.%s.ip_address: expected IPv4 address or null", file,
		     name);
	v = json_object_get(rec, "ipv6_address");
	if (v && !json_is_null(v) &&
	    (!json_is_string(v) ||
	     (json_string_length(v) && !bh_vmdb__str_is_ip(json_string_value(v), AF_INET6))))
		FAIL(BH_ERR_FORMAT, "%s: vms.%s.ipv6_address: expected IPv6 address or null", file,
		     name);
	v = json_object_get(rec, "vmid");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
		FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s.vmid: expected integer >= 0", file, name);
	v = json_object_get(rec, "nft_token_id");
	if (v && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 0))
		FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s.nft_token_id: expected integer >= 0 or null",
		     file, name);
	v = json_object_get(rec, "owner_wallet");
	if (v && !json_is_null(v) &&
	    (!json_is_string(v) ||
	     (json_string_length(v) && !bh_is_evm_address(json_string_value(v)))))
		FAIL(BH_ERR_FORMAT, "%s: vms.%s.owner_wallet: expected 0x + 40 hex digits", file,
		     name);
	v = json_object_get(rec, "network_mode");
	if (v && !json_is_null(v) && !json_is_string(v))
		FAIL(BH_ERR_WRONG_TYPE, "%s: vms.%s.network_mode: expected string, got %s", file,
		     name, bh_json_type_name(v));
	return 0;
}

static int validate_ip_list(const char *file, const json_t *root, const char *key, int af,
			    struct bh_msg *msg)
{
	const json_t *a = json_object_get(root, key), *v;
	size_t i;

	if (!a)
		return 0;
	if (!json_is_array(a))
		FAIL(BH_ERR_WRONG_TYPE, "%s: %s: expected array, got %s", file, key,
		     bh_json_type_name(a));
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || !bh_vmdb__str_is_ip(json_string_value(v), af))
			FAIL(BH_ERR_FORMAT, "%s: %s[%zu]: expected %s address", file, key, i,
			     af == AF_INET ? "IPv4" : "IPv6");
	}
	return 0;
}

int bh_vmdb_validate(const json_t *root, const char *name, struct bh_msg *msg)
{
	const json_t *vms, *v, *rec;
	const char *k;
	int r;

	if (!name)
		name = "vms.json";
	if (!json_is_object(root))
		FAIL(BH_ERR_FORMAT, "%s: top level must be an object, got %s", name,
		     bh_json_type_name(root));
	vms = json_object_get(root, "vms");
	if (vms && !json_is_object(vms))
		FAIL(BH_ERR_WRONG_TYPE, "%s: vms: expected object, got %s", name,
		     bh_json_type_name(vms));
	v = json_object_get(root, "next_vmid");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 0))
		FAIL(BH_ERR_WRONG_TYPE, "%s: next_vmid: expected integer >= 0", name);
	if ((r = validate_ip_list(name, root, "allocated_ips", AF_INET, msg)) < 0 ||
	    (r = validate_ip_list(name, root, "allocated_ipv6", AF_INET6, msg)) < 0)
		return r;
	json_object_foreach((json_t *)(uintptr_t)vms, k, rec) {
		if (strlen(k) != strnlen(k, 65) || !bh_name_valid(k, BH_NAME_VM))
			FAIL(BH_ERR_FORMAT, "%s: vms: a record key is not a valid VM name", name);
		if ((r = bh_vmdb__validate_record(name, k, rec, msg)) < 0)
			return r;
	}
	return 0;
}

int bh_vmdb_parse(const void *data, size_t len, const char *name, json_t **ret,
		  struct bh_msg *msg)
{
	json_t *root;
	int r;

	if (!name)
		name = "vms.json";
	if (len > BH_VMDB_MAX_SIZE)
		FAIL(BH_ERR_LIMIT, "%s: larger than %u bytes", name, BH_VMDB_MAX_SIZE);
	if ((r = bh_config_json_load(data, len, name, &root, msg)) < 0)
		return r;
	if ((r = bh_vmdb_validate(root, name, msg)) < 0) {
		json_decref(root);
		return r;
	}
	*ret = root;
	return 0;
}

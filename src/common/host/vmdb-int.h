/* SPDX-License-Identifier: MIT */
/*
 * Private to src/common/host/vmdb*.c: the handle, the shared error macro and the helpers
 * the four files share (time and record helpers, validation, address bookkeeping).
 * vmdb.c: the handle, the locked read-modify-write runner and the operations;
 * vmdb-time.c: ISO times and record field helpers; vmdb-validate.c: what a valid vms.json
 * is; vmdb-ip.c: the address pools (allocation, release, duplicate checks).
 */
#ifndef BH_VMDB_INT_H
#define BH_VMDB_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "host/config.h"
#include "host/vmdb.h"

#define DAY 86400

struct bh_vmdb {
	char *path;
	char *lock_path;
	struct bh_db_config cfg; /* plain members only; string members are NULL */
	int64_t now;
};

#define FAIL(code, ...)                                                                   \
	do {                                                                              \
		bh_msg_set(msg, __VA_ARGS__);                                             \
		return (code);                                                            \
	} while (0)

int bh_vmdb__set_time(json_t *rec, const char *key, int64_t t);
int bh_vmdb__set_new(json_t *obj, const char *key, json_t *v);
bool bh_vmdb__str_is_ip(const char *s, int af);
bool bh_vmdb__is_network_mode(const char *s);
bool bh_vmdb__is_field_key(const char *s);
int bh_vmdb__validate_record(const char *file, const char *name, const json_t *rec,
			   struct bh_msg *msg);
int bh_vmdb__normalize_ip(const char *in, int af, char *out, size_t outlen);
const char *bh_vmdb__field_for(int af);
const char *bh_vmdb__ip_user(json_t *root, const char *ip, int af, const char *except);
int bh_vmdb__list_add(json_t *root, const char *ip, int af);
int bh_vmdb__list_remove(json_t *root, const char *ip, int af);
void bh_vmdb__release_record_ips(json_t *root, const char *name, json_t *rec);
int bh_vmdb__pick_ip(struct bh_vmdb *db, json_t *root, int af, char *out, size_t outlen,
		   struct bh_msg *msg);
bool bh_vmdb__is_live(const json_t *rec);

#endif

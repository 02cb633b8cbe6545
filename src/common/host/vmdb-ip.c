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

static bool addr_eq(const char *a, const char *b, int af)
{
	uint8_t x[16], y[16];

	if (!a || !b || inet_pton(af, a, x) != 1 || inet_pton(af, b, y) != 1)
		return false;
	return memcmp(x, y, af == AF_INET ? 4 : 16) == 0;
}

int bh_vmdb__normalize_ip(const char *in, int af, char *out, size_t outlen)
{
	uint8_t a[16];

	if (inet_pton(af, in, a) != 1 || !inet_ntop(af, a, out, (socklen_t)outlen))
		return BH_ERR_FORMAT;
	return 0;
}

const char *bh_vmdb__field_for(int af)
{
	return af == AF_INET ? "ip_address" : "ipv6_address";
}

static const char *list_for(int af)
{
	return af == AF_INET ? "allocated_ips" : "allocated_ipv6";
}

/* The live VM (other than `except`) using ip, or NULL. */
const char *bh_vmdb__ip_user(json_t *root, const char *ip, int af, const char *except)
{
	const char *k;
	json_t *rec;

	json_object_foreach(json_object_get(root, "vms"), k, rec) {
		if (except && strcmp(k, except) == 0)
			continue;
		if (bh_vmdb__is_live(rec) &&
		    addr_eq(json_string_value(json_object_get(rec, bh_vmdb__field_for(af))), ip, af))
			return k;
	}
	return NULL;
}

static bool in_list(json_t *root, const char *ip, int af)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(root, list_for(af)), i, v) {
		if (addr_eq(json_string_value(v), ip, af))
			return true;
	}
	return false;
}

int bh_vmdb__list_add(json_t *root, const char *ip, int af)
{
	if (in_list(root, ip, af))
		return 0;
	return json_array_append_new(json_object_get(root, list_for(af)), json_string(ip)) < 0
		       ? -ENOMEM
		       : 0;
}

/* Remove every entry equal to ip; returns the number removed. */
int bh_vmdb__list_remove(json_t *root, const char *ip, int af)
{
	json_t *a = json_object_get(root, list_for(af));
	int n = 0;

	for (size_t i = 0; i < json_array_size(a);) {
		if (addr_eq(json_string_value(json_array_get(a, i)), ip, af)) {
			json_array_remove(a, i);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

void bh_vmdb__release_record_ips(json_t *root, const char *name, json_t *rec)
{
	for (int k = 0; k < 2; k++) {
		int af = k ? AF_INET6 : AF_INET;
		const char *ip = json_string_value(json_object_get(rec, bh_vmdb__field_for(af)));
		/* keep it reserved if (against the rules) another live VM shares it */
		if (ip && *ip && !bh_vmdb__ip_user(root, ip, af, name))
			bh_vmdb__list_remove(root, ip, af);
	}
}

/* First free pool address into out (normalized text). */
int bh_vmdb__pick_ip(struct bh_vmdb *db, json_t *root, int af, char *out, size_t outlen,
		   struct bh_msg *msg)
{
	const char *k;
	json_t *rec, *v;
	size_t i;
	int r = BH_ERR_EXHAUSTED;

	if (af == AF_INET) {
		bool used[256] = { false };
		uint32_t net = ntohl(db->cfg.ip_pool.network.s_addr);
		struct in_addr a;

		if (!db->cfg.has_ip_pool)
			FAIL(BH_ERR_CONFIG, "no ip_pool configured in the db config");
		used[0] = used[255] = true;
		if (db->cfg.ip_pool.has_gateway &&
		    (ntohl(db->cfg.ip_pool.gateway.s_addr) & 0xffffff00u) == net)
			used[ntohl(db->cfg.ip_pool.gateway.s_addr) & 0xff] = true;
		json_array_foreach(json_object_get(root, "allocated_ips"), i, v) {
			if (inet_pton(AF_INET, json_string_value(v), &a) == 1 &&
			    (ntohl(a.s_addr) & 0xffffff00u) == net)
				used[ntohl(a.s_addr) & 0xff] = true;
		}
		json_object_foreach(json_object_get(root, "vms"), k, rec) {
			const char *ip = json_string_value(json_object_get(rec, "ip_address"));
			if (bh_vmdb__is_live(rec) && ip && inet_pton(AF_INET, ip, &a) == 1 &&
			    (ntohl(a.s_addr) & 0xffffff00u) == net)
				used[ntohl(a.s_addr) & 0xff] = true;
		}
		for (int o = db->cfg.ip_pool.start; o <= db->cfg.ip_pool.end; o++) {
			if (used[o])
				continue;
			a.s_addr = htonl(net | (uint32_t)o);
			if (!inet_ntop(AF_INET, &a, out, (socklen_t)outlen))
				return -ENOBUFS;
			return 0;
		}
		FAIL(BH_ERR_EXHAUSTED, "ip_pool exhausted: no free address in .%d-.%d",
		     db->cfg.ip_pool.start, db->cfg.ip_pool.end);
	}

	if (!db->cfg.has_ipv6_pool)
		FAIL(BH_ERR_CONFIG, "no ipv6_pool.prefix configured in the db config");
	int start = db->cfg.ipv6_pool.start, end = db->cfg.ipv6_pool.end;
	uint8_t *used = calloc((size_t)end + 1, 1);
	const uint8_t *pre = db->cfg.ipv6_pool.prefix.s6_addr;
	if (!used)
		return -ENOMEM;
	used[0] = 1;
	if (end >= 1)
		used[1] = 1; /* host bridge gateway */
	if (end >= 2)
		used[2] = 1; /* host dummy0 */
	/* mark offsets of every reserved address that lies in prefix+[0, end] */
	for (int pass = 0; pass < 2; pass++) {
		json_t *src = pass ? json_object_get(root, "vms")
				   : json_object_get(root, "allocated_ipv6");
		size_t n = pass ? json_object_size(src) : json_array_size(src);
		void *it = pass ? json_object_iter(src) : NULL;
		for (i = 0; i < n; i++) {
			const char *ip;
			struct in6_addr a;
			if (pass) {
				rec = json_object_iter_value(it);
				it = json_object_iter_next(src, it);
				if (!bh_vmdb__is_live(rec))
					continue;
				ip = json_string_value(json_object_get(rec, "ipv6_address"));
			} else {
				ip = json_string_value(json_array_get(src, i));
			}
			if (!ip || inet_pton(AF_INET6, ip, &a) != 1 ||
			    memcmp(a.s6_addr, pre, 14) != 0)
				continue;
			int off = ((a.s6_addr[14] << 8) | a.s6_addr[15]) - ((pre[14] << 8) | pre[15]);
			if (off >= 0 && off <= end)
				used[off] = 1;
		}
	}
	for (int o = start; o <= end; o++) {
		if (used[o])
			continue;
		struct in6_addr a;
		memcpy(&a, pre, 16);
		int low = ((pre[14] << 8) | pre[15]) + o; /* no carry: checked at config load */
		a.s6_addr[14] = (uint8_t)(low >> 8);
		a.s6_addr[15] = (uint8_t)low;
		r = inet_ntop(AF_INET6, &a, out, (socklen_t)outlen) ? 0 : -ENOBUFS;
		free(used);
		return r;
	}
	free(used);
	FAIL(BH_ERR_EXHAUSTED, "ipv6_pool exhausted: no free address in +%d..+%d", start, end);
}

/* Copy records matching pred into a new array sorted by name. */

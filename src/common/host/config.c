/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/atomicio.h"
#include "core/buf.h"
#include "host/config.h"
#include "core/err.h"
#include "core/file.h"
#include "core/path.h"

#define KEY_PATH_MAX 256

bool bh_is_evm_address(const char *s)
{
	if (!s || s[0] != '0' || s[1] != 'x')
		return false;
	for (int i = 2; i < 42; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return s[42] == '\0';
}

int bh_config_json_load(const void *data, size_t len, const char *name, json_t **ret,
			struct bh_msg *msg)
{
	struct bh_msg jm = { "" };
	/* object or array at the top, as jansson without JSON_DECODE_ANY allowed; callers
	 * cap the size and check the root's type */
	int r = bh_json_load(data, len, BH_BUF_SIZE_MAX, BH_JSON_OBJECT | BH_JSON_ARRAY, ret, &jm);

	if (r < 0) {
		bh_msg_set(msg, "%s: %s", name, jm.text);
		/* the documented codes: every other failure is a format error */
		return r == BH_ERR_DUPLICATE || r == -ENOMEM ? r : BH_ERR_FORMAT;
	}
	return 0;
}

int bh_config_parse(const void *data, size_t len, const char *name, json_t **ret,
		    struct bh_msg *msg)
{
	json_t *root;
	int r;

	if (len > BH_CONFIG_MAX_SIZE) {
		bh_msg_set(msg, "%s: file larger than %u bytes", name, BH_CONFIG_MAX_SIZE);
		return BH_ERR_LIMIT;
	}
	if ((r = bh_config_json_load(data, len, name, &root, msg)) < 0)
		return r;
	if (!json_is_object(root)) {
		bh_msg_set(msg, "%s: top level must be an object, got %s", name,
			   bh_json_type_name(root));
		json_decref(root);
		return BH_ERR_FORMAT;
	}
	*ret = root;
	return 0;
}

/* A config file: regular, not world-writable (it could have been planted), core/file.h. */
static const struct bh_file_rules config_file_rules = { .type = S_IFREG, .forbid_mode = S_IWOTH };

int bh_config_load(const char *path, json_t **ret, struct bh_msg *msg)
{
	struct bh_buf b;
	int r;

	bh_buf_init(&b, BH_CONFIG_MAX_SIZE);
	if ((r = bh_file_read(AT_FDCWD, path, &config_file_rules, BH_CONFIG_MAX_SIZE, &b,
			      msg)) < 0)
		goto out;
	r = bh_config_parse(bh_buf_ptr(&b), bh_buf_len(&b), path, ret, msg);
out:
	bh_buf_done(&b);
	return r;
}

json_t *bh_config_get(const json_t *root, const char *dotted)
{
	const json_t *cur = root;
	const char *p = dotted;
	char part[KEY_PATH_MAX];

	if (!root || !dotted)
		return NULL;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(part) || !json_is_object(cur))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		cur = json_object_get(cur, part);
		if (!cur || json_is_null(cur))
			return NULL;
		if (!dot)
			return (json_t *)(uintptr_t)cur;
		p = dot + 1;
	}
}

static void types_text(unsigned t, char *out, size_t outlen)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ BH_CFG_STRING, "string" },        { BH_CFG_INT, "integer" },
		{ BH_CFG_BOOL, "boolean" },         { BH_CFG_OBJECT, "object" },
		{ BH_CFG_ARRAY, "array" },          { BH_CFG_EVM_ADDRESS, "EVM address (0x + 40 hex)" },
		{ BH_CFG_IP, "IP address" },        { BH_CFG_CIDR, "network (address/prefix)" },
		{ BH_CFG_PATH, "absolute path" },
	};
	size_t used = 0;
	int k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(t & names[i].bit))
			continue;
		int n = snprintf(out + used, outlen - used, "%s%s", k++ ? " or " : "", names[i].name);
		if (n < 0 || (size_t)n >= outlen - used)
			return;
		used += (size_t)n;
	}
}

static bool is_ip(const char *s)
{
	uint8_t a[16];
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static bool is_cidr(const char *s)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	uint8_t a[16];
	char *end;

	if (!slash || (size_t)(slash - s) >= sizeof(tmp) || !slash[1])
		return false;
	memcpy(tmp, s, (size_t)(slash - s));
	tmp[slash - s] = '\0';
	if (slash[1] < '0' || slash[1] > '9')
		return false;
	errno = 0;
	long len = strtol(slash + 1, &end, 10);
	if (errno || *end)
		return false;
	if (inet_pton(AF_INET, tmp, a) == 1)
		return len >= 0 && len <= 32;
	if (inet_pton(AF_INET6, tmp, a) == 1)
		return len >= 0 && len <= 128;
	return false;
}

static bool is_abs_path(const char *s)
{
	if (s[0] != '/')
		return false;
	for (const char *p = s; *p;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

/* Check one value against allowed types; 0 or an error with msg. */
static int check_value(const json_t *v, const struct bh_cfg_key *k, const char *name,
		       struct bh_msg *msg)
{
	unsigned t = k->types;
	char want[160];
	const unsigned strtypes = BH_CFG_STRING | BH_CFG_EVM_ADDRESS | BH_CFG_IP | BH_CFG_CIDR |
				  BH_CFG_PATH;

	types_text(t, want, sizeof(want));
	if (json_is_integer(v) && (t & BH_CFG_INT)) {
		json_int_t i = json_integer_value(v);
		if (k->min < k->max && (i < k->min || i > k->max)) {
			bh_msg_set(msg, "%s: key '%s': %lld is out of range %lld..%lld", name,
				   k->key, (long long)i, (long long)k->min, (long long)k->max);
			return BH_ERR_RANGE;
		}
		return 0;
	}
	if (json_is_boolean(v) && (t & BH_CFG_BOOL))
		return 0;
	if (json_is_object(v) && (t & BH_CFG_OBJECT))
		return 0;
	if (json_is_array(v) && (t & BH_CFG_ARRAY))
		return 0;
	if (json_is_string(v) && (t & strtypes)) {
		const char *s = json_string_value(v);
		size_t max = k->max_len ? k->max_len : BH_CONFIG_STRING_MAX;
		if (json_string_length(v) > max) {
			bh_msg_set(msg, "%s: key '%s': string longer than %zu bytes", name, k->key,
				   max);
			return BH_ERR_LIMIT;
		}
		if (strlen(s) != json_string_length(v)) {
			bh_msg_set(msg, "%s: key '%s': embedded NUL", name, k->key);
			return BH_ERR_NUL;
		}
		if ((t & BH_CFG_STRING) || ((t & BH_CFG_EVM_ADDRESS) && bh_is_evm_address(s)) ||
		    ((t & BH_CFG_IP) && is_ip(s)) || ((t & BH_CFG_CIDR) && is_cidr(s)) ||
		    ((t & BH_CFG_PATH) && is_abs_path(s)))
			return 0;
		bh_msg_set(msg, "%s: key '%s': expected %s, got an invalid string", name, k->key,
			   want);
		return BH_ERR_FORMAT;
	}
	bh_msg_set(msg, "%s: key '%s': expected %s, got %s", name, k->key, want,
		   bh_json_type_name(v));
	return BH_ERR_WRONG_TYPE;
}

int bh_config_check(const json_t *root, const struct bh_cfg_key *schema, size_t n,
		    const char *name, struct bh_msg *msg)
{
	int r;

	if (!json_is_object(root)) {
		bh_msg_set(msg, "%s: top level must be an object, got %s", name,
			   bh_json_type_name(root));
		return BH_ERR_FORMAT;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bh_cfg_key *k = &schema[i];
		/* look up without bh_config_get's null folding, to report null as a type */
		const json_t *v = root;
		const char *p = k->key;
		bool intermediate_bad = false, parent_absent = false;
		char part[KEY_PATH_MAX];
		for (;;) {
			const char *dot = strchr(p, '.');
			size_t len = dot ? (size_t)(dot - p) : strlen(p);
			if (len >= sizeof(part))
				return BH_ERR_INTERNAL;
			if (!json_is_object(v)) {
				intermediate_bad = !json_is_null(v);
				parent_absent = !intermediate_bad;
				v = NULL;
				break;
			}
			memcpy(part, p, len);
			part[len] = '\0';
			v = json_object_get(v, part);
			if (!dot)
				break;
			if (!v) {
				parent_absent = true;
				break;
			}
			p = dot + 1;
		}
		/* "a.b" required means: required whenever its parent object "a" is present */
		if (parent_absent)
			continue;
		if (intermediate_bad) {
			/* the parent exists but is not an object: reported by the parent's own
			 * entry if it has one; otherwise here */
			bh_msg_set(msg, "%s: key '%s': parent is not an object", name, k->key);
			return BH_ERR_WRONG_TYPE;
		}
		if (!v || (json_is_null(v) && (k->types & BH_CFG_NULL_OK))) {
			if (k->required) {
				bh_msg_set(msg, "%s: key '%s': required key missing", name, k->key);
				return BH_ERR_MISSING_KEY;
			}
			continue;
		}
		if ((r = check_value(v, k, name, msg)) < 0)
			return r;
	}
	return 0;
}

/* ------------------------------------------------------------------ db.json */

static const struct bh_cfg_key db_schema[] = {
	{ "db_file", BH_CFG_PATH, false, 0, 0, 0 },
	{ "bridge", BH_CFG_STRING, false, 0, 0, 15 /* IFNAMSIZ-1 */ },
	{ "storage_pool", BH_CFG_STRING, false, 0, 0, 255 },
	{ "storage_path", BH_CFG_PATH, false, 0, 0, 0 },
	{ "terraform_dir", BH_CFG_PATH, false, 0, 0, 0 },
	{ "default_expiry_days", BH_CFG_INT, false, 1, 36500, 0 },
	{ "gc_grace_days", BH_CFG_INT, false, 0, 3650, 0 },
	{ "ip_pool", BH_CFG_OBJECT | BH_CFG_NULL_OK, false, 0, 0, 0 },
	{ "ipv6_pool", BH_CFG_OBJECT | BH_CFG_NULL_OK, false, 0, 0, 0 },
	{ "vmid_range", BH_CFG_OBJECT | BH_CFG_NULL_OK, false, 0, 0, 0 },
	{ "vmid_pool", BH_CFG_OBJECT | BH_CFG_NULL_OK, false, 0, 0, 0 },
	{ "fields", BH_CFG_OBJECT | BH_CFG_NULL_OK, false, 0, 0, 0 }, /* legacy, ignored */
};

static const struct bh_cfg_key ip_pool_schema[] = {
	{ "ip_pool.network", BH_CFG_CIDR, true, 0, 0, 0 },
	{ "ip_pool.start", BH_CFG_INT | BH_CFG_IP, true, 1, 254, 0 },
	{ "ip_pool.end", BH_CFG_INT | BH_CFG_IP, true, 1, 254, 0 },
	{ "ip_pool.gateway", BH_CFG_IP, false, 0, 0, 0 },
};

static const struct bh_cfg_key ipv6_pool_schema[] = {
	{ "ipv6_pool.prefix", BH_CFG_CIDR | BH_CFG_NULL_OK, false, 0, 0, 0 },
	{ "ipv6_pool.start", BH_CFG_INT, false, 1, 65535, 0 },
	{ "ipv6_pool.end", BH_CFG_INT, false, 1, 65535, 0 },
};

static const struct bh_cfg_key vmid_schema[] = {
	{ "vmid_range.start", BH_CFG_INT, true, 0, INT32_MAX, 0 },
	{ "vmid_range.end", BH_CFG_INT, true, 0, INT32_MAX, 0 },
};
static const struct bh_cfg_key vmid_pool_schema[] = {
	{ "vmid_pool.start", BH_CFG_INT, true, 0, INT32_MAX, 0 },
	{ "vmid_pool.end", BH_CFG_INT, true, 0, INT32_MAX, 0 },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* <root prefix> + absolute path (already validated by the schema). */
static int resolve_path(const char *p, char **ret)
{
	char *s;

	if (asprintf(&s, "%s%s", bh_root_prefix(), p) < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static int opt_string(const json_t *root, const char *key, bool is_path, char **ret)
{
	const json_t *v = bh_config_get(root, key);
	char *s;

	*ret = NULL;
	if (!v)
		return 0;
	if (is_path)
		return resolve_path(json_string_value(v), ret);
	if (!(s = strdup(json_string_value(v))))
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* ip_pool.start/end: an int last octet or a full IPv4 inside the /24. */
static int pool_octet(const json_t *root, const char *key, struct in_addr net, const char *name,
		      int *ret, struct bh_msg *msg)
{
	const json_t *v = bh_config_get(root, key);
	struct in_addr a;

	if (json_is_integer(v)) {
		*ret = (int)json_integer_value(v);
		return 0;
	}
	if (inet_pton(AF_INET, json_string_value(v), &a) != 1) {
		bh_msg_set(msg, "%s: key '%s': expected integer or IPv4 address", name, key);
		return BH_ERR_FORMAT;
	}
	uint32_t h = ntohl(a.s_addr);
	if ((h & 0xffffff00u) != ntohl(net.s_addr) || (h & 0xff) == 0 || (h & 0xff) == 255) {
		bh_msg_set(msg, "%s: key '%s': address is not a host inside ip_pool.network", name,
			   key);
		return BH_ERR_RANGE;
	}
	*ret = (int)(h & 0xff);
	return 0;
}

static int parse_cidr(const char *s, int af, void *addr, int *ret_len)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');

	if (!slash || (size_t)(slash - s) >= sizeof(tmp))
		return BH_ERR_FORMAT;
	memcpy(tmp, s, (size_t)(slash - s));
	tmp[slash - s] = '\0';
	if (inet_pton(af, tmp, addr) != 1)
		return BH_ERR_FORMAT;
	*ret_len = atoi(slash + 1); /* digits validated by is_cidr */
	return 0;
}

int bh_db_config_default(struct bh_db_config *ret)
{
	struct bh_db_config c = { 0 };
	int r;

	if ((r = bh_path(BH_DIR_STATE, "vms.json", &c.db_file)) < 0)
		return r;
	c.default_expiry_days = 30;
	c.gc_grace_days = 7;
	c.ipv6_pool.start = 2;
	c.ipv6_pool.end = 254;
	*ret = c;
	return 0;
}

int bh_db_config_from_json(const json_t *root, const char *name, struct bh_db_config *ret,
			   struct bh_msg *msg)
{
	struct bh_db_config c = { 0 };
	const json_t *v;
	int r;

	if ((r = bh_config_check(root, db_schema, N(db_schema), name, msg)) < 0)
		return r;
	if ((r = bh_db_config_default(&c)) < 0)
		goto out;
	if (bh_config_get(root, "db_file")) {
		free(c.db_file);
		c.db_file = NULL;
		if ((r = opt_string(root, "db_file", true, &c.db_file)) < 0)
			goto out;
	}
	if ((r = opt_string(root, "bridge", false, &c.bridge)) < 0 ||
	    (r = opt_string(root, "storage_pool", false, &c.storage_pool)) < 0 ||
	    (r = opt_string(root, "storage_path", true, &c.storage_path)) < 0 ||
	    (r = opt_string(root, "terraform_dir", true, &c.terraform_dir)) < 0)
		goto out;
	if ((v = bh_config_get(root, "default_expiry_days")))
		c.default_expiry_days = (int)json_integer_value(v);
	if ((v = bh_config_get(root, "gc_grace_days")))
		c.gc_grace_days = (int)json_integer_value(v);

	if (bh_config_get(root, "ip_pool")) {
		int plen = 0;
		if ((r = bh_config_check(root, ip_pool_schema, N(ip_pool_schema), name, msg)) < 0)
			goto out;
		const char *net = json_string_value(bh_config_get(root, "ip_pool.network"));
		if (parse_cidr(net, AF_INET, &c.ip_pool.network, &plen) < 0 || plen != 24) {
			bh_msg_set(msg, "%s: key 'ip_pool.network': must be an IPv4 /24 network "
				   "(a.b.c.0/24)", name);
			r = BH_ERR_CONFIG;
			goto out;
		}
		c.ip_pool.network.s_addr &= htonl(0xffffff00u);
		if ((r = pool_octet(root, "ip_pool.start", c.ip_pool.network, name,
				    &c.ip_pool.start, msg)) < 0 ||
		    (r = pool_octet(root, "ip_pool.end", c.ip_pool.network, name, &c.ip_pool.end,
				    msg)) < 0)
			goto out;
		if (c.ip_pool.start > c.ip_pool.end) {
			bh_msg_set(msg, "%s: key 'ip_pool.start': %d is after ip_pool.end %d", name,
				   c.ip_pool.start, c.ip_pool.end);
			r = BH_ERR_RANGE;
			goto out;
		}
		if ((v = bh_config_get(root, "ip_pool.gateway"))) {
			if (inet_pton(AF_INET, json_string_value(v), &c.ip_pool.gateway) != 1) {
				bh_msg_set(msg, "%s: key 'ip_pool.gateway': expected IPv4 address",
					   name);
				r = BH_ERR_FORMAT;
				goto out;
			}
			c.ip_pool.has_gateway = true;
		}
		c.has_ip_pool = true;
	}

	if (bh_config_get(root, "ipv6_pool")) {
		if ((r = bh_config_check(root, ipv6_pool_schema, N(ipv6_pool_schema), name, msg)) < 0)
			goto out;
		if ((v = bh_config_get(root, "ipv6_pool.start")))
			c.ipv6_pool.start = (int)json_integer_value(v);
		if ((v = bh_config_get(root, "ipv6_pool.end")))
			c.ipv6_pool.end = (int)json_integer_value(v);
		if (c.ipv6_pool.start > c.ipv6_pool.end) {
			bh_msg_set(msg, "%s: key 'ipv6_pool.start': %d is after ipv6_pool.end %d",
				   name, c.ipv6_pool.start, c.ipv6_pool.end);
			r = BH_ERR_RANGE;
			goto out;
		}
		if ((v = bh_config_get(root, "ipv6_pool.prefix"))) {
			int plen = 0;
			if (parse_cidr(json_string_value(v), AF_INET6, &c.ipv6_pool.prefix, &plen) <
				    0 ||
			    plen > 126) {
				bh_msg_set(msg, "%s: key 'ipv6_pool.prefix': must be an IPv6 "
					   "network (e.g. 2001:db8::/64), prefix length <= 126", name);
				r = BH_ERR_CONFIG;
				goto out;
			}
			/* the offsets must fit in the host part */
			if (128 - plen < 17 && (uint64_t)c.ipv6_pool.end >= (1ull << (128 - plen))) {
				bh_msg_set(msg, "%s: key 'ipv6_pool.end': %d does not fit in a /%d",
					   name, c.ipv6_pool.end, plen);
				r = BH_ERR_RANGE;
				goto out;
			}
			for (int i = 0; i < 16; i++) {
				int bits = plen - 8 * i;
				unsigned mask = bits >= 8 ? 0xffu
						: bits <= 0 ? 0u
							    : (0xffu << (8 - bits)) & 0xffu;
				c.ipv6_pool.prefix.s6_addr[i] &= (uint8_t)mask;
			}
			c.ipv6_pool.prefix_len = plen;
			c.has_ipv6_pool = true;
		}
	}

	const char *vk = bh_config_get(root, "vmid_range") ? "vmid_range"
			 : bh_config_get(root, "vmid_pool")  ? "vmid_pool"
							     : NULL;
	if (vk) {
		bool alias = strcmp(vk, "vmid_pool") == 0;
		const struct bh_cfg_key *s = alias ? vmid_pool_schema : vmid_schema;
		char ks[32], ke[32];
		if ((r = bh_config_check(root, s, 2, name, msg)) < 0)
			goto out;
		snprintf(ks, sizeof(ks), "%s.start", vk);
		snprintf(ke, sizeof(ke), "%s.end", vk);
		c.vmid_range.start = json_integer_value(bh_config_get(root, ks));
		c.vmid_range.end = json_integer_value(bh_config_get(root, ke));
		if (c.vmid_range.start > c.vmid_range.end) {
			bh_msg_set(msg, "%s: key '%s': start is after end", name, vk);
			r = BH_ERR_RANGE;
			goto out;
		}
		c.has_vmid_range = true;
	}
	*ret = c;
	memset(&c, 0, sizeof(c));
	r = 0;
out:
	bh_db_config_done(&c);
	return r;
}

int bh_db_config_load(const char *path, struct bh_db_config *ret, struct bh_msg *msg)
{
	char *def = NULL;
	json_t *root = NULL;
	int r;

	if (!path) {
		if ((r = bh_path(BH_DIR_ETC, "db.json", &def)) < 0)
			return r;
		path = def;
	}
	if ((r = bh_config_load(path, &root, msg)) < 0)
		goto out;
	r = bh_db_config_from_json(root, path, ret, msg);
out:
	json_decref(root);
	free(def);
	return r;
}

void bh_db_config_done(struct bh_db_config *c)
{
	if (!c)
		return;
	free(c->db_file);
	free(c->bridge);
	free(c->storage_pool);
	free(c->storage_path);
	free(c->terraform_dir);
	memset(c, 0, sizeof(*c));
}

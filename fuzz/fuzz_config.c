/* SPDX-License-Identifier: MIT */
/* Fuzz the JSON config loader, the schema checker and the db.json conversion. */
#include <stdlib.h>
#include <string.h>

#include "host/config.h"
#include "core/err.h"

static const struct bh_cfg_key schema[] = {
	{ "a", BH_CFG_STRING | BH_CFG_NULL_OK, false, 0, 0, 16 },
	{ "b", BH_CFG_INT, false, -5, 5, 0 },
	{ "c", BH_CFG_BOOL | BH_CFG_ARRAY, false, 0, 0, 0 },
	{ "d.e.f", BH_CFG_EVM_ADDRESS, true, 0, 0, 0 },
	{ "d.g", BH_CFG_IP | BH_CFG_CIDR, false, 0, 0, 0 },
	{ "d.h", BH_CFG_PATH | BH_CFG_INT, false, 0, 0, 0 },
	{ "o", BH_CFG_OBJECT, false, 0, 0, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_msg m;
	struct bh_db_config c;
	json_t *root = NULL;

	if (bh_config_parse(data, size, "fuzz.json", &root, &m) < 0)
		return 0;
	(void)bh_config_check(root, schema, sizeof(schema) / sizeof(schema[0]), "fuzz.json", &m);
	(void)bh_config_get(root, "d.e.f");
	(void)bh_config_get(root, "ip_pool.start");
	if (bh_db_config_from_json(root, "fuzz.json", &c, &m) == 0) {
		/* invariants of an accepted config */
		if (!c.db_file || c.default_expiry_days < 1 || c.gc_grace_days < 0)
			abort();
		if (c.has_ip_pool && (c.ip_pool.start < 1 || c.ip_pool.start > c.ip_pool.end ||
				      c.ip_pool.end > 254))
			abort();
		if (c.has_ipv6_pool && (c.ipv6_pool.start > c.ipv6_pool.end ||
					c.ipv6_pool.prefix_len > 126))
			abort();
		if (c.has_vmid_range && c.vmid_range.start > c.vmid_range.end)
			abort();
		bh_db_config_done(&c);
	}
	json_decref(root);
	return 0;
}

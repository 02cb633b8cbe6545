/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the params validator: the input is "<manifest>\n\x00<params JSON>" — a
 * manifest (so schemas are fuzzed too) and the request params checked against
 * it.  Without the separator a fixed manifest with every schema kind is used.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/err.h"
#include "core/frame.h"
#include "../src/agent/plugin.h"

static const char fixed[] =
	"{\"format\":1,\"namespace\":\"blockhost-plugin-v1\",\"action\":\"f\",\"version\":1,"
	"\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\","
	"\"capabilities\":[],\"timeout_ms\":1000,\"output_max\":100,\"input\":\"stdin-json\",\"run_as\":\"plugin\","
	"\"params\":{\"port\":{\"type\":\"int\",\"required\":true,\"min\":1,\"max\":65535},"
	"\"proto\":{\"type\":\"string\",\"pattern\":\"^(tcp|udp)$\"},\"on\":{\"type\":\"bool\"},"
	"\"comment\":{\"type\":\"string\",\"pattern\":\"^[a-zA-Z0-9-]+$\",\"max_len\":64},"
	"\"list\":{\"type\":\"string-array\",\"max_items\":4,\"max_len\":16,\"pattern\":\"^[a-z]*$\"},"
	"\"path\":{\"type\":\"string\",\"path_prefix\":\"/nonexistent-fuzz/\"}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_plugin_manifest *m = NULL;
	struct bh_msg msg;
	const uint8_t *man = (const uint8_t *)fixed, *params = data;
	size_t man_len = sizeof(fixed) - 1, params_len = size;
	json_t *p = NULL, *out = NULL;

	const uint8_t *sep = memchr(data, 0, size);
	if (sep && sep > data && sep[-1] == '\n') {
		man = data;
		man_len = (size_t)(sep - data - 1);
		params = sep + 1;
		params_len = size - man_len - 2;
	}
	if (bh_plugin_manifest_parse(man, man_len, &m, &msg) < 0)
		return 0;
	if (bh_frame_decode_json(params, params_len, &p) == 0) {
		if (bh_params_validate(m, p, &out, &msg) == 0) {
			/* everything that passed is named in the schema */
			const char *k;
			json_t *v;
			json_object_foreach(out, k, v) {
				size_t i;
				for (i = 0; i < m->n_params; i++)
					if (!strcmp(m->params[i].name, k))
						break;
				if (i == m->n_params)
					abort();
			}
			json_decref(out);
		}
		json_decref(p);
	}
	bh_plugin_manifest_free(m);
	return 0;
}

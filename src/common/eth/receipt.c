/* SPDX-License-Identifier: MIT */
/*
 * Receipt consensus encoding and bloom (see receipt.h).  Two passes over the JSON: the
 * first checks every field and computes the RLP lengths (data lengths come from the hex
 * length), the second writes headers and decodes the hex straight into out, so nothing
 * but out is allocated.
 */
#include <string.h>

#include "eth/keccak.h"
#include "eth/proof-int.h"
#include "eth/receipt.h"
#include "eth/rlp.h"

static void bloom_bits(const uint8_t *data, size_t len, uint16_t bit[3])
{
	uint8_t h[32];
	bh_keccak256(data, len, h);
	for (int i = 0; i < 3; i++)
		bit[i] = (uint16_t)(((unsigned)h[2 * i] << 8 | h[2 * i + 1]) & 2047u);
}

static void bloom_set(uint8_t bloom[static 256], const uint16_t bit[3])
{
	for (int i = 0; i < 3; i++)
		bloom[255 - bit[i] / 8] |= (uint8_t)(1u << (bit[i] % 8));
}

void bh_bloom_add(uint8_t bloom[static 256], const uint8_t *data, size_t len)
{
	uint16_t bit[3];
	bloom_bits(data, len, bit);
	bloom_set(bloom, bit);
}

/* data is 20 or 32 bytes (an address or a topic) */
static void bloom_add_cached(uint8_t bloom[static 256], const uint8_t *data, size_t len,
			     struct bh_bloom_cache *c)
{
	if (!c) {
		bh_bloom_add(bloom, data, len);
		return;
	}
	unsigned i = (data[0] ^ data[len - 1] ^ (unsigned)data[len / 2] << 1 ^
		      (unsigned)data[len - 2] * 7u ^ (unsigned)len) % BH_BLOOM_CACHE;
	if (c->e[i].len != len || memcmp(c->e[i].key, data, len) != 0) {
		bloom_bits(data, len, c->e[i].bit);
		memcpy(c->e[i].key, data, len);
		c->e[i].len = (uint8_t)len;
	}
	bloom_set(bloom, c->e[i].bit);
}

static size_t len_bytes(size_t len)
{
	size_t k = 0;
	while (len) {
		k++;
		len >>= 8;
	}
	return k;
}

static size_t hdr_len(size_t payload)
{
	return payload < 56 ? 1 : 1 + len_bytes(payload);
}

static int hexnib(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* What pass one learnt about one log. */
struct log_info {
	const char *data_hex;
	size_t data_len;
	size_t ntopics;
	size_t topics_payload;
	size_t payload;
};

static int log_scan(const json_t *lg, struct log_info *li, struct bh_msg *msg)
{
	const json_t *topics, *dv, *av;
	const char *ah;
	size_t an;
	int r;

	if (!json_is_object(lg)) {
		bh_msg_set(msg, "log must be an object, got %s", bh_json_type_name(lg));
		return BH_ERR_WRONG_TYPE;
	}
	if ((r = bh_proof_field(lg, "address", true, &av, msg)) < 0 ||
	    (r = bh_proof_named(bh_proof_hexstr(av, &ah, &an, msg), "address", msg)) < 0 ||
	    (r = bh_proof_field(lg, "topics", true, &topics, msg)) < 0 ||
	    (r = bh_proof_field(lg, "data", true, &dv, msg)) < 0)
		return r;
	if (an != 20) {
		bh_msg_set(msg, "\"address\": expected 20 bytes of data, got %zu", an);
		return BH_ERR_LENGTH;
	}
	if (!json_is_array(topics)) {
		bh_msg_set(msg, "\"topics\" must be an array, got %s", bh_json_type_name(topics));
		return BH_ERR_WRONG_TYPE;
	}
	li->ntopics = json_array_size(topics);
	if (li->ntopics > 4) {
		bh_msg_set(msg, "\"topics\": %zu entries, at most 4", li->ntopics);
		return BH_ERR_LIMIT;
	}
	for (size_t t = 0; t < li->ntopics; t++) {
		const char *th;
		size_t tn;
		if ((r = bh_proof_named(bh_proof_hexstr(json_array_get(topics, t), &th, &tn, msg),
					"topics", msg)) < 0)
			return r;
		if (tn != 32) {
			bh_msg_set(msg, "\"topics\": expected 32 bytes of data, got %zu", tn);
			return BH_ERR_LENGTH;
		}
	}
	if ((r = bh_proof_named(bh_proof_hexstr(dv, &li->data_hex, &li->data_len, msg), "data",
				msg)) < 0)
		return r;
	if (li->data_len > BH_RPC_MAX_LOG_DATA) {
		bh_msg_set(msg, "\"data\": %zu bytes, more than %u", li->data_len, BH_RPC_MAX_LOG_DATA);
		return BH_ERR_LIMIT;
	}
	/* a single byte < 0x80 is its own encoding (bad hex is caught when writing) */
	int first = li->data_len == 1 ? hexnib(li->data_hex[0]) : -1;
	size_t data_enc = first >= 0 && first < 8 ? 1 : hdr_len(li->data_len) + li->data_len;
	li->topics_payload = 33 * li->ntopics;
	li->payload = 21 + hdr_len(li->topics_payload) + li->topics_payload + data_enc;
	return 0;
}

static int put_hex(struct bh_buf *out, const char *hex, size_t n, uint8_t *copy)
{
	uint8_t *p;
	int r;
	if (n == 0)
		return 0;
	if ((r = bh_buf_reserve(out, n, &p)) < 0)
		return r;
	if ((r = bh_proof_unhex(hex, n, p)) < 0)
		return r;
	if (copy)
		memcpy(copy, p, n);
	return 0;
}

/* Pass two for one log: write it and add its bloom bits. */
static int log_put(const json_t *lg, const struct log_info *li, struct bh_buf *out,
		   uint8_t bloom[static 256], struct bh_bloom_cache *cache, struct bh_msg *msg)
{
	const json_t *topics = json_object_get(lg, "topics");
	const char *ah = json_string_value(json_object_get(lg, "address")) + 2;
	uint8_t buf[32];
	int r;

	if ((r = bh_rlp_put_header(out, true, li->payload)) < 0 ||
	    (r = bh_buf_put_u8(out, 0x80 + 20)) < 0)
		return r;
	if ((r = put_hex(out, ah, 20, buf)) < 0) {
		bh_msg_set(msg, "\"address\": data is not hex");
		return r;
	}
	bloom_add_cached(bloom, buf, 20, cache);
	if ((r = bh_rlp_put_header(out, true, li->topics_payload)) < 0)
		return r;
	for (size_t t = 0; t < li->ntopics; t++) {
		const char *th = json_string_value(json_array_get(topics, t)) + 2;
		if ((r = bh_buf_put_u8(out, 0x80 + 32)) < 0)
			return r;
		if ((r = put_hex(out, th, 32, buf)) < 0) {
			bh_msg_set(msg, "\"topics\": data is not hex");
			return r;
		}
		bloom_add_cached(bloom, buf, 32, cache);
	}
	if (li->data_len == 1) {
		if ((r = bh_proof_unhex(li->data_hex, 1, buf)) < 0) {
			bh_msg_set(msg, "\"data\": data is not hex");
			return r;
		}
		if (buf[0] < 0x80)
			return bh_buf_put_u8(out, buf[0]);
	}
	if ((r = bh_rlp_put_header(out, false, li->data_len)) < 0)
		return r;
	if ((r = put_hex(out, li->data_hex, li->data_len, NULL)) < 0)
		bh_msg_set(msg, "\"data\": data is not hex");
	return r;
}

int bh_receipt_encode_json(const json_t *o, struct bh_buf *out, uint8_t *ret_type,
			   size_t *ret_nlogs, struct bh_msg *msg)
{
	return bh_receipt_encode_json_cached(o, out, ret_type, ret_nlogs, NULL, msg);
}

int bh_receipt_encode_json_cached(const json_t *o, struct bh_buf *out, uint8_t *ret_type,
				  size_t *ret_nlogs, struct bh_bloom_cache *cache, struct bh_msg *msg)
{
	const json_t *tv, *rootv, *statusv, *logs;
	struct log_info *li = NULL, one;
	uint8_t root[32], bloom[256], mine[256] = { 0 };
	uint64_t type = 0, status = 0, cgu;
	struct bh_rlp_item cgu_it;
	size_t before = bh_buf_len(out), nlogs, logs_payload = 0, payload;
	int r;

	if (!json_is_object(o)) {
		bh_msg_set(msg, "receipt must be an object, got %s", bh_json_type_name(o));
		return BH_ERR_WRONG_TYPE;
	}
	if ((r = bh_proof_field(o, "type", false, &tv, msg)) < 0)
		return r;
	if (tv && (r = bh_proof_named(bh_rpc_parse_quantity(tv, &type, msg), "type", msg)) < 0)
		return r;
	if (type > 4) {
		bh_msg_set(msg, "\"type\": transaction type 0x%llx is not supported (0 to 4 are)",
			   (unsigned long long)type);
		return BH_ERR_UNSUPPORTED;
	}
	if ((r = bh_proof_field(o, "root", false, &rootv, msg)) < 0 ||
	    (r = bh_proof_field(o, "status", false, &statusv, msg)) < 0)
		return r;
	if (rootv && statusv) {
		bh_msg_set(msg, "both \"root\" and \"status\": a receipt has one of them");
		return BH_ERR_FORMAT;
	}
	if (rootv) {
		if ((r = bh_proof_named(bh_rpc_parse_fixed(rootv, root, 32, msg), "root", msg)) < 0)
			return r;
	} else {
		if ((r = bh_proof_q64(o, "status", &status, msg)) < 0)
			return r;
		if (status > 1) {
			bh_msg_set(msg, "\"status\" must be 0x0 or 0x1");
			return BH_ERR_RANGE;
		}
	}
	if ((r = bh_proof_q64(o, "cumulativeGasUsed", &cgu, msg)) < 0 ||
	    (r = bh_proof_fixed_big(o, "logsBloom", bloom, 256, msg)) < 0 ||
	    (r = bh_proof_field(o, "logs", true, &logs, msg)) < 0)
		return r;
	if (!json_is_array(logs)) {
		bh_msg_set(msg, "\"logs\" must be an array, got %s", bh_json_type_name(logs));
		return BH_ERR_WRONG_TYPE;
	}
	nlogs = json_array_size(logs);
	if (nlogs > BH_RECEIPT_MAX_LOGS) {
		bh_msg_set(msg, "\"logs\": %zu entries, more than %u", nlogs, BH_RECEIPT_MAX_LOGS);
		return BH_ERR_LIMIT;
	}
	/* pass one: lengths (one log needs no allocation) */
	if (nlogs > 1 && !(li = calloc(nlogs, sizeof(*li))))
		return -ENOMEM;
	if (nlogs == 1)
		li = &one;
	for (size_t i = 0; i < nlogs; i++) {
		if ((r = log_scan(json_array_get(logs, i), &li[i], msg)) < 0) {
			char w[48];
			snprintf(w, sizeof(w), "\"logs\" %zu", i);
			bh_proof_prefix(msg, w);
			goto out;
		}
		logs_payload += hdr_len(li[i].payload) + li[i].payload;
	}
	bh_rlp_set_uint64(&cgu_it, cgu);
	payload = (rootv ? 33 : 1) + bh_rlp_encoded_len(&cgu_it) + 3 + 256 +
		  hdr_len(logs_payload) + logs_payload;
	if (hdr_len(payload) + payload + 1 > bh_buf_avail(out)) {
		bh_msg_set(msg, "receipt of %zu bytes does not fit", payload);
		r = BH_ERR_LIMIT;
		goto out;
	}
	/* pass two: write */
	if ((type && (r = bh_buf_put_u8(out, (uint8_t)type)) < 0) ||
	    (r = bh_rlp_put_header(out, true, payload)) < 0)
		goto out;
	if (rootv && (r = bh_buf_put_u8(out, 0x80 + 32)) == 0)
		r = bh_buf_put(out, root, 32);
	else if (!rootv)
		r = bh_buf_put_u8(out, status ? 0x01 : 0x80);
	if (r < 0 || (r = bh_rlp_encode(&cgu_it, out)) < 0 ||
	    (r = bh_rlp_put_header(out, false, 256)) < 0 || (r = bh_buf_put(out, bloom, 256)) < 0 ||
	    (r = bh_rlp_put_header(out, true, logs_payload)) < 0)
		goto out;
	for (size_t i = 0; i < nlogs; i++)
		if ((r = log_put(json_array_get(logs, i), &li[i], out, mine, cache, msg)) < 0) {
			char w[48];
			snprintf(w, sizeof(w), "\"logs\" %zu", i);
			bh_proof_prefix(msg, w);
			goto out;
		}
	if (memcmp(mine, bloom, 256) != 0) {
		bh_msg_set(msg, "\"logsBloom\" does not match the bloom of its logs");
		r = BH_ERR_MISMATCH;
		goto out;
	}
	if (ret_type)
		*ret_type = (uint8_t)type;
	if (ret_nlogs)
		*ret_nlogs = nlogs;
	r = 0;
out:
	if (r < 0)
		(void)bh_buf_truncate(out, before);
	if (li != &one)
		free(li);
	return r;
}

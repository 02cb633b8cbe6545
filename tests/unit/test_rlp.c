/* SPDX-License-Identifier: MIT */
/* Unit tests: RLP encoding and strict decoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/hex.h"
#include "eth/rlp.h"

static char *enc_hex(const struct bh_rlp_item *it)
{
	struct bh_buf b;
	char *h;
	bh_buf_init(&b, 1 << 16);
	assert_int_equal(bh_rlp_encode(it, &b), 0);
	assert_int_equal(bh_buf_len(&b), bh_rlp_encoded_len(it));
	h = bh_hex_encode_alloc(bh_buf_ptr(&b), bh_buf_len(&b), false);
	bh_buf_done(&b);
	return h;
}

static void test_known_vectors(void **state)
{
	(void)state;
	struct bh_rlp_item it, l[3], ll[3], inner[2];
	char *h;
	static const char lorem[] = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";

	bh_rlp_set_bytes(&it, (const uint8_t *)"dog", 3);
	h = enc_hex(&it); assert_string_equal(h, "83646f67"); free(h);
	bh_rlp_set_bytes(&l[0], (const uint8_t *)"cat", 3);
	bh_rlp_set_bytes(&l[1], (const uint8_t *)"dog", 3);
	bh_rlp_set_list(&it, l, 2);
	h = enc_hex(&it); assert_string_equal(h, "c88363617483646f67"); free(h);
	bh_rlp_set_bytes(&it, NULL, 0);
	h = enc_hex(&it); assert_string_equal(h, "80"); free(h);
	bh_rlp_set_list(&it, NULL, 0);
	h = enc_hex(&it); assert_string_equal(h, "c0"); free(h);
	bh_rlp_set_uint64(&it, 0);
	h = enc_hex(&it); assert_string_equal(h, "80"); free(h);
	bh_rlp_set_uint64(&it, 15);
	h = enc_hex(&it); assert_string_equal(h, "0f"); free(h);
	bh_rlp_set_uint64(&it, 1024);
	h = enc_hex(&it); assert_string_equal(h, "820400"); free(h);
	bh_rlp_set_uint64(&it, 0x80);
	h = enc_hex(&it); assert_string_equal(h, "8180"); free(h);
	/* the set-theoretical representation of three: [ [], [[]], [ [], [[]] ] ] */
	bh_rlp_set_list(&inner[0], NULL, 0);
	bh_rlp_set_list(&l[0], NULL, 0);
	bh_rlp_set_list(&l[1], &inner[0], 1);
	bh_rlp_set_list(&ll[0], NULL, 0);
	bh_rlp_set_list(&ll[1], &inner[0], 1);
	bh_rlp_set_list(&l[2], ll, 2);
	bh_rlp_set_list(&it, l, 3);
	h = enc_hex(&it); assert_string_equal(h, "c7c0c1c0c3c0c1c0"); free(h);
	bh_rlp_set_bytes(&it, (const uint8_t *)lorem, 56);
	h = enc_hex(&it);
	assert_memory_equal(h, "b8384c6f72656d", 14);
	assert_int_equal(strlen(h), 2 * 58);
	free(h);
}

static struct bh_rlp_item *dec_hex(const char *hex, uint8_t *buf, size_t *n, int want)
{
	struct bh_rlp_item *it = NULL;
	struct bh_msg m = { "" };
	uint8_t *d = NULL;
	assert_int_equal(bh_hex_decode_alloc(hex, 1 << 20, &d, n), 0);
	memcpy(buf, d, *n);
	free(d);
	int r = bh_rlp_decode(buf, *n, &it, &m);
	if (r != want)
		fail_msg("%s: got %d (%s), want %d", hex, r, m.text, want);
	if (r < 0)
		assert_true(m.text[0] != '\0');
	return it;
}

static void test_decode_valid(void **state)
{
	(void)state;
	uint8_t buf[256];
	size_t n;
	struct bh_rlp_item *it;
	uint64_t x;

	it = dec_hex("c88363617483646f67", buf, &n, 0);
	assert_true(it->is_list);
	assert_int_equal(it->n, 2);
	assert_memory_equal(it->items[1].data, "dog", 3);
	bh_rlp_item_free(it);
	it = dec_hex("c7c0c1c0c3c0c1c0", buf, &n, 0);
	assert_int_equal(it->n, 3);
	assert_int_equal(it->items[2].n, 2);
	assert_int_equal(it->items[2].items[1].n, 1);
	bh_rlp_item_free(it);
	it = dec_hex("820400", buf, &n, 0);
	assert_int_equal(bh_rlp_item_uint64(it, &x), 0);
	assert_int_equal(x, 1024);
	bh_rlp_item_free(it);
	it = dec_hex("7f", buf, &n, 0);
	assert_int_equal(it->len, 1);
	assert_int_equal(it->data[0], 0x7f);
	bh_rlp_item_free(it);
	it = dec_hex("80", buf, &n, 0);
	assert_int_equal(bh_rlp_item_uint64(it, &x), 0);
	assert_int_equal(x, 0);
	bh_rlp_item_free(it);
}

static void test_decode_malformed(void **state)
{
	(void)state;
	static const struct { const char *hex; int want; } bad[] = {
		{ "", BH_ERR_INCOMPLETE },
		{ "8100", BH_ERR_FORMAT },        /* single byte < 0x80 wrapped */
		{ "817f", BH_ERR_FORMAT },
		{ "b80100", BH_ERR_FORMAT },      /* long form for 1 byte */
		{ "b837", BH_ERR_FORMAT },        /* long form for 55 */
		{ "b90038", BH_ERR_FORMAT },      /* length with leading zero */
		{ "f800", BH_ERR_FORMAT },        /* long list form for 0 */
		{ "83646f", BH_ERR_INCOMPLETE },  /* payload beyond the end */
		{ "b8", BH_ERR_INCOMPLETE },      /* length bytes missing */
		{ "bfffffffffffffffff", BH_ERR_INCOMPLETE },
		{ "c3646f", BH_ERR_INCOMPLETE },
		{ "c28363", BH_ERR_INCOMPLETE },  /* child longer than the list */
		{ "8363617400", BH_ERR_TRAILING },
		{ "c0c0", BH_ERR_TRAILING },
		{ "c1c1c0", BH_ERR_INCOMPLETE },
	};
	uint8_t buf[64];
	size_t n;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(dec_hex(bad[i].hex, buf, &n, bad[i].want));

	/* depth cap: 17 nested lists */
	uint8_t deep[40];
	for (int i = 0; i < 17; i++)
		deep[i] = (uint8_t)(0xc0 + 16 - i);
	struct bh_rlp_item *it = NULL;
	assert_int_equal(bh_rlp_decode(deep, 17, &it, NULL), BH_ERR_LIMIT);
	assert_int_equal(bh_rlp_decode(deep + 1, 16, &it, NULL), 0);
	bh_rlp_item_free(it);
}

static void test_uint_canonical(void **state)
{
	(void)state;
	uint8_t buf[64], w[32];
	size_t n;
	uint64_t x;
	struct bh_rlp_item *it = dec_hex("820004", buf, &n, 0);
	assert_int_equal(bh_rlp_item_uint64(it, &x), BH_ERR_FORMAT);
	assert_int_equal(bh_rlp_item_u256(it, w), BH_ERR_FORMAT);
	bh_rlp_item_free(it);
	it = dec_hex("89010000000000000000", buf, &n, 0);
	assert_int_equal(bh_rlp_item_uint64(it, &x), BH_ERR_RANGE);
	assert_int_equal(bh_rlp_item_u256(it, w), 0);
	assert_int_equal(w[23], 1);
	bh_rlp_item_free(it);
	it = dec_hex("c0", buf, &n, 0);
	assert_int_equal(bh_rlp_item_uint64(it, &x), BH_ERR_WRONG_TYPE);
	bh_rlp_item_free(it);
	it = dec_hex("a1010000000000000000000000000000000000000000000000000000000000000000", buf, &n, 0);
	assert_int_equal(bh_rlp_item_u256(it, w), BH_ERR_RANGE);
	bh_rlp_item_free(it);
}

/* random trees: decode(encode(t)) re-encodes to the same bytes */
static uint64_t rng = 0x1234567887654321ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint8_t pool[4096];

static void rand_tree(struct bh_rlp_item *it, int depth, struct bh_rlp_item **arena, size_t *left)
{
	if (depth < 4 && rnd() % 3 == 0 && *left > 8) {
		size_t n = rnd() % 6;
		struct bh_rlp_item *kids = *arena;
		*arena += n;
		*left -= n;
		for (size_t i = 0; i < n; i++)
			rand_tree(&kids[i], depth + 1, arena, left);
		bh_rlp_set_list(it, kids, n);
	} else {
		size_t len = rnd() % 3 == 0 ? rnd() % 300 : rnd() % 3;
		bh_rlp_set_bytes(it, pool + rnd() % 1000, len);
	}
}

static void test_roundtrip_random(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pool); i++)
		pool[i] = (uint8_t)rnd();
	for (int iter = 0; iter < 3000; iter++) {
		struct bh_rlp_item arena[512], *a = arena, top, *dec = NULL;
		size_t left = 512;
		struct bh_buf b, b2;
		rand_tree(&top, 0, &a, &left);
		bh_buf_init(&b, 1 << 20);
		bh_buf_init(&b2, 1 << 20);
		assert_int_equal(bh_rlp_encode(&top, &b), 0);
		assert_int_equal(bh_rlp_decode(bh_buf_ptr(&b), bh_buf_len(&b), &dec, NULL), 0);
		assert_int_equal(bh_rlp_encode(dec, &b2), 0);
		assert_int_equal(bh_buf_len(&b), bh_buf_len(&b2));
		assert_memory_equal(bh_buf_ptr(&b), bh_buf_ptr(&b2), bh_buf_len(&b));
		bh_rlp_item_free(dec);
		/* a truncated encoding never decodes */
		if (bh_buf_len(&b) > 1) {
			struct bh_rlp_item *x = NULL;
			assert_true(bh_rlp_decode(bh_buf_ptr(&b), bh_buf_len(&b) - 1, &x, NULL) < 0);
		}
		bh_buf_done(&b);
		bh_buf_done(&b2);
	}
}

static void test_encode_limit(void **state)
{
	(void)state;
	struct bh_rlp_item it;
	struct bh_buf b;
	uint8_t big[100] = { 0 };
	bh_buf_init(&b, 50);
	bh_rlp_set_bytes(&it, big, 100);
	assert_int_equal(bh_rlp_encode(&it, &b), BH_ERR_LIMIT);
	assert_int_equal(bh_buf_len(&b), 0);
	bh_buf_done(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_decode_valid),
		cmocka_unit_test(test_decode_malformed),
		cmocka_unit_test(test_uint_canonical),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_encode_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

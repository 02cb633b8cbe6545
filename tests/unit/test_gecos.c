/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the GECOS field (host/gecos.h) — the writer's output read back by the reader
 * under both rules (round trip), the login rule's cases (formerly pw3_gecos_wallet's), the
 * exact rule's (formerly prov_valid_gecos), and hostile rows.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "host/gecos.h"

#define W40 "00000000000000000000000000000000000000aa"

/* The reader on a C string: on failure the buffer is unchanged and a message is set. */
static int parse(const char *s, enum bh_gecos_rule rule, struct bh_gecos *g)
{
	struct bh_buf b;
	struct bh_msg m = { "" };
	int r;

	bh_buf_view(&b, s, strlen(s));
	r = bh_gecos_parse(&b, rule, g, &m);
	if (r < 0) {
		assert_int_equal(bh_buf_len(&b), strlen(s));
		assert_true(m.text[0] != '\0');
	} else {
		assert_int_equal(bh_buf_len(&b), 0);
	}
	return r;
}

static void test_round_trip(void **state)
{
	(void)state;
	static const uint64_t ids[] = { 0, 1, 7, 1000, 4294967296ull, UINT64_MAX };
	struct bh_gecos g = { .has_nft = false }, back;
	char out[BH_GECOS_STR_MAX];

	for (int i = 0; i < 20; i++)
		g.wallet[i] = (uint8_t)(0xf1 * i + 3);
	for (size_t k = 0; k <= sizeof ids / sizeof ids[0]; k++) {
		g.has_nft = k < sizeof ids / sizeof ids[0];
		g.nft_id = g.has_nft ? ids[k] : 0;
		bh_gecos_format(&g, out);
		assert_true(strlen(out) < BH_GECOS_STR_MAX);
		for (int rule = 0; rule < 2; rule++) {
			memset(&back, 0xee, sizeof back);
			assert_int_equal(parse(out, rule ? BH_GECOS_FIELDS : BH_GECOS_EXACT, &back), 0);
			assert_memory_equal(back.wallet, g.wallet, 20);
			assert_int_equal(back.has_nft, g.has_nft);
			if (g.has_nft)
				assert_true(back.nft_id == g.nft_id);
		}
	}
	/* the exact texts: lower-case hex, the id empty at create time */
	memset(g.wallet, 0, 20);
	g.wallet[19] = 0xaa;
	g.has_nft = false;
	bh_gecos_format(&g, out);
	assert_string_equal(out, "wallet=0x" W40 ",nft=");
	g.has_nft = true;
	g.nft_id = UINT64_MAX;
	bh_gecos_format(&g, out);
	assert_string_equal(out, "wallet=0x" W40 ",nft=18446744073709551615");
	assert_int_equal(strlen(out) + 1, BH_GECOS_STR_MAX);
}

static void test_exact(void **state)
{
	(void)state;
	struct bh_gecos g;

	assert_int_equal(parse("wallet=0x" W40 ",nft=12", BH_GECOS_EXACT, &g), 0);
	assert_true(g.has_nft && g.nft_id == 12);
	assert_int_equal(parse("wallet=0x" W40 ",nft=", BH_GECOS_EXACT, &g), 0);
	assert_false(g.has_nft);
	assert_int_equal(parse("wallet=0x00000000000000000000000000000000000000AA,nft=0", BH_GECOS_EXACT, &g), 0);
	assert_int_equal(g.wallet[19], 0xaa);
	assert_true(g.has_nft && g.nft_id == 0);
	assert_int_equal(parse("wallet=0x" W40 ",nft=1x", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x" W40 ",nft=1,", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x0000000000000000000000000000000000000a,nft=1", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x" W40 ";nft=1", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x" W40 ",nft=123456789012345678901", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x" W40 ",nft=18446744073709551616", BH_GECOS_EXACT, &g), BH_ERR_RANGE);
	assert_int_equal(parse("wallet=0x" W40 ",nft=007", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x" W40 ",nft=-1", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x" W40 ",nft= 1", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x" W40, BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0X" W40 ",nft=", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=" W40 ",nft=", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse(" wallet=0x" W40 ",nft=", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("Alice,wallet=0x" W40 ",nft=", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x" W40 "0,nft=", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x0000000000000000000000000000000000000g,nft=", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
}

/* The login rule: exactly pw3_gecos_wallet's cases, codes unchanged. */
static void test_login_rule(void **state)
{
	(void)state;
	uint8_t a[20];
	struct bh_msg m = { { 0 } };
	struct bh_gecos g;

	assert_int_equal(bh_gecos_login_wallet("wallet=0x00112233445566778899AabbCCddeeff00112233,nft=7", a, &m), 0);
	assert_int_equal(a[0], 0x00);
	assert_int_equal(a[19], 0x33);
	assert_int_equal(bh_gecos_login_wallet(" Alice , wallet= 00112233445566778899aabbccddeeff00112233 ,nft=", a, &m), 0);
	assert_int_equal(bh_gecos_login_wallet("nft=7", a, &m), BH_ERR_NOT_FOUND);
	assert_string_equal(m.text, "GECOS has no wallet= entry");
	assert_int_equal(bh_gecos_login_wallet("", a, &m), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_gecos_login_wallet("WALLET=0x00112233445566778899aabbccddeeff00112233", a, &m), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_gecos_login_wallet("wallet = 0x00112233445566778899aabbccddeeff00112233", a, &m), BH_ERR_NOT_FOUND);
	assert_int_equal(bh_gecos_login_wallet("wallet=0x00112233445566778899aabbccddeeff00112233,"
	                                       "wallet=0x00112233445566778899aabbccddeeff00112234", a, &m), BH_ERR_DUPLICATE);
	assert_string_equal(m.text, "GECOS has more than one wallet= entry");
	assert_int_equal(bh_gecos_login_wallet("wallet=0x0011", a, &m), BH_ERR_FORMAT);
	assert_string_equal(m.text, "GECOS wallet= is not a 20-byte hex address");
	assert_int_equal(bh_gecos_login_wallet("wallet=0x00112233445566778899aabbccddeeff0011223g", a, &m), BH_ERR_FORMAT);
	assert_int_equal(bh_gecos_login_wallet("wallet=0x0011223344 5566778899aabbccddeeff001122", a, &m), BH_ERR_FORMAT);
	/* nft is informational: a malformed or doubled id does not stop the login */
	assert_int_equal(parse("wallet=0x" W40 ",nft=abc", BH_GECOS_FIELDS, &g), 0);
	assert_false(g.has_nft);
	assert_int_equal(parse("wallet=0x" W40 ",nft=1,nft=2", BH_GECOS_FIELDS, &g), 0);
	assert_false(g.has_nft);
	assert_int_equal(parse("Bob,nft=42 , wallet=0X" W40, BH_GECOS_FIELDS, &g), 0);
	assert_true(g.has_nft && g.nft_id == 42);
	assert_int_equal(g.wallet[19], 0xaa);
}

static void test_hostile(void **state)
{
	(void)state;
	struct bh_gecos g;
	struct bh_buf b;
	struct bh_msg m = { "" };
	uint8_t a[20];

	/* too long: refused before it is looked at (4096 is the cap) */
	char *big = malloc(BH_GECOS_FIELD_MAX + 2);
	assert_non_null(big);
	memset(big, ',', BH_GECOS_FIELD_MAX + 1);
	memcpy(big, "wallet=0x" W40, 49);
	big[BH_GECOS_FIELD_MAX + 1] = '\0';
	assert_int_equal(bh_gecos_login_wallet(big, a, &m), BH_ERR_LIMIT);
	assert_string_equal(m.text, "GECOS field too long");
	assert_int_equal(parse(big, BH_GECOS_EXACT, &g), BH_ERR_LIMIT);
	big[BH_GECOS_FIELD_MAX] = '\0'; /* exactly at the cap: read */
	assert_int_equal(bh_gecos_login_wallet(big, a, &m), 0);
	free(big);
	/* a NUL inside the bytes (a C string could not carry it; a buffer can) */
	static const char nul[] = "wallet=0x" W40 ",nft=\0" "7";
	for (int rule = 0; rule < 2; rule++) {
		bh_buf_view(&b, nul, sizeof nul - 1);
		assert_int_equal(bh_gecos_parse(&b, rule ? BH_GECOS_FIELDS : BH_GECOS_EXACT, &g, &m),
				 BH_ERR_NUL);
		assert_int_equal(bh_buf_len(&b), sizeof nul - 1);
	}
	/* separators, controls and non-ASCII where the hex should be */
	assert_int_equal(parse("wallet=0x" W40 "\n,nft=1", BH_GECOS_EXACT, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x\xc3\xa9" "000000000000000000000000000000000000aa,nft=", BH_GECOS_FIELDS, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x" W40 ":/bin/sh", BH_GECOS_FIELDS, &g), BH_ERR_FORMAT);
	assert_int_equal(parse(",,,,", BH_GECOS_FIELDS, &g), BH_ERR_NOT_FOUND);
	assert_int_equal(parse("wallet=", BH_GECOS_FIELDS, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("wallet=0x", BH_GECOS_FIELDS, &g), BH_ERR_FORMAT);
	assert_int_equal(parse("xwallet=0x" W40, BH_GECOS_FIELDS, &g), BH_ERR_NOT_FOUND);
	/* ret untouched on failure */
	memset(&g, 0x5a, sizeof g);
	assert_int_equal(parse("wallet=0x" W40 ",nft=99999999999999999999", BH_GECOS_EXACT, &g),
			 BH_ERR_RANGE);
	assert_int_equal(g.wallet[0], 0x5a);
	assert_int_equal(bh_gecos_login_wallet(NULL, a, &m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_login_rule),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

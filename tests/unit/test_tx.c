/* SPDX-License-Identifier: MIT */
/* Unit tests: EIP-1559 and legacy transactions (sign, serialize, decode, recover). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "abi.h"
#include "err.h"
#include "hex.h"
#include "keccak.h"
#include "secp.h"
#include "tx.h"

/* anvil / hardhat dev account 0 (public test key) */
static const char DEV_KEY[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
static const char DEV_ADDR[] = "f39fd6e51aad88f6f4ce6ab8827279cfffb92266";

static size_t unhex(const char *h, uint8_t *out, size_t max)
{
	uint8_t *d = NULL;
	size_t n = 0;
	assert_int_equal(bh_hex_decode_alloc(h, max, &d, &n), 0);
	memcpy(out, d, n);
	free(d);
	return n;
}

/* The EIP-155 example transaction (from the EIP text). */
static void test_eip155_vector(void **state)
{
	(void)state;
	struct bh_tx tx;
	uint8_t priv[32], h[32], raw[200], addr[20], expect_addr[20];
	struct bh_buf b;
	char hx[400];

	memset(&tx, 0, sizeof(tx));
	memset(priv, 0x46, 32);
	tx.type = BH_TX_LEGACY;
	tx.chain_id = 1;
	tx.nonce = 9;
	bh_u256_from_u64(20000000000ull, tx.max_fee);
	tx.gas_limit = 21000;
	tx.has_to = true;
	memset(tx.to, 0x35, 20);
	bh_u256_from_u64(1000000000000000000ull, tx.value);

	bh_buf_init(&b, 4096);
	assert_int_equal(bh_tx_serialize_unsigned(&tx, &b), 0);
	bh_hex_encode(bh_buf_ptr(&b), bh_buf_len(&b), hx);
	assert_string_equal(hx, "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080");
	assert_int_equal(bh_tx_signing_hash(&tx, h), 0);
	bh_hex_encode(h, 32, hx);
	assert_string_equal(hx, "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");
	assert_int_equal(bh_tx_sign(&tx, priv), 0);
	assert_int_equal(tx.v, 37);
	bh_buf_reset(&b);
	assert_int_equal(bh_tx_serialize(&tx, &b), 0);
	bh_hex_encode(bh_buf_ptr(&b), bh_buf_len(&b), hx);
	assert_string_equal(hx,
		"f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025"
		"a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276"
		"a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83");

	/* decode it back and recover the sender */
	size_t n = bh_buf_len(&b);
	memcpy(raw, bh_buf_ptr(&b), n);
	struct bh_tx d;
	struct bh_msg m = { "" };
	assert_int_equal(bh_tx_decode(raw, n, &m, &d), 0);
	assert_int_equal(d.type, BH_TX_LEGACY);
	assert_int_equal(d.chain_id, 1);
	assert_int_equal(d.nonce, 9);
	assert_int_equal(d.y_parity, 0);
	assert_int_equal(bh_tx_recover_sender(&d, addr), 0);
	assert_int_equal(bh_eth_address_from_priv(priv, expect_addr), 0);
	assert_memory_equal(addr, expect_addr, 20);
	bh_tx_clear(&d);
	bh_tx_clear(&tx);
	bh_buf_done(&b);
}

static void make_1559(struct bh_tx *tx)
{
	memset(tx, 0, sizeof(*tx));
	tx->type = BH_TX_EIP1559;
	tx->chain_id = 31337;
	tx->nonce = 7;
	bh_u256_from_u64(1000000000ull, tx->max_priority_fee);
	bh_u256_from_u64(30000000000ull, tx->max_fee);
	tx->gas_limit = 100000;
	tx->has_to = true;
	memset(tx->to, 0x70, 20);
	bh_u256_from_u64(12345, tx->value);
	assert_int_equal(bh_tx_set_data(tx, (const uint8_t *)"\xb5\x10\x39\x1f\x00\x01", 6), 0);
}

static void test_1559_sign_roundtrip(void **state)
{
	(void)state;
	struct bh_tx tx, d;
	uint8_t priv[32], addr[20], dev[20], h1[32], h2[32];
	struct bh_buf b, b2;
	struct bh_msg m = { "" };

	unhex(DEV_KEY, priv, 32);
	unhex(DEV_ADDR, dev, 20);
	make_1559(&tx);
	assert_int_equal(bh_tx_serialize(&tx, NULL), BH_ERR_STATE); /* unsigned */
	assert_int_equal(bh_tx_sign(&tx, priv), 0);
	bh_buf_init(&b, 1 << 16);
	bh_buf_init(&b2, 1 << 16);
	assert_int_equal(bh_tx_serialize(&tx, &b), 0);
	assert_int_equal(bh_buf_ptr(&b)[0], 0x02);
	assert_int_equal(bh_tx_decode(bh_buf_ptr(&b), bh_buf_len(&b), &m, &d), 0);
	assert_int_equal(d.type, BH_TX_EIP1559);
	assert_int_equal(d.chain_id, 31337);
	assert_int_equal(d.nonce, 7);
	assert_int_equal(d.gas_limit, 100000);
	assert_int_equal(d.data_len, 6);
	assert_int_equal(bh_tx_recover_sender(&d, addr), 0);
	assert_memory_equal(addr, dev, 20);
	assert_int_equal(bh_tx_serialize(&d, &b2), 0);
	assert_int_equal(bh_buf_len(&b), bh_buf_len(&b2));
	assert_memory_equal(bh_buf_ptr(&b), bh_buf_ptr(&b2), bh_buf_len(&b));
	assert_int_equal(bh_tx_hash(&tx, h1), 0);
	bh_keccak256(bh_buf_ptr(&b), bh_buf_len(&b), h2);
	assert_memory_equal(h1, h2, 32);

	/* unsigned payload decodes with bh_tx_decode_unsigned, not bh_tx_decode */
	bh_buf_reset(&b2);
	assert_int_equal(bh_tx_serialize_unsigned(&tx, &b2), 0);
	struct bh_tx u;
	assert_int_equal(bh_tx_decode(bh_buf_ptr(&b2), bh_buf_len(&b2), &m, &u), BH_ERR_FORMAT);
	assert_int_equal(bh_tx_decode_unsigned(bh_buf_ptr(&b2), bh_buf_len(&b2), &m, &u), 0);
	assert_int_equal(bh_tx_signing_hash(&u, h1), 0);
	assert_int_equal(bh_tx_signing_hash(&tx, h2), 0);
	assert_memory_equal(h1, h2, 32);
	bh_tx_clear(&u);

	/* a tampered field changes the recovered sender */
	d.nonce++;
	assert_int_equal(bh_tx_recover_sender(&d, addr), 0);
	assert_memory_not_equal(addr, dev, 20);
	bh_tx_clear(&d);

	/* contract creation and a non-empty access list survive the round trip */
	tx.has_to = false;
	tx.access = calloc(2, sizeof(*tx.access));
	tx.naccess = 2;
	memset(tx.access[0].address, 0xaa, 20);
	tx.access[0].keys = calloc(2, 32);
	tx.access[0].nkeys = 2;
	tx.access[0].keys[1][31] = 1;
	memset(tx.access[1].address, 0xbb, 20);
	assert_int_equal(bh_tx_sign(&tx, priv), 0);
	bh_buf_reset(&b);
	assert_int_equal(bh_tx_serialize(&tx, &b), 0);
	assert_int_equal(bh_tx_decode(bh_buf_ptr(&b), bh_buf_len(&b), &m, &d), 0);
	assert_false(d.has_to);
	assert_int_equal(d.naccess, 2);
	assert_int_equal(d.access[0].nkeys, 2);
	assert_int_equal(d.access[0].keys[1][31], 1);
	assert_int_equal(d.access[1].nkeys, 0);
	assert_int_equal(bh_tx_recover_sender(&d, addr), 0);
	assert_memory_equal(addr, dev, 20);
	bh_tx_clear(&d);

	bh_tx_clear(&tx);
	bh_buf_done(&b);
	bh_buf_done(&b2);
}

/* Re-serialize a tx with one field replaced by raw RLP bytes and expect rejection. */
static void test_malformed(void **state)
{
	(void)state;
	static const struct { const char *hex; int want; } bad[] = {
		{ "", BH_ERR_INCOMPLETE },
		{ "01c0", BH_ERR_UNSUPPORTED },              /* EIP-2930 */
		{ "03c0", BH_ERR_UNSUPPORTED },
		{ "02c0", BH_ERR_FORMAT },                   /* no fields */
		{ "0280", BH_ERR_FORMAT },                   /* not a list */
		/* 12 fields with nonce 0x0007 (leading zero) */
		{ "02d0827a69820007808080808080c0800101", BH_ERR_FORMAT },
		/* to of 3 bytes */
		{ "02d1827a6907808080830102038080c0800101", BH_ERR_FORMAT },
		/* y_parity 2 */
		{ "02ce827a6907808080808080c0020101", BH_ERR_RECOVERY_ID },
		/* access list entry malformed */
		{ "02d0827a6907808080808080c2c180800101", BH_ERR_FORMAT },
		/* trailing byte after the list */
		{ "02ce827a6907808080808080c080010100", BH_ERR_TRAILING },
		/* legacy with v = 30 */
		{ "c98080808080801e0101", BH_ERR_RECOVERY_ID },
		/* legacy with 8 fields */
		{ "c88080808080801b01", BH_ERR_FORMAT },
		/* chain id beyond 64 bits */
		{ "02d58901000000000000000007808080808080c0800101", BH_ERR_RANGE },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t buf[256];
		size_t n = *bad[i].hex ? unhex(bad[i].hex, buf, sizeof(buf)) : 0;
		struct bh_tx d;
		struct bh_msg m = { "" };
		int r = bh_tx_decode(buf, n, &m, &d);
		if (r != bad[i].want)
			fail_msg("case %zu (%s): got %d (%s), want %d", i, bad[i].hex, r, m.text, bad[i].want);
		assert_true(m.text[0] != '\0');
	}
}

static void test_high_s_rejected(void **state)
{
	(void)state;
	/* a signed tx whose s is replaced by n - s (a valid but high-S signature) */
	static const uint8_t N[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
	};
	struct bh_tx tx;
	uint8_t priv[32], addr[20];
	unhex(DEV_KEY, priv, 32);
	make_1559(&tx);
	assert_int_equal(bh_tx_sign(&tx, priv), 0);
	int borrow = 0;
	for (int i = 31; i >= 0; i--) {
		int x = N[i] - tx.s[i] - borrow;
		borrow = x < 0;
		tx.s[i] = (uint8_t)(x + (borrow ? 256 : 0));
	}
	tx.y_parity ^= 1;
	assert_int_equal(bh_tx_recover_sender(&tx, addr), BH_ERR_HIGH_S);
	bh_tx_clear(&tx);
}

static void test_legacy_pre155(void **state)
{
	(void)state;
	struct bh_tx tx, d;
	uint8_t priv[32], addr[20], dev[20];
	struct bh_buf b;

	unhex(DEV_KEY, priv, 32);
	unhex(DEV_ADDR, dev, 20);
	memset(&tx, 0, sizeof(tx));
	tx.type = BH_TX_LEGACY;
	tx.gas_limit = 21000;
	bh_u256_from_u64(1, tx.max_fee);
	assert_int_equal(bh_tx_sign(&tx, priv), 0);
	assert_true(tx.v == 27 || tx.v == 28);
	bh_buf_init(&b, 4096);
	assert_int_equal(bh_tx_serialize(&tx, &b), 0);
	assert_int_equal(bh_tx_decode(bh_buf_ptr(&b), bh_buf_len(&b), NULL, &d), 0);
	assert_int_equal(d.chain_id, 0);
	assert_false(d.has_to);
	assert_int_equal(bh_tx_recover_sender(&d, addr), 0);
	assert_memory_equal(addr, dev, 20);
	bh_tx_clear(&d);
	bh_tx_clear(&tx);
	bh_buf_done(&b);
}

static void test_json(void **state)
{
	(void)state;
	static const struct { const char *json, *needle; int want; } bad[] = {
		{ "[]", "expected a JSON object", BH_ERR_WRONG_TYPE },
		{ "{\"chainId\":1,\"nonce\":0,\"maxPriorityFeePerGas\":1,\"maxFeePerGas\":2,\"gasLimit\":21000}",
		  "tx field to: missing", BH_ERR_MISSING_KEY },
		{ "{\"chainId\":1,\"nonce\":0,\"maxPriorityFeePerGas\":1,\"maxFeePerGas\":2,\"gasLimit\":21000,\"to\":null,\"gas\":1}",
		  "tx field gas: not a field", BH_ERR_FORMAT },
		{ "{\"type\":0,\"chainId\":1,\"nonce\":0,\"maxFeePerGas\":2,\"gasLimit\":21000,\"to\":null}",
		  "tx field maxFeePerGas: not a field", BH_ERR_FORMAT },
		{ "{\"type\":1,\"chainId\":1}", "tx field type", BH_ERR_UNSUPPORTED },
		{ "{\"chainId\":-1,\"nonce\":0,\"maxPriorityFeePerGas\":1,\"maxFeePerGas\":2,\"gasLimit\":21000,\"to\":null}",
		  "tx field chainId", BH_ERR_RANGE },
		{ "{\"chainId\":\"0x10000000000000000\",\"nonce\":0,\"maxPriorityFeePerGas\":1,\"maxFeePerGas\":2,\"gasLimit\":21000,\"to\":null}",
		  "tx field chainId: larger than 64 bits", BH_ERR_RANGE },
		{ "{\"chainId\":1,\"nonce\":\"01\",\"maxPriorityFeePerGas\":1,\"maxFeePerGas\":2,\"gasLimit\":21000,\"to\":null}",
		  "tx field nonce", BH_ERR_FORMAT },
		{ "{\"chainId\":1,\"nonce\":0,\"maxPriorityFeePerGas\":1,\"maxFeePerGas\":2,\"gasLimit\":21000,\"to\":\"0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266\"}",
		  "EIP-55 checksum mismatch", BH_ERR_CHECKSUM },
		{ "{\"chainId\":1,\"nonce\":0,\"maxPriorityFeePerGas\":1,\"maxFeePerGas\":2,\"gasLimit\":21000,\"to\":\"0x1234\"}",
		  "tx field to", BH_ERR_LENGTH },
		{ "{\"chainId\":1,\"nonce\":0,\"maxPriorityFeePerGas\":1,\"maxFeePerGas\":2,\"gasLimit\":21000,\"to\":null,\"data\":\"abcd\"}",
		  "tx field data", BH_ERR_HEX },
		{ "{\"chainId\":1,\"nonce\":0,\"maxPriorityFeePerGas\":1,\"maxFeePerGas\":2,\"gasLimit\":21000,\"to\":null,\"accessList\":[{\"address\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\"}]}",
		  "tx field accessList[0]", BH_ERR_FORMAT },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_error_t je;
		json_t *j = json_loads(bad[i].json, 0, &je);
		struct bh_tx tx;
		struct bh_msg m = { "" };
		if (!j)
			fail_msg("case %zu: test JSON invalid: %s", i, je.text);
		int r = bh_tx_from_json(j, &m, &tx);
		if (r != bad[i].want || !strstr(m.text, bad[i].needle))
			fail_msg("case %zu: got %d '%s', want %d '%s'", i, r, m.text, bad[i].want, bad[i].needle);
		json_decref(j);
	}

	/* a good request: sign, then the JSON view shows the fields and the sender */
	json_error_t je;
	json_t *j = json_loads("{\"chainId\":\"0x7a69\",\"nonce\":3,\"maxPriorityFeePerGas\":\"1000000000\","
			       "\"maxFeePerGas\":\"20000000000\",\"gasLimit\":21000,"
			       "\"to\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"value\":\"1\","
			       "\"data\":\"0x\",\"accessList\":[{\"address\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\","
			       "\"storageKeys\":[\"0x0000000000000000000000000000000000000000000000000000000000000001\"]}]}",
			       0, &je);
	struct bh_tx tx;
	struct bh_msg m = { "" };
	uint8_t priv[32];
	assert_non_null(j);
	assert_int_equal(bh_tx_from_json(j, &m, &tx), 0);
	json_decref(j);
	assert_int_equal(tx.chain_id, 31337);
	assert_true(tx.has_to);
	assert_int_equal(tx.naccess, 1);
	unhex(DEV_KEY, priv, 32);
	assert_int_equal(bh_tx_sign(&tx, priv), 0);
	json_t *o = bh_tx_to_json(&tx);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "from")), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
	assert_string_equal(json_string_value(json_object_get(o, "chainId")), "31337");
	assert_string_equal(json_string_value(json_object_get(o, "maxFeePerGas")), "20000000000");
	assert_int_equal(json_array_size(json_object_get(o, "accessList")), 1);
	/* and the JSON view parses back (minus the signature fields) to the same signing hash */
	json_t *f = json_deep_copy(o);
	static const char *sigkeys[] = { "yParity", "r", "s", "from", "hash" };
	for (size_t i = 0; i < 5; i++)
		json_object_del(f, sigkeys[i]);
	struct bh_tx back;
	uint8_t h1[32], h2[32];
	assert_int_equal(bh_tx_from_json(f, &m, &back), 0);
	assert_int_equal(bh_tx_signing_hash(&tx, h1), 0);
	assert_int_equal(bh_tx_signing_hash(&back, h2), 0);
	assert_memory_equal(h1, h2, 32);
	bh_tx_clear(&back);
	json_decref(f);
	json_decref(o);
	bh_tx_clear(&tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eip155_vector),
		cmocka_unit_test(test_1559_sign_roundtrip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_high_s_rejected),
		cmocka_unit_test(test_legacy_pre155),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

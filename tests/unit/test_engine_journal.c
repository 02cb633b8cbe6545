/* SPDX-License-Identifier: MIT */
/*
 * Unit tests: the engine's cursor (push, rewind, lookup, strict parse, save/load), the
 * subscription records (validation per state, keys, save/load), the durability batch, and the eth_getLogs
 * range policy (halve on refusal, grow back after successes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/manifest.h"
#include "../../src/engine/journal.h"

static void test_cursor(void **state)
{
	(void)state;
	struct eng_cursor c, back;
	struct bh_msg m = { "" };
	uint8_t h[32];
	char dir[] = "/tmp/bh-eng-XXXXXX", path[64];

	memset(&c, 0, sizeof(c));
	for (uint64_t n = 1; n <= ENG_CURSOR_HASHES + 10; n++) {
		memset(h, (int)n, 32);
		eng_cursor_push(&c, n, h);
		c.block = n;
	}
	assert_int_equal(c.nhashes, ENG_CURSOR_HASHES);
	assert_null(eng_cursor_hash(&c, 10));                    /* oldest dropped */
	assert_int_equal(eng_cursor_hash(&c, 100)[0], 100);
	eng_cursor_rewind(&c, 100);
	assert_int_equal(c.block, 100);
	assert_null(eng_cursor_hash(&c, 101));
	memset(h, 0xee, 32);
	eng_cursor_push(&c, 100, h);                             /* replaces block 100 */
	assert_int_equal(eng_cursor_hash(&c, 100)[0], 0xee);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cursor.json", dir);
	assert_int_equal(eng_cursor_load(path, &back, &m), -ENOENT);
	c.chain_id = 31337;
	memset(c.contract, 0xab, 20);
	assert_int_equal(eng_cursor_save(path, &c, &m), 0);
	assert_int_equal(eng_cursor_load(path, &back, &m), 0);
	assert_int_equal(back.block, 100);
	assert_int_equal(back.nhashes, c.nhashes);
	assert_memory_equal(back.hashes, c.hashes, sizeof(c.hashes[0]) * c.nhashes);
	unlink(path);
	rmdir(dir);

	const char *bad[] = {
		"{\"chain_id\":1,\"block\":1,\"contract\":\"0x12\",\"hashes\":[]}",
		"{\"chain_id\":1,\"block\":1,\"contract\":\"0xabababababababababababababababababababab\",\"hashes\":[{\"n\":2,\"hash\":\"0x1111111111111111111111111111111111111111111111111111111111111111\"}]}",
		"{\"chain_id\":-1,\"block\":1,\"contract\":\"0xabababababababababababababababababababab\",\"hashes\":[]}",
		"{\"chain_id\":1,\"chain_id\":1}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m.text[0] = 0;
		assert_true(eng_cursor_parse(bad[i], strlen(bad[i]), &back, &m) < 0);
		assert_true(m.text[0]);
	}
}

static json_t *rec_seen(void)
{
	json_t *r = json_pack("{s:I, s:s, s:s, s:[], s:i, s:{s:i, s:s, s:s, s:i}, s:s, s:i, s:s}",
			      "id", (json_int_t)7, "state", "seen", "vm", "blockhost-007", "ops",
			      "attempts", 0, "event", "block", 3, "block_hash",
			      "0x1111111111111111111111111111111111111111111111111111111111111111", "tx",
			      "0x2222222222222222222222222222222222222222222222222222222222222222",
			      "log_index", 4, "subscriber", "0xabababababababababababababababababababab",
			      "expires_at", 1800000000, "user_encrypted", "0x04ff");
	assert_non_null(r);
	return r;
}

static void test_records(void **state)
{
	(void)state;
	struct bh_msg m = { "" };
	json_t *r = rec_seen(), *back = NULL;
	char key[160], dir[] = "/tmp/bh-eng-XXXXXX", path[80];
	uint8_t bh[32], th[32];

	assert_int_equal(eng_sub_validate(r, &m), 0);
	assert_int_equal(eng_sub_id(r), 7);
	assert_int_equal(eng_sub_state(r), ENG_SEEN);
	memset(bh, 0x11, 32);
	memset(th, 0x22, 32);
	eng_log_key(bh, th, 4, key);
	assert_true(eng_sub_has_key(r, key));
	eng_log_key(bh, th, 5, key);
	assert_false(eng_sub_has_key(r, key));
	json_array_append_new(json_object_get(r, "ops"),
			      json_pack("{s:s, s:s, s:b}", "key", key, "kind", "cancel", "done", 0));
	assert_int_equal(eng_sub_validate(r, &m), 0);
	assert_true(eng_sub_has_key(r, key));

	/* a state needs what its step produced */
	eng_sub_set_state(r, ENG_CREATED);
	assert_int_equal(eng_sub_validate(r, &m), BH_ERR_MISSING_KEY);
	json_object_set_new(r, "create", json_pack("{s:s, s:i, s:s}", "host", "127.0.0.1", "port", 22001,
						   "username", "user"));
	assert_int_equal(eng_sub_validate(r, &m), 0);
	eng_sub_set_state(r, ENG_MINTED);
	assert_int_equal(eng_sub_validate(r, &m), BH_ERR_MISSING_KEY);
	json_object_set_new(r, "token_id", json_integer(0));
	assert_int_equal(eng_sub_validate(r, &m), 0);
	json_object_set_new(r, "mint", json_pack("{s:i, s:[]}", "nonce", 1, "raws"));
	assert_int_equal(eng_sub_validate(r, &m), BH_ERR_FORMAT);   /* no raws */
	json_object_del(r, "mint");
	json_object_set_new(r, "vm", json_string("../x"));
	assert_int_equal(eng_sub_validate(r, &m), BH_ERR_FORMAT);
	json_object_set_new(r, "vm", json_string("blockhost-007"));
	json_object_set_new(r, "colour", json_string("red"));
	assert_int_equal(eng_sub_validate(r, &m), BH_ERR_FORMAT);
	json_object_del(r, "colour");

	assert_non_null(mkdtemp(dir));
	assert_int_equal(eng_sub_load(dir, 7, &back, &m), -ENOENT);
	assert_int_equal(eng_sub_save(dir, r, &m), 0);
	assert_int_equal(eng_sub_load(dir, 7, &back, &m), 0);
	assert_true(json_equal(r, back));
	json_decref(back);
	/* never write what would not read back */
	json_object_set_new(r, "state", json_string("flying"));
	assert_int_equal(eng_sub_save(dir, r, &m), BH_ERR_INTERNAL);
	snprintf(path, sizeof(path), "%s/7.json", dir);
	unlink(path);
	rmdir(dir);
	json_decref(r);

	assert_true(eng_state_terminal(ENG_REFUSED));
	assert_false(eng_state_terminal(ENG_DONE));
	enum eng_state s;
	assert_int_equal(eng_state_parse("minting", &s), 0);
	assert_int_equal(s, ENG_MINTING);
	assert_string_equal(eng_state_name(ENG_GECOS), "gecos");
}

/* The ingest's durability batch: nothing is visible before the commit, everything after
 * it (small batches fsync each temp, big ones one syncfs); the last of two adds of one
 * record wins; an abort leaves no temp; a stale temp is cleaned up. */
static void test_batch(void **state)
{
	(void)state;
	struct bh_msg m = { "" };
	struct eng_batch b = ENG_BATCH_INIT;
	char dir[] = "/tmp/bh-eng-XXXXXX", path[96];
	json_t *back = NULL;

	assert_non_null(mkdtemp(dir));
	for (size_t round = 0; round < 2; round++) {
		size_t n = round ? 40 : 3;   /* below and above ENG_BATCH_FSYNC_EACH */
		assert_int_equal(eng_batch_begin(&b, dir, &m), 0);
		for (size_t i = 1; i <= n; i++) {
			json_t *r = rec_seen();
			json_object_set_new(r, "id", json_integer((json_int_t)(100 * round + i)));
			assert_int_equal(eng_batch_add(&b, r, &m), 0);
			json_decref(r);
		}
		json_t *again = rec_seen();
		json_object_set_new(again, "id", json_integer((json_int_t)(100 * round + 1)));
		eng_sub_set_state(again, ENG_REFUSED);
		assert_int_equal(eng_batch_add(&b, again, &m), 0);
		json_decref(again);
		assert_int_equal(eng_sub_load(dir, 100 * round + 1, &back, &m), -ENOENT);
		assert_int_equal(eng_batch_commit(&b, &m), 0);
		for (size_t i = 1; i <= n; i++) {
			assert_int_equal(eng_sub_load(dir, 100 * round + i, &back, &m), 0);
			assert_int_equal(eng_sub_state(back), i == 1 ? ENG_REFUSED : ENG_SEEN);
			json_decref(back);
		}
		assert_int_equal(eng_journal_cleanup_stale(dir), 0);   /* no temp left */
	}
	/* an invalid record is refused; an abort leaves nothing */
	assert_int_equal(eng_batch_begin(&b, dir, &m), 0);
	json_t *r = rec_seen();
	json_object_set_new(r, "id", json_integer(500));
	assert_int_equal(eng_batch_add(&b, r, &m), 0);
	json_object_set_new(r, "state", json_string("flying"));
	assert_int_equal(eng_batch_add(&b, r, &m), BH_ERR_INTERNAL);
	json_decref(r);
	eng_batch_abort(&b);
	eng_batch_abort(&b);   /* idempotent */
	assert_int_equal(eng_sub_load(dir, 500, &back, &m), -ENOENT);
	assert_int_equal(eng_journal_cleanup_stale(dir), 0);
	/* a temp left by a killed batch */
	snprintf(path, sizeof(path), "%s/.9.json.tmp.0123456789abcdef", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(eng_journal_cleanup_stale(dir), 1);
	for (int round = 0; round < 2; round++)
		for (int i = 1; i <= 40; i++) {
			snprintf(path, sizeof(path), "%s/%d.json", dir, 100 * round + i);
			unlink(path);
		}
	assert_int_equal(rmdir(dir), 0);
}

static void test_chunker(void **state)
{
	(void)state;
	struct eng_chunker c;
	eng_chunk_init(&c, 2000);
	assert_int_equal(c.cur, 2000);
	assert_true(eng_chunk_refused(&c));
	assert_int_equal(c.cur, 1000);
	for (int i = 0; i < 20; i++)
		(void)eng_chunk_refused(&c);
	assert_int_equal(c.cur, 1);
	assert_false(eng_chunk_refused(&c));       /* 1 block refused: not about the range */
	for (int i = 0; i < ENG_CHUNK_GROW_AFTER - 1; i++)
		eng_chunk_ok(&c);
	assert_int_equal(c.cur, 1);
	eng_chunk_ok(&c);
	assert_int_equal(c.cur, 2);
	for (int i = 0; i < 100 * ENG_CHUNK_GROW_AFTER; i++)
		eng_chunk_ok(&c);
	assert_int_equal(c.cur, 2000);             /* back to the maximum, never above */
	(void)eng_chunk_refused(&c);
	eng_chunk_ok(&c);                          /* a refusal resets the streak */
	assert_int_equal(c.cur, 1000);
}

/* the installed engine manifest passes the shared manifest loader (upstream.md §2.2) */
static void test_engine_manifest(void **state)
{
	(void)state;
	struct bh_manifest *mf = NULL;
	struct bh_msg m = { "" };
	const char *v;
	int r = bh_manifest_load_path(BH_MANIFEST_ENGINE, "src/engine/engine.json", &mf, &m);
	if (r)
		print_error("%s\n", m.text);
	assert_int_equal(r, 0);
	assert_string_equal(bh_manifest_name(mf), "evm");
	assert_int_equal(bh_manifest_constraint(mf, "address_pattern", &v), 0);
	assert_string_equal(v, "^0x[0-9a-fA-F]{40}$");
	assert_int_equal(bh_manifest_match(mf, "address_pattern", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), 0);
	assert_int_equal(bh_manifest_match(mf, "address_pattern", "0x1234"), BH_ERR_MISMATCH);
	bh_manifest_free(mf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_chunker),
		cmocka_unit_test(test_engine_manifest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

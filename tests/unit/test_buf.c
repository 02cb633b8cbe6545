/* SPDX-License-Identifier: MIT */
/* Unit tests: bounded buffer, hex codec, error strings, path resolver, keccak. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hex.h"
#include "eth/keccak.h"
#include "core/path.h"

static void test_get_put_roundtrip(void **state)
{
	(void)state;
	struct bh_buf b;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	char *s = NULL;

	bh_buf_init(&b, 64);
	assert_int_equal(bh_buf_put_u8(&b, 0xab), 0);
	assert_int_equal(bh_buf_put_u16(&b, 0x1234), 0);
	assert_int_equal(bh_buf_put_u32(&b, 0xdeadbeef), 0);
	assert_int_equal(bh_buf_put_u64(&b, 0x0102030405060708ull), 0);
	assert_int_equal(bh_buf_put_cstr(&b, "hi"), 0);
	assert_int_equal(bh_buf_len(&b), 1 + 2 + 4 + 8 + 2);
	assert_memory_equal(bh_buf_ptr(&b), "\xab\x12\x34\xde\xad\xbe\xef", 7);
	assert_int_equal(bh_buf_get_u8(&b, &u8), 0);
	assert_int_equal(u8, 0xab);
	assert_int_equal(bh_buf_get_u16(&b, &u16), 0);
	assert_int_equal(u16, 0x1234);
	assert_int_equal(bh_buf_get_u32(&b, &u32), 0);
	assert_int_equal(u32, 0xdeadbeef);
	assert_int_equal(bh_buf_get_u64(&b, &u64), 0);
	assert_true(u64 == 0x0102030405060708ull);
	assert_int_equal(bh_buf_expect_end(&b), BH_ERR_TRAILING);
	assert_int_equal(bh_buf_get_string(&b, 2, 16, &s), 0);
	assert_string_equal(s, "hi");
	free(s);
	assert_int_equal(bh_buf_expect_end(&b), 0);
	assert_int_equal(bh_buf_get_u8(&b, &u8), BH_ERR_INCOMPLETE);
	bh_buf_done(&b);
}

static void test_limits(void **state)
{
	(void)state;
	struct bh_buf b;
	uint8_t big[100] = { 0 };

	bh_buf_init(&b, 10);
	assert_int_equal(bh_buf_put(&b, big, 11), BH_ERR_LIMIT);
	assert_int_equal(bh_buf_len(&b), 0);
	assert_int_equal(bh_buf_put(&b, big, 10), 0);
	assert_int_equal(bh_buf_put_u8(&b, 1), BH_ERR_LIMIT);
	assert_int_equal(bh_buf_consume(&b, 4), 0);
	/* room freed by consuming can be reused */
	assert_int_equal(bh_buf_put(&b, big, 4), 0);
	assert_int_equal(bh_buf_len(&b), 10);
	assert_int_equal(bh_buf_consume(&b, 11), BH_ERR_INCOMPLETE);
	assert_int_equal(bh_buf_putf(&b, "x"), BH_ERR_LIMIT);
	assert_int_equal(bh_buf_len(&b), 10); /* failed write left it unchanged */
	bh_buf_done(&b);
}

static void test_view_readonly(void **state)
{
	(void)state;
	struct bh_buf v;
	const uint8_t data[] = { 1, 2, 3, 0, 5 };
	const uint8_t *p;
	char *s = NULL;

	bh_buf_view(&v, data, sizeof(data));
	assert_int_equal(bh_buf_put_u8(&v, 1), -EROFS);
	assert_int_equal(bh_buf_peek_at(&v, 3, 2, &p), 0);
	assert_int_equal(p[1], 5);
	assert_int_equal(bh_buf_peek_at(&v, 4, 2, &p), BH_ERR_INCOMPLETE);
	assert_int_equal(bh_buf_peek_at(&v, SIZE_MAX, 2, &p), BH_ERR_INCOMPLETE);
	assert_int_equal(bh_buf_get_string(&v, 5, 16, &s), BH_ERR_NUL);
	assert_int_equal(bh_buf_get_string(&v, 3, 2, &s), BH_ERR_LIMIT);
	assert_int_equal(bh_buf_len(&v), 5); /* failures consumed nothing */
	assert_int_equal(bh_buf_get_direct(&v, 3, &p), 0);
	assert_int_equal(p[2], 3);
	assert_int_equal(bh_buf_len(&v), 2);
	bh_buf_done(&v);
	assert_non_null(data);
}

/* Random sequences of operations against a shadow model (invariant test). */
static void test_random_ops(void **state)
{
	(void)state;
	struct bh_buf b;
	uint8_t model[512], tmp[64];
	size_t mlen = 0;

	srand(12345);
	bh_buf_init(&b, sizeof(model));
	for (int i = 0; i < 200000; i++) {
		int op = rand() % 4;
		size_t n = (size_t)(rand() % 64);
		for (size_t j = 0; j < n; j++)
			tmp[j] = (uint8_t)rand();
		if (op == 0 || op == 1) {
			int r = bh_buf_put(&b, tmp, n);
			if (mlen + n > sizeof(model)) {
				assert_int_equal(r, BH_ERR_LIMIT);
			} else {
				assert_int_equal(r, 0);
				memcpy(model + mlen, tmp, n);
				mlen += n;
			}
		} else if (op == 2) {
			uint8_t out[64];
			int r = bh_buf_get_bytes(&b, out, n);
			if (n > mlen) {
				assert_int_equal(r, BH_ERR_INCOMPLETE);
			} else {
				assert_int_equal(r, 0);
				assert_memory_equal(out, model, n);
				memmove(model, model + n, mlen - n);
				mlen -= n;
			}
		} else {
			size_t k = n > mlen ? mlen : n;
			assert_int_equal(bh_buf_truncate(&b, mlen - k), 0);
			mlen -= k;
		}
		assert_int_equal(bh_buf_len(&b), mlen);
		if (mlen)
			assert_memory_equal(bh_buf_ptr(&b), model, mlen);
		assert_true(bh_buf_avail(&b) == sizeof(model) - mlen);
	}
	bh_buf_done(&b);
}

static void test_load_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/bhbufXXXXXX", path[128], link[128];
	struct bh_buf b;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(link, sizeof(link), "%s/l", dir);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	assert_int_equal(symlink(path, link), 0);

	bh_buf_init(&b, 10);
	assert_int_equal(bh_buf_load_file(&b, path), 0);
	assert_int_equal(bh_buf_len(&b), 10);
	bh_buf_done(&b);
	bh_buf_init(&b, 9);
	assert_int_equal(bh_buf_load_file(&b, path), BH_ERR_LIMIT);
	bh_buf_done(&b);
	/* read_fd_all over the cap: BH_ERR_LIMIT and the buffer unchanged */
	bh_buf_init(&b, 12);
	assert_int_equal(bh_buf_put(&b, "ab", 2), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(bh_buf_read_fd_all(&b, fd), 0); /* 2 + 10 fits exactly */
	assert_int_equal(bh_buf_len(&b), 12);
	close(fd);
	bh_buf_done(&b);
	bh_buf_init(&b, 10);
	assert_int_equal(bh_buf_put(&b, "xyz", 3), 0);
	fd = open(path, O_RDONLY);
	assert_int_equal(bh_buf_read_fd_all(&b, fd), BH_ERR_LIMIT);
	close(fd);
	assert_int_equal(bh_buf_len(&b), 3);
	assert_memory_equal(bh_buf_ptr(&b), "xyz", 3);
	bh_buf_done(&b);
	/* a FIFO at the path does not hang the loader */
	char fifo[160];
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	bh_buf_init(&b, 100);
	assert_int_equal(bh_buf_load_file(&b, fifo), BH_ERR_UNSAFE_FILE);
	bh_buf_done(&b);
	unlink(fifo);
	/* forbidden mode bits */
	assert_int_equal(chmod(path, 0666), 0);
	bh_buf_init(&b, 100);
	assert_int_equal(bh_buf_load_file_mode(&b, path, S_IWOTH), BH_ERR_UNSAFE_FILE);
	assert_int_equal(bh_buf_load_file_mode(&b, path, 0), 0);
	bh_buf_done(&b);
	bh_buf_init(&b, 100);
	assert_int_equal(bh_buf_load_file(&b, link), BH_ERR_UNSAFE_FILE);
	assert_int_equal(bh_buf_load_file(&b, dir), BH_ERR_UNSAFE_FILE);
	assert_int_equal(bh_buf_load_file(&b, "/nonexistent/x"), -ENOENT);
	bh_buf_done(&b);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

static void test_hex(void **state)
{
	(void)state;
	uint8_t out[4];
	char s[9];
	uint8_t *a = NULL;
	size_t al = 0;

	assert_int_equal(bh_hex_decode_exact("0xDEADbeef", out, 4), 0);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	bh_hex_encode(out, 4, s);
	assert_string_equal(s, "deadbeef");
	assert_int_equal(bh_hex_decode_exact("deadbee", out, 4), BH_ERR_LENGTH);
	assert_int_equal(bh_hex_decode_exact("deadbeeg", out, 4), BH_ERR_HEX);
	assert_int_equal(bh_hex_decode_exact("dead beef", out, 4), BH_ERR_LENGTH);
	assert_int_equal(bh_hex_decode_exact("0x0x0000", out, 4), BH_ERR_LENGTH);
	assert_int_equal(bh_hex_decode_exact("ze:d/G`@", out, 4), BH_ERR_HEX);
	/* every byte value: only [0-9a-fA-F] decode */
	for (int c = 0; c < 256; c++) {
		char h[3] = { (char)c, '0', 0 };
		uint8_t o;
		int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		assert_int_equal(bh_hex_decode_ct(h, 2, &o, 1) == 0, ok);
	}
	assert_int_equal(bh_hex_decode_alloc("0x0102", 2, &a, &al), 0);
	assert_int_equal(al, 2);
	free(a);
	assert_int_equal(bh_hex_decode_alloc("010203", 2, &a, &al), BH_ERR_LIMIT);
	char *e = bh_hex_encode_alloc((const uint8_t *)"\x01\xff", 2, true);
	assert_string_equal(e, "0x01ff");
	free(e);
}

static void test_err(void **state)
{
	(void)state;
	assert_string_equal(bh_strerror(0), "success");
	assert_string_equal(bh_strerror(BH_ERR_TRAILING), "unexpected trailing data");
	assert_string_equal(bh_strerror(-ENOENT), "No such file or directory");
	for (int r = -(BH_ERR_BASE); r > _BH_ERR_LAST; r--)
		assert_string_not_equal(bh_strerror(r), "unknown error");
	assert_string_equal(bh_strerror(_BH_ERR_LAST - 5), "unknown error");
	struct bh_msg m;
	bh_msg_set(&m, "key %s in %s", "a", "b");
	assert_string_equal(m.text, "key a in b");
	bh_msg_set(NULL, "ignored");
}

static void test_path(void **state)
{
	(void)state;
	char *p = NULL;

	unsetenv("BLOCKHOST_ROOT");
	unsetenv("BLOCKHOST_POLICY_DIR");
	assert_int_equal(bh_path(BH_DIR_STATE, "vms.json", &p), 0);
	assert_string_equal(p, "/var/lib/blockhost/vms.json");
	free(p);
	setenv("BLOCKHOST_ROOT", "/tmp/root", 1);
	assert_int_equal(bh_path(BH_DIR_ETC, NULL, &p), 0);
	assert_string_equal(p, "/tmp/root/etc/blockhost");
	free(p);
	assert_int_equal(bh_path(BH_DIR_PAM_RUN, "pending/x.json", &p), 0);
	assert_string_equal(p, "/tmp/root/run/libpam-web3/pending/x.json");
	free(p);
	setenv("BLOCKHOST_POLICY_DIR", "/src/policy", 1);
	assert_int_equal(bh_path(BH_DIR_POLICY, "keystore.conf", &p), 0);
	assert_string_equal(p, "/src/policy/keystore.conf");
	free(p);
	assert_int_equal(bh_path(BH_DIR_ETC, "../etc/shadow", &p), -EINVAL);
	assert_int_equal(bh_path(BH_DIR_ETC, "a/../../x", &p), -EINVAL);
	assert_int_equal(bh_path(BH_DIR_ETC, "/abs", &p), -EINVAL);
	assert_int_equal(bh_path(_BH_DIR_MAX, NULL, &p), -EINVAL);
	unsetenv("BLOCKHOST_ROOT");
	unsetenv("BLOCKHOST_POLICY_DIR");
}

static void test_keccak(void **state)
{
	(void)state;
	uint8_t d[32];
	char h[65];
	struct bh_keccak k;

	bh_keccak256("", 0, d);
	bh_hex_encode(d, 32, h);
	assert_string_equal(h, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	bh_sha3_256("", 0, d);
	bh_hex_encode(d, 32, h);
	assert_string_equal(h, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
	/* incremental == one-shot across block boundaries */
	uint8_t msg[1000], d2[32];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7);
	for (size_t split = 0; split < sizeof(msg); split += 37) {
		bh_keccak256_init(&k);
		bh_keccak_update(&k, msg, split);
		bh_keccak_update(&k, msg + split, sizeof(msg) - split);
		bh_keccak_final(&k, d);
		bh_keccak256(msg, sizeof(msg), d2);
		assert_memory_equal(d, d2, 32);
	}
	/* topic0 of SubscriptionCreated (upstream.md §6.1) */
	const char *ev = "SubscriptionCreated(uint256,uint256,address,uint256,uint256,address,bytes)";
	bh_keccak256(ev, strlen(ev), d);
	bh_hex_encode(d, 32, h);
	assert_string_equal(h, "f8d0042297eb90d4c0e69b16b80a93bdee5b71f0a963a1961a4de8c551958b55");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_put_roundtrip),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_view_readonly),
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_err),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_keccak),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

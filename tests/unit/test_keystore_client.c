/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the keystore client library (keystore_client.h) against a scripted
 * server thread on a temporary unix socket: request encoding, typed results, and the
 * mapping of refusals and malformed responses to errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "eth/eth.h"
#include "core/frame.h"
#include "core/hex.h"
#include "host/keystore_client.h"
#include "eth/secp.h"

struct srv {
	int lfd;
	char path[108];
	const char *reply;      /* raw JSON sent back */
	json_t *got;            /* the request received */
	pthread_t th;
};

static void *serve_one(void *arg)
{
	struct srv *s = arg;
	int fd = accept(s->lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	if (bh_frame_read_json(fd, 1 << 20, 5000, &s->got) == 0)
		(void)bh_frame_write(fd, s->reply, strlen(s->reply), 5000);
	close(fd);
	return NULL;
}

static void srv_start(struct srv *s, const char *reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memset(s, 0, sizeof(*s));
	snprintf(s->path, sizeof(s->path), "/tmp/bhks-client-%d.sock", (int)getpid());
	unlink(s->path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	s->reply = reply;
	assert_int_equal(pthread_create(&s->th, NULL, serve_one, s), 0);
}

static void srv_stop(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
	unlink(s->path);
	json_decref(s->got);
}

static const char *got_str(struct srv *s, const char *key)
{
	return json_string_value(json_object_get(s->got, key));
}

static void test_address(void **state)
{
	(void)state;
	struct srv s;
	struct bh_keystore_client c;
	struct bh_msg m = { "" };
	uint8_t a[20];
	srv_start(&s, "{\"ok\":true,\"address\":\"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\",\"op\":\"address\"}");
	assert_int_equal(bh_keystore_client_init(&c, s.path), 0);
	assert_int_equal(bh_keystore_address(&c, a, &m), 0);
	assert_int_equal(a[0], 0x5a);
	srv_stop(&s);
	bh_keystore_client_done(&c);
}

static void test_refusals(void **state)
{
	(void)state;
	struct srv s;
	struct bh_keystore_client c;
	struct bh_msg m = { "" };
	uint8_t a[20], sig[65];
	struct bh_buf pt;

	srv_start(&s, "{\"ok\":false,\"error\":\"denied\",\"rule\":\"socket\",\"message\":\"uid 5 is not allowed\"}");
	assert_int_equal(bh_keystore_client_init(&c, s.path), 0);
	assert_int_equal(bh_keystore_address(&c, a, &m), BH_ERR_DENIED);
	assert_non_null(strstr(m.text, "rule socket"));
	assert_non_null(strstr(m.text, "uid 5 is not allowed"));
	srv_stop(&s);

	srv_start(&s, "{\"ok\":false,\"error\":\"decrypt\",\"message\":\"tag\"}");
	bh_buf_init(&pt, 1024);
	assert_int_equal(bh_keystore_ecies_decrypt(&c, (const uint8_t *)"\x04\x01", 2, &pt, &m),
			 BH_ERR_DECRYPT);
	assert_string_equal(got_str(&s, "ciphertext"), "0x0401");
	bh_buf_done(&pt);
	srv_stop(&s);

	srv_start(&s, "{\"ok\":false,\"error\":\"bad_request\",\"message\":\"ecies_decrypt: invalid format\"}");
	bh_buf_init(&pt, 1024);
	assert_int_equal(bh_keystore_ecies_decrypt(&c, (const uint8_t *)"\x05", 1, &pt, &m),
			 BH_ERR_FORMAT);
	bh_buf_done(&pt);
	srv_stop(&s);

	/* malformed answers */
	srv_start(&s, "{\"ok\":true,\"address\":\"0x1234\"}");
	assert_int_equal(bh_keystore_address(&c, a, &m), BH_ERR_PEER);
	srv_stop(&s);
	srv_start(&s, "{\"ok\":true,\"signature\":\"0xzz\"}");
	assert_int_equal(bh_keystore_personal_sign(&c, "hi", 2, sig, &m), BH_ERR_PEER);
	assert_string_equal(got_str(&s, "message_hex"), "0x6869");
	srv_stop(&s);
	srv_start(&s, "[1]");
	assert_true(bh_keystore_address(&c, a, &m) < 0);
	srv_stop(&s);
	bh_keystore_client_done(&c);

	/* no server */
	assert_int_equal(bh_keystore_client_init(&c, "/tmp/bhks-client-none.sock"), 0);
	assert_int_equal(bh_keystore_address(&c, a, &m), -ENOENT);
	bh_keystore_client_done(&c);
}

static void test_sign_tx_encoding(void **state)
{
	(void)state;
	struct srv s;
	struct bh_keystore_client c;
	struct bh_msg m = { "" };
	struct bh_keystore_tx tx = { .chain_id = 31337, .nonce = 7, .gas_limit = 21000, .has_to = 1 };
	struct bh_buf raw;
	uint8_t hash[32];
	tx.max_fee[31] = 0x10;
	tx.max_priority_fee[30] = 0x01;
	tx.value[23] = 0x01; /* 2^64 */
	memset(tx.to, 0xab, 20);
	tx.data = (const uint8_t *)"\x01\x02";
	tx.data_len = 2;
	srv_start(&s, "{\"ok\":true,\"from\":\"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\",\"raw\":\"0x02c0\","
		  "\"hash\":\"0x1111111111111111111111111111111111111111111111111111111111111111\"}");
	assert_int_equal(bh_keystore_client_init(&c, s.path), 0);
	bh_buf_init(&raw, 1024);
	assert_int_equal(bh_keystore_sign_tx(&c, &tx, &raw, hash, &m), 0);
	assert_int_equal(bh_buf_len(&raw), 2);
	assert_int_equal(hash[0], 0x11);
	assert_string_equal(got_str(&s, "op"), "sign_tx");
	assert_int_equal(json_integer_value(json_object_get(s.got, "chainId")), 31337);
	assert_int_equal(json_integer_value(json_object_get(s.got, "nonce")), 7);
	assert_string_equal(got_str(&s, "maxFeePerGas"), "0x10");
	assert_string_equal(got_str(&s, "maxPriorityFeePerGas"), "0x100");
	assert_string_equal(got_str(&s, "value"), "0x10000000000000000");
	assert_string_equal(got_str(&s, "to"), "0xabababababababababababababababababababab");
	assert_string_equal(got_str(&s, "data"), "0x0102");
	srv_stop(&s);
	/* deployment: no "to" */
	tx.has_to = 0;
	srv_start(&s, "{\"ok\":false,\"error\":\"denied\",\"rule\":\"deployment\",\"message\":\"closed\"}");
	assert_int_equal(bh_keystore_sign_tx(&c, &tx, &raw, hash, &m), BH_ERR_DENIED);
	assert_null(json_object_get(s.got, "to"));
	assert_non_null(strstr(m.text, "deployment"));
	srv_stop(&s);
	bh_buf_done(&raw);
	bh_keystore_client_done(&c);
}

static void test_pubkeys_tls(void **state)
{
	(void)state;
	struct srv s;
	struct bh_keystore_client c;
	struct bh_msg m = { "" };
	uint8_t a[20], e[65], t[65], der[72];
	size_t n = 0;
	char reply[512];
	char h65[131];
	memset(e, 0x04, 65);
	bh_hex_encode(e, 65, h65);
	snprintf(reply, sizeof(reply), "{\"ok\":true,\"address\":\"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\","
		 "\"ecies_pubkey\":\"0x%s\",\"tls_pubkey\":\"0x%s\"}", h65, h65);
	srv_start(&s, reply);
	assert_int_equal(bh_keystore_client_init(&c, s.path), 0);
	assert_int_equal(bh_keystore_pubkeys(&c, a, e, t, &m), 0);
	assert_int_equal(t[64], 0x04);
	srv_stop(&s);
	srv_start(&s, "{\"ok\":true,\"signature\":\"0x3006020101020101\"}");
	uint8_t dig[32] = { 0 };
	assert_int_equal(bh_keystore_tls_sign(&c, dig, 32, der, &n, &m), 0);
	assert_int_equal(n, 8);
	assert_int_equal(der[0], 0x30);
	srv_stop(&s);
	bh_keystore_client_done(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_sign_tx_encoding),
		cmocka_unit_test(test_pubkeys_tls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

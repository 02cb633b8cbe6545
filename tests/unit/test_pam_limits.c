/* SPDX-License-Identifier: MIT */
/*
 * web3-auth-svc's connection accounting (IPv4 address / IPv6 /64 groups, the share per
 * group, the reserve for new clients) and its log rate limiter, with synthetic addresses
 * (issue 11 item 3; the real service is tested in test_pam_svc_limits.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "core/err.h"
#include "pw3.h"

static struct pw3_conn_key key_of(const char *addr)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct pw3_conn_key k;
	if (inet_pton(AF_INET, addr, &s4.sin_addr) == 1) {
		assert_int_equal(pw3_conn_key((struct sockaddr *)&s4, sizeof(s4), &k), 0);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &s6.sin6_addr), 1);
		assert_int_equal(pw3_conn_key((struct sockaddr *)&s6, sizeof(s6), &k), 0);
	}
	return k;
}

static bool same(const char *a, const char *b)
{
	struct pw3_conn_key x = key_of(a), y = key_of(b);
	return !memcmp(&x, &y, sizeof(x));
}

static void test_groups(void **state)
{
	(void)state;
	/* one IPv6 /64 is one client, whatever its interface ids */
	assert_true(same("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"));
	assert_true(same("2001:db8:1:2::1", "2001:db8:1:2:1234:5678:9abc:def0"));
	assert_false(same("2001:db8:1:2::1", "2001:db8:1:3::1"));
	assert_false(same("2001:db8:1:2::1", "2001:db9:1:2::1"));
	assert_true(same("::1", "::2"));
	/* IPv4: per address; a dual-stack socket's ::ffff:a.b.c.d is that address */
	assert_false(same("127.0.0.1", "127.0.0.2"));
	assert_true(same("127.0.0.1", "::ffff:127.0.0.1"));
	assert_false(same("::ffff:127.0.0.1", "::ffff:127.0.0.2"));
	/* IPv4 and an IPv6 /64 whose bytes look alike are different groups */
	assert_false(same("0.0.0.0", "::"));
	/* anything else is refused, and short lengths too */
	struct sockaddr sa = { .sa_family = AF_UNIX };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct pw3_conn_key k;
	assert_int_equal(pw3_conn_key(&sa, sizeof(sa), &k), BH_ERR_FORMAT);
	assert_int_equal(pw3_conn_key((struct sockaddr *)&s6, sizeof(struct sockaddr_in), &k),
	                 BH_ERR_FORMAT);
	assert_int_equal(pw3_conn_key(NULL, 0, &k), BH_ERR_FORMAT);
}

static void test_share_and_reserve(void **state)
{
	static struct pw3_conn_table t;
	char a[64];
	(void)state;
	memset(&t, 0, sizeof(t));
	/* a /64 gets PW3_CONN_PER_GROUP however many addresses it uses */
	for (unsigned i = 0; i < 100; i++) {
		snprintf(a, sizeof(a), "2001:db8:0:1::%x", i + 1);
		struct pw3_conn_key k = key_of(a);
		if (pw3_conn_admit(&t, &k))
			assert_int_equal(pw3_conn_add(&t, &k), 0);
	}
	assert_int_equal(t.total, PW3_CONN_PER_GROUP);
	/* groups fill the shared part: PW3_CONN_MAX - PW3_CONN_RESERVED */
	for (unsigned g = 2; t.total < PW3_CONN_MAX - PW3_CONN_RESERVED; g++) {
		snprintf(a, sizeof(a), "2001:db8:0:%x::1", g);
		struct pw3_conn_key k = key_of(a);
		for (unsigned i = 0; i < PW3_CONN_PER_GROUP && pw3_conn_admit(&t, &k); i++)
			assert_int_equal(pw3_conn_add(&t, &k), 0);
	}
	assert_int_equal(t.total, PW3_CONN_MAX - PW3_CONN_RESERVED);
	/* a group with connections open gets no more; a new one still gets in, once */
	struct pw3_conn_key old = key_of("2001:db8:0:2::77"), fresh = key_of("198.51.100.7");
	assert_int_equal(pw3_conn_count(&t, &old), PW3_CONN_PER_GROUP);
	assert_true(pw3_conn_admit(&t, &fresh));
	assert_int_equal(pw3_conn_add(&t, &fresh), 0);
	assert_false(pw3_conn_admit(&t, &fresh));
	/* the reserve holds PW3_CONN_RESERVED first connections, then nothing */
	for (unsigned i = 1; i < PW3_CONN_RESERVED; i++) {
		snprintf(a, sizeof(a), "203.0.113.%u", i);
		struct pw3_conn_key k = key_of(a);
		assert_true(pw3_conn_admit(&t, &k));
		assert_int_equal(pw3_conn_add(&t, &k), 0);
	}
	assert_int_equal(t.total, PW3_CONN_MAX);
	struct pw3_conn_key late = key_of("192.0.2.1");
	assert_false(pw3_conn_admit(&t, &late));
	assert_int_equal(pw3_conn_add(&t, &late), BH_ERR_LIMIT);
	/* a closed connection frees its slot (for a new group only: we are in the reserve) */
	pw3_conn_remove(&t, &old);
	assert_int_equal(pw3_conn_count(&t, &old), PW3_CONN_PER_GROUP - 1);
	assert_false(pw3_conn_admit(&t, &old));
	assert_true(pw3_conn_admit(&t, &late));
	/* removing a key never added changes nothing */
	unsigned total = t.total;
	struct pw3_conn_key none = key_of("2001:db8:ffff::1");
	pw3_conn_remove(&t, &none);
	assert_int_equal(t.total, total);
	/* every connection closed: the table is empty again */
	for (int i = 0; i < PW3_CONN_MAX; i++)
		while (t.g[i].n) {
			struct pw3_conn_key k = t.g[i].key;
			pw3_conn_remove(&t, &k);
		}
	assert_int_equal(t.total, 0);
	assert_true(pw3_conn_admit(&t, &old));
}

static void test_ratelimit(void **state)
{
	static const char a[] = "kind a", b[] = "kind b";
	struct pw3_ratelimit rl = { .burst = 5, .interval = 60 };
	unsigned d = 99, printed = 0;
	(void)state;
	for (int i = 0; i < 1000; i++)
		if (pw3_ratelimit(&rl, a, 1000 + (uint64_t)i / 100, &d)) {
			assert_int_equal(d, 0);
			printed++;
		}
	assert_int_equal(printed, 5);
	/* another kind has its own budget */
	assert_true(pw3_ratelimit(&rl, b, 1009, &d));
	assert_int_equal(d, 0);
	/* the next interval: the first line reports how many were dropped */
	assert_true(pw3_ratelimit(&rl, a, 1060, &d));
	assert_int_equal(d, 995);
	assert_true(pw3_ratelimit(&rl, a, 1061, &d));
	assert_int_equal(d, 0);
	/* more kinds than entries share the last one: still bounded */
	printed = 0;
	for (uintptr_t i = 0; i < 10000; i++)
		if (pw3_ratelimit(&rl, (const void *)(i + 16), 2000, &d))
			printed++;
	assert_true(printed <= 5 * PW3_RL_KINDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_share_and_reserve),
		cmocka_unit_test(test_ratelimit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

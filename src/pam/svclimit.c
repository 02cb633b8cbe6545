/* SPDX-License-Identifier: MIT */
/*
 * web3-auth-svc's connection accounting by client group (IPv4 address, IPv6 /64) and
 * its log-line rate limiter (issue 11 item 3).  Pure bookkeeping, no sockets, so the
 * grouping is unit-tested with synthetic addresses (tests/unit/test_pam_limits.c).
 */
#include <netinet/in.h>
#include <string.h>

#include "pw3.h"

int pw3_conn_key(const struct sockaddr *sa, socklen_t len, struct pw3_conn_key *ret)
{
	struct pw3_conn_key k;

	memset(&k, 0, sizeof(k));
	if (!sa)
		return BH_ERR_FORMAT;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		k.b[0] = 4;
		memcpy(k.b + 1, &s4->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = s6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			/* a dual-stack socket's IPv4 client: the same group as over AF_INET */
			k.b[0] = 4;
			memcpy(k.b + 1, a + 12, 4);
		} else {
			k.b[0] = 6;
			memcpy(k.b + 1, a, 8);  /* the /64 */
		}
	} else {
		return BH_ERR_FORMAT;
	}
	*ret = k;
	return 0;
}

static int find(const struct pw3_conn_table *t, const struct pw3_conn_key *k)
{
	for (int i = 0; i < PW3_CONN_MAX; i++)
		if (t->g[i].n && !memcmp(&t->g[i].key, k, sizeof(*k)))
			return i;
	return -1;
}

unsigned pw3_conn_count(const struct pw3_conn_table *t, const struct pw3_conn_key *k)
{
	int i = find(t, k);
	return i < 0 ? 0 : t->g[i].n;
}

bool pw3_conn_admit(const struct pw3_conn_table *t, const struct pw3_conn_key *k)
{
	unsigned n = pw3_conn_count(t, k);
	if (t->total >= PW3_CONN_MAX || n >= PW3_CONN_PER_GROUP)
		return false;
	/* the reserve: only a group's first connection may take one of the last slots */
	return n == 0 || t->total < PW3_CONN_MAX - PW3_CONN_RESERVED;
}

int pw3_conn_add(struct pw3_conn_table *t, const struct pw3_conn_key *k)
{
	int i = find(t, k), f = -1;
	if (t->total >= PW3_CONN_MAX)
		return BH_ERR_LIMIT;
	if (i < 0) {
		for (int j = 0; j < PW3_CONN_MAX && f < 0; j++)
			if (!t->g[j].n)
				f = j;
		if (f < 0)
			return BH_ERR_LIMIT;  /* cannot happen: total < PW3_CONN_MAX */
		t->g[f].key = *k;
		i = f;
	}
	t->g[i].n++;
	t->total++;
	return 0;
}

void pw3_conn_remove(struct pw3_conn_table *t, const struct pw3_conn_key *k)
{
	int i = find(t, k);
	if (i < 0)
		return;
	t->g[i].n--;
	t->total--;
	if (!t->g[i].n)
		memset(&t->g[i].key, 0, sizeof(t->g[i].key));
}

bool pw3_ratelimit(struct pw3_ratelimit *rl, const void *kind, uint64_t now,
                   unsigned *ret_suppressed)
{
	int i = 0;
	for (; i < PW3_RL_KINDS - 1; i++)
		if (rl->k[i].kind == kind || !rl->k[i].kind)
			break;
	if (!rl->k[i].kind) {
		rl->k[i].kind = kind;
		rl->k[i].start = now;
	}
	if (now >= rl->k[i].start + rl->interval || now < rl->k[i].start) {
		rl->k[i].start = now;  /* a new interval (or the clock went back) */
		rl->k[i].n = 0;
	}
	if (rl->k[i].n >= rl->burst) {
		if (rl->k[i].suppressed < UINT32_MAX)
			rl->k[i].suppressed++;
		return false;
	}
	rl->k[i].n++;
	*ret_suppressed = rl->k[i].suppressed;
	rl->k[i].suppressed = 0;
	return true;
}

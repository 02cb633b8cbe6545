/* SPDX-License-Identifier: MIT */
/*
 * The relay's per-client budget: a token bucket per client group (an IPv4 address, or an
 * IPv6 /64, the grouping web3-auth-svc's connection limits use: src/pam/svclimit.c; the
 * code is not shared because components do not include each other's headers, and what is
 * counted differs: calls over time here, open connections there).  SU_LIMIT_GROUPS
 * buckets; when all are in use the one idle longest is reused (a full bucket, so a flood
 * from many addresses costs each of them its own budget and no one else's).
 * Pure bookkeeping; the caller holds a lock.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "signup.h"

void su_limit_init(struct su_limit *l, unsigned per_minute, unsigned burst)
{
	memset(l, 0, sizeof(*l));
	l->per_minute = per_minute ? per_minute : 1;
	l->burst = burst ? burst : 1;
}

int su_limit_key(const struct sockaddr *sa, socklen_t len, struct su_limit_key *ret)
{
	struct su_limit_key k;

	memset(&k, 0, sizeof(k));
	if (!sa)
		return BH_ERR_FORMAT;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		k.b[0] = 4;
		memcpy(k.b + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			k.b[0] = 4;
			memcpy(k.b + 1, a->s6_addr + 12, 4);
		} else {
			k.b[0] = 6;
			memcpy(k.b + 1, a->s6_addr, 8);
		}
	} else {
		return BH_ERR_FORMAT;
	}
	*ret = k;
	return 0;
}

bool su_limit_take(struct su_limit *l, const struct su_limit_key *k, unsigned cost, double now)
{
	size_t i, idle = 0;
	double rate = (double)l->per_minute / 60.0;

	for (i = 0; i < SU_LIMIT_GROUPS; i++) {
		if (l->g[i].used && !memcmp(&l->g[i].key, k, sizeof(*k)))
			break;
		if (!l->g[i].used || (l->g[idle].used && l->g[i].last < l->g[idle].last))
			idle = i;
	}
	if (i == SU_LIMIT_GROUPS) {
		i = idle;
		l->g[i].used = true;
		l->g[i].key = *k;
		l->g[i].tokens = l->burst;
		l->g[i].last = now;
	}
	if (now > l->g[i].last) {
		l->g[i].tokens += (now - l->g[i].last) * rate;
		if (l->g[i].tokens > l->burst)
			l->g[i].tokens = l->burst;
	}
	l->g[i].last = now;
	if (l->g[i].tokens < (double)cost)
		return false;
	l->g[i].tokens -= cost;
	return true;
}

void su_limit_key_text(const struct su_limit_key *k, char *out, size_t outlen)
{
	char a[INET6_ADDRSTRLEN];
	uint8_t b[16] = { 0 };

	if (k->b[0] == 4) {
		inet_ntop(AF_INET, k->b + 1, a, sizeof(a));
		snprintf(out, outlen, "%s", a);
	} else {
		memcpy(b, k->b + 1, 8);
		inet_ntop(AF_INET6, b, a, sizeof(a));
		snprintf(out, outlen, "%s/64", a);
	}
}

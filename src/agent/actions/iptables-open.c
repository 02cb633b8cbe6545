/* SPDX-License-Identifier: MIT */
/*
 * iptables-open / iptables-close (upstream system.py, §4): accept or stop
 * accepting one port on INPUT.
 *
 *   params: port 1..65535, proto tcp|udp (default tcp), comment [a-zA-Z0-9-]{1,64},
 *           source (optional) IPv4 address or CIDR — honoured (upstream ignored it)
 *   rule:   -p P --dport N [-s SRC] -m comment --comment blockhost-C -j ACCEPT
 *
 * Every rule carries a "blockhost-" comment, so BlockHost's rules are
 * recognisable (iptables -S | grep blockhost-).  Both actions are idempotent:
 * open checks with -C first and does not add a duplicate; close on a missing
 * rule succeeds with "removed": false.  This file builds iptables-open;
 * iptables-close.c includes it with IPT_CLOSE defined.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define IPTABLES "/usr/sbin/iptables"

static void check_source(const char *src)
{
	char addr[32];
	const char *slash = strchr(src, '/');
	struct in_addr a;
	size_t n = slash ? (size_t)(slash - src) : strlen(src);

	if (strchr(src, ':'))
		act_fail("param 'source': IPv6 sources are not supported by iptables (use ip6tables)");
	if (n == 0 || n >= sizeof(addr))
		act_fail("param 'source': not an IPv4 address");
	memcpy(addr, src, n);
	addr[n] = 0;
	if (inet_pton(AF_INET, addr, &a) != 1)
		act_fail("param 'source': not an IPv4 address");
	if (slash && !act_match("^/([0-9]|[12][0-9]|3[0-2])$", slash))
		act_fail("param 'source': prefix length must be 0..32");
}

int main(void)
{
	json_t *p = act_params();
	long long port = act_int(p, "port", 0);
	const char *proto = act_str(p, "proto", "tcp");
	const char *comment = act_str(p, "comment", NULL);
	const char *source = act_str(p, "source", NULL);
	char portbuf[8], tag[80], err[400];

	/* the signed schema already checked these; re-check (defence in depth) */
	if (port < 1 || port > 65535)
		act_fail("param 'port': out of range 1..65535");
	if (strcmp(proto, "tcp") && strcmp(proto, "udp"))
		act_fail("param 'proto': must be tcp or udp");
	if (!comment || !act_match("^[a-zA-Z0-9-]{1,64}$", comment))
		act_fail("param 'comment': must match ^[a-zA-Z0-9-]{1,64}$");
	if (source)
		check_source(source);
	snprintf(portbuf, sizeof(portbuf), "%lld", port);
	snprintf(tag, sizeof(tag), "%s%s", strncmp(comment, "blockhost-", 10) ? "blockhost-" : "",
		 comment);

	const char *argv[20];
	int n = 0;
	argv[n++] = IPTABLES;
	argv[n++] = "-w"; /* wait for the xtables lock */
	argv[n++] = "-C";
	argv[n++] = "INPUT";
	argv[n++] = "-p";
	argv[n++] = proto;
	argv[n++] = "--dport";
	argv[n++] = portbuf;
	if (source) {
		argv[n++] = "-s";
		argv[n++] = source;
	}
	argv[n++] = "-m";
	argv[n++] = "comment";
	argv[n++] = "--comment";
	argv[n++] = tag;
	argv[n++] = "-j";
	argv[n++] = "ACCEPT";
	argv[n] = NULL;

	int present = act_run(argv, 30000, err, sizeof(err));
	if (present < 0)
		act_fail("%s", err);
#ifdef IPT_CLOSE
	if (present != 0) {
		json_decref(p);
		act_ok(json_pack("{s:b, s:s}", "removed", 0, "comment", tag));
	}
	argv[2] = "-D";
#else
	if (present == 0) {
		json_decref(p);
		act_ok(json_pack("{s:b, s:s}", "added", 0, "comment", tag));
	}
	argv[2] = "-A";
#endif
	int rc = act_run(argv, 30000, err, sizeof(err));
	if (rc != 0)
		act_fail("iptables %s failed (exit %d): %s", argv[2], rc, err);
	json_decref(p);
#ifdef IPT_CLOSE
	act_ok(json_pack("{s:b, s:s}", "removed", 1, "comment", tag));
#else
	act_ok(json_pack("{s:b, s:s}", "added", 1, "comment", tag));
#endif
}

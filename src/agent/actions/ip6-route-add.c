/* SPDX-License-Identifier: MIT */
/*
 * ip6-route-add / ip6-route-del (upstream networking.py, §4): a /128 host
 * route for a VM's IPv6 address on an allowed device.
 *
 *   params: address "<v6>/128", dev — one of vmbr0 virbr0 br0 br-ext docker0
 *           (upstream ALLOWED_ROUTE_DEVS), the bridge named in
 *           /run/blockhost/bridge, or a VM tap (tapNiM, vnetN)
 *   add:    ip -6 route replace ADDR dev DEV      del: ip -6 route del ADDR dev DEV
 * Refused addresses (issue 11): unspecified (::), loopback (::1), multicast (ff00::/8),
 * link-local (fe80::/10) and IPv4-mapped (::ffff:0:0/96): none is a VM's address, and a
 * host route for one would hijack the host's own traffic.
 * ip6-route-del.c includes this file with ROUTE_DEL defined.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/path.h"
#include "common.h"

#define IP "/usr/sbin/ip"

static bool dev_allowed(const char *dev)
{
	static const char *const fixed[] = { "vmbr0", "virbr0", "br0", "br-ext", "docker0" };
	struct bh_buf b;
	char *path = NULL;
	bool ok = false;

	if (!act_match("^[a-zA-Z0-9_.-]{1,15}$", dev))
		return false;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(dev, fixed[i]))
			return true;
	if (act_match("^(tap[0-9]+i[0-9]+|vnet[0-9]+)$", dev))
		return true;
	/* the bridge the installer chose, recorded in /run/blockhost/bridge */
	bh_buf_init(&b, 64);
	if (bh_path(BH_DIR_RUN, "bridge", &path) == 0 && bh_buf_load_file(&b, path) == 0) {
		size_t n = bh_buf_len(&b);
		const char *d = (const char *)bh_buf_ptr(&b);
		while (n && (d[n - 1] == '\n' || d[n - 1] == ' '))
			n--;
		ok = n == strlen(dev) && !memcmp(d, dev, n);
	}
	bh_buf_done(&b);
	free(path);
	return ok;
}

int main(void)
{
	json_t *p = act_params();
	const char *address = act_str(p, "address", NULL);
	const char *dev = act_str(p, "dev", NULL);
	char addr[64], err[400];
	struct in6_addr a;

	if (!address || !act_match("^[0-9a-fA-F:]{2,39}/128$", address))
		act_fail("param 'address': must be an IPv6 address with /128");
	memcpy(addr, address, strlen(address) - 4);
	addr[strlen(address) - 4] = 0;
	if (inet_pton(AF_INET6, addr, &a) != 1)
		act_fail("param 'address': not a valid IPv6 address");
	if (IN6_IS_ADDR_UNSPECIFIED(&a))
		act_fail("param 'address': the unspecified address (::) is not a VM address");
	if (IN6_IS_ADDR_LOOPBACK(&a))
		act_fail("param 'address': the loopback address (::1) is not a VM address");
	if (IN6_IS_ADDR_MULTICAST(&a))
		act_fail("param 'address': a multicast address (ff00::/8) is not a VM address");
	if (IN6_IS_ADDR_LINKLOCAL(&a))
		act_fail("param 'address': a link-local address (fe80::/10) is not a VM address");
	if (IN6_IS_ADDR_V4MAPPED(&a))
		act_fail("param 'address': an IPv4-mapped address (::ffff:0:0/96) is not a VM address");
	if (!dev || !dev_allowed(dev))
		act_fail("param 'dev': not an allowed device");
#ifdef ROUTE_DEL
	const char *argv[] = { IP, "-6", "route", "del", address, "dev", dev, NULL };
#else
	const char *argv[] = { IP, "-6", "route", "replace", address, "dev", dev, NULL };
#endif
	int rc = act_run(argv, 30000, err, sizeof(err));
	if (rc != 0)
		act_fail("ip -6 route %s failed (exit %d): %s", argv[3], rc, err);
	json_decref(p);
	act_ok(NULL);
}

/* SPDX-License-Identifier: MIT */
/* ip6-route-del: see ip6-route-add.c. */
#define ROUTE_DEL 1
#include "ip6-route-add.c"

/* SPDX-License-Identifier: MIT */
/* iptables-close: the same rule as iptables-open, deleted (see iptables-open.c). */
#define IPT_CLOSE 1
#include "iptables-open.c"

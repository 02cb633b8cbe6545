/* SPDX-License-Identifier: MIT */
/*
 * The sandbox every BlockHost daemon applies to itself once it has opened what it
 * needs: resource limits, capabilities, no_new_privs, dumpable, and a seccomp
 * filter — all read from files an auditor can review without reading C:
 *
 *   policy/<service>.policy   identity, capabilities, limits, process flags (policy.h)
 *   seccomp/<service>         the syscall allowlist (format: seccomp/README.md)
 *
 * Typical use, late in main() after config, sockets, TPM and libraries are set up
 * (nothing may be dlopen'ed or looked up through NSS afterwards):
 *
 *	struct bh_msg m = { "" };
 *	if ((r = bh_sandbox_apply("blockhost-keystore", BH_SANDBOX_ALLOW_DEBUG_ENV, &m)) < 0)
 *		bh_fatal("sandbox: %s: %s", m.text, bh_strerror(r));
 *
 * The parse-only functions (bh_seccomp_parse, bh_policy_parse) never change the
 * process; blockhost-policy-check and the fuzzers use them.  Nothing here logs.
 */
#ifndef BH_SANDBOX_H
#define BH_SANDBOX_H

/* The layer's parts, one header each (this one includes them all): */
#include "sandbox/ini.h"      /* the INI-style reader, bh_ini_bool */
#include "sandbox/policy.h"   /* policy/<service>.policy */
#include "sandbox/seccomp.h"  /* seccomp/<service> */
#include "sandbox/apply.h"    /* caps, no_new_privs, dumpable, rlimits, applying it all */
#include "sandbox/callers.h"  /* principals (user:/uid:/group:/gid:) and [callers] */

#endif

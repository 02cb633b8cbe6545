/* SPDX-License-Identifier: MIT */
/*
 * Private to src/common/sandbox/seccomp*.c.  seccomp.c: the seccomp/<service> parser and
 * loader; seccomp-names.c: the tables of argument names, constants and errno names the
 * format may use; seccomp-install.c: formatting a rule, debug mode and installing the
 * filter with libseccomp.
 */
#ifndef BH_SECCOMP_INT_H
#define BH_SECCOMP_INT_H

#include <stddef.h>
#include <stdint.h>

#if defined(__SANITIZE_ADDRESS__)
#define BH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BH_ASAN 1
#endif
#endif
#ifndef BH_ASAN
#define BH_ASAN 0
#endif

#define MAX_FILES 32u      /* files parsed per filter, includes counted */
#define MAX_ALTS 16u       /* values in one V1|V2|... list */

int bh_seccomp__lookup_arg(const char *sys, const char *name, size_t n);
const char *bh_seccomp__arg_label(const char *sys, unsigned arg, char tmp[8]);
int bh_seccomp__parse_value(const char *s, size_t n, uint64_t *ret);
int bh_seccomp__errno_from_name(const char *name);

#endif

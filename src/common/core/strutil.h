/* SPDX-License-Identifier: MIT */
/*
 * Small string helpers for text that came from outside and is about to be shown to a
 * person (logs, error messages): no control characters, no terminal escapes, no
 * unbounded length.
 */
#ifndef BH_STRUTIL_H
#define BH_STRUTIL_H

#include <stddef.h>

/*
 * Copy the first len bytes of in (NUL bytes included: len, not strlen, bounds it) into
 * out as printable ASCII: bytes 0x20..0x7e are kept, every other byte (controls, DEL,
 * ESC, each byte of a UTF-8 sequence) becomes '?'.  At most out_size - 1 characters
 * are written and out is always NUL-terminated (out_size >= 1); when in does not fit,
 * the copy ends in "..." so a reader sees it was cut.  Returns out.
 */
char *bh_str_sanitize(const char *in, size_t len, char *out, size_t out_size);

#endif

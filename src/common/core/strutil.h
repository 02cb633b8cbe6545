/* SPDX-License-Identifier: MIT */
/*
 * Small string helpers for text that came from outside: the one name validator every
 * component uses (bh_name_valid), and the one sanitizer for text about to be shown to a
 * person (logs, error messages, replies): no control characters, no terminal escapes,
 * no unbounded length.
 */
#ifndef BH_STRUTIL_H
#define BH_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The kinds of names BlockHost accepts from files, requests and argv.  Each rule is a
 * first-character set, a set for the rest, and a maximum length in bytes; nothing
 * outside ASCII is ever a name character (so no NUL, '/', space or control byte).
 */
enum bh_name_class {
	/* root-agent action (plugin) name: ^[a-z0-9][a-z0-9-]{0,63}$ — also the file
	 * names NAME, NAME.manifest, NAME.sig in the actions directory */
	BH_NAME_ACTION,
	/* sandboxed service name (policy/services, policy/NAME.policy, seccomp/NAME):
	 * the same rule as BH_NAME_ACTION */
	BH_NAME_SERVICE,
	/* parameter name in a plugin manifest's schema: ^[a-z][a-z0-9_]{0,31}$ */
	BH_NAME_PARAM,
	/* INI section or key name in policy files: ^[a-z0-9_-]{1,64}$ */
	BH_NAME_INI,
	/* Unix user or group name (Debian useradd's rule): ^[a-z_][a-z0-9_-]{0,31}$ */
	BH_NAME_USER,
	/* VM (libvirt domain) name: ^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$ */
	BH_NAME_VM,
	/* file name inside a fixed directory (seccomp includes): ^[A-Za-z0-9._-]{1,63}$,
	 * and never "." or ".." */
	BH_NAME_FILE,
	/* system call name: ^[a-z0-9_]{1,63}$ */
	BH_NAME_SYSCALL,
	/* identifier in a provisioner manifest (verb, chain name):
	 * ^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$ */
	BH_NAME_IDENT,
	/* keystore key name (the sealed blob's name): ^[a-z0-9-]{1,32}$ */
	BH_NAME_KEY,
	/* pam_web3 machine id (config.toml machine.id, part of the signed message):
	 * ^[A-Za-z0-9._-]{1,64}$ */
	BH_NAME_MACHINE,
	/* capability name as libcap-ng spells it, lower case: ^[a-z_]{1,63}$ */
	BH_NAME_CAP,
};

#define BH_NAME_ACTION_MAX  64u
#define BH_NAME_PARAM_MAX   32u
#define BH_NAME_INI_MAX     64u
#define BH_NAME_USER_MAX    32u
#define BH_NAME_VM_MAX      64u
#define BH_NAME_FILE_MAX    63u
#define BH_NAME_SYSCALL_MAX 63u
#define BH_NAME_IDENT_MAX   64u
#define BH_NAME_KEY_MAX     32u
#define BH_NAME_MACHINE_MAX 64u
#define BH_NAME_CAP_MAX     63u

/* True if the C string s (NULL = false) is a valid name of class cls. */
bool bh_name_valid(const char *s, enum bh_name_class cls);
/* The same for exactly the n bytes at s (not NUL-terminated; a NUL byte is invalid). */
bool bh_name_valid_len(const char *s, size_t n, enum bh_name_class cls);

/* What bh_str_sanitize_as keeps; every other byte becomes '?'. */
enum bh_str_keep {
	BH_STR_KEEP_PRINTABLE, /* printable ASCII, 0x20..0x7e */
	BH_STR_KEEP_NAME,      /* [A-Za-z0-9._@-] only: names shown inside quotes (PAM user) */
};

/* len value meaning "in is a NUL-terminated string" (NULL reads as "") */
#define BH_STR_CSTR SIZE_MAX

/*
 * Copy the first len bytes of in (NUL bytes included: len, not strlen, bounds it; or a
 * C string with len = BH_STR_CSTR) into out, keeping the bytes of `keep` and turning
 * every other byte (controls, DEL, ESC, each byte of a UTF-8 sequence) into '?'.  At
 * most out_size - 1 characters are written and out is always NUL-terminated
 * (out_size >= 1); when in does not fit, the copy ends in "..." so a reader sees it was
 * cut.  Returns out.
 */
char *bh_str_sanitize_as(const char *in, size_t len, char *out, size_t out_size,
			 enum bh_str_keep keep);
/*
 * Blanks (space, tab, CR, LF) around untrusted text: the span of s[0..len) without
 * them starts at *ret_start and is the returned number of bytes long (0: all blanks,
 * *ret_start is then len).  The one trimmer for pasted replies, posted bodies and
 * one-line files.
 */
size_t bh_str_trim(const char *s, size_t len, size_t *ret_start);

/* bh_str_sanitize_as(in, len, out, out_size, BH_STR_KEEP_PRINTABLE) */
char *bh_str_sanitize(const char *in, size_t len, char *out, size_t out_size);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Fuzz blockhost-signup's HTTP path parser (src/signup/www.c su_www_path / su_www_lookup):
 * the path as received.  Invariants: an accepted path is "/" (index.html) or
 * "/assets/<name>" with <name> of [A-Za-z0-9._-], not starting with '.', no '%', no '/',
 * no NUL; the looked-up file is that name; a table lookup never returns a file for a
 * refused path.
 */
#include <stdlib.h>
#include <string.h>

#include "signup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct su_www w;
	static uint8_t body[1] = { 'x' };
	char name[SU_WWW_NAME_MAX + 1];

	if (!w.n) {
		static const char *const names[] = { "index.html", "assets/app.js", "assets/a.css",
						     "assets/x" };
		for (size_t i = 0; i < 4; i++) {
			strcpy(w.f[i].name, names[i]);
			w.f[i].data = body;
			w.f[i].len = 1;
			w.f[i].content_type = su_www_content_type(names[i]);
		}
		w.n = 4;
	}
	const char *p = (const char *)data;
	bool ok = su_www_path(p, size, name);
	const struct su_file *f = su_www_lookup(&w, p, size);
	if (!ok) {
		if (f)
			abort();
		return 0;
	}
	if (memchr(p, 0, size) || memchr(p, '%', size))
		abort();
	if (size == 1) {
		if (p[0] != '/' || strcmp(name, "index.html"))
			abort();
	} else {
		if (size < 9 || memcmp(p, "/assets/", 8) || p[8] == '.' ||
		    memchr(p + 8, '/', size - 8) || strlen(name) != size - 1 ||
		    memcmp(name, p + 1, size - 1))
			abort();
		for (size_t i = 8; i < size; i++) {
			char c = p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '.' || c == '_' || c == '-'))
				abort();
		}
	}
	if (f && strcmp(f->name, name))
		abort();
	return 0;
}

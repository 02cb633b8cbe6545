/* SPDX-License-Identifier: MIT */
/*
 * The page's static files: loaded into memory at start (index.html and the regular files
 * of assets/, every open O_NOFOLLOW through core/file.h, sizes capped), so the server
 * opens nothing after its sandbox and a file swapped for a symlink later changes nothing;
 * and the request path parser, which routes the path as received (never percent-decoded:
 * any '%' is a 404, so "%2e%2e" and "%00" never become ".." or NUL).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/file.h"
#include "signup.h"

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > SU_WWW_NAME_MAX - 7 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

bool su_www_path(const char *path, size_t len, char ret[static SU_WWW_NAME_MAX + 1])
{
	static const char pre[] = "/assets/";
	if (len == 1 && path[0] == '/') {
		strcpy(ret, "index.html");
		return true;
	}
	if (len > sizeof(pre) - 1 && !memcmp(path, pre, sizeof(pre) - 1) &&
	    name_ok(path + sizeof(pre) - 1, len - (sizeof(pre) - 1)) &&
	    !memchr(path, 0, len)) {
		memcpy(ret, "assets/", 7);
		memcpy(ret + 7, path + sizeof(pre) - 1, len - (sizeof(pre) - 1));
		ret[7 + len - (sizeof(pre) - 1)] = '\0';
		return true;
	}
	return false;
}

const struct su_file *su_www_lookup(const struct su_www *w, const char *path, size_t len)
{
	char name[SU_WWW_NAME_MAX + 1];
	if (!su_www_path(path, len, name))
		return NULL;
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->f[i].name, name))
			return &w->f[i];
	return NULL;
}

const char *su_www_content_type(const char *name)
{
	static const struct { const char *ext, *type; } t[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".webp", "image/webp" },
		{ ".woff2", "font/woff2" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".map", "application/json" },
	};
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t e = strlen(t[i].ext);
		if (n > e && !strcmp(name + n - e, t[i].ext))
			return t[i].type;
	}
	return "application/octet-stream";
}

static int add(struct su_www *w, int dirfd, const char *dir, const char *sub, const char *name,
	       struct bh_msg *msg)
{
	const struct bh_file_rules rules = { .type = S_IFREG, .forbid_mode = 002,
					     .max_size = SU_WWW_FILE_MAX };
	struct bh_msg fm = { { 0 } };
	struct bh_buf b;
	struct su_file *f;
	int r;

	if (w->n >= SU_WWW_FILES_MAX) {
		bh_msg_set(msg, "%s: more than %u files", dir, SU_WWW_FILES_MAX);
		return BH_ERR_LIMIT;
	}
	f = &w->f[w->n];
	bh_buf_init(&b, SU_WWW_FILE_MAX);
	if ((r = bh_file_read(dirfd, name, &rules, SU_WWW_FILE_MAX, &b, &fm)) < 0) {
		/* fm.text starts with the name it was given */
		if (fm.text[0])
			bh_msg_set(msg, "%s/%s%s (the page's files must be regular files)", dir, sub,
				   fm.text);
		else
			bh_msg_set(msg, "%s/%s%s: %s", dir, sub, name, bh_strerror(r));
		return r;
	}
	if (w->total + bh_buf_len(&b) > SU_WWW_TOTAL_MAX) {
		bh_buf_done(&b);
		bh_msg_set(msg, "%s: the files are over %u bytes in all", dir, SU_WWW_TOTAL_MAX);
		return BH_ERR_LIMIT;
	}
	if (!(f->data = malloc(bh_buf_len(&b) ? bh_buf_len(&b) : 1))) {
		bh_buf_done(&b);
		return -ENOMEM;
	}
	memcpy(f->data, bh_buf_ptr(&b), bh_buf_len(&b));
	f->len = bh_buf_len(&b);
	bh_buf_done(&b);
	snprintf(f->name, sizeof(f->name), "%s%s", sub, name);
	f->content_type = su_www_content_type(name);
	w->total += f->len;
	w->n++;
	return 0;
}

int su_www_load(const char *dir, struct su_www *ret, struct bh_msg *msg)
{
	struct su_www *w = ret;
	int dfd = -1, afd = -1, r;
	DIR *d = NULL;
	struct dirent *e;

	memset(w, 0, sizeof(*w));
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "%s: %s", dir, bh_strerror(r));
		return r;
	}
	if ((r = add(w, dfd, dir, "", "index.html", msg)) < 0)
		goto out;
	if ((afd = openat(dfd, "assets", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		r = errno == ENOENT ? 0 : bh_negerrno();
		if (r < 0)
			bh_msg_set(msg, "%s/assets: %s%s", dir, bh_strerror(r),
				   r == -ENOTDIR || r == -ELOOP ? " (must be a directory, not a "
				   "symlink)" : "");
		goto out;
	}
	int lfd = dup(afd);
	if (lfd < 0 || !(d = fdopendir(lfd))) {
		r = bh_negerrno();
		if (lfd >= 0)
			close(lfd);
		bh_msg_set(msg, "%s/assets: %s", dir, bh_strerror(r));
		goto out;
	}
	while ((errno = 0, e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!name_ok(e->d_name, strlen(e->d_name))) {
			bh_msg_set(msg, "%s/assets: file name '%.64s' is not served (letters, digits, "
				   "'.', '_', '-', not starting with '.', at most %u)", dir, e->d_name,
				   SU_WWW_NAME_MAX - 7);
			r = BH_ERR_FORMAT;
			goto out;
		}
		if ((r = add(w, afd, dir, "assets/", e->d_name, msg)) < 0)
			goto out;
	}
	r = 0;
out:
	if (d)
		closedir(d);
	if (afd >= 0)
		close(afd);
	close(dfd);
	if (r < 0)
		su_www_done(w);
	return r;
}

void su_www_done(struct su_www *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->f[i].data);
	memset(w, 0, sizeof(*w));
}

/* SPDX-License-Identifier: MIT */
/* The untrusted file/dir open by rules (file.h). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/file.h"

/* Flags a caller may pass; the recipe's own flags are added to every open. */
#define CALLER_FLAGS (O_ACCMODE | O_NONBLOCK | O_APPEND)
#define RECIPE_FLAGS (O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_DIRECTORY)

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symbolic link";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	default: return "of an unknown type";
	}
}

/* "group-writable, world-writable" for the bits of m (permission bits only). */
static void describe_bits(mode_t m, char *out, size_t size)
{
	static const struct {
		mode_t bit;
		const char *name;
	} bits[] = {
		{ S_ISUID, "set-user-ID" },  { S_ISGID, "set-group-ID" },  { S_ISVTX, "sticky" },
		{ S_IRUSR, "owner-readable" }, { S_IWUSR, "owner-writable" },
		{ S_IXUSR, "owner-executable" },
		{ S_IRGRP, "group-readable" }, { S_IWGRP, "group-writable" },
		{ S_IXGRP, "group-executable" },
		{ S_IROTH, "world-readable" }, { S_IWOTH, "world-writable" },
		{ S_IXOTH, "world-executable" },
	};
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (!(m & bits[i].bit))
			continue;
		int n = snprintf(out + off, size - off, "%s%s", off ? ", " : "", bits[i].name);
		if (n < 0 || (size_t)n >= size - off)
			return;
		off += (size_t)n;
	}
}

static bool owner_ok(const struct stat *st, const struct bh_file_rules *ru)
{
	unsigned o = ru->owner;

	if (o == 0)
		return true;
	return ((o & BH_FILE_OWNER_ROOT) && st->st_uid == 0) ||
	       ((o & BH_FILE_OWNER_SELF) && st->st_uid == geteuid()) ||
	       ((o & BH_FILE_OWNER_UID) && st->st_uid == ru->uid) ||
	       ((o & BH_FILE_GROUP_GID) && st->st_gid == ru->gid);
}

/* "root, uid 1000 (this process), uid 5 or group 42" */
static void describe_owners(const struct bh_file_rules *ru, char *out, size_t size)
{
	size_t off = 0;
	int n;

	out[0] = '\0';
#define ADD(...)                                                                       \
	do {                                                                           \
		n = snprintf(out + off, size - off, __VA_ARGS__);                     \
		if (n < 0 || (size_t)n >= size - off)                                  \
			return;                                                        \
		off += (size_t)n;                                                      \
	} while (0)
	if (ru->owner & BH_FILE_OWNER_ROOT)
		ADD("root");
	if (ru->owner & BH_FILE_OWNER_SELF)
		ADD("%suid %u (this process)", off ? ", " : "", (unsigned)geteuid());
	if (ru->owner & BH_FILE_OWNER_UID)
		ADD("%suid %u", off ? ", " : "", (unsigned)ru->uid);
	if (ru->owner & BH_FILE_GROUP_GID)
		ADD("%sgroup %u", off ? " or " : "", (unsigned)ru->gid);
#undef ADD
}

static int check_stat(const struct stat *st, const char *name, const struct bh_file_rules *ru,
		      struct bh_msg *msg)
{
	mode_t want = ru->type ? ru->type : S_IFREG;
	char what[160];

	if ((st->st_mode & S_IFMT) != want) {
		bh_msg_set(msg, "%s: is %s, not %s", name, type_name(st->st_mode),
			   type_name(want));
		return BH_ERR_UNSAFE_FILE;
	}
	if (!owner_ok(st, ru)) {
		describe_owners(ru, what, sizeof(what));
		bh_msg_set(msg, "%s: owned by uid %u (group %u); it must be owned by %s", name,
			   (unsigned)st->st_uid, (unsigned)st->st_gid, what);
		return BH_ERR_UNSAFE_FILE;
	}
	if (st->st_mode & ru->forbid_mode & 07777) {
		describe_bits(st->st_mode & ru->forbid_mode & 07777, what, sizeof(what));
		bh_msg_set(msg, "%s: mode %04o is %s (refused: none of %04o may be set)", name,
			   (unsigned)(st->st_mode & 07777), what, (unsigned)(ru->forbid_mode & 07777));
		return BH_ERR_UNSAFE_FILE;
	}
	if (want == S_IFREG && ru->single_link && st->st_nlink != 1) {
		bh_msg_set(msg, "%s: has %ju hard links; it must have exactly one", name,
			   (uintmax_t)st->st_nlink);
		return BH_ERR_UNSAFE_FILE;
	}
	if (want == S_IFREG && ru->max_size > 0 && st->st_size > ru->max_size) {
		bh_msg_set(msg, "%s: too large: %jd bytes, the limit is %jd", name,
			   (intmax_t)st->st_size, (intmax_t)ru->max_size);
		return BH_ERR_LIMIT;
	}
	return 0;
}

static bool rules_ok(const struct bh_file_rules *ru)
{
	return (ru->type == 0 || ru->type == S_IFREG || ru->type == S_IFDIR) &&
	       !(ru->owner & ~(unsigned)(BH_FILE_OWNER_ROOT | BH_FILE_OWNER_SELF |
					 BH_FILE_OWNER_UID | BH_FILE_GROUP_GID)) &&
	       !(ru->forbid_mode & ~(mode_t)07777) && ru->max_size >= 0;
}

int bh_file_check(int fd, const char *name, const struct bh_file_rules *rules,
		  struct stat *ret_st, struct bh_msg *msg)
{
	static const struct bh_file_rules regular = { .type = S_IFREG };
	struct stat st;
	int r;

	if (!rules)
		rules = &regular;
	if (!name)
		name = "(file)";
	if (!rules_ok(rules)) {
		bh_msg_set(msg, "%s: invalid file rules", name);
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0) {
		r = bh_negerrno();
		bh_msg_set(msg, "%s: fstat: %s", name, bh_strerror(r));
		return r;
	}
	if ((r = check_stat(&st, name, rules, msg)) < 0)
		return r;
	if (ret_st)
		*ret_st = st;
	return 0;
}

int bh_file_open(int dirfd, const char *path, int flags, const struct bh_file_rules *rules,
		 int *ret_fd, struct stat *ret_st, struct bh_msg *msg)
{
	static const struct bh_file_rules regular = { .type = S_IFREG };
	struct stat st;
	bool dir;
	int fd = -1, r = BH_ERR_INTERNAL;

	if (!rules)
		rules = &regular;
	if (!path || !*path) {
		bh_msg_set(msg, "(empty path): cannot read");
		return -EINVAL;
	}
	if ((flags & ~(CALLER_FLAGS | RECIPE_FLAGS)) || (flags & O_ACCMODE) == O_ACCMODE ||
	    !rules_ok(rules)) {
		bh_msg_set(msg, "%s: invalid open flags or file rules", path);
		return -EINVAL;
	}
	dir = rules->type == S_IFDIR;
	if (dir && (flags & O_ACCMODE) != O_RDONLY) {
		bh_msg_set(msg, "%s: a directory is opened read-only", path);
		return -EINVAL;
	}
	/* O_NONBLOCK: a FIFO planted at path must not hang the open */
	fd = openat(dirfd, path, (flags & ~O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
			O_NONBLOCK | (dir ? O_DIRECTORY : 0));
	if (fd < 0) {
		r = bh_negerrno();
		/* a symlink as the last component: ELOOP (or ENOTDIR with O_DIRECTORY) */
		if (r == -ELOOP || (dir && r == -ENOTDIR)) {
			struct stat lst;
			if (fstatat(dirfd, path, &lst, AT_SYMLINK_NOFOLLOW) == 0) {
				bh_msg_set(msg, "%s: is %s, not %s (refused)", path,
					   type_name(lst.st_mode), type_name(dir ? S_IFDIR : S_IFREG));
				return BH_ERR_UNSAFE_FILE;
			}
		}
		if (r == -ELOOP) {
			bh_msg_set(msg, "%s: too many levels of symbolic links (refused)", path);
			return BH_ERR_UNSAFE_FILE;
		}
		bh_msg_set(msg, "%s: cannot %s: %s", path,
			   (flags & O_ACCMODE) == O_RDONLY ? "read" : "open", bh_strerror(r));
		return r;
	}
	if ((r = bh_file_check(fd, path, rules, &st, msg)) < 0)
		goto out;
	if (!(flags & O_NONBLOCK)) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
			r = bh_negerrno();
			bh_msg_set(msg, "%s: fcntl: %s", path, bh_strerror(r));
			goto out;
		}
	}
	*ret_fd = fd;
	fd = -1;
	if (ret_st)
		*ret_st = st;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

int bh_file_read(int dirfd, const char *path, const struct bh_file_rules *rules, size_t cap,
		 struct bh_buf *ret, struct bh_msg *msg)
{
	struct bh_file_rules ru = { .type = S_IFREG };
	struct bh_buf b;
	struct stat st;
	int fd = -1, r = BH_ERR_INTERNAL;

	if (rules)
		ru = *rules;
	if (ru.type != 0 && ru.type != S_IFREG) {
		bh_msg_set(msg, "%s: bh_file_read reads regular files only", path ? path : "(null)");
		return -EINVAL;
	}
	if (cap > BH_BUF_SIZE_MAX)
		cap = BH_BUF_SIZE_MAX;
	/* one limit: the smaller of cap and the rules' max_size */
	if (ru.max_size == 0 || (uint64_t)ru.max_size > cap)
		ru.max_size = (off_t)cap;
	bh_buf_init(&b, (size_t)ru.max_size);
	if ((r = bh_file_open(dirfd, path, O_RDONLY, &ru, &fd, &st, msg)) < 0)
		goto out;
	if ((uint64_t)st.st_size > (uint64_t)ru.max_size) { /* cap 0: only an empty file */
		bh_msg_set(msg, "%s: too large: %jd bytes, the limit is %jd", path,
			   (intmax_t)st.st_size, (intmax_t)ru.max_size);
		r = BH_ERR_LIMIT;
		goto out;
	}
	if ((r = bh_buf_read_fd_all(&b, fd)) < 0) {
		if (r == BH_ERR_LIMIT)
			bh_msg_set(msg, "%s: too large: it grew past the limit of %jd bytes while "
				   "being read", path, (intmax_t)ru.max_size);
		else
			bh_msg_set(msg, "%s: cannot read: %s", path, bh_strerror(r));
		goto out;
	}
	*ret = b;
	bh_buf_init(&b, 0);
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	bh_buf_done(&b);
	return r;
}

/* buf.h's loaders live here, so buf.o (in the PAM module's link set) needs no file.o */
int bh_buf_load_file_mode(struct bh_buf *b, const char *path, mode_t forbidden)
{
	const struct bh_file_rules rules = { .type = S_IFREG, .forbid_mode = forbidden & 07777 };
	struct stat st;
	int fd, r;

	if ((r = bh_file_open(AT_FDCWD, path, O_RDONLY, &rules, &fd, &st, NULL)) < 0)
		return r;
	if ((uint64_t)st.st_size > bh_buf_avail(b))
		r = BH_ERR_LIMIT;
	else
		r = bh_buf_read_fd_all(b, fd);
	close(fd);
	return r;
}

int bh_buf_load_file(struct bh_buf *b, const char *path)
{
	return bh_buf_load_file_mode(b, path, 0);
}

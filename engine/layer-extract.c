#include "layer-extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "cleanup.h"
#include "layer-store.h"
#include "layer-path.h"

#define BUF_SIZE (256 * 1024)

/* The chain: SRC bytes -> libarchive "raw" (undoes any compression) -> hash -> tar reader. */
struct pipe {
	const struct layer_src *src;
	struct archive *raw;
	struct layer_hash hash;
	int src_err;
	char buf[BUF_SIZE];
};

struct dir_time {
	char *rel;
	struct timespec mtime;
};

struct extract {
	int root;
	unsigned flags;
	char cached[PATH_MAX]; /* the parent opened last: entries come grouped by directory */
	int cached_fd;
	struct dir_time *dirs; /* mtimes set at the end, when no entry changes them any more */
	size_t ndirs, capdirs;
	char *err;
	size_t errsize;
};

static int fail(struct extract *x, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct extract *x, int r, const char *fmt, ...)
{
	va_list ap;

	if (x->errsize && !x->err[0]) {
		va_start(ap, fmt);
		vsnprintf(x->err, x->errsize, fmt, ap);
		va_end(ap);
	}
	return r;
}

ssize_t layer_fd_src_read(void *ctx, const void **ret_buf)
{
	struct layer_fd_src *s = ctx;
	ssize_t n;

	do
		n = read(s->fd, s->buf, sizeof(s->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return negerrno();
	*ret_buf = s->buf;
	return n;
}

static la_ssize_t raw_read_cb(struct archive *a, void *data, const void **ret_buf)
{
	struct pipe *p = data;
	ssize_t n = p->src->read(p->src->ctx, ret_buf);

	if (n < 0) {
		p->src_err = (int) n;
		archive_set_error(a, (int) -n, "Read error");
		return -1;
	}
	return n;
}

static la_ssize_t tar_read_cb(struct archive *a, void *data, const void **ret_buf)
{
	struct pipe *p = data;
	la_ssize_t n = archive_read_data(p->raw, p->buf, sizeof(p->buf));

	if (n < 0) {
		archive_set_error(a, EINVAL, "%s", archive_error_string(p->raw) ?: "Corrupt data");
		return -1;
	}
	layer_hash_update(&p->hash, p->buf, (size_t) n);
	*ret_buf = p->buf;
	return n;
}

/* Open the directory REL (clean, relative, "" = root) beneath the layer, creating what is
 * missing. Returns a borrowed fd. */
static int parent_fd(struct extract *x, const char *rel, const char *entry)
{
	int fd;

	if (x->cached_fd >= 0 && !strcmp(rel, x->cached))
		return x->cached_fd;
	fd = layer_path_open_dir(x->root, rel, true);
	if (fd == -ELOOP || fd == -ENOTDIR || fd == -EXDEV)
		return fail(x, -EINVAL,
			    "Archive entry %s goes through a symbolic link or a non-directory",
			    entry);
	if (fd < 0)
		return fail(x, fd, "Cannot create the directory of %s: %s", entry, strerror(-fd));
	if (x->cached_fd >= 0)
		close(x->cached_fd);
	x->cached_fd = fd;
	snprintf(x->cached, sizeof(x->cached), "%s", rel);
	return fd;
}

/* Make room for a new entry NAME: tar semantics, a later entry replaces an earlier one. */
static int make_room(int pfd, const char *name, bool keep_dir, bool *ret_is_dir)
{
	struct stat st;

	*ret_is_dir = false;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : negerrno();
	if (S_ISDIR(st.st_mode)) {
		if (keep_dir) {
			*ret_is_dir = true;
			return 0;
		}
		return unlinkat(pfd, name, AT_REMOVEDIR) < 0 ? negerrno() : 0;
	}
	return unlinkat(pfd, name, 0) < 0 ? negerrno() : 0;
}

static bool xattr_allowed(const char *name)
{
	/* trusted.overlay.* would steer overlayfs (redirects, metacopy): only whiteout entries
	 * may make a directory opaque. security.selinux belongs to the host's policy. */
	return !strncmp(name, "user.", 5) || !strcmp(name, "security.capability");
}

/* Owner, mode (after chown, which clears setuid), xattrs of an open regular file or dir. */
static int apply_meta(struct extract *x, int fd, struct archive_entry *e, const char *name)
{
	const char *xname;
	const void *value;
	size_t size;

	if (fchown(fd, (uid_t) archive_entry_uid(e), (gid_t) archive_entry_gid(e)) < 0 ||
	    fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return fail(x, negerrno(), "Cannot set the owner and mode of %s: %m", name);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK)
		if (xattr_allowed(xname) && fsetxattr(fd, xname, value, size, 0) < 0 &&
		    errno != ENOTSUP)
			return fail(x, negerrno(), "Cannot set %s on %s: %m", xname, name);
	return 0;
}


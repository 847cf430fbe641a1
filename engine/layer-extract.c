#include "layer-extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
	bool raw_err; /* the (de)compressed stream is broken, not the tar in it */
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

static int fail(struct extract *x, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
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
		p->raw_err = true;
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

static int write_data(struct extract *x, struct archive *a, struct archive_entry *e, int fd,
		      const char *name)
{
	const void *buf;
	size_t size;
	la_int64_t off, end = 0;
	int r;

	while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
		const char *b = buf;

		while (size > 0) {
			ssize_t n = pwrite(fd, b, size, off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return fail(x, negerrno(), "Cannot write %s: %m", name);
			b += n;
			size -= (size_t) n;
			off += n;
		}
		if (off > end)
			end = off;
	}
	if (r != ARCHIVE_EOF)
		return fail(x, -EINVAL, "The archive is corrupt at %s: %s", name,
			    archive_error_string(a) ?: "short data");
	/* A sparse file may end in a hole. */
	if (archive_entry_size(e) > end && ftruncate(fd, archive_entry_size(e)) < 0)
		return fail(x, negerrno(), "Cannot write %s: %m", name);
	return 0;
}

static int remember_dir(struct extract *x, const char *rel, struct archive_entry *e)
{
	if (x->ndirs == x->capdirs) {
		size_t cap = x->capdirs ? 2 * x->capdirs : 256;
		struct dir_time *n = realloc(x->dirs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		x->dirs = n;
		x->capdirs = cap;
	}
	x->dirs[x->ndirs].rel = strdup(rel);
	if (!x->dirs[x->ndirs].rel)
		return -ENOMEM;
	x->dirs[x->ndirs].mtime =
		(struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
	x->ndirs++;
	return 0;
}

static int do_dir(struct extract *x, struct archive_entry *e, int pfd, const char *base,
		  const char *rel)
{
	_cleanup_close_ int fd = -EBADF;
	bool is_dir;
	int r;

	if (*rel) {
		r = make_room(pfd, base, true, &is_dir);
		if (r < 0)
			return fail(x, r == -ENOTEMPTY ? -EINVAL : r, "Cannot replace %s: %s", rel,
				    strerror(-r));
		if (!is_dir && mkdirat(pfd, base, 0700) < 0)
			return fail(x, negerrno(), "Cannot create %s: %m", rel);
		fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	} else {
		fd = openat(x->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		return fail(x, negerrno(), "Cannot open %s: %m", rel);
	r = apply_meta(x, fd, e, *rel ? rel : "/");
	return r < 0 ? r : remember_dir(x, rel, e);
}

static int do_file(struct extract *x, struct archive *a, struct archive_entry *e, int pfd,
		   const char *base, const char *rel)
{
	_cleanup_close_ int fd = -EBADF;
	struct timespec ts[2];
	bool is_dir;
	int r = make_room(pfd, base, false, &is_dir);

	if (r < 0)
		return fail(x, r == -ENOTEMPTY ? -EINVAL : r, "Cannot replace %s: %s", rel,
			    strerror(-r));
	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(x, negerrno(), "Cannot create %s: %m", rel);
	r = write_data(x, a, e, fd, rel);
	if (r == 0)
		r = apply_meta(x, fd, e, rel);
	ts[0] = ts[1] = (struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
	if (r == 0 && futimens(fd, ts) < 0)
		r = fail(x, negerrno(), "Cannot set the time of %s: %m", rel);
	return r;
}

/* Symbolic links and FIFOs: created without following, owned with AT_SYMLINK_NOFOLLOW. */
static int do_special(struct extract *x, struct archive_entry *e, int pfd, const char *base,
		      const char *rel)
{
	struct timespec ts[2];
	bool is_dir;
	int r = make_room(pfd, base, false, &is_dir);

	if (r < 0)
		return fail(x, r == -ENOTEMPTY ? -EINVAL : r, "Cannot replace %s: %s", rel,
			    strerror(-r));
	if (archive_entry_filetype(e) == AE_IFLNK) {
		const char *target = archive_entry_symlink(e);

		/* The target is only data: nothing here ever resolves it. */
		if (!target || strlen(target) >= PATH_MAX)
			return fail(x, -EINVAL, "Archive entry %s is a bad symbolic link", rel);
		if (symlinkat(target, pfd, base) < 0)
			return fail(x, negerrno(), "Cannot create %s: %m", rel);
	} else {
		if (mknodat(pfd, base, S_IFIFO | 0600, 0) < 0)
			return fail(x, negerrno(), "Cannot create %s: %m", rel);
		/* We just made it, in a directory nothing else writes to: no race to follow. */
		if (fchmodat(pfd, base, archive_entry_perm(e) & 07777, 0) < 0)
			return fail(x, negerrno(), "Cannot set the mode of %s: %m", rel);
	}
	if (fchownat(pfd, base, (uid_t) archive_entry_uid(e), (gid_t) archive_entry_gid(e),
		     AT_SYMLINK_NOFOLLOW) < 0)
		return fail(x, negerrno(), "Cannot set the owner of %s: %m", rel);
	ts[0] = ts[1] = (struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
	utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

/* A hard link: its target must be a file already extracted in this layer. */
static int do_hardlink(struct extract *x, const char *target, int pfd, const char *base,
		       const char *rel)
{
	char trel[PATH_MAX];
	const char *tparent, *tbase;
	_cleanup_close_ int tfd = -EBADF;
	bool is_dir;
	int r = layer_path_clean(target, trel, sizeof(trel));

	if (r < 0 || !trel[0])
		return fail(x, -EINVAL, "Archive entry %s is a hard link out of the layer (%s)",
			    rel, target);
	layer_path_split(trel, &tparent, &tbase);
	tfd = layer_path_open_dir(x->root, tparent, false);
	if (tfd < 0)
		return fail(x, -EINVAL, "Archive entry %s is a hard link to a missing file (%s)",
			    rel, target);
	r = make_room(pfd, base, false, &is_dir);
	if (r < 0)
		return fail(x, r, "Cannot replace %s: %s", rel, strerror(-r));
	/* Flags 0: a link to a symbolic link links the link itself, never what it names. */
	if (linkat(tfd, tbase, pfd, base, 0) < 0)
		return fail(x, errno == ENOENT || errno == EPERM ? -EINVAL : negerrno(),
			    "Archive entry %s: cannot link to %s: %m", rel, target);
	return 0;
}

/* `.wh..wh..opq` -> opaque parent; `.wh.NAME` -> whiteout NAME; other `.wh..wh.*` (aufs
 * bookkeeping) are dropped. */
static int do_whiteout(struct extract *x, int pfd, const char *base, const char *rel,
		       const struct timespec *mtime)
{
	const char *victim = base + 4;
	bool is_dir;
	int r;

	if (!strcmp(base, ".wh..wh..opq")) {
		_cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0 || fsetxattr(dfd, "trusted.overlay.opaque", "y", 1, 0) < 0)
			return fail(x, negerrno(), "Cannot make the directory of %s opaque: %m",
				    rel);
		return 0;
	}
	if (!strncmp(base, ".wh..wh.", 8))
		return 0;
	if (!*victim || !strcmp(victim, ".") || !strcmp(victim, ".."))
		return fail(x, -EINVAL, "Archive entry %s is a whiteout of nothing", rel);
	r = make_room(pfd, victim, false, &is_dir);
	if (r < 0)
		return fail(x, r == -ENOTEMPTY ? -EINVAL : r, "Cannot replace %s: %s", rel,
			    strerror(-r));
	if (mknodat(pfd, victim, S_IFCHR | 0, makedev(0, 0)) < 0)
		return fail(x, negerrno(), "Cannot create the whiteout %s: %m", rel);
	/* The marker's time, so an export of this layer is byte for byte what came in. */
	struct timespec ts[2] = {*mtime, *mtime};
	utimensat(pfd, victim, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int do_entry(struct extract *x, struct archive *a, struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e) ?: "";
	const char *hardlink = archive_entry_hardlink(e);
	char rel[PATH_MAX], copy[PATH_MAX];
	const char *parent, *base;
	mode_t type = archive_entry_filetype(e);
	int pfd, r;

	r = layer_path_clean(name, rel, sizeof(rel));
	if (r < 0)
		return fail(x, -EINVAL, "Archive entry %s is outside the layer", name);
	if (!rel[0])
		return type == AE_IFDIR ? do_dir(x, e, -EBADF, "", "") : 0;
	memcpy(copy, rel, sizeof(rel));
	layer_path_split(copy, &parent, &base);
	pfd = parent_fd(x, parent, rel);
	if (pfd < 0)
		return pfd;
	if ((x->flags & LAYER_EXTRACT_WHITEOUTS) && !strncmp(base, ".wh.", 4))
		return do_whiteout(
			x, pfd, base, rel,
			&(struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)});
	if (hardlink)
		return do_hardlink(x, hardlink, pfd, base, rel);
	switch (type) {
	case AE_IFDIR:
		return do_dir(x, e, pfd, base, rel);
	case AE_IFREG:
		return do_file(x, a, e, pfd, base, rel);
	case AE_IFLNK:
	case AE_IFIFO:
		return do_special(x, e, pfd, base, rel);
	default:
		return 0; /* devices and sockets are not created from images */
	}
}

/* Directory mtimes last, deepest first, so creating children does not undo them. */
static void set_dir_times(struct extract *x)
{
	for (size_t i = x->ndirs; i-- > 0;) {
		struct timespec ts[2] = {x->dirs[i].mtime, x->dirs[i].mtime};
		int fd = layer_path_open_dir(x->root, x->dirs[i].rel, false);

		if (fd >= 0) {
			utimensat(fd, "", ts, AT_EMPTY_PATH);
			close(fd);
		}
	}
}

static void extract_free(struct extract *x)
{
	for (size_t i = 0; i < x->ndirs; i++)
		free(x->dirs[i].rel);
	free(x->dirs);
	if (x->cached_fd >= 0)
		close(x->cached_fd);
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

int layer_extract(int dirfd, const struct layer_src *src, unsigned flags, char ret_diff_id[65],
		  char *err, size_t errsize)
{
	_cleanup_(archive_freep) struct archive *raw = archive_read_new();
	_cleanup_(archive_freep) struct archive *tar = archive_read_new();
	_cleanup_free_ struct pipe *p = calloc(1, sizeof(*p));
	struct extract x = {
		.root = dirfd, .flags = flags, .cached_fd = -EBADF, .err = err, .errsize = errsize};
	struct archive_entry *e;
	int r;

	if (errsize)
		err[0] = '\0';
	if (!raw || !tar || !p)
		return -ENOMEM;
	p->src = src;
	p->raw = raw;
	r = layer_hash_init(&p->hash);
	if (r < 0)
		return r;
	archive_read_support_filter_all(raw);
	archive_read_support_format_raw(raw);
	archive_read_support_format_tar(tar);
	if (archive_read_open(raw, p, NULL, raw_read_cb, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(raw, &e) != ARCHIVE_OK) {
		r = p->src_err
			    ?: fail(&x, -EINVAL, "The layer cannot be read: %s",
				    archive_error_string(raw) ?: "empty");
		goto out;
	}
	if (archive_read_open(tar, p, NULL, tar_read_cb, NULL) != ARCHIVE_OK) {
		r = p->src_err
			    ?: fail(&x, -EINVAL,
				    p->raw_err ? "The archive is corrupt: %s"
					       : "The layer is not a tar archive: %s",
				    archive_error_string(tar) ?: "unknown format");
		goto out;
	}
	while ((r = archive_read_next_header(tar, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		r = do_entry(&x, tar, e);
		if (r < 0)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		r = p->src_err
			    ?: fail(&x, -EINVAL, "The archive is corrupt: %s",
				    archive_error_string(tar) ?: "bad header");
		goto out;
	}
	/* The diff_id covers the whole stream, padding after the end marker included. */
	for (;;) {
		const void *buf;
		la_ssize_t n = tar_read_cb(tar, p, &buf);

		if (n == 0)
			break;
		if (n < 0) {
			r = p->src_err
				    ?: fail(&x, -EINVAL, "The archive is corrupt: %s",
					    archive_error_string(raw) ?: "bad data");
			goto out;
		}
	}
	set_dir_times(&x);
	r = layer_hash_final(&p->hash, ret_diff_id);
out:
	layer_hash_clear(&p->hash);
	extract_free(&x);
	return r;
}

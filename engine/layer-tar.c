#include "layer-tar.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "cleanup.h"
#include "fileio.h"
#include "layer-store.h"

struct link_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct walk {
	struct archive *a;
	struct link_seen *links; /* files with several links: the first path written */
	size_t nlinks, caplinks;
	char buf[128 * 1024];
};

static int archive_err(struct archive *a)
{
	int e = archive_errno(a);

	return e > 0 ? -e : -EIO;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The sorted names in a directory; RET_NAMES is NULL-terminated. */
static int sorted_names(int dfd, char ***ret_names)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return negerrno();
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n + 2 > cap) {
			char **nv;

			cap = cap ? 2 * cap : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				goto oom;
			v = nv;
		}
		v[n] = strdup(de->d_name);
		if (!v[n])
			goto oom;
		v[++n] = NULL;
	}
	closedir(d);
	if (!v && !(v = calloc(1, sizeof(*v))))
		return -ENOMEM;
	qsort(v, n, sizeof(*v), cmp_names);
	*ret_names = v;
	return 0;
oom:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return -ENOMEM;
}

static void names_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* The xattrs a layer tar carries (the ones layer_extract() restores), sorted by name. */
static int add_xattrs(struct archive_entry *e, int fd)
{
	char list[4096], *names[64];
	ssize_t len = flistxattr(fd, list, sizeof(list));
	size_t n = 0;

	if (len < 0)
		return errno == ENOTSUP ? 0 : negerrno();
	for (char *p = list; p < list + len && n < ARRAY_SIZE(names); p += strlen(p) + 1)
		if (!strncmp(p, "user.", 5) || !strcmp(p, "security.capability"))
			names[n++] = p;
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char value[4096];
		ssize_t vlen = fgetxattr(fd, names[i], value, sizeof(value));

		if (vlen >= 0)
			archive_entry_xattr_add_entry(e, names[i], value, (size_t) vlen);
	}
	return 0;
}

static bool is_opaque(int fd)
{
	char v[2];

	return fgetxattr(fd, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

static struct archive_entry *entry_new(const char *path, const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();

	if (!e)
		return NULL;
	archive_entry_set_pathname(e, path);
	archive_entry_set_mode(e, st->st_mode);
	archive_entry_set_uid(e, st->st_uid);
	archive_entry_set_gid(e, st->st_gid);
	archive_entry_set_mtime(e, st->st_mtim.tv_sec, 0);
	return e;
}

/* An empty regular file entry: a `.wh.` marker. */
static int write_marker(struct walk *w, const char *path, time_t mtime)
{
	struct stat st = {.st_mode = S_IFREG};
	struct archive_entry *e = entry_new(path, &st);
	int r;

	if (!e)
		return -ENOMEM;
	archive_entry_set_mtime(e, mtime, 0);
	archive_entry_set_size(e, 0);
	r = archive_write_header(w->a, e) == ARCHIVE_OK ? 0 : archive_err(w->a);
	archive_entry_free(e);
	return r;
}

/* A second path of an inode already written becomes a hard link entry. */
static const char *link_target(struct walk *w, const struct stat *st, const char *path)
{
	for (size_t i = 0; i < w->nlinks; i++)
		if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino)
			return w->links[i].path;
	if (w->nlinks == w->caplinks) {
		size_t cap = w->caplinks ? 2 * w->caplinks : 16;
		struct link_seen *n = realloc(w->links, cap * sizeof(*n));

		if (!n)
			return NULL;
		w->links = n;
		w->caplinks = cap;
	}
	w->links[w->nlinks] = (struct link_seen){st->st_dev, st->st_ino, strdup(path)};
	if (w->links[w->nlinks].path)
		w->nlinks++;
	return NULL;
}

static int write_file_data(struct walk *w, int fd)
{
	for (;;) {
		ssize_t n = read(fd, w->buf, sizeof(w->buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return negerrno();
		if (n == 0)
			return 0;
		if (archive_write_data(w->a, w->buf, (size_t) n) != n)
			return archive_err(w->a);
	}
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, unsigned depth);

static int walk_entry(struct walk *w, int dfd, const char *name, const char *path, unsigned depth)
{
	_cleanup_close_ int fd = -EBADF;
	struct archive_entry *e;
	struct stat st;
	const char *target = NULL;
	int r = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return negerrno();
	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		char wh[PATH_MAX];
		const char *slash = strrchr(path, '/');
		int plen = slash ? (int) (slash - path + 1) : 0;

		snprintf(wh, sizeof(wh), "%.*s.wh.%s", plen, path, name);
		return write_marker(w, wh, st.st_mtim.tv_sec);
	}
	if (S_ISSOCK(st.st_mode))
		return 0;
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return negerrno();
	}
	if (S_ISREG(st.st_mode) && st.st_nlink > 1)
		target = link_target(w, &st, path);
	e = entry_new(path, &st);
	if (!e)
		return -ENOMEM;
	if (target) {
		archive_entry_set_hardlink(e, target);
		archive_entry_set_size(e, 0);
	} else if (S_ISREG(st.st_mode)) {
		archive_entry_set_size(e, st.st_size);
	} else if (S_ISLNK(st.st_mode)) {
		char link[PATH_MAX];
		ssize_t n = readlinkat(dfd, name, link, sizeof(link) - 1);

		if (n < 0)
			r = negerrno();
		link[n < 0 ? 0 : n] = '\0';
		archive_entry_set_symlink(e, link);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		archive_entry_set_rdev(e, st.st_rdev);
	}
	if (r == 0 && fd >= 0)
		r = add_xattrs(e, fd);
	if (r == 0 && archive_write_header(w->a, e) != ARCHIVE_OK)
		r = archive_err(w->a);
	archive_entry_free(e);
	if (r == 0 && S_ISREG(st.st_mode) && !target)
		r = write_file_data(w, fd);
	if (r == 0 && S_ISDIR(st.st_mode)) {
		char wh[PATH_MAX];

		if (is_opaque(fd)) {
			snprintf(wh, sizeof(wh), "%s/.wh..wh..opq", path);
			r = write_marker(w, wh, st.st_mtim.tv_sec);
		}
		if (r == 0)
			r = walk_dir(w, fd, path, depth + 1);
	}
	return r;
}

static int walk_dir(struct walk *w, int dfd, const char *prefix, unsigned depth)
{
	char **names = NULL;
	int r;

	if (depth > 512)
		return -ELOOP;
	r = sorted_names(dfd, &names);
	for (char **n = names; r == 0 && *n; n++) {
		char path[PATH_MAX];

		if (snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "/" : "", *n) >=
		    (int) sizeof(path))
			r = -ENAMETOOLONG;
		else
			r = walk_entry(w, dfd, *n, path, depth);
	}
	names_free(names);
	return r;
}

int layer_tar_write(struct archive *a, int dirfd)
{
	struct walk *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->a = a;
	r = walk_dir(w, dirfd, "", 0);
	for (size_t i = 0; i < w->nlinks; i++)
		free(w->links[i].path);
	free(w->links);
	free(w);
	return r;
}

struct sink {
	int fd;
	int err;
	struct layer_hash hash;
};

static la_ssize_t sink_write(struct archive *a, void *data, const void *buf, size_t len)
{
	struct sink *s = data;
	int r;

	layer_hash_update(&s->hash, buf, len);
	if (s->fd >= 0) {
		r = fileio_write_full(s->fd, buf, len);
		if (r < 0) {
			s->err = r;
			archive_set_error(a, -r, "Write error");
			return -1;
		}
	}
	return (la_ssize_t) len;
}

int layer_tar_stream(int dirfd, int out_fd, char ret_digest[65], uint64_t *ret_size)
{
	struct archive *a = archive_write_new();
	struct sink s = {.fd = out_fd};
	int r;

	if (!a)
		return -ENOMEM;
	r = layer_hash_init(&s.hash);
	if (r < 0) {
		archive_write_free(a);
		return r;
	}
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open(a, &s, NULL, sink_write, NULL) != ARCHIVE_OK)
		r = s.err ?: archive_err(a);
	if (r == 0)
		r = layer_tar_write(a, dirfd);
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = archive_err(a);
	archive_write_free(a);
	if (s.err)
		r = s.err;
	if (r == 0) {
		if (ret_size)
			*ret_size = s.hash.bytes;
		return layer_hash_final(&s.hash, ret_digest);
	}
	layer_hash_clear(&s.hash);
	return r;
}

/* image_commit(): copy a container's overlay upper dir into a new layer, whiteouts and opaque
 * directories included, and stack it on the base image's layers. */
#include "image-commit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "cleanup.h"
#include "image.h"
#include "layer-path.h"
#include "layer-store.h"
#include "layer-tar.h"
#include "names.h"

struct linked {
	dev_t dev;
	ino_t ino;
	char *rel; /* where the first path of this inode went in the layer */
};

struct copy {
	int dst_root;
	char **excludes; /* clean relative paths */
	struct linked *links;
	size_t nlinks;
	char *err;
	size_t errsize;
};

static int fail(struct copy *c, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct copy *c, int r, const char *fmt, ...)
{
	va_list ap;

	if (c->errsize && !c->err[0]) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errsize, fmt, ap);
		va_end(ap);
	}
	return r;
}

static bool excluded(struct copy *c, const char *rel)
{
	for (char **e = c->excludes; e && *e; e++)
		if (!strcmp(*e, rel))
			return true;
	return false;
}

/* The xattrs that carry over: the opaque mark, user.*, file capabilities. Redirects and
 * metacopy would point into lower layers a new layer cannot rely on: refuse them. */
static int copy_xattrs(struct copy *c, int src, int dst, const char *rel)
{
	char list[8192], value[8192];
	ssize_t len = flistxattr(src, list, sizeof(list));

	if (len < 0)
		return errno == ENOTSUP ? 0
					: fail(c, negerrno(), "Cannot read xattrs of %s: %m", rel);
	for (char *n = list; n < list + len; n += strlen(n) + 1) {
		ssize_t vlen;

		if (!strcmp(n, "trusted.overlay.redirect") ||
		    !strcmp(n, "trusted.overlay.metacopy"))
			return fail(c, -ENOTSUP,
				    "%s is an overlay redirect or metacopy, which commit does not "
				    "support",
				    rel);
		if (strcmp(n, "trusted.overlay.opaque") && strncmp(n, "user.", 5) &&
		    strcmp(n, "security.capability"))
			continue;
		vlen = fgetxattr(src, n, value, sizeof(value));
		if (vlen >= 0 && fsetxattr(dst, n, value, (size_t) vlen, 0) < 0)
			return fail(c, negerrno(), "Cannot set %s on %s: %m", n, rel);
	}
	return 0;
}

static int copy_meta(struct copy *c, int src, int dst, const struct stat *st, const char *rel)
{
	if (fchown(dst, st->st_uid, st->st_gid) < 0 || fchmod(dst, st->st_mode & 07777) < 0)
		return fail(c, negerrno(), "Cannot set the owner and mode of %s: %m", rel);
	return copy_xattrs(c, src, dst, rel);
}

static int copy_data(int in, int out, off_t size)
{
	char buf[64 * 1024];

	while (size > 0) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t) size, 0);

		if (n < 0 &&
		    (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
			/* Different file systems on old kernels: plain copy. */
			n = read(in, buf, sizeof(buf));
			if (n > 0 && write(out, buf, (size_t) n) != n)
				return errno ? negerrno() : -EIO;
		}
		if (n < 0)
			return negerrno();
		if (n == 0)
			break; /* it shrank meanwhile: take what there is */
		size -= n;
	}
	return 0;
}

/* A second path of a hard-linked inode becomes a hard link in the layer too. */
static int link_seen(struct copy *c, const struct stat *st, int dfd, const char *name,
		     const char *rel, bool *ret_done)
{
	struct linked *n;

	*ret_done = false;
	for (size_t i = 0; i < c->nlinks; i++)
		if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino) {
			if (linkat(c->dst_root, c->links[i].rel, dfd, name, 0) < 0)
				return fail(c, negerrno(), "Cannot link %s: %m", rel);
			*ret_done = true;
			return 0;
		}
	n = realloc(c->links, (c->nlinks + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	c->links = n;
	n[c->nlinks] = (struct linked){st->st_dev, st->st_ino, strdup(rel)};
	if (!n[c->nlinks].rel)
		return -ENOMEM;
	c->nlinks++;
	return 0;
}

static int copy_dir(struct copy *c, int src, int dst, const char *prefix, unsigned depth);

static int copy_entry(struct copy *c, int src, int dst, const char *name, const char *rel,
		      unsigned depth)
{
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	struct timespec ts[2];
	struct stat st;
	bool done;
	int r = 0;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail(c, negerrno(), "Cannot read %s: %m", rel);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	if (excluded(c, rel) && !S_ISDIR(st.st_mode))
		return 0; /* a file volume's mount point */
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(dst, name, 0700) < 0)
			return fail(c, negerrno(), "Cannot create %s: %m", rel);
		in = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		out = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (in < 0 || out < 0)
			return fail(c, negerrno(), "Cannot open %s: %m", rel);
		r = copy_meta(c, in, out, &st, rel);
		/* A volume's mount point stays, empty: what was mounted there is not ours. */
		if (r == 0 && !excluded(c, rel))
			r = copy_dir(c, in, out, rel, depth + 1);
		if (r == 0)
			futimens(out, ts);
		return r;
	}
	if (S_ISREG(st.st_mode)) {
		if (st.st_nlink > 1 && ((r = link_seen(c, &st, dst, name, rel, &done)) < 0 || done))
			return r;
		in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (in < 0 || out < 0)
			return fail(c, negerrno(), "Cannot copy %s: %m", rel);
		r = copy_data(in, out, st.st_size);
		if (r < 0)
			return fail(c, r, "Cannot copy %s: %s", rel, strerror(-r));
		r = copy_meta(c, in, out, &st, rel);
		if (r == 0)
			futimens(out, ts);
		return r;
	}
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);

		if (n < 0)
			return fail(c, negerrno(), "Cannot read %s: %m", rel);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return fail(c, negerrno(), "Cannot create %s: %m", rel);
	} else if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		if (mknodat(dst, name, S_IFCHR, makedev(0, 0)) < 0) /* a deletion */
			return fail(c, negerrno(), "Cannot create the whiteout %s: %m", rel);
	} else if (S_ISFIFO(st.st_mode)) {
		if (mknodat(dst, name, S_IFIFO | (st.st_mode & 07777), 0) < 0)
			return fail(c, negerrno(), "Cannot create %s: %m", rel);
	} else {
		return 0; /* devices and sockets: as import, images carry none */
	}
	if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return fail(c, negerrno(), "Cannot set the owner of %s: %m", rel);
	utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int copy_dir(struct copy *c, int src, int dst, const char *prefix, unsigned depth)
{
	int fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int r = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return fail(c, negerrno(), "Cannot read %s: %m", *prefix ? prefix : "/");
	}
	if (depth > 512) {
		closedir(d);
		return fail(c, -ELOOP, "The upper dir is too deep");
	}
	while (r == 0 && (de = readdir(d))) {
		char rel[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(rel, sizeof(rel), "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) >=
		    (int) sizeof(rel))
			r = fail(c, -ENAMETOOLONG, "A path in the upper dir is too long");
		else
			r = copy_entry(c, dirfd(d), dst, de->d_name, rel, depth);
	}
	closedir(d);
	return r;
}

static void copy_free(struct copy *c)
{
	for (char **e = c->excludes; e && *e; e++)
		free(*e);
	free(c->excludes);
	for (size_t i = 0; i < c->nlinks; i++)
		free(c->links[i].rel);
	free(c->links);
}

static int clean_excludes(struct copy *c, char *const *paths)
{
	size_t n = 0;

	while (paths && paths[n])
		n++;
	c->excludes = calloc(n + 1, sizeof(char *));
	if (!c->excludes)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char clean[PATH_MAX];
		const char *p = paths[i];

		while (*p == '/')
			p++;
		if (layer_path_clean(p, clean, sizeof(clean)) < 0)
			return fail(c, -EINVAL, "Bad excluded path %s", paths[i]);
		c->excludes[i] = strdup(clean);
		if (!c->excludes[i])
			return -ENOMEM;
	}
	return 0;
}

/* Build the layer from UPPER_DIR into T; give its digest. */
static int build_layer(struct copy *c, const char *upper_dir, struct layer_tmp *t,
		       char digest[LAYER_ID_LEN + 1])
{
	_cleanup_close_ int src = open(upper_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	int r;

	if (src < 0 || fstat(src, &st) < 0)
		return fail(c, negerrno(), "Cannot open the upper dir %s: %m", upper_dir);
	c->dst_root = t->dirfd;
	r = copy_meta(c, src, t->dirfd, &st, "/");
	if (r == 0)
		r = copy_dir(c, src, t->dirfd, "", 0);
	if (r == 0)
		r = layer_tar_stream(t->dirfd, -1, digest, NULL);
	return r;
}

static char **or_base(char *const *v, char **base)
{
	return v ? (char **) v : base;
}

int image_commit(const struct engine_paths *p, const char *upper_dir, const char *base_image,
		 const char *new_name, const struct image_commit_config *cfg, char *err,
		 size_t errsize)
{
	struct copy c = {.err = err, .errsize = errsize};
	struct layer_tmp t = {.dirfd = -EBADF};
	_cleanup_close_ int lock = -EBADF;
	_cleanup_free_ char **layers = NULL;
	char digest[LAYER_ID_LEN + 1], id[LAYER_ID_LEN + 1];
	struct image base = {0}, img;
	bool created = false;
	size_t n = 0;
	int r;

	if (errsize)
		err[0] = '\0';
	if (!name_is_valid(new_name))
		return fail(&c, -EINVAL, "Invalid image name %s", new_name);
	if (image_exists(p, new_name))
		return fail(&c, -EEXIST, "An image named %s exists", new_name);
	r = image_load(p, base_image, &base);
	if (r < 0)
		return fail(&c, r, "Cannot load the image %s: %s", base_image, strerror(-r));
	while (base.layers[n])
		n++;
	layers = calloc(n + 2, sizeof(char *));
	r = layers ? clean_excludes(&c, cfg->exclude_paths) : -ENOMEM;
	if (r == 0)
		r = layer_tmp_create(p, &t);
	if (r == 0)
		r = build_layer(&c, upper_dir, &t, digest);
	if (r < 0)
		goto out;
	memcpy(layers, base.layers, n * sizeof(char *));
	layers[n] = id;
	img = (struct image){.layers = layers,
			     .cmd = or_base(cfg->cmd, base.cmd),
			     .env = or_base(cfg->env, base.env),
			     .workdir = cfg->workdir ? (char *) cfg->workdir : base.workdir};
	lock = layer_store_lock(p);
	if (lock < 0) {
		r = lock;
		goto out;
	}
	/* Under the lock: the base's layers cannot go while the new image starts to name them. */
	r = image_exists(p, base_image) ? 0 : -ENOENT;
	if (r == 0)
		r = layer_tmp_publish(p, &t, digest, id, &created);
	if (r == 0) {
		r = image_create(p, new_name, &img);
		if (r < 0 && created)
			layer_remove(p, id);
	}
	if (r < 0)
		fail(&c, r, r == -EEXIST ? "An image named %s exists" : "Cannot store the image %s",
		     new_name);
out:
	if (r < 0 && errsize && !err[0])
		snprintf(err, errsize, "Cannot commit: %s", strerror(-r));
	layer_tmp_discard(&t);
	copy_free(&c);
	image_clear(&base);
	return r;
}

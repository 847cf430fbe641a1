/* containers/NAME/root/: the container's root filesystem as real files, readable and
 * writable with any tool (cp, rm, mkdir, chmod, ln -s, mv), whether the container runs or not.
 * A passthrough in the manner of libfuse's passthrough_ll: every node holds an O_PATH fd and
 * every operation works relative to such fds, never through a path, so nothing here follows a
 * symlink. Symlinks are shown as links, but their targets are rebased under this root/ so the
 * kernel, following them for a user, stays inside the container (a container cannot plant a
 * link that makes `cp conf root/etc/` write the host's /etc). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs-internal.h"

#define BUCKETS 4096

struct rnode {
	struct rnode *next_ino, *next_key;
	fuse_ino_t ino;
	uint64_t slot, gen;
	int fd; /* O_PATH | O_NOFOLLOW */
	dev_t dev;
	ino_t rino;
	uint64_t nlookup;
	char *path; /* inside the container's root, "" for the root itself */
};

struct root_table {
	pthread_mutex_t lock;
	struct rnode *by_ino[BUCKETS];
	struct rnode *by_key[BUCKETS];
	uint64_t next;
};

int root_table_new(struct fs *fs)
{
	fs->roots = calloc(1, sizeof(*fs->roots));
	if (!fs->roots)
		return -ENOMEM;
	pthread_mutex_init(&fs->roots->lock, NULL);
	return 0;
}

void root_table_free(struct fs *fs)
{
	if (!fs->roots)
		return;
	for (size_t b = 0; b < BUCKETS; b++) {
		for (struct rnode *n = fs->roots->by_ino[b], *next; n; n = next) {
			next = n->next_ino;
			close(n->fd);
			free(n->path);
			free(n);
		}
	}
	pthread_mutex_destroy(&fs->roots->lock);
	free(fs->roots);
}

static size_t key_hash(uint64_t slot, dev_t dev, ino_t rino)
{
	return (size_t) ((rino * 31 + dev * 17 + slot) % BUCKETS);
}

static struct rnode *find(struct root_table *t, fuse_ino_t ino)
{
	struct rnode *n;

	pthread_mutex_lock(&t->lock);
	for (n = t->by_ino[ino % BUCKETS]; n && n->ino != ino; n = n->next_ino)
		;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* The node of the file FD refers to (taking FD over), one more lookup counted. */
static struct rnode *intern(struct root_table *t, uint64_t slot, uint64_t gen, int fd,
			    const struct stat *st, const char *path)
{
	size_t k = key_hash(slot, st->st_dev, st->st_ino);
	struct rnode *n;

	pthread_mutex_lock(&t->lock);
	for (n = t->by_key[k]; n; n = n->next_key)
		if (n->slot == slot && n->gen == gen && n->dev == st->st_dev &&
		    n->rino == st->st_ino)
			break;
	if (n) {
		n->nlookup++;
		pthread_mutex_unlock(&t->lock);
		close(fd);
		return n;
	}
	n = calloc(1, sizeof(*n));
	if (!n || !(n->path = strdup(path))) {
		pthread_mutex_unlock(&t->lock);
		free(n);
		close(fd);
		return NULL;
	}
	n->ino = ROOT_BASE + ++t->next;
	n->slot = slot;
	n->gen = gen;
	n->fd = fd;
	n->dev = st->st_dev;
	n->rino = st->st_ino;
	n->nlookup = 1;
	n->next_ino = t->by_ino[n->ino % BUCKETS];
	t->by_ino[n->ino % BUCKETS] = n;
	n->next_key = t->by_key[k];
	t->by_key[k] = n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void root_forget(struct fs *fs, fuse_ino_t ino, uint64_t nlookup)
{
	struct root_table *t = fs->roots;
	struct rnode **pp, *n;

	pthread_mutex_lock(&t->lock);
	for (pp = &t->by_ino[ino % BUCKETS]; *pp && (*pp)->ino != ino; pp = &(*pp)->next_ino)
		;
	n = *pp;
	if (n)
		n->nlookup = nlookup < n->nlookup ? n->nlookup - nlookup : 0;
	if (!n || n->nlookup > 0) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	*pp = n->next_ino;
	for (pp = &t->by_key[key_hash(n->slot, n->dev, n->rino)]; *pp && *pp != n;
	     pp = &(*pp)->next_key)
		;
	if (*pp)
		*pp = n->next_key;
	pthread_mutex_unlock(&t->lock);
	close(n->fd);
	free(n->path);
	free(n);
}

/* A node whose container still exists and whose root was not remounted since. */
static int live(struct fs *fs, fuse_ino_t ino, struct rnode **ret)
{
	struct rnode *n = find(fs->roots, ino);
	struct container *c;
	int r = 0;

	if (!n)
		return -ENOENT;
	engine_lock(fs->engine);
	c = engine_container_by_slot(fs->engine, n->slot);
	if (!c)
		r = -ENOENT;
	else if (container_root_generation(c) != n->gen)
		r = -ESTALE; /* the container started or stopped: its root was mounted anew */
	engine_unlock(fs->engine);
	if (r == 0)
		*ret = n;
	return r;
}

static int stat_fd(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? negerrno() : 0;
}

static int rebased_link(struct fs *fs, struct rnode *n, char *buf, size_t size);

/* A symlink's size is the length of what readlink shows: its rebased target. */
static void fix_link_size(struct fs *fs, struct rnode *n, struct stat *st)
{
	char buf[PATH_MAX];

	if (S_ISLNK(st->st_mode) && rebased_link(fs, n, buf, sizeof(buf)) == 0)
		st->st_size = (off_t) strlen(buf);
}

static int fill_entry(struct fs *fs, struct rnode *n, struct fuse_entry_param *e)
{
	int r = stat_fd(n->fd, &e->attr);

	if (r == 0)
		fix_link_size(fs, n, &e->attr);
	e->ino = n->ino;
	e->attr.st_ino = n->ino;
	e->attr_timeout = e->entry_timeout = 0;
	return r;
}

int root_lookup_top(struct fs *fs, uint64_t slot, struct fuse_entry_param *e)
{
	struct container *c;
	struct rnode *n;
	struct stat st;
	uint64_t gen;
	int fd;

	engine_lock(fs->engine);
	c = engine_container_by_slot(fs->engine, slot);
	fd = c ? container_root_open(fs->engine, c) : -ENOENT;
	gen = c ? container_root_generation(c) : 0;
	engine_unlock(fs->engine);
	if (fd < 0)
		return fd;
	if (stat_fd(fd, &st) < 0) {
		close(fd);
		return -EIO;
	}
	n = intern(fs->roots, slot, gen, fd, &st, "");
	return n ? fill_entry(fs, n, e) : -ENOMEM;
}

static bool bad_name(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/');
}

static char *child_path(const struct rnode *parent, const char *name)
{
	char *p;

	return asprintf(&p, "%s/%s", parent->path, name) < 0 ? NULL : p;
}

/* Intern PARENT/NAME, which exists now. */
static int lookup_child(struct fs *fs, struct rnode *parent, const char *name,
			struct fuse_entry_param *e)
{
	_cleanup_free_ char *path = child_path(parent, name);
	struct stat st;
	struct rnode *n;
	int fd;

	if (!path)
		return -ENOMEM;
	fd = openat(parent->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	if (stat_fd(fd, &st) < 0) {
		close(fd);
		return -EIO;
	}
	n = intern(fs->roots, parent->slot, parent->gen, fd, &st, path);
	return n ? fill_entry(fs, n, e) : -ENOMEM;
}

/* PARENT's node, if it is live and NAME is one plain component (else BAD: ENOENT for a
 * lookup, EINVAL for a change). */
static int live_dir(struct fs *fs, fuse_ino_t parent, const char *name, int bad, struct rnode **ret)
{
	int r = live(fs, parent, ret);

	return r < 0 ? r : bad_name(name) ? bad : 0;
}

int root_lookup(struct fs *fs, fuse_ino_t parent, const char *name, struct fuse_entry_param *e)
{
	struct rnode *p;
	int r = live_dir(fs, parent, name, -ENOENT, &p);

	return r < 0 ? r : lookup_child(fs, p, name, e);
}

int root_getattr(struct fs *fs, fuse_ino_t ino, struct stat *st)
{
	struct rnode *n;
	int r = live(fs, ino, &n);

	if (r == 0)
		r = stat_fd(n->fd, st);
	if (r == 0) {
		fix_link_size(fs, n, st);
		st->st_ino = ino;
	}
	return r;
}

/* /proc/self/fd/N: how to reach an O_PATH fd's file for calls that take no fd. */
static void proc_path(int fd, char buf[64])
{
	snprintf(buf, 64, "/proc/self/fd/%d", fd);
}

int root_setattr(struct fs *fs, fuse_ino_t ino, struct stat *attr, int to_set,
		 struct fuse_file_info *fi, struct stat *ret)
{
	struct rnode *n;
	char proc[64];
	int r = live(fs, ino, &n);

	if (r < 0)
		return r;
	proc_path(n->fd, proc);
	if ((to_set & FUSE_SET_ATTR_MODE) && fchmodat(AT_FDCWD, proc, attr->st_mode & 07777, 0) < 0)
		return negerrno();
	if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		uid_t uid = (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t) -1;
		gid_t gid = (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t) -1;
		if (fchownat(n->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return negerrno();
	}
	if (to_set & FUSE_SET_ATTR_SIZE) {
		int fd = fi ? (int) ((struct open_file *) (uintptr_t) fi->fh)->log_fd
			    : open(proc, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return negerrno();
		r = ftruncate(fd, attr->st_size) < 0 ? negerrno() : 0;
		if (!fi)
			close(fd);
		if (r < 0)
			return r;
	}
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
		struct timespec tv[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};
		if (to_set & FUSE_SET_ATTR_ATIME_NOW)
			tv[0].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_ATIME)
			tv[0] = attr->st_atim;
		if (to_set & FUSE_SET_ATTR_MTIME_NOW)
			tv[1].tv_nsec = UTIME_NOW;
		else if (to_set & FUSE_SET_ATTR_MTIME)
			tv[1] = attr->st_mtim;
		struct stat st;
		/* A symlink's times cannot be set through its O_PATH fd: leave them. */
		if (stat_fd(n->fd, &st) == 0 && !S_ISLNK(st.st_mode) &&
		    utimensat(AT_FDCWD, proc, tv, 0) < 0)
			return negerrno();
	}
	r = stat_fd(n->fd, ret);
	ret->st_ino = ino;
	return r;
}

/* Lexically resolve TARGET seen from the directory DIR (both inside the container's root),
 * ".." stopping at the root, into OUT (absolute within the root). */
static void resolve_in_root(const char *dir, const char *target, char *out, size_t size)
{
	char buf[PATH_MAX * 2];
	size_t len = 0;

	snprintf(buf, sizeof(buf), "%s/%s", target[0] == '/' ? "" : dir, target);
	out[0] = '\0';
	for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			char *slash = strrchr(out, '/');
			len = slash ? (size_t) (slash - out) : 0;
			out[len] = '\0';
			continue;
		}
		len += (size_t) snprintf(out + len, size - len, "/%s", c);
		if (len >= size) {
			len = size - 1;
			break;
		}
	}
}

int root_readlink(struct fs *fs, fuse_ino_t ino, char *buf, size_t size)
{
	struct rnode *n;
	int r = live(fs, ino, &n);

	return r < 0 ? r : rebased_link(fs, n, buf, size);
}

static int rebased_link(struct fs *fs, struct rnode *n, char *buf, size_t size)
{
	char target[PATH_MAX], dir[PATH_MAX], inside[PATH_MAX];
	struct container *c;
	ssize_t len;
	int r;

	len = readlinkat(n->fd, "", target, sizeof(target) - 1);
	if (len < 0)
		return negerrno();
	target[len] = '\0';
	snprintf(dir, sizeof(dir), "%s", n->path);
	*(strrchr(dir, '/') ?: dir) = '\0';
	resolve_in_root(dir, target, inside, sizeof(inside));
	engine_lock(fs->engine);
	c = engine_container_by_slot(fs->engine, n->slot);
	r = c ? 0 : -ENOENT;
	if (c && snprintf(buf, size, "%s/containers/%s/root%s", fs->mountpoint,
			  container_config(c)->name, inside) >= (int) size)
		r = -ENAMETOOLONG;
	engine_unlock(fs->engine);
	return r;
}

/* New files belong to whoever made them, as on any filesystem (we run as root). */
static void own(int dirfd, const char *name, const struct fuse_ctx *ctx)
{
	(void) !fchownat(dirfd, name, ctx->uid, ctx->gid, AT_SYMLINK_NOFOLLOW);
}

int root_make(struct fs *fs, const struct fuse_ctx *ctx, fuse_ino_t parent, const char *name,
	      mode_t mode, dev_t rdev, const char *link, struct fuse_entry_param *e)
{
	struct rnode *p;
	int r = live_dir(fs, parent, name, -EINVAL, &p);

	if (r < 0)
		return r;
	if (link)
		r = symlinkat(link, p->fd, name);
	else if (S_ISDIR(mode))
		r = mkdirat(p->fd, name, mode & 07777);
	else if (S_ISFIFO(mode) || S_ISSOCK(mode) || S_ISREG(mode))
		r = mknodat(p->fd, name, mode, 0);
	else
		return -EPERM; /* no device nodes through root/ */
	(void) rdev;
	if (r < 0)
		return negerrno();
	own(p->fd, name, ctx);
	return lookup_child(fs, p, name, e);
}

int root_create(struct fs *fs, const struct fuse_ctx *ctx, fuse_ino_t parent, const char *name,
		mode_t mode, int flags, struct fuse_entry_param *e, int *ret_fd)
{
	struct rnode *p;
	int r = live_dir(fs, parent, name, -EINVAL, &p), fd;

	if (r < 0)
		return r;
	fd = openat(p->fd, name, (flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC) & ~O_DIRECT,
		    mode & 07777);
	if (fd < 0)
		return negerrno();
	own(p->fd, name, ctx);
	r = lookup_child(fs, p, name, e);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int root_remove(struct fs *fs, fuse_ino_t parent, const char *name, bool dir)
{
	struct rnode *p;
	int r = live_dir(fs, parent, name, -EINVAL, &p);

	if (r < 0)
		return r;
	return unlinkat(p->fd, name, dir ? AT_REMOVEDIR : 0) < 0 ? negerrno() : 0;
}

int root_rename(struct fs *fs, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		const char *newname, unsigned flags)
{
	struct rnode *p, *np;
	int r = live(fs, parent, &p);

	if (r == 0)
		r = live(fs, newparent, &np);
	if (r < 0)
		return r;
	if (bad_name(name) || bad_name(newname))
		return -EINVAL;
	if (p->slot != np->slot)
		return -EXDEV;
	return renameat2(p->fd, name, np->fd, newname, flags) < 0 ? negerrno() : 0;
}

int root_link(struct fs *fs, fuse_ino_t ino, fuse_ino_t newparent, const char *newname,
	      struct fuse_entry_param *e)
{
	struct rnode *n, *np;
	int r = live(fs, ino, &n);

	if (r == 0)
		r = live(fs, newparent, &np);
	if (r < 0)
		return r;
	if (bad_name(newname))
		return -EINVAL;
	if (n->slot != np->slot)
		return -EXDEV;
	if (linkat(n->fd, "", np->fd, newname, AT_EMPTY_PATH) < 0)
		return negerrno();
	return lookup_child(fs, np, newname, e);
}

int root_open(struct fs *fs, fuse_ino_t ino, int flags)
{
	struct rnode *n;
	char proc[64];
	int r = live(fs, ino, &n), fd;

	if (r < 0)
		return r;
	proc_path(n->fd, proc);
	/* Reopening through the O_PATH fd reaches exactly that file, not whatever a path names
	 * now; O_NOFOLLOW keeps a symlink from being opened through. */
	/* Without O_NOFOLLOW: the magic link itself is a symlink; the O_PATH fd never was one
	 * we would follow (a symlink node is opened by the kernel only through readlink). */
	fd = open(proc,
		  (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_DIRECT | O_NOFOLLOW)) | O_CLOEXEC);
	return fd < 0 ? negerrno() : fd;
}

int root_listing(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct strbuf *sb)
{
	struct rnode *n;
	struct dirent *de;
	DIR *d;
	int r = live(fs, ino, &n), fd;

	if (r < 0)
		return r;
	fd = openat(n->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return negerrno();
	}
	while (r == 0 && (de = readdir(d)))
		r = fs_dir_add(req, sb, de->d_name, de->d_ino, (mode_t) (DTTOIF(de->d_type)));
	closedir(d);
	return r;
}

int root_statfs(struct fs *fs, fuse_ino_t ino, struct statvfs *st)
{
	struct rnode *n;
	int r = live(fs, ino, &n);

	if (r < 0)
		return r;
	return fstatvfs(n->fd, st) < 0 ? negerrno() : 0;
}

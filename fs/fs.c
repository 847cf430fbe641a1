/* Namespace and attribute ops: lookup, getattr, setattr, readdir, mkdir, rmdir, open, release.
 * Everything the tree shows comes from the engine, taken under its lock. */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "events.h"
#include "fs-internal.h"
#include "log.h"
#include <linux/fuse.h>

#ifndef FOPEN_PARALLEL_DIRECT_WRITES
#define FOPEN_PARALLEL_DIRECT_WRITES (1 << 6) /* Linux 6.2 */
#endif
#define CTL_SIZE 4096

struct fs *fs_new(struct engine *e)
{
	struct fs *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->engine = e;
	if (root_table_new(fs) < 0) {
		free(fs);
		return NULL;
	}
	fs->uid = getuid();
	fs->gid = getgid();
	clock_gettime(CLOCK_REALTIME, &fs->started);
	return fs;
}

void fs_free(struct fs *fs)
{
	if (!fs)
		return;
	root_table_free(fs);
	for (size_t i = 0; i < fs->n_image_names; i++)
		free(fs->image_names[i]);
	free(fs->image_names);
	free(fs);
}

void fs_set_mountpoint(struct fs *fs, const char *path)
{
	snprintf(fs->mountpoint, sizeof(fs->mountpoint), "%s", path);
}

void fs_set_session(struct fs *fs, struct fuse_session *se)
{
	fs->se = se;
}

int fs_fail(struct container *c, int r)
{
	if (r < 0 && c)
		log_error("%s: %s (%s)", container_config(c)->name, container_error(c),
			  strerror(-r));
	return r;
}

static void fixed_attr(struct fs *fs, struct stat *st, mode_t mode, nlink_t nlink)
{
	st->st_mode = mode;
	st->st_nlink = nlink;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_atim = st->st_mtim = st->st_ctim = fs->started;
}

/* Attributes of INO; engine lock held. */
static int fill_attr(struct fs *fs, fuse_ino_t ino, struct stat *st)
{
	struct container *c;
	const struct cfile *f;

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_blksize = 4096;
	switch (ino) {
	case INO_ROOT:
		fixed_attr(fs, st, S_IFDIR | 0755, 5);
		return 0;
	case INO_VERSION:
	case INO_INFO:
	case INO_EVENTS:
		fixed_attr(fs, st, S_IFREG | 0444, 1);
		return 0;
	case INO_CONTAINERS:
		fixed_attr(fs, st, S_IFDIR | 0755,
			   (nlink_t) (2 + engine_container_count(fs->engine)));
		return 0;
	case INO_IMAGES:
	case INO_IMAGES_CTL:
	case INO_IMAGES_ERROR:
		return images_fill_attr(fs, ino, st);
	case INO_NETWORKS:
		return networks_fill_attr(fs, ino, st);
	}
	if (ino_is_network(ino))
		return networks_fill_attr(fs, ino, st);
	if (ino_is_image(ino) || ino_is_incoming(ino))
		return images_fill_attr(fs, ino, st);
	if (ino_is_exec(ino))
		return exec_fill_attr(fs, ino, st);
	if (!ino_is_container(ino))
		return -ENOENT;
	c = engine_container_by_slot(fs->engine, ino_slot(ino));
	if (!c)
		return -ENOENT;
	const struct container_config *cfg = container_config(c);
	st->st_uid = cfg->uid;
	st->st_gid = cfg->gid;
	st->st_atim = st->st_mtim = st->st_ctim = cfg->created;
	if (ino_index(ino) == 0) {
		st->st_mode = S_IFDIR | cfg->mode;
		st->st_nlink = 2;
		return 0;
	}
	f = cfile_by_index(ino_index(ino));
	if (!f)
		return -ENOENT;
	st->st_mode = S_IFREG | cfile_mode(f, cfg->mode);
	st->st_nlink = 1;
	if (f->kind == FILE_CTL)
		st->st_size = CTL_SIZE; /* see reply_open_parallel() */
	if (f->kind == FILE_LOGS || f->kind == FILE_LOGS_NOW) {
		uint64_t size = 0;
		container_log_size(fs->engine, c, &size);
		st->st_size = (off_t) size;
		st->st_blocks = (blkcnt_t) ((size + 511) / 512);
		clock_gettime(CLOCK_REALTIME, &st->st_mtim);
	}
	return 0;
}

static void reply_entry(fuse_req_t req, struct fs *fs, fuse_ino_t ino)
{
	struct fuse_entry_param e = {.ino = ino};
	int r = fill_attr(fs, ino, &e.attr);

	/* Timeouts 0: state changes behind the kernel's back (containers exit, appear, go). */
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, &e);
}

static fuse_ino_t lookup_ino(struct fs *fs, fuse_ino_t parent, const char *name)
{
	struct container *c;
	unsigned idx;

	if (parent == INO_ROOT) {
		if (!strcmp(name, "version"))
			return INO_VERSION;
		if (!strcmp(name, "info"))
			return INO_INFO;
		if (!strcmp(name, "events"))
			return INO_EVENTS;
		if (!strcmp(name, "containers"))
			return INO_CONTAINERS;
		if (!strcmp(name, "images"))
			return INO_IMAGES;
		if (!strcmp(name, "networks"))
			return INO_NETWORKS;
		return 0;
	}
	if (parent == INO_NETWORKS || ino_is_network(parent))
		return networks_lookup(fs, parent, name);
	if (parent == INO_IMAGES || ino_is_image(parent))
		return images_lookup(fs, parent, name);
	if (parent == INO_CONTAINERS) {
		c = engine_container_by_name(fs->engine, name);
		return c ? container_ino(container_slot(c), 0) : 0;
	}
	if (ino_is_exec(parent))
		return exec_lookup(fs, parent, name);
	if (ino_is_container(parent) && ino_index(parent) == 0 &&
	    engine_container_by_slot(fs->engine, ino_slot(parent))) {
		if (!strcmp(name, "exec"))
			return exec_ino(ino_slot(parent), 0, 0);
		idx = cfile_index(name);
		return idx ? container_ino(ino_slot(parent), idx) : 0;
	}
	return 0;
}

static void reply_entry_or_err(fuse_req_t req, int r, const struct fuse_entry_param *e)
{
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_entry(req, e);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fuse_req_userdata(req);
	struct fuse_entry_param e = {0};
	fuse_ino_t ino;

	if (ino_is_root(parent)) {
		reply_entry_or_err(req, root_lookup(fs, parent, name, &e), &e);
		return;
	}
	if (ino_is_container(parent) && ino_index(parent) == 0 && !strcmp(name, "root")) {
		reply_entry_or_err(req, root_lookup_top(fs, ino_slot(parent), &e), &e);
		return;
	}

	engine_lock(fs->engine);
	ino = lookup_ino(fs, parent, name);
	if (ino)
		reply_entry(req, fs, ino);
	else
		fuse_reply_err(req, ENOENT);
	engine_unlock(fs->engine);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct stat st;
	int r;

	(void) fi;
	if (ino_is_root(ino)) {
		r = root_getattr(fs, ino, &st);
		if (r < 0)
			fuse_reply_err(req, -r);
		else
			fuse_reply_attr(req, &st, 0);
		return;
	}
	engine_lock(fs->engine);
	r = fill_attr(fs, ino, &st);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, 0);
	engine_unlock(fs->engine);
}

static bool is_writable_kind(enum file_kind k)
{
	return k == FILE_IMAGES_CTL || k == FILE_INCOMING || k == FILE_NETWORK || k == FILE_CTL ||
	       k == FILE_CONFIG || k == FILE_EXEC_CMD || k == FILE_EXEC_ENV ||
	       k == FILE_EXEC_STDIN || k == FILE_EXEC_TTY;
}

static int do_setattr(struct fs *fs, fuse_ino_t ino, struct stat *attr, int to_set)
{
	const int owner_bits = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID;
	struct container *c = NULL;

	if (ino_is_exec(ino) || ino_is_network(ino)) {
		struct stat st;
		int r = ino_is_exec(ino) ? exec_fill_attr(fs, ino, &st)
					 : networks_fill_attr(fs, ino, &st);
		if (r < 0)
			return r;
		if (to_set & owner_bits)
			return -EPERM;
		/* `echo x > file` truncates first: fine on writable files, changes nothing. */
		if ((to_set & FUSE_SET_ATTR_SIZE) && (!(st.st_mode & 0222) || attr->st_size))
			return attr->st_size ? -EINVAL : -EACCES;
		return 0;
	}
	if (ino_is_incoming(ino))
		return 0; /* cp may truncate, chmod or touch what it copies in: all fine */
	if (ino == INO_IMAGES_CTL) {
		if (to_set & owner_bits)
			return -EPERM;
		return (to_set & FUSE_SET_ATTR_SIZE) && attr->st_size ? -EINVAL : 0;
	}
	if (ino_is_container(ino))
		c = engine_container_by_slot(fs->engine, ino_slot(ino));
	if (ino_is_container(ino) && !c)
		return -ENOENT;
	if (c && ino_index(ino) == 0) {
		const struct container_config *cfg = container_config(c);
		if (!(to_set & owner_bits))
			return 0;
		return fs_fail(c,
			       container_set_owner(
				       fs->engine, c,
				       (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : cfg->uid,
				       (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : cfg->gid,
				       (to_set & FUSE_SET_ATTR_MODE) ? attr->st_mode : cfg->mode));
	}
	if (to_set & owner_bits)
		return -EPERM;
	if (to_set & FUSE_SET_ATTR_SIZE) {
		/* `echo x > file` truncates first: accept it on writable files, change nothing. */
		const struct cfile *f = c ? cfile_by_index(ino_index(ino)) : NULL;
		if (!f || !is_writable_kind(f->kind))
			return -EACCES;
		if (attr->st_size != 0)
			return -EINVAL;
	}
	return 0;
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct stat st;
	int r;

	if (ino_is_root(ino)) {
		r = root_setattr(fs, ino, attr, to_set, fi, &st);
		if (r < 0)
			fuse_reply_err(req, -r);
		else
			fuse_reply_attr(req, &st, 0);
		return;
	}
	(void) fi;
	engine_lock(fs->engine);
	r = do_setattr(fs, ino, attr, to_set);
	if (r == 0)
		r = fill_attr(fs, ino, &st);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_attr(req, &st, 0);
	engine_unlock(fs->engine);
}

/* Append one entry to a listing being built; OFF is its position + 1. */
int fs_dir_add(fuse_req_t req, struct strbuf *sb, const char *name, fuse_ino_t ino, mode_t mode)
{
	struct stat st = {.st_ino = ino, .st_mode = mode};
	size_t need = fuse_add_direntry(req, NULL, 0, name, NULL, 0);
	size_t at = sb->len;
	char zero = 0;
	int r;

	for (size_t i = 0; i < need; i++)
		if ((r = strbuf_add(sb, &zero, 1)) < 0)
			return r;
	fuse_add_direntry(req, sb->data + at, need, name, &st, (off_t) (at + need));
	return 0;
}

static int build_listing(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct strbuf *sb)
{
	int r = 0;

	r = fs_dir_add(req, sb, ".", ino, S_IFDIR);
	if (r == 0)
		r = fs_dir_add(req, sb, "..",
			       ino == INO_ROOT	       ? INO_ROOT
			       : ino == INO_CONTAINERS ? INO_ROOT
						       : INO_CONTAINERS,
			       S_IFDIR);
	if (ino == INO_ROOT) {
		if (r == 0)
			r = fs_dir_add(req, sb, "version", INO_VERSION, S_IFREG);
		if (r == 0)
			r = fs_dir_add(req, sb, "info", INO_INFO, S_IFREG);
		if (r == 0)
			r = fs_dir_add(req, sb, "events", INO_EVENTS, S_IFREG);
		if (r == 0)
			r = fs_dir_add(req, sb, "containers", INO_CONTAINERS, S_IFDIR);
		if (r == 0)
			r = fs_dir_add(req, sb, "images", INO_IMAGES, S_IFDIR);
		if (r == 0)
			r = fs_dir_add(req, sb, "networks", INO_NETWORKS, S_IFDIR);
		return r;
	}
	if (ino == INO_NETWORKS || ino_is_network(ino)) {
		strbuf_free(sb);
		return networks_listing(req, fs, ino, sb);
	}
	if (ino == INO_IMAGES || ino_is_image(ino)) {
		strbuf_free(sb);
		return images_listing(req, fs, ino, sb);
	}
	if (ino == INO_CONTAINERS) {
		for (struct container *c = engine_container_next(fs->engine, NULL); c && r == 0;
		     c = engine_container_next(fs->engine, c))
			r = fs_dir_add(req, sb, container_config(c)->name,
				       container_ino(container_slot(c), 0), S_IFDIR);
		return r;
	}
	if (ino_is_container(ino) && ino_index(ino) == 0 &&
	    engine_container_by_slot(fs->engine, ino_slot(ino))) {
		for (unsigned i = 1; i < container_files_count && r == 0; i++)
			r = fs_dir_add(req, sb, container_files[i].name,
				       container_ino(ino_slot(ino), i), S_IFREG);
		if (r == 0)
			r = fs_dir_add(req, sb, "exec", exec_ino(ino_slot(ino), 0, 0), S_IFDIR);
		if (r == 0)
			r = fs_dir_add(req, sb, "root", 0xffffffff,
				       S_IFDIR); /* numbered at lookup */
		return r;
	}
	if (ino_is_exec(ino))
		return exec_listing(req, fs, ino, sb);
	return -ENOENT;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct strbuf *sb = calloc(1, sizeof(*sb));
	int r;

	if (!sb) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* The listing is a snapshot taken here, so a readdir in pieces stays consistent. */
	if (ino_is_root(ino)) {
		r = root_listing(req, fs, ino, sb);
	} else {
		engine_lock(fs->engine);
		r = build_listing(req, fs, ino, sb);
		engine_unlock(fs->engine);
	}
	if (r < 0) {
		strbuf_free(sb);
		free(sb);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t) (uintptr_t) sb;
	fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct strbuf *sb = (struct strbuf *) (uintptr_t) fi->fh;
	size_t start = (size_t) off, end;

	(void) ino;
	if (start >= sb->len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	/* Whole entries only: walk the records until SIZE would be exceeded. */
	end = start;
	while (end < sb->len) {
		const struct {
			uint64_t ino, off;
			uint32_t namelen, type;
		} *d = (const void *) (sb->data + end);
		size_t reclen = (24 + d->namelen + 7) & ~(size_t) 7;
		if (end + reclen - start > size)
			break;
		end += reclen;
	}
	fuse_reply_buf(req, sb->data + start, end - start);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct strbuf *sb = (struct strbuf *) (uintptr_t) fi->fh;

	(void) ino;
	strbuf_free(sb);
	free(sb);
	fuse_reply_err(req, 0);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct fs *fs = fuse_req_userdata(req);
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct container *c;
	int r;

	if (ino_is_root(parent)) {
		struct fuse_entry_param e = {0};
		reply_entry_or_err(
			req, root_make(fs, ctx, parent, name, S_IFDIR | mode, 0, NULL, &e), &e);
		return;
	}
	if (parent == INO_NETWORKS) {
		fuse_ino_t ino = 0;
		engine_lock(fs->engine);
		r = networks_mkdir(fs, name, &ino);
		if (r < 0)
			fuse_reply_err(req, -r);
		else
			reply_entry(req, fs, ino);
		engine_unlock(fs->engine);
		return;
	}
	if (parent != INO_CONTAINERS) {
		fuse_reply_err(req, EPERM);
		return;
	}
	engine_lock(fs->engine);
	r = container_create(fs->engine, name, ctx->uid, ctx->gid, mode & 07777, &c);
	if (r < 0) {
		log_error("mkdir %s: %s", name,
			  r == -EINVAL ? "bad name: 1-64 of [A-Za-z0-9_.-], first a letter or digit"
				       : strerror(-r));
		fuse_reply_err(req, -r);
	} else {
		log_info("Created container %s", name);
		reply_entry(req, fs, container_ino(container_slot(c), 0));
	}
	engine_unlock(fs->engine);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fuse_req_userdata(req);
	struct container *c;
	int r;

	if (ino_is_root(parent)) {
		fuse_reply_err(req, -root_remove(fs, parent, name, true));
		return;
	}
	engine_lock(fs->engine);
	if (ino_is_exec(parent))
		r = exec_rmdir(fs, parent, name);
	else if (parent == INO_IMAGES)
		r = images_rmdir(fs, name);
	else if (parent == INO_NETWORKS)
		r = networks_rmdir(fs, name);
	else if (parent != INO_CONTAINERS)
		r = lookup_ino(fs, parent, name) ? -ENOTDIR : -EPERM;
	else if (!(c = engine_container_by_name(fs->engine, name)))
		r = -ENOENT;
	else
		r = fs_fail(c, container_remove(fs->engine, c));
	if (r == 0 && parent == INO_CONTAINERS)
		log_info("Removed container %s", name);
	engine_unlock(fs->engine);
	fuse_reply_err(req, -r);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fuse_req_userdata(req);
	fuse_ino_t ino;

	if (ino_is_root(parent)) {
		fuse_reply_err(req, -root_remove(fs, parent, name, false));
		return;
	}
	engine_lock(fs->engine);
	ino = lookup_ino(fs, parent, name);
	engine_unlock(fs->engine);
	fuse_reply_err(req, ino ? EPERM : ENOENT);
}

static void root_create_reply(fuse_req_t req, struct fs *fs, fuse_ino_t parent, const char *name,
			      mode_t mode, struct fuse_file_info *fi)
{
	struct fuse_entry_param e = {0};
	struct open_file *of = calloc(1, sizeof(*of));
	int fd = -EBADF, r;

	r = of ? root_create(fs, fuse_req_ctx(req), parent, name, mode, fi->flags, &e, &fd)
	       : -ENOMEM;
	if (r < 0) {
		free(of);
		fuse_reply_err(req, -r);
		return;
	}
	*of = (struct open_file){.fs = fs, .kind = FILE_ROOT, .log_fd = fd};
	fi->fh = (uint64_t) (uintptr_t) of;
	if (fuse_reply_create(req, &e, fi) != 0) {
		close(fd);
		free(of);
	}
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);

	if (ino_is_root(parent)) {
		root_create_reply(req, fs, parent, name, mode, fi);
		return;
	}
	if (parent != INO_IMAGES) {
		fuse_reply_err(req, EACCES); /* as sysfs: no new files in a synthetic directory */
		return;
	}
	/* `cp image.tar images/`: the file is imported when it is closed. */
	engine_lock(fs->engine);
	images_create(req, fs, name, mode, fi);
	engine_unlock(fs->engine);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	if (ino_is_root(parent)) {
		struct fuse_entry_param e = {0};
		struct fs *fs = fuse_req_userdata(req);
		reply_entry_or_err(
			req, root_make(fs, fuse_req_ctx(req), parent, name, mode, rdev, NULL, &e),
			&e);
		return;
	}
	(void) parent;
	(void) name;
	(void) mode;
	(void) rdev;
	fuse_reply_err(req, EACCES);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	if (ino_is_root(parent)) {
		struct fuse_entry_param e = {0};
		struct fs *fs = fuse_req_userdata(req);
		reply_entry_or_err(
			req, root_make(fs, fuse_req_ctx(req), parent, name, S_IFLNK, 0, link, &e),
			&e);
		return;
	}
	(void) link;
	(void) parent;
	(void) name;
	fuse_reply_err(req, EPERM);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	if (ino_is_root(parent) && ino_is_root(newparent)) {
		struct fs *fs = fuse_req_userdata(req);
		fuse_reply_err(req, -root_rename(fs, parent, name, newparent, newname, flags));
		return;
	}
	(void) parent;
	(void) name;
	(void) newparent;
	(void) newname;
	(void) flags;
	fuse_reply_err(req, EPERM);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	if (ino_is_root(ino) && ino_is_root(newparent)) {
		struct fuse_entry_param e = {0};
		struct fs *fs = fuse_req_userdata(req);
		reply_entry_or_err(req, root_link(fs, ino, newparent, newname, &e), &e);
		return;
	}
	(void) ino;
	(void) newparent;
	(void) newname;
	fuse_reply_err(req, EPERM);
}

static int open_file(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct fuse_file_info *fi,
		     struct open_file *of)
{
	int acc = fi->flags & O_ACCMODE;
	struct container *c;
	struct stat st;

	of->log_fd = -EBADF;
	of->fs = fs;
	of->nonblock = fi->flags & O_NONBLOCK;
	if (ino == INO_EVENTS) {
		of->kind = FILE_EVENTS;
		of->pos = events_head(fs->engine); /* from now on, as `docker events` */
		return (fi->flags & O_ACCMODE) == O_RDONLY ? 0 : -EACCES;
	}
	if (ino == INO_VERSION || ino == INO_INFO) {
		of->kind = ino == INO_VERSION ? FILE_VERSION : FILE_INFO;
		return acc == O_RDONLY ? 0 : -EACCES;
	}
	if (ino_is_exec(ino))
		return exec_open(fs, ino, fi->flags, of);
	if (ino == INO_IMAGES_CTL || ino == INO_IMAGES_ERROR || ino_is_image(ino) ||
	    ino_is_incoming(ino))
		return images_open(req, fs, ino, fi, of);
	if (ino_is_network(ino))
		return networks_open(fs, ino, fi->flags, of);
	if (!ino_is_container(ino))
		return -ENOENT;
	c = engine_container_by_slot(fs->engine, ino_slot(ino));
	of->file = cfile_by_index(ino_index(ino));
	if (!c || !of->file)
		return -ENOENT;
	of->slot = ino_slot(ino);
	of->kind = of->file->kind;
	if (acc != O_RDONLY && !is_writable_kind(of->kind))
		return -EACCES; /* even root cannot write a read-only file */
	if (of->kind == FILE_LOGS || of->kind == FILE_LOGS_NOW) {
		of->log_fd = container_log_open(fs->engine, c);
		if (of->log_fd < 0)
			return of->log_fd;
		if (of->kind == FILE_LOGS_NOW && fstat(of->log_fd, &st) == 0)
			of->log_limit = (uint64_t) st.st_size;
	}
	return 0;
}

static void reply_open_parallel(fuse_req_t req, const struct fuse_file_info *fi);

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct open_file *of = calloc(1, sizeof(*of));
	int r;

	if (!of) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (ino_is_root(ino)) {
		/* A real file: the page cache is fine, the kernel owns consistency. */
		*of = (struct open_file){.fs = fs, .kind = FILE_ROOT};
		of->log_fd = root_open(fs, ino, fi->flags);
		if (of->log_fd < 0) {
			fuse_reply_err(req, -of->log_fd);
			free(of);
			return;
		}
		fi->fh = (uint64_t) (uintptr_t) of;
		fuse_reply_open(req, fi);
		return;
	}
	engine_lock(fs->engine);
	r = open_file(req, fs, ino, fi, of);
	engine_unlock(fs->engine);
	if (r == 1)
		return; /* answered later (an export being made) */
	if (r < 0) {
		closep(&of->log_fd);
		free(of);
		fuse_reply_err(req, -r);
		return;
	}
	/* Synthetic content: no page cache, so a size of 0 still reads, and reads see now. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	if (of->kind == FILE_WAIT || of->kind == FILE_EXEC_STATUS || of->kind == FILE_EXEC_STDIN ||
	    of->kind == FILE_EVENTS)
		fi->nonseekable = 1;
	fi->fh = (uint64_t) (uintptr_t) of;
	if (of->kind == FILE_CTL) {
		reply_open_parallel(req, fi);
		return;
	}
	fuse_reply_open(req, fi);
}

/* ctl: the kernel serializes direct writes to one inode unless the open allows parallel
 * ones (and the write ends within the file's size: ctl reports 4096, as sysfs files do).
 * Without this, a `stop 3600` in progress would hold back a `kill` or a shorter `stop` on
 * the same container. libfuse 3.14 has no field for the flag, so the reply is built here. */
static void reply_open_parallel(fuse_req_t req, const struct fuse_file_info *fi)
{
	struct fuse_open_out arg = {
		.fh = fi->fh,
		.open_flags = FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES,
	};

	fuse_reply_buf(req, (const char *) &arg, sizeof(arg));
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fuse_req_userdata(req);
	struct open_file *of = (struct open_file *) (uintptr_t) fi->fh;

	(void) ino;
	if (of->kind == FILE_ROOT) {
		closep(&of->log_fd);
		free(of);
		fuse_reply_err(req, 0);
		return;
	}
	engine_lock(fs->engine);
	fs_forget_open(fs, of);
	images_release(fs, of);
	if (of->kind == FILE_EXEC_STDIN) {
		struct container *c = engine_container_by_slot(fs->engine, of->slot);
		if (c)
			container_exec_stdin_ref(c, of->session, -1);
	}
	engine_unlock(fs->engine);
	closep(&of->log_fd);
	strbuf_free(&of->snap);
	strbuf_free(&of->wbuf);
	free(of);
	fuse_reply_err(req, 0);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct fs *fs = fuse_req_userdata(req);
	char buf[PATH_MAX];
	int r = ino_is_root(ino) ? root_readlink(fs, ino, buf, sizeof(buf)) : -EINVAL;

	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_readlink(req, buf);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	if (ino_is_root(ino))
		root_forget(fuse_req_userdata(req), ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		if (ino_is_root(forgets[i].ino))
			root_forget(fuse_req_userdata(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st = {.f_namemax = 255, .f_bsize = 4096};
	int r = ino_is_root(ino) ? root_statfs(fuse_req_userdata(req), ino, &st) : 0;

	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_statfs(req, &st);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct open_file *of = (struct open_file *) (uintptr_t) fi->fh;
	int r = 0;

	(void) ino;
	if (of->kind == FILE_ROOT)
		r = (datasync ? fdatasync(of->log_fd) : fsync(of->log_fd)) < 0 ? errno : 0;
	fuse_reply_err(req, r);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct open_file *of = (struct open_file *) (uintptr_t) fi->fh;

	(void) ino;
	if (of->kind == FILE_INCOMING)
		images_flush(req, of->fs, of);
	else
		fuse_reply_err(req, 0);
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void) userdata;
	/* Reads of a stream may park: never let the kernel read ahead or cache. No atomic
	 * O_TRUNC: with it the kernel sets a file's size to 0 at open, and a ctl write would
	 * then reach past the end (serialized, see reply_open_parallel()). */
	conn->want &= ~(FUSE_CAP_AUTO_INVAL_DATA | FUSE_CAP_ATOMIC_O_TRUNC);
}

const struct fuse_lowlevel_ops fs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
	.unlink = op_unlink,
	.create = op_create,
	.mknod = op_mknod,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.open = op_open,
	.release = op_release,
	.flush = op_flush,
	.readlink = op_readlink,
	.forget = op_forget,
	.forget_multi = op_forget_multi,
	.statfs = op_statfs,
	.fsync = op_fsync,
	.read = fs_read,
	.write = fs_write,
	.poll = fs_poll,
};

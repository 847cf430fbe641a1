/* What the FUSE op files share: the fs object, per-open state, parked requests. */
#pragma once

#include <fuse_lowlevel.h>

#include "container.h"
#include "nodes.h"
#include "strutil.h"

struct park;

struct fs {
	struct engine *engine;
	struct fuse_session *se;
	struct park *parks; /* requests answered later; guarded by the engine lock */
	uid_t uid;	    /* owner of the fixed nodes */
	gid_t gid;
	struct timespec started;
	char **image_names; /* slot - 1 -> name: an image's inode, stable for the daemon's run */
	size_t n_image_names;
	char images_error[512];	   /* images/error */
	struct incoming *incoming; /* files being copied into images/ */
	uint64_t next_incoming;
	char mountpoint[4096];	  /* where we are mounted: symlinks in root/ are shown under it */
	struct root_table *roots; /* root/ nodes (root-files.c) */
};

/* Per-open state, in fi->fh. */
struct open_file {
	struct fs *fs;
	enum file_kind kind;
	uint64_t slot;	     /* the container (0 for top-level files) */
	unsigned session;    /* exec files: the session; image files: which file */
	char name[72];	     /* image files: the image */
	struct incoming *in; /* FILE_INCOMING */
	const struct cfile *file;
	struct strbuf snap; /* what a read shows, built at offset 0 */
	struct strbuf wbuf; /* what was written so far (config files) */
	int log_fd;
	uint64_t log_limit; /* logs-now: the log's size at open */
	uint64_t pos;	    /* logs: where the reader is, for poll */
	bool nonblock;
	struct fuse_pollhandle *ph;
	struct container_waiter poll_waiter;
};

/* A directory listing taken at opendir, served by readdir. */
struct dir_snapshot {
	char *buf;
	size_t len;
};

void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void fs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
	      struct fuse_file_info *fi);
void fs_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct fuse_pollhandle *ph);
/* Drop what an open file left parked or registered (at release). Engine lock held. */
void fs_forget_open(struct fs *fs, struct open_file *of);

/* exec/ inodes (exec-files.c). Engine lock held. */
fuse_ino_t exec_lookup(struct fs *fs, fuse_ino_t parent, const char *name);
int exec_fill_attr(struct fs *fs, fuse_ino_t ino, struct stat *st);
int exec_listing(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct strbuf *sb);
int exec_open(struct fs *fs, fuse_ino_t ino, int flags, struct open_file *of);
int exec_rmdir(struct fs *fs, fuse_ino_t parent, const char *name);
/* Append one entry to a listing being built by opendir. */
int fs_dir_add(fuse_req_t req, struct strbuf *sb, const char *name, fuse_ino_t ino, mode_t mode);

/* images/ (images-files.c). Engine lock held unless said otherwise. */
fuse_ino_t images_lookup(struct fs *fs, fuse_ino_t parent, const char *name);
int images_fill_attr(struct fs *fs, fuse_ino_t ino, struct stat *st);
int images_listing(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct strbuf *sb);
/* Open; returns 1 if the reply will come later (an export being made). */
int images_open(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct fuse_file_info *fi,
		struct open_file *of);
int images_snapshot(struct fs *fs, struct open_file *of);
int images_rmdir(struct fs *fs, const char *name);
void images_create(fuse_req_t req, struct fs *fs, const char *name, mode_t mode,
		   struct fuse_file_info *fi);
void images_write(fuse_req_t req, struct fs *fs, struct open_file *of, const char *buf, size_t size,
		  off_t off);
/* close() of a file copied in: import it (answered later). Engine lock NOT held. */
void images_flush(fuse_req_t req, struct fs *fs, struct open_file *of);
void images_release(struct fs *fs, struct open_file *of);
/* Run FN(ARG) on a thread of its own (long work: import, export, commit). */
int fs_run_async(void (*fn)(void *), void *arg);

/* root/ (root-files.c): a passthrough of each container's root filesystem. Functions take
 * the engine lock themselves where they need the container. */
int root_table_new(struct fs *fs);
void root_table_free(struct fs *fs);
int root_lookup_top(struct fs *fs, uint64_t slot, struct fuse_entry_param *e);
int root_lookup(struct fs *fs, fuse_ino_t parent, const char *name, struct fuse_entry_param *e);
int root_getattr(struct fs *fs, fuse_ino_t ino, struct stat *st);
int root_setattr(struct fs *fs, fuse_ino_t ino, struct stat *attr, int to_set,
		 struct fuse_file_info *fi, struct stat *ret);
int root_readlink(struct fs *fs, fuse_ino_t ino, char *buf, size_t size);
int root_make(struct fs *fs, const struct fuse_ctx *ctx, fuse_ino_t parent, const char *name,
	      mode_t mode, dev_t rdev, const char *link, struct fuse_entry_param *e);
int root_create(struct fs *fs, const struct fuse_ctx *ctx, fuse_ino_t parent, const char *name,
		mode_t mode, int flags, struct fuse_entry_param *e, int *ret_fd);
int root_remove(struct fs *fs, fuse_ino_t parent, const char *name, bool dir);
int root_rename(struct fs *fs, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		const char *newname, unsigned flags);
int root_link(struct fs *fs, fuse_ino_t ino, fuse_ino_t newparent, const char *newname,
	      struct fuse_entry_param *e);
int root_open(struct fs *fs, fuse_ino_t ino, int flags);
int root_listing(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct strbuf *sb);
void root_forget(struct fs *fs, fuse_ino_t ino, uint64_t nlookup);
int root_statfs(struct fs *fs, fuse_ino_t ino, struct statvfs *st);

/* networks/ (networks-files.c). Engine lock held. */
fuse_ino_t networks_lookup(struct fs *fs, fuse_ino_t parent, const char *name);
int networks_fill_attr(struct fs *fs, fuse_ino_t ino, struct stat *st);
int networks_listing(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct strbuf *sb);
int networks_open(struct fs *fs, fuse_ino_t ino, int flags, struct open_file *of);
int networks_snapshot(struct fs *fs, struct open_file *of);
int networks_write(struct fs *fs, struct open_file *of, const char *buf, size_t size);
int networks_mkdir(struct fs *fs, const char *name, fuse_ino_t *ret);
int networks_rmdir(struct fs *fs, const char *name);

/* Answer a read with a pread of FD (real files: root/, exports, files copied in). */
void fs_reply_pread(fuse_req_t req, int fd, size_t size, off_t off);

/* Record a failure on the container and in the daemon log; returns R for chaining. */
int fs_fail(struct container *c, int r);

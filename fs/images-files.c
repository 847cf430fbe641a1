/* images/: the image store as files. `ls images` lists images; images/NAME/ shows layers,
 * size, created, cmd, env, workdir, used-by and export (a docker-save tar); `rmdir` deletes
 * (EBUSY while a container uses it); images/ctl takes `import NAME PATH` and `tag NAME NEW`;
 * `cp x.tar images/` imports x, and close() reports how that went. Long work (import, export)
 * runs on a thread of its own and answers its request from there. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cmdline.h"
#include "events.h"
#include "fs-internal.h"
#include "image-export.h"
#include "image-import.h"
#include "image.h"
#include "log.h"
#include "names.h"

static const char *const image_files[] = {
	NULL, "layers", "size", "created", "cmd", "env", "workdir", "used-by", "export",
};
#define IMAGE_FILES (sizeof(image_files) / sizeof(image_files[0]))
#define IMAGE_EXPORT_INDEX 8

struct incoming {
	struct incoming *next;
	fuse_ino_t ino;
	char name[NAME_MAX_LEN + 1]; /* the image it becomes */
	char file[256];		     /* the name it was created under */
	char path[PATH_MAX];	     /* the temporary file */
	int fd;
	bool imported;
	off_t size;
};

int fs_run_async(void (*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	int r;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &attr, (void *(*) (void *) )(void *) fn, arg);
	pthread_attr_destroy(&attr);
	return -r;
}

static void set_error(struct fs *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct fs *fs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fs->images_error, sizeof(fs->images_error), fmt, ap);
	va_end(ap);
	log_error("images: %s", fs->images_error);
}

/* The slot of image NAME: assigned at first sight, kept for the daemon's run. */
static uint64_t image_slot(struct fs *fs, const char *name)
{
	char **n;

	for (size_t i = 0; i < fs->n_image_names; i++)
		if (!strcmp(fs->image_names[i], name))
			return i + 1;
	n = realloc(fs->image_names, sizeof(char *) * (fs->n_image_names + 1));
	if (!n)
		return 0;
	fs->image_names = n;
	n[fs->n_image_names] = strdup(name);
	return n[fs->n_image_names] ? ++fs->n_image_names : 0;
}

static const char *slot_name(struct fs *fs, fuse_ino_t ino)
{
	uint64_t slot = (ino - IMAGE_BASE) / 16;

	if (slot == 0 || slot > fs->n_image_names)
		return NULL;
	return fs->image_names[slot - 1];
}

static fuse_ino_t image_ino(struct fs *fs, const char *name, unsigned file)
{
	uint64_t slot = image_slot(fs, name);

	return slot ? IMAGE_BASE + slot * 16 + file : 0;
}

static struct incoming *incoming_by_ino(struct fs *fs, fuse_ino_t ino)
{
	for (struct incoming *in = fs->incoming; in; in = in->next)
		if (in->ino == ino)
			return in;
	return NULL;
}

fuse_ino_t images_lookup(struct fs *fs, fuse_ino_t parent, const char *name)
{
	const struct engine_paths *p = engine_paths(fs->engine);

	if (parent == INO_IMAGES) {
		if (!strcmp(name, "ctl"))
			return INO_IMAGES_CTL;
		if (!strcmp(name, "error"))
			return INO_IMAGES_ERROR;
		for (struct incoming *in = fs->incoming; in; in = in->next)
			if (!strcmp(in->file, name))
				return in->ino;
		if (!name_is_valid(name) || !image_exists(p, name))
			return 0;
		return image_ino(fs, name, 0);
	}
	if (ino_is_image(parent) && (parent - IMAGE_BASE) % 16 == 0) {
		const char *img = slot_name(fs, parent);
		if (!img || !image_exists(p, img))
			return 0;
		for (unsigned i = 1; i < IMAGE_FILES; i++)
			if (!strcmp(name, image_files[i]))
				return parent + i;
	}
	return 0;
}

int images_fill_attr(struct fs *fs, fuse_ino_t ino, struct stat *st)
{
	const struct engine_paths *p = engine_paths(fs->engine);
	struct incoming *in;
	const char *img;
	struct image info;

	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_atim = st->st_mtim = st->st_ctim = fs->started;
	if (ino == INO_IMAGES) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (ino == INO_IMAGES_CTL || ino == INO_IMAGES_ERROR) {
		st->st_mode = S_IFREG | (ino == INO_IMAGES_CTL ? 0644 : 0444);
		st->st_nlink = 1;
		return 0;
	}
	if (ino_is_incoming(ino)) {
		in = incoming_by_ino(fs, ino);
		if (!in)
			return -ENOENT;
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = in->size;
		return 0;
	}
	img = slot_name(fs, ino);
	if (!img || !image_exists(p, img))
		return -ENOENT;
	if (image_load(p, img, &info) == 0) {
		st->st_mtim.tv_sec = st->st_ctim.tv_sec = st->st_atim.tv_sec = info.created;
		st->st_mtim.tv_nsec = st->st_ctim.tv_nsec = st->st_atim.tv_nsec = 0;
		image_clear(&info);
	}
	if ((ino - IMAGE_BASE) % 16 == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
	}
	return 0;
}

int images_listing(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct strbuf *sb)
{
	const struct engine_paths *p = engine_paths(fs->engine);
	int r = fs_dir_add(req, sb, ".", ino, S_IFDIR);

	if (r == 0)
		r = fs_dir_add(req, sb, "..", ino == INO_IMAGES ? INO_ROOT : INO_IMAGES, S_IFDIR);
	if (ino == INO_IMAGES) {
		char **names = NULL;

		if (r == 0)
			r = fs_dir_add(req, sb, "ctl", INO_IMAGES_CTL, S_IFREG);
		if (r == 0)
			r = fs_dir_add(req, sb, "error", INO_IMAGES_ERROR, S_IFREG);
		if (r == 0 && image_list(p, &names) == 0) {
			for (char **n = names; *n && r == 0; n++)
				r = fs_dir_add(req, sb, *n, image_ino(fs, *n, 0), S_IFDIR);
			image_names_free(names);
		}
		return r;
	}
	if (!slot_name(fs, ino))
		return -ENOENT;
	for (unsigned i = 1; i < IMAGE_FILES && r == 0; i++)
		r = fs_dir_add(req, sb, image_files[i], ino + i, S_IFREG);
	return r;
}

static int show_strv(struct strbuf *out, char **v, bool as_cmd)
{
	if (as_cmd)
		return (v && v[0] ? cmdline_format(v, out) : 0) ?: strbuf_add(out, "\n", 1);
	for (; v && *v; v++) {
		int r = strbuf_addf(out, "%s\n", *v);
		if (r < 0)
			return r;
	}
	return 0;
}

int images_snapshot(struct fs *fs, struct open_file *of)
{
	const struct engine_paths *p = engine_paths(fs->engine);
	struct image img;
	char when[64];
	int r;

	strbuf_free(&of->snap);
	if (of->kind == FILE_IMAGES_CTL)
		return strbuf_addf(&of->snap, "import NAME PATH\ntag NAME NEWNAME\n");
	if (of->kind == FILE_IMAGES_ERROR)
		return fs->images_error[0] ? strbuf_addf(&of->snap, "%s\n", fs->images_error) : 0;
	if (!strcmp(image_files[of->session], "used-by")) {
		engine_image_in_use(fs->engine, of->name, &of->snap);
		return 0;
	}
	r = image_info(p, of->name, &img);
	if (r < 0)
		return r;
	switch (of->session) {
	case 1:
		for (char **l = img.layers; *l && r == 0; l++)
			r = strbuf_addf(&of->snap, "sha256:%s\n", *l);
		break;
	case 2:
		r = strbuf_addf(&of->snap, "%llu\n", (unsigned long long) img.size);
		break;
	case 3: {
		struct timespec ts = {.tv_sec = img.created};
		if (img.created && str_rfc3339(&ts, when, sizeof(when)) == 0)
			r = strbuf_addf(&of->snap, "%s\n", when);
		break;
	}
	case 4:
		r = show_strv(&of->snap, img.cmd, true);
		break;
	case 5:
		r = show_strv(&of->snap, img.env, false);
		break;
	default:
		r = strbuf_addf(&of->snap, "%s\n", img.workdir ? img.workdir : "/");
		break;
	}
	image_clear(&img);
	return r;
}

struct export_job {
	struct fs *fs;
	fuse_req_t req;
	struct fuse_file_info fi;
	struct open_file *of;
};

/* Make the tar into an unnamed temporary file; reads are then served from it. */
static void export_run(void *arg)
{
	struct export_job *j = arg;
	const struct engine_paths *p = engine_paths(j->fs->engine);
	char err[512] = "";
	int fd = open(p->data_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	int r = fd < 0 ? negerrno() : image_export(p, j->of->name, fd, err, sizeof(err));

	if (r < 0) {
		closep(&fd);
		engine_lock(j->fs->engine);
		set_error(j->fs, "Cannot export %s: %s", j->of->name, err[0] ? err : strerror(-r));
		engine_unlock(j->fs->engine);
		free(j->of);
		fuse_reply_err(j->req, -r);
	} else {
		j->of->log_fd = fd;
		j->fi.fh = (uint64_t) (uintptr_t) j->of;
		fuse_reply_open(j->req, &j->fi);
	}
	free(j);
}

int images_open(fuse_req_t req, struct fs *fs, fuse_ino_t ino, struct fuse_file_info *fi,
		struct open_file *of)
{
	int acc = fi->flags & O_ACCMODE;
	const char *img;
	struct export_job *j;

	if (ino == INO_IMAGES_CTL) {
		of->kind = FILE_IMAGES_CTL;
		return 0;
	}
	if (ino == INO_IMAGES_ERROR) {
		of->kind = FILE_IMAGES_ERROR;
		return acc == O_RDONLY ? 0 : -EACCES;
	}
	if (ino_is_incoming(ino)) {
		of->in = incoming_by_ino(fs, ino);
		of->kind = FILE_INCOMING;
		return of->in ? 0 : -ENOENT;
	}
	img = slot_name(fs, ino);
	if (!img || !image_exists(engine_paths(fs->engine), img))
		return -ENOENT;
	if (acc != O_RDONLY)
		return -EACCES;
	snprintf(of->name, sizeof(of->name), "%s", img);
	of->session = (unsigned) ((ino - IMAGE_BASE) % 16);
	if (of->session != IMAGE_EXPORT_INDEX) {
		of->kind = FILE_IMAGE_INFO;
		return 0;
	}
	of->kind = FILE_IMAGE_EXPORT;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	fi->direct_io = 1;
	*j = (struct export_job){.fs = fs, .req = req, .fi = *fi, .of = of};
	if (fs_run_async(export_run, j) < 0) {
		free(j);
		return -EAGAIN;
	}
	return 1;
}

int images_rmdir(struct fs *fs, const char *name)
{
	const struct engine_paths *p = engine_paths(fs->engine);
	int r;

	if (!name_is_valid(name) || !image_exists(p, name))
		return -ENOENT;
	if (engine_image_in_use(fs->engine, name, NULL)) {
		set_error(fs, "Image %s is used by a container", name);
		return -EBUSY;
	}
	r = image_delete(p, name);
	if (r < 0)
		set_error(fs, "Cannot delete %s: %s", name, strerror(-r));
	else
		events_emit(fs->engine, "image", name, "remove");
	return r;
}

struct import_job {
	struct fs *fs;
	fuse_req_t req;
	char name[NAME_MAX_LEN + 1];
	char path[PATH_MAX];
	size_t reply_size; /* a ctl write answers with its size; a flush with 0 */
	struct incoming *in;
};

static void import_run(void *arg)
{
	struct import_job *j = arg;
	char err[512] = "";
	int r = image_import(engine_paths(j->fs->engine), j->name, j->path, err, sizeof(err));

	engine_lock(j->fs->engine);
	if (r < 0)
		set_error(j->fs, "Cannot import %s: %s", j->name, err[0] ? err : strerror(-r));
	else
		log_info("Imported image %s from %s", j->name, j->path);
	if (r == 0)
		events_emit(j->fs->engine, "image", j->name, "import");
	if (j->in)
		j->in->imported = true;
	engine_unlock(j->fs->engine);
	if (r < 0)
		fuse_reply_err(j->req, -r);
	else if (j->reply_size)
		fuse_reply_write(j->req, j->reply_size);
	else
		fuse_reply_err(j->req, 0);
	free(j);
}

static int start_import(fuse_req_t req, struct fs *fs, const char *name, const char *path,
			size_t reply_size, struct incoming *in)
{
	struct import_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	*j = (struct import_job){.fs = fs, .req = req, .reply_size = reply_size, .in = in};
	snprintf(j->name, sizeof(j->name), "%s", name);
	snprintf(j->path, sizeof(j->path), "%s", path);
	if (fs_run_async(import_run, j) < 0) {
		free(j);
		return -EAGAIN;
	}
	return 0;
}

/* images/ctl: one command per write. */
static int ctl_command(fuse_req_t req, struct fs *fs, const char *buf, size_t size)
{
	const struct engine_paths *p = engine_paths(fs->engine);
	char line[PATH_MAX + 128], verb[16] = "", a[PATH_MAX] = "", b[PATH_MAX] = "", extra[2] = "";
	int r;

	if (size >= sizeof(line) || memchr(buf, '\0', size)) {
		set_error(fs, "Command too long or not text");
		return -EINVAL;
	}
	memcpy(line, buf, size);
	line[size] = '\0';
	if (size && line[size - 1] == '\n')
		line[size - 1] = '\0';
	if (strchr(line, '\n') || sscanf(line, "%15s %4095s %4095s %1s", verb, a, b, extra) != 3) {
		set_error(fs, "Bad command \"%.64s\": import NAME PATH | tag NAME NEWNAME", line);
		return -EINVAL;
	}
	if (!strcmp(verb, "import")) {
		if (!name_is_valid(a)) {
			set_error(fs, "Bad image name \"%.64s\"", a);
			return -EINVAL;
		}
		if (image_exists(p, a)) {
			set_error(fs, "Image %s exists already", a);
			return -EEXIST;
		}
		r = start_import(req, fs, a, b, size, NULL);
		return r < 0 ? r : 1;
	}
	if (!strcmp(verb, "tag")) {
		r = image_tag(p, a, b);
		if (r < 0)
			set_error(fs, "Cannot tag %.64s: %s", a, strerror(-r));
		return r;
	}
	set_error(fs, "Unknown command \"%.32s\" (verbs: import tag)", verb);
	return -EINVAL;
}

void images_write(fuse_req_t req, struct fs *fs, struct open_file *of, const char *buf, size_t size,
		  off_t off)
{
	int r;

	if (of->kind == FILE_INCOMING) {
		ssize_t n = pwrite(of->in->fd, buf, size, off);
		if (n < 0) {
			fuse_reply_err(req, errno);
			return;
		}
		if (off + n > of->in->size)
			of->in->size = off + n;
		fuse_reply_write(req, (size_t) n);
		return;
	}
	if (of->kind != FILE_IMAGES_CTL) {
		fuse_reply_err(req, EACCES);
		return;
	}
	r = ctl_command(req, fs, buf, size);
	if (r < 0)
		fuse_reply_err(req, -r);
	else if (r == 0)
		fuse_reply_write(req, size);
}

/* The image name a copied file becomes: its base name without a tar suffix. */
static int name_from_file(const char *file, char *name, size_t size)
{
	static const char *const suffixes[] = {".oci.tar", ".tar.gz", ".tgz", ".tar.xz", ".tar"};
	size_t len = strlen(file);

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);
		if (len > sl && !strcmp(file + len - sl, suffixes[i])) {
			len -= sl;
			break;
		}
	}
	if (len >= size)
		return -EINVAL;
	memcpy(name, file, len);
	name[len] = '\0';
	return name_is_valid(name) ? 0 : -EINVAL;
}

void images_create(fuse_req_t req, struct fs *fs, const char *file, mode_t mode,
		   struct fuse_file_info *fi)
{
	const struct engine_paths *p = engine_paths(fs->engine);
	struct fuse_entry_param e = {0};
	struct open_file *of;
	struct incoming *in;
	char name[NAME_MAX_LEN + 1];

	(void) mode;
	if (name_from_file(file, name, sizeof(name)) < 0) {
		set_error(fs,
			  "Cannot import %.64s: the name (without .tar) must be 1-64 of "
			  "[A-Za-z0-9_.-]",
			  file);
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (image_exists(p, name)) {
		set_error(fs, "Image %s exists already", name);
		fuse_reply_err(req, EEXIST);
		return;
	}
	in = calloc(1, sizeof(*in));
	of = calloc(1, sizeof(*of));
	if (!in || !of) {
		free(in);
		free(of);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	snprintf(in->path, sizeof(in->path), "%s/.incoming-XXXXXX", p->data_dir);
	in->fd = mkostemp(in->path, O_CLOEXEC);
	if (in->fd < 0) {
		fuse_reply_err(req, errno);
		free(in);
		free(of);
		return;
	}
	snprintf(in->name, sizeof(in->name), "%s", name);
	snprintf(in->file, sizeof(in->file), "%s", file);
	in->ino = INCOMING_BASE + ++fs->next_incoming;
	in->next = fs->incoming;
	fs->incoming = in;
	*of = (struct open_file){.fs = fs, .kind = FILE_INCOMING, .in = in, .log_fd = -EBADF};
	e.ino = in->ino;
	images_fill_attr(fs, in->ino, &e.attr);
	e.attr.st_ino = in->ino;
	fi->fh = (uint64_t) (uintptr_t) of;
	fi->direct_io = 1;
	fuse_reply_create(req, &e, fi);
}

void images_flush(fuse_req_t req, struct fs *fs, struct open_file *of)
{
	struct incoming *in = of->in;
	int r;

	engine_lock(fs->engine);
	if (in->imported) {
		engine_unlock(fs->engine);
		fuse_reply_err(req, 0);
		return;
	}
	in->imported = true; /* one import, at the first close */
	engine_unlock(fs->engine);
	r = start_import(req, fs, in->name, in->path, 0, in);
	if (r < 0)
		fuse_reply_err(req, -r);
}

void images_release(struct fs *fs, struct open_file *of)
{
	struct incoming **pp;

	if (of->kind != FILE_INCOMING)
		return;
	for (pp = &fs->incoming; *pp && *pp != of->in; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = of->in->next;
	close(of->in->fd);
	unlink(of->in->path);
	free(of->in);
	of->in = NULL;
}

/* image_import(): find out what PATH is, extract its layers under temporary names, publish
 * them with the image. The archive formats are read with libarchive; the manifests by
 * image-import-oci.c; each layer by layer_extract(), which is where the safety lies. */
#include "image-import.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "cleanup.h"
#include "fileio.h"
#include "image-import-internal.h"
#include "image.h"
#include "layer-extract.h"
#include "layer-path.h"
#include "names.h"

#define SMALL_MAX (4u << 20)	/* manifests and configs are read whole up to this size, */
#define SMALL_TOTAL (64u << 20) /* and this much in all */

enum kind { KIND_ROOTFS, KIND_DOCKER, KIND_OCI };

struct member {
	char *name;
	char *link; /* a symbolic or hard link: the member it names */
	char *data; /* small files only */
	size_t len;
};

struct import {
	const struct engine_paths *p;
	char *err;
	size_t errsize;
	struct import_files files;
	int fd;	  /* the archive, or the layout directory */
	bool dir; /* an OCI layout directory */
	struct member *m;
	size_t nm;
	struct import_plan plan;
};

static int fail(struct import *im, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct import *im, int r, const char *fmt, ...)
{
	va_list ap;

	if (im->errsize && !im->err[0]) {
		va_start(ap, fmt);
		vsnprintf(im->err, im->errsize, fmt, ap);
		va_end(ap);
	}
	return r;
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static bool is_hex(const char *s, size_t len)
{
	char id[LAYER_ID_LEN + 1];

	if (len != LAYER_ID_LEN)
		return false;
	memcpy(id, s, len);
	id[len] = '\0';
	return layer_id_is_valid(id);
}

/* Could NAME be a member of a `docker save` archive or an OCI layout? A rootfs has others. */
static bool image_member(const char *n)
{
	static const char *const fixed[] = {
		"",	 "manifest.json", "index.json", "oci-layout", "repositories",
		"blobs", "blobs/sha256"};

	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		if (!strcmp(n, fixed[i]))
			return true;
	if (!strncmp(n, "blobs/sha256/", 13))
		return is_hex(n + 13, strlen(n + 13));
	if (!is_hex(n, strnlen(n, LAYER_ID_LEN)))
		return false;
	n += LAYER_ID_LEN;
	return !*n || !strcmp(n, ".json") || !strcmp(n, "/VERSION") || !strcmp(n, "/json") ||
	       !strcmp(n, "/layer.tar");
}

static bool small_wanted(const char *n)
{
	size_t len = strlen(n);

	return (len > 5 && !strcmp(n + len - 5, ".json")) || !strcmp(n, "oci-layout") ||
	       !strncmp(n, "blobs/", 6);
}

/* A link's target as a member name: symbolic ones are relative to the link's directory. */
static char *link_member(const char *name, struct archive_entry *e)
{
	char joined[PATH_MAX], clean[PATH_MAX];
	const char *hl = archive_entry_hardlink(e), *sl = archive_entry_symlink(e);
	const char *slash = strrchr(name, '/');

	if (hl)
		snprintf(joined, sizeof(joined), "%s", hl);
	else if (slash)
		snprintf(joined, sizeof(joined), "%.*s/%s", (int) (slash - name), name, sl);
	else
		snprintf(joined, sizeof(joined), "%s", sl);
	/* "../" can only mean the layout's own blobs: resolve it lexically. */
	while (strstr(joined, "/../")) {
		char *dots = strstr(joined, "/../"), *start = dots;

		while (start > joined && start[-1] != '/')
			start--;
		memmove(start, dots + 4, strlen(dots + 4) + 1);
	}
	return layer_path_clean(joined, clean, sizeof(clean)) < 0 ? NULL : strdup(clean);
}

static int open_outer(struct import *im, struct archive **ret)
{
	struct archive *a = archive_read_new();

	if (!a)
		return -ENOMEM;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (lseek(im->fd, 0, SEEK_SET) < 0 ||
	    archive_read_open_fd(a, im->fd, 256 * 1024) != ARCHIVE_OK) {
		int r = fail(im, -EINVAL, "Not a tar archive: %s",
			     archive_error_string(a) ?: "unknown format");
		archive_read_free(a);
		return r;
	}
	*ret = a;
	return 0;
}

/* Pass one over an archive: decide its kind, and for an image keep the names, links and the
 * small files. A rootfs is recognised at its first non-image member, so this stops early. */
static int scan_tar(struct import *im, enum kind *ret_kind)
{
	_cleanup_(archive_freep) struct archive *a = NULL;
	struct archive_entry *e;
	bool manifest = false, index = false;
	size_t budget = SMALL_TOTAL;
	int r = open_outer(im, &a);

	if (r < 0)
		return r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		char name[PATH_MAX];
		struct member *m;

		if (layer_path_clean(archive_entry_pathname(e) ?: "", name, sizeof(name)) < 0 ||
		    !image_member(name)) {
			*ret_kind = KIND_ROOTFS;
			return 0;
		}
		manifest |= !strcmp(name, "manifest.json");
		index |= !strcmp(name, "index.json");
		m = realloc(im->m, (im->nm + 1) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		im->m = m;
		m = &im->m[im->nm++];
		*m = (struct member){.name = strdup(name)};
		if (!m->name)
			return -ENOMEM;
		if (archive_entry_hardlink(e) || archive_entry_filetype(e) == AE_IFLNK)
			m->link = link_member(name, e);
		else if (archive_entry_filetype(e) == AE_IFREG && small_wanted(name) &&
			 archive_entry_size(e) <= SMALL_MAX &&
			 (size_t) archive_entry_size(e) <= budget) {
			m->len = (size_t) archive_entry_size(e);
			m->data = malloc(m->len + 1);
			if (!m->data)
				return -ENOMEM;
			if (archive_read_data(a, m->data, m->len) != (la_ssize_t) m->len)
				return fail(im, -EINVAL, "The archive is corrupt: %s",
					    archive_error_string(a) ?: "short member");
			m->data[m->len] = '\0';
			budget -= m->len;
		}
	}
	if (r != ARCHIVE_EOF)
		return fail(im, -EINVAL, "The archive is corrupt: %s",
			    archive_error_string(a) ?: "bad header");
	if (im->nm == 0)
		return fail(im, -EINVAL, "The archive is empty");
	if (!manifest && !index)
		return fail(im, -EINVAL,
			    "The archive has image blobs but no manifest.json or index.json");
	*ret_kind = manifest ? KIND_DOCKER : KIND_OCI;
	return 0;
}

/* The member NAME names after following links (a few hops). */
static struct member *find_member(struct import *im, const char *name)
{
	for (int hops = 0; hops < 8; hops++) {
		struct member *m = NULL;

		for (size_t i = 0; i < im->nm && !m; i++)
			if (!strcmp(im->m[i].name, name))
				m = &im->m[i];
		if (!m || !m->link)
			return m;
		name = m->link;
	}
	return NULL;
}

static int tar_get(struct import_files *f, const char *member, char **ret, size_t *ret_len)
{
	struct import *im = (struct import *) ((char *) f - offsetof(struct import, files));
	char clean[PATH_MAX];
	struct member *m;

	if (layer_path_clean(member, clean, sizeof(clean)) < 0)
		return -EINVAL;
	m = find_member(im, clean);
	if (!m)
		return -ENOENT;
	if (!m->data)
		return -EFBIG;
	*ret = strdup(m->data);
	*ret_len = m->len;
	return *ret ? 0 : -ENOMEM;
}

/* A member of a layout directory, opened beneath it (symbolic links allowed inside only). */
static int dir_open(struct import *im, const char *member)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	long fd = syscall(SYS_openat2, im->fd, member, &how, sizeof(how));

	return fd < 0 ? negerrno() : (int) fd;
}

static int dir_get(struct import_files *f, const char *member, char **ret, size_t *ret_len)
{
	struct import *im = (struct import *) ((char *) f - offsetof(struct import, files));
	_cleanup_close_ int fd = dir_open(im, member);

	if (fd < 0)
		return fd;
	return fileio_read_fd(fd, SMALL_MAX, ret, ret_len);
}

/* Bytes of the current entry of the outer archive. */
struct entry_src {
	struct archive *a;
	char buf[256 * 1024];
};

static ssize_t entry_src_read(void *ctx, const void **ret_buf)
{
	struct entry_src *s = ctx;
	la_ssize_t n = archive_read_data(s->a, s->buf, sizeof(s->buf));

	*ret_buf = s->buf;
	return n < 0 ? -EINVAL : n;
}

/* Any source, hashed on the way: the blob digest of a layer. */
struct blob_src {
	const struct layer_src *inner;
	struct layer_hash hash;
};

static ssize_t blob_src_read(void *ctx, const void **ret_buf)
{
	struct blob_src *s = ctx;
	ssize_t n = s->inner->read(s->inner->ctx, ret_buf);

	if (n > 0)
		layer_hash_update(&s->hash, *ret_buf, (size_t) n);
	return n;
}

static int extract_layer(struct import *im, size_t i, const struct layer_src *src, unsigned flags)
{
	struct import_layer *l = &im->plan.layers[i];
	struct blob_src b = {.inner = src};
	struct layer_src bs = {blob_src_read, &b};
	char blob[LAYER_ID_LEN + 1];
	const void *buf;
	ssize_t n;
	int r;

	r = layer_tmp_create(im->p, &l->tmp);
	if (r < 0)
		return fail(im, r, "Cannot create a layer directory: %s", strerror(-r));
	r = layer_hash_init(&b.hash);
	if (r < 0)
		return r;
	r = layer_extract(l->tmp.dirfd, &bs, flags, l->got_diff_id, im->err, im->errsize);
	/* Compressed streams may end before their file does: the digest covers every byte. */
	while (r == 0 && (n = blob_src_read(&b, &buf)) != 0)
		if (n < 0)
			r = (int) n;
	if (r == 0)
		r = layer_hash_final(&b.hash, blob);
	layer_hash_clear(&b.hash);
	if (r < 0)
		return fail(im, r, "Cannot read layer %zu (%s): %s", i + 1, l->member,
			    r == -EINVAL ? "the archive is corrupt" : strerror(-r));
	if (l->blob_digest[0] && strcmp(blob, l->blob_digest))
		return fail(im, -EINVAL, "Layer %zu (%s) does not match its digest", i + 1,
			    l->member);
	if (l->diff_id[0] && strcmp(l->got_diff_id, l->diff_id))
		return fail(im, -EINVAL, "Layer %zu (%s) does not match the config's diff_id",
			    i + 1, l->member);
	l->done = true;
	return 0;
}

/* A member named blobs/sha256/HEX must hash to HEX, whatever manifest named it. */
static void expect_blob_digests(struct import_plan *plan)
{
	for (size_t i = 0; i < plan->nlayers; i++) {
		const char *m = plan->layers[i].member;

		if (!plan->layers[i].blob_digest[0] && !strncmp(m, "blobs/sha256/", 13) &&
		    layer_id_is_valid(m + 13))
			memcpy(plan->layers[i].blob_digest, m + 13, LAYER_ID_LEN + 1);
	}
}

/* Pass two over an image archive: extract each layer member where it comes. */
static int extract_tar_layers(struct import *im)
{
	_cleanup_(archive_freep) struct archive *a = NULL;
	_cleanup_free_ struct entry_src *s = calloc(1, sizeof(*s));
	struct layer_src src = {entry_src_read, s};
	struct archive_entry *e;
	int r;

	if (!s)
		return -ENOMEM;
	/* Members as the archive stores them: links followed, duplicates shared. */
	for (size_t i = 0; i < im->plan.nlayers; i++) {
		struct import_layer *l = &im->plan.layers[i];
		char clean[PATH_MAX];
		struct member *m = layer_path_clean(l->member, clean, sizeof(clean)) == 0
					   ? find_member(im, clean)
					   : NULL;
		char *real;

		if (!m)
			return fail(im, -EINVAL, "The archive lacks layer %s", l->member);
		real = strdup(m->name);
		if (!real)
			return -ENOMEM;
		free(l->member);
		l->member = real;
		l->same_as = -1;
		for (size_t j = 0; j < i && l->same_as < 0; j++)
			if (!strcmp(im->plan.layers[j].member, real))
				l->same_as = (int) j;
	}
	r = open_outer(im, &a);
	if (r < 0)
		return r;
	s->a = a;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		char name[PATH_MAX];

		if (layer_path_clean(archive_entry_pathname(e) ?: "", name, sizeof(name)) < 0)
			continue;
		for (size_t i = 0; i < im->plan.nlayers; i++) {
			struct import_layer *l = &im->plan.layers[i];

			if (l->same_as < 0 && !l->done && !strcmp(l->member, name)) {
				r = extract_layer(im, i, &src, LAYER_EXTRACT_WHITEOUTS);
				if (r < 0)
					return r;
				break;
			}
		}
	}
	if (r != ARCHIVE_EOF)
		return fail(im, -EINVAL, "The archive is corrupt: %s",
			    archive_error_string(a) ?: "bad header");
	for (size_t i = 0; i < im->plan.nlayers; i++)
		if (im->plan.layers[i].same_as < 0 && !im->plan.layers[i].done)
			return fail(im, -EINVAL, "The archive lacks layer %s",
				    im->plan.layers[i].member);
	return 0;
}

static int extract_dir_layers(struct import *im)
{
	_cleanup_free_ struct layer_fd_src *s = calloc(1, sizeof(*s));
	struct layer_src src = {layer_fd_src_read, s};

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < im->plan.nlayers; i++) {
		int r;

		if (im->plan.layers[i].same_as >= 0)
			continue;
		s->fd = dir_open(im, im->plan.layers[i].member);
		if (s->fd < 0)
			return fail(im, s->fd == -ENOENT ? -EINVAL : s->fd,
				    "The layout lacks layer %s", im->plan.layers[i].member);
		r = extract_layer(im, i, &src, LAYER_EXTRACT_WHITEOUTS);
		close(s->fd);
		if (r < 0)
			return r;
	}
	return 0;
}

static int extract_rootfs(struct import *im)
{
	_cleanup_free_ struct layer_fd_src *s = calloc(1, sizeof(*s));
	struct layer_src src = {layer_fd_src_read, s};
	int r;

	if (!s)
		return -ENOMEM;
	im->plan.layers = calloc(1, sizeof(*im->plan.layers));
	im->plan.cmd = calloc(1, sizeof(char *));
	im->plan.env = calloc(1, sizeof(char *));
	im->plan.workdir = strdup("/");
	if (!im->plan.layers || !im->plan.cmd || !im->plan.env || !im->plan.workdir)
		return -ENOMEM;
	im->plan.nlayers = 1;
	im->plan.layers[0] = (struct import_layer){
		.member = strdup("rootfs"), .same_as = -1, .tmp = {.dirfd = -EBADF}};
	if (!im->plan.layers[0].member)
		return -ENOMEM;
	s->fd = im->fd;
	if (lseek(im->fd, 0, SEEK_SET) < 0)
		return negerrno();
	r = extract_layer(im, 0, &src, 0);
	return r;
}

/* Move the layers into the store and write the image, all under the store lock. */
static int publish(struct import *im, const char *name)
{
	_cleanup_close_ int lock = layer_store_lock(im->p);
	size_t n = im->plan.nlayers;
	_cleanup_free_ char(*ids)[LAYER_ID_LEN + 1] = calloc(n, sizeof(*ids));
	_cleanup_free_ char **layers = calloc(n + 1, sizeof(char *));
	_cleanup_free_ bool *created = calloc(n, sizeof(bool));
	struct image img = {.layers = layers,
			    .cmd = im->plan.cmd,
			    .env = im->plan.env,
			    .workdir = im->plan.workdir};
	int r = 0;

	if (lock < 0)
		return lock;
	if (!ids || !layers || !created)
		return -ENOMEM;
	if (image_exists(im->p, name))
		return fail(im, -EEXIST, "An image named %s exists", name);
	for (size_t i = 0; i < n && r == 0; i++) {
		struct import_layer *l = &im->plan.layers[i];

		if (l->same_as >= 0)
			memcpy(ids[i], ids[l->same_as], sizeof(ids[i]));
		else
			r = layer_tmp_publish(im->p, &l->tmp, l->got_diff_id, ids[i], &created[i]);
		layers[i] = ids[i];
	}
	if (r == 0)
		r = image_create(im->p, name, &img);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			if (created[i])
				layer_remove(im->p, ids[i]);
		return fail(im, r, "Cannot store the image: %s", strerror(-r));
	}
	return 0;
}

int image_import(const struct engine_paths *p, const char *name, const char *path, char *err,
		 size_t errsize)
{
	struct import im = {.p = p, .err = err, .errsize = errsize, .fd = -EBADF};
	enum kind kind = KIND_OCI;
	struct stat st;
	int r;

	if (errsize)
		err[0] = '\0';
	if (!name_is_valid(name))
		return fail(&im, -EINVAL, "Invalid image name %s", name);
	if (image_exists(p, name))
		return fail(&im, -EEXIST, "An image named %s exists", name);
	im.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (im.fd < 0 || fstat(im.fd, &st) < 0) {
		r = negerrno();
		return fail(&im, r, "Cannot open %s: %s", path, strerror(-r));
	}
	im.dir = S_ISDIR(st.st_mode);
	im.files.get = im.dir ? dir_get : tar_get;
	if (!im.dir && !S_ISREG(st.st_mode)) {
		r = fail(&im, -EINVAL, "%s is neither a file nor a directory", path);
		goto out;
	}
	r = im.dir ? 0 : scan_tar(&im, &kind);
	if (r < 0)
		goto out;
	if (kind == KIND_ROOTFS) {
		r = extract_rootfs(&im);
	} else {
		r = kind == KIND_DOCKER ? import_plan_docker(&im.files, &im.plan, err, errsize)
					: import_plan_oci(&im.files, &im.plan, err, errsize);
		if (r == -EINVAL && im.dir && errsize && strstr(err, "index.json"))
			snprintf(err, errsize, "%s is not an OCI image layout (no index.json)",
				 path);
		if (r == 0) {
			expect_blob_digests(&im.plan);
			r = im.dir ? extract_dir_layers(&im) : extract_tar_layers(&im);
		}
	}
	if (r == 0)
		r = publish(&im, name);
	if (r < 0 && errsize && !err[0])
		snprintf(err, errsize, "Cannot import %s: %s", path, strerror(-r));
out:
	import_plan_clear(&im.plan);
	for (size_t i = 0; i < im.nm; i++) {
		free(im.m[i].name);
		free(im.m[i].link);
		free(im.m[i].data);
	}
	free(im.m);
	close(im.fd);
	return r;
}

#include "layer-store.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fileio.h"
#include "strutil.h"

int layer_hash_init(struct layer_hash *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -EIO;
	}
	h->ctx = ctx;
	h->bytes = 0;
	return 0;
}

void layer_hash_update(struct layer_hash *h, const void *buf, size_t len)
{
	EVP_DigestUpdate(h->ctx, buf, len);
	h->bytes += len;
}

int layer_hash_final(struct layer_hash *h, char ret_hex[LAYER_ID_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int ok = EVP_DigestFinal_ex(h->ctx, md, &n);

	layer_hash_clear(h);
	if (ok != 1 || n != 32)
		return -EIO;
	for (unsigned i = 0; i < n; i++)
		snprintf(ret_hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

void layer_hash_clear(struct layer_hash *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

bool layer_id_is_valid(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return i == LAYER_ID_LEN;
}

int layer_tmp_create(const struct engine_paths *p, struct layer_tmp *ret)
{
	char rnd[65];
	int r = str_random_id(rnd);

	if (r < 0)
		return r;
	rnd[16] = '\0';
	if (snprintf(ret->path, sizeof(ret->path), "%s/layers/.tmp-%s", p->data_dir, rnd) >=
	    (int) sizeof(ret->path))
		return -ENAMETOOLONG;
	if (mkdir(ret->path, 0755) < 0) {
		r = negerrno();
		ret->path[0] = '\0';
		return r;
	}
	ret->dirfd = open(ret->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (ret->dirfd < 0) {
		r = negerrno();
		rmdir(ret->path);
		ret->path[0] = '\0';
		return r;
	}
	return 0;
}

void layer_tmp_discard(struct layer_tmp *t)
{
	if (t->dirfd >= 0)
		close(t->dirfd);
	t->dirfd = -EBADF;
	if (t->path[0])
		fileio_remove_tree(t->path);
	t->path[0] = '\0';
}

int layer_resolve(const struct engine_paths *p, const char *digest, char ret_id[LAYER_ID_LEN + 1])
{
	char path[PATH_MAX], target[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (!layer_id_is_valid(digest))
		return -EINVAL;
	paths_layer(p, digest, path, sizeof(path));
	if (lstat(path, &st) < 0)
		return negerrno();
	if (S_ISDIR(st.st_mode)) {
		memcpy(ret_id, digest, LAYER_ID_LEN + 1);
		return 0;
	}
	if (!S_ISLNK(st.st_mode))
		return -EUCLEAN;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return negerrno();
	target[n] = '\0';
	if (!layer_id_is_valid(target))
		return -EUCLEAN;
	paths_layer(p, target, path, sizeof(path));
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return -ENOENT; /* an alias left by a removed layer */
	memcpy(ret_id, target, LAYER_ID_LEN + 1);
	return 0;
}

int layer_alias_add(const struct engine_paths *p, const char *digest, const char *id)
{
	char path[PATH_MAX];

	if (!layer_id_is_valid(digest) || !layer_id_is_valid(id))
		return -EINVAL;
	if (!strcmp(digest, id))
		return 0;
	paths_layer(p, digest, path, sizeof(path));
	if (symlink(id, path) < 0 && errno != EEXIST)
		return negerrno();
	return 0;
}

int layer_tmp_publish(const struct engine_paths *p, struct layer_tmp *t, const char *digest,
		      char ret_id[LAYER_ID_LEN + 1], bool *ret_new)
{
	char path[PATH_MAX];
	int r;

	r = layer_resolve(p, digest, ret_id);
	if (r == 0) {
		layer_tmp_discard(t); /* the same content is stored already: share it */
		*ret_new = false;
		return 0;
	}
	if (r != -ENOENT)
		return r;
	/* The data must be on disk before the name says the layer is complete. */
	if (syncfs(t->dirfd) < 0)
		return negerrno();
	paths_layer(p, digest, path, sizeof(path));
	unlink(path); /* a dangling alias */
	if (rename(t->path, path) < 0)
		return negerrno();
	close(t->dirfd);
	t->dirfd = -EBADF;
	t->path[0] = '\0';
	memcpy(ret_id, digest, LAYER_ID_LEN + 1);
	*ret_new = true;
	return 0;
}

int layer_remove(const struct engine_paths *p, const char *id)
{
	char dir[PATH_MAX], path[PATH_MAX], target[PATH_MAX];
	_cleanup_free_ char *tomb = NULL;
	DIR *d;
	struct dirent *de;
	int r;

	if (!layer_id_is_valid(id))
		return -EINVAL;
	/* Rename first: a half-removed tree must never be seen under a valid id. */
	paths_layer(p, id, path, sizeof(path));
	if (asprintf(&tomb, "%s/layers/.tmp-del-%s", p->data_dir, id) < 0)
		return -ENOMEM;
	if (rename(path, tomb) < 0)
		return negerrno();
	r = fileio_remove_tree(tomb);
	snprintf(dir, sizeof(dir), "%s/layers", p->data_dir);
	d = opendir(dir);
	if (!d)
		return r;
	while ((de = readdir(d))) {
		ssize_t n;

		if (de->d_type != DT_LNK)
			continue;
		n = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (!strcmp(target, id))
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
	return r;
}

int layer_store_lock(const struct engine_paths *p)
{
	char dir[PATH_MAX];
	_cleanup_close_ int fd = -EBADF;

	snprintf(dir, sizeof(dir), "%s/layers", p->data_dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return negerrno();
	return TAKE_FD(fd);
}

int layer_open(const struct engine_paths *p, const char *id)
{
	char path[PATH_MAX];
	int fd;

	if (!layer_id_is_valid(id))
		return -EINVAL;
	paths_layer(p, id, path, sizeof(path));
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? negerrno() : fd;
}

struct du {
	uint64_t bytes;
	ino_t *seen; /* inodes with several links, counted once */
	size_t nseen, capseen;
};

static bool du_seen(struct du *u, ino_t ino)
{
	ino_t *n;

	for (size_t i = 0; i < u->nseen; i++)
		if (u->seen[i] == ino)
			return true;
	if (u->nseen == u->capseen) {
		u->capseen = u->capseen ? 2 * u->capseen : 64;
		n = realloc(u->seen, u->capseen * sizeof(*n));
		if (!n)
			return false; /* overcounting beats failing */
		u->seen = n;
	}
	u->seen[u->nseen++] = ino;
	return false;
}

static int du_walk(struct du *u, int dfd, unsigned depth)
{
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (depth > 512)
		return -ELOOP;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return negerrno();
	}
	while ((de = readdir(d)) && r == 0) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (st.st_nlink > 1 && !S_ISDIR(st.st_mode) && du_seen(u, st.st_ino))
			continue;
		u->bytes += (uint64_t) st.st_blocks * 512;
		if (S_ISDIR(st.st_mode)) {
			int cfd = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd >= 0)
				r = du_walk(u, cfd, depth + 1);
		}
	}
	closedir(d);
	return r;
}

int layer_disk_usage(int dirfd, uint64_t *ret_bytes)
{
	struct du u = {0};
	struct stat st;
	int fd, r;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = negerrno();
		if (fd >= 0)
			close(fd);
		return r;
	}
	u.bytes = (uint64_t) st.st_blocks * 512;
	r = du_walk(&u, fd, 0);
	free(u.seen);
	if (r < 0)
		return r;
	*ret_bytes = u.bytes;
	return 0;
}

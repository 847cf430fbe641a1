#include "fileio.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"

int fileio_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negerrno();
		}
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

int fileio_write_atomic(const char *path, const void *data, size_t len, bool durable)
{
	char tmp[PATH_MAX];
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int) getpid()) >= (int) sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return negerrno();
	r = fileio_write_full(fd, data, len);
	if (r == 0 && durable && fsync(fd) < 0)
		r = negerrno();
	if (r == 0 && rename(tmp, path) < 0)
		r = negerrno();
	if (r < 0)
		unlink(tmp);
	return r;
}

int fileio_read_fd(int fd, size_t max, char **ret_data, size_t *ret_len)
{
	size_t cap = max < 4096 ? max : 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nbuf;

			if (cap >= max) {
				char probe;
				ssize_t more = read(fd, &probe, 1);
				if (more < 0 && errno == EINTR)
					continue;
				if (more < 0)
					return negerrno();
				if (more > 0)
					return -EFBIG;
				break;
			}
			cap = cap * 2 > max ? max : cap * 2;
			nbuf = realloc(buf, cap + 1);
			if (!nbuf)
				return -ENOMEM;
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negerrno();
		}
		if (n == 0)
			break;
		len += (size_t) n;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret_data = TAKE_PTR(buf);
	return 0;
}

int fileio_read_all(const char *path, size_t max, char **ret_data, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return negerrno();
	return fileio_read_fd(fd, max, ret_data, ret_len);
}

int fileio_mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return negerrno();
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return negerrno();
	return 0;
}

static int remove_children(int dfd, dev_t dev)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		close(dfd);
		return negerrno();
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int cfd;

			if (st.st_dev != dev) { /* a mount point: never cross it */
				r = -EBUSY;
				continue;
			}
			cfd = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0) {
				r = negerrno();
				continue;
			}
			int cr = remove_children(cfd, dev);
			if (cr < 0)
				r = cr;
			if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && r == 0)
				r = negerrno();
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && r == 0) {
			r = negerrno();
		}
	}
	closedir(d);
	return r;
}

int fileio_remove_tree(const char *path)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : negerrno();
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? negerrno() : 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return negerrno();
	r = remove_children(fd, st.st_dev);
	if (rmdir(path) < 0 && r == 0)
		r = negerrno();
	return r;
}

int fileio_write_full_path(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return negerrno();
	return fileio_write_full(fd, text, strlen(text));
}

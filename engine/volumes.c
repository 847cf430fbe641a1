#include "volumes.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "names.h"

void volume_clear(struct volume *v)
{
	free(v->host);
	free(v->target);
	*v = (struct volume){0};
}

int volume_parse(const char *line, struct volume *ret)
{
	_cleanup_free_ char *copy = strdup(line);
	char *host, *target, *opt;
	struct volume v = {0};

	if (!copy)
		return -ENOMEM;
	host = copy;
	target = strchr(host, ':');
	if (!target)
		return -EINVAL;
	*target++ = '\0';
	opt = strchr(target, ':');
	if (opt) {
		*opt++ = '\0';
		if (!strcmp(opt, "ro"))
			v.readonly = true;
		else if (strcmp(opt, "rw"))
			return -EINVAL;
	}
	if (!abspath_is_valid(host) || !abspath_is_valid(target) ||
	    strspn(target, "/") == strlen(target))
		return -EINVAL;
	v.host = strdup(host);
	v.target = strdup(target);
	if (!v.host || !v.target) {
		volume_clear(&v);
		return -ENOMEM;
	}
	*ret = v;
	return 0;
}

/* A missing directory, or an empty file to bind a file onto; never through a symlink. */
static int create_leaf(int parent, const char *leaf, bool dir)
{
	int fd;

	if (dir)
		return mkdirat(parent, leaf, 0755) < 0 ? negerrno() : 0;
	fd = openat(parent, leaf, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return negerrno();
	close(fd);
	return 0;
}

/* Make TARGET (and its parents) under ROOT_FD, resolved as if ROOT_FD were "/": a symlink
 * inside the image can never lead out. DIR says what the leaf must be. Returns an O_PATH fd. */
static int make_target(int root_fd, const char *target, bool dir)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
	char path[4096];
	size_t len = strlen(target);

	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, target, len + 1);
	for (char *p = path + 1;; p++) {
		bool last = *p == '\0';
		if (*p != '/' && !last)
			continue;
		*p = '\0';
		int fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		if (fd < 0 && errno == ENOENT) {
			int parent;
			char *slash = strrchr(path, '/');
			const char *leaf = slash + 1;

			*slash = '\0';
			parent = (int) syscall(SYS_openat2, root_fd, path[0] ? path : "/", &how,
					       sizeof(how));
			*slash = '/';
			if (parent < 0)
				return negerrno();
			int r = create_leaf(parent, leaf, !last || dir);
			close(parent);
			if (r < 0 && r != -EEXIST)
				return r;
			fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		}
		if (fd < 0)
			return negerrno();
		if (last)
			return fd;
		close(fd);
		*p = '/';
	}
}

int volumes_mount(const char *rootfs, char *const *lines, const char **ret_what)
{
	_cleanup_close_ int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (root_fd < 0)
		return negerrno();
	for (; lines && *lines; lines++) {
		struct volume v;
		struct stat st;
		char proc[64];
		int fd, r;

		*ret_what = *lines;
		r = volume_parse(*lines, &v);
		if (r < 0)
			return r;
		if (stat(v.host, &st) < 0) {
			r = negerrno();
			volume_clear(&v);
			return r;
		}
		fd = make_target(root_fd, v.target, S_ISDIR(st.st_mode));
		if (fd < 0) {
			volume_clear(&v);
			return fd;
		}
		/* Through the fd: the mount lands where we resolved, whatever races the path. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		r = mount(v.host, proc, NULL, MS_BIND | MS_REC, NULL) < 0 ? negerrno() : 0;
		if (r == 0 && v.readonly) {
			close(fd);
			fd = make_target(root_fd, v.target, S_ISDIR(st.st_mode));
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			if (fd < 0 || mount(NULL, proc, NULL,
					    MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL) < 0)
				r = fd < 0 ? fd : negerrno();
		}
		if (fd >= 0)
			close(fd);
		volume_clear(&v);
		if (r < 0)
			return r;
	}
	return 0;
}

#include "layer-path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

int layer_path_clean(const char *in, char *out, size_t size)
{
	size_t used = 0;

	if (in[0] == '/')
		return -EINVAL;
	while (*in) {
		const char *end = strchrnul(in, '/');
		size_t len = (size_t) (end - in);

		if (len == 2 && in[0] == '.' && in[1] == '.')
			return -EINVAL;
		if (len > 0 && !(len == 1 && in[0] == '.')) {
			if (used + !!used + len + 1 > size)
				return -ENAMETOOLONG;
			if (used)
				out[used++] = '/';
			memcpy(out + used, in, len);
			used += len;
		}
		in = *end ? end + 1 : end;
	}
	if (size == 0)
		return -ENAMETOOLONG;
	out[used] = '\0';
	return 0;
}

void layer_path_split(char *rel, const char **ret_parent, const char **ret_base)
{
	char *slash = strrchr(rel, '/');

	if (!slash) {
		*ret_parent = "";
		*ret_base = rel;
		return;
	}
	*slash = '\0';
	*ret_parent = rel;
	*ret_base = slash + 1;
}

static int open_beneath(int root, const char *rel)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	long fd = syscall(SYS_openat2, root, *rel ? rel : ".", &how, sizeof(how));

	return fd < 0 ? negerrno() : (int) fd;
}

/* The component walk, for what does not exist yet (and for kernels without openat2). */
static int walk_create(int root, const char *rel, bool create)
{
	_cleanup_close_ int fd = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char comp[NAME_MAX + 1];

	if (fd < 0)
		return negerrno();
	while (*rel) {
		const char *end = strchrnul(rel, '/');
		size_t len = (size_t) (end - rel);
		int next;

		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, rel, len);
		comp[len] = '\0';
		next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST)
				return negerrno();
			next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0)
			return negerrno();
		close(fd);
		fd = next;
		rel = *end ? end + 1 : end;
	}
	return TAKE_FD(fd);
}

int layer_path_open_dir(int root, const char *rel, bool create)
{
	int fd = open_beneath(root, rel);

	if (fd == -ENOENT || fd == -ENOSYS)
		fd = walk_create(root, rel, create);
	return fd;
}

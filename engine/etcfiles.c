#include "etcfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

static int open_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {.flags = (uint64_t) (flags | O_CLOEXEC),
			       .mode = mode,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

	return fd < 0 ? negerrno() : fd;
}

int etcfiles_install(int root_fd, const char *state_dir, const char *only)
{
	static const char *const files[] = {"hosts", "hostname", "resolv.conf"};
	int r = 0;

	/* etc/ itself: made if the image has none (never through a link out). */
	_cleanup_close_ int etc = open_in_root(root_fd, "etc", O_PATH | O_DIRECTORY, 0);
	if (etc == -ENOENT) {
		_cleanup_close_ int top = open_in_root(root_fd, "/", O_PATH | O_DIRECTORY, 0);
		if (top < 0 || (mkdirat(top, "etc", 0755) < 0 && errno != EEXIST))
			return top < 0 ? top : negerrno();
	} else if (etc < 0) {
		return etc;
	}
	for (size_t i = 0; i < ARRAY_SIZE(files) && r == 0; i++) {
		_cleanup_free_ char *text = NULL;
		_cleanup_close_ int out = -EBADF;
		char src[PATH_MAX], dst[64];
		size_t len;

		if (only && strcmp(only, files[i]))
			continue;
		snprintf(src, sizeof(src), "%s/%s", state_dir, files[i]);
		if (fileio_read_all(src, 1 << 20, &text, &len) < 0)
			continue; /* nothing prepared: leave the image's */
		snprintf(dst, sizeof(dst), "etc/%s", files[i]);
		/* In place (O_TRUNC), so a process that has it open sees the new content. */
		out = open_in_root(root_fd, dst, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
		if (out < 0)
			return out;
		r = fileio_write_full(out, text, len);
	}
	return r;
}

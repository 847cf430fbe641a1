#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

int overlay_mount(const struct engine_paths *p, const char *name, const struct image *img,
		  const char *target, bool relative)
{
	struct engine_paths rel = {.data_dir = "."};
	const struct engine_paths *base = relative ? &rel : p;
	char lower[3072], upper[PATH_MAX], work[PATH_MAX], opts[4096 + 64];
	int r;

	r = image_lowerdir(base, img, lower, sizeof(lower));
	if (r < 0)
		return r;
	paths_container_data(base, name, "upper", upper, sizeof(upper));
	paths_container_data(base, name, "work", work, sizeof(work));
	if ((mkdir(upper, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(work, 0700) < 0 && errno != EEXIST))
		return negerrno();
	r = fileio_mkdir_p(target, 0755);
	if (r < 0)
		return r;
	umount2(target, MNT_DETACH); /* a mount left by a monitor that was killed, or ours */
	if (snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper,
		     work) >= (int) sizeof(opts))
		return -ENAMETOOLONG;
	if (mount("overlay", target, "overlay", MS_NODEV, opts) < 0)
		return negerrno();
	return 0;
}

bool overlay_is_mounted(const char *path)
{
	char parent[PATH_MAX];
	struct stat a, b;

	if (snprintf(parent, sizeof(parent), "%s/..", path) >= (int) sizeof(parent))
		return false;
	if (stat(path, &a) < 0 || stat(parent, &b) < 0)
		return false;
	return a.st_dev != b.st_dev;
}

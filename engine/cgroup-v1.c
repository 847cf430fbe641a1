/* cgroup v1 backend: one directory per controller hierarchy in which the caller's own cgroup
 * is not the root (creating at a hierarchy's root is forbidden). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "fileio.h"

/* A new cpuset cgroup has no cpus or mems; copy the parent's or joining it fails. */
static int cpuset_inherit(const char *dir)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	char parent[PATH_MAX], path[PATH_MAX];

	size_t len = strrchr(dir, '/') - dir;

	if (len >= sizeof(parent))
		return -ENAMETOOLONG;
	memcpy(parent, dir, len);
	parent[len] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *value = NULL;
		int r;

		snprintf(path, sizeof(path), "%s/%s", parent, files[i]);
		r = fileio_read_all(path, 4096, &value, NULL);
		if (r < 0)
			return r;
		r = cgroup_write(dir, files[i], value);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v1_create(struct cgroup *cg, const char *root, const struct cgroup_line *lines, size_t n,
		     const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const struct cgroup_line *l = &lines[i];
		char dir[PATH_MAX], mount[PATH_MAX];
		struct stat st;

		if (l->id == 0 || !l->controllers[0] || !strncmp(l->controllers, "name=", 5))
			continue;
		if (!strcmp(l->path, "/") || cg->n_dirs >= CGROUP_MAX_DIRS)
			continue;
		snprintf(mount, sizeof(mount), "%s/%s", root, l->controllers);
		if (stat(mount, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (snprintf(dir, sizeof(dir), "%s%s/%s", mount, l->path, name) >=
		    (int) sizeof(dir))
			return -ENAMETOOLONG;
		/* EEXIST: left by a monitor that was killed; it is ours, reuse it. */
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return negerrno();
		cg->dirs[cg->n_dirs] = strdup(dir);
		if (!cg->dirs[cg->n_dirs]) {
			rmdir(dir);
			return -ENOMEM;
		}
		cg->n_dirs++;
		if (strstr(l->controllers, "cpuset")) {
			int r = cpuset_inherit(dir);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int v1_kill_pass(struct cgroup *cg)
{
	int total = 0;

	for (size_t i = 0; i < cg->n_dirs; i++) {
		int n = cgroup_kill_listed(cg->dirs[i]);
		if (n < 0 && n != -ENOENT)
			return n;
		if (n > 0)
			total += n;
	}
	return total;
}

const struct cgroup_ops cgroup_v1_ops = {
	.create = v1_create,
	.kill_pass = v1_kill_pass,
};

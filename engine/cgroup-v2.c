/* cgroup v2 backend: one directory in the unified hierarchy, beneath the caller's own cgroup.
 * Controllers are enabled for it where the parent allows (best effort: a parent that holds
 * processes cannot delegate them, but the cgroup still tracks and kills the whole tree). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"

static int v2_create(struct cgroup *cg, const char *root, const struct cgroup_line *lines, size_t n,
		     const char *name)
{
	for (size_t i = 0; i < n; i++) {
		const struct cgroup_line *l = &lines[i];
		char dir[PATH_MAX], parent[PATH_MAX];

		if (l->id != 0 || l->controllers[0] || !strcmp(l->path, "/"))
			continue;
		snprintf(parent, sizeof(parent), "%s%s", root, l->path);
		if (snprintf(dir, sizeof(dir), "%s/%s", parent, name) >= (int) sizeof(dir))
			return -ENAMETOOLONG;
		(void) cgroup_write(parent, "cgroup.subtree_control", "+memory +pids +cpu");
		/* EEXIST: left by a monitor that was killed; it is ours, reuse it. */
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return negerrno();
		cg->dirs[0] = strdup(dir);
		if (!cg->dirs[0]) {
			rmdir(dir);
			return -ENOMEM;
		}
		cg->n_dirs = 1;
		return 0;
	}
	return 0;
}

static int v2_kill_pass(struct cgroup *cg)
{
	/* Not cgroup.kill: a monitor may live in the cgroup it cleans, and must survive. */
	return cgroup_kill_listed(cg->dirs[0]);
}

const struct cgroup_ops cgroup_v2_ops = {
	.create = v2_create,
	.kill_pass = v2_kill_pass,
};

#include "cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

static const char *const mode_names[] = {
	[CGROUP_MODE_V1] = "v1",
	[CGROUP_MODE_HYBRID] = "hybrid",
	[CGROUP_MODE_V2] = "v2",
};

const char *cgroup_mode_name(enum cgroup_mode mode)
{
	return mode_names[mode];
}

int cgroup_detect_mode(const char *root, enum cgroup_mode *ret)
{
	char unified[PATH_MAX];
	struct statfs fs;

	if (statfs(root, &fs) < 0)
		return negerrno();
	if (fs.f_type == CGROUP2_SUPER_MAGIC) {
		*ret = CGROUP_MODE_V2;
		return 0;
	}
	snprintf(unified, sizeof(unified), "%s/unified", root);
	*ret = (statfs(unified, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) ? CGROUP_MODE_HYBRID
									       : CGROUP_MODE_V1;
	return 0;
}

int cgroup_parse_proc(const char *text, struct cgroup_line *lines, size_t max)
{
	size_t n = 0;

	for (const char *p = text; *p && n < max;) {
		const char *eol = strchrnul(p, '\n');
		const char *c1 = memchr(p, ':', (size_t) (eol - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t) (eol - c1 - 1)) : NULL;

		if (c2) {
			struct cgroup_line *l = &lines[n];
			size_t clen = (size_t) (c2 - c1 - 1), plen = (size_t) (eol - c2 - 1);

			l->id = (unsigned) strtoul(p, NULL, 10);
			if (clen < sizeof(l->controllers) && plen < sizeof(l->path) && plen > 0) {
				memcpy(l->controllers, c1 + 1, clen);
				l->controllers[clen] = '\0';
				memcpy(l->path, c2 + 1, plen);
				l->path[plen] = '\0';
				n++;
			}
		}
		p = *eol ? eol + 1 : eol;
	}
	return (int) n;
}

int cgroup_write(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -EBADF;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC); /* as `echo v > file` does */
	if (fd < 0)
		return negerrno();
	if (write(fd, value, strlen(value)) < 0)
		return negerrno();
	return 0;
}

int cgroup_kill_listed(const char *dir)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int n = 0, r;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	r = fileio_read_all(path, 1 << 20, &text, NULL);
	if (r < 0)
		return r;
	for (char *tok = strtok(text, "\n"); tok; tok = strtok(NULL, "\n")) {
		pid_t pid = (pid_t) strtol(tok, NULL, 10);
		/* A monitor may live in the cgroup it cleans: everyone but us. */
		if (pid > 0 && pid != getpid() && kill(pid, SIGKILL) == 0)
			n++;
	}
	return n;
}

static void cgroup_release_dirs(struct cgroup *cg)
{
	for (size_t i = 0; i < cg->n_dirs; i++)
		free(cg->dirs[i]);
	cg->n_dirs = 0;
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	cgroup_release_dirs(cg);
	free(cg);
}

int cgroup_create(const char *root, const char *name, struct cgroup **ret)
{
	struct cgroup_line lines[32];
	_cleanup_free_ char *text = NULL;
	struct cgroup *cg;
	int n, r;

	r = fileio_read_all("/proc/self/cgroup", 65536, &text, NULL);
	if (r < 0)
		return r;
	n = cgroup_parse_proc(text, lines, ARRAY_SIZE(lines));
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	r = cgroup_detect_mode(root, &cg->mode);
	if (r < 0)
		goto fail;
	cg->ops = cg->mode == CGROUP_MODE_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;
	r = cg->ops->create(cg, root, lines, (size_t) n, name);
	if (r == 0 && cg->n_dirs == 0)
		r = -ENOTSUP;
	if (r < 0)
		goto fail;
	*ret = cg;
	return 0;
fail:
	for (size_t i = 0; i < cg->n_dirs; i++)
		rmdir(cg->dirs[i]);
	cgroup_free(cg);
	return r;
}

int cgroup_open(const char *desc, struct cgroup **ret)
{
	struct cgroup *cg = calloc(1, sizeof(*cg));
	_cleanup_free_ char *copy = strdup(desc);
	char *save = NULL, *tok;

	if (!cg || !copy) {
		free(cg);
		return -ENOMEM;
	}
	tok = strtok_r(copy, ":", &save);
	size_t m;
	for (m = 0; m < ARRAY_SIZE(mode_names); m++)
		if (tok && !strcmp(tok, mode_names[m]))
			break;
	if (m == ARRAY_SIZE(mode_names)) {
		free(cg);
		return -EINVAL;
	}
	cg->mode = (enum cgroup_mode) m;
	cg->ops = cg->mode == CGROUP_MODE_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;
	while ((tok = strtok_r(NULL, ":", &save)) && cg->n_dirs < CGROUP_MAX_DIRS) {
		if (tok[0] != '/' || !(cg->dirs[cg->n_dirs++] = strdup(tok))) {
			cgroup_free(cg);
			return tok[0] != '/' ? -EINVAL : -ENOMEM;
		}
	}
	if (cg->n_dirs == 0) {
		cgroup_free(cg);
		return -EINVAL;
	}
	*ret = cg;
	return 0;
}

int cgroup_enter(struct cgroup *cg, pid_t pid)
{
	char value[32];

	snprintf(value, sizeof(value), "%d", (int) pid);
	for (size_t i = 0; i < cg->n_dirs; i++) {
		int r = cgroup_write(cg->dirs[i], "cgroup.procs", value);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_leave(struct cgroup *cg, pid_t pid)
{
	char value[32], parent[PATH_MAX];
	int r = 0;

	snprintf(value, sizeof(value), "%d", (int) pid);
	for (size_t i = 0; i < cg->n_dirs; i++) {
		size_t len = (size_t) (strrchr(cg->dirs[i], '/') - cg->dirs[i]);
		if (len >= sizeof(parent))
			return -ENAMETOOLONG;
		memcpy(parent, cg->dirs[i], len);
		parent[len] = '\0';
		int w = cgroup_write(parent, "cgroup.procs", value);
		if (w < 0)
			r = w;
	}
	return r;
}

int cgroup_kill_all(struct cgroup *cg)
{
	/* Up to ~2 s: processes take a moment to leave once killed. */
	for (int i = 0; i < 200; i++) {
		int n = cg->ops->kill_pass(cg);

		if (n < 0)
			return n == -ENOENT ? 0 : n;
		if (n == 0)
			return 0;
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	}
	return -EBUSY;
}

int cgroup_destroy(struct cgroup *cg)
{
	int r = cgroup_kill_all(cg);

	/* Remove the deepest directories first; a dir stays busy until its tasks are gone. */
	for (size_t i = cg->n_dirs; i-- > 0;) {
		for (int tries = 0; rmdir(cg->dirs[i]) < 0 && errno != ENOENT; tries++) {
			if (errno != EBUSY || tries >= 100) {
				r = negerrno();
				break;
			}
			nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
		}
	}
	return r;
}

int cgroup_describe(const struct cgroup *cg, char *buf, size_t size)
{
	size_t used = (size_t) snprintf(buf, size, "%s", mode_names[cg->mode]);

	for (size_t i = 0; i < cg->n_dirs && used < size; i++)
		used += (size_t) snprintf(buf + used, size - used, ":%s", cg->dirs[i]);
	return used < size ? 0 : -ENOBUFS;
}

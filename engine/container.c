/* Container objects: allocation, lookup helpers, creation and removal, waiters, the log. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine-internal.h"
#include "fileio.h"
#include "image.h"
#include "names.h"
#include "overlay.h"
#include "cgroup.h"

struct container *container_alloc(struct engine *e)
{
	struct container *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->slot = e->next_slot++;
	c->report_fd = c->monitor_pidfd = c->init_pidfd = c->stop_timerfd = -EBADF;
	c->prep_timerfd = -EBADF;
	c->log_wd = -1;
	return c;
}

static void free_ops(struct pending_op *op)
{
	while (op) {
		struct pending_op *next = op->next;
		free(op);
		op = next;
	}
}

void container_free(struct container *c)
{
	if (!c)
		return;
	closep(&c->report_fd);
	closep(&c->monitor_pidfd);
	closep(&c->init_pidfd);
	closep(&c->stop_timerfd);
	closep(&c->prep_timerfd);
	strbuf_free(&c->report);
	free_ops(c->run_ops);
	free_ops(c->stop_ops);
	config_clear(&c->cfg);
	free(c);
}

uint64_t container_slot(const struct container *c)
{
	return c->slot;
}

const struct container_config *container_config(const struct container *c)
{
	return &c->cfg;
}

const struct container_state *container_state(const struct container *c)
{
	return &c->st;
}

bool container_is_active(const struct container *c)
{
	return c->starting || c->st.status == STATUS_RUNNING;
}

const char *container_error(const struct container *c)
{
	return c->error;
}

void container_set_error(struct container *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
}

void container_waiter_add(struct container *c, struct container_waiter *w)
{
	w->prev = NULL;
	w->next = c->waiters;
	if (c->waiters)
		c->waiters->prev = w;
	c->waiters = w;
	w->linked = true;
}

void container_waiter_del(struct container *c, struct container_waiter *w)
{
	if (!w->linked)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		c->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->next = w->prev = NULL;
	w->linked = false;
}

/* Wake waiters: all of them, or (EXIT_ONLY false) log waiters whose offset the log passed
 * too. Each is unlinked before its wake() runs, which may free it. */
void container_wake_all(struct container *c, bool exit_only)
{
	struct container_waiter *w = c->waiters, *next;

	for (; w; w = next) {
		next = w->next;
		if (exit_only && w->kind != WAITER_EXIT && container_is_active(c))
			continue;
		container_waiter_del(c, w);
		w->wake(w);
	}
}

int container_log_open(struct engine *e, const struct container *c)
{
	char path[PATH_MAX];
	int fd, r;

	r = paths_container_data(&e->paths, c->cfg.name, "container.log", path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0640);
	return fd < 0 ? negerrno() : fd;
}

int container_create(struct engine *e, const char *name, uid_t uid, gid_t gid, mode_t mode,
		     struct container **ret)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	struct container *c;
	int r;

	if (!name_is_valid(name))
		return -EINVAL;
	if (engine_container_by_name(e, name))
		return -EEXIST;
	if (!image_exists(&e->paths, IMAGE_DEFAULT))
		return -ENOENT;
	c = container_alloc(e);
	if (!c)
		return -ENOMEM;
	snprintf(c->cfg.name, sizeof(c->cfg.name), "%s", name);
	r = str_random_id(c->cfg.id);
	if (r < 0)
		goto fail;
	c->cfg.image = strdup(IMAGE_DEFAULT);
	c->cfg.env = calloc(1, sizeof(char *));
	if (!c->cfg.image || !c->cfg.env) {
		r = -ENOMEM;
		goto fail;
	}
	c->cfg.uid = uid;
	c->cfg.gid = gid;
	c->cfg.mode = mode & 07777;
	clock_gettime(CLOCK_REALTIME, &c->cfg.created);
	c->st.status = STATUS_CREATED;

	/* Built under a hidden name, then renamed into place: a crash leaves either nothing or
	 * a whole container (hidden leftovers are swept at start). */
	snprintf(tmp, sizeof(tmp), "%s/containers/.new-%s", e->paths.data_dir, c->cfg.id);
	r = paths_container_data(&e->paths, name, NULL, dir, sizeof(dir));
	if (r < 0)
		goto fail;
	if (mkdir(tmp, 0700) < 0) {
		r = negerrno();
		goto fail;
	}
	r = store_config_save_at(tmp, &c->cfg);
	if (r == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) < 0)
		r = negerrno();
	if (r < 0) {
		fileio_remove_tree(tmp);
		goto fail;
	}
	c->next = e->containers;
	e->containers = c;
	events_emit(e, "container", name, "create");
	*ret = c;
	return 0;
fail:
	container_free(c);
	return r;
}

int container_remove(struct engine *e, struct container *c)
{
	char dir[PATH_MAX], trash[PATH_MAX], state[PATH_MAX], rootfs[PATH_MAX];
	struct container **pp;
	int r;

	if (container_is_active(c) || c->committing) {
		container_set_error(c, "Container %s is %s: stop it first", c->cfg.name,
				    c->committing ? "being committed" : "running");
		return -EBUSY;
	}
	paths_container_data(&e->paths, c->cfg.name, NULL, dir, sizeof(dir));
	paths_container_state(&e->paths, c->cfg.name, NULL, state, sizeof(state));
	paths_container_state(&e->paths, c->cfg.name, "rootfs", rootfs, sizeof(rootfs));
	snprintf(trash, sizeof(trash), "%s/containers/.rm-%s", e->paths.data_dir, c->cfg.id);
	/* One rename makes it gone from the store; the slow delete may then fail half-way. */
	if (rename(dir, trash) < 0) {
		r = negerrno();
		container_set_error(c, "Cannot remove %s: %s", dir, strerror(-r));
		return r;
	}
	container_hand_off_monitor(e, c); /* it may still be unmounting the last run's root */
	umount2(rootfs, MNT_DETACH);	  /* the daemon's own, for root/ */
	if (c->st.rootfs[0])
		umount2(c->st.rootfs, MNT_DETACH); /* EINVAL if its monitor did already */
	container_exec_free_all(e, c);
	fileio_remove_tree(state);
	fileio_remove_tree(trash);
	for (pp = &e->containers; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = c->next;
	c->st.status = STATUS_EXITED;
	events_emit(e, "container", c->cfg.name, "remove");
	container_wake_all(c, false);
	container_free(c);
	return 0;
}

int container_set_owner(struct engine *e, struct container *c, uid_t uid, gid_t gid, mode_t mode)
{
	struct container_config old = c->cfg;
	int r;

	c->cfg.uid = uid;
	c->cfg.gid = gid;
	c->cfg.mode = mode & 07777;
	r = store_config_save(&e->paths, &c->cfg);
	if (r < 0) {
		c->cfg.uid = old.uid;
		c->cfg.gid = old.gid;
		c->cfg.mode = old.mode;
		container_set_error(c, "Cannot save the configuration: %s", strerror(-r));
	}
	return r;
}

void container_wake_session(struct container *c, unsigned session, bool exit_too)
{
	struct container_waiter *w = c->waiters, *next;

	for (; w; w = next) {
		next = w->next;
		if (w->session != session || (w->kind == WAITER_EXIT && !exit_too))
			continue;
		container_waiter_del(c, w);
		w->wake(w);
	}
}

void container_log_grew(struct engine *e, struct container *c)
{
	(void) e;
	container_wake_session(c, 0, false);
}

int container_log_size(struct engine *e, const struct container *c, uint64_t *ret)
{
	char path[PATH_MAX];
	struct stat st;
	int r = paths_container_data(&e->paths, c->cfg.name, "container.log", path, sizeof(path));

	if (r < 0)
		return r;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return negerrno();
		st.st_size = 0;
	}
	*ret = (uint64_t) st.st_size;
	return 0;
}

int container_stats(struct engine *e, const struct container *c, struct cgroup_stats *ret)
{
	struct cgroup *cg;
	int r;

	(void) e;
	*ret = (struct cgroup_stats){0};
	if (c->st.status != STATUS_RUNNING || !c->st.cgroup[0])
		return 0;
	r = cgroup_open(c->st.cgroup, &cg);
	if (r < 0)
		return r;
	r = cgroup_stats(cg, ret);
	cgroup_free(cg);
	return r;
}

int container_root_open(struct engine *e, struct container *c)
{
	char path[PATH_MAX];
	struct image img;
	int fd, r = 0;

	if (c->starting) {
		container_set_error(c, "Container %s is starting", c->cfg.name);
		return -EBUSY;
	}
	if (c->st.status == STATUS_RUNNING && c->st.rootfs[0])
		snprintf(path, sizeof(path), "%s", c->st.rootfs); /* its monitor's mount */
	else
		r = paths_container_state(&e->paths, c->cfg.name, "rootfs", path, sizeof(path));
	if (r < 0)
		return r;
	if (!overlay_is_mounted(path)) {
		if (c->st.status == STATUS_RUNNING)
			return -ENOENT; /* its monitor's mount is not in our namespace */
		r = image_load(&e->paths, c->cfg.image, &img);
		if (r == 0) {
			r = overlay_mount(&e->paths, c->cfg.name, &img, path, false);
			image_clear(&img);
		}
		if (r < 0) {
			container_set_error(c, "Cannot mount the root of %s: %s", c->cfg.name,
					    strerror(-r));
			return r;
		}
		c->root_gen++;
	}
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? negerrno() : fd;
}

uint64_t container_root_generation(const struct container *c)
{
	return c->root_gen;
}

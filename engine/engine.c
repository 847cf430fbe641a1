/* The engine: its store on disk, the registry of containers, and the event thread that hears
 * monitors report and exit, stop timers fire, and logs grow. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine-internal.h"
#include "fileio.h"
#include "image.h"
#include "log.h"
#include "cgroup.h"
#include "monitor.h"
#include "network.h"
#include "process.h"

void engine_lock(struct engine *e)
{
	pthread_mutex_lock(&e->lock);
}

void engine_unlock(struct engine *e)
{
	pthread_mutex_unlock(&e->lock);
}

struct container *engine_container_by_name(struct engine *e, const char *name)
{
	for (struct container *c = e->containers; c; c = c->next)
		if (!strcmp(c->cfg.name, name))
			return c;
	return NULL;
}

struct container *engine_container_by_slot(struct engine *e, uint64_t slot)
{
	for (struct container *c = e->containers; c; c = c->next)
		if (c->slot == slot)
			return c;
	return NULL;
}

struct container *engine_container_next(struct engine *e, struct container *prev)
{
	return prev ? prev->next : e->containers;
}

size_t engine_container_count(struct engine *e)
{
	size_t n = 0;

	for (struct container *c = e->containers; c; c = c->next)
		n++;
	return n;
}

int engine_watch(struct engine *e, int fd, struct container *c, enum event_kind kind)
{
	return engine_watch_session(e, fd, c, 0, kind, EPOLLIN);
}

int engine_watch_id(struct engine *e, int fd, uint64_t id, unsigned session, enum event_kind kind,
		    uint32_t events)
{
	struct epoll_event ev = {
		.events = events,
		.data.u64 = (id << EV_SLOT_SHIFT) | ((uint64_t) session << 8) | kind,
	};

	return epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? negerrno() : 0;
}

int engine_watch_session(struct engine *e, int fd, struct container *c, unsigned session,
			 enum event_kind kind, uint32_t events)
{
	return engine_watch_id(e, fd, c ? c->slot : 0, session, kind, events);
}

void engine_unwatch(struct engine *e, int fd)
{
	if (fd >= 0)
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void handle_inotify(struct engine *e)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(e->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *) p;

			for (struct container *c = e->containers; c; c = c->next) {
				if (c->log_wd == ev->wd)
					container_log_grew(e, c);
				container_exec_output_grew(c, ev->wd);
			}
			p += sizeof(*ev) + ev->len;
		}
	}
}

static void dispatch(struct engine *e, uint64_t data)
{
	enum event_kind kind = (enum event_kind)(data & 0xff);
	struct container *c;

	if (kind == EV_INOTIFY) {
		handle_inotify(e);
		return;
	}
	if (kind == EV_REAP) {
		engine_reap(e, data >> EV_SLOT_SHIFT);
		return;
	}
	c = engine_container_by_slot(e, data >> EV_SLOT_SHIFT);
	if (!c)
		return;
	switch (kind) {
	case EV_EXEC_REPORT:
	case EV_EXEC_EXIT:
		container_exec_event(e, c, (unsigned) ((data >> 8) & EV_SESSION_MASK), kind);
		break;
	case EV_REPORT:
		container_report_ready(e, c);
		break;
	case EV_MONITOR:
	case EV_INIT:
		container_exited(e, c);
		break;
	case EV_STOP_TIMER:
		container_stop_timeout(e, c);
		break;
	case EV_EXEC_PREPARE:
		container_exec_prepare_due(e, c);
		break;
	default:
		break;
	}
}

static void *event_thread(void *arg)
{
	struct engine *e = arg;

	for (;;) {
		struct epoll_event evs[32];
		int n = epoll_wait(e->epfd, evs, ARRAY_SIZE(evs), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		engine_lock(e);
		for (int i = 0; i < n; i++) {
			if ((evs[i].data.u64 & 0xff) == EV_WAKE) {
				engine_unlock(e);
				return NULL;
			}
			dispatch(e, evs[i].data.u64);
		}
		engine_unlock(e);
	}
	return NULL;
}

/* Attach to a container found in the store: running ones are re-adopted through pidfds
 * checked against the recorded start times, so a recycled pid is never taken for ours. */
static void adopt(struct engine *e, struct container *c)
{
	if (c->st.status != STATUS_RUNNING) {
		/* It stopped while we were away; its monitor may have died before unmounting. */
		if (c->st.rootfs[0] && umount2(c->st.rootfs, MNT_DETACH) == 0)
			rmdir(c->st.rootfs);
		container_release_cgroup(c);
		c->stopped = true;
		return;
	}
	container_refresh(e, c);
}

/* How long a restarted daemon waits for a run its predecessor left half-started. */
#define START_WAIT_MS 10000

static int load_all(struct engine *e)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/containers", e->paths.data_dir);
	d = opendir(dir);
	if (!d)
		return negerrno();
	while ((de = readdir(d))) {
		struct container *c;
		char path[PATH_MAX];

		if (de->d_name[0] == '.') {
			/* A half-made or half-removed container from a crash: finish removing it. */
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
				snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
				fileio_remove_tree(path);
			}
			continue;
		}
		c = container_alloc(e);
		if (!c) {
			closedir(d);
			return -ENOMEM;
		}
		/* A monitor the last daemon started may still be setting up: read its outcome. */
		if (store_start_wait(&e->paths, de->d_name, START_WAIT_MS) == -ETIMEDOUT)
			log_error("container %s: its monitor is still starting it after %d ms",
				  de->d_name, START_WAIT_MS);
		if (store_config_load(&e->paths, de->d_name, &c->cfg) < 0 ||
		    store_state_load(&e->paths, de->d_name, &c->st) < 0) {
			/* Unreadable: keep it out of the tree rather than guess. */
			container_free(c);
			continue;
		}
		c->next = e->containers;
		e->containers = c;
		adopt(e, c);
	}
	closedir(d);
	return 0;
}

static int make_dirs(const struct engine_paths *p)
{
	const char *const sub[] = {"containers", "images", "layers"};
	char path[PATH_MAX];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
		snprintf(path, sizeof(path), "%s/%s", p->data_dir, sub[i]);
		r = fileio_mkdir_p(path, 0700);
		if (r < 0)
			return r;
	}
	snprintf(path, sizeof(path), "%s/containers", p->state_dir);
	return fileio_mkdir_p(path, 0700);
}

int engine_new(const struct engine_options *o, struct engine **ret, char *err, size_t errsize)
{
	struct engine *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->lock, NULL);
	e->epfd = e->inotify_fd = e->wake_fd = -EBADF;
	for (size_t i = 0; i < STANDBY_MONITORS; i++)
		e->standby[i].report_fd = e->standby[i].cmd_fd = -EBADF;
	e->next_slot = 1;
	if (snprintf(e->paths.state_dir, sizeof(e->paths.state_dir), "%s", o->state_dir) >=
		    (int) sizeof(e->paths.state_dir) ||
	    snprintf(e->paths.data_dir, sizeof(e->paths.data_dir), "%s", o->data_dir) >=
		    (int) sizeof(e->paths.data_dir)) {
		snprintf(err, errsize, "State or data dir path too long");
		r = -ENAMETOOLONG;
		goto fail;
	}
	snprintf(e->self_exe, sizeof(e->self_exe), "%s", o->self_exe);
	snprintf(e->default_network, sizeof(e->default_network), "%s",
		 o->default_network ? o->default_network : NETWORK_DEFAULT);
	r = make_dirs(&e->paths);
	if (r < 0) {
		snprintf(err, errsize, "Cannot create %s or %s: %s", o->state_dir, o->data_dir,
			 strerror(-r));
		goto fail;
	}
	image_gc(&e->paths); /* what a crash mid-import, commit or delete left behind */
	r = image_ensure_busybox(&e->paths, o->busybox);
	if (r < 0) {
		snprintf(err, errsize,
			 "Cannot build the default image from %s: %s (install busybox-static)",
			 o->busybox, strerror(-r));
		goto fail;
	}
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	e->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->epfd < 0 || e->inotify_fd < 0 || e->wake_fd < 0) {
		r = negerrno();
		snprintf(err, errsize, "Cannot set up the event loop: %s", strerror(-r));
		goto fail;
	}
	engine_watch(e, e->wake_fd, NULL, EV_WAKE);
	engine_watch(e, e->inotify_fd, NULL, EV_INOTIFY);
	r = network_load_all(e);
	if (r < 0) {
		snprintf(err, errsize, "Cannot load the networks: %s", strerror(-r));
		goto fail;
	}
	r = load_all(e);
	if (r < 0) {
		snprintf(err, errsize, "Cannot load the containers: %s", strerror(-r));
		goto fail;
	}
	network_reconcile(e);
	*ret = e;
	return 0;
fail:
	engine_free(e);
	return r;
}

void engine_reap(struct engine *e, uint64_t id)
{
	struct reaper **pp, *r;
	struct cgroup *cg;

	for (pp = &e->reapers; *pp && (*pp)->id != id; pp = &(*pp)->next)
		;
	r = *pp;
	if (!r)
		return;
	*pp = r->next;
	engine_unwatch(e, r->pidfd);
	close(r->pidfd);
	if (r->cgroup[0] && cgroup_open(r->cgroup, &cg) == 0) {
		cgroup_destroy(cg);
		cgroup_free(cg);
	}
	free(r);
}

void engine_standby_refill(struct engine *e)
{
	for (size_t i = 0; i < STANDBY_MONITORS; i++) {
		struct standby *s = &e->standby[i];

		if (s->cmd_fd >= 0)
			continue;
		if (monitor_spawn(e->self_exe, &e->paths, NULL, &s->report_fd, &s->cmd_fd) < 0)
			s->report_fd = s->cmd_fd = -EBADF; /* runs take the slow path */
	}
}

/* The standby that waited longest (slot order: refills go to the emptied slot), or NULL. */
struct standby *engine_standby_take(struct engine *e)
{
	for (size_t i = 0; i < STANDBY_MONITORS; i++)
		if (e->standby[i].cmd_fd >= 0)
			return &e->standby[i];
	return NULL;
}

int engine_start(struct engine *e)
{
	int r;

	engine_standby_refill(e);
	r = pthread_create(&e->thread, NULL, event_thread, e);

	if (r != 0)
		return -r;
	e->thread_running = true;
	return 0;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	if (e->thread_running) {
		uint64_t one = 1;
		(void) !write(e->wake_fd, &one, sizeof(one));
		pthread_join(e->thread, NULL);
	}
	while (e->containers) {
		struct container *c = e->containers;
		e->containers = c->next;
		container_exec_free_all(e, c);
		free(c->ep);
		container_free(c);
	}
	network_free_all(e);
	while (e->reapers) {
		struct reaper *r = e->reapers;
		e->reapers = r->next;
		close(r->pidfd);
		free(r);
	}
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->inotify_fd >= 0)
		close(e->inotify_fd);
	if (e->wake_fd >= 0)
		close(e->wake_fd);
	/* A standby monitor sees end-of-file, removes its cgroup and exits. */
	for (size_t i = 0; i < STANDBY_MONITORS; i++) {
		closep(&e->standby[i].cmd_fd);
		closep(&e->standby[i].report_fd);
	}
	pthread_mutex_destroy(&e->lock);
	free(e);
}

int engine_info(struct engine *e, struct strbuf *out)
{
	static const char *const controllers[] = {"memory", "cpu", "cpuset", "pids", "freezer"};
	enum cgroup_mode mode = CGROUP_MODE_V1;
	size_t running = 0, images = 0, networks = 0;
	char **names = NULL;
	int r;

	for (struct container *c = e->containers; c; c = c->next)
		running += c->st.status == STATUS_RUNNING;
	if (image_list(&e->paths, &names) == 0) {
		while (names[images])
			images++;
		image_names_free(names);
	}
	for (struct network *n = network_next(e, NULL); n; n = network_next(e, n))
		networks++;
	cgroup_detect_mode(CGROUP_ROOT, &mode);
	r = strbuf_addf(out,
			"version %s\ncgroup_mode %s\nstate_dir %s\ndata_dir %s\n"
			"default_network %s\ncontainers %zu\nrunning %zu\nimages %zu\n"
			"networks %zu\ncontrollers",
			CTRFS_VERSION, cgroup_mode_name(mode), e->paths.state_dir,
			e->paths.data_dir, e->default_network, engine_container_count(e), running,
			images, networks);
	for (size_t i = 0; i < ARRAY_SIZE(controllers) && r == 0; i++)
		if (cgroup_controller_available(CGROUP_ROOT, controllers[i]))
			r = strbuf_addf(out, " %s", controllers[i]);
	return r < 0 ? r : strbuf_add(out, "\n", 1);
}

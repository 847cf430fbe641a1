/* The running half of a container's life: run, stop, kill, restart, and what the event
 * thread does when a monitor reports or exits. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine-internal.h"
#include "cgroup.h"
#include "image.h"
#include "monitor.h"
#include "network.h"
#include "process.h"

static int add_op(struct pending_op **list, container_done_fn done, void *data)
{
	struct pending_op *op = calloc(1, sizeof(*op));

	if (!op)
		return -ENOMEM;
	op->done = done;
	op->data = data;
	op->next = *list;
	*list = op;
	return 0;
}

/* Complete every op of LIST with RESULT. The list is detached first: a callback may queue a
 * new op (restart queues its run from its stop's completion). */
static void complete_ops(struct pending_op **list, int result)
{
	struct pending_op *op = *list;

	*list = NULL;
	while (op) {
		struct pending_op *next = op->next;
		if (op->done)
			op->done(op->data, result);
		free(op);
		op = next;
	}
}

struct restart_op {
	struct engine *e;
	uint64_t slot;
	container_done_fn done;
	void *data;
};

static void restart_after_stop(void *arg, int result);

static void forget_op(struct pending_op *list, void *data)
{
	for (; list; list = list->next) {
		if (list->data == data)
			list->done = NULL;
		else if (list->done == restart_after_stop &&
			 ((struct restart_op *) list->data)->data == data)
			((struct restart_op *) list->data)->done = NULL;
	}
}

void container_cancel(struct engine *e, struct container *c, void *data)
{
	(void) e;
	forget_op(c->run_ops, data);
	forget_op(c->stop_ops, data);
	container_exec_cancel(c, data);
}

static void watch_log(struct engine *e, struct container *c)
{
	char path[4096];

	if (c->log_wd >= 0)
		return;
	paths_container_data(&e->paths, c->cfg.name, "container.log", path, sizeof(path));
	c->log_wd = inotify_add_watch(e->inotify_fd, path, IN_MODIFY);
}

static void unwatch_log(struct engine *e, struct container *c)
{
	if (c->log_wd >= 0) {
		/* Another container may share the watch (inotify dedups by inode): only drop it
		 * when nobody else uses it. Logs are per container, so this is the only user. */
		inotify_rm_watch(e->inotify_fd, c->log_wd);
		c->log_wd = -1;
	}
}

static void drop_fd(struct engine *e, int *fd)
{
	if (*fd >= 0) {
		engine_unwatch(e, *fd);
		close(*fd);
		*fd = -EBADF;
	}
}

void container_refresh(struct engine *e, struct container *c)
{
	struct container_state st;

	if (store_state_load(&e->paths, c->cfg.name, &st) == 0)
		c->st = st;
	if (c->st.status != STATUS_RUNNING) {
		/* It ran and exited already (an exec failure does): settle it now, and remove its
		 * cgroup once its monitor, which may still be in it, has exited. */
		if (c->st.error[0])
			snprintf(c->error, sizeof(c->error), "%s", c->st.error);
		if (c->monitor_pidfd < 0)
			c->monitor_pidfd =
				process_pidfd_checked(c->st.monitor_pid, c->st.monitor_start);
		if (c->monitor_pidfd >= 0)
			engine_watch(e, c->monitor_pidfd, c, EV_MONITOR);
		else
			container_release_cgroup(c);
		network_detach(e, c);
		container_wake_all(c, false);
		return;
	}
	if (c->init_pidfd < 0)
		c->init_pidfd = process_pidfd_checked(c->st.pid, c->st.pid_start);
	if (c->monitor_pidfd < 0) {
		c->monitor_pidfd = process_pidfd_checked(c->st.monitor_pid, c->st.monitor_start);
		if (c->monitor_pidfd >= 0)
			engine_watch(e, c->monitor_pidfd, c, EV_MONITOR);
		else if (c->init_pidfd >= 0)
			/* The monitor died but the container runs: watch the init itself. */
			engine_watch(e, c->init_pidfd, c, EV_INIT);
	}
	watch_log(e, c);
	container_pause_reload(e, c);
	/* Only "no such process" means gone; any other failure (EMFILE, ENOSYS under valgrind)
	 * says nothing about the container, which may well still run. */
	if (c->monitor_pidfd == -ESRCH && c->init_pidfd == -ESRCH)
		container_exited(e, c);
	else if (c->monitor_pidfd < 0 && c->init_pidfd < 0)
		container_set_error(
			c, "Cannot follow container %s: %s", c->cfg.name,
			strerror(c->monitor_pidfd == -ESRCH ? -c->init_pidfd : -c->monitor_pidfd));
}

/* The cgroup of a container that has stopped: a monitor that lived in it could not remove
 * it, so we do (a cgroup already gone is fine). */
void container_release_cgroup(struct container *c)
{
	struct cgroup *cg;

	if (c->st.status == STATUS_RUNNING || !c->st.cgroup[0])
		return;
	if (cgroup_open(c->st.cgroup, &cg) == 0) {
		cgroup_destroy(cg);
		cgroup_free(cg);
	}
}

/* The container has stopped (its monitor said "exited", or the monitor is gone): settle the
 * final state and wake everyone. Its cgroup may still hold the monitor: that goes with
 * container_exited(). */
static void container_stopped(struct engine *e, struct container *c)
{
	struct container_state st;

	if (c->stopped)
		return;
	if (store_state_load(&e->paths, c->cfg.name, &st) == 0)
		c->st = st;
	if (c->st.status == STATUS_RUNNING) {
		if (c->init_pidfd >= 0 && process_has_exited(c->init_pidfd) == 0) {
			/* Only the monitor is gone: keep following the init. */
			drop_fd(e, &c->monitor_pidfd);
			engine_watch(e, c->init_pidfd, c, EV_INIT);
			return;
		}
		/* Neither monitor nor init left, and no exit was recorded: say so honestly. */
		c->st.status = STATUS_EXITED;
		c->st.has_exitcode = true;
		c->st.exitcode = 255;
		clock_gettime(CLOCK_REALTIME, &c->st.finished);
		snprintf(c->st.error, sizeof(c->st.error),
			 "The monitor died: the exit code was lost");
		store_state_save(&e->paths, c->cfg.name, &c->st);
	}
	c->stopped = true;
	events_emit(e, "container", c->cfg.name, "exit %d%s", c->st.exitcode,
		    c->st.oom_killed ? " oom" : "");
	if (c->st.error[0])
		snprintf(c->error, sizeof(c->error), "%s", c->st.error);
	container_exec_standby_stop(e, c);
	container_pause_reload(e, c);
	network_detach(e, c);
	c->root_gen++; /* its root is being unmounted */
	drop_fd(e, &c->init_pidfd);
	drop_fd(e, &c->stop_timerfd);
	unwatch_log(e, c);
	complete_ops(&c->stop_ops, 0);
	container_wake_all(c, false);
}

void container_hand_off_monitor(struct engine *e, struct container *c)
{
	struct reaper *r;

	drop_fd(e, &c->report_fd);
	strbuf_free(&c->report);
	if (c->monitor_pidfd < 0)
		return;
	r = calloc(1, sizeof(*r));
	if (!r) {
		drop_fd(e, &c->monitor_pidfd); /* its cgroup stays: logged by the caller's error */
		return;
	}
	engine_unwatch(e, c->monitor_pidfd);
	r->id = ++e->next_reaper;
	r->pidfd = c->monitor_pidfd;
	c->monitor_pidfd = -EBADF;
	snprintf(r->cgroup, sizeof(r->cgroup), "%s", c->st.cgroup);
	r->next = e->reapers;
	e->reapers = r;
	engine_watch_id(e, r->pidfd, r->id, 0, EV_REAP, EPOLLIN);
}

void container_exited(struct engine *e, struct container *c)
{
	container_stopped(e, c);
	if (c->st.status == STATUS_RUNNING)
		return; /* its init runs on without a monitor */
	drop_fd(e, &c->report_fd);
	drop_fd(e, &c->monitor_pidfd);
	container_release_cgroup(c); /* the monitor, last in it, is gone */
}

/* One line from a monitor: "ok" (it runs), "err ERRNO SENTENCE" (it could not start),
 * "exited" (it has stopped; the monitor still unmounts its root and then exits). */
static void report_line(struct engine *e, struct container *c, const char *line)
{
	int result = 0;

	if (!strcmp(line, "exited")) {
		container_stopped(e, c);
		return;
	}
	if (!c->starting)
		return;
	c->starting = false;
	c->stopped = false;
	c->root_gen++; /* the monitor mounted the root anew */
	if (!strcmp(line, "ok")) {
		container_refresh(e, c);
		network_started(e, c);
		container_exec_standby(e, c);
		events_emit(e, "container", c->cfg.name, "start %d", (int) c->st.pid);
	} else if (!strncmp(line, "err ", 4)) {
		char *msg;
		result = -(int) strtol(line + 4, &msg, 10);
		if (result >= 0)
			result = -EIO;
		while (*msg == ' ')
			msg++;
		container_set_error(c, "%s", msg);
	} else {
		result = -EIO;
		container_set_error(c, "The monitor of %s died before reporting", c->cfg.name);
	}
	if (result < 0) {
		network_detach(e, c); /* it never ran: give back its address and ports */
		events_emit(e, "container", c->cfg.name, "start-failed %d", -result);
	}
	complete_ops(&c->run_ops, result);
	engine_standby_refill(e); /* off the critical path: this run has its answer */
	if (result < 0)
		container_wake_all(c, true);
}

void container_report_ready(struct engine *e, struct container *c)
{
	char buf[512];
	ssize_t n = read(c->report_fd, buf, sizeof(buf));
	char *nl;

	if (n > 0) {
		strbuf_add(&c->report, buf, (size_t) n);
		while (c->report.data && (nl = strchr(c->report.data, '\n'))) {
			char line[600];
			size_t len = (size_t) (nl - c->report.data);
			snprintf(line, sizeof(line), "%.*s", (int) len, c->report.data);
			memmove(c->report.data, nl + 1, c->report.len - len);
			c->report.len -= len + 1;
			report_line(e, c, line);
		}
		return;
	}
	/* End of file: the monitor has finished (or died). */
	drop_fd(e, &c->report_fd);
	strbuf_free(&c->report);
	if (c->starting)
		report_line(e, c, "died"); /* it never said how the start went */
}

int container_run(struct engine *e, struct container *c, container_done_fn done, void *data)
{
	int r;

	if (container_is_active(c)) {
		container_set_error(c, "Container %s is already running", c->cfg.name);
		return -EBUSY;
	}
	if (c->committing) {
		container_set_error(c, "Container %s is being committed", c->cfg.name);
		return -EBUSY;
	}
	if (!image_exists(&e->paths, c->cfg.image)) {
		container_set_error(c, "Image %s does not exist", c->cfg.image);
		return -ENOENT;
	}
	if (c->cfg.argv && !c->cfg.argv[0]) {
		container_set_error(c, "No command: write one to cmd");
		return -EINVAL;
	}
	container_hand_off_monitor(e, c); /* the last run's monitor may still be unmounting */
	r = network_attach(e, c);
	if (r < 0)
		return r;
	r = add_op(&c->run_ops, done, data);
	if (r < 0) {
		network_detach(e, c);
		return r;
	}
	r = -ENOENT;
	struct standby *sb = engine_standby_take(e);
	if (sb) {
		/* Fast path: a monitor already waits in its own cgroup. */
		c->report_fd = TAKE_FD(sb->report_fd);
		r = monitor_assign(TAKE_FD(sb->cmd_fd), c->cfg.name);
		if (r < 0)
			closep(&c->report_fd); /* it died: start one the slow way */
	}
	if (r < 0)
		r = monitor_spawn(e->self_exe, &e->paths, c->cfg.name, &c->report_fd, NULL);
	if (r == 0)
		r = engine_watch(e, c->report_fd, c, EV_REPORT);
	if (r < 0) {
		struct pending_op *op = c->run_ops;

		drop_fd(e, &c->report_fd);
		c->run_ops = op->next;
		free(op);
		network_detach(e, c);
		container_set_error(c, "Cannot start the monitor: %s", strerror(-r));
		return r;
	}
	c->starting = true;
	c->error[0] = '\0';
	return CONTAINER_PENDING;
}

static int arm_stop_timer(struct engine *e, struct container *c, unsigned secs)
{
	struct itimerspec its = {.it_value.tv_sec = secs, .it_value.tv_nsec = secs ? 0 : 1};
	struct itimerspec cur;

	if (c->stop_timerfd < 0) {
		c->stop_timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (c->stop_timerfd < 0)
			return negerrno();
		int r = engine_watch(e, c->stop_timerfd, c, EV_STOP_TIMER);
		if (r < 0) {
			close(c->stop_timerfd);
			c->stop_timerfd = -EBADF;
			return r;
		}
	} else if (timerfd_gettime(c->stop_timerfd, &cur) == 0 &&
		   (cur.it_value.tv_sec || cur.it_value.tv_nsec) &&
		   (cur.it_value.tv_sec < (time_t) secs)) {
		return 0; /* an earlier stop's deadline comes first */
	}
	return timerfd_settime(c->stop_timerfd, 0, &its, NULL) < 0 ? negerrno() : 0;
}

int container_stop(struct engine *e, struct container *c, unsigned secs, container_done_fn done,
		   void *data)
{
	int r;

	if (c->starting) {
		container_set_error(c, "Container %s is starting", c->cfg.name);
		return -EBUSY;
	}
	if (c->st.status != STATUS_RUNNING)
		return 0; /* stopping what does not run is done already */
	if (c->init_pidfd < 0) {
		container_set_error(c, "Container %s cannot be signalled (its pid was lost)",
				    c->cfg.name);
		return -ESRCH;
	}
	r = add_op(&c->stop_ops, done, data);
	if (r < 0)
		return r;
	if (c->paused)
		container_resume(e, c); /* a frozen process cannot act on SIGTERM */
	r = process_signal(c->init_pidfd, secs ? SIGTERM : SIGKILL);
	if (r == 0)
		r = arm_stop_timer(e, c, secs);
	if (r < 0 && r != -ESRCH) {
		struct pending_op *op = c->stop_ops;
		c->stop_ops = op->next;
		free(op);
		container_set_error(c, "Cannot stop %s: %s", c->cfg.name, strerror(-r));
		return r;
	}
	return CONTAINER_PENDING;
}

void container_stop_timeout(struct engine *e, struct container *c)
{
	uint64_t ticks;

	(void) e;
	(void) !read(c->stop_timerfd, &ticks, sizeof(ticks));
	if (c->init_pidfd >= 0)
		process_signal(c->init_pidfd, SIGKILL);
}

int container_kill(struct engine *e, struct container *c, int sig)
{
	int r;

	(void) e;
	if (c->st.status != STATUS_RUNNING || c->starting) {
		container_set_error(c, "Container %s is not running", c->cfg.name);
		return -EBUSY;
	}
	if (c->init_pidfd < 0) {
		container_set_error(c, "Container %s cannot be signalled (its pid was lost)",
				    c->cfg.name);
		return -ESRCH;
	}
	r = process_signal(c->init_pidfd, sig);
	if (r < 0)
		container_set_error(c, "Cannot signal %s: %s", c->cfg.name, strerror(-r));
	return r;
}

static void restart_after_stop(void *arg, int result)
{
	struct restart_op *op = arg;
	struct container *c = engine_container_by_slot(op->e, op->slot);
	int r = result;

	if (r == 0 && !c)
		r = -ENOENT;
	if (r == 0)
		r = container_run(op->e, c, op->done, op->data);
	if (r != CONTAINER_PENDING && op->done)
		op->done(op->data, r);
	free(op);
}

int container_restart(struct engine *e, struct container *c, unsigned secs, container_done_fn done,
		      void *data)
{
	struct restart_op *op;
	int r;

	if (c->starting) {
		container_set_error(c, "Container %s is starting", c->cfg.name);
		return -EBUSY;
	}
	if (c->st.status != STATUS_RUNNING)
		return container_run(e, c, done, data);
	op = calloc(1, sizeof(*op));
	if (!op)
		return -ENOMEM;
	*op = (struct restart_op){.e = e, .slot = c->slot, .done = done, .data = data};
	r = container_stop(e, c, secs, restart_after_stop, op);
	if (r != CONTAINER_PENDING) {
		free(op);
		return r < 0 ? r : container_run(e, c, done, data);
	}
	return CONTAINER_PENDING;
}

/* pause and resume: the cgroup freezer where ctrfs has one; otherwise SIGSTOP and SIGCONT to
 * every process of the container (what `docker pause` did before freezers were common). The
 * state survives a daemon restart through a marker file in the run-state dir. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "engine-internal.h"

static void marker_path(struct engine *e, const struct container *c, char *buf, size_t size)
{
	paths_container_state(&e->paths, c->cfg.name, "paused", buf, size);
}

/* Signal every process of the cgroup but the monitor; twice, to catch a fork in between. */
static int signal_all(struct cgroup *cg, pid_t monitor, int sig)
{
	for (int pass = 0; pass < 2; pass++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;
		int r = cgroup_list_pids(cg, &pids, &n);

		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++)
			if (pids[i] != monitor)
				kill(pids[i], sig);
	}
	return 0;
}

static int set_frozen(struct engine *e, struct container *c, bool frozen)
{
	struct cgroup *cg;
	int r;

	(void) e;
	if (c->starting || c->st.status != STATUS_RUNNING) {
		container_set_error(c, "Container %s is not running", c->cfg.name);
		return -EBUSY;
	}
	if (c->paused == frozen) {
		container_set_error(c, "Container %s is %s", c->cfg.name,
				    frozen ? "paused already" : "not paused");
		return -EBUSY;
	}
	if (!c->st.cgroup[0]) {
		container_set_error(c, "Container %s has no cgroup to freeze", c->cfg.name);
		return -EOPNOTSUPP;
	}
	r = cgroup_open(c->st.cgroup, &cg);
	if (r < 0)
		return r;
	r = cgroup_freeze(cg, frozen);
	if (r == -EOPNOTSUPP)
		r = signal_all(cg, c->st.monitor_pid, frozen ? SIGSTOP : SIGCONT);
	cgroup_free(cg);
	if (r < 0) {
		container_set_error(c, "Cannot %s %s: %s", frozen ? "pause" : "resume", c->cfg.name,
				    strerror(-r));
		return r;
	}
	return 0;
}

int container_pause(struct engine *e, struct container *c)
{
	char path[PATH_MAX];
	int r = set_frozen(e, c, true);

	if (r < 0)
		return r;
	c->paused = true;
	events_emit(e, "container", c->cfg.name, "pause");
	marker_path(e, c, path, sizeof(path));
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	return 0;
}

int container_resume(struct engine *e, struct container *c)
{
	char path[PATH_MAX];
	int r = set_frozen(e, c, false);

	if (r < 0)
		return r;
	c->paused = false;
	events_emit(e, "container", c->cfg.name, "resume");
	marker_path(e, c, path, sizeof(path));
	unlink(path);
	return 0;
}

bool container_is_paused(const struct container *c)
{
	return c->paused;
}

void container_pause_reload(struct engine *e, struct container *c)
{
	char path[PATH_MAX];

	marker_path(e, c, path, sizeof(path));
	c->paused = c->st.status == STATUS_RUNNING && access(path, F_OK) == 0;
	if (c->st.status != STATUS_RUNNING)
		unlink(path);
}

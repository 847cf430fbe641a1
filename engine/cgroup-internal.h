/* What the cgroup facade shares with its backends. */
#pragma once

#include "cgroup.h"

#define CGROUP_MAX_DIRS 8

struct cgroup_line {
	unsigned id;
	char controllers[64]; /* "memory", "cpu,cpuacct", "name=systemd", "" for v2 */
	char path[400];
};

struct cgroup_ops {
	/* Make NAME beneath the own cgroup(s) of LINES; fill cg->dirs. */
	int (*create)(struct cgroup *cg, const char *root, const struct cgroup_line *lines,
		      size_t n, const char *name);
	/* Kill every process (one pass); return how many were signalled. */
	int (*kill_pass)(struct cgroup *cg);
};

struct cgroup {
	enum cgroup_mode mode;
	const struct cgroup_ops *ops;
	size_t n_dirs;
	char *dirs[CGROUP_MAX_DIRS]; /* the first holds the process list we read */
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* Parse /proc/PID/cgroup text into LINES; returns the count. Exposed for unit tests. */
int cgroup_parse_proc(const char *text, struct cgroup_line *lines, size_t max);

/* Write VALUE to DIR/FILE. */
int cgroup_write(const char *dir, const char *file, const char *value);

/* SIGKILL every pid listed in DIR/cgroup.procs; returns how many. */
int cgroup_kill_listed(const char *dir);

/* Container cgroups behind one interface, with a backend for cgroup v1 (legacy and hybrid
 * hosts) and one for v2 (unified). Cgroups are only ever made beneath the caller's own
 * cgroup, never at the root of a hierarchy. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

enum cgroup_mode {
	CGROUP_MODE_V1,     /* legacy: controllers in v1 hierarchies only */
	CGROUP_MODE_HYBRID, /* v1 controllers plus an empty v2 hierarchy (this machine) */
	CGROUP_MODE_V2,     /* unified */
};

struct cgroup;

/* Which layout the host has, from what is mounted at ROOT (normally /sys/fs/cgroup). */
int cgroup_detect_mode(const char *root, enum cgroup_mode *ret);
const char *cgroup_mode_name(enum cgroup_mode mode);

/* Make the cgroup NAME beneath the caller's own cgroup (as /proc/self/cgroup says) in every
 * hierarchy where that is allowed. -ENOTSUP if there is none. */
int cgroup_create(const char *root, const char *name, struct cgroup **ret);

/* Open a cgroup from its description (cgroup_describe), to control it from another process. */
int cgroup_open(const char *desc, struct cgroup **ret);

/* Move PID (a process we started) into CG. */
int cgroup_enter(struct cgroup *cg, pid_t pid);

/* SIGKILL every process in CG until it is empty (bounded wait). */
int cgroup_kill_all(struct cgroup *cg);

/* Kill what is left and remove CG's directories. */
int cgroup_destroy(struct cgroup *cg);

/* "MODE:DIR[:DIR...]", the absolute directories of CG; fits in SIZE or -ENOBUFS. */
int cgroup_describe(const struct cgroup *cg, char *buf, size_t size);

void cgroup_free(struct cgroup *cg);

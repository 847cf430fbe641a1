/* Container cgroups behind one interface, with a backend for cgroup v1 (legacy and hybrid
 * hosts) and one for v2 (unified). Cgroups are only ever made beneath the caller's own
 * cgroup, never at the root of a hierarchy. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "resources.h"

enum cgroup_mode {
	CGROUP_MODE_V1,	    /* legacy: controllers in v1 hierarchies only */
	CGROUP_MODE_HYBRID, /* v1 controllers plus an empty v2 hierarchy (this machine) */
	CGROUP_MODE_V2,	    /* unified */
};

/* Where the hierarchies are mounted. */
#define CGROUP_ROOT "/sys/fs/cgroup"

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

/* Move PID (ourselves) from CG back to the cgroup(s) CG was made in. */
int cgroup_leave(struct cgroup *cg, pid_t pid);

/* SIGKILL every process in CG until it is empty (bounded wait). */
int cgroup_kill_all(struct cgroup *cg);

/* Kill what is left and remove CG's directories. */
int cgroup_destroy(struct cgroup *cg);

/* "MODE:DIR[:DIR...]", the absolute directories of CG; fits in SIZE or -ENOBUFS. */
int cgroup_describe(const struct cgroup *cg, char *buf, size_t size);

void cgroup_free(struct cgroup *cg);

/* Whether CONTROLLER ("memory", "cpu", "cpuset", "pids", "freezer") can be used beneath the
 * caller's own cgroup; false where that cgroup is a hierarchy's root. */
bool cgroup_controller_available(const char *root, const char *controller);

/* Apply one limit: bytes, thousandths of a CPU, shares, or pids in VALUE (0: no limit), or
 * the cpu list CPUSET (NULL: all). -EOPNOTSUPP if the controller is not ours here; the
 * kernel's errno if it refuses the value. */
int cgroup_set_limit(struct cgroup *cg, enum resource_kind kind, uint64_t value,
		     const char *cpuset);
/* The effective value the kernel holds, as users write it ("max" when unlimited). */
int cgroup_get_limit(struct cgroup *cg, enum resource_kind kind, char *buf, size_t size);

struct cgroup_stats {
	uint64_t memory_usage;
	uint64_t memory_peak;
	uint64_t memory_limit; /* 0: none */
	uint64_t oom_kills;
	uint64_t cpu_usage_ns;
	uint64_t pids;
};
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *ret);

/* Freeze or thaw every process. -EOPNOTSUPP without a freezer (v1 freezer or v2 core). */
int cgroup_freeze(struct cgroup *cg, bool frozen);

/* The processes in CG (from its first directory). */
int cgroup_list_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n);

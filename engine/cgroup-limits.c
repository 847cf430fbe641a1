/* Limits, statistics and freezing, for both backends: which file of which controller holds
 * what, and how its value is spelled on v1 and on v2. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "fileio.h"
#include "strutil.h"

#define CPU_PERIOD_US 100000

static const struct {
	const char *controller;
	const char *v1_file;
	const char *v2_file;
} files[RESOURCE_COUNT] = {
	[RESOURCE_MEMORY] = {"memory", "memory.limit_in_bytes", "memory.max"},
	[RESOURCE_CPUS] = {"cpu", "cpu.cfs_quota_us", "cpu.max"},
	[RESOURCE_CPU_SHARES] = {"cpu", "cpu.shares", "cpu.weight"},
	[RESOURCE_CPUSET] = {"cpuset", "cpuset.cpus", "cpuset.cpus"},
	[RESOURCE_PIDS] = {"pids", "pids.max", "pids.max"},
};

/* v1: the directory of CG in the hierarchy that has CONTROLLER (its mount dir is named by a
 * comma list such as "cpu,cpuacct"). v2: the one directory, if the controller is enabled. */
static const char *dir_for(struct cgroup *cg, const char *controller)
{
	size_t clen = strlen(controller);

	if (cg->mode == CGROUP_MODE_V2) {
		_cleanup_free_ char *list = NULL;
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/cgroup.controllers", cg->dirs[0]);
		if (fileio_read_all(path, 4096, &list, NULL) < 0)
			return NULL;
		for (char *t = strtok(list, " \n"); t; t = strtok(NULL, " \n"))
			if (!strcmp(t, controller))
				return cg->dirs[0];
		/* freeze is core in v2, not a controller */
		return !strcmp(controller, "freezer") ? cg->dirs[0] : NULL;
	}
	for (size_t i = 0; i < cg->n_dirs; i++) {
		/* /sys/fs/cgroup/<hierarchy>/...: take <hierarchy> */
		const char *h = cg->dirs[i] + strlen("/sys/fs/cgroup/");
		size_t hlen = strcspn(h, "/");

		for (const char *p = h; p < h + hlen;) {
			size_t n = strcspn(p, ",/");
			if (n == clen && !strncmp(p, controller, clen))
				return cg->dirs[i];
			p += n + (p[n] == ',');
		}
	}
	return NULL;
}

bool cgroup_controller_available(const char *root, const char *controller)
{
	struct cgroup_line lines[32];
	_cleanup_free_ char *text = NULL;
	enum cgroup_mode mode;
	int n;

	if (fileio_read_all("/proc/self/cgroup", 65536, &text, NULL) < 0 ||
	    cgroup_detect_mode(root, &mode) < 0)
		return false;
	n = cgroup_parse_proc(text, lines, ARRAY_SIZE(lines));
	for (int i = 0; i < n; i++) {
		const struct cgroup_line *l = &lines[i];
		if (!strcmp(l->path, "/"))
			continue;
		if (mode == CGROUP_MODE_V2 && l->id == 0)
			return true; /* enabled for the child on demand; checked again at set */
		for (const char *p = l->controllers; *p;) {
			size_t len = strcspn(p, ",");
			if (len == strlen(controller) && !strncmp(p, controller, len))
				return true;
			p += len + (p[len] == ',');
		}
	}
	return false;
}

int cgroup_set_limit(struct cgroup *cg, enum resource_kind kind, uint64_t value, const char *cpuset)
{
	const char *dir = dir_for(cg, files[kind].controller);
	bool v2 = cg->mode == CGROUP_MODE_V2;
	char buf[64];
	int r;

	if (!dir)
		return (value || cpuset) ? -EOPNOTSUPP : 0; /* "no limit" needs no controller */
	switch (kind) {
	case RESOURCE_MEMORY:
		if (value)
			snprintf(buf, sizeof(buf), "%" PRIu64, value);
		else
			snprintf(buf, sizeof(buf), v2 ? "max" : "-1");
		return cgroup_write(dir, v2 ? files[kind].v2_file : files[kind].v1_file, buf);
	case RESOURCE_CPUS:
		if (v2) {
			if (value)
				snprintf(buf, sizeof(buf), "%" PRIu64 " %d",
					 value * CPU_PERIOD_US / 1000, CPU_PERIOD_US);
			else
				snprintf(buf, sizeof(buf), "max %d", CPU_PERIOD_US);
			return cgroup_write(dir, "cpu.max", buf);
		}
		snprintf(buf, sizeof(buf), "%d", CPU_PERIOD_US);
		r = cgroup_write(dir, "cpu.cfs_period_us", buf);
		if (r < 0)
			return r;
		if (value)
			snprintf(buf, sizeof(buf), "%" PRIu64, value * CPU_PERIOD_US / 1000);
		else
			snprintf(buf, sizeof(buf), "-1");
		return cgroup_write(dir, "cpu.cfs_quota_us", buf);
	case RESOURCE_CPU_SHARES:
		if (v2)
			snprintf(buf, sizeof(buf), "%" PRIu64,
				 value ? resources_shares_to_weight(value) : 100);
		else
			snprintf(buf, sizeof(buf), "%" PRIu64, value ? value : 1024);
		return cgroup_write(dir, v2 ? files[kind].v2_file : files[kind].v1_file, buf);
	case RESOURCE_CPUSET:
		if (!cpuset) {
			/* "all": the parent's list (v1 needs one; v2 takes empty as inherit) */
			if (v2)
				return cgroup_write(dir, "cpuset.cpus", "");
			char parent[PATH_MAX];
			_cleanup_free_ char *cpus = NULL;
			snprintf(parent, sizeof(parent), "%s/../cpuset.cpus", dir);
			r = fileio_read_all(parent, 4096, &cpus, NULL);
			return r < 0 ? r : cgroup_write(dir, "cpuset.cpus", cpus);
		}
		return cgroup_write(dir, "cpuset.cpus", cpuset);
	case RESOURCE_PIDS:
		if (value)
			snprintf(buf, sizeof(buf), "%" PRIu64, value);
		else
			snprintf(buf, sizeof(buf), "max");
		return cgroup_write(dir, "pids.max", buf);
	}
	return -EINVAL;
}

static int read_value(const char *dir, const char *file, char *buf, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	r = fileio_read_all(path, 4096, &text, &len);
	if (r < 0)
		return r;
	str_chomp(text, &len);
	if (len >= size)
		return -ENOBUFS;
	memcpy(buf, text, len + 1);
	return 0;
}

static uint64_t read_u64(const char *dir, const char *file)
{
	char buf[64];

	if (!dir || read_value(dir, file, buf, sizeof(buf)) < 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

/* KEY's number in a flat-keyed file such as memory.events or cpu.stat. */
static uint64_t read_keyed(const char *dir, const char *file, const char *key)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	size_t klen = strlen(key);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (!dir || fileio_read_all(path, 65536, &text, NULL) < 0)
		return 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return strtoull(line + klen + 1, NULL, 10);
	return 0;
}

int cgroup_get_limit(struct cgroup *cg, enum resource_kind kind, char *buf, size_t size)
{
	const char *dir = dir_for(cg, files[kind].controller);
	bool v2 = cg->mode == CGROUP_MODE_V2;
	char raw[256];
	uint64_t v;
	int r;

	if (!dir)
		return -EOPNOTSUPP;
	r = read_value(dir, v2 ? files[kind].v2_file : files[kind].v1_file, raw, sizeof(raw));
	if (r < 0)
		return r;
	switch (kind) {
	case RESOURCE_MEMORY:
		v = strtoull(raw, NULL, 10);
		/* v1 spells "no limit" as a huge page-rounded number */
		if (!strcmp(raw, "max") || v >= (UINT64_C(1) << 62))
			v = 0;
		return resources_format_memory(v, buf, size);
	case RESOURCE_CPUS:
		if (v2) {
			if (!strncmp(raw, "max", 3))
				return resources_format_cpus(0, buf, size);
			uint64_t quota = strtoull(raw, NULL, 10);
			uint64_t period =
				strtoull(strchr(raw, ' ') ? strchr(raw, ' ') + 1 : "1", NULL, 10);
			return resources_format_cpus(period ? quota * 1000 / period : 0, buf, size);
		} else {
			long long quota = strtoll(raw, NULL, 10);
			uint64_t period = read_u64(dir, "cpu.cfs_period_us");
			return resources_format_cpus(
				quota > 0 && period ? (uint64_t) quota * 1000 / period : 0, buf,
				size);
		}
	case RESOURCE_CPU_SHARES:
		v = strtoull(raw, NULL, 10);
		return snprintf(buf, size, "%" PRIu64, v2 ? resources_weight_to_shares(v) : v) <
				       (int) size
			       ? 0
			       : -ENOBUFS;
	case RESOURCE_CPUSET:
	case RESOURCE_PIDS:
		return snprintf(buf, size, "%s", raw) < (int) size ? 0 : -ENOBUFS;
	}
	return -EINVAL;
}

int cgroup_list_pids(struct cgroup *cg, pid_t **ret, size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	size_t n = 0, cap = 16;
	pid_t *pids;
	int r;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dirs[0]);
	r = fileio_read_all(path, 1 << 20, &text, NULL);
	if (r < 0)
		return r;
	pids = malloc(cap * sizeof(pid_t));
	if (!pids)
		return -ENOMEM;
	for (char *t = strtok(text, "\n"); t; t = strtok(NULL, "\n")) {
		if (n == cap) {
			pid_t *np = realloc(pids, (cap *= 2) * sizeof(pid_t));
			if (!np) {
				free(pids);
				return -ENOMEM;
			}
			pids = np;
		}
		pids[n++] = (pid_t) strtol(t, NULL, 10);
	}
	*ret = pids;
	*ret_n = n;
	return 0;
}

/* CPU time without a cpuacct/cpu controller: the processes' own and reaped children's. */
static uint64_t cpu_from_proc(struct cgroup *cg)
{
	_cleanup_free_ pid_t *pids = NULL;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks = 0;
	size_t n = 0;

	if (cgroup_list_pids(cg, &pids, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *stat = NULL;
		char path[64];
		unsigned long long ut, st, cut, cst;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int) pids[i]);
		if (fileio_read_all(path, 4096, &stat, NULL) < 0 || !strrchr(stat, ')'))
			continue;
		/* fields 14-17 after the ')' ending field 2 */
		if (sscanf(strrchr(stat, ')') + 2,
			   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &ut,
			   &st, &cut, &cst) == 4)
			ticks += ut + st + cut + cst;
	}
	return hz > 0 ? ticks * (1000000000ULL / (uint64_t) hz) : 0;
}

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *ret)
{
	const char *mem = dir_for(cg, "memory");
	const char *pids = dir_for(cg, "pids");
	struct cgroup_stats st = {0};
	char buf[64];

	if (cg->mode == CGROUP_MODE_V2) {
		st.memory_usage = read_u64(mem, "memory.current");
		st.memory_peak = read_u64(mem, "memory.peak");
		st.oom_kills = mem ? read_keyed(mem, "memory.events", "oom_kill") : 0;
		st.cpu_usage_ns = read_keyed(cg->dirs[0], "cpu.stat", "usage_usec") * 1000;
	} else {
		const char *cpuacct = dir_for(cg, "cpuacct");
		st.memory_usage = read_u64(mem, "memory.usage_in_bytes");
		st.memory_peak = read_u64(mem, "memory.max_usage_in_bytes");
		st.oom_kills = mem ? read_keyed(mem, "memory.oom_control", "oom_kill") : 0;
		st.cpu_usage_ns = cpuacct ? read_u64(cpuacct, "cpuacct.usage") : cpu_from_proc(cg);
	}
	if (mem && cgroup_get_limit(cg, RESOURCE_MEMORY, buf, sizeof(buf)) == 0)
		st.memory_limit = strcmp(buf, "max") ? strtoull(buf, NULL, 10) : 0;
	if (pids) {
		st.pids = read_u64(pids, "pids.current");
	} else {
		_cleanup_free_ pid_t *list = NULL;
		size_t n = 0;
		if (cgroup_list_pids(cg, &list, &n) == 0)
			st.pids = n;
	}
	*ret = st;
	return 0;
}

int cgroup_freeze(struct cgroup *cg, bool frozen)
{
	const char *dir = dir_for(cg, "freezer");

	if (!dir)
		return -EOPNOTSUPP;
	if (cg->mode == CGROUP_MODE_V2)
		return cgroup_write(dir, "cgroup.freeze", frozen ? "1" : "0");
	return cgroup_write(dir, "freezer.state", frozen ? "FROZEN" : "THAWED");
}

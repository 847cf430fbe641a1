/* The files of a container directory: the table, and how each read-only one is shown. */
#include <string.h>

#include "cleanup.h"
#include "cgroup.h"
#include "container.h"
#include "nodes.h"
#include "strutil.h"

static int show_status(struct engine *e, const struct container *c, struct strbuf *out)
{
	const struct container_state *st = container_state(c);

	(void) e;
	switch (st->status) {
	case STATUS_RUNNING:
		return strbuf_addf(out, "%s\n", container_is_paused(c) ? "paused" : "running");
	case STATUS_EXITED:
		return strbuf_addf(out, "exited %d\n", st->exitcode);
	default:
		return strbuf_addf(out, "created\n");
	}
}

static int show_pid(struct engine *e, const struct container *c, struct strbuf *out)
{
	const struct container_state *st = container_state(c);

	(void) e;
	if (st->status != STATUS_RUNNING)
		return 0;
	return strbuf_addf(out, "%d\n", (int) st->pid);
}

static int show_exitcode(struct engine *e, const struct container *c, struct strbuf *out)
{
	const struct container_state *st = container_state(c);

	(void) e;
	return st->has_exitcode ? strbuf_addf(out, "%d\n", st->exitcode) : 0;
}

static int show_time(const struct timespec *ts, struct strbuf *out)
{
	char buf[64];

	if (ts->tv_sec == 0 || str_rfc3339(ts, buf, sizeof(buf)) < 0)
		return 0;
	return strbuf_addf(out, "%s\n", buf);
}

static int show_started(struct engine *e, const struct container *c, struct strbuf *out)
{
	(void) e;
	return show_time(&container_state(c)->started, out);
}

static int show_finished(struct engine *e, const struct container *c, struct strbuf *out)
{
	const struct container_state *st = container_state(c);

	(void) e;
	return st->status == STATUS_EXITED ? show_time(&st->finished, out) : 0;
}

static int show_id(struct engine *e, const struct container *c, struct strbuf *out)
{
	(void) e;
	return strbuf_addf(out, "%s\n", container_config(c)->id);
}

static int show_error(struct engine *e, const struct container *c, struct strbuf *out)
{
	const char *err = container_error(c);

	(void) e;
	return err[0] ? strbuf_addf(out, "%s\n", err) : 0;
}

static int show_oom(struct engine *e, const struct container *c, struct strbuf *out)
{
	(void) e;
	return strbuf_addf(out, "%s\n", container_state(c)->oom_killed ? "true" : "false");
}

static int show_stats(struct engine *e, const struct container *c, struct strbuf *out)
{
	struct cgroup_stats st;
	int r = container_stats(e, c, &st);

	if (r < 0)
		return r;
	return strbuf_addf(
		out,
		"memory_usage %llu\nmemory_peak %llu\nmemory_limit %llu\n"
		"cpu_usage_ns %llu\npids %llu\noom_kills %llu\n",
		(unsigned long long) st.memory_usage, (unsigned long long) st.memory_peak,
		(unsigned long long) st.memory_limit, (unsigned long long) st.cpu_usage_ns,
		(unsigned long long) st.pids, (unsigned long long) st.oom_kills);
}

/* Index 0 is the directory itself; files start at 1. */
const struct cfile container_files[] = {
	{NULL, 0, 0, 0, NULL},
	{"ctl", FILE_CTL, 0666, 0, NULL},
	{"image", FILE_CONFIG, 0666, CONTAINER_KEY_IMAGE, NULL},
	{"cmd", FILE_CONFIG, 0666, CONTAINER_KEY_CMD, NULL},
	{"env", FILE_CONFIG, 0666, CONTAINER_KEY_ENV, NULL},
	{"workdir", FILE_CONFIG, 0666, CONTAINER_KEY_WORKDIR, NULL},
	{"hostname", FILE_CONFIG, 0666, CONTAINER_KEY_HOSTNAME, NULL},
	{"caps", FILE_CONFIG, 0666, CONTAINER_KEY_CAPS, NULL},
	{"seccomp", FILE_CONFIG, 0666, CONTAINER_KEY_SECCOMP, NULL},
	{"volumes", FILE_CONFIG, 0666, CONTAINER_KEY_VOLUMES, NULL},
	{"network", FILE_CONFIG, 0666, CONTAINER_KEY_NETWORK, NULL},
	{"ports", FILE_CONFIG, 0666, CONTAINER_KEY_PORTS, NULL},
	{"memory", FILE_CONFIG, 0666, CONTAINER_KEY_MEMORY, NULL},
	{"cpus", FILE_CONFIG, 0666, CONTAINER_KEY_CPUS, NULL},
	{"cpu-shares", FILE_CONFIG, 0666, CONTAINER_KEY_CPU_SHARES, NULL},
	{"cpuset", FILE_CONFIG, 0666, CONTAINER_KEY_CPUSET, NULL},
	{"pids", FILE_CONFIG, 0666, CONTAINER_KEY_PIDS, NULL},
	{"status", FILE_STATE, 0444, 0, show_status},
	{"pid", FILE_STATE, 0444, 0, show_pid},
	{"exitcode", FILE_STATE, 0444, 0, show_exitcode},
	{"started", FILE_STATE, 0444, 0, show_started},
	{"finished", FILE_STATE, 0444, 0, show_finished},
	{"id", FILE_STATE, 0444, 0, show_id},
	{"error", FILE_STATE, 0444, 0, show_error},
	{"oom", FILE_STATE, 0444, 0, show_oom},
	{"ip", FILE_STATE, 0444, 0, container_ip},
	{"stats", FILE_STATE, 0444, 0, show_stats},
	{"logs", FILE_LOGS, 0444, 0, NULL},
	{"logs-now", FILE_LOGS_NOW, 0444, 0, NULL},
	{"wait", FILE_WAIT, 0444, 0, NULL},
};
const size_t container_files_count = ARRAY_SIZE(container_files);

const struct cfile *cfile_by_index(unsigned idx)
{
	return idx >= 1 && idx < container_files_count ? &container_files[idx] : NULL;
}

unsigned cfile_index(const char *name)
{
	for (unsigned i = 1; i < container_files_count; i++)
		if (!strcmp(container_files[i].name, name))
			return i;
	return 0;
}

mode_t cfile_mode(const struct cfile *f, mode_t dir_mode)
{
	mode_t mask = 0;

	for (int shift = 0; shift <= 6; shift += 3) {
		mode_t cls = (dir_mode >> shift) & 7;
		mask |= (cls & 6) << shift; /* read and write bits of this class */
	}
	return f->mode & mask;
}

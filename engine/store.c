#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "jsonutil.h"
#include "fileio.h"

#define STORE_MAX_FILE (1024 * 1024)

void config_clear(struct container_config *cfg)
{
	free(cfg->image);
	if (cfg->argv)
		for (char **a = cfg->argv; *a; a++)
			free(*a);
	free(cfg->argv);
	if (cfg->env)
		for (char **a = cfg->env; *a; a++)
			free(*a);
	free(cfg->env);
	free(cfg->workdir);
	free(cfg->hostname);
	if (cfg->caps)
		for (char **a = cfg->caps; *a; a++)
			free(*a);
	free(cfg->caps);
	free(cfg->cpuset);
	if (cfg->volumes)
		for (char **a = cfg->volumes; *a; a++)
			free(*a);
	free(cfg->volumes);
	if (cfg->ports)
		for (char **a = cfg->ports; *a; a++)
			free(*a);
	free(cfg->ports);
	free(cfg->network);
	*cfg = (struct container_config){0};
}

static json_object *strv_to_json(char **v)
{
	json_object *a = json_object_new_array();

	for (; a && v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

/* A JSON array of strings to a NULL-terminated vector; -EINVAL if it is not one. */
static int strv_from_json(json_object *a, char ***ret)
{
	size_t n;
	char **v;

	if (!json_object_is_type(a, json_type_array))
		return -EINVAL;
	n = json_object_array_length(a);
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(a, i);
		if (!json_object_is_type(s, json_type_string) ||
		    !(v[i] = strdup(json_object_get_string(s)))) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return json_object_is_type(s, json_type_string) ? -ENOMEM : -EINVAL;
		}
	}
	*ret = v;
	return 0;
}

static void add_ts(json_object *o, const char *key, const struct timespec *ts)
{
	json_object_object_add(o, key, json_object_new_int64(ts->tv_sec));
	char nkey[64];
	snprintf(nkey, sizeof(nkey), "%s_ns", key);
	json_object_object_add(o, nkey, json_object_new_int64(ts->tv_nsec));
}

static void get_ts(json_object *o, const char *key, struct timespec *ts)
{
	json_object *v;
	char nkey[64];

	snprintf(nkey, sizeof(nkey), "%s_ns", key);
	if (json_object_object_get_ex(o, key, &v))
		ts->tv_sec = json_object_get_int64(v);
	if (json_object_object_get_ex(o, nkey, &v))
		ts->tv_nsec = json_object_get_int64(v) % 1000000000;
}

/* Copy a string member into a fixed buffer; -EINVAL if missing, not a string, or too long. */
static int get_str_buf(json_object *o, const char *key, char *buf, size_t size)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return -EINVAL;
	s = json_object_get_string(v);
	if (strlen(s) >= size)
		return -EINVAL;
	strcpy(buf, s);
	return 0;
}

/* A copy of an optional string member: NULL when absent or null. */
static int get_str_dup(json_object *o, const char *key, char **ret)
{
	json_object *v;

	*ret = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : -ENOMEM;
}

static int64_t get_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return dflt;
	return json_object_get_int64(v);
}

static uint64_t get_uint(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

static int to_text(json_object *o, char **ret_text)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);

	if (!s || !(*ret_text = strdup(s)))
		return -ENOMEM;
	return 0;
}

int store_config_to_json(const struct container_config *cfg, char **ret_text)
{
	_cleanup_json_ json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "name", json_object_new_string(cfg->name));
	json_object_object_add(o, "id", json_object_new_string(cfg->id));
	json_object_object_add(o, "image", json_object_new_string(cfg->image ? cfg->image : ""));
	json_object_object_add(o, "cmd", cfg->argv ? strv_to_json(cfg->argv) : NULL);
	json_object_object_add(o, "env", strv_to_json(cfg->env));
	json_object_object_add(o, "workdir",
			       cfg->workdir ? json_object_new_string(cfg->workdir) : NULL);
	json_object_object_add(o, "hostname",
			       cfg->hostname ? json_object_new_string(cfg->hostname) : NULL);
	json_object_object_add(o, "uid", json_object_new_int64(cfg->uid));
	json_object_object_add(o, "gid", json_object_new_int64(cfg->gid));
	json_object_object_add(o, "mode", json_object_new_int64(cfg->mode));
	add_ts(o, "created", &cfg->created);
	json_object_object_add(o, "caps", cfg->caps ? strv_to_json(cfg->caps) : NULL);
	json_object_object_add(o, "seccomp", json_object_new_boolean(!cfg->seccomp_off));
	json_object_object_add(o, "memory", json_object_new_uint64(cfg->memory));
	json_object_object_add(o, "cpus_milli", json_object_new_uint64(cfg->cpus_milli));
	json_object_object_add(o, "cpu_shares", json_object_new_uint64(cfg->cpu_shares));
	json_object_object_add(o, "cpuset",
			       cfg->cpuset ? json_object_new_string(cfg->cpuset) : NULL);
	json_object_object_add(o, "pids", json_object_new_uint64(cfg->pids));
	json_object_object_add(o, "volumes", cfg->volumes ? strv_to_json(cfg->volumes) : NULL);
	json_object_object_add(o, "network",
			       cfg->network ? json_object_new_string(cfg->network) : NULL);
	json_object_object_add(o, "ports", cfg->ports ? strv_to_json(cfg->ports) : NULL);
	return to_text(o, ret_text);
}

int store_config_from_json(const char *text, struct container_config *ret_cfg)
{
	_cleanup_json_ json_object *o = json_tokener_parse(text);
	struct container_config cfg = {0};
	json_object *v;
	int r;

	if (!o || !json_object_is_type(o, json_type_object))
		return -EINVAL;
	r = get_str_buf(o, "name", cfg.name, sizeof(cfg.name));
	if (r == 0)
		r = get_str_buf(o, "id", cfg.id, sizeof(cfg.id));
	if (r == 0)
		r = get_str_dup(o, "image", &cfg.image);
	if (r == 0 && !cfg.image)
		r = -EINVAL;
	if (r == 0 && json_object_object_get_ex(o, "cmd", &v) &&
	    !json_object_is_type(v, json_type_null))
		r = strv_from_json(v, &cfg.argv);
	if (r == 0)
		r = json_object_object_get_ex(o, "env", &v) ? strv_from_json(v, &cfg.env) : -EINVAL;
	if (r == 0)
		r = get_str_dup(o, "workdir", &cfg.workdir);
	if (r == 0)
		r = get_str_dup(o, "hostname", &cfg.hostname);
	if (r == 0 && json_object_object_get_ex(o, "caps", &v) &&
	    !json_object_is_type(v, json_type_null))
		r = strv_from_json(v, &cfg.caps);
	if (r == 0)
		r = get_str_dup(o, "cpuset", &cfg.cpuset);
	if (r == 0 && json_object_object_get_ex(o, "volumes", &v) &&
	    !json_object_is_type(v, json_type_null))
		r = strv_from_json(v, &cfg.volumes);
	if (r == 0 && json_object_object_get_ex(o, "ports", &v) &&
	    !json_object_is_type(v, json_type_null))
		r = strv_from_json(v, &cfg.ports);
	if (r == 0)
		r = get_str_dup(o, "network", &cfg.network);
	if (r < 0) {
		config_clear(&cfg);
		return r;
	}
	cfg.uid = (uid_t) get_int(o, "uid", 0);
	cfg.gid = (gid_t) get_int(o, "gid", 0);
	cfg.mode = (mode_t) get_int(o, "mode", 0755) & 07777;
	get_ts(o, "created", &cfg.created);
	cfg.seccomp_off =
		json_object_object_get_ex(o, "seccomp", &v) && !json_object_get_boolean(v);
	cfg.memory = get_uint(o, "memory");
	cfg.cpus_milli = get_uint(o, "cpus_milli");
	cfg.cpu_shares = get_uint(o, "cpu_shares");
	cfg.pids = get_uint(o, "pids");
	*ret_cfg = cfg;
	return 0;
}

static const char *const status_names[] = {
	[STATUS_CREATED] = "created",
	[STATUS_RUNNING] = "running",
	[STATUS_EXITED] = "exited",
};

int store_state_to_json(const struct container_state *st, char **ret_text)
{
	_cleanup_json_ json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "status", json_object_new_string(status_names[st->status]));
	json_object_object_add(o, "pid", json_object_new_int64(st->pid));
	json_object_object_add(o, "pid_start", json_object_new_uint64(st->pid_start));
	json_object_object_add(o, "monitor_pid", json_object_new_int64(st->monitor_pid));
	json_object_object_add(o, "monitor_start", json_object_new_uint64(st->monitor_start));
	add_ts(o, "started", &st->started);
	add_ts(o, "finished", &st->finished);
	json_object_object_add(o, "exitcode",
			       st->has_exitcode ? json_object_new_int(st->exitcode) : NULL);
	json_object_object_add(o, "error", json_object_new_string(st->error));
	json_object_object_add(o, "cgroup", json_object_new_string(st->cgroup));
	json_object_object_add(o, "oom_killed", json_object_new_boolean(st->oom_killed));
	json_object_object_add(o, "veth", json_object_new_string(st->veth));
	json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
	return to_text(o, ret_text);
}

int store_state_from_json(const char *text, struct container_state *ret_st)
{
	_cleanup_json_ json_object *o = json_tokener_parse(text);
	struct container_state st = {0};
	char status[16];
	json_object *v;
	size_t i;

	if (!o || !json_object_is_type(o, json_type_object))
		return -EINVAL;
	if (get_str_buf(o, "status", status, sizeof(status)) < 0)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(status_names); i++)
		if (!strcmp(status, status_names[i]))
			break;
	if (i == ARRAY_SIZE(status_names))
		return -EINVAL;
	st.status = (enum container_status) i;
	st.pid = (pid_t) get_int(o, "pid", 0);
	if (json_object_object_get_ex(o, "pid_start", &v))
		st.pid_start = json_object_get_uint64(v);
	st.monitor_pid = (pid_t) get_int(o, "monitor_pid", 0);
	if (json_object_object_get_ex(o, "monitor_start", &v))
		st.monitor_start = json_object_get_uint64(v);
	get_ts(o, "started", &st.started);
	get_ts(o, "finished", &st.finished);
	if (json_object_object_get_ex(o, "exitcode", &v) && json_object_is_type(v, json_type_int)) {
		st.has_exitcode = true;
		st.exitcode = json_object_get_int(v);
	}
	if (get_str_buf(o, "error", st.error, sizeof(st.error)) < 0)
		st.error[0] = '\0';
	if (get_str_buf(o, "cgroup", st.cgroup, sizeof(st.cgroup)) < 0)
		st.cgroup[0] = '\0';
	st.oom_killed =
		json_object_object_get_ex(o, "oom_killed", &v) && json_object_get_boolean(v);
	if (get_str_buf(o, "veth", st.veth, sizeof(st.veth)) < 0)
		st.veth[0] = '\0';
	if (get_str_buf(o, "rootfs", st.rootfs, sizeof(st.rootfs)) < 0)
		st.rootfs[0] = '\0';
	if (st.pid < 0 || st.monitor_pid < 0)
		return -EINVAL;
	*ret_st = st;
	return 0;
}

int store_config_save_at(const char *dir, const struct container_config *cfg)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int r = store_config_to_json(cfg, &text);

	if (r < 0)
		return r;
	if (snprintf(path, sizeof(path), "%s/config.json", dir) >= (int) sizeof(path))
		return -ENAMETOOLONG;
	return fileio_write_atomic(path, text, strlen(text), true);
}

int store_config_save(const struct engine_paths *p, const struct container_config *cfg)
{
	char dir[PATH_MAX];
	int r = paths_container_data(p, cfg->name, NULL, dir, sizeof(dir));

	return r < 0 ? r : store_config_save_at(dir, cfg);
}

int store_config_load(const struct engine_paths *p, const char *name,
		      struct container_config *ret_cfg)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int r = paths_container_data(p, name, "config.json", path, sizeof(path));

	if (r < 0)
		return r;
	r = fileio_read_all(path, STORE_MAX_FILE, &text, NULL);
	if (r < 0)
		return r;
	return store_config_from_json(text, ret_cfg);
}

int store_state_save(const struct engine_paths *p, const char *name,
		     const struct container_state *st)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int r = paths_container_state(p, name, "state.json", path, sizeof(path));

	if (r < 0)
		return r;
	r = store_state_to_json(st, &text);
	if (r < 0)
		return r;
	/* Live state need not survive a power loss (the run dir does not either): no fsync. */
	return fileio_write_atomic(path, text, strlen(text), false);
}

int store_state_load(const struct engine_paths *p, const char *name, struct container_state *ret_st)
{
	_cleanup_free_ char *text = NULL;
	char path[PATH_MAX];
	int r = paths_container_state(p, name, "state.json", path, sizeof(path));

	if (r < 0)
		return r;
	r = fileio_read_all(path, STORE_MAX_FILE, &text, NULL);
	if (r == -ENOENT) {
		*ret_st = (struct container_state){.status = STATUS_CREATED};
		return 0;
	}
	if (r < 0)
		return r;
	return store_state_from_json(text, ret_st);
}

static int open_state_dir(const struct engine_paths *p, const char *name)
{
	char dir[PATH_MAX];
	int r = paths_container_state(p, name, NULL, dir, sizeof(dir));

	if (r < 0)
		return r;
	r = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return r < 0 ? negerrno() : r;
}

int store_start_lock(const struct engine_paths *p, const char *name)
{
	_cleanup_close_ int fd = open_state_dir(p, name);

	if (fd < 0)
		return fd;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return negerrno();
	return TAKE_FD(fd);
}

int store_start_wait(const struct engine_paths *p, const char *name, int timeout_ms)
{
	_cleanup_close_ int fd = open_state_dir(p, name);

	if (fd < 0)
		return fd == -ENOENT ? 0 : fd; /* no run-state yet: it never ran */
	for (int waited = 0; flock(fd, LOCK_SH | LOCK_NB) < 0; waited++) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return negerrno();
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){.tv_nsec = 1000 * 1000}, NULL);
	}
	return 0;
}

/* The endpoint file: its struct lives with the engine, its form here with the other files. */
#include <arpa/inet.h>

int store_endpoint_save(const struct engine_paths *p, const char *name, const struct endpoint *ep)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object *ports = json_object_new_array();
	char path[PATH_MAX], ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	const char *text;

	if (!o || !ports)
		return -ENOMEM;
	inet_ntop(AF_INET, &ep->ip, ip, sizeof(ip));
	inet_ntop(AF_INET, &ep->gateway, gw, sizeof(gw));
	json_object_object_add(o, "network", json_object_new_string(ep->network));
	json_object_object_add(o, "bridge", json_object_new_string(ep->bridge));
	json_object_object_add(o, "ip", json_object_new_string(ip));
	json_object_object_add(o, "gateway", json_object_new_string(gw));
	json_object_object_add(o, "prefix", json_object_new_int((int) ep->prefix));
	for (unsigned i = 0; i < ep->nports; i++) {
		json_object *port = json_object_new_object();
		json_object_object_add(port, "proto", json_object_new_int(ep->ports[i].proto));
		json_object_object_add(port, "host", json_object_new_int(ep->ports[i].host));
		json_object_object_add(port, "port", json_object_new_int(ep->ports[i].port));
		json_object_array_add(ports, port);
	}
	json_object_object_add(o, "ports", ports);
	text = json_object_to_json_string(o);
	if (paths_container_state(p, name, "endpoint.json", path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	return fileio_write_atomic(path, text, strlen(text), false);
}

int store_endpoint_load(const struct engine_paths *p, const char *name, struct endpoint *ret)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_object *o = NULL;
	struct endpoint ep = {0};
	char path[PATH_MAX];
	json_object *v, *ports;
	int r;

	if (paths_container_state(p, name, "endpoint.json", path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	r = fileio_read_all(path, 1 << 20, &text, NULL);
	if (r < 0)
		return r;
	o = json_tokener_parse(text);
	if (!o || get_str_buf(o, "network", ep.network, sizeof(ep.network)) < 0 ||
	    get_str_buf(o, "bridge", ep.bridge, sizeof(ep.bridge)) < 0 ||
	    !json_object_object_get_ex(o, "ip", &v) ||
	    inet_pton(AF_INET, json_object_get_string(v), &ep.ip) != 1 ||
	    !json_object_object_get_ex(o, "gateway", &v) ||
	    inet_pton(AF_INET, json_object_get_string(v), &ep.gateway) != 1)
		return -EINVAL;
	ep.prefix = (unsigned) get_int(o, "prefix", 24);
	if (json_object_object_get_ex(o, "ports", &ports) &&
	    json_object_is_type(ports, json_type_array)) {
		size_t n = json_object_array_length(ports);
		for (size_t i = 0; i < n && ep.nports < ENDPOINT_MAX_PORTS; i++) {
			json_object *port = json_object_array_get_idx(ports, i);
			ep.ports[ep.nports].proto = (int) get_int(port, "proto", 0);
			ep.ports[ep.nports].host = (uint16_t) get_int(port, "host", 0);
			ep.ports[ep.nports].port = (uint16_t) get_int(port, "port", 0);
			ep.nports++;
		}
	}
	*ret = ep;
	return 0;
}

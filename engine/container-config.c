/* A container's configuration files: parse and validate what is written, show the effective
 * value. A value is replaced whole or not at all. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cmdline.h"
#include "engine-internal.h"
#include "image.h"
#include "names.h"
#include "strv.h"
#include "caps.h"
#include "cgroup.h"
#include "resources.h"
#include "volumes.h"
#include "network.h"
#include <netinet/in.h>
#include <sys/sysinfo.h>

#define CONFIG_MAX_VALUE (64 * 1024)

static const char *const key_names[] = {
	[CONTAINER_KEY_IMAGE] = "image",
	[CONTAINER_KEY_CMD] = "cmd",
	[CONTAINER_KEY_ENV] = "env",
	[CONTAINER_KEY_WORKDIR] = "workdir",
	[CONTAINER_KEY_HOSTNAME] = "hostname",
	[CONTAINER_KEY_CAPS] = "caps",
	[CONTAINER_KEY_SECCOMP] = "seccomp",
	[CONTAINER_KEY_VOLUMES] = "volumes",
	[CONTAINER_KEY_NETWORK] = "network",
	[CONTAINER_KEY_PORTS] = "ports",
	[CONTAINER_KEY_MEMORY] = "memory",
	[CONTAINER_KEY_CPUS] = "cpus",
	[CONTAINER_KEY_CPU_SHARES] = "cpu-shares",
	[CONTAINER_KEY_CPUSET] = "cpuset",
	[CONTAINER_KEY_PIDS] = "pids",
};

static bool key_is_limit(enum container_key key)
{
	return key >= CONTAINER_KEY_MEMORY;
}

static enum resource_kind key_resource(enum container_key key)
{
	return (enum resource_kind)(key - CONTAINER_KEY_MEMORY);
}

static const char *const key_controller[] = {"memory", "cpu", "cpu", "cpuset", "pids"};

/* CAP_ names, one per line (or blank-separated); an empty value keeps none. */
static int parse_caps(struct container *c, char *text, char ***ret)
{
	char **v = calloc(1, sizeof(char *)), *save = NULL;
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (char *w = strtok_r(text, " \t\n,", &save); w; w = strtok_r(NULL, " \t\n,", &save)) {
		char name[64];
		char **nv;
		size_t i;

		if (caps_normalize(w, name, sizeof(name)) < 0) {
			container_set_error(c, "Unknown capability \"%.40s\"", w);
			strv_free(v);
			return -EINVAL;
		}
		for (i = 0; i < n && strcmp(v[i], name); i++)
			;
		if (i < n)
			continue;
		nv = realloc(v, sizeof(char *) * (n + 2));
		if (!nv) {
			strv_free(v);
			return -ENOMEM;
		}
		v = nv;
		v[n] = strdup(name);
		v[++n] = NULL;
		if (!v[n - 1]) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

/* HOSTPORT:PORT[/tcp|/udp] lines, normalised to carry the protocol; a host port once per
 * protocol. */
static int parse_ports(struct container *c, char *text, char ***ret)
{
	char **v = calloc(1, sizeof(char *)), *save = NULL;
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (char *l = strtok_r(text, " \t\n", &save); l; l = strtok_r(NULL, " \t\n", &save)) {
		int proto;
		uint16_t host, port;
		char norm[32], **nv;

		if (network_parse_port(l, &proto, &host, &port) < 0) {
			container_set_error(c,
					    "Bad port \"%.40s\": HOSTPORT:PORT[/tcp|/udp], ports "
					    "1-65535",
					    l);
			strv_free(v);
			return -EINVAL;
		}
		snprintf(norm, sizeof(norm), "%u:%u/%s", host, port,
			 proto == IPPROTO_TCP ? "tcp" : "udp");
		for (size_t i = 0; i < n; i++) {
			if (!strncmp(v[i], norm, strcspn(norm, ":") + 1) &&
			    !strcmp(strchr(v[i], '/'), strchr(norm, '/'))) {
				container_set_error(c, "Host port %u/%s is published twice", host,
						    proto == IPPROTO_TCP ? "tcp" : "udp");
				strv_free(v);
				return -EINVAL;
			}
		}
		nv = realloc(v, sizeof(char *) * (n + 2));
		if (!nv || !(nv[n] = strdup(norm))) {
			strv_free(nv ? nv : v);
			return -ENOMEM;
		}
		v = nv;
		v[++n] = NULL;
	}
	*ret = v;
	return 0;
}

/* HOST:CONTAINER[:ro] lines, normalised; two volumes may not share a container path. */
static int parse_volumes(struct container *c, char *text, char ***ret)
{
	char **v = calloc(1, sizeof(char *)), *save = NULL;
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct volume vol;
		char **nv;

		if (volume_parse(l, &vol) < 0) {
			container_set_error(c,
					    "Bad volume \"%.80s\": expected HOST:CONTAINER[:ro] "
					    "with absolute paths",
					    l);
			strv_free(v);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++) {
			struct volume other;
			if (volume_parse(v[i], &other) == 0) {
				bool same = !strcmp(other.target, vol.target);
				volume_clear(&other);
				if (same) {
					container_set_error(c, "Two volumes at %.80s", vol.target);
					volume_clear(&vol);
					strv_free(v);
					return -EINVAL;
				}
			}
		}
		nv = realloc(v, sizeof(char *) * (n + 2));
		if (!nv || asprintf(&nv[n], "%s:%s%s", vol.host, vol.target,
				    vol.readonly ? ":ro" : "") < 0) {
			volume_clear(&vol);
			strv_free(nv ? nv : v);
			return -ENOMEM;
		}
		v = nv;
		v[++n] = NULL;
		volume_clear(&vol);
	}
	*ret = v;
	return 0;
}

/* Parse a limit into CFG; the caller applies it to a running container's cgroup. */
static int apply_limit(struct container *c, struct container_config *cfg, enum container_key key,
		       char *value)
{
	uint64_t v = 0;
	int r;

	switch (key) {
	case CONTAINER_KEY_MEMORY:
		r = resources_parse_memory(value, &v);
		if (r == 0)
			cfg->memory = v;
		break;
	case CONTAINER_KEY_CPUS:
		r = resources_parse_cpus(value, &v);
		if (r == 0 && v > (uint64_t) get_nprocs() * 1000)
			r = -EINVAL;
		if (r == 0)
			cfg->cpus_milli = v;
		break;
	case CONTAINER_KEY_CPU_SHARES:
		r = resources_parse_shares(value, &v);
		if (r == 0)
			cfg->cpu_shares = v == 1024 ? 0 : v; /* 1024 is the default: no setting */
		break;
	case CONTAINER_KEY_CPUSET:
		if (!strcmp(value, "all")) {
			free(cfg->cpuset);
			cfg->cpuset = NULL;
			return 0;
		}
		r = resources_check_cpuset(value, (unsigned) get_nprocs_conf());
		if (r == 0) {
			free(cfg->cpuset);
			cfg->cpuset = strdup(value);
			r = cfg->cpuset ? 0 : -ENOMEM;
		}
		break;
	default:
		r = resources_parse_pids(value, &v);
		if (r == 0)
			cfg->pids = v;
		break;
	}
	/* A value is checked first (EINVAL), then whether it can be enforced here: "no limit"
	 * (and the default share) needs no controller. */
	bool no_limit = r == 0 && (key == CONTAINER_KEY_CPUSET	     ? !cfg->cpuset
				   : key == CONTAINER_KEY_CPU_SHARES ? (v == 0 || v == 1024)
								     : v == 0);
	if (r == 0 && !no_limit &&
	    !cgroup_controller_available(CGROUP_ROOT, key_controller[key_resource(key)])) {
		container_set_error(c,
				    "The %s controller is not delegated to ctrfs here (its cgroup "
				    "is the root of that hierarchy): %s cannot be limited",
				    key_controller[key_resource(key)], key_names[key]);
		return -EOPNOTSUPP;
	}
	if (r == -EINVAL) {
		static const char *const forms[] = {
			"bytes with an optional k, m, g or t suffix, or max",
			"a number of CPUs such as 1.5 (at most the host's), or max",
			"shares from 2 to 262144, or default",
			"a cpu list such as 0-1,3 of this host's cpus, or all",
			"a number of processes, or max",
		};
		container_set_error(c, "Bad %s \"%.40s\": expected %s", key_names[key], value,
				    forms[key_resource(key)]);
	}
	return r;
}

/* A running container's limit changed: tell its cgroup, the kernel has the last word. */
static int apply_live(struct container *c, const struct container_config *cfg,
		      enum container_key key)
{
	enum resource_kind kind = key_resource(key);
	const uint64_t values[] = {cfg->memory, cfg->cpus_milli, cfg->cpu_shares, 0, cfg->pids};
	struct cgroup *cg;
	int r;

	if (!c->st.cgroup[0]) {
		container_set_error(c, "Container %s has no cgroup", c->cfg.name);
		return -EOPNOTSUPP;
	}
	r = cgroup_open(c->st.cgroup, &cg);
	if (r < 0)
		return r;
	r = cgroup_set_limit(cg, kind, values[kind], kind == RESOURCE_CPUSET ? cfg->cpuset : NULL);
	cgroup_free(cg);
	if (r < 0)
		container_set_error(c, "The kernel refused %s: %s", key_names[key], strerror(-r));
	return r;
}

/* KEY=VALUE lines into a vector; a later duplicate key replaces the earlier one. */
static int parse_env(struct container *c, char *text, char ***ret)
{
	size_t n = 0;
	char **v = calloc(1, sizeof(char *));
	char *save = NULL;

	if (!v)
		return -ENOMEM;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		size_t i;

		if (!eq || !env_key_is_valid(line, (size_t) (eq - line))) {
			container_set_error(c,
					    "Bad env line \"%.64s\": expected KEY=VALUE with KEY "
					    "of [A-Za-z_][A-Za-z0-9_]*",
					    line);
			strv_free(v);
			return -EINVAL;
		}
		for (i = 0; i < n; i++)
			if (!strncmp(v[i], line, (size_t) (eq - line) + 1))
				break;
		if (i == n) {
			char **nv = realloc(v, sizeof(char *) * (n + 2));
			if (!nv) {
				strv_free(v);
				return -ENOMEM;
			}
			v = nv;
			v[n + 1] = NULL;
			n++;
		} else {
			free(v[i]);
		}
		v[i] = strdup(line);
		if (!v[i]) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	*ret = v;
	return 0;
}

/* Validate VALUE for KEY and store it in CFG (which owns it then). */
static int apply(struct engine *e, struct container *c, struct container_config *cfg,
		 enum container_key key, char *value)
{
	char **argv = NULL;
	int argc, r;

	switch (key) {
	case CONTAINER_KEY_IMAGE:
		if (!name_is_valid(value)) {
			container_set_error(c, "Bad image name \"%.80s\"", value);
			return -EINVAL;
		}
		if (!image_exists(&e->paths, value)) {
			container_set_error(c, "Image %s does not exist", value);
			return -ENOENT;
		}
		free(cfg->image);
		cfg->image = strdup(value);
		return cfg->image ? 0 : -ENOMEM;
	case CONTAINER_KEY_CMD:
		r = cmdline_parse(value, &argv, &argc);
		if (r == -EINVAL)
			container_set_error(c, "Bad command line: unterminated quote or trailing "
					       "backslash");
		if (r < 0)
			return r;
		if (argc == 0) {
			cmdline_free(argv);
			container_set_error(c, "Empty command");
			return -EINVAL;
		}
		strv_free(cfg->argv);
		cfg->argv = argv;
		return 0;
	case CONTAINER_KEY_ENV:
		r = parse_env(c, value, &argv);
		if (r < 0)
			return r;
		strv_free(cfg->env);
		cfg->env = argv;
		return 0;
	case CONTAINER_KEY_WORKDIR:
		if (!abspath_is_valid(value)) {
			container_set_error(c, "Bad workdir \"%.80s\": an absolute path is needed",
					    value);
			return -EINVAL;
		}
		free(cfg->workdir);
		cfg->workdir = strdup(value);
		return cfg->workdir ? 0 : -ENOMEM;
	case CONTAINER_KEY_HOSTNAME:
		if (!hostname_is_valid(value)) {
			container_set_error(c,
					    "Bad hostname \"%.80s\": 1-63 of [A-Za-z0-9-], not "
					    "starting or ending with -",
					    value);
			return -EINVAL;
		}
		free(cfg->hostname);
		cfg->hostname = strdup(value);
		return cfg->hostname ? 0 : -ENOMEM;
	case CONTAINER_KEY_CAPS:
		r = parse_caps(c, value, &argv);
		if (r < 0)
			return r;
		strv_free(cfg->caps);
		cfg->caps = argv;
		return 0;
	case CONTAINER_KEY_VOLUMES:
		r = parse_volumes(c, value, &argv);
		if (r < 0)
			return r;
		strv_free(cfg->volumes);
		cfg->volumes = argv;
		return 0;
	case CONTAINER_KEY_NETWORK:
		if (network_check_name(value) < 0) {
			container_set_error(
				c, "Bad network \"%.64s\": a network's name, none or host", value);
			return -EINVAL;
		}
		if (strcmp(value, "none") && strcmp(value, "host") &&
		    strcmp(value, NETWORK_DEFAULT) && !network_by_name(e, value)) {
			container_set_error(c, "Network %s does not exist", value);
			return -ENOENT;
		}
		free(cfg->network);
		cfg->network = strdup(value);
		return cfg->network ? 0 : -ENOMEM;
	case CONTAINER_KEY_PORTS:
		r = parse_ports(c, value, &argv);
		if (r < 0)
			return r;
		strv_free(cfg->ports);
		cfg->ports = argv;
		return 0;
	case CONTAINER_KEY_SECCOMP:
		if (strcmp(value, "default") && strcmp(value, "unconfined")) {
			container_set_error(c, "Bad seccomp \"%.40s\": default or unconfined",
					    value);
			return -EINVAL;
		}
		cfg->seccomp_off = !strcmp(value, "unconfined");
		return 0;
	default:
		return apply_limit(c, cfg, key, value);
	}
}

/* A deep copy, so a failed save can be undone by keeping the old one. */
static int config_copy(const struct container_config *src, struct container_config *dst)
{
	_cleanup_free_ char *json = NULL;
	int r = store_config_to_json(src, &json);

	return r < 0 ? r : store_config_from_json(json, dst);
}

int container_config_set(struct engine *e, struct container *c, enum container_key key,
			 const char *value, size_t len)
{
	struct container_config next;
	_cleanup_free_ char *text = NULL;
	int r;

	if (container_is_active(c) && !key_is_limit(key)) {
		container_set_error(c, "Cannot change %s while %s runs", key_names[key],
				    c->cfg.name);
		return -EBUSY;
	}
	if (c->starting) {
		container_set_error(c, "Container %s is starting", c->cfg.name);
		return -EBUSY;
	}
	if (len > CONFIG_MAX_VALUE) {
		container_set_error(c, "Value of %s too long (at most %d bytes)", key_names[key],
				    CONFIG_MAX_VALUE);
		return -EFBIG;
	}
	if (memchr(value, '\0', len)) {
		container_set_error(c, "Value of %s holds a NUL byte", key_names[key]);
		return -EINVAL;
	}
	text = strndup(value, len);
	if (!text)
		return -ENOMEM;
	str_chomp(text, &len);
	r = config_copy(&c->cfg, &next);
	if (r < 0)
		return r;
	r = apply(e, c, &next, key, text);
	if (r == 0 && key_is_limit(key) && c->st.status == STATUS_RUNNING)
		r = apply_live(c, &next, key);
	if (r == 0) {
		r = store_config_save(&e->paths, &next);
		if (r < 0)
			container_set_error(c, "Cannot save the configuration: %s", strerror(-r));
	}
	if (r < 0) {
		config_clear(&next);
		return r;
	}
	config_clear(&c->cfg);
	c->cfg = next;
	return 0;
}

/* A limit as the kernel holds it while the container runs, else as configured. */
static int get_limit(const struct container *c, enum container_key key, struct strbuf *out)
{
	const struct container_config *cfg = &c->cfg;
	char buf[256] = "";
	struct cgroup *cg;

	if (c->st.status == STATUS_RUNNING && c->st.cgroup[0] &&
	    cgroup_open(c->st.cgroup, &cg) == 0) {
		int r = cgroup_get_limit(cg, key_resource(key), buf, sizeof(buf));
		cgroup_free(cg);
		if (r == 0)
			return strbuf_addf(out, "%s\n", buf);
	}
	switch (key) {
	case CONTAINER_KEY_MEMORY:
		resources_format_memory(cfg->memory, buf, sizeof(buf));
		break;
	case CONTAINER_KEY_CPUS:
		resources_format_cpus(cfg->cpus_milli, buf, sizeof(buf));
		break;
	case CONTAINER_KEY_CPU_SHARES:
		snprintf(buf, sizeof(buf), "%llu",
			 (unsigned long long) (cfg->cpu_shares ? cfg->cpu_shares : 1024));
		break;
	case CONTAINER_KEY_CPUSET:
		snprintf(buf, sizeof(buf), "%s", cfg->cpuset ? cfg->cpuset : "all");
		break;
	default:
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long) cfg->pids);
		if (!cfg->pids)
			snprintf(buf, sizeof(buf), "max");
		break;
	}
	return strbuf_addf(out, "%s\n", buf);
}

int container_config_get(struct engine *e, const struct container *c, enum container_key key,
			 struct strbuf *out)
{
	struct image img = {0};
	int r = 0;

	switch (key) {
	case CONTAINER_KEY_IMAGE:
		return strbuf_addf(out, "%s\n", c->cfg.image);
	case CONTAINER_KEY_CMD:
	case CONTAINER_KEY_WORKDIR:
		if ((key == CONTAINER_KEY_CMD && !c->cfg.argv) ||
		    (key == CONTAINER_KEY_WORKDIR && !c->cfg.workdir))
			r = image_load(&e->paths, c->cfg.image, &img);
		if (r == 0 && key == CONTAINER_KEY_CMD)
			r = cmdline_format(c->cfg.argv ? c->cfg.argv : img.cmd, out);
		else if (r == 0)
			r = strbuf_addf(out, "%s", c->cfg.workdir ? c->cfg.workdir : img.workdir);
		image_clear(&img);
		return r < 0 ? r : strbuf_add(out, "\n", 1);
	case CONTAINER_KEY_ENV:
		for (char **v = c->cfg.env; v && *v && r == 0; v++)
			r = strbuf_addf(out, "%s\n", *v);
		return r;
	case CONTAINER_KEY_HOSTNAME:
		if (c->cfg.hostname)
			return strbuf_addf(out, "%s\n", c->cfg.hostname);
		return strbuf_addf(out, "%.12s\n", c->cfg.id);
	case CONTAINER_KEY_CAPS:
		if (!c->cfg.caps)
			for (const char *const *d = caps_docker_default; *d && r == 0; d++)
				r = strbuf_addf(out, "%s\n", *d);
		for (char **v = c->cfg.caps; v && *v && r == 0; v++)
			r = strbuf_addf(out, "%s\n", *v);
		return r;
	case CONTAINER_KEY_SECCOMP:
		return strbuf_addf(out, "%s\n", c->cfg.seccomp_off ? "unconfined" : "default");
	case CONTAINER_KEY_VOLUMES:
		for (char **v = c->cfg.volumes; v && *v && r == 0; v++)
			r = strbuf_addf(out, "%s\n", *v);
		return r;
	case CONTAINER_KEY_NETWORK:
		return strbuf_addf(out, "%s\n",
				   c->cfg.network ? c->cfg.network : e->default_network);
	case CONTAINER_KEY_PORTS:
		for (char **v = c->cfg.ports; v && *v && r == 0; v++)
			r = strbuf_addf(out, "%s\n", *v);
		return r;
	default:
		return get_limit(c, key, out);
	}
}

char **container_volume_targets(const struct container *c)
{
	size_t n = 0;
	char **v;

	while (c->cfg.volumes && c->cfg.volumes[n])
		n++;
	if (!n)
		return NULL;
	v = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; v && i < n; i++) {
		struct volume vol;
		if (volume_parse(c->cfg.volumes[i], &vol) == 0) {
			v[i] = vol.target;
			vol.target = NULL;
			volume_clear(&vol);
		}
		if (!v[i]) {
			strv_free(v);
			return NULL;
		}
	}
	return v;
}

int container_ip(struct engine *e, const struct container *c, struct strbuf *out)
{
	return network_container_ip(e, c, out);
}

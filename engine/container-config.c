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

#define CONFIG_MAX_VALUE (64 * 1024)

static const char *const key_names[] = {
	[CONTAINER_KEY_IMAGE] = "image",     [CONTAINER_KEY_CMD] = "cmd",
	[CONTAINER_KEY_ENV] = "env",	     [CONTAINER_KEY_WORKDIR] = "workdir",
	[CONTAINER_KEY_HOSTNAME] = "hostname",
};

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **a = v; *a; a++)
		free(*a);
	free(v);
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
			container_set_error(c, "Bad env line \"%.64s\": expected KEY=VALUE with KEY "
					       "of [A-Za-z_][A-Za-z0-9_]*", line);
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
			container_set_error(c, "Bad hostname \"%.80s\": 1-63 of [A-Za-z0-9-], not "
					       "starting or ending with -", value);
			return -EINVAL;
		}
		free(cfg->hostname);
		cfg->hostname = strdup(value);
		return cfg->hostname ? 0 : -ENOMEM;
	}
	return -EINVAL;
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

	if (container_is_active(c)) {
		container_set_error(c, "Cannot change %s while %s runs", key_names[key],
				    c->cfg.name);
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

int container_config_get(struct engine *e, const struct container *c, enum container_key key,
			 struct strbuf *out)
{
	struct image img = { 0 };
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
	}
	return -EINVAL;
}

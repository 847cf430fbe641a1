#include "runenv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strv.h"

void runenv_hostname(const struct container_config *cfg, char buf[64])
{
	snprintf(buf, 64, "%s", cfg->hostname ? cfg->hostname : "");
	if (!cfg->hostname)
		snprintf(buf, 64, "%.12s", cfg->id);
}

void runenv_free(char **env)
{
	strv_free(env);
}

/* Set KV (KEY=VALUE) in ENV of USED entries: replace the same key or append. */
static int put(char **env, size_t *used, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	char *copy = strdup(kv);

	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; i < *used; i++) {
		if (!strncmp(env[i], kv, klen + 1)) {
			free(env[i]);
			env[i] = copy;
			return 0;
		}
	}
	env[(*used)++] = copy;
	return 0;
}

int runenv_build(const struct container_config *cfg, const struct image *img, char *const *extra,
		 char ***ret)
{
	static const char *const defaults[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root",
		"TERM=xterm",
	};
	size_t n = ARRAY_SIZE(defaults) + 1 + strv_length(img->env) + strv_length(cfg->env) +
		   strv_length(extra);
	char **env = calloc(n + 1, sizeof(char *));
	char hostname[64], kv[80];
	size_t used = 0;
	int r = 0;

	if (!env)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(defaults) && r == 0; i++)
		r = put(env, &used, defaults[i]);
	runenv_hostname(cfg, hostname);
	snprintf(kv, sizeof(kv), "HOSTNAME=%s", hostname);
	if (r == 0)
		r = put(env, &used, kv);
	char *const *lists[] = {img->env, cfg->env, extra};
	for (size_t l = 0; l < ARRAY_SIZE(lists) && r == 0; l++)
		for (char *const *e = lists[l]; e && *e && r == 0; e++)
			r = put(env, &used, *e);
	if (r < 0) {
		runenv_free(env);
		return r;
	}
	*ret = env;
	return 0;
}

/* What a process in a container starts with: its environment, hostname and workdir, from
 * the container's configuration over its image's defaults. Shared by the container's init
 * and by exec'd processes, so both see the same. */
#pragma once

#include <stddef.h>

#include "image.h"
#include "store.h"

/* Defaults (PATH, HOME, TERM, HOSTNAME), then the image's env, the container's, then EXTRA
 * (may be NULL); a later KEY replaces an earlier one. NULL-terminated, freed by the caller. */
int runenv_build(const struct container_config *cfg, const struct image *img, char *const *extra,
		 char ***ret);
void runenv_free(char **env);

/* The hostname: the configured one, or the first 12 digits of the id. */
void runenv_hostname(const struct container_config *cfg, char buf[64]);

/* A container's root filesystem: an overlay of its image's layers (read-only, bottom first)
 * and its own upper and work directories in the data dir. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "image.h"
#include "paths.h"

/* Mount the root of container NAME at TARGET (made if missing; a stale mount there is
 * detached first). RELATIVE: the options name paths relative to the data dir, which must be
 * the caller's working directory (the monitor does this: a single-threaded process); they
 * keep host paths out of the container's mountinfo and let more layers fit in one page. */
int overlay_mount(const struct engine_paths *p, const char *name, const struct image *img,
		  const char *target, bool relative);

/* Whether a filesystem is mounted at PATH (not merely a directory of its parent's). */
bool overlay_is_mounted(const char *path);

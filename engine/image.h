/* Images: an ordered list of layers (directories in DATA_DIR/layers) plus a default config.
 * The default image `busybox` is built from the system's static busybox. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "paths.h"

#define IMAGE_DEFAULT "busybox"

struct image {
	char **layers; /* NULL-terminated, bottom layer first */
	char **cmd;    /* default command, NULL-terminated, may be empty */
	char **env;
	char *workdir;
};

bool image_exists(const struct engine_paths *p, const char *name);
int image_load(const struct engine_paths *p, const char *name, struct image *ret_img);
void image_clear(struct image *img);

/* Overlay's lowerdir= value: the layers' paths, top layer first, joined by ':'. */
int image_lowerdir(const struct engine_paths *p, const struct image *img, char *buf, size_t size);

/* Build the `busybox` image from BUSYBOX (a statically linked busybox binary) unless it exists.
 * Built in a temporary place and renamed into the store, so a crash leaves no half image. */
int image_ensure_busybox(const struct engine_paths *p, const char *busybox);

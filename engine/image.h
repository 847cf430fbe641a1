/* Images: an ordered list of layers (directories in the layer store, see layer-store.h) plus
 * a default config, kept in DATA_DIR/images/NAME/image.json. The default image `busybox` is
 * built from the system's static busybox (image-busybox.c). Import, export and commit live in
 * image-import.c, image-export.c and image-commit.c.
 *
 * Layers are shared between images: deleting an image removes only the layers no other image
 * names. Whether a container uses an image is the caller's business: it checks before calling
 * image_delete() and answers -EBUSY itself. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "paths.h"

#define IMAGE_DEFAULT "busybox"

struct image {
	char **layers; /* NULL-terminated layer ids (64 hex digits), bottom layer first */
	char **cmd;    /* default command, NULL-terminated, may be empty */
	char **env;
	char *workdir;
	int64_t created; /* seconds since the epoch; 0 if unknown */
	uint64_t size;	 /* bytes of disk its layers use (du); 0 if unknown, see image_info() */
};

bool image_exists(const struct engine_paths *p, const char *name);
int image_load(const struct engine_paths *p, const char *name, struct image *ret_img);
void image_clear(struct image *img);

/* image_load(), and the size measured when image.json does not record it (images made
 * before sizes were recorded). For the files images/NAME/{layers,size,created,cmd,env,workdir}:
 * `layers` shows each id as "sha256:ID", one per line. */
int image_info(const struct engine_paths *p, const char *name, struct image *ret_img);

/* Overlay's lowerdir= value: the layers' paths, top layer first, joined by ':'. */
int image_lowerdir(const struct engine_paths *p, const struct image *img, char *buf, size_t size);

/* Build the `busybox` image from BUSYBOX (a statically linked busybox binary) unless it exists.
 * Built in a temporary place and renamed into the store, so a crash leaves no half image. */
int image_ensure_busybox(const struct engine_paths *p, const char *busybox);

/* The names of all images, sorted, NULL-terminated; free with image_names_free(). */
int image_list(const struct engine_paths *p, char ***ret_names);
void image_names_free(char **names);

/* A second name for image NAME (same layers and config). -ENOENT, -EEXIST, -EINVAL (bad
 * NEWNAME). */
int image_tag(const struct engine_paths *p, const char *name, const char *newname);

/* Remove image NAME and the layers that no other image uses. -ENOENT if there is none. The
 * caller must first refuse (-EBUSY) if a container uses it. */
int image_delete(const struct engine_paths *p, const char *name);

/* Remove what an interrupted import, commit or delete left: .tmp-* entries in images/ and
 * layers/, layers no image names, aliases of removed layers. For daemon start, before any
 * container runs. */
int image_gc(const struct engine_paths *p);

/* Create image NAME from IMG's layers (stored already) and config, with `created` now and the
 * size measured. Atomic (written beside and renamed into place); -EEXIST if the name is taken,
 * -EINVAL if it is not a valid name. Callers that have just published layers hold the store
 * lock (layer_store_lock()) across both, so image_delete() cannot take them in between. */
int image_create(const struct engine_paths *p, const char *name, const struct image *img);

/* Free a NULL-terminated string vector (NULL is fine). */
void image_strv_free(char **v);

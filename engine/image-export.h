/* Export an image as a tar that both `docker load` and image_import() read: the layout Docker
 * 25 writes, a `docker save` manifest.json and an OCI image layout (oci-layout, index.json,
 * blobs/sha256/) over the same blobs. Layers are canonical uncompressed tars (layer-tar.h)
 * whose sha256 is the diff_id in the config. */
#pragma once

#include <stddef.h>

#include "paths.h"

/* Write image NAME to OUT_FD (a file or a pipe; written sequentially). When a layer's tar
 * hashes to something other than its id (imported layers: their id is the sha256 of the tar
 * they came in), the store records the alias, so importing the export shares the layer.
 * Temporary layer tars are made in DATA_DIR/layers (unlinked O_TMPFILE). -ENOENT if no image. */
int image_export(const struct engine_paths *p, const char *name, int out_fd, char *err,
		 size_t errsize);

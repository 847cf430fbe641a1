/* Import an image from a file or directory, the format detected from the content:
 *  - a plain rootfs tar, compressed or not (gzip, zstd, xz, bzip2): one layer;
 *  - a `docker save` tar (manifest.json + layer tars; `.wh.` whiteouts applied);
 *  - an OCI image layout, as a directory or a tar (oci-layout, index.json, blobs/sha256/).
 * The default cmd (Entrypoint then Cmd), env and workdir come from the image config. */
#pragma once

#include <stddef.h>

#include "paths.h"

/* Import PATH as image NAME. Layers are extracted under temporary names, then published with
 * the image under the store lock: a failure (or a crash, after image_gc()) leaves nothing.
 * Errors: -ENOENT (no PATH), -EEXIST (NAME taken), -EINVAL (bad name, unknown format,
 * corrupt or unsafe archive), -ENOSPC (disk full); ERR gets a sentence for each. */
int image_import(const struct engine_paths *p, const char *name, const char *path, char *err,
		 size_t errsize);

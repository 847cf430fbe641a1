/* Commit: a container's overlay upper dir becomes a new layer on top of its image's layers. */
#pragma once

#include <stddef.h>

#include "paths.h"

struct image_commit_config {
	char *const *cmd;	    /* NULL-terminated; NULL = the base image's */
	char *const *env;	    /* NULL-terminated; NULL = the base image's */
	const char *workdir;	    /* NULL = the base image's */
	char *const *exclude_paths; /* container paths (volume mount points), NULL-terminated */
};

/* Copy UPPER_DIR into a new layer (whiteouts and opaque directories kept, so deletions carry
 * over; other overlay xattrs dropped; the contents of each excluded path left out, the mount
 * point itself kept as an empty directory), then create image NEW_NAME = BASE_IMAGE's layers +
 * that layer. The layer id is the sha256 of its canonical tar. The caller freezes a running
 * container around this call, so the copy is consistent. Errors: -EEXIST (name taken), -EINVAL
 * (bad name), -ENOENT (no base image or upper dir), -ENOSPC; ERR says which. */
int image_commit(const struct engine_paths *p, const char *upper_dir, const char *base_image,
		 const char *new_name, const struct image_commit_config *cfg, char *err,
		 size_t errsize);

/* Safe extraction of a layer's tar stream into a directory, hashing the uncompressed stream on
 * the way (the hash is the layer's id, docker's diff_id).
 *
 * The archive is untrusted. An entry whose name is absolute or has a ".." component, or a
 * hard link whose target does, is rejected (-EINVAL); every parent directory is opened beneath
 * the layer with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), so an
 * entry that would pass through a symbolic link (one from the archive itself, say `etc ->
 * /etc` then `etc/x`) is rejected too; the entry itself is created with *at() calls that never
 * follow a link. Device nodes, sockets are not created. Owners, modes including setuid,
 * mtimes and user.* / security.capability xattrs are kept. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Where a layer's bytes (compressed or not: gzip, zstd, xz, bzip2 are detected) come from.
 * READ returns the number of bytes at *RET_BUF, 0 at the end, or -errno. */
struct layer_src {
	ssize_t (*read)(void *ctx, const void **ret_buf);
	void *ctx;
};

enum layer_extract_flags {
	/* The tar is a layer diff: `.wh.NAME` becomes an overlay whiteout (char device 0:0) and
	 * `.wh..wh..opq` makes its directory opaque (trusted.overlay.opaque=y). Without it the
	 * names are ordinary files, as in any rootfs tar. */
	LAYER_EXTRACT_WHITEOUTS = 1 << 0,
};

/* Extract SRC into the empty directory DIRFD. RET_DIFF_ID gets the sha256 of the whole
 * uncompressed stream. Errors: -EINVAL (corrupt or unsafe archive; ERR says why), -ENOSPC,
 * -EIO... The directory is left as it is on error: the caller removes it. */
int layer_extract(int dirfd, const struct layer_src *src, unsigned flags, char ret_diff_id[65],
		  char *err, size_t errsize);

/* A layer_src reading an fd. */
struct layer_fd_src {
	int fd;
	char buf[256 * 1024];
};
ssize_t layer_fd_src_read(void *ctx, const void **ret_buf);

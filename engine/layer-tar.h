/* A layer directory as a tar stream, the inverse of layer_extract(): overlay whiteouts (char
 * device 0:0) become `.wh.NAME` entries and opaque directories get a `.wh..wh..opq` entry, as
 * docker and OCI layer tars have them. The stream is canonical (entries sorted by name, pax
 * format, whole-second mtimes, numeric owners only, xattrs sorted) so the same tree always
 * gives the same bytes, hence the same sha256: that is the id of layers made here (commit,
 * busybox) and the diff_id of every layer image_export() writes. */
#pragma once

#include <stdint.h>

struct archive;

/* Append the entries of the tree at DIRFD to the tar writer A (format set by the caller). */
int layer_tar_write(struct archive *a, int dirfd);

/* Write the canonical tar of DIRFD to OUT_FD (if >= 0) and give its sha256 and size. */
int layer_tar_stream(int dirfd, int out_fd, char ret_digest[65], uint64_t *ret_size);

/* Small file helpers: atomic replace, whole-file read, recursive removal. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Replace PATH with DATA atomically: write a temporary file beside it and rename it over PATH.
 * DURABLE adds an fsync first, for what must survive a power loss (not only a crash). */
int fileio_write_atomic(const char *path, const void *data, size_t len, bool durable);

/* Read all of PATH (at most MAX bytes) into a NUL-terminated buffer. */
int fileio_read_all(const char *path, size_t max, char **ret_data, size_t *ret_len);

/* Read all of an open fd (at most MAX bytes) into a NUL-terminated buffer. */
int fileio_read_fd(int fd, size_t max, char **ret_data, size_t *ret_len);

/* mkdir -p with MODE; existing directories are fine. */
int fileio_mkdir_p(const char *path, mode_t mode);

/* rm -rf PATH without crossing mount points; a missing PATH is fine. */
int fileio_remove_tree(const char *path);

/* Write all of BUF to FD, retrying short writes and EINTR. */
int fileio_write_full(int fd, const void *buf, size_t len);

/* Write TEXT to an existing file such as a /proc or /sys knob (no create, no truncate). */
int fileio_write_full_path(const char *path, const char *text);

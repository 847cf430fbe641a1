/* The FUSE layer: routes low-level requests to the engine and formats its answers. */
#pragma once

#include <fuse_lowlevel.h>

struct engine;
struct fs;

struct fs *fs_new(struct engine *e);
void fs_free(struct fs *fs);
void fs_set_session(struct fs *fs, struct fuse_session *se);
/* Where the filesystem is mounted (symlinks under root/ are shown rebased there). */
void fs_set_mountpoint(struct fs *fs, const char *path);
extern const struct fuse_lowlevel_ops fs_ops;

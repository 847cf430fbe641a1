/* The container's filesystem view, built inside its new mount namespace: the overlay root,
 * a fresh /proc, a read-only /sys, a minimal /dev, then pivot_root so nothing of the host
 * (its root, the ctrfs mount) stays reachable. */
#pragma once

#include <stddef.h>

/* Set up the mounts under ROOTFS (VOLUMES too: HOST:CONTAINER[:ro] lines, may be NULL) and
 * pivot into it. On failure, WHAT names the step. */
int rootfs_enter(const char *rootfs, char *const *volumes, const char **ret_what);

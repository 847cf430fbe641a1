/* Volumes: host directories (or files) bind-mounted into a container, `HOST:CONTAINER[:ro]`. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct volume {
	char *host;
	char *target;
	bool readonly;
};

/* Parse one `HOST:CONTAINER[:ro|:rw]` line: both absolute, no "." or ".." parts, the target
 * not "/". -EINVAL otherwise. */
int volume_parse(const char *line, struct volume *ret);
void volume_clear(struct volume *v);

/* Bind each of the NULL-terminated LINES into the root filesystem at ROOTFS (an absolute
 * path, before pivot_root). The mount point is made inside the root without following any
 * symlink out of it (openat2 RESOLVE_IN_ROOT), and the bind goes through the resulting fd.
 * -ENOENT if a host path is missing; WHAT names the failing volume. */
int volumes_mount(const char *rootfs, char *const *lines, const char **ret_what);

/* /etc/hosts, /etc/hostname and /etc/resolv.conf of a container. The daemon prepares them in
 * the container's run-state dir; they are then written into the container's root filesystem
 * (not bind-mounted, so the container's mount table names no host path). Every write resolves
 * inside the root (openat2 RESOLVE_IN_ROOT): a symlink the container planted cannot lead out. */
#pragma once

/* Copy the prepared files found in STATE_DIR into ROOT_FD's etc/ ("hosts", "hostname",
 * "resolv.conf"; ONLY: just that one, or NULL for all). */
int etcfiles_install(int root_fd, const char *state_dir, const char *only);

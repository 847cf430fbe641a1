/* The per-container monitor (like conmon): a process of its own, detached from the daemon,
 * parent and subreaper of the container's init. It owns the log file, waits for the exit,
 * records it atomically and cleans up, so containers outlive the daemon. */
#pragma once

#include "paths.h"

#define MONITOR_ARG "--monitor"

/* Daemon side: start the monitor of container NAME by double fork and execve of SELF_EXE, so
 * it is a fresh single-threaded process whatever the daemon's threads do. Returns the read end
 * of the monitor's report pipe: "ok\n" once started, or "err ERRNO SENTENCE\n".
 *
 * With NAME NULL, a standby monitor: it makes its cgroup and moves itself in ahead of time
 * (on cgroup v1 a move costs 7-13 ms here, the largest part of a start), then waits for a
 * container name on RET_CMD_FD; the container's init is then born in the cgroup for free.
 * Closing RET_CMD_FD without a name makes it clean up and exit. */
int monitor_spawn(const char *self_exe, const struct engine_paths *p, const char *name,
		  int *ret_report_fd, int *ret_cmd_fd);

/* Hand a standby monitor its container: write NAME to CMD_FD (closed after). */
int monitor_assign(int cmd_fd, const char *name);

/* Monitor side: the main of `ctrfs --monitor STATE_DIR DATA_DIR NAME|-`, report pipe on fd 3,
 * command pipe on fd 4 for a standby ("-"). */
int monitor_main(int argc, char **argv);

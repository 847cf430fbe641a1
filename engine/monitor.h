/* The per-container monitor (like conmon): a process of its own, detached from the daemon,
 * parent and subreaper of the container's init. It owns the log file, waits for the exit,
 * records it atomically and cleans up, so containers outlive the daemon. */
#pragma once

#include "paths.h"

#define MONITOR_ARG "--monitor"

/* Daemon side: start the monitor of container NAME by double fork and execve of SELF_EXE, so
 * it is a fresh single-threaded process whatever the daemon's threads do. Returns the read end
 * of the monitor's report pipe: "ok\n" once started, or "err ERRNO SENTENCE\n". */
int monitor_spawn(const char *self_exe, const struct engine_paths *p, const char *name,
		  int *ret_report_fd);

/* Monitor side: the main of `ctrfs --monitor STATE_DIR DATA_DIR NAME`, report pipe on fd 3. */
int monitor_main(int argc, char **argv);

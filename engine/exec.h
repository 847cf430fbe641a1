/* exec: run a command inside a running container, as `docker exec` does. The daemon starts a
 * helper (`ctrfs --exec ...`, a fresh single-threaded process) that joins the container's
 * cgroup and all its namespaces through a pidfd of its init, forks so the command is inside
 * the PID namespace, and gives it the init's environment, workdir, capabilities, seccomp
 * filter and no_new_privs. The helper's exit status is the command's exit code. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "paths.h"

#define EXEC_ARG "--exec"

struct exec_child {
	pid_t pid;
	int pidfd;
	int report_fd; /* a spawner: "ready\n" or "fail SENTENCE\n"; a session: "ok\n" once
			* the command runs, "fail SENTENCE\n" if it could not start */
	int sock;      /* a spawner: where requests go */
};

/* Start the exec spawner of container NAME: a helper that joins the container's cgroup (the
 * slow part on cgroup v1) and all its namespaces once, then serves every exec of the
 * container's life by cloning a session helper for each (exec_assign). */
int exec_spawn(const char *self_exe, const struct engine_paths *p, const char *name,
	       struct exec_child *ret);

/* Give a command to SPAWNER: ARGV, extra ENV, a terminal of ROWS x COLS (ROWS 0: none),
 * STDIN_FD as its stdin, OUT_FD as its stdout and stderr, CTL_FD carrying "winsize ROWS COLS"
 * lines. RET is the session helper: our child, whose exit status is the command's code. */
int exec_assign(struct exec_child *spawner, char *const *argv, char *const *env, unsigned rows,
		unsigned cols, int stdin_fd, int out_fd, int ctl_fd, struct exec_child *ret);

/* The spawner: `ctrfs --exec STATE_DIR DATA_DIR NAME`, start report on fd 3, request socket
 * on fd 4. With a terminal, a command gets a new pty of the container's own devpts (never the
 * caller's terminal, so TIOCSTI cannot reach it) and its session helper relays it. */
int exec_main(int argc, char **argv);

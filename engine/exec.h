/* exec: run a command inside a running container, as `docker exec` does. The daemon starts a
 * helper (`ctrfs --exec ...`, a fresh single-threaded process) that joins the container's
 * cgroup and all its namespaces through a pidfd of its init, forks so the command is inside
 * the PID namespace, and gives it the init's environment, workdir, capabilities, seccomp
 * filter and no_new_privs. The helper's exit status is the command's exit code. */
#pragma once

#include <sys/types.h>

#include "paths.h"

#define EXEC_ARG "--exec"

struct exec_child {
	pid_t pid;
	int pidfd;
	int report_fd; /* "ok\n" once the command runs; "fail SENTENCE\n" if it could not start */
};

/* Write the session's command, extra env and terminal size (ROWS 0: no terminal) for the
 * helper to read. */
int exec_save_request(const struct engine_paths *p, const char *name, unsigned session,
		      char *const *argv, char *const *env, unsigned rows, unsigned cols);

/* Start the helper for session SESSION of container NAME, with STDIN_FD as the command's
 * stdin, OUT_FD as its stdout and stderr, and CTL_FD carrying "winsize ROWS COLS" lines for
 * a command on a terminal. */
int exec_spawn(const char *self_exe, const struct engine_paths *p, const char *name,
	       unsigned session, int stdin_fd, int out_fd, int ctl_fd, struct exec_child *ret);

/* The helper: `ctrfs --exec STATE_DIR DATA_DIR NAME SESSION`, report pipe on fd 3, control
 * pipe on fd 4. With a terminal, the command gets a new pty of the container's own devpts (never
 * the caller's terminal, so TIOCSTI cannot reach it) and the helper relays it. */
int exec_main(int argc, char **argv);

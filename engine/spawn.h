/* The container's init: cloned into new mount, UTS, IPC, PID, network and cgroup namespaces,
 * it sets up its root, hostname, stdio, environment and capabilities, then execs the command.
 * Runs in the monitor (single-threaded), never in the daemon. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct syscall_filter;

struct spawn_spec {
	const char *rootfs; /* the mounted overlay, in the caller's mount namespace */
	char *const *argv;
	char *const *env;
	const char *workdir;
	const char *hostname;
	int log_fd;			/* becomes stdout and stderr */
	struct syscall_filter *seccomp; /* NULL: unconfined */
	char *const *caps;		/* NULL: Docker's default set */
	char *const *volumes;		/* HOST:CONTAINER[:ro] lines, may be NULL */
	bool host_network;		/* share the host's network namespace */
};

struct spawn_child {
	pid_t pid;
	int go_fd;     /* write a byte to let the child go on (once it is in its cgroup) */
	int report_fd; /* end-of-file: exec succeeded; else a report (spawn_read_report) */
};

/* Clone the init; it waits for spawn_release() before doing anything. */
int spawn_container(const struct spawn_spec *spec, struct spawn_child *ret);

int spawn_release(struct spawn_child *child);

enum spawn_result {
	SPAWN_EXECUTED,	   /* the command runs */
	SPAWN_EXEC_FAILED, /* set-up worked, execve failed: the init exits 126/127 */
	SPAWN_SETUP_FAILED,
};

/* Wait for the outcome. For a failure, MSG gets the sentence and ERR the errno. */
enum spawn_result spawn_read_report(struct spawn_child *child, char *msg, size_t size, int *err);

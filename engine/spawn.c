#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "fileio.h"
#include "loopback.h"
#include "rootfs.h"
#include "syscall-filter.h"

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET)

/* Tell the monitor why we failed: 'S' set-up or 'X' exec, the errno, "WHAT: strerror". */
static void report(int fd, char kind, int err, const char *what)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%c%d:%s: %s", kind, err, what, strerror(err));

	(void) !write(fd, msg, (size_t) n < sizeof(msg) ? (size_t) n : sizeof(msg) - 1);
}

static int set_stdio(int log_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return negerrno();
	if (dup2(null, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
	    dup2(log_fd, STDERR_FILENO) < 0)
		return negerrno();
	if (null > STDERR_FILENO)
		close(null);
	return 0;
}

static __attribute__((noreturn)) void child_main(const struct spawn_spec *spec, int go_fd,
						 int report_fd)
{
	const char *what = "";
	char byte, text[320];
	int r;

	/* Wait until the monitor has put us in our cgroup. */
	if (read(go_fd, &byte, 1) != 1)
		_exit(1);
	close(go_fd);
	/* Dispositions the monitor ignores must not leak into the container's command. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (unshare(CLONE_NEWCGROUP) < 0 && errno != EINVAL) {
		report(report_fd, 'S', errno, "unshare the cgroup namespace");
		_exit(1);
	}
	r = rootfs_enter(spec->rootfs, spec->volumes, &what);
	if (r < 0) {
		snprintf(text, sizeof(text), "set up the root filesystem (%s)", what);
		report(report_fd, 'S', -r, text);
		_exit(1);
	}
	if (sethostname(spec->hostname, strlen(spec->hostname)) < 0) {
		report(report_fd, 'S', errno, "set the hostname");
		_exit(1);
	}
	r = spec->host_network ? 0 : loopback_up();
	if (r < 0) {
		report(report_fd, 'S', -r, "bring up lo");
		_exit(1);
	}
	r = set_stdio(spec->log_fd);
	if (r < 0) {
		report(report_fd, 'S', -r, "set up stdio");
		_exit(1);
	}
	r = fileio_mkdir_p(spec->workdir, 0755);
	if (r < 0 || chdir(spec->workdir) < 0) {
		snprintf(text, sizeof(text), "enter workdir %s", spec->workdir);
		report(report_fd, 'S', r < 0 ? -r : errno, text);
		_exit(1);
	}
	r = caps_apply(spec->caps);
	if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = negerrno();
	if (r < 0) {
		report(report_fd, 'S', -r, "drop capabilities");
		_exit(1);
	}
	/* Nothing of ours may reach the command: every fd above 2 closes at execve (the report
	 * pipe too, which is how the monitor learns that execve succeeded). */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		for (int fd = 3; fd < 1024; fd++)
			if (fd != report_fd)
				close(fd);
	}
	if (spec->seccomp) {
		r = syscall_filter_load(spec->seccomp);
		if (r < 0) {
			report(report_fd, 'S', -r, "load the seccomp filter");
			_exit(1);
		}
	}
	clearenv();
	for (char *const *e = spec->env; *e; e++)
		putenv(*e);
	execvp(spec->argv[0], spec->argv);
	r = errno;
	dprintf(STDERR_FILENO, "ctrfs: exec \"%s\": %s\n", spec->argv[0], strerror(r));
	snprintf(text, sizeof(text), "exec \"%s\"", spec->argv[0]);
	report(report_fd, 'X', r, text);
	_exit(r == ENOENT ? 127 : 126);
}

int spawn_container(const struct spawn_spec *spec, struct spawn_child *ret)
{
	int go[2], rep[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC) < 0)
		return negerrno();
	if (pipe2(rep, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return negerrno();
	}
	/* A fork-like clone (no new stack): the monitor has one thread, so this is safe. */
	unsigned long flags = NS_FLAGS & ~(spec->host_network ? CLONE_NEWNET : 0UL);
	pid = (pid_t) syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		int r = negerrno();
		close(go[0]);
		close(go[1]);
		close(rep[0]);
		close(rep[1]);
		return r;
	}
	if (pid == 0) {
		close(go[1]);
		close(rep[0]);
		child_main(spec, go[0], rep[1]);
	}
	close(go[0]);
	close(rep[1]);
	*ret = (struct spawn_child){.pid = pid, .go_fd = go[1], .report_fd = rep[0]};
	return 0;
}

int spawn_release(struct spawn_child *child)
{
	int r = write(child->go_fd, "g", 1) == 1 ? 0 : negerrno();

	close(child->go_fd);
	child->go_fd = -EBADF;
	return r;
}

enum spawn_result spawn_read_report(struct spawn_child *child, char *msg, size_t size, int *err)
{
	char buf[512];
	ssize_t n;
	char *colon;

	do
		n = read(child->report_fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(child->report_fd);
	child->report_fd = -EBADF;
	if (n == 0)
		return SPAWN_EXECUTED;
	if (n < 0) {
		*err = errno;
		snprintf(msg, size, "read the start report: %s", strerror(errno));
		return SPAWN_SETUP_FAILED;
	}
	buf[n] = '\0';
	*err = (int) strtol(buf + 1, &colon, 10);
	if (*err <= 0)
		*err = EIO;
	snprintf(msg, size, "%s", *colon == ':' ? colon + 1 : buf);
	return buf[0] == 'X' ? SPAWN_EXEC_FAILED : SPAWN_SETUP_FAILED;
}

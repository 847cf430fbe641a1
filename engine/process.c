#include "process.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"

int process_start_time(pid_t pid, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	char *p;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	r = fileio_read_all(path, 4096, &text, NULL);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	/* The command name may hold spaces and ')': fields restart after the last ')'. */
	p = strrchr(text, ')');
	if (!p)
		return -EINVAL;
	p++;
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return -EINVAL;
	}
	*ret = strtoull(p + 1, NULL, 10);
	return 0;
}

int process_pidfd_checked(pid_t pid, uint64_t start)
{
	uint64_t now;
	int fd, r;

	if (pid <= 0)
		return -ESRCH;
	fd = (int) syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return negerrno();
	/* Checked after opening: if the pid was recycled before the open, the start time differs;
	 * if it is recycled after, the pidfd still refers to the process we checked. */
	r = process_start_time(pid, &now);
	if (r < 0 || now != start) {
		close(fd);
		return r < 0 ? r : -ESRCH;
	}
	return fd;
}

int process_signal(int pidfd, int sig)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return negerrno();
	return 0;
}

int process_has_exited(int pidfd)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

	if (poll(&pfd, 1, 0) < 0)
		return negerrno();
	return (pfd.revents & (POLLIN | POLLHUP)) ? 1 : 0;
}

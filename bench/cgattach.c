/* cgattach: what moving one process into a cgroup costs, by the spacing between moves.
 *
 *   cc -O2 -o /tmp/cgattach bench/cgattach.c
 *   sudo /tmp/cgattach DIR [GAP_MS [COUNT]]
 *
 * DIR must be a cgroup of your own (for example /sys/fs/cgroup/memory + the memory line of
 * /proc/self/cgroup); COUNT times (default 20) it makes DIR/ctrfs-bench-attach-N, forks a
 * child that pauses, writes its pid to cgroup.procs, kills it, removes the cgroup, then
 * sleeps GAP_MS (default 0). Prints the mean time of mkdir, of the write to cgroup.procs, and
 * of rmdir. On cgroup v1 without the favordynmods mount option, a move takes the
 * threadgroup rwsem for writing, which waits for an RCU grace period unless another move
 * happened just before: see docs/bench.md. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double) t.tv_sec * 1e3 + (double) t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: cgattach DIR [GAP_MS [COUNT]]\n");
		return 2;
	}
	int gap = argc > 2 ? atoi(argv[2]) : 0, n = argc > 3 ? atoi(argv[3]) : 20;
	double tm = 0, ta = 0, tr = 0;
	char dir[3800], path[4000], pid[32];

	for (int i = 0; i < n; i++) {
		snprintf(dir, sizeof dir, "%s/ctrfs-bench-attach-%d", argv[1], i);
		double t0 = now_ms();
		if (mkdir(dir, 0755) < 0) {
			perror(dir);
			return 1;
		}
		double t1 = now_ms();
		pid_t c = fork();
		if (c == 0) {
			pause();
			_exit(0);
		}
		snprintf(path, sizeof path, "%s/cgroup.procs", dir);
		int fd = open(path, O_WRONLY | O_CLOEXEC), len = snprintf(pid, sizeof pid, "%d", c);
		double t2 = now_ms();
		if (fd < 0 || write(fd, pid, (size_t) len) != len)
			perror(path);
		double t3 = now_ms();
		if (fd >= 0)
			close(fd);
		kill(c, SIGKILL);
		waitpid(c, NULL, 0);
		double t4 = now_ms();
		if (rmdir(dir) < 0)
			perror(dir);
		double t5 = now_ms();
		tm += t1 - t0;
		ta += t3 - t2;
		tr += t5 - t4;
		if (gap > 0)
			usleep((useconds_t) gap * 1000);
	}
	printf("gap %d ms: mkdir %.3f ms, write cgroup.procs %.3f ms, rmdir %.3f ms (means of "
	       "%d)\n",
	       gap, tm / n, ta / n, tr / n, n);
	return 0;
}

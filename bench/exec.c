/* exec: the round trip of one command inside a running ctrfs container, with plain system
 * calls, no process spawned.
 *
 *   exec MOUNTPOINT NAME [COUNT [CMD]]
 *
 * COUNT times (default 1): read containers/NAME/exec/new (a session number N), write CMD
 * (default "true") to exec/N/cmd, read exec/N/status to end-of-file (it blocks until the
 * command has exited) and check that it says 0, then rmdir exec/N. The same steps as the shell
 * version (n=$(cat exec/new); echo true > exec/$n/cmd; cat exec/$n/status; rmdir exec/$n)
 * without the fork+exec of cat and rmdir, so the time is the daemon's and the kernel's own.
 * With EXEC_STEPS=1 in the environment, prints the mean time of each step on stderr; with
 * EXEC_KEEP=1 the sessions are not removed (the daemon forgets the oldest finished ones).
 * Built by bench/exec.sh with `cc -O2`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { S_NEW, S_CMD, S_STATUS, S_RMDIR, S_N };
static const char *const step_name[S_N] = {"read exec/new", "write cmd", "read status",
					   "rmdir exec/N"};
static double step_sum[S_N];
static double t_last;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void step(int s)
{
	double t = now();
	step_sum[s] += t - t_last;
	t_last = t;
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "exec: %s %s: %s\n", what, path, strerror(errno));
	return -1;
}

/* read a whole (small) file into buf, NUL-terminated */
static int slurp(const char *path, char *buf, size_t size)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open", path);
	for (;;) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail("read", path);
			close(fd);
			return -1;
		}
		got += (size_t) n;
		if (n == 0 || got == size - 1)
			break;
	}
	close(fd);
	buf[got] = '\0';
	return 0;
}

static int one(const char *dir, const char *cmd, int keep)
{
	char path[4200], buf[64], sess[4150];

	t_last = now();
	snprintf(path, sizeof path, "%s/exec/new", dir);
	if (slurp(path, buf, sizeof buf) < 0)
		return -1;
	long n = strtol(buf, NULL, 10);
	snprintf(sess, sizeof sess, "%s/exec/%ld", dir, n);
	step(S_NEW);
	snprintf(path, sizeof path, "%s/cmd", sess);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return fail("open", path);
	size_t len = strlen(cmd);
	if (write(fd, cmd, len) != (ssize_t) len) {
		fail("write", path);
		close(fd);
		return -1;
	}
	close(fd);
	step(S_CMD);
	snprintf(path, sizeof path, "%s/status", sess);
	if (slurp(path, buf, sizeof buf) < 0)
		return -1;
	step(S_STATUS);
	if (strcmp(buf, "0\n") != 0) {
		fprintf(stderr, "exec: %s gave \"%s\", expected \"0\\n\"\n", path, buf);
		return -1;
	}
	if (!keep && rmdir(sess) < 0)
		return fail("rmdir", sess);
	step(S_RMDIR);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: exec MOUNTPOINT NAME [COUNT [CMD]]\n");
		return 2;
	}
	long count = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
	char cmd[4096], dir[4096];
	snprintf(cmd, sizeof cmd, "%s\n", argc > 4 ? argv[4] : "true");
	snprintf(dir, sizeof dir, "%s/containers/%s", argv[1], argv[2]);
	const char *k = getenv("EXEC_KEEP");
	int keep = k && *k && strcmp(k, "0") != 0;
	for (long i = 0; i < count; i++)
		if (one(dir, cmd, keep) < 0)
			return 1;
	const char *v = getenv("EXEC_STEPS");
	if (v && *v && strcmp(v, "0") != 0 && count > 0) {
		double total = 0;
		for (int s = 0; s < S_N; s++)
			total += step_sum[s];
		for (int s = 0; s < S_N; s++)
			fprintf(stderr, "%-14s %8.3f ms\n", step_name[s],
				step_sum[s] * 1e3 / count);
		fprintf(stderr, "%-14s %8.3f ms (mean of %ld)\n", "total", total * 1e3 / count,
			count);
	}
	return 0;
}

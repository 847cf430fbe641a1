/* lifecycle: the whole life of one ctrfs container with plain system calls, no process spawned.
 *
 *   lifecycle MOUNTPOINT NAME [COUNT [CMD]]
 *
 * COUNT times (default 1): mkdir containers/NAME, write CMD (default /bin/true) to cmd, write
 * "run" to ctl, read wait to end-of-file, rmdir. The same steps as the shell version
 * (mkdir; echo CMD > cmd; echo run > ctl; cat wait; rmdir) without fork+exec of mkdir, cat and
 * rmdir, so the time is the daemon's own. Exits 1 with a message naming the failed step, and
 * also when a container's exit code is not 0. With LIFECYCLE_STEPS=1 in the environment, prints
 * the mean time of each step on stderr. With LIFECYCLE_ANY_EXIT=1, a container that does not
 * exit with 0 is counted (and reported at the end) instead of stopping the run. Built by bench/lifecycle.sh and bench/callgrind.sh
 * with `cc -O2`. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIRMAX 4000

enum { S_MKDIR, S_CMD, S_RUN, S_WAIT, S_RMDIR, S_N };
static const char *const step_name[S_N] = {"mkdir", "write cmd", "write ctl run", "read wait",
					   "rmdir"};
static double step_sum[S_N];
static int any_exit; /* LIFECYCLE_ANY_EXIT=1: a wait other than 0 is counted, not an error */
static long not_zero;
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

static int fail(const char *step, const char *path)
{
	fprintf(stderr, "lifecycle: %s %s: %s\n", step, path, strerror(errno));
	return -1;
}

static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return fail("open", path);
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	if (n != (ssize_t) len) {
		if (n >= 0)
			errno = EIO;
		fail("write", path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return fail("close", path);
	return 0;
}

static int one(const char *dir, const char *cmd)
{
	char path[DIRMAX + 16], buf[64];
	size_t got = 0;

	t_last = now();
	if (mkdir(dir, 0755) < 0)
		return fail("mkdir", dir);
	step(S_MKDIR);
	snprintf(path, sizeof path, "%s/cmd", dir);
	if (put(path, cmd) < 0)
		return -1;
	step(S_CMD);
	snprintf(path, sizeof path, "%s/ctl", dir);
	if (put(path, "run\n") < 0)
		return -1;
	step(S_RUN);
	snprintf(path, sizeof path, "%s/wait", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open", path);
	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail("read", path);
			close(fd);
			return -1;
		}
		if (n == 0 || got + (size_t) n >= sizeof buf - 1) {
			got += (size_t) n;
			break;
		}
		got += (size_t) n;
	}
	close(fd);
	buf[got] = '\0';
	step(S_WAIT);
	int bad = strcmp(buf, "0\n") != 0;
	if (bad && any_exit) {
		not_zero++;
	} else if (bad) {
		fprintf(stderr, "lifecycle: %s gave \"%s\", expected \"0\\n\"\n", path, buf);
		static const char *const show[] = {"status", "exitcode", "error", "logs-now"};
		for (size_t i = 0; i < sizeof show / sizeof *show; i++) {
			char text[1024];
			snprintf(path, sizeof path, "%s/%s", dir, show[i]);
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
			ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
			if (fd >= 0)
				close(fd);
			text[n > 0 ? n : 0] = '\0';
			fprintf(stderr, "lifecycle:   %s: %s%s", show[i], text,
				n > 0 && text[n - 1] == '\n' ? "" : "\n");
		}
		return -1; /* the container is left for the caller's cleanup */
	}
	int tries = 0;
	while (rmdir(dir) < 0) {
		/* only in LIFECYCLE_ANY_EXIT mode: the daemon may still be winding the container up */
		if (errno != EBUSY || !bad || ++tries > 100)
			return fail("rmdir", dir);
		usleep(10000);
	}
	step(S_RMDIR);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: lifecycle MOUNTPOINT NAME [COUNT [CMD]]\n");
		return 2;
	}
	long count = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
	char cmd[4096], dir[DIRMAX];
	snprintf(cmd, sizeof cmd, "%s\n", argc > 4 ? argv[4] : "/bin/true");
	snprintf(dir, sizeof dir, "%s/containers/%s", argv[1], argv[2]);
	const char *a = getenv("LIFECYCLE_ANY_EXIT");
	any_exit = a && *a && strcmp(a, "0") != 0;
	for (long i = 0; i < count; i++)
		if (one(dir, cmd) < 0)
			return 1;
	if (not_zero)
		fprintf(stderr, "lifecycle: %ld of %ld containers did not exit with 0\n", not_zero,
			count);
	const char *v = getenv("LIFECYCLE_STEPS");
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

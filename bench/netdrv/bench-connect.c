/* Time veth_connect: one endpoint = a veth pair with its end created inside a namespace, eth0
 * up with an address and a default route, the host end attached to a bridge and up. Runs in the
 * calling process's network namespace (run.sh gives it a private one) and creates N namespaces
 * of its own. Prints one line per statistic, in microseconds. Usage: bench-connect [N] */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "cidr.h"
#include "veth.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* A fresh network namespace, kept alive by its fd; the thread returns to SELF. */
static int new_netns(int self)
{
	int fd;

	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (setns(self, CLONE_NEWNET) < 0)
		abort();
	return fd < 0 ? -errno : fd;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100, self, r;
	int *ns = calloc((size_t) n, sizeof(int));
	double *t = calloc((size_t) n, sizeof(double)), sum = 0;
	char(*host)[IFNAMSIZ] = calloc((size_t) n, IFNAMSIZ);
	struct in_addr gw;

	if (n <= 0 || n > 60000 || !ns || !t || !host)
		return 2;
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	cidr_addr_parse("10.77.0.1", &gw);
	r = bridge_create("benchbr0", gw, 16);
	if (self < 0 || r < 0) {
		fprintf(stderr, "Setup failed: %s\n", strerror(r < 0 ? -r : errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		ns[i] = new_netns(self);
		if (ns[i] < 0) {
			fprintf(stderr, "Namespace %d failed: %s\n", i, strerror(-ns[i]));
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		char id[32];
		struct veth_config cfg = {
			.bridge = "benchbr0",
			.netns_fd = ns[i],
			.id = id,
			.prefix = 16,
			.gateway = gw,
			.addr.s_addr = htonl(ntohl(gw.s_addr) + 1 + (uint32_t) i),
		};
		double t0;

		snprintf(id, sizeof(id), "bench-%d", i);
		t0 = now_us();
		r = veth_connect(&cfg, host[i]);
		t[i] = now_us() - t0;
		if (r < 0) {
			fprintf(stderr, "Connect %d failed: %s\n", i, strerror(-r));
			return 1;
		}
		sum += t[i];
	}
	for (int i = 0; i < n; i++) {
		veth_disconnect(host[i]);
		close(ns[i]);
	}
	bridge_delete("benchbr0");
	qsort(t, (size_t) n, sizeof(double), cmp_double);
	printf("endpoints %d\nmean_us %.1f\nmedian_us %.1f\nmin_us %.1f\nmax_us %.1f\n", n, sum / n,
	       t[n / 2], t[0], t[n - 1]);
	return 0;
}

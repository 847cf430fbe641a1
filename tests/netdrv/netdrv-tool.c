/* A command-line driver for the netdrv library, for the root test (test-root.sh) and by hand.
 * Every command works in the calling process's network namespace (the test's private one).
 * Prints "ERR ENAME" and exits 1 on failure, so the test can assert the exact errno. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "cidr.h"
#include "cleanup.h"
#include "driver.h"
#include "nat.h"
#include "pool.h"
#include "veth.h"

static int fail(int r)
{
	const char *name = strerrorname_np(-r);

	printf("ERR %s\n", name ? name : "?");
	return 1;
}

/* "A.B.C.D/N" as an address and a prefix (host bits allowed). */
static int addr_prefix(const char *s, struct in_addr *addr, unsigned *prefix)
{
	char buf[CIDR_STRLEN];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	*prefix = (unsigned) atoi(slash + 1);
	return cidr_addr_parse(buf, addr);
}

static int proto_of(const char *s)
{
	return strcmp(s, "tcp") == 0 ? IPPROTO_TCP : strcmp(s, "udp") == 0 ? IPPROTO_UDP : -1;
}

static int cmd_connect(char **argv)
{
	_cleanup_close_ int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	struct veth_config cfg = {.bridge = argv[0], .id = argv[2]};
	char host[IFNAMSIZ];
	int r;

	if (fd < 0)
		return fail(negerrno());
	cfg.netns_fd = fd;
	if (addr_prefix(argv[3], &cfg.addr, &cfg.prefix) < 0 ||
	    cidr_addr_parse(argv[4], &cfg.gateway) < 0)
		return fail(-EINVAL);
	r = veth_connect(&cfg, host);
	if (r < 0)
		return fail(r);
	printf("%s\n", host);
	return 0;
}

static int cmd_driver(char **argv, int argc)
{
	const struct driver_ops *ops = driver_find("bridge");
	struct driver_network net = {.name = "test", .bridge = argv[1]};
	int r;

	if (!ops || cidr_parse(argv[2], &net.subnet) < 0)
		return fail(-EINVAL);
	net.gateway = cidr_first_host(&net.subnet);
	if (strcmp(argv[0], "create") == 0) {
		r = ops->create(&net);
	} else if (strcmp(argv[0], "delete") == 0) {
		r = ops->delete (&net);
	} else if (strcmp(argv[0], "connect") == 0 && argc >= 6) {
		_cleanup_close_ int fd = open(argv[3], O_RDONLY | O_CLOEXEC);
		struct driver_endpoint ep = {.id = argv[4], .netns_fd = fd};

		if (fd < 0)
			return fail(negerrno());
		if (cidr_addr_parse(argv[5], &ep.addr) < 0)
			return fail(-EINVAL);
		r = ops->connect(&net, &ep);
		if (r == 0)
			printf("%s\n", ep.host_ifname);
	} else if (strcmp(argv[0], "disconnect") == 0 && argc >= 4) {
		struct driver_endpoint ep = {.netns_fd = -1};

		snprintf(ep.host_ifname, sizeof(ep.host_ifname), "%s", argv[3]);
		r = ops->disconnect(&net, &ep);
	} else {
		r = -EINVAL;
	}
	return r < 0 ? fail(r) : 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	char **a = argv + 2;
	int n = argc - 2, r = -EINVAL;
	struct in_addr addr;
	unsigned prefix;
	struct cidr c;

	if (strcmp(cmd, "bridge-create") == 0 && n == 2) {
		r = addr_prefix(a[1], &addr, &prefix);
		if (r == 0)
			r = bridge_create(a[0], addr, prefix);
	} else if (strcmp(cmd, "bridge-delete") == 0 && n == 1) {
		r = bridge_delete(a[0]);
	} else if (strcmp(cmd, "connect") == 0 && n == 5) {
		return cmd_connect(a);
	} else if (strcmp(cmd, "disconnect") == 0 && n == 1) {
		r = veth_disconnect(a[0]);
	} else if (strcmp(cmd, "nat-net-add") == 0 && n == 2) {
		r = cidr_parse(a[0], &c);
		if (r == 0)
			r = nat_network_add(&c, a[1]);
	} else if (strcmp(cmd, "nat-net-remove") == 0 && n == 2) {
		r = cidr_parse(a[0], &c);
		if (r == 0)
			r = nat_network_remove(&c, a[1]);
	} else if (strcmp(cmd, "port-add") == 0 && n == 4) {
		r = cidr_addr_parse(a[2], &addr);
		if (r == 0)
			r = nat_port_add(proto_of(a[0]), (uint16_t) atoi(a[1]), addr,
					 (uint16_t) atoi(a[3]));
	} else if (strcmp(cmd, "port-remove") == 0 && n == 2) {
		r = nat_port_remove(proto_of(a[0]), (uint16_t) atoi(a[1]));
	} else if (strcmp(cmd, "port-in-use") == 0 && n == 2) {
		r = nat_port_in_use(proto_of(a[0]), (uint16_t) atoi(a[1]));
	} else if (strcmp(cmd, "pick") == 0) {
		struct pool_range ranges[POOL_MAX_RANGES];
		struct cidr others[16], got;
		size_t nr = 0;
		char buf[CIDR_STRLEN];

		r = pool_parse(n > 0 ? a[0] : POOL_DEFAULT, ranges, ARRAY_SIZE(ranges), &nr);
		for (int i = 1; r == 0 && i < n && i <= 16; i++)
			r = cidr_parse(a[i], &others[i - 1]);
		if (r == 0)
			r = pool_pick_host(ranges, nr, others, n > 1 ? (size_t) n - 1 : 0, &got);
		if (r == 0) {
			cidr_format(&got, buf);
			printf("%s\n", buf);
		}
	} else if (strcmp(cmd, "driver") == 0 && n >= 3) {
		return cmd_driver(a, n);
	} else {
		fprintf(stderr,
			"usage: %s bridge-create NAME GW/PREFIX | bridge-delete NAME |\n"
			"  connect BRIDGE NETNS_PATH ID ADDR/PREFIX GW | disconnect HOST |\n"
			"  nat-net-add|nat-net-remove SUBNET BRIDGE |\n"
			"  port-add tcp|udp HOSTPORT ADDR PORT | port-remove|port-in-use PROTO "
			"PORT |\n"
			"  pick [POOL [OTHER...]] |\n"
			"  driver create|delete BRIDGE SUBNET | driver connect BRIDGE SUBNET NETNS "
			"ID ADDR |\n"
			"  driver disconnect BRIDGE SUBNET HOST\n",
			argv[0]);
		return 2;
	}
	return r < 0 ? fail(r) : 0;
}

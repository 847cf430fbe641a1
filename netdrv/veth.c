#include "veth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "cleanup.h"
#include "cidr.h"
#include "nl.h"

/* Candidates tried on collisions. Two ids collide on a 32-bit hash with probability 2^-32 per
 * pair, so the loop almost always ends at the first name; the bound keeps it finite. */
#define HOST_NAME_ATTEMPTS 16

void veth_host_name(const char *id, unsigned attempt, char name[IFNAMSIZ])
{
	/* FNV-1a over the id and the attempt number: cheap, stable across runs and platforms. */
	uint32_t h = 2166136261u;

	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char) *p) * 16777619u;
	for (unsigned i = 0; i < sizeof(attempt); i++)
		h = (h ^ ((attempt >> (8 * i)) & 0xff)) * 16777619u;
	snprintf(name, IFNAMSIZ, VETH_HOST_PREFIX "%08x", h);
}

/* Interface index of BRIDGE. By ioctl (if_nametoindex), not RTM_GETLINK: the answer to the
 * latter carries the link's every attribute and statistic, and this is on the path measured by
 * bench/netdrv. That BRIDGE really is a bridge is left to the kernel: enslaving to a device that
 * cannot take ports fails the creation (EOPNOTSUPP), and the engine passes only the bridges it
 * made with bridge_create. */
static int bridge_index(const char *bridge)
{
	unsigned idx = if_nametoindex(bridge);

	if (idx == 0)
		return errno == ENXIO || errno == ENODEV ? -ENODEV : negerrno();
	return (int) idx;
}

/* One RTM_NEWLINK: host end HOST (enslaved to MASTER, up), peer IFNAME created in NETNS_FD with
 * its MAC set. The kernel applies IFLA_MASTER and the up flags in the same request. */
static int create_pair(struct nl_sock *sock, const struct veth_config *cfg, const char *host,
		       const char *ifname, int master)
{
	_cleanup_nllink_ struct rtnl_link *link = rtnl_link_veth_alloc();
	_cleanup_(netlink_nladdr_putp) struct nl_addr *mac = NULL;
	struct rtnl_link *peer;
	unsigned char hw[6];

	if (!link)
		return -ENOMEM;
	peer = rtnl_link_veth_get_peer(link);
	netlink_mac_from_addr(cfg->addr, hw);
	mac = netlink_mac_build(hw);
	if (!mac)
		return -ENOMEM;
	rtnl_link_set_name(link, host);
	rtnl_link_set_master(link, master);
	rtnl_link_set_flags(link, IFF_UP);
	rtnl_link_set_name(peer, ifname);
	rtnl_link_set_ns_fd(peer, cfg->netns_fd);
	rtnl_link_set_addr(peer, mac);
	/* Not IFF_UP on the peer: the kernel (6.18) refuses to open a device in another namespace
	 * during the creation request (ENOTCONN); configure_inside brings it up. */
	/* One queue each way: the kernel gives a veth one per possible CPU by default, and each
	 * queue is a pair of sysfs objects made at creation, which roughly doubles its cost here
	 * (bench/netdrv). Multiple queues only serve XDP on a veth; ordinary traffic does not
	 * queue on it (noqueue, lockless transmit). */
	rtnl_link_set_num_tx_queues(link, 1);
	rtnl_link_set_num_rx_queues(link, 1);
	rtnl_link_set_num_tx_queues(peer, 1);
	rtnl_link_set_num_rx_queues(peer, 1);
	if (cfg->mtu) {
		rtnl_link_set_mtu(link, cfg->mtu);
		rtnl_link_set_mtu(peer, cfg->mtu);
	}
	rtnl_link_put(peer); /* rtnl_link_veth_get_peer took a reference */
	return netlink_errno(rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL));
}

static int default_route(struct nl_sock *sock, int ifindex, struct in_addr gateway)
{
	_cleanup_(netlink_route_putp) struct rtnl_route *route = rtnl_route_alloc();
	_cleanup_(netlink_nladdr_putp) struct nl_addr *dst = NULL, *gw = NULL;
	struct in_addr any = {0};
	struct rtnl_nexthop *nh;

	if (!route)
		return -ENOMEM;
	dst = nl_addr_build(AF_INET, &any, sizeof(any));
	gw = nl_addr_build(AF_INET, &gateway, sizeof(gateway));
	nh = rtnl_route_nh_alloc();
	if (!dst || !gw || !nh) {
		if (nh)
			rtnl_route_nh_free(nh);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(route, AF_INET);
	rtnl_route_set_dst(route, dst);
	rtnl_route_set_protocol(route, RTPROT_STATIC);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(route, nh); /* the route owns NH from here */
	return netlink_errno(rtnl_route_add(sock, route, NLM_F_EXCL));
}

struct inside {
	const char *ifname;
	struct nl_sock *sock;
	int ifindex;
};

/* Run inside the namespace: the socket for what follows, and the index of IFNAME by ioctl,
 * which saves a netlink round trip (the socket if_nametoindex makes is in this namespace too). */
static int open_inside(void *arg)
{
	struct inside *in = arg;
	unsigned idx;
	int r = netlink_open(-1, &in->sock);

	if (r < 0)
		return r;
	idx = if_nametoindex(in->ifname);
	if (idx == 0)
		return errno == ENXIO ? -ENODEV : negerrno();
	in->ifindex = (int) idx;
	return 0;
}

/* Up, address and default route inside the namespace. Up first: the kernel adds the subnet's
 * route only for an address on a device that is up, and the default route needs it to reach the
 * gateway. */
static int configure_inside(const struct veth_config *cfg, const char *ifname)
{
	_cleanup_nlsock_ struct nl_sock *sock = NULL;
	struct inside in = {.ifname = ifname};
	int r;

	r = netlink_in_netns(cfg->netns_fd, open_inside, &in);
	sock = in.sock; /* also when open_inside failed after opening it */
	if (r < 0)
		return r;
	r = netlink_link_up(sock, in.ifindex);
	if (r < 0)
		return r;
	r = netlink_addr_add(sock, in.ifindex, cfg->addr, cfg->prefix);
	if (r < 0)
		return r;
	if (cfg->gateway.s_addr == 0)
		return 0;
	return default_route(sock, in.ifindex, cfg->gateway);
}

int veth_connect(const struct veth_config *cfg, char ret_host[IFNAMSIZ])
{
	_cleanup_nlsock_ struct nl_sock *sock = NULL;
	const char *ifname = cfg->ifname ? cfg->ifname : "eth0";
	char host[IFNAMSIZ];
	int master, r;

	if (!netlink_ifname_valid(cfg->bridge) || !cfg->id || !*cfg->id || cfg->netns_fd < 0 ||
	    !netlink_ifname_valid(ifname) || cfg->prefix < 1 || cfg->prefix > 32)
		return -EINVAL;
	r = netlink_open(-1, &sock);
	if (r < 0)
		return r;
	master = bridge_index(cfg->bridge);
	if (master < 0)
		return master;

	for (unsigned attempt = 0; attempt < HOST_NAME_ATTEMPTS; attempt++) {
		veth_host_name(cfg->id, attempt, host);
		r = create_pair(sock, cfg, host, ifname, master);
		if (r != -EEXIST)
			break;
		/* EEXIST names no culprit: it is the host end (try the next name) unless the
		 * host name is free, in which case IFNAME is taken inside the namespace. */
		if (if_nametoindex(host) == 0)
			return -EEXIST;
	}
	if (r < 0)
		return r;

	r = configure_inside(cfg, ifname);
	if (r < 0)
		goto undo_pair;
	memcpy(ret_host, host, IFNAMSIZ);
	return 0;

undo_pair:
	/* Deleting one end deletes both, and the address and route inside go with them. */
	(void) netlink_link_delete(sock, host);
	return r;
}

int veth_netns_open(pid_t pid)
{
	return netlink_netns_open_pid(pid);
}

int veth_disconnect(const char *host_name)
{
	_cleanup_nlsock_ struct nl_sock *sock = NULL;
	char kind[32];
	int r;

	if (!netlink_ifname_valid(host_name))
		return -EINVAL;
	r = netlink_open(-1, &sock);
	if (r < 0)
		return r;
	r = netlink_link_kind(sock, host_name, kind, sizeof(kind));
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	if (strcmp(kind, "veth") != 0)
		return -EINVAL;
	r = netlink_link_delete(sock, host_name);
	return r == -ENODEV ? 0 : r;
}

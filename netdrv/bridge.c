#include "bridge.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>

#include <netlink/route/link/bridge.h>

#include "cleanup.h"
#include "cidr.h"
#include "nl.h"

/* -EEXIST unless NAME is a bridge. */
static int check_is_bridge(struct nl_sock *sock, const char *name)
{
	char kind[32];
	int r = netlink_link_kind(sock, name, kind, sizeof(kind));

	if (r < 0)
		return r;
	return strcmp(kind, "bridge") == 0 ? 0 : -EEXIST;
}

/* Create NAME, up, with its MAC fixed: a bridge otherwise takes the lowest MAC of its ports and
 * changes it as containers come and go, which makes the gateway's MAC move under the
 * containers' ARP caches. Returns 1 when created, 0 when it existed already. */
static int create_link(struct nl_sock *sock, const char *name, struct in_addr gateway)
{
	_cleanup_nllink_ struct rtnl_link *link = rtnl_link_bridge_alloc();
	_cleanup_(netlink_nladdr_putp) struct nl_addr *mac = NULL;
	unsigned char hw[6];
	int r;

	if (!link)
		return -ENOMEM;
	netlink_mac_from_addr(gateway, hw);
	mac = netlink_mac_build(hw);
	if (!mac)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	rtnl_link_set_addr(link, mac);
	rtnl_link_set_flags(link, IFF_UP);
	r = netlink_errno(rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL));
	if (r == -EEXIST) {
		r = check_is_bridge(sock, name);
		return r < 0 ? r : 0;
	}
	return r < 0 ? r : 1;
}

int bridge_create(const char *name, struct in_addr gateway, unsigned prefix)
{
	_cleanup_nlsock_ struct nl_sock *sock = NULL;
	int created, ifindex, r;

	if (!netlink_ifname_valid(name) || prefix < CIDR_PREFIX_MIN || prefix > CIDR_PREFIX_MAX)
		return -EINVAL;
	r = netlink_open(-1, &sock);
	if (r < 0)
		return r;
	created = create_link(sock, name, gateway);
	if (created < 0)
		return created;
	ifindex = netlink_ifindex(sock, name);
	if (ifindex < 0) {
		r = ifindex;
		goto undo_link;
	}
	if (!created) {
		r = netlink_link_up(sock, ifindex);
		if (r < 0)
			return r;
	}
	r = netlink_addr_add(sock, ifindex, gateway, prefix);
	if (r < 0 && r != -EEXIST)
		goto undo_link;
	return 0;

undo_link:
	if (created)
		(void) netlink_link_delete(sock, name);
	return r;
}

/* Open a socket on the existing bridge NAME: -ENODEV if there is none, -EINVAL if NAME is not
 * a valid name or not a bridge. */
static int open_bridge(const char *name, struct nl_sock **ret_sock)
{
	int r;

	if (!netlink_ifname_valid(name))
		return -EINVAL;
	r = netlink_open(-1, ret_sock);
	if (r < 0)
		return r;
	r = check_is_bridge(*ret_sock, name);
	return r == -EEXIST ? -EINVAL : r;
}

int bridge_delete(const char *name)
{
	_cleanup_nlsock_ struct nl_sock *sock = NULL;
	int r = open_bridge(name, &sock);

	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return r;
	r = netlink_link_delete(sock, name);
	return r == -ENODEV ? 0 : r;
}

int bridge_ifindex(const char *name)
{
	_cleanup_nlsock_ struct nl_sock *sock = NULL;
	int r = open_bridge(name, &sock);

	return r < 0 ? r : netlink_ifindex(sock, name);
}

int bridge_up(const char *name)
{
	_cleanup_nlsock_ struct nl_sock *sock = NULL;
	int r = bridge_ifindex(name);

	if (r < 0)
		return r;
	int ifindex = r;
	r = netlink_open(-1, &sock);
	if (r < 0)
		return r;
	return netlink_link_up(sock, ifindex);
}

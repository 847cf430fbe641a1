/* The libnl-route-3 transport shared by the netdrv files: sockets (optionally inside another
 * network namespace), the one mapping of libnl's -NLE_* codes to -errno, cleanup helpers for
 * libnl objects and the few link/address verbs every device kind needs.
 *
 * Internal to netdrv/: the public headers (bridge.h, veth.h, ...) take plain values and never
 * expose a libnl type. Symbols use the `netlink_` prefix (never libnl's own `nl_`). */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

static inline void netlink_sock_freep(struct nl_sock **p)
{
	if (*p)
		nl_socket_free(*p);
}
static inline void netlink_link_putp(struct rtnl_link **p)
{
	if (*p)
		rtnl_link_put(*p);
}
static inline void netlink_addr_putp(struct rtnl_addr **p)
{
	if (*p)
		rtnl_addr_put(*p);
}
static inline void netlink_nladdr_putp(struct nl_addr **p)
{
	if (*p)
		nl_addr_put(*p);
}
static inline void netlink_route_putp(struct rtnl_route **p)
{
	if (*p)
		rtnl_route_put(*p);
}
static inline void netlink_cache_freep(struct nl_cache **p)
{
	if (*p)
		nl_cache_free(*p);
}

#define _cleanup_nlsock_ _cleanup_(netlink_sock_freep)
#define _cleanup_nllink_ _cleanup_(netlink_link_putp)

/* Map a libnl result (0, or a negative -NLE_* code) to 0 or -errno. The only place where libnl
 * codes are translated: everything else in netdrv passes libnl results through here. When the
 * failure was the kernel's NLMSG_ERROR on a socket from netlink_open, the kernel's own errno is
 * returned (libnl would fold e.g. ENETUNREACH into NLE_FAILURE); else a table maps NLE_*. */
int netlink_errno(int nle);

/* Open a NETLINK_ROUTE socket bound to the network namespace NETNS_FD (or to the calling thread's
 * own namespace when NETNS_FD < 0). A netlink socket stays in the namespace it was created in, so
 * the calling thread enters the namespace only for socket(2) and returns at once. */
int netlink_open(int netns_fd, struct nl_sock **ret_sock);

/* Open the network namespace of PID (O_CLOEXEC); returns the fd or -errno. */
int netlink_netns_open_pid(pid_t pid);

/* Run FN(ARG) with the calling thread inside NETNS_FD (for /proc/sys/net writes and the like),
 * then come back; returns FN's result or -errno if the switch fails. */
int netlink_in_netns(int netns_fd, int (*fn)(void *arg), void *arg);

/* Interface index of NAME, -ENODEV when there is none. */
int netlink_ifindex(struct nl_sock *sock, const char *name);

/* Set IFF_UP on IFINDEX. */
int netlink_link_up(struct nl_sock *sock, int ifindex);

/* Add ADDR/PREFIX to IFINDEX; -EEXIST when it is there already. */
int netlink_addr_add(struct nl_sock *sock, int ifindex, struct in_addr addr, unsigned prefix);

/* Delete the link NAME; -ENODEV when there is none. */
int netlink_link_delete(struct nl_sock *sock, const char *name);

/* Write VALUE to /proc/sys/PATH in the calling thread's network namespace. */
int netlink_sysctl_write(const char *path, const char *value);

/* A valid interface name: 1..IFNAMSIZ-1 bytes, no '/', ':' or blank, not "." or "..". */
bool netlink_ifname_valid(const char *name);

/* The kind of link NAME ("bridge", "veth", ...) into KIND (size N); "" for a link of no kind
 * (a physical device); -ENODEV when there is no such link. */
int netlink_link_kind(struct nl_sock *sock, const char *name, char *kind, size_t n);

/* A stable, locally administered unicast MAC for ADDR (02:42:a:b:c:d, as Docker does): the same
 * address always gets the same MAC, so peers' ARP caches stay right across restarts. */
void netlink_mac_from_addr(struct in_addr addr, unsigned char mac[6]);

/* MAC as a libnl address, for rtnl_link_set_addr. */
struct nl_addr *netlink_mac_build(const unsigned char mac[6]);

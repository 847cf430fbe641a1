/* Endpoints: a veth pair between a bridge of the host and a network namespace. The namespace
 * end is created directly inside the target namespace (IFLA_NET_NS_FD on the peer at RTM_NEWLINK),
 * so there is no move between namespaces afterwards, the step that costs bash engines ~16 ms. */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <sys/types.h>

/* Host-side names are VETH_HOST_PREFIX + 8 hex digits: short enough for IFNAMSIZ, recognisable
 * in `ip link`, and derived from the endpoint's id so a restarted daemon finds them again. */
#define VETH_HOST_PREFIX "vc"

struct veth_config {
	const char *bridge;	/* host bridge the host end joins */
	int netns_fd;		/* the target network namespace (e.g. /proc/PID/ns/net) */
	const char *id;		/* stable id (a container id) the host-side name derives from */
	const char *ifname;	/* name inside the namespace; NULL means "eth0" */
	struct in_addr addr;	/* address of the namespace end */
	unsigned prefix;	/* its prefix length */
	struct in_addr gateway; /* default route via this; 0.0.0.0 for no route */
	unsigned mtu;		/* 0: the kernel's default */
};

/* Connect CFG->netns_fd to CFG->bridge: create the pair (host end enslaved to the bridge and up,
 * namespace end named CFG->ifname, MAC derived from CFG->addr, up), add the address and the
 * default route inside the namespace. The host-side name is derived from CFG->id; on a collision
 * the next candidate is tried. On any failure the pair is deleted again (which takes its address
 * and route with it): nothing is left half-made.
 * Returns 0 and the host-side name in RET_HOST (IFNAMSIZ bytes), or -errno: -ENODEV when the
 * bridge is missing, -EOPNOTSUPP when it is a device that cannot take ports, -EEXIST when
 * CFG->ifname already exists in the namespace, -EINVAL for a bad argument. */
int veth_connect(const struct veth_config *cfg, char ret_host[IFNAMSIZ]);

/* Delete the pair whose host end is HOST_NAME. 0 when it is already gone (the namespace died and
 * took the pair with it); -EINVAL when HOST_NAME is not a veth, which ctrfs never deletes. */
int veth_disconnect(const char *host_name);

/* Open the network namespace of PID (O_CLOEXEC), for veth_config.netns_fd; returns the fd or
 * -errno. */
int veth_netns_open(pid_t pid);

/* The host-side name candidate number ATTEMPT for ID, into NAME (IFNAMSIZ bytes). */
void veth_host_name(const char *id, unsigned attempt, char name[IFNAMSIZ]);

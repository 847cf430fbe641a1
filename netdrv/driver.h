/* Network drivers: what a kind of network does when it is created, deleted, and when an
 * endpoint joins or leaves it. The engine holds a `const struct driver_ops *` per network
 * (found by name with driver_find) and calls through it; `bridge` is the first driver. Drivers
 * take plain values and know nothing of containers. */
#pragma once

#include <net/if.h>
#include <netinet/in.h>

#include "cidr.h"

struct driver_network {
	const char *name;   /* the network's name (for drivers that need one) */
	const char *bridge; /* interface name on the host */
	struct cidr subnet;
	struct in_addr gateway; /* on the bridge; the endpoints' default route */
};

struct driver_endpoint {
	const char *id;		    /* stable id (a container id): host-side names derive from it */
	int netns_fd;		    /* the endpoint's network namespace */
	const char *ifname;	    /* name inside it, NULL for "eth0" */
	struct in_addr addr;	    /* from IPAM: the caller allocates and releases it */
	char host_ifname[IFNAMSIZ]; /* set by connect; what disconnect takes */
};

struct driver_ops {
	const char *name;
	/* Make the network exist on the host (idempotent, for restarts). */
	int (*create)(const struct driver_network *net);
	/* Remove all the network made on the host; what is already gone is fine. */
	int (*delete)(const struct driver_network *net);
	/* Join EP to NET; fills EP->host_ifname. Rolls back completely on failure. */
	int (*connect)(const struct driver_network *net, struct driver_endpoint *ep);
	/* Undo connect; an endpoint already gone (its namespace died) is fine. */
	int (*disconnect)(const struct driver_network *net, const struct driver_endpoint *ep);
};

/* The driver called NAME; NULL when there is none. */
const struct driver_ops *driver_find(const char *name);

extern const struct driver_ops driver_bridge_ops;

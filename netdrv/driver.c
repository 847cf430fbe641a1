#include "driver.h"

#include <errno.h>
#include <string.h>

#include "bridge.h"
#include "cleanup.h"
#include "nat.h"
#include "veth.h"

static const struct driver_ops *const drivers[] = {
	&driver_bridge_ops,
};

const struct driver_ops *driver_find(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(drivers); i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

/* The bridge driver: a Linux bridge holding the gateway address, the network's NAT elements,
 * one veth pair per endpoint. */

static int bridge_drv_create(const struct driver_network *net)
{
	int r = bridge_create(net->bridge, net->gateway, net->subnet.prefix);

	if (r < 0)
		return r;
	r = nat_network_add(&net->subnet, net->bridge);
	if (r < 0)
		goto undo_bridge;
	return 0;

undo_bridge:
	(void) bridge_delete(net->bridge);
	return r;
}

static int bridge_drv_delete(const struct driver_network *net)
{
	/* Both steps run even if the first fails, so a retry finds less to do; the first
	 * error is the one reported. */
	int r = nat_network_remove(&net->subnet, net->bridge);
	int r2 = bridge_delete(net->bridge);

	return r < 0 ? r : r2;
}

static int bridge_drv_connect(const struct driver_network *net, struct driver_endpoint *ep)
{
	struct veth_config cfg = {
		.bridge = net->bridge,
		.netns_fd = ep->netns_fd,
		.id = ep->id,
		.ifname = ep->ifname,
		.addr = ep->addr,
		.prefix = net->subnet.prefix,
		.gateway = net->gateway,
	};

	if (!cidr_contains(&net->subnet, ep->addr))
		return -EINVAL;
	return veth_connect(&cfg, ep->host_ifname);
}

static int bridge_drv_disconnect(const struct driver_network *net, const struct driver_endpoint *ep)
{
	(void) net;
	return veth_disconnect(ep->host_ifname);
}

const struct driver_ops driver_bridge_ops = {
	.name = "bridge",
	.create = bridge_drv_create,
	.delete = bridge_drv_delete,
	.connect = bridge_drv_connect,
	.disconnect = bridge_drv_disconnect,
};

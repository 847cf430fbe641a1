/* Networks: named bridge networks (networks/NAME/), their address bitmaps, and the endpoint a
 * running container has on one. The engine keeps them; netdrv does the kernel's part. All
 * functions need the engine lock. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "strutil.h"

struct engine;
struct container;
struct network;

#define NETWORK_DEFAULT "default"

/* Load the networks of the store and re-create their bridges and NAT (idempotent). */
int network_load_all(struct engine *e);
void network_free_all(struct engine *e);

struct network *network_by_name(struct engine *e, const char *name);
struct network *network_by_slot(struct engine *e, uint64_t slot);
struct network *network_next(struct engine *e, struct network *prev);
uint64_t network_slot(const struct network *n);
const char *network_name(const struct network *n);
const char *network_error(const struct network *n);

/* mkdir networks/NAME: a bridge, a subnet from the pool, NAT. -EINVAL bad name, -EEXIST,
 * -ENOSPC pool exhausted. ERR gets the sentence. */
int network_create(struct engine *e, const char *name, struct network **ret, char *err,
		   size_t errsize);
/* rmdir: -EBUSY while a container has an endpoint on it. */
int network_remove(struct engine *e, struct network *n);

enum network_file {
	NETWORK_SUBNET,
	NETWORK_GATEWAY,
	NETWORK_BRIDGE,
	NETWORK_DRIVER,
	NETWORK_IPAM,
	NETWORK_ENDPOINTS,
	NETWORK_ERROR
};
int network_show(struct engine *e, struct network *n, enum network_file f, struct strbuf *out);
/* Write `subnet`: re-plan the network on a new CIDR (-EBUSY with endpoints, -EINVAL bad CIDR,
 * -EEXIST overlapping another network or a route of the host). */
int network_set_subnet(struct engine *e, struct network *n, const char *text, size_t len);

/* A container's endpoint: before its monitor starts (address, ports, /etc files), and after
 * it has stopped (everything given back). The monitor makes the veth itself, inside the
 * container's new network namespace, from the endpoint file written here. */
int network_attach(struct engine *e, struct container *c);
void network_detach(struct engine *e, struct container *c);
/* Its monitor reported the run: copy in the hosts file again if a peer came or went while the
 * monitor was installing the first copy. */
void network_started(struct engine *e, struct container *c);
/* After a restart: mark the addresses of running containers' endpoints used, and give back
 * those of containers that stopped meanwhile. */
void network_reconcile(struct engine *e);
/* The container's address on its network ("" if none). */
int network_container_ip(struct engine *e, const struct container *c, struct strbuf *out);

/* Validate the `network` and `ports` values of a container. */
int network_check_name(const char *name);
int network_parse_port(const char *line, int *ret_proto, uint16_t *ret_host, uint16_t *ret_port);

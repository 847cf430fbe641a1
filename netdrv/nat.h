/* NAT and published ports, in one nftables table that ctrfs owns entirely (`table ip ctrfs`),
 * driven through libnftables. Nothing outside that table is ever read or changed, and the table
 * holds no per-container rule: its few rules are fixed at creation and everything that varies
 * (networks, bridges, published ports) is an element of a named set or map, added and deleted
 * one by one. The table is created with the first network and deleted with the last.
 * docs/networking.md shows the table.
 *
 * Not thread-safe: the caller serialises all nat_* calls (one lock for the table), since adding
 * the first network or removing the last one reads and then changes the table. Every call works
 * in the calling thread's network namespace. */
#pragma once

#include <netinet/in.h>
#include <stdint.h>

#include "cidr.h"

#define NAT_TABLE "ctrfs"

/* Masquerade traffic from SUBNET leaving through any interface but a ctrfs bridge, mark BRIDGE
 * as a ctrfs bridge (traffic between two ctrfs bridges is dropped: networks are isolated), set
 * route_localnet on BRIDGE (so 127.0.0.1:PORT can be DNATed to it, see nat_port_add) and enable
 * net.ipv4.ip_forward (never disabled again: other users of the host may rely on it). Creates the
 * table on first use. Idempotent. -EEXIST when SUBNET overlaps a network already added; -ENOENT
 * when BRIDGE does not exist (create it first). */
int nat_network_add(const struct cidr *subnet, const char *bridge);

/* Undo nat_network_add for SUBNET and BRIDGE; elements already gone are fine. Deletes the
 * whole table when no network is left. */
int nat_network_remove(const struct cidr *subnet, const char *bridge);

/* Publish HOST_PORT (PROTO is IPPROTO_TCP or IPPROTO_UDP) to ADDR:PORT: connections to any local
 * address of the host on HOST_PORT, from other hosts (prerouting) and from the host itself
 * (output), including 127.0.0.1, go to the container. Idempotent for the same mapping; -EBUSY
 * when HOST_PORT is already published to another target; -ENOENT when no network exists (no
 * table); -EINVAL for a bad protocol or port 0. */
int nat_port_add(int proto, uint16_t host_port, struct in_addr addr, uint16_t port);

/* Withdraw HOST_PORT; -ENOENT when it was not published. */
int nat_port_remove(int proto, uint16_t host_port);

/* 0 when HOST_PORT/PROTO is free, -EBUSY when it is published already (the ports map) or a
 * socket of the host has it: for tcp a listening socket, for udp any bound socket, on IPv4 or
 * IPv6, any address (/proc/thread-self/net/{tcp,tcp6,udp,udp6}). A socket bound later can still
 * race with a start; the check catches the common case of a port used by a host service. */
int nat_port_in_use(int proto, uint16_t host_port);

/* 1 when the table exists in the calling thread's network namespace, 0 when not, or -errno. */
int nat_table_exists(void);

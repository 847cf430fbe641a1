/* The subnet pool: where a new network's subnet comes from. A pool is a list of ranges, each a
 * private block carved into subnets of one size ("10.88.0.0/16:24" = the 256 /24s of
 * 10.88.0.0/16). A subnet is free when it overlaps neither another network nor any route of the
 * host (a LAN, a VPN, a docker0...). */
#pragma once

#include <stddef.h>

#include "cidr.h"

/* Used when the daemon is given no pool: 256 /24s in 10.88/16, then 256 in 172.30/16. */
#define POOL_DEFAULT "10.88.0.0/16:24,172.30.0.0/16:24"

#define POOL_MAX_RANGES 16

struct pool_range {
	struct cidr base; /* the block */
	unsigned size;	  /* the prefix of each subnet carved from it, >= base.prefix */
};

/* Parse "BASE/P:SIZE[,BASE/P:SIZE...]" (commas or blanks between ranges) into RANGES (room for
 * MAX). -EINVAL for a bad range or a SIZE outside [base prefix, CIDR_PREFIX_MAX]; -E2BIG when
 * more than MAX ranges are given. */
int pool_parse(const char *spec, struct pool_range *ranges, size_t max, size_t *ret_n);

/* -EEXIST when WANT overlaps one of TAKEN (other networks, host routes), 0 when it is free. */
int pool_check(const struct cidr *want, const struct cidr *taken, size_t n_taken);

/* The first subnet of RANGES, in order, that overlaps none of TAKEN; -ENOSPC when every
 * candidate is taken. Pure: the caller gathers TAKEN (see pool_host_routes). */
int pool_pick(const struct pool_range *ranges, size_t n_ranges, const struct cidr *taken,
	      size_t n_taken, struct cidr *ret);

/* The IPv4 destinations routed by the calling thread's network namespace (every table but
 * `local`), read through libnl, as a malloc'd array the caller frees. Catch-all routes shorter
 * than /8 (the default route, a VPN's 0/1 + 128/1) are left out: they overlap everything and say
 * nothing about which subnets are in use. Routes through the interface IGNORE_IFNAME (a network's
 * own bridge, when its subnet is being re-planned; NULL for none) are left out too. */
int pool_host_routes(const char *ignore_ifname, struct cidr **ret, size_t *ret_n);

/* pool_pick with the host's routes added to OTHERS (the subnets of the other networks). */
int pool_pick_host(const struct pool_range *ranges, size_t n_ranges, const struct cidr *others,
		   size_t n_others, struct cidr *ret);

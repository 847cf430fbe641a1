/* IPv4 addresses and CIDR subnets: strict parsing, formatting and overlap tests. Pure code,
 * no I/O. Addresses are `struct in_addr` (network byte order) as everywhere in netdrv. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* The prefixes a ctrfs network may have: /8 is the largest private block, /30 the smallest
 * subnet that still has one address besides network, gateway and broadcast. */
#define CIDR_PREFIX_MIN 8
#define CIDR_PREFIX_MAX 30

#define CIDR_ADDR_STRLEN 16 /* "255.255.255.255" + NUL */
#define CIDR_STRLEN 19	    /* "255.255.255.255/32" + NUL */

struct cidr {
	struct in_addr addr; /* the network address: host bits are zero */
	unsigned prefix;     /* 0..32 */
};

/* Parse a dotted quad strictly: four decimal octets 0-255, no leading zeros (which other
 * parsers read as octal), no spaces, nothing after. -EINVAL otherwise. */
int cidr_addr_parse(const char *s, struct in_addr *ret);

/* Parse "A.B.C.D/N" for a network: the prefix within [CIDR_PREFIX_MIN, CIDR_PREFIX_MAX] and no
 * host bit set ("10.88.0.1/24" is refused, not silently masked). A trailing newline, as `echo`
 * writes, is accepted. -EINVAL for anything else. */
int cidr_parse(const char *s, struct cidr *ret);

/* As cidr_parse with the prefix bounds given: [0, 32] for routes. */
int cidr_parse_range(const char *s, unsigned min_prefix, unsigned max_prefix, struct cidr *ret);

void cidr_addr_format(struct in_addr addr, char buf[CIDR_ADDR_STRLEN]);
void cidr_format(const struct cidr *c, char buf[CIDR_STRLEN]);

/* Netmask of PREFIX in host byte order (0 for /0). */
uint32_t cidr_mask(unsigned prefix);

/* Number of addresses in C (2^(32-prefix)). */
uint64_t cidr_size(const struct cidr *c);

/* The first host (network + 1): ctrfs's default gateway. */
struct in_addr cidr_first_host(const struct cidr *c);

struct in_addr cidr_broadcast(const struct cidr *c);

bool cidr_contains(const struct cidr *c, struct in_addr addr);

/* True when A and B share at least one address (one contains the other). */
bool cidr_overlaps(const struct cidr *a, const struct cidr *b);

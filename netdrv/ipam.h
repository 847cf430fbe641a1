/* IPAM: the address bitmap of one IPv4 subnet. One bit per address, the network, gateway and
 * broadcast addresses reserved (set), next-fit allocation: the search starts after the address
 * handed out last and wraps, so a released address is not handed out again until the rest of the
 * subnet has been used (a stale peer, ARP cache or conntrack entry for it has time to go).
 *
 * Not thread-safe: the caller serialises every call on one struct ipam with its own lock (the
 * engine's per-network lock), including ipam_save, so the saved file is a state that existed.
 *
 * The text rendering (ipam_render) is both the user's `ipam` file and the persisted form
 * (ipam_save/ipam_load); docs/networking.md describes it. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

struct ipam;

/* A new, empty bitmap for SUBNET (prefix CIDR_PREFIX_MIN..CIDR_PREFIX_MAX) with GATEWAY
 * reserved. -EINVAL for a bad prefix, or a gateway outside the subnet or equal to its network
 * or broadcast address; -ENOMEM. */
int ipam_new(const struct cidr *subnet, struct in_addr gateway, struct ipam **ret);

void ipam_free(struct ipam *ipam);
static inline void ipam_freep(struct ipam **p)
{
	ipam_free(*p);
}

/* Hand out the next free address (next-fit); -ENOSPC when the subnet is full. */
int ipam_alloc(struct ipam *ipam, struct in_addr *ret);

/* Take ADDR. -EINVAL outside the subnet or for a reserved address; -EEXIST when taken. Does not
 * move the next-fit cursor. */
int ipam_alloc_specific(struct ipam *ipam, struct in_addr addr);

/* Give ADDR back. -EINVAL outside the subnet or for a reserved address; -ENOENT when it was not
 * allocated (a double release is reported, never silently ignored). */
int ipam_release(struct ipam *ipam, struct in_addr addr);

bool ipam_is_used(const struct ipam *ipam, struct in_addr addr);

/* Addresses allocated (reserved ones not counted), and how many can be. */
uint32_t ipam_used(const struct ipam *ipam);
uint32_t ipam_capacity(const struct ipam *ipam);

const struct cidr *ipam_subnet(const struct ipam *ipam);
struct in_addr ipam_gateway(const struct ipam *ipam);

/* After a crash the bitmap may disagree with the endpoints that really exist: make IN_USE (the
 * addresses of the live endpoints, N of them) exactly the allocated set. Entries outside the
 * subnet or reserved are ignored. Returns how many addresses changed state (leaks freed plus
 * missing ones marked), so the caller can log it. */
int ipam_reconcile(struct ipam *ipam, const struct in_addr *in_use, size_t n);

/* The text form (NUL-terminated, malloc'd). */
int ipam_render(const struct ipam *ipam, char **ret_text, size_t *ret_len);

/* Parse the text form back. -EINVAL (never a guess) when it is malformed or inconsistent: a
 * reserved bit clear, a row outside the subnet, a count that does not match the bits. */
int ipam_parse(const char *text, struct ipam **ret);

/* Persist to PATH atomically (temporary file + rename): a crash leaves the old or the new state,
 * never a torn one. No fsync: after a power loss ipam_reconcile repairs whatever is lost. */
int ipam_save(const struct ipam *ipam, const char *path);

int ipam_load(const char *path, struct ipam **ret);

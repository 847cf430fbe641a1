#include "pool.h"

#include <ctype.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "nl.h"

int pool_parse(const char *spec, struct pool_range *ranges, size_t max, size_t *ret_n)
{
	size_t n = 0;
	const char *p = spec;

	if (!spec)
		return -EINVAL;
	for (;;) {
		char item[64], *colon, *end;
		size_t len;
		unsigned long size;
		struct pool_range r;

		while (*p == ',' || isspace((unsigned char) *p))
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, ", \t\n");
		if (len >= sizeof(item))
			return -EINVAL;
		memcpy(item, p, len);
		item[len] = '\0';
		p += len;

		colon = strchr(item, ':');
		if (!colon)
			return -EINVAL;
		*colon = '\0';
		if (cidr_parse(item, &r.base) < 0)
			return -EINVAL;
		if (colon[1] < '0' || colon[1] > '9')
			return -EINVAL;
		errno = 0;
		size = strtoul(colon + 1, &end, 10);
		if (errno || *end || size < r.base.prefix || size > CIDR_PREFIX_MAX)
			return -EINVAL;
		r.size = (unsigned) size;
		if (n == max)
			return -E2BIG;
		ranges[n++] = r;
	}
	if (n == 0)
		return -EINVAL;
	*ret_n = n;
	return 0;
}

int pool_check(const struct cidr *want, const struct cidr *taken, size_t n_taken)
{
	for (size_t i = 0; i < n_taken; i++)
		if (cidr_overlaps(want, &taken[i]))
			return -EEXIST;
	return 0;
}

int pool_pick(const struct pool_range *ranges, size_t n_ranges, const struct cidr *taken,
	      size_t n_taken, struct cidr *ret)
{
	for (size_t i = 0; i < n_ranges; i++) {
		const struct pool_range *r = &ranges[i];
		uint64_t count = (uint64_t) 1 << (r->size - r->base.prefix);
		uint32_t step = (uint32_t) (cidr_size(&(struct cidr){.prefix = r->size}));
		uint32_t base = ntohl(r->base.addr.s_addr);

		/* At most 2^22 candidates (a /8 in /30s) times the taken list: each step is a
		 * mask-and-compare, so even that worst case stays well under a second. */
		for (uint64_t k = 0; k < count; k++) {
			struct cidr c = {
				.addr.s_addr = htonl(base + (uint32_t) k * step),
				.prefix = r->size,
			};
			if (pool_check(&c, taken, n_taken) == 0) {
				*ret = c;
				return 0;
			}
		}
	}
	return -ENOSPC;
}

int pool_host_routes(const char *ignore_ifname, struct cidr **ret, size_t *ret_n)
{
	_cleanup_nlsock_ struct nl_sock *sock = NULL;
	_cleanup_(netlink_cache_freep) struct nl_cache *cache = NULL;
	_cleanup_free_ struct cidr *list = NULL;
	int ignore_index = 0, r;
	size_t n = 0, cap;

	r = netlink_open(-1, &sock);
	if (r < 0)
		return r;
	if (ignore_ifname) {
		r = netlink_ifindex(sock, ignore_ifname);
		if (r < 0 && r != -ENODEV)
			return r;
		ignore_index = r > 0 ? r : 0;
	}
	r = netlink_errno(rtnl_route_alloc_cache(sock, AF_INET, 0, &cache));
	if (r < 0)
		return r;
	cap = (size_t) nl_cache_nitems(cache);
	list = calloc(cap ? cap : 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (struct nl_object *o = nl_cache_get_first(cache); o && n < cap;
	     o = nl_cache_get_next(o)) {
		struct rtnl_route *route = (struct rtnl_route *) o;
		struct nl_addr *dst = rtnl_route_get_dst(route);
		struct rtnl_nexthop *nh;
		unsigned prefix;

		if (rtnl_route_get_table(route) == RT_TABLE_LOCAL || !dst ||
		    nl_addr_get_family(dst) != AF_INET || nl_addr_get_len(dst) != 4)
			continue;
		prefix = nl_addr_get_prefixlen(dst);
		if (prefix < CIDR_PREFIX_MIN || prefix > 32)
			continue;
		nh = rtnl_route_get_nnexthops(route) > 0 ? rtnl_route_nexthop_n(route, 0) : NULL;
		if (ignore_index && nh && rtnl_route_nh_get_ifindex(nh) == ignore_index)
			continue;
		memcpy(&list[n].addr, nl_addr_get_binary_addr(dst), 4);
		list[n].addr.s_addr &= htonl(cidr_mask(prefix));
		list[n].prefix = prefix;
		n++;
	}
	*ret = TAKE_PTR(list);
	*ret_n = n;
	return 0;
}

int pool_pick_host(const struct pool_range *ranges, size_t n_ranges, const struct cidr *others,
		   size_t n_others, struct cidr *ret)
{
	_cleanup_free_ struct cidr *routes = NULL, *all = NULL;
	size_t n_routes = 0;
	int r = pool_host_routes(NULL, &routes, &n_routes);

	if (r < 0)
		return r;
	all = calloc(n_routes + n_others + 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	if (n_others)
		memcpy(all, others, n_others * sizeof(*all));
	if (n_routes)
		memcpy(all + n_others, routes, n_routes * sizeof(*all));
	return pool_pick(ranges, n_ranges, all, n_others + n_routes, ret);
}

#include "cidr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Read a decimal number of at most MAX_DIGITS digits, no sign and no leading zero; advance *P. */
static int parse_decimal(const char **p, unsigned max_digits, unsigned *ret)
{
	const char *s = *p;
	unsigned v = 0, n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (n == max_digits)
			return -EINVAL;
		v = v * 10 + (unsigned) (s[n] - '0');
		n++;
	}
	if (n == 0 || (n > 1 && s[0] == '0'))
		return -EINVAL;
	*p = s + n;
	*ret = v;
	return 0;
}

/* Parse the four octets at *P; advance *P past them. */
static int parse_quad(const char **p, uint32_t *ret)
{
	uint32_t a = 0;

	for (int i = 0; i < 4; i++) {
		unsigned octet;

		if (i > 0 && *(*p)++ != '.')
			return -EINVAL;
		if (parse_decimal(p, 3, &octet) < 0 || octet > 255)
			return -EINVAL;
		a = a << 8 | octet;
	}
	*ret = a;
	return 0;
}

int cidr_addr_parse(const char *s, struct in_addr *ret)
{
	uint32_t a;

	if (!s || parse_quad(&s, &a) < 0 || *s != '\0')
		return -EINVAL;
	ret->s_addr = htonl(a);
	return 0;
}

int cidr_parse_range(const char *s, unsigned min_prefix, unsigned max_prefix, struct cidr *ret)
{
	uint32_t a;
	unsigned prefix;

	if (!s || parse_quad(&s, &a) < 0 || *s++ != '/')
		return -EINVAL;
	if (parse_decimal(&s, 2, &prefix) < 0)
		return -EINVAL;
	if (*s == '\n')
		s++;
	if (*s != '\0' || prefix < min_prefix || prefix > max_prefix || prefix > 32)
		return -EINVAL;
	if (a & ~cidr_mask(prefix))
		return -EINVAL;
	ret->addr.s_addr = htonl(a);
	ret->prefix = prefix;
	return 0;
}

int cidr_parse(const char *s, struct cidr *ret)
{
	return cidr_parse_range(s, CIDR_PREFIX_MIN, CIDR_PREFIX_MAX, ret);
}

void cidr_addr_format(struct in_addr addr, char buf[CIDR_ADDR_STRLEN])
{
	uint32_t a = ntohl(addr.s_addr);

	snprintf(buf, CIDR_ADDR_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
		 a & 0xff);
}

void cidr_format(const struct cidr *c, char buf[CIDR_STRLEN])
{
	char a[CIDR_ADDR_STRLEN];

	cidr_addr_format(c->addr, a);
	snprintf(buf, CIDR_STRLEN, "%s/%u", a, c->prefix);
}

uint32_t cidr_mask(unsigned prefix)
{
	/* A shift by 32 is undefined in C: /0 needs its own case. */
	return prefix == 0 ? 0 : 0xffffffffu << (32 - (prefix > 32 ? 32 : prefix));
}

uint64_t cidr_size(const struct cidr *c)
{
	return (uint64_t) 1 << (32 - c->prefix);
}

struct in_addr cidr_first_host(const struct cidr *c)
{
	return (struct in_addr){htonl(ntohl(c->addr.s_addr) + 1)};
}

struct in_addr cidr_broadcast(const struct cidr *c)
{
	return (struct in_addr){htonl(ntohl(c->addr.s_addr) | ~cidr_mask(c->prefix))};
}

bool cidr_contains(const struct cidr *c, struct in_addr addr)
{
	uint32_t m = cidr_mask(c->prefix);

	return (ntohl(addr.s_addr) & m) == (ntohl(c->addr.s_addr) & m);
}

bool cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
	/* Two aligned blocks overlap exactly when they agree on the shorter prefix. */
	uint32_t m = cidr_mask(a->prefix < b->prefix ? a->prefix : b->prefix);

	return (ntohl(a->addr.s_addr) & m) == (ntohl(b->addr.s_addr) & m);
}

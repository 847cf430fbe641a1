/* CIDR parsing/formatting and the subnet pool: strict validation, overlap, picking the first
 * free subnet around other networks and host routes. No root needed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cidr.h"
#include "cleanup.h"
#include "pool.h"

static struct cidr C(const char *s) {
	struct cidr c;

	if (cidr_parse_range(s, 0, 32, &c) < 0)
		abort();
	return c;
}

static bool
fmt_is(const struct cidr *c, const char *want)
{
	char buf[CIDR_STRLEN];

	cidr_format(c, buf);
	return strcmp(buf, want) == 0;
}

static void test_parse(void)
{
	static const char *const bad[] = {
		"10.88.0.1/24", "10.88.0.0/7",	  "10.88.0.0/31", "10.88.0.0/32",
		"010.1.0.0/16", "10.88.0/24",	  "10.88.0.0/",	  "10.88.0.0/24x",
		"256.0.0.0/8",	" 10.0.0.0/8",	  "10.0.0.0/08",  "",
		"10.0.0.0",	"10.0.0.0/8\n\n", "10.0.0.0/-8",  "10.0.0.0/+8",
		"1.2.3.4.5/30", "10.0.0.0/100",	  "a.b.c.d/8",	  "10..0.0/16",
	};
	struct cidr c;
	struct in_addr a;
	char buf[CIDR_ADDR_STRLEN];

	CHECK(cidr_parse("10.88.0.0/24", &c) == 0 && fmt_is(&c, "10.88.0.0/24"));
	CHECK(cidr_parse("172.30.4.0/22\n", &c) == 0 && fmt_is(&c, "172.30.4.0/22"));
	CHECK(cidr_parse("10.0.0.0/8", &c) == 0 && c.prefix == 8);
	CHECK(cidr_parse("192.168.1.252/30", &c) == 0 && cidr_size(&c) == 4);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK(cidr_parse(bad[i], &c) == -EINVAL);
	CHECK(cidr_parse(NULL, &c) == -EINVAL);
	CHECK(cidr_parse_range("0.0.0.0/0", 0, 32, &c) == 0 && c.prefix == 0);
	CHECK(cidr_parse_range("10.1.2.3/32", 0, 32, &c) == 0);

	CHECK(cidr_addr_parse("10.88.0.2", &a) == 0 && ntohl(a.s_addr) == 0x0a580002);
	CHECK(cidr_addr_parse("10.88.0.02", &a) == -EINVAL);
	CHECK(cidr_addr_parse("10.88.0.2 ", &a) == -EINVAL);
	CHECK(cidr_addr_parse("10.88.0.2/24", &a) == -EINVAL);
	cidr_addr_format((struct in_addr){htonl(0xffffffff)}, buf);
	CHECK_STR(buf, "255.255.255.255");
}

static void test_math(void)
{
	struct cidr a = C("10.88.0.0/16"), b = C("10.88.5.0/24"), d = C("10.89.0.0/24");
	char buf[CIDR_ADDR_STRLEN];

	CHECK(cidr_overlaps(&a, &b) && cidr_overlaps(&b, &a));
	CHECK(!cidr_overlaps(&a, &d) && !cidr_overlaps(&b, &d));
	CHECK(cidr_contains(&b, (struct in_addr){htonl(0x0a580507)}));
	CHECK(!cidr_contains(&b, (struct in_addr){htonl(0x0a580607)}));
	cidr_addr_format(cidr_first_host(&b), buf);
	CHECK_STR(buf, "10.88.5.1");
	cidr_addr_format(cidr_broadcast(&b), buf);
	CHECK_STR(buf, "10.88.5.255");
	CHECK(cidr_mask(0) == 0 && cidr_mask(32) == 0xffffffffu && cidr_mask(24) == 0xffffff00u);
	CHECK(cidr_size(&a) == 65536);
}

static void test_pool(void)
{
	struct pool_range r[POOL_MAX_RANGES];
	size_t n = 0;
	struct cidr got;

	CHECK(pool_parse(POOL_DEFAULT, r, ARRAY_SIZE(r), &n) == 0 && n == 2);
	CHECK(fmt_is(&r[1].base, "172.30.0.0/16") && r[1].size == 24);
	CHECK(pool_parse("10.10.0.0/16:8", r, ARRAY_SIZE(r), &n) == -EINVAL);
	CHECK(pool_parse("10.10.0.0/16:31", r, ARRAY_SIZE(r), &n) == -EINVAL);
	CHECK(pool_parse("10.10.0.0/16", r, ARRAY_SIZE(r), &n) == -EINVAL);
	CHECK(pool_parse("10.10.0.0/16:", r, ARRAY_SIZE(r), &n) == -EINVAL);
	CHECK(pool_parse("", r, ARRAY_SIZE(r), &n) == -EINVAL);
	CHECK(pool_parse("10.1.0.0/16:24 10.2.0.0/16:24 10.3.0.0/16:24", r, 2, &n) == -E2BIG);
	CHECK(pool_parse(" 10.1.0.0/16:24,\n10.2.0.0/23:24 ", r, ARRAY_SIZE(r), &n) == 0 && n == 2);

	CHECK(pool_parse(POOL_DEFAULT, r, ARRAY_SIZE(r), &n) == 0);
	CHECK(pool_pick(r, n, NULL, 0, &got) == 0 && fmt_is(&got, "10.88.0.0/24"));
	{
		struct cidr t[] = {C("10.88.0.0/24")};
		CHECK(pool_pick(r, n, t, 1, &got) == 0 && fmt_is(&got, "10.88.1.0/24"));
		CHECK(pool_check(&t[0], t, 1) == -EEXIST);
	}
	{
		/* a host route of a /25 inside the first candidate excludes it */
		struct cidr t[] = {C("10.88.0.128/25"), C("10.88.1.0/24"), C("10.88.2.7/32")};
		CHECK(pool_pick(r, n, t, 3, &got) == 0 && fmt_is(&got, "10.88.3.0/24"));
	}
	{
		/* a wide route (a VPN's 10/8) pushes the pick to the next range */
		struct cidr t[] = {C("10.0.0.0/8")};
		CHECK(pool_pick(r, n, t, 1, &got) == 0 && fmt_is(&got, "172.30.0.0/24"));
		struct cidr want = C("10.200.0.0/24");
		CHECK(pool_check(&want, t, 1) == -EEXIST);
		want = C("192.168.0.0/24");
		CHECK(pool_check(&want, t, 1) == 0);
	}
	{
		struct cidr t[] = {C("10.88.0.0/16"), C("172.30.0.0/16")};
		CHECK(pool_pick(r, n, t, 2, &got) == -ENOSPC);
	}
	{
		struct pool_range tiny[1];
		size_t k;
		CHECK(pool_parse("10.5.0.0/29:30", tiny, 1, &k) == 0);
		struct cidr t[] = {C("10.5.0.0/30")};
		CHECK(pool_pick(tiny, k, t, 1, &got) == 0 && fmt_is(&got, "10.5.0.4/30"));
	}
}

int main(void)
{
	test_parse();
	test_math();
	test_pool();
	return check_done();
}

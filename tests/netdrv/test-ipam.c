/* IPAM bitmap: allocation order (next-fit), reserved addresses, exhaustion, the text form and
 * its strict parser, persistence and crash reconciliation. No root needed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cidr.h"
#include "cleanup.h"
#include "ipam.h"

static struct in_addr A(const char *s) {
	struct in_addr a = {0};

	if (cidr_addr_parse(s, &a) < 0)
		abort();
	return a;
}

static struct ipam *
make(const char *subnet, const char *gw)
{
	struct cidr c;
	struct ipam *m = NULL;

	if (cidr_parse(subnet, &c) < 0 || ipam_new(&c, A(gw), &m) < 0)
		abort();
	return m;
}

static bool got(struct ipam *m, const char *want)
{
	struct in_addr a;
	char s[CIDR_ADDR_STRLEN];

	if (ipam_alloc(m, &a) < 0)
		return false;
	cidr_addr_format(a, s);
	return strcmp(s, want) == 0;
}

static void test_next_fit(void)
{
	_cleanup_(ipam_freep) struct ipam *m = make("10.88.0.0/24", "10.88.0.1");
	struct in_addr a;

	CHECK(ipam_capacity(m) == 253);
	CHECK(ipam_used(m) == 0);
	CHECK(got(m, "10.88.0.2"));
	CHECK(got(m, "10.88.0.3"));
	CHECK(got(m, "10.88.0.4"));
	CHECK(ipam_release(m, A("10.88.0.3")) == 0);
	/* next-fit: the released .3 is not handed out again at once */
	CHECK(got(m, "10.88.0.5"));
	CHECK(ipam_used(m) == 3);
	CHECK(ipam_release(m, A("10.88.0.3")) == -ENOENT);
	CHECK(ipam_release(m, A("10.88.0.1")) == -EINVAL);
	CHECK(ipam_release(m, A("10.88.0.0")) == -EINVAL);
	CHECK(ipam_release(m, A("10.88.0.255")) == -EINVAL);
	CHECK(ipam_release(m, A("10.88.1.7")) == -EINVAL);
	CHECK(ipam_alloc_specific(m, A("10.88.0.3")) == 0);
	CHECK(ipam_alloc_specific(m, A("10.88.0.3")) == -EEXIST);
	CHECK(ipam_alloc_specific(m, A("10.88.0.1")) == -EINVAL);
	CHECK(ipam_alloc_specific(m, A("10.88.0.255")) == -EINVAL);
	CHECK(ipam_alloc_specific(m, A("10.89.0.3")) == -EINVAL);
	CHECK(ipam_is_used(m, A("10.88.0.3")));
	CHECK(!ipam_is_used(m, A("10.88.0.6")));
	/* the specific allocation did not move the cursor */
	CHECK(got(m, "10.88.0.6"));
	CHECK(ipam_used(m) == 5);
	(void) a;
}

static void test_exhaust_28(void)
{
	_cleanup_(ipam_freep) struct ipam *m = make("192.168.7.16/28", "192.168.7.17");
	struct in_addr a, seen[13];
	bool distinct = true;

	CHECK(ipam_capacity(m) == 13);
	for (int i = 0; i < 13; i++) {
		CHECK(ipam_alloc(m, &seen[i]) == 0);
		for (int j = 0; j < i; j++)
			distinct &= seen[i].s_addr != seen[j].s_addr;
	}
	CHECK(distinct);
	CHECK(ipam_alloc(m, &a) == -ENOSPC);
	CHECK(ipam_used(m) == 13);
	CHECK(ipam_release(m, A("192.168.7.20")) == 0);
	CHECK(ipam_release(m, A("192.168.7.25")) == 0);
	/* the cursor wrapped: the lowest free address after the last one handed out (.30) */
	CHECK(got(m, "192.168.7.20"));
	CHECK(got(m, "192.168.7.25"));
	CHECK(ipam_alloc(m, &a) == -ENOSPC);
}

static void test_small_and_gateway(void)
{
	_cleanup_(ipam_freep) struct ipam *m = make("10.0.0.0/30", "10.0.0.1");
	_cleanup_(ipam_freep) struct ipam *g = make("10.1.0.0/24", "10.1.0.254");
	_cleanup_free_ char *text = NULL;
	struct ipam *bad = NULL;
	struct cidr c;
	struct in_addr a;
	size_t len;

	CHECK(ipam_capacity(m) == 1);
	CHECK(got(m, "10.0.0.2"));
	CHECK(ipam_alloc(m, &a) == -ENOSPC);
	CHECK(ipam_render(m, &text, &len) == 0);
	CHECK_STR(text, "subnet 10.0.0.0/30\ngateway 10.0.0.1\nused 1 of 1\nnext 10.0.0.3\n"
			"10.0.0.0        f\n");
	CHECK(got(g, "10.1.0.1"));
	CHECK(ipam_alloc_specific(g, A("10.1.0.254")) == -EINVAL);
	CHECK(cidr_parse("10.2.0.0/24", &c) == 0);
	CHECK(ipam_new(&c, A("10.2.0.0"), &bad) == -EINVAL);
	CHECK(ipam_new(&c, A("10.2.0.255"), &bad) == -EINVAL);
	CHECK(ipam_new(&c, A("10.3.0.1"), &bad) == -EINVAL);
	c.prefix = 31;
	CHECK(ipam_new(&c, A("10.2.0.1"), &bad) == -EINVAL);
	CHECK(bad == NULL);
}

static void test_render_parse(void)
{
	_cleanup_(ipam_freep) struct ipam *m = make("10.88.0.0/24", "10.88.0.1");
	_cleanup_(ipam_freep) struct ipam *back = NULL;
	_cleanup_free_ char *text = NULL, *again = NULL;
	size_t len, len2;

	CHECK(got(m, "10.88.0.2"));
	CHECK(ipam_alloc_specific(m, A("10.88.0.100")) == 0);
	CHECK(ipam_render(m, &text, &len) == 0);
	CHECK_STR(text, "subnet 10.88.0.0/24\n"
			"gateway 10.88.0.1\n"
			"used 2 of 253\n"
			"next 10.88.0.3\n"
			"10.88.0.0       e000000000000000\n"
			"10.88.0.64      0000000008000000\n"
			"10.88.0.128     0000000000000000\n"
			"10.88.0.192     0000000000000001\n");
	CHECK(len == strlen(text));
	CHECK(ipam_parse(text, &back) == 0);
	CHECK(back && ipam_used(back) == 2 && ipam_is_used(back, A("10.88.0.100")));
	CHECK(back && ipam_render(back, &again, &len2) == 0 && strcmp(text, again) == 0);
	/* next-fit survives the round trip */
	CHECK(back && got(back, "10.88.0.3"));
}

static void test_parse_errors(void)
{
	static const char *const bad[] = {
		"",
		"subnet 10.88.0.0/24\n",
		/* gateway bit clear */
		"subnet 10.88.0.0/24\ngateway 10.88.0.1\nused 0 of 253\nnext 10.88.0.1\n"
		"10.88.0.0       8000000000000000\n10.88.0.64      0000000000000000\n*\n"
		"10.88.0.192     0000000000000001\n",
		/* count does not match the bits */
		"subnet 10.88.0.0/24\ngateway 10.88.0.1\nused 5 of 253\nnext 10.88.0.1\n"
		"10.88.0.0       c000000000000000\n10.88.0.64      0000000000000000\n*\n"
		"10.88.0.192     0000000000000001\n",
		/* last row missing */
		"subnet 10.88.0.0/24\ngateway 10.88.0.1\nused 0 of 253\nnext 10.88.0.1\n"
		"10.88.0.0       c000000000000000\n10.88.0.64      0000000000000000\n*\n",
		/* a row out of order */
		"subnet 10.88.0.0/24\ngateway 10.88.0.1\nused 0 of 253\nnext 10.88.0.1\n"
		"10.88.0.0       c000000000000000\n10.88.0.128     0000000000000000\n"
		"10.88.0.64      0000000000000000\n10.88.0.192     0000000000000001\n",
		/* short row */
		"subnet 10.88.0.0/24\ngateway 10.88.0.1\nused 0 of 253\nnext 10.88.0.1\n"
		"10.88.0.0       c00000000000000\n10.88.0.64      0000000000000000\n*\n"
		"10.88.0.192     0000000000000001\n",
		/* not hex digits */
		"subnet 10.88.0.0/24\ngateway 10.88.0.1\nused 0 of 253\nnext 10.88.0.1\n"
		"10.88.0.0       +c00000000000000\n10.88.0.64      0000000000000000\n*\n"
		"10.88.0.192     0000000000000001\n",
		/* host bits in the subnet */
		"subnet 10.88.0.5/24\ngateway 10.88.0.1\nused 0 of 253\nnext 10.88.0.1\n"
		"10.88.0.0       c000000000000000\n10.88.0.64      0000000000000000\n*\n"
		"10.88.0.192     0000000000000001\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct ipam *m = NULL;
		CHECK(ipam_parse(bad[i], &m) == -EINVAL && m == NULL);
	}
}

static void test_save_load_star(void)
{
	_cleanup_(ipam_freep) struct ipam *m = make("10.90.0.0/16", "10.90.0.1");
	_cleanup_(ipam_freep) struct ipam *back = NULL;
	_cleanup_free_ char *text = NULL;
	char dir[] = "/tmp/test-ipam-XXXXXX", path[64];
	size_t len;

	CHECK(got(m, "10.90.0.2"));
	CHECK(ipam_alloc_specific(m, A("10.90.200.7")) == 0);
	CHECK(ipam_render(m, &text, &len) == 0);
	/* runs of equal rows collapse as in hexdump: 3 rows + 2 stars + the last row */
	CHECK(strstr(text, "10.90.0.0       e000000000000000\n"
			   "10.90.0.64      0000000000000000\n*\n"
			   "10.90.200.0     0100000000000000\n"
			   "10.90.200.64    0000000000000000\n*\n"
			   "10.90.255.192   0000000000000001\n") != NULL);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ipam", dir);
	CHECK(ipam_save(m, path) == 0);
	CHECK(ipam_load(path, &back) == 0);
	CHECK(back && ipam_used(back) == 2 && ipam_is_used(back, A("10.90.200.7")) &&
	      !ipam_is_used(back, A("10.90.200.8")));
	CHECK(ipam_load("/nonexistent/ipam", &back) == -ENOENT);
	unlink(path);
	rmdir(dir);
}

static void test_reconcile(void)
{
	_cleanup_(ipam_freep) struct ipam *m = make("10.88.0.0/24", "10.88.0.1");
	struct in_addr live[] = {A("10.88.0.3"), A("10.88.0.9"), A("10.77.0.9"), A("10.88.0.1"),
				 A("10.88.0.9")};

	CHECK(got(m, "10.88.0.2"));
	CHECK(got(m, "10.88.0.3"));
	CHECK(got(m, "10.88.0.4"));
	/* .2 and .4 leaked (freed), .9 missing (marked); outside, reserved and duplicates ignored */
	CHECK(ipam_reconcile(m, live, ARRAY_SIZE(live)) == 3);
	CHECK(ipam_used(m) == 2);
	CHECK(!ipam_is_used(m, A("10.88.0.2")) && ipam_is_used(m, A("10.88.0.3")));
	CHECK(!ipam_is_used(m, A("10.88.0.4")) && ipam_is_used(m, A("10.88.0.9")));
	CHECK(ipam_is_used(m, A("10.88.0.1")));
	CHECK(ipam_reconcile(m, live, ARRAY_SIZE(live)) == 0);
	CHECK(got(m, "10.88.0.5"));
}

static void test_full_16(void)
{
	_cleanup_(ipam_freep) struct ipam *m = make("10.70.0.0/16", "10.70.0.1");
	struct in_addr a;
	uint32_t n = 0;

	while (ipam_alloc(m, &a) == 0)
		n++;
	CHECK(n == 65533);
	CHECK(ipam_used(m) == 65533);
	CHECK(ipam_release(m, A("10.70.128.0")) == 0);
	CHECK(got(m, "10.70.128.0"));
}

int main(void)
{
	test_next_fit();
	test_exhaust_28();
	test_small_and_gateway();
	test_render_parse();
	test_parse_errors();
	test_save_load_star();
	test_reconcile();
	test_full_16();
	return check_done();
}

#include "ipam.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fileio.h"

/* Address index I (its offset from the network address) is bit 63 - I % 64 of word I / 64: the
 * most significant bit first, so a word printed in hex reads left to right in address order. */
#define ROW_BITS 64
#define BIT(i) (UINT64_C(1) << (63 - ((i) &63)))

/* The persisted file is small even for a /16 (1,024 rows at most, runs of equal rows collapse);
 * a /8 is 262,144 rows, so this bound is for the worst case. */
#define IPAM_FILE_MAX (16u << 20)

struct ipam {
	struct cidr subnet;
	uint32_t size;	  /* addresses in the subnet */
	uint32_t gateway; /* index of the gateway */
	uint32_t next;	  /* index where the next search starts */
	uint32_t used;	  /* allocated, reserved ones not counted */
	size_t n_words;
	uint64_t *bits;
};

static bool bit_get(const struct ipam *m, uint32_t i)
{
	return m->bits[i / ROW_BITS] & BIT(i);
}

static void bit_set(struct ipam *m, uint32_t i, bool on)
{
	if (on)
		m->bits[i / ROW_BITS] |= BIT(i);
	else
		m->bits[i / ROW_BITS] &= ~BIT(i);
}

static bool reserved(const struct ipam *m, uint32_t i)
{
	return i == 0 || i == m->gateway || i == m->size - 1;
}

/* Index of ADDR in the subnet; -EINVAL outside it. */
static int64_t index_of(const struct ipam *m, struct in_addr addr)
{
	if (!cidr_contains(&m->subnet, addr))
		return -EINVAL;
	return ntohl(addr.s_addr) - ntohl(m->subnet.addr.s_addr);
}

static struct in_addr addr_of(const struct ipam *m, uint32_t i)
{
	return (struct in_addr){htonl(ntohl(m->subnet.addr.s_addr) + i)};
}

/* Reset to the empty state: only the reserved bits, and the padding bits past the end of a
 * subnet smaller than one word, which are set so that the search never returns them. */
static void reset_bits(struct ipam *m)
{
	memset(m->bits, 0, m->n_words * sizeof(uint64_t));
	if (m->size < ROW_BITS)
		m->bits[0] = UINT64_MAX >> m->size;
	bit_set(m, 0, true);
	bit_set(m, m->gateway, true);
	bit_set(m, m->size - 1, true);
	m->used = 0;
}

int ipam_new(const struct cidr *subnet, struct in_addr gateway, struct ipam **ret)
{
	_cleanup_(ipam_freep) struct ipam *m = NULL;
	int64_t gw;

	if (subnet->prefix < CIDR_PREFIX_MIN || subnet->prefix > CIDR_PREFIX_MAX ||
	    (ntohl(subnet->addr.s_addr) & ~cidr_mask(subnet->prefix)))
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->subnet = *subnet;
	m->size = (uint32_t) cidr_size(subnet);
	gw = index_of(m, gateway);
	if (gw <= 0 || gw >= m->size - 1)
		return -EINVAL;
	m->gateway = (uint32_t) gw;
	m->n_words = (m->size + ROW_BITS - 1) / ROW_BITS;
	m->bits = calloc(m->n_words, sizeof(uint64_t));
	if (!m->bits)
		return -ENOMEM;
	reset_bits(m);
	m->next = 1;
	*ret = TAKE_PTR(m);
	return 0;
}

void ipam_free(struct ipam *m)
{
	if (!m)
		return;
	free(m->bits);
	free(m);
}

/* First clear bit in [FROM, TO), or -1: a word at a time, so a full /16 is 1,024 steps. */
static int64_t find_free(const struct ipam *m, uint32_t from, uint32_t to)
{
	uint32_t i = from;

	while (i < to) {
		uint32_t w = i / ROW_BITS;
		uint64_t avail = ~m->bits[w] & (UINT64_MAX >> (i & 63));

		if (avail) {
			uint32_t idx = w * ROW_BITS + (uint32_t) __builtin_clzll(avail);
			return idx < to ? (int64_t) idx : -1;
		}
		i = (w + 1) * ROW_BITS;
	}
	return -1;
}

int ipam_alloc(struct ipam *m, struct in_addr *ret)
{
	int64_t i = find_free(m, m->next, m->size);

	if (i < 0)
		i = find_free(m, 0, m->next);
	if (i < 0)
		return -ENOSPC;
	bit_set(m, (uint32_t) i, true);
	m->used++;
	m->next = (uint32_t) (i + 1) % m->size;
	*ret = addr_of(m, (uint32_t) i);
	return 0;
}

int ipam_alloc_specific(struct ipam *m, struct in_addr addr)
{
	int64_t i = index_of(m, addr);

	if (i < 0 || reserved(m, (uint32_t) i))
		return -EINVAL;
	if (bit_get(m, (uint32_t) i))
		return -EEXIST;
	bit_set(m, (uint32_t) i, true);
	m->used++;
	return 0;
}

int ipam_release(struct ipam *m, struct in_addr addr)
{
	int64_t i = index_of(m, addr);

	if (i < 0 || reserved(m, (uint32_t) i))
		return -EINVAL;
	if (!bit_get(m, (uint32_t) i))
		return -ENOENT;
	bit_set(m, (uint32_t) i, false);
	m->used--;
	return 0;
}

bool ipam_is_used(const struct ipam *m, struct in_addr addr)
{
	int64_t i = index_of(m, addr);

	return i >= 0 && bit_get(m, (uint32_t) i);
}

uint32_t ipam_used(const struct ipam *m)
{
	return m->used;
}

uint32_t ipam_capacity(const struct ipam *m)
{
	return m->size - 3;
}

const struct cidr *ipam_subnet(const struct ipam *m)
{
	return &m->subnet;
}

struct in_addr ipam_gateway(const struct ipam *m)
{
	return addr_of(m, m->gateway);
}

int ipam_reconcile(struct ipam *m, const struct in_addr *in_use, size_t n)
{
	_cleanup_free_ uint64_t *old = malloc(m->n_words * sizeof(uint64_t));
	int changed = 0;

	if (!old)
		return -ENOMEM;
	memcpy(old, m->bits, m->n_words * sizeof(uint64_t));
	reset_bits(m);
	for (size_t k = 0; k < n; k++) {
		int64_t i = index_of(m, in_use[k]);

		if (i < 0 || reserved(m, (uint32_t) i) || bit_get(m, (uint32_t) i))
			continue;
		bit_set(m, (uint32_t) i, true);
		m->used++;
	}
	for (size_t w = 0; w < m->n_words; w++)
		changed += __builtin_popcountll(old[w] ^ m->bits[w]);
	return changed;
}

/* Row R as printed: 16 hex digits, or fewer for a subnet smaller than a row. */
static uint64_t row_value(const struct ipam *m, uint32_t r)
{
	return m->size < ROW_BITS ? m->bits[0] >> (ROW_BITS - m->size) : m->bits[r];
}

static int row_digits(const struct ipam *m)
{
	return m->size < ROW_BITS ? (int) m->size / 4 : ROW_BITS / 4;
}

int ipam_render(const struct ipam *m, char **ret_text, size_t *ret_len)
{
	char net[CIDR_STRLEN], gw[CIDR_ADDR_STRLEN], next[CIDR_ADDR_STRLEN], a[CIDR_ADDR_STRLEN];
	size_t cap = 160 + m->n_words * 36, len;
	_cleanup_free_ char *buf = malloc(cap);
	bool star = false;

	if (!buf)
		return -ENOMEM;
	cidr_format(&m->subnet, net);
	cidr_addr_format(addr_of(m, m->gateway), gw);
	cidr_addr_format(addr_of(m, m->next), next);
	len = (size_t) snprintf(buf, cap,
				"subnet %s\ngateway %s\nused %" PRIu32 " of %" PRIu32 "\nnext %s\n",
				net, gw, m->used, ipam_capacity(m), next);
	for (uint32_t r = 0; r < m->n_words; r++) {
		/* As hexdump does: a run of rows equal to the one above is one `*` line. The last
		 * row is always printed, so the text ends with a real row. */
		if (r > 0 && r + 1 < m->n_words && m->bits[r] == m->bits[r - 1]) {
			if (!star)
				len += (size_t) snprintf(buf + len, cap - len, "*\n");
			star = true;
			continue;
		}
		star = false;
		cidr_addr_format(addr_of(m, r * ROW_BITS), a);
		len += (size_t) snprintf(buf + len, cap - len, "%-15s %0*" PRIx64 "\n", a,
					 row_digits(m), row_value(m, r));
	}
	*ret_len = len;
	*ret_text = TAKE_PTR(buf);
	return 0;
}

/* Match "KEY VALUE\n" at *P; copy VALUE into VAL (size N) and advance *P. */
static int header_line(const char **p, const char *key, char *val, size_t n)
{
	size_t klen = strlen(key), vlen;
	const char *eol;

	if (strncmp(*p, key, klen) != 0 || (*p)[klen] != ' ')
		return -EINVAL;
	eol = strchr(*p + klen + 1, '\n');
	if (!eol)
		return -EINVAL;
	vlen = (size_t) (eol - (*p + klen + 1));
	if (vlen >= n)
		return -EINVAL;
	memcpy(val, *p + klen + 1, vlen);
	val[vlen] = '\0';
	*p = eol + 1;
	return 0;
}

/* Parse the rows after the header into M's bitmap. */
static int parse_rows(struct ipam *m, const char *p)
{
	int64_t last = -1;
	bool star = false;

	while (*p) {
		char addr[CIDR_ADDR_STRLEN], *end;
		const char *eol = strchrnul(p, '\n');
		size_t alen = strcspn(p, " \n");
		struct in_addr in;
		int64_t i;
		uint64_t v;

		if (strncmp(p, "*\n", 2) == 0) {
			if (last < 0 || star)
				return -EINVAL;
			star = true;
			p += 2;
			continue;
		}
		if (alen >= sizeof(addr) || p[alen] != ' ')
			return -EINVAL;
		memcpy(addr, p, alen);
		addr[alen] = '\0';
		p += alen;
		while (*p == ' ')
			p++;
		if (cidr_addr_parse(addr, &in) < 0 || (i = index_of(m, in)) < 0 || i % ROW_BITS ||
		    eol - p != row_digits(m))
			return -EINVAL;
		for (const char *h = p; h < eol; h++)
			if (!isxdigit((unsigned char) *h))
				return -EINVAL;
		errno = 0;
		v = strtoull(p, &end, 16);
		if (errno || end != eol)
			return -EINVAL;
		i /= ROW_BITS;
		if (i <= last || (!star && i != last + 1))
			return -EINVAL;
		for (int64_t r = last + 1; r < i; r++)
			m->bits[r] = m->bits[last];
		if (m->size < ROW_BITS)
			m->bits[0] = (v << (ROW_BITS - m->size)) | (UINT64_MAX >> m->size);
		else
			m->bits[i] = v;
		last = i;
		star = false;
		p = *eol ? eol + 1 : eol;
	}
	return (last == (int64_t) m->n_words - 1 && !star) ? 0 : -EINVAL;
}

int ipam_parse(const char *text, struct ipam **ret)
{
	_cleanup_(ipam_freep) struct ipam *m = NULL;
	char subnet[CIDR_STRLEN + 1], gw[CIDR_ADDR_STRLEN], used[48], next[CIDR_ADDR_STRLEN];
	struct cidr c;
	struct in_addr g, nx;
	unsigned long n_used, n_cap;
	uint32_t count = 0;
	const char *p = text;
	int64_t ni;
	int r;

	if (header_line(&p, "subnet", subnet, sizeof(subnet)) < 0 ||
	    header_line(&p, "gateway", gw, sizeof(gw)) < 0 ||
	    header_line(&p, "used", used, sizeof(used)) < 0 ||
	    header_line(&p, "next", next, sizeof(next)) < 0)
		return -EINVAL;
	if (cidr_parse(subnet, &c) < 0 || cidr_addr_parse(gw, &g) < 0 ||
	    cidr_addr_parse(next, &nx) < 0 || sscanf(used, "%lu of %lu", &n_used, &n_cap) != 2)
		return -EINVAL;
	r = ipam_new(&c, g, &m);
	if (r < 0)
		return r;
	ni = index_of(m, nx);
	if (ni < 0 || n_cap != ipam_capacity(m))
		return -EINVAL;
	m->next = (uint32_t) ni;
	r = parse_rows(m, p);
	if (r < 0)
		return r;
	if (!bit_get(m, 0) || !bit_get(m, m->gateway) || !bit_get(m, m->size - 1))
		return -EINVAL;
	for (uint32_t i = 0; i < m->size; i++)
		count += bit_get(m, i) && !reserved(m, i);
	if (count != n_used)
		return -EINVAL;
	m->used = count;
	*ret = TAKE_PTR(m);
	return 0;
}

int ipam_save(const struct ipam *m, const char *path)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = ipam_render(m, &text, &len);

	if (r < 0)
		return r;
	return fileio_write_atomic(path, text, len, false);
}

int ipam_load(const char *path, struct ipam **ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = fileio_read_all(path, IPAM_FILE_MAX, &text, &len);

	if (r < 0)
		return r;
	if (strlen(text) != len)
		return -EINVAL;
	return ipam_parse(text, ret);
}

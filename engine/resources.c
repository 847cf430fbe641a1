#include "resources.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "strutil.h"

int resources_parse_memory(const char *s, uint64_t *ret)
{
	char num[32];
	uint64_t v, mult = 1;
	size_t len = strlen(s);

	if (!strcmp(s, "max") || !strcmp(s, "-1")) {
		*ret = 0;
		return 0;
	}
	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k':
	case 'K':
		mult = UINT64_C(1) << 10;
		break;
	case 'm':
	case 'M':
		mult = UINT64_C(1) << 20;
		break;
	case 'g':
	case 'G':
		mult = UINT64_C(1) << 30;
		break;
	case 't':
	case 'T':
		mult = UINT64_C(1) << 40;
		break;
	case 'b':
	case 'B':
		mult = 1;
		break;
	default:
		mult = 0;
		break;
	}
	if (mult)
		num[--len] = '\0';
	else
		mult = 1;
	if (str_parse_uint(num, UINT64_MAX / mult, &v) < 0 || v == 0)
		return -EINVAL;
	*ret = v * mult;
	return 0;
}

int resources_parse_cpus(const char *s, uint64_t *ret)
{
	char whole[24] = "", frac[4] = "000";
	const char *dot = strchr(s, '.');
	uint64_t w, f = 0;
	size_t wlen = dot ? (size_t) (dot - s) : strlen(s);

	if (!strcmp(s, "max")) {
		*ret = 0;
		return 0;
	}
	if (wlen == 0 || wlen >= sizeof(whole))
		return -EINVAL;
	memcpy(whole, s, wlen);
	if (str_parse_uint(whole, 1024, &w) < 0)
		return -EINVAL;
	if (dot) {
		size_t flen = strlen(dot + 1);
		if (flen == 0 || flen > 3)
			return -EINVAL; /* a thousandth of a CPU is the finest step */
		memcpy(frac, dot + 1, flen);
		if (str_parse_uint(frac, 999, &f) < 0)
			return -EINVAL;
	}
	if (w * 1000 + f == 0)
		return -EINVAL;
	*ret = w * 1000 + f;
	return 0;
}

int resources_parse_shares(const char *s, uint64_t *ret)
{
	uint64_t v;

	if (!strcmp(s, "default")) {
		*ret = 0;
		return 0;
	}
	if (str_parse_uint(s, 262144, &v) < 0 || v < 2)
		return -EINVAL;
	*ret = v;
	return 0;
}

int resources_parse_pids(const char *s, uint64_t *ret)
{
	uint64_t v;

	if (!strcmp(s, "max")) {
		*ret = 0;
		return 0;
	}
	if (str_parse_uint(s, 4194304, &v) < 0 || v == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

int resources_check_cpuset(const char *s, unsigned ncpus)
{
	const char *p = s;

	if (!*s)
		return -EINVAL;
	while (*p) {
		char num[8];
		uint64_t a, b;
		size_t n = strspn(p, "0123456789");

		if (n == 0 || n >= sizeof(num))
			return -EINVAL;
		memcpy(num, p, n);
		num[n] = '\0';
		str_parse_uint(num, UINT32_MAX, &a);
		p += n;
		b = a;
		if (*p == '-') {
			p++;
			n = strspn(p, "0123456789");
			if (n == 0 || n >= sizeof(num))
				return -EINVAL;
			memcpy(num, p, n);
			num[n] = '\0';
			str_parse_uint(num, UINT32_MAX, &b);
			p += n;
		}
		if (b < a || b >= ncpus)
			return -EINVAL;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			return -EINVAL;
	}
	return 0;
}

uint64_t resources_shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t resources_weight_to_shares(uint64_t weight)
{
	if (weight < 1)
		weight = 1;
	if (weight > 10000)
		weight = 10000;
	return 2 + ((weight - 1) * 262142) / 9999;
}

int resources_format_memory(uint64_t bytes, char *buf, size_t size)
{
	int n = bytes ? snprintf(buf, size, "%llu", (unsigned long long) bytes)
		      : snprintf(buf, size, "max");

	return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}

int resources_format_cpus(uint64_t milli, char *buf, size_t size)
{
	int n;

	if (!milli)
		n = snprintf(buf, size, "max");
	else if (milli % 1000 == 0)
		n = snprintf(buf, size, "%llu", (unsigned long long) (milli / 1000));
	else {
		n = snprintf(buf, size, "%llu.%03llu", (unsigned long long) (milli / 1000),
			     (unsigned long long) (milli % 1000));
		while (n > 0 && buf[n - 1] == '0') /* 1.500 -> 1.5 */
			buf[--n] = '\0';
	}
	return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}

/* libFuzzer: the parsers of values users write to files (volumes, ports, limits, cpusets,
 * CIDRs, signal names) take any bytes without crashing, and what they accept is in range. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "ctl.h"
#include "network.h"
#include "resources.h"
#include "volumes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = strndup((const char *) data, size);
	struct volume v;
	struct cidr c;
	uint64_t n;
	uint16_t host, port;
	int proto;

	if (!s)
		return 0;
	if (volume_parse(s, &v) == 0) {
		if (v.host[0] != '/' || v.target[0] != '/')
			abort();
		volume_clear(&v);
	}
	if (network_parse_port(s, &proto, &host, &port) == 0 &&
	    (!host || !port || (proto != IPPROTO_TCP && proto != IPPROTO_UDP)))
		abort();
	if (resources_parse_memory(s, &n) == 0 && n && n < 1)
		abort();
	if (resources_parse_cpus(s, &n) == 0 && n > 1024 * 1000)
		abort();
	if (resources_parse_shares(s, &n) == 0 && n && (n < 2 || n > 262144))
		abort();
	resources_check_cpuset(s, 64);
	if (cidr_parse(s, &c) == 0 && (c.prefix < CIDR_PREFIX_MIN || c.prefix > CIDR_PREFIX_MAX))
		abort();
	int sig = ctl_parse_signal(s);
	if (sig != -22 && (sig < 1 || sig > 64))
		abort();
	free(s);
	return 0;
}

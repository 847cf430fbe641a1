/* Resource limits as users write them, and as the kernel's files spell them. Pure functions:
 * parsing, validation and conversion (v1 shares <-> v2 weight), unit-tested without root. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum resource_kind {
	RESOURCE_MEMORY,     /* bytes */
	RESOURCE_CPUS,	     /* thousandths of a CPU */
	RESOURCE_CPU_SHARES, /* v1 shares */
	RESOURCE_CPUSET,     /* a cpu list */
	RESOURCE_PIDS,	     /* processes */
};
#define RESOURCE_COUNT 5

/* Parse a user's value; 0 (or a NULL cpuset) means "no limit". -EINVAL if malformed. */
int resources_parse_memory(const char *s, uint64_t *ret); /* 64m, 1g, 512k, 1048576, max */
int resources_parse_cpus(const char *s, uint64_t *ret);	  /* 1.5, 0.25, 2, max */
int resources_parse_shares(const char *s, uint64_t *ret); /* 2..262144, default */
int resources_parse_pids(const char *s, uint64_t *ret);	  /* >= 1, max */
/* A cpu list such as 0-2,4: syntax and every cpu < NCPUS. */
int resources_check_cpuset(const char *s, unsigned ncpus);

/* The standard conversion (as runc/crun do): shares 2..262144 -> weight 1..10000. */
uint64_t resources_shares_to_weight(uint64_t shares);
uint64_t resources_weight_to_shares(uint64_t weight);

/* Show a memory size or a CPU quota as users read it ("max" for none). */
int resources_format_memory(uint64_t bytes, char *buf, size_t size);
int resources_format_cpus(uint64_t milli, char *buf, size_t size);

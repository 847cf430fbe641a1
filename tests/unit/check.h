/* A minimal TAP harness for the C unit tests: CHECK(expr) reports and counts; main returns
 * non-zero if anything failed. */
#pragma once

#include <stdio.h>
#include <string.h>

static int check_failed, check_count;

#define CHECK(expr)                                                                                \
	do {                                                                                       \
		check_count++;                                                                     \
		if (expr) {                                                                        \
			printf("ok %d - %s\n", check_count, #expr);                                \
		} else {                                                                           \
			check_failed++;                                                            \
			printf("not ok %d - %s (%s:%d)\n", check_count, #expr, __FILE__,           \
			       __LINE__);                                                          \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

static inline int check_done(void)
{
	printf("1..%d\n", check_count);
	return check_failed ? 1 : 0;
}

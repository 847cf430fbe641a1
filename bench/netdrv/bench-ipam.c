/* Time the IPAM bitmap: allocate every address of a /16 (65,533 of them) with ipam_alloc, then
 * release them all. Best and mean of ROUNDS runs, in milliseconds. No root needed.
 * Usage: bench-ipam [ROUNDS] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cidr.h"
#include "ipam.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	static struct in_addr got[65536];
	double best = 1e9, sum = 0;
	struct cidr c;
	struct in_addr gw;

	if (rounds <= 0 || cidr_parse("10.66.0.0/16", &c) < 0)
		return 2;
	gw = cidr_first_host(&c);
	for (int k = 0; k < rounds; k++) {
		struct ipam *m = NULL;
		uint32_t n = 0;
		double t0, dt;

		if (ipam_new(&c, gw, &m) < 0)
			return 1;
		t0 = now_ms();
		while (ipam_alloc(m, &got[n]) == 0)
			n++;
		for (uint32_t i = 0; i < n; i++)
			if (ipam_release(m, got[i]) < 0)
				return 1;
		dt = now_ms() - t0;
		if (n != 65533 || ipam_used(m) != 0)
			return 1;
		ipam_free(m);
		sum += dt;
		best = dt < best ? dt : best;
	}
	printf("addresses 65533\nrounds %d\nbest_ms %.2f\nmean_ms %.2f\n", rounds, best,
	       sum / rounds);
	return 0;
}

/* nssbench: the cost of one getpwnam() as a program sees it, whatever
 * nsswitch.conf says: NAME looked up COUNT times, the median and p99 of
 * one call printed in microseconds.  bench/nss runs it against glibc's
 * `files` backend (a passwd of 100 and 100k lines) and against
 * libnss_unilogin, each in a mount namespace of its own. */
#include "config.h"

#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	long n = argc > 2 ? atol(argv[2]) : 1000;
	double *us;
	long found = 0;

	if (argc < 2 || n < 1) {
		fprintf(stderr, "usage: nssbench NAME [COUNT]\n");
		return 2;
	}
	us = calloc((size_t)n, sizeof(*us));
	if (us == NULL)
		return 1;
	for (long i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		found += getpwnam(argv[1]) != NULL;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		us[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
	}
	qsort(us, (size_t)n, sizeof(*us), cmp);
	printf("%s %ld %.2f %.2f\n", found == n ? "ok" : "MISSING", n, us[n / 2],
	    us[(n * 99) / 100]);
	free(us);
	return found == n ? 0 : 1;
}

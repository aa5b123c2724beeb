/* The in-process engine's target: f() called argv[1] times, the loop timed
 * by the program itself (printed on stdout as "loop_ns N"), so that what a
 * tracer costs the traced program is measured apart from how long the
 * tracer then takes to print. argv[2] "wait": sleep a second first (time
 * to attach). Built plain, and with -pg for uftrace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

volatile int g;

__attribute__((noinline)) int f(int x, int y)
{
	g += x;
	return x + y;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	volatile int s = 0;
	struct timespec a, b, ca, cb;

	if (argc > 2 && !strcmp(argv[2], "wait"))
		sleep(1);
	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
	for (long i = 0; i < n; i++)
		s += f((int)i, 1);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* Wall time, and the loop's own CPU time (what tracing costs the
	 * program, apart from waiting for a CPU the tracer holds). */
	printf("loop_ns %lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000ll +
				      (b.tv_nsec - a.tv_nsec));
	printf("cpu_ns %lld\n", (long long)(cb.tv_sec - ca.tv_sec) * 1000000000ll +
				     (cb.tv_nsec - ca.tv_nsec));
	return 0;
}

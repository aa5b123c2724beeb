/* The benchmark target: calls f() N times. f is big enough (>= 5 bytes) for
 * uftrace's dynamic patching, and uses its argument so -O2 keeps it. */
#include <stdlib.h>

volatile int g;

__attribute__((noinline)) int f(int x)
{
	g += x;
	return x + 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	volatile int s = 0;

	for (long i = 0; i < n; i++)
		s += f((int)i);
	return 0;
}

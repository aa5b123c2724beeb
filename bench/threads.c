/* The eBPF engine's loss check: T threads each call f() N times at once. */
#include <pthread.h>
#include <stdlib.h>

volatile int g;

__attribute__((noinline)) int f(int x)
{
	g += x;
	return x + 1;
}

static long n;

static void *worker(void *arg)
{
	volatile int s = 0;

	(void)arg;
	for (long i = 0; i < n; i++)
		s += f((int)i);
	return NULL;
}

int main(int argc, char **argv)
{
	int t = argc > 2 ? atoi(argv[2]) : 4;
	pthread_t th[64];

	n = argc > 1 ? atol(argv[1]) : 1000;
	if (t < 1 || t > 64)
		return 2;
	for (int i = 0; i < t; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < t; i++)
		pthread_join(th[i], NULL);
	return 0;
}

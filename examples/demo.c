/* The bundled example: `tinydbg trace -e build/demo '^(fib|greet)$'`. */
#include <stdio.h>

struct point { int x, y; };

__attribute__((noinline)) int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) const char *greet(const char *who, struct point at)
{
	static char buf[64];
	snprintf(buf, sizeof(buf), "hello %s at %d,%d", who, at.x, at.y);
	return buf;
}

int main(void)
{
	printf("%d\n", fib(4));
	printf("%s\n", greet("world", (struct point){1, 2}));
	return 0;
}

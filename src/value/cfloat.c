/* cfloat: floating-point values as text — the shortest %g that reads back to
 * the same value, so 0.1 prints "0.1" and not "0.10000000000000001". */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value/internal.h"

long double cfloat_decode(const uint8_t *b, unsigned size)
{
	long double ld = 0;
	double d;
	float f;

	switch (size) {
	case 4:
		memcpy(&f, b, 4);
		return f;
	case 8:
		memcpy(&d, b, 8);
		return d;
	default:
		/* x87 extended: 10 bytes, the host's long double on x86-64
		 * (whose padding bytes we leave zero). */
		if (size < 10)
			return 0;
		memcpy(&ld, b, 10);
		return ld;
	}
}

static bool reads_back(const char *s, long double x, unsigned size)
{
	switch (size) {
	case 4:
		return strtof(s, NULL) == (float)x;
	case 8:
		return strtod(s, NULL) == (double)x;
	default:
		return strtold(s, NULL) == x;
	}
}

void cfloat_format(char *buf, size_t n, long double x, unsigned size)
{
	int maxp = size == 4 ? 9 : size == 8 ? 17 : 21;

	/* printf says "-nan" for a NaN with its sign bit set; a NaN's sign
	 * means nothing to the reader. */
	if (isnan(x)) {
		snprintf(buf, n, "nan");
		return;
	}
	if (isinf(x)) {
		snprintf(buf, n, "%s", x < 0 ? "-inf" : "inf");
		return;
	}
	for (int p = 1; p <= maxp; p++) {
		snprintf(buf, n, "%.*Lg", p, x);
		if (!reads_back(buf, x, size))
			continue;
		/* %g switches to an exponent once the exponent reaches the
		 * precision, so the shortest "1e+01" stands for 10. Write
		 * whole numbers out in full while they are short (as gdb
		 * does); keep the exponent for large ones (1e+100). */
		int exp10 = x != 0 ? (int)floorl(log10l(fabsl(x))) : 0;
		if (exp10 >= p && exp10 < 16)
			snprintf(buf, n, "%.*Lg", exp10 + 1, x);
		return;
	}
}

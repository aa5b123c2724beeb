/* gotext: the text of Go scalars as Delve's api.Variable carries it —
 * floats as strconv.FormatFloat(x, 'f', -1, bits), strings as they come
 * out of Delve's JSON, integers of a type with named constants described
 * by them, time.Time as a date. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "value/internal.h"

/* The shortest decimal digits that read back as x (a float when bits is
 * 32), in buf, and the exponent of the first: x = 0.d1d2... * 10^(*e+1). */
static int shortest_digits(double x, int bits, char *digits, int *e)
{
	char buf[64];
	int maxp = bits == 32 ? 9 : 17, p, n = 0;
	char *q;

	for (p = 1; p <= maxp; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
		if (bits == 32 ? strtof(buf, NULL) == (float)x
			       : strtod(buf, NULL) == x)
			break;
	}
	for (q = buf; *q && *q != 'e'; q++)
		if (*q >= '0' && *q <= '9')
			digits[n++] = *q;
	digits[n] = 0;
	*e = *q ? atoi(q + 1) : 0;
	return n;
}

void gofloat_format(char *buf, size_t size, double x, int bits)
{
	char d[32];
	struct strbuf sb = STRBUF_INIT;
	int e, n;

	if (isnan(x)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(x)) {
		snprintf(buf, size, "%s", x < 0 ? "-Inf" : "+Inf");
		return;
	}
	/* Delve's value went through go/constant, which has no -0. */
	if (x == 0) {
		snprintf(buf, size, "0");
		return;
	}
	strbuf_init(&sb);
	if (x < 0)
		strbuf_addch(&sb, '-');
	n = shortest_digits(fabs(x), bits, d, &e);
	if (e < 0) {
		strbuf_adds(&sb, "0.");
		for (int i = 0; i < -e - 1; i++)
			strbuf_addch(&sb, '0');
		strbuf_adds(&sb, d);
	} else {
		for (int i = 0; i <= e; i++)
			strbuf_addch(&sb, i < n ? d[i] : '0');
		if (n > e + 1) {
			strbuf_addch(&sb, '.');
			strbuf_adds(&sb, d + e + 1);
		}
	}
	snprintf(buf, size, "%s", sb.buf);
	strbuf_release(&sb);
}

size_t go_utf8_seq(const unsigned char *s, size_t n, uint32_t *c)
{
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, *c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, *c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, *c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*c = *c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && *c < 0x800) || (len == 4 && *c < 0x10000) ||
	    (*c >= 0xd800 && *c <= 0xdfff) || *c > 0x10ffff)
		return 0;
	return len;
}

char *gostring_text(const uint8_t *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	uint32_t cp;
	size_t k;

	strbuf_init(&sb);
	for (size_t i = 0; i < n; i += k) {
		k = 1;
		if (!s[i]) {
			strbuf_add(&sb, "\xc0\x80", 2);
		} else if (s[i] < 0x80) {
			strbuf_addch(&sb, (char)s[i]);
		} else if ((k = go_utf8_seq(s + i, n - i, &cp))) {
			strbuf_add(&sb, s + i, k);
		} else {
			/* Go's JSON encoder writes an invalid byte as U+FFFD,
			 * and Delve's client prints what it decodes. */
			k = 1;
			strbuf_adds(&sb, "\xef\xbf\xbd");
		}
	}
	return strbuf_detach(&sb);
}

/* Delve's constantType.describe: the constant with value x, or the
 * single-bit constants that make it up ("FlagA|FlagC"); NULL for none. */
static char *describe(const struct ctype_enumerator *c, size_t n, int64_t x)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t rest = (uint64_t)x;

	for (size_t i = 0; i < n; i++)
		if (c[i].value == x)
			return xstrdup(c[i].name);
	if (!x)
		return NULL;
	strbuf_init(&sb);
	for (size_t i = 0; i < n; i++) {
		uint64_t bit = (uint64_t)c[i].value;

		if (__builtin_popcountll(bit) != 1 || !(rest & bit))
			continue;
		if (sb.len)
			strbuf_addch(&sb, '|');
		strbuf_adds(&sb, c[i].name);
		rest &= ~bit;
	}
	if (rest) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

char *goint_text(const struct target_access *acc, const struct ctype *t,
		 int64_t x, bool is_signed)
{
	const struct ctype_enumerator *c = NULL;
	char *name, *text;
	size_t n = 0;

	/* Only a package's own types: every int 1 is some io.SeekCurrent. */
	if (acc->go_consts && t && t->name && strchr(t->name, '.') &&
	    strncmp(t->name, "C.", 2))
		n = acc->go_consts(acc->ctx, t, &c);
	name = n ? describe(c, n, x) : NULL;
	if (is_signed)
		text = name ? xasprintf("%s (%" PRId64 ")", name, x)
			    : xasprintf("%" PRId64, x);
	else
		text = name ? xasprintf("%s (%" PRIu64 ")", name, (uint64_t)x)
			    : xasprintf("%" PRIu64, (uint64_t)x);
	free(name);
	return text;
}

/* ---- time.Time ---- */

/* Seconds from 0001-01-01 to 1970-01-01, and from 1885-01-01 (the epoch of
 * a wall clock with a monotonic reading) to 1970-01-01. */
#define UNIX_FROM_YEAR1 62135596800LL
#define UNIX_FROM_1885 (-2682288000LL)

/* Proleptic Gregorian date of day z since 1970-01-01 (Howard Hinnant's
 * civil_from_days). */
static void civil(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	yoe = z - era * 146097;
	yoe = (yoe - yoe / 1460 + yoe / 36524 - yoe / 146096) / 365;
	doy = z - era * 146097 - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* RFC 3339 as Go's time.Format writes it, for unix seconds u in the zone
 * off seconds east of UTC ("Z" for UTC itself). */
static char *rfc3339(int64_t u, long off, bool utc)
{
	int64_t t = u + off, days = floor_div(t, 86400), s = t - days * 86400;
	int64_t y;
	int m, d;
	char zone[32];

	civil(days, &y, &m, &d);
	if (utc) {
		snprintf(zone, sizeof(zone), "Z");
	} else {
		int a = (int)(off < 0 ? -off : off) % 86400;
		snprintf(zone, sizeof(zone), "%c%02d:%02d",
			 off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
	}
	return xasprintf("%04" PRId64 "-%02d-%02dT%02d:%02d:%02d%s", y, m, d,
			 (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60),
			 zone);
}

char *gotime_text(uint64_t wall, int64_t ext, const char *loc)
{
	bool utc = !loc || !*loc || !strcmp(loc, "UTC");
	long off = 0;
	int64_t u;
	char *s, *r;

	if (!utc && strcmp(loc, "Local"))
		return NULL; /* another zone: Delve's tz database, not ours */
	if (wall >> 63) {
		/* 33 bits of seconds since 1885 beside a monotonic reading */
		u = (int64_t)((wall << 1) >> 31) + UNIX_FROM_1885;
	} else {
		/* Delve gives up on dates this far out */
		if (ext > (INT64_MAX / 1000000000) * 1000)
			return NULL;
		u = ext - UNIX_FROM_YEAR1;
	}
	if (!utc) {
		time_t tt = (time_t)u;
		struct tm tm;

		if (!localtime_r(&tt, &tm))
			return NULL;
		off = tm.tm_gmtoff;
	}
	/* Go writes "Z" for any zone that is at UTC at that moment */
	s = rfc3339(u, off, off == 0);
	if (!(wall >> 63))
		return s;
	r = xasprintf("%s, %+" PRId64, s, ext);
	free(s);
	return r;
}

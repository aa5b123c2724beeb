#include "base/errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int errbuf_set(struct errbuf *eb, int err, const char *fmt, ...)
{
	va_list ap;

	if (!eb)
		return err;
	va_start(ap, fmt);
	vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
	va_end(ap);
	return err;
}

int errbuf_prefix(struct errbuf *eb, int err, const char *fmt, ...)
{
	char prefix[512], old[sizeof(eb->msg)];
	va_list ap;

	if (!eb)
		return err;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, eb->msg, sizeof(old));
	/* Truncation is fine: the message stays a readable prefix. */
	size_t n = strlen(prefix);
	if (n > sizeof(eb->msg) - 3)
		n = sizeof(eb->msg) - 3;
	memcpy(eb->msg, prefix, n);
	memcpy(eb->msg + n, ": ", 2);
	size_t rest = sizeof(eb->msg) - n - 3;
	size_t m = strnlen(old, rest);
	memcpy(eb->msg + n + 2, old, m);
	eb->msg[n + 2 + m] = 0;
	return err;
}

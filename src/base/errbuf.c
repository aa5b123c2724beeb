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
	snprintf(eb->msg, sizeof(eb->msg), "%s: %s", prefix, old);
	return err;
}

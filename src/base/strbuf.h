/* strbuf: a growable, always NUL-terminated byte string (after git's). */
#ifndef TINYDBG_BASE_STRBUF_H
#define TINYDBG_BASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf; /* never NULL after strbuf_init; NUL-terminated */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT {0}

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Hands the buffer to the caller (free() it) and leaves sb empty. */
char *strbuf_detach(struct strbuf *sb);
/* The contents; "" for a buffer never written (even without init). */
const char *strbuf_str(const struct strbuf *sb);

#endif

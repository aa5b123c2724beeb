/* errbuf: carries one human-readable error message up from where it happened.
 *
 * Functions below the frontend return 0 or a negative errno and, when they
 * fail, describe the failure in the errbuf their caller passed. Only the
 * frontend prints it. A NULL errbuf is allowed everywhere: the message is
 * then dropped. */
#ifndef TINYDBG_BASE_ERRBUF_H
#define TINYDBG_BASE_ERRBUF_H

struct errbuf {
	char msg[1024];
};

/* Formats the message into eb (when eb is non-NULL) and returns err, so a
 * failing path can say `return errbuf_set(eb, -ENOENT, "no such file %s", p);`.
 * err should be negative. */
int errbuf_set(struct errbuf *eb, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the message already in eb with more context ("loading foo: ...").
 * Returns err. */
int errbuf_prefix(struct errbuf *eb, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void errbuf_clear(struct errbuf *eb)
{
	if (eb)
		eb->msg[0] = 0;
}

#endif

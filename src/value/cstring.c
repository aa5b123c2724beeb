/* cstring: a `char *` argument, read from the target.
 *
 * We show max_string bytes but report the full length, as Delve does for Go
 * strings; C strings carry no length, so we scan for the NUL, up to a bound.
 * Reads never cross a page boundary: a string that ends just before an
 * unmapped page must not fail because we asked for bytes past it. */
#include "value/value.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "value/internal.h"

#define CSTRING_PAGE 4096
#define CSTRING_SCAN_MAX (1u << 20)

/* A reader may hold only part of a page: a capture's snapshot has a
 * string up to its NUL, not the rest of the page. When a read fails, the
 * bytes are read one at a time up to the first NUL or the first that
 * fails; returns how many were read. A live thread's page is readable all
 * or not at all, so this costs one more read of an unreadable string. */
static size_t bytewise(const struct target_access *acc, uint64_t a,
		       uint8_t *chunk, size_t n)
{
	size_t i = 0;

	while (i < n && !acc->read_mem(acc->ctx, a + i, chunk + i, 1))
		if (!chunk[i++])
			break;
	return i;
}

void vload_cstring(struct value *v, uint64_t p, const struct target_access *acc,
		   const struct load_config *cfg)
{
	size_t max = cfg->max_string > 0 ? (size_t)cfg->max_string : 0;
	uint8_t chunk[CSTRING_PAGE];
	char *head = xmalloc(max + 1);
	size_t got = 0, shown = 0;
	uint64_t a = p;
	int err;

	v->kind = VK_STRING;
	v->addr = p;
	while (got < CSTRING_SCAN_MAX) {
		size_t n = CSTRING_PAGE - (size_t)(a % CSTRING_PAGE);
		uint8_t *z;
		size_t m;

		/* Most strings are short: first read only what we show. */
		if (got < max && n > max - got)
			n = max - got;
		if (n > CSTRING_SCAN_MAX - got)
			n = CSTRING_SCAN_MAX - got;
		if ((err = acc->read_mem(acc->ctx, a, chunk, n)) &&
		    (n = bytewise(acc, a, chunk, n)))
			err = 0;
		if (err) {
			if (!got) {
				vfail(v, err, p);
				goto out;
			}
			/* unterminated up to a hole: report what we saw */
			break;
		}
		z = memchr(chunk, 0, n);
		m = z ? (size_t)(z - chunk) : n;
		if (shown < max) {
			size_t k = m < max - shown ? m : max - shown;
			memcpy(head + shown, chunk, k);
			shown += k;
		}
		got += m;
		if (z)
			break;
		a += n;
	}
	v->len = (int64_t)got;
	v->value = xstrndup(head, shown);
out:
	free(head);
}

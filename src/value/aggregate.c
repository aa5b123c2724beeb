/* aggregate: structs, unions, arrays and char arrays. Only the first few
 * members or elements are loaded (load_config), but .len always says how
 * many there are, so the printer can tell the user what it left out. */
#include "value/value.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "value/internal.h"

typedef unsigned __int128 u128;

static size_t limit(uint64_t have, int max)
{
	if (max < 0 || have < (uint64_t)max)
		return (size_t)have;
	return (size_t)max;
}

static bool type_signed(const struct ctype *st)
{
	return st && (st->kind == CT_INT || st->kind == CT_CHAR ||
		      st->kind == CT_ENUM) && st->is_signed;
}

/* A bit-field: bit_size bits from bit_offset (little-endian bit order)
 * past the member's byte offset. The bits are widened to the member's type
 * so that the scalar decoder (enums and bools included) does the rest. */
static void load_bitfield(struct value *v, const struct ctype_member *m,
			  const struct vsrc *s, uint64_t off)
{
	const struct ctype *st = vtype_strip(m->type);
	size_t nbits = (size_t)m->bit_offset + m->bit_size;
	size_t nbytes = (nbits + 7) / 8;
	uint8_t raw[16] = {0}, b[16];
	uint64_t where;
	u128 x = 0;
	int err;

	if (!st || nbytes > sizeof(raw) || m->bit_size > 64) {
		v->value = xstrdup("?");
		return;
	}
	if ((err = vsrc_read(s, off, raw, nbytes, &where))) {
		vfail(v, err, where);
		return;
	}
	for (size_t i = nbytes; i-- > 0;)
		x = x << 8 | raw[i];
	x >>= m->bit_offset;
	x &= ((u128)1 << m->bit_size) - 1;
	if (type_signed(st) && (x >> (m->bit_size - 1)) & 1)
		x |= ~(u128)0 << m->bit_size;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(x >> (8 * i));
	vload_scalar(v, st, b, s);
}

void vload_struct(struct value *v, const struct ctype *st,
		  const struct vsrc *s, uint64_t off, int depth)
{
	size_t n;

	v->len = (int64_t)st->nmembers;
	/* Too deep: no children, but .len tells the printer there is more. */
	if (depth > s->cfg->max_recurse || !st->nmembers)
		return;
	n = limit(st->nmembers, s->cfg->max_fields);
	if (!n)
		return;
	v->children = xcalloc(n, sizeof(*v->children));
	v->nchildren = n;
	for (size_t i = 0; i < n; i++) {
		const struct ctype_member *m = &st->members[i];
		struct value *c = &v->children[i];

		if (!m->bit_size) {
			vload_at(c, m->name, m->type, s, off + m->offset,
				 depth + 1);
			continue;
		}
		vinit(c, m->name, m->type, vtype_strip(m->type));
		if (s->mem)
			c->addr = s->addr + off + m->offset;
		load_bitfield(c, m, s, off + m->offset);
	}
}

void vload_array(struct value *v, const struct ctype *st,
		 const struct vsrc *s, uint64_t off, int depth)
{
	const struct ctype *el = vtype_strip(st->target);
	uint64_t esize = el ? el->size : 0;
	size_t n;

	v->len = v->cap = (int64_t)st->count;
	if (depth > s->cfg->max_recurse || !esize)
		return;
	n = limit(st->count, s->cfg->max_array);
	if (!n)
		return;
	v->children = xcalloc(n, sizeof(*v->children));
	v->nchildren = n;
	for (size_t i = 0; i < n; i++)
		vload_at(&v->children[i], "", st->target, s, off + i * esize,
			 depth + 1);
}

/* A char array is text up to its first NUL (or its end). Its length needs
 * the whole array, but when that cannot be read we settle for the part we
 * would show. */
void vload_chars(struct value *v, const struct ctype *st,
		 const struct vsrc *s, uint64_t off)
{
	uint64_t size = st->size ? st->size : st->count;
	size_t shown = limit(size, s->cfg->max_string);
	size_t n = size > VALUE_BULK_MAX ? VALUE_BULK_MAX : (size_t)size;
	uint64_t where;
	uint8_t *buf;
	char *z;
	int err;

	buf = xmalloc(n ? n : 1);
	err = vsrc_read(s, off, buf, n, &where);
	if (err && n > shown) {
		n = shown;
		err = vsrc_read(s, off, buf, n, &where);
	}
	if (err) {
		vfail(v, err, where);
		goto out;
	}
	z = memchr(buf, 0, n);
	v->len = z ? z - (char *)buf : (int64_t)n;
	if ((size_t)v->len < shown)
		shown = (size_t)v->len;
	v->value = xstrndup((char *)buf, shown);
out:
	free(buf);
}

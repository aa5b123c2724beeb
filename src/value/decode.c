/* decode: scalars — integers, chars, bools, enums, floats, complex numbers,
 * pointers — from their bytes to their text. */
#include "value/value.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xalloc.h"
#include "value/internal.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

/* The integer in the first size bytes, sign-extended when asked. */
static u128 get_int(const uint8_t *b, uint64_t size, bool is_signed)
{
	u128 x = 0;

	if (size > 16)
		size = 16;
	for (uint64_t i = size; i-- > 0;)
		x = x << 8 | b[i];
	if (is_signed && size && size < 16 && (b[size - 1] & 0x80))
		x |= ~(u128)0 << (size * 8);
	return x;
}

/* printf has no 128-bit conversions. */
static char *int_text(u128 x, bool is_signed)
{
	char buf[48], *p = buf + sizeof(buf);
	bool neg = is_signed && (s128)x < 0;

	if (neg)
		x = -x;
	*--p = 0;
	do {
		*--p = (char)('0' + (int)(x % 10));
		x /= 10;
	} while (x);
	if (neg)
		*--p = '-';
	return xstrdup(p);
}

/* A bit set: the names of the flags (and field values, by their mask)
 * that x holds, in the order declared, then what no name covers in hex;
 * "0" when nothing does. */
static char *flags_text(const struct ctype *st, uint64_t x)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t rest = x;

	for (size_t i = 0; i < st->nenums; i++) {
		uint64_t v = (uint64_t)st->enums[i].value;
		uint64_t m = st->enums[i].mask ? st->enums[i].mask : v;

		if (!m || (rest & m) != v || (x & m) != v)
			continue;
		strbuf_addf(&sb, "%s%s", sb.len ? "|" : "", st->enums[i].name);
		rest &= ~m;
	}
	if (rest || !sb.len)
		strbuf_addf(&sb, "%s%#" PRIx64, sb.len ? "|" : "", rest);
	if (!rest && !sb.len)
		strbuf_adds(&sb, "0");
	return strbuf_detach(&sb);
}

/* An integer as its type's fmt asks (prototypes: hex(), octal). */
static char *fmt_int_text(const struct ctype *st, u128 x)
{
	uint64_t u = (uint64_t)x;

	if (st->size < 8)
		u &= (1ull << (st->size * 8)) - 1;
	if (st->fmt == CTF_HEX)
		return xasprintf("%#" PRIx64, u);
	if (st->fmt == CTF_OCTAL)
		return xasprintf("%#" PRIo64, u);
	return int_text(x, st->is_signed);
}

static char *enum_text(const struct ctype *st, u128 x)
{
	if (st->fmt == CTF_FLAGS)
		return flags_text(st, (uint64_t)x);
	for (size_t i = 0; i < st->nenums; i++)
		if ((uint64_t)st->enums[i].value == (uint64_t)x)
			return xstrdup(st->enums[i].name);
	return int_text(x, st->is_signed);
}

static char *float_text(const uint8_t *b, unsigned size)
{
	char buf[64];

	cfloat_format(buf, sizeof(buf), cfloat_decode(b, size), size);
	return xstrdup(buf);
}

static char *hex_text(uint64_t x)
{
	return xasprintf("0x%" PRIx64, x);
}

static void load_pointer(struct value *v, const struct ctype *st,
			 const uint8_t *b, const struct vsrc *s)
{
	const struct target_access *acc = s->acc;
	uint64_t p = (uint64_t)get_int(b, st->size < 8 ? st->size : 8, false);
	const char *fn;

	v->addr = p;
	if (v->kind == VK_FUNC) {
		fn = p && acc->name_at ? acc->name_at(acc->ctx, p) : NULL;
		v->value = fn ? xstrdup(fn) : hex_text(p);
		return;
	}
	if (v->kind == VK_STRING) {
		if (p) {
			vload_cstring(v, p, acc, s->cfg);
			return;
		}
		/* A NULL string is a null pointer, not an empty string. */
		v->kind = VK_PTR;
	}
	v->value = hex_text(p);
}

void vload_scalar(struct value *v, const struct ctype *st,
		  const uint8_t bytes[16], const struct vsrc *s)
{
	switch (st->kind) {
	case CT_INT:
	case CT_CHAR:
		v->value = fmt_int_text(st, get_int(bytes, st->size,
						    st->is_signed));
		return;
	case CT_BOOL:
		v->value = xstrdup(get_int(bytes, st->size, false) ? "true"
								   : "false");
		return;
	case CT_ENUM:
		v->value = enum_text(st, get_int(bytes, st->size,
						 st->is_signed));
		return;
	case CT_FLOAT:
		v->value = float_text(bytes, (unsigned)st->size);
		return;
	case CT_PTR:
		load_pointer(v, st, bytes, s);
		return;
	default:
		v->value = xstrdup("?");
		return;
	}
}

/* Bytes of a scalar that carry its value: an x87 long double is 10 bytes
 * in a 12- or 16-byte slot, and a register piece holds only those 10. */
static size_t scalar_bytes(const struct ctype *st)
{
	if (st->kind == CT_FLOAT && st->size >= 10)
		return 10;
	return st->size <= 16 ? (size_t)st->size : 0;
}

static void add_part(struct value *v, const char *name, const char *text,
		     enum vkind kind)
{
	struct value *c = &v->children[v->nchildren++];

	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->type = xstrdup(kind == VK_FLOAT32 ? "float" : "double");
	c->kind = kind;
	c->flags = VF_C;
	c->value = xstrdup(text);
}

/* A complex number is two floats of half its size; the text is made here,
 * and the parts are kept as children as Delve has them. */
static void load_complex(struct value *v, const struct ctype *st,
			 const struct vsrc *s, uint64_t off)
{
	unsigned part = (unsigned)(st->size / 2);
	size_t n = part >= 10 ? 10 : part;
	uint8_t re[16] = {0}, im[16] = {0};
	char ret[64], imt[64];
	long double x, y;
	uint64_t where;
	int err;

	if (!part || part > 16) {
		v->value = xstrdup("?");
		return;
	}
	if ((err = vsrc_read(s, off, re, n, &where)) ||
	    (err = vsrc_read(s, off + part, im, n, &where))) {
		vfail(v, err, where);
		return;
	}
	x = cfloat_decode(re, part);
	y = cfloat_decode(im, part);
	cfloat_format(ret, sizeof(ret), x, part);
	cfloat_format(imt, sizeof(imt), y, part);
	v->children = xcalloc(2, sizeof(*v->children));
	add_part(v, "real", ret, part == 4 ? VK_FLOAT32 : VK_FLOAT64);
	add_part(v, "imaginary", imt, part == 4 ? VK_FLOAT32 : VK_FLOAT64);
	v->len = 2;
	if (signbit(y) && !isnan(y)) {
		cfloat_format(imt, sizeof(imt), -y, part);
		v->value = xasprintf("(%s - %si)", ret, imt);
	} else {
		v->value = xasprintf("(%s + %si)", ret, imt);
	}
}

static void load_function(struct value *v, const struct vsrc *s)
{
	const char *fn = NULL;

	if (!s->mem) {
		v->value = xstrdup("?");
		return;
	}
	if (s->acc->name_at)
		fn = s->acc->name_at(s->acc->ctx, v->addr);
	v->value = fn ? xstrdup(fn) : hex_text(v->addr);
}

/* A C++ reference is what it refers to: the target's value, loaded from
 * the address the reference holds, named as the reference is typed.
 * False (v untouched) for a reference to something without a type. */
static bool load_ref(struct value *v, const struct ctype *t,
		     const struct ctype *st, const struct vsrc *s, uint64_t off,
		     int depth)
{
	const struct ctype *tt = vtype_strip(st->target);
	struct vsrc rs = {.acc = s->acc, .cfg = s->cfg, .mem = true,
			  .up = s};
	uint8_t probe;
	uint64_t where;
	char *name, *type;
	int err;

	if (!tt || tt->kind == CT_VOID || tt->kind == CT_FUNC)
		return false;
	if ((err = vsrc_read(s, off, &rs.addr, 8, &where))) {
		vfail(v, err, where);
		return true;
	}
	if ((err = s->acc->read_mem(s->acc->ctx, rs.addr, &probe, 1))) {
		vfail(v, err, rs.addr);
		return true;
	}
	name = v->name, type = v->type;
	v->name = v->type = NULL;
	value_release(v);
	vload_at(v, name, st->target, &rs, 0, depth);
	free(v->type);
	v->type = type;
	free(name);
	return true;
}

void vload_at(struct value *v, const char *name, const struct ctype *t,
	      const struct vsrc *s, uint64_t off, int depth)
{
	const struct ctype *st = vtype_strip(t);
	uint8_t b[16] = {0};
	uint64_t where;
	size_t n;
	int err;

	vinit(v, name, t, st);
	if (s->mem)
		v->addr = s->addr + off;
	if (!st) {
		v->value = xstrdup(t ? "?" : "void");
		return;
	}
	switch (st->kind) {
	case CT_STRUCT:
		if (vcxx_load(v, st, s, off, depth))
			return;
		vload_struct(v, st, s, off, depth);
		return;
	case CT_UNION:
		vload_struct(v, st, s, off, depth);
		return;
	case CT_PTR:
		if (st->is_ref && load_ref(v, t, st, s, off, depth))
			return;
		break;
	case CT_ARRAY:
		if (vtype_is_char(st->target))
			vload_chars(v, st, s, off);
		else
			vload_array(v, st, s, off, depth);
		return;
	case CT_COMPLEX:
		load_complex(v, st, s, off);
		return;
	case CT_FUNC:
		/* A function seen by value: what we have is its address. */
		load_function(v, s);
		return;
	case CT_VOID:
	case CT_UNKNOWN:
	case CT_TYPEDEF:
		v->value = xstrdup("?");
		return;
	default:
		break;
	}
	n = scalar_bytes(st);
	if (!n) {
		v->value = xstrdup("?");
		return;
	}
	if ((err = vsrc_read(s, off, b, n, &where))) {
		vfail(v, err, where);
		return;
	}
	vload_scalar(v, st, b, s);
	if (st->kind == CT_PTR)
		vload_pointee(v, st, s, depth);
}

/* goload: Go values, loaded the way Delve's trace loads them.
 *
 * `dlv trace` loads arguments with its ShortLoadConfig: 64 bytes of a
 * string, 3 struct fields, no pointer followed, aggregates one level deep
 * (a struct's fields, not its fields' fields); with -v N, with the level's
 * LoadConfig (getLoadConfigForVerbosity): aggregates down to its
 * MaxVariableRecurse (our max_recurse - 1), pointers followed at -v 4.
 * How it prints a value then depends on what it loaded — a struct too deep
 * is "(*T)(0x...)", an interface too deep "*(*I)(0x...)", a pointer not
 * followed "(*T)(0x...)" — so we load exactly what it loads
 * (pkg/proc/variables.go, loadValueInternal and its recurseLevel), into
 * the shape of its api.Variable, and gofmt.c prints that as it does. The
 * one difference: by default it loads no element of a slice, array or map
 * ("[...]"); we load the first max_array, as Delve does when asked for
 * more (MaxArrayValues).
 *
 * Where the bytes are: in target memory, or, for a value passed in
 * registers, in the bytes its loc assembled. Delve puts those at a fake
 * address (0xbeef000000000000 on, a slot of 0x100 per value of the stop)
 * and prints that address in places, so we use the same. What such a value
 * points to is in target memory; a read past its own bytes fails as in
 * Delve, "read out of bounds". */
#include "value/value.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "value/internal.h"

#define GO_FAKE_BASE 0xbeef000000000000ull
#define GO_FAKE_SLOT 0x100
/* Delve reads an array's shown elements at once below this stride. */
#define GO_PREFETCH_STRIDE 1024
/* Nodes loaded for one value, and the nesting of element lists (Delve
 * has no limit: a slice that holds itself would never end). The levels
 * loaded are capped the same, whatever MaxVariableRecurse a client asks
 * for: each level of a linked list followed is a few frames of our stack. */
#define GO_BUDGET 4096
#define GO_MAX_DEPTH 16

const char *gerr(int err, char *buf, size_t n)
{
	if (err == -ERANGE)
		return "read out of bounds";
	if (err == -VALUE_ENODATA)
		return "optimized out";
	/* GNU strerror_r: thread-safe, may return a static string. */
	return strerror_r(err < 0 ? -err : err, buf, n);
}

void gfail(struct value *v, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(v->unreadable);
	v->unreadable = s ? s : xstrdup("?");
}

void gcache(struct gctx *g, uint64_t addr, uint64_t n)
{
	if (n > sizeof(g->cbuf))
		n = sizeof(g->cbuf);
	g->clen = 0;
	if (!n || g->acc->read_mem(g->acc->ctx, addr, g->cbuf, (size_t)n))
		return;
	g->caddr = addr;
	g->clen = (size_t)n;
}

int gread(struct gctx *g, bool fm, uint64_t addr, void *buf, size_t n)
{
	uint64_t where;

	if (fm) {
		const struct vsrc *c = g->comp;

		if (!c || addr < g->fake || addr - g->fake > c->nbuf ||
		    n > c->nbuf - (addr - g->fake))
			return -ERANGE;
		return vsrc_read(c, addr - g->fake, buf, n, &where);
	}
	if (g->clen && addr >= g->caddr && addr - g->caddr <= g->clen &&
	    n <= g->clen - (addr - g->caddr)) {
		memcpy(buf, g->cbuf + (addr - g->caddr), n);
		return 0;
	}
	return g->acc->read_mem(g->acc->ctx, addr, buf, n);
}

int gread_ptr(struct gctx *g, bool fm, uint64_t addr, uint64_t *p)
{
	*p = 0;
	return gread(g, fm, addr, p, sizeof(*p));
}

const struct ctype_member *gmember(const struct ctype *st, const char *name)
{
	st = vtype_strip(st);
	if (!st || st->kind != CT_STRUCT)
		return NULL;
	for (size_t i = 0; i < st->nmembers; i++)
		if (st->members[i].name && !strcmp(st->members[i].name, name))
			return &st->members[i];
	return NULL;
}

/* A Go func value is a pointer (to its closure), whatever size DWARF
 * gives its type. */
uint64_t gsize(const struct ctype *t)
{
	const struct ctype *st = vtype_strip(t);

	if (!st)
		return 0;
	return st->kind == CT_FUNC ? 8 : st->size;
}

/* Delve's kind from the DWARF type: chans, maps and interfaces are
 * typedefs that Go marks (DW_AT_go_kind), strings and slices structs. */
enum vkind gkind(const struct ctype *t, const struct ctype **real)
{
	const struct ctype *c = t, *st;

	for (int i = 0; c && i < 64; i++, c = c->target) {
		if (c->go_kind == VK_CHAN || c->go_kind == VK_MAP ||
		    c->go_kind == VK_INTERFACE) {
			*real = c;
			return (enum vkind)c->go_kind;
		}
		if (c->kind != CT_TYPEDEF)
			break;
	}
	*real = st = vtype_strip(t);
	if (!st)
		return VK_INVALID;
	switch (st->kind) {
	case CT_PTR: {
		const struct ctype *to = vtype_strip(st->target);
		return !to || to->kind == CT_VOID ? VK_UNSAFEPTR : VK_PTR;
	}
	case CT_STRUCT:
		if (st->go_kind == VK_STRING || st->go_kind == VK_SLICE ||
		    st->go_kind == VK_INTERFACE)
			return (enum vkind)st->go_kind;
		return VK_STRUCT;
	case CT_ARRAY:
		return VK_ARRAY;
	case CT_INT:
	case CT_CHAR:
	case CT_ENUM:
		return st->is_signed ? VK_INT : VK_UINT; /* as Delve has it */
	case CT_BOOL:
		return VK_BOOL;
	case CT_FLOAT:
		return st->size == 4 ? VK_FLOAT32
		       : st->size == 8 ? VK_FLOAT64 : VK_INVALID;
	case CT_COMPLEX:
		return st->size == 8 ? VK_COMPLEX64
		       : st->size == 16 ? VK_COMPLEX128 : VK_INVALID;
	case CT_FUNC:
		return VK_FUNC;
	default:
		return VK_INVALID;
	}
}

bool vgo_is_go(const struct ctype *t)
{
	for (int i = 0; t && i < 64; i++, t = t->target) {
		if (t->go_kind)
			return true;
		if (t->kind != CT_TYPEDEF)
			break;
	}
	/* Pointers Go's compiler describes without the linker's kind: C
	 * would say "int *". */
	return t && t->kind == CT_PTR && t->name &&
	       (t->name[0] == '*' || !strcmp(t->name, "unsafe.Pointer"));
}

/* ---- scalars ---- */

static void load_float(struct value *v, const uint8_t *b, size_t size)
{
	char buf[400];
	double x;
	float f;

	if (size == 4) {
		memcpy(&f, b, 4);
		x = f;
	} else {
		memcpy(&x, b, 8);
	}
	gofloat_format(buf, sizeof(buf), x, size == 4 ? 32 : 64);
	v->value = xstrdup(buf);
}

static void add_part(struct value *v, const char *name, double x, int bits)
{
	struct value *c = &v->children[v->nchildren++];
	char buf[400];

	gofloat_format(buf, sizeof(buf), x, bits);
	c->name = xstrdup(name);
	c->type = xstrdup("");
	c->kind = bits == 32 ? VK_FLOAT32 : VK_FLOAT64;
	c->value = xstrdup(buf);
}

static void load_complex(struct value *v, const uint8_t *b, size_t size)
{
	double re, im;
	float f;

	if (size == 8) {
		memcpy(&f, b, 4);
		re = f;
		memcpy(&f, b + 4, 4);
		im = f;
	} else {
		memcpy(&re, b, 8);
		memcpy(&im, b + 8, 8);
	}
	/* Delve's value is a go/constant, which has no Inf or NaN: such a
	 * number becomes "unknown", and its parts 0. */
	if (!__builtin_isfinite(re) || !__builtin_isfinite(im))
		re = im = 0;
	v->children = xcalloc(2, sizeof(*v->children));
	add_part(v, "real", re, size == 8 ? 32 : 64);
	add_part(v, "imaginary", im, size == 8 ? 32 : 64);
	v->len = 2;
	v->value = xasprintf("(%s + %si)", v->children[0].value,
			     v->children[1].value);
}

static void load_scalar(struct gctx *g, struct value *v,
			const struct ctype *t, const struct ctype *st, bool fm)
{
	uint8_t b[16] = {0};
	size_t size = st ? (size_t)st->size : 0;
	char ebuf[128];
	uint64_t x = 0;
	int err;

	if (v->kind == VK_BOOL)
		size = 1; /* Delve reads one byte, whatever DWARF says */
	if (!size || size > sizeof(b)) {
		gfail(v, "invalid size (%zu) for %s", size, v->type);
		return;
	}
	if ((err = gread(g, fm, v->addr, b, size))) {
		gfail(v, "%s", gerr(err, ebuf, sizeof(ebuf)));
		return;
	}
	switch (v->kind) {
	case VK_BOOL:
		v->value = xstrdup(b[0] ? "true" : "false");
		return;
	case VK_FLOAT32:
	case VK_FLOAT64:
		load_float(v, b, size);
		return;
	case VK_COMPLEX64:
	case VK_COMPLEX128:
		load_complex(v, b, size);
		return;
	default:
		break;
	}
	if (size > 8)
		size = 8;
	memcpy(&x, b, size);
	if (v->kind == VK_INT && size < 8 && (x >> (size * 8 - 1)) & 1)
		x |= ~0ull << (size * 8);
	v->value = goint_text(g->acc, t, (int64_t)x, v->kind == VK_INT);
}

/* ---- strings ---- */

static void load_string(struct gctx *g, struct value *v, bool fm)
{
	uint64_t p = 0, len = 0;
	char ebuf[128];
	uint8_t *buf;
	size_t n;
	int err;

	if (!v->addr)
		return;
	if ((err = gread(g, fm, v->addr + 8, &len, 8))) {
		gfail(v, "could not read string len %s",
		      gerr(err, ebuf, sizeof(ebuf)));
		return;
	}
	if ((int64_t)len < 0) {
		gfail(v, "invalid length: %" PRId64, (int64_t)len);
		return;
	}
	if ((err = gread_ptr(g, fm, v->addr, &p))) {
		gfail(v, "could not read string pointer %s",
		      gerr(err, ebuf, sizeof(ebuf)));
		return;
	}
	if (!p)
		len = 0; /* Delve: no data, no length */
	v->len = (int64_t)len;
	n = len;
	if (g->cfg->max_string >= 0 && n > (size_t)g->cfg->max_string)
		n = (size_t)g->cfg->max_string;
	if (n > VALUE_BULK_MAX)
		n = VALUE_BULK_MAX;
	buf = xmalloc(n ? n : 1);
	if (n && (err = gread(g, false, p, buf, n))) {
		gfail(v, "could not read string at 0x%" PRIx64 " due to %s", p,
		      gerr(err, ebuf, sizeof(ebuf)));
		free(buf);
		return;
	}
	v->value = gostring_text(buf, n);
	free(buf);
}

/* ---- slices and arrays ---- */

/* Delve's loadArrayValues: the first max_array elements, which live in
 * target memory for a slice and beside the array for an array. */
static void load_elems(struct gctx *g, struct value *v,
		       const struct ctype *elem, uint64_t stride,
		       uint64_t base, bool fm, int level)
{
	int64_t count = v->len;
	int errs = 0;

	if (v->len < 0) {
		gfail(v, "Negative array length");
		return;
	}
	if (!base && v->len > 0) {
		gfail(v, "non-zero length array with nil base");
		return;
	}
	if (count > g->cfg->max_array)
		count = g->cfg->max_array > 0 ? g->cfg->max_array : 0;
	if (!count || level >= GO_MAX_DEPTH)
		return;
	if (!fm && stride < GO_PREFETCH_STRIDE)
		gcache(g, base, stride * (uint64_t)count);
	v->children = xcalloc((size_t)count, sizeof(*v->children));
	for (int64_t i = 0; i < count && g->budget > 0; i++) {
		struct value *c = &v->children[v->nchildren++];

		gload(g, c, "", elem, fm, base + (uint64_t)i * stride,
		      level + 1, true);
		if (c->unreadable && ++errs > GO_MAX_ERRS)
			break;
	}
}

static void load_slice(struct gctx *g, struct value *v,
		       const struct ctype *st, bool fm, int level)
{
	const struct ctype_member *arr = gmember(st, "array"),
				  *len = gmember(st, "len"),
				  *cap = gmember(st, "cap");
	const struct ctype *pt = arr ? vtype_strip(arr->type) : NULL,
			   *elem;
	uint64_t base = 0, n = 0, c = 0, stride;
	char ebuf[128];
	int err;

	if (!v->addr)
		return;
	if (!pt || pt->kind != CT_PTR || !len || !cap) {
		gfail(v, "Invalid type %s in slice array", v->type);
		return;
	}
	if ((err = gread_ptr(g, fm, v->addr + arr->offset, &base)) ||
	    (err = gread(g, fm, v->addr + len->offset, &n, 8)) ||
	    (err = gread(g, fm, v->addr + cap->offset, &c, 8))) {
		gfail(v, "%s", gerr(err, ebuf, sizeof(ebuf)));
		return;
	}
	v->len = (int64_t)n;
	v->cap = (int64_t)c;
	if (base)
		v->flags |= VF_GO_BASE;
	elem = pt->target;
	stride = gsize(elem);
	load_elems(g, v, elem, stride, base, false, level);
}

static void load_array(struct gctx *g, struct value *v,
		       const struct ctype *st, bool fm, int level)
{
	uint64_t stride = st->count ? st->size / st->count : 0;

	v->len = (int64_t)st->count;
	v->cap = -1;
	if (!v->addr)
		return;
	v->flags |= VF_GO_BASE;
	if (!stride)
		stride = gsize(st->target);
	load_elems(g, v, st->target, stride, v->addr, fm, level);
}

/* ---- structs ---- */

/* The name of the *time.Location at p, read as Delve reads it. */
static char *loc_name(struct gctx *g, const struct ctype *loct, uint64_t p)
{
	const struct ctype *pt = vtype_strip(loct);
	const struct ctype_member *m =
		pt && pt->kind == CT_PTR ? gmember(pt->target, "name") : NULL;
	uint64_t s = 0, n = 0;
	uint8_t buf[64];

	if (!m || gread_ptr(g, false, p + m->offset, &s) ||
	    gread(g, false, p + m->offset + 8, &n, 8) || n > sizeof(buf) ||
	    (n && gread(g, false, s, buf, (size_t)n)))
		return NULL;
	return xstrndup((const char *)buf, (size_t)n);
}

/* Delve's formatTime: a time.Time whose fields were loaded gets the date
 * as its value ("time.Time(2009-11-10T23:00:00Z){wall: ...}"). */
static void time_value(struct gctx *g, struct value *v,
		       const struct ctype *st)
{
	const struct value *wall = NULL, *ext = NULL, *loc = NULL;
	const struct ctype_member *lm = gmember(st, "loc");
	char *name = NULL;

	for (size_t i = 0; i < v->nchildren; i++) {
		const struct value *c = &v->children[i];

		if (!strcmp(c->name, "wall"))
			wall = c;
		else if (!strcmp(c->name, "ext"))
			ext = c;
		else if (!strcmp(c->name, "loc"))
			loc = c;
	}
	if (!wall || !ext || wall->unreadable || ext->unreadable ||
	    !wall->value || !ext->value)
		return;
	if (loc && !loc->unreadable && loc->nchildren &&
	    loc->children[0].addr && lm)
		name = loc_name(g, lm->type, loc->children[0].addr);
	v->value = gotime_text(strtoull(wall->value, NULL, 10),
			       strtoll(ext->value, NULL, 10), name);
	free(name);
}

static void load_struct(struct gctx *g, struct value *v,
			const struct ctype *st, bool fm, int level)
{
	size_t n = st->nmembers;

	v->len = (int64_t)st->nmembers;
	if (!v->addr || level > g->max_level || !n)
		return;
	if (g->cfg->max_fields >= 0 && n > (size_t)g->cfg->max_fields)
		n = (size_t)g->cfg->max_fields;
	if (!n)
		return;
	if (!fm)
		gcache(g, v->addr, st->size);
	v->children = xcalloc(n, sizeof(*v->children));
	for (size_t i = 0; i < n; i++) {
		const struct ctype_member *m = &st->members[i];

		gload(g, &v->children[v->nchildren++], m->name, m->type, fm,
		      v->addr + m->offset, level + 1, true);
	}
	if (st->name && !strcmp(st->name, "time.Time"))
		time_value(g, v, st);
}

/* ---- pointers, channels, funcs ---- */

/* Not followed (Delve's default), the target's address is all there is.
 * Followed, the target is loaded at the pointer's own level: a pointer
 * is not a level of nesting. But a pointer to a pointer or to an
 * interface is (a cycle through them would never end), and the target
 * of a pointer to a pointer is not loaded at all past max_level. */
static void load_ptr(struct gctx *g, struct value *v, const struct ctype *st,
		     bool fm, int level)
{
	const struct ctype *treal;
	bool load = false;
	int next = level;
	struct value *c;
	char ebuf[128];
	uint64_t p = 0;
	int err;

	if (!v->addr)
		return;
	v->len = 1;
	v->children = c = xcalloc(1, sizeof(*c));
	v->nchildren = 1;
	err = gread_ptr(g, fm, v->addr, &p);
	if (g->cfg->follow_pointers) {
		/* unsafe.Pointer is Delve's pointer to void: a pointer too */
		switch (gkind(st->target, &treal)) {
		case VK_INTERFACE:
			load = true;
			next++;
			break;
		case VK_PTR:
		case VK_UNSAFEPTR:
			load = level <= g->max_level;
			next++;
			break;
		default:
			load = true;
			break;
		}
	}
	gload(g, c, "", st->target, false, err ? 0 : p, next, load);
	if (err) {
		const char *e = gerr(err, ebuf, sizeof(ebuf));
		gfail(v, "%s", e);
		gfail(c, "parent pointer unreadable: %s", e);
		return;
	}
	v->value = xasprintf("%" PRIu64, p);
}

/* A chan is a pointer to its runtime.hchan, whose first fields are the
 * count and the capacity Delve prints ("chan int 1/3"). */
static void load_chan(struct gctx *g, struct value *v, const struct ctype *t,
		      bool fm)
{
	const struct ctype *pt = vtype_strip(t), *h;
	uint64_t p = 0;

	h = pt && pt->kind == CT_PTR ? vtype_strip(pt->target) : NULL;
	if (!v->addr || !h || h->kind != CT_STRUCT || h->nmembers < 2 ||
	    gread_ptr(g, fm, v->addr, &p) || !p)
		return;
	v->flags |= VF_GO_BASE;
	v->len = (int64_t)h->nmembers;
	v->children = xcalloc(2, sizeof(*v->children));
	for (size_t i = 0; i < 2; i++)
		gload(g, &v->children[v->nchildren++], h->members[i].name,
		      h->members[i].type, false, p + h->members[i].offset, 0,
		      true);
}

static void load_func(struct gctx *g, struct value *v, bool fm)
{
	uint64_t closure = 0, pc = 0;
	const char *name;
	char ebuf[128];
	int err;

	if (!v->addr)
		return;
	if ((err = gread_ptr(g, fm, v->addr, &closure))) {
		gfail(v, "%s", gerr(err, ebuf, sizeof(ebuf)));
		return;
	}
	if (!closure)
		return; /* nil */
	/* The closure is in target memory. Delve reads it through the
	 * func value's own memory, which fails for a func passed in
	 * registers ("read out of bounds"): a bug we do not copy. */
	if ((err = gread_ptr(g, false, closure, &pc))) {
		gfail(v, "%s", gerr(err, ebuf, sizeof(ebuf)));
		return;
	}
	name = g->acc->name_at ? g->acc->name_at(g->acc->ctx, pc) : NULL;
	if (!name) {
		gfail(v, "could not find function for 0x%" PRIx64, pc);
		return;
	}
	v->value = xstrdup(name);
}

/* ---- dispatch ---- */

void gload(struct gctx *g, struct value *v, const char *name,
	   const struct ctype *t, bool fm, uint64_t addr, int level, bool load)
{
	const struct ctype *real = NULL;

	memset(v, 0, sizeof(*v));
	v->name = xstrdup(name ? name : "");
	v->type = xstrdup(!t ? "void" : t->name ? t->name : "");
	v->kind = gkind(t, &real);
	v->addr = addr;
	g->budget--;
	if (!load) {
		v->flags |= VF_GO_ONLYADDR;
		return;
	}
	switch (v->kind) {
	case VK_STRING:
		load_string(g, v, fm);
		return;
	case VK_SLICE:
		load_slice(g, v, real, fm, level);
		return;
	case VK_ARRAY:
		load_array(g, v, real, fm, level);
		return;
	case VK_STRUCT:
		load_struct(g, v, real, fm, level);
		return;
	case VK_PTR:
	case VK_UNSAFEPTR:
		load_ptr(g, v, real, fm, level);
		return;
	case VK_CHAN:
		load_chan(g, v, real, fm);
		return;
	case VK_MAP:
		gload_map(g, v, real, fm, level);
		return;
	case VK_INTERFACE:
		gload_iface(g, v, real, fm, level);
		return;
	case VK_FUNC:
		load_func(g, v, fm);
		return;
	case VK_INVALID:
		if (!addr)
			return;
		if (real && real->kind != CT_VOID)
			gfail(v, "unknown type: %s", v->type);
		else
			gfail(v, "unknown or unsupported kind: \"invalid\"");
		return;
	default:
		if (addr)
			load_scalar(g, v, t, real, fm);
		return;
	}
}

void vgo_load(struct value *out, const char *name, const struct ctype *t,
	      const struct vsrc *s)
{
	const struct target_access *acc = s->acc;
	struct gctx gc, *g = &gc;
	uint64_t addr;
	bool fm = !s->mem;

	/* not the cache's bytes: those are valid up to clen */
	memset(g, 0, offsetof(struct gctx, cbuf));
	g->acc = acc;
	g->cfg = s->cfg;
	g->budget = GO_BUDGET;
	g->max_level = s->cfg->max_recurse - 1;
	if (g->max_level > GO_MAX_DEPTH)
		g->max_level = GO_MAX_DEPTH;
	if (s->mem) {
		/* what value_load read ahead is the first cache */
		addr = s->addr;
		g->clen = s->nbuf < sizeof(g->cbuf) ? s->nbuf : sizeof(g->cbuf);
		if (g->clen)
			memcpy(g->cbuf, s->buf, g->clen);
		g->caddr = s->addr;
	} else {
		unsigned n = acc->go_fake_n ? (*acc->go_fake_n)++ : 0;

		g->comp = s;
		g->fake = GO_FAKE_BASE + (uint64_t)n * GO_FAKE_SLOT;
		addr = g->fake;
	}
	gload(g, out, name, t, fm, addr, 0, true);
}

void vgo_fail(struct value *out, const char *name, const struct ctype *t,
	      int err)
{
	const struct ctype *real;
	char ebuf[128];

	memset(out, 0, sizeof(*out));
	out->name = xstrdup(name ? name : "");
	out->type = xstrdup(!t ? "void" : t->name ? t->name : "");
	out->kind = gkind(t, &real);
	gfail(out, "%s", gerr(err, ebuf, sizeof(ebuf)));
}

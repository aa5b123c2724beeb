/* goiface: the Go values whose layout is the runtime's — interfaces
 * (runtime.iface and runtime.eface) and maps (runtime.hmap and its
 * buckets) — loaded as Delve loads them (pkg/proc/variables.go:
 * loadInterface, mapIterator); and the types of a generic function's
 * type parameters, from the runtime descriptors in its dictionary. */
#include "value/value.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "value/internal.h"

/* runtime._type.kind: its byte offset (Go 1.19 as in later ones:
 * size, ptrdata, hash, tflag, align, fieldAlign, kind), and the flag of a
 * type whose value sits in the interface's data word itself. */
#define RTYPE_KIND_OFF 23
#define KIND_DIRECT_IFACE 32

/* The itab's _type field, from the iface's tab pointer type. */
static const struct ctype_member *itab_type(const struct ctype *tabt)
{
	const struct ctype *pt = vtype_strip(tabt);

	return pt && pt->kind == CT_PTR ? gmember(pt->target, "_type") : NULL;
}

void gload_iface(struct gctx *g, struct value *v, const struct ctype *real,
		 bool fm, int level)
{
	const struct ctype *st = vtype_strip(real), *dyn, *dreal;
	const struct ctype_member *tab = gmember(st, "tab"),
				  *typ = gmember(st, "_type"),
				  *data = gmember(st, "data"), *it = NULL;
	const struct target_access *acc = g->acc;
	uint64_t rtype = 0, tp = 0, daddr, dp = 0;
	struct value *c;
	uint8_t kind = 0xff;
	enum vkind dk;
	bool isnil;
	int err;

	if (!v->addr)
		return;
	if (!data || (!tab && !typ) || (tab && !(it = itab_type(tab->type)))) {
		gfail(v, "invalid interface type");
		return;
	}
	/* A read that fails leaves a nil pointer, as Delve's does. */
	if (tab) {
		isnil = gread_ptr(g, fm, v->addr + tab->offset, &tp) || !tp;
		if (!isnil)
			gread_ptr(g, false, tp + it->offset, &rtype);
	} else {
		isnil = gread_ptr(g, fm, v->addr + typ->offset, &rtype) ||
			!rtype;
	}
	daddr = v->addr + data->offset;
	if (isnil) {
		/* The data word as an untyped pointer's target: "error nil" */
		v->children = c = xcalloc(1, sizeof(*c));
		v->nchildren = 1;
		err = gread_ptr(g, fm, daddr, &dp);
		gload(g, c, "", NULL, false, dp, level, true);
		if (err)
			gfail(c, "read error");
		return;
	}
	dyn = rtype && acc->go_type ? acc->go_type(acc->ctx, rtype) : NULL;
	if (!dyn) {
		gfail(v, "could not resolve interface type");
		return;
	}
	/* Delve reads the kind off the descriptor; unread, it is -1, which
	 * has every flag. */
	if (gread(g, false, rtype + RTYPE_KIND_OFF, &kind, 1))
		kind = 0xff;
	dk = gkind(dyn, &dreal);
	v->children = c = xcalloc(1, sizeof(*c));
	v->nchildren = 1;
	/* Deeper than max_level Delve has the data's address only: "...", or
	 * "*(*error)(0x...)". */
	if (!(kind & KIND_DIRECT_IFACE) && dk != VK_PTR && dk != VK_UNSAFEPTR) {
		/* the data word points to the value */
		err = gread_ptr(g, fm, daddr, &dp);
		gload(g, c, "data", dyn, false, dp, level,
		      level <= g->max_level && !err);
		if (err)
			gfail(c, "read error");
	} else {
		/* the data word is the value (a pointer, a map...) */
		gload(g, c, "data", dyn, fm, daddr, level,
		      level <= g->max_level);
	}
}

/* ---- maps ---- */

/* A walk of the buckets in Delve's order (mapIterator.next). */
struct mapit {
	uint64_t nbuckets, oldmask, buckets, oldbuckets, bsize;
	uint64_t b, overflow, bidx;
	unsigned idx, ntop;
	uint64_t top_off, keys_off, vals_off, over_off;
	uint64_t kstride, vstride;
	const struct ctype *ktype, *vtype;
	uint8_t tophash[8];
	unsigned visits; /* buckets read: a corrupt overflow chain ends */
};

/* Go 1.12 and later: empty slots, and the marks of an evacuated bucket. */
#define TOPHASH_EMPTY_REST 0
#define TOPHASH_EMPTY_ONE 1
#define TOPHASH_MIN 5
#define MAP_MAX_VISITS (1u << 20)

static bool evacuated(struct gctx *g, const struct mapit *it, uint64_t b)
{
	uint8_t h;

	if (!b || gread(g, false, b + it->top_off, &h, 1))
		return true;
	return h > TOPHASH_EMPTY_ONE && h < TOPHASH_MIN;
}

static bool next_bucket(struct gctx *g, struct mapit *it)
{
	if (it->b && it->overflow) {
		it->b = it->overflow;
	} else {
		it->b = 0;
		while (it->bidx < it->nbuckets) {
			uint64_t oldbidx, oldb;

			it->b = it->buckets + it->bsize * it->bidx;
			if (!it->oldbuckets)
				break;
			/* mid-grow: a bucket not filled yet is read from
			 * the old one it comes from, once */
			oldbidx = it->bidx & it->oldmask;
			oldb = it->oldbuckets + it->bsize * oldbidx;
			if (evacuated(g, it, oldb))
				break;
			if (oldbidx == it->bidx) {
				it->b = oldb;
				break;
			}
			it->b = 0;
			it->bidx++;
		}
		if (!it->b)
			return false;
		it->bidx++;
	}
	if (++it->visits > MAP_MAX_VISITS)
		return false;
	gcache(g, it->b, it->bsize);
	return !gread(g, false, it->b + it->top_off, it->tophash, it->ntop) &&
	       !gread_ptr(g, false, it->b + it->over_off, &it->overflow);
}

static bool next_slot(struct gctx *g, struct mapit *it)
{
	for (;;) {
		uint8_t h;

		if (!it->b || it->idx >= it->ntop) {
			if (!next_bucket(g, it))
				return false;
			it->idx = 0;
		}
		h = it->tophash[it->idx++];
		if (h != TOPHASH_EMPTY_REST && h != TOPHASH_EMPTY_ONE)
			return true;
	}
}

/* The bucket's layout (bucket<K,V>: tophash, keys, values, overflow). */
static bool bucket_layout(struct mapit *it, const struct ctype *bt)
{
	const struct ctype_member *top = gmember(bt, "tophash"),
				  *keys = gmember(bt, "keys"),
				  *vals = gmember(bt, "values"),
				  *over = gmember(bt, "overflow");
	const struct ctype *tt, *kt, *vt;

	if (!top || !keys || !vals || !over)
		return false;
	tt = vtype_strip(top->type);
	kt = vtype_strip(keys->type);
	vt = vtype_strip(vals->type);
	if (!tt || !kt || !vt || tt->kind != CT_ARRAY || kt->kind != CT_ARRAY ||
	    vt->kind != CT_ARRAY || !tt->count || tt->count > 8 ||
	    kt->count != tt->count ||
	    (gsize(vt->target) && vt->count != tt->count))
		return false;
	it->ntop = (unsigned)tt->count;
	it->top_off = top->offset;
	it->keys_off = keys->offset;
	it->vals_off = vals->offset;
	it->over_off = over->offset;
	it->ktype = kt->target;
	it->vtype = vt->target;
	it->kstride = gsize(kt->target);
	it->vstride = gsize(vt->target);
	it->bsize = vtype_strip(bt)->size;
	return true;
}

static void map_elems(struct gctx *g, struct value *v, struct mapit *it,
		      int level)
{
	int64_t want = v->len;
	int errs = 0;

	if (want > g->cfg->max_array)
		want = g->cfg->max_array;
	if (want <= 0)
		return;
	v->children = xcalloc(2 * (size_t)want, sizeof(*v->children));
	while (v->nchildren / 2 < (size_t)want && g->budget > 0 &&
	       next_slot(g, it)) {
		struct value *k = &v->children[v->nchildren++];
		struct value *e = &v->children[v->nchildren++];
		uint64_t slot = it->idx - 1;

		gload(g, k, "", it->ktype, false,
		      it->b + it->keys_off + slot * it->kstride, level + 1,
		      true);
		gload(g, e, "", it->vtype, false,
		      it->b + it->vals_off + slot * it->vstride, level + 1,
		      true);
		if ((k->unreadable || e->unreadable) && ++errs > GO_MAX_ERRS)
			break;
	}
}

void gload_map(struct gctx *g, struct value *v, const struct ctype *real,
	       bool fm, int level)
{
	const struct ctype *pt = vtype_strip(real), *h, *bt = NULL;
	const struct ctype_member *count, *b, *buckets, *old;
	struct mapit it = {0};
	uint64_t hp = 0, n = 0;
	uint8_t lb = 0;
	char ebuf[128];
	int err;

	if (!v->addr)
		return;
	h = pt && pt->kind == CT_PTR ? vtype_strip(pt->target) : NULL;
	if (!h || h->kind != CT_STRUCT) {
		gfail(v, "wrong real type for map");
		return;
	}
	/* unreadable, as nil: no hmap */
	if (gread_ptr(g, fm, v->addr, &hp) || !hp)
		return;
	v->flags |= VF_GO_BASE;
	count = gmember(h, "count");
	b = gmember(h, "B");
	buckets = gmember(h, "buckets");
	old = gmember(h, "oldbuckets");
	if (buckets) {
		const struct ctype *bp = vtype_strip(buckets->type);
		bt = bp && bp->kind == CT_PTR ? vtype_strip(bp->target) : NULL;
	}
	if (!count || !b || !buckets || !old || !bt || bt->kind != CT_STRUCT) {
		gfail(v, "malformed map type: buckets, oldbuckets or overflow "
			 "field not a struct");
		return;
	}
	if ((err = gread(g, false, hp + count->offset, &n, 8)) ||
	    (err = gread(g, false, hp + b->offset, &lb, 1)) ||
	    (err = gread_ptr(g, false, hp + buckets->offset, &it.buckets)) ||
	    (err = gread_ptr(g, false, hp + old->offset, &it.oldbuckets))) {
		gfail(v, "%s", gerr(err, ebuf, sizeof(ebuf)));
		return;
	}
	v->len = (int64_t)n;
	/* Deeper than max_level Delve counts the pairs and shows none. */
	if (level > g->max_level || v->len <= 0)
		return;
	if (!bucket_layout(&it, bt)) {
		gfail(v, "malformed map type");
		return;
	}
	it.nbuckets = lb < 64 ? 1ull << lb : 0;
	it.oldmask = lb >= 1 && lb <= 64 ? (1ull << (lb - 1)) - 1 : ~0ull;
	map_elems(g, v, &it, level);
}

/* ---- generic functions' type parameters ---- */

/* The 8 bytes of a one-piece loc: a register, or memory. */
static int loc_u64(const struct loc *l, const struct target_access *acc,
		   uint64_t *out)
{
	const struct loc_piece *p;
	uint64_t base = 0;
	int err;

	if (!l || l->npieces != 1)
		return -VALUE_ENODATA;
	p = &l->pieces[0];
	switch (p->kind) {
	case LOC_REG:
		return vreg_read_u64(acc, p->reg, out);
	case LOC_MEM:
		if ((err = vreg_read_u64(acc, p->reg, &base)))
			return err;
		return acc->read_mem(acc->ctx, base + (uint64_t)p->off, out, 8);
	default:
		return -VALUE_ENODATA;
	}
}

const struct ctype *value_go_param_type(const struct ctype *t,
					const struct loc *dict,
					const struct target_access *acc)
{
	const struct ctype *real;
	uint64_t d = 0, rtype = 0;

	if (!t || !t->go_dict_slot)
		return t;
	/* The dictionary starts with the type parameters' descriptors, a
	 * pointer each, in go_dict_slot's order. A type of the shape's size
	 * only: a shape has its types' layout, and a wrong read (a
	 * dictionary pointer gone stale) must not decode the bytes as
	 * something else. */
	if (acc->go_type && !loc_u64(dict, acc, &d) && d &&
	    !acc->read_mem(acc->ctx, d + 8 * (uint64_t)(t->go_dict_slot - 1),
			   &rtype, 8) &&
	    rtype && (real = acc->go_type(acc->ctx, rtype)) &&
	    real->size == t->size)
		return real;
	return t->target ? t->target : t;
}

/* load: value_load — from a loc (where) and a ctype (what) to a value tree.
 *
 * The loc's pieces are turned into one source of bytes (struct vsrc): either
 * "memory at this address", read lazily, or a small buffer assembled from
 * registers, constants and memory pieces. Decoding then walks the type over
 * that source (decode.c, aggregate.c). */
#include "value/value.h"

#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "value/internal.h"

/* Bytes of DWARF register reg as read_reg hands them out. */
static size_t reg_size(int reg)
{
	if (reg >= DREG_XMM0 && reg < DREG_XMM0 + 16)
		return 16;
	if (reg >= DREG_ST0 && reg < DREG_ST0 + 8)
		return 10;
	return 8;
}

int vreg_read_u64(const struct target_access *acc, int reg, uint64_t *out)
{
	uint8_t b[16] = {0};
	int err = acc->read_reg(acc->ctx, reg, b, reg_size(reg));

	if (err)
		return err;
	memcpy(out, b, 8);
	return 0;
}

/* The address a memory piece designates. On a failed read *where is the
 * address that could not be read (the pointer's home for LOC_MEM_DEREF). */
static int piece_addr(const struct target_access *acc,
		      const struct loc_piece *p, uint64_t *addr,
		      uint64_t *where)
{
	uint64_t base = 0;
	int err;

	*where = 0;
	if (p->kind == LOC_MEM_ADDR) {
		*addr = (uint64_t)p->off + acc->bias;
		return 0;
	}
	if ((err = vreg_read_u64(acc, p->reg, &base)))
		return err;
	*addr = base + (uint64_t)p->off;
	if (p->kind != LOC_MEM_DEREF)
		return 0;
	*where = *addr;
	if ((err = acc->read_mem(acc->ctx, *addr, addr, sizeof(*addr))))
		return err;
	*where = 0;
	return 0;
}

static bool is_mem_piece(const struct loc_piece *p)
{
	return p->kind == LOC_MEM || p->kind == LOC_MEM_ADDR ||
	       p->kind == LOC_MEM_DEREF;
}

static bool loc_empty(const struct loc *l)
{
	if (!l)
		return true;
	for (size_t i = 0; i < l->npieces; i++)
		if (l->pieces[i].kind != LOC_OPTIMIZED)
			return false;
	return true;
}

/* True when loc is one LOC_EXPR piece for the whole value that does not
 * compute the value itself but its address (in *addr), or fails (*err). */
static bool whole_expr_addr(const struct loc *l, uint64_t tsize,
			    const struct target_access *acc, uint64_t *addr,
			    int *err, uint64_t *where)
{
	const struct loc_piece *p = &l->pieces[0];
	bool is_value = false;

	if (l->npieces != 1 || p->kind != LOC_EXPR ||
	    (p->size && p->size < tsize) || !p->nops ||
	    p->ops[p->nops - 1].atom == DW_OP_stack_value)
		return false;
	*err = dwexpr_eval(p->ops, p->nops, acc, addr, &is_value, where);
	return true;
}

/* Bytes from the start of a struct to the end of the members we show. */
static uint64_t shown_members(const struct ctype *st,
			      const struct load_config *cfg)
{
	size_t n = st->nmembers;
	uint64_t end = 0;

	if (cfg->max_fields >= 0 && n > (size_t)cfg->max_fields)
		n = (size_t)cfg->max_fields;
	for (size_t i = 0; i < n; i++) {
		const struct ctype_member *m = &st->members[i];
		const struct ctype *mt = vtype_strip(m->type);
		uint64_t e = m->offset;

		if (m->bit_size)
			e += ((uint64_t)m->bit_offset + m->bit_size + 7) / 8;
		else if (mt && mt->size)
			e += mt->size;
		else
			return st->size; /* unknown size: take it all */
		if (e > end)
			end = e;
	}
	return end;
}

/* How much of a value in memory is worth one read up front: the part we
 * show — the first elements of an array, the first members of a struct —
 * or all of it, never more than VALUE_BULK_MAX. */
static size_t bulk_size(const struct ctype *st, const struct load_config *cfg)
{
	uint64_t n = st ? st->size : 0, shown = n;

	if (!st)
		return 0;
	if (st->kind == CT_ARRAY && !vtype_is_char(st->target)) {
		const struct ctype *el = vtype_strip(st->target);
		shown = el ? (uint64_t)(cfg->max_array > 0 ? cfg->max_array
							   : 0) * el->size
			   : 0;
	} else if (st->kind == CT_STRUCT || st->kind == CT_UNION) {
		shown = shown_members(st, cfg);
	}
	if (shown < n)
		n = shown;
	if (n > VALUE_BULK_MAX)
		n = VALUE_BULK_MAX;
	return (size_t)n;
}

/* Sets s up for a value that lives whole in memory at s->addr. A value
 * whose first byte is unreadable is unreadable as a whole; otherwise a
 * failed bulk read just means some part (the end of a mapping) is not
 * there, and each field is then read on its own. */
static int open_mem(struct vsrc *s, const struct ctype *st, uint64_t *where)
{
	const struct target_access *acc = s->acc;
	size_t n = bulk_size(st, s->cfg);
	uint8_t probe;
	int err;

	s->mem = true;
	if (!n)
		return 0;
	s->buf = n <= sizeof(s->small) ? s->small : xmalloc(n);
	if (!acc->read_mem(acc->ctx, s->addr, s->buf, n)) {
		s->nbuf = n;
		return 0;
	}
	if ((err = acc->read_mem(acc->ctx, s->addr, &probe, 1))) {
		*where = s->addr;
		return err;
	}
	return 0;
}

static void put_u64(struct vsrc *s, size_t pos, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++) {
		s->buf[pos + i] = i < 8 ? (uint8_t)(x >> (8 * i)) : 0;
		s->valid[pos + i] = 1;
	}
}

/* Fills buf[pos, pos+n) from piece p. */
static int fill_piece(struct vsrc *s, const struct loc_piece *p, size_t pos,
		      size_t n, uint64_t *where)
{
	const struct target_access *acc = s->acc;
	uint8_t reg[16] = {0};
	uint64_t addr, x;
	bool is_value;
	size_t have;
	int err;

	switch (p->kind) {
	case LOC_REG:
		/* A piece may ask for more than the register holds (a long
		 * double's 16 bytes from a 10-byte st register): the rest is
		 * padding, which stays invalid. */
		have = reg_size(p->reg);
		if ((err = acc->read_reg(acc->ctx, p->reg, reg, have)))
			return err;
		if (have > n)
			have = n;
		memcpy(s->buf + pos, reg, have);
		memset(s->valid + pos, 1, have);
		return 0;
	case LOC_MEM:
	case LOC_MEM_ADDR:
	case LOC_MEM_DEREF:
		if ((err = piece_addr(acc, p, &addr, where)))
			return err;
		if ((err = acc->read_mem(acc->ctx, addr, s->buf + pos, n))) {
			*where = addr;
			return err;
		}
		memset(s->valid + pos, 1, n);
		return 0;
	case LOC_VALUE_REG:
		if ((err = vreg_read_u64(acc, p->reg, &x)))
			return err;
		put_u64(s, pos, n, x + (uint64_t)p->off);
		return 0;
	case LOC_CONST:
		put_u64(s, pos, n, (uint64_t)p->off);
		return 0;
	case LOC_BYTES:
		have = n < sizeof(p->bytes) ? n : sizeof(p->bytes);
		memcpy(s->buf + pos, p->bytes, have);
		memset(s->valid + pos, 1, have);
		return 0;
	case LOC_EXPR:
		err = dwexpr_eval(p->ops, p->nops, acc, &x, &is_value, where);
		if (err == -VALUE_ENODATA)
			return 0; /* this piece is optimized out, not all */
		if (err)
			return err;
		if (is_value) {
			put_u64(s, pos, n, x);
			return 0;
		}
		if ((err = acc->read_mem(acc->ctx, x, s->buf + pos, n))) {
			*where = x;
			return err;
		}
		memset(s->valid + pos, 1, n);
		return 0;
	case LOC_OPTIMIZED:
	default:
		return 0;
	}
}

/* Frees what open_mem and assemble took from the heap. */
static void vsrc_release(struct vsrc *s)
{
	if (s->buf != s->small)
		free(s->buf);
	if (s->valid != s->small_valid)
		free(s->valid);
}

/* Concatenates the pieces' bytes into s->buf. */
static int assemble(struct vsrc *s, const struct loc *l, uint64_t tsize,
		    uint64_t *where)
{
	uint64_t total = 0;
	size_t pos = 0;
	int err;

	if (tsize > VALUE_BULK_MAX)
		tsize = VALUE_BULK_MAX;
	for (size_t i = 0; i < l->npieces; i++)
		total += l->pieces[i].size ? l->pieces[i].size : tsize;
	if (total > VALUE_BULK_MAX)
		total = VALUE_BULK_MAX;
	if (total < tsize)
		total = tsize;
	s->nbuf = (size_t)total;
	if (s->nbuf <= sizeof(s->small)) {
		s->buf = s->small;
		s->valid = s->small_valid;
		memset(s->small, 0, sizeof(s->small));
		memset(s->small_valid, 0, sizeof(s->small_valid));
	} else {
		s->buf = xcalloc(s->nbuf, 1);
		s->valid = xcalloc(s->nbuf, 1);
	}
	for (size_t i = 0; i < l->npieces && pos < s->nbuf; i++) {
		const struct loc_piece *p = &l->pieces[i];
		size_t n = p->size ? p->size : (size_t)tsize;

		if (n > s->nbuf - pos)
			n = s->nbuf - pos;
		if ((err = fill_piece(s, p, pos, n, where)))
			return err;
		pos += n;
	}
	return 0;
}

void vload_pointee(struct value *v, const struct ctype *st,
		   const struct vsrc *s, int depth)
{
	const struct ctype *tt = vtype_strip(st->target);
	struct vsrc ps = {.acc = s->acc, .cfg = s->cfg, .addr = v->addr,
			  .up = s};
	uint64_t where = 0;
	int err;

	if (!s->cfg->follow_pointers || v->kind != VK_PTR || !v->addr ||
	    v->unreadable || depth + 1 > s->cfg->max_recurse || !tt ||
	    (tt->kind != CT_STRUCT && tt->kind != CT_UNION) || !tt->size)
		return;
	for (const struct vsrc *u = s; u; u = u->up)
		if (u->mem && u->addr == v->addr)
			return;
	v->children = xcalloc(1, sizeof(*v->children));
	v->nchildren = 1;
	if ((err = open_mem(&ps, tt, &where))) {
		vinit(v->children, "", st->target, tt);
		v->children->addr = v->addr;
		vfail(v->children, err, where);
	} else {
		vload_at(v->children, "", st->target, &ps, 0, depth + 1);
	}
	vsrc_release(&ps);
}

int vsrc_read(const struct vsrc *s, uint64_t off, void *out, size_t n,
	      uint64_t *where)
{
	int err;

	*where = 0;
	if (s->mem) {
		if (off + n <= s->nbuf) {
			memcpy(out, s->buf + off, n);
			return 0;
		}
		err = s->acc->read_mem(s->acc->ctx, s->addr + off, out, n);
		if (err)
			*where = s->addr + off;
		return err;
	}
	if (off > s->nbuf || n > s->nbuf - off)
		return -VALUE_ENODATA;
	for (size_t i = 0; i < n; i++)
		if (!s->valid[off + i])
			return -VALUE_ENODATA;
	memcpy(out, s->buf + off, n);
	return 0;
}

void value_load(struct value *out, const char *name, const struct ctype *t,
		const struct loc *loc, const struct target_access *acc,
		const struct load_config *cfg)
{
	const struct ctype *st = vtype_strip(t);
	struct vsrc s = {.acc = acc, .cfg = cfg ? cfg : &LOAD_SHORT};
	bool go = vgo_is_go(t);
	uint64_t tsize = go ? gsize(t) : st ? st->size : 0, where = 0;
	int err;

	if (loc_empty(loc)) {
		err = -VALUE_ENODATA;
		goto fail;
	}
	if (loc->npieces == 1 && is_mem_piece(&loc->pieces[0]) &&
	    (!loc->pieces[0].size || loc->pieces[0].size >= tsize)) {
		if ((err = piece_addr(acc, &loc->pieces[0], &s.addr, &where)))
			goto fail;
		err = open_mem(&s, st, &where);
	} else if (whole_expr_addr(loc, tsize, acc, &s.addr, &err, &where)) {
		/* An address computed for the whole value: read it like
		 * any value in memory, lazily. */
		if (!err)
			err = open_mem(&s, st, &where);
	} else {
		err = assemble(&s, loc, tsize, &where);
	}
	if (err)
		goto fail;
	if (go)
		vgo_load(out, name, t, &s);
	else
		vload_at(out, name, t, &s, 0, 0);
	goto out;
fail:
	if (go) {
		vgo_fail(out, name, t, err);
		goto out;
	}
	vinit(out, name, t, st);
	vfail(out, err, where);
out:
	vsrc_release(&s);
}

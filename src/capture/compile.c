/* compile: a value's type and loc (and the debugger's own reads at a hit)
 * turned into capture ops.
 *
 * The ops mirror what the value layer reads (value/load.c, decode.c,
 * aggregate.c, cstring.c for C; goload.c for Go) with the same load_config:
 * the value's own bytes where they are in memory, then for each pointer the
 * loader follows (a C string, a struct pointee with follow_pointers, a Go
 * string's or slice's data, a Go pointer's target...) an op whose address
 * is that pointer, read from the registers or from the chunk of the op that
 * copied it. A value is compiled against a *place*: the chunk (op, offset)
 * its bytes are in, or the loc's register pieces. What cannot be expressed
 * (a value in x87 registers, a DWARF expression that reads memory, a Go
 * interface or map, a plan past its limits) is -ENOTSUP: that probe then
 * needs a stop, which is slower but always right. */
#include "capture/capture.h"

#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "value/internal.h"

/* Bytes of a C string copied: its length is found by the NUL, and the
 * loader reports the whole length ("...+N more"), so copy well past what
 * it shows. A longer string shows the length of the part copied. */
#define CAPTURE_CSTR_LEN 1024

/* goload.c's GO_MAX_DEPTH: the nesting of element lists it loads. */
#define CAPTURE_GO_MAX_DEPTH 16

void capture_plan_init(struct cap_plan *p)
{
	memset(p, 0, sizeof(*p));
}

/* Bytes a plan may copy at most (each op at its length, repeats
 * included): the record's data must fit CAP_MAX_DATA whatever the target
 * holds, so a plan that could exceed it is refused when compiled. */
static uint64_t plan_bytes(const struct cap_plan *p)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < p->nops; i++) {
		const struct cap_op *o = &p->ops[i];
		uint64_t rep = 1;

		if (o->rep.src != CAP_SRC_NONE || o->rep.disp) {
			rep = o->rep_max ? o->rep_max : CAP_MAX_REP;
			if (rep > CAP_MAX_REP)
				rep = CAP_MAX_REP;
		}
		n += rep * (((uint64_t)o->len + 7) & ~7ull);
	}
	return n;
}

static uint32_t num_regmask(const struct cap_num *n)
{
	return n->src == CAP_SRC_REG && n->reg < CAP_NREGS ? 1u << n->reg : 0;
}

/* The registers value_load reads for loc: its pieces' and those its
 * expressions name (fbreg is already a bregx of the frame base's
 * register). */
static uint32_t loc_regmask(const struct loc *l)
{
	uint32_t m = 0;

	for (size_t i = 0; l && i < l->npieces; i++) {
		const struct loc_piece *pc = &l->pieces[i];

		switch (pc->kind) {
		case LOC_REG:
		case LOC_MEM:
		case LOC_MEM_DEREF:
		case LOC_VALUE_REG:
			if (pc->reg >= 0 && pc->reg < CAP_NREGS)
				m |= 1u << pc->reg;
			break;
		case LOC_EXPR:
			for (size_t k = 0; k < pc->nops; k++)
				if ((pc->ops[k].atom == DW_OP_bregx ||
				     pc->ops[k].atom == DW_OP_regx) &&
				    pc->ops[k].n1 < CAP_NREGS)
					m |= 1u << pc->ops[k].n1;
			break;
		default:
			break;
		}
	}
	return m;
}

void capture_plan_need(struct cap_plan *p, uint32_t regs)
{
	p->regmask |= regs & CAP_REGS_ALL;
}

/* Appends op o. Returns its index, or -ENOTSUP when the plan is full or
 * would copy too much. */
static int plan_push(struct cap_plan *p, const struct cap_op *o)
{
	if (p->nops >= CAP_MAX_OPS || o->len > CAP_MAX_CHUNK)
		return -ENOTSUP;
	p->ops[p->nops++] = *o;
	if (plan_bytes(p) > CAP_MAX_DATA) {
		p->nops--;
		return -ENOTSUP;
	}
	/* The registers the op itself starts from. */
	p->regmask |= num_regmask(&o->addr) | num_regmask(&o->count) |
		      num_regmask(&o->rep);
	return (int)p->nops - 1;
}

static struct cap_num num_reg(int reg, int64_t disp)
{
	return (struct cap_num){.src = CAP_SRC_REG, .reg = (__u8)reg,
				.disp = disp};
}

static struct cap_num num_data(int op, uint64_t off)
{
	return (struct cap_num){.src = CAP_SRC_DATA, .op = (__u16)op,
				.off = (__u32)off};
}

static struct cap_num num_const(uint64_t x)
{
	return (struct cap_num){.src = CAP_SRC_NONE, .disp = (int64_t)x};
}

int capture_add_mem(struct cap_plan *p, int base_reg, int64_t disp,
		    uint32_t len, unsigned flags)
{
	struct cap_op o = {.len = len, .flags = (__u16)flags};

	if (base_reg < 0 || base_reg >= CAP_NREGS)
		return -ENOTSUP;
	o.addr = num_reg(base_reg, disp);
	return plan_push(p, &o);
}

int capture_add_chain(struct cap_plan *p, int base_reg, uint32_t nframes)
{
	/* 32 bytes a frame: its record and the slot above, which the
	 * unwinder reads at the chain's last frame (Go's runtime.goexit has
	 * no frame record: its return slot is the one above runtime.main's);
	 * partial, as the top of a stack may end there. */
	struct cap_op o = {.len = 32, .flags = CAP_OP_CHAIN | CAP_OP_PARTIAL};

	if (base_reg < 0 || base_reg >= CAP_NREGS || !nframes)
		return -ENOTSUP;
	o.addr = num_reg(base_reg, 0);
	o.rep.disp = nframes > CAP_MAX_CHAIN ? CAP_MAX_CHAIN : nframes;
	return plan_push(p, &o);
}

/* One value being compiled. */
struct cc {
	struct cap_plan *p;
	const struct load_config *cfg;
	uint64_t bias;
	int go_max_level; /* goload's max_level */
	int budget;       /* nodes still to walk */
};

/* Nodes of one value's type walked at most: nested arrays at a high -v
 * multiply; past this, the probe takes a stop. */
#define CAPTURE_NODES 65536

/* Where the bytes of a value are: in the chunk of op .op from .off, or
 * (op < 0) assembled from the pieces of .loc as value/load.c's assemble()
 * lays them out, .pop[i] the op that copied memory piece i. */
struct place {
	int op;
	uint64_t off;
	const struct loc *loc;
	uint64_t tsize;
	const int *pop;
};

static struct place place_mem(int op)
{
	return (struct place){.op = op};
}

static bool reg_ok(int reg)
{
	return reg >= 0 && reg < CAP_NREGS;
}

static bool reg_xmm(int reg)
{
	return reg >= DREG_XMM0 && reg < DREG_XMM0 + 8;
}

/* The 8-byte word at byte off of place pl as a number an op can use (an
 * address or a length). -ENOTSUP when it straddles pieces or lives where
 * ops cannot read it (an xmm register, an expression). */
static int place_word(const struct place *pl, uint64_t off,
		      struct cap_num *out)
{
	uint64_t pos = 0, total = 0, nbuf;

	if (pl->op >= 0) {
		*out = num_data(pl->op, pl->off + off);
		return 0;
	}
	nbuf = pl->tsize > VALUE_BULK_MAX ? VALUE_BULK_MAX : pl->tsize;
	for (size_t i = 0; i < pl->loc->npieces; i++)
		total += pl->loc->pieces[i].size ? pl->loc->pieces[i].size
						 : nbuf;
	if (total > VALUE_BULK_MAX)
		total = VALUE_BULK_MAX;
	if (total < nbuf)
		total = nbuf;
	for (size_t i = 0; i < pl->loc->npieces && pos < total; i++) {
		const struct loc_piece *pc = &pl->loc->pieces[i];
		uint64_t n = pc->size ? pc->size : nbuf;

		if (n > total - pos)
			n = total - pos;
		if (off < pos || off >= pos + n) {
			pos += n;
			continue;
		}
		if (off + 8 > pos + n)
			return -ENOTSUP;
		switch (pc->kind) {
		case LOC_REG:
			if (off != pos || pc->reg >= CAP_NREGS)
				return -ENOTSUP;
			*out = num_reg(pc->reg, 0);
			return 0;
		case LOC_VALUE_REG:
			if (off != pos || pc->reg >= CAP_NREGS)
				return -ENOTSUP;
			*out = num_reg(pc->reg, pc->off);
			return 0;
		case LOC_CONST:
			if (off != pos)
				return -ENOTSUP;
			*out = num_const((uint64_t)pc->off);
			return 0;
		case LOC_MEM:
		case LOC_MEM_ADDR:
		case LOC_MEM_DEREF:
			if (pl->pop[i] < 0)
				return -ENOTSUP;
			*out = num_data(pl->pop[i], off - pos);
			return 0;
		default:
			return -ENOTSUP;
		}
	}
	return -ENOTSUP;
}

/* An op copying len bytes at the address the word at off of pl holds. */
static int add_deref(struct cc *c, const struct place *pl, uint64_t off,
		     uint64_t len, unsigned flags, struct place *out)
{
	struct cap_op o = {.flags = (__u16)flags};
	int err, op;

	if (len > CAP_MAX_CHUNK)
		return -ENOTSUP;
	if ((err = place_word(pl, off, &o.addr)))
		return err;
	o.len = (__u32)len;
	if ((op = plan_push(c->p, &o)) < 0)
		return op;
	if (out)
		*out = place_mem(op);
	return 0;
}

/* Copies of the memory pieces of loc, at a piece's address. */
static int add_piece(struct cc *c, const struct loc_piece *pc, uint64_t n)
{
	struct cap_op o = {.len = (__u32)n};
	int op;

	if (n > CAP_MAX_CHUNK)
		return -ENOTSUP;
	switch (pc->kind) {
	case LOC_MEM_ADDR:
		o.addr = num_const((uint64_t)pc->off + c->bias);
		return plan_push(c->p, &o);
	case LOC_MEM:
		if (!reg_ok(pc->reg))
			return -ENOTSUP;
		o.addr = num_reg(pc->reg, pc->off);
		return plan_push(c->p, &o);
	case LOC_MEM_DEREF:
		/* The object's address is in memory: copy that first. */
		if (!reg_ok(pc->reg) ||
		    (op = capture_add_mem(c->p, pc->reg, pc->off, 8, 0)) < 0)
			return -ENOTSUP;
		o.addr = num_data(op, 0);
		return plan_push(c->p, &o);
	default:
		return -ENOTSUP;
	}
}

/* A DWARF expression the ops need not run: one that computes the value
 * itself from general registers and constants (dwexpr.c evaluates it from
 * the record's registers). One that reads memory is beyond a plan. */
static int check_expr(const struct loc_piece *pc)
{
	if (!pc->nops || pc->ops[pc->nops - 1].atom != DW_OP_stack_value)
		return -ENOTSUP;
	for (size_t i = 0; i < pc->nops; i++) {
		const struct loc_op *op = &pc->ops[i];

		switch (op->atom) {
		case DW_OP_deref:
		case DW_OP_deref_size:
			return -ENOTSUP;
		case DW_OP_bregx:
		case DW_OP_regx:
			if (op->n1 >= CAP_NREGS)
				return -ENOTSUP;
			break;
		default:
			break;
		}
	}
	return 0;
}

static bool is_mem_piece(const struct loc_piece *pc)
{
	return pc->kind == LOC_MEM || pc->kind == LOC_MEM_ADDR ||
	       pc->kind == LOC_MEM_DEREF;
}

/* The place of a value of tsize bytes at loc, as value_load opens it:
 * one memory piece for the whole value, else the pieces assembled.
 * *pop is allocated for the latter (the caller frees it). Returns 1 when
 * the loc holds nothing (optimized out: nothing to copy). */
static int open_loc(struct cc *c, const struct loc *l, uint64_t tsize,
		    struct place *pl, int **pop)
{
	uint64_t pos = 0, total = 0, nbuf;
	bool empty = true;
	int op;

	*pop = NULL;
	for (size_t i = 0; l && i < l->npieces; i++)
		if (l->pieces[i].kind != LOC_OPTIMIZED)
			empty = false;
	if (empty)
		return 1;
	if (l->npieces == 1 && is_mem_piece(&l->pieces[0]) &&
	    (!l->pieces[0].size || l->pieces[0].size >= tsize)) {
		if ((op = add_piece(c, &l->pieces[0], tsize)) < 0)
			return op;
		*pl = place_mem(op);
		return 0;
	}
	/* value/load.c's whole_expr_addr: an address computed, then read. */
	if (l->npieces == 1 && l->pieces[0].kind == LOC_EXPR &&
	    (!l->pieces[0].size || l->pieces[0].size >= tsize) &&
	    l->pieces[0].nops &&
	    l->pieces[0].ops[l->pieces[0].nops - 1].atom != DW_OP_stack_value)
		return -ENOTSUP;
	nbuf = tsize > VALUE_BULK_MAX ? VALUE_BULK_MAX : tsize;
	for (size_t i = 0; i < l->npieces; i++)
		total += l->pieces[i].size ? l->pieces[i].size : nbuf;
	if (total > VALUE_BULK_MAX)
		total = VALUE_BULK_MAX;
	if (total < nbuf)
		total = nbuf;
	*pop = xcalloc(l->npieces, sizeof(**pop));
	for (size_t i = 0; i < l->npieces; i++) {
		const struct loc_piece *pc = &l->pieces[i];
		uint64_t n = pc->size ? pc->size : nbuf;

		(*pop)[i] = -1;
		if (pos >= total)
			continue;
		if (n > total - pos)
			n = total - pos;
		pos += n;
		switch (pc->kind) {
		case LOC_REG:
		case LOC_VALUE_REG:
			if (reg_xmm(pc->reg) && pc->kind == LOC_REG)
				c->p->flags |= CAP_PLAN_XMM;
			else if (!reg_ok(pc->reg))
				return -ENOTSUP;
			break;
		case LOC_MEM:
		case LOC_MEM_ADDR:
		case LOC_MEM_DEREF:
			if ((op = add_piece(c, pc, n)) < 0)
				return op;
			(*pop)[i] = op;
			break;
		case LOC_EXPR:
			if (check_expr(pc))
				return -ENOTSUP;
			break;
		default:
			break;
		}
	}
	*pl = (struct place){.op = -1, .loc = l, .tsize = tsize, .pop = *pop};
	return 0;
}

/* n elements stride apart from off of pl (in memory), each a string: one
 * op repeated per element (rep: how many there are) rather than n ops.
 * go: Go strings (pointer, then length), else C strings. Returns 1 when
 * that does not apply (elements in registers, more than CAP_MAX_REP):
 * the caller then compiles each element. */
static int add_rep_strings(struct cc *c, const struct place *pl,
			   uint64_t off, uint64_t stride, uint64_t n,
			   struct cap_num rep, bool go)
{
	struct cap_op o = {.rep = rep, .rep_max = (__u16)n};
	int64_t max = c->cfg->max_string;
	int op;

	if (pl->op < 0 || n > CAP_MAX_REP || !n)
		return 1;
	o.addr = num_data(pl->op, pl->off + off);
	o.addr.stride = (__u32)stride;
	if (go) {
		if (max < 0 || max > CAP_MAX_CHUNK)
			return -ENOTSUP;
		o.count = num_data(pl->op, pl->off + off + 8);
		o.count.stride = (__u32)stride;
		o.scale = 1;
		o.len = (__u32)max;
	} else {
		o.len = CAPTURE_CSTR_LEN;
		o.flags = CAP_OP_STR;
	}
	op = plan_push(c->p, &o);
	return op < 0 ? op : 0;
}

/* ---- C (value/decode.c, aggregate.c, cstring.c) ---- */

static int c_value(struct cc *c, const struct ctype *t,
		   const struct place *pl, uint64_t off, int depth);

static int c_pointer(struct cc *c, const struct ctype *st,
		     const struct place *pl, uint64_t off, int depth)
{
	const struct ctype *tt = vtype_strip(st->target);
	struct place pt;
	int err;

	switch (vkind_of(st)) {
	case VK_STRING:
		return add_deref(c, pl, off, CAPTURE_CSTR_LEN, CAP_OP_STR,
				 NULL);
	case VK_PTR:
		/* vload_pointee: a struct or union, while max_recurse
		 * allows. */
		if (!c->cfg->follow_pointers || depth + 1 > c->cfg->max_recurse ||
		    !tt || (tt->kind != CT_STRUCT && tt->kind != CT_UNION) ||
		    !tt->size)
			return 0;
		if ((err = add_deref(c, pl, off, tt->size, 0, &pt)))
			return err;
		return c_value(c, st->target, &pt, 0, depth + 1);
	default:
		return 0;
	}
}

/* ---- C++ standard types (value/cxxstd.c) ---- */

/* A string's text: the bytes at its data pointer, as many as its length
 * says, at most what the loader shows. */
static int cxx_text(struct cc *c, const struct vcxx_layout *l,
		    const struct place *pl, uint64_t off)
{
	struct cap_op o = {.scale = 1};
	int64_t max = c->cfg->max_string;
	int err, op;

	if (max <= 0)
		return 0;
	if (max > VALUE_BULK_MAX)
		max = VALUE_BULK_MAX;
	if (max > CAP_MAX_CHUNK)
		return -ENOTSUP;
	if ((err = place_word(pl, off + l->p[0], &o.addr)) ||
	    (err = place_word(pl, off + l->p[1], &o.count)))
		return err;
	o.len = (__u32)max;
	op = plan_push(c->p, &o);
	return op < 0 ? op : 0;
}

/* The text of each of n std::strings stride apart from off of pl (in
 * memory): one op repeated, rather than n. 1 when that does not apply. */
static int cxx_rep_texts(struct cc *c, const struct ctype *et,
			 const struct place *pl, uint64_t off, uint64_t stride,
			 uint64_t n)
{
	const struct ctype *st = vtype_strip(et);
	struct vcxx_layout l;
	struct cap_op o = {.scale = 1, .rep_max = (__u16)n};
	int64_t max = c->cfg->max_string;
	int op;

	if (!st || st->kind != CT_STRUCT || !vcxx_layout(st, &l) ||
	    (l.kind != VCXX_STRING && l.kind != VCXX_STRING_VIEW) ||
	    pl->op < 0 || !n || n > CAP_MAX_REP)
		return 1;
	if (max <= 0)
		return 0;
	if (max > CAP_MAX_CHUNK)
		return -ENOTSUP;
	o.rep = num_const(n);
	o.addr = num_data(pl->op, pl->off + off + l.p[0]);
	o.addr.stride = (__u32)stride;
	o.count = num_data(pl->op, pl->off + off + l.p[1]);
	o.count.stride = (__u32)stride;
	o.len = (__u32)max;
	op = plan_push(c->p, &o);
	return op < 0 ? op : 0;
}

/* The first k elements of et, stride apart from off of pl. */
static int cxx_elems(struct cc *c, const struct ctype *et,
		     const struct place *pl, uint64_t off, uint64_t stride,
		     size_t k, int depth)
{
	int err;

	if ((err = cxx_rep_texts(c, et, pl, off, stride, k)) <= 0)
		return err;
	for (size_t i = 0; i < k; i++)
		if ((err = c_value(c, et, pl, off + i * stride, depth)))
			return err;
	return 0;
}

/* What vcxx_load reads of std type st (layout l) beyond its own bytes.
 * A deque, a list, a tree or a hash table is a walk from node to node,
 * which a plan cannot express: those need a stop. */
static int c_cxx(struct cc *c, const struct vcxx_layout *l,
		 const struct place *pl, uint64_t off, int depth)
{
	const struct ctype *el, *at;
	struct place ep;
	size_t k;
	int err;
	bool kids = depth <= c->cfg->max_recurse;

	switch (l->kind) {
	case VCXX_STRING:
	case VCXX_STRING_VIEW:
		return cxx_text(c, l, pl, off);
	case VCXX_VECTOR: {
		struct cap_op o = {.flags = CAP_OP_PARTIAL};
		int op;

		/* The first elements, as many as are shown of any length:
		 * the length is finish - start, which no op computes, so
		 * copy that many and keep what can be read (what is past
		 * the end is not looked at). */
		el = vtype_strip(l->elem);
		k = vcxx_shown(c->cfg, depth, UINT64_MAX);
		if (!k)
			return 0;
		if (k * el->size > CAP_MAX_CHUNK)
			return -ENOTSUP;
		if ((err = place_word(pl, off + l->p[0], &o.addr)))
			return err;
		o.len = (__u32)(k * el->size);
		if ((op = plan_push(c->p, &o)) < 0)
			return op;
		ep = place_mem(op);
		return cxx_elems(c, l->elem, &ep, 0, el->size, k, depth + 1);
	}
	case VCXX_ARRAY:
		at = vtype_strip(l->t[0]);
		if (!at || at->kind != CT_ARRAY)
			return 0;
		el = vtype_strip(at->target);
		k = vcxx_shown(c->cfg, depth, at->count);
		return cxx_elems(c, at->target, pl, off + l->p[0], el->size, k,
				 depth + 1);
	case VCXX_UNIQUE:
		return kids ? c_value(c, l->t[0], pl, off + l->p[0], depth + 1)
			    : 0;
	case VCXX_SHARED:
		/* The control block's two counts. */
		if ((err = add_deref(c, pl, off + l->p[1],
				     (l->p[2] > l->p[3] ? l->p[2] : l->p[3]) +
					     4,
				     0, NULL)))
			return err;
		return kids ? c_value(c, l->t[0], pl, off + l->p[0], depth + 1)
			    : 0;
	case VCXX_OPTIONAL:
		return kids ? c_value(c, l->t[1], pl, off + l->p[1], depth + 1)
			    : 0;
	case VCXX_TUPLE:
		k = vcxx_shown(c->cfg, depth, l->n);
		for (size_t i = 0; i < k; i++)
			if ((err = c_value(c, l->t[i], pl, off + l->p[i],
					   depth + 1)))
				return err;
		return 0;
	case VCXX_PAIR:
		if (!kids)
			return 0;
		if ((err = c_value(c, l->t[0], pl, off + l->p[0], depth + 1)))
			return err;
		return c_value(c, l->t[1], pl, off + l->p[1], depth + 1);
	case VCXX_VARIANT:
		/* The index is read at the hit: what each alternative
		 * reads, as for a union's members. */
		for (size_t i = 1; kids && i <= l->n; i++)
			if ((err = c_value(c, l->t[i], pl, off + l->p[i],
					   depth + 1)))
				return err;
		return 0;
	default:
		return -ENOTSUP;
	}
}

/* decode.c's load_ref: the object a C++ reference refers to, copied, and
 * what its value reads in turn. */
static int c_ref(struct cc *c, const struct ctype *st, const struct place *pl,
		 uint64_t off, int depth)
{
	const struct ctype *tt = vtype_strip(st->target);
	struct vcxx_layout l;
	struct place tp;
	uint64_t size;
	int err;

	size = tt->size;
	if (tt->kind == CT_STRUCT && vcxx_layout(tt, &l))
		size = l.size;
	if (!size)
		size = 1; /* the byte load_ref reads to see it is there */
	if ((err = add_deref(c, pl, off, size, 0, &tp)))
		return err;
	return c_value(c, st->target, &tp, 0, depth);
}

/* The ops for what vload_at reads of the value of type t at offset off of
 * pl, depth aggregates down, beyond the bytes in pl themselves. */
static int c_value(struct cc *c, const struct ctype *t,
		   const struct place *pl, uint64_t off, int depth)
{
	const struct ctype *st = vtype_strip(t), *el;
	struct vcxx_layout l;
	size_t n;
	int err;

	if (--c->budget < 0)
		return -ENOTSUP;
	if (!st)
		return 0;
	switch (st->kind) {
	case CT_STRUCT:
	case CT_UNION:
		if (st->kind == CT_STRUCT && vcxx_layout(st, &l))
			return c_cxx(c, &l, pl, off, depth);
		if (depth > c->cfg->max_recurse || !st->nmembers)
			return 0;
		n = st->nmembers;
		if (c->cfg->max_fields >= 0 && n > (size_t)c->cfg->max_fields)
			n = (size_t)c->cfg->max_fields;
		for (size_t i = 0; i < n; i++) {
			const struct ctype_member *m = &st->members[i];

			if (!m->bit_size &&
			    (err = c_value(c, m->type, pl, off + m->offset,
					   depth + 1)))
				return err;
		}
		return 0;
	case CT_ARRAY:
		el = vtype_strip(st->target);
		if (vtype_is_char(st->target) || depth > c->cfg->max_recurse ||
		    !el || !el->size)
			return 0;
		n = st->count;
		if (c->cfg->max_array < 0 || n > (size_t)c->cfg->max_array)
			n = c->cfg->max_array > 0 ? (size_t)c->cfg->max_array
						  : 0;
		if (el->kind == CT_PTR && vkind_of(el) == VK_STRING &&
		    (err = add_rep_strings(c, pl, off, el->size, n,
					   num_const(n), false)) <= 0)
			return err;
		for (size_t i = 0; i < n; i++)
			if ((err = c_value(c, st->target, pl,
					   off + i * el->size, depth + 1)))
				return err;
		return 0;
	case CT_PTR:
		el = vtype_strip(st->target);
		if (st->is_ref && el && el->kind != CT_VOID &&
		    el->kind != CT_FUNC)
			return c_ref(c, st, pl, off, depth);
		return c_pointer(c, st, pl, off, depth);
	default:
		return 0;
	}
}

/* ---- Go (value/goload.c) ---- */

static int go_value(struct cc *c, const struct ctype *t,
		    const struct place *pl, uint64_t off, int level,
		    bool load);

/* load_elems: the first max_array elements at the address the word at
 * off of pl holds (a slice's array), count the word at count_off. */
static int go_elems(struct cc *c, const struct ctype *elem, uint64_t stride,
		    const struct place *pl, uint64_t off, uint64_t count_off,
		    int level)
{
	const struct ctype *real;
	struct cap_op o = {0};
	struct place ep;
	uint64_t n;
	int err, op;

	if (c->cfg->max_array <= 0 || level >= CAPTURE_GO_MAX_DEPTH)
		return 0;
	n = (uint64_t)c->cfg->max_array;
	if (!stride)
		return 0;
	if (n * stride > CAP_MAX_CHUNK)
		return -ENOTSUP;
	if ((err = place_word(pl, off, &o.addr)) ||
	    (err = place_word(pl, count_off, &o.count)))
		return err;
	o.len = (__u32)(n * stride);
	o.scale = (__u32)stride;
	if ((op = plan_push(c->p, &o)) < 0)
		return op;
	ep = place_mem(op);
	/* As many strings as the slice has, up to max_array. */
	if (gkind(elem, &real) == VK_STRING && stride >= 16 &&
	    (err = add_rep_strings(c, &ep, 0, stride, n, o.count, true)) <= 0)
		return err;
	for (uint64_t i = 0; i < n; i++)
		if ((err = go_value(c, elem, &ep, i * stride, level + 1, true)))
			return err;
	return 0;
}

static int go_ptr(struct cc *c, const struct ctype *st,
		  const struct place *pl, uint64_t off, int level)
{
	const struct ctype *treal;
	struct place tp;
	bool load = false;
	int next = level, err;
	uint64_t size;

	if (!c->cfg->follow_pointers)
		return 0;
	switch (gkind(st->target, &treal)) {
	case VK_INTERFACE:
		load = true;
		next++;
		break;
	case VK_PTR:
	case VK_UNSAFEPTR:
		load = level <= c->go_max_level;
		next++;
		break;
	default:
		load = true;
		break;
	}
	if (!load || next >= CAPTURE_GO_MAX_DEPTH)
		return 0;
	size = gsize(st->target);
	if ((err = add_deref(c, pl, off, size, 0, &tp)))
		return err;
	return go_value(c, st->target, &tp, 0, next, load);
}

/* gload_iface: the itab's _type (iface) or the _type word (eface) and
 * the descriptor's kind byte. What the data word points to is loaded as
 * the dynamic type, known only at the hit (a Point, a []int, a map...):
 * no plan copies exactly that, so an interface whose data is loaded is
 * refused; one deeper than max_level, whose data is an address only, is
 * not. */
static int go_iface(struct cc *c, const struct ctype *real,
		    const struct place *pl, uint64_t off, int level)
{
	const struct ctype *st = vtype_strip(real), *tabt;
	const struct ctype_member *tab = gmember(st, "tab"),
				  *typ = gmember(st, "_type"),
				  *data = gmember(st, "data"), *it = NULL;
	struct cap_op o = {.len = 8};
	struct cap_num rtype;
	int err, op;

	if (c->cfg->follow_pointers || level <= c->go_max_level)
		return -ENOTSUP;
	if (tab) {
		tabt = vtype_strip(tab->type);
		it = tabt && tabt->kind == CT_PTR ? gmember(tabt->target, "_type")
						  : NULL;
	}
	if (!data || (!tab && !typ) || (tab && !it))
		return 0; /* "invalid interface type": nothing read */
	if (tab) {
		if ((err = place_word(pl, off + tab->offset, &o.addr)))
			return err;
		o.addr.disp += (int64_t)it->offset;
		if ((op = plan_push(c->p, &o)) < 0)
			return op;
		rtype = num_data(op, 0);
	} else if ((err = place_word(pl, off + typ->offset, &rtype))) {
		return err;
	}
	o = (struct cap_op){.addr = rtype, .len = 1};
	o.addr.disp += 23; /* goiface.c's RTYPE_KIND_OFF */
	op = plan_push(c->p, &o);
	return op < 0 ? op : 0;
}

static int go_value(struct cc *c, const struct ctype *t,
		    const struct place *pl, uint64_t off, int level, bool load)
{
	const struct ctype *real = NULL, *pt, *h;
	const struct ctype_member *arr, *len;
	struct place sp;
	uint64_t stride;
	size_t n;
	int err;

	if (!load)
		return 0;
	if (--c->budget < 0)
		return -ENOTSUP;
	switch (gkind(t, &real)) {
	case VK_STRING: {
		struct cap_op o = {.scale = 1};
		int64_t max = c->cfg->max_string;
		int op;

		if (max < 0 || max > VALUE_BULK_MAX)
			max = VALUE_BULK_MAX;
		if (max > CAP_MAX_CHUNK)
			return -ENOTSUP;
		if ((err = place_word(pl, off, &o.addr)) ||
		    (err = place_word(pl, off + 8, &o.count)))
			return err;
		o.len = (__u32)max;
		op = plan_push(c->p, &o);
		return op < 0 ? op : 0;
	}
	case VK_SLICE:
		arr = gmember(real, "array");
		len = gmember(real, "len");
		pt = arr ? vtype_strip(arr->type) : NULL;
		if (!pt || pt->kind != CT_PTR || !len)
			return 0;
		return go_elems(c, pt->target, gsize(pt->target), pl,
				off + arr->offset, off + len->offset, level);
	case VK_ARRAY:
		stride = real->count ? real->size / real->count
				     : gsize(real->target);
		if (!stride)
			stride = gsize(real->target);
		if (c->cfg->max_array <= 0 || level >= CAPTURE_GO_MAX_DEPTH)
			return 0;
		n = (size_t)real->count;
		if (n > (size_t)c->cfg->max_array)
			n = (size_t)c->cfg->max_array;
		if (gkind(real->target, &pt) == VK_STRING && stride >= 16 &&
		    (err = add_rep_strings(c, pl, off, stride, n, num_const(n),
					   true)) <= 0)
			return err;
		for (size_t i = 0; i < n; i++)
			if ((err = go_value(c, real->target, pl,
					    off + i * stride, level + 1, true)))
				return err;
		return 0;
	case VK_STRUCT:
		if (level > c->go_max_level || !real->nmembers)
			return 0;
		/* time.Time reads its Location's name: not worth ops. */
		if (real->name && !strcmp(real->name, "time.Time"))
			return -ENOTSUP;
		n = real->nmembers;
		if (c->cfg->max_fields >= 0 && n > (size_t)c->cfg->max_fields)
			n = (size_t)c->cfg->max_fields;
		for (size_t i = 0; i < n; i++) {
			const struct ctype_member *m = &real->members[i];

			if ((err = go_value(c, m->type, pl, off + m->offset,
					    level + 1, true)))
				return err;
		}
		return 0;
	case VK_PTR:
	case VK_UNSAFEPTR:
		return go_ptr(c, real, pl, off, level);
	case VK_CHAN:
		/* The runtime.hchan's first two fields (count, capacity). */
		pt = vtype_strip(t);
		h = pt && pt->kind == CT_PTR ? vtype_strip(pt->target) : NULL;
		if (!h || h->kind != CT_STRUCT || h->nmembers < 2)
			return 0;
		return add_deref(c, pl, off,
				 h->members[1].offset +
					 gsize(h->members[1].type),
				 0, &sp);
	case VK_FUNC:
		/* The closure's first word: the code's address. */
		return add_deref(c, pl, off, 8, 0, &sp);
	case VK_INTERFACE:
		return go_iface(c, real, pl, off, level);
	case VK_MAP:
		return -ENOTSUP;
	default:
		return 0;
	}
}

static int add_value(struct cap_plan *p, const struct ctype *t,
		     const struct loc *loc, const struct load_config *cfg,
		     uint64_t bias);

/* value/goiface.c's loc_u64 and the slot's read after it. */
static int add_dict(struct cap_plan *p, const struct loc *dict,
		    uint32_t slot)
{
	const struct loc_piece *pc;
	struct cap_op o = {.len = 8};
	int op;

	if (!dict || dict->npieces != 1)
		return 0; /* loc_u64 fails: nothing read */
	pc = &dict->pieces[0];
	switch (pc->kind) {
	case LOC_REG:
		if (!reg_ok(pc->reg))
			return -ENOTSUP;
		o.addr = num_reg(pc->reg, 8 * (int64_t)(slot - 1));
		break;
	case LOC_MEM:
		if ((op = capture_add_mem(p, pc->reg, pc->off, 8, 0)) < 0)
			return op;
		o.addr = num_data(op, 0);
		o.addr.disp = 8 * (int64_t)(slot - 1);
		break;
	default:
		return 0;
	}
	op = plan_push(p, &o);
	return op < 0 ? op : 0;
}

int capture_add_go_param(struct cap_plan *p, const struct ctype *t,
			 const struct loc *loc, const struct loc *dict,
			 const struct load_config *cfg, uint64_t bias)
{
	const struct ctype *shape = t ? vtype_strip(t->target) : NULL;
	struct cap_plan saved = *p;

	if (!t || !t->go_dict_slot)
		return capture_add_value(p, t, loc, cfg, true, bias);
	/* Pointers followed read their targets' sizes, which the shape
	 * does not know (every pointer's shape is *uint8); a time.Time's
	 * shape does not say it reads its Location's name. */
	if ((cfg && cfg->follow_pointers) || !shape ||
	    (gmember(shape, "wall") && gmember(shape, "loc")))
		return -ENOTSUP;
	if (add_dict(p, dict, t->go_dict_slot) ||
	    add_value(p, t->target, loc, cfg, bias)) {
		*p = saved;
		return -ENOTSUP;
	}
	capture_plan_need(p, loc_regmask(dict));
	return 0;
}

int capture_add_value(struct cap_plan *p, const struct ctype *t,
		      const struct loc *loc, const struct load_config *cfg,
		      bool go, uint64_t bias)
{
	/* A generic's type parameter is loaded as the type its dictionary
	 * names (capture_add_go_param). */
	if (t && t->go_dict_slot && vgo_is_go(t))
		return -ENOTSUP;
	return add_value(p, t, loc, cfg, bias);
}

static int add_value(struct cap_plan *p, const struct ctype *t,
		     const struct loc *loc, const struct load_config *cfg,
		     uint64_t bias)
{
	const struct ctype *st = vtype_strip(t);
	struct cc c = {.p = p, .cfg = cfg ? cfg : &LOAD_SHORT, .bias = bias,
		       .budget = CAPTURE_NODES};
	struct cap_plan saved = *p;
	uint64_t tsize;
	struct place pl;
	int *pop = NULL, err;
	/* value_load decides by the type, as here: a C function of a Go
	 * program (cgo) has C types. */
	bool go = vgo_is_go(t);

	tsize = go ? gsize(t) : st ? st->size : 0;
	c.go_max_level = c.cfg->max_recurse - 1;
	if (c.go_max_level > CAPTURE_GO_MAX_DEPTH)
		c.go_max_level = CAPTURE_GO_MAX_DEPTH;
	err = open_loc(&c, loc, tsize, &pl, &pop);
	if (err == 1) {
		err = 0;
		goto out;
	}
	if (err)
		goto out;
	err = go ? go_value(&c, t, &pl, 0, 0, true) : c_value(&c, t, &pl, 0, 0);
out:
	free(pop);
	if (err) {
		/* All or nothing: a plan is never left half-compiled. */
		*p = saved;
		return -ENOTSUP;
	}
	capture_plan_need(p, loc_regmask(loc));
	return 0;
}

/* x86_sysv: where a System V x86-64 function leaves its result and finds
 * its arguments (psABI §3.2.3, "Parameter Passing").
 *
 * A value is cut into eightbytes; each gets a class from the scalars that
 * overlap it (merged by the ABI's rules), and the classes say which register
 * holds it. Results: INTEGER rax then rdx, SSE xmm0 then xmm1, X87 st0.
 * Anything bigger than two eightbytes, unaligned, or non-trivially copyable
 * (C++) is MEMORY: the caller's buffer, whose address comes back in rax.
 * Arguments: INTEGER rdi, rsi, rdx, rcx, r8, r9, SSE xmm0-7, the rest (and
 * x87 values) on the stack. */
#include "arch/x86.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

enum sysv_class {
	SYSV_NO_CLASS,
	SYSV_INTEGER,
	SYSV_SSE,
	SYSV_SSEUP,
	SYSV_X87,
	SYSV_X87UP,
	SYSV_COMPLEX_X87,
	SYSV_MEMORY,
};

#define SYSV_MAX_EIGHTBYTES 2

/* Classification of one value: one class per eightbyte, or MEMORY as a
 * whole (mem) once any rule demands it. */
struct sysv_cls {
	enum sysv_class c[SYSV_MAX_EIGHTBYTES];
	size_t n;
	bool mem;
};

static const struct ctype *strip(const struct ctype *t)
{
	for (int i = 0; t && t->kind == CT_TYPEDEF && i < 64; i++)
		t = t->target;
	return t && t->kind == CT_TYPEDEF ? NULL : t;
}

/* The psABI's merge of two classes meeting in one eightbyte. */
static enum sysv_class merge(enum sysv_class a, enum sysv_class b)
{
	if (a == b)
		return a;
	if (a == SYSV_NO_CLASS)
		return b;
	if (b == SYSV_NO_CLASS)
		return a;
	if (a == SYSV_MEMORY || b == SYSV_MEMORY)
		return SYSV_MEMORY;
	if (a == SYSV_INTEGER || b == SYSV_INTEGER)
		return SYSV_INTEGER;
	if (a == SYSV_X87 || a == SYSV_X87UP || a == SYSV_COMPLEX_X87 ||
	    b == SYSV_X87 || b == SYSV_X87UP || b == SYSV_COMPLEX_X87)
		return SYSV_MEMORY;
	return SYSV_SSE;
}

/* DWARF does not tell an x87 long double from a _Float128 by size (both
 * are 16 bytes); only the name does. */
static bool is_x87(const struct ctype *st)
{
	if (st->size != 10 && st->size != 12 && st->size != 16)
		return false;
	return !st->name || !strstr(st->name, "128");
}

/* Types come from the file: their graph may loop (a struct that holds
 * itself, an array of itself) or share types so as to fan out
 * exponentially. Each walk below (align_of, classify) stops at this depth
 * and after this many types; no real type comes close. */
#define SYSV_MAX_DEPTH 64
#define SYSV_MAX_VISITS 65536

struct sysv_walk {
	int depth;
	long left;
};

static bool walk_enter(struct sysv_walk *w)
{
	if (w->depth >= SYSV_MAX_DEPTH || w->left <= 0)
		return false;
	w->depth++;
	w->left--;
	return true;
}

static uint64_t align_walk(const struct ctype *st, struct sysv_walk *w)
{
	uint64_t a = 1, half;

	if (!st)
		return 1;
	switch (st->kind) {
	case CT_INT:
	case CT_CHAR:
	case CT_BOOL:
	case CT_ENUM:
	case CT_PTR:
		return st->size ? st->size : 1;
	case CT_FLOAT:
		return st->size >= 10 ? 16 : (st->size ? st->size : 1);
	case CT_COMPLEX:
		half = st->size / 2;
		return half >= 10 ? 16 : (half ? half : 1);
	case CT_ARRAY:
		if (!walk_enter(w))
			return 1;
		a = align_walk(strip(st->target), w);
		w->depth--;
		return a;
	case CT_STRUCT:
	case CT_UNION:
		if (!walk_enter(w))
			return 1;
		for (size_t i = 0; i < st->nmembers; i++) {
			uint64_t m = align_walk(strip(st->members[i].type), w);
			if (m > a)
				a = m;
		}
		w->depth--;
		return a;
	default:
		return 1;
	}
}

static uint64_t align_of(const struct ctype *st)
{
	struct sysv_walk w = { 0, SYSV_MAX_VISITS };

	return align_walk(st, &w);
}

/* Gives bytes [off, off+size) class c. */
static void mark(struct sysv_cls *k, uint64_t off, uint64_t size,
		 enum sysv_class c)
{
	if (!size)
		return;
	for (uint64_t e = off / 8; e <= (off + size - 1) / 8; e++) {
		if (e >= k->n) {
			k->mem = true;
			return;
		}
		k->c[e] = merge(k->c[e], c);
	}
}

static int classify_walk(const struct ctype *t, uint64_t off,
			 struct sysv_cls *k, struct sysv_walk *w);

static int classify_float(const struct ctype *st, uint64_t off,
			  struct sysv_cls *k)
{
	if (st->size == 4 || st->size == 8) {
		mark(k, off, st->size, SYSV_SSE);
	} else if (is_x87(st)) {
		mark(k, off, 8, SYSV_X87);
		mark(k, off + 8, 8, SYSV_X87UP);
	} else if (st->size == 16) { /* _Float128 */
		mark(k, off, 8, SYSV_SSE);
		mark(k, off + 8, 8, SYSV_SSEUP);
	} else {
		return -ENOTSUP;
	}
	return 0;
}

static int classify_members(const struct ctype *st, uint64_t off,
			    struct sysv_cls *k, struct sysv_walk *w)
{
	int err;

	/* A C++ class the ABI passes by invisible reference (non-trivial
	 * copy or destructor) comes back in memory, and so does any class
	 * containing one. */
	if (st->pass_by_ref) {
		k->mem = true;
		return 0;
	}
	if (st->declaration)
		return -ENOTSUP;
	for (size_t i = 0; i < st->nmembers; i++) {
		const struct ctype_member *m = &st->members[i];

		if (m->bit_size) {
			uint64_t bit = (off + m->offset) * 8 + m->bit_offset;
			uint64_t lo = bit / 8;
			uint64_t hi = (bit + m->bit_size + 7) / 8;
			mark(k, lo, hi - lo, SYSV_INTEGER);
			continue;
		}
		if ((err = classify_walk(m->type, off + m->offset, k, w)))
			return err;
	}
	return 0;
}

static int classify_type(const struct ctype *st, uint64_t off,
			 struct sysv_cls *k, struct sysv_walk *w)
{
	const struct ctype *el;
	int err;

	if (off % align_walk(st, w)) {
		k->mem = true; /* packed: an unaligned field */
		return 0;
	}
	switch (st->kind) {
	case CT_INT:
	case CT_CHAR:
	case CT_BOOL:
	case CT_ENUM:
	case CT_PTR:
		/* __int128 spans two eightbytes, both INTEGER. */
		mark(k, off, st->size, SYSV_INTEGER);
		return 0;
	case CT_FLOAT:
		return classify_float(st, off, k);
	case CT_COMPLEX: {
		/* Two floats of half the size; a complex long double is
		 * always too big for a struct that is not in memory. */
		struct ctype part = *st;
		part.kind = CT_FLOAT;
		part.size = st->size / 2;
		part.name = NULL;
		if ((err = classify_float(&part, off, k)))
			return err;
		return classify_float(&part, off + part.size, k);
	}
	case CT_STRUCT:
	case CT_UNION:
		return classify_members(st, off, k, w);
	case CT_ARRAY:
		el = strip(st->target);
		if (!el)
			return -ENOTSUP;
		for (uint64_t i = 0; i < st->count && el->size && !k->mem; i++)
			if ((err = classify_walk(el, off + i * el->size, k, w)))
				return err;
		return 0;
	default:
		return -ENOTSUP;
	}
}

static int classify_walk(const struct ctype *t, uint64_t off,
			 struct sysv_cls *k, struct sysv_walk *w)
{
	const struct ctype *st = strip(t);
	int err;

	if (!st || !walk_enter(w))
		return -ENOTSUP;
	err = classify_type(st, off, k, w);
	w->depth--;
	return err;
}

static int classify(const struct ctype *t, uint64_t off, struct sysv_cls *k)
{
	struct sysv_walk w = { 0, SYSV_MAX_VISITS };

	return classify_walk(t, off, k, &w);
}

/* The psABI's post-merger cleanup. */
static void post_merge(struct sysv_cls *k)
{
	for (size_t i = 0; i < k->n; i++) {
		if (k->c[i] == SYSV_MEMORY)
			k->mem = true;
		if (k->c[i] == SYSV_X87UP && (!i || k->c[i - 1] != SYSV_X87))
			k->mem = true;
		if (k->c[i] == SYSV_SSEUP && (!i || (k->c[i - 1] != SYSV_SSE &&
						      k->c[i - 1] != SYSV_SSEUP)))
			k->c[i] = SYSV_SSE;
	}
}

static struct loc_piece *add_piece(struct loc *out, enum loc_piece_kind kind,
				   int reg, uint32_t size)
{
	struct loc_piece *p = &out->pieces[out->npieces++];

	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->reg = reg;
	p->size = size;
	return p;
}

static int memory_result(struct loc *out)
{
	out->pieces = xcalloc(1, sizeof(*out->pieces));
	/* rax holds the address of the caller's buffer: the value is there. */
	add_piece(out, LOC_MEM, DREG_RAX, 0);
	return 0;
}

/* Bytes of the value in eightbyte i. */
static uint32_t eightbyte_bytes(uint64_t size, size_t i)
{
	return (uint32_t)(size - 8 * i < 8 ? size - 8 * i : 8);
}

/* Turns eightbyte classes into register pieces, in order. */
static void place(const struct sysv_cls *k, uint64_t size, struct loc *out)
{
	static const int gpr[] = {DREG_RAX, DREG_RDX};
	int ngpr = 0, nsse = 0;

	out->pieces = xcalloc(k->n, sizeof(*out->pieces));
	for (size_t i = 0; i < k->n; i++) {
		uint32_t bytes = eightbyte_bytes(size, i);

		switch (k->c[i]) {
		case SYSV_INTEGER:
			add_piece(out, LOC_REG, gpr[ngpr++], bytes);
			break;
		case SYSV_SSE:
			/* SSEUP eightbytes are the upper half of the same
			 * xmm register. */
			if (i + 1 < k->n && k->c[i + 1] == SYSV_SSEUP) {
				bytes += eightbyte_bytes(size, ++i);
			}
			add_piece(out, LOC_REG, DREG_XMM0 + nsse++, bytes);
			break;
		case SYSV_X87:
			/* the 10 bytes of the extended value; X87UP (next)
			 * is its padding */
			add_piece(out, LOC_REG, DREG_ST0, 10);
			if (i + 1 < k->n && k->c[i + 1] == SYSV_X87UP)
				i++;
			break;
		default:
			/* NO_CLASS: padding (an empty member), no register;
			 * the piece keeps the following ones at their
			 * offsets. */
			add_piece(out, LOC_OPTIMIZED, 0, bytes);
			break;
		}
	}
}

int x86_sysv_result_loc(const struct ctype *t, struct loc *out)
{
	const struct ctype *st = strip(t);
	struct sysv_cls k;
	int err;

	out->pieces = NULL;
	out->npieces = 0;
	if (!t || (st && st->kind == CT_VOID))
		return 0;
	if (!st)
		return -ENOTSUP;
	switch (st->kind) {
	case CT_FUNC:
	case CT_ARRAY:
	case CT_UNKNOWN:
		return -ENOTSUP;
	case CT_COMPLEX:
		/* COMPLEX_X87: the real part in st0, the imaginary in st1;
		 * st0's piece spans the real part's 16-byte slot so that
		 * st1's lands where the imaginary part lives. */
		if (st->size / 2 >= 10 && st->size / 2 <= 16 &&
		    !(st->name && strstr(st->name, "128"))) {
			out->pieces = xcalloc(2, sizeof(*out->pieces));
			add_piece(out, LOC_REG, DREG_ST0,
				  (uint32_t)(st->size / 2));
			add_piece(out, LOC_REG, DREG_ST0 + 1, 10);
			return 0;
		}
		break;
	case CT_STRUCT:
	case CT_UNION:
		if (st->declaration)
			return -ENOTSUP;
		if (st->pass_by_ref)
			return memory_result(out);
		if (!st->size) {
			/* An empty struct: nothing comes back, yet it has a
			 * value ({}), so give the loader something to read. */
			out->pieces = xcalloc(1, sizeof(*out->pieces));
			add_piece(out, LOC_CONST, 0, 0);
			return 0;
		}
		break;
	default:
		break;
	}
	if (!st->size)
		return -ENOTSUP;
	if (st->size > 8 * SYSV_MAX_EIGHTBYTES)
		return memory_result(out);
	memset(&k, 0, sizeof(k));
	k.n = (size_t)((st->size + 7) / 8);
	if ((err = classify(st, 0, &k)))
		return err;
	post_merge(&k);
	if (k.mem)
		return memory_result(out);
	place(&k, st->size, out);
	return 0;
}

bool x86_sysv_ret_in_memory(const struct ctype *t)
{
	struct loc l;
	bool mem;

	/* Only memory_result() places a result at [rax]. */
	if (x86_sysv_result_loc(t, &l))
		return false;
	mem = l.npieces == 1 && l.pieces[0].kind == LOC_MEM &&
	      l.pieces[0].reg == DREG_RAX;
	loc_release(&l);
	return mem;
}

/* How an argument travels. */
enum arg_kind {
	ARG_REGS,  /* the eightbytes of k in registers (or on the stack) */
	ARG_STACK, /* whole on the stack */
	ARG_REF,   /* its address, like a pointer argument */
	ARG_EMPTY, /* no bytes at all: nothing is passed */
};

static int arg_class(const struct ctype *st, struct sysv_cls *k,
		     enum arg_kind *kind)
{
	int err;

	memset(k, 0, sizeof(*k));
	*kind = ARG_REGS;
	if (!st)
		return -ENOTSUP;
	switch (st->kind) {
	case CT_VOID:
	case CT_FUNC:
	case CT_ARRAY:
	case CT_UNKNOWN:
		return -ENOTSUP;
	case CT_STRUCT:
	case CT_UNION:
		if (st->declaration)
			return -ENOTSUP;
		if (st->pass_by_ref) {
			*kind = ARG_REF;
			return 0;
		}
		if (!st->size) {
			*kind = ARG_EMPTY;
			return 0;
		}
		break;
	default:
		break;
	}
	if (!st->size)
		return -ENOTSUP;
	if (st->size > 8 * SYSV_MAX_EIGHTBYTES) {
		*kind = ARG_STACK;
		return 0;
	}
	k->n = (size_t)((st->size + 7) / 8);
	if ((err = classify(st, 0, k)))
		return err;
	post_merge(k);
	/* Unlike a result, an x87 argument has no register. */
	for (size_t i = 0; i < k->n; i++)
		if (k->c[i] == SYSV_X87 || k->c[i] == SYSV_X87UP ||
		    k->c[i] == SYSV_COMPLEX_X87)
			k->mem = true;
	if (k->mem)
		*kind = ARG_STACK;
	return 0;
}

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

int x86_sysv_param_locs(const struct ctype *const *types, size_t n,
			bool ret_in_memory, struct loc *out)
{
	static const int gpr[] = {DREG_RDI, DREG_RSI, DREG_RDX,
				  DREG_RCX, DREG_R8,  DREG_R9};
	const size_t max_gpr = sizeof(gpr) / sizeof(gpr[0]), max_sse = 8;
	size_t ngpr = ret_in_memory ? 1 : 0, nsse = 0;
	/* Offsets in the argument area, which the caller aligned to 16
	 * bytes; at the first instruction it starts at rsp + 8, past the
	 * return address. */
	uint64_t stack = 0;
	int err = 0;

	for (size_t i = 0; i < n; i++) {
		out[i].pieces = NULL;
		out[i].npieces = 0;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ctype *st = strip(types[i]);
		struct loc *l = &out[i];
		enum arg_kind kind;
		struct sysv_cls k;
		size_t need_gpr = 0, need_sse = 0;
		uint64_t align;

		if ((err = arg_class(st, &k, &kind)))
			return err;
		if (kind == ARG_EMPTY) {
			/* Nothing is passed, yet the value ({}) exists. */
			l->pieces = xcalloc(1, sizeof(*l->pieces));
			add_piece(l, LOC_CONST, 0, 0);
			continue;
		}
		if (kind == ARG_REF) {
			l->pieces = xcalloc(1, sizeof(*l->pieces));
			if (ngpr < max_gpr) {
				add_piece(l, LOC_MEM, gpr[ngpr++], 0);
			} else {
				add_piece(l, LOC_MEM_DEREF, DREG_RSP, 0)->off =
					8 + (int64_t)stack;
				stack += 8;
			}
			continue;
		}
		for (size_t e = 0; kind == ARG_REGS && e < k.n; e++) {
			if (k.c[e] == SYSV_INTEGER)
				need_gpr++;
			else if (k.c[e] == SYSV_SSE)
				need_sse++;
		}
		if (kind == ARG_REGS && ngpr + need_gpr <= max_gpr &&
		    nsse + need_sse <= max_sse) {
			l->pieces = xcalloc(k.n, sizeof(*l->pieces));
			for (size_t e = 0; e < k.n; e++) {
				uint32_t bytes = eightbyte_bytes(st->size, e);

				switch (k.c[e]) {
				case SYSV_INTEGER:
					add_piece(l, LOC_REG, gpr[ngpr++],
						  bytes);
					break;
				case SYSV_SSE:
					if (e + 1 < k.n &&
					    k.c[e + 1] == SYSV_SSEUP)
						bytes += eightbyte_bytes(
							st->size, ++e);
					add_piece(l, LOC_REG,
						  DREG_XMM0 + (int)nsse++,
						  bytes);
					break;
				default:
					/* NO_CLASS padding: nothing passed */
					add_piece(l, LOC_OPTIMIZED, 0, bytes);
					break;
				}
			}
			continue;
		}
		/* Whole on the stack, each argument in its own 8-aligned
		 * slot (16 for long double and the like). The registers it
		 * did not take stay free for later arguments. */
		align = align_of(st);
		if (align < 8)
			align = 8;
		stack = round_up(stack, align);
		l->pieces = xcalloc(1, sizeof(*l->pieces));
		add_piece(l, LOC_MEM, DREG_RSP, 0)->off = 8 + (int64_t)stack;
		stack += round_up(st->size, 8);
	}
	return 0;
}

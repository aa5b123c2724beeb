/* x86_sysv: where a System V x86-64 function leaves its result (psABI
 * §3.2.3, "Returning of Values").
 *
 * The result is cut into eightbytes; each gets a class from the scalars
 * that overlap it (merged by the ABI's rules), and the classes say which
 * register holds it: INTEGER rax then rdx, SSE xmm0 then xmm1, X87 st0.
 * Anything bigger than two eightbytes, unaligned, or non-trivially copyable
 * (C++) is MEMORY: the caller's buffer, whose address comes back in rax. */
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

static uint64_t align_of(const struct ctype *st)
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
		return align_of(strip(st->target));
	case CT_STRUCT:
	case CT_UNION:
		for (size_t i = 0; i < st->nmembers; i++) {
			uint64_t m = align_of(strip(st->members[i].type));
			if (m > a)
				a = m;
		}
		return a;
	default:
		return 1;
	}
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

static int classify(const struct ctype *t, uint64_t off, struct sysv_cls *k);

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
			    struct sysv_cls *k)
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
		if ((err = classify(m->type, off + m->offset, k)))
			return err;
	}
	return 0;
}

static int classify(const struct ctype *t, uint64_t off, struct sysv_cls *k)
{
	const struct ctype *st = strip(t);
	const struct ctype *el;
	int err;

	if (!st)
		return -ENOTSUP;
	if (off % align_of(st)) {
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
		return classify_members(st, off, k);
	case CT_ARRAY:
		el = strip(st->target);
		if (!el)
			return -ENOTSUP;
		for (uint64_t i = 0; i < st->count && el->size && !k->mem; i++)
			if ((err = classify(el, off + i * el->size, k)))
				return err;
		return 0;
	default:
		return -ENOTSUP;
	}
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

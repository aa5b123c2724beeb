/* x86_goabi: Go's register-based internal ABI (ABIInternal, Go 1.17+) on
 * amd64, for finding results at a function's ret.
 *
 * Go's DWARF gives results no location, so their place comes from the
 * ABI's assignment algorithm (the Go internal ABI specification): each
 * value is split into its scalar parts, which take the next integer
 * registers (RAX, RBX, RCX, RDI, RSI, R8-R11) or float registers
 * (X0-X14); a value that does not fit whole, or an array of more than one
 * element, goes on the stack instead, after the stack-assigned arguments.
 * Results are assigned afresh from the first registers. */
#include "arch/x86.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

static const int int_regs[] = {DREG_RAX, DREG_RBX, DREG_RCX, DREG_RDI,
			       DREG_RSI, DREG_R8,  DREG_R9,  DREG_R10,
			       DREG_R11};
#define NINT (sizeof(int_regs) / sizeof(int_regs[0]))
#define NFLOAT 15

/* An assignment in progress: registers used, pieces made. */
struct assign {
	size_t ni, nf;
	VEC(struct loc_piece) pieces;
	uint64_t filled; /* bytes of the value the pieces cover so far */
};

static void piece(struct assign *a, enum loc_piece_kind kind, int reg,
		  uint64_t off, uint64_t size)
{
	struct loc_piece p = {.kind = kind, .reg = reg, .off = (int64_t)off,
			      .size = (uint32_t)size};

	VEC_PUSH(&a->pieces, p);
}

/* The bytes between the pieces so far and offset off (padding): no data. */
static void pad_to(struct assign *a, uint64_t off)
{
	if (off > a->filled)
		piece(a, LOC_OPTIMIZED, -1, 0, off - a->filled);
	a->filled = off;
}

static bool reg_assign(struct assign *a, const struct ctype *t, uint64_t off,
		       int depth)
{
	t = ctype_strip(t);
	if (!t || depth > 32)
		return false;
	switch (t->kind) {
	case CT_INT:
	case CT_CHAR:
	case CT_BOOL:
	case CT_ENUM:
	case CT_PTR:
	case CT_FUNC:
		if (t->size > 8 || a->ni >= NINT)
			return false;
		pad_to(a, off);
		piece(a, LOC_REG, int_regs[a->ni++], 0, t->size ? t->size : 8);
		a->filled = off + (t->size ? t->size : 8);
		return true;
	case CT_FLOAT:
		if ((t->size != 4 && t->size != 8) || a->nf >= NFLOAT)
			return false;
		pad_to(a, off);
		piece(a, LOC_REG, DREG_XMM0 + (int)a->nf++, 0, t->size);
		a->filled = off + t->size;
		return true;
	case CT_COMPLEX: {
		uint64_t half = t->size / 2;

		if ((half != 4 && half != 8) || a->nf + 2 > NFLOAT)
			return false;
		pad_to(a, off);
		piece(a, LOC_REG, DREG_XMM0 + (int)a->nf++, 0, half);
		piece(a, LOC_REG, DREG_XMM0 + (int)a->nf++, 0, half);
		a->filled = off + t->size;
		return true;
	}
	case CT_STRUCT:
		for (size_t i = 0; i < t->nmembers; i++) {
			const struct ctype_member *m = &t->members[i];

			if (m->bit_size ||
			    !reg_assign(a, m->type, off + m->offset, depth + 1))
				return false;
		}
		return true;
	case CT_ARRAY:
		if (t->count == 0 && t->size == 0)
			return true;
		if (t->count == 1)
			return reg_assign(a, t->target, off, depth + 1);
		return false;
	default:
		return false;
	}
}

/* The alignment Go gives a value of type t. */
static uint64_t align_of(const struct ctype *t, int depth)
{
	uint64_t al = 1;

	t = ctype_strip(t);
	if (!t || depth > 32)
		return 8;
	switch (t->kind) {
	case CT_COMPLEX:
		return t->size / 2 ? t->size / 2 : 1;
	case CT_STRUCT:
		for (size_t i = 0; i < t->nmembers; i++) {
			uint64_t m = align_of(t->members[i].type, depth + 1);
			if (m > al)
				al = m;
		}
		return al;
	case CT_ARRAY:
		return align_of(t->target, depth + 1);
	default:
		return t->size >= 8 ? 8 : t->size ? t->size : 1;
	}
}

static uint64_t align_up(uint64_t x, uint64_t al)
{
	return al ? (x + al - 1) / al * al : x;
}

/* Assigns one value: registers when it fits whole, else the stack at *sp
 * (bytes past the stack area's start). loc is NULL for arguments, which
 * only advance the counters. */
static int assign_one(size_t *ni, size_t *nf, uint64_t *sp,
		      const struct ctype *t, struct loc *loc)
{
	struct assign a = {.ni = *ni, .nf = *nf};
	const struct ctype *st = ctype_strip(t);

	if (!st || st->kind == CT_UNKNOWN)
		return -ENOTSUP;
	if (reg_assign(&a, t, 0, 0)) {
		*ni = a.ni;
		*nf = a.nf;
		if (loc) {
			pad_to(&a, st->size);
			loc->pieces = a.pieces.items;
			loc->npieces = a.pieces.len;
		} else {
			free(a.pieces.items);
		}
		return 0;
	}
	free(a.pieces.items);
	*sp = align_up(*sp, align_of(t, 0));
	if (loc) {
		loc->pieces = xcalloc(1, sizeof(*loc->pieces));
		loc->npieces = 1;
		/* At the ret, [rsp] is the return address: the caller's
		 * outgoing stack area starts right above it. */
		loc->pieces[0] = (struct loc_piece){.kind = LOC_MEM,
						    .reg = DREG_RSP,
						    .off = 8 + (int64_t)*sp};
	}
	*sp += st->size;
	return 0;
}

int x86_go_result_locs(const struct ctype *const *args, size_t nargs,
		       const struct ctype *const *results, size_t nresults,
		       struct loc *out)
{
	size_t ni = 0, nf = 0;
	uint64_t sp = 0;
	size_t i;
	int err;

	memset(out, 0, nresults * sizeof(*out));
	for (i = 0; i < nargs; i++)
		if ((err = assign_one(&ni, &nf, &sp, args[i], NULL)))
			return err;
	sp = align_up(sp, 8);
	ni = nf = 0;
	for (i = 0; i < nresults; i++) {
		if ((err = assign_one(&ni, &nf, &sp, results[i], &out[i]))) {
			for (size_t k = 0; k < i; k++)
				loc_release(&out[k]);
			memset(out, 0, nresults * sizeof(*out));
			return err;
		}
	}
	return 0;
}

/* dwexpr: evaluates the DWARF expression of a LOC_EXPR piece at a hit.
 *
 * A small stack machine over 64-bit values, for the normalised ops dwloc
 * keeps (see sym/loc.h): registers through read_reg, memory through
 * read_mem. The expression comes from the target's DWARF, so nothing in it
 * is trusted: an unknown op, a stack underflow or overflow, a division by
 * zero or a pick beyond the stack makes the value "optimized out" rather
 * than anything worse. */
#include <dwarf.h>
#include <errno.h>
#include <string.h>

#include "value/internal.h"

#define DWEXPR_STACK 64

struct dwstack {
	uint64_t v[DWEXPR_STACK];
	size_t n;
};

static bool push(struct dwstack *s, uint64_t x)
{
	if (s->n >= DWEXPR_STACK)
		return false;
	s->v[s->n++] = x;
	return true;
}

static bool pop(struct dwstack *s, uint64_t *x)
{
	if (!s->n)
		return false;
	*x = s->v[--s->n];
	return true;
}

/* The binary ops: b is the top, a the entry below it (DWARF's order:
 * minus is a - b, shl shifts a by b). */
static bool binary(uint8_t atom, uint64_t a, uint64_t b, uint64_t *r)
{
	switch (atom) {
	case DW_OP_plus:  *r = a + b; return true;
	case DW_OP_minus: *r = a - b; return true;
	case DW_OP_mul:   *r = a * b; return true;
	case DW_OP_and:   *r = a & b; return true;
	case DW_OP_or:    *r = a | b; return true;
	case DW_OP_xor:   *r = a ^ b; return true;
	case DW_OP_shl:   *r = b >= 64 ? 0 : a << b; return true;
	case DW_OP_shr:   *r = b >= 64 ? 0 : a >> b; return true;
	case DW_OP_shra:
		/* >> of a negative value is implementation-defined in C:
		 * fill the sign by hand. */
		if (b >= 64)
			*r = (int64_t)a < 0 ? UINT64_MAX : 0;
		else if ((int64_t)a < 0)
			*r = ~(~a >> b);
		else
			*r = a >> b;
		return true;
	case DW_OP_div:
		/* Signed, as gdb does for the generic type. */
		if (!b)
			return false;
		if ((int64_t)a == INT64_MIN && (int64_t)b == -1)
			*r = a; /* the overflow wraps */
		else
			*r = (uint64_t)((int64_t)a / (int64_t)b);
		return true;
	case DW_OP_mod:
		if (!b)
			return false;
		*r = a % b;
		return true;
	default:
		return false;
	}
}

int dwexpr_eval(const struct loc_op *ops, size_t nops,
		const struct target_access *acc, uint64_t *result,
		bool *is_value, uint64_t *where)
{
	struct dwstack s;
	uint64_t a, b, c;
	uint8_t mem[8];
	int err;

	s.n = 0;
	*where = 0;
	*is_value = false;
	if (!ops || !nops)
		return -VALUE_ENODATA;
	for (size_t i = 0; i < nops; i++) {
		const struct loc_op *o = &ops[i];
		bool ok = true;

		switch (o->atom) {
		case DW_OP_constu:
			ok = push(&s, o->n1);
			break;
		case DW_OP_addr:
			ok = push(&s, o->n1 + acc->bias);
			break;
		case DW_OP_bregx:
		case DW_OP_regx:
			if ((err = vreg_read_u64(acc, (int)o->n1, &a)))
				return err;
			ok = push(&s, o->atom == DW_OP_bregx ? a + o->n2 : a);
			break;
		case DW_OP_deref:
		case DW_OP_deref_size: {
			size_t n = o->atom == DW_OP_deref ? 8 : (size_t)o->n1;

			if (n < 1 || n > 8 || !pop(&s, &a))
				return -VALUE_ENODATA;
			memset(mem, 0, sizeof(mem));
			if ((err = acc->read_mem(acc->ctx, a, mem, n))) {
				*where = a;
				return err;
			}
			b = 0;
			for (size_t k = 0; k < n; k++)
				b |= (uint64_t)mem[k] << (8 * k);
			ok = push(&s, b);
			break;
		}
		case DW_OP_plus_uconst:
			ok = pop(&s, &a) && push(&s, a + o->n1);
			break;
		case DW_OP_convert:
			/* To an integer of n1 bytes: truncate, extend. */
			if (o->n1 < 1 || o->n1 > 8 || !pop(&s, &a))
				return -VALUE_ENODATA;
			if (o->n1 < 8) {
				unsigned sh = 64 - 8 * (unsigned)o->n1;

				a &= UINT64_MAX >> sh;
				if (o->n2 && (a >> (63 - sh)) & 1)
					a |= ~(UINT64_MAX >> sh);
			}
			ok = push(&s, a);
			break;
		case DW_OP_pick:
			if (o->n1 >= s.n)
				return -VALUE_ENODATA;
			ok = push(&s, s.v[s.n - 1 - o->n1]);
			break;
		case DW_OP_dup:
			ok = s.n >= 1 && push(&s, s.v[s.n - 1]);
			break;
		case DW_OP_over:
			ok = s.n >= 2 && push(&s, s.v[s.n - 2]);
			break;
		case DW_OP_drop:
			ok = pop(&s, &a);
			break;
		case DW_OP_swap:
			ok = pop(&s, &b) && pop(&s, &a) && push(&s, b) &&
			     push(&s, a);
			break;
		case DW_OP_rot:
			/* The top moves to third place, the others up. */
			ok = pop(&s, &c) && pop(&s, &b) && pop(&s, &a) &&
			     push(&s, c) && push(&s, a) && push(&s, b);
			break;
		case DW_OP_not:
			ok = pop(&s, &a) && push(&s, ~a);
			break;
		case DW_OP_neg:
			ok = pop(&s, &a) && push(&s, -a);
			break;
		case DW_OP_abs:
			ok = pop(&s, &a) &&
			     push(&s, (int64_t)a < 0 ? -a : a);
			break;
		case DW_OP_stack_value:
			if (i + 1 != nops)
				return -VALUE_ENODATA;
			*is_value = true;
			break;
		default:
			ok = pop(&s, &b) && pop(&s, &a) &&
			     binary(o->atom, a, b, &c) && push(&s, c);
			break;
		}
		if (!ok)
			return -VALUE_ENODATA;
	}
	if (!s.n)
		return -VALUE_ENODATA;
	*result = s.v[s.n - 1];
	return 0;
}

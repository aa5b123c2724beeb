/* unwind: walking a stopped thread's stack with CFI rows (cfirow.c).
 *
 * The walk keeps the values of the 17 registers it tracks for the current
 * frame, each known or lost. A row turns them into the frame's CFA and the
 * caller's registers: the return address column gives the caller's pc, the
 * CFA its rsp, and each other register its rule (callee-saved ones are
 * usually "saved at CFA + N" or "same value"; caller-saved ones are
 * "undefined" and become lost, which matters only if a later rule needs
 * them). Everything read from the target is untrusted: a bad rule or an
 * unreadable word ends the walk, never anything worse. */
#include "unwind/internal.h"

#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

#define UNW_RBP 6

/* An rbp this far above rsp is no frame pointer (stacks are 8 MB by
 * default; a frame pointer chain within one frame spans much less). */
#define FP_MAX_SPAN (64ull << 20)

struct regs {
	uint64_t v[UNW_NREGS];
	uint32_t known; /* bit r: v[r] holds the register's value */
};

static bool has(const struct regs *rs, int r)
{
	return r >= 0 && r < UNW_NREGS && (rs->known >> r & 1);
}

static void set(struct regs *rs, int r, uint64_t v)
{
	rs->v[r] = v;
	rs->known |= 1u << r;
}

/* One walk. */
struct walk {
	struct unwinder *u;
	const struct target_access *acc;
	const struct unwind_modules *mods;
	struct regs cur;   /* the registers of the frame being unwound */
	bool exact;        /* its pc is no return address */
	uint64_t prev_cfa; /* its callee's CFA; 0 for frame 0 */
};

struct unwinder *unwinder_new(void)
{
	struct unwinder *u = xcalloc(1, sizeof(*u));

	cfirow_cache_init(u);
	return u;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	cfirow_cache_release(u);
	free(u);
}

void unwinder_forget(struct unwinder *u, const struct symtab *st)
{
	cfirow_cache_forget(u, st);
}

/* ---- target memory, through the block cache ---- */

/* len (<= 8) bytes at addr. 0 or a negative errno. */
static int mem_read(struct walk *w, uint64_t addr, void *buf, size_t len)
{
	struct unwinder *u = w->u;
	uint64_t base = addr & ~(uint64_t)(UNW_MEMBLK - 1);
	size_t off = (size_t)(addr - base);
	struct memblk *b;

	/* A word straddling two blocks is rare (the stack is 8-aligned):
	 * read it directly. */
	if (off + len > UNW_MEMBLK)
		return w->acc->read_mem(w->acc->ctx, addr, buf, len);
	for (int i = 0; i < UNW_NMEMBLK; i++) {
		b = &u->blk[i];
		if (b->valid && b->base == base) {
			memcpy(buf, b->data + off, len);
			return 0;
		}
	}
	b = &u->blk[u->next_blk++ % UNW_NMEMBLK];
	b->valid = w->acc->read_mem(w->acc->ctx, base, b->data,
				    UNW_MEMBLK) == 0;
	if (!b->valid) /* an engine may refuse more than was asked for */
		return w->acc->read_mem(w->acc->ctx, addr, buf, len);
	b->base = base;
	memcpy(buf, b->data + off, len);
	return 0;
}

static int read8(struct walk *w, uint64_t addr, uint64_t *v)
{
	return mem_read(w, addr, v, 8);
}

/* ---- DWARF expressions of CFI rules ---- */

#define EVAL_STACK 16

/* Evaluates ops with the frame's registers rs; DW_OP_call_frame_cfa pushes
 * cfa (have_cfa false: when computing the CFA itself, which may not refer
 * to itself). *out is the top of the stack at the end: an address, or a
 * value when the ops end in DW_OP_stack_value (the rule's kind says which).
 * -EOPNOTSUPP for ops we do not evaluate or a register lost, -EINVAL for a
 * malformed expression, or the read's error. */
static int eval(struct walk *w, const Dwarf_Op *ops, size_t n,
		const struct regs *rs, uint64_t cfa, bool have_cfa,
		uint64_t *out)
{
	uint64_t st[EVAL_STACK], a, b;
	size_t sp = 0;
	int err, reg;

#define PUSH(x)                                                                \
	do {                                                                   \
		uint64_t x_ = (x);                                             \
		if (sp >= EVAL_STACK)                                          \
			return -EINVAL;                                        \
		st[sp++] = x_;                                                 \
	} while (0)
#define POP(x)                                                                 \
	do {                                                                   \
		if (!sp)                                                       \
			return -EINVAL;                                        \
		(x) = st[--sp];                                                \
	} while (0)

	for (size_t i = 0; i < n; i++) {
		const Dwarf_Op *o = &ops[i];
		uint8_t atom = o->atom;

		if (atom >= DW_OP_lit0 && atom <= DW_OP_lit31) {
			PUSH((uint64_t)(atom - DW_OP_lit0));
			continue;
		}
		if ((atom >= DW_OP_breg0 && atom <= DW_OP_breg31) ||
		    atom == DW_OP_bregx) {
			int64_t off = (int64_t)(atom == DW_OP_bregx ? o->number2
								    : o->number);
			reg = atom == DW_OP_bregx ? (int)(o->number < 64 ?
							  o->number : 64)
						  : atom - DW_OP_breg0;
			if (!has(rs, reg))
				return -EOPNOTSUPP;
			PUSH(rs->v[reg] + (uint64_t)off);
			continue;
		}
		switch (atom) {
		case DW_OP_call_frame_cfa:
			if (!have_cfa)
				return -EINVAL;
			PUSH(cfa);
			break;
		case DW_OP_const1u:
		case DW_OP_const2u:
		case DW_OP_const4u:
		case DW_OP_const8u:
		case DW_OP_constu:
		case DW_OP_const1s:
		case DW_OP_const2s:
		case DW_OP_const4s:
		case DW_OP_const8s:
		case DW_OP_consts:
			/* libdw keeps signed operands sign-extended. */
			PUSH(o->number);
			break;
		case DW_OP_plus_uconst:
			POP(a);
			PUSH(a + o->number);
			break;
		case DW_OP_deref:
		case DW_OP_deref_size: {
			size_t len = atom == DW_OP_deref ? 8 : (size_t)o->number;
			uint64_t v = 0;
			if (len < 1 || len > 8)
				return -EINVAL;
			POP(a);
			err = mem_read(w, a, &v, len);
			if (err)
				return err;
			PUSH(v); /* little-endian: zero-extended */
			break;
		}
		case DW_OP_dup:
			POP(a);
			PUSH(a);
			PUSH(a);
			break;
		case DW_OP_drop:
			POP(a);
			break;
		case DW_OP_over:
			if (sp < 2)
				return -EINVAL;
			PUSH(st[sp - 2]);
			break;
		case DW_OP_pick:
			if (o->number >= sp)
				return -EINVAL;
			PUSH(st[sp - 1 - o->number]);
			break;
		case DW_OP_swap:
			POP(a);
			POP(b);
			PUSH(a);
			PUSH(b);
			break;
		case DW_OP_neg:
			POP(a);
			PUSH(-a);
			break;
		case DW_OP_not:
			POP(a);
			PUSH(~a);
			break;
		case DW_OP_plus:
		case DW_OP_minus:
		case DW_OP_mul:
		case DW_OP_and:
		case DW_OP_or:
		case DW_OP_xor:
		case DW_OP_shl:
		case DW_OP_shr:
		case DW_OP_shra:
		case DW_OP_eq:
		case DW_OP_ne:
		case DW_OP_lt:
		case DW_OP_gt:
		case DW_OP_le:
		case DW_OP_ge:
			POP(b);
			POP(a);
			switch (atom) {
			case DW_OP_plus: a += b; break;
			case DW_OP_minus: a -= b; break;
			case DW_OP_mul: a *= b; break;
			case DW_OP_and: a &= b; break;
			case DW_OP_or: a |= b; break;
			case DW_OP_xor: a ^= b; break;
			case DW_OP_shl: a = b < 64 ? a << b : 0; break;
			case DW_OP_shr: a = b < 64 ? a >> b : 0; break;
			case DW_OP_shra:
				a = (uint64_t)((int64_t)a >> (b < 64 ? b : 63));
				break;
			/* Comparisons are signed (DWARF 5, 2.5.1.4). */
			case DW_OP_eq: a = a == b; break;
			case DW_OP_ne: a = a != b; break;
			case DW_OP_lt: a = (int64_t)a < (int64_t)b; break;
			case DW_OP_gt: a = (int64_t)a > (int64_t)b; break;
			case DW_OP_le: a = (int64_t)a <= (int64_t)b; break;
			case DW_OP_ge: a = (int64_t)a >= (int64_t)b; break;
			}
			PUSH(a);
			break;
		case DW_OP_stack_value:
			if (i + 1 != n)
				return -EINVAL;
			break;
		case DW_OP_nop:
			break;
		default:
			return -EOPNOTSUPP;
		}
	}
	if (!sp)
		return -EINVAL;
	*out = st[sp - 1];
	return 0;
#undef PUSH
#undef POP
}

/* ---- applying a row ---- */

/* The frame's CFA. */
static int cfa_of(struct walk *w, const struct row *row,
		  const struct regs *rs, uint64_t *cfa)
{
	if (row->cfa.kind == RULE_REG) {
		if (!has(rs, row->cfa.reg))
			return -EOPNOTSUPP;
		*cfa = rs->v[row->cfa.reg] + (uint64_t)row->cfa.off;
		return 0;
	}
	return eval(w, row->cfa.ops, row->cfa.nops, rs, 0, false, cfa);
}

/* The caller's value of register r by rule x. -ENODATA when it is lost. */
static int rule_value(struct walk *w, const struct rule *x, int r,
		      const struct regs *rs, uint64_t cfa, uint64_t *v)
{
	int err;

	switch (x->kind) {
	case RULE_UNDEF:
		return -ENODATA;
	case RULE_SAME:
		if (!has(rs, r))
			return -ENODATA;
		*v = rs->v[r];
		return 0;
	case RULE_OFFSET:
		return read8(w, cfa + (uint64_t)x->off, v);
	case RULE_VAL_OFFSET:
		*v = cfa + (uint64_t)x->off;
		return 0;
	case RULE_REG:
		if (!has(rs, x->reg))
			return -ENODATA;
		*v = rs->v[x->reg];
		return 0;
	case RULE_EXPR:
		err = eval(w, x->ops, x->nops, rs, cfa, true, v);
		return err ? err : read8(w, *v, v);
	case RULE_VAL_EXPR:
		return eval(w, x->ops, x->nops, rs, cfa, true, v);
	}
	return -EOPNOTSUPP;
}

/* The caller's registers. Only the return address must be found: 0, or
 * -ENODATA when the CFI says there is no caller, or the error. */
static int caller_of(struct walk *w, const struct row *row,
		     const struct regs *rs, uint64_t cfa, struct regs *out)
{
	uint64_t v;
	int err;

	out->known = 0;
	/* "Same value" for the return address would be a frame calling
	 * itself forever: only an outermost frame can say that. */
	if (row->r[row->ra].kind == RULE_SAME)
		return -ENODATA;
	err = rule_value(w, &row->r[row->ra], row->ra, rs, cfa, &v);
	/* Only "undefined" means no caller; a rule whose register is lost
	 * means one we cannot find. */
	if (err == -ENODATA && row->r[row->ra].kind != RULE_UNDEF)
		err = -EOPNOTSUPP;
	if (err)
		return err;
	set(out, UNW_RIP, v);
	for (int r = 0; r < UNW_NREGS; r++) {
		if (r == row->ra || r == UNW_RIP)
			continue;
		if (r == UNW_RSP && (row->r[r].kind == RULE_SAME ||
				     row->r[r].kind == RULE_UNDEF)) {
			/* The CFA is by definition the caller's rsp
			 * before the call; CIEs rarely say so. */
			set(out, r, cfa);
			continue;
		}
		if (!rule_value(w, &row->r[r], r, rs, cfa, &v))
			set(out, r, v);
		else if (r == UNW_RSP)
			set(out, r, cfa);
	}
	return 0;
}

/* Without CFI: rbp as a frame pointer (see unwind.h). -ENOENT when rbp
 * does not look like one. */
static int fp_step(struct walk *w, const struct regs *rs, uint64_t *cfa,
		   struct regs *out)
{
	uint64_t fp = rs->v[UNW_RBP], sp = rs->v[UNW_RSP], saved, ra;
	int err;

	if (!has(rs, UNW_RBP) || !has(rs, UNW_RSP) || (fp & 7) || fp < sp ||
	    fp - sp > FP_MAX_SPAN)
		return -ENOENT;
	err = read8(w, fp, &saved);
	if (!err)
		err = read8(w, fp + 8, &ra);
	if (err)
		return err;
	*cfa = fp + 16;
	out->known = 0;
	set(out, UNW_RBP, saved);
	set(out, UNW_RSP, fp + 16);
	set(out, UNW_RIP, ra);
	return 0;
}

static enum unwind_end end_of(int err)
{
	switch (err) {
	case -ENODATA:
		return UNWIND_END_OUTERMOST;
	case -ENOENT:
		return UNWIND_END_NO_CFI;
	case -ELOOP:
		return UNWIND_END_LOOP;
	case -EOPNOTSUPP:
	case -EINVAL:
		return UNWIND_END_UNSUPPORTED;
	default:
		return UNWIND_END_UNREADABLE;
	}
}

/* Fills f, the frame whose registers are w->cur: its pc, CFA and flags;
 * unless it is the last one wanted, moves w to its caller. Returns true to
 * go on, or false with *why. */
static bool step(struct walk *w, struct unwind_frame *f, bool last,
		 enum unwind_end *why)
{
	uint64_t pc = w->cur.v[UNW_RIP], look, bias, cfa = 0;
	Dwarf_Frame *frame = NULL;
	struct regs caller;
	struct symtab *st;
	struct row row;
	int err;

	/* A return address may be just past the end of the function that
	 * called (a call to a noreturn function): its module and row are
	 * those of the call. */
	look = w->exact ? pc : pc - 1;
	*f = (struct unwind_frame){
		.pc = pc, .flags = w->exact ? 0 : UNWIND_FRAME_RETADDR};
	if (w->mods->module_at(w->mods->ctx, look, &st, &bias)) {
		*why = UNWIND_END_NO_MODULE;
		return false;
	}
	err = cfirow_get(w->u, st, look - bias, &row, &frame);
	if (err == -ENOENT) {
		err = fp_step(w, &w->cur, &cfa, &caller);
		row.signal = false;
		f->flags |= UNWIND_FRAME_FP;
	} else if (!err) {
		err = cfa_of(w, &row, &w->cur, &cfa);
	}
	if (err)
		goto out;
	/* A caller's CFA is above its callee's; a signal frame's CFA is the
	 * interrupted sp, which an alternate signal stack puts anywhere. */
	if (w->prev_cfa &&
	    (row.signal ? cfa == w->prev_cfa : cfa <= w->prev_cfa)) {
		err = -ELOOP;
		goto out;
	}
	f->cfa = cfa;
	/* A trampoline's pc is where the handler returns to, but no call
	 * put it there: the kernel did (sa_restorer). Its row was still
	 * looked up at pc - 1, as libgcc does, which is why glibc starts
	 * its FDE one byte before __restore_rt. */
	if (row.signal)
		f->flags = UNWIND_FRAME_SIGNAL;
	if (last) {
		*why = UNWIND_END_MAX;
		goto out;
	}
	if (!(f->flags & UNWIND_FRAME_FP))
		err = caller_of(w, &row, &w->cur, cfa, &caller);
	if (!err && !caller.v[UNW_RIP])
		err = -ENODATA;
	if (err)
		goto out;
	w->cur = caller;
	w->exact = row.signal;
	w->prev_cfa = cfa;
out:
	free(frame);
	if (err)
		*why = end_of(err);
	return !err && !last;
}

int unwind_stack(struct unwinder *u, const struct target_access *acc,
		 const struct unwind_modules *mods, struct unwind_frame *out,
		 size_t max, size_t *n, enum unwind_end *end)
{
	struct walk w = {.u = u, .acc = acc, .mods = mods, .exact = true};
	enum unwind_end why = UNWIND_END_MAX;
	int err = 0;

	*n = 0;
	for (int r = 0; r < UNW_NREGS; r++) {
		uint64_t v;
		if (!acc->read_reg(acc->ctx, r, &v, 8))
			set(&w.cur, r, v);
	}
	if (!has(&w.cur, UNW_RIP) || !has(&w.cur, UNW_RSP)) {
		err = -EIO;
		goto out;
	}
	/* The stack changed since the last walk. */
	for (int i = 0; i < UNW_NMEMBLK; i++)
		u->blk[i].valid = false;
	while (*n < max && step(&w, &out[*n], *n + 1 == max, &why))
		++*n;
	if (*n < max)
		++*n; /* the frame the walk ended on */
out:
	if (end)
		*end = why;
	return err;
}

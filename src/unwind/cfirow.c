/* cfirow: the CFI row of a pc, from libdw, and a cache of them.
 *
 * dwarf_cfi_addrframe finds the FDE (libdw keeps those in a search tree
 * once seen), then runs the CIE's and FDE's instructions up to pc into a
 * malloc'd frame, and each register's rule is one more call: ~0.2 µs per
 * frame (test_unwind prints it), paid again at every hit for the same call
 * paths, where the whole walk otherwise costs ~0.1 µs per frame plus the
 * stack reads. The rows of a program's call sites are few and almost all
 * simple (CFA = reg + off, registers saved at CFA + off), so each
 * (module, pc) row is kept here in 96 bytes. Rows with DWARF
 * expressions (signal trampolines, PLT stubs, stack realignment) are not
 * kept: they are rare, and their ops live in libdw's frame; they are parsed
 * again at each use, the cache remembering only that they must be. */
#include "unwind/internal.h"

#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
/* The module's Dwarf_CFI handles (st->cfi_eh, st->cfi_dbg) are the only
 * thing taken from sym's internals; symtab.h has no accessor for them. */
#include "sym/internal.h"

/* Slots, not entries: the table is at most half full before it grows. At
 * the cap (~390 KB) a full table is emptied rather than grown: a program
 * whose hot call sites outnumber 2048 pays the parsing again. */
#define ROWS_MIN 256
#define ROWS_MAX 4096

static size_t slot_of(const struct symtab *st, uint64_t pc, size_t cap)
{
	uint64_t h = (pc ^ ((uint64_t)(uintptr_t)st >> 4)) *
		     0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 40) & (cap - 1);
}

/* The entry for (st, pc), or the empty slot where it belongs (NULL when the
 * table is not allocated yet). */
static struct row_ent *find(struct unwinder *u, const struct symtab *st,
			    uint64_t pc)
{
	size_t i;

	if (!u->cap)
		return NULL;
	for (i = slot_of(st, pc, u->cap);; i = (i + 1) & (u->cap - 1)) {
		struct row_ent *e = &u->rows[i];
		if (e->state == ROW_EMPTY || (e->st == st && e->pc == pc))
			return e;
	}
}

/* Moves the entries not of drop (NULL: all of them) into a fresh table of
 * cap slots. */
static void rebuild(struct unwinder *u, size_t cap, const struct symtab *drop)
{
	struct row_ent *old = u->rows;
	size_t oldcap = u->cap;

	u->rows = xcalloc(cap, sizeof(*u->rows));
	u->cap = cap;
	u->used = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].state == ROW_EMPTY || (drop && old[i].st == drop))
			continue;
		*find(u, old[i].st, old[i].pc) = old[i];
		u->used++;
	}
	free(old);
}

/* The free slot for (st, pc), not in the table yet, making room first. */
static struct row_ent *slot_new(struct unwinder *u, const struct symtab *st,
				uint64_t pc)
{
	if (!u->cap) {
		rebuild(u, ROWS_MIN, NULL);
	} else if ((u->used + 1) * 2 > u->cap) {
		if (u->cap < ROWS_MAX) {
			rebuild(u, u->cap * 2, NULL);
		} else {
			memset(u->rows, 0, u->cap * sizeof(*u->rows));
			u->used = 0;
		}
	}
	u->used++;
	return find(u, st, pc);
}

void cfirow_cache_init(struct unwinder *u)
{
	u->rows = NULL;
	u->cap = u->used = 0;
}

void cfirow_cache_release(struct unwinder *u)
{
	free(u->rows);
	cfirow_cache_init(u);
}

void cfirow_cache_forget(struct unwinder *u, const struct symtab *st)
{
	if (!u->cap)
		return;
	if (!st) {
		memset(u->rows, 0, u->cap * sizeof(*u->rows));
		u->used = 0;
		return;
	}
	rebuild(u, u->cap, st);
}

/* libdw's description of a register's rule (see dwarf_frame_register) into
 * a struct rule. Simple rules come as fixed shapes in the caller's ops_mem
 * and are copied out; an expression rule's ops (libdw puts
 * DW_OP_call_frame_cfa first, as DWARF says the CFA is pushed before such
 * an expression runs) point into the CFI and stay valid with the frame. */
static void rule_from_ops(const Dwarf_Op *ops, size_t n, struct rule *r)
{
	bool val;
	size_t m;

	memset(r, 0, sizeof(*r));
	if (!n) {
		/* NULL ops: "same value"; ops_mem: "undefined". */
		r->kind = ops ? RULE_UNDEF : RULE_SAME;
		return;
	}
	val = ops[n - 1].atom == DW_OP_stack_value;
	m = val ? n - 1 : n;
	if (m >= 1 && m <= 2 && ops[0].atom == DW_OP_call_frame_cfa &&
	    (m == 1 || ops[1].atom == DW_OP_plus_uconst)) {
		r->kind = val ? RULE_VAL_OFFSET : RULE_OFFSET;
		/* libdw stores a negative offset as its two's complement. */
		r->off = m == 2 ? (int64_t)ops[1].number : 0;
		return;
	}
	if (!val && m == 1 && ops[0].atom == DW_OP_regx) {
		/* A register we do not track holds nothing we can get. */
		r->kind = ops[0].number < UNW_NREGS ? RULE_REG : RULE_UNDEF;
		r->reg = (int)ops[0].number;
		return;
	}
	r->kind = val ? RULE_VAL_EXPR : RULE_EXPR;
	r->ops = ops;
	r->nops = n;
}

/* The CFA rule: DW_CFA_def_cfa is one DW_OP_bregx; anything else came from
 * DW_CFA_def_cfa_expression. */
static int cfa_from_frame(Dwarf_Frame *frame, struct rule *r)
{
	Dwarf_Op *ops;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (dwarf_frame_cfa(frame, &ops, &n) != 0 || !n)
		return -ENOENT;
	if (n == 1 && ops[0].atom == DW_OP_bregx) {
		if (ops[0].number >= UNW_NREGS)
			return -EOPNOTSUPP;
		r->kind = RULE_REG;
		r->reg = (int)ops[0].number;
		r->off = (int64_t)ops[0].number2;
		return 0;
	}
	r->kind = RULE_VAL_EXPR;
	r->ops = ops;
	r->nops = n;
	return 0;
}

/* Parses the row of pc from .eh_frame, else .debug_frame. On success
 * *frame holds the libdw frame the row's ops point into. */
static int parse(struct symtab *st, uint64_t pc, struct row *row,
		 Dwarf_Frame **frame)
{
	Dwarf_CFI *cfis[2] = {st->cfi_eh, st->cfi_dbg};
	Dwarf_Frame *f = NULL;
	Dwarf_Addr start, end;
	bool signal = false;
	int err, ra;

	for (int k = 0; k < 2 && !f; k++)
		if (cfis[k] && dwarf_cfi_addrframe(cfis[k], pc, &f) != 0)
			f = NULL;
	if (!f)
		return -ENOENT;
	ra = dwarf_frame_info(f, &start, &end, &signal);
	err = ra >= 0 && ra < UNW_NREGS ? cfa_from_frame(f, &row->cfa)
					: -EOPNOTSUPP;
	if (err)
		goto out;
	row->ra = ra;
	row->signal = signal;
	for (int r = 0; r < UNW_NREGS; r++) {
		/* Three ops of storage: libdw's contract. Simple rules are
		 * copied out of it before the next call. */
		Dwarf_Op mem[3], *ops;
		size_t n;
		if (dwarf_frame_register(f, r, mem, &ops, &n) != 0) {
			row->r[r] = (struct rule){.kind = RULE_UNDEF};
			continue;
		}
		rule_from_ops(ops, n, &row->r[r]);
	}
out:
	if (err) {
		free(f);
		f = NULL;
	}
	*frame = f;
	return err;
}

/* Whether every rule of row fits a cache entry. */
static bool simple(const struct row *row)
{
	if (row->cfa.kind != RULE_REG || row->cfa.off != (int32_t)row->cfa.off)
		return false;
	for (int r = 0; r < UNW_NREGS; r++) {
		const struct rule *x = &row->r[r];
		if (x->kind == RULE_EXPR || x->kind == RULE_VAL_EXPR ||
		    x->off != (int16_t)x->off)
			return false;
	}
	return true;
}

static void store(struct row_ent *e, const struct row *row)
{
	e->state = ROW_SIMPLE;
	e->ra = (uint8_t)row->ra;
	e->signal = row->signal;
	e->cfa_reg = (uint8_t)row->cfa.reg;
	e->cfa_off = (int32_t)row->cfa.off;
	for (int r = 0; r < UNW_NREGS; r++)
		e->r[r] = (struct crule){.kind = (uint8_t)row->r[r].kind,
					 .reg = (uint8_t)row->r[r].reg,
					 .off = (int16_t)row->r[r].off};
}

static void load(const struct row_ent *e, struct row *row)
{
	memset(row, 0, sizeof(*row));
	row->ra = e->ra;
	row->signal = e->signal;
	row->cfa.kind = RULE_REG;
	row->cfa.reg = e->cfa_reg;
	row->cfa.off = e->cfa_off;
	for (int r = 0; r < UNW_NREGS; r++) {
		row->r[r].kind = e->r[r].kind;
		row->r[r].reg = e->r[r].reg;
		row->r[r].off = e->r[r].off;
	}
}

int cfirow_get(struct unwinder *u, struct symtab *st, uint64_t pc,
	       struct row *row, Dwarf_Frame **frame)
{
	struct row_ent *e = find(u, st, pc);
	int err;

	*frame = NULL;
	if (e && e->state == ROW_SIMPLE) {
		load(e, row);
		return 0;
	}
	if (e && e->state == ROW_NONE)
		return -ENOENT;
	err = parse(st, pc, row, frame);
	if (!e || e->state == ROW_EMPTY) {
		e = slot_new(u, st, pc);
		e->st = st;
		e->pc = pc;
		if (err == -ENOENT)
			e->state = ROW_NONE;
		else if (!err && simple(row))
			store(e, row);
		else
			e->state = ROW_LIVE; /* also unsupported ones: parsed
			                       * again, failing again */
	}
	if (!err && e->state == ROW_SIMPLE) {
		free(*frame);
		*frame = NULL;
	}
	return err;
}

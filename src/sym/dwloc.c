/* dwloc: DWARF location expressions, compiled into loc pieces.
 *
 * Most expressions real compilers emit for parameters are a handful of
 * shapes (a register, a register plus offset in memory, a value computed
 * from one register, a constant), and each has a direct loc piece that any
 * engine fetches without a stack machine. The rest (clang -O2 packs two
 * struct fields in one register and describes each with shifts and masks)
 * become LOC_EXPR: the expression, normalised so that it needs no DWARF to
 * evaluate (see loc.h). Ops we cannot evaluate make the piece
 * LOC_OPTIMIZED: printing "optimized out" beats printing garbage. */
#include "sym/internal.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

/* DW_OP_reg0..31 / regx: the register number. */
static bool reg_op(const Dwarf_Op *o, int *reg)
{
	if (o->atom >= DW_OP_reg0 && o->atom <= DW_OP_reg31) {
		*reg = o->atom - DW_OP_reg0;
		return true;
	}
	if (o->atom == DW_OP_regx && o->number < 128) {
		*reg = (int)o->number;
		return true;
	}
	return false;
}

/* DW_OP_breg0..31 / bregx: register and offset. */
static bool breg_op(const Dwarf_Op *o, int *reg, int64_t *off)
{
	if (o->atom >= DW_OP_breg0 && o->atom <= DW_OP_breg31) {
		*reg = o->atom - DW_OP_breg0;
		*off = (int64_t)o->number;
		return true;
	}
	if (o->atom == DW_OP_bregx && o->number < 128) {
		*reg = (int)o->number;
		*off = (int64_t)o->number2;
		return true;
	}
	return false;
}

/* Ops that push one constant. */
static bool const_op(Dwarf_Attribute *attr, const Dwarf_Op *o, int64_t *v)
{
	Dwarf_Attribute res;
	Dwarf_Addr a;

	if (o->atom >= DW_OP_lit0 && o->atom <= DW_OP_lit31) {
		*v = o->atom - DW_OP_lit0;
		return true;
	}
	switch (o->atom) {
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
		/* libdw stores signed operands sign-extended already. */
		*v = (int64_t)o->number;
		return true;
	case DW_OP_constx:
	case DW_OP_GNU_addr_index:
	case DW_OP_addrx:
		if (!attr || dwarf_getlocation_attr(attr, o, &res) != 0 ||
		    dwarf_formaddr(&res, &a) != 0)
			return false;
		*v = (int64_t)a;
		return true;
	default:
		return false;
	}
}

/* DW_OP_addr / addrx: a link-time address. */
static bool addr_op(Dwarf_Attribute *attr, const Dwarf_Op *o, uint64_t *a)
{
	int64_t v;

	if (o->atom == DW_OP_addr) {
		*a = o->number;
		return true;
	}
	if ((o->atom == DW_OP_addrx || o->atom == DW_OP_GNU_addr_index) &&
	    const_op(attr, o, &v)) {
		*a = (uint64_t)v;
		return true;
	}
	return false;
}

/* DW_OP_entry_value(DW_OP_regN): the register whose value at entry the
 * expression means. */
static bool entry_value_op(Dwarf_Attribute *attr, const Dwarf_Op *o,
			   int *reg)
{
	Dwarf_Attribute res;
	Dwarf_Op *sub;
	size_t n;

	if (o->atom != DW_OP_entry_value && o->atom != DW_OP_GNU_entry_value)
		return false;
	if (!attr || dwarf_getlocation_attr(attr, o, &res) != 0 ||
	    dwarf_getlocation(&res, &sub, &n) != 0 || n != 1)
		return false;
	/* gcc writes a float register's entry value as regval_type: the
	 * register, whatever the type. */
	if ((sub[0].atom == DW_OP_regval_type ||
	     sub[0].atom == DW_OP_GNU_regval_type) && sub[0].number < 128) {
		*reg = (int)sub[0].number;
		return true;
	}
	return reg_op(&sub[0], reg);
}

/* The base type an op refers to (DW_OP_convert, regval_type, deref_type)
 * as an integer conversion: its size and signedness. Offset 0 is the
 * generic type: no conversion (*size 0). False for types we do not
 * evaluate (floats, wider than 8 bytes). */
static bool op_int_type(Dwarf_Attribute *attr, const Dwarf_Op *o,
			Dwarf_Word type_off, unsigned *size, bool *sgn)
{
	Dwarf_Attribute ea;
	Dwarf_Word enc;
	Dwarf_Die die;
	int bs;

	*size = 0;
	*sgn = false;
	if (!type_off)
		return true;
	if (!attr || dwarf_getlocation_die(attr, o, &die) != 0 ||
	    dwarf_tag(&die) != DW_TAG_base_type)
		return false;
	bs = dwarf_bytesize(&die);
	if (bs < 1 || bs > 8 || !dwarf_attr(&die, DW_AT_encoding, &ea) ||
	    dwarf_formudata(&ea, &enc) != 0)
		return false;
	switch (enc) {
	case DW_ATE_signed:
	case DW_ATE_signed_char:
		*sgn = true;
		break;
	case DW_ATE_unsigned:
	case DW_ATE_unsigned_char:
	case DW_ATE_boolean:
	case DW_ATE_UTF:
		break;
	default:
		return false;
	}
	*size = (unsigned)bs;
	return true;
}

/* Longer expressions are not worth evaluating at every hit. */
#define EXPR_MAX_OPS 64

struct expr_buf {
	struct loc_op ops[EXPR_MAX_OPS];
	size_t n;
};

/* Appends one op; false when the expression is too long to keep. */
static bool emit(struct expr_buf *e, uint8_t atom, uint64_t n1, uint64_t n2)
{
	if (e->n >= EXPR_MAX_OPS)
		return false;
	e->ops[e->n++] = (struct loc_op){.atom = atom, .n1 = n1, .n2 = n2};
	return true;
}

/* Appends a conversion to an integer of size bytes (0: none). */
static bool emit_convert(struct expr_buf *e, unsigned size, bool sgn)
{
	return !size || size == 8 || emit(e, DW_OP_convert, size, sgn);
}

/* One DWARF op into normalised LOC_EXPR ops (see loc.h). */
static bool expr_op(Dwarf_Attribute *attr, const Dwarf_Op *o, bool last,
		    const struct frame_base *fb, bool at_entry,
		    struct expr_buf *e)
{
	unsigned size;
	bool sgn;
	int64_t c;
	uint64_t a;
	int reg;

	if (addr_op(attr, o, &a))
		return emit(e, DW_OP_addr, a, 0);
	if (const_op(attr, o, &c))
		return emit(e, DW_OP_constu, (uint64_t)c, 0);
	if (breg_op(o, &reg, &c))
		return emit(e, DW_OP_bregx, (uint64_t)reg, (uint64_t)c);
	switch (o->atom) {
	case DW_OP_fbreg:
		if (!fb || !fb->known)
			return false;
		return emit(e, DW_OP_bregx, (uint64_t)fb->reg,
			    (uint64_t)fb->off + o->number);
	case DW_OP_call_frame_cfa:
		if (!fb || !fb->known || !fb->cfa)
			return false;
		return emit(e, DW_OP_bregx, (uint64_t)fb->reg,
			    (uint64_t)fb->off);
	case DW_OP_entry_value:
	case DW_OP_GNU_entry_value:
		/* A register's value at entry is the register itself only
		 * at the function's first instruction. */
		if (!at_entry || !entry_value_op(attr, o, &reg))
			return false;
		return emit(e, DW_OP_regx, (uint64_t)reg, 0);
	case DW_OP_regval_type:
	case DW_OP_GNU_regval_type:
		if (o->number >= 128 ||
		    !op_int_type(attr, o, o->number2, &size, &sgn))
			return false;
		return emit(e, DW_OP_bregx, o->number, 0) &&
		       emit_convert(e, size, sgn);
	case DW_OP_convert:
	case DW_OP_GNU_convert:
		if (!op_int_type(attr, o, o->number, &size, &sgn))
			return false;
		return emit_convert(e, size, sgn);
	case DW_OP_deref_size:
		if (o->number < 1 || o->number > 8)
			return false;
		return emit(e, DW_OP_deref_size, o->number, 0);
	case DW_OP_deref_type:
	case DW_OP_GNU_deref_type:
		if (o->number < 1 || o->number > 8 ||
		    !op_int_type(attr, o, o->number2, &size, &sgn))
			return false;
		return emit(e, DW_OP_deref_size, o->number, 0) &&
		       emit_convert(e, size, sgn);
	case DW_OP_plus_uconst:
	case DW_OP_pick:
		return emit(e, o->atom, o->number, 0);
	case DW_OP_deref:
	case DW_OP_plus:
	case DW_OP_minus:
	case DW_OP_mul:
	case DW_OP_div:
	case DW_OP_mod:
	case DW_OP_and:
	case DW_OP_or:
	case DW_OP_xor:
	case DW_OP_not:
	case DW_OP_neg:
	case DW_OP_shl:
	case DW_OP_shr:
	case DW_OP_shra:
	case DW_OP_abs:
	case DW_OP_dup:
	case DW_OP_drop:
	case DW_OP_swap:
	case DW_OP_over:
	case DW_OP_rot:
		return emit(e, o->atom, 0, 0);
	case DW_OP_stack_value:
		return last && emit(e, o->atom, 0, 0);
	case DW_OP_nop:
		return true;
	default:
		return false;
	}
}

/* The expression o[0..n) as a LOC_EXPR piece, its ops in the arena; false
 * (p untouched) when an op is one we do not evaluate. */
static bool expr_piece(struct arena *ar, Dwarf_Attribute *attr,
		       const Dwarf_Op *o, size_t n,
		       const struct frame_base *fb, bool at_entry,
		       struct loc_piece *p)
{
	struct expr_buf e;
	struct loc_op *ops;

	if (!ar || !n)
		return false;
	e.n = 0;
	for (size_t i = 0; i < n; i++)
		if (!expr_op(attr, &o[i], i + 1 == n, fb, at_entry, &e))
			return false;
	if (!e.n)
		return false;
	ops = arena_alloc(ar, e.n * sizeof(*ops));
	memcpy(ops, e.ops, e.n * sizeof(*ops));
	p->kind = LOC_EXPR;
	p->reg = -1;
	p->off = 0;
	p->ops = ops;
	p->nops = e.n;
	return true;
}

enum base_kind { BASE_NONE, BASE_MEM, BASE_CONST };

/* DWARF's stack arithmetic is modulo 2^64 (and offsets from a file may be
 * anything): signed overflow would be undefined in C. */
static int64_t wrap_add(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* One piece's ops (without the DW_OP_piece) into p when they have one of
 * the simple shapes; LOC_OPTIMIZED otherwise. p->size is set. */
static void simple_piece(Dwarf_Attribute *attr, const Dwarf_Op *o, size_t n,
			 const struct frame_base *fb, bool at_entry,
			 struct loc_piece *p)
{
	enum base_kind base = BASE_NONE;
	bool entry = false;
	int reg = -1;
	int64_t off = 0, c;
	uint64_t a;
	size_t i = 1;

	p->kind = LOC_OPTIMIZED;
	if (!n)
		return;
	if (n == 1 && reg_op(&o[0], &reg)) {
		p->kind = LOC_REG;
		p->reg = reg;
		return;
	}
	if (n == 1 && o[0].atom == DW_OP_implicit_value) {
		Dwarf_Block b;

		if (!attr || dwarf_getlocation_implicit_value(attr, &o[0], &b))
			return;
		if (b.length > sizeof(p->bytes))
			return;
		memcpy(p->bytes, b.data, b.length);
		p->kind = LOC_BYTES;
		if (!p->size)
			p->size = (uint32_t)b.length;
		return;
	}
	if (n == 1 && addr_op(attr, &o[0], &a)) {
		p->kind = LOC_MEM_ADDR;
		p->off = (int64_t)a;
		return;
	}
	if (breg_op(&o[0], &reg, &off)) {
		base = BASE_MEM;
	} else if (o[0].atom == DW_OP_fbreg) {
		if (!fb || !fb->known)
			return;
		reg = fb->reg;
		off = wrap_add(fb->off, (int64_t)o[0].number);
		base = BASE_MEM;
	} else if (o[0].atom == DW_OP_call_frame_cfa) {
		/* Go's arguments on the stack are "at the CFA". */
		if (!fb || !fb->known || !fb->cfa)
			return;
		reg = fb->reg;
		off = fb->off;
		base = BASE_MEM;
	} else if (entry_value_op(attr, &o[0], &reg)) {
		/* The register's value at entry is the register itself
		 * only at the function's first instruction. */
		if (!at_entry)
			return;
		entry = true;
		base = BASE_MEM;
	} else if (const_op(attr, &o[0], &off)) {
		base = BASE_CONST;
	} else {
		return;
	}
	/* Offsets added to the base: plus_uconst, or const; plus/minus. */
	while (i < n) {
		if (o[i].atom == DW_OP_plus_uconst) {
			off = wrap_add(off, (int64_t)o[i].number);
			i++;
		} else if (i + 1 < n && const_op(attr, &o[i], &c) &&
			   (o[i + 1].atom == DW_OP_plus ||
			    o[i + 1].atom == DW_OP_minus)) {
			off = o[i + 1].atom == DW_OP_plus
				      ? wrap_add(off, c)
				      : wrap_add(off, (int64_t)(0 - (uint64_t)c));
			i += 2;
		} else {
			break;
		}
	}
	if (i == n) {
		/* The stack holds an address: the value is in memory. */
		p->kind = base == BASE_CONST ? LOC_MEM_ADDR : LOC_MEM;
		p->reg = base == BASE_CONST ? -1 : reg;
		p->off = off;
		return;
	}
	if (o[i].atom == DW_OP_stack_value && i + 1 == n) {
		if (base == BASE_CONST) {
			p->kind = LOC_CONST;
			p->off = off;
		} else if (entry && !off) {
			p->kind = LOC_REG;
			p->reg = reg;
		} else {
			p->kind = LOC_VALUE_REG;
			p->reg = reg;
			p->off = off;
		}
		return;
	}
	if (base == BASE_MEM && o[i].atom == DW_OP_deref) {
		if (i + 1 == n) {
			/* An object passed by invisible reference. */
			p->kind = LOC_MEM_DEREF;
			p->reg = reg;
			p->off = off;
		} else if (i + 2 == n && o[i + 1].atom == DW_OP_stack_value) {
			/* The value is the word stored at reg + off. */
			p->kind = LOC_MEM;
			p->reg = reg;
			p->off = off;
		}
		return;
	}
}

/* One piece's ops (without the DW_OP_piece) into p. p->size is set. */
static void piece_from(struct arena *ar, Dwarf_Attribute *attr,
		       const Dwarf_Op *o, size_t n,
		       const struct frame_base *fb, bool at_entry,
		       struct loc_piece *p)
{
	simple_piece(attr, o, n, fb, at_entry, p);
	if (p->kind == LOC_OPTIMIZED && n)
		expr_piece(ar, attr, o, n, fb, at_entry, p);
}

void dwloc_translate(struct arena *ar, Dwarf_Attribute *attr,
		     const Dwarf_Op *ops, size_t n,
		     const struct frame_base *fb, bool at_entry,
		     struct loc *out)
{
	VEC(struct loc_piece) v = {0};
	size_t start = 0;
	bool pieces = false;

	out->pieces = NULL;
	out->npieces = 0;
	if (!ops || !n)
		return;
	for (size_t i = 0; i < n; i++) {
		struct loc_piece p = {.reg = -1};

		if (ops[i].atom != DW_OP_piece &&
		    ops[i].atom != DW_OP_bit_piece)
			continue;
		pieces = true;
		if (ops[i].atom == DW_OP_piece) {
			p.size = (uint32_t)ops[i].number;
			piece_from(ar, attr, ops + start, i - start, fb,
				   at_entry, &p);
		} else {
			/* Sub-byte pieces: we cannot place them. */
			p.size = (uint32_t)((ops[i].number + 7) / 8);
			p.kind = LOC_OPTIMIZED;
			if (ops[i].number % 8 == 0 && ops[i].number2 == 0)
				piece_from(ar, attr, ops + start, i - start,
					   fb, at_entry, &p);
		}
		VEC_PUSH(&v, p);
		start = i + 1;
	}
	if (!pieces) {
		struct loc_piece p = {.reg = -1};

		piece_from(ar, attr, ops, n, fb, at_entry, &p);
		VEC_PUSH(&v, p);
	}
	out->pieces = v.items;
	out->npieces = v.len;
}

bool dwloc_in_frame(const Dwarf_Op *ops, size_t n, bool cfa_base)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].atom == DW_OP_fbreg &&
		    (!cfa_base || (int64_t)ops[i].number < 0))
			return true;
	return false;
}

void dwloc_block_as_exprloc(Dwarf_Attribute *attr)
{
	if ((attr->form == DW_FORM_block1 && attr->valp &&
	     *(const unsigned char *)attr->valp < 0x80) ||
	    attr->form == DW_FORM_block)
		attr->form = DW_FORM_exprloc;
}

bool dwloc_frame_is_cfa(Dwarf_Die *fn)
{
	Dwarf_Attribute attr;
	Dwarf_Op *ops;
	size_t n;

	if (!dwarf_attr_integrate(fn, DW_AT_frame_base, &attr))
		return false;
	dwloc_block_as_exprloc(&attr);
	return dwarf_getlocation(&attr, &ops, &n) == 0 && n == 1 &&
	       ops[0].atom == DW_OP_call_frame_cfa;
}

bool dwloc_uses_fbreg(const Dwarf_Op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ops[i].atom == DW_OP_fbreg ||
		    ops[i].atom == DW_OP_call_frame_cfa)
			return true;
	return false;
}

void dwloc_cfa_at(struct symtab *st, uint64_t pc, struct frame_base *fb)
{
	Dwarf_CFI *cfis[2] = {st->cfi_eh, st->cfi_dbg};

	for (int k = 0; k < 2; k++) {
		Dwarf_Frame *frame = NULL;
		Dwarf_Op *ops;
		size_t n;
		int reg;
		int64_t off;

		if (!cfis[k] || dwarf_cfi_addrframe(cfis[k], pc, &frame) != 0)
			continue;
		if (dwarf_frame_cfa(frame, &ops, &n) == 0 && n == 1 &&
		    breg_op(&ops[0], &reg, &off)) {
			fb->known = true;
			fb->cfa = true;
			fb->reg = reg;
			fb->off = off;
		}
		free(frame);
		if (fb->known)
			return;
	}
}

void dwloc_frame_base(struct symtab *st, Dwarf_Die *fn, uint64_t pc,
		      struct frame_base *fb)
{
	Dwarf_Attribute attr;
	Dwarf_Op *ops;
	size_t n;
	int reg;
	int64_t off;

	memset(fb, 0, sizeof(*fb));
	fb->reg = -1;
	if (!dwarf_attr_integrate(fn, DW_AT_frame_base, &attr))
		return;
	dwloc_block_as_exprloc(&attr);
	if (dwarf_getlocation_addr(&attr, pc, &ops, &n, 1) != 1 || n != 1)
		return;
	if (ops[0].atom == DW_OP_call_frame_cfa) {
		dwloc_cfa_at(st, pc, fb);
	} else if (reg_op(&ops[0], &reg)) {
		fb->known = true;
		fb->reg = reg;
	} else if (breg_op(&ops[0], &reg, &off)) {
		fb->known = true;
		fb->reg = reg;
		fb->off = off;
	}
}

static int form_size(unsigned int form)
{
	switch (form) {
	case DW_FORM_data1: return 1;
	case DW_FORM_data2: return 2;
	case DW_FORM_data4: return 4;
	default: return 8;
	}
}

void dwloc_const(Dwarf_Attribute *attr, const struct ctype *t,
		 struct loc *out)
{
	struct loc_piece p = {.kind = LOC_OPTIMIZED, .reg = -1};
	unsigned int form = dwarf_whatform(attr);
	Dwarf_Block b;
	Dwarf_Sword s;
	Dwarf_Word u;

	t = ctype_strip(t);
	switch (form) {
	case DW_FORM_sdata:
	case DW_FORM_implicit_const:
		if (dwarf_formsdata(attr, &s) == 0) {
			p.kind = LOC_CONST;
			p.off = s;
		}
		break;
	case DW_FORM_udata:
	case DW_FORM_data1:
	case DW_FORM_data2:
	case DW_FORM_data4:
	case DW_FORM_data8:
		if (dwarf_formudata(attr, &u) != 0)
			break;
		p.kind = LOC_CONST;
		p.off = (int64_t)u;
		/* dataN is just bits: the type says whether to extend. */
		if (t && t->is_signed && form_size(form) < 8) {
			int sh = 64 - 8 * form_size(form);

			p.off = (int64_t)(u << sh) >> sh;
		}
		break;
	case DW_FORM_block:
	case DW_FORM_block1:
	case DW_FORM_block2:
	case DW_FORM_block4:
	case DW_FORM_data16:
		if (dwarf_formblock(attr, &b) == 0 &&
		    b.length <= sizeof(p.bytes)) {
			p.kind = LOC_BYTES;
			memcpy(p.bytes, b.data, b.length);
			p.size = (uint32_t)b.length;
		}
		break;
	default:
		break;
	}
	out->pieces = xmalloc(sizeof(p));
	out->pieces[0] = p;
	out->npieces = 1;
}

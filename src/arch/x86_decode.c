/* x86_decode: one x86-64 instruction, classified for the tracer.
 *
 * Capstone does the decoding; this file only sorts instructions into the
 * few classes the engines care about (can it run out of line? does it leave
 * the function? where does it go?). */
#include "arch/x86.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

/* One Capstone handle per thread: cs_open costs an allocation and table
 * setup, and return-site scans decode whole functions. A handle must not be
 * shared between threads, hence __thread. */
static __thread csh cs_handle;
static __thread cs_insn *cs_buf;
static __thread bool cs_ready;

/* The handle is closed when its thread ends (a key's destructor runs
 * then), so threads that come and go leave nothing behind. */
static pthread_key_t cs_key;
static pthread_once_t cs_once = PTHREAD_ONCE_INIT;

static void decoder_release(void *unused)
{
	if (!cs_ready)
		return;
	cs_free(cs_buf, 1);
	cs_close(&cs_handle);
	cs_ready = false;
}

static void decoder_key_init(void)
{
	pthread_key_create(&cs_key, decoder_release);
}

static int decoder(csh *h, cs_insn **buf)
{
	if (!cs_ready) {
		pthread_once(&cs_once, decoder_key_init);
		if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs_handle) != CS_ERR_OK)
			return -ENOMEM;
		cs_option(cs_handle, CS_OPT_DETAIL, CS_OPT_ON);
		cs_buf = cs_malloc(cs_handle);
		if (!cs_buf) {
			cs_close(&cs_handle);
			return -ENOMEM;
		}
		cs_ready = true;
		/* Any non-NULL value makes the destructor run. */
		pthread_setspecific(cs_key, (void *)1);
	}
	*h = cs_handle;
	*buf = cs_buf;
	return 0;
}

/* Capstone's 64-bit general registers in DWARF numbering; -1 for anything
 * else (32-bit address registers, segments): callers cannot evaluate those. */
static int dwarf_reg(unsigned int r)
{
	switch (r) {
	case X86_REG_RAX: return DREG_RAX;
	case X86_REG_RDX: return DREG_RDX;
	case X86_REG_RCX: return DREG_RCX;
	case X86_REG_RBX: return DREG_RBX;
	case X86_REG_RSI: return DREG_RSI;
	case X86_REG_RDI: return DREG_RDI;
	case X86_REG_RBP: return DREG_RBP;
	case X86_REG_RSP: return DREG_RSP;
	case X86_REG_R8: return DREG_R8;
	case X86_REG_R9: return DREG_R9;
	case X86_REG_R10: return DREG_R10;
	case X86_REG_R11: return DREG_R11;
	case X86_REG_R12: return DREG_R12;
	case X86_REG_R13: return DREG_R13;
	case X86_REG_R14: return DREG_R14;
	case X86_REG_R15: return DREG_R15;
	case X86_REG_RIP: return DREG_RIP;
	default: return -1;
	}
}

static bool in_group(const cs_detail *d, uint8_t g)
{
	for (uint8_t i = 0; i < d->groups_count; i++)
		if (d->groups[i] == g)
			return true;
	return false;
}

/* A memory operand's base, index, scale and displacement, registers in
 * DWARF numbering (base and index already -1); false when a register in it
 * has none. */
static bool mem_fields(const cs_x86_op *o, struct insn_operand *op)
{
	op->mem = true;
	op->disp = o->mem.disp;
	op->scale = o->mem.scale ? o->mem.scale : 1;
	if (o->mem.base != X86_REG_INVALID &&
	    (op->base = dwarf_reg(o->mem.base)) < 0)
		return false;
	if (o->mem.index != X86_REG_INVALID &&
	    (op->index = dwarf_reg(o->mem.index)) < 0)
		return false;
	return true;
}

/* The r/m operand of an indirect jmp/call. False when a register in it has
 * no 64-bit DWARF number (an addr32 operand): we could not evaluate it. */
static bool indirect_operand(const cs_x86 *x, struct insn_operand *op)
{
	const cs_x86_op *o;

	op->mem = false;
	op->base = op->index = -1;
	op->scale = 1;
	op->disp = 0;
	if (x->op_count != 1)
		return false;
	o = &x->operands[0];
	if (o->type == X86_OP_REG) {
		op->base = dwarf_reg(o->reg);
		return op->base >= 0;
	}
	if (o->type != X86_OP_MEM)
		return false;
	return mem_fields(o, op);
}

/* A 64- or 32-bit general register as its 64-bit register's DWARF number
 * (a 32-bit write zero-extends into it), -1 for anything else. */
static int gpr64(unsigned int r)
{
	switch (r) {
	case X86_REG_EAX: return DREG_RAX;
	case X86_REG_EDX: return DREG_RDX;
	case X86_REG_ECX: return DREG_RCX;
	case X86_REG_EBX: return DREG_RBX;
	case X86_REG_ESI: return DREG_RSI;
	case X86_REG_EDI: return DREG_RDI;
	case X86_REG_EBP: return DREG_RBP;
	case X86_REG_R8D: return DREG_R8;
	case X86_REG_R9D: return DREG_R9;
	case X86_REG_R10D: return DREG_R10;
	case X86_REG_R11D: return DREG_R11;
	case X86_REG_R12D: return DREG_R12;
	case X86_REG_R13D: return DREG_R13;
	case X86_REG_R14D: return DREG_R14;
	case X86_REG_R15D: return DREG_R15;
	default: return dwarf_reg(r);
	}
}

/* A memory operand in DWARF numbering; false when a register in it has
 * none (or it has a segment: fs/gs-relative data is no table of ours). */
static bool mem_operand(const cs_x86_op *o, struct insn_operand *op)
{
	op->base = op->index = -1;
	return o->mem.segment == X86_REG_INVALID && mem_fields(o, op);
}

/* Fills out->data for the instructions a jump-table dispatch is made of:
 * the table's address (lea), its entry (mov/movsxd from memory), and the
 * bound checked before (cmp/sub with an immediate, and with a mask). */
static void classify_data(const cs_insn *ci, struct insn_data *d)
{
	const cs_x86 *x = &ci->detail->x86;
	const cs_x86_op *a = &x->operands[0], *b = &x->operands[1];

	d->kind = DATA_NONE;
	d->dreg = -1;
	if (x->op_count != 2)
		return;
	switch (ci->id) {
	case X86_INS_LEA:
	case X86_INS_MOV:
	case X86_INS_MOVSXD:
		if (a->type != X86_OP_REG || b->type != X86_OP_MEM ||
		    (d->dreg = gpr64(a->reg)) < 0 || !mem_operand(b, &d->mem))
			return;
		if (ci->id == X86_INS_LEA) {
			d->kind = DATA_LEA;
			return;
		}
		if (b->size != 4 && b->size != 8)
			return;
		d->kind = DATA_LOAD;
		d->size = b->size;
		d->sext = ci->id == X86_INS_MOVSXD;
		return;
	case X86_INS_CMP:
	case X86_INS_SUB:
	case X86_INS_AND:
		if (b->type != X86_OP_IMM)
			return;
		d->kind = ci->id == X86_INS_AND ? DATA_AND_IMM : DATA_CMP_IMM;
		d->imm = b->imm;
		return;
	default:
		return;
	}
}

static bool has_riprel(const cs_x86 *x)
{
	for (uint8_t i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM &&
		    x->operands[i].mem.base == X86_REG_RIP)
			return true;
	return false;
}

/* The jcc condition: the low nibble of 0x7X (rel8) or 0x0f 0x8X (rel32). */
static int jcc_cond(const cs_x86 *x)
{
	if (x->opcode[0] == 0x0f)
		return x->opcode[1] & 0xf;
	return x->opcode[0] & 0xf;
}

static void classify(const cs_insn *ci, struct insn *out)
{
	const cs_detail *d = ci->detail;
	const cs_x86 *x = &d->x86;

	switch (ci->id) {
	case X86_INS_RET:
		out->cls = INSN_RET;
		if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
			out->imm = (uint16_t)x->operands[0].imm;
		return;
	case X86_INS_INT3:
		out->cls = INSN_INT3;
		return;
	case X86_INS_JMP:
	case X86_INS_CALL:
		if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
			out->cls = ci->id == X86_INS_JMP ? INSN_JMP : INSN_CALL;
			out->target = (uint64_t)x->operands[0].imm;
			return;
		}
		if (!indirect_operand(x, &out->op)) {
			out->cls = INSN_UNSUPPORTED;
			return;
		}
		out->cls = ci->id == X86_INS_JMP ? INSN_JMP_IND : INSN_CALL_IND;
		return;
	case X86_INS_LOOP:
	case X86_INS_LOOPE:
	case X86_INS_LOOPNE:
	case X86_INS_JRCXZ:
	case X86_INS_JECXZ:
		out->cls = INSN_LOOP;
		if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
			out->target = (uint64_t)x->operands[0].imm;
		return;
	case X86_INS_LJMP:
	case X86_INS_LCALL:
	case X86_INS_RETF:
	case X86_INS_RETFQ:
	case X86_INS_IRET:
	case X86_INS_IRETD:
	case X86_INS_IRETQ:
	case X86_INS_SYSCALL:
	case X86_INS_SYSENTER:
	case X86_INS_SYSEXIT:
	case X86_INS_SYSRET:
	case X86_INS_XBEGIN: /* its abort address is relative */
		out->cls = INSN_UNSUPPORTED;
		return;
	default:
		break;
	}
	if (in_group(d, X86_GRP_JUMP) && in_group(d, X86_GRP_BRANCH_RELATIVE)) {
		/* Every remaining relative jump is a jcc. */
		out->cls = INSN_JCC;
		out->cond = jcc_cond(x);
		if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
			out->target = (uint64_t)x->operands[0].imm;
		return;
	}
	if (in_group(d, X86_GRP_INT) || in_group(d, X86_GRP_IRET) ||
	    in_group(d, X86_GRP_PRIVILEGE) || in_group(d, X86_GRP_JUMP) ||
	    in_group(d, X86_GRP_CALL) || in_group(d, X86_GRP_RET)) {
		out->cls = INSN_UNSUPPORTED;
		return;
	}
	classify_data(ci, &out->data);
	if (has_riprel(x)) {
		/* Only a 4-byte displacement can be moved out of line. */
		if (x->encoding.disp_size != 4 || !x->encoding.disp_offset) {
			out->cls = INSN_UNSUPPORTED;
			return;
		}
		out->cls = INSN_RIPREL;
		out->disp_off = x->encoding.disp_offset;
		return;
	}
	out->cls = INSN_OTHER;
}

/* The length of the VEX- or EVEX-encoded (AVX, AVX-512) instruction at c,
 * 0 if it is none or is cut short. Capstone 4 fails on some of them
 * (kmovd, vpcmpeqb into a mask register: libc's strlen-evex), which would
 * end a return-site scan there. None transfers control; *riprel tells one
 * that cannot be moved out of line as it is. */
static size_t vex_len(const uint8_t *c, size_t n, bool *riprel)
{
	size_t len, modrm;
	unsigned map, op, mod, rm;

	/* In 64-bit mode these bytes are always the prefixes. */
	if (n >= 4 && c[0] == 0xc5)
		map = 1, modrm = 3;
	else if (n >= 5 && c[0] == 0xc4)
		map = c[1] & 0x1f, modrm = 4;
	else if (n >= 6 && c[0] == 0x62 && (c[2] & 4))
		map = c[1] & 3, modrm = 5; /* P1's bit 2 is always 1 */
	else
		return 0;
	if (map < 1 || map > 3)
		return 0;
	op = c[modrm - 1];
	*riprel = false;
	if (map == 1 && op == 0x77)
		return modrm; /* vzeroupper, vzeroall: no ModRM */
	len = modrm + 1;
	mod = c[modrm] >> 6;
	rm = c[modrm] & 7;
	if (mod != 3 && rm == 4) {
		len++; /* SIB */
		if (mod == 0 && n > modrm + 1 && (c[modrm + 1] & 7) == 5)
			len += 4;
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	else if (mod == 0 && rm == 5)
		len += 4, *riprel = true;
	/* An imm8: every 0F3A opcode, and these of 0F. */
	if (map == 3 || (map == 1 && ((op >= 0x70 && op <= 0x73) ||
				      op == 0xc2 || (op >= 0xc4 && op <= 0xc6))))
		len++;
	return len <= n ? len : 0;
}

int x86_decode(const uint8_t *code, size_t n, uint64_t addr, struct insn *out)
{
	const uint8_t *p = code;
	uint64_t a = addr;
	size_t left = n;
	cs_insn *ci;
	csh h;
	int err;

	memset(out, 0, sizeof(*out));
	out->addr = addr;
	out->cls = INSN_UNSUPPORTED;
	out->op.base = out->op.index = -1;
	out->data.dreg = -1;
	if (!code || !n)
		return -EINVAL;
	/* endbr64 is a nop for us whatever the Capstone version makes of it
	 * (older ones decode it as a prefixed nop of another length). */
	if (n >= 4 && code[0] == 0xf3 && code[1] == 0x0f && code[2] == 0x1e &&
	    code[3] == 0xfa) {
		out->len = 4;
		memcpy(out->bytes, code, 4);
		out->cls = INSN_OTHER;
		return 0;
	}
	if ((err = decoder(&h, &ci)))
		return err;
	if (left > sizeof(out->bytes))
		left = sizeof(out->bytes);
	if (!cs_disasm_iter(h, &p, &left, &a, ci)) {
		bool riprel;
		size_t len = vex_len(code, left, &riprel);

		if (!len)
			return -EINVAL;
		out->len = (uint8_t)len;
		memcpy(out->bytes, code, len);
		out->cls = riprel ? INSN_UNSUPPORTED : INSN_OTHER;
		return 0;
	}
	if (!ci->detail || ci->size == 0 || ci->size > sizeof(out->bytes))
		return -EINVAL;
	out->len = (uint8_t)ci->size;
	memcpy(out->bytes, code, ci->size);
	classify(ci, out);
	return 0;
}

bool x86_cond_taken(int cond, uint64_t rflags)
{
	bool cf = rflags & (1u << 0), pf = rflags & (1u << 2),
	     zf = rflags & (1u << 6), sf = rflags & (1u << 7),
	     of = rflags & (1u << 11), r;

	/* Even conditions are the base test; odd ones its negation. */
	switch ((cond >> 1) & 7) {
	case 0: r = of; break;              /* o */
	case 1: r = cf; break;              /* b */
	case 2: r = zf; break;              /* e */
	case 3: r = cf || zf; break;        /* be */
	case 4: r = sf; break;              /* s */
	case 5: r = pf; break;              /* p */
	case 6: r = sf != of; break;        /* l */
	default: r = zf || sf != of; break; /* le */
	}
	return cond & 1 ? !r : r;
}

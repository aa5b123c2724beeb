/* loc: where a value lives at one address of the program — the "probe plan"
 * entry for one argument or result.
 *
 * A loc is compiled once, from DWARF location expressions (arguments) or from
 * the ABI (results, and arguments DWARF cannot place at the entry), into a
 * list of simple pieces that any engine can fetch: ptrace in user space, eBPF
 * in the kernel. The pieces real compilers need beyond those (clang -O2's
 * shifts and masks of a register holding two struct fields) are kept as a
 * small DWARF expression (LOC_EXPR) evaluated at the hit. Registers use
 * DWARF x86-64 numbering: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp,
 * 7 rsp, 8-15 r8-r15, 16 rip, 17-32 xmm0-15, 33-40 st0-7. */
#ifndef TINYDBG_SYM_LOC_H
#define TINYDBG_SYM_LOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dwarf_reg {
	DREG_RAX = 0, DREG_RDX = 1, DREG_RCX = 2, DREG_RBX = 3, DREG_RSI = 4,
	DREG_RDI = 5, DREG_RBP = 6, DREG_RSP = 7, DREG_R8 = 8, DREG_R9 = 9,
	DREG_R10 = 10, DREG_R11 = 11, DREG_R12 = 12, DREG_R13 = 13,
	DREG_R14 = 14, DREG_R15 = 15, DREG_RIP = 16, DREG_XMM0 = 17,
	DREG_ST0 = 33,
	DREG_FS_BASE = 58, /* the thread pointer (TLS) */
};

enum loc_piece_kind {
	LOC_REG,       /* the bytes are in register .reg (from its low byte) */
	LOC_MEM,       /* the bytes are in memory at reg(.reg) + .off */
	LOC_MEM_ADDR,  /* the bytes are in memory at .off, a link-time address
	                * (add the load bias) */
	LOC_MEM_DEREF, /* memory at *(uint64_t *)(reg(.reg) + .off): an object
	                * passed by invisible reference */
	LOC_VALUE_REG, /* the value is reg(.reg) + .off (DW_OP_stack_value) */
	LOC_CONST,     /* the value is .off itself */
	LOC_BYTES,     /* the value is .bytes (DW_OP_implicit_value, <= 16) */
	LOC_EXPR,      /* the DWARF expression .ops[0..nops) computes it */
	LOC_OPTIMIZED, /* no location: the value is optimized out */
};

/* One operation of a LOC_EXPR: a DWARF opcode (DW_OP_*) with its operands,
 * in a normalised subset so that an evaluator needs no DWARF context:
 *   DW_OP_constu n1          push n1 (every constant form and lit*)
 *   DW_OP_addr n1            push n1 + the load bias (a link-time address)
 *   DW_OP_bregx n1, n2       push reg(n1) + (int64_t)n2 (breg*, fbreg)
 *   DW_OP_regx n1            push reg(n1): a register's value at the
 *                            function's first address (DW_OP_entry_value)
 *   DW_OP_deref_size n1      pop an address, push the n1 (1..8) bytes there
 *   DW_OP_pick n1            push a copy of the n1-th entry from the top
 *   DW_OP_plus_uconst n1
 *   DW_OP_convert n1, n2     keep the low n1 bytes (1..8), sign-extended
 *                            when n2 is 1 (a DW_OP_convert to an integer
 *                            base type)
 *   DW_OP_stack_value        only last: the top is the value itself;
 *                            without it the top is the value's address
 * and the operand-less arithmetic and stack ops (plus, minus, mul, div, mod,
 * and, or, xor, not, neg, shl, shr, shra, abs, dup, drop, swap, over, rot,
 * deref). */
struct loc_op {
	uint8_t atom;
	uint64_t n1, n2;
};

struct loc_piece {
	enum loc_piece_kind kind;
	int reg;
	int64_t off;
	uint32_t size; /* bytes this piece provides; 0: the whole value */
	uint8_t bytes[16];
	const struct loc_op *ops; /* LOC_EXPR: owned by the symtab (or by
	                           * whoever built the loc), not by the loc */
	size_t nops;
};

struct loc {
	struct loc_piece *pieces; /* owned; NULL when npieces == 0 */
	size_t npieces;           /* 0 means optimized out, like LOC_OPTIMIZED */
};

void loc_release(struct loc *l);
/* True when the loc holds no data (no pieces, or all LOC_OPTIMIZED). */
bool loc_is_optimized(const struct loc *l);

#endif

/* x86: x86-64 instruction facts the tracer needs, decoded with Capstone, and
 * the System V calling convention's rules for results and arguments.
 *
 * Thread-safe: each call uses its own decoder state. */
#ifndef TINYDBG_ARCH_X86_H
#define TINYDBG_ARCH_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sym/ctype.h"
#include "sym/loc.h"

enum insn_class {
	INSN_OTHER,        /* runs anywhere: can be executed out of line */
	INSN_RIPREL,       /* like OTHER but has a rip-relative operand:
	                    * out of line it needs its disp32 fixed up */
	INSN_RET,          /* ret / ret imm16 (imm in .imm) / repz ret */
	INSN_JMP,          /* jmp rel8/rel32: .target */
	INSN_JCC,          /* jcc rel8/rel32: .target, condition in .cond */
	INSN_JMP_IND,      /* jmp r/m64 */
	INSN_CALL,         /* call rel32: .target */
	INSN_CALL_IND,     /* call r/m64 */
	INSN_LOOP,         /* loop/jrcxz and friends: .target */
	INSN_INT3,         /* int3 */
	INSN_UNSUPPORTED,  /* syscall, privileged, or undecodable */
};

/* Memory or register operand of an indirect jmp/call, in DWARF numbering
 * (-1: none). The effective value is mem ? *(base + index*scale + disp) :
 * reg(base). For a rip-relative operand base is DREG_RIP, and rip means the
 * address of the next instruction. */
struct insn_operand {
	bool mem;
	int base, index;
	int scale;
	int64_t disp;
};

/* What an ordinary instruction does, for the few kinds a jump-table
 * dispatch is made of (see symtab's return sites): the rest are DATA_NONE. */
enum insn_data_kind {
	DATA_NONE,
	DATA_LEA,     /* lea mem, dreg */
	DATA_LOAD,    /* mov/movsxd mem, dreg (size: the bytes loaded) */
	DATA_CMP_IMM, /* cmp x, imm or sub x, imm (imm) */
	DATA_AND_IMM, /* and x, imm (imm) */
};

struct insn_data {
	enum insn_data_kind kind;
	int dreg;                /* LEA, LOAD: the destination, DWARF (-1: none) */
	uint8_t size;            /* LOAD: 4 or 8 */
	bool sext;               /* LOAD: sign-extends (movsxd) */
	int64_t imm;             /* CMP_IMM, AND_IMM */
	struct insn_operand mem; /* LEA, LOAD: the memory operand */
};

struct insn {
	uint64_t addr;
	uint8_t len;
	uint8_t bytes[16];
	enum insn_class cls;
	uint64_t target;   /* JMP, JCC, CALL, LOOP */
	int cond;          /* JCC: the low nibble of the opcode (0x0..0xf) */
	uint16_t imm;      /* RET imm16 */
	uint8_t disp_off;  /* RIPREL: offset of the disp32 within bytes */
	struct insn_operand op; /* JMP_IND, CALL_IND */
	struct insn_data data;  /* OTHER, RIPREL */
};

/* Decodes the instruction at code[0..n) that lives at address addr.
 * Returns 0, or -EINVAL when the bytes are not a valid instruction. */
int x86_decode(const uint8_t *code, size_t n, uint64_t addr, struct insn *out);

/* True when a jcc with condition code cond (0..15) is taken under rflags. */
bool x86_cond_taken(int cond, uint64_t rflags);

/* The System V x86-64 rules for a function result of type t (void: NULL):
 * fills *out with where the caller finds it right after the ret — rax:rdx,
 * xmm0:xmm1, st0(:st1), a mix for small structs, or memory at the address
 * returned in rax for MEMORY-class results. Returns 0, -ENOTSUP for a type
 * it cannot place. out->pieces is malloc'd (loc_release). */
int x86_sysv_result_loc(const struct ctype *t, struct loc *out);

/* True when a result of type t comes back in the caller's buffer (MEMORY
 * class): its address is then passed as a hidden first argument in rdi. */
bool x86_sysv_ret_in_memory(const struct ctype *t);

/* The System V rules for arguments: where the caller put each of the n
 * arguments of types types[i], seen at the callee's first instruction (the
 * return address at [rsp], so the first stack argument is at rsp + 8).
 * INTEGER eightbytes take rdi, rsi, rdx, rcx, r8, r9 (rdi goes to the
 * hidden result pointer first when ret_in_memory); SSE ones xmm0-xmm7; an
 * argument that does not fit in the registers left goes whole on the stack,
 * as do MEMORY-class, x87 and > 16-byte ones. A C++ class passed by
 * invisible reference is the memory its address (in a register or a stack
 * slot) points at. Fills out[0..n), each a malloc'd loc (loc_release); one
 * piece per eightbyte in registers. Returns 0, or -ENOTSUP when an
 * argument's type cannot be placed: that loc and all after it are then
 * empty (the registers of the later ones are unknown). */
int x86_sysv_param_locs(const struct ctype *const *types, size_t n,
			bool ret_in_memory, struct loc *out);

/* Go's ABIInternal on amd64: where the results of a function taking args
 * (their types, receiver first) and returning results are at its ret
 * instructions — integer registers RAX, RBX, RCX, RDI, RSI, R8-R11, float
 * registers X0-X14, or the caller's stack area above the return address
 * when a result does not fit. Fills out[0..nresults) with malloc'd locs.
 * Returns 0, or -ENOTSUP when a type cannot be placed (out all empty). */
int x86_go_result_locs(const struct ctype *const *args, size_t nargs,
		       const struct ctype *const *results, size_t nresults,
		       struct loc *out);

#endif

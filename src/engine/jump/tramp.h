/* tramp: the machine code the in-process engine writes into its target —
 * an entry trampoline per patched function, the one return trampoline —
 * and the relocation of the instructions a 5-byte jump displaces.
 *
 * Both trampolines save every general register, the flags and xmm0..7 in
 * a frame laid out as the capture plan's registers (DWARF order 0..16,
 * then xmm0..7 at +0x90), call the agent with the stack aligned, and put
 * everything back: the traced code sees nothing but time pass.
 *
 * A trampoline is written into a buffer that will live at a known address
 * of the target (relative jumps are computed from it). */
#ifndef TINYDBG_ENGINE_JUMP_TRAMP_H
#define TINYDBG_ENGINE_JUMP_TRAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tramp_buf {
	uint8_t *p;   /* our view of the code */
	size_t len;   /* bytes written */
	size_t cap;
	uint64_t at;  /* the target's address of p[0] */
};

/* Where runtime.g keeps its m (every Go release since 1.4). */
#define TRAMP_GO_G_M 0x30

/* The most bytes tramp_entry writes for one function. */
#define TRAMP_ENTRY_MAX 384
/* The most bytes tramp_return writes. */
#define TRAMP_RETURN_MAX 320

/* How a trampoline calls the agent (the target's addresses of its entry
 * points). C code: enter_fn(id, regs) on the thread's stack. Go code
 * (go_stack_fn set): go_stack_fn(m), m from g in r14, on the goroutine's
 * stack, then go_enter_fn(id, regs, m) on the stack it gave, then its
 * busy word cleared; nothing when it gave none. */
struct tramp_agent {
	uint64_t enter_fn;
	uint64_t go_stack_fn, go_enter_fn;
	bool xmm; /* the plan reads xmm0..7: the frame holds them */
};

/* How many bytes at addr a 5-byte jump displaces (whole instructions),
 * decoded from code[0..n) (the function's bytes from addr). Returns the
 * count, or -ENOTSUP when one of them cannot run elsewhere (a ret, an
 * int3, a system call, an indirect jump through rip) or the function is
 * shorter than 5 bytes. */
int tramp_displaced(const uint8_t *code, size_t n, uint64_t addr);

/* Writes the entry trampoline of probe id at b: saves, calls the agent
 * (regs[16] = probe_addr), restores, runs the dlen
 * displaced bytes code[0..dlen) relocated, and jumps back to
 * probe_addr + dlen. Returns 0, -ENOSPC (b too small) or -ERANGE (a
 * relocated displacement out of reach: b too far from the code). */
int tramp_entry(struct tramp_buf *b, uint32_t id, uint64_t probe_addr,
		const uint8_t *code, size_t dlen, const struct tramp_agent *ag);

/* Writes the trampoline of a patched ret site at b: reached by a jump
 * from lo (struct probe's patch_lo), it runs the code[0..dlen)
 * (the instructions from lo up to the ret, relocated), then as an entry
 * trampoline saves, calls the agent (regs[16] = ret_addr,
 * regs[7] the stack pointer at the ret), restores, and runs the ret
 * (ret_bytes, ret_len). Returns 0, -ENOSPC, -ERANGE or -ENOTSUP. */
int tramp_retsite(struct tramp_buf *b, uint32_t id, uint64_t lo,
		  const uint8_t *code, size_t dlen, uint64_t ret_addr,
		  const uint8_t *ret_bytes, size_t ret_len,
		  const struct tramp_agent *ag);

/* The 5-byte nop (nopl 0x0(%rax,%rax,1)) that the kernel's uprobe
 * optimises into a call at its first hit. */
extern const uint8_t tramp_nop5[5];

/* For a uprobe on a nop instead of an agent (the eBPF engine's jumps):
 * writes at b a 5-byte nop, which the kernel's uprobe optimises into a
 * call (about 1.3 µs a hit, against 5 for an int3 it emulates on this
 * kind of machine), then the dlen displaced bytes code[0..dlen) relocated
 * and a jump back to probe_addr + dlen. A uprobe on the nop sees every
 * register as at probe_addr but rip. Returns 0, -ENOSPC or -ERANGE. */
int tramp_nop_entry(struct tramp_buf *b, uint64_t probe_addr,
		    const uint8_t *code, size_t dlen);

/* The same for a ret site reached by a jump from lo: the code[0..dlen)
 * up to the ret relocated, the stack pointer moved below bytes down, the
 * nop (at b->p + *nop_at), the stack pointer back, the ret (ret_bytes,
 * ret_len). The kernel's optimised uprobe pushes onto the stack: moved
 * down first, it leaves the popped frame below the ret's stack pointer,
 * which a return's values and the unwinder read, as it was (a uprobe
 * there sees rsp lower by below). */
int tramp_nop_retsite(struct tramp_buf *b, uint64_t lo, const uint8_t *code,
		      size_t dlen, const uint8_t *ret_bytes, size_t ret_len,
		      int32_t below, size_t *nop_at);

/* Writes the return trampoline at b: reached by a ret to a rewritten
 * return address, with the results in their registers; calls
 * return_fn(regs) (regs[7]: where the return address was), which gives
 * the real return address, and returns there with every register as the
 * function left it. */
int tramp_return(struct tramp_buf *b, uint64_t return_fn);

/* The bytes of "jmp to" at from (5). */
void tramp_jmp5(uint8_t out[5], uint64_t from, uint64_t to);

/* Whether a rel32 jump from from (its end: from + 5) reaches to. */
int tramp_reaches(uint64_t from, uint64_t to);

#endif

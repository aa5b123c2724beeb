/* unwind: the call stack of a stopped thread, from DWARF call frame
 * information (CFI).
 *
 * Each module's CFI comes from the symtab the debugger already opened for it
 * (.eh_frame, else .debug_frame, which is where Go puts it), queried through
 * libdw's dwarf_cfi_addrframe. libdwfl would do the whole walk, but it opens
 * and decompresses every module's DWARF a second time; the symtabs are
 * already in memory.
 *
 * A walk starts from the registers of the hit (frame 0 is the pc where the
 * thread stopped) and applies, frame after frame, the CFI row of the pc: it
 * gives the frame's canonical frame address (CFA: the stack pointer before
 * the call that made the frame) and where the caller's registers were saved;
 * the caller's pc is the return address column (16 on x86-64), its rsp the
 * CFA. Signal frames (glibc's __restore_rt, whose CFI describes the saved
 * ucontext with DWARF expressions) are walked through into the interrupted
 * function.
 *
 * A struct unwinder keeps, across walks, a cache from (module, pc) to the
 * CFI row already parsed, so that unwinding call paths seen before costs only
 * the reads of the target's stack (batched: a few hundred bytes per read).
 * It is not thread-safe: one per debugger, used on its worker thread. */
#ifndef TINYDBG_UNWIND_UNWIND_H
#define TINYDBG_UNWIND_UNWIND_H

#include <stddef.h>
#include <stdint.h>

#include "sym/symtab.h"
#include "value/value.h"

/* frame.flags */
enum {
	/* pc is a return address: the call is the instruction before it, so
	 * its function and line are those of pc - 1 (a call may be the last
	 * instruction of a function). Not set on frame 0, on a frame a
	 * signal interrupted (pc is the next instruction to run), nor on a
	 * signal trampoline (pc is its first instruction). */
	UNWIND_FRAME_RETADDR = 1,
	/* The frame is a signal trampoline (CFI augmentation 'S'): its
	 * "caller" is the interrupted code, not a call. */
	UNWIND_FRAME_SIGNAL = 2,
	/* pc had no CFI: this frame's CFA and caller were guessed from the
	 * frame pointer chain (see unwind_stack). */
	UNWIND_FRAME_FP = 4,
};

struct unwind_frame {
	uint64_t pc;    /* run-time address */
	uint64_t cfa;   /* the frame's CFA at run time; 0 when unknown (the
	                 * walk stopped on this frame for want of CFI) */
	unsigned flags; /* UNWIND_FRAME_* */
};

/* The pc whose function and line a frame shows. */
static inline uint64_t unwind_frame_lookup_pc(const struct unwind_frame *f)
{
	return f->flags & UNWIND_FRAME_RETADDR ? f->pc - 1 : f->pc;
}

/* Why a walk ended. */
enum unwind_end {
	UNWIND_END_MAX,         /* max frames were filled */
	UNWIND_END_OUTERMOST,   /* the CFI says the last frame has no caller
	                         * (return address undefined, as _start's and
	                         * a thread's start routine), or it is 0 */
	UNWIND_END_NO_MODULE,   /* a pc in no module the caller knows */
	UNWIND_END_NO_CFI,      /* no CFI row and no frame pointer chain */
	UNWIND_END_UNSUPPORTED, /* a CFI rule we do not evaluate, or one that
	                         * needs a register whose value is lost */
	UNWIND_END_UNREADABLE,  /* the stack could not be read */
	UNWIND_END_LOOP,        /* the CFA did not move up the stack */
};

/* Where the code at a run-time pc comes from. module_at returns 0 and sets
 * *st (the module's symtab) and *bias (run-time = link-time + bias), or a
 * negative errno when no known module contains pc. */
struct unwind_modules {
	void *ctx;
	int (*module_at)(void *ctx, uint64_t pc, struct symtab **st,
			 uint64_t *bias);
};

struct unwinder;

/* A new unwinder with an empty row cache (which grows to a few hundred KB at
 * most: see cfirow.c). Never fails. */
struct unwinder *unwinder_new(void);
void unwinder_free(struct unwinder *u);

/* Drops what the cache holds for st (NULL: everything). Must be called
 * before st is closed (a dlclose'd image), since entries are keyed by the
 * symtab's address and a later symtab may reuse it. */
void unwinder_forget(struct unwinder *u, const struct symtab *st);

/* Walks the stack of the thread acc reads (registers as at the hit, memory
 * as it is now: the thread must be stopped) into out[0..*n), *n <= max.
 * out[0].pc is the thread's pc. Memory is read through acc->read_mem,
 * registers through acc->read_reg (DWARF numbers 0-16: the general
 * registers and rip); nothing else of acc is used.
 *
 * The walk ends (reason in *end, when end is not NULL) at max frames, at a
 * frame without caller, at a pc outside every module, when a rule cannot be
 * evaluated, when the stack cannot be read, or when a frame's CFA is not
 * above the previous one's (a corrupt stack would loop otherwise; across a
 * signal frame the CFA need only differ, since the handler may run on an
 * alternate stack). What was found before the end stays in out.
 *
 * Without CFI for a pc (hand-written assembly, code built with
 * -fno-asynchronous-unwind-tables and no -g), rbp is taken as a frame
 * pointer as a last resort: when it points into the stack above the frame,
 * the caller's rbp is at [rbp], the return address at [rbp+8] and the CFA
 * is rbp+16. This is right only past the callee's prologue (push rbp; mov
 * rsp,rbp): at a function's entry it skips the caller. Such frames carry
 * UNWIND_FRAME_FP.
 *
 * Returns 0, or a negative errno when even the registers of frame 0 cannot
 * be read (*n is 0 then). */
int unwind_stack(struct unwinder *u, const struct target_access *acc,
		 const struct unwind_modules *mods, struct unwind_frame *out,
		 size_t max, size_t *n, enum unwind_end *end);

#endif

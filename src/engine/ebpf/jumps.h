/* jumps: function entries and ret sites patched with a jump to a 5-byte
 * nop of ours that carries their uprobe, so the kernel optimises it.
 *
 * Why: on this kind of machine (a VM) an int3 trap costs some 5 µs, so a
 * uprobe on a `push %rbp` the kernel emulates costs 5 µs a hit, and one it
 * single-steps 10. A uprobe on a 5-byte nop is different: at its first hit
 * the kernel rewrites the nop into a call to a page of its own that makes
 * a system call (1.2-1.4 µs a hit here). Few functions start with such a
 * nop (-fpatchable-function-entry, -mnop-mcount), so we make one: the
 * entry's first instructions move into a trampoline of ours, [nop5;
 * those instructions relocated; jmp back], and the entry jumps there, as
 * the in-process engine's entries do (engine/jump). The uprobe, and a
 * return's uretprobe, go on the nop. Registers there are as at the entry
 * but rip (the records are fixed up to say the entry).
 *
 * The trampolines live in a memfd mapped MAP_PRIVATE into the target (the
 * kernel ignores uprobes in a shared mapping), near the image, and are
 * attached by /proc/<us>/fd/<memfd>. Each batch is written before its
 * uprobes go in, whose int3s copy the target's page: a later batch starts
 * on a new page.
 *
 * Ret sites the same way (for Go, where uretprobes are wrong, and C
 * functions that call others): [the instructions before the ret; nop;
 * ret]. The kernel's call into its page pushes onto the stack below the
 * stack pointer, where at a ret the popped frame still holds what a
 * return's plan and the unwinder read (Go's results at -N, the saved
 * rbp of gcc's CFI): the nop runs with the stack pointer moved below
 * that, and the BPF program adds it back (sp_bias). At an entry nothing
 * below the stack pointer is live.
 *
 * Patches go in only while no thread can be in the code: every thread
 * stopped (a run's start, an exec), or code the loader has just mapped
 * (its rendezvous; nothing of it has run). They come out with every
 * thread stopped (detach; a fork child's copy), or are forgotten with
 * their code (an unloaded library). Nothing here prints. */
#ifndef TINYDBG_ENGINE_EBPF_JUMPS_H
#define TINYDBG_ENGINE_EBPF_JUMPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/xalloc.h"
#include "engine/engine.h"
#include "engine/jump/site.h"

/* A patched entry or ret site. */
struct jump {
	uint64_t site;     /* the probe's address: the entry, or the ret */
	uint64_t addr;     /* the jump: the entry, or the ret site's
	                    * patch_lo */
	int32_t sp_bias;   /* a ret site's: what its uprobe must add to the
	                    * stack pointer it sees (tramp_nop_retsite) */
	uint8_t len;       /* bytes displaced (the jump, then int3s) */
	uint8_t orig[16];  /* their bytes before */
	uint64_t nop;      /* the target's address of the trampoline's nop */
	uint64_t nop_off;  /* its offset in the region's memfd */
	size_t region;
};

/* A code page of ours in the target. */
struct jump_region {
	uint64_t at;            /* the target's address */
	size_t size, used;
	uint8_t *ours;          /* our shared mapping of the memfd */
	int fd;                 /* the memfd, ours */
	char path[64];          /* /proc/<us>/fd/<fd>: for the uprobes */
	uint64_t img_lo, img_hi; /* the image it serves */
};

struct jumps {
	pid_t pid;
	struct engine *pt; /* the ptrace engine: memory, writes */
	VEC(struct jump) jumps;
	VEC(struct jump_region) regions;
	/* Around the system calls made in the target for a region (so a
	 * --syscalls trace leaves them out). May be NULL. */
	void (*mute)(void *ctx, pid_t tid, bool begin);
	void *mute_ctx;
	/* During a batch: the target's mappings, read on first need. */
	struct site_map *maps;
	size_t nmaps;
};

void jumps_init(struct jumps *j, struct engine *pt, pid_t pid);

/* A batch of patches: jumps_add for each entry or ret site, then
 * jumps_end before any of their uprobes goes in. */
/* Patches p's entry (PROBE_ENTRY) when that is safe: its first
 * instructions can run elsewhere and are neither a call nor a jump (a
 * probe may come for those), no thread is stopped inside them, nothing
 * jumps into them, and busy(ctx, p, lo, hi) says no other probe is in
 * [lo, hi). Or p's ret site (PROBE_RETURN with a patch_lo): the same,
 * the trampoline [the instructions before the ret; nop below the stack
 * the plan reads; ret]. rips: the threads' instruction pointers.
 * Returns the jump (valid until the next jumps_add), or NULL (the code
 * unchanged). */
const struct jump *jumps_add(struct jumps *j, const struct probe *p,
			     const uint64_t *rips, size_t nrips,
			     bool (*busy)(void *ctx, const struct probe *p,
					  uint64_t lo, uint64_t hi),
			     void *ctx);

void jumps_end(struct jumps *j);

/* The jump serving the probe address site (an entry, a ret), or NULL. */
const struct jump *jumps_at(const struct jumps *j, uint64_t site);
/* A jump whose displaced bytes meet [lo, hi), or NULL. */
const struct jump *jumps_over(const struct jumps *j, uint64_t lo,
			      uint64_t hi);
/* The uprobe path of jump's nop. */
const char *jumps_path(const struct jumps *j, const struct jump *jp);

/* Takes the jump serving site out (every thread stopped). */
void jumps_undo(struct jumps *j, uint64_t site);

/* The code in [lo, hi) is gone (a library unloaded): its jumps are
 * forgotten, nothing put back. */
void jumps_forget(struct jumps *j, uint64_t lo, uint64_t hi);

/* Every entry's bytes back (detaching: every thread stopped). */
void jumps_restore(struct jumps *j);

/* A fork child's copy: the entries' bytes back, and the nops (which the
 * kernel may have rewritten into a call to a page the child lacks). */
void jumps_restore_child(const struct jumps *j, pid_t child);

/* The image is gone (exec): everything forgotten. */
void jumps_drop(struct jumps *j);

void jumps_free(struct jumps *j);

#endif

/* inproc/shm.h: the memory the in-process engine shares with its target —
 * one memfd, mapped read-write by both — and the layout the agent (the code
 * that runs inside the target, agent/agent.c) and tinydbg agree on.
 *
 * Included by the agent, which is built freestanding: fixed-width types
 * from <linux/types.h> only.
 *
 *   ip_header      at 0: the ring's positions, the loss count, the futex
 *                  word the reader sleeps on, where the rest is
 *   ip_probe[]     per engine probe id: its plan, its return's probe
 *   cap_plan[]     the capture plans (capture/record.h)
 *   ip_thread[]    per thread: its id and its shadow stack of hijacked
 *                  return addresses
 *   ring           records: ip_slot + ip_rec + the registers + chunks
 *
 * The ring has many writers (every thread of the target, signal handlers
 * included) and one reader (tinydbg). A writer reserves a slot by moving
 * head with a compare-and-swap, writes, then marks the slot ready; the
 * reader takes ready slots from tail in order and stops at one that is
 * still being written (struct ip_slot's stamp). A slot never wraps: one
 * that would is preceded by a pad slot to the end of the ring. */
#ifndef TINYDBG_ENGINE_INPROC_SHM_H
#define TINYDBG_ENGINE_INPROC_SHM_H

#include <linux/types.h>

#include "capture/record.h"

#define IP_MAGIC 0x74646270726f6331ull /* "tdbproc1" */
#define IP_NONE 0xffffffffu

/* Shadow stack entries per thread: hijacked calls nested deeper are traced
 * without their return (counted lost). */
#define IP_SHADOW_MAX 2048
/* Threads the agent keeps state for at once. */
#define IP_MAX_THREADS 256
/* The stack the agent runs on for Go code (a goroutine's stack is too
 * small and moves): per thread, its top 16 bytes a busy word. */
#define IP_AGENT_STACK 8192

enum ip_slot_state {
	IP_SLOT_READY = 1, /* a record follows */
	IP_SLOT_PAD = 2,   /* nothing: skip len bytes */
};

/* A slot is being written until its stamp names its own position in the
 * stream (head and tail count bytes from the start, never wrapping):
 * whatever an earlier lap left there names another. So the reader need
 * not clear what it read, and writer and reader share no cache line but
 * the record's. */
struct ip_slot {
	__u64 stamp; /* position | enum ip_slot_state, written last */
	__u32 len;   /* bytes of the slot, this header included (a multiple
	              * of 16, so a pad slot always has room for a header) */
	__u32 pad;
};

/* A hit's record in the ring: the agent writes one per event, so it is
 * compact (a plan for f(x, y) takes 2 cache lines where the capture
 * record's full header, 17 registers and room for xmm, took 7, and the
 * target's time goes on its first stores into each line). tinydbg
 * expands it into a capture record to read it (capture_snapshot).
 *
 * After it: the registers of .regmask (bit n: DWARF register n), in
 * order, 8 bytes each; xmm0..7 (128 bytes) when .flags has CAP_REC_XMM;
 * then .nchunks chunks (struct cap_chunk + bytes padded to 8). */
struct ip_rec {
	__u32 size;    /* bytes of the record, this header included */
	__u16 nchunks;
	__u16 flags;   /* CAP_REC_XMM */
	__u32 probe;   /* the engine's probe id */
	__u32 tid;
	__u64 time;    /* rdtsc */
	__u32 regmask; /* the plan's (cap_plan.regmask) */
	__u32 lost;    /* the header's lost count (low half) when this was
	                * written: the reader reports the records dropped
	                * before this one here, in order */
};

struct ip_probe {
	__u64 addr;    /* the probe's address (regs[16] of its records) */
	__u32 plan;    /* index into the plans */
	__u32 ret;     /* IP_NONE, or the probe whose record a return of
	                * this function makes (its return address hijacked) */
	__u32 rec_max; /* the most ring bytes one record of it takes */
	__u32 pad;
};

struct ip_shadow {
	__u64 slot; /* where the return address was (rsp at the entry) */
	__u64 orig; /* what was there */
	__u32 ret;  /* the return's probe */
	__u32 pad;
};

struct ip_thread {
	__u64 key;   /* the thread's TLS block (fs:0), 0: free */
	__u32 tid;   /* 0: not known yet (tinydbg clears it when the thread
	              * ends, for the next thread given the same block) */
	__u32 depth; /* entries in use */
	struct ip_shadow st[IP_SHADOW_MAX];
	/* Go: the agent's stack (threads keyed by their m). */
	__u8 stack[IP_AGENT_STACK] __attribute__((aligned(16)));
};

struct ip_header {
	__u64 magic;
	__u32 pid;        /* the target's */
	__u32 detached;   /* tinydbg is gone: record nothing more */
	__u64 probes_off; /* byte offsets from the header */
	__u64 plans_off;
	__u64 threads_off;
	__u64 ring_off;
	__u64 ring_size;  /* a power of two */
	__u64 wake_bytes; /* the writer that takes the ring past this wakes
	                   * the reader */
	__u64 ret_tramp;  /* the target's address of the return trampoline */
	__u32 nprobes, nplans;
	__u32 tcb_tid_off; /* where the C library keeps a thread's id in its
	                    * TLS block (glibc's struct pthread), 0: not
	                    * known (asked of the kernel once per thread) */
	__u32 pad2;
	__u64 pad0[3];
	/* Written by the target's threads, on their own cache lines. */
	__u64 head __attribute__((aligned(64)));
	__u64 lost;       /* records dropped: the ring was full */
	__u32 wake;       /* futex word: bumped at each wake-up */
	__u32 pad1;
	__u64 tail __attribute__((aligned(64))); /* written by tinydbg */
};

/* The agent's entry points and data, at offsets the build records
 * (agent_syms.h): the entry trampoline calls agent_enter(probe id, regs),
 * the return trampoline agent_return(regs), which gives back the return
 * address to go to. regs: DWARF order 0..16, then xmm0..7 (16 bytes each)
 * from regs + 18. agent_shm holds the header's address in the target.
 *
 * Go code's trampolines first call agent_go_stack(m) on the goroutine's
 * stack (a few bytes of it), which claims this thread's agent stack and
 * gives its top (0: none, the record is lost), then agent_go_enter(probe
 * id, regs, m) on that stack, then clear the busy word at the top. */

#endif

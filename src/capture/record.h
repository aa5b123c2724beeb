/* capture/record.h: the capture plan and the record it fills, shared by
 * every engine that does not stop the target (eBPF in the kernel, the
 * in-process trampolines) and by user space, which formats from the record.
 *
 * This header is included by BPF C (clang -target bpf) as well as by
 * tinydbg: plain fixed-width types from <linux/types.h>, no libc.
 *
 * A plan is a short list of ops run in order at the hit. Each op copies one
 * range of target memory into the record as a chunk; where that range is
 * comes from the registers at the hit or from bytes an earlier op copied
 * (one pointer followed per op: a chain of ops follows a chain of
 * pointers). The reader (capture_snapshot) answers the value layer's reads
 * from the registers and the chunks; anything outside them is unreadable.
 *
 * Layout of one record (all little-endian, 8-byte aligned):
 *   struct cap_record_hdr
 *   nchunks × { struct cap_chunk; bytes[len] padded to a multiple of 8 }
 * An op whose address cannot be computed (its source chunk is short) or
 * whose memory cannot be read yields a chunk with len 0 and .err set, so
 * chunk i is always op i's (and repeated ops yield one chunk per repeat, in
 * order). */
#ifndef TINYDBG_CAPTURE_RECORD_H
#define TINYDBG_CAPTURE_RECORD_H

#include <linux/types.h>

/* Registers in the record, in DWARF x86-64 numbering 0..16: rax rdx rcx rbx
 * rsi rdi rbp rsp r8..r15 rip (rip: the probe's address; at a uretprobe,
 * the return address the function went back to, rsp past it). */
#define CAP_NREGS 17
#define CAP_REG_RSP 7

#define CAP_MAX_OPS 24       /* ops per plan */
#define CAP_MAX_REP 16       /* repeats of one op (slice elements) */
#define CAP_MAX_CHAIN 64     /* repeats of a CAP_OP_CHAIN op (frames) */
#define CAP_MAX_CHUNK 16384  /* bytes one op may copy (the stack copy) */
#define CAP_MAX_DATA 32768   /* bytes of chunk data per record, all ops */

/* Where a number comes from (an op's address base, its length, its count
 * of repeats). */
enum cap_src {
	CAP_SRC_NONE = 0,  /* the constant 0 (with .disp: a constant) */
	CAP_SRC_REG = 1,   /* regs[.reg] */
	CAP_SRC_DATA = 2,  /* the u64 at byte .off of the chunk of op .op
	                    * (its first chunk when .op was repeated; for a
	                    * repeated op: + repeat index × .stride);
	                    * missing when that chunk is shorter, has .err,
	                    * or .op yielded no chunk (0 repeats) */
	CAP_SRC_DATA32 = 3,/* the same, a u32 (zero-extended) */
};

struct cap_num {
	__u8 src;      /* enum cap_src */
	__u8 reg;      /* CAP_SRC_REG: DWARF number 0..16 */
	__u16 op;      /* CAP_SRC_DATA*: an earlier op (index < this op's) */
	__u32 off;     /* CAP_SRC_DATA*: byte offset in that op's chunk */
	__u32 stride;  /* CAP_SRC_DATA*, repeated op: added per repeat */
	__u32 pad;
	__s64 disp;    /* added to the number */
};

enum cap_op_flags {
	CAP_OP_STR = 1,     /* a NUL-terminated string: copy up to and
	                     * including the NUL, at most .len bytes */
	CAP_OP_PARTIAL = 2, /* copy what can be read, page by page (the stack
	                     * copy, whose top may be near the end of the
	                     * mapping): the chunk is the readable prefix */
	CAP_OP_CHAIN = 4,   /* a chain of frame records (saved frame pointer,
	                     * return address): repeat i >= 1 copies from the
	                     * address in the first 8 bytes of repeat i-1's
	                     * chunk (+ .addr.disp), up to min(value(.rep),
	                     * CAP_MAX_CHAIN) repeats; the chain ends (no
	                     * more chunks) where that chunk is short or that
	                     * address is not above the previous one (0, a
	                     * loop: frames go up the stack) */
	CAP_OP_RUNTIME = 8, /* the language runtime's own structures (Go's g
	                     * from r14, its m, m's curg): mapped for as long
	                     * as the thread runs that code, so a reader in
	                     * the process may read them without a check */
};

/* One copy: address = value(.addr); bytes = .len, or with .count set,
 * min(.len, value(.count) × .scale) (a Go string's or slice's length).
 * .rep set: the op runs min(value(.rep), CAP_MAX_REP, .rep_max) times
 * (.rep_max 0: no limit of its own; .rep missing: 0 times, no chunk), the
 * i-th time with its .addr (and .count) sources read at + i × stride.
 * Chunk errors: -EFAULT when a source is missing or the memory cannot be
 * read; -ENOSPC when the chunk would take the record past CAP_MAX_DATA. */
struct cap_op {
	struct cap_num addr;
	struct cap_num count; /* CAP_SRC_NONE: a fixed length */
	struct cap_num rep;   /* CAP_SRC_NONE with .disp 0: once */
	__u32 len;            /* at most this many bytes (<= CAP_MAX_CHUNK) */
	__u32 scale;          /* count: bytes per unit */
	__u16 rep_max;
	__u16 flags;          /* enum cap_op_flags */
	__u32 pad;
};

enum cap_plan_flags {
	CAP_PLAN_XMM = 1, /* the values need xmm0..7: an engine that cannot
	                   * read them (eBPF) must not run this plan */
};

struct cap_plan {
	__u32 nops;
	__u32 flags;      /* enum cap_plan_flags */
	/* Bit n: the values and the debugger read register n (DWARF 0..16)
	 * of a hit. An engine whose records are costly per byte (in-process:
	 * every call writes one) copies only these; the others read as
	 * absent (cap_record_hdr.absent). Built up as the plan is compiled
	 * (capture_plan_need). */
	__u32 regmask;
	__u32 pad;
	struct cap_op ops[CAP_MAX_OPS];
};
#define CAP_REGS_ALL ((1u << CAP_NREGS) - 1)

enum cap_record_kind {
	CAP_REC_HIT = 1,  /* a probe was hit: the plan's chunks follow */
	CAP_REC_LOST = 2, /* .lost events were dropped before this one (the
	                   * ring was full); no chunks */
};

struct cap_record_hdr {
	__u32 size;       /* bytes of the whole record */
	__u16 kind;       /* enum cap_record_kind */
	__u16 nchunks;
	__u64 probe;      /* the engine's probe id (attach cookie) */
	__u64 time_ns;    /* CLOCK_MONOTONIC at the hit */
	__u32 pid, tid;
	__u64 lost;       /* CAP_REC_LOST */
	__u64 regs[CAP_NREGS];
	__u32 flags;      /* CAP_REC_XMM: .xmm holds xmm0..7 */
	__u32 absent;     /* bit n: regs[n] was not copied (unreadable) */
	__u64 xmm[16];    /* xmm0..7, 16 bytes each (only with CAP_REC_XMM) */
};
#define CAP_REC_XMM 1

struct cap_chunk {
	__u64 addr;
	__u32 len;        /* bytes that follow (then padding to 8) */
	__s32 err;        /* 0, or a negative errno: nothing was read */
};

#endif

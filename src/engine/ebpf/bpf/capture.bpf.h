/* capture.bpf.h: what the BPF program (capture.bpf.c) and its loader
 * (bpfobj.c) share beyond the record (capture/record.h): the maps'
 * element layouts and the cookie. Plain fixed-width types only. */
#ifndef TINYDBG_ENGINE_EBPF_CAPTURE_BPF_H
#define TINYDBG_ENGINE_EBPF_CAPTURE_BPF_H

#include <linux/types.h>

#include "capture/record.h"

/* A uprobe's cookie: the probe's slot in the `probes` map (high 32 bits)
 * and the engine's probe id (low 32 bits, copied to hdr.probe). */
#define CAPBPF_COOKIE(slot, id) (((__u64)(slot) << 32) | (__u32)(id))

/* One entry of the `probes` map (array, indexed by slot): the plan to run
 * and whether the probe is live. A probe detached while its multi-uprobe
 * link stays (other probes of the link are still wanted) is switched off
 * here: its hits then produce nothing. sp_bias: added to the stack
 * pointer the uprobe sees (a uprobe on a ret site's nop of ours, which
 * runs below the stack the plan reads: engine/ebpf/jumps.h). */
struct capbpf_probe {
	__u32 plan;
	__u32 on;
	__s32 sp_bias;
	__u32 pad;
};

#define CAPBPF_MAX_PLANS 4096
#define CAPBPF_MAX_PROBES (1u << 18)

/* A record is built in a scratch slot (an array map indexed by
 * cpu × CAPBPF_NEST + nesting level: a preempted probe's slot is not
 * reused by the next probe run on its CPU). Offsets into .rec are masked
 * to CAPBPF_POS_MASK (a record is at most sizeof(hdr) + chunk headers +
 * CAP_MAX_DATA, ~42 KiB), and the rest of .rec gives the verifier room
 * for one op's largest copy past any such offset. */
#define CAPBPF_NEST 2
#define CAPBPF_POS_MASK 0xffff
#define CAPBPF_REC_BYTES (CAPBPF_POS_MASK + 1 + 2 * CAP_MAX_CHUNK)

struct capbpf_slot {
	__u8 rec[CAPBPF_REC_BYTES];
	/* The state of the plan's run, kept here rather than in registers
	 * so that each step of the loop looks the same to the verifier. */
	__u32 first[CAP_MAX_OPS]; /* offset in .rec of op k's first chunk */
	__u32 nrep[CAP_MAX_OPS];  /* chunks op k yields */
	__u32 op, rep, pos, data, nchunks;
	__u32 last; /* offset in .rec of the last chunk (a chain's frame) */
};

/* --syscalls under eBPF: the raw_syscalls tracepoints, for the processes
 * in the `tgids` map only, and the calls whose entry in the `sys` map is
 * on. A record's hdr.probe then says which call and which end (its
 * registers hold the call's arguments where the kernel takes them, and
 * rax its result at the exit); no uprobe's id has these bits. */
#define CAPBPF_SYS_MAX 1024
#define CAPBPF_MAX_TGIDS 1024
#define CAPBPF_SYS_PROBE (1ull << 62)
#define CAPBPF_SYS_EXIT (1ull << 61)

struct capbpf_sys {
	__u32 on;
	__u32 plan[2]; /* at the entry, at the exit */
	__u32 pad;
};

/* Per-CPU counters (array of one, per CPU). */
struct capbpf_stats {
	__u64 lost;    /* records dropped so far (ring full, no slot) */
	__u64 pending; /* of those, not yet reported by a CAP_REC_LOST */
	__u64 nest;    /* probes running on this CPU now */
	__u64 made;    /* records put in the ring (hits and losses) */
};

#endif

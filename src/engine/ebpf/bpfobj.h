/* bpfobj: the eBPF side of the eBPF engine — the BPF program that runs a
 * capture plan at a uprobe (bpf/capture.bpf.c, embedded through a bpftool
 * skeleton), its maps, the ring buffer its records arrive in, and the
 * uprobe links. Everything here is libbpf; nothing here knows the debugger.
 *
 * Lifecycle: bpfobj_open (load; fails with one clear message when this
 * machine cannot: no privilege, no uprobes, no BPF), bpfobj_plan and
 * bpfobj_attach as probes come, bpfobj_consume as records arrive,
 * bpfobj_close (every link and map released). Not thread-safe: one thread
 * at a time (bpfobj_epoll_fd may be polled from another). */
#ifndef TINYDBG_ENGINE_EBPF_BPFOBJ_H
#define TINYDBG_ENGINE_EBPF_BPFOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/errbuf.h"
#include "capture/record.h"

struct bpfobj;

struct bpfobj_opts {
	size_t ring_bytes; /* the ring buffer's size (a power of two, at
	                    * least a page; 0: the default, 8 MiB) */
	bool no_multi;     /* one link per probe even where the kernel has
	                    * multi-uprobe links (tests, comparisons) */
	bool wake_every;   /* the ring wakes its reader at every record (else
	                    * only when an eighth full: poll it meanwhile,
	                    * bpfobj_made) */
	bool syscalls;     /* load the raw_syscalls programs too
	                    * (bpfobj_sys_*) */
};

/* Loads the program and creates the maps. Needs no kernel BTF. Errors
 * name what is missing (-EPERM: "eBPF needs root, or CAP_BPF and
 * CAP_PERFMON"; no uprobe support; the verifier's refusal) and end with
 * the hint that the ptrace engine works without it. */
int bpfobj_open(struct bpfobj **out, const struct bpfobj_opts *o,
		struct errbuf *eb);

/* Stores plan p (identical plans are stored once) and gives its id for
 * bpfobj_probe.plan. -ENOSPC when the plan map is full. */
int bpfobj_plan(struct bpfobj *o, const struct cap_plan *p, uint32_t *id,
		struct errbuf *eb);

/* One uprobe: at file offset .offset of the file .path (an ELF image the
 * process pid maps, or a memfd of code), running plan .plan, its records
 * carrying .probe_id (the record's hdr.probe is .probe_id). .ret: a
 * uretprobe (at a function's first instruction, fires as it returns).
 * .sp_bias: added to the stack pointer the probe sees, for the plan and
 * the record. */
struct bpfobj_probe {
	const char *path;
	uint64_t offset;
	uint32_t probe_id;
	uint32_t plan;
	bool ret;
	int32_t sp_bias;
};

/* Attaches n probes for process pid (its threads; not other processes),
 * with multi-uprobe links where the kernel has them (6.6+: one link per
 * file, attach and detach of a thousand in well under a second), one link
 * per probe elsewhere. All or nothing: on error none of the n stays. A
 * probe the kernel refuses is named in the message. */
int bpfobj_attach(struct bpfobj *o, pid_t pid, const struct bpfobj_probe *p,
		  size_t n, struct errbuf *eb);

/* Detaches every probe whose probe_id is in ids[0..n) (their records
 * already in the ring may still arrive). */
void bpfobj_detach(struct bpfobj *o, const uint32_t *ids, size_t n);

/* Detaches every probe at once (fast: the links go together). */
void bpfobj_detach_all(struct bpfobj *o);

/* An fd that polls readable when records are waiting. */
int bpfobj_epoll_fd(struct bpfobj *o);

/* Calls cb for every record waiting (in ring order) without blocking; a
 * non-zero return from cb stops there. Returns the number consumed or a
 * negative errno. rec points into the ring: valid only during cb. */
int bpfobj_consume(struct bpfobj *o,
		   int (*cb)(void *ctx, const void *rec, size_t len),
		   void *ctx);

/* Events dropped so far because the ring was full (summed over CPUs). */
uint64_t bpfobj_lost(struct bpfobj *o);
/* Records put in the ring so far (summed over CPUs): the reader compares
 * it with the records it took to know whether some wait without a
 * wake-up. Safe from any thread. */
uint64_t bpfobj_made(struct bpfobj *o);

/* Whether this kernel took multi-uprobe links (after the first attach). */
bool bpfobj_multi(const struct bpfobj *o);

/* --syscalls (opened with .syscalls): the raw_syscalls tracepoints, which
 * make a record (hdr.probe: CAPBPF_SYS_PROBE | the call's number, with
 * CAPBPF_SYS_EXIT at its exit) for the selected calls of the processes
 * added, nothing for any other. Attaching fails with a message naming
 * why (no tracepoints here, or the test hook TINYDBG_TEST_NO_SYSCALL_TP=1
 * in the environment, which makes it fail on purpose). */
int bpfobj_sys_attach(struct bpfobj *o, struct errbuf *eb);
/* Selects call nr (< CAPBPF_SYS_MAX) with the plans to run at its entry
 * and exit (bpfobj_plan ids). */
int bpfobj_sys_select(struct bpfobj *o, int nr, uint32_t entry_plan,
		      uint32_t exit_plan, struct errbuf *eb);
/* Adds (or removes) the process tgid to those whose calls are seen. */
int bpfobj_sys_pid(struct bpfobj *o, pid_t tgid, bool add);
/* Leaves out (mute) or back in the calls of thread tid (one the tracer
 * makes run a call of its own). */
int bpfobj_sys_mute(struct bpfobj *o, pid_t tid, bool mute);
/* Detaches the tracepoints: no syscall record is made after this. */
void bpfobj_sys_detach(struct bpfobj *o);

void bpfobj_close(struct bpfobj *o);

#endif

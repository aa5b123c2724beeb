/* sys: --syscalls under the eBPF engine. The raw_syscalls tracepoints
 * (bpfobj_sys_*) make a record for a selected call of a traced process;
 * each call's prototype (syscall/) is compiled into a capture plan per end
 * (what the frontend's decoder reads: the strings its arguments point to
 * at the entry; what its result points to at the exit), so the records are
 * formatted from a snapshot as a stopped thread's calls are. Here the
 * records become struct syscall_event, an exit reported only after its
 * entry was (as the ptrace engine does). */
#ifndef TINYDBG_ENGINE_EBPF_SYS_H
#define TINYDBG_ENGINE_EBPF_SYS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/errbuf.h"
#include "base/xalloc.h"
#include "capture/capture.h"
#include "engine/ebpf/bpf/capture.bpf.h"
#include "engine/ebpf/bpfobj.h"
#include "engine/engine.h"
#include "syscall/syscall.h"

#define SYSCALL_SET_BYTES (SYSCALL_MAX / 8)

/* A thread inside a reported call: its exit is reported. */
struct ebpf_sys_inflight {
	pid_t tid;
	int nr;
};

struct ebpf_sys {
	struct bpfobj *bo; /* set once the tracepoints are in */
	VEC(struct ebpf_sys_inflight) inflight;
};

/* Compiles the plans of the calls in set that BPF can capture, selects
 * them and attaches the tracepoints; each call it selects is cleared from
 * pt_set (a copy of set: what is left there must be served by ptrace).
 * Returns 0, or a negative errno with eb set (nothing is served by BPF). */
int ebpf_sys_setup(struct ebpf_sys *s, struct bpfobj *bo, const uint8_t *set,
		   uint8_t *pt_set, struct errbuf *eb);
/* The process whose calls are seen (no-op when the setup failed). */
void ebpf_sys_add_pid(struct ebpf_sys *s, pid_t pid);
/* A process whose calls are seen no more (a vfork child at its exec). */
void ebpf_sys_remove_pid(struct ebpf_sys *s, pid_t pid);
/* Thread tid runs a call the ptrace engine makes it run (begin) or is
 * done with it: its calls are left out meanwhile (ptrace_hooks.inject). */
void ebpf_sys_mute(struct ebpf_sys *s, pid_t tid, bool begin);
/* No record is made after this (detach). */
void ebpf_sys_stop(struct ebpf_sys *s);
/* A syscall record (hdr.probe has CAPBPF_SYS_PROBE), acc its snapshot,
 * time_ns in CLOCK_REALTIME: reported to cb->on_syscall. */
void ebpf_sys_record(struct ebpf_sys *s, const struct cap_record_hdr *hdr,
		     const struct target_access *acc, uint64_t time_ns,
		     const struct engine_callbacks *cb);
void ebpf_sys_free(struct ebpf_sys *s);

/* The note that says the calls are served by ptrace stops, and why: a
 * malloc'd line. */
char *ebpf_sys_fallback_note(const char *why);
/* Adds to *note (or makes it) that every call of an attached process
 * stops. */
void ebpf_sys_note_stops(char **note);

/* The plans of call nr at its entry and exit (the unit tests: every
 * prototype compiles). Returns 0 or -ENOTSUP. */
int ebpf_sys_plans(int nr, struct cap_plan *entry, struct cap_plan *exit);

#endif

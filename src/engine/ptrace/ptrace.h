/* The ptrace engine's hooks for an engine built on top of it.
 *
 * The eBPF engine keeps the ptrace engine for what only a stop can do (the
 * launch, threads, exec, the loader's rendezvous, the ordering of the
 * program's output, probes a BPF program cannot serve) and gets its own
 * events from a ring. Those must be handed to the debugger on the engine
 * thread, in order with the stops: so the ptrace run loop calls drain
 * before it handles each stop, and whenever another thread asks with
 * ptrace_engine_wake. */
#ifndef TINYDBG_ENGINE_PTRACE_PTRACE_H
#define TINYDBG_ENGINE_PTRACE_PTRACE_H

#include <stdint.h>
#include <sys/user.h>

#include "engine/engine.h"

/* e: a ptrace engine. drain(ctx) runs on the engine thread during run:
 * before every stop is handled, and soon after ptrace_engine_wake; a
 * non-zero return ends the run as a callback's would. NULL removes it. */
void ptrace_engine_set_drain(struct engine *e, int (*drain)(void *ctx),
			     void *ctx);

/* Thread-safe: makes a run in progress call drain soon, and returns once
 * it has (or when no run is in progress). */
void ptrace_engine_wake(struct engine *e);

/* Optional: a drain that may hand over only a batch, which the run loop
 * calls where it merely looks for work (not before a stop it handles,
 * where everything before the stop must be handed over): a thread that
 * stops meanwhile (a signal on its way) is not kept waiting for a whole
 * ring. It calls ptrace_engine_more when it left records behind. */
void ptrace_engine_set_drain_some(struct engine *e,
				  int (*drain_some)(void *ctx));
/* Engine thread, from drain_some: records remain; the run loop looks for
 * stops without blocking, then calls drain_some again. */
void ptrace_engine_more(struct engine *e);

/* What an engine on top that patches code itself (the in-process engine)
 * must do when this one puts its own code back. */
struct ptrace_hooks {
	void *ctx;
	/* Detaching (not killing): every thread of the process is stopped,
	 * and this engine is putting back its breakpoints' bytes. */
	void (*restore)(void *ctx);
	/* child is a fork of the process, stopped, a copy of its memory:
	 * its code gets the original bytes back (write with
	 * ptrace_engine_poke: child has no tracer but us). */
	void (*restore_child)(void *ctx, pid_t child);
	/* Around a system call this engine makes tid run for itself (the
	 * mmap of an out-of-line page): begin true before it, false after.
	 * An engine that sees the process's system calls (the eBPF one's
	 * tracepoints) leaves these out. May be NULL. */
	void (*inject)(void *ctx, pid_t tid, bool begin);
	/* A vfork child this engine keeps as one of the process's threads
	 * until its exec (begin true; false at that exec): its calls are
	 * reported with the process's. May be NULL. */
	void (*vfork_child)(void *ctx, pid_t child, bool begin);
};

/* A hit an engine on top served without a stop (drained in order with the
 * stops): the tail-call returns this engine waits for on tid that it
 * shows will never come (their frames gone, or entered anew) are dropped,
 * as a stop there would have. ret: an entry's return address at rsp at
 * the hit (NULL: not known, or not an entry). */
void ptrace_engine_hit_seen(struct engine *e, pid_t tid,
			    const struct probe *p, uint64_t rsp,
			    const uint64_t *ret);

/* The debugger's callbacks as an engine on top forwards them to run the
 * ptrace engine: each first hands over the engine's own records (drain),
 * so that they come in order with the stop; the engine's own work around
 * a hit, a thread's end and an exec goes in the hooks (each may be NULL). */
struct ptrace_overlay {
	const struct engine_callbacks *cb; /* the debugger's */
	void *ctx;                         /* the engine on top */
	int (*drain)(void *ctx);
	/* Around the debugger's on_hit: before it, and after it, to put in
	 * the probes it inserted. */
	void (*before_hit)(void *ctx, const struct hit *h);
	void (*after_hit)(void *ctx, const struct hit *h);
	/* A thread ended (its records drained). */
	void (*thread_gone)(void *ctx, pid_t tid);
	/* Around the debugger's on_exec: the old image's probes are gone;
	 * the new image's go in. */
	void (*before_exec)(void *ctx);
	void (*after_exec)(void *ctx);
};

/* Fills out with the forwarding callbacks, whose ctx is o (which must
 * outlive the run). */
void ptrace_overlay_callbacks(struct ptrace_overlay *o,
			      struct engine_callbacks *out);

/* e: a ptrace engine. h is copied; NULL removes the hooks. */
void ptrace_engine_set_hooks(struct engine *e, const struct ptrace_hooks *h);

/* Whether a thread of the process is held in a group-stop (stopped by
 * SIGSTOP before we came, or a fork child handed over): code run on it
 * from outside this engine would take it out of the stop behind the run
 * loop's back. */
bool ptrace_engine_group_stopped(const struct engine *e);

/* Writes the process's memory, read-only code included. */
int ptrace_engine_write_mem(struct engine *e, uint64_t addr, const void *buf,
			    size_t len);

/* Writes the memory of tid, a ptrace-stopped tracee of ours that is not the
 * engine's process (a fork child). */
int ptrace_engine_poke(pid_t tid, uint64_t addr, const void *buf,
		       size_t len);

/* A system call's six arguments where the kernel takes them (rdi rsi rdx
 * r10 r8 r9), for an engine that makes a stopped thread run one. */
static inline void ptrace_syscall_args(struct user_regs_struct *r,
				       const uint64_t args[6])
{
	r->rdi = args[0];
	r->rsi = args[1];
	r->rdx = args[2];
	r->r10 = args[3];
	r->r8 = args[4];
	r->r9 = args[5];
}

#endif

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

#include "engine/engine.h"

/* e: a ptrace engine. drain(ctx) runs on the engine thread during run:
 * before every stop is handled, and soon after ptrace_engine_wake; a
 * non-zero return ends the run as a callback's would. NULL removes it. */
void ptrace_engine_set_drain(struct engine *e, int (*drain)(void *ctx),
			     void *ctx);

/* Thread-safe: makes a run in progress call drain soon, and returns once
 * it has (or when no run is in progress). */
void ptrace_engine_wake(struct engine *e);

#endif

/* debugger: one target process, its tracepoints, and the queue of trace
 * events they produce.
 *
 * The debugger owns a worker thread that launches or attaches the target and
 * makes every engine call (ptrace binds a tracee to one tracer thread). The
 * functions below may be called from any thread; they hand work to the worker
 * and wait for it. While the target runs (debugger_continue), the calls that
 * need the worker fail with -EBUSY; debugger_take_events, debugger_halt and
 * debugger_detach work at any time. */
#ifndef TINYDBG_DEBUGGER_DEBUGGER_H
#define TINYDBG_DEBUGGER_DEBUGGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "api/api.h"
#include "base/errbuf.h"

struct debugger_config {
	char *const *argv;   /* launch argv (argv[0]: the executable), or NULL */
	pid_t attach_pid;    /* attach instead, when argv is NULL */
	const char *engine;  /* "ptrace" (default when NULL), "ebpf" */
	size_t ring_bytes;   /* eBPF: its ring buffer's size (0: default) */
	bool disable_aslr;
	/* Launch only. Bit n set (n = 1, 2): the program's writes to its fd n
	 * wait until the events queued before them have been shown, i.e. until
	 * debugger_take_events is called again after taking them: for a
	 * frontend that prints where that fd writes (the same terminal or
	 * file), so that the two come out in the order they happened. Only
	 * for a frontend that drains the queue without pause. */
	unsigned order_fds;
	/* --follow-forks: each process the target starts is handed over
	 * stopped and named by debugger_take_forked, for a debugger of its
	 * own to attach to (attach_filtered, with this one's order_fds). */
	bool follow_forks;
	bool attach_filtered; /* attach: the process has our seccomp filter */
	/* --syscalls: the calls to report (syscall/syscall.h's set; copied),
	 * NULL: none. */
	const uint8_t *syscalls;
	bool signals; /* --signals: report each signal's delivery */
};

struct debugger;

/* Opens the executable's symbols and launches or attaches the target; the
 * target is left stopped. Errors: -ENOENT (no such file), -ENOEXEC (not an
 * executable ELF), -ESRCH (no such process), ... with a message in eb. */
int debugger_new(struct debugger **out, const struct debugger_config *cfg,
		 struct errbuf *eb);
/* Detaches (or kills a launched target) if still attached, and frees. */
void debugger_free(struct debugger *d);

/* The processes handed over since the last call (follow_forks): a
 * malloc'd array in *pids (NULL when none). Thread-safe. */
size_t debugger_take_forked(struct debugger *d, int **pids);

pid_t debugger_pid(const struct debugger *d);

/* Names of the functions matching the regexp filter (Delve's
 * ListFunctions): sorted, unique. *names is a malloc'd array of malloc'd
 * strings. follow_calls > 0 adds the functions they call, that deep. */
int debugger_list_functions(struct debugger *d, const char *filter,
			    int follow_calls, char ***names, size_t *n,
			    struct errbuf *eb);
/* Names of the functions matching filter that the compiler inlined at
 * every call, in every loaded image: nothing to trace there (sorted,
 * unique; malloc'd array of malloc'd strings). */
int debugger_list_inlined(struct debugger *d, const char *filter,
			  char ***names, size_t *n, struct errbuf *eb);

/* Creates a tracepoint from req: by req->function_name (an entry tracepoint
 * on every function of that name) or by req->addr (a return location from
 * debugger_return_locations, with trace_return). Fills *out with what was
 * created (caller releases). */
int debugger_create_breakpoint(struct debugger *d,
			       const struct api_breakpoint *req,
			       struct api_breakpoint *out, struct errbuf *eb);

/* Delve's FindLocation for a function's name: where each function so
 * named starts, in every image (*locs malloc'd: api_locations_release). */
int debugger_find_location(struct debugger *d, const char *fn,
			   struct api_location **locs, size_t *n,
			   struct errbuf *eb);

/* Delve's ListBreakpoints: the tracepoints clients set, by breakpoint
 * (*bps malloc'd; release each). ClearBreakpoint: breakpoint id's hits
 * are no longer reported (*out: what it was). */
int debugger_list_breakpoints(struct debugger *d, struct api_breakpoint **bps,
			      size_t *n, struct errbuf *eb);
int debugger_clear_breakpoint(struct debugger *d, int id,
			      struct api_breakpoint *out, struct errbuf *eb);

/* Run-time addresses of every way out of every function named fn. */
int debugger_return_locations(struct debugger *d, const char *fn,
			      uint64_t **addrs, size_t *n, struct errbuf *eb);

/* Resumes the target and blocks until it exits, is halted or detached.
 * Tracepoints do not stop it: their events go to the queue. */
int debugger_continue(struct debugger *d, struct api_state *st,
		      struct errbuf *eb);
/* Makes a debugger_continue in progress return (target left stopped). */
void debugger_halt(struct debugger *d);
/* Removes every tracepoint and detaches, or kills the target (kill). */
int debugger_detach(struct debugger *d, bool kill, struct errbuf *eb);
void debugger_state(struct debugger *d, struct api_state *st);

/* Moves queued events to *out (malloc'd array; caller releases each and
 * frees it). Calling it again says that the events of the previous call
 * have been shown (printed and flushed): see order_fds. Waits up to wait_ms for at least one event, returning early
 * when the target is no longer running. Returns the count. *lost receives
 * the number of events dropped since the last call (0 unless memory ran
 * short). */
size_t debugger_take_events(struct debugger *d, int wait_ms,
			    struct api_tracepoint_result **out,
			    uint64_t *lost);
/* Gives back events debugger_take_events handed out, shown: released on
 * the worker thread, which allocated them, at its next event (a heap
 * block freed by another thread waits on the heap's lock against the
 * worker's own allocations). */
void debugger_recycle(struct debugger *d, struct api_tracepoint_result *evs,
		      size_t n);

#endif

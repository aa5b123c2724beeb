/* engine: makes tracepoints real in one target process.
 *
 * An engine is one `const struct engine_ops` table; the debugger picks one by
 * name (engine_find). The ptrace engine is the default; the eBPF engine
 * (ebpf/) runs a probe's capture plan in the kernel and needs no stop.
 *
 * Threading: launch/attach, insert_probe, run, detach and close must all be
 * called from the one thread that created the engine (ptrace ties a tracee to
 * its tracer thread). request_stop may be called from any thread. */
#ifndef TINYDBG_ENGINE_ENGINE_H
#define TINYDBG_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/errbuf.h"
#include "sym/symtab.h"
#include "value/value.h"

struct engine;
struct cap_plan;

enum probe_kind {
	PROBE_ENTRY,   /* reported when a thread reaches addr */
	PROBE_RETURN,  /* addr is a ret: reported before it returns */
	PROBE_TAILJMP, /* addr is a jmp/jcc that may leave the function: when it
	                * does (target outside ranges), the function's return is
	                * reported when the callee returns (at the return
	                * address, which is never rewritten) */
};

/* One tracepoint. Addresses are run-time addresses. The engine keeps the
 * pointer: the probe must outlive the engine (the debugger owns it). */
struct probe {
	uint64_t addr;
	enum probe_kind kind;
	const struct addr_range *ranges; /* the function's run-time ranges:
	                                  * TAILJMP: where a jump stays in;
	                                  * ENTRY: tells a new call from a
	                                  * tail call's (none: kept) */
	size_t nranges;
	void *cookie; /* the debugger's (its tracepoint) */
	/* What an engine that does not stop the thread must copy at the hit
	 * for the debugger to read there (capture/record.h); NULL: this
	 * probe needs a stop. Owned by the debugger, like the probe. */
	const struct cap_plan *plan;
	/* RETURN, TAILJMP: an engine may instead catch this function's
	 * returns by rewriting its return address at hijack_at, its first
	 * instruction (a uretprobe: one probe for every way out, tail calls
	 * included, and no single-step of a ret). Set only where that is
	 * exact: C code that calls nothing (no exception or longjmp leaves
	 * through it, and it cannot nest deep), no stack shown (the
	 * rewritten address would be in it). The in-process engine's
	 * shadow stack serves the same functions. */
	bool ret_hijack;
	uint64_t hijack_at;
	/* RETURN: where an engine may put a 5-byte jump that takes the ret
	 * and the instructions before it elsewhere (struct ret_site's
	 * patch_lo, run-time; 0: nowhere). At addr itself: the jump's last
	 * bytes fall in the padding after the ret. */
	uint64_t patch_lo;
	/* The debugger may insert probes at this hit that must be in before
	 * the thread goes on (an indirect call site with --follow-calls: its
	 * callee's entry; the loader's rendezvous: a new library's), or the
	 * mappings change here: an engine must hold the thread until on_hit
	 * has returned, whatever the plan, and look at the mappings again. */
	bool sync;
	/* Go code: it runs on goroutine stacks, small and moved by the
	 * runtime, where an engine must not run code of its own. */
	bool go;
	/* Go code of the register ABI: r14 holds the goroutine's g (and g's
	 * m, its thread), so an engine may run code of its own here on a
	 * stack of its own, found through m. */
	bool g_in_r14;
};

/* A hit, valid only during the on_hit callback. acc reads registers as they
 * were at the hit (for a return: just before the ret executes, so results
 * are in rax/xmm0/...; for a tail call: as the callee returns) and memory as
 * it is now (the thread is stopped). */
struct hit {
	const struct probe *probe;
	bool is_return;     /* RETURN and TAILJMP probes report returns */
	pid_t tid;
	uint64_t time_ns;   /* CLOCK_REALTIME when the engine saw the stop */
	uint64_t sp;        /* stack pointer at the hit (matching entries to
	                     * returns, detecting re-entry) */
	const struct target_access *acc;
};

enum exit_kind { EXIT_NONE, EXIT_STATUS, EXIT_SIGNAL, EXIT_DETACHED };

struct exit_info {
	enum exit_kind kind;
	int code; /* exit status, or signal number */
};

/* A system call a thread made (launch_opts/attach_opts.syscalls), at its
 * entry (args valid; acc reads the thread's memory: paths, buffers) and at
 * its exit (ret: the raw result, -errno on failure). Valid only during the
 * callback. */
struct syscall_event {
	pid_t tid;
	int nr;
	bool is_exit;
	uint64_t args[6];
	int64_t ret;
	uint64_t time_ns;   /* CLOCK_REALTIME when the engine saw the stop */
	const struct target_access *acc;
};

/* A signal a thread of the target received (launch/attach_opts.signals),
 * at its delivery, as the kernel describes it; it is delivered as it would
 * be untraced. handler: where the thread went to run its handler (0: none
 * runs: ignored, or the default action). Valid only during the callback. */
struct signal_event {
	pid_t tid;
	int signo;
	int code;          /* si_code */
	pid_t pid;         /* si_pid (SI_USER, SI_TKILL, SI_QUEUE, SIGCHLD) */
	uid_t uid;         /* si_uid (the same) */
	int status;        /* SIGCHLD: si_status */
	uint64_t addr;     /* SIGSEGV, SIGBUS, SIGILL, SIGFPE: si_addr */
	uint64_t handler;
	uint64_t time_ns;
};

struct engine_callbacks {
	void *ctx;
	/* Called on the engine thread for every hit. Returning non-zero stops
	 * the run (the target stays stopped). */
	int (*on_hit)(void *ctx, const struct hit *h);
	/* Thread started (started=true) or ended. May be NULL. */
	void (*on_thread)(void *ctx, pid_t tid, bool started);
	/* The process exec'd a new image (after the launch's own exec): every
	 * probe is already forgotten (the code they patched is gone), the
	 * process is stopped, and the callback may insert probes into the new
	 * image (engine->ops->load_bias gives the new executable's bias).
	 * Returning non-zero stops the run. May be NULL. */
	int (*on_exec)(void *ctx, pid_t tid);
	/* A thread of the program (or of a process it started) is about to
	 * write to one of launch_opts.order_fds: it stays stopped before the
	 * write until this returns, so that what the callback waits for (the
	 * events reported before, shown) comes first. May be NULL. */
	void (*on_output)(void *ctx, pid_t tid);
	/* n events were lost (an engine's ring was full): reported where
	 * the loss was seen, in order with the hits. May be NULL. */
	void (*on_lost)(void *ctx, uint64_t n);
	/* A matched system call's entry or exit, on the thread that made
	 * it, in order with its hits. May be NULL. */
	void (*on_syscall)(void *ctx, const struct syscall_event *s);
	/* follow_forks: the target started process child (fork, or clone
	 * without CLONE_THREAD: at once; vfork: at its exec, before the new
	 * program's first instruction, since until then it shares the
	 * parent's memory). It is handed over: none of our probes in it,
	 * detached, and stopped (a SIGSTOP we sent: it stays stopped until
	 * a SIGCONT), for another engine to attach to. May be NULL: the
	 * child then stays stopped. */
	void (*on_fork)(void *ctx, pid_t parent_tid, pid_t child);
	/* signals: a signal's delivery, in order with the hits. May be
	 * NULL. */
	void (*on_signal)(void *ctx, const struct signal_event *s);
	/* Something the user should know about how the engine serves the
	 * trace (a slow path, a fallback), one line without a newline; in
	 * order with the hits. May be NULL. */
	void (*on_note)(void *ctx, const char *text);
};

struct launch_opts {
	char *const *argv; /* argv[0] is the path to exec */
	bool disable_aslr; /* like gdb and Delve: stable addresses */
	/* The program sizes itself by the CPUs it may use when it starts (Go's
	 * GOMAXPROCS): never narrow them before it has. */
	bool sizes_by_cpus;
	/* Bit n set: every write the program makes to its fd n (write,
	 * writev, pwrite*, send*, sendfile) first stops the writer and calls
	 * on_output (a seccomp filter installed before the exec, inherited by
	 * the processes it starts). Only fds 1 and 2 are honoured. */
	unsigned order_fds;
	/* The target runs on between events (an engine that does not stop
	 * it at each hit): never pin it or the tracer to one CPU. */
	bool cpus_free;
	size_t ring_bytes; /* eBPF: the ring buffer's size (0: default) */
	/* The system calls to report (on_syscall): bit n of byte n/8 for
	 * call n < SYSCALL_MAX (syscall/syscall.h); NULL: none. A launched
	 * program gets a seccomp filter that stops only these (the others
	 * cost nothing). */
	const uint8_t *syscalls;
	bool follow_forks; /* hand the processes it starts over (on_fork) */
	bool signals;      /* report each signal's delivery (on_signal) */
};

struct attach_opts {
	pid_t pid;
	size_t ring_bytes; /* eBPF: the ring buffer's size (0: default) */
	/* As launch_opts.syscalls; a process already running cannot be
	 * given a filter: every system call stops, and the matched ones are
	 * reported. */
	const uint8_t *syscalls;
	bool follow_forks; /* as launch_opts.follow_forks */
	bool signals;      /* as launch_opts.signals */
	/* The process has the seccomp filter of a launch with these
	 * order_fds and syscalls (a child handed over by on_fork): its
	 * calls stop as a launched program's do, not at every syscall. */
	bool filtered;
	unsigned order_fds;
};

struct engine_ops {
	const char *name;
	/* Starts argv[0] stopped at its first instruction (after exec). */
	int (*launch)(struct engine **out, const struct launch_opts *o,
		      struct errbuf *eb);
	int (*attach)(struct engine **out, const struct attach_opts *o,
		      struct errbuf *eb);
	pid_t (*pid)(const struct engine *e);
	/* The load bias of the main executable (0 for non-PIE). */
	uint64_t (*load_bias)(const struct engine *e);
	/* Reads target memory (any stopped or running state). */
	int (*read_mem)(struct engine *e, uint64_t addr, void *buf, size_t len);
	/* Also valid from inside a callback during run (the hitting thread is
	 * stopped; others may run). Probes may live anywhere in the address
	 * space: shared libraries far from the executable included. */
	int (*insert_probe)(struct engine *e, const struct probe *p,
			    struct errbuf *eb);
	/* Forgets every probe in [lo, hi) WITHOUT writing the original bytes
	 * back: the code there was unmapped (dlclose). Threads stopped on one
	 * of them are not affected. */
	void (*forget_probes)(struct engine *e, uint64_t lo, uint64_t hi);
	/* Runs the target until it exits, request_stop is called, or on_hit
	 * asks to stop. Fills *ex when the process is gone. */
	int (*run)(struct engine *e, const struct engine_callbacks *cb,
		   struct exit_info *ex, struct errbuf *eb);
	/* Thread-safe: makes a run in progress return soon. */
	void (*request_stop)(struct engine *e);
	/* Removes every probe, and kills (kill=true) or detaches the target. */
	int (*detach)(struct engine *e, bool kill, struct exit_info *ex,
		      struct errbuf *eb);
	void (*close)(struct engine *e);
};

extern const struct engine_ops ptrace_engine_ops;
extern const struct engine_ops ebpf_engine_ops;
extern const struct engine_ops inproc_engine_ops;

/* The engine named name ("ptrace", "ebpf", "inproc"), or NULL. */
const struct engine_ops *engine_find(const char *name);

#endif

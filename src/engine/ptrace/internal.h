/* The ptrace engine's private state, shared by its files.
 *
 * Files: ptrace.c (the ops table, threads, memory access), launch.c (launch,
 * attach, load bias), probe.c (inserting and forgetting probes, the
 * out-of-line pages and the syscall injection that maps them), run.c (the
 * wait loop, hits, emulation, tail calls, exec), detach.c (stopping
 * everything and putting the code back).
 *
 * How a hit is handled: every probe is an int3. When a thread stops on one
 * we report it, then move the thread past the displaced instruction without
 * a second stop: either by emulating it (ret, jumps, calls, push, nops) or by
 * sending the thread to a copy of it in the out-of-line page, followed by a
 * jmp back. Other threads keep running through the int3 all the while, so
 * no hit is ever lost and none is reported twice. */
#ifndef TINYDBG_ENGINE_PTRACE_INTERNAL_H
#define TINYDBG_ENGINE_PTRACE_INTERNAL_H

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "arch/x86.h"
#include "base/errbuf.h"
#include "base/xalloc.h"
#include "engine/engine.h"
#include "engine/ptrace/ptrace.h"

#define INT3 0xcc

/* How a thread gets past the instruction an int3 displaced. */
enum pt_how {
	HOW_XOL,      /* execute the copy in the out-of-line page */
	HOW_RET,      /* rip = [rsp], rsp += 8 + imm */
	HOW_JMP,      /* direct jmp */
	HOW_JCC,      /* conditional jump (insn.cond) */
	HOW_JMP_IND,  /* jmp r/m64 */
	HOW_CALL,     /* call rel32 */
	HOW_CALL_IND, /* call r/m64 */
	HOW_LOOP,     /* loop/loope/loopne/jrcxz */
	HOW_PUSH,     /* push %reg (reg in .push_reg, DWARF number) */
	HOW_MOVRBP,   /* mov %rsp,%rbp */
	HOW_SKIP,     /* nop, endbr64: just go on */
};

struct pt_probe {
	const struct probe *p; /* NULL: a free hash slot */
	/* An entry probe sharing the address of a return probe p (a function
	 * that is only a ret): reported first, then p. */
	const struct probe *entry;
	uint64_t addr;
	uint8_t orig;          /* the byte the int3 replaced */
	enum pt_how how;
	int push_reg;
	uint64_t slot;         /* HOW_XOL: the copy's address */
	struct insn insn;
	/* Tail-call returns waiting here (all threads): addr is a return
	 * address a tail-called function will come back to (see
	 * struct pt_pending). A probe that is only that has p ==
	 * &pt_catch_probe, and its int3 is taken out (disarmed) while none
	 * waits, so that the code there runs at full speed. */
	unsigned catches;
	bool disarmed;
};

/* One out-of-line page: slots must be within rel32 reach of the code they
 * come from (the jmp back, rip-relative operands), so a probe far from every
 * page gets a new page near it. */
struct pt_xol {
	uint64_t base;
	size_t size, used;
};

/* A traced function that left by a tail call and has yet to return: its
 * callee returns to ret with rsp == slot + 8. Caught there by a catch probe
 * (matched by thread and stack pointer); nothing on the stack is touched, so
 * that unwinders, exceptions and backtrace() see the program's own frames. */
struct pt_pending {
	uint64_t slot;     /* the stack slot of the return address (rsp at the
	                    * jump, and at the function's entry) */
	uint64_t ret;      /* the return address in it */
	const struct probe *probe; /* the TAILJMP probe that jumped */
	uint64_t target;   /* where it jumped: the callee */
};

enum pt_tstate {
	TS_RUNNING,  /* resumed; its next stop comes from waitpid */
	TS_HELD,     /* in a ptrace-stop we have not resumed yet */
	TS_STARTING, /* announced by a clone event, first stop not yet seen */
	TS_LISTEN,   /* in a group-stop, parked with PTRACE_LISTEN */
};

struct pt_thread {
	pid_t tid;
	enum pt_tstate state;
	int resume_sig;      /* TS_HELD: the signal to deliver when resumed */
	bool has_stash;      /* a wait status taken early (by an injection)
	                      * that the run loop has yet to handle */
	int stash;
	bool foreign;        /* a vfork child: shares our memory, traced
	                      * until it execs or exits */
	bool group_stop;     /* held in a group-stop (SIGSTOP and kin): it
	                      * is resumed with PTRACE_LISTEN, so that it
	                      * stays stopped as the program asked */
	pid_t vfork_parent;  /* foreign: the thread that vforked it (it
	                      * cannot stop until this child execs or exits) */
	/* detach's bookkeeping */
	bool want;           /* interrupted, its stop not yet seen */
	uint8_t trapped;     /* our int3 trapped it: 1 reported, 2 queued */
	bool sys_exit;       /* a reported syscall's exit is still to come:
	                      * resumed with PTRACE_SYSCALL */
	VEC(struct pt_pending) pending; /* oldest first */
};

/* How the engine thread and the target share the CPUs (see ptrace.c). */
enum pt_pin { PIN_NONE, PIN_TRACER, PIN_BOTH, PIN_AUTO };

struct engine {
	pid_t pid;
	bool launched;    /* our child: kill it rather than leave it behind */
	/* Attached: the guardian's socket (guardian.c), -1 without one;
	 * guard_ok once the code is back, or the process gone, for sure. */
	int guard_fd;
	bool guard_ok;
	bool gone;        /* the process has exited (or we detached) */
	uint64_t bias;
	int memfd;        /* /proc/PID/mem of the current image */

	VEC(struct pt_thread) threads;
	VEC(pid_t) orphans; /* stopped tids whose clone/fork event is not
	                     * yet seen */
	/* launch_opts.order_fds was set: the program and every process it
	 * starts have a seccomp filter that needs a tracer, or their writes
	 * to those fds would fail with ENOSYS. So the processes it starts are
	 * not let go but kept as passengers: traced (their code restored,
	 * no probes), resumed at once from every stop but for the writes,
	 * which wait their turn as the program's do. */
	bool order;
	VEC(pid_t) passengers;
	/* launch_opts/attach_opts.syscalls: the calls to report (a copy),
	 * and how they stop: through the seccomp filter (launched; a child
	 * it starts has the filter too, so children are kept as passengers,
	 * as with order), or at every syscall stop (sys_stops: attached). */
	uint8_t syscalls[128];
	bool has_syscalls;
	bool sys_stops;
	bool follow_forks;       /* launch/attach_opts.follow_forks */
	bool filtered;           /* attach_opts.filtered */
	bool signals;            /* launch/attach_opts.signals */

	struct pt_probe *probes; /* open-addressed hash by addr */
	size_t probe_cap;        /* a power of two (0: none yet) */
	size_t nprobes;

	/* Probes forgotten while a thread may already have trapped on them
	 * (forget_probes): such a trap is taken as if nothing was there. */
	VEC(struct pt_probe) dead;

	VEC(struct pt_xol) xols; /* out-of-line pages (none: not mapped) */

	/* request_stop */
	pthread_t runner;
	atomic_bool in_run;
	atomic_bool stop;

	/* An engine built on this one (eBPF): its events arrive elsewhere and
	 * are handed over by drain, on this thread, between stops (see
	 * ptrace.h). */
	int (*drain)(void *ctx);
	int (*drain_some)(void *ctx); /* a batch (ptrace.h) */
	void *drain_ctx;
	bool more; /* drain_some left records behind */
	struct ptrace_hooks hooks; /* the same engine's code to put back */
	atomic_bool wake;
	bool no_pin;             /* launch_opts.cpus_free */

	/* CPU placement */
	enum pt_pin pin;
	bool pinned;             /* the target's threads are pinned */
	cpu_set_t orig_cpus;     /* the affinity the tracer thread had */
	int cpu;                 /* the CPU we pin to */
	bool sizes_by_cpus;      /* launch_opts.sizes_by_cpus */
	bool have_orig;          /* orig_cpus is valid */
	pid_t hot_tid;           /* the thread of the latest hits... */
	unsigned hot_hits;       /* ...and how many in a row */
	pid_t hot_pinned;        /* a thread pinned beside us for its hits */
};

/* launch.c: the ptrace options of e's threads as they are now. */
long pt_options(const struct engine *e);

/* syscalls.c */
/* How a thread of the program is resumed: PTRACE_SYSCALL when its
 * syscalls must stop (attached with --syscalls, or a reported call's exit
 * to come), else PTRACE_CONT. */
int pt_resume_req(struct engine *e, pid_t tid);
/* A syscall stop (PTRACE_EVENT_SECCOMP or SIGTRAP|0x80) of thread tid:
 * reports what it is to cb (and on_output for an ordered write). Leaves
 * the thread stopped. */
void pt_on_syscall_stop(struct engine *e, const struct engine_callbacks *cb,
			pid_t tid, uint64_t time_ns);
/* signals.c: t is at the delivery stop of signal sig: reports it to
 * cb->on_signal, with its handler, found by stepping the thread into it
 * (the delivery then done). Returns true when it resumed or gave up t
 * itself (the run loop must not resume it). */
bool pt_on_signal(struct engine *e, const struct engine_callbacks *cb,
		  struct pt_thread *t, int sig, uint64_t time_ns);

/* Whether tid's seccomp stop is a write to an ordered fd. */
bool pt_seccomp_is_output(struct engine *e, pid_t tid);
/* tid exec'd with a reported execve's exit to come: reported (0). */
void pt_syscall_exec(struct engine *e, const struct engine_callbacks *cb,
		     pid_t tid, uint64_t time_ns);
/* In the launched child: the seccomp filter that stops the calls of
 * syscalls (data 1) and the writes of order_mask's fds (data 2). Only
 * async-signal-safe calls. */
void pt_filter_install(unsigned order_mask, const uint8_t *syscalls);

/* ptrace.c */
struct pt_thread *pt_thread_find(struct engine *e, pid_t tid);
struct pt_thread *pt_thread_add(struct engine *e, pid_t tid,
				enum pt_tstate st);
void pt_thread_remove(struct engine *e, pid_t tid);
/* Reads/writes target memory of process pid (any state); 0 or -errno. */
int pt_mem_read(struct engine *e, uint64_t addr, void *buf, size_t len);
int pt_mem_write(struct engine *e, uint64_t addr, const void *buf,
		 size_t len);
/* Write through ptrace, for a process (a fork child) that has no memfd:
 * tid must be ptrace-stopped. */
int pt_poke(pid_t tid, uint64_t addr, const void *buf, size_t len);
int pt_memfd_open(struct engine *e, struct errbuf *eb);
/* Has tid ended (a zombie, or gone)? A zombie leader (pthread_exit) never
 * stops again; a zombie thread cannot be seized. */
bool pt_is_zombie(pid_t tid);
struct engine *pt_engine_new(pid_t pid);
void pt_pin_setup(struct engine *e);
void pt_pin_widen(struct engine *e);
/* A hit of thread tid: in a multi-threaded target, the one thread that
 * keeps hitting is moved to the tracer's CPU (see ptrace.c). */
void pt_pin_note_hit(struct engine *e, pid_t tid);
/* Thread tid is gone. */
void pt_pin_forget(struct engine *e, pid_t tid);

/* probe.c */
struct pt_probe *pt_probe_find(struct engine *e, uint64_t addr);
/* A forgotten probe at addr, or NULL. */
struct pt_probe *pt_dead_find(struct engine *e, uint64_t addr);
/* The probe whose out-of-line slot holds rip (live or forgotten), or NULL;
 * *done tells whether the displaced instruction already ran (rip is at the
 * jmp back). */
const struct pt_probe *pt_slot_find(struct engine *e, uint64_t rip,
				    bool *done);
/* The p of a probe that only catches tail-call returns. */
extern const struct probe pt_catch_probe;
/* One more tail-call return waits at addr: arms a catch probe there (a new
 * one, or the probe already at addr). 0 or -errno (eb set). */
int pt_catch_add(struct engine *e, uint64_t addr, struct errbuf *eb);
/* One fewer waits at addr; the last one disarms a catch-only probe. */
void pt_catch_drop(struct engine *e, uint64_t addr);
/* Drops every probe, pending tail-call return and out-of-line page (the image they
 * lived in is gone: an exec). */
void pt_probes_forget(struct engine *e);
/* forget_probes: drops the probes in [lo, hi) without writing them. */
void pt_forget_range(struct engine *e, uint64_t lo, uint64_t hi);
int pt_insert_probe(struct engine *e, const struct probe *p,
		    struct errbuf *eb);

/* run.c */
int pt_run(struct engine *e, const struct engine_callbacks *cb,
	   struct exit_info *ex, struct errbuf *eb);
void pt_request_stop(struct engine *e);
/* Reads an indirect jmp/call operand's value from regs and memory. */
int pt_operand(struct engine *e, const struct user_regs_struct *r,
	       const struct insn *in, uint64_t *out);
/* A fork child's stop arrived: put the original code back in it and let it
 * go (its stack is the program's own: nothing else to undo). */
void pt_release_child(struct engine *e, pid_t child);
/* follow_forks: child (stopped at its first stop, or at a vfork child's
 * exec) gets its code back (restore: a fork child's copy of our int3s; not
 * a new image) and is detached into a group-stop (SIGSTOP), then on_fork
 * names it. */
void pt_hand_over(struct engine *e, const struct engine_callbacks *cb,
		  pid_t parent, pid_t child, bool restore);

/* The thread group of tid (from /proc), or -1. */
pid_t pt_tgid_of(pid_t tid);
/* Takes tid off the orphan list; false when it was not there. */
bool pt_orphan_take(struct engine *e, pid_t tid);
/* A clone/fork/vfork event of tid: follows the new thread, or releases
 * the new process. */
void pt_on_new_task(struct engine *e, const struct engine_callbacks *cb,
		    pid_t tid, int event);

/* The exec of a new image reported by the leader: the other threads are
 * gone (a non-main thread that exec'd took over the leader's id), and so
 * are the probes. Forgets them and re-reads the image. */
void pt_exec_reset(struct engine *e, const struct engine_callbacks *cb);
/* Is the thread in a group-stop, from the stop status st? */
bool pt_is_group_stop(int st);

/* Is tid a passenger (see struct engine)? */
bool pt_passenger_find(struct engine *e, pid_t tid);
/* A passenger's wait status: resumes it as it asks (the write it is about
 * to make announced through cb->on_output first), follows the processes
 * and threads it starts, forgets it when it ends. */
void pt_passenger_status(struct engine *e, const struct engine_callbacks *cb,
			 pid_t tid, int st);

/* detach.c */
int pt_detach(struct engine *e, bool kill, struct exit_info *ex,
	      struct errbuf *eb);

/* launch.c */
int pt_launch(struct engine **out, const struct launch_opts *o,
	      struct errbuf *eb);
int pt_attach(struct engine **out, const struct attach_opts *o,
	      struct errbuf *eb);
/* Computes e->bias from /proc/PID/auxv and /proc/PID/exe. */
int pt_read_bias(struct engine *e, struct errbuf *eb);

/* guardian.c: a process that puts an attached target's code back if we
 * die without doing it. Returns the socket to keep (-1: none could be
 * started; the attach goes on without). */
int pt_guardian_start(pid_t pid);
/* Tells it all is back (then closes fd). */
void pt_guardian_clean(int fd);

#endif

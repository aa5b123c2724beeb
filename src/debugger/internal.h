/* Private to src/debugger: the debugger's state, shared by its files. */
#ifndef TINYDBG_DEBUGGER_INTERNAL_H
#define TINYDBG_DEBUGGER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "base/xalloc.h"
#include "debugger/debugger.h"
#include "arch/x86.h"
#include "engine/engine.h"
#include "sym/symtab.h"

/* One loaded ELF image: the executable or a shared library. */
struct module {
	char *path;
	struct symtab *st;       /* NULL once the image is gone */
	uint64_t bias;           /* run-time address = link-time + bias */
	uint64_t lo, hi;         /* its mappings' run-time extent */
	bool main;               /* the executable */
	bool seen;               /* modules_scan's mark */
	bool go;                 /* a Go program: events name goroutines */
	struct go_g_layout g;    /* go: where runtime.g keeps goid, stack */
};

/* A regexp the user traces: applied again to every image loaded later
 * (dlopen) and after an exec. It comes from the tracepoints' RootFuncName,
 * which Delve's trace client sets to the regexp. */
struct trace_rule {
	char *regexp;
	bool load_args;
	struct api_load_config load_cfg; /* its LoadArgs */
	int stacktrace;
	int follow_calls;
};

enum tp_kind {
	TP_USER,       /* a tracepoint the client asked for */
	TP_RENDEZVOUS, /* the dynamic loader's _dl_debug_state: images changed */
	TP_ENTRY_STOP, /* the program's entry: initial libraries are loaded */
	TP_CALLSITE,   /* --follow-calls: an indirect call in a followed
	                * function, whose target is traced when it runs */
	TP_RESOLVER,   /* a return of the resolver of a traced IFUNC whose
	                * choice no GOT slot shows yet: its result is the
	                * implementation, traced from then on */
};

/* One probe the debugger asked the engine for, with what it must read when
 * the probe is hit. */
struct tracepoint {
	enum tp_kind kind;
	bool dead;               /* its image is gone: never hit again */
	bool cleared;            /* ClearBreakpoint: its hits are not
	                          * reported (its probe stays until detach:
	                          * an engine takes out all or none) */
	struct module *mod;
	int bp_id;               /* the api.Breakpoint it belongs to */
	const struct func *fn;
	bool is_ret;
	struct loc ret_loc;      /* is_ret: where the result is (ABI) */
	bool ret_known;          /* false: the result's place is unknown */
	int stack;               /* frames to unwind past the hit (Delve's
	                          * Stacktrace): 0 none */
	int follow;              /* --follow-calls depth, 0 without */
	bool root;               /* follow: its function matched the regexp
	                          * (depths count from the innermost such) */
	struct insn call;        /* TP_CALLSITE: the indirect call */
	char *root_re;           /* TP_CALLSITE, TP_RESOLVER: the opts of what
	                          * it finds */
	struct api_load_config load_cfg;
	struct load_config load; /* how much of each value to read (its
	                          * LoadArgs: -v levels differ) */
	int64_t cfa_off;         /* the frame's CFA is sp + cfa_off at the hit
	                          * (8 at a ret and at a C entry) */
	struct addr_range *rt_ranges; /* fn's ranges at run time */
	/* An IFUNC's entry (fn->ifunc_set): the other IFUNCs of fn's image
	 * traced at this implementation (memcpy and memmove may share one),
	 * named at each hit from the call site. */
	VEC(const struct func *) also;
	int shared;              /* IFUNC entry: 0 not known yet (its first
	                          * hit finds out); 1 no other IFUNC runs this
	                          * code; 2 some may: named from the call site */
	struct site_name *sites; /* shared: the names of the call sites seen
	                          * (SITE_CACHE, by return address), NULL
	                          * until the first; emptied when an image
	                          * goes */
	struct probe probe;
	struct cap_plan *plan;   /* probe.plan's (plan.c); NULL: a stop */
};

/* A call site of a shared IFUNC implementation, by its return address, and
 * the function it calls (NULL: one not traced). ra 0: an empty entry. */
#define SITE_CACHE 8
struct site_name {
	uint64_t ra;
	const struct func *fn;
};

/* An activation of a traced function on one thread or goroutine: entries
 * push, returns pop; frames skipped by longjmp, an exception or a
 * recovered panic are dropped by position. pos is the frame's CFA: a C
 * stack never moves; a goroutine's does, so there it is the CFA's distance
 * below the stack's top, negated (in both, a deeper frame has a smaller
 * pos). */
struct frame_mark {
	const struct func *fn;
	uint64_t bias;  /* fn's module's: fn's ranges + bias hold its code */
	int64_t pos;
	int depth;      /* --follow-calls: its depth below the innermost
	                 * active call the regexp matched (1: that call),
	                 * on the real call path; 0: not shown (deeper than
	                 * --follow-calls, or under no matched call) */
};

/* key: the thread id, or for a goroutine -(goid + 1). */
struct thread_state {
	int64_t key;
	VEC(struct frame_mark) stack;
};

struct job {
	int (*fn)(struct debugger *d, void *arg, struct errbuf *eb);
	void *arg;
	struct errbuf *eb;
	int ret;
	bool done;
};

struct debugger {
	/* Images, only touched on the worker thread: mods.items[0] is the
	 * executable. */
	VEC(struct module *) mods;
	VEC(struct trace_rule) rules;
	bool no_dwarf;           /* the executable has no DWARF */
	struct unwinder *unwinder; /* --stack: CFI rows cached across hits */
	char *root_re_str;       /* follow_is_root's compiled regexp... */
	struct name_re *root_re; /* ...compiled */
	struct symtab *first_st; /* the executable's, opened by debugger_new
	                          * and taken by modules_init */
	const struct engine_ops *ops;
	struct engine *eng;
	pid_t pid;
	bool launched;
	pthread_t worker_tid;    /* to tell when we are on the worker */

	pthread_t worker;
	pthread_mutex_t mu;      /* guards everything below */
	pthread_cond_t job_cv;   /* a job was posted or finished */
	struct job *job;
	bool quit;

	bool running;            /* a continue is in progress */
	bool gone;               /* exited, killed or detached */
	struct exit_info exit;
	bool detach_pending, detach_kill;
	bool stopping;           /* a halt or detach was asked for */

	VEC(struct tracepoint *) tps;
	int next_bp_id;

	/* Trace events, produced on the worker, taken by the server. */
	pthread_cond_t ev_cv;    /* events arrived, or the run ended */
	pthread_cond_t room_cv;  /* the queue has room again */
	/* The queue: items[ev_head, len). Taken from the head without
	 * moving the rest (a batch is a few thousand of a queue up to four
	 * times that). */
	VEC(struct api_tracepoint_result) events;
	size_t ev_head;
	/* A batch's array given back (debugger_recycle), emptied: the next
	 * queue's, rather than fresh memory, which costs a fault a page. */
	struct api_tracepoint_result *spare;
	size_t spare_cap;
	/* Events the engine lost, each where it said so: n lost after the
	 * first `at` events queued (a batch ends there, the loss after it,
	 * so a reader that pairs calls with returns knows where). */
	VEC(struct lost_mark { size_t at; uint64_t n; }) lost;
	/* Batches the frontend is done with (debugger_recycle), released on
	 * the worker at its next event. */
	VEC(struct recycled { struct api_tracepoint_result *evs; size_t n; })
		recycled;
	VEC(int) forked;         /* follow_forks: handed over, not yet taken */
	size_t last_batch;       /* events handed out by the last take */
	/* order_fds: counts since the start. A write waits (on room_cv) until
	 * shown reaches the queued count it saw. */
	uint64_t queued;         /* events ever queued */
	uint64_t taken;          /* events ever handed out */
	uint64_t shown;          /* taken before the latest take began */
	bool output_waits;       /* a write waits: hand events out at once */

	/* Only touched on the worker thread. */
	VEC(struct thread_state) threads;
	size_t *tpos;            /* index by key: position + 1, 0 empty */
	size_t tcap;             /* a power of two */
};

/* Runs fn on the worker thread and waits for it (the engine must be used
 * from there). Fails with -EBUSY while the target runs. */
int debugger_run_job(struct debugger *d,
		     int (*fn)(struct debugger *d, void *arg, struct errbuf *eb),
		     void *arg, struct errbuf *eb);

/* plan.c */
/* Compiles what a hit of tp reads into tp->plan and tp->probe.plan (NULL
 * when it cannot all be captured, or tp's kind needs a stop). Call once tp
 * is filled in, before its probe is inserted. */
void plan_compile(struct tracepoint *tp);

/* modules.c */
/* Opens the executable (d->pid's image, load bias from the engine) as
 * module 0 and, when the program is dynamically linked, the loader with a
 * rendezvous tracepoint. Worker thread only. */
int modules_init(struct debugger *d, struct errbuf *eb);
/* Re-reads the process's mappings: opens images that appeared and applies
 * the trace rules to them; forgets the tracepoints of images that went. */
void modules_scan(struct debugger *d);
/* After an exec: every image is gone; start again from the new one. */
int modules_reset(struct debugger *d, struct errbuf *eb);
/* The module whose mappings contain addr, or NULL. */
struct module *module_at(struct debugger *d, uint64_t addr);
/* The implementation (run-time address) the resolver of m's IFUNC f chose,
 * read from a GOT slot the loader filled; 0 when none is filled yet. */
uint64_t modules_ifunc_chosen(struct debugger *d, struct module *m,
			      const struct func *f);
void modules_free(struct debugger *d);
/* The run-time address of the loader's entry (AT_BASE), 0 if static. */
uint64_t modules_interp_base(pid_t pid);

/* How tracepoints are made: from a client's request, or a trace rule. */
struct tp_opts {
	int stack;                        /* Stacktrace */
	const struct api_load_config *load;
	int follow;                       /* TraceFollowCalls */
	const char *root_re;              /* RootFuncName: the regexp */
};

/* tracepoints.c */
/* Keeps tp (freed on failure), whose probe the engine gets now. */
int tracepoints_insert_internal(struct debugger *d, struct tracepoint *tp,
				struct errbuf *eb);
/* True when fn has an entry tracepoint (an IFUNC: one carrying its
 * name). */
bool tracepoints_traced(struct debugger *d, struct module *mod,
			const struct func *fn);
/* Entry, return (and, following calls, call-site) tracepoints on fn. */
int tracepoints_add_function(struct debugger *d, struct module *mod,
			     const struct func *fn, const struct tp_opts *o);
/* Entry and return tracepoints on every function of mod matching the rule.
 * Worker thread only. */
void tracepoints_apply_rule(struct debugger *d, struct module *mod,
			    const struct trace_rule *r);
/* An internal tracepoint (rendezvous, entry stop) at addr. */
int tracepoints_add_internal(struct debugger *d, enum tp_kind kind,
			     struct module *mod, uint64_t addr,
			     struct errbuf *eb);
/* A TP_RESOLVER hit: fn's implementation is in rax; trace it. */
void tracepoints_on_resolver(struct debugger *d, const struct tracepoint *tp,
			     const struct hit *h);
/* An IFUNC entry tracepoint's hit: the traced function the call was made
 * by, from its call site (ra_at: where the return address is); when the
 * site names none of its names (libc's own calls, a tail jump), the first
 * of them alphabetically; NULL when it names another IFUNC of the image,
 * not traced. No read unless tp's code is shared (found out, once, at the
 * first hit). */
const struct func *tracepoints_ifunc_called(struct debugger *d,
					    struct tracepoint *tp,
					    const struct target_access *acc,
					    uint64_t ra_at);
/* Marks mod's tracepoints dead and tells the engine to forget them. */
void tracepoints_forget_module(struct debugger *d, struct module *mod);
/* True when fn (of mod) is Go code of the register ABI, whose R14 holds
 * the goroutine's g everywhere in it. */
bool tracepoints_g_in_r14(struct module *mod, const struct func *fn);

/* follow.c: --follow-calls */
/* The functions matching filter and those they call, follow levels deep
 * (1: only the matching ones), as Delve's ListFunctions(filter, follow):
 * appended to *names (malloc'd strings). */
int follow_list(struct debugger *d, const char *filter, int follow,
		char ***names, size_t *n, struct errbuf *eb);
/* True when fn's name matches the regexp re (NULL: false). */
bool follow_is_root(struct debugger *d, const char *re, const struct func *fn);
/* A TP_CALLSITE tracepoint on each indirect call fn makes. */
void follow_add_callsites(struct debugger *d, struct module *mod,
			  const struct func *fn, const struct tp_opts *o);
/* A TP_CALLSITE hit, the caller's frame being top of ts: traces the
 * function about to be called, when within depth. */
void follow_on_callsite(struct debugger *d, const struct tracepoint *tp,
			const struct hit *h, struct thread_state *ts);
/* The depth (--follow-calls) of a call entering tp's function, whose frame
 * is at pos and whose return address is ra (the caller's code), given the
 * activations ts holds once those at or below pos are dropped: 1 when the
 * regexp matched it; its caller's depth + 1 when the caller is ts's
 * innermost activation (or, the same pos, a tail call from it) and that
 * stays within tp->follow; else 0 (not shown). */
int follow_entry_depth(const struct thread_state *ts,
		       const struct tracepoint *tp, int64_t pos, uint64_t ra);
void follow_free(struct debugger *d);

/* The engine callback: turns a hit into a queued event. */
int debugger_on_hit(void *ctx, const struct hit *h);
int debugger_on_exec(void *ctx, pid_t tid);
/* The engine callback for a write to an ordered fd: waits until every
 * event queued so far has been shown (or a stop is asked for). */
void debugger_on_output(void *ctx, pid_t tid);
/* The engine lost n events (its ring was full): counted, and reported with
 * the next batch taken. */
void debugger_on_lost(void *ctx, uint64_t n);
void debugger_on_fork(void *ctx, pid_t parent, pid_t child);
/* signals.c: --signals' events, queued as the hits are. */
void debugger_on_signal(void *ctx, const struct signal_event *s);
/* engine_callbacks.on_note: queued as an event carrying only the note. */
void debugger_on_note(void *ctx, const char *text);
/* syscalls.c: --syscalls' events, queued as the hits are. */
void debugger_on_syscall(void *ctx, const struct syscall_event *s);
/* events.c: queues ev (taken) for the frontend; waits while the queue is
 * full. */
void debugger_enqueue(struct debugger *d, struct api_tracepoint_result *ev);
void debugger_on_thread(void *ctx, pid_t tid, bool started);

#endif

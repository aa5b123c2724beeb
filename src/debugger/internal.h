/* Private to src/debugger: the debugger's state, shared by its files. */
#ifndef TINYDBG_DEBUGGER_INTERNAL_H
#define TINYDBG_DEBUGGER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "base/xalloc.h"
#include "debugger/debugger.h"
#include "engine/engine.h"
#include "sym/symtab.h"

/* One probe the debugger asked the engine for, with what it must read when
 * the probe is hit. */
struct tracepoint {
	int bp_id;               /* the api.Breakpoint it belongs to */
	const struct func *fn;
	bool is_ret;
	struct loc ret_loc;      /* is_ret: where the result is (ABI) */
	bool ret_known;          /* false: the result's place is unknown */
	struct addr_range *rt_ranges; /* fn's ranges at run time */
	struct probe probe;
};

/* An activation of a traced function on one thread: entries push, returns
 * pop. It tells a loop that jumps back to the entry address (same function,
 * same stack pointer, not returned) from a new call. */
struct frame_mark {
	const struct func *fn;
	uint64_t sp;
};

struct thread_state {
	pid_t tid;
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
	struct symtab *st;
	const struct engine_ops *ops;
	struct engine *eng;
	pid_t pid;
	uint64_t bias;
	bool launched;

	pthread_t worker;
	pthread_mutex_t mu;      /* guards everything below */
	pthread_cond_t job_cv;   /* a job was posted or finished */
	struct job *job;
	bool quit;

	bool running;            /* a continue is in progress */
	bool gone;               /* exited, killed or detached */
	struct exit_info exit;
	bool detach_pending, detach_kill;

	VEC(struct tracepoint *) tps;
	int next_bp_id;

	/* Trace events, produced on the worker, taken by the server. */
	pthread_cond_t ev_cv;    /* events arrived, or the run ended */
	pthread_cond_t room_cv;  /* the queue has room again */
	VEC(struct api_tracepoint_result) events;
	uint64_t lost;

	/* Only touched on the worker thread. */
	VEC(struct thread_state) threads;
};

/* Runs fn on the worker thread and waits for it (the engine must be used
 * from there). Fails with -EBUSY while the target runs. */
int debugger_run_job(struct debugger *d,
		     int (*fn)(struct debugger *d, void *arg, struct errbuf *eb),
		     void *arg, struct errbuf *eb);

/* The engine callback: turns a hit into a queued event. */
int debugger_on_hit(void *ctx, const struct hit *h);
void debugger_on_thread(void *ctx, pid_t tid, bool started);

#endif

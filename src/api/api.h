/* api: the data that crosses between frontend and backend, in the shapes of
 * Delve's service/api (Breakpoint, TracepointResult, DebuggerState), so that
 * the JSON-RPC layer can carry it unchanged and Delve clients understand it.
 * Every struct owns its strings and arrays; _release frees them. */
#ifndef TINYDBG_API_API_H
#define TINYDBG_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value/value.h"

/* api.LoadConfig: how much of each value a tracepoint loads. All zero (what
 * "LoadArgs":{} gives, and what a request that only sets load_args has)
 * stands for Delve's ShortLoadConfig, the default of `dlv trace`. */
struct api_load_config {
	bool follow_pointers;
	int max_variable_recurse;
	int max_string_len;
	int max_array_values;
	int max_struct_fields; /* -1: all */
};

/* api.Breakpoint, the fields a trace uses. */
struct api_breakpoint {
	int id;
	char *name;
	uint64_t addr;
	uint64_t *addrs;
	size_t naddrs;
	char *file;
	int line;
	char *function_name;
	bool tracepoint;   /* "Tracepoint": report and go on */
	bool trace_return; /* "TraceReturn": a return tracepoint */
	bool load_args;    /* "LoadArgs" non-null */
	struct api_load_config load_cfg; /* "LoadArgs", when load_args */
	int stacktrace;    /* "Stacktrace": frames to collect */
	int trace_follow_calls;
	char *root_func_name;
};

/* api.Location, reduced: where a function's entry tracepoint goes. */
struct api_location {
	uint64_t pc;     /* the entry tracepoint's address */
	uint64_t entry;  /* the function's first instruction */
	char *file;
	int line;
	char *function;
};
void api_locations_release(struct api_location *l, size_t n);

/* One frame of a stack, api.Stackframe reduced. */
struct api_frame {
	uint64_t pc;
	char *function;
	char *file;
	int line;
	int inlined; /* 0: a real frame; n > 0: a call inlined n levels deep
	              * into the function at pc, which the frames after it
	              * name (Delve's Stackframe.Inlined, "tinydbgInlined") */
};

/* api.TracepointResult: one event of a trace, plus what tinydbg adds (the
 * thread, the time, the stack, the depth). */
struct api_tracepoint_result {
	uint64_t addr;
	char *file;
	int line;
	bool is_ret;
	bool has_results;     /* the function returns something (a C result
	                       * type, Go results): set on entries, where
	                       * Delve's text depends on it. Ours
	                       * ("tinydbgHasResults"): Delve's clients see
	                       * the results among the arguments, flagged */
	char *function_name;
	int64_t goroutine_id; /* -1: not a Go target */
	int thread_id;
	uint64_t time_ns;     /* CLOCK_REALTIME of the hit */
	int depth;            /* --follow-calls: the frame's depth below the
	                       * innermost active call the regexp matched (1:
	                       * that call), on the real call path, at most
	                       * TraceFollowCalls; 0 otherwise. Ours
	                       * ("tinydbgDepth"): Delve's clients count it
	                       * from the stack. */
	struct value *input_params;
	size_t ninput;
	struct value *return_params;
	size_t nreturn;
	struct api_frame *stack;
	size_t nstack;
	char *signal;         /* --signals: a signal's delivery, as strace
	                       * shows it ("SIGUSR1 {si_code=SI_USER,
	                       * si_pid=1, si_uid=0}"); NULL for a call
	                       * ("tinydbgSignal") */
	char *handler;        /* its handler's name, when one runs
	                       * ("tinydbgHandler") */
	char *note;           /* not a call: a line the engine has for the
	                       * user about how it serves the trace
	                       * ("tinydbgNote") */
	bool is_syscall;      /* a system call (--syscalls), function_name
	                       * its name, input_params its arguments,
	                       * return_params its result
	                       * ("tinydbgSyscall") */
	bool stack_truncated; /* frames beyond stack[nstack-1] were not
	                       * unwound ("tinydbgStackTruncated"; Delve says
	                       * so by the last frame's Bottom) */
};

/* api.DebuggerState, reduced. exit_signal is ours: Delve has no way to say
 * the process was killed by a signal. */
struct api_state {
	int pid;
	bool running;
	bool exited;
	int exit_status;
	int exit_signal; /* 0, or the signal that killed the process */
	bool no_debug_info; /* ours: the executable has no DWARF, so arguments
	                     * and results are unknown */
};

void api_breakpoint_release(struct api_breakpoint *bp);
void api_tracepoint_result_release(struct api_tracepoint_result *r);
/* Releases each of the n results and frees the array. */
void api_tracepoint_results_free(struct api_tracepoint_result *r, size_t n);
void api_frame_release(struct api_frame *f);

#endif

/* cli: the frontend. It parses commands, talks to a backend only through
 * the client (JSON-RPC), and is the only layer that prints. */
#ifndef TINYDBG_CLI_CLI_H
#define TINYDBG_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "api/api.h"
#include "base/strbuf.h"

/* Exit codes of tinydbg itself; otherwise it exits with the target's status
 * (128+N when a signal N killed it), as strace does. */
enum {
	EXIT_ERROR = 1,     /* an unexpected failure */
	EXIT_USAGE = 2,     /* bad flags, missing or invalid regexp */
	EXIT_NOMATCH = 3,   /* the regexp matches no function */
	EXIT_NOTARGET = 4,  /* the program cannot be started (missing, not an
	                     * executable ELF, truncated) */
	EXIT_NOPROC = 5,    /* -p: no such process */
	EXIT_PERM = 6,      /* -p: not allowed (another tracer, privileges) */
};

int cmd_trace(int argc, char **argv);
/* exec/attach --headless (headless.c): a backend serving one target on a
 * socket, for trace --connect or Delve's clients. */
int cmd_exec(int argc, char **argv);
int cmd_attach(int argc, char **argv);
void exec_usage(FILE *f);
void attach_usage(FILE *f);

/* --follow-forks (forks.c): each process the target starts is traced by a
 * session of its own, on a thread of its own, printing to the same
 * output. forks_init names what runs a session: run(pid, proc) traces
 * process pid, shown as proc (numbered from 2 in order of appearance). */
void forks_init(int (*run)(int pid, int proc));
/* Starts a session for pid (stopped, handed over by its parent's). */
void forks_spawn(int pid);
/* Waits for every session, those started meanwhile too. */
void forks_wait(void);
void trace_usage(FILE *f);

/* Printing trace events (print.c). */
/* --engine, TINYDBG_ENGINE: a name the backend knows (ptrace, ebpf,
 * inproc). */
bool engine_name_ok(const char *name);

/* --format: how the trace is written. */
enum print_format {
	FMT_TEXT, /* Delve's lines (default) */
	FMT_JSON, /* one JSON object per event and line (out_json.c) */
	FMT_CHROME, /* the Trace Event Format's JSON array (out_chrome.c) */
};

struct printer {
	FILE *out;
	enum print_format format;
	void *chrome;    /* FMT_CHROME's state (out_chrome.c) */
	bool color;        /* --color: ANSI colours in the text format */
	bool summary;      /* --summary: rows kept (summary.c) */
	bool summary_only; /* --summary-only: and no event printed */
	const char *folded; /* --folded FILE: stacks kept */
	void *summary_state;
	bool timestamp;  /* --timestamp: RFC3339Nano time of the hit first */
	bool seq_ids;    /* --seq-ids: threads numbered 1, 2, 3... */
	bool durations;  /* --durations: time spent in each call */
	int verbose;     /* -v: 0..4, how values are printed (Delve's levels) */
	char *cwd;       /* stack paths below it print as ./... (as Delve) */
	/* tid → sequential number, in order of appearance */
	int *tids;
	size_t ntids, cap;
	/* --durations: calls entered and not yet returned, all threads */
	struct pending_call *pending;
	size_t npending, pending_cap;
	uint64_t lost;   /* events the engine lost, in all */
	/* --follow-forks: the process every line names first, as
	 * thread(PROC/TID) and goroutine(PROC/ID): its pid, or its number
	 * with --seq-ids (1 for the first); 0: lines name no process. */
	int proc;
	/* An engine's notes (how it serves the trace) are not shown:
	 * TINYDBG_ENGINE_NOTES=0, for comparing engines' output. */
	bool notes_off;
	struct strbuf line; /* printer_event's, reused */
};

/* An entry waiting for its return (--durations). */
struct pending_call {
	int64_t flow; /* thread id, or -goroutine id */
	char *fn;
	uint64_t time_ns;
};

void printer_init(struct printer *p, FILE *out);
/* The printer's line buffer, emptied: one for every event, grown once. */
struct strbuf *printer_line(struct printer *p);
void printer_release(struct printer *p);
void printer_event(struct printer *p, const struct api_tracepoint_result *ev);
/* n events lost, where it was noticed; the total, at the end. */
void printer_lost(struct printer *p, uint64_t n);
void printer_lost_total(struct printer *p);
/* The process's end: pid as lines name it, exited with status (signo 0)
 * or killed by signo; or, neither, killed by us (launched) or detached. */
void printer_end(struct printer *p, int pid, bool exited, int status,
		 int signo, bool launched);

/* print.c, for the other formats: --durations' bookkeeping (the entry
 * time of the call a return ends, 0 when unknown). */
void printer_duration_enter(struct printer *p,
			    const struct api_tracepoint_result *ev);
uint64_t printer_duration_leave(struct printer *p,
				const struct api_tracepoint_result *ev);

/* out_json.c: --format json. */
void json_event(struct printer *p, const struct api_tracepoint_result *ev);
void json_lost(struct printer *p, uint64_t n, bool total);
void json_end(struct printer *p, int pid, bool exited, int status, int signo,
	      bool launched);

/* summary.c: --summary and --folded. summary_event takes every event;
 * summary_print writes the table (sorted by total time) to out;
 * summary_write_folded the stacks to path (0 or -errno). */
void summary_event(struct printer *p, const struct api_tracepoint_result *ev);
void summary_print(struct printer *p, FILE *out);
int summary_write_folded(struct printer *p, const char *path);
void summary_release(struct printer *p);

/* out_chrome.c: --format chrome. chrome_end closes the array (called by
 * printer_release: the file is valid JSON however the trace ended). */
void chrome_event(struct printer *p, const struct api_tracepoint_result *ev);
void chrome_instant(struct printer *p, const char *text);
/* Events were lost: the open calls end here, then an instant says so. */
void chrome_lost(struct printer *p, const char *text);
void chrome_end(struct printer *p);
/* The id shown for a kernel tid (itself, or its number with --seq-ids). */
int printer_thread_id(struct printer *p, int tid);

#endif

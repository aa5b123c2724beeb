/* The in-process engine's parts (inproc.c: the engine_ops and the
 * callbacks; setup.c: the agent, trampolines and patches put in; ring.c:
 * records taken from the shared ring). */
#ifndef TINYDBG_ENGINE_INPROC_INTERNAL_H
#define TINYDBG_ENGINE_INPROC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/xalloc.h"
#include "engine/engine.h"
#include "engine/inproc/shm.h"
#include "engine/jump/site.h"
#include "engine/ptrace/ptrace.h"

/* Probes the shared table holds: later ones take breakpoints. */
#define IP_MAX_PROBES 16384

enum ip_how {
	HOW_QUEUED,  /* inserted between runs: decided at the next start */
	HOW_PTRACE,  /* a breakpoint of the ptrace engine */
	HOW_PATCHED, /* an entry jumping to its trampoline */
	HOW_SHADOW,  /* a return caught through the rewritten return
	              * address of its function's (patched) entry */
	HOW_LATE,    /* inserted at a sync hit during a run: patched after
	              * it when its image is new (ip_late), else a
	              * breakpoint */
};

struct ip_eprobe {
	const struct probe *p;
	enum ip_how how;
	bool dead;
};


/* An entry patched with a jump: its bytes before. */
struct ip_patch {
	uint64_t addr;
	uint8_t orig[16];
	uint8_t len;
};

/* A code page of ours in the target, near the image it serves. */
struct ip_region {
	uint64_t at;   /* the target's address */
	size_t size, used;
	uint8_t *ours; /* our mapping of it */
	uint64_t img_lo, img_hi; /* the image's span */
};

struct engine {
	struct engine *pt; /* the ptrace engine underneath */
	pid_t pid;
	size_t ring_bytes;
	bool running;      /* a run is in progress: probes go in as
	                    * breakpoints (threads may be anywhere) */
	bool in_sync_hit;  /* the debugger is handling a sync hit */
	/* The file-backed mappings known at the last setup or rendezvous:
	 * code outside them is new, and no thread can be in it yet. */
	struct site_known known;
	bool live;         /* the agent is in and its patches are */
	uint64_t enter_fn; /* the agent's entry points in the target (0:
	                    * not in yet) */
	uint64_t go_stack_fn, go_enter_fn;
	VEC(struct ip_eprobe) probes; /* by probe id */
	VEC(struct ip_patch) patches;
	VEC(struct ip_region) regions;
	size_t nfallback, npatched; /* functions: breakpoints, jumps */
	size_t nretpatched, nretfallback; /* ret sites: jumps, breakpoints */
	bool noted;

	/* The shared memory: ours, and the target's address of it. */
	uint8_t *shm;
	size_t shm_size;
	uint64_t shm_at;
	struct ip_header *_Atomic hdr; /* NULL: none (yet, or since exec) */
	/* Shared memories of images gone (exec): unmapped at close only,
	 * since the reader thread may still be looking at one. */
	VEC(struct ip_retired { uint8_t *p; size_t size; }) retired;

	/* The records' clock: the TSC, converted with a rate measured from
	 * the setup on. */
	uint64_t tsc0;
	int64_t mono0;
	double ns_per_tick;
	int64_t mono_to_real;
	int64_t calibrated_at;
	uint64_t lost_seen;
	/* A ring record expanded into a capture record (ring.c). */
	uint8_t *expand;
	size_t expand_size;

	const struct engine_callbacks *cb; /* the debugger's, during run */
	struct ptrace_overlay ov;          /* ours around them */
	struct engine_callbacks wrap;

	pthread_t reader;
	bool reader_on;
	atomic_bool quit;
};

/* setup.c */
/* Places every queued probe: patched entries (and their returns through
 * the shadow stack) where that is safe, breakpoints elsewhere. The process
 * is stopped (a run's start). Never fails: what cannot be patched takes
 * breakpoints. */
void ip_setup(struct engine *e);
/* After a sync hit (the loader's rendezvous; the thread stopped, others
 * running): the probes it inserted in images mapped since the last one
 * are patched (no thread can be in their code yet: their constructors
 * have not run), the rest take breakpoints. */
void ip_late(struct engine *e);
/* Puts the original bytes back (every thread stopped) and tells the agent
 * to record nothing more. */
void ip_restore(struct engine *e);
/* A fork child: our code out of its copy of the memory. */
void ip_restore_child(struct engine *e, pid_t child);
/* The target's image is gone (exec): forget everything in it. */
void ip_drop(struct engine *e);
uint64_t ip_rdtsc(void);
/* The TSC and CLOCK_MONOTONIC read together, as closely as can be. */
void ip_clock_pair(uint64_t *tsc, int64_t *mono);

/* ring.c */
/* Hands every record waiting in the ring to the debugger. Engine thread. */
int ip_drain(void *ctx);
/* The same, IP_DRAIN_BATCH records at most (ptrace_engine_set_drain_some):
 * a thread stopped meanwhile waits for no more than that, about 0.1 ms. */
#define IP_DRAIN_BATCH 16
int ip_drain_some(void *ctx);
void ip_reader_start(struct engine *e);
void ip_reader_stop(struct engine *e);
/* Clears the cached thread id of tid's state (the thread ended). */
void ip_thread_gone(struct engine *e, pid_t tid);

#endif

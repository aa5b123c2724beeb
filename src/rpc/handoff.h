/* handoff: trace events passed from the local server to its client as
 * structs, not JSON.
 *
 * A local trace runs the server on a thread of the frontend's process
 * (server_start_local). Encoding each event to JSON, writing, reading,
 * parsing and decoding it again cost most of the frontend's time per
 * event, for two threads that share one heap. With a handoff, the client's
 * GetBufferedTracepoints asks for it ("tinydbgHandoff": true); the server
 * pushes the batch here and answers only its sequence number, with the
 * lost count and forked pids as usual (wire.h); the client pops that
 * batch. The JSON-RPC exchange itself (ids, long poll, the order of
 * answers) is unchanged; only the events take the short way. A remote
 * session never has one: a peer on a socket gets JSON whatever it asks.
 *
 * Thread-safe: one mutex, held only to link or unlink a batch. */
#ifndef TINYDBG_RPC_HANDOFF_H
#define TINYDBG_RPC_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

#include "api/api.h"

struct handoff;

struct handoff *handoff_new(void);
/* Releases the batches never popped (a client that went away between the
 * answer and the pop) and h. */
void handoff_free(struct handoff *h);

/* Appends the batch (evs, n), n > 0: h owns evs from the call on (a
 * malloc'd array whose items own their contents, as debugger_take_events
 * gives them). Returns the batch's sequence number, never 0, for the
 * answer that announces it. */
uint64_t handoff_push(struct handoff *h, struct api_tracepoint_result *evs,
		      size_t n);

/* Takes the batch numbered seq: 0 with *evs (the caller's now: release
 * each item with api_tracepoint_result_release, then free the array) and
 * *n; -ENOENT when there is no such batch (never pushed, or taken). */
int handoff_pop(struct handoff *h, uint64_t seq,
		struct api_tracepoint_result **evs, size_t *n);

/* The client is done with a batch it popped (printed it): back to the
 * server, which gives it to the thread that made the events to release
 * (handoff_take_done). Freeing on another thread than the one that
 * allocated cost the frontend a third of its time per event in the heap's
 * lock. */
void handoff_done(struct handoff *h, struct api_tracepoint_result *evs,
		  size_t n);
/* Takes the oldest batch the client is done with: 1 with *evs and *n
 * (the caller's now), 0 when there is none. */
int handoff_take_done(struct handoff *h, struct api_tracepoint_result **evs,
		      size_t *n);

/* Batches pushed and not taken. */
size_t handoff_pending(struct handoff *h);

#endif

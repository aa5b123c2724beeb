/* client: typed calls to a tinydbg (or Delve) server over a connected fd,
 * Delve's JSON-RPC API v2. The JSON stays inside; callers see api structs.
 *
 * A client is for one thread. Calls are synchronous except `continue`,
 * which blocks on the server until the target exits or halts, so it is
 * split in two: client_continue_start sends it, client_command_result
 * collects its answer. In between, other calls work: answers that arrive
 * for another request are kept until asked for. The trace loop is
 *
 *	client_continue_start(c, &id, eb);
 *	for (;;) {
 *		client_get_buffered_tracepoints(c, 100, &ev, &n, &lost, eb);
 *		print ev...;
 *		if (client_command_result(c, id, false, &st, eb) != -EAGAIN)
 *			break;
 *	}
 *	client_get_buffered_tracepoints(c, 0, &ev, &n, &lost, eb); (the rest)
 *
 * and a ^C becomes client_halt from that loop (not from a signal handler).
 *
 * Every call returns 0 or a negative errno with a message in eb:
 * -EREMOTEIO when the server answered with an error (eb holds its message
 * verbatim), -ECONNRESET when it closed the connection, -EPROTO when what
 * it sent is not an answer, or the transport's error. */
#ifndef TINYDBG_CLIENT_CLIENT_H
#define TINYDBG_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "base/errbuf.h"

struct client;

/* Takes ownership of fd: client_free closes it, which is how the server
 * learns that the session is over. */
struct client *client_new(int fd);
void client_free(struct client *c);

/* A client in the process of its server (server_start_local): h is
 * server_handoff's, and GetBufferedTracepoints' events come through it as
 * structs instead of JSON (rpc/handoff.h). h is borrowed: it must outlive
 * c. */
struct handoff;
void client_set_handoff(struct client *c, struct handoff *h);

/* RPCServer.SetApiVersion {APIVersion: 2}. */
int client_set_api_version(struct client *c, struct errbuf *eb);
/* RPCServer.ProcessPid. */
int client_process_pid(struct client *c, int *pid, struct errbuf *eb);
/* RPCServer.State {NonBlocking: true}. */
int client_state(struct client *c, struct api_state *st, struct errbuf *eb);

/* RPCServer.ListFunctions: *names is a malloc'd array of malloc'd strings
 * (free with client_free_names). When inlined is not NULL, *inlined gets
 * the same for the matching functions the compiler inlined at every call
 * (our server's tinydbgInlined; none from Delve's). */
int client_list_functions(struct client *c, const char *filter,
			  int follow_calls, char ***names, size_t *n,
			  char ***inlined, size_t *ninlined,
			  struct errbuf *eb);
void client_free_names(char **names, size_t n);

/* RPCServer.CreateBreakpoint: *out (caller releases with
 * api_breakpoint_release) is the breakpoint as created. */
int client_create_breakpoint(struct client *c, const struct api_breakpoint *req,
			     struct api_breakpoint *out, struct errbuf *eb);

/* RPCServer.FunctionReturnLocations: *addrs is malloc'd. */
int client_function_return_locations(struct client *c, const char *fn,
				     uint64_t **addrs, size_t *n,
				     struct errbuf *eb);

/* Sends RPCServer.Command {name: "continue"} and returns at once; *id
 * names the request for client_command_result. */
int client_continue_start(struct client *c, uint64_t *id, struct errbuf *eb);
/* The answer to the Command request id, into *st. With wait false, returns
 * -EAGAIN (no message) when it has not arrived yet. An answer is handed
 * out once. */
int client_command_result(struct client *c, uint64_t id, bool wait,
			  struct api_state *st, struct errbuf *eb);
/* RPCServer.Command {name: "halt"}: makes a pending continue return. st may
 * be NULL. */
int client_halt(struct client *c, struct api_state *st, struct errbuf *eb);

/* RPCServer.GetBufferedTracepoints: the trace events queued since the last
 * call. wait_ms > 0 lets the server wait that long for a first event (a
 * long poll; it answers early when the target stops running). *out is a
 * malloc'd array (caller gives it to client_events_done, or releases each
 * with api_tracepoint_result_release and frees it), NULL when *n is 0. *lost (may be NULL) gets the number of
 * events the server had to drop. */
int client_get_buffered_tracepoints(struct client *c, int wait_ms,
				    struct api_tracepoint_result **out,
				    size_t *n, uint64_t *lost,
				    struct errbuf *eb);
/* Done with events client_get_buffered_tracepoints gave: released, by
 * the server's thread that made them when they came through a handoff
 * (rpc/handoff.h: handoff_done). */
void client_events_done(struct client *c, struct api_tracepoint_result *evs,
			size_t n);

/* RPCServer.Detach {Kill: kill}. */
/* The processes the server handed over (--follow-forks), as the batches
 * of client_get_buffered_tracepoints named them since the last call: a
 * malloc'd array in *pids (NULL when none). */
size_t client_take_forked(struct client *c, int **pids);

int client_detach(struct client *c, bool kill, struct errbuf *eb);

#endif

/* server: serves Delve's JSON-RPC API v2 for one debugger over a connected
 * fd (see rpc/msg.h for the envelopes, rpc/wire.h for the shapes).
 *
 * Requests are read in order on one thread. Most are answered in turn, on
 * that thread; `Command continue` (which blocks until the target exits or
 * halts) and a GetBufferedTracepoints that may wait are answered from
 * threads of their own, so that while a continue is pending, events,
 * `Command halt`, State and Detach are still answered. Answers may thus
 * come out of request order; clients match them by id. */
#ifndef TINYDBG_SERVER_SERVER_H
#define TINYDBG_SERVER_SERVER_H

#include "base/errbuf.h"
#include "debugger/debugger.h"

/* The longest a GetBufferedTracepoints may wait ("WaitMs"), so that a
 * session always ends promptly once its peer has gone. */
#define SERVER_MAX_WAIT_MS 10000

struct server;

/* The local backend: creates the debugger from cfg (launch and attach
 * errors are returned from here, with eb's message), a socketpair, and a
 * thread serving one end; *client_fd is the other end, for client_new.
 * The session ends when the client closes *client_fd. */
int server_start_local(const struct debugger_config *cfg, int *client_fd,
		       struct server **out, struct errbuf *eb);

/* Waits for the serving thread to end (close the client's fd first), then
 * frees the debugger (debugger_free detaches, or kills a target it
 * launched) and s. */
void server_wait(struct server *s);

/* Serves requests read from fd until the peer closes it, then halts a
 * continue still pending, waits for every answer in flight, and closes fd
 * (which it owns from the call on). d stays the caller's. Returns 0 when
 * the peer closed the stream cleanly, or a negative errno when the stream
 * broke (bytes that are not JSON: the framing is lost). */
int server_serve_fd(struct debugger *d, int fd);

#endif

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

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

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

struct handoff;
/* The handoff (rpc/handoff.h) of s's session, for the client on
 * *client_fd (client_set_handoff): its events then come as structs. s
 * owns it; it lives until server_wait, so free the client first. */
struct handoff *server_handoff(struct server *s);

/* Waits for the serving thread to end (close the client's fd first), then
 * frees the debugger (debugger_free detaches, or kills a target it
 * launched) and s. */
void server_wait(struct server *s);

/* How a session treats its client (NULL: a local one). */
struct server_session_opts {
	bool multiclient; /* what IsMulticlient answers */
	/* A client over a socket: requests are capped (SERVER_MAX_REQUEST
	 * in server.c), a request begun must be finished and an answer
	 * taken in time, or the connection is closed. */
	bool untrusted;
	/* Set when the client had the target detached (Detach): a headless
	 * server then ends. May be NULL. */
	atomic_bool *detached;
};

/* Serves requests read from fd until the peer closes it, then halts a
 * continue still pending, waits for every answer in flight, and closes fd
 * (which it owns from the call on). d stays the caller's. Returns 0 when
 * the peer closed the stream cleanly, or a negative errno when the stream
 * broke (bytes that are not JSON: the framing is lost; a request too
 * large; a peer that stalled), after a last answer with a null id saying
 * why when that helps. */
int server_serve_fd(struct debugger *d, int fd,
		    const struct server_session_opts *o);

/* Closes a socket whose peer may still be sending, so that what we wrote
 * last is not lost to a reset: shuts our side, drops what comes for a
 * moment, closes. */
void server_linger_close(int fd);

/* Checks who connected on fd before a byte of it is read: on a unix
 * socket its SO_PEERCRED; on TCP from this machine (loopback) the owner of
 * its socket in /proc/net/tcp{,6}, as Delve's --only-same-user does. Both
 * must be our effective uid. A TCP peer from another machine has no entry
 * there: *remote is set and it is let in (listening where it can connect
 * was asked for: transport_listen). Returns 0, or -EPERM with a message
 * naming the uids. */
int server_peer_check(int fd, bool *remote, struct errbuf *eb);

/* ---- the headless server (listen.c) ---- */

struct server_listen_opts {
	bool multiclient; /* --accept-multiclient: clients come and go, and
			   * may be served at once; else one, then the end */
	/* One line for the frontend to print about a connection (refused,
	 * a note on one from another machine), from any thread; may be
	 * NULL. */
	void (*note)(void *arg, const char *msg);
	void *note_arg;
	/* Set by a signal handler: the loop ends (sessions are closed). */
	volatile sig_atomic_t *stop;
};

/* Serves clients accepted on lfd (transport_listen) for d, each checked
 * with server_peer_check first. Without multiclient, the first client
 * admitted is the only one (others get an error answer and are closed
 * while it is served), and the loop ends when it goes; with it, when a
 * client detached the target, the target ended, or *stop. Either way every
 * session is over on return; lfd stays open, d the caller's (free it to
 * kill or detach the target). Returns 0 or a negative errno. */
int server_listen_run(struct debugger *d, int lfd,
		      const struct server_listen_opts *o, struct errbuf *eb);

#endif

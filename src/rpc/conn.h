/* conn: a stream of JSON values over a file descriptor, the framing of Go's
 * net/rpc/jsonrpc codec. There is no framing but JSON itself: a value ends
 * where its closing brace is, and several may arrive in one read or one may
 * be split across many. We write a "\n" after each value so that a human
 * (or a log) can read the stream; readers must not rely on it.
 *
 * Reading is for one thread at a time (the one that owns the connection's
 * input); writing may be done from any number of threads at once: each value
 * is written whole, never interleaved with another. */
#ifndef TINYDBG_RPC_CONN_H
#define TINYDBG_RPC_CONN_H

#include <json-c/json.h>

#include "base/errbuf.h"

/* A single value larger than this is refused (-EMSGSIZE): a peer cannot make
 * us buffer without bound. A trace event with a deep stack is a few KiB; a
 * ListFunctions answer for a large Go binary a few MiB. */
#define CONN_MAX_MSG (64u << 20)

struct conn;

/* Wraps fd (a socket, a pipe, or anything read(2)/write(2) accept; blocking
 * or not). The conn does not own fd: conn_free leaves it open. */
struct conn *conn_new(int fd);
void conn_free(struct conn *c);
int conn_fd(const struct conn *c);

/* For a server facing clients it does not trust: a value larger than
 * max_msg bytes is refused (-EMSGSIZE) instead of CONN_MAX_MSG, and one
 * begun but not finished fails with -ETIMEDOUT when no byte of it arrives
 * for stall_ms (0: never), a broken stream like -EPROTO; a write that
 * cannot go on for write_ms (0: never; a peer that stopped reading) fails
 * with -ETIMEDOUT (on a socket; a pipe may block). */
void conn_set_limits(struct conn *c, size_t max_msg, int stall_ms,
		     int write_ms);

/* Reads the next complete JSON value into *out (the caller owns it:
 * json_object_put). timeout_ms < 0 waits as long as it takes; 0 only takes
 * what is already buffered or readable now.
 * Returns 1 with a value (NULL for a JSON null); 0 at end of stream between two values; -ETIMEDOUT
 * when no whole value came in time (what came stays buffered); -EPROTO on
 * bytes that are not JSON, or end of stream inside a value; -EMSGSIZE;
 * -ETIMEDOUT with c->broken set for a value stalled (conn_set_limits); or the
 * read error. After -EPROTO or -EMSGSIZE the stream cannot be resynchronised:
 * every later call fails the same way. */
int conn_read(struct conn *c, int timeout_ms, struct json_object **out,
	      struct errbuf *eb);

/* Writes v and a "\n", whole, under the connection's write lock. Retries on
 * EINTR and short writes, waits out EAGAIN on a non-blocking fd, and never
 * raises SIGPIPE on a socket (MSG_NOSIGNAL). Returns 0 or a negative errno
 * (-EPIPE when the peer has gone). */
int conn_write(struct conn *c, struct json_object *v, struct errbuf *eb);

#endif

/* transport: the sockets a remote session runs over. An address is
 *
 *	host:port        TCP; host a numeric IPv4 or IPv6 address ([::1]:port)
 *	                 or a name ("localhost"); port 0 lets the kernel pick
 *	unix:/path       a unix stream socket at /path
 *
 * as Delve's --listen takes it (its unix: prefix included). Everything here
 * is about bytes reaching a socket; who may connect is the server's
 * business (server/peer.c). */
#ifndef TINYDBG_RPC_TRANSPORT_H
#define TINYDBG_RPC_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/errbuf.h"

/* The address `--listen` takes when given none. */
#define TRANSPORT_DEFAULT_ADDR "127.0.0.1:0"

/* Listens on addr. A TCP address that is not a loopback one is refused
 * (-EACCES, with a message naming allow_flag) unless allow_remote; *remote
 * (may be NULL) says whether it is one. *bound gets the address actually
 * bound, as `host:port` with the port the kernel picked, or `unix:/path`
 * (NUL-terminated, boundsz bytes at most). A unix socket path that exists
 * already is an error (-EADDRINUSE), never removed: it may be another
 * server's. Returns the listening fd (close-on-exec) or a negative errno. */
int transport_listen(const char *addr, bool allow_remote,
		     const char *allow_flag, bool *remote, char *bound,
		     size_t boundsz, struct errbuf *eb);

/* Accepts one connection on lfd (close-on-exec), retrying on EINTR and on
 * the errors a connection that died in the backlog leaves. Returns the fd
 * or a negative errno. */
int transport_accept(int lfd, struct errbuf *eb);

/* Connects to addr. Returns the connected fd (close-on-exec) or a negative
 * errno with a message naming addr. */
int transport_dial(const char *addr, struct errbuf *eb);

#endif

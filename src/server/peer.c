/* Who is at the other end of an accepted connection, found before a byte of
 * it is read (server_peer_check in server.h). */
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* An address as /proc/net/tcp{,6} spells it: each 32-bit word of the
 * address in the kernel's byte order, as %08X, then ":" and the port as
 * %04X. A v4-mapped IPv6 address is the IPv4 socket it really is. */
static void proc_addr(const struct sockaddr_storage *ss, char *out,
		      size_t outsz, bool *v6)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		uint32_t w[4];

		memcpy(w, &in6->sin6_addr, sizeof(w));
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			*v6 = false;
			snprintf(out, outsz, "%08X:%04X", w[3],
				 ntohs(in6->sin6_port));
			return;
		}
		*v6 = true;
		snprintf(out, outsz, "%08X%08X%08X%08X:%04X", w[0], w[1], w[2],
			 w[3], ntohs(in6->sin6_port));
		return;
	}
	*v6 = false;
	snprintf(out, outsz, "%08X:%04X",
		 ((const struct sockaddr_in *)ss)->sin_addr.s_addr,
		 ntohs(((const struct sockaddr_in *)ss)->sin_port));
}

static bool peer_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >>
			24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

/* The uid owning the socket whose local address is `local` and remote one
 * `remote` in the kernel's table: 0 with *uid, or -ENOENT. */
static int proc_tcp_uid(const char *table, const char *local,
			const char *remote, uid_t *uid)
{
	char line[512], l[64], r[64];
	unsigned u;
	FILE *f = fopen(table, "r");
	int err = -ENOENT;

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) /* the header */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		/* sl local rem st tx:rx tr:when retrnsmt uid ... */
		if (sscanf(line, " %*u: %63s %63s %*x %*s %*s %*s %u", l, r,
			   &u) != 3)
			continue;
		if (!strcasecmp(l, local) && !strcasecmp(r, remote)) {
			*uid = (uid_t)u;
			err = 0;
			break;
		}
	}
out:
	fclose(f);
	return err;
}

int server_peer_check(int fd, bool *remote, struct errbuf *eb)
{
	struct sockaddr_storage ours, peer;
	socklen_t ol = sizeof(ours), pl = sizeof(peer);
	char l[64], r[64];
	uid_t uid = (uid_t)-1, me = geteuid();
	bool v6;
	int err;

	*remote = false;
	if (getsockname(fd, (struct sockaddr *)&ours, &ol) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &pl) < 0)
		return errbuf_set(eb, -errno, "cannot tell who connected: %s",
				  strerror(errno));
	if (peer.ss_family == AF_UNIX) {
		struct ucred cred;
		socklen_t cl = sizeof(cred);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0)
			return errbuf_set(eb, -errno, "SO_PEERCRED: %s",
					  strerror(errno));
		uid = cred.uid;
		if (uid != me)
			return errbuf_set(eb, -EPERM,
					  "connection refused: the client runs as uid %u, the server as uid %u",
					  (unsigned)uid, (unsigned)me);
		return 0;
	}
	/* A peer on another machine has no entry in our tables: letting it
	 * in is what listening on a non-loopback address (allowed only on
	 * request) means. Our own addresses reach us over loopback routes
	 * but are not 127/8: the kernel's table finds those too. */
	proc_addr(&peer, l, sizeof(l), &v6);
	proc_addr(&ours, r, sizeof(r), &v6);
	err = proc_tcp_uid(v6 ? "/proc/net/tcp6" : "/proc/net/tcp", l, r, &uid);
	if (err == -ENOENT && !peer_loopback(&peer)) {
		*remote = true;
		return 0;
	}
	/* A loopback peer must be in the table (as long as it is connected):
	 * not finding it is no reason to let it in. */
	if (err == -ENOENT)
		return errbuf_set(eb, -EPERM,
				  "connection refused: cannot find the client's socket in the kernel's tables");
	if (err)
		return errbuf_set(eb, err, "cannot read the socket table: %s",
				  strerror(-err));
	if (uid != me)
		return errbuf_set(eb, -EPERM,
				  "connection refused: the client runs as uid %u, the server as uid %u",
				  (unsigned)uid, (unsigned)me);
	return 0;
}

#include "rpc/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define UNIX_PREFIX "unix:"

/* A parsed address: a unix path, or a host and a port (both in buf). */
struct taddr {
	const char *path; /* unix socket, or NULL */
	char host[256];
	char port[16];
};

static int taddr_parse(const char *addr, struct taddr *a, struct errbuf *eb)
{
	const char *colon, *host = addr;
	size_t hl;

	memset(a, 0, sizeof(*a));
	if (!strncmp(addr, UNIX_PREFIX, strlen(UNIX_PREFIX))) {
		a->path = addr + strlen(UNIX_PREFIX);
		if (!*a->path)
			return errbuf_set(eb, -EINVAL,
					  "invalid address \"%s\": unix: needs a path",
					  addr);
		if (strlen(a->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return errbuf_set(eb, -ENAMETOOLONG,
					  "invalid address \"%s\": the socket path is too long",
					  addr);
		return 0;
	}
	colon = strrchr(addr, ':');
	if (!colon || !colon[1])
		return errbuf_set(eb, -EINVAL,
				  "invalid address \"%s\": host:port or unix:/path",
				  addr);
	hl = (size_t)(colon - addr);
	/* [::1]:port: the brackets are not part of the host. */
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
		host++;
		hl -= 2;
	}
	if (hl >= sizeof(a->host) || strlen(colon + 1) >= sizeof(a->port) ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return errbuf_set(eb, -EINVAL,
				  "invalid address \"%s\": host:port or unix:/path",
				  addr);
	memcpy(a->host, host, hl);
	a->host[hl] = 0;
	strcpy(a->port, colon + 1);
	return 0;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		const uint8_t *b = in6->sin6_addr.s6_addr;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && b[12] == 127;
	}
	return false;
}

static int resolve(const struct taddr *a, bool passive, struct addrinfo **res,
		   const char *addr, struct errbuf *eb)
{
	struct addrinfo hints;
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	r = getaddrinfo(a->host[0] ? a->host : NULL, a->port, &hints, res);
	if (r)
		return errbuf_set(eb, -EADDRNOTAVAIL, "cannot resolve \"%s\": %s",
				  addr, gai_strerror(r));
	return 0;
}

static int listen_unix(const struct taddr *a, char *bound, size_t boundsz,
		       struct errbuf *eb)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	strcpy(sun.sun_path, a->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errbuf_set(eb, -errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 16) < 0) {
		err = -errno;
		close(fd);
		return errbuf_set(eb, err, "cannot listen on unix:%s: %s",
				  a->path, strerror(-err));
	}
	snprintf(bound, boundsz, "%s%s", UNIX_PREFIX, a->path);
	return fd;
}

int transport_listen(const char *addr, bool allow_remote,
		     const char *allow_flag, bool *remote, char *bound,
		     size_t boundsz, struct errbuf *eb)
{
	struct addrinfo *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct taddr a;
	char host[INET6_ADDRSTRLEN];
	int fd = -1, err, one = 1;

	if (remote)
		*remote = false;
	err = taddr_parse(addr, &a, eb);
	if (err)
		return err;
	if (a.path)
		return listen_unix(&a, bound, boundsz, eb);
	err = resolve(&a, true, &res, addr, eb);
	if (err)
		return err;
	ai = res;
	if (!is_loopback(ai->ai_addr)) {
		if (remote)
			*remote = true;
		if (!allow_remote) {
			freeaddrinfo(res);
			return errbuf_set(eb, -EACCES,
					  "%s is not a loopback address: anyone who can reach it would control the target; add %s to listen there anyway",
					  addr, allow_flag);
		}
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0) {
		err = errbuf_set(eb, -errno, "socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		err = errbuf_set(eb, -errno, "cannot listen on %s: %s", addr,
				 strerror(errno));
		goto out;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(bound, boundsz, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		struct sockaddr_in *in = (void *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(bound, boundsz, "%s:%u", host, ntohs(in->sin_port));
	}
	err = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return err;
}

int transport_accept(int lfd, struct errbuf *eb)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0) {
			int one = 1;

			/* Answers are small and each waited for: no Nagle
			 * delay (a no-op on a unix socket). */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
			return fd;
		}
		/* A connection that died before we took it: take the next. */
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		return errbuf_set(eb, -errno, "accept: %s", strerror(errno));
	}
}

int transport_dial(const char *addr, struct errbuf *eb)
{
	struct addrinfo *res = NULL, *ai;
	struct taddr a;
	int fd = -1, err = 0, one = 1;

	err = taddr_parse(addr, &a, eb);
	if (err)
		return err;
	if (a.path) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		strcpy(sun.sun_path, a.path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return errbuf_set(eb, -errno, "socket: %s",
					  strerror(errno));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			err = -errno;
			close(fd);
			return errbuf_set(eb, err, "cannot connect to %s: %s",
					  addr, strerror(-err));
		}
		return fd;
	}
	err = resolve(&a, false, &res, addr, eb);
	if (err)
		return err;
	err = -ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return errbuf_set(eb, err, "cannot connect to %s: %s", addr,
				  strerror(-err));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

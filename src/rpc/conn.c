#include "rpc/conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/xalloc.h"

#define CONN_BUFSZ 65536

struct conn {
	int fd;

	/* Input side: used by the one reading thread only. The tokener holds
	 * the value in progress, so buf only ever holds bytes not yet fed to
	 * it: after a value is returned, the bytes behind it. */
	struct json_tokener *tok;
	char *buf;
	size_t start, end;
	size_t in_value; /* bytes of the value in progress; 0 between values */
	bool eof;
	int broken;      /* sticky: the stream lost its framing */
	size_t max_msg;  /* conn_set_limits */
	int stall_ms;
	int write_ms;

	/* Output side. */
	pthread_mutex_t wlock;
	bool not_socket; /* send() said ENOTSOCK: use write() (under wlock) */
};

struct conn *conn_new(int fd)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	/* Variables nest two levels per level of children: the default depth
	 * of 32 is too shallow for a deep struct in a trace event. */
	c->tok = json_tokener_new_ex(128);
	if (!c->tok) {
		free(c);
		return NULL;
	}
	/* Strict: refuse what Go's encoding/json refuses (single quotes,
	 * comments, bare words); trailing characters are the next value. */
	json_tokener_set_flags(c->tok, JSON_TOKENER_STRICT |
				       JSON_TOKENER_ALLOW_TRAILING_CHARS);
	c->buf = xmalloc(CONN_BUFSZ);
	c->max_msg = CONN_MAX_MSG;
	pthread_mutex_init(&c->wlock, NULL);
	return c;
}

void conn_free(struct conn *c)
{
	if (!c)
		return;
	json_tokener_free(c->tok);
	pthread_mutex_destroy(&c->wlock);
	free(c->buf);
	free(c);
}

int conn_fd(const struct conn *c)
{
	return c->fd;
}

void conn_set_limits(struct conn *c, size_t max_msg, int stall_ms,
		     int write_ms)
{
	c->max_msg = max_msg;
	c->stall_ms = stall_ms;
	c->write_ms = write_ms;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int conn_fail(struct conn *c, int err, struct errbuf *eb,
		     const char *what)
{
	c->broken = err;
	return errbuf_set(eb, err, "rpc: %s", what);
}

/* Feeds buffered bytes to the tokener. Returns 1 with a value in *out, 0
 * when every buffered byte was consumed without completing one, or a
 * negative errno. */
static int conn_parse(struct conn *c, struct json_object **out,
		      struct errbuf *eb)
{
	while (c->start < c->end) {
		struct json_object *v;
		enum json_tokener_error jerr;
		size_t used;

		if (!c->in_value) {
			/* Whitespace between values is not part of any, and
			 * must not count as a value begun (EOF after the
			 * trailing "\n" is a clean end). */
			while (c->start < c->end &&
			       strchr(" \t\r\n", c->buf[c->start]))
				c->start++;
			if (c->start == c->end)
				break;
		}
		v = json_tokener_parse_ex(c->tok, c->buf + c->start,
					  (int)(c->end - c->start));
		jerr = json_tokener_get_error(c->tok);
		used = json_tokener_get_parse_end(c->tok);
		c->start += used;
		c->in_value += used;
		if (jerr == json_tokener_success) {
			/* v is NULL for a JSON null: still a whole value. */
			json_tokener_reset(c->tok);
			c->in_value = 0;
			*out = v;
			return 1;
		}
		if (jerr != json_tokener_continue) {
			char msg[128];

			snprintf(msg, sizeof(msg), "invalid JSON: %s",
				 json_tokener_error_desc(jerr));
			return conn_fail(c, -EPROTO, eb, msg);
		}
		if (c->in_value > c->max_msg)
			return conn_fail(c, -EMSGSIZE, eb,
					 "message too large");
	}
	c->start = c->end = 0;
	return 0;
}

int conn_read(struct conn *c, int timeout_ms, struct json_object **out,
	      struct errbuf *eb)
{
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	int err;

	*out = NULL;
	if (c->broken)
		return errbuf_set(eb, c->broken, "rpc: stream unusable: %s",
				  strerror(-c->broken));
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int wait = -1, r;
		ssize_t n;

		err = conn_parse(c, out, eb);
		if (err)
			return err;
		if (c->eof) {
			if (c->in_value)
				return conn_fail(c, -EPROTO, eb,
						 "end of stream inside a JSON value");
			return 0;
		}
		if (timeout_ms >= 0) {
			int64_t left = deadline - now_ms();

			wait = left > 0 ? (int)left : 0;
		}
		/* Inside a value, a peer has stall_ms to send its next byte. */
		if (c->in_value && c->stall_ms > 0 &&
		    (wait < 0 || wait > c->stall_ms))
			wait = c->stall_ms;
		/* Poll even a blocking fd: it is how the timeout is kept,
		 * and a non-blocking one would otherwise spin on EAGAIN. */
		r = poll(&pfd, 1, wait);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errbuf_set(eb, -errno, "rpc: poll: %s",
					  strerror(errno));
		}
		if (r == 0 && c->in_value && c->stall_ms > 0 &&
		    (timeout_ms < 0 || deadline > now_ms()))
			return conn_fail(c, -ETIMEDOUT, eb,
					 "the peer stalled inside a message");
		if (r == 0)
			return errbuf_set(eb, -ETIMEDOUT,
					  "rpc: no answer in time");
		n = read(c->fd, c->buf + c->end, CONN_BUFSZ - c->end);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			if (errno == ECONNRESET) {
				c->eof = true;
				continue;
			}
			return errbuf_set(eb, -errno, "rpc: read: %s",
					  strerror(errno));
		}
		if (n == 0)
			c->eof = true;
		c->end += (size_t)n;
	}
}

static int conn_write_all(struct conn *c, const char *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n;

		if (!c->not_socket) {
			/* With a write timeout, never block in send: the
			 * wait is the poll's below, which has the timeout. */
			n = send(c->fd, p + off, len - off,
				 MSG_NOSIGNAL |
					 (c->write_ms > 0 ? MSG_DONTWAIT : 0));
			if (n < 0 && errno == ENOTSOCK) {
				c->not_socket = true;
				continue;
			}
		} else {
			n = write(c->fd, p + off, len - off);
		}
		if (n < 0) {
			struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* POLLERR/POLLHUP end the wait too; the
				 * next write reports what happened. */
				int r = poll(&pfd, 1, c->write_ms > 0 ?
							      c->write_ms : -1);

				if (r < 0 && errno != EINTR)
					return -errno;
				if (r == 0)
					return -ETIMEDOUT;
				continue;
			}
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

int conn_write(struct conn *c, struct json_object *v, struct errbuf *eb)
{
	const char *s;
	size_t len;
	char *msg;
	int err;

	/* Serialised outside the lock: it is the costly part, and v belongs
	 * to the caller's thread. */
	s = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE,
					      &len);
	if (!s)
		return errbuf_set(eb, -ENOMEM, "rpc: cannot serialise");
	/* One buffer, one write: the value and its newline never get split
	 * by a value from another thread, and a reader sees them together. */
	msg = xmalloc(len + 1);
	memcpy(msg, s, len);
	msg[len] = '\n';
	pthread_mutex_lock(&c->wlock);
	err = conn_write_all(c, msg, len + 1);
	pthread_mutex_unlock(&c->wlock);
	free(msg);
	if (err)
		return errbuf_set(eb, err, "rpc: write: %s", strerror(-err));
	return 0;
}

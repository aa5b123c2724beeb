/* The headless server's accept loop (server_listen_run in server.h): each
 * connection is checked (peer.c) before a byte is read, then served on a
 * thread of its own by server_serve_fd, or refused with one answer. */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include "base/xalloc.h"
#include "rpc/msg.h"
#include "rpc/transport.h"

/* Clients served at once, at most, with --accept-multiclient. */
#define LISTEN_MAX_SESSIONS 16

struct listener {
	struct debugger *d;
	const struct server_listen_opts *o;
	pthread_mutex_t mu;
	pthread_cond_t idle;
	int active;   /* sessions being served */
	int admitted; /* sessions ever admitted */
	/* A dup of each session's socket, to shut it when the server ends
	 * (the session closes its own fd, whose number may be reused). */
	int shut[LISTEN_MAX_SESSIONS];
	atomic_bool detached;
	int wake[2]; /* a session ended: the loop looks again */
};

struct session_arg {
	struct listener *l;
	int fd;
	int slot;
};

static void note(struct listener *l, const char *fmt, const char *a)
{
	char msg[1200];

	if (!l->o->note)
		return;
	snprintf(msg, sizeof(msg), fmt, a);
	l->o->note(l->o->note_arg, msg);
}

static void *session_main(void *arg)
{
	struct session_arg *a = arg;
	struct listener *l = a->l;
	struct server_session_opts so = {
		.multiclient = l->o->multiclient,
		.untrusted = true,
		.detached = &l->detached,
	};
	char c = 1;

	server_serve_fd(l->d, a->fd, &so);
	/* Last, all under the lock: once active drops, l may be gone. */
	pthread_mutex_lock(&l->mu);
	close(l->shut[a->slot]);
	l->shut[a->slot] = -1;
	if (write(l->wake[1], &c, 1) < 0) {
		/* The pipe is full: the loop has wakes to read already. */
	}
	l->active--;
	pthread_cond_broadcast(&l->idle);
	pthread_mutex_unlock(&l->mu);
	free(a);
	return NULL;
}

/* Answers a connection we do not serve with why (null id: no request was
 * read), then closes it; on a thread of its own, as the close lingers. */
static void *refuse_main(void *arg)
{
	struct session_arg *a = arg;
	struct json_object *e = msg_error_new(NULL, (const char *)(a + 1));
	const char *s = json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(s);
	char *line = xmalloc(len + 1);

	memcpy(line, s, len);
	line[len] = '\n';
	/* Into an empty socket buffer: it does not block. */
	if (send(a->fd, line, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* Gone already: nothing to tell. */
	}
	free(line);
	json_object_put(e);
	server_linger_close(a->fd);
	free(a);
	return NULL;
}

static void start_detached(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, fn, arg))
		fn(arg); /* no thread: do it here */
	pthread_attr_destroy(&attr);
}

static void refuse(int fd, const char *why)
{
	size_t n = strlen(why) + 1;
	struct session_arg *a = xcalloc(1, sizeof(*a) + n);

	a->fd = fd;
	memcpy(a + 1, why, n);
	start_detached(refuse_main, a);
}

/* A new connection: checked, then served or refused. */
static void admit(struct listener *l, int fd)
{
	struct errbuf eb = { "" };
	struct session_arg *a;
	bool remote;
	int slot = -1, err;

	err = server_peer_check(fd, &remote, &eb);
	if (err) {
		note(l, "refused a connection: %s", eb.msg);
		refuse(fd, eb.msg);
		return;
	}
	pthread_mutex_lock(&l->mu);
	if (!l->o->multiclient && l->admitted) {
		pthread_mutex_unlock(&l->mu);
		note(l, "refused a connection: %s",
		     "another client is connected");
		refuse(fd, "tinydbg: another client is connected; this server takes one at a time (start it with --accept-multiclient for more)");
		return;
	}
	for (int i = 0; i < LISTEN_MAX_SESSIONS; i++)
		if (l->shut[i] < 0) {
			slot = i;
			break;
		}
	if (slot < 0) {
		pthread_mutex_unlock(&l->mu);
		refuse(fd, "tinydbg: too many clients connected");
		return;
	}
	l->shut[slot] = dup(fd);
	l->active++;
	l->admitted++;
	pthread_mutex_unlock(&l->mu);
	if (remote)
		note(l, "%s", "note: serving a client from another machine");
	a = xcalloc(1, sizeof(*a));
	a->l = l;
	a->fd = fd;
	a->slot = slot;
	start_detached(session_main, a);
}

/* Whether the server is done (under l->mu). */
static bool finished(struct listener *l)
{
	struct api_state st;

	if (!l->o->multiclient)
		return l->admitted && !l->active;
	if (atomic_load(&l->detached))
		return true;
	debugger_state(l->d, &st);
	return st.exited && !l->active;
}

int server_listen_run(struct debugger *d, int lfd,
		      const struct server_listen_opts *o, struct errbuf *eb)
{
	struct listener l = { .d = d, .o = o };
	int err = 0;

	if (pipe2(l.wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return errbuf_set(eb, -errno, "pipe: %s", strerror(errno));
	pthread_mutex_init(&l.mu, NULL);
	pthread_cond_init(&l.idle, NULL);
	atomic_init(&l.detached, false);
	for (int i = 0; i < LISTEN_MAX_SESSIONS; i++)
		l.shut[i] = -1;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = l.wake[0], .events = POLLIN },
		};
		bool done;
		char buf[64];
		int r;

		pthread_mutex_lock(&l.mu);
		done = finished(&l);
		pthread_mutex_unlock(&l.mu);
		if (done || (o->stop && *o->stop))
			break;
		/* A timeout too: a stop flag and a target that ends are not
		 * fds. */
		r = poll(pfd, 2, 200);
		if (r < 0 && errno != EINTR) {
			err = errbuf_set(eb, -errno, "poll: %s", strerror(errno));
			break;
		}
		if (r <= 0)
			continue;
		if (pfd[1].revents)
			while (read(l.wake[0], buf, sizeof(buf)) > 0)
				;
		if (pfd[0].revents & POLLIN) {
			int fd = transport_accept(lfd, eb);

			if (fd < 0) {
				/* Out of fds, say: refuse no one for good. */
				note(&l, "accept failed: %s", eb->msg);
				errbuf_clear(eb);
				usleep(100 * 1000);
				continue;
			}
			admit(&l, fd);
		}
	}
	/* Every session ends now: its reader sees the end of its stream,
	 * halts a continue in flight and answers what it owes. */
	pthread_mutex_lock(&l.mu);
	for (int i = 0; i < LISTEN_MAX_SESSIONS; i++)
		if (l.shut[i] >= 0)
			shutdown(l.shut[i], SHUT_RDWR);
	while (l.active)
		pthread_cond_wait(&l.idle, &l.mu);
	pthread_mutex_unlock(&l.mu);
	pthread_cond_destroy(&l.idle);
	pthread_mutex_destroy(&l.mu);
	close(l.wake[0]);
	close(l.wake[1]);
	return err;
}

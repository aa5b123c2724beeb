/* forks: --follow-forks in the frontend. A process the target starts is
 * handed over by its parent's backend, stopped; here it gets a session of
 * its own (its own backend and client: a ptrace tracer is one thread, and
 * each process's events flow apart), on a thread of its own, printing to
 * the same output as the others, line by line. */
#include "cli/cli.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "base/xalloc.h"

struct fork_session {
	pthread_t th;
	int pid, proc;
};

static pthread_mutex_t forks_mu = PTHREAD_MUTEX_INITIALIZER;
static VEC(struct fork_session *) sessions;
static int next_proc = 2;
static int (*session_run)(int pid, int proc);

void forks_init(int (*run)(int pid, int proc))
{
	session_run = run;
}

static void *session_main(void *arg)
{
	struct fork_session *s = arg;

	session_run(s->pid, s->proc);
	return NULL;
}

void forks_spawn(int pid)
{
	struct fork_session *s = xcalloc(1, sizeof(*s));
	sigset_t all, old;

	s->pid = pid;
	pthread_mutex_lock(&forks_mu);
	s->proc = next_proc++;
	VEC_PUSH(&sessions, s);
	/* The frontend's signals stay with the main thread (its handlers
	 * set the flags every session reads). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (!session_run || pthread_create(&s->th, NULL, session_main, s)) {
		/* Nobody to trace it: it runs on untraced. */
		s->th = 0;
		kill(pid, SIGCONT);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_unlock(&forks_mu);
}

void forks_wait(void)
{
	for (size_t i = 0;; i++) {
		struct fork_session *s;

		pthread_mutex_lock(&forks_mu);
		if (i >= sessions.len) {
			pthread_mutex_unlock(&forks_mu);
			break;
		}
		s = sessions.items[i];
		pthread_mutex_unlock(&forks_mu);
		if (s->th)
			pthread_join(s->th, NULL);
	}
	pthread_mutex_lock(&forks_mu);
	for (size_t i = 0; i < sessions.len; i++)
		free(sessions.items[i]);
	VEC_FREE(&sessions);
	pthread_mutex_unlock(&forks_mu);
}

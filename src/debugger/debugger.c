/* The debugger's life: its worker thread, launch/attach, continue, halt,
 * detach. Tracepoints are in tracepoints.c, events in events.c. */
#include "debugger/internal.h"

#include "unwind/unwind.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *worker_main(void *arg)
{
	struct debugger *d = arg;
	sigset_t set;

	/* The frontend's signals (Ctrl-C, a closed pipe) are for the frontend
	 * thread: keep them off the thread that waits on the target. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->job && !d->quit)
			pthread_cond_wait(&d->job_cv, &d->mu);
		if (!d->job)
			break;
		struct job *j = d->job;
		pthread_mutex_unlock(&d->mu);
		j->ret = j->fn(d, j->arg, j->eb);
		pthread_mutex_lock(&d->mu);
		j->done = true;
		d->job = NULL;
		pthread_cond_broadcast(&d->job_cv);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int debugger_run_job(struct debugger *d,
		     int (*fn)(struct debugger *d, void *arg, struct errbuf *eb),
		     void *arg, struct errbuf *eb)
{
	struct job j = {.fn = fn, .arg = arg, .eb = eb};

	pthread_mutex_lock(&d->mu);
	if (d->running) {
		pthread_mutex_unlock(&d->mu);
		return errbuf_set(eb, -EBUSY, "the target is running");
	}
	while (d->job)
		pthread_cond_wait(&d->job_cv, &d->mu);
	d->job = &j;
	pthread_cond_broadcast(&d->job_cv);
	while (!j.done)
		pthread_cond_wait(&d->job_cv, &d->mu);
	pthread_mutex_unlock(&d->mu);
	return j.ret;
}

/* Stops a launch at the program's entry point. */
static int stop_at_entry(void *ctx, const struct hit *h)
{
	const struct tracepoint *tp = h->probe->cookie;

	if (tp->kind == TP_RENDEZVOUS)
		modules_scan(ctx);
	return tp->kind == TP_ENTRY_STOP;
}

/* A launched dynamic program is stopped at exec, before the loader mapped
 * its libraries: run it to its entry point, so that the functions of the
 * libraries it links with can be listed and traced like its own. */
static int run_to_entry(struct debugger *d, struct errbuf *eb)
{
	/* The loader's system calls are the program's too (--syscalls). */
	struct engine_callbacks cb = {.ctx = d, .on_hit = stop_at_entry,
				      .on_syscall = debugger_on_syscall};
	struct module *exe = d->mods.items[0];
	struct exit_info ex = {.kind = EXIT_NONE};
	int err;

	if (!modules_interp_base(d->pid))
		return 0;
	err = tracepoints_add_internal(d, TP_ENTRY_STOP, exe,
				       symtab_entry(exe->st) + exe->bias, eb);
	if (err)
		return err;
	err = d->ops->run(d->eng, &cb, &ex, eb);
	if (!err && ex.kind != EXIT_NONE)
		err = errbuf_set(eb, -ESRCH,
				 "the program ended before its entry point");
	return err;
}

static int job_start(struct debugger *d, void *arg, struct errbuf *eb)
{
	const struct debugger_config *cfg = arg;
	int err;

	d->worker_tid = pthread_self();
	if (cfg->argv) {
		struct launch_opts o = {
			.argv = cfg->argv,
			.disable_aslr = cfg->disable_aslr,
			.sizes_by_cpus = symtab_path_is_go(cfg->argv[0]),
			.order_fds = cfg->order_fds,
			.ring_bytes = cfg->ring_bytes,
			.follow_forks = cfg->follow_forks,
			.syscalls = cfg->syscalls,
			.signals = cfg->signals,
		};
		err = d->ops->launch(&d->eng, &o, eb);
		d->launched = true;
	} else {
		struct attach_opts o = {.pid = cfg->attach_pid,
					.ring_bytes = cfg->ring_bytes,
					.follow_forks = cfg->follow_forks,
					.filtered = cfg->attach_filtered,
					.order_fds = cfg->order_fds,
					.syscalls = cfg->syscalls,
					.signals = cfg->signals};
		err = d->ops->attach(&d->eng, &o, eb);
	}
	if (err)
		return err;
	d->pid = d->ops->pid(d->eng);
	err = modules_init(d, eb);
	if (!err && d->launched)
		err = run_to_entry(d, eb);
	return err;
}

int debugger_new(struct debugger **out, const struct debugger_config *cfg,
		 struct errbuf *eb)
{
	struct debugger *d;
	char exe[64];
	const char *path;
	struct symtab *st;
	int err;

	*out = NULL;
	d = xcalloc(1, sizeof(*d));
	d->ops = engine_find(cfg->engine ? cfg->engine : "ptrace");
	if (!d->ops) {
		free(d);
		return errbuf_set(eb, -EINVAL, "unknown engine '%s'",
				  cfg->engine);
	}
	if (cfg->argv) {
		path = cfg->argv[0];
	} else {
		if (cfg->attach_pid <= 0) {
			free(d);
			return errbuf_set(eb, -ESRCH, "invalid pid %d",
					  (int)cfg->attach_pid);
		}
		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)cfg->attach_pid);
		if (access(exe, F_OK) && errno == ENOENT) {
			free(d);
			return errbuf_set(eb, -ESRCH, "no process with pid %d",
					  (int)cfg->attach_pid);
		}
		path = exe;
	}
	/* Read the file first: a bad one (missing, not an ELF, truncated)
	 * gets its error before anything runs. */
	err = symtab_open(&st, path, eb);
	if (err) {
		free(d);
		/* /proc/PID/exe of another user's process is closed to us:
		 * the same wall ptrace would hit. */
		if (!cfg->argv && (err == -EACCES || err == -EPERM))
			return errbuf_set(eb, -EPERM,
					  "cannot attach to process %d: %s (tracing another user's process needs root or CAP_SYS_PTRACE; see also /proc/sys/kernel/yama/ptrace_scope)",
					  (int)cfg->attach_pid, strerror(-err));
		return err;
	}
	/* Kept for modules_init: reading a large program's DWARF twice
	 * would double the wait for the first event. */
	d->first_st = st;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->job_cv, NULL);
	pthread_cond_init(&d->ev_cv, NULL);
	pthread_cond_init(&d->room_cv, NULL);
	d->next_bp_id = 1;
	if (pthread_create(&d->worker, NULL, worker_main, d)) {
		free(d);
		return errbuf_set(eb, -EAGAIN, "cannot start a thread");
	}
	err = debugger_run_job(d, job_start, (void *)cfg, eb);
	if (err) {
		d->gone = true;
		debugger_free(d);
		return err;
	}
	*out = d;
	return 0;
}

pid_t debugger_pid(const struct debugger *d)
{
	return d->pid;
}

static void set_gone(struct debugger *d, const struct exit_info *ex)
{
	pthread_mutex_lock(&d->mu);
	d->gone = true;
	d->exit = *ex;
	pthread_cond_broadcast(&d->ev_cv);
	pthread_cond_broadcast(&d->room_cv);
	pthread_mutex_unlock(&d->mu);
}

static int do_detach(struct debugger *d, bool kill, struct errbuf *eb)
{
	struct exit_info ex = {.kind = EXIT_DETACHED};
	int err;

	if (!d->eng || d->gone)
		return 0;
	err = d->ops->detach(d->eng, kill, &ex, eb);
	if (kill && ex.kind == EXIT_DETACHED) {
		ex.kind = EXIT_SIGNAL;
		ex.code = SIGKILL;
	}
	set_gone(d, &ex);
	return err;
}

static int job_continue(struct debugger *d, void *arg, struct errbuf *eb)
{
	struct engine_callbacks cb = {
		.ctx = d,
		.on_hit = debugger_on_hit,
		.on_thread = debugger_on_thread,
		.on_exec = debugger_on_exec,
		.on_output = debugger_on_output,
		.on_lost = debugger_on_lost,
		.on_fork = debugger_on_fork,
		.on_syscall = debugger_on_syscall,
		.on_signal = debugger_on_signal,
		.on_note = debugger_on_note,
	};
	struct exit_info ex = {.kind = EXIT_NONE};
	bool detach, kill;
	int err;

	err = d->ops->run(d->eng, &cb, &ex, eb);
	if (ex.kind == EXIT_STATUS || ex.kind == EXIT_SIGNAL) {
		set_gone(d, &ex);
		err = 0;
	}
	pthread_mutex_lock(&d->mu);
	detach = d->detach_pending;
	kill = d->detach_kill;
	d->detach_pending = false;
	pthread_mutex_unlock(&d->mu);
	if (detach)
		err = do_detach(d, kill, eb);
	return err;
}

int debugger_continue(struct debugger *d, struct api_state *st,
		      struct errbuf *eb)
{
	struct job j = {.fn = job_continue, .eb = eb};

	pthread_mutex_lock(&d->mu);
	if (d->gone) {
		pthread_mutex_unlock(&d->mu);
		debugger_state(d, st);
		return errbuf_set(eb, -ESRCH, "Process %d has exited",
				  (int)d->pid);
	}
	if (d->running) {
		pthread_mutex_unlock(&d->mu);
		return errbuf_set(eb, -EBUSY, "the target is already running");
	}
	while (d->job)
		pthread_cond_wait(&d->job_cv, &d->mu);
	d->running = true;
	d->stopping = false;
	d->job = &j;
	pthread_cond_broadcast(&d->job_cv);
	while (!j.done)
		pthread_cond_wait(&d->job_cv, &d->mu);
	d->running = false;
	/* Wake both a poll (ev_cv) and a detach waiting for the run to end
	 * (job_cv). */
	pthread_cond_broadcast(&d->ev_cv);
	pthread_cond_broadcast(&d->job_cv);
	pthread_mutex_unlock(&d->mu);
	debugger_state(d, st);
	return j.ret;
}

/* A stop is coming: a hit waiting for room in a full queue must not wait
 * for a reader that may be busy stopping (the queue may then exceed its
 * bound by the hits still in flight). Called with d->mu held. */
static void stop_queueing(struct debugger *d)
{
	d->stopping = true;
	pthread_cond_broadcast(&d->room_cv);
}

/* request_stop waits for the engine thread to notice, and that thread may
 * be waiting for d->mu (queueing an event): never call it holding d->mu. The
 * engine lives until debugger_free, which cannot run concurrently. */
void debugger_halt(struct debugger *d)
{
	bool running;

	pthread_mutex_lock(&d->mu);
	running = d->running && d->eng;
	stop_queueing(d);
	pthread_mutex_unlock(&d->mu);
	if (running)
		d->ops->request_stop(d->eng);
}

static int job_detach(struct debugger *d, void *arg, struct errbuf *eb)
{
	return do_detach(d, *(bool *)arg, eb);
}

int debugger_detach(struct debugger *d, bool kill, struct errbuf *eb)
{
	pthread_mutex_lock(&d->mu);
	if (d->gone) {
		pthread_mutex_unlock(&d->mu);
		return 0;
	}
	if (d->running) {
		/* The run owns the engine: ask it to stop and detach on its way
		 * out, and wait for that. */
		d->detach_pending = true;
		d->detach_kill = kill;
		stop_queueing(d);
		pthread_mutex_unlock(&d->mu);
		d->ops->request_stop(d->eng);
		pthread_mutex_lock(&d->mu);
		while (d->running)
			pthread_cond_wait(&d->job_cv, &d->mu);
		pthread_mutex_unlock(&d->mu);
		return 0;
	}
	pthread_mutex_unlock(&d->mu);
	return debugger_run_job(d, job_detach, &kill, eb);
}

void debugger_state(struct debugger *d, struct api_state *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&d->mu);
	st->pid = d->pid;
	st->running = d->running;
	st->no_debug_info = d->no_dwarf;
	/* A detached process lives on: it has not exited. */
	if (d->gone && d->exit.kind != EXIT_DETACHED) {
		st->exited = true;
		if (d->exit.kind == EXIT_STATUS)
			st->exit_status = d->exit.code;
		else if (d->exit.kind == EXIT_SIGNAL) {
			st->exit_signal = d->exit.code;
			st->exit_status = 128 + d->exit.code;
		}
	}
	pthread_mutex_unlock(&d->mu);
}

static int job_close(struct debugger *d, void *arg, struct errbuf *eb)
{
	if (d->eng && !d->gone) {
		struct exit_info ex;
		d->ops->detach(d->eng, d->launched, &ex, NULL);
	}
	if (d->eng)
		d->ops->close(d->eng);
	d->eng = NULL;
	return 0;
}

void debugger_free(struct debugger *d)
{
	if (!d)
		return;
	debugger_detach(d, d->launched, NULL);
	debugger_run_job(d, job_close, NULL, NULL);
	pthread_mutex_lock(&d->mu);
	d->quit = true;
	pthread_cond_broadcast(&d->job_cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->worker, NULL);

	for (size_t i = 0; i < d->tps.len; i++) {
		struct tracepoint *tp = d->tps.items[i];
		loc_release(&tp->ret_loc);
		free(tp->rt_ranges);
		free(tp->root_re);
		VEC_FREE(&tp->also);
		free(tp->sites);
		free(tp->plan);
		free(tp);
	}
	VEC_FREE(&d->tps);
	modules_free(d);
	symtab_close(d->first_st); /* the start failed before taking it */
	unwinder_free(d->unwinder);
	follow_free(d);
	for (size_t i = d->ev_head; i < d->events.len; i++)
		api_tracepoint_result_release(&d->events.items[i]);
	VEC_FREE(&d->events);
	VEC_FREE(&d->lost);
	for (size_t i = 0; i < d->recycled.len; i++)
		api_tracepoint_results_free(d->recycled.items[i].evs,
					    d->recycled.items[i].n);
	VEC_FREE(&d->recycled);
	free(d->spare);
	VEC_FREE(&d->forked);
	for (size_t i = 0; i < d->threads.len; i++)
		VEC_FREE(&d->threads.items[i].stack);
	VEC_FREE(&d->threads);
	free(d->tpos);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->job_cv);
	pthread_cond_destroy(&d->ev_cv);
	pthread_cond_destroy(&d->room_cv);
	free(d);
}

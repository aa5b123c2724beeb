/* Leaving the target: killed and reaped, or stopped, put back exactly as
 * the program would be without us, and let go. */
#include "engine/ptrace/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static void set_exit(struct exit_info *ex, int st)
{
	ex->kind = WIFEXITED(st) ? EXIT_STATUS : EXIT_SIGNAL;
	ex->code = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);
}

static int detach_kill(struct engine *e, struct exit_info *ex,
		       struct errbuf *eb)
{
	int st;
	pid_t tid;

	kill(e->pid, SIGKILL);
	/* Every traced thread's end must be reaped before the leader's is
	 * reported. */
	for (;;) {
		tid = waitpid(-1, &st, __WALL | __WNOTHREAD);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				break;
			return errbuf_set(eb, -errno, "waiting for process "
					  "%d: %s", (int)e->pid,
					  strerror(errno));
		}
		if (tid == e->pid && (WIFEXITED(st) || WIFSIGNALED(st))) {
			set_exit(ex, st);
			break;
		}
		/* A process the program started, kept traced: it goes on
		 * (its write without waiting). */
		if (pt_passenger_find(e, tid)) {
			pt_passenger_status(e, NULL, tid, st);
			continue;
		}
		/* A fork child not yet let go: it has our int3s. */
		if (WIFSTOPPED(st) && !pt_thread_find(e, tid) &&
		    pt_tgid_of(tid) != e->pid) {
			pt_release_child(e, tid);
			continue;
		}
		/* One of ours in a stop the kill did not end: its exit
		 * event (PTRACE_O_TRACEEXIT, which an engine draining a
		 * ring sets), or one reported as the kill came. It dies
		 * as it goes on. */
		if (WIFSTOPPED(st))
			ptrace(PTRACE_CONT, tid, NULL, NULL);
	}
	e->gone = true;
	return 0;
}

static bool trap_queued(pid_t tid)
{
	struct __ptrace_peeksiginfo_args a = {.off = 0, .flags = 0, .nr = 8};
	siginfo_t si[8];
	int n = (int)ptrace(PTRACE_PEEKSIGINFO, tid, &a, si);

	for (int i = 0; i < n; i++)
		if (si[i].si_signo == SIGTRAP && si[i].si_code == SI_KERNEL)
			return true;
	return false;
}

/* Is t waiting in vfork for a child we hold? It cannot stop until that
 * child execs or exits. */
static bool in_vfork(struct engine *e, const struct pt_thread *t)
{
	for (size_t i = 0; i < e->threads.len; i++)
		if (e->threads.items[i].foreign &&
		    e->threads.items[i].vfork_parent == t->tid)
			return true;
	return false;
}

static bool ours(struct engine *e, uint64_t rip)
{
	return pt_probe_find(e, rip - 1) || pt_dead_find(e, rip - 1);
}

/* Interrupts every thread and waits until each has stopped (but for a
 * vfork parent when skip_vfork: its child must go first). Returns 1 when the
 * process ended meanwhile (*ex filled), 0, or -errno. */
static int stop_all(struct engine *e, bool skip_vfork, struct exit_info *ex,
		    struct errbuf *eb)
{
	/* A leader that called pthread_exit: nothing to stop or restore. */
	struct pt_thread *lead = pt_thread_find(e, e->pid);
	if (lead && !(lead->state == TS_HELD && !lead->has_stash) &&
	    pt_is_zombie(e->pid))
		pt_thread_remove(e, e->pid);

	for (;;) {
		struct pt_thread *t = NULL;
		bool waiting = false;
		pid_t tid;
		int st;

		for (size_t i = 0; i < e->threads.len; i++) {
			struct pt_thread *u = &e->threads.items[i];
			if (u->state == TS_HELD && !u->has_stash)
				continue;
			if (!u->want && u->state != TS_STARTING &&
			    !u->has_stash)
				ptrace(PTRACE_INTERRUPT, u->tid, NULL, NULL);
			u->want = true;
			if (skip_vfork && !u->has_stash && in_vfork(e, u))
				continue;
			waiting = true;
			if (u->has_stash && !t)
				t = u;
		}
		if (!waiting)
			return 0;
		if (t) {
			t->has_stash = false;
			tid = t->tid;
			st = t->stash;
		} else {
			tid = waitpid(-1, &st, __WALL | __WNOTHREAD);
			if (tid < 0) {
				if (errno == EINTR)
					continue;
				return errbuf_set(eb, -errno, "waiting for "
						  "process %d: %s",
						  (int)e->pid, strerror(errno));
			}
		}
		t = pt_thread_find(e, tid);
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (tid == e->pid) {
				set_exit(ex, st);
				e->gone = true;
				return 1;
			}
			if (t)
				pt_thread_remove(e, tid);
			else
				pt_orphan_take(e, tid);
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (!t) {
			VEC_PUSH(&e->orphans, tid);
			continue;
		}
		int event = st >> 16, sig = WSTOPSIG(st);
		t->state = TS_HELD;
		t->want = false;
		t->group_stop = pt_is_group_stop(st);
		switch (event) {
		case 0:
			if (sig == (SIGTRAP | 0x80))
				break;
			if (sig == SIGTRAP) {
				/* Ours when it comes from an int3 we put
				 * there: the fix-up rewinds it. */
				struct user_regs_struct r;
				if (!ptrace(PTRACE_GETREGS, tid, NULL, &r) &&
				    ours(e, r.rip)) {
					t->trapped = 1;
					break;
				}
			}
			/* Dequeued for delivery: it goes with the detach. */
			t->resume_sig = sig;
			break;
		case PTRACE_EVENT_CLONE:
		case PTRACE_EVENT_FORK:
		case PTRACE_EVENT_VFORK:
			/* The event came before our interrupt, which is
			 * still pending; asking again costs nothing and
			 * does not depend on that. */
			pt_on_new_task(e, NULL, tid, event);
			t = pt_thread_find(e, tid);
			t->state = TS_RUNNING;
			t->want = true;
			ptrace(PTRACE_CONT, tid, NULL, NULL);
			ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
			break;
		case PTRACE_EVENT_EXEC:
			if (t->foreign) {
				/* The vfork child became another program,
				 * and its parent can stop now. */
				ptrace(PTRACE_DETACH, tid, NULL, NULL);
				pt_thread_remove(e, tid);
				break;
			}
			/* The threads, probes and pages are gone. */
			pt_exec_reset(e, NULL);
			break;
		default:
			break;
		}
	}
}

/* Puts a stopped thread back where it would be without us. */
static void fix_thread(struct engine *e, struct pt_thread *t)
{
	struct user_regs_struct r, r0;
	const struct pt_probe *pp;
	bool done;

	if (ptrace(PTRACE_GETREGS, t->tid, NULL, &r) < 0)
		return;
	r0 = r;
	/* Stopped right after our int3, the SIGTRAP either reported or
	 * still queued behind the interrupt (which the kernel reports
	 * first): the instruction there has not run. */
	if (!t->trapped && ours(e, r.rip))
		t->trapped = trap_queued(t->tid) ? 2 : 0;
	if (t->trapped)
		r.rip--;
	/* In an out-of-line slot: at its start nothing ran yet; at the jmp
	 * back the instruction did. */
	pp = pt_slot_find(e, r.rip, &done);
	if (pp)
		r.rip = done ? pp->addr + pp->insn.len : pp->addr;
	/* Pending tail-call returns: nothing of theirs is in the stack. */
	t->pending.len = 0;
	if (memcmp(&r, &r0, sizeof(r)))
		ptrace(PTRACE_SETREGS, t->tid, NULL, &r);
}

/* A SIGTRAP of our int3 still queued would kill the process once we are
 * gone: let the thread dequeue it into a signal-delivery stop, which the
 * detach then discards. The code is already restored, and a thread takes
 * its signals before it runs an instruction; a signal dequeued first (the
 * kernel takes synchronous ones first, so rarely) is delivered on the
 * way. */
static void consume_trap(struct pt_thread *t)
{
	int st;

	for (int n = 0; n < 16 && trap_queued(t->tid); n++) {
		if (ptrace(PTRACE_CONT, t->tid, NULL,
			   (void *)(long)t->resume_sig) < 0)
			return;
		t->resume_sig = 0;
		while (waitpid(t->tid, &st, __WALL) < 0)
			if (errno != EINTR)
				return;
		if (!WIFSTOPPED(st))
			return;
		if (!(st >> 16) && WSTOPSIG(st) != SIGTRAP &&
		    WSTOPSIG(st) != (SIGTRAP | 0x80))
			t->resume_sig = WSTOPSIG(st);
	}
}

/* Lets go of every held thread (the code is restored). */
static void detach_held(struct engine *e)
{
	for (size_t i = e->threads.len; i-- > 0;) {
		struct pt_thread *t = &e->threads.items[i];
		pid_t tid = t->tid;
		int st;

		if (t->state != TS_HELD || t->has_stash)
			continue;
		consume_trap(t);
		if (ptrace(PTRACE_DETACH, tid, NULL,
			   (void *)(long)t->resume_sig) < 0 &&
		    errno == ESRCH && tid != e->pid) {
			/* Killed meanwhile: a traced thread stays a zombie
			 * until its tracer reaps it. */
			while (waitpid(tid, &st, __WALL) < 0 && errno == EINTR)
				;
		}
		pt_thread_remove(e, tid);
	}
}

static void restore_code(struct engine *e, int *err, struct errbuf *eb)
{
	if (e->hooks.restore)
		e->hooks.restore(e->hooks.ctx);
	for (size_t i = 0; i < e->probe_cap; i++) {
		const struct pt_probe *pp = &e->probes[i];
		int r;
		if (pp->p && (r = pt_mem_write(e, pp->addr, &pp->orig, 1))) {
			*err = r;
			errbuf_set(eb, r, "restoring the code at 0x%" PRIx64
				   ": %s", pp->addr, strerror(-r));
		}
	}
}

int pt_detach(struct engine *e, bool kill, struct exit_info *ex,
	      struct errbuf *eb)
{
	int err = 0, r;

	ex->kind = EXIT_DETACHED;
	ex->code = 0;
	if (e->gone)
		return 0;
	if (kill) {
		err = detach_kill(e, ex, eb);
		pt_pin_widen(e);
		return err;
	}
	/* Everything stopped first (a vfork parent cannot be until its
	 * child goes), then put back, then let go. */
	r = stop_all(e, true, ex, eb);
	if (r) {
		pt_pin_widen(e);
		return r < 0 ? r : 0;
	}
	for (size_t i = 0; i < e->threads.len; i++)
		if (e->threads.items[i].state == TS_HELD)
			fix_thread(e, &e->threads.items[i]);
	restore_code(e, &err, eb);
	/* Stopped children whose event never came: fork children get their
	 * code back; threads of ours have run nothing yet. */
	for (size_t i = 0; i < e->orphans.len; i++) {
		pid_t o = e->orphans.items[i];
		if (pt_tgid_of(o) != e->pid)
			pt_release_child(e, o);
		else
			ptrace(PTRACE_DETACH, o, NULL, NULL);
	}
	e->orphans.len = 0;
	pt_pin_widen(e);
	detach_held(e);
	/* vfork parents, free to stop now that their children are gone. */
	if (e->threads.len) {
		r = stop_all(e, false, ex, eb);
		if (r) {
			e->gone = true;
			return r < 0 ? r : 0;
		}
		for (size_t i = 0; i < e->threads.len; i++)
			fix_thread(e, &e->threads.items[i]);
		detach_held(e);
	}
	e->gone = true;
	e->guard_ok = !err;
	return err;
}

/* Leaving the target: killed and reaped, or stopped, put back exactly as
 * the program would be without us, and let go. */
#include "engine/ptrace/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

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
		/* A fork child not yet let go: it has our int3s. */
		if (WIFSTOPPED(st) && !pt_thread_find(e, tid) &&
		    pt_tgid_of(tid) != e->pid)
			pt_release_child(e, tid, NULL);
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

/* Interrupts every thread and waits until each has stopped. Returns 1 when
 * the process ended meanwhile (*ex filled), 0, or -errno. */
static int stop_all(struct engine *e, struct exit_info *ex,
		    struct errbuf *eb)
{
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
		switch (event) {
		case 0:
			if (sig == (SIGTRAP | 0x80))
				break;
			if (sig == SIGTRAP) {
				/* Ours when it comes from an int3 we put
				 * there: the fix-up rewinds it. */
				struct user_regs_struct r;
				if (!ptrace(PTRACE_GETREGS, tid, NULL, &r) &&
				    (pt_probe_find(e, r.rip - 1) ||
				     (e->tramp && r.rip - 1 == e->tramp))) {
					t->trapped = true;
					break;
				}
			}
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
			pt_probes_forget(e);
			pt_memfd_open(e, NULL);
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

	if (ptrace(PTRACE_GETREGS, t->tid, NULL, &r) < 0)
		return;
	r0 = r;
	/* Stopped right after our int3, the SIGTRAP either reported or
	 * still queued behind the interrupt (which the kernel reports
	 * first): the instruction there has not run. */
	if (!t->trapped && (pt_probe_find(e, r.rip - 1) ||
			    (e->tramp && r.rip - 1 == e->tramp)))
		t->trapped = trap_queued(t->tid) ? 2 : 0;
	if (t->trapped) {
		if (e->tramp && r.rip - 1 == e->tramp) {
			r.rip = e->tramp;
			pt_tramp_pop(e, t, &r, NULL, 0);
		} else {
			r.rip--;
		}
	}
	/* In an out-of-line slot: at its start nothing ran yet; at the jmp
	 * back the instruction did. */
	if (e->xol && r.rip >= e->xol && r.rip < e->xol + e->xol_size) {
		for (size_t i = 0; i < e->probe_cap; i++) {
			const struct pt_probe *pp = &e->probes[i];
			if (!pp->p || pp->how != HOW_XOL)
				continue;
			if (r.rip == pp->slot)
				r.rip = pp->addr;
			else if (r.rip == pp->slot + pp->insn.len)
				r.rip = pp->addr + pp->insn.len;
			else
				continue;
			break;
		}
	}
	/* Return addresses we replaced, newest first so that a slot taken
	 * twice ends with the real one. */
	for (size_t i = t->shadow.len; i-- > 0;)
		pt_mem_write(e, t->shadow.items[i].slot,
			     &t->shadow.items[i].orig_ret, 8);
	t->shadow.len = 0;
	if (memcmp(&r, &r0, sizeof(r)))
		ptrace(PTRACE_SETREGS, t->tid, NULL, &r);
}

/* A SIGTRAP of our int3 still queued would kill the process once we are
 * gone: let the thread dequeue it into a signal-delivery stop, which the
 * detach then discards. The code is already restored, so the thread runs
 * no instruction before the signal is taken. */
static void consume_trap(struct pt_thread *t)
{
	int st;

	if (ptrace(PTRACE_CONT, t->tid, NULL, NULL) < 0)
		return;
	while (waitpid(t->tid, &st, __WALL) < 0)
		if (errno != EINTR)
			return;
	if (WIFSTOPPED(st) && !(st >> 16) && WSTOPSIG(st) != SIGTRAP &&
	    WSTOPSIG(st) != (SIGTRAP | 0x80))
		t->resume_sig = WSTOPSIG(st);
}

int pt_detach(struct engine *e, bool kill, struct exit_info *ex,
	      struct errbuf *eb)
{
	int err;

	ex->kind = EXIT_DETACHED;
	ex->code = 0;
	if (e->gone)
		return 0;
	if (kill) {
		err = detach_kill(e, ex, eb);
		pt_pin_widen(e);
		return err;
	}
	err = stop_all(e, ex, eb);
	if (err) {
		pt_pin_widen(e);
		return err < 0 ? err : 0;
	}
	for (size_t i = 0; i < e->threads.len; i++)
		fix_thread(e, &e->threads.items[i]);
	for (size_t i = 0; i < e->probe_cap; i++) {
		const struct pt_probe *pp = &e->probes[i];
		if (pp->p && (err = pt_mem_write(e, pp->addr, &pp->orig, 1)))
			errbuf_set(eb, err, "restoring the code at 0x%" PRIx64
				   ": %s", pp->addr, strerror(-err));
	}
	/* Fork children seen stopped whose event never came. */
	for (size_t i = 0; i < e->orphans.len; i++)
		if (pt_tgid_of(e->orphans.items[i]) != e->pid)
			pt_release_child(e, e->orphans.items[i], NULL);
	e->orphans.len = 0;
	pt_pin_widen(e);
	for (size_t i = 0; i < e->threads.len; i++) {
		struct pt_thread *t = &e->threads.items[i];
		if (t->trapped == 2)
			consume_trap(t);
		ptrace(PTRACE_DETACH, t->tid, NULL,
		       (void *)(long)t->resume_sig);
	}
	e->gone = true;
	return err;
}

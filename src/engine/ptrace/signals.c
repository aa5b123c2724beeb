/* signals: --signals, as ptrace sees them. At a signal's delivery stop the
 * kernel's siginfo says who sent it and why; when the program catches it,
 * one single-step with the signal delivers it and stops the thread at the
 * first instruction of its handler, which names the handler (the way
 * gdb steps into one). The signal is delivered exactly as untraced. */
#include "engine/ptrace/internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

/* Whether the process of tid has a handler for sig (SigCgt). */
static bool caught(pid_t tid, int sig)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	if (!(f = fopen(path, "re")))
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigCgt: %llx", &mask) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return found && sig >= 1 && sig <= 64 && (mask >> (sig - 1)) & 1;
}

bool pt_on_signal(struct engine *e, const struct engine_callbacks *cb,
		  struct pt_thread *t, int sig, uint64_t time_ns)
{
	struct signal_event s = {.tid = t->tid, .signo = sig,
				 .time_ns = time_ns};
	struct user_regs_struct r;
	siginfo_t si;
	bool resumed = false;
	int st;

	memset(&si, 0, sizeof(si));
	if (ptrace(PTRACE_GETSIGINFO, t->tid, NULL, &si) == 0) {
		s.code = si.si_code;
		switch (sig) {
		case SIGSEGV:
		case SIGBUS:
		case SIGILL:
		case SIGFPE:
			if (si.si_code > 0) {
				s.addr = (uint64_t)(uintptr_t)si.si_addr;
				break;
			}
			/* sent by someone: as any other */
			__attribute__((fallthrough));
		default:
			s.pid = si.si_pid;
			s.uid = si.si_uid;
			if (sig == SIGCHLD)
				s.status = si.si_status;
		}
		/* Ours (a session of --follow-forks waking its process):
		 * not the program's doing. */
		if (si.si_code <= 0 && si.si_pid == getpid())
			return false;
	}
	if (sig != SIGKILL && sig != SIGSTOP && caught(t->tid, sig) &&
	    ptrace(PTRACE_SINGLESTEP, t->tid, NULL, (void *)(long)sig) == 0) {
		resumed = true;
		while (waitpid(t->tid, &st, __WALL) < 0)
			if (errno != EINTR)
				break;
		if (WIFSTOPPED(st) && !(st >> 16) && WSTOPSIG(st) == SIGTRAP &&
		    ptrace(PTRACE_GETREGS, t->tid, NULL, &r) == 0) {
			s.handler = r.rip;
		} else {
			/* Another signal first, or the end: the run loop's
			 * to handle; the handler stays unnamed. */
			t->has_stash = true;
			t->stash = st;
		}
	}
	if (cb && cb->on_signal)
		cb->on_signal(cb->ctx, &s);
	if (resumed && !t->has_stash) {
		t->state = TS_RUNNING;
		ptrace(pt_resume_req(e, t->tid), t->tid, NULL, NULL);
	} else if (resumed) {
		t->state = TS_RUNNING;
	}
	return resumed;
}

/* syscalls: the system calls --syscalls reports, as ptrace sees them.
 *
 * A launched program gets a seccomp filter before its exec (inherited by
 * every process it starts) that returns SECCOMP_RET_TRACE for the matched
 * calls only: one PTRACE_EVENT_SECCOMP stop at each one's entry, and the
 * calls that do not match cost a few BPF instructions in the kernel. The
 * thread is then resumed with PTRACE_SYSCALL for that call's exit stop,
 * and with PTRACE_CONT after it. An attached process cannot be given a
 * filter: its threads run under PTRACE_SYSCALL and every call stops twice
 * (the frontend says so). PTRACE_GET_SYSCALL_INFO tells each stop apart. */
#include "engine/ptrace/internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <time.h>
#include <unistd.h>

/* The writes the output ordering stops (launch_opts.order_fds). */
static const unsigned order_nrs[] = {
	__NR_write, __NR_writev, __NR_pwrite64, __NR_pwritev, __NR_pwritev2,
	__NR_sendto, __NR_sendmsg, __NR_sendmmsg, __NR_sendfile,
};
#define NORDER (sizeof(order_nrs) / sizeof(order_nrs[0]))
#define DATA_SYSCALL 1
#define DATA_ORDER 2

static bool in_set(const uint8_t *set, unsigned nr)
{
	return nr < 1024 && (set[nr / 8] & (1u << (nr % 8)));
}

void pt_filter_install(unsigned order_mask, const uint8_t *syscalls)
{
	/* 4 for the arch, 2 per traced call (at most 1024), the order
	 * part: no malloc in the child after fork, so on the stack. */
	struct sock_filter f[4 + 2 * 1024 + NORDER + 8];
	struct sock_fprog prog;
	unsigned n = 0;

	/* Another ABI (x32, i386 int 0x80): its numbers mean other calls. */
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, nr));
	/* Each traced call: a compare and its own return (a jump over the
	 * whole list would not fit BPF's 8-bit offsets). An ordered write
	 * among them is told apart at the stop. */
	for (unsigned nr = 0; syscalls && nr < 1024; nr++) {
		if (!in_set(syscalls, nr))
			continue;
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_TRACE | DATA_SYSCALL);
	}
	if (order_mask & 6) {
		/* A matching number jumps to the fd check after the list;
		 * none falls through to ALLOW. */
		for (unsigned i = 0; i < NORDER; i++)
			f[n++] = (struct sock_filter)BPF_JUMP(
				BPF_JMP | BPF_JEQ | BPF_K, order_nrs[i],
				(unsigned char)(NORDER - i), 0);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_ALLOW);
		/* The low half of args[0] (little endian): the fd. */
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			offsetof(struct seccomp_data, args[0]));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			1, (order_mask & 2) ? 2 : 0, 0);
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			2, (order_mask & 4) ? 1 : 0, 0);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_ALLOW);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_TRACE | DATA_ORDER);
	} else {
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
			SECCOMP_RET_ALLOW);
	}
	prog.len = (unsigned short)n;
	prog.filter = f;
	/* Without CAP_SYS_ADMIN the kernel wants no_new_privs first; a
	 * set-uid program gains nothing under a tracer without that
	 * capability anyway, so it changes nothing the program could see.
	 * Failing to install it (a kernel without seccomp) only leaves the
	 * output unordered and the calls unreported. */
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
		syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int pt_resume_req(struct engine *e, pid_t tid)
{
	const struct pt_thread *t;

	if (!e->has_syscalls)
		return PTRACE_CONT;
	if (e->sys_stops)
		return PTRACE_SYSCALL;
	t = pt_thread_find(e, tid);
	return t && t->sys_exit ? PTRACE_SYSCALL : PTRACE_CONT;
}

static int sc_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return pt_mem_read(ctx, addr, buf, len);
}

static int sc_read_reg(void *ctx, int reg, void *buf, size_t len)
{
	(void)ctx;
	(void)reg;
	memset(buf, 0, len);
	return -EINVAL; /* the args are in the event, not read as regs */
}

static void report(struct engine *e, const struct engine_callbacks *cb,
		   struct syscall_event *s)
{
	struct target_access acc = {
		.ctx = e,
		.read_mem = sc_read_mem,
		.read_reg = sc_read_reg,
		.bias = e->bias,
	};

	s->acc = &acc;
	if (cb && cb->on_syscall)
		cb->on_syscall(cb->ctx, s);
	s->acc = NULL; /* valid only during the callback */
}

/* An ordered write's stop: the args say which fd. */
static bool ordered(const struct engine *e, unsigned nr, uint64_t fd)
{
	if (!e->order || (fd != 1 && fd != 2))
		return false;
	for (unsigned i = 0; i < NORDER; i++)
		if (order_nrs[i] == nr)
			return true;
	return false;
}

bool pt_seccomp_is_output(struct engine *e, pid_t tid)
{
	struct __ptrace_syscall_info si;

	memset(&si, 0, sizeof(si));
	return ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(si),
		      &si) > 0 &&
	       si.op == PTRACE_SYSCALL_INFO_SECCOMP &&
	       ordered(e, (unsigned)si.seccomp.nr, si.seccomp.args[0]);
}

void pt_on_syscall_stop(struct engine *e, const struct engine_callbacks *cb,
			pid_t tid, uint64_t time_ns)
{
	struct __ptrace_syscall_info si;
	struct pt_thread *t = pt_thread_find(e, tid);
	struct syscall_event s = {.tid = tid, .time_ns = time_ns};
	long n;

	memset(&si, 0, sizeof(si));
	n = ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(si), &si);
	if (n <= 0 || !t)
		return;
	switch (si.op) {
	case PTRACE_SYSCALL_INFO_SECCOMP:
		s.nr = (int)si.seccomp.nr;
		if (ordered(e, (unsigned)s.nr, si.seccomp.args[0]) && cb &&
		    cb->on_output)
			cb->on_output(cb->ctx, tid);
		if (!e->has_syscalls || !in_set(e->syscalls, (unsigned)s.nr))
			return;
		memcpy(s.args, si.seccomp.args, sizeof(s.args));
		t->sys_exit = true;
		report(e, cb, &s);
		return;
	case PTRACE_SYSCALL_INFO_ENTRY:
		s.nr = (int)si.entry.nr;
		if (!e->has_syscalls || !in_set(e->syscalls, (unsigned)s.nr))
			return;
		memcpy(s.args, si.entry.args, sizeof(s.args));
		t->sys_exit = true;
		report(e, cb, &s);
		return;
	case PTRACE_SYSCALL_INFO_EXIT:
		if (!t->sys_exit)
			return;
		t->sys_exit = false;
		s.is_exit = true;
		s.ret = si.exit.rval;
		/* The number is not in an exit's info: the entry's orig_rax
		 * is still in the registers. */
		errno = 0;
		n = ptrace(PTRACE_PEEKUSER, tid,
			   (void *)offsetof(struct user_regs_struct, orig_rax),
			   NULL);
		s.nr = errno ? -1 : (int)n;
		report(e, cb, &s);
		return;
	default:
		return;
	}
}

void pt_syscall_exec(struct engine *e, const struct engine_callbacks *cb,
		     pid_t tid, uint64_t time_ns)
{
	struct pt_thread *t = pt_thread_find(e, tid);
	struct syscall_event s = {.tid = tid, .time_ns = time_ns,
				  .is_exit = true, .nr = __NR_execve};

	if (!t || !t->sys_exit)
		return;
	t->sys_exit = false;
	report(e, cb, &s);
}

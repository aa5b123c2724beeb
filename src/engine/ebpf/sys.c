/* sys: --syscalls through the raw_syscalls tracepoints (sys.h). */
#include "engine/ebpf/sys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sym/ctype.h"
#include "value/value.h"

/* A loc in DWARF register reg (the capture plan reads the record's). */
static void reg_loc(int reg, struct loc *out)
{
	out->pieces = xcalloc(1, sizeof(*out->pieces));
	out->npieces = 1;
	out->pieces[0].kind = LOC_REG;
	out->pieces[0].reg = reg;
}

int ebpf_sys_plans(int nr, struct cap_plan *entry, struct cap_plan *exit)
{
	const struct proto *p = syscall_proto(nr);
	const struct ctype *rt;
	struct loc l;
	int err = 0;

	capture_plan_init(entry);
	capture_plan_init(exit);
	if (!p)
		return 0; /* shown as six registers: nothing to copy */
	/* The decoder's reads at the entry (debugger/syscalls.c): each
	 * argument by its type, from the register the kernel takes it in,
	 * with the frontend's load configuration. */
	for (size_t i = 0; i < p->nparams && i < 6 && !err; i++) {
		syscall_arg_loc((int)i, &l);
		err = capture_add_value(entry, p->params[i], &l, &LOAD_SHORT,
					false, 0);
		loc_release(&l);
	}
	/* At the exit, the result as the decoder loads it (a scalar or a
	 * pointer), here from rax. */
	rt = p->ret;
	if (!err && rt &&
	    (rt->kind == CT_INT || rt->kind == CT_ENUM || rt->kind == CT_PTR ||
	     rt->kind == CT_BOOL)) {
		reg_loc(0, &l);
		err = capture_add_value(exit, rt, &l, &LOAD_SHORT, false, 0);
		loc_release(&l);
	}
	return err;
}

static bool in_set(const uint8_t *set, int nr)
{
	return set[nr / 8] & (1u << (nr % 8));
}

int ebpf_sys_setup(struct ebpf_sys *s, struct bpfobj *bo, const uint8_t *set,
		   uint8_t *pt_set, struct errbuf *eb)
{
	struct cap_plan entry, exit;
	uint32_t ids[2];
	int err;

	if ((err = bpfobj_sys_attach(bo, eb)))
		return err;
	for (int nr = 0; nr < SYSCALL_MAX && nr < CAPBPF_SYS_MAX; nr++) {
		if (!in_set(set, nr))
			continue;
		/* A call whose values eBPF cannot copy stays with ptrace. */
		if (ebpf_sys_plans(nr, &entry, &exit) ||
		    bpfobj_plan(bo, &entry, &ids[0], eb) ||
		    bpfobj_plan(bo, &exit, &ids[1], eb))
			continue;
		if ((err = bpfobj_sys_select(bo, nr, ids[0], ids[1], eb))) {
			bpfobj_sys_detach(bo);
			return err;
		}
		pt_set[nr / 8] &= (uint8_t)~(1u << (nr % 8));
	}
	s->bo = bo;
	return 0;
}

void ebpf_sys_add_pid(struct ebpf_sys *s, pid_t pid)
{
	/* The map holds 1024 processes; a failure here would only lose this
	 * one's calls, which one engine per process never reaches. */
	if (s->bo)
		(void)bpfobj_sys_pid(s->bo, pid, true);
}

void ebpf_sys_remove_pid(struct ebpf_sys *s, pid_t pid)
{
	if (s->bo)
		(void)bpfobj_sys_pid(s->bo, pid, false);
}

void ebpf_sys_mute(struct ebpf_sys *s, pid_t tid, bool begin)
{
	/* A failure shows the tracer's mmap as the program's: harmless. */
	if (s->bo)
		(void)bpfobj_sys_mute(s->bo, tid, begin);
}

void ebpf_sys_stop(struct ebpf_sys *s)
{
	if (s->bo)
		bpfobj_sys_detach(s->bo);
	s->bo = NULL;
}

/* The thread's call in flight, or -1. */
static ssize_t inflight_find(struct ebpf_sys *s, pid_t tid)
{
	for (size_t i = 0; i < s->inflight.len; i++)
		if (s->inflight.items[i].tid == tid)
			return (ssize_t)i;
	return -1;
}

void ebpf_sys_record(struct ebpf_sys *s, const struct cap_record_hdr *hdr,
		     const struct target_access *acc, uint64_t time_ns,
		     const struct engine_callbacks *cb)
{
	struct syscall_event ev = {
		.tid = (pid_t)hdr->tid,
		.nr = (int)(hdr->probe & (CAPBPF_SYS_MAX - 1)),
		.is_exit = (hdr->probe & CAPBPF_SYS_EXIT) != 0,
		.time_ns = time_ns,
		.acc = acc,
	};
	ssize_t at = inflight_find(s, ev.tid);

	if (ev.is_exit) {
		/* Only the exit of an entry reported: not that of a call
		 * the process was in when it was attached, nor the launch's
		 * own execve. */
		if (at < 0)
			return;
		s->inflight.items[at] = s->inflight.items[--s->inflight.len];
		ev.ret = (int64_t)hdr->regs[0];
	} else {
		struct ebpf_sys_inflight f = {.tid = ev.tid, .nr = ev.nr};

		/* Where the kernel takes them: rdi rsi rdx r10 r8 r9. */
		ev.args[0] = hdr->regs[5];
		ev.args[1] = hdr->regs[4];
		ev.args[2] = hdr->regs[1];
		ev.args[3] = hdr->regs[10];
		ev.args[4] = hdr->regs[8];
		ev.args[5] = hdr->regs[9];
		/* A call that never returned (exit, a lost record) is
		 * replaced by this one. */
		if (at >= 0)
			s->inflight.items[at] = f;
		else
			VEC_PUSH(&s->inflight, f);
	}
	if (cb && cb->on_syscall)
		cb->on_syscall(cb->ctx, &ev);
}

void ebpf_sys_free(struct ebpf_sys *s)
{
	ebpf_sys_stop(s);
	VEC_FREE(&s->inflight);
}

char *ebpf_sys_fallback_note(const char *why)
{
	return xasprintf("eBPF: the raw_syscalls tracepoints cannot serve --syscalls (%s); ptrace stops serve them",
			 why);
}

void ebpf_sys_note_stops(char **note)
{
	const char *stops = "every system call of the attached process stops";
	char *n = *note ? xasprintf("%s: %s", *note, stops)
			: xasprintf("eBPF: %s", stops);

	free(*note);
	*note = n;
}

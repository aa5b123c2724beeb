/* The run loop: one waitpid for every event of every thread, a hit handled
 * in one stop, and the thread, clone, fork and exec events around it. */
#include "engine/ptrace/internal.h"
#include "engine/ptrace/ptrace.h"

#include "capture/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* run's answers to the loop: go on, stop (a callback asked, or we were
 * asked), or the process is gone. */
enum { RUN_GO = 0, RUN_STOP = 1, RUN_EXITED = 2 };

/* The signal request_stop sends the engine thread: its handler does
 * nothing, and it is installed without SA_RESTART, so that a waitpid in
 * progress fails with EINTR and the loop looks at the stop flag. */
static int stop_signal(void)
{
	return SIGRTMIN + 6;
}

static void stop_handler(int sig)
{
	(void)sig;
}

static pthread_once_t stop_once = PTHREAD_ONCE_INIT;

static void stop_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(stop_signal(), &sa, NULL);
}

void pt_request_stop(struct engine *e)
{
	atomic_store(&e->stop, true);
	/* The engine thread may test the flag just before it blocks in
	 * waitpid: signal it again until it has seen the flag (it clears it)
	 * or the run is over. */
	for (int i = 0; i < 5000; i++) {
		if (!atomic_load(&e->in_run) || !atomic_load(&e->stop))
			return;
		pthread_kill(e->runner, stop_signal());
		usleep(i < 10 ? 100 : 1000);
	}
}

static void pending_reentered(struct engine *e, struct pt_thread *t,
			      const struct probe *p, uint64_t rsp,
			      const uint64_t *ret_at);
static void pending_unwound(struct engine *e, struct pt_thread *t,
			    uint64_t rsp);

void ptrace_engine_hit_seen(struct engine *e, pid_t tid,
			    const struct probe *p, uint64_t rsp,
			    const uint64_t *ret)
{
	struct pt_thread *t = pt_thread_find(e, tid);

	if (!t || !t->pending.len)
		return;
	pending_unwound(e, t, rsp);
	if (t->pending.len && ret && p->kind == PROBE_ENTRY)
		pending_reentered(e, t, p, rsp, ret);
}

void ptrace_engine_set_hooks(struct engine *e, const struct ptrace_hooks *h)
{
	if (h)
		e->hooks = *h;
	else
		memset(&e->hooks, 0, sizeof(e->hooks));
}

int ptrace_engine_write_mem(struct engine *e, uint64_t addr, const void *buf,
			    size_t len)
{
	return pt_mem_write(e, addr, buf, len);
}

int ptrace_engine_poke(pid_t tid, uint64_t addr, const void *buf, size_t len)
{
	return pt_poke(tid, addr, buf, len);
}

void ptrace_engine_set_drain(struct engine *e, int (*drain)(void *ctx),
			     void *ctx)
{
	e->drain = drain;
	e->drain_ctx = ctx;
	/* Exit stops while there is a drain (pt_options); the threads are
	 * stopped between runs, and the ones they start inherit them. */
	for (size_t i = 0; i < e->threads.len; i++)
		ptrace(PTRACE_SETOPTIONS, e->threads.items[i].tid, NULL,
		       (void *)pt_options(e));
}

void ptrace_engine_set_drain_some(struct engine *e,
				  int (*drain_some)(void *ctx))
{
	e->drain_some = drain_some;
}

void ptrace_engine_more(struct engine *e)
{
	e->more = true;
}

void ptrace_engine_wake(struct engine *e)
{
	atomic_store(&e->wake, true);
	/* As request_stop: the engine thread may be about to block in
	 * waitpid; signal until it has drained (it clears the flag). */
	for (int i = 0; i < 20000; i++) {
		if (!atomic_load(&e->in_run) || !atomic_load(&e->wake))
			return;
		pthread_kill(e->runner, stop_signal());
		usleep(i < 20 ? 50 : 1000);
	}
}

/* The other engine's events first: each happened before this stop was
 * seen (a BPF program runs in the thread, before it goes on). */
static int run_drain(struct engine *e)
{
	if (!e->drain)
		return 0;
	atomic_store(&e->wake, false);
	e->more = false;
	return e->drain(e->drain_ctx);
}

/* At the loop's top: a batch, when the engine on top can give one. */
static int run_drain_some(struct engine *e)
{
	if (!e->drain || !e->drain_some)
		return run_drain(e);
	atomic_store(&e->wake, false);
	e->more = false;
	return e->drain_some(e->drain_ctx);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A general register by its DWARF number, or NULL. */
static unsigned long long *reg_slot(struct user_regs_struct *r, int reg)
{
	switch (reg) {
	case DREG_RAX: return &r->rax;
	case DREG_RDX: return &r->rdx;
	case DREG_RCX: return &r->rcx;
	case DREG_RBX: return &r->rbx;
	case DREG_RSI: return &r->rsi;
	case DREG_RDI: return &r->rdi;
	case DREG_RBP: return &r->rbp;
	case DREG_RSP: return &r->rsp;
	case DREG_R8: return &r->r8;
	case DREG_R9: return &r->r9;
	case DREG_R10: return &r->r10;
	case DREG_R11: return &r->r11;
	case DREG_R12: return &r->r12;
	case DREG_R13: return &r->r13;
	case DREG_R14: return &r->r14;
	case DREG_R15: return &r->r15;
	case DREG_RIP: return &r->rip;
	case DREG_FS_BASE: return &r->fs_base;
	default: return NULL;
	}
}

/* What the callback reads through: the registers of the hit, with the FP
 * state fetched only when a float is asked for. */
struct hit_ctx {
	struct engine *e;
	pid_t tid;
	struct user_regs_struct *r;
	bool fp_loaded;
	struct user_fpregs_struct fp;
};

static int acc_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct hit_ctx *h = ctx;

	return pt_mem_read(h->e, addr, buf, len);
}

/* The SSE and x87 registers, read once per hit and only when asked for:
 * most hits need the general registers alone. */
static int load_fp(struct hit_ctx *h)
{
	if (h->fp_loaded)
		return 0;
	if (ptrace(PTRACE_GETFPREGS, h->tid, NULL, &h->fp) < 0)
		return -1;
	h->fp_loaded = true;
	return 0;
}

static int acc_read_reg(void *ctx, int reg, void *buf, size_t len)
{
	struct hit_ctx *h = ctx;
	const void *src;
	size_t size;

	if (reg >= DREG_XMM0 && reg < DREG_XMM0 + 16) {
		if (load_fp(h))
			return -errno;
		src = &h->fp.xmm_space[(reg - DREG_XMM0) * 4];
		size = 16;
	} else if (reg >= DREG_ST0 && reg < DREG_ST0 + 8) {
		if (load_fp(h))
			return -errno;
		/* st_space holds st(i) in 16-byte slots, as fxsave does:
		 * st(i) is the i-th from the top, which is what DWARF
		 * means. */
		src = &h->fp.st_space[(reg - DREG_ST0) * 4];
		size = 10;
	} else {
		unsigned long long *p = reg_slot(h->r, reg);
		if (!p)
			return -EINVAL;
		src = p;
		size = 8;
	}
	memcpy(buf, src, len < size ? len : size);
	if (len > size)
		memset((uint8_t *)buf + size, 0, len - size);
	return 0;
}

/* TINYDBG_CAPTURE_CHECK=1: the test oracle of the capture plans. Each
 * hit of a probe with a plan runs it (capture_run) against the stopped
 * thread and hands on_hit the record's snapshot instead of the thread, so
 * that the whole suite shows whether a plan copies everything the
 * debugger reads at a hit: what it missed prints as unreadable. */
static bool capture_check;
static pthread_once_t capture_check_once = PTHREAD_ONCE_INIT;

static void capture_check_init(void)
{
	const char *s = getenv("TINYDBG_CAPTURE_CHECK");

	capture_check = s && *s && strcmp(s, "0");
}

#define CHECK_REC_MAX                                                          \
	(sizeof(struct cap_record_hdr) + CAP_MAX_DATA +                        \
	 (CAP_MAX_OPS * CAP_MAX_REP + CAP_MAX_CHAIN) *                         \
		 (sizeof(struct cap_chunk) + 8))

static int check_read(void *ctx, uint64_t addr, void *buf, size_t len,
		      unsigned flags)
{
	return pt_mem_read(ctx, addr, buf, len);
}

/* Runs p's plan at the hit into rec; fills snap and acc to read it.
 * Returns false when the hit is to be read live (no plan, or it failed). */
static bool capture_check_run(struct hit_ctx *hc, const struct probe *p,
			      void *rec, struct capture_snapshot *snap,
			      struct target_access *acc)
{
	uint64_t regs[CAP_NREGS];
	long n;

	for (int i = 0; i < CAP_NREGS; i++) {
		unsigned long long *r = reg_slot(hc->r, i);
		regs[i] = r ? *r : 0;
	}
	n = capture_run(p->plan, regs, check_read, hc->e, rec, CHECK_REC_MAX);
	if (n < 0)
		return false;
	/* As the in-process engine copies them: only the plan's registers,
	 * so that a register it misses prints as unreadable here too. */
	{
		struct cap_record_hdr *h = rec;

		h->absent = CAP_REGS_ALL & ~p->plan->regmask;
		for (int i = 0; i < CAP_NREGS; i++)
			if (h->absent & (1u << i))
				h->regs[i] = 0;
	}
	if (p->plan->flags & CAP_PLAN_XMM) {
		struct cap_record_hdr *h = rec;

		if (load_fp(hc))
			return false;
		memcpy(h->xmm, hc->fp.xmm_space, sizeof(h->xmm));
		h->flags |= CAP_REC_XMM;
	}
	if (capture_snapshot_init(snap, rec, (size_t)n))
		return false;
	capture_snapshot_access(snap, acc);
	return true;
}

static int call_hit(struct engine *e, const struct engine_callbacks *cb,
		    pid_t tid, struct user_regs_struct *r,
		    const struct probe *p, bool is_return, uint64_t sp,
		    uint64_t time_ns)
{
	struct hit_ctx hc = {.e = e, .tid = tid, .r = r};
	struct target_access acc = {
		.ctx = &hc,
		.read_mem = acc_read_mem,
		.read_reg = acc_read_reg,
		.bias = e->bias,
	};
	struct hit h = {
		.probe = p,
		.is_return = is_return,
		.tid = tid,
		.time_ns = time_ns,
		.sp = sp,
		.acc = &acc,
	};

	struct capture_snapshot snap;
	void *rec = NULL;
	int ret;

	pt_pin_note_hit(e, tid);
	if (!cb || !cb->on_hit)
		return 0;
	pthread_once(&capture_check_once, capture_check_init);
	if (capture_check && p->plan) {
		/* The record has room for any plan; only the FP registers'
		 * read can fail, and then the hit is read live. */
		rec = xmalloc(CHECK_REC_MAX);
		capture_check_run(&hc, p, rec, &snap, &acc);
	}
	ret = cb->on_hit(cb->ctx, &h);
	free(rec);
	return ret;
}

int pt_operand(struct engine *e, const struct user_regs_struct *r,
	       const struct insn *in, uint64_t *out)
{
	struct user_regs_struct rr = *r;
	uint64_t a = 0;

	/* rip in an operand means the next instruction. */
	rr.rip = in->addr + in->len;
	if (in->op.base >= 0) {
		unsigned long long *p = reg_slot(&rr, in->op.base);
		if (!p)
			return -EINVAL;
		a = *p;
	}
	if (!in->op.mem) {
		*out = a;
		return 0;
	}
	if (in->op.index >= 0) {
		unsigned long long *p = reg_slot(&rr, in->op.index);
		if (!p)
			return -EINVAL;
		a += *p * (uint64_t)in->op.scale;
	}
	a += (uint64_t)in->op.disp;
	return pt_mem_read(e, a, out, 8);
}

static bool in_ranges(const struct probe *p, uint64_t a);

/* The tail-call returns of t that come back here (rip at a catch probe's
 * address, before the instruction there ran): those whose return address
 * is rip and whose slot the ret just popped. Newest first: nested tail
 * calls sharing one slot return innermost first. Each is reported with the
 * registers as they are (the callee's results) and the stack pointer the
 * function had at its entry. Returns RUN_STOP when a callback asked. */
static int catch_returns(struct engine *e, const struct engine_callbacks *cb,
			 struct pt_thread *t, struct user_regs_struct *r,
			 uint64_t time_ns)
{
	int stop = 0;

	for (size_t i = t->pending.len; i-- > 0;) {
		struct pt_pending rec = t->pending.items[i];

		if (rec.ret != r->rip || rec.slot + 8 != r->rsp)
			continue;
		memmove(&t->pending.items[i], &t->pending.items[i + 1],
			(t->pending.len - i - 1) * sizeof(rec));
		t->pending.len--;
		pt_catch_drop(e, rec.ret);
		if (call_hit(e, cb, t->tid, r, rec.probe, true, rec.slot,
			     time_ns))
			stop = RUN_STOP;
	}
	return stop;
}

/* The target of the direct call that pushed return address ret, or 0
 * (another kind of call, or unreadable). */
static uint64_t called_from(struct engine *e, uint64_t ret)
{
	const struct pt_probe *pp = pt_probe_find(e, ret - 5);
	uint8_t b[5];
	int32_t rel;

	if (pt_mem_read(e, ret - 5, b, sizeof(b)))
		return 0;
	if (pp)
		b[0] = pp->orig;
	if (b[0] != 0xe8)
		return 0;
	memcpy(&rel, b + 1, 4);
	return ret + (uint64_t)(int64_t)rel;
}

/* An entry probe p hit by t with stack pointer rsp: a function entered
 * with its return address in the slot at rsp. Are the pending returns of
 * that slot still to come? Not when this is a new call made from the frame
 * above, after a throw or a longjmp left theirs: a return address that is
 * not theirs says so, and so does a direct call to this very function
 * before it, unless the newest of them jumped here (a chain of tail calls,
 * recursive ones included). A chain through a function we do not trace
 * enters here from a jump to another function: kept. */
static void pending_reentered(struct engine *e, struct pt_thread *t,
			      const struct probe *p, uint64_t rsp,
			      const uint64_t *ret_at)
{
	const struct pt_pending *rec = NULL;
	uint64_t ret, callee;
	size_t keep = 0;
	bool stale;

	for (size_t i = t->pending.len; i-- > 0 && !rec;)
		if (t->pending.items[i].slot == rsp)
			rec = &t->pending.items[i];
	if (!rec || !p->nranges)
		return;
	if (ret_at)
		ret = *ret_at;
	else if (pt_mem_read(e, rsp, &ret, 8))
		return;
	callee = called_from(e, ret);
	stale = ret != rec->ret ||
		(!in_ranges(p, rec->target) && callee && in_ranges(p, callee));
	for (size_t i = 0; i < t->pending.len; i++) {
		const struct pt_pending *o = &t->pending.items[i];

		if (o->slot < rsp || (o->slot == rsp && (stale || o->ret != ret)))
			pt_catch_drop(e, o->ret);
		else
			t->pending.items[keep++] = *o;
	}
	t->pending.len = keep;
}

/* t is at stack pointer rsp: the pending returns whose return address
 * slot is below it were popped without coming back (a throw, a longjmp)
 * and will never return. */
static void pending_unwound(struct engine *e, struct pt_thread *t,
			    uint64_t rsp)
{
	size_t keep = 0;

	for (size_t i = 0; i < t->pending.len; i++) {
		const struct pt_pending *rec = &t->pending.items[i];

		if (rec->slot < rsp)
			pt_catch_drop(e, rec->ret);
		else
			t->pending.items[keep++] = *rec;
	}
	t->pending.len = keep;
}

static bool in_ranges(const struct probe *p, uint64_t a)
{
	for (size_t i = 0; i < p->nranges; i++)
		if (a >= p->ranges[i].lo && a < p->ranges[i].hi)
			return true;
	return false;
}

/* Emulates a push of value (push %reg, or call's return address) followed
 * by going to rip. */
static int push_and_go(struct engine *e, struct user_regs_struct *r,
		       uint64_t value, uint64_t rip)
{
	int err = pt_mem_write(e, r->rsp - 8, &value, 8);

	if (err)
		return err;
	r->rsp -= 8;
	r->rip = rip;
	return 0;
}

/* Moves a thread stopped on pp's int3 (regs with rip = pp->addr) past the
 * displaced instruction, in the registers (and the stack) only. pp->p is
 * NULL for a forgotten probe: no tail-call return is awaited for it. */
static int step_past(struct engine *e, struct pt_thread *t,
		     const struct pt_probe *pp, struct user_regs_struct *r)
{
	const struct insn *in = &pp->insn;
	uint64_t next = pp->addr + in->len, v;
	unsigned long long *reg;
	int err;

	switch (pp->how) {
	case HOW_XOL:
		r->rip = pp->slot;
		return 0;
	case HOW_SKIP:
		r->rip = next;
		return 0;
	case HOW_MOVRBP:
		r->rbp = r->rsp;
		r->rip = next;
		return 0;
	case HOW_PUSH:
		reg = reg_slot(r, pp->push_reg);
		return push_and_go(e, r, reg ? *reg : 0, next);
	case HOW_RET:
		err = pt_mem_read(e, r->rsp, &v, 8);
		if (err)
			return err;
		r->rsp += 8 + in->imm;
		r->rip = v;
		return 0;
	case HOW_CALL:
	case HOW_CALL_IND:
		if (pp->how == HOW_CALL)
			v = in->target;
		else if ((err = pt_operand(e, r, in, &v)))
			return err;
		return push_and_go(e, r, next, v);
	case HOW_LOOP: {
		uint8_t op = in->bytes[0];
		bool taken, zf = r->eflags & 0x40;

		if (op == 0xe3) {
			taken = r->rcx == 0;
		} else {
			r->rcx--;
			taken = r->rcx != 0;
			if (op == 0xe1)
				taken = taken && zf;
			else if (op == 0xe0)
				taken = taken && !zf;
		}
		r->rip = taken ? in->target : next;
		return 0;
	}
	case HOW_JMP:
	case HOW_JCC:
	case HOW_JMP_IND:
		if (pp->how == HOW_JMP)
			v = in->target;
		else if (pp->how == HOW_JCC)
			v = x86_cond_taken(in->cond, r->eflags) ? in->target
								: next;
		else if ((err = pt_operand(e, r, in, &v)))
			return err;
		/* A jump that leaves its function is a tail call: the
		 * callee returns to our caller, where a catch probe waits
		 * for this thread at this stack depth. A return address we
		 * cannot probe loses this one return, nothing else. */
		if (pp->p && pp->p->kind == PROBE_TAILJMP && v != next &&
		    !in_ranges(pp->p, v)) {
			struct pt_pending rec = {.slot = r->rsp,
						 .probe = pp->p, .target = v};

			pending_unwound(e, t, r->rsp);
			if (!pt_mem_read(e, r->rsp, &rec.ret, 8) &&
			    !pt_catch_add(e, rec.ret, NULL))
				VEC_PUSH(&t->pending, rec);
		}
		r->rip = v;
		return 0;
	}
	return -EINVAL;
}

/* Our process's id for tid, from /proc (a clone may start a thread or, without
 * CLONE_THREAD, another process). */
pid_t pt_tgid_of(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

bool pt_orphan_take(struct engine *e, pid_t tid)
{
	for (size_t i = 0; i < e->orphans.len; i++) {
		if (e->orphans.items[i] != tid)
			continue;
		e->orphans.items[i] = e->orphans.items[--e->orphans.len];
		return true;
	}
	return false;
}

/* Waits for the first stop of an auto-attached child. False when it died. */
static bool wait_first_stop(struct engine *e, pid_t child)
{
	int st;

	if (pt_orphan_take(e, child))
		return true;
	while (waitpid(child, &st, __WALL) < 0)
		if (errno != EINTR)
			return false;
	return WIFSTOPPED(st);
}

/* Puts the original code back in a fork child (a copy of our memory, int3s
 * included: its stack is the program's own) and gives it the CPUs it would
 * have had. */
static void child_restore(struct engine *e, pid_t child)
{
	for (size_t i = 0; i < e->probe_cap; i++) {
		const struct pt_probe *pp = &e->probes[i];
		if (pp->p)
			pt_poke(child, pp->addr, &pp->orig, 1);
	}
	if (e->hooks.restore_child)
		e->hooks.restore_child(e->hooks.ctx, child);
	if (e->pinned)
		sched_setaffinity(child, sizeof(e->orig_cpus), &e->orig_cpus);
}

void pt_hand_over(struct engine *e, const struct engine_callbacks *cb,
		  pid_t parent, pid_t child, bool restore)
{
	if (restore)
		child_restore(e, child);
	/* Detached into a group-stop: it waits there, whoever traces it
	 * next, until a SIGCONT. The SIGSTOP is queued first (a detach's
	 * signal is dropped from an event stop): the child takes it as it
	 * resumes, before an instruction of its own. */
	syscall(SYS_tgkill, child, child, SIGSTOP);
	ptrace(PTRACE_DETACH, child, NULL, NULL);
	if (cb && cb->on_fork)
		cb->on_fork(cb->ctx, parent, child);
}

void pt_release_child(struct engine *e, pid_t child)
{
	child_restore(e, child);
	ptrace(PTRACE_DETACH, child, NULL, NULL);
}

bool pt_passenger_find(struct engine *e, pid_t tid)
{
	for (size_t i = 0; i < e->passengers.len; i++)
		if (e->passengers.items[i] == tid)
			return true;
	return false;
}

/* tid (stopped, or its first stop still to come) becomes a passenger. Not
 * killed when we exit (PTRACE_O_EXITKILL off): a process the program
 * started may outlive it, as it would untraced. */
static void passenger_add(struct engine *e, pid_t tid)
{
	VEC_PUSH(&e->passengers, tid);
	if (pt_orphan_take(e, tid)) {
		ptrace(PTRACE_SETOPTIONS, tid, NULL,
		       (void *)(long)(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
				      PTRACE_O_TRACEVFORK |
				      PTRACE_O_TRACESECCOMP));
		ptrace(PTRACE_CONT, tid, NULL, NULL);
	}
}

void pt_passenger_status(struct engine *e, const struct engine_callbacks *cb,
			 pid_t tid, int st)
{
	unsigned long msg = 0;
	int event = st >> 16, sig = WSTOPSIG(st);

	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		for (size_t i = 0; i < e->passengers.len; i++)
			if (e->passengers.items[i] == tid)
				e->passengers.items[i] =
					e->passengers.items[--e->passengers.len];
		return;
	}
	if (!WIFSTOPPED(st))
		return;
	switch (event) {
	case 0:
		ptrace(PTRACE_CONT, tid, NULL,
		       (void *)(long)(sig == (SIGTRAP | 0x80) ? 0 : sig));
		return;
	case PTRACE_EVENT_SECCOMP:
		/* Its writes wait their turn; a call it makes that the
		 * filter stops for --syscalls is not reported (not traced). */
		if (cb && cb->on_output && pt_seccomp_is_output(e, tid))
			cb->on_output(cb->ctx, tid);
		break;
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		/* Its code has no probes: nothing to restore in a child. */
		if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) == 0 && msg)
			passenger_add(e, (pid_t)msg);
		break;
	case PTRACE_EVENT_STOP:
		if (pt_is_group_stop(st)) {
			ptrace(PTRACE_LISTEN, tid, NULL, NULL);
			return;
		}
		/* A first stop: the options it inherited lose EXITKILL. */
		ptrace(PTRACE_SETOPTIONS, tid, NULL,
		       (void *)(long)(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
				      PTRACE_O_TRACEVFORK |
				      PTRACE_O_TRACESECCOMP));
		break;
	default:
		break;
	}
	ptrace(PTRACE_CONT, tid, NULL, NULL);
}

void pt_on_new_task(struct engine *e, const struct engine_callbacks *cb,
			pid_t tid, int event)
{
	unsigned long msg = 0;
	pid_t child;

	if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) < 0 || !msg)
		return;
	child = (pid_t)msg;
	if (event == PTRACE_EVENT_CLONE && pt_tgid_of(child) == e->pid) {
		struct pt_thread *nt;
		if (pt_orphan_take(e, child)) {
			nt = pt_thread_add(e, child, TS_RUNNING);
			ptrace(pt_resume_req(e, child), child, NULL, NULL);
		} else {
			nt = pt_thread_add(e, child, TS_STARTING);
		}
		(void)nt;
		if (e->pinned && e->pin == PIN_AUTO)
			pt_pin_widen(e);
		if (cb && cb->on_thread)
			cb->on_thread(cb->ctx, child, true);
		return;
	}
	if (event == PTRACE_EVENT_VFORK) {
		/* It shares our memory: restoring code in it would remove
		 * the probes from us too. Keep it traced until its exec. */
		struct pt_thread *nt;
		if (e->hooks.vfork_child)
			e->hooks.vfork_child(e->hooks.ctx, child, true);
		if (pt_orphan_take(e, child)) {
			nt = pt_thread_add(e, child, TS_RUNNING);
			ptrace(PTRACE_CONT, child, NULL, NULL);
		} else {
			nt = pt_thread_add(e, child, TS_STARTING);
		}
		nt->foreign = true;
		nt->vfork_parent = tid;
		return;
	}
	if (!wait_first_stop(e, child))
		return;
	if (e->follow_forks) {
		pt_hand_over(e, cb, tid, child, true);
		return;
	}
	if (e->order || (e->has_syscalls && !e->sys_stops)) {
		/* It has the seccomp filter too: see struct engine. */
		child_restore(e, child);
		VEC_PUSH(&e->orphans, child); /* stopped: passenger_add
		                               * resumes it */
		passenger_add(e, child);
		return;
	}
	pt_release_child(e, child);
}

bool pt_is_group_stop(int st)
{
	int sig = WSTOPSIG(st);

	return WIFSTOPPED(st) && st >> 16 == PTRACE_EVENT_STOP &&
	       (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
		sig == SIGTTOU);
}

void pt_exec_reset(struct engine *e, const struct engine_callbacks *cb)
{
	struct pt_thread *t;

	/* Every other thread is gone (their exits, if reported at all, come
	 * for tids we no longer know). A non-main thread that exec'd is now
	 * the leader: its old tid is never reported again. A vfork child is
	 * another process and stays. */
	for (size_t i = e->threads.len; i-- > 0;) {
		t = &e->threads.items[i];
		if (t->tid == e->pid || t->foreign)
			continue;
		pid_t gone = t->tid;
		pt_thread_remove(e, gone);
		if (cb && cb->on_thread)
			cb->on_thread(cb->ctx, gone, false);
	}
	t = pt_thread_add(e, e->pid, TS_HELD);
	t->resume_sig = 0;
	t->has_stash = false;
	t->group_stop = false;
	t->want = false;
	t->trapped = 0;
	/* The image the probes and slots lived in is gone. */
	pt_probes_forget(e);
	pt_memfd_open(e, NULL);
	pt_read_bias(e, NULL);
}

/* An exec after the launch's: the new image is the callback's to probe,
 * with the process stopped. Without a callback the process goes on without
 * probes, still traced, so that its end is seen. */
static int on_exec(struct engine *e, const struct engine_callbacks *cb)
{
	struct pt_thread *t;
	int stop = 0;

	pt_exec_reset(e, cb);
	if (cb && cb->on_exec)
		stop = cb->on_exec(cb->ctx, e->pid);
	t = pt_thread_find(e, e->pid);
	if (!t)
		return RUN_GO;
	if (stop) {
		t->state = TS_HELD;
		return RUN_STOP;
	}
	/* An injection (insert_probe) may have left a stop to handle. */
	if (t->has_stash)
		return RUN_GO;
	t->state = TS_RUNNING;
	ptrace(pt_resume_req(e, e->pid), e->pid, NULL, NULL);
	return RUN_GO;
}

/* Writes back the registers that differ from old: one PTRACE_POKEUSER per
 * register for the usual one or two (rip, rsp), all at once otherwise. */
static int put_regs(pid_t tid, const struct user_regs_struct *r,
		    const struct user_regs_struct *old)
{
	const unsigned long long *n = (const void *)r, *o = (const void *)old;
	size_t cnt = sizeof(*r) / sizeof(*n), diff = 0;

	for (size_t i = 0; i < cnt; i++)
		diff += n[i] != o[i];
	if (diff > 2)
		return (int)ptrace(PTRACE_SETREGS, tid, NULL, r);
	for (size_t i = 0; i < cnt; i++) {
		if (n[i] == o[i])
			continue;
		if (ptrace(PTRACE_POKEUSER, tid,
			   (void *)(offsetof(struct user, regs) + i * 8),
			   (void *)n[i]) < 0)
			return -1;
	}
	return 0;
}

/* Is the probe cur still the one at its address? A callback may have
 * forgotten it (dlclose) or replaced it. */
static bool still_there(struct engine *e, const struct pt_probe *cur)
{
	const struct pt_probe *pp = pt_probe_find(e, cur->addr);

	return pp && pp->p == cur->p;
}

/* A SIGTRAP at no live probe: a probe forgotten after the thread trapped
 * on it (or while its int3 is still there), or the program's own. */
static int on_stray_trap(struct engine *e, struct pt_thread *t,
			 struct user_regs_struct *r,
			 const struct user_regs_struct *r0, struct errbuf *eb)
{
	const struct pt_probe *dead = pt_dead_find(e, r->rip - 1);
	struct pt_probe d;
	uint8_t b;
	int err;

	if (!dead) {
		ptrace(pt_resume_req(e, t->tid), t->tid, NULL,
		       (void *)(long)SIGTRAP);
		t->state = TS_RUNNING;
		return 0;
	}
	/* As if nothing was there: the instruction at the address is run
	 * again when the int3 is gone, got past without a report when it is
	 * still there. */
	d = *dead;
	r->rip = d.addr;
	if (!pt_mem_read(e, d.addr, &b, 1) && b == INT3) {
		err = step_past(e, t, &d, r);
		if (err) {
			ptrace(PTRACE_SETREGS, t->tid, NULL, r);
			t->state = TS_HELD;
			return errbuf_set(eb, err, "thread %d at 0x%" PRIx64
					  ": cannot emulate the instruction: "
					  "%s", (int)t->tid, d.addr,
					  strerror(-err));
		}
	}
	if (put_regs(t->tid, r, r0) == 0)
		ptrace(pt_resume_req(e, t->tid), t->tid, NULL, NULL);
	t->state = TS_RUNNING;
	return 0;
}

static int on_trap(struct engine *e, const struct engine_callbacks *cb,
		   struct pt_thread *t, uint64_t time_ns, struct errbuf *eb)
{
	struct user_regs_struct r, r0;
	const struct pt_probe *pp;
	struct pt_probe cur;
	pid_t tid = t->tid;
	int stop = 0, err;

	if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0) {
		/* It died under us (killed): its exit is on the way. */
		t->state = TS_RUNNING;
		return 0;
	}
	r0 = r;
	/* Held while the callbacks run: one that inserts a probe may need a
	 * stopped thread to map an out-of-line page with, and this one is. */
	t->state = TS_HELD;
	pp = pt_probe_find(e, r.rip - 1);
	if (!pp)
		return on_stray_trap(e, t, &r, &r0, eb);
	/* A copy: a callback that inserts or forgets probes may move or free
	 * the hash entry. */
	cur = *pp;
	r.rip = cur.addr;
	/* Tail-call returns first: they came back here before the code at
	 * this address (a tracepoint too, maybe) runs. A probe that is only
	 * a catch (armed or disarmed since the trap) reports nothing else. */
	if (t->pending.len) {
		stop = catch_returns(e, cb, t, &r, time_ns);
		pending_unwound(e, t, r.rsp);
	}
	if (cur.p == &pt_catch_probe)
		cur.p = NULL;
	if (t->pending.len && cur.p && (cur.entry || cur.p->kind == PROBE_ENTRY))
		pending_reentered(e, t, cur.entry ? cur.entry : cur.p, r.rsp,
				  NULL);
	if (cur.p && cur.entry && call_hit(e, cb, tid, &r, cur.entry, false,
					   r.rsp, time_ns))
		stop = RUN_STOP;
	/* A tail-call probe reports nothing here: the return it stands for
	 * comes through the catch probe at the return address, or through
	 * the function's rets when the jump stays inside. */
	if (cur.p && cur.p->kind != PROBE_TAILJMP &&
	    (!cur.entry || still_there(e, &cur)) &&
	    call_hit(e, cb, tid, &r, cur.p, cur.p->kind == PROBE_RETURN,
		     r.rsp, time_ns))
		stop = RUN_STOP;
	if (cur.p && !still_there(e, &cur))
		cur.p = NULL;
	err = step_past(e, t, &cur, &r);
	if (err) {
		/* Leave the thread at the probe: it is consistent there,
		 * and detach will rewind cleanly. */
		ptrace(PTRACE_SETREGS, tid, NULL, &r);
		t->state = TS_HELD;
		return errbuf_set(eb, err, "thread %d at 0x%" PRIx64 ": "
				  "cannot emulate the instruction: %s",
				  (int)tid, cur.addr, strerror(-err));
	}
	if (put_regs(tid, &r, &r0) < 0) {
		t->state = TS_RUNNING;
		return 0;
	}
	if (stop) {
		t->state = TS_HELD;
		t->resume_sig = 0;
		return RUN_STOP;
	}
	/* A stop an injection took early is the run loop's to handle. */
	if (t->has_stash)
		return 0;
	ptrace(pt_resume_req(e, tid), tid, NULL, NULL);
	t->state = TS_RUNNING;
	return 0;
}

/* One wait status. Returns RUN_GO, RUN_STOP, RUN_EXITED or -errno. */
static int on_status(struct engine *e, const struct engine_callbacks *cb,
		     pid_t tid, int st, uint64_t time_ns, struct exit_info *ex,
		     struct errbuf *eb)
{
	struct pt_thread *t = pt_thread_find(e, tid);
	int event, sig;

	if (!t && e->passengers.len && pt_passenger_find(e, tid)) {
		pt_passenger_status(e, cb, tid, st);
		return RUN_GO;
	}
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		if (tid == e->pid) {
			ex->kind = WIFEXITED(st) ? EXIT_STATUS : EXIT_SIGNAL;
			ex->code = WIFEXITED(st) ? WEXITSTATUS(st)
						 : WTERMSIG(st);
			e->gone = true;
			e->guard_ok = true; /* nothing left to restore */
			return RUN_EXITED;
		}
		if (t) {
			bool foreign = t->foreign;
			/* Its awaited returns will not come: let their catch
			 * probes go (same image: the others still run it). */
			pending_unwound(e, t, UINT64_MAX);
			pt_thread_remove(e, tid);
			if (!foreign && cb && cb->on_thread)
				cb->on_thread(cb->ctx, tid, false);
		} else {
			pt_orphan_take(e, tid);
		}
		return RUN_GO;
	}
	if (!WIFSTOPPED(st))
		return RUN_GO;
	if (!t) {
		/* A new thread or child whose parent's event is still
		 * queued: it waits until that event names it. */
		VEC_PUSH(&e->orphans, tid);
		return RUN_GO;
	}
	event = st >> 16;
	sig = WSTOPSIG(st);
	t->group_stop = false;
	switch (event) {
	case 0:
		if (sig == SIGTRAP)
			return on_trap(e, cb, t, time_ns, eb);
		if (sig == (SIGTRAP | 0x80)) {
			pt_on_syscall_stop(e, cb, tid, time_ns);
			sig = 0;
		} else if (e->signals && cb && cb->on_signal) {
			/* Reported, and delivered (by the step into its
			 * handler, when it has one). */
			if (pt_on_signal(e, cb, t, sig, time_ns))
				return RUN_GO;
		}
		t->state = TS_RUNNING;
		ptrace(pt_resume_req(e, tid), tid, NULL, (void *)(long)sig);
		return RUN_GO;
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		pt_on_new_task(e, cb, tid, event);
		break;
	case PTRACE_EVENT_SECCOMP:
		/* A matched call's entry, or a write to an ordered fd: it
		 * goes once the callbacks are done. */
		pt_on_syscall_stop(e, cb, tid, time_ns);
		break;
	case PTRACE_EVENT_EXEC:
		if (t->foreign) {
			/* The vfork child became another program: it is
			 * none of ours, and gets the CPUs it had. */
			pid_t vparent = t->vfork_parent;

			if (e->hooks.vfork_child)
				e->hooks.vfork_child(e->hooks.ctx, tid, false);
			if (e->pinned)
				sched_setaffinity(tid, sizeof(e->orig_cpus),
						  &e->orig_cpus);
			pt_thread_remove(e, tid);
			if (e->follow_forks) {
				/* A new program, not one instruction of it
				 * run yet: the next engine's. */
				pt_hand_over(e, cb, vparent, tid, false);
				return RUN_GO;
			}
			if (e->order || (e->has_syscalls && !e->sys_stops)) {
				/* It has the seccomp filter too. */
				VEC_PUSH(&e->orphans, tid);
				passenger_add(e, tid);
				return RUN_GO;
			}
			ptrace(PTRACE_DETACH, tid, NULL, NULL);
			return RUN_GO;
		}
		pt_syscall_exec(e, cb, tid, time_ns);
		return on_exec(e, cb);
	case PTRACE_EVENT_STOP:
		if (pt_is_group_stop(st)) {
			/* A group-stop: stay stopped the way the program
			 * asked, until a SIGCONT, without holding up the
			 * other threads or us. */
			t->state = TS_LISTEN;
			t->group_stop = true;
			ptrace(PTRACE_LISTEN, tid, NULL, NULL);
			return RUN_GO;
		}
		/* A new thread's first stop, a stale interrupt, or the
		 * wake-up of a listening thread. */
		break;
	default:
		break;
	}
	t = pt_thread_find(e, tid);
	if (t)
		t->state = TS_RUNNING;
	ptrace(pt_resume_req(e, tid), tid, NULL, NULL);
	return RUN_GO;
}

int pt_run(struct engine *e, const struct engine_callbacks *cb,
	   struct exit_info *ex, struct errbuf *eb)
{
	sigset_t set, old;
	int ret = 0, st;
	pid_t tid;

	ex->kind = EXIT_NONE;
	ex->code = 0;
	if (e->gone)
		return errbuf_set(eb, -ESRCH, "process %d is gone",
				  (int)e->pid);
	pthread_once(&stop_once, stop_install);
	e->runner = pthread_self();
	sigemptyset(&set);
	sigaddset(&set, stop_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, &old);
	atomic_store(&e->in_run, true);

	for (size_t i = 0; i < e->threads.len; i++) {
		struct pt_thread *t = &e->threads.items[i];
		if (t->state != TS_HELD || t->has_stash)
			continue;
		/* Stopped by the program's SIGSTOP (or found so at attach):
		 * it stays stopped, and SIGCONT wakes it as usual. */
		if (t->group_stop &&
		    ptrace(PTRACE_LISTEN, t->tid, NULL, NULL) == 0) {
			t->state = TS_LISTEN;
			continue;
		}
		t->group_stop = false;
		t->state = TS_RUNNING;
		ptrace(pt_resume_req(e, t->tid), t->tid, NULL,
		       (void *)(long)t->resume_sig);
		t->resume_sig = 0;
	}

	for (;;) {
		struct pt_thread *stashed = NULL;
		int drained;

		if (atomic_load(&e->stop)) {
			atomic_store(&e->stop, false);
			break;
		}
		if (run_drain_some(e))
			break;
		for (size_t i = 0; i < e->threads.len; i++) {
			if (e->threads.items[i].has_stash) {
				stashed = &e->threads.items[i];
				break;
			}
		}
		if (stashed) {
			stashed->has_stash = false;
			tid = stashed->tid;
			st = stashed->stash;
		} else {
			/* Records left: a stop now, else the next batch. */
			tid = waitpid(-1, &st, __WALL | __WNOTHREAD |
						       (e->more ? WNOHANG : 0));
			if (tid == 0)
				continue;
			if (tid < 0) {
				if (errno == EINTR)
					continue;
				ret = errbuf_set(eb, -errno, "waiting for "
						 "process %d: %s", (int)e->pid,
						 strerror(errno));
				if (errno == ECHILD)
					e->gone = true;
				break;
			}
		}
		/* A signal on its way to the program (Go's preemption
		 * signals, hundreds a second while it runs through the other
		 * engine's trampolines) is passed on at once: the thread
		 * must not wait for a drain, and the debugger is drained
		 * before it hears of one (overlay.c). */
		drained = WIFSTOPPED(st) && !(st >> 16) &&
				  WSTOPSIG(st) != SIGTRAP &&
				  WSTOPSIG(st) != (SIGTRAP | 0x80) &&
				  WSTOPSIG(st) != SIGSTOP
			  ? 0
			  : run_drain(e);
		ret = on_status(e, cb, tid, st, now_ns(), ex, eb);
		if (ret == RUN_GO && !drained)
			continue;
		if (ret == RUN_GO)
			ret = RUN_STOP;
		if (ret > 0)
			ret = 0;
		break;
	}

	atomic_store(&e->in_run, false);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

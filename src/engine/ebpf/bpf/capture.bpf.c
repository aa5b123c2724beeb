// SPDX-License-Identifier: GPL-2.0
/* capture.bpf.c: the program run at every uprobe of the eBPF engine. It
 * runs the probe's capture plan (capture/record.h) into a scratch slot and
 * sends the record through the ring buffer; user space formats from it.
 *
 * Written for the verifiers of kernel 5.15 and newer: no bpf_loop, no
 * kernel BTF (uprobes need no CO-RE: the registers' layout is the uapi
 * one), bounded loops only. The plan's state between steps lives in the
 * scratch slot and each step is a global function, verified once: the
 * loop over steps costs the verifier a few instructions per iteration.
 *
 * The same plans serve --syscalls: two programs on the raw tracepoints
 * sys_enter and sys_exit (no BTF either: their arguments are the saved
 * user registers, whose layout is the uapi one) fill the registers from
 * the call's arguments and run the call's plan. */
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/errno.h>
#include <bpf/bpf_helpers.h>

#include "engine/ebpf/bpf/capture.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* The x86-64 user registers as the kernel saved them at the trap (the
 * uapi struct pt_regs, with the kernel's field names). */
struct pt_regs {
	__u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	__u64 ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 23); /* set by the loader */
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAPBPF_MAX_PLANS);
	__type(key, __u32);
	__type(value, struct cap_plan);
} plans SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAPBPF_MAX_PROBES);
	__type(key, __u32);
	__type(value, struct capbpf_probe);
} probes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAPBPF_NEST); /* × CPUs, set by the loader */
	__type(key, __u32);
	__type(value, struct capbpf_slot);
} scratch SEC(".maps");

/* --syscalls: the processes traced, and the calls selected
 * (capture.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CAPBPF_MAX_TGIDS);
	__type(key, __u32);
	__type(value, __u32);
} tgids SEC(".maps");

/* Threads running a system call the tracer made them run (the ptrace
 * engine's injected mmap): not the program's, not reported. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} muted SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CAPBPF_SYS_MAX);
	__type(key, __u32);
	__type(value, struct capbpf_sys);
} sys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct capbpf_stats);
} stats SEC(".maps");

/* Set by the loader: the ring wakes its reader only when it holds this
 * many bytes (0: at every record). Below that the reader polls (every
 * millisecond or two), and the run loop drains at every stop anyway: one
 * wake-up per record cost more than the rest of the event. */
const volatile __u64 wake_bytes = 0;

#define PAGE 4096
#define NOFIRST 0xffffffffu

/* Hides what clang knows of x's range, so that a bound check it would
 * drop as redundant stays for the verifier (which may know less). */
#define FORGET(x) asm volatile("" : "+r"(x))

/* The value of n for repeat r of op k: 0, or -1 when its source chunk is
 * missing or short (record.h). */
static __always_inline int num_value(struct capbpf_slot *s,
				     const struct cap_num *n, __u32 k, __u32 r,
				     __u64 *out)
{
	const struct cap_record_hdr *h = (const void *)s->rec;
	const struct cap_chunk *c;
	__u64 v, off, at, w;
	__u32 src, reg;

	switch (n->src) {
	case CAP_SRC_NONE:
		v = 0;
		break;
	case CAP_SRC_REG:
		reg = n->reg;
		if (reg >= CAP_NREGS)
			return -1;
		v = h->regs[reg];
		break;
	case CAP_SRC_DATA:
	case CAP_SRC_DATA32:
		src = n->op;
		if (src >= k || src >= CAP_MAX_OPS)
			return -1;
		at = s->first[src];
		if (at == NOFIRST)
			return -1;
		at &= CAPBPF_POS_MASK;
		c = (const void *)(s->rec + at);
		w = n->src == CAP_SRC_DATA ? 8 : 4;
		off = (__u64)n->off + (__u64)r * n->stride;
		if (c->err || off + w > c->len)
			return -1;
		/* off + w <= len <= CAP_MAX_CHUNK: the mask changes nothing */
		off &= CAP_MAX_CHUNK - 1;
		if (w == 8)
			v = *(const __u64 *)(s->rec + at + sizeof(*c) + off);
		else
			v = *(const __u32 *)(s->rec + at + sizeof(*c) + off);
		break;
	default:
		return -1;
	}
	*out = v + (__u64)n->disp;
	return 0;
}

/* Copies [addr, addr+len) to dst (len <= CAP_MAX_CHUNK) per the op's
 * flags. Returns the bytes copied; *err is set when none could be. */
static __always_inline __u64 read_mem(__u8 *dst, __u64 addr, __u64 len,
				      __u16 flags, int *err)
{
	__u64 got = 0, n, rem;
	long e = 0, ret;
	int i;

	if (len > CAP_MAX_CHUNK)
		len = CAP_MAX_CHUNK;
	if (!(flags & CAP_OP_STR)) {
		e = bpf_probe_read_user(dst, len, (const void *)addr);
		if (!e)
			return len;
		if (!(flags & CAP_OP_PARTIAL)) {
			*err = (int)e;
			return 0;
		}
	}
	/* Page by page: a string is read up to its NUL, a partial copy up to
	 * the first page that cannot be read. */
	for (i = 0; i < CAP_MAX_CHUNK / PAGE + 1; i++) {
		__u8 *d;
		__u64 a;

		if (got >= len)
			break;
		n = PAGE - ((addr + got) & (PAGE - 1));
		rem = len - got;
		if (n > rem)
			n = rem;
		FORGET(n);
		if (n > PAGE)
			break;
		got &= CAP_MAX_CHUNK - 1; /* got < len <= CAP_MAX_CHUNK */
		d = dst + got;
		a = addr + got;
		if (!(flags & CAP_OP_STR)) {
			e = bpf_probe_read_user(d, n, (const void *)a);
			if (e)
				break;
			got += n;
			continue;
		}
		if (!n)
			break;
		ret = bpf_probe_read_user_str(d, n, (const void *)a);
		if (ret < 0) {
			e = ret;
			break;
		}
		if (ret < (long)n)
			return got + ret; /* the NUL was in this page */
		/* The buffer filled: its last byte is the string's or the
		 * NUL the helper put there in its place; read the real one. */
		if (bpf_probe_read_user(d + n - 1, 1, (const void *)(a + n - 1)))
			return got + n - 1;
		got += n;
		if (!d[n - 1])
			return got;
	}
	if (!got && e)
		*err = (int)e;
	return got;
}

/* One step of the plan: one chunk (repeat r of op k), or nothing for an
 * op repeated zero times. Returns non-zero when the plan is done. Global,
 * so the verifier checks it once, not once per iteration of the loop. */
__noinline int capbpf_step(struct capbpf_slot *s, const struct cap_plan *p)
{
	const struct cap_op *o;
	struct cap_chunk *c;
	__u64 addr = 0, len, cnt, got = 0, nrep, pos;
	__u32 k, r;
	int err = 0;
	__u8 *dst;

	if (!s || !p)
		return 1;
	k = s->op;
	if (k >= p->nops || k >= CAP_MAX_OPS)
		return 1;
	o = &p->ops[k];
	r = s->rep;
	if (!r) {
		nrep = 1;
		if (o->rep.src != CAP_SRC_NONE || o->rep.disp) {
			if (num_value(s, &o->rep, k, 0, &nrep))
				nrep = 0;
			if (nrep > ((o->flags & CAP_OP_CHAIN) ? CAP_MAX_CHAIN
							      : CAP_MAX_REP))
				nrep = (o->flags & CAP_OP_CHAIN) ? CAP_MAX_CHAIN
								 : CAP_MAX_REP;
			if (o->rep_max && nrep > o->rep_max)
				nrep = o->rep_max;
		}
		s->nrep[k] = (__u32)nrep;
		s->first[k] = nrep ? s->pos : NOFIRST;
		if (!nrep) {
			s->op = k + 1;
			return 0;
		}
	}

	pos = s->pos & CAPBPF_POS_MASK;
	c = (void *)(s->rec + pos);
	dst = s->rec + pos + sizeof(*c);
	len = o->len;
	if (len > CAP_MAX_CHUNK)
		len = CAP_MAX_CHUNK;
	if (r && (o->flags & CAP_OP_CHAIN)) {
		/* The next frame: where the previous one's saved frame
		 * pointer points; the chain ends where that is not up the
		 * stack. */
		__u64 at = s->last & CAPBPF_POS_MASK, next;
		const struct cap_chunk *pc = (const void *)(s->rec + at);

		next = *(const __u64 *)(s->rec + at + sizeof(*pc));
		if (pc->err || pc->len < 8 ||
		    next + (__u64)o->addr.disp <= pc->addr) {
			s->op = k + 1;
			s->rep = 0;
			return 0;
		}
		addr = next + (__u64)o->addr.disp;
	} else if (num_value(s, &o->addr, k, r, &addr)) {
		err = -EFAULT;
	} else if (o->count.src != CAP_SRC_NONE || o->count.disp) {
		if (num_value(s, &o->count, k, r, &cnt)) {
			err = -EFAULT;
		} else {
			/* min(len, cnt × scale), without overflowing */
			if (cnt > len)
				cnt = len;
			cnt *= o->scale;
			if (cnt < len)
				len = cnt;
		}
	}
	FORGET(len);
	if (len > CAP_MAX_CHUNK)
		len = CAP_MAX_CHUNK;
	if (!err && s->data + len > CAP_MAX_DATA)
		err = -ENOSPC;
	if (!err && len)
		got = read_mem(dst, addr, len, o->flags, &err);
	if (err)
		got = 0;
	FORGET(got);
	got &= 2 * CAP_MAX_CHUNK - 1; /* got <= len: changes nothing */
	if (got & 7) {
		/* the padding to 8 is zero, not a previous record's bytes */
		__u64 *w = (void *)(dst + (got & ~7ull));

		*w &= (1ull << ((got & 7) * 8)) - 1;
	}
	c->addr = addr;
	c->len = (__u32)got;
	c->err = err;
	s->last = (__u32)pos;
	s->data += (__u32)got;
	s->pos = (__u32)(pos + sizeof(*c) + ((got + 7) & ~7ull));
	s->nchunks++;
	if (++r >= s->nrep[k]) {
		s->op = k + 1;
		s->rep = 0;
	} else {
		s->rep = r;
	}
	return 0;
}

/* The flags of a record's output: a wake-up only for the record that
 * takes the ring past wake_bytes. Above it the reader is busy draining
 * (or wakes on its own within a poll period): waking it for every record
 * there cost the target an interrupt per hit just when it lags. */
static __always_inline __u64 wake_flags(__u64 size)
{
	__u64 avail;

	if (!wake_bytes)
		return BPF_RB_FORCE_WAKEUP;
	avail = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA);
	if (avail < wake_bytes && avail + size >= wake_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void count_lost(struct capbpf_stats *st)
{
	__sync_fetch_and_add(&st->lost, 1);
	__sync_fetch_and_add(&st->pending, 1);
}

/* A system call's entry (its number and arguments) and exit (its number
 * and result), as the raw_syscalls tracepoints' records lay them out
 * (their format files in /sys/kernel/tracing/events/raw_syscalls/). */
struct sys_enter_ctx {
	__u64 common;
	long id;
	unsigned long args[6];
};

struct sys_exit_ctx {
	__u64 common;
	long id;
	long ret;
};

enum rec_src { SRC_UPROBE, SRC_SYS_ENTER, SRC_SYS_EXIT };

/* Runs plan `plan` into a scratch slot and puts the record in the ring.
 * src says what ctx is and how the registers are filled (inlined per
 * caller: the other ways vanish). */
static __always_inline int emit(void *ctx, enum rec_src src, __u32 plan,
				__u64 probe, __s64 sp_bias)
{
	__u64 level, pending, tgid, size, fl;
	__u32 zero = 0, si, i;
	struct capbpf_stats *st;
	struct cap_record_hdr *h;
	struct capbpf_slot *s;
	struct cap_plan *p;

	p = bpf_map_lookup_elem(&plans, &plan);
	st = bpf_map_lookup_elem(&stats, &zero);
	if (!p || !st)
		return 0;
	/* The nesting level picks the slot: a program preempted on this CPU
	 * keeps its slot while another runs here. */
	level = __sync_fetch_and_add(&st->nest, 1);
	if (level >= CAPBPF_NEST) {
		count_lost(st);
		goto out;
	}
	si = bpf_get_smp_processor_id() * CAPBPF_NEST + (__u32)level;
	s = bpf_map_lookup_elem(&scratch, &si);
	if (!s) {
		count_lost(st);
		goto out;
	}
	h = (void *)s->rec;
	tgid = bpf_get_current_pid_tgid();
	h->probe = probe;
	h->time_ns = bpf_ktime_get_ns();
	h->pid = (__u32)(tgid >> 32);
	h->tid = (__u32)tgid;
	h->flags = 0;
	h->absent = 0;
	/* DWARF order: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
	if (src == SRC_UPROBE) {
		struct pt_regs *r = ctx;

		h->regs[0] = r->ax;
		h->regs[1] = r->dx;
		h->regs[2] = r->cx;
		h->regs[3] = r->bx;
		h->regs[4] = r->si;
		h->regs[5] = r->di;
		h->regs[6] = r->bp;
		h->regs[7] = r->sp + sp_bias;
		h->regs[8] = r->r8;
		h->regs[9] = r->r9;
		h->regs[10] = r->r10;
		h->regs[11] = r->r11;
		h->regs[12] = r->r12;
		h->regs[13] = r->r13;
		h->regs[14] = r->r14;
		h->regs[15] = r->r15;
		h->regs[16] = r->ip;
	} else {
		/* A system call's arguments where the kernel takes them
		 * (rdi rsi rdx r10 r8 r9: syscall_arg_loc), its result in
		 * rax at the exit; nothing else is known here. */
		for (i = 0; i < CAP_NREGS; i++)
			h->regs[i] = 0;
		if (src == SRC_SYS_ENTER) {
			struct sys_enter_ctx *c = ctx;

			h->regs[5] = c->args[0];
			h->regs[4] = c->args[1];
			h->regs[1] = c->args[2];
			h->regs[10] = c->args[3];
			h->regs[8] = c->args[4];
			h->regs[9] = c->args[5];
		} else {
			struct sys_exit_ctx *c = ctx;

			h->regs[0] = (__u64)c->ret;
		}
	}

	/* Drops this CPU saw since its last record: reported first, in the
	 * stream where they happened. */
	pending = st->pending;
	if (pending) {
		h->size = sizeof(*h);
		h->kind = CAP_REC_LOST;
		h->nchunks = 0;
		h->lost = pending;
		if (!bpf_ringbuf_output(&ring, h, sizeof(*h),
					wake_flags(sizeof(*h)))) {
			__sync_fetch_and_sub(&st->pending, pending);
			__sync_fetch_and_add(&st->made, 1);
		}
	}

	h->kind = CAP_REC_HIT;
	h->lost = 0;
	s->op = 0;
	s->rep = 0;
	s->pos = sizeof(*h);
	s->data = 0;
	s->nchunks = 0;
	for (i = 0; i < CAP_MAX_OPS * CAP_MAX_REP + CAP_MAX_CHAIN; i++)
		if (capbpf_step(s, p))
			break;
	size = s->pos & CAPBPF_POS_MASK;
	h->size = (__u32)size;
	h->nchunks = (__u16)s->nchunks;
	fl = wake_flags(size);
	/* Bounded again where the helper takes it: a spill may lose it. */
	FORGET(size);
	size &= CAPBPF_POS_MASK;
	if (bpf_ringbuf_output(&ring, s->rec, size, fl))
		count_lost(st);
	else
		__sync_fetch_and_add(&st->made, 1);
out:
	__sync_fetch_and_sub(&st->nest, 1);
	return 0;
}

static __always_inline int capture_hit(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 slot = (__u32)(cookie >> 32);
	struct capbpf_probe *pr;

	pr = bpf_map_lookup_elem(&probes, &slot);
	if (!pr || !pr->on)
		return 0;
	return emit(ctx, SRC_UPROBE, pr->plan, (__u32)cookie, pr->sp_bias);
}

/* Whether the current process is one traced: every other process's calls
 * pass through here too, so this comes first, and is all they cost. */
static __always_inline int sys_traced(void)
{
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);

	return bpf_map_lookup_elem(&tgids, &tgid) != NULL;
}

/* The selected call id's entry, or NULL (not selected, or the tracer's own
 * call on this thread). */
static __always_inline struct capbpf_sys *sys_selected(long id)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), nr;
	struct capbpf_sys *sc;

	if (id < 0 || id >= CAPBPF_SYS_MAX)
		return NULL;
	nr = (__u32)id;
	sc = bpf_map_lookup_elem(&sys, &nr);
	if (!sc || !sc->on || bpf_map_lookup_elem(&muted, &tid))
		return NULL;
	return sc;
}

/* The raw tracepoints (no BTF: their arguments are the kernel's saved user
 * registers, in the uapi layout, and the call's number or result), rather
 * than the classic ones: those copy a record into a perf buffer at every
 * system call of every process before the program can say no (measured:
 * about twice what a raw one costs a call that does not match). */
SEC("raw_tracepoint/sys_enter")
int sys_enter(__u64 *ctx)
{
	long id = (long)ctx[1];
	struct sys_enter_ctx c;
	struct capbpf_sys *sc;
	struct pt_regs r;

	if (!sys_traced() || !(sc = sys_selected(id)))
		return 0;
	if (bpf_probe_read_kernel(&r, sizeof(r), (const void *)ctx[0]))
		return 0;
	c.id = id;
	c.args[0] = r.di;
	c.args[1] = r.si;
	c.args[2] = r.dx;
	c.args[3] = r.r10;
	c.args[4] = r.r8;
	c.args[5] = r.r9;
	return emit(&c, SRC_SYS_ENTER, sc->plan[0],
		    CAPBPF_SYS_PROBE | (__u64)id, 0);
}

SEC("raw_tracepoint/sys_exit")
int sys_exit(__u64 *ctx)
{
	const struct pt_regs *regs = (const void *)ctx[0];
	struct sys_exit_ctx c;
	struct capbpf_sys *sc;
	__u64 nr;

	if (!sys_traced())
		return 0;
	/* The number is the entry's, kept in orig_ax (the kernel's own
	 * sys_exit record takes it there too). */
	if (bpf_probe_read_kernel(&nr, sizeof(nr), &regs->orig_ax))
		return 0;
	c.id = (long)nr;
	c.ret = (long)ctx[1];
	if (!(sc = sys_selected(c.id)))
		return 0;
	return emit(&c, SRC_SYS_EXIT, sc->plan[1],
		    CAPBPF_SYS_PROBE | CAPBPF_SYS_EXIT | nr, 0);
}

/* Attached with one perf-event link per probe. */
SEC("uprobe")
int capture(struct pt_regs *ctx)
{
	return capture_hit(ctx);
}

/* The same, loaded for multi-uprobe links (expected attach type
 * BPF_TRACE_UPROBE_MULTI, set by the loader where the kernel has them). */
SEC("uprobe")
int capture_multi(struct pt_regs *ctx)
{
	return capture_hit(ctx);
}

/* agent: the code the in-process engine puts into its target. The entry
 * trampolines call agent_enter, the return trampoline agent_return; each
 * runs the probe's capture plan (capture_run, the same code tinydbg's tests
 * check against the BPF program) into a slot of the shared ring.
 *
 * Built freestanding (-ffreestanding -nostdlib -fPIC -mgeneral-regs-only:
 * it must not touch the vector registers it does not save), linked into one
 * flat blob (agent.ld) that tinydbg copies into a code page of the target.
 * No libc: system calls by hand; nothing here may block, take a lock a
 * signal handler could also want, or fault on the target's bad pointers
 * (memory is read with process_vm_readv, which returns an error instead).
 *
 * Threads are told apart by their TLS block (fs:0, glibc's thread self
 * pointer); the first record of a thread asks the kernel for its id. */
#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "engine/inproc/shm.h"

/* Set by tinydbg before any trampoline can run. */
__attribute__((used)) volatile __u64 agent_shm;

/* ---- what libc would give ---- */

/* Eight bytes at a time where both sides allow it: records are 8-aligned,
 * and these copies are most of the agent's work. */
void *memcpy(void *d, const void *s, size_t n)
{
	__u8 *dp = d;
	const __u8 *sp = s;

	if (!(((unsigned long)dp | (unsigned long)sp) & 7))
		for (; n >= 8; n -= 8, dp += 8, sp += 8)
			*(__u64 *)dp = *(const __u64 *)sp;
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memset(void *d, int c, size_t n)
{
	__u8 *dp = d;

	if (!c && !((unsigned long)dp & 7))
		for (; n >= 8; n -= 8, dp += 8)
			*(__u64 *)dp = 0;
	while (n--)
		*dp++ = (__u8)c;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	__u8 *dp = d;
	const __u8 *sp = s;

	if (dp < sp)
		return memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

void *memchr(const void *s, int c, size_t n)
{
	const __u8 *p = s;

	for (; n; n--, p++)
		if (*p == (__u8)c)
			return (void *)p;
	return NULL;
}

static long sys3(long nr, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
			   "r"(r9)
			 : "rcx", "r11", "memory");
	return r;
}

#define NR_process_vm_readv 310
#define NR_gettid 186
#define NR_futex 202
#define FUTEX_WAKE 1

struct iov {
	__u64 base, len;
};

static struct ip_header *hdr(void)
{
	return (struct ip_header *)(unsigned long)agent_shm;
}

/* capture_read_fn: the target's own memory, without faulting on a bad
 * pointer. ctx: the hit's registers. What lies in the page of the stack
 * pointer, at or above it, is read directly: that page is mapped (the
 * return address was just written there), and it holds the plan's most
 * common reads (the return address, the top of the caller's frame; a copy
 * of the stack goes page by page, capture_run). Anything else goes
 * through the kernel, which answers a bad address with an error, at a few
 * µs a read here. */
static int read_self(void *ctx, uint64_t addr, void *buf, size_t len,
		     unsigned flags)
{
	const uint64_t *regs = ctx;
	uint64_t sp = regs[CAP_REG_RSP];
	struct iov l = {(__u64)(unsigned long)buf, len}, r = {addr, len};
	long n;

	/* The runtime's own (Go's g, m): there while the thread runs. */
	if (len && (flags & CAP_OP_RUNTIME) && addr >= 4096 &&
	    addr + len > addr) {
		memcpy(buf, (const void *)(unsigned long)addr, len);
		return 0;
	}
	if (len && addr >= sp && addr + len > addr &&
	    ((addr + len - 1) >> 12) == (sp >> 12)) {
		memcpy(buf, (const void *)(unsigned long)addr, len);
		return 0;
	}
	n = sys6(NR_process_vm_readv, hdr()->pid, (long)&l, 1, (long)&r, 1, 0);
	if (n == (long)len)
		return 0;
	return n < 0 ? (int)n : -14; /* -EFAULT: a part only */
}

/* ---- threads ---- */

static __u64 tls_self(void)
{
	__u64 k;

	__asm__ volatile("mov %%fs:0, %0" : "=r"(k));
	return k;
}

/* The state of the thread keyed k (its TLS block; a Go thread: its m),
 * claimed on first use; NULL when the table is full (then no return is
 * hijacked, and the id is asked each time). */
static struct ip_thread *thread_of(struct ip_header *h, __u64 k)
{
	struct ip_thread *t = (struct ip_thread *)((char *)h + h->threads_off);
	__u32 i = (__u32)((k >> 12) * 2654435761u) % IP_MAX_THREADS;

	for (__u32 n = 0; n < IP_MAX_THREADS;
	     n++, i = (i + 1) % IP_MAX_THREADS) {
		__u64 cur = __atomic_load_n(&t[i].key, __ATOMIC_ACQUIRE);
		__u64 zero = 0;

		if (cur == k)
			return &t[i];
		if (cur)
			continue;
		if (__atomic_compare_exchange_n(&t[i].key, &zero, k, 0,
						__ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) ||
		    zero == k)
			return &t[i];
	}
	return NULL;
}

static struct ip_thread *thread_self(struct ip_header *h)
{
	return thread_of(h, tls_self());
}

static __u32 tid_of(struct ip_header *h, struct ip_thread *t)
{
	__u32 tid;

	/* The C library's copy: right for a thread that got the TLS block
	 * of one that ended, which the cache below is not until tinydbg
	 * has seen the end. */
	if (h->tcb_tid_off &&
	    (tid = *(volatile __u32 *)(unsigned long)(tls_self() +
						      h->tcb_tid_off)))
		return tid;
	if (t && (tid = __atomic_load_n(&t->tid, __ATOMIC_RELAXED)))
		return tid;
	tid = (__u32)sys3(NR_gettid, 0, 0, 0);
	if (t)
		__atomic_store_n(&t->tid, tid, __ATOMIC_RELAXED);
	return tid;
}

/* ---- the ring ---- */

static void lost(struct ip_header *h, __u64 n)
{
	__atomic_fetch_add(&h->lost, n, __ATOMIC_RELAXED);
}

/* Asks for the line at p in the state a write needs (0f 0d /1: a nop on
 * the few x86-64 processors without it). */
static inline void prefetchw(const void *p)
{
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
}

/* Reserves len bytes (a multiple of 16, slot header included): the slot,
 * its position in *pos, or NULL when the ring is full. */
static struct ip_slot *reserve(struct ip_header *h, __u32 len, __u64 *pos)
{
	__u8 *ring = (__u8 *)h + h->ring_off;
	__u64 mask = h->ring_size - 1;
	__u64 head = __atomic_load_n(&h->head, __ATOMIC_RELAXED);

	for (;;) {
		__u64 tail = __atomic_load_n(&h->tail, __ATOMIC_ACQUIRE);
		__u64 off = head & mask, pad = 0;

		if (off + len > h->ring_size)
			pad = h->ring_size - off;
		if (head + pad + len - tail > h->ring_size)
			return NULL;
		if (!__atomic_compare_exchange_n(&h->head, &head,
						 head + pad + len, 1,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		if (pad) {
			struct ip_slot *p = (struct ip_slot *)(ring + off);

			p->len = (__u32)pad;
			__atomic_store_n(&p->stamp, head | IP_SLOT_PAD,
					 __ATOMIC_RELEASE);
			off = 0;
		}
		struct ip_slot *s = (struct ip_slot *)(ring + off);
		s->len = len;
		*pos = head + pad;
		/* The next record's lines, asked for now: the ring is far
		 * larger than the caches, and the next reserve's locked
		 * instruction would otherwise wait for each store's miss. */
		for (__u64 a = 0; a < 2 * len; a += 64)
			prefetchw(ring + ((head + pad + len + a) & mask));
		/* Wake the reader when this slot takes the ring past its
		 * mark (a reader below it polls on its own). */
		if (head - tail < h->wake_bytes &&
		    head + pad + len - tail >= h->wake_bytes) {
			__atomic_fetch_add(&h->wake, 1, __ATOMIC_RELEASE);
			sys3(NR_futex, (long)&h->wake, FUTEX_WAKE, 1);
		}
		return s;
	}
}

static void commit(struct ip_slot *s, __u64 pos, __u32 state)
{
	__atomic_store_n(&s->stamp, pos | state, __ATOMIC_RELEASE);
}

static __u64 rdtsc(void)
{
	__u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((__u64)hi << 32) | lo;
}

/* Runs probe id's plan on regs into a new slot. Returns 0, or -1 when the
 * record was lost (counted). */
static int record(struct ip_header *h, __u32 id, uint64_t *regs, __u32 tid)
{
	struct ip_probe *p = (struct ip_probe *)((char *)h + h->probes_off) + id;
	const struct cap_plan *plan =
		(const struct cap_plan *)((char *)h + h->plans_off) + p->plan;
	__u64 pos;
	struct ip_slot *s = reserve(h, p->rec_max, &pos);
	struct ip_rec *r;
	__u64 *out;
	__u32 m = plan->regmask;
	__u16 nch = 0;
	long n;

	if (!s) {
		lost(h, 1);
		return -1;
	}
	r = (struct ip_rec *)(s + 1);
	out = (__u64 *)(r + 1);
	for (; m; m &= m - 1)
		*out++ = regs[__builtin_ctz(m)];
	r->flags = 0;
	if (plan->flags & CAP_PLAN_XMM) {
		memcpy(out, regs + 18, 128);
		out += 16;
		r->flags = CAP_REC_XMM;
	}
	n = capture_run_chunks(plan, regs, read_self, regs, out,
			       p->rec_max - (__u32)((char *)out - (char *)s),
			       &nch);
	if (n < 0) {
		commit(s, pos, IP_SLOT_PAD);
		lost(h, 1);
		return -1;
	}
	r->size = (__u32)((char *)out - (char *)r) + (__u32)n;
	r->nchunks = nch;
	r->probe = id;
	r->tid = tid;
	r->time = rdtsc(); /* tinydbg converts */
	r->regmask = plan->regmask;
	/* head's cache line, which reserve just wrote */
	r->lost = (__u32)__atomic_load_n(&h->lost, __ATOMIC_RELAXED);
	commit(s, pos, IP_SLOT_READY);
	return 0;
}

/* ---- the ring's pages, warmed ---- */

/* Run once by tinydbg at the setup, on a stopped thread (inject_fill):
 * rcx words of zeros from rdi, then a trap back to tinydbg. The target's
 * own user-mode writes are what makes each page cheap to write later on
 * the VMs this runs on (see shm_make): a write by the kernel
 * (MADV_POPULATE_WRITE, read() into the ring) or by tinydbg's mapping
 * does not. */
__asm__(".pushsection .text\n"
	".globl agent_fill\n"
	".type agent_fill, @function\n"
	"agent_fill:\n"
	"\trep stosq\n"
	"\tint3\n"
	".size agent_fill, . - agent_fill\n"
	".popsection\n");

/* ---- the entry points ---- */

void agent_enter(__u32 id, uint64_t *regs)
{
	struct ip_header *h = hdr();
	struct ip_probe *p = (struct ip_probe *)((char *)h + h->probes_off) + id;
	struct ip_thread *t;
	__u64 slot = regs[CAP_REG_RSP];
	__u32 d;

	if (h->detached)
		return;
	t = thread_self(h);
	if (record(h, id, regs, tid_of(h, t)) < 0) {
		/* No entry, so no return either: counted with it. */
		if (p->ret != IP_NONE)
			lost(h, 1);
		return;
	}
	if (p->ret == IP_NONE)
		return;
	if (!t || (d = t->depth) >= IP_SHADOW_MAX) {
		lost(h, 1);
		return;
	}
	/* Claimed before it is written: a signal handler's calls nest
	 * above it, and leave it as they found it. */
	t->depth = d + 1;
	t->st[d].slot = slot;
	t->st[d].orig = *(__u64 *)(unsigned long)slot;
	t->st[d].ret = p->ret;
	*(__u64 *)(unsigned long)slot = h->ret_tramp;
}

/* regs[7]: where the return address was (the ret just took it). Returns
 * the address the function really returns to. */
__u64 agent_return(uint64_t *regs)
{
	struct ip_header *h = hdr();
	struct ip_thread *t = thread_self(h);
	__u64 slot = regs[CAP_REG_RSP];
	struct ip_shadow e;
	__u32 i;

	/* The innermost entry for this frame; those above it were left by
	 * a longjmp (or a thread that ended with them, whose TLS block
	 * this thread got): dropped. */
	for (i = t->depth; i-- > 0;)
		if (t->st[i].slot == slot)
			break;
	e = t->st[i];
	t->depth = i;
	/* The real return address back in its slot before the record, so
	 * that the plan reads there what it would at the ret. */
	*(__u64 *)(unsigned long)slot = e.orig;
	if (!h->detached) {
		struct ip_probe *p =
			(struct ip_probe *)((char *)h + h->probes_off) + e.ret;

		regs[16] = p->addr;
		record(h, e.ret, regs, tid_of(h, t));
	}
	return e.orig;
}

/* ---- Go ---- */

/* On the goroutine's stack: this thread's agent stack, claimed (its busy
 * word set), or 0 when there is none to be had (the table is full, or a
 * signal handler's Go code came in while the thread was in the agent). */
__u64 agent_go_stack(__u64 m)
{
	struct ip_header *h = hdr();
	struct ip_thread *t;
	__u64 *busy;

	if (h->detached || !m)
		return 0;
	if (!(t = thread_of(h, m))) {
		lost(h, 1);
		return 0;
	}
	busy = (__u64 *)(t->stack + IP_AGENT_STACK - 16);
	if (*busy) {
		lost(h, 1);
		return 0;
	}
	*busy = 1;
	return (__u64)(unsigned long)busy;
}

/* On the agent's stack: the record of probe id. The thread's id is its
 * slot's (asked of the kernel once): a Go thread's TLS is not glibc's. */
void agent_go_enter(__u32 id, uint64_t *regs, __u64 m)
{
	struct ip_header *h = hdr();
	struct ip_thread *t = thread_of(h, m);
	__u32 tid;

	if (!t)
		return;
	if (!(tid = __atomic_load_n(&t->tid, __ATOMIC_RELAXED))) {
		tid = (__u32)sys3(NR_gettid, 0, 0, 0);
		__atomic_store_n(&t->tid, tid, __ATOMIC_RELAXED);
	}
	record(h, id, regs, tid);
}

/* setup: the agent, the shared memory, the trampolines and the patched
 * entries put into a stopped target, and taken out again.
 *
 * A function is patched only when that is safe: its first instructions can
 * run elsewhere (tramp_displaced), nothing in it jumps into the bytes the
 * jump replaces, no other probe sits in them, and no thread is stopped
 * inside them. Its returns then come through the shadow stack when its
 * return probes allow it (ret_hijack: C that calls nothing, so no
 * exception, longjmp or backtrace() ever unwinds through the rewritten
 * return address), else they stay breakpoints. Everything else is left
 * to the ptrace engine. */
#include "engine/inproc/internal.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/user.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86.h"
#include "capture/capture.h"
#include "engine/jump/inject.h"
#include "engine/jump/site.h"
#include "engine/jump/tramp.h"
#include "engine/ptrace/ptrace.h"

#include "agent_blob.h"

/* The ring, unless --ebpf-ring says: room for a burst of a program as
 * fast as the trampolines while the reader has no CPU (it runs on every
 * one). Its pages are made present up front (the target's memory grows by
 * as much): a first touch costs a fault of a few µs. */
#define DEFAULT_RING (32u << 20)

uint64_t ip_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ---- what is safe to patch ---- */

static bool same_fn(const struct probe *a, const struct probe *b)
{
	return a->nranges && b->nranges && a->ranges[0].lo == b->ranges[0].lo;
}

/* What setup decided for one function, its entry probe at index entry. */
struct plan_fn {
	size_t entry;
	size_t dlen;
	uint8_t code[16];
	bool shadow;    /* its returns through the shadow stack */
	uint32_t ret;   /* the probe id its returns' records carry */
	struct ip_region *reg;
};

/* Decides for the queued entry probe i: 0 and *f filled when it can be
 * patched. */
static int judge(struct engine *e, size_t i, const uint64_t *rips,
		 size_t nrips, struct plan_fn *f)
{
	const struct probe *p = e->probes.items[i].p;
	uint8_t code[64];
	size_t avail = sizeof(code);
	bool shadow = true;
	int dlen;

	memset(f, 0, sizeof(*f));
	f->entry = i;
	f->ret = IP_NONE;
	/* Go: only where r14 is g (the register ABI), through which its
	 * trampoline finds the agent's stack for the thread. */
	if (p->kind != PROBE_ENTRY || !p->plan || p->sync ||
	    (p->go && !p->g_in_r14))
		return -ENOTSUP;
	if (p->nranges && p->ranges[0].hi > p->addr &&
	    p->ranges[0].hi - p->addr < avail)
		avail = (size_t)(p->ranges[0].hi - p->addr);
	if (ptrace_engine_ops.read_mem(e->pt, p->addr, code, avail))
		return -EFAULT;
	if ((dlen = tramp_displaced(code, avail, p->addr)) < 0)
		return dlen;
	for (size_t k = 0; k < nrips; k++)
		if (rips[k] > p->addr && rips[k] < p->addr + (uint64_t)dlen)
			return -EBUSY;
	/* The function's other probes: its returns (all served by the
	 * shadow stack, or none), and nothing else in the displaced bytes. */
	for (size_t k = 0; k < e->probes.len; k++) {
		const struct ip_eprobe *q = &e->probes.items[k];
		bool mine;

		if (k == i || q->dead)
			continue;
		mine = same_fn(q->p, p) && q->p->kind != PROBE_ENTRY &&
		       q->how == HOW_QUEUED;
		if (mine && (!q->p->plan || q->p->sync || !q->p->ret_hijack))
			shadow = false;
		if (mine && f->ret == IP_NONE)
			f->ret = (uint32_t)k;
	}
	for (size_t k = 0; k < e->probes.len; k++) {
		const struct ip_eprobe *q = &e->probes.items[k];

		if (k == i || q->dead || q->p->addr < p->addr ||
		    q->p->addr >= p->addr + (uint64_t)dlen)
			continue;
		/* A probe at the same address or inside: only a return of
		 * this function that the shadow stack serves. */
		if (!(shadow && same_fn(q->p, p) && q->p->kind != PROBE_ENTRY))
			return -EBUSY;
	}
	/* A tail call's return caught by a stop is armed at the jump and
	 * kept honest by a stop at each entry (a throw leaves it pending:
	 * the next entry says so): such an entry stays a breakpoint. */
	for (size_t k = 0; !shadow && k < e->probes.len; k++)
		if (!e->probes.items[k].dead && same_fn(e->probes.items[k].p, p) &&
		    e->probes.items[k].p->kind == PROBE_TAILJMP)
			return -EBUSY;
	if (site_jumped_into(e->pt, p, p->addr, (size_t)dlen))
		return -EBUSY;
	f->dlen = (size_t)dlen;
	memcpy(f->code, code, (size_t)dlen);
	f->shadow = shadow && f->ret != IP_NONE;
	if (!f->shadow)
		f->ret = IP_NONE;
	return 0;
}

/* Where glibc keeps a thread's id in its TLS block (struct pthread's
 * tid): the one offset in the first 4 KiB holding each stopped thread's
 * id in all of them. 0 when not found or not one. */
static uint32_t tcb_tid_off(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	static uint8_t ok[1024];
	bool any = false;
	uint32_t off = 0;

	memset(ok, 1, sizeof(ok));
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(dir = opendir(path)))
		return 0;
	while ((d = readdir(dir))) {
		struct user_regs_struct r;
		pid_t tid = (pid_t)atoi(d->d_name);
		uint32_t tcb[1024];
		struct iovec l = {tcb, sizeof(tcb)},
			     rv = {NULL, sizeof(tcb)};

		if (tid <= 0 || ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0 ||
		    !r.fs_base)
			continue;
		rv.iov_base = (void *)(uintptr_t)r.fs_base;
		if (process_vm_readv(pid, &l, 1, &rv, 1, 0) != sizeof(tcb))
			continue;
		any = true;
		for (size_t k = 1; k < 1024; k++)
			ok[k] &= tcb[k] == (uint32_t)tid;
	}
	closedir(dir);
	for (size_t k = 1; any && k < 1024; k++) {
		if (!ok[k])
			continue;
		if (off)
			return 0; /* two candidates: not sure */
		off = (uint32_t)(k * 4);
	}
	return off;
}

/* ---- where the code goes ---- */

/* A region of the image at addr with room for one more trampoline. */
static struct ip_region *region_for(struct engine *e, uint64_t addr)
{
	for (size_t i = 0; i < e->regions.len; i++) {
		struct ip_region *r = &e->regions.items[i];

		if (addr >= r->img_lo && addr < r->img_hi &&
		    r->size - r->used >= TRAMP_ENTRY_MAX)
			return r;
	}
	return NULL;
}

/* Maps a code region for the image at addr, size bytes. */
static struct ip_region *region_new(struct engine *e, const struct site_map *m,
				    size_t n, uint64_t addr, size_t size)
{
	struct ip_region r = {0};
	struct errbuf eb;
	uint64_t hint;
	int fd = -1;

	pid_t tid = inject_pick(e->pid);

	size = (size + 0xfff) & ~(size_t)0xfff;
	hint = site_near_gap(m, n, addr, size, &r.img_lo, &r.img_hi);
	if (!hint || tid < 0 ||
	    inject_memfd_at(tid, "tinydbg-code", size, hint,
			    PROT_READ | PROT_EXEC, MAP_SHARED, &r.at, &fd, &eb))
		return NULL;
	r.ours = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (r.ours == MAP_FAILED)
		return NULL;
	r.size = size;
	VEC_PUSH(&e->regions, r);
	return &e->regions.items[e->regions.len - 1];
}

/* ---- the shared memory ---- */

/* The most ring bytes a record of plan p takes (slot header included). */
static uint32_t rec_max(const struct cap_plan *p)
{
	uint64_t nch = 0, data = 0, size;

	for (uint32_t k = 0; k < p->nops; k++) {
		const struct cap_op *o = &p->ops[k];
		uint64_t reps = 1;

		if (o->rep.src != CAP_SRC_NONE || o->rep.disp) {
			reps = (o->flags & CAP_OP_CHAIN) ? CAP_MAX_CHAIN
							  : CAP_MAX_REP;
			if (o->rep_max && o->rep_max < reps)
				reps = o->rep_max;
		}
		nch += reps;
		data += reps * ((o->len + 7ull) & ~7ull);
	}
	if (data > CAP_MAX_DATA + 8 * nch)
		data = CAP_MAX_DATA + 8 * nch;
	size = sizeof(struct ip_slot) + sizeof(struct ip_rec) +
	       8 * (uint64_t)__builtin_popcount(p->regmask) +
	       ((p->flags & CAP_PLAN_XMM) ? 128 : 0) +
	       nch * sizeof(struct cap_chunk) + data;
	return (uint32_t)((size + 15) & ~15ull); /* struct ip_slot */
}

static int shm_make(struct engine *e)
{
	size_t nprobes = IP_MAX_PROBES;
	struct errbuf eb;
	size_t ring = e->ring_bytes ? e->ring_bytes : DEFAULT_RING;
	size_t probes_off = 4096;
	size_t plans_off = (probes_off + nprobes * sizeof(struct ip_probe) +
			    4095) & ~(size_t)4095;
	size_t threads_off = (plans_off + nprobes * sizeof(struct cap_plan) +
			      4095) & ~(size_t)4095;
	size_t ring_off = (threads_off +
			   IP_MAX_THREADS * sizeof(struct ip_thread) + 4095) &
			  ~(size_t)4095;
	size_t size = ring_off + ring;
	int fd = -1;
	pid_t tid = inject_pick(e->pid);

	if (tid < 0 || inject_shared_memfd(tid, "tinydbg-ring", size,
					   &e->shm_at, &fd, &eb))
		return -1;
	e->shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (e->shm == MAP_FAILED) {
		e->shm = NULL;
		return -1;
	}
	e->shm_size = size;
	/* And in ours, for the reader: a page's first read costs ~6 µs
	 * here when it is not, ~1 µs when it is (5.14+; best effort). */
	madvise(e->shm + ring_off, ring, 22 /* MADV_POPULATE_READ */);
	/* The ring's pages, present in the target's page tables: its first
	 * touch of each would otherwise be a fault, at a few µs apiece (one
	 * every ten records). Best effort (MADV_POPULATE_WRITE: 5.14+). */
	{
		uint64_t a[6] = {e->shm_at + ring_off, ring,
				 23 /* MADV_POPULATE_WRITE */};
		int64_t r;

		inject_syscall(tid, SYS_madvise, a, &r, &eb);
	}
	e->hdr = (struct ip_header *)e->shm;
	e->hdr->magic = IP_MAGIC;
	e->hdr->pid = (uint32_t)e->pid;
	e->hdr->probes_off = probes_off;
	e->hdr->plans_off = plans_off;
	e->hdr->threads_off = threads_off;
	e->hdr->ring_off = ring_off;
	e->hdr->ring_size = ring;
	e->hdr->wake_bytes = ring / 8;
	e->hdr->nprobes = (uint32_t)nprobes;
	e->hdr->tcb_tid_off = tcb_tid_off(e->pid);
	return 0;
}

static struct ip_probe *shm_probe(struct engine *e, size_t id)
{
	return (struct ip_probe *)(e->shm + e->hdr->probes_off) + id;
}

/* Fills probe id's entry in the shared table (its plan in the id's plan
 * slot). */
static void shm_set_probe(struct engine *e, size_t id, uint32_t ret)
{
	const struct probe *p = e->probes.items[id].p;
	struct ip_probe *ip = shm_probe(e, id);
	struct cap_plan *plans = (struct cap_plan *)(e->shm + e->hdr->plans_off);

	plans[id] = *p->plan;
	ip->addr = p->addr;
	ip->plan = (uint32_t)id;
	ip->ret = ret;
	ip->rec_max = rec_max(p->plan);
}

/* ---- setup ---- */

static void to_ptrace(struct engine *e, size_t i)
{
	struct ip_eprobe *q = &e->probes.items[i];
	struct errbuf eb;

	q->how = HOW_PTRACE;
	ptrace_engine_ops.insert_probe(e->pt, q->p, &eb);
}

void ip_clock_pair(uint64_t *tsc, int64_t *mono)
{
	uint64_t a = 0, b = 0;

	/* A TSC read on each side of the clock's: the pair is only as good
	 * as the time between them, which a preemption would make
	 * milliseconds. Tightest of a few tries. */
	for (int i = 0; i < 8; i++) {
		uint64_t x = ip_rdtsc();
		int64_t m = mono_ns();
		uint64_t y = ip_rdtsc();

		if (!i || y - x < b - a) {
			a = x;
			b = y;
			*mono = m;
		}
		if (b - a < 2000)
			break;
	}
	*tsc = a + (b - a) / 2;
}

static void calibrate(struct engine *e)
{
	struct timespec ts = {0, 5000000};
	uint64_t t1;
	int64_t m1;

	ip_clock_pair(&e->tsc0, &e->mono0);
	nanosleep(&ts, NULL);
	ip_clock_pair(&t1, &m1);
	e->ns_per_tick = (double)(m1 - e->mono0) / (double)(t1 - e->tsc0);
	e->calibrated_at = m1;
}

/* The ring written once by the target itself, before any trampoline
 * can run. Measured on the VMs this runs on (shadow page tables): the
 * target's first user-mode write to each page of its mapping costs about
 * 9 µs, populated or not, later ones nothing; left to the trampolines,
 * that was more than half the cost of a traced call whose records landed
 * on new pages. A write from the kernel or from our own mapping does not
 * count. 32 MiB take some 70 ms here, once. Best effort. */
static void ring_warm(struct engine *e, uint64_t stub)
{
	struct errbuf eb;
	pid_t tid = inject_pick(e->pid);

	if (tid >= 0)
		inject_fill(tid, stub, e->shm_at + e->hdr->ring_off,
			    e->hdr->ring_size, &eb);
}

/* The agent and the return trampoline, in the first region (r). */
static int agent_put(struct engine *e, struct ip_region *r)
{
	struct tramp_buf b;
	uint64_t shm_at = e->shm_at;

	memcpy(r->ours, agent_blob, sizeof(agent_blob));
	memcpy(r->ours + AGENT_OFF_SHM, &shm_at, 8);
	r->used = (sizeof(agent_blob) + 63) & ~(size_t)63;
	b = (struct tramp_buf){r->ours + r->used, 0, r->size - r->used,
			       r->at + r->used};
	if (tramp_return(&b, r->at + AGENT_OFF_RETURN))
		return -1;
	e->hdr->ret_tramp = b.at;
	r->used += (b.len + 63) & ~(size_t)63;
	e->enter_fn = r->at + AGENT_OFF_ENTER;
	e->go_stack_fn = r->at + AGENT_OFF_GO_STACK;
	e->go_enter_fn = r->at + AGENT_OFF_GO_ENTER;
	ring_warm(e, r->at + AGENT_OFF_FILL);
	return 0;
}

/* How probe p's trampoline calls the agent. */
static const struct tramp_agent *agent_of(struct engine *e,
					  const struct probe *p)
{
	static __thread struct tramp_agent ag;

	ag = (struct tramp_agent){.enter_fn = e->enter_fn,
				  .xmm = p->plan &&
					 (p->plan->flags & CAP_PLAN_XMM)};
	if (p->go) {
		ag.go_stack_fn = e->go_stack_fn;
		ag.go_enter_fn = e->go_enter_fn;
	}
	return &ag;
}

/* Patches f's entry: its trampoline, then the jump. */
static int patch(struct engine *e, struct plan_fn *f)
{
	struct ip_eprobe *q = &e->probes.items[f->entry];
	struct ip_region *r = f->reg;
	struct ip_patch pt = {.addr = q->p->addr, .len = (uint8_t)f->dlen};
	struct tramp_buf b = {r->ours + r->used, 0, r->size - r->used,
			      r->at + r->used};
	uint8_t jmp[16];

	shm_set_probe(e, f->entry, f->ret);
	if (f->shadow)
		shm_set_probe(e, f->ret, IP_NONE);
	if (tramp_entry(&b, (uint32_t)f->entry, q->p->addr, f->code, f->dlen,
			agent_of(e, q->p)) ||
	    !tramp_reaches(q->p->addr, b.at))
		return -1;
	/* The jump, then int3s: nothing runs the rest of the displaced
	 * bytes any more (judge checked that no jump lands there). */
	tramp_jmp5(jmp, q->p->addr, b.at);
	memset(jmp + 5, 0xcc, f->dlen - 5);
	memcpy(pt.orig, f->code, f->dlen);
	if (ptrace_engine_write_mem(e->pt, q->p->addr, jmp, f->dlen))
		return -1;
	r->used += (b.len + 15) & ~(size_t)15;
	VEC_PUSH(&e->patches, pt);
	q->how = HOW_PATCHED;
	e->npatched++;
	if (!f->shadow)
		return 0;
	/* Its returns: the shadow stack catches them all. */
	for (size_t j = 0; j < e->probes.len; j++) {
		struct ip_eprobe *rq = &e->probes.items[j];

		if (j != f->entry && !rq->dead && rq->how == HOW_QUEUED &&
		    same_fn(rq->p, q->p) && rq->p->kind != PROBE_ENTRY)
			rq->how = HOW_SHADOW;
	}
	return 0;
}

/* A region with room for a trampoline near addr, made when there is none
 * (the first one made holds the agent and the return trampoline too);
 * need: the bytes to ask for when making one. NULL when none can be
 * had. *maps: the target's mappings, read on first need. */
static struct ip_region *region_near(struct engine *e, uint64_t addr,
				     size_t need, struct site_map **maps,
				     size_t *nmaps)
{
	struct ip_region *r;
	bool first = !e->enter_fn;

	if (!first && (r = region_for(e, addr)))
		return r;
	if (!*maps)
		*nmaps = site_read_maps(e->pid, maps);
	if (first)
		need += sizeof(agent_blob) + 64 + TRAMP_RETURN_MAX;
	if (!(r = region_new(e, *maps, *nmaps, addr, need)))
		return NULL;
	if (first && agent_put(e, r))
		return NULL;
	return r;
}

/* Whether [lo, hi) overlaps a patch already made. */
static bool overlaps_patch(const struct engine *e, uint64_t lo, uint64_t hi)
{
	for (size_t i = 0; i < e->patches.len; i++) {
		const struct ip_patch *p = &e->patches.items[i];

		if (lo < p->addr + p->len && p->addr < hi)
			return true;
	}
	return false;
}

/* Patches the ret site of the queued return probe i (struct probe's
 * patch_lo, which may be the ret itself, followed by padding) when that
 * is safe: the bytes are what the debugger decoded,
 * no thread is stopped inside them, no other probe is in them. 0 when
 * done. */
static int patch_ret(struct engine *e, size_t i, const uint64_t *rips,
		     size_t nrips, size_t need, struct site_map **maps,
		     size_t *nmaps)
{
	struct ip_eprobe *q = &e->probes.items[i];
	const struct probe *p = q->p;
	uint64_t lo = p->patch_lo;
	struct ip_patch pt = {.addr = lo};
	struct ip_region *r;
	struct tramp_buf b;
	struct insn ret;
	uint8_t code[32], jmp[16];
	size_t dlen, len;

	if (p->kind != PROBE_RETURN || !p->plan || p->sync || !lo ||
	    (p->go && !p->g_in_r14) ||
	    lo > p->addr || p->addr - lo > 16)
		return -ENOTSUP;
	dlen = (size_t)(p->addr - lo);
	if (ptrace_engine_ops.read_mem(e->pt, lo, code, dlen + 16) &&
	    ptrace_engine_ops.read_mem(e->pt, lo, code, dlen + 3))
		return -EFAULT;
	if (x86_decode(code + dlen, 3, p->addr, &ret) || ret.cls != INSN_RET)
		return -ENOTSUP;
	len = dlen + ret.len;
	/* patch_lo at the ret: the padding after it takes the rest. */
	if (!dlen && len < 5)
		len = 5;
	if (len < 5 || len > sizeof(pt.orig) || overlaps_patch(e, lo, lo + len))
		return -EBUSY;
	for (size_t k = 0; k < nrips; k++)
		if (rips[k] > lo && rips[k] < lo + len)
			return -EBUSY;
	for (size_t k = 0; k < e->probes.len; k++)
		if (k != i && !e->probes.items[k].dead &&
		    e->probes.items[k].p->addr >= lo &&
		    e->probes.items[k].p->addr < lo + len)
			return -EBUSY;
	if (!(r = region_near(e, lo, need, maps, nmaps)))
		return -ENOMEM;
	b = (struct tramp_buf){r->ours + r->used, 0, r->size - r->used,
			       r->at + r->used};
	shm_set_probe(e, i, IP_NONE);
	if (tramp_retsite(&b, (uint32_t)i, lo, code, dlen, p->addr,
			  code + dlen, ret.len, agent_of(e, p)) ||
	    !tramp_reaches(lo, b.at))
		return -ERANGE;
	tramp_jmp5(jmp, lo, b.at);
	memset(jmp + 5, 0xcc, len - 5);
	pt.len = (uint8_t)len;
	memcpy(pt.orig, code, len);
	if (ptrace_engine_write_mem(e->pt, lo, jmp, len))
		return -EFAULT;
	r->used += (b.len + 15) & ~(size_t)15;
	VEC_PUSH(&e->patches, pt);
	q->how = HOW_PATCHED;
	return 0;
}

void ip_late(struct engine *e)
{
	size_t before = e->nfallback + e->nretfallback, old = 0;
	bool any = false;

	for (size_t i = 0; i < e->probes.len; i++) {
		struct ip_eprobe *q = &e->probes.items[i];

		if (q->dead || q->how != HOW_LATE)
			continue;
		/* A function whose entry and ret sites are all new, or a
		 * breakpoint; setup below judges them as at a start. */
		if (site_known_at(&e->known, q->p->addr) ||
		    (q->p->nranges &&
		     site_known_at(&e->known, q->p->ranges[0].lo))) {
			if (q->p->plan && !q->p->sync)
				old++;
			to_ptrace(e, i);
			continue;
		}
		q->how = HOW_QUEUED;
		any = true;
	}
	if (any)
		ip_setup(e);
	else
		site_known_read(&e->known, e->pid);
	/* Said once per library, as the start's note is. */
	old += e->nfallback + e->nretfallback - before;
	if (old && e->cb && e->cb->on_note) {
		char buf[256];

		snprintf(buf, sizeof(buf),
			 "inproc: %zu entries or ret sites inserted during the run could not be patched with a jump; they stop at breakpoints",
			 old);
		e->cb->on_note(e->cb->ctx, buf);
	}
}

void ip_setup(struct engine *e)
{
	VEC(struct plan_fn) fns = {0};
	struct site_map *maps = NULL;
	uint64_t *rips = NULL;
	size_t nmaps = 0, nrips, nrets = 0;

	nrips = site_thread_rips(e->pid, &rips);
	for (size_t i = 0; i < e->probes.len; i++) {
		const struct ip_eprobe *q = &e->probes.items[i];
		struct plan_fn f;

		if (q->dead || q->how != HOW_QUEUED)
			continue;
		if (q->p->kind == PROBE_RETURN && q->p->patch_lo)
			nrets++;
		if (q->p->kind == PROBE_ENTRY && !judge(e, i, rips, nrips, &f))
			VEC_PUSH(&fns, f);
	}
	if ((!fns.len && !nrets) || (!e->shm && shm_make(e)))
		goto rest;
	if (!e->ns_per_tick)
		calibrate(e);
	/* A region per image for its trampolines; the first one made also
	 * holds the agent and the return trampoline. */
	for (size_t k = 0; k < fns.len; k++) {
		struct plan_fn *f = &fns.items[k];
		const struct probe *p = e->probes.items[f->entry].p;
		size_t need = (fns.len - k + nrets) * TRAMP_ENTRY_MAX;

		if ((f->reg = region_near(e, p->addr, need, &maps, &nmaps)))
			patch(e, f);
	}
	/* The returns the shadow stack does not serve: their ret sites. */
	for (size_t i = 0; nrets && i < e->probes.len; i++) {
		const struct ip_eprobe *q = &e->probes.items[i];

		if (!q->dead && q->how == HOW_QUEUED &&
		    q->p->kind == PROBE_RETURN && q->p->patch_lo &&
		    !patch_ret(e, i, rips, nrips, nrets-- * TRAMP_ENTRY_MAX,
			       &maps, &nmaps))
			e->nretpatched++;
	}
	free(maps);
	e->live = e->npatched > 0 || e->nretpatched > 0;
rest:
	free(rips);
	VEC_FREE(&fns);
	site_known_read(&e->known, e->pid);
	for (size_t i = 0; i < e->probes.len; i++)
		if (!e->probes.items[i].dead &&
		    e->probes.items[i].how == HOW_QUEUED) {
			const struct probe *p = e->probes.items[i].p;

			/* Functions of the trace only, not our own stops. */
			if (p->kind == PROBE_ENTRY && p->plan && !p->sync)
				e->nfallback++;
			if (p->kind == PROBE_RETURN && p->plan && !p->sync)
				e->nretfallback++;
			to_ptrace(e, i);
		}
}

/* ---- taking it out ---- */

void ip_restore(struct engine *e)
{
	if (e->hdr)
		__atomic_store_n(&e->hdr->detached, 1, __ATOMIC_RELEASE);
	for (size_t i = 0; i < e->patches.len; i++) {
		const struct ip_patch *p = &e->patches.items[i];

		ptrace_engine_write_mem(e->pt, p->addr, p->orig, p->len);
	}
	e->patches.len = 0;
	e->live = false;
}

void ip_restore_child(struct engine *e, pid_t child)
{
	struct user_regs_struct r;

	for (size_t i = 0; i < e->patches.len; i++) {
		const struct ip_patch *p = &e->patches.items[i];

		ptrace_engine_poke(child, p->addr, p->orig, p->len);
	}
	/* The forking thread's rewritten return addresses, copied with its
	 * stack: the real ones back, innermost first, so that of a tail
	 * call's two entries on one slot the outer one's stays. */
	if (!e->hdr || ptrace(PTRACE_GETREGS, child, NULL, &r) < 0)
		return;
	struct ip_thread *t = (struct ip_thread *)(e->shm + e->hdr->threads_off);
	for (size_t i = 0; i < IP_MAX_THREADS; i++) {
		if (t[i].key != r.fs_base)
			continue;
		for (uint32_t d = t[i].depth; d-- > 0;)
			ptrace_engine_poke(child, t[i].st[d].slot,
					   &t[i].st[d].orig, 8);
	}
}

void ip_drop(struct engine *e)
{
	for (size_t i = 0; i < e->regions.len; i++)
		munmap(e->regions.items[i].ours, e->regions.items[i].size);
	e->regions.len = 0;
	e->patches.len = 0;
	e->hdr = NULL;
	if (e->shm) {
		struct ip_retired r = {e->shm, e->shm_size};

		VEC_PUSH(&e->retired, r);
	}
	e->shm = NULL;
	e->enter_fn = 0; /* the new image needs its own agent */
	e->live = false;
	for (size_t i = 0; i < e->probes.len; i++)
		e->probes.items[i].dead = true;
}

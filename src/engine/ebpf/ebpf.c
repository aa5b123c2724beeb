/* The eBPF engine: tracepoints as uprobes whose BPF program copies what the
 * probe's capture plan names into a ring; the target never stops for them.
 *
 * It is built on the ptrace engine, which keeps doing what needs a stop:
 * the launch and attach, threads, exec, the loader's rendezvous (so probes
 * for a dlopen'ed library are in before it runs), the program's output in
 * order with the trace, and every probe a BPF program cannot serve (no plan:
 * a value it cannot capture, xmm registers, a tail jump's return). Its run
 * loop hands our records over between its stops (ptrace.h), so the debugger
 * sees one stream in the order things happened on each thread.
 *
 * Uprobes are attached in batches: insert_probe queues them, and the queue
 * goes in before the target runs again (run's start, and after each
 * callback that may have added probes). A probe the kernel refuses falls
 * back to a ptrace breakpoint and is counted.
 *
 * An entry's or a ret's uprobe goes on a 5-byte nop of ours that the code
 * jumps to, where the kernel optimises it: about 1.3 µs a hit here
 * against 5 on an int3 it emulates and 10 on one it single-steps
 * (jumps.h). Only where that is safe, and only while every thread is
 * stopped (a run's start, an exec), or in a library the loader's
 * rendezvous announces (its code has not run yet); probes added during a
 * run elsewhere, and code too short for the jump, keep their uprobe where
 * it is.
 *
 * --syscalls: the raw_syscalls tracepoints, filtered in BPF by process and
 * call, each call's prototype compiled into a capture plan (the strings
 * its arguments point to at the entry; sys.c); their records come through
 * the same ring, in order with the hits. The ptrace engine then never
 * stops for a system call (its seccomp filter keeps only the output's
 * ordering). Where the tracepoints cannot be attached, it serves the
 * calls as without --ebpf, and a note says so. */
#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "base/xalloc.h"
#include "capture/capture.h"
#include "arch/x86.h"
#include "engine/ebpf/bpfobj.h"
#include "engine/ebpf/jumps.h"
#include "engine/ebpf/prefault.h"
#include "engine/ebpf/sys.h"
#include "engine/jump/tramp.h"
#include "engine/ptrace/ptrace.h"

/* One probe the debugger inserted. */
struct eb_probe {
	const struct probe *p;
	bool bpf;      /* served by a uprobe (else by the ptrace engine) */
	bool attached; /* its uprobe is in */
	bool dead;     /* forgotten: records still in the ring are dropped */
	bool hijack;   /* a return caught by a uretprobe at p->hijack_at */
	bool jumped;   /* its uprobe is on the nop its site jumps to */
	bool nop5;     /* its site is a 5-byte nop (the kernel rewrites it) */
	int32_t sp_bias; /* a jumped ret site's (struct jump) */
	char *path;    /* the file mapped at the probe's address */
	uint64_t off;  /* its offset in it */
};

struct eb_map {
	uint64_t lo, hi, pgoff;
	char *path;
};


struct engine {
	struct engine *pt;     /* the ptrace engine underneath */
	struct bpfobj *bo;
	pid_t pid;
	VEC(struct eb_probe) probes; /* by probe id */
	VEC(uint32_t) queue;         /* ids to attach */
	VEC(struct eb_map) maps;     /* /proc/PID/maps, file mappings */
	struct prefault pf;          /* the image pages made present */
	struct jumps jumps;          /* entries jumping to a nop of ours */
	/* The mappings when code was last patched: code outside them is
	 * new (a library the loader's rendezvous announces), and no thread
	 * can be in it yet. */
	struct site_known known;
	uint8_t *fix;                /* a hijacked return's record, fixed */
	size_t fix_cap;

	const struct engine_callbacks *cb; /* the debugger's, during run */
	struct ptrace_overlay ov;          /* ours around them */
	struct engine_callbacks wrap;
	int64_t mono_to_real;  /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint64_t lost_seen;
	/* Records taken from the ring (on_record): with bpfobj_made, whether
	 * some wait that no wake-up announced. */
	atomic_uint_fast64_t taken;

	/* Uprobes attached, those of them on an instruction the kernel
	 * single-steps, and probes it refused (served by breakpoints): said
	 * once each (notes_flush). */
	size_t nuprobes, nstepped, nrefused;
	bool noted_stepped, noted_refused;

	/* --syscalls through the tracepoints (sys.h), and the note for the
	 * user the setup left (a fallback), said at run's start. */
	struct ebpf_sys sys;
	char *sys_note;

	/* The thread that waits for records and wakes the run loop. */
	pthread_t reader;
	bool reader_on;
	int quit_fd;
	int epfd;
};

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* ---- where a run-time address is in a file ---- */

static void maps_clear(struct engine *e)
{
	for (size_t i = 0; i < e->maps.len; i++)
		free(e->maps.items[i].path);
	e->maps.len = 0;
}

static void maps_read(struct engine *e)
{
	char name[64], line[4096];
	FILE *f;

	maps_clear(e);
	snprintf(name, sizeof(name), "/proc/%d/maps", (int)e->pid);
	if (!(f = fopen(name, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, pgoff;
		char perms[8];
		int n = 0;
		struct eb_map m;
		char *path;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &lo, &hi, perms,
			   &pgoff, &n) < 4 || !n || perms[2] != 'x')
			continue;
		path = line + n;
		path[strcspn(path, "\n")] = 0;
		/* Only a file we can open again by its name: a uprobe is
		 * on the file's inode. */
		if (path[0] != '/' || strstr(path, " (deleted)"))
			continue;
		m.lo = lo;
		m.hi = hi;
		m.pgoff = pgoff;
		m.path = xstrdup(path);
		VEC_PUSH(&e->maps, m);
	}
	fclose(f);
}

static const struct eb_map *map_at(struct engine *e, uint64_t addr)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < e->maps.len; i++)
			if (addr >= e->maps.items[i].lo &&
			    addr < e->maps.items[i].hi)
				return &e->maps.items[i];
		if (!pass)
			maps_read(e);
	}
	return NULL;
}

/* ---- probes ---- */

/* Whether a uprobe can serve p: the BPF program must be able to capture
 * everything the debugger reads at the hit. */
static bool bpf_can(const struct probe *p)
{
	if (!p->plan || (p->plan->flags & CAP_PLAN_XMM))
		return false;
	/* A tail call's return is caught where the callee comes back to,
	 * which only a stop can arm, or by a uretprobe. */
	return p->kind == PROBE_ENTRY || p->kind == PROBE_RETURN ||
	       p->ret_hijack;
}

/* The uretprobe already serving the returns of the function whose first
 * instruction is at, or -1. */
static ssize_t hijack_of(struct engine *e, uint64_t at)
{
	for (size_t i = e->probes.len; i-- > 0;) {
		const struct eb_probe *ep = &e->probes.items[i];
		if (ep->hijack && !ep->dead && ep->off != UINT64_MAX &&
		    ep->p->hijack_at == at)
			return (ssize_t)i;
	}
	return -1;
}

/* Whether a and b are probes of one function (its first range). */
static bool same_fn(const struct probe *a, const struct probe *b)
{
	return a->nranges && b->nranges && a->ranges[0].lo == b->ranges[0].lo;
}

/* Whether the probe q (live, at its own address, not a uretprobe) must
 * be served by the ptrace engine because p is: they share an address (a
 * breakpoint and a uprobe would each take the other's int3 for the code;
 * two uprobes there run in an order the kernel picks, and a function
 * whose first instruction is its ret must report its entry first), or p
 * catches q's function's tail-call returns, which a stop at each entry
 * keeps honest (a throw leaves them pending: the next entry says so). */
static bool follows_stop(const struct probe *q, const struct probe *p)
{
	return q->addr == p->addr ||
	       (q->kind == PROBE_ENTRY && p->kind == PROBE_TAILJMP &&
		same_fn(q, p));
}

/* Whether p, a probe a uprobe could serve, needs the ptrace engine
 * anyway because of the probes already in. */
static bool stop_for(struct engine *e, const struct probe *p)
{
	for (size_t i = 0; i < e->probes.len; i++) {
		const struct eb_probe *ep = &e->probes.items[i];

		if (ep->dead || ep->hijack)
			continue;
		if (!ep->bpf && follows_stop(p, ep->p))
			return true;
		/* Another uprobe at p's address: both take stops, when it
		 * is not in yet (an attached one stays: rare, a later
		 * library's probe at a shared address). */
		if (ep->bpf && ep->p->addr == p->addr && !ep->attached)
			return true;
	}
	return false;
}

/* An int3 in the file at addr (a function that traps on purpose, as Go's
 * runtime.abort): the kernel refuses a uprobe on it, and the ptrace engine
 * says why at once, as it does without --ebpf. The file, not the memory:
 * a fork child's copy of its parent's pages still holds the parent's
 * uprobe int3s, which the kernel takes back on their first hit. */
static bool holds_int3(struct engine *e, uint64_t addr)
{
	const struct eb_map *m = map_at(e, addr);
	uint8_t b = 0;
	int fd;

	if (!m || (fd = open(m->path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	if (pread(fd, &b, 1, (off_t)(addr - m->lo + m->pgoff)) != 1)
		b = 0;
	close(fd);
	return b == 0xcc;
}

/* Takes the jump serving addr (an entry, a ret) out (every thread
 * stopped): the uprobes on its nop go back to addr, queued anew. */
static void unjump(struct engine *e, uint64_t addr)
{
	for (size_t i = 0; i < e->probes.len; i++) {
		struct eb_probe *ep = &e->probes.items[i];
		const struct eb_map *m;
		uint32_t id = (uint32_t)i;

		if (!ep->jumped ||
		    (ep->hijack ? ep->p->hijack_at : ep->p->addr) != addr)
			continue;
		if (ep->attached)
			bpfobj_detach(e->bo, &id, 1);
		ep->attached = ep->jumped = false;
		ep->sp_bias = 0;
		if (ep->dead || ep->off == UINT64_MAX)
			continue;
		free(ep->path);
		ep->path = NULL;
		if ((m = map_at(e, addr))) {
			ep->path = xstrdup(m->path);
			ep->off = addr - m->lo + m->pgoff;
			VEC_PUSH(&e->queue, id);
		} else {
			ep->bpf = false;
			ptrace_engine_ops.insert_probe(e->pt, ep->p, NULL);
		}
	}
	jumps_undo(&e->jumps, addr);
}

static int ops_insert_probe(struct engine *e, const struct probe *p,
			    struct errbuf *eb)
{
	struct eb_probe ep = {.p = p};
	const struct eb_map *m;
	const struct jump *jp;
	uint64_t site;

	ep.hijack = p->kind != PROBE_ENTRY && p->ret_hijack;
	site = ep.hijack ? p->hijack_at : p->addr;
	if (!bpf_can(p) || p->sync || (!ep.hijack && stop_for(e, p)) ||
	    holds_int3(e, p->addr))
		goto stop;
	if ((jp = jumps_at(&e->jumps, site))) {
		/* A function already jumping to its nop: there. */
		ep.bpf = ep.jumped = true;
		if (ep.hijack && hijack_of(e, p->hijack_at) >= 0) {
			ep.off = UINT64_MAX;
			VEC_PUSH(&e->probes, ep);
			return 0;
		}
		ep.path = xstrdup(jumps_path(&e->jumps, jp));
		ep.off = jp->nop_off;
		ep.sp_bias = jp->sp_bias;
		VEC_PUSH(&e->queue, (uint32_t)e->probes.len);
		VEC_PUSH(&e->probes, ep);
		return 0;
	}
	if (jumps_over(&e->jumps, site, site + 1))
		goto stop;
	if ((m = map_at(e, site))) {
		ep.bpf = true;
		if (ep.hijack && hijack_of(e, p->hijack_at) >= 0) {
			/* One uretprobe serves every way out: its records
			 * name the first. */
			ep.off = UINT64_MAX;
			VEC_PUSH(&e->probes, ep);
			return 0;
		}
		ep.path = xstrdup(m->path);
		ep.off = (ep.hijack ? p->hijack_at : p->addr) - m->lo +
			 m->pgoff;
		VEC_PUSH(&e->queue, (uint32_t)e->probes.len);
		VEC_PUSH(&e->probes, ep);
		return 0;
	}
stop:
	/* A breakpoint inside a jump's displaced bytes would break it: the
	 * jump comes out first, which needs every thread stopped (between
	 * runs; during one, no probe comes there: jumps_add keeps calls
	 * and jumps out of them). One on the jump itself is fine: its
	 * stop steps the jump. */
	if ((jp = jumps_over(&e->jumps, p->addr, p->addr + 1)) &&
	    jp->addr != p->addr) {
		if (e->cb)
			return errbuf_set(eb, -EBUSY,
					  "%#" PRIx64 " is inside code patched with a jump",
					  p->addr);
		unjump(e, jp->site);
	}
	/* The queued uprobes that must now take stops too. */
	for (size_t i = 0; i < e->queue.len; i++) {
		struct eb_probe *q = &e->probes.items[e->queue.items[i]];
		int err;

		if (q->dead || q->attached || q->hijack ||
		    !follows_stop(q->p, p))
			continue;
		q->bpf = false;
		e->queue.items[i--] = e->queue.items[--e->queue.len];
		if ((err = ptrace_engine_ops.insert_probe(e->pt, q->p, eb)))
			return err;
	}
	VEC_PUSH(&e->probes, ep);
	return ptrace_engine_ops.insert_probe(e->pt, p, eb);
}

/* Whether the kernel runs the instruction at addr out of line, with a
 * single-step trap (about 10 µs a hit here), rather than emulating it
 * (about 1 µs): it emulates push of a register, nops (a 5-byte nop it
 * even replaces with a call: faster still) and relative jumps and
 * calls (arch/x86/kernel/uprobes.c; measured in bench/ebpf.sh). */
static bool kernel_steps(struct engine *e, uint64_t addr)
{
	uint8_t b[16];
	struct insn in;

	if (ptrace_engine_ops.read_mem(e->pt, addr, b, sizeof(b)) ||
	    x86_decode(b, sizeof(b), addr, &in))
		return true;
	if (in.cls == INSN_JMP || in.cls == INSN_JCC || in.cls == INSN_CALL)
		return false;
	if ((b[0] >= 0x50 && b[0] <= 0x57) ||
	    (b[0] == 0x41 && b[1] >= 0x50 && b[1] <= 0x57))
		return false; /* push %reg */
	if (b[0] == 0x90 || (b[0] == 0x66 && b[1] == 0x90) ||
	    (b[0] == 0x0f && b[1] == 0x1f))
		return false; /* nop */
	return true;
}

/* Whether the instruction at addr is the 5-byte nop that the kernel
 * rewrites into a call at the uprobe's first hit. */
static bool at_nop5(struct engine *e, uint64_t addr)
{
	uint8_t b[5];

	return !ptrace_engine_ops.read_mem(e->pt, addr, b, sizeof(b)) &&
	       !memcmp(b, tramp_nop5, sizeof(b));
}

/* The notes the queue's flushes have for the user, once each. */
static void notes_flush(struct engine *e)
{
	char buf[256];

	if (!e->cb || !e->cb->on_note)
		return;
	if (e->nstepped && !e->noted_stepped) {
		e->noted_stepped = true;
		snprintf(buf, sizeof(buf),
			 "eBPF: %zu of %zu uprobes are on an instruction the kernel single-steps rather than emulates (about 10 times the cost per hit)",
			 e->nstepped, e->nuprobes);
		e->cb->on_note(e->cb->ctx, buf);
	}
	if (e->nrefused && !e->noted_refused) {
		e->noted_refused = true;
		snprintf(buf, sizeof(buf),
			 "eBPF: the kernel refused %zu probe%s; %s served by ptrace breakpoints",
			 e->nrefused, e->nrefused == 1 ? "" : "s",
			 e->nrefused == 1 ? "it is" : "they are");
		e->cb->on_note(e->cb->ctx, buf);
	}
}

/* jumps_add's check: a probe other than p's entry uprobe, and the
 * uretprobe of its returns not yet in, in [lo, hi). */
static bool busy_at(void *ctx, const struct probe *p, uint64_t lo,
		    uint64_t hi)
{
	struct engine *e = ctx;

	for (size_t i = 0; i < e->probes.len; i++) {
		const struct eb_probe *ep = &e->probes.items[i];
		uint64_t site = ep->p->addr;

		if (ep->dead || ep->p == p)
			continue;
		if (ep->bpf && ep->hijack) {
			if (ep->p->hijack_at == p->addr && !ep->attached)
				continue; /* goes onto the nop too */
			site = ep->p->hijack_at;
		}
		if (site >= lo && site < hi)
			return true;
	}
	return false;
}

/* Moves the site of the queued probe ep to jp's nop. */
static void onto_nop(struct engine *e, struct eb_probe *ep,
		     const struct jump *jp)
{
	ep->jumped = true;
	ep->sp_bias = jp->sp_bias;
	if (ep->off == UINT64_MAX)
		return; /* a uretprobe shared with another way out */
	free(ep->path);
	ep->path = xstrdup(jumps_path(&e->jumps, jp));
	ep->off = jp->nop_off;
}

/* Where place_jumps may patch. */
enum place {
	PLACE_NONE, /* threads run anywhere */
	PLACE_ALL,  /* every thread is stopped */
	PLACE_NEW,  /* at the loader's rendezvous (its thread stopped): in
	             * images mapped since the last placement only, whose
	             * code has not run (their constructors come after) */
};

/* The queued entry and ret uprobes whose code can jump to a nop of ours
 * (jumps.h), and the uretprobes of the entries' returns, moved there. */
static void place_jumps(struct engine *e, enum place where)
{
	uint64_t *rips = NULL;
	size_t nrips = 0;
	bool any = false;

	for (size_t i = 0; i < e->queue.len && !any; i++) {
		const struct eb_probe *ep = &e->probes.items[e->queue.items[i]];

		any = !ep->dead && !ep->attached && ep->bpf && !ep->hijack;
	}
	/* A region is mapped by a system call a stopped thread makes: not
	 * one in a group-stop (the uprobes serve those entries as they are). */
	if (!any || ptrace_engine_group_stopped(e->pt))
		return;
	nrips = site_thread_rips(e->pid, &rips);
	for (size_t i = 0; i < e->queue.len; i++) {
		struct eb_probe *ep = &e->probes.items[e->queue.items[i]];
		const struct jump *jp;

		if (ep->dead || ep->attached || !ep->bpf || ep->hijack ||
		    ep->jumped ||
		    !(ep->p->kind == PROBE_ENTRY ||
		      (ep->p->kind == PROBE_RETURN && ep->p->patch_lo)) ||
		    (where == PLACE_NEW && site_known_at(&e->known, ep->p->addr)))
			continue;
		if (!(jp = jumps_add(&e->jumps, ep->p, rips, nrips, busy_at,
				     e)))
			continue;
		onto_nop(e, ep, jp);
		for (size_t k = 0; ep->p->kind == PROBE_ENTRY &&
				   k < e->queue.len; k++) {
			struct eb_probe *r = &e->probes.items[e->queue.items[k]];

			if (!r->dead && r->hijack && !r->jumped &&
			    r->p->hijack_at == ep->p->addr)
				onto_nop(e, r, jp);
		}
	}
	jumps_end(&e->jumps);
	free(rips);
}

/* Attaches the queued uprobes: in one batch when the kernel takes it,
 * else one by one, and a probe it refuses becomes a breakpoint. where:
 * what code may jump to a nop first (place_jumps). */
static void queue_flush(struct engine *e, enum place where)
{
	struct bpfobj_probe *bp;
	bool *stepped;
	struct errbuf eb;
	size_t n = 0;

	if (!e->queue.len)
		return;
	if (where != PLACE_NONE)
		place_jumps(e, where);
	bp = xcalloc(e->queue.len, sizeof(*bp));
	stepped = xcalloc(e->queue.len, sizeof(*stepped));
	for (size_t i = 0; i < e->queue.len; i++) {
		struct eb_probe *ep = &e->probes.items[e->queue.items[i]];

		if (ep->dead || ep->attached)
			continue;
		if (bpfobj_plan(e->bo, ep->p->plan, &bp[n].plan, &eb)) {
			ep->bpf = false;
			ptrace_engine_ops.insert_probe(e->pt, ep->p, &eb);
			continue;
		}
		/* Read before the uprobe's int3 is in. A uretprobe costs
		 * what the entry it hooks does, counted there. */
		stepped[n] = !ep->hijack && !ep->jumped &&
			     kernel_steps(e, ep->p->addr);
		ep->nop5 = !ep->jumped &&
			   at_nop5(e, ep->hijack ? ep->p->hijack_at
						 : ep->p->addr);
		bp[n].path = ep->path;
		bp[n].offset = ep->off;
		bp[n].probe_id = e->queue.items[i];
		bp[n].ret = ep->hijack;
		bp[n].sp_bias = ep->sp_bias;
		n++;
	}
	if (n && bpfobj_attach(e->bo, e->pid, bp, n, &eb)) {
		for (size_t i = 0; i < n; i++) {
			struct eb_probe *ep = &e->probes.items[bp[i].probe_id];

			if (!bpfobj_attach(e->bo, e->pid, &bp[i], 1, &eb)) {
				ep->attached = true;
				e->nuprobes++;
				e->nstepped += stepped[i];
				continue;
			}
			ep->bpf = false;
			e->nrefused++;
			ptrace_engine_ops.insert_probe(e->pt, ep->p, &eb);
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			e->probes.items[bp[i].probe_id].attached = true;
			e->nuprobes++;
			e->nstepped += stepped[i];
		}
	}
	free(stepped);
	free(bp);
	e->queue.len = 0;
	notes_flush(e);
}

static void ops_forget_probes(struct engine *e, uint64_t lo, uint64_t hi)
{
	VEC(uint32_t) ids = {0};

	for (size_t i = 0; i < e->probes.len; i++) {
		struct eb_probe *ep = &e->probes.items[i];

		if (ep->dead || ep->p->addr < lo || ep->p->addr >= hi)
			continue;
		ep->dead = true;
		if (ep->attached)
			VEC_PUSH(&ids, (uint32_t)i);
	}
	if (ids.len)
		bpfobj_detach(e->bo, ids.items, ids.len);
	VEC_FREE(&ids);
	jumps_forget(&e->jumps, lo, hi);
	ptrace_engine_ops.forget_probes(e->pt, lo, hi);
	maps_clear(e);
}

/* Every uprobe out (exec replaced the image; detach). */
static void probes_drop_all(struct engine *e)
{
	bpfobj_detach_all(e->bo);
	for (size_t i = 0; i < e->probes.len; i++) {
		e->probes.items[i].dead = true;
		e->probes.items[i].attached = false;
	}
	e->queue.len = 0;
	maps_clear(e);
}

/* ---- records ---- */

static int on_record(void *ctx, const void *rec, size_t len)
{
	struct engine *e = ctx;
	struct capture_snapshot snap;
	struct target_access acc;
	const struct eb_probe *ep;
	struct hit h;
	const struct cap_record_hdr *hdr;

	atomic_fetch_add(&e->taken, 1);
	if (capture_snapshot_init(&snap, rec, len))
		return 0;
	hdr = snap.hdr;
	if (hdr->kind == CAP_REC_LOST) {
		if (e->cb->on_lost && hdr->lost)
			e->cb->on_lost(e->cb->ctx, hdr->lost);
		return 0;
	}
	if (hdr->kind == CAP_REC_HIT && (hdr->probe & CAPBPF_SYS_PROBE)) {
		memset(&acc, 0, sizeof(acc));
		capture_snapshot_access(&snap, &acc);
		ebpf_sys_record(&e->sys, hdr, &acc,
				hdr->time_ns + (uint64_t)e->mono_to_real, e->cb);
		return 0;
	}
	if (hdr->kind != CAP_REC_HIT || hdr->probe >= e->probes.len)
		return 0;
	ep = &e->probes.items[hdr->probe];
	if (ep->dead || !ep->bpf)
		return 0;
	if (ep->hijack || ep->jumped) {
		/* A uretprobe's record is made after the ret ran: make it
		 * look as at the ret, as the return's plan and the debugger
		 * expect (rsp at the return address, rip at the way out).
		 * An entry's on its nop: rip at the entry. */
		struct cap_record_hdr *fh;

		if (len > e->fix_cap) {
			e->fix = xrealloc(e->fix, len);
			e->fix_cap = len;
		}
		memcpy(e->fix, rec, len);
		fh = (struct cap_record_hdr *)e->fix;
		if (ep->hijack)
			fh->regs[CAP_REG_RSP] -= 8;
		fh->regs[16] = ep->p->addr;
		if (capture_snapshot_init(&snap, e->fix, len))
			return 0;
	}
	memset(&acc, 0, sizeof(acc));
	capture_snapshot_access(&snap, &acc);
	memset(&h, 0, sizeof(h));
	h.probe = ep->p;
	h.is_return = ep->p->kind != PROBE_ENTRY;
	h.tid = (pid_t)hdr->tid;
	h.time_ns = (uint64_t)((int64_t)hdr->time_ns + e->mono_to_real);
	h.sp = hdr->regs[CAP_REG_RSP];
	h.acc = &acc;
	return e->cb->on_hit(e->cb->ctx, &h);
}

/* Hands every waiting record to the debugger; a loss the ring saw is
 * reported where it was noticed. On the engine thread. */
static int drain(void *ctx)
{
	struct engine *e = ctx;
	uint64_t lost;
	int n;

	if (!e->cb)
		return 0;
	n = bpfobj_consume(e->bo, on_record, e);
	lost = bpfobj_lost(e->bo);
	if (lost > e->lost_seen) {
		if (e->cb->on_lost)
			e->cb->on_lost(e->cb->ctx, lost - e->lost_seen);
		e->lost_seen = lost;
	}
	(void)n; /* a ring error: the records wait for the next drain */
	return 0;
}

/* How long a record may wait in the ring for the reader, when no wake-up
 * came (the ring wakes it an eighth full). */
#define READER_POLL_MS 2

/* Waits for records and wakes the run loop to take them. */
static void *reader_main(void *arg)
{
	struct engine *e = arg;
	struct epoll_event ev;

	for (;;) {
		/* The ring wakes us when it fills up; records that came in
		 * fewer wait at most READER_POLL_MS (capture.bpf.c). */
		int n = epoll_wait(e->epfd, &ev, 1, READER_POLL_MS);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n > 0 && ev.data.fd == e->quit_fd))
			break;
		if (n == 0 &&
		    bpfobj_made(e->bo) <= atomic_load(&e->taken))
			continue;
		ptrace_engine_wake(e->pt);
	}
	return NULL;
}

static void reader_start(struct engine *e)
{
	struct epoll_event ev = {.events = EPOLLIN};

	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->quit_fd = eventfd(0, EFD_CLOEXEC);
	if (e->epfd < 0 || e->quit_fd < 0)
		goto fail;
	ev.data.fd = bpfobj_epoll_fd(e->bo);
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		goto fail;
	ev.data.fd = e->quit_fd;
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->quit_fd, &ev))
		goto fail;
	if (pthread_create(&e->reader, NULL, reader_main, e))
		goto fail;
	e->reader_on = true;
	return;
fail:
	/* Without the reader, records are still taken at every stop and
	 * at the end: late, never lost. */
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->quit_fd >= 0)
		close(e->quit_fd);
	e->epfd = e->quit_fd = -1;
}

static void reader_stop(struct engine *e)
{
	uint64_t one = 1;

	if (!e->reader_on)
		return;
	/* An eventfd write of 1 cannot fail while the fd is open. */
	if (write(e->quit_fd, &one, sizeof(one)) != sizeof(one))
		pthread_cancel(e->reader);
	pthread_join(e->reader, NULL);
	e->reader_on = false;
	close(e->epfd);
	close(e->quit_fd);
	e->epfd = e->quit_fd = -1;
}

/* ---- around the debugger's callbacks (ptrace_overlay) ---- */

static void after_hit(void *ctx, const struct hit *h)
{
	struct engine *e = ctx;

	/* The rendezvous may have added probes for a new library: in
	 * before the thread goes on, and its pages present (prefault.h). */
	if (h->probe->sync)
		prefault_images(&e->pf, e->pid);
	queue_flush(e, h->probe->sync ? PLACE_NEW : PLACE_NONE);
	if (h->probe->sync)
		site_known_read(&e->known, e->pid);
}

static void before_exec(void *ctx)
{
	struct engine *e = ctx;

	probes_drop_all(e);
	jumps_drop(&e->jumps);
	e->pf.done.len = 0; /* a new address space */
}

static void after_exec(void *ctx)
{
	struct engine *e = ctx;

	site_known_read(&e->known, e->pid);
	queue_flush(e, PLACE_ALL);
}

static int ops_run(struct engine *e, const struct engine_callbacks *cb,
		   struct exit_info *ex, struct errbuf *eb)
{
	int err;

	e->cb = cb;
	if (e->sys_note && cb->on_note)
		cb->on_note(cb->ctx, e->sys_note);
	free(e->sys_note);
	e->sys_note = NULL;
	e->ov = (struct ptrace_overlay){.cb = cb, .ctx = e, .drain = drain,
					.after_hit = after_hit,
					.before_exec = before_exec,
					.after_exec = after_exec};
	ptrace_overlay_callbacks(&e->ov, &e->wrap);
	prefault_images(&e->pf, e->pid);
	site_known_read(&e->known, e->pid);
	queue_flush(e, PLACE_ALL);
	ptrace_engine_set_drain(e->pt, drain, e);
	reader_start(e);
	err = ptrace_engine_ops.run(e->pt, &e->wrap, ex, eb);
	reader_stop(e);
	drain(e);
	ptrace_engine_set_drain(e->pt, NULL, NULL);
	e->cb = NULL;
	return err;
}

/* ---- lifecycle ---- */

static struct engine *eb_new(size_t ring_bytes, bool syscalls,
			     struct errbuf *eb, int *err)
{
	struct engine *e = xcalloc(1, sizeof(*e));
	struct bpfobj_opts o = {.ring_bytes = ring_bytes,
				.syscalls = syscalls};

	e->epfd = e->quit_fd = -1;
	*err = bpfobj_open(&e->bo, &o, eb);
	if (*err && syscalls) {
		/* The syscall programs refused: the uprobes may still load. */
		char why[sizeof(eb->msg)];

		snprintf(why, sizeof(why), "%s", eb->msg);
		o.syscalls = false;
		*err = bpfobj_open(&e->bo, &o, eb);
		if (!*err)
			e->sys_note = ebpf_sys_fallback_note(why);
	}
	if (*err) {
		free(e);
		return NULL;
	}
	e->mono_to_real = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	return e;
}

/* The calls the ptrace engine must serve (into pt_set, returning whether
 * there are any): all of them when the tracepoints cannot serve any (the
 * note says why), else those whose plans eBPF cannot run. */
static bool sys_start(struct engine *e, const uint8_t *set, bool loaded,
		      uint8_t *pt_set)
{
	struct errbuf eb;

	memcpy(pt_set, set, SYSCALL_SET_BYTES);
	if (!loaded)
		return true; /* eb_new's note says why */
	if (ebpf_sys_setup(&e->sys, e->bo, set, pt_set, &eb)) {
		e->sys_note = ebpf_sys_fallback_note(eb.msg);
		memcpy(pt_set, set, SYSCALL_SET_BYTES);
		return true;
	}
	for (size_t i = 0; i < SYSCALL_SET_BYTES; i++)
		if (pt_set[i])
			return true;
	return false;
}

static void on_inject(void *ctx, pid_t tid, bool begin)
{
	struct engine *e = ctx;

	ebpf_sys_mute(&e->sys, tid, begin);
}

/* A vfork child runs as one of the process's threads until its exec (the
 * ptrace engine reports its calls so): its calls are seen until then. */
static void on_vfork_child(void *ctx, pid_t child, bool begin)
{
	struct engine *e = ctx;

	if (begin)
		ebpf_sys_add_pid(&e->sys, child);
	else
		ebpf_sys_remove_pid(&e->sys, child);
}

/* Detaching: the jumps' bytes back (after the uprobes, ops_detach). */
static void on_restore(void *ctx)
{
	struct engine *e = ctx;

	jumps_restore(&e->jumps);
}

/* A fork child's copy of our code out: the jumps, and every nop the
 * kernel may have rewritten into a call to its page for the uprobe,
 * which the child does not get. */
static void on_restore_child(void *ctx, pid_t child)
{
	struct engine *e = ctx;

	jumps_restore_child(&e->jumps, child);
	for (size_t i = 0; i < e->probes.len; i++) {
		const struct eb_probe *ep = &e->probes.items[i];

		if (ep->nop5 && ep->attached)
			ptrace_engine_poke(child,
					   ep->hijack ? ep->p->hijack_at
						      : ep->p->addr,
					   tramp_nop5, sizeof(tramp_nop5));
	}
}

/* The system calls the ptrace engine and jumps.c make in the target
 * are not the program's; its vfork children's are, until their exec.
 * Our code in the target comes out with the ptrace engine's. */
static void set_hooks(struct engine *e)
{
	struct ptrace_hooks h = {.ctx = e, .inject = on_inject,
				 .vfork_child = on_vfork_child,
				 .restore = on_restore,
				 .restore_child = on_restore_child};

	ptrace_engine_set_hooks(e->pt, &h);
	jumps_init(&e->jumps, e->pt, e->pid);
	e->jumps.mute = on_inject;
	e->jumps.mute_ctx = e;
}

static int ops_launch(struct engine **out, const struct launch_opts *o,
		      struct errbuf *eb)
{
	struct launch_opts lo = *o;
	uint8_t pt_set[SYSCALL_SET_BYTES];
	struct engine *e;
	int err;

	/* Checked before anything starts: no privilege, no uprobes. */
	if (!(e = eb_new(o->ring_bytes, o->syscalls != NULL, eb, &err)))
		return err;
	lo.cpus_free = true;
	/* The tracepoints are in before the program starts (the filter
	 * for the calls they cannot serve must be given before its exec). */
	if (o->syscalls)
		lo.syscalls = sys_start(e, o->syscalls, !e->sys_note, pt_set)
				      ? pt_set
				      : NULL;
	err = ptrace_engine_ops.launch(&e->pt, &lo, eb);
	if (err) {
		ebpf_sys_free(&e->sys);
		free(e->sys_note);
		bpfobj_close(e->bo);
		free(e);
		return err;
	}
	e->pid = ptrace_engine_ops.pid(e->pt);
	/* Stopped after its exec: none of its calls is missed. */
	ebpf_sys_add_pid(&e->sys, e->pid);
	set_hooks(e);
	*out = e;
	return 0;
}

static int ops_attach(struct engine **out, const struct attach_opts *o,
		      struct errbuf *eb)
{
	struct attach_opts ao = *o;
	uint8_t pt_set[SYSCALL_SET_BYTES];
	struct engine *e;
	int err;

	if (!(e = eb_new(o->ring_bytes, o->syscalls != NULL, eb, &err)))
		return err;
	if (o->syscalls) {
		ao.syscalls = sys_start(e, o->syscalls, !e->sys_note, pt_set)
				      ? pt_set
				      : NULL;
		/* The ptrace engine's syscall stops serve them: each call of
		 * the process stops (unless it has our filter: a child
		 * handed over). */
		if (ao.syscalls && !o->filtered)
			ebpf_sys_note_stops(&e->sys_note);
	}
	err = ptrace_engine_ops.attach(&e->pt, &ao, eb);
	if (err) {
		ebpf_sys_free(&e->sys);
		free(e->sys_note);
		bpfobj_close(e->bo);
		free(e);
		return err;
	}
	e->pid = o->pid;
	ebpf_sys_add_pid(&e->sys, e->pid);
	set_hooks(e);
	*out = e;
	return 0;
}

static pid_t ops_pid(const struct engine *e)
{
	return e->pid;
}

static uint64_t ops_load_bias(const struct engine *e)
{
	return ptrace_engine_ops.load_bias(e->pt);
}

static int ops_read_mem(struct engine *e, uint64_t addr, void *buf,
			size_t len)
{
	return ptrace_engine_ops.read_mem(e->pt, addr, buf, len);
}

static void ops_request_stop(struct engine *e)
{
	ptrace_engine_ops.request_stop(e->pt);
}

static int ops_detach(struct engine *e, bool kill, struct exit_info *ex,
		      struct errbuf *eb)
{
	/* The uprobes first: no record is made after this. */
	probes_drop_all(e);
	ebpf_sys_stop(&e->sys);
	return ptrace_engine_ops.detach(e->pt, kill, ex, eb);
}

static void ops_close(struct engine *e)
{
	if (!e)
		return;
	reader_stop(e);
	if (e->pt)
		ptrace_engine_ops.close(e->pt);
	ebpf_sys_free(&e->sys);
	free(e->sys_note);
	bpfobj_close(e->bo);
	for (size_t i = 0; i < e->probes.len; i++)
		free(e->probes.items[i].path);
	VEC_FREE(&e->probes);
	VEC_FREE(&e->queue);
	maps_clear(e);
	VEC_FREE(&e->maps);
	prefault_free(&e->pf);
	jumps_free(&e->jumps);
	site_known_free(&e->known);
	free(e->fix);
	free(e);
}

const struct engine_ops ebpf_engine_ops = {
	.name = "ebpf",
	.launch = ops_launch,
	.attach = ops_attach,
	.pid = ops_pid,
	.load_bias = ops_load_bias,
	.read_mem = ops_read_mem,
	.insert_probe = ops_insert_probe,
	.forget_probes = ops_forget_probes,
	.run = ops_run,
	.request_stop = ops_request_stop,
	.detach = ops_detach,
	.close = ops_close,
};
